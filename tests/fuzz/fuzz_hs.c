/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_hs.c - libFuzzer harness for the handshake codec
 * (handshake/hs_msg.c).
 *
 * The input is read three ways: as a stream of u16-framed messages (what
 * either leg sends before the handshake ends), as one message body given
 * to every body parser, and as a node name for hs_check_node_name.  Every
 * message a parser accepts is re-encoded; the encoding must parse back to
 * the same values and match the input wherever the format is canonical.
 *
 * Seeds: tests/fuzz/seeds/hs/ (every handshake message of the captures,
 * framed, plus crafted old-format, named: and complement messages).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "hs_msg.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[DG_MAX_HS_MSG + 16];

/* Parses out[0..n) as one framed message; returns its body. */
static const uint8_t *
reframe(int n, size_t *blen)
{
	const uint8_t *body;
	const char *why;

	ASSERT(n > 2);
	ASSERT(hs_frame(out, (size_t)n, &body, blen, &why) == n);
	return body;
}

static void
name_same(const struct dg_name *a, const struct dg_name *b)
{
	ASSERT(a->len == b->len && a->len > 0 && a->len <= DG_MAX_NODE_BYTES);
	ASSERT(memcmp(a->s, b->s, a->len) == 0 && b->s[b->len] == '\0');
	ASSERT(strlen(a->s) == a->len);
}

static void
check_send_name(const uint8_t *b, size_t n)
{
	struct hs_name_msg m, m2;
	const uint8_t *rb;
	const char *why;
	size_t rl;
	int w;

	if (hs_parse_send_name(b, n, &m, &why) != 0)
		return;
	if (m.old)
		w = hs_put_send_name_old(out, sizeof(out), m.version,
		    (uint32_t)m.flags, m.name.s, m.name.len);
	else
		w = hs_put_send_name(out, sizeof(out), m.flags, m.creation,
		    m.name.s, m.name.len);
	rb = reframe(w, &rl);
	/* 'n' is all significant; 'N' may carry an ignored tail. */
	ASSERT(m.old ? rl == n : rl <= n);
	ASSERT(memcmp(rb, b, rl) == 0);
	ASSERT(hs_parse_send_name(rb, rl, &m2, &why) == 0);
	ASSERT(m.old == m2.old && m.version == m2.version &&
	    m.flags == m2.flags && m.creation == m2.creation);
	name_same(&m.name, &m2.name);
	(void)hs_check_node_name(m.name.s, m.name.len, &why);
}

static void
check_status(const uint8_t *b, size_t n)
{
	struct hs_status s, s2;
	const uint8_t *rb;
	const char *why;
	size_t rl;
	int w;

	if (hs_parse_status(b, n, &s, &why) != 0)
		return;
	if (s.named)
		w = hs_put_status_named(out, sizeof(out), s.name.s,
		    s.name.len, s.creation);
	else
		w = hs_put_status(out, sizeof(out), s.text);
	rb = reframe(w, &rl);
	ASSERT(s.named ? rl <= n : rl == n);
	ASSERT(memcmp(rb, b, rl) == 0);
	ASSERT(hs_parse_status(rb, rl, &s2, &why) == 0);
	ASSERT(strcmp(s.text, s2.text) == 0 && s.named == s2.named &&
	    s.creation == s2.creation);
	if (s.named)
		name_same(&s.name, &s2.name);
}

static void
check_challenge(const uint8_t *b, size_t n)
{
	struct hs_challenge c, c2;
	const uint8_t *rb;
	const char *why;
	size_t rl;
	int w;

	if (hs_parse_challenge(b, n, &c, &why) != 0)
		return;
	if (c.old)
		w = hs_put_challenge_old(out, sizeof(out), (uint32_t)c.flags,
		    c.challenge, c.name.s, c.name.len);
	else
		w = hs_put_challenge(out, sizeof(out), c.flags, c.challenge,
		    c.creation, c.name.s, c.name.len);
	rb = reframe(w, &rl);
	ASSERT(c.old ? rl == n : rl <= n);
	/* The old version field is not kept: skip it. */
	if (c.old)
		ASSERT(rb[0] == b[0] && memcmp(rb + 3, b + 3, rl - 3) == 0);
	else
		ASSERT(memcmp(rb, b, rl) == 0);
	ASSERT(hs_parse_challenge(rb, rl, &c2, &why) == 0);
	ASSERT(c.old == c2.old && c.flags == c2.flags &&
	    c.challenge == c2.challenge && c.creation == c2.creation);
	name_same(&c.name, &c2.name);
}

/* 'r', 'a' and 'c' have exact sizes: the encoding is the input. */
static void
check_fixed(const uint8_t *b, size_t n)
{
	struct hs_reply r;
	struct hs_ack a;
	struct hs_complement c;
	const uint8_t *rb;
	const char *why;
	size_t rl;

	if (hs_parse_reply(b, n, &r, &why) == 0) {
		rb = reframe(hs_put_reply(out, sizeof(out), r.challenge,
		    r.digest), &rl);
		ASSERT(rl == n && n == HS_REPLY_LEN && memcmp(rb, b, n) == 0);
	}
	if (hs_parse_ack(b, n, &a, &why) == 0) {
		rb = reframe(hs_put_ack(out, sizeof(out), a.digest), &rl);
		ASSERT(rl == n && n == HS_ACK_LEN && memcmp(rb, b, n) == 0);
	}
	if (hs_parse_complement(b, n, &c, &why) == 0) {
		rb = reframe(hs_put_complement(out, sizeof(out), c.flags_high,
		    c.creation), &rl);
		ASSERT(rl == n && n == HS_COMPLEMENT_LEN &&
		    memcmp(rb, b, n) == 0);
	}
}

static void
check_body(const uint8_t *b, size_t n)
{
	check_send_name(b, n);
	check_status(b, n);
	check_challenge(b, n);
	check_fixed(b, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body;
	const char *why;
	size_t off = 0, blen;
	int rc;

	while (off < size) {
		why = NULL;
		rc = hs_frame(data + off, size - off, &body, &blen, &why);
		if (rc == DG_EINVAL)
			ASSERT(why != NULL);
		if (rc < 0)
			break;
		ASSERT((size_t)rc == 2 + blen && body == data + off + 2);
		ASSERT(blen >= 1 && blen <= DG_MAX_HS_MSG);
		ASSERT(hs_frame(data + off, (size_t)rc - 1, &body, &blen,
		    &why) == DG_AGAIN);
		check_body(data + off + 2, (size_t)rc - 2);
		off += (size_t)rc;
	}
	check_body(data, size);
	if (hs_check_node_name((const char *)data, size, &why) == 0) {
		ASSERT(size > 0 && size <= 255 &&
		    memchr(data, '\0', size) == NULL);
		ASSERT(memchr(data, '@', size) != NULL);
	}
	return 0;
}
