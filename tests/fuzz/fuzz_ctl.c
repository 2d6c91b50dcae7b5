/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ctl.c - dist_ctl_decode on arbitrary bytes, in header mode and in
 * pass-through mode (the first input byte chooses); every span it returns
 * must lie inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dist_ctl.h"
#include "fuzz_span.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dist_msg m;
	const char *why = NULL;
	uint8_t *copy;
	int rc, pt;

	if (size < 1)
		return 0;
	pt = data[0] & 1;
	data++;
	size--;
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = dist_ctl_decode(copy, copy + size, pt, &m, &why);
	if (rc == DG_EINVAL && why == NULL)
		abort();
	if (rc == 0) {
		in(m.from_node, copy, copy + size);
		in(m.name, copy, copy + size);
		in(m.exec_m, copy, copy + size);
		in(m.exec_f, copy, copy + size);
		in(m.key, copy, copy + size);
		in(m.t_reqid, copy, copy + size);
		in(m.t_from, copy, copy + size);
		in(m.t_target, copy, copy + size);
		in(m.t_ref, copy, copy + size);
		in(m.t_token, copy, copy + size);
		if (m.type >= DG_T_COUNT || dist_op_name(m.op) == NULL)
			abort();
	} else if (rc != DG_AGAIN && rc != DG_EINVAL)
		abort();
	free(copy);
	return 0;
}
