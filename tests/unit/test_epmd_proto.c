/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_epmd_proto.c - the EPMD codec against the captured epmd session
 * (tests/vectors/captures/epmd_session) and hand-made hostile requests.
 * Every parser input sits at the end of a guard page.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dg_test.h"
#include "dg.h"
#include "epmd_proto.h"

static struct epmd_req req;	/* big: keep it off the stack */
static const char *why;

/* Parses a guard-page copy of buf[0..len). */
static int
parse(const void *buf, size_t len)
{
	why = NULL;
	return epmd_parse(guard_copy(buf, len), len, &req, &why);
}

/* Frames body[0..blen) with its u16 length into out; returns the size. */
static size_t
frame(uint8_t *out, const void *body, size_t blen)
{
	out[0] = (uint8_t)(blen >> 8);
	out[1] = (uint8_t)blen;
	memcpy(out + 2, body, blen);
	return blen + 2;
}

/*
 * Builds an ALIVE2_REQ by hand (not with the encoder under test) with
 * `trail` junk bytes after Extra.
 */
static size_t
mk_alive2(uint8_t *out, uint16_t port, uint8_t type, uint8_t proto,
    uint16_t hi, uint16_t lo, const void *name, size_t nlen, size_t elen,
    size_t trail)
{
	uint8_t *p = out + 2;
	size_t blen;

	*p++ = EPMD_ALIVE2_REQ;
	*p++ = (uint8_t)(port >> 8);
	*p++ = (uint8_t)port;
	*p++ = type;
	*p++ = proto;
	*p++ = (uint8_t)(hi >> 8);
	*p++ = (uint8_t)hi;
	*p++ = (uint8_t)(lo >> 8);
	*p++ = (uint8_t)lo;
	*p++ = (uint8_t)(nlen >> 8);
	*p++ = (uint8_t)nlen;
	memcpy(p, name, nlen);
	p += nlen;
	*p++ = (uint8_t)(elen >> 8);
	*p++ = (uint8_t)elen;
	memset(p, 'E', elen);
	p += elen;
	memset(p, 'T', trail);
	p += trail;
	blen = (size_t)(p - out) - 2;
	out[0] = (uint8_t)(blen >> 8);
	out[1] = (uint8_t)blen;
	return blen + 2;
}

static size_t
mk_simple_alive2(uint8_t *out, const void *name, size_t nlen)
{
	return mk_alive2(out, 5555, 'M', 0, 6, 5, name, nlen, 0, 0);
}

/* Loads captures/epmd_session/epmd<i>.<dir>.bin. */
static uint8_t *
session(int i, const char *dir, size_t *len)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "captures/epmd_session/epmd%d.%s.bin", i,
	    dir);
	return load_vector(rel, len);
}

static void
t_fixtures_parse(void)
{
	static const int codes[] = { EPMD_ALIVE2_REQ, EPMD_NAMES_REQ,
	    EPMD_ALIVE2_REQ, EPMD_PORT_PLEASE2_REQ, EPMD_KILL_REQ };
	uint8_t out[4096];
	size_t len;
	uint8_t *b;
	int i;

	for (i = 1; i <= 5; i++) {
		b = session(i, "a2b", &len);
		CHECK(b != NULL);
		if (b == NULL)
			continue;
		CHECK_EQ(parse(b, len), len);
		CHECK_EQ(req.code, codes[i - 1]);
		/* Canonical re-encoding is byte-identical. */
		CHECK_EQ(epmd_put_req(out, sizeof(out), &req), len);
		CHECK(memcmp(out, b, len) == 0);
		free(b);
	}

	b = session(1, "a2b", &len);
	CHECK(b != NULL && parse(b, len) == (int)len);
	CHECK_EQ(req.alive.port, 38155);
	CHECK_EQ(req.alive.node_type, 'M');
	CHECK_EQ(req.alive.protocol, 0);
	CHECK_EQ(req.alive.highest, 6);
	CHECK_EQ(req.alive.lowest, 5);
	CHECK_EQ(req.alive.name.len, 1);
	CHECK(strcmp(req.alive.name.s, "b") == 0);
	CHECK_EQ(req.alive.extra_len, 0);
	free(b);

	b = session(4, "a2b", &len);
	CHECK(b != NULL && parse(b, len) == (int)len);
	CHECK(strcmp(req.name.s, "b") == 0);
	free(b);
}

static void
t_fixtures_prefixes(void)
{
	size_t len, k;
	uint8_t *b;
	int i;

	for (i = 1; i <= 5; i++) {
		if ((b = session(i, "a2b", &len)) == NULL) {
			CHECK(0);
			continue;
		}
		for (k = 0; k < len; k++)
			CHECK_EQ(parse(b, k), DG_AGAIN);
		free(b);
	}
}

/* A growing receive buffer, one byte more per call, as a slow peer. */
static void
t_byte_at_a_time(void)
{
	uint8_t acc[4096];
	size_t len, k;
	uint8_t *b;
	int i, rc;

	for (i = 1; i <= 5; i++) {
		if ((b = session(i, "a2b", &len)) == NULL) {
			CHECK(0);
			continue;
		}
		for (k = 1; k <= len; k++) {
			acc[k - 1] = b[k - 1];
			rc = parse(acc, k);
			CHECK_EQ(rc, k < len ? DG_AGAIN : (int)len);
		}
		free(b);
	}
}

static void
t_trailing_bytes(void)
{
	uint8_t buf[8] = { 0, 1, EPMD_NAMES_REQ, 0xff, 0xff };

	/* The parser reports the request; the caller sees the surplus. */
	CHECK_EQ(parse(buf, 4), 3);
	CHECK_EQ(req.code, EPMD_NAMES_REQ);
}

static void
t_bad_lengths(void)
{
	uint8_t zero[2] = { 0, 0 }, big[2] = { 0x0b, 0xf2 };	/* 3058 */
	uint8_t max[2] = { 0x0b, 0xf1 }, huge[2] = { 0xff, 0xff };

	/* Refused from the two length bytes alone, no waiting. */
	CHECK_EQ(parse(zero, 2), DG_EINVAL);
	CHECK(why != NULL);
	CHECK_EQ(parse(big, 2), DG_EINVAL);
	CHECK_EQ(parse(huge, 2), DG_EINVAL);
	CHECK_EQ(parse(max, 2), DG_AGAIN);
	CHECK_EQ(parse(zero, 1), DG_AGAIN);
	CHECK_EQ(parse(zero, 0), DG_AGAIN);
}

static void
t_unknown_code(void)
{
	static const uint8_t codes[] = { 0, 1, 'a', 'o', 'y', 'v', 'w', 255 };
	uint8_t buf[4];
	size_t i;

	for (i = 0; i < sizeof(codes); i++) {
		buf[0] = 0;
		buf[1] = 2;
		buf[2] = codes[i];
		buf[3] = 'x';
		CHECK_EQ(parse(buf, 4), DG_EINVAL);
		CHECK(why != NULL && strcmp(why, "unknown request") == 0);
	}
}

static void
t_one_byte_requests(void)
{
	static const int codes[] = { EPMD_NAMES_REQ, EPMD_DUMP_REQ,
	    EPMD_KILL_REQ };
	uint8_t buf[4], out[8];
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(codes); i++) {
		buf[0] = 0;
		buf[1] = 1;
		buf[2] = (uint8_t)codes[i];
		CHECK_EQ(parse(buf, 3), 3);
		CHECK_EQ(req.code, codes[i]);
		CHECK_EQ(epmd_put_req(out, sizeof(out), &req), 3);
		CHECK(memcmp(out, buf, 3) == 0);
		buf[1] = 2;
		buf[3] = 0;
		CHECK_EQ(parse(buf, 4), DG_EINVAL);
	}
}

static void
t_alive2_fields(void)
{
	static uint8_t buf[4096];
	size_t n;

	/* Each accepted node type. */
	n = mk_alive2(buf, 1, 'H', 0, 6, 6, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), n);
	n = mk_alive2(buf, 65535, 'h', 0, 6, 6, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), n);
	CHECK_EQ(req.alive.port, 65535);
	CHECK_EQ(req.alive.node_type, 'h');

	n = mk_alive2(buf, 0, 'M', 0, 6, 5, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	n = mk_alive2(buf, 1, 'M', 1, 6, 5, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	n = mk_alive2(buf, 1, 'X', 0, 6, 5, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);

	/* Versions. */
	n = mk_alive2(buf, 1, 'M', 0, 5, 5, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), n);
	n = mk_alive2(buf, 1, 'M', 0, 7, 1, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), n);
	n = mk_alive2(buf, 1, 'M', 0, 5, 6, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(why != NULL && strcmp(why, "unsupported version range") == 0);
	n = mk_alive2(buf, 1, 'M', 0, 4, 1, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	n = mk_alive2(buf, 1, 'M', 0, 8, 7, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);

	/* Extra: up to 1020 bytes, kept verbatim; trailing bytes ignored. */
	n = mk_alive2(buf, 1, 'M', 0, 6, 5, "x", 1, 1020, 0);
	CHECK_EQ(parse(buf, n), n);
	CHECK_EQ(req.alive.extra_len, 1020);
	CHECK(req.alive.extra[0] == 'E' && req.alive.extra[1019] == 'E');
	n = mk_alive2(buf, 1, 'M', 0, 6, 5, "x", 1, 1021, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	n = mk_alive2(buf, 1, 'M', 0, 6, 5, "x", 1, 3, 7);
	CHECK_EQ(parse(buf, n), n);
	CHECK_EQ(req.alive.extra_len, 3);
}

static void
t_alive2_lengths(void)
{
	static uint8_t buf[4096];
	size_t n;

	/* Body of 13 bytes: one short of the minimum. */
	n = mk_alive2(buf, 1, 'M', 0, 6, 5, "x", 1, 0, 0);
	buf[1] = 13;
	CHECK_EQ(parse(buf, n - 1), DG_EINVAL);
	/* Nlen pointing past the body. */
	n = mk_alive2(buf, 1, 'M', 0, 6, 5, "abc", 3, 0, 0);
	buf[2 + 10] = 5;
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	/* Nlen eating Elen. */
	buf[2 + 10] = 4;
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	buf[2 + 10] = 0xff;
	buf[2 + 9] = 0xff;
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	/* Elen pointing past the body. */
	n = mk_alive2(buf, 1, 'M', 0, 6, 5, "abc", 3, 2, 0);
	buf[n - 3] = 3;
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	buf[n - 4] = 0xff;
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	/* Empty name. */
	n = mk_alive2(buf, 1, 'M', 0, 6, 5, "", 0, 1, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
}

/* Names, in all three requests that carry one. */
static const struct {
	const char	*bytes;
	size_t		 len;
	int		 ok;
} names[] = {
	{ "b", 1, 1 },
	{ "caf\xc3\xa9", 5, 1 },			/* e-acute */
	{ "\xf0\x9f\x98\x80", 4, 1 },			/* U+1F600 */
	{ "\xef\xbf\xbf", 3, 1 },			/* U+FFFF */
	{ "a\0b", 3, 0 },				/* NUL */
	{ "\0", 1, 0 },
	{ "\xc0\x80", 2, 0 },				/* overlong NUL */
	{ "\xc1\xbf", 2, 0 },				/* overlong */
	{ "\xe0\x80\xaf", 3, 0 },			/* overlong '/' */
	{ "\xf0\x80\x80\xaf", 4, 0 },			/* overlong '/' */
	{ "\xed\xa0\x80", 3, 0 },			/* surrogate D800 */
	{ "\xed\xbf\xbf", 3, 0 },			/* surrogate DFFF */
	{ "a\x80", 2, 0 },				/* stray continuation */
	{ "\xbf", 1, 0 },
	{ "\xc3", 1, 0 },				/* truncated */
	{ "\xe2\x82", 2, 0 },
	{ "\xf4\x90\x80\x80", 4, 0 },			/* > U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xff", 1, 0 },
};

static void
t_names_utf8(void)
{
	static uint8_t buf[4096], body[2048];
	size_t i, n;
	int rc;

	for (i = 0; i < DG_ARRAY_LEN(names); i++) {
		n = mk_simple_alive2(buf, names[i].bytes, names[i].len);
		rc = parse(buf, n);
		CHECK_EQ(rc, names[i].ok ? (int)n : DG_EINVAL);
		if (names[i].ok)
			CHECK(req.alive.name.len == names[i].len &&
			    memcmp(req.alive.name.s, names[i].bytes,
			    names[i].len) == 0);

		body[0] = EPMD_PORT_PLEASE2_REQ;
		memcpy(body + 1, names[i].bytes, names[i].len);
		n = frame(buf, body, names[i].len + 1);
		rc = parse(buf, n);
		/* "\0" alone is the dropped trailing NUL: empty name. */
		CHECK_EQ(rc, names[i].ok ? (int)n : DG_EINVAL);

		body[0] = EPMD_STOP_REQ;
		n = frame(buf, body, names[i].len + 1);
		rc = parse(buf, n);
		CHECK_EQ(rc, names[i].ok ? (int)n : DG_EINVAL);
		if (names[i].ok)
			CHECK(req.code == EPMD_STOP_REQ &&
			    req.name.len == names[i].len);
	}
}

static void
t_names_length(void)
{
	static uint8_t buf[4096], name[1100];
	size_t n, i;

	memset(name, 'a', sizeof(name));
	n = mk_simple_alive2(buf, name, 255);
	CHECK_EQ(parse(buf, n), n);
	CHECK_EQ(req.alive.name.len, 255);
	n = mk_simple_alive2(buf, name, 256);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	n = epmd_put_port_please2_req(buf, sizeof(buf), (char *)name, 255);
	CHECK_EQ(parse(buf, n), n);
	n = epmd_put_port_please2_req(buf, sizeof(buf), (char *)name, 256);
	CHECK_EQ(parse(buf, n), DG_EINVAL);

	/* 255 four-byte characters = 1020 bytes: the byte limit exactly. */
	for (i = 0; i < 255; i++)
		memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
	n = mk_simple_alive2(buf, name, 1020);
	CHECK_EQ(parse(buf, n), n);
	CHECK_EQ(req.alive.name.len, 1020);
	memcpy(name + 1020, "a", 1);
	n = mk_simple_alive2(buf, name, 1021);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	/* 256 two-byte characters: 512 bytes, too many characters. */
	for (i = 0; i < 256; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	n = mk_simple_alive2(buf, name, 510);
	CHECK_EQ(parse(buf, n), n);
	n = mk_simple_alive2(buf, name, 512);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
}

static void
t_port_please_nul(void)
{
	uint8_t buf[16];

	memcpy(buf, "\0\3zb\0", 5);
	CHECK_EQ(parse(buf, 5), 5);
	CHECK(req.name.len == 1 && strcmp(req.name.s, "b") == 0);
	memcpy(buf, "\0\4zb\0\0", 6);		/* only one NUL is dropped */
	CHECK_EQ(parse(buf, 6), DG_EINVAL);
	memcpy(buf, "\0\1z", 3);		/* no name */
	CHECK_EQ(parse(buf, 3), DG_EINVAL);
	memcpy(buf, "\0\2z\0", 4);
	CHECK_EQ(parse(buf, 4), DG_EINVAL);
	memcpy(buf, "\0\1s", 3);		/* STOP without a name */
	CHECK_EQ(parse(buf, 3), DG_EINVAL);
	memcpy(buf, "\0\3sb\0", 5);		/* STOP keeps no NUL */
	CHECK_EQ(parse(buf, 5), DG_EINVAL);
}

static void
t_untouched_on_failure(void)
{
	static struct epmd_req before;
	static uint8_t buf[4096];
	const char *w0 = "unset";
	size_t n;
	int rc;

	memset(&req, 0xa5, sizeof(req));
	before = req;
	n = mk_alive2(buf, 1, 'M', 0, 6, 5, "x\xff", 2, 0, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(memcmp(&req, &before, sizeof(req)) == 0);
	CHECK_EQ(parse(buf, n - 1), DG_AGAIN);
	CHECK(memcmp(&req, &before, sizeof(req)) == 0);
	n = mk_alive2(buf, 1, 'M', 0, 2, 1, "x", 1, 0, 0);
	CHECK_EQ(parse(buf, n), DG_EINVAL);
	CHECK(memcmp(&req, &before, sizeof(req)) == 0);
	/* why is only written on DG_EINVAL. */
	rc = epmd_parse(guard_copy(buf, 1), 1, &req, &w0);
	CHECK_EQ(rc, DG_AGAIN);
	CHECK(strcmp(w0, "unset") == 0);
}

static void
t_put_alive2_resp(void)
{
	uint8_t out[16], *b;
	size_t len, cap;

	/* Captured replies to highest = 6 requests. */
	if ((b = session(1, "b2a", &len)) != NULL) {
		CHECK_EQ(epmd_put_alive2_resp(out, sizeof(out), 6, 0,
		    0x6b08fa2f), len);
		CHECK(memcmp(out, b, len) == 0);
		free(b);
	} else
		CHECK(0);
	CHECK_EQ(epmd_put_alive2_resp(out, sizeof(out), 6, 1, 99), 6);
	CHECK(memcmp(out, "\x76\x01\x00\x00\x00\x63", 6) == 0);
	CHECK_EQ(epmd_put_alive2_resp(out, sizeof(out), 5, 0, 2), 4);
	CHECK(memcmp(out, "\x79\x00\x00\x02", 4) == 0);
	CHECK_EQ(epmd_put_alive2_resp(out, sizeof(out), 5, 0, 70000), -1);
	for (cap = 0; cap < 6; cap++)
		CHECK_EQ(epmd_put_alive2_resp(out, cap, 6, 0, 7), -1);
	for (cap = 0; cap < 4; cap++)
		CHECK_EQ(epmd_put_alive2_resp(out, cap, 5, 0, 3), -1);

	CHECK_EQ(epmd_creation_for(6, 0x6b08fa2f), 0x6b08fa2f);
	CHECK_EQ(epmd_creation_for(7, 4), 4);
	CHECK_EQ(epmd_creation_for(5, 4), 2);
	CHECK_EQ(epmd_creation_for(5, 5), 3);
	CHECK_EQ(epmd_creation_for(5, 6), 1);
	CHECK_EQ(epmd_creation_for(5, 0xffffffffu), 0xffffffffu % 3 + 1);
}

static void
t_put_port2(void)
{
	static struct epmd_alive2 node;
	static uint8_t out[EPMD_MAX_PORT2_RESP];
	uint8_t *q, *b;
	size_t ql, len, cap;
	int n;

	/* epmd4: PORT_PLEASE2 "b" answered from epmd1's registration. */
	q = session(1, "a2b", &ql);
	b = session(4, "b2a", &len);
	CHECK(q != NULL && b != NULL);
	if (q == NULL || b == NULL)
		return;
	CHECK_EQ(parse(q, ql), ql);
	node = req.alive;
	CHECK_EQ(epmd_put_port2_ok(out, sizeof(out), &node, 38155), len);
	CHECK(memcmp(out, b, len) == 0);
	/* Same, but with the filter's port and an extra echoed. */
	node.extra_len = 3;
	memcpy(node.extra, "xyz", 3);
	n = epmd_put_port2_ok(out, sizeof(out), &node, 0x1234);
	CHECK_EQ(n, len + 3);
	CHECK(out[2] == 0x12 && out[3] == 0x34);
	CHECK(memcmp(out + 4, b + 4, len - 6) == 0);
	CHECK(memcmp(out + len - 2, "\0\3xyz", 5) == 0);
	for (cap = 0; cap < (size_t)n; cap++)
		CHECK_EQ(epmd_put_port2_ok(out, cap, &node, 1), -1);
	free(q);
	free(b);

	CHECK_EQ(epmd_put_port2_error(out, sizeof(out)), 2);
	CHECK(out[0] == 119 && out[1] == 1);
	CHECK_EQ(epmd_put_port2_error(out, 1), -1);
}

static void
t_put_names(void)
{
	static struct dg_name nm;
	uint8_t out[64], *b;
	size_t len, cap;
	int n, m;

	if ((b = session(2, "b2a", &len)) == NULL) {
		CHECK(0);
		return;
	}
	nm.len = 1;
	strcpy(nm.s, "b");
	n = epmd_put_names_header(out, sizeof(out), 0xcf75);
	CHECK_EQ(n, 4);
	m = epmd_put_names_line(out + 4, sizeof(out) - 4, &nm, 38155);
	CHECK_EQ(n + m, len);
	CHECK(memcmp(out, b, len) == 0);
	free(b);

	nm.len = 5;
	strcpy(nm.s, "probe");
	CHECK_EQ(epmd_put_names_line(out, sizeof(out), &nm, 0), 21);
	CHECK(memcmp(out, "name probe at port 0\n", 21) == 0);
	CHECK_EQ(epmd_put_names_line(out, sizeof(out), &nm, 65535), 25);
	CHECK(memcmp(out, "name probe at port 65535\n", 25) == 0);
	for (cap = 0; cap < 25; cap++)
		CHECK_EQ(epmd_put_names_line(out, cap, &nm, 65535), -1);
	for (cap = 0; cap < 4; cap++)
		CHECK_EQ(epmd_put_names_header(out, cap, 4369), -1);
}

static void
t_put_requests(void)
{
	static struct epmd_alive2 a;
	static struct epmd_req r2;
	static uint8_t out[4096];
	int n;
	size_t cap;

	memset(&a, 0, sizeof(a));
	a.port = 4370;
	a.node_type = 'h';
	a.highest = a.lowest = 6;
	a.name.len = 4;
	strcpy(a.name.s, "node");
	a.extra_len = 2;
	memcpy(a.extra, "\1\2", 2);
	n = epmd_put_alive2_req(out, sizeof(out), &a);
	CHECK_EQ(n, 2 + 13 + 4 + 2);
	CHECK_EQ(parse(out, (size_t)n), n);
	CHECK(req.alive.port == a.port && req.alive.node_type == a.node_type &&
	    req.alive.protocol == a.protocol &&
	    req.alive.highest == a.highest && req.alive.lowest == a.lowest);
	CHECK(req.alive.name.len == a.name.len &&
	    strcmp(req.alive.name.s, a.name.s) == 0);
	CHECK(req.alive.extra_len == a.extra_len &&
	    memcmp(req.alive.extra, a.extra, a.extra_len) == 0);
	for (cap = 0; cap < (size_t)n; cap++)
		CHECK_EQ(epmd_put_alive2_req(out, cap, &a), -1);

	n = epmd_put_port_please2_req(out, sizeof(out), "node", 4);
	CHECK_EQ(n, 7);
	CHECK(memcmp(out, "\0\5znode", 7) == 0);
	CHECK_EQ(epmd_put_port_please2_req(out, 6, "node", 4), -1);

	memset(&r2, 0, sizeof(r2));
	r2.code = EPMD_STOP_REQ;
	r2.name.len = 1;
	strcpy(r2.name.s, "b");
	CHECK_EQ(epmd_put_req(out, sizeof(out), &r2), 4);
	CHECK(memcmp(out, "\0\2sb", 4) == 0);
	r2.code = 42;
	CHECK_EQ(epmd_put_req(out, sizeof(out), &r2), -1);
}

/* Frames 'E' + text as an EGRESS_REQ and parses it. */
static int
parse_egress(const char *text, size_t n)
{
	uint8_t body[1200], buf[1300];

	body[0] = EPMD_EGRESS_REQ;
	memcpy(body + 1, text, n);
	return parse(buf, frame(buf, body, n + 1));
}

static void
t_egress_req(void)
{
	static char big[600];
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "nohost", "EGRESS_REQ node name without '@'" },
		{ "@host", "EGRESS_REQ alive part not 1..255 bytes" },
		{ "r@", "EGRESS_REQ host part not 1..255 bytes" },
		{ "r@a@b", "EGRESS_REQ node name with two '@'" },
		{ "r@ho\nst", "EGRESS_REQ control byte in the node name" },
		{ "r@ho\x7fst", "EGRESS_REQ control byte in the node name" },
		{ "r\xff@host", "node name not valid UTF-8" },
		{ "", "EGRESS_REQ node name without '@'" },
	};
	size_t i, n;

	CHECK_EQ(parse_egress("r@127.0.0.9", 11), 2 + 1 + 11);
	CHECK_EQ(req.code, EPMD_EGRESS_REQ);
	CHECK(req.name.len == 11 && strcmp(req.name.s, "r@127.0.0.9") == 0);
	/* A NUL is a byte of the name like any control byte: refused. */
	CHECK_EQ(parse_egress("r@h\0", 4), DG_EINVAL);
	for (i = 0; i < DG_ARRAY_LEN(bad); i++) {
		CHECK_EQ(parse_egress(bad[i].text, strlen(bad[i].text)),
		    DG_EINVAL);
		CHECK(why != NULL && strcmp(why, bad[i].why) == 0);
	}
	/* Bounds: the whole name is an atom (255 characters at most), and
	 * neither part may pass 255 bytes. */
	memset(big, 'a', sizeof(big));
	big[253] = '@';
	big[254] = 'h';
	CHECK_EQ(parse_egress(big, 255), 2 + 1 + 255);
	CHECK_EQ(parse_egress(big, 256), DG_EINVAL);
	CHECK(strcmp(why, "node name over 255 characters") == 0);
	big[253] = big[254] = big[255] = 'a';
	big[256] = '@';
	big[257] = 'h';
	CHECK_EQ(parse_egress(big, 258), DG_EINVAL);
	CHECK(strcmp(why, "EGRESS_REQ alive part not 1..255 bytes") == 0);
	memset(big, 'h', sizeof(big));
	big[0] = 'r';
	big[1] = '@';
	CHECK_EQ(parse_egress(big, 2 + 255), DG_EINVAL);	/* 257 chars */
	CHECK_EQ(parse_egress(big, 2 + 256), DG_EINVAL);
	CHECK(strcmp(why, "EGRESS_REQ host part not 1..255 bytes") == 0);
	/* Every strict prefix is incomplete. */
	n = epmd_put_egress_req((uint8_t *)big, sizeof(big), "r@host", 6);
	CHECK_EQ(n, 9);
	CHECK(memcmp(big, "\0\7Er@host", 9) == 0);
	for (i = 0; i < n; i++)
		CHECK_EQ(parse(big, i), DG_AGAIN);
	CHECK_EQ(parse(big, n), (int)n);
	CHECK_EQ(epmd_put_egress_req((uint8_t *)big, 8, "r@host", 6), -1);
	CHECK_EQ(epmd_put_req((uint8_t *)big, sizeof(big), &req), 9);
	CHECK(memcmp(big, "\0\7Er@host", 9) == 0);
}

static void
t_egress_resp(void)
{
	uint8_t out[8];
	size_t cap;

	CHECK_EQ(epmd_put_egress_resp(out, sizeof(out), EPMD_EGRESS_OK, 0x1234,
	    6), EPMD_EGRESS_RESP_LEN);
	CHECK(memcmp(out, "e\0\x12\x34\0\6", 6) == 0);
	CHECK_EQ(epmd_put_egress_resp(out, sizeof(out),
	    EPMD_EGRESS_UNAVAILABLE, 0, 0), 6);
	CHECK(memcmp(out, "e\1\0\0\0\0", 6) == 0);
	for (cap = 0; cap < 6; cap++)
		CHECK_EQ(epmd_put_egress_resp(out, cap, 0, 1, 6), -1);
}

static void
t_unmark(void)
{
	static struct epmd_alive2 a;

	memset(&a, 0, sizeof(a));
	memcpy(a.extra, "distguard1\1\2", 12);
	a.extra_len = 12;
	CHECK_EQ(epmd_alive2_unmark(&a), 1);
	CHECK(a.extra_len == 2 && memcmp(a.extra, "\1\2", 2) == 0);
	/* Taken once: what is left is the node's own. */
	CHECK_EQ(epmd_alive2_unmark(&a), 0);
	CHECK_EQ(a.extra_len, 2);
	memcpy(a.extra, "distguard1", 10);
	a.extra_len = 10;
	CHECK_EQ(epmd_alive2_unmark(&a), 1);
	CHECK_EQ(a.extra_len, 0);
	memcpy(a.extra, "distguard", 9);
	a.extra_len = 9;
	CHECK_EQ(epmd_alive2_unmark(&a), 0);
	CHECK_EQ(a.extra_len, 9);
	memcpy(a.extra, "xdistguard1", 11);
	a.extra_len = 11;
	CHECK_EQ(epmd_alive2_unmark(&a), 0);
	/* Stock nodes send an empty Extra. */
	a.extra_len = 0;
	CHECK_EQ(epmd_alive2_unmark(&a), 0);
}

int
main(void)
{
	RUN(t_fixtures_parse);
	RUN(t_fixtures_prefixes);
	RUN(t_byte_at_a_time);
	RUN(t_trailing_bytes);
	RUN(t_bad_lengths);
	RUN(t_unknown_code);
	RUN(t_one_byte_requests);
	RUN(t_alive2_fields);
	RUN(t_alive2_lengths);
	RUN(t_names_utf8);
	RUN(t_names_length);
	RUN(t_port_please_nul);
	RUN(t_untouched_on_failure);
	RUN(t_put_alive2_resp);
	RUN(t_put_port2);
	RUN(t_put_names);
	RUN(t_put_requests);
	RUN(t_egress_req);
	RUN(t_egress_resp);
	RUN(t_unmark);
	return TEST_DONE();
}
