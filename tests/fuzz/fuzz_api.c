/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_api.c - libFuzzer harness for the runtime API's request (API_REQ,
 * epmd/epmd_proto.h), as epmd_parse reads it on a node's registration
 * connection.
 *
 * The input is the request's body after the code byte (Id, Op, NArgs,
 * args): the harness frames it with its length and 'A', so every run
 * reaches the API parser.  Beyond "no crash, no sanitizer report" it
 * checks the contract: a reason with every refusal; an accepted request
 * has its op's number of args, each within 1020 bytes of printable UTF-8
 * ending in a NUL; it re-encodes to the same bytes; every strict prefix
 * waits.  Seeds: tests/fuzz/seeds/api/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "epmd_proto.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct epmd_req req, again;
static uint8_t in[2 + DG_MAX_EPMD_REQ], out[2 + DG_MAX_EPMD_REQ];

static void
args_ok(const struct epmd_api *a)
{
	size_t chars;
	int i, k;

	ASSERT(a->nargs == epmd_api_nargs(a->op));
	for (i = 0; i < a->nargs; i++) {
		ASSERT(a->len[i] <= EPMD_API_ARG_MAX);
		ASSERT(a->arg[i][a->len[i]] == '\0');
		ASSERT(strlen(a->arg[i]) == a->len[i]);
		for (k = 0; k < a->len[i]; k++)
			ASSERT((uint8_t)a->arg[i][k] >= 0x20 &&
			    a->arg[i][k] != 0x7f);
		ASSERT(dg_utf8_valid((const uint8_t *)a->arg[i], a->len[i],
		    &chars));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	size_t n;
	int rc, m;

	if (size + 1 > DG_MAX_EPMD_REQ)
		return 0;
	n = size + 1;
	in[0] = (uint8_t)(n >> 8);
	in[1] = (uint8_t)n;
	in[2] = EPMD_API_REQ;
	memcpy(in + 3, data, size);
	rc = epmd_parse(in, n + 2, &req, &why);
	if (rc == DG_EINVAL) {
		ASSERT(why != NULL && *why != '\0');
		return 0;
	}
	ASSERT(rc == (int)(n + 2));
	ASSERT(req.code == EPMD_API_REQ);
	args_ok(&req.api);
	ASSERT(epmd_parse(in, n + 1, &again, &why) == DG_AGAIN);
	m = epmd_put_api_req(out, sizeof(out), &req.api);
	ASSERT(m == rc && memcmp(out, in, (size_t)m) == 0);
	return 0;
}
