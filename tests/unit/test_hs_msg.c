/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hs_msg.c - the handshake codec and digests against every captured
 * handshake (tests/vectors/captures/ * and flagstrip/ *, both directions)
 * and hand-made hostile messages.  Every parser input sits at the end of a
 * guard page.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dg_test.h"
#include "dg.h"
#include "hs_crypto.h"
#include "hs_msg.h"

#define COOKIE		"fxcookie"
#define COOKIE_LEN	8

static const char *why;

/* Frames a guard-page copy of buf[0..len); body points into the copy. */
static int
frame(const void *buf, size_t len, const uint8_t **body, size_t *blen)
{
	why = NULL;
	return hs_frame(guard_copy(buf, len), len, body, blen, &why);
}

/* Runs parser P on a guard-page copy of body[0..blen). */
#define PARSE(p, b, n, out)	(why = NULL, p(guard_copy((b), (n)), (n), (out), &why))

/* What a capture directory's handshake holds, as parsed. */
struct hs_capture {
	char			dir[300];
	int			has_reply, has_ack, has_challenge;
	struct hs_name_msg	name;
	struct hs_status	status;
	struct hs_challenge	chal;
	struct hs_reply		reply;
	struct hs_ack		ack;
};

static struct hs_capture caps[64];
static size_t ncaps;
static int nmessages;

/*
 * Splits the leading handshake messages off one direction of a capture:
 * parses each with the parser for its position, re-encodes it and checks
 * the bytes are identical.  Stops after 'r' or 'a' (framing changes).
 */
static void
walk(struct hs_capture *c, const uint8_t *data, size_t len, int a2b)
{
	uint8_t out[DG_MAX_HS_MSG + 2];
	const uint8_t *body, *pb;
	size_t off = 0, blen, k, pl;
	int rc, n, step;

	for (step = 0; off < len; step++) {
		rc = frame(data + off, len - off, &body, &blen);
		CHECK(rc > 0);
		if (rc <= 0)
			return;
		/* Every strict prefix of the framed message is "not yet". */
		for (k = 0; k < (size_t)rc; k++)
			CHECK_EQ(frame(data + off, k, &pb, &pl), DG_AGAIN);
		n = -2;
		if (a2b && step == 0) {
			CHECK_EQ(PARSE(hs_parse_send_name, body, blen,
			    &c->name), 0);
			CHECK_EQ(c->name.old, 0);
			CHECK_EQ(c->name.version, 6);
			n = hs_put_send_name(out, sizeof(out), c->name.flags,
			    c->name.creation, c->name.name.s,
			    c->name.name.len);
		} else if (a2b && step == 1) {
			CHECK_EQ(PARSE(hs_parse_reply, body, blen,
			    &c->reply), 0);
			c->has_reply = 1;
			n = hs_put_reply(out, sizeof(out), c->reply.challenge,
			    c->reply.digest);
		} else if (!a2b && step == 0) {
			CHECK_EQ(PARSE(hs_parse_status, body, blen,
			    &c->status), 0);
			CHECK_EQ(c->status.named, 0);
			n = hs_put_status(out, sizeof(out), c->status.text);
		} else if (!a2b && step == 1) {
			CHECK_EQ(PARSE(hs_parse_challenge, body, blen,
			    &c->chal), 0);
			CHECK_EQ(c->chal.old, 0);
			c->has_challenge = 1;
			n = hs_put_challenge(out, sizeof(out), c->chal.flags,
			    c->chal.challenge, c->chal.creation,
			    c->chal.name.s, c->chal.name.len);
		} else if (!a2b && step == 2) {
			CHECK_EQ(PARSE(hs_parse_ack, body, blen, &c->ack), 0);
			c->has_ack = 1;
			n = hs_put_ack(out, sizeof(out), c->ack.digest);
		}
		CHECK_EQ(n, rc);
		CHECK(n == rc && memcmp(out, data + off, (size_t)rc) == 0);
		nmessages++;
		off += (size_t)rc;
		if ((a2b && step == 1) || (!a2b && step == 2))
			break;
	}
}

static void
load_dir(const char *top)
{
	char rel[700], base[300];
	struct hs_capture *c;
	struct dirent *de;
	uint8_t *a, *b;
	size_t alen, blen;
	DIR *d;

	snprintf(base, sizeof(base), "%s/%s",
	    getenv("DG_VECTORS") ? getenv("DG_VECTORS") : "tests/vectors", top);
	if ((d = opendir(base)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && ncaps < DG_ARRAY_LEN(caps)) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/%s/dist1.a2b.bin", top,
		    de->d_name);
		a = load_vector(rel, &alen);
		snprintf(rel, sizeof(rel), "%s/%s/dist1.b2a.bin", top,
		    de->d_name);
		b = load_vector(rel, &blen);
		if (a != NULL && b != NULL) {
			c = &caps[ncaps++];
			memset(c, 0, sizeof(*c));
			snprintf(c->dir, sizeof(c->dir), "%s/%s", top,
			    de->d_name);
			walk(c, a, alen, 1);
			walk(c, b, blen, 0);
		}
		free(a);
		free(b);
	}
	closedir(d);
}

static void
t_captures_roundtrip(void)
{
	size_t i;
	int full = 0;

	load_dir("captures");
	load_dir("flagstrip");
	/* 18 dist captures + 8 flag-stripping relays. */
	CHECK(ncaps >= 26);
	CHECK(nmessages >= 26 * 4);
	for (i = 0; i < ncaps; i++) {
		CHECK(strcmp(caps[i].name.name.s, "a@localhost") == 0);
		if (caps[i].has_challenge)
			CHECK(strcmp(caps[i].chal.name.s, "b@localhost") == 0);
		full += caps[i].has_ack;
	}
	CHECK(full >= 24);
}

static void
t_capture_digests(void)
{
	const struct hs_capture *c;
	size_t i;
	int checked = 0, wrong = 0;

	for (i = 0; i < ncaps; i++) {
		c = &caps[i];
		if (!c->has_reply || !c->has_challenge)
			continue;
		if (strstr(c->dir, "wrong_cookie") != NULL) {
			/* a used another cookie: b's check fails. */
			CHECK(!hs_digest_ok((const uint8_t *)COOKIE,
			    COOKIE_LEN, c->chal.challenge, c->reply.digest));
			CHECK(!c->has_ack);
			wrong++;
			continue;
		}
		/* a's reply is over b's challenge, b's ack over a's. */
		CHECK(hs_digest_ok((const uint8_t *)COOKIE, COOKIE_LEN,
		    c->chal.challenge, c->reply.digest));
		CHECK(c->has_ack);
		CHECK(hs_digest_ok((const uint8_t *)COOKIE, COOKIE_LEN,
		    c->reply.challenge, c->ack.digest));
		/* Wrong cookie, wrong challenge, crossed digests. */
		CHECK(!hs_digest_ok((const uint8_t *)"fxcookiE", COOKIE_LEN,
		    c->chal.challenge, c->reply.digest));
		CHECK(!hs_digest_ok((const uint8_t *)COOKIE, COOKIE_LEN - 1,
		    c->chal.challenge, c->reply.digest));
		CHECK(!hs_digest_ok((const uint8_t *)COOKIE, COOKIE_LEN,
		    c->chal.challenge + 1, c->reply.digest));
		CHECK(!hs_digest_ok((const uint8_t *)COOKIE, COOKIE_LEN,
		    c->reply.challenge, c->reply.digest));
		checked++;
	}
	CHECK(checked >= 20);
	CHECK_EQ(wrong, 1);
}

static void
t_digest_vectors(void)
{
	static const uint8_t d1[16] = { 0x36, 0x49, 0x21, 0xd8, 0x6d, 0xb2,
	    0xd5, 0xc2, 0xad, 0x3b, 0xf4, 0x15, 0x39, 0x7f, 0x42, 0x92 };
	static const uint8_t d2[16] = { 0x44, 0xa9, 0xbe, 0x4a, 0xfc, 0x5f,
	    0xb7, 0xc6, 0xdf, 0xa4, 0xc9, 0xc8, 0x08, 0x12, 0x03, 0x29 };
	/* MD5("0") and MD5("4294967295"): no padding, unsigned. */
	static const uint8_t d0[16] = { 0xcf, 0xcd, 0x20, 0x84, 0x95, 0xd5,
	    0x65, 0xef, 0x66, 0xe7, 0xdf, 0xf9, 0xf9, 0x87, 0x64, 0xda };
	uint8_t out[16], big[16];

	hs_digest((const uint8_t *)COOKIE, COOKIE_LEN, 374202741u, out);
	CHECK(memcmp(out, d1, 16) == 0);
	hs_digest((const uint8_t *)COOKIE, COOKIE_LEN, 788078529u, out);
	CHECK(memcmp(out, d2, 16) == 0);
	CHECK(hs_digest_ok((const uint8_t *)COOKIE, COOKIE_LEN, 374202741u,
	    d1));
	CHECK(!hs_digest_ok((const uint8_t *)COOKIE, COOKIE_LEN, 374202741u,
	    d2));
	hs_digest((const uint8_t *)"", 0, 0, out);
	CHECK(memcmp(out, d0, 16) == 0);
	/* "4294967295" and the 8 + 10 byte cookie||challenge split agree. */
	hs_digest((const uint8_t *)"", 0, 4294967295u, big);
	hs_digest((const uint8_t *)"429496", 6, 7295, out);
	CHECK(memcmp(out, big, 16) == 0);
}

static void
t_new_challenge(void)
{
	uint32_t c[8];
	size_t i, same = 0;

	CHECK_EQ(hs_crypto_init(), 0);
	CHECK_EQ(hs_crypto_init(), 0);
	for (i = 0; i < DG_ARRAY_LEN(c); i++)
		c[i] = hs_new_challenge();
	for (i = 1; i < DG_ARRAY_LEN(c); i++)
		same += c[i] == c[0];
	CHECK(same < DG_ARRAY_LEN(c) - 1);
}

static void
t_frame_prefixes(void)
{
	uint8_t buf[64], acc[64];
	const uint8_t *body;
	size_t blen, k, n;
	int rc;

	n = (size_t)hs_put_challenge(buf, sizeof(buf), 0xd07df7fbdULL, 1, 2,
	    "b@localhost", 11);
	CHECK_EQ(n, 32);
	for (k = 0; k < n; k++)
		CHECK_EQ(frame(buf, k, &body, &blen), DG_AGAIN);
	/* A slow peer: the buffer grows one byte per read. */
	for (k = 1; k <= n; k++) {
		acc[k - 1] = buf[k - 1];
		rc = frame(acc, k, &body, &blen);
		CHECK_EQ(rc, k < n ? DG_AGAIN : (int)n);
	}
	CHECK_EQ(blen, 30);
	CHECK(body[0] == 'N');
	/* Bytes after the message are left for the next call. */
	buf[n] = 0;
	CHECK_EQ(frame(buf, n + 1, &body, &blen), n);
}

static void
t_frame_lengths(void)
{
	uint8_t zero[2] = { 0, 0 }, over[2] = { 0x08, 0x01 };	/* 2049 */
	uint8_t max[2] = { 0x08, 0x00 }, huge[2] = { 0xff, 0xff };
	const uint8_t *body = NULL;
	size_t blen = 77;

	CHECK_EQ(frame(zero, 2, &body, &blen), DG_EINVAL);
	CHECK(why != NULL);
	CHECK_EQ(frame(over, 2, &body, &blen), DG_EINVAL);
	CHECK_EQ(frame(huge, 2, &body, &blen), DG_EINVAL);
	CHECK_EQ(frame(max, 2, &body, &blen), DG_AGAIN);
	CHECK(body == NULL && blen == 77);
}

static void
t_old_send_name(void)
{
	static const uint8_t m[] = "n\0\5\x07\xdf\x7f\xbd" "a@localhost";
	struct hs_name_msg n;
	struct hs_complement cm;
	uint8_t out[64];
	size_t len = sizeof(m) - 1;

	CHECK_EQ(PARSE(hs_parse_send_name, m, len, &n), 0);
	CHECK_EQ(n.old, 1);
	CHECK_EQ(n.version, 5);
	CHECK_EQ(n.flags, 0x07df7fbdULL);
	CHECK_EQ(n.creation, 0);
	CHECK(n.name.len == 11 && strcmp(n.name.s, "a@localhost") == 0);
	CHECK_EQ(hs_put_send_name_old(out, sizeof(out), n.version,
	    (uint32_t)n.flags, n.name.s, n.name.len), len + 2);
	CHECK(out[0] == 0 && out[1] == len && memcmp(out + 2, m, len) == 0);
	/* Fixed part only: no name. */
	CHECK_EQ(PARSE(hs_parse_send_name, m, 7, &n), DG_EINVAL);
	CHECK_EQ(PARSE(hs_parse_send_name, m, 6, &n), DG_EINVAL);

	/* The complement that follows it: exactly 9 bytes. */
	CHECK_EQ(hs_put_complement(out, sizeof(out), 0xf, 0x1aa165dc), 11);
	CHECK(memcmp(out, "\0\x09" "c\0\0\0\x0f\x1a\xa1\x65\xdc", 11) == 0);
	CHECK_EQ(PARSE(hs_parse_complement, out + 2, 9, &cm), 0);
	CHECK_EQ(cm.flags_high, 0xf);
	CHECK_EQ(cm.creation, 0x1aa165dc);
}

static void
t_old_challenge(void)
{
	static const uint8_t m[] =
	    "n\0\5\x07\xdf\x7f\xbd\x16\x4d\xe1\x75" "b@localhost";
	struct hs_challenge c;
	uint8_t out[64];
	size_t len = sizeof(m) - 1;

	CHECK_EQ(PARSE(hs_parse_challenge, m, len, &c), 0);
	CHECK_EQ(c.old, 1);
	CHECK_EQ(c.flags, 0x07df7fbd);
	CHECK_EQ(c.challenge, 374202741u);
	CHECK_EQ(c.creation, 0);
	CHECK(strcmp(c.name.s, "b@localhost") == 0);
	CHECK_EQ(hs_put_challenge_old(out, sizeof(out), (uint32_t)c.flags,
	    c.challenge, c.name.s, c.name.len), len + 2);
	CHECK(memcmp(out + 2, m, len) == 0);
	CHECK_EQ(PARSE(hs_parse_challenge, m, 11, &c), DG_EINVAL);
	CHECK_EQ(PARSE(hs_parse_challenge, m, 10, &c), DG_EINVAL);
}

static void
t_send_name_lengths(void)
{
	uint8_t buf[64], tail[80];
	struct hs_name_msg n;
	struct hs_challenge c;
	int len;

	len = hs_put_send_name(buf, sizeof(buf), 0xd07df7fbdULL, 7,
	    "a@localhost", 11);
	CHECK_EQ(len, 28);
	/* Name shorter than Nlen: every cut of the name. */
	for (size_t k = 0; k < 26; k++)
		CHECK_EQ(PARSE(hs_parse_send_name, buf + 2, k, &n), DG_EINVAL);
	CHECK_EQ(PARSE(hs_parse_send_name, buf + 2, 26, &n), 0);
	/* Bytes after the name are ignored. */
	memcpy(tail, buf + 2, 26);
	memcpy(tail + 26, "junk", 4);
	CHECK_EQ(PARSE(hs_parse_send_name, tail, 30, &n), 0);
	CHECK(n.name.len == 11 && n.creation == 7);
	/* Nlen 0. */
	tail[13] = tail[14] = 0;
	CHECK_EQ(PARSE(hs_parse_send_name, tail, 30, &n), DG_EINVAL);

	len = hs_put_challenge(buf, sizeof(buf), 1, 2, 3, "b@h", 3);
	CHECK_EQ(len, 24);
	for (size_t k = 0; k < 22; k++)
		CHECK_EQ(PARSE(hs_parse_challenge, buf + 2, k, &c), DG_EINVAL);
	memcpy(tail, buf + 2, 22);
	memcpy(tail + 22, "\0\0\0", 3);
	CHECK_EQ(PARSE(hs_parse_challenge, tail, 25, &c), 0);
	CHECK(c.flags == 1 && c.challenge == 2 && c.creation == 3);
	/* Wrong tags. */
	tail[0] = 'x';
	CHECK_EQ(PARSE(hs_parse_challenge, tail, 25, &c), DG_EINVAL);
	CHECK_EQ(PARSE(hs_parse_send_name, tail, 25, &n), DG_EINVAL);
}

static void
t_exact_sizes(void)
{
	uint8_t b[32], d[16];
	struct hs_reply r;
	struct hs_ack a;
	struct hs_complement c;
	size_t k;

	memset(d, 0x5a, sizeof(d));
	memset(b, 0, sizeof(b));
	b[0] = 'r';
	for (k = 0; k < 32; k++)
		CHECK_EQ(PARSE(hs_parse_reply, b, k, &r),
		    k == 21 ? 0 : DG_EINVAL);
	b[0] = 'a';
	for (k = 0; k < 32; k++)
		CHECK_EQ(PARSE(hs_parse_ack, b, k, &a),
		    k == 17 ? 0 : DG_EINVAL);
	b[0] = 'c';
	for (k = 0; k < 32; k++)
		CHECK_EQ(PARSE(hs_parse_complement, b, k, &c),
		    k == 9 ? 0 : DG_EINVAL);
	/* Right size, wrong tag. */
	CHECK_EQ(PARSE(hs_parse_reply, b, 21, &r), DG_EINVAL);
	CHECK_EQ(PARSE(hs_parse_ack, b, 17, &a), DG_EINVAL);
	b[0] = 'r';
	CHECK_EQ(PARSE(hs_parse_complement, b, 9, &c), DG_EINVAL);

	CHECK_EQ(hs_put_reply(b, sizeof(b), 0x2ef91fc1, d), 23);
	CHECK_EQ(PARSE(hs_parse_reply, b + 2, 21, &r), 0);
	CHECK(r.challenge == 0x2ef91fc1 && memcmp(r.digest, d, 16) == 0);
	CHECK_EQ(hs_put_ack(b, sizeof(b), d), 19);
	CHECK_EQ(PARSE(hs_parse_ack, b + 2, 17, &a), 0);
	CHECK(memcmp(a.digest, d, 16) == 0);
}

static void
t_status(void)
{
	static const char *const ok[] = { "ok", "ok_simultaneous", "nok",
	    "not_allowed", "alive", "true", "false" };
	static const char *const bad[] = { "", "o", "OK", "ok ", "oK",
	    "okay", "ok_simultaneou", "ok_simultaneousX", "named",
	    "not_allowed\n", "alive\0", "true\0x" };
	static const size_t badlen[] = { 0, 1, 2, 3, 2, 4, 14, 16, 5, 12, 6,
	    6 };
	struct hs_status s;
	uint8_t buf[64], body[64];
	size_t i;
	int n;

	for (i = 0; i < DG_ARRAY_LEN(ok); i++) {
		n = hs_put_status(buf, sizeof(buf), ok[i]);
		CHECK_EQ(n, 3 + strlen(ok[i]));
		CHECK_EQ(PARSE(hs_parse_status, buf + 2, (size_t)n - 2, &s),
		    0);
		CHECK(strcmp(s.text, ok[i]) == 0 && s.named == 0);
	}
	for (i = 0; i < DG_ARRAY_LEN(bad); i++) {
		body[0] = 's';
		memcpy(body + 1, bad[i], badlen[i]);
		CHECK_EQ(PARSE(hs_parse_status, body, badlen[i] + 1, &s),
		    DG_EINVAL);
	}
	CHECK_EQ(PARSE(hs_parse_status, body, 0, &s), DG_EINVAL);
	memcpy(body, "xok", 3);
	CHECK_EQ(PARSE(hs_parse_status, body, 3, &s), DG_EINVAL);
	CHECK_EQ(hs_put_status(buf, sizeof(buf), "named:"), -1);
	CHECK_EQ(hs_put_status(buf, sizeof(buf), "maybe"), -1);
	CHECK_EQ(hs_put_status(buf, 4, "ok"), -1);
}

static void
t_status_named(void)
{
	/* Appendix A, dynamic-name handshake. */
	static const uint8_t m[] = "\0\x24s" "named:" "\0\x17"
	    "212HG5HIM8IEQ@localhost" "\xfe\xa1\xf3\xdf";
	struct hs_status s;
	const uint8_t *body;
	uint8_t out[64], tail[64];
	size_t blen, len = sizeof(m) - 1;

	CHECK_EQ(frame(m, len, &body, &blen), len);
	CHECK_EQ(PARSE(hs_parse_status, body, blen, &s), 0);
	CHECK(strcmp(s.text, "named:") == 0 && s.named == 1);
	CHECK(strcmp(s.name.s, "212HG5HIM8IEQ@localhost") == 0);
	CHECK_EQ(s.creation, 0xfea1f3dfu);
	CHECK_EQ(hs_put_status_named(out, sizeof(out), s.name.s, s.name.len,
	    s.creation), len);
	CHECK(memcmp(out, m, len) == 0);
	/* Truncated anywhere: refused; extra bytes: ignored. */
	for (size_t k = 1; k < blen; k++)
		CHECK_EQ(PARSE(hs_parse_status, m + 2, k, &s), DG_EINVAL);
	memcpy(tail, m + 2, blen);
	memcpy(tail + blen, "xy", 2);
	CHECK_EQ(PARSE(hs_parse_status, tail, blen + 2, &s), 0);
	/* Nlen 0. */
	memcpy(tail, "snamed:\0\0\1\2\3\4", 13);
	CHECK_EQ(PARSE(hs_parse_status, tail, 13, &s), DG_EINVAL);
}

/* Names in 'N' send_name, 'N' challenge and named: status. */
static void
t_names(void)
{
	static const struct {
		const char	*s;
		size_t		 len;
		int		 ok;
	} t[] = {
		{ "a@localhost", 11, 1 },
		{ "caf\xc3\xa9@h", 7, 1 },
		{ "a\0@h", 4, 0 },
		{ "\xc0\xae@h", 4, 0 },		/* overlong '.' */
		{ "\xe0\x80\xae@h", 5, 0 },
		{ "\xed\xa0\x80@h", 5, 0 },	/* surrogate */
		{ "\x80@h", 3, 0 },		/* stray continuation */
		{ "a@h\xc3", 4, 0 },		/* truncated */
		{ "\xf4\x90\x80\x80", 4, 0 },	/* > U+10FFFF */
	};
	static char name[1100];
	uint8_t buf[DG_MAX_HS_MSG + 2];
	struct hs_name_msg n;
	struct hs_challenge c;
	struct hs_status s;
	size_t i;
	int len;

	for (i = 0; i < DG_ARRAY_LEN(t); i++) {
		len = hs_put_send_name(buf, sizeof(buf), 0, 0, t[i].s,
		    t[i].len);
		CHECK_EQ(PARSE(hs_parse_send_name, buf + 2, (size_t)len - 2,
		    &n), t[i].ok ? 0 : DG_EINVAL);
		len = hs_put_challenge(buf, sizeof(buf), 0, 0, 0, t[i].s,
		    t[i].len);
		CHECK_EQ(PARSE(hs_parse_challenge, buf + 2, (size_t)len - 2,
		    &c), t[i].ok ? 0 : DG_EINVAL);
		len = hs_put_status_named(buf, sizeof(buf), t[i].s, t[i].len,
		    1);
		CHECK_EQ(PARSE(hs_parse_status, buf + 2, (size_t)len - 2,
		    &s), t[i].ok ? 0 : DG_EINVAL);
		len = hs_put_send_name_old(buf, sizeof(buf), 5, 0, t[i].s,
		    t[i].len);
		CHECK_EQ(PARSE(hs_parse_send_name, buf + 2, (size_t)len - 2,
		    &n), t[i].ok ? 0 : DG_EINVAL);
	}

	/* 255 characters accepted, 256 refused. */
	memset(name, 'a', sizeof(name));
	name[1] = '@';
	len = hs_put_send_name(buf, sizeof(buf), 0, 0, name, 255);
	CHECK_EQ(PARSE(hs_parse_send_name, buf + 2, (size_t)len - 2, &n), 0);
	CHECK_EQ(n.name.len, 255);
	len = hs_put_send_name(buf, sizeof(buf), 0, 0, name, 256);
	CHECK_EQ(PARSE(hs_parse_send_name, buf + 2, (size_t)len - 2, &n),
	    DG_EINVAL);
	len = hs_put_challenge(buf, sizeof(buf), 0, 0, 0, name, 256);
	CHECK_EQ(PARSE(hs_parse_challenge, buf + 2, (size_t)len - 2, &c),
	    DG_EINVAL);
	/* 255 four-byte characters = 1020 bytes; one byte more refused. */
	for (i = 0; i < 255; i++)
		memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
	len = hs_put_challenge(buf, sizeof(buf), 0, 0, 0, name, 1020);
	CHECK_EQ(PARSE(hs_parse_challenge, buf + 2, (size_t)len - 2, &c), 0);
	CHECK_EQ(c.name.len, 1020);
	CHECK_EQ(hs_put_challenge(buf, sizeof(buf), 0, 0, 0, name, 1021),
	    -1);
	/* Encoded by hand: an old 'n' with a 1021-byte name. */
	memcpy(buf, "n\0\5\0\0\0\0", 7);
	memcpy(buf + 7, name, 1020);
	buf[7 + 1020] = 'a';
	CHECK_EQ(PARSE(hs_parse_send_name, buf, 7 + 1021, &n), DG_EINVAL);
}

static void
t_check_node_name(void)
{
	static const struct {
		const char	*s;
		int		 ok;
	} t[] = {
		{ "a@localhost", 1 },
		{ "node_1-x.y@host.example.com", 1 },
		{ "A9@h", 1 },
		{ "a@::1", 1 },
		{ "a@fe80::1", 1 },
		{ "a@127.0.0.1", 1 },
		{ "a@[::1]", 0 },
		{ "a:b@h", 0 },
		{ "", 0 },
		{ "a", 0 },
		{ "@h", 0 },
		{ "a@", 0 },
		{ "@", 0 },
		{ "a@b@c", 0 },
		{ "a b@h", 0 },
		{ "a@h/x", 0 },
		{ "caf\xc3\xa9@h", 0 },
		{ "a@h\n", 0 },
		{ "a'@h", 0 },
	};
	char name[300];
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(t); i++) {
		why = NULL;
		CHECK_EQ(hs_check_node_name(t[i].s, strlen(t[i].s), &why),
		    t[i].ok ? 0 : DG_EINVAL);
		if (!t[i].ok)
			CHECK(why != NULL);
	}
	CHECK_EQ(hs_check_node_name("a\0@h", 4, &why), DG_EINVAL);
	memset(name, 'a', sizeof(name));
	name[100] = '@';
	CHECK_EQ(hs_check_node_name(name, 255, &why), 0);
	CHECK_EQ(hs_check_node_name(name, 256, &why), DG_EINVAL);
	name[100] = 'a';
	name[254] = '@';
	CHECK_EQ(hs_check_node_name(name, 256, &why), DG_EINVAL);
	CHECK_EQ(hs_check_node_name(name, 255, &why), DG_EINVAL);
}

static void
t_untouched_on_failure(void)
{
	static const uint8_t bad_name[] = "N\0\0\0\0\0\0\0\0\0\0\0\0\0\5abc";
	struct hs_name_msg n, n0;
	struct hs_status s, s0;
	struct hs_challenge c, c0;
	struct hs_reply r, r0;
	struct hs_ack a, a0;
	struct hs_complement m, m0;
	uint8_t b[32];

	memset(&n, 0xa5, sizeof(n));
	memset(&s, 0xa5, sizeof(s));
	memset(&c, 0xa5, sizeof(c));
	memset(&r, 0xa5, sizeof(r));
	memset(&a, 0xa5, sizeof(a));
	memset(&m, 0xa5, sizeof(m));
	memcpy(&n0, &n, sizeof(n));
	memcpy(&s0, &s, sizeof(s));
	memcpy(&c0, &c, sizeof(c));
	memcpy(&r0, &r, sizeof(r));
	memcpy(&a0, &a, sizeof(a));
	memcpy(&m0, &m, sizeof(m));
	CHECK_EQ(sizeof(bad_name) - 1, 18);
	CHECK_EQ(PARSE(hs_parse_send_name, bad_name, 18, &n), DG_EINVAL);
	CHECK_EQ(PARSE(hs_parse_challenge, bad_name, 18, &c), DG_EINVAL);
	CHECK_EQ(PARSE(hs_parse_status, (const uint8_t *)"sbad", 4, &s),
	    DG_EINVAL);
	CHECK_EQ(PARSE(hs_parse_status, (const uint8_t *)"snamed:\0\1", 9,
	    &s), DG_EINVAL);
	memset(b, 0, sizeof(b));
	b[0] = 'r';
	CHECK_EQ(PARSE(hs_parse_reply, b, 20, &r), DG_EINVAL);
	b[0] = 'a';
	CHECK_EQ(PARSE(hs_parse_ack, b, 18, &a), DG_EINVAL);
	b[0] = 'c';
	CHECK_EQ(PARSE(hs_parse_complement, b, 8, &m), DG_EINVAL);
	CHECK(memcmp(&n, &n0, sizeof(n)) == 0);
	CHECK(memcmp(&s, &s0, sizeof(s)) == 0);
	CHECK(memcmp(&c, &c0, sizeof(c)) == 0);
	CHECK(memcmp(&r, &r0, sizeof(r)) == 0);
	CHECK(memcmp(&a, &a0, sizeof(a)) == 0);
	CHECK(memcmp(&m, &m0, sizeof(m)) == 0);
}

static void
t_encoder_caps(void)
{
	uint8_t out[64], d[16] = { 0 };
	size_t cap;

	for (cap = 0; cap < 28; cap++)
		CHECK_EQ(hs_put_send_name(out, cap, 0, 0, "a@localhost", 11),
		    -1);
	CHECK_EQ(hs_put_send_name(out, 28, 0, 0, "a@localhost", 11), 28);
	for (cap = 0; cap < 32; cap++)
		CHECK_EQ(hs_put_challenge(out, cap, 0, 0, 0, "b@localhost",
		    11), -1);
	for (cap = 0; cap < 20; cap++)
		CHECK_EQ(hs_put_send_name_old(out, cap, 5, 0, "a@localhost",
		    11), -1);
	for (cap = 0; cap < 24; cap++)
		CHECK_EQ(hs_put_challenge_old(out, cap, 0, 0, "b@localhost",
		    11), -1);
	for (cap = 0; cap < 23; cap++)
		CHECK_EQ(hs_put_reply(out, cap, 0, d), -1);
	for (cap = 0; cap < 19; cap++)
		CHECK_EQ(hs_put_ack(out, cap, d), -1);
	for (cap = 0; cap < 11; cap++)
		CHECK_EQ(hs_put_complement(out, cap, 0, 0), -1);
	for (cap = 0; cap < 18; cap++)
		CHECK_EQ(hs_put_status_named(out, cap, "x@h", 3, 0), -1);
	CHECK_EQ(hs_put_status_named(out, 18, "x@h", 3, 0), 18);
}

int
main(void)
{
	RUN(t_captures_roundtrip);
	RUN(t_capture_digests);
	RUN(t_digest_vectors);
	RUN(t_new_challenge);
	RUN(t_frame_prefixes);
	RUN(t_frame_lengths);
	RUN(t_old_send_name);
	RUN(t_old_challenge);
	RUN(t_send_name_lengths);
	RUN(t_exact_sizes);
	RUN(t_status);
	RUN(t_status_named);
	RUN(t_names);
	RUN(t_check_node_name);
	RUN(t_untouched_on_failure);
	RUN(t_encoder_caps);
	return TEST_DONE();
}
