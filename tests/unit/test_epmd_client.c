/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_epmd_client.c - the PORT2_RESP parser distguard uses towards other
 * hosts' EPMDs (epmd/epmd_client.c): answers our own EPMD encoder writes,
 * every strict prefix is DG_AGAIN, and hostile answers are refused.
 */
#include <stdio.h>
#include <string.h>

#include "dg_test.h"
#include "dg.h"
#include "epmd_client.h"
#include "epmd_proto.h"

static size_t
answer(uint8_t *out, size_t cap, const char *name, const char *extra)
{
	struct epmd_alive2 a;
	int n;

	memset(&a, 0, sizeof(a));
	a.port = 40001;
	a.node_type = 77;
	a.protocol = 0;
	a.highest = 6;
	a.lowest = 5;
	a.name.len = strlen(name);
	memcpy(a.name.s, name, a.name.len);
	a.extra_len = (uint16_t)strlen(extra);
	memcpy(a.extra, extra, a.extra_len);
	n = epmd_put_port2_ok(out, cap, &a, 31700);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

static void
t_answer(void)
{
	uint8_t buf[1500];
	struct epmd_port2 r;
	const char *why = NULL;
	size_t n = answer(buf, sizeof(buf), "r", "xyz"), i;

	CHECK_EQ(epmd_parse_port2_resp(guard_copy(buf, n), n, &r, &why), 0);
	CHECK_EQ(r.port, 31700);	/* the advertised port, not the node's */
	CHECK_EQ(r.node_type, 77);
	CHECK_EQ(r.highest, 6);
	CHECK_EQ(r.lowest, 5);
	for (i = 0; i < n; i++)
		CHECK_EQ(epmd_parse_port2_resp(guard_copy(buf, i), i, &r, &why),
		    DG_AGAIN);
}

static void
t_refused(void)
{
	uint8_t buf[1500];
	struct epmd_port2 r;
	const char *why = NULL;
	int n = epmd_put_port2_error(buf, sizeof(buf));
	size_t m;

	CHECK(n > 0);
	CHECK_EQ(epmd_parse_port2_resp(buf, (size_t)n, &r, &why), DG_EINVAL);
	CHECK(why && strcmp(why, "not registered") == 0);
	/* Not a PORT2_RESP at all. */
	CHECK_EQ(epmd_parse_port2_resp((const uint8_t *)"HTTP/1.1", 8, &r, &why),
	    DG_EINVAL);
	/* Lengths that do not fit, ports and versions that cannot be. */
	m = answer(buf, sizeof(buf), "r", "");
	buf[10] = 0x01, buf[11] = 0x00;			/* name of 256 bytes */
	CHECK_EQ(epmd_parse_port2_resp(buf, m, &r, &why), DG_EINVAL);
	m = answer(buf, sizeof(buf), "r", "");
	buf[2] = buf[3] = 0;				/* port 0 */
	CHECK_EQ(epmd_parse_port2_resp(buf, m, &r, &why), DG_EINVAL);
	m = answer(buf, sizeof(buf), "r", "");
	buf[6] = 0, buf[7] = 4;				/* highest < lowest */
	CHECK_EQ(epmd_parse_port2_resp(buf, m, &r, &why), DG_EINVAL);
	m = answer(buf, sizeof(buf), "r", "");
	buf[13] = 0x04, buf[14] = 0x01;			/* extra of 1025 */
	CHECK_EQ(epmd_parse_port2_resp(buf, m, &r, &why), DG_EINVAL);
}

int
main(void)
{
	RUN(t_answer);
	RUN(t_refused);
	return TEST_DONE();
}
