/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_otpproto.c - what judges OTP's protocols by type (issue 18 items
 * 1, 5, 6) on arbitrary bytes: filter/shape.c through global's,
 * net_kernel's and rex's tables (dist_facts.c), the behaviour classifier
 * of sends to names, and filter/spawnopt.c on SPAWN_REQUESTs.  Input: one
 * flags byte (bit 0 pass-through, bit 1 final, bits 2-7 how much of the
 * frame has "arrived", in 64ths), then a frame's term data.  Only the
 * arrived prefix is copied: a read past it is a heap overflow ASan
 * reports.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dist_ctl.h"
#include "spawnopt.h"
#include "fuzz_span.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dg_spawn_opts none, some = { DG_PRIO_HIGH, 1000,
	    1000, 100000, DG_SO_MQD | DG_SO_FULLSWEEP, 1 };
	struct dist_msg m;
	struct dc_opts o;
	const char *why = NULL;
	uint8_t *copy;
	size_t avail;
	int rc, pt;

	if (size < 1)
		return 0;
	pt = data[0] & 1;
	memset(&o, 0, sizeof(o));
	o.final = (data[0] >> 1) & 1;
	avail = (size - 1) * ((data[0] >> 2) + 1) / 64;
	data++;
	size--;
	copy = malloc(avail ? avail : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, avail);
	o.need = DC_NEED_PIDSEND | DC_NEED_GLOBAL | DC_NEED_BEHAV |
	    DC_NEED_FUNS;
	o.frame_end = copy + size;
	rc = dist_ctl_decode_x(copy, copy + avail, pt, &o, &m, &why);
	if (rc == DG_EINVAL && why == NULL)
		abort();
	if (rc == 0) {
		in(m.claim_node, copy, copy + avail);
		in(m.t_opts, copy, copy + avail);
		/* global's shapes only on what was seen whole */
		if (m.global_ok && (m.pl_fun || m.pl_partial))
			abort();
		/* a request that failed its types is no longer one */
		if (m.proto_why != NULL && (m.is_auth || m.rex_features))
			abort();
		(void)spawnopt_refused(&none, &m, "b@h");
		(void)spawnopt_refused(&some, &m, "");
	} else if (rc != DG_AGAIN && rc != DG_EINVAL)
		abort();
	free(copy);
	return 0;
}
