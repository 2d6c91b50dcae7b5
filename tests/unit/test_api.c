/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_api.c - the runtime API's request (API_REQ) and reply head, as
 * epmd_parse reads them from a node's registration connection
 * (epmd/epmd_proto.h).  Requests are built by hand, not with the encoder
 * under test; every parser input sits at the end of a guard page.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dg_test.h"
#include "dg.h"
#include "epmd_proto.h"

static struct epmd_req req;	/* big: keep it off the stack */
static const char *why;
static uint8_t buf[2 + DG_MAX_EPMD_REQ + 64];

static int
parse(const void *b, size_t len)
{
	why = NULL;
	return epmd_parse(guard_copy(b, len), len, &req, &why);
}

/* 'A', id, op, nargs (as given), then the args; returns the framed size.
 * extra junk bytes follow the last arg. */
static size_t
mk(uint8_t *out, uint32_t id, uint8_t op, int nargs, const char *const *args,
    int nreal, size_t junk)
{
	uint8_t *p = out + 2;
	size_t blen, n;
	int i;

	*p++ = 'A';
	*p++ = (uint8_t)(id >> 24);
	*p++ = (uint8_t)(id >> 16);
	*p++ = (uint8_t)(id >> 8);
	*p++ = (uint8_t)id;
	*p++ = op;
	*p++ = (uint8_t)nargs;
	for (i = 0; i < nreal; i++) {
		n = strlen(args[i]);
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
		memcpy(p, args[i], n);
		p += n;
	}
	memset(p, 'J', junk);
	p += junk;
	blen = (size_t)(p - out) - 2;
	out[0] = (uint8_t)(blen >> 8);
	out[1] = (uint8_t)blen;
	return blen + 2;
}

static const char *const set4[] = { "b@host", "c1@host", "reg_send", "allow" };

static void
t_valid_ops(void)
{
	static const char *const add5[] = { "b@host", "c*@*", "spawn_request",
	    "erlang:node/0", "reject" };
	static const char *const one[] = { "b@host" };
	size_t n;

	n = mk(buf, 0x01020304, EPMD_API_SET_FILTER, 4, set4, 4, 0);
	CHECK_EQ(parse(buf, n), (int)n);
	CHECK_EQ(req.code, EPMD_API_REQ);
	CHECK_EQ(req.api.id, 0x01020304u);
	CHECK_EQ(req.api.op, EPMD_API_SET_FILTER);
	CHECK_EQ(req.api.nargs, 4);
	CHECK(strcmp(req.api.arg[1], "c1@host") == 0);
	CHECK_EQ(req.api.len[3], 5);

	n = mk(buf, 7, EPMD_API_ADD_FILTER, 5, add5, 5, 0);
	CHECK_EQ(parse(buf, n), (int)n);
	CHECK(strcmp(req.api.arg[3], "erlang:node/0") == 0);

	n = mk(buf, 8, EPMD_API_STATS, 1, one, 1, 0);
	CHECK_EQ(parse(buf, n), (int)n);
	n = mk(buf, 9, EPMD_API_POLICY, 1, one, 1, 0);
	CHECK_EQ(parse(buf, n), (int)n);
}

/* Every strict prefix waits; byte by byte the whole one parses. */
static void
t_prefixes(void)
{
	size_t n = mk(buf, 1, EPMD_API_SET_FILTER, 4, set4, 4, 0), i;

	for (i = 0; i < n; i++)
		CHECK_EQ(parse(buf, i), DG_AGAIN);
	CHECK_EQ(parse(buf, n), (int)n);
}

static void
t_empty_arg(void)
{
	static const char *const del[] = { "b@host", "p@h", "reg_send", "" };
	size_t n = mk(buf, 1, EPMD_API_DEL_FILTER, 4, del, 4, 0);

	CHECK_EQ(parse(buf, n), (int)n);
	CHECK_EQ(req.api.len[3], 0);
	CHECK(req.api.arg[3][0] == '\0');
}

static void
t_bad_counts(void)
{
	size_t n;

	/* an op given fewer and more args than it takes */
	n = mk(buf, 1, EPMD_API_SET_FILTER, 3, set4, 3, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(why != NULL && strstr(why, "number of arguments") != NULL);
	n = mk(buf, 1, EPMD_API_STATS, 4, set4, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	/* NArgs says more than there are */
	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, set4, 3, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(why != NULL && strstr(why, "beyond") != NULL);
	/* bytes after the last arg */
	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, set4, 4, 1);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(why != NULL && strstr(why, "after the last") != NULL);
	/* unknown ops: 0, 9, 255 */
	n = mk(buf, 1, 0, 4, set4, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	n = mk(buf, 1, EPMD_API_OP_MAX + 1, 4, set4, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	n = mk(buf, 1, 255, 4, set4, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(why != NULL && strstr(why, "unknown op") != NULL);
	/* the head cut short: 'A' and 3 bytes of id */
	buf[0] = 0;
	buf[1] = 4;
	memcpy(buf + 2, "A\0\0\0", 4);
	CHECK_EQ(parse(buf, 6), DG_EINVAL);
}

static void
t_bad_bytes(void)
{
	static const char *ctl[] = { "b@host", "c1@h\nost", "reg_send", "allow" };
	static const char *del[] = { "b@host", "c1@host", "reg_send", "\x7f" };
	static const char *utf[] = { "b@host", "c1@\xc0\xafhost", "reg_send",
	    "allow" };
	static const char *sur[] = { "b@host", "\xed\xa0\x80", "reg_send",
	    "allow" };
	size_t n;

	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, ctl, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(why != NULL && strstr(why, "control byte") != NULL);
	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, del, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, utf, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(why != NULL && strstr(why, "UTF-8") != NULL);
	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, sur, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	/* a NUL inside an arg is a control byte too */
	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, set4, 4, 0);
	buf[n - 3] = '\0';
	CHECK_EQ(parse(buf, n), DG_EINVAL);
}

/* One arg over 1020 bytes; the request itself within 3057. */
static void
t_long_arg(void)
{
	static char big[1100];
	const char *args[4] = { "b@host", big, "reg_send", "allow" };
	size_t n;

	memset(big, 'a', 1021);
	big[1021] = '\0';
	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, args, 4, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(why != NULL && strstr(why, "1020") != NULL);
	big[1020] = '\0';
	n = mk(buf, 1, EPMD_API_SET_FILTER, 4, args, 4, 0);
	CHECK_EQ(parse(buf, n), (int)n);
	CHECK_EQ(req.api.len[1], 1020);
}

/* A failed parse leaves the caller's struct alone. */
static void
t_untouched(void)
{
	size_t n = mk(buf, 1, EPMD_API_SET_FILTER, 4, set4, 3, 0);

	memset(&req, 0x5a, sizeof(req));
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK_EQ(req.code, 0x5a5a5a5a);
}

/* The encoder writes what the parser reads back, and the reply head. */
static void
t_encode(void)
{
	static struct epmd_api a;
	static struct epmd_req r2;
	uint8_t out[2 + DG_MAX_EPMD_REQ];
	int n, i;

	memset(&a, 0, sizeof(a));
	a.id = 99;
	a.op = EPMD_API_TEST_FILTER;
	a.nargs = 4;
	for (i = 0; i < 4; i++) {
		snprintf(a.arg[i], sizeof(a.arg[i]), "%s", set4[i]);
		a.len[i] = (uint16_t)strlen(set4[i]);
	}
	n = epmd_put_api_req(out, sizeof(out), &a);
	CHECK(n > 0);
	r2.code = 0;
	CHECK_EQ(epmd_parse(out, (size_t)n, &r2, &why), n);
	CHECK_EQ(r2.api.id, 99u);
	CHECK(memcmp(&r2.api, &a, sizeof(a)) == 0);
	CHECK_EQ(epmd_put_api_req(out, (size_t)n - 1, &a), -1);
	a.nargs = EPMD_API_MAX_ARGS + 1;
	CHECK_EQ(epmd_put_api_req(out, sizeof(out), &a), -1);

	n = epmd_put_api_resp_head(out, sizeof(out), 0xa1b2c3d4, 1, 70000);
	CHECK_EQ(n, EPMD_API_RESP_HEAD);
	CHECK(out[0] == 'a' && out[1] == 0xa1 && out[4] == 0xd4 && out[5] == 1);
	CHECK(out[6] == 0 && out[7] == 1 && out[8] == 0x11 && out[9] == 0x70);
	CHECK_EQ(epmd_put_api_resp_head(out, 9, 1, 0, 0), -1);
}

/* The arg counts the header documents. */
static void
t_nargs(void)
{
	CHECK_EQ(epmd_api_nargs(EPMD_API_SET_FILTER), 4);
	CHECK_EQ(epmd_api_nargs(EPMD_API_ADD_FILTER), 5);
	CHECK_EQ(epmd_api_nargs(EPMD_API_DEL_FILTER), 4);
	CHECK_EQ(epmd_api_nargs(EPMD_API_TEST_FILTER), 4);
	CHECK_EQ(epmd_api_nargs(EPMD_API_SET_HANDLER), 4);
	CHECK_EQ(epmd_api_nargs(EPMD_API_SET_DEFAULT), 4);
	CHECK_EQ(epmd_api_nargs(EPMD_API_STATS), 1);
	CHECK_EQ(epmd_api_nargs(EPMD_API_POLICY), 1);
	CHECK_EQ(epmd_api_nargs(0), -1);
	CHECK_EQ(epmd_api_nargs(9), -1);
	CHECK_EQ(epmd_api_nargs(1000), -1);
}

int
main(void)
{
	RUN(t_valid_ops);
	RUN(t_prefixes);
	RUN(t_empty_arg);
	RUN(t_bad_counts);
	RUN(t_bad_bytes);
	RUN(t_long_arg);
	RUN(t_untouched);
	RUN(t_encode);
	RUN(t_nargs);
	return TEST_DONE();
}
