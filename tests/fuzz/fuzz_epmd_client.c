/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_epmd_client.c - libFuzzer harness for epmd_parse_port2_resp
 * (epmd/epmd_client.c): what another host's EPMD answers.  Beyond "no
 * crash": a reason with every DG_EINVAL, every strict prefix of an
 * accepted answer is DG_AGAIN (bytes after it are ignored), and an
 * accepted port is never 0.
 *
 * Seeds: tests/fuzz/seeds/epmd_client/.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dg.h"
#include "epmd_client.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct epmd_port2 r;
	const char *why = NULL;
	int rc = epmd_parse_port2_resp(data, size, &r, &why);
	size_t i;

	ASSERT(rc == 0 || rc == DG_AGAIN || rc == DG_EINVAL);
	if (rc == DG_EINVAL)
		ASSERT(why != NULL);
	if (rc == 0) {
		/* The answer's own length (what follows it is ignored). */
		size_t nlen = (size_t)data[10] << 8 | data[11];
		size_t need = 12 + nlen + 2 +
		    ((size_t)data[12 + nlen] << 8 | data[13 + nlen]);

		ASSERT(r.port != 0 && r.highest >= r.lowest && need <= size);
		for (i = 0; i < need; i++)
			ASSERT(epmd_parse_port2_resp(data, i, &r, &why) == DG_AGAIN);
	}
	return 0;
}
