/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_http.c - http_parse_request on arbitrary bytes: it must never read
 * outside the input, a refusal must say why, an accepted head must end
 * inside the input with a blank line, and its path must lie inside it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	const char *why = NULL;
	char *copy = malloc(size ? size : 1);
	int rc;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = http_parse_request(copy, size, &r, &why);
	if (rc == DG_EINVAL && why == NULL)
		abort();
	if (rc == DG_AGAIN && size >= HTTP_MAX_HEAD)
		abort();	/* a head that long is refused, not awaited */
	if (rc >= 0) {
		if ((size_t)rc > size || rc < 2 || copy[rc - 1] != '\n')
			abort();
		if (r.path < copy || r.path + r.pathlen > copy + rc ||
		    r.pathlen == 0 || r.path[0] != '/')
			abort();
		if (r.minor != 0 && r.minor != 1)
			abort();
	}
	free(copy);
	return 0;
}
