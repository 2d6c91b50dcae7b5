/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hs_fsm.c - the two-leg handshake engine, driven by hand: this file
 * plays both the peer P (an initiator) and the protected node B (an
 * acceptor), builds every message with the hs_msg.h encoders, knows both
 * cookies, and checks every byte the engine writes to either leg.  Inputs
 * sit at the end of a guard page.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dg_test.h"
#include "dg.h"
#include "dg_flags.h"
#include "hs_crypto.h"
#include "hs_fsm.h"
#include "hs_test.h"
#include "hs_msg.h"

/* The ring of challenges issued, the daemon's in distguard. */
static struct hs_recent test_recent;


#define P_COOKIE	"peer-cookie"
#define B_COOKIE	"node-cookie-other"
#define P_NAME		"a@host"
#define B_NAME		"b@host"
#define P_CRE		0x11223344u
#define B_CRE		0x55667788u
#define B_CHAL		0x0badf00du
#define P_CHAL		0x00c0ffeeu

/* A stock OTP 25/26 node's offer (spec 3.3), and an ei C node's (2.10). */
#define F_OTP25		0x0000000d07df7fbdULL
#define F_CNODE		0x0000000407074f9cULL

/*
 * One engine and everything it ever wrote, per leg (the glue's view):
 * the test reads the whole transcript, not just the last message.
 */
struct rig {
	struct hs_fsm	h;
	uint8_t		to_p[16384];
	size_t		to_p_len;
	uint8_t		to_b[16384];
	size_t		to_b_len;
	uint32_t	chal_p;		/* the challenge the engine gave P */
	uint64_t	flags_to_b;	/* flags in the send_name B got */
	uint64_t	flags_to_p;	/* flags in the challenge P got */
};

static void
drain(struct rig *g)
{
	struct hs_leg *a = &g->h.leg[HS_ACC], *i = &g->h.leg[HS_INI];

	CHECK(a->out_len <= HS_OUT_MAX);
	CHECK(i->out_len <= HS_OUT_MAX);
	if (g->to_p_len + a->out_len <= sizeof(g->to_p)) {
		memcpy(g->to_p + g->to_p_len, a->out, a->out_len);
		g->to_p_len += a->out_len;
	}
	if (g->to_b_len + i->out_len <= sizeof(g->to_b)) {
		memcpy(g->to_b + g->to_b_len, i->out, i->out_len);
		g->to_b_len += i->out_len;
	}
	a->out_len = i->out_len = 0;
}

static void
rig_init(struct rig *g)
{
	memset(g, 0, sizeof(*g));
	test_fsm_init(&g->h, HS_INBOUND, DFLAG_DEFAULT_WITHHOLD, DFLAG_MANDATORY_25, "b", &test_recent);
}

/* Feeds buf[0..len) (one guard-page copy) to one leg; drains outputs. */
static enum hs_event
feed(struct rig *g, int from_peer, const uint8_t *buf, size_t len,
    size_t *consumed)
{
	const uint8_t *c = guard_copy(buf, len);
	enum hs_event ev;
	size_t used = (size_t)-1;

	ev = hs_fsm_input(&g->h, from_peer ? HS_ACC : HS_INI, c, len, &used);
	CHECK(used <= len);
	if (consumed)
		*consumed = used;
	drain(g);
	return ev;
}

/* B named itself: the glue admits B's real name with B's cookie. */
static enum hs_event
resolved(struct rig *g, enum hs_event ev)
{
	if (ev != HS_EV_RESOLVE)
		return ev;
	CHECK_EQ(g->h.st, HS_RESOLVE);
	ev = hs_fsm_resolved(&g->h, (const uint8_t *)B_COOKIE,
	    strlen(B_COOKIE));
	drain(g);
	return ev;
}

/* Message builders: each returns the framed length in buf. */
static size_t
m_send_name(uint8_t *buf, uint64_t flags, uint32_t cre, const char *name)
{
	int n = hs_put_send_name(buf, 4096, flags, cre, name, strlen(name));

	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

static size_t
m_status(uint8_t *buf, const char *text)
{
	int n = hs_put_status(buf, 4096, text);

	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

static size_t
m_challenge(uint8_t *buf, uint64_t flags, uint32_t ch, uint32_t cre,
    const char *name)
{
	int n = hs_put_challenge(buf, 4096, flags, ch, cre, name, strlen(name));

	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

static size_t
m_reply(uint8_t *buf, const char *cookie, uint32_t their, uint32_t mine)
{
	uint8_t d[HS_DIGEST_LEN];
	int n;

	hs_digest((const uint8_t *)cookie, strlen(cookie), their, d);
	n = hs_put_reply(buf, 4096, mine, d);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

static size_t
m_ack(uint8_t *buf, const char *cookie, uint32_t chal)
{
	uint8_t d[HS_DIGEST_LEN];
	int n;

	hs_digest((const uint8_t *)cookie, strlen(cookie), chal, d);
	n = hs_put_ack(buf, 4096, d);
	CHECK(n > 0);
	return n > 0 ? (size_t)n : 0;
}

/*
 * Splits a transcript into its messages: returns how many, and points
 * body[i] / blen[i] at each.  A trailing partial message counts as -1.
 */
static int
split(const uint8_t *t, size_t len, const uint8_t **body, size_t *blen,
    int max)
{
	const char *why;
	size_t off = 0;
	int k = 0;

	while (off < len && k < max) {
		int n = hs_frame(t + off, len - off, &body[k], &blen[k], &why);

		if (n <= 0)
			return -1;
		off += (size_t)n;
		k++;
	}
	return off == len ? k : -1;
}

static int
is_status(const uint8_t *body, size_t blen, const char *text)
{
	return blen == 1 + strlen(text) && body[0] == 's' &&
	    memcmp(body + 1, text, blen - 1) == 0;
}

static int
count_tag(const uint8_t *t, size_t len, uint8_t tag)
{
	const uint8_t *b[32];
	size_t bl[32];
	int i, k = split(t, len, b, bl, 32), n = 0;

	for (i = 0; i < k; i++)
		n += bl[i] > 0 && b[i][0] == tag;
	return k < 0 ? -1 : n;
}

/* The engine keeps no reference to a cookie once the handshake ended
 * (it never copies one). */
static int
cookie_wiped(const struct hs_fsm *h)
{
	return h->leg[HS_ACC].cookie_len == 0 && h->leg[HS_INI].cookie_len == 0 &&
	    h->leg[HS_ACC].cookie == NULL && h->leg[HS_INI].cookie == NULL;
}

/* P's send_name, admission and the B connection. */
static enum hs_event
to_connected(struct rig *g, uint64_t pflags, const char *pname)
{
	uint8_t m[4096];
	size_t n = m_send_name(m, pflags, P_CRE, pname), used;
	enum hs_event ev;
	struct hs_name_msg nm;
	const uint8_t *b[4];
	size_t bl[4];
	const char *why;

	ev = feed(g, 1, m, n, &used);
	if (ev != HS_EV_ADMIT)
		return ev;
	CHECK_EQ(used, n);
	CHECK_EQ(g->h.st, HS_ADMIT);
	CHECK_EQ(g->to_b_len, 0);	/* nothing reaches B before admission */
	CHECK_EQ(g->to_p_len, 0);
	CHECK_EQ(hs_fsm_admit(&g->h, (const uint8_t *)P_COOKIE, strlen(P_COOKIE)), HS_EV_CONNECT);
	drain(g);
	CHECK_EQ(g->to_b_len, 0);
	ev = hs_fsm_connected(&g->h);
	drain(g);
	CHECK_EQ(ev, HS_EV_NONE);
	CHECK_EQ(g->h.st, HS_I_STATUS);
	/* B got one 'N' send_name: P's name and creation. */
	if (split(g->to_b, g->to_b_len, b, bl, 4) == 1 &&
	    hs_parse_send_name(b[0], bl[0], &nm, &why) == 0) {
		CHECK_EQ(nm.old, 0);
		CHECK_EQ(nm.creation, P_CRE);
		CHECK_EQ(nm.name.len, strlen(pname));
		CHECK(memcmp(nm.name.s, pname, nm.name.len) == 0);
		g->flags_to_b = nm.flags;
	} else
		CHECK(!"B got exactly one parsable send_name");
	return ev;
}

/* Up to P's challenge: B answers `status` then its challenge. */
static enum hs_event
to_challenged(struct rig *g, uint64_t pflags, uint64_t bflags,
    const char *status)
{
	uint8_t m[4096];
	size_t n, used;
	enum hs_event ev;
	struct hs_challenge ch;
	const uint8_t *b[4];
	size_t bl[4];
	const char *why;

	if ((ev = to_connected(g, pflags, P_NAME)) != HS_EV_NONE)
		return ev;
	n = m_status(m, status);
	if ((ev = feed(g, 0, m, n, &used)) != HS_EV_NONE)
		return ev;
	CHECK_EQ(used, n);
	CHECK_EQ(g->to_p_len, 0);	/* P hears nothing before B's challenge */
	n = m_challenge(m, bflags, B_CHAL, B_CRE, B_NAME);
	if ((ev = feed(g, 0, m, n, &used)) != HS_EV_RESOLVE)
		return ev;
	CHECK_EQ(used, n);
	CHECK_EQ(g->to_p_len, 0);	/* nor before B's real name is admitted */
	if ((ev = resolved(g, ev)) != HS_EV_NONE)
		return ev;
	CHECK_EQ(g->h.st, HS_A_REPLY);
	/* P got B's status and a challenge with B's name and creation. */
	if (split(g->to_p, g->to_p_len, b, bl, 4) == 2 &&
	    is_status(b[0], bl[0], status) &&
	    hs_parse_challenge(b[1], bl[1], &ch, &why) == 0) {
		CHECK_EQ(ch.old, 0);
		CHECK_EQ(ch.creation, B_CRE);
		CHECK_EQ(ch.name.len, strlen(B_NAME));
		CHECK(memcmp(ch.name.s, B_NAME, ch.name.len) == 0);
		/* A fresh challenge, not B's (P must not get B's to sign). */
		CHECK(ch.challenge != B_CHAL);
		CHECK(hs_issued(&test_recent, ch.challenge));
		g->chal_p = ch.challenge;
		g->flags_to_p = ch.flags;
	} else
		CHECK(!"P got exactly a status and a parsable challenge");
	return HS_EV_NONE;
}

/* The whole handshake; returns the last event. */
static enum hs_event
run_all(struct rig *g, uint64_t pflags, uint64_t bflags, const char *status)
{
	uint8_t m[4096];
	size_t n, used, p_before, b_before;
	enum hs_event ev;
	struct hs_reply r;
	struct hs_ack a;
	uint8_t want[HS_DIGEST_LEN];
	const uint8_t *b[8];
	size_t bl[8];
	const char *why;
	int k;

	if ((ev = to_challenged(g, pflags, bflags, status)) != HS_EV_NONE)
		return ev;
	b_before = g->to_b_len;
	n = m_reply(m, P_COOKIE, g->chal_p, P_CHAL);
	if ((ev = feed(g, 1, m, n, &used)) != HS_EV_NONE)
		return ev;
	CHECK_EQ(used, n);
	CHECK_EQ(g->h.st, HS_I_ACK);
	/* B got 'r': a digest over B's challenge with B's cookie. */
	k = split(g->to_b + b_before, g->to_b_len - b_before, b, bl, 8);
	CHECK_EQ(k, 1);
	if (k != 1 || hs_parse_reply(b[0], bl[0], &r, &why) != 0) {
		CHECK(!"B got a parsable reply");
		return HS_EV_FAIL;
	}
	hs_digest((const uint8_t *)B_COOKIE, strlen(B_COOKIE), B_CHAL, want);
	CHECK(memcmp(r.digest, want, HS_DIGEST_LEN) == 0);
	CHECK(r.challenge != P_CHAL);	/* not P's: we issue our own */
	CHECK(r.challenge != g->chal_p);
	CHECK(hs_issued(&test_recent, r.challenge));
	CHECK_EQ(count_tag(g->to_p, g->to_p_len, 'a'), 0);
	p_before = g->to_p_len;
	n = m_ack(m, B_COOKIE, r.challenge);
	ev = feed(g, 0, m, n, &used);
	if (ev != HS_EV_UP)
		return ev;
	CHECK_EQ(used, n);
	CHECK_EQ(g->h.st, HS_UP);
	k = split(g->to_p + p_before, g->to_p_len - p_before, b, bl, 8);
	CHECK_EQ(k, 1);
	if (k == 1 && hs_parse_ack(b[0], bl[0], &a, &why) == 0) {
		hs_digest((const uint8_t *)P_COOKIE, strlen(P_COOKIE), P_CHAL,
		    want);
		CHECK(memcmp(a.digest, want, HS_DIGEST_LEN) == 0);
	} else
		CHECK(!"P got a parsable ack");
	CHECK(cookie_wiped(&g->h));
	return ev;
}

/* ---- cases -------------------------------------------------------------- */

static void
t_happy_path(void)
{
	struct rig g;
	uint64_t leg_b, leg_p;

	rig_init(&g);
	CHECK_EQ(run_all(&g, F_OTP25, F_OTP25, "ok"), HS_EV_UP);
	/* What each side computes on its own (spec 2.6.4). */
	leg_b = dflag_expand(g.flags_to_b) & dflag_expand(F_OTP25);
	leg_p = dflag_expand(F_OTP25) & dflag_expand(g.flags_to_p);
	CHECK_EQ(leg_b, leg_p);
	CHECK_EQ(leg_b, g.h.common);
	/* The header atom cache is withheld on both legs. */
	CHECK(!(g.flags_to_b & DFLAG_DIST_HDR_ATOM_CACHE));
	CHECK(!(g.flags_to_p & DFLAG_DIST_HDR_ATOM_CACHE));
	CHECK(!(g.h.common & DFLAG_DIST_HDR_ATOM_CACHE));
	CHECK((g.h.common & DFLAG_MANDATORY_25) == DFLAG_MANDATORY_25);
	CHECK(g.h.common & DFLAG_PUBLISHED);
	CHECK(g.h.common & DFLAG_SPAWN);
	/* Nothing beyond what distguard supports goes either way. */
	CHECK(!(g.flags_to_b & ~DFLAG_SUPPORTED));
	CHECK(!(g.flags_to_p & ~DFLAG_SUPPORTED));
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'N'), 1);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 1);
	CHECK_EQ(count_tag(g.to_p, g.to_p_len, 'a'), 1);
	CHECK(strcmp(hs_fsm_step(&g.h), "up") == 0);
}

/* Flag pairs: both legs always settle on the same set. */
static void
t_flag_table(void)
{
	static const struct {
		uint64_t p, b;
		int up, published;
	} cases[] = {
		{ F_OTP25, F_OTP25, 1, 1 },
		{ F_OTP25 & ~DFLAG_PUBLISHED, F_OTP25, 1, 0 },	/* -hidden P */
		{ F_OTP25, F_OTP25 & ~DFLAG_PUBLISHED, 1, 0 },	/* -hidden B */
		{ F_CNODE, F_OTP25, 1, 0 },			/* ei C node */
		/* Only the digest bit for the mandatory set. */
		{ DFLAG_MANDATORY_25_DIGEST | DFLAG_PUBLISHED, F_OTP25, 1, 1 },
		/* OTP 28 bits we do not decode are not offered to B. */
		{ F_OTP25 | DFLAG_ALTACT_SIG | DFLAG_NATIVE_RECORDS, F_OTP25 |
		    DFLAG_ALTACT_SIG | DFLAG_NATIVE_RECORDS, 1, 1 },
	};
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(cases); i++) {
		struct rig g;
		uint64_t leg_b, leg_p;

		rig_init(&g);
		CHECK_EQ(run_all(&g, cases[i].p, cases[i].b, "ok"),
		    cases[i].up ? HS_EV_UP : HS_EV_FAIL);
		leg_b = dflag_expand(g.flags_to_b) & dflag_expand(cases[i].b);
		leg_p = dflag_expand(cases[i].p) & dflag_expand(g.flags_to_p);
		if (leg_b != leg_p || leg_b != g.h.common)
			fprintf(stderr, "  case %zu: B leg %#llx P leg %#llx\n",
			    i, (unsigned long long)leg_b,
			    (unsigned long long)leg_p);
		CHECK_EQ(leg_b, leg_p);
		CHECK_EQ(leg_b, g.h.common);
		CHECK_EQ(!!(g.h.common & DFLAG_PUBLISHED), cases[i].published);
		CHECK(!(g.h.common & (DFLAG_ALTACT_SIG | DFLAG_NATIVE_RECORDS |
		    DFLAG_DIST_HDR_ATOM_CACHE)));
		CHECK(!(g.flags_to_b & (DFLAG_ALTACT_SIG | DFLAG_NATIVE_RECORDS |
		    DFLAG_DIST_HDR_ATOM_CACHE)));
	}
}

/* Withhold nothing: the header atom cache is then negotiated normally. */
static void
t_withhold_none(void)
{
	struct rig g;

	memset(&g, 0, sizeof(g));
	test_fsm_init(&g.h, HS_INBOUND, 0, DFLAG_MANDATORY_25, "b", &test_recent);
	CHECK_EQ(run_all(&g, F_OTP25, F_OTP25, "ok"), HS_EV_UP);
	CHECK(g.h.common & DFLAG_DIST_HDR_ATOM_CACHE);
	CHECK(g.flags_to_b & DFLAG_DIST_HDR_ATOM_CACHE);
}

static void
t_ok_simultaneous(void)
{
	struct rig g;

	rig_init(&g);
	CHECK_EQ(run_all(&g, F_OTP25, F_OTP25, "ok_simultaneous"), HS_EV_UP);
}

/* Wrong digest: B never sees a digest, only P's send_name. */
static void
t_bad_digest(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t n, used;

	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, "wrong-cookie", g.chal_p, P_CHAL);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK_EQ(used, n);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_digest") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
	CHECK_EQ(g.h.st, HS_FAILED);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'N'), 1);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);
	/* Exactly the send_name, nothing else, was ever written to B. */
	{
		const uint8_t *b[4];
		size_t bl[4];

		CHECK_EQ(split(g.to_b, g.to_b_len, b, bl, 4), 1);
	}
	/* P gets no answer (stock closes silently, spec 2.4). */
	CHECK_EQ(count_tag(g.to_p, g.to_p_len, 'a'), 0);
	CHECK(cookie_wiped(&g.h));

	/* The right cookie over the wrong challenge fails the same way. */
	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p + 1, P_CHAL);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_digest") == 0);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);

	/* B's cookie is not P's: a reply with it fails too. */
	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, B_COOKIE, g.chal_p, P_CHAL);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_digest") == 0);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);
}

/* P reflects our challenge back (spec 7.1.4). */
static void
t_reflected_challenge(void)
{
	uint8_t m[4096];
	struct rig g, other;
	size_t n, used;

	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p, g.chal_p);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event &&
	    strcmp(g.h.out.event, "handshake.reflected_challenge") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);
	CHECK_EQ(count_tag(g.to_p, g.to_p_len, 'a'), 0);
	CHECK(cookie_wiped(&g.h));

	/* A challenge issued to another session is refused too. */
	rig_init(&other);
	CHECK_EQ(to_challenged(&other, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p, other.chal_p);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event &&
	    strcmp(g.h.out.event, "handshake.reflected_challenge") == 0);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);
}

static void
t_missing_flags(void)
{
	static const uint64_t drop[] = {
		DFLAG_BIG_CREATION, DFLAG_HANDSHAKE_23, DFLAG_UTF8_ATOMS,
		DFLAG_EXTENDED_REFERENCES,
	};
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(drop); i++) {
		uint8_t m[4096];
		struct rig g;
		const uint8_t *b[4];
		size_t bl[4], n, used;
		uint64_t f = F_OTP25 & ~DFLAG_MANDATORY_25_DIGEST & ~drop[i];

		rig_init(&g);
		n = m_send_name(m, f, P_CRE, P_NAME);
		CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
		CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_flags") == 0);
		CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
		CHECK(strstr(g.h.out.detail, dflag_name(drop[i])) != NULL);
		/* Stock's answer: not_allowed, and nothing reaches B. */
		CHECK_EQ(split(g.to_p, g.to_p_len, b, bl, 4), 1);
		CHECK(is_status(b[0], bl[0], "not_allowed"));
		CHECK_EQ(g.to_b_len, 0);
	}
}

/* A require_flags beyond the mandatory set (config) is enforced too. */
static void
t_extra_required_flag(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t n, used;

	memset(&g, 0, sizeof(g));
	test_fsm_init(&g.h, HS_INBOUND, DFLAG_DEFAULT_WITHHOLD,
	    DFLAG_MANDATORY_25 | DFLAG_SPAWN, "b", &test_recent);
	n = m_send_name(m, F_CNODE, P_CRE, P_NAME);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_flags") == 0);
	CHECK(strstr(g.h.out.detail, "SPAWN") != NULL);
}

/* Old 'n' send_name (handshake version 5) is refused. */
static void
t_old_send_name(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t used;
	int n;

	rig_init(&g);
	n = hs_put_send_name_old(m, sizeof(m), 5, (uint32_t)F_OTP25, P_NAME,
	    strlen(P_NAME));
	CHECK(n > 0);
	CHECK_EQ(feed(&g, 1, m, (size_t)n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.malformed") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
	CHECK_EQ(g.to_b_len, 0);
	CHECK_EQ(g.h.st, HS_FAILED);
}

/* Dynamic names are not mediated (spec 2.9). */
static void
t_name_me(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t n, used;

	rig_init(&g);
	n = m_send_name(m, (F_OTP25 & ~DFLAG_PUBLISHED) | DFLAG_NAME_ME, 0,
	    "host");
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_name") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
	CHECK_EQ(g.to_b_len, 0);
	/* Even with a full name. */
	rig_init(&g);
	n = m_send_name(m, F_OTP25 | DFLAG_NAME_ME, 0, P_NAME);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_name") == 0);
}

/*
 * A local source may ask for a dynamic name (erl_call -R, a remote
 * shell): distguard gives it "dyn-<hex>-b@<its host>" and a creation of
 * its own, B gets an ordinary static send_name, P gets "named:" with
 * the same name and creation, then B's challenge.
 */
static void
t_name_me_given(void)
{
	uint8_t m[4096];
	struct rig g;
	struct hs_name_msg nm;
	struct hs_status st;
	const uint8_t *b[4];
	size_t bl[4], n, used;
	const char *why, *given;

	rig_init(&g);
	hs_fsm_allow_dynamic(&g.h);
	n = m_send_name(m, (F_CNODE & ~DFLAG_PUBLISHED) | DFLAG_NAME_ME, 0,
	    "host");
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_ADMIT);
	given = hs_fsm_name(&g.h, HS_ACC);
	CHECK(given != NULL && strncmp(given, "dyn-", 4) == 0 &&
	    strlen(given) == strlen("dyn-12345678-b@host") &&
	    strcmp(given + 12, "-b@host") == 0);
	CHECK(hs_fsm_creation(&g.h, HS_ACC) > 3);
	CHECK_EQ(hs_fsm_admit(&g.h, (const uint8_t *)P_COOKIE,
	    strlen(P_COOKIE)), HS_EV_CONNECT);
	CHECK_EQ(hs_fsm_connected(&g.h), HS_EV_NONE);
	drain(&g);
	CHECK_EQ(split(g.to_b, g.to_b_len, b, bl, 4), 1);
	CHECK_EQ(hs_parse_send_name(b[0], bl[0], &nm, &why), 0);
	CHECK(nm.name.len == strlen(given) &&
	    memcmp(nm.name.s, given, nm.name.len) == 0);
	CHECK_EQ(nm.flags & DFLAG_NAME_ME, 0);
	CHECK_EQ(nm.creation, hs_fsm_creation(&g.h, HS_ACC));
	n = m_status(m, "ok");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	n = m_challenge(m, F_OTP25, B_CHAL, B_CRE, B_NAME);
	CHECK_EQ(resolved(&g, feed(&g, 0, m, n, &used)), HS_EV_NONE);
	CHECK_EQ(split(g.to_p, g.to_p_len, b, bl, 4), 2);
	CHECK_EQ(hs_parse_status(b[0], bl[0], &st, &why), 0);
	CHECK_EQ(st.named, 1);
	CHECK(st.name.len == strlen(given) &&
	    memcmp(st.name.s, given, st.name.len) == 0);
	CHECK_EQ(st.creation, hs_fsm_creation(&g.h, HS_ACC));
	CHECK(bl[1] > 0 && b[1][0] == 'N');
	{
		struct hs_challenge c;

		CHECK_EQ(hs_parse_challenge(b[1], bl[1], &c, &why), 0);
		CHECK(c.flags & DFLAG_NAME_ME);
	}
	/* A name part with the host is refused, as is an empty host. */
	rig_init(&g);
	hs_fsm_allow_dynamic(&g.h);
	n = m_send_name(m, F_CNODE | DFLAG_NAME_ME, 0, P_NAME);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_name") == 0);
	CHECK_EQ(g.to_b_len, 0);
}

static void
t_bad_names(void)
{
	static const char *names[] = {
		"noat", "@host", "a@", "a@@host", "a@b@c", "a b@host", "a@ho st",
		"a@[::1]", "\xc3\xa9@host",
	};
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(names); i++) {
		uint8_t m[4096];
		struct rig g;
		size_t n, used;

		rig_init(&g);
		n = m_send_name(m, F_OTP25, P_CRE, names[i]);
		CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
		CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_name") == 0);
		CHECK_EQ(g.to_b_len, 0);
	}
}

/*
 * B answers nok (a simultaneous connect B wins) or not_allowed (its allow
 * list): P gets the same status, and neither is P's fault.  nok is an
 * ordinary outcome (debug log); not_allowed with every flag offered is B's
 * own choice, logged but not alerted.
 */
static void
t_b_refuses(void)
{
	static const char *st[] = { "nok", "not_allowed" };
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(st); i++) {
		uint8_t m[4096];
		struct rig g;
		const uint8_t *b[4];
		size_t bl[4], n, used;

		rig_init(&g);
		CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
		n = m_status(m, st[i]);
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_FAIL);
		CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
		CHECK(g.h.out.event == NULL);
		CHECK_EQ(g.h.out.ordinary, i == 0);
		CHECK_EQ(split(g.to_p, g.to_p_len, b, bl, 4), 1);
		CHECK(is_status(b[0], bl[0], st[i]));
		CHECK(cookie_wiped(&g.h));
	}
}

/*
 * B refuses (not_allowed) a send_name that lacks flags a supported OTP
 * release requires: handshake.incompatible, naming the flags, the releases
 * and the cause; never the peer's fault.  The configuration case is what a
 * withhold_flags that `check` would refuse does (the engine has no check).
 */
static void
t_b_refuses_incompatible(void)
{
	static const struct {
		uint64_t	withhold, pflags, cfg;
		const char	*flags, *cause;
	} c[] = {
		{ DFLAG_DEFAULT_WITHHOLD | DFLAG_V4_NC, F_OTP25, DFLAG_V4_NC,
		  "no V4_NC (required by OTP 26, 27, 28, 29 nodes)",
		  "withheld by withhold_flags" },
		{ DFLAG_DEFAULT_WITHHOLD | DFLAG_UNLINK_ID | DFLAG_V4_NC, F_OTP25,
		  DFLAG_UNLINK_ID | DFLAG_V4_NC, "no UNLINK_ID V4_NC",
		  "withheld by withhold_flags" },
		{ DFLAG_DEFAULT_WITHHOLD, F_OTP25 & ~DFLAG_V4_NC & ~DFLAG_UNLINK_ID,
		  0, "no UNLINK_ID V4_NC (required by OTP 26, 27, 28, 29 nodes)",
		  "the peer does not offer them" },
	};
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(c); i++) {
		uint8_t m[4096];
		struct rig g;
		const uint8_t *b[4];
		size_t bl[4], n, used;

		memset(&g, 0, sizeof(g));
		test_fsm_init(&g.h, HS_INBOUND, c[i].withhold, DFLAG_MANDATORY_25, "b", &test_recent);
		CHECK_EQ(to_connected(&g, c[i].pflags, P_NAME), HS_EV_NONE);
		CHECK_EQ(g.flags_to_b & c[i].withhold, 0);
		n = m_status(m, "not_allowed");
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_FAIL);
		CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.incompatible") == 0);
		CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
		CHECK_EQ(g.h.out.ordinary, 0);
		CHECK_EQ(g.h.out.incompat_cfg, c[i].cfg);
		CHECK(strstr(g.h.out.detail, c[i].flags) != NULL);
		CHECK(strstr(g.h.out.detail, c[i].cause) != NULL);
		if (!strstr(g.h.out.detail, c[i].flags) || !strstr(g.h.out.detail, c[i].cause))
			fprintf(stderr, "  detail: %s\n", g.h.out.detail);
		/* P still gets B's answer, as from a stock node. */
		CHECK_EQ(split(g.to_p, g.to_p_len, b, bl, 4), 1);
		CHECK(is_status(b[0], bl[0], "not_allowed"));
	}
}

/*
 * A peer closing between messages gave up (a node that lost a
 * simultaneous connect does, at any step): ordinary, no alert, no blame.
 * Closing inside a message is malformed and counts.
 */
static void
t_peer_gives_up(void)
{
	enum hs_state st[] = { HS_I_STATUS, HS_I_CHALLENGE, HS_A_REPLY,
	    HS_I_ACK, HS_A_ALIVE };
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(st); i++) {
		int partial;

		for (partial = 0; partial < 2; partial++) {
			uint8_t m[4096];
			struct rig g;
			size_t n, used;

			rig_init(&g);
			CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
			if (st[i] == HS_A_ALIVE) {
				n = m_status(m, "alive");
				CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
			} else if (st[i] != HS_I_STATUS) {
				n = m_status(m, "ok_simultaneous");
				CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
			}
			if (st[i] == HS_A_REPLY || st[i] == HS_I_ACK) {
				n = m_challenge(m, F_OTP25, B_CHAL, B_CRE, B_NAME);
				CHECK_EQ(resolved(&g, feed(&g, 0, m, n, &used)),
				    HS_EV_NONE);
			}
			if (st[i] == HS_I_ACK) {
				n = m_reply(m, P_COOKIE, g.h.leg[HS_ACC].mine, P_CHAL);
				CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_NONE);
			}
			CHECK_EQ(g.h.st, st[i]);
			CHECK_EQ(hs_fsm_closed(&g.h, HS_ACC, (size_t)partial * 3),
			    HS_EV_FAIL);
			CHECK_EQ(g.h.st, HS_FAILED);
			CHECK(cookie_wiped(&g.h));
			if (partial) {
				CHECK(g.h.out.event && strcmp(g.h.out.event,
				    "handshake.malformed") == 0);
				CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
				CHECK_EQ(g.h.out.ordinary, 0);
			} else {
				CHECK(g.h.out.event == NULL);
				CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
				CHECK_EQ(g.h.out.ordinary, 1);
			}
		}
	}
}

/*
 * An OTP 26+ initiator aborts in silence when the challenge lacks a flag
 * it requires: closing after a challenge without V4_NC/UNLINK_ID that it
 * offered is handshake.incompatible, blamed on the node that lacks them.
 */
static void
t_peer_aborts_for_flags(void)
{
	struct rig g;

	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25 & ~DFLAG_V4_NC &
	    ~DFLAG_UNLINK_ID, "ok"), HS_EV_NONE);
	CHECK_EQ(g.flags_to_p & (DFLAG_V4_NC | DFLAG_UNLINK_ID), 0);
	CHECK_EQ(hs_fsm_closed(&g.h, HS_ACC, 0), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.incompatible") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
	CHECK_EQ(g.h.out.incompat, DFLAG_V4_NC | DFLAG_UNLINK_ID);
	CHECK_EQ(g.h.out.incompat_cfg, 0);
	CHECK(strstr(g.h.out.detail, "the node does not offer them") != NULL);
	CHECK(strstr(g.h.out.detail, "OTP 26, 27, 28, 29") != NULL);
	/* A peer that never offered them (OTP 25 imitation) just gave up. */
	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25 & ~DFLAG_V4_NC & ~DFLAG_UNLINK_ID,
	    F_OTP25, "ok"), HS_EV_NONE);
	CHECK_EQ(hs_fsm_closed(&g.h, HS_ACC, 0), HS_EV_FAIL);
	CHECK(g.h.out.event == NULL);
	CHECK_EQ(g.h.out.ordinary, 1);
}

/* B closing is never P's fault; after distguard's digest it means B
 * refused it (node_cookie), which is worth an info line. */
static void
t_b_closes(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t n, used;

	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	CHECK_EQ(hs_fsm_closed(&g.h, HS_INI, 0), HS_EV_FAIL);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
	CHECK(g.h.out.event == NULL);
	CHECK_EQ(g.h.out.ordinary, 1);
	CHECK(cookie_wiped(&g.h));

	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p, P_CHAL);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_NONE);
	CHECK_EQ(g.h.st, HS_I_ACK);
	CHECK_EQ(hs_fsm_closed(&g.h, HS_INI, 0), HS_EV_FAIL);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
	CHECK(g.h.out.event == NULL);
	CHECK_EQ(g.h.out.ordinary, 0);
	CHECK(strstr(g.h.out.detail, "node_cookie") != NULL);
	CHECK(cookie_wiped(&g.h));
}

/*
 * Both sides of one simultaneous connect, as they cross distguard: on
 * the leg where B's name compares greater B says nok (P's attempt ends),
 * on the other ok_simultaneous, and that one completes.  Nothing is
 * alerted, nobody is blamed.
 */
static void
t_simultaneous_both_legs(void)
{
	uint8_t m[4096];
	struct rig lose, win;
	const uint8_t *b[4];
	size_t bl[4], n, used;

	rig_init(&lose);
	CHECK_EQ(to_connected(&lose, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "nok");
	CHECK_EQ(feed(&lose, 0, m, n, &used), HS_EV_FAIL);
	CHECK_EQ(split(lose.to_p, lose.to_p_len, b, bl, 4), 1);
	CHECK(is_status(b[0], bl[0], "nok"));
	CHECK(lose.h.out.event == NULL && lose.h.out.ordinary && !hs_fsm_peer_blamed(&lose.h));
	/* nothing of P's beyond the name ever reached B on that leg */
	CHECK_EQ(count_tag(lose.to_b, lose.to_b_len, 'r'), 0);

	rig_init(&win);
	CHECK_EQ(run_all(&win, F_OTP25, F_OTP25, "ok_simultaneous"), HS_EV_UP);
}

/* B statuses P cannot be sent: named:, true, garbage. */
static void
t_b_bad_status(void)
{
	static const char *st[] = { "true", "false", "maybe", "" };
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(st); i++) {
		uint8_t m[4096];
		struct rig g;
		size_t n, used;

		rig_init(&g);
		CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
		m[0] = 0;
		m[1] = (uint8_t)(1 + strlen(st[i]));
		m[2] = 's';
		memcpy(m + 3, st[i], strlen(st[i]));
		n = 3 + strlen(st[i]);
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_FAIL);
		CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.malformed") == 0);
		CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
		CHECK_EQ(g.to_p_len, 0);
	}
	{
		uint8_t m[4096];
		struct rig g;
		size_t used;
		int n;

		rig_init(&g);
		CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
		n = hs_put_status_named(m, sizeof(m), "X1@host", 7, 9);
		CHECK(n > 0);
		CHECK_EQ(feed(&g, 0, m, (size_t)n, &used), HS_EV_FAIL);
		CHECK_EQ(g.to_p_len, 0);
	}
}

/*
 * B says alive: P answers true and the handshake goes on.  As stock's
 * acceptor (dist_util do_alive), the challenge follows the alive status
 * directly: P must not get a second status.
 */
static void
t_b_alive_true(void)
{
	uint8_t m[4096];
	struct rig g;
	const uint8_t *b[8];
	size_t bl[8], n, used;
	struct hs_challenge ch;
	const char *why;
	int k;

	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "alive");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	CHECK_EQ(g.h.st, HS_A_ALIVE);
	CHECK_EQ(split(g.to_p, g.to_p_len, b, bl, 8), 1);
	CHECK(is_status(b[0], bl[0], "alive"));
	n = m_status(m, "true");
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_NONE);
	CHECK_EQ(used, n);
	/* B got P's answer, after the send_name. */
	k = split(g.to_b, g.to_b_len, b, bl, 8);
	CHECK_EQ(k, 2);
	if (k == 2)
		CHECK(is_status(b[1], bl[1], "true"));
	n = m_challenge(m, F_OTP25, B_CHAL, B_CRE, B_NAME);
	CHECK_EQ(resolved(&g, feed(&g, 0, m, n, &used)), HS_EV_NONE);
	CHECK_EQ(g.h.st, HS_A_REPLY);
	/* P: 's' alive, then the challenge: nothing between them. */
	k = split(g.to_p, g.to_p_len, b, bl, 8);
	CHECK_EQ(k, 2);
	if (k >= 2) {
		CHECK(is_status(b[0], bl[0], "alive"));
		CHECK(bl[1] > 0 && b[1][0] == 'N');
		if (bl[1] > 0 && b[1][0] == 'N' &&
		    hs_parse_challenge(b[1], bl[1], &ch, &why) == 0)
			g.chal_p = ch.challenge;
	}
	/* and it completes. */
	if (g.chal_p) {
		struct hs_reply r;
		const uint8_t *rb[8];
		size_t rbl[8];

		n = m_reply(m, P_COOKIE, g.chal_p, P_CHAL);
		CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_NONE);
		k = split(g.to_b, g.to_b_len, rb, rbl, 8);
		CHECK_EQ(k, 3);
		if (k == 3 && hs_parse_reply(rb[2], rbl[2], &r, &why) == 0) {
			n = m_ack(m, B_COOKIE, r.challenge);
			CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_UP);
		}
	}
}

static void
t_b_alive_false(void)
{
	uint8_t m[4096];
	struct rig g;
	const uint8_t *b[8];
	size_t bl[8], n, used;

	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "alive");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	n = m_status(m, "false");
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
	CHECK_EQ(split(g.to_b, g.to_b_len, b, bl, 8), 2);
	CHECK(is_status(b[1], bl[1], "false"));
	CHECK(cookie_wiped(&g.h));

	/* Anything but true/false after alive is P's fault. */
	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "alive");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	n = m_status(m, "ok");
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.malformed") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
	CHECK_EQ(split(g.to_b, g.to_b_len, b, bl, 8), 1);
	/* P sending its reply instead of an answer is refused too. */
	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "alive");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, 1, P_CHAL);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK_EQ(split(g.to_b, g.to_b_len, b, bl, 8), 1);
}

/* B must be the node registered behind the listener ("b"). */
static void
t_b_wrong_name(void)
{
	static const char *names[] = { "c@host", "bb@host", "b", "B@host",
	    "ab@host" };
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(names); i++) {
		uint8_t m[4096];
		struct rig g;
		size_t n, used;

		rig_init(&g);
		CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
		n = m_status(m, "ok");
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
		n = m_challenge(m, F_OTP25, B_CHAL, B_CRE, names[i]);
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_FAIL);
		CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
		CHECK(g.h.out.event != NULL);
		/* P got neither a status nor a challenge. */
		CHECK_EQ(g.to_p_len, 0);
	}
}

/* B's challenge is parsed and checked like a peer's. */
static void
t_b_bad_challenge(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t n, used;
	int k;

	/* B without the OTP 25 set. */
	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "ok");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	n = m_challenge(m, F_OTP25 & ~DFLAG_MANDATORY_25_DIGEST &
	    ~DFLAG_BIG_CREATION, B_CHAL, B_CRE, B_NAME);
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.incompatible") == 0);
	CHECK(strstr(g.h.out.detail, "BIG_CREATION") != NULL);
	CHECK(strstr(g.h.out.detail, "the node does not offer them") != NULL);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
	CHECK_EQ(g.to_p_len, 0);

	/* Old 'n' challenge. */
	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "ok");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	k = hs_put_challenge_old(m, sizeof(m), (uint32_t)F_OTP25, B_CHAL,
	    B_NAME, strlen(B_NAME));
	CHECK(k > 0);
	CHECK_EQ(feed(&g, 0, m, (size_t)k, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.malformed") == 0);
	CHECK_EQ(g.to_p_len, 0);

	/* A status where the challenge belongs. */
	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "ok");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_FAIL);
	CHECK_EQ(g.to_p_len, 0);
}

/* B's ack with the wrong digest: P gets no 'a'. */
static void
t_b_bad_ack(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t n, used;

	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p, P_CHAL);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_NONE);
	n = m_ack(m, B_COOKIE, 12345);
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.bad_digest") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
	CHECK_EQ(count_tag(g.to_p, g.to_p_len, 'a'), 0);
	CHECK(cookie_wiped(&g.h));
	/* An ack of the wrong size. */
	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p, P_CHAL);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_NONE);
	n = m_ack(m, B_COOKIE, 1);
	m[1]--;				/* 16 bytes: one short */
	CHECK_EQ(feed(&g, 0, m, n - 1, &used), HS_EV_FAIL);
	CHECK_EQ(count_tag(g.to_p, g.to_p_len, 'a'), 0);
}

/*
 * The whole handshake one byte at a time on both legs, the glue's way:
 * bytes accumulate, the engine takes whole messages only.
 */
struct acc {
	uint8_t	buf[8192];
	size_t	len;
};

static enum hs_event
trickle(struct rig *g, int from_peer, struct acc *a, const uint8_t *msg,
    size_t n)
{
	enum hs_event ev = HS_EV_NONE;
	size_t i, used;

	for (i = 0; i < n; i++) {
		a->buf[a->len++] = msg[i];
		ev = feed(g, from_peer, a->buf, a->len, &used);
		memmove(a->buf, a->buf + used, a->len - used);
		a->len -= used;
		if (i + 1 < n) {
			/* Every proper prefix: nothing happens. */
			CHECK_EQ(ev, HS_EV_NONE);
			CHECK_EQ(used, 0);
			if (ev != HS_EV_NONE)
				return ev;
		}
	}
	CHECK_EQ(a->len, 0);
	return ev;
}

static void
t_byte_at_a_time(void)
{
	uint8_t m[4096];
	struct rig g;
	struct acc ap, ab;
	const uint8_t *b[8];
	size_t bl[8], n;
	struct hs_challenge ch;
	struct hs_reply r;
	const char *why;
	int k;

	rig_init(&g);
	memset(&ap, 0, sizeof(ap));
	memset(&ab, 0, sizeof(ab));
	n = m_send_name(m, F_OTP25, P_CRE, P_NAME);
	CHECK_EQ(trickle(&g, 1, &ap, m, n), HS_EV_ADMIT);
	CHECK_EQ(hs_fsm_admit(&g.h, (const uint8_t *)P_COOKIE, strlen(P_COOKIE)), HS_EV_CONNECT);
	CHECK_EQ(hs_fsm_connected(&g.h), HS_EV_NONE);
	drain(&g);
	n = m_status(m, "ok");
	CHECK_EQ(trickle(&g, 0, &ab, m, n), HS_EV_NONE);
	n = m_challenge(m, F_OTP25, B_CHAL, B_CRE, B_NAME);
	CHECK_EQ(resolved(&g, trickle(&g, 0, &ab, m, n)), HS_EV_NONE);
	k = split(g.to_p, g.to_p_len, b, bl, 8);
	CHECK_EQ(k, 2);
	if (k != 2 || hs_parse_challenge(b[1], bl[1], &ch, &why) != 0)
		return;
	n = m_reply(m, P_COOKIE, ch.challenge, P_CHAL);
	CHECK_EQ(trickle(&g, 1, &ap, m, n), HS_EV_NONE);
	k = split(g.to_b, g.to_b_len, b, bl, 8);
	CHECK_EQ(k, 2);
	if (k != 2 || hs_parse_reply(b[1], bl[1], &r, &why) != 0)
		return;
	n = m_ack(m, B_COOKIE, r.challenge);
	CHECK_EQ(trickle(&g, 0, &ab, m, n), HS_EV_UP);
	CHECK_EQ(count_tag(g.to_p, g.to_p_len, 'a'), 1);
}

/* The whole of each leg's messages in one buffer. */
static void
t_coalesced(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t n, used;

	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	n = m_status(m, "ok");
	n += m_challenge(m + n, F_OTP25, B_CHAL, B_CRE, B_NAME);
	CHECK_EQ(resolved(&g, feed(&g, 0, m, n, &used)), HS_EV_NONE);
	CHECK_EQ(used, n);
	CHECK_EQ(g.h.st, HS_A_REPLY);

	/* P's send_name and an early reply: only the send_name is taken,
	 * the reply waits (P speaks out of turn). */
	rig_init(&g);
	n = m_send_name(m, F_OTP25, P_CRE, P_NAME);
	{
		size_t first = n;

		n += m_reply(m + n, P_COOKIE, 1, P_CHAL);
		CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_ADMIT);
		CHECK_EQ(used, first);
		/* While waiting for B, P's bytes stay unconsumed. */
		CHECK_EQ(hs_fsm_admit(&g.h, (const uint8_t *)P_COOKIE,
		    strlen(P_COOKIE)), HS_EV_CONNECT);
		CHECK_EQ(feed(&g, 1, m + first, n - first, &used), HS_EV_NONE);
		CHECK_EQ(used, 0);
		CHECK_EQ(hs_fsm_connected(&g.h), HS_EV_NONE);
		drain(&g);
		CHECK_EQ(feed(&g, 1, m + first, n - first, &used), HS_EV_NONE);
		CHECK_EQ(used, 0);
		CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);
	}
	/* B speaking before it is asked is not consumed either. */
	rig_init(&g);
	n = m_status(m, "ok");
	CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
	CHECK_EQ(used, 0);
	CHECK_EQ(g.h.st, HS_A_NAME);
}

/* B's first frames after 'a' in the same read belong to the relay. */
static void
t_frames_after_ack(void)
{
	static const uint8_t frames[] = {
		0, 0, 0, 0,			/* a tick */
		0, 0, 0, 3, 112, 131, 106,	/* a pass-through frame */
	};
	uint8_t m[4096];
	struct rig g;
	const uint8_t *b[8];
	size_t bl[8], n, used;
	struct hs_reply r;
	const char *why;
	int k;

	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p, P_CHAL);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_NONE);
	k = split(g.to_b, g.to_b_len, b, bl, 8);
	CHECK_EQ(k, 2);
	if (k != 2 || hs_parse_reply(b[1], bl[1], &r, &why) != 0)
		return;
	n = m_ack(m, B_COOKIE, r.challenge);
	memcpy(m + n, frames, sizeof(frames));
	CHECK_EQ(feed(&g, 0, m, n + sizeof(frames), &used), HS_EV_UP);
	CHECK_EQ(used, n);		/* stops right after the ack */
	/* Fed again (the glue would not), nothing more is taken. */
	CHECK_EQ(feed(&g, 0, m + used, sizeof(frames), &used), HS_EV_NONE);
	CHECK_EQ(used, 0);
	/* P's early bytes after the reply are not taken either. */
	CHECK_EQ(feed(&g, 1, frames, sizeof(frames), &used), HS_EV_NONE);
	CHECK_EQ(used, 0);
}

static void
t_malformed_peer(void)
{
	static const struct {
		const char *name;
		const uint8_t *bytes;
		size_t len;
	} cases[] = {
		{ "zero length", (const uint8_t *)"\0\0", 2 },
		{ "0xffff length", (const uint8_t *)"\xff\xff", 2 },
		{ "2049 length", (const uint8_t *)"\x08\x01", 2 },
		{ "not a send_name", (const uint8_t *)"\0\x03sok", 5 },
		{ "a reply first", (const uint8_t *)"\0\x15r\0\0\0\1"
		    "0123456789abcdef", 23 },
		{ "short fixed part", (const uint8_t *)"\0\x05N\0\0\0\0", 7 },
		/* Nlen 10, 2 bytes of name. */
		{ "short name", (const uint8_t *)"\0\x11N\0\0\0\x0d\x07\xdf\x7f"
		    "\xbd\0\0\0\1\0\x0a" "ab", 19 },
		/* Nlen 0. */
		{ "empty name", (const uint8_t *)"\0\x0fN\0\0\0\x0d\x07\xdf\x7f"
		    "\xbd\0\0\0\1\0\0", 17 },
		/* NUL inside the name. */
		{ "NUL in name", (const uint8_t *)"\0\x15N\0\0\0\x0d\x07\xdf\x7f"
		    "\xbd\0\0\0\1\0\x06" "a\0@hst", 23 },
	};
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(cases); i++) {
		struct rig g;
		size_t used;
		enum hs_event ev;

		rig_init(&g);
		ev = feed(&g, 1, cases[i].bytes, cases[i].len, &used);
		if (ev != HS_EV_FAIL)
			fprintf(stderr, "  case \"%s\": event %d\n",
			    cases[i].name, ev);
		CHECK_EQ(ev, HS_EV_FAIL);
		CHECK(g.h.out.event != NULL);
		CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
		CHECK_EQ(g.to_b_len, 0);
		CHECK_EQ(g.h.st, HS_FAILED);
	}
}

/* An oversized length fails on its two bytes, before the body arrives. */
static void
t_oversized_early(void)
{
	struct rig g;
	size_t used;

	rig_init(&g);
	CHECK_EQ(feed(&g, 1, (const uint8_t *)"\xff", 1, &used), HS_EV_NONE);
	CHECK_EQ(used, 0);
	CHECK_EQ(feed(&g, 1, (const uint8_t *)"\xff\xff", 2, &used),
	    HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.malformed") == 0);
	/* The largest allowed length just waits. */
	rig_init(&g);
	CHECK_EQ(feed(&g, 1, (const uint8_t *)"\x08\x00N", 3, &used),
	    HS_EV_NONE);
	CHECK_EQ(used, 0);
	/* B gets the same bound. */
	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	CHECK_EQ(feed(&g, 0, (const uint8_t *)"\xff\xff", 2, &used),
	    HS_EV_FAIL);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
	CHECK_EQ(g.to_p_len, 0);
}

static void
t_malformed_reply(void)
{
	uint8_t m[4096];
	struct rig g;
	size_t n, used;

	/* 20 bytes instead of 21. */
	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p, P_CHAL);
	m[1]--;
	CHECK_EQ(feed(&g, 1, m, n - 1, &used), HS_EV_FAIL);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.malformed") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);
	/* 22 bytes. */
	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_reply(m, P_COOKIE, g.chal_p, P_CHAL);
	m[1]++;
	m[n] = 0;
	CHECK_EQ(feed(&g, 1, m, n + 1, &used), HS_EV_FAIL);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);
	/* A second send_name instead of the reply. */
	rig_init(&g);
	CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
	n = m_send_name(m, F_OTP25, P_CRE, P_NAME);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_FAIL);
	CHECK_EQ(count_tag(g.to_b, g.to_b_len, 'r'), 0);
	CHECK(cookie_wiped(&g.h));
}

/* Refusal by the glue (admission): P gets the status, B nothing. */
static void
t_refuse(void)
{
	uint8_t m[4096];
	struct rig g;
	const uint8_t *b[4];
	size_t bl[4], n, used;

	rig_init(&g);
	n = m_send_name(m, F_OTP25, P_CRE, P_NAME);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_ADMIT);
	CHECK_EQ(hs_fsm_refuse(&g.h, "not_allowed", "handshake.name_denied",
	    "policy", HS_ACC), HS_EV_FAIL);
	drain(&g);
	CHECK(g.h.out.event && strcmp(g.h.out.event, "handshake.name_denied") == 0);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
	CHECK_EQ(split(g.to_p, g.to_p_len, b, bl, 4), 1);
	CHECK(is_status(b[0], bl[0], "not_allowed"));
	CHECK_EQ(g.to_b_len, 0);
	/* Silent refusal. */
	rig_init(&g);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_ADMIT);
	CHECK_EQ(hs_fsm_refuse(&g.h, NULL, NULL, "no cookie", HS_ACC), HS_EV_FAIL);
	drain(&g);
	CHECK_EQ(g.to_p_len, 0);
	CHECK(g.h.out.event == NULL);
}

/*
 * B's real name is resolved before P hears of B: refused there, P gets
 * not_allowed instead of B's status and challenge (or, after "alive", no
 * further byte: it has its status), B never gets a digest, and both
 * cookies are wiped.
 */
static void
t_refused_on_real_name(void)
{
	static const char *first[] = { "ok", "ok_simultaneous", "alive" };
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(first); i++) {
		uint8_t m[4096];
		struct rig g;
		size_t n, used, p_before, b_before;
		const uint8_t *b[4];
		size_t bl[4];
		int alive = strcmp(first[i], "alive") == 0;

		rig_init(&g);
		CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
		n = m_status(m, first[i]);
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
		if (alive) {
			n = m_status(m, "true");
			CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_NONE);
		}
		p_before = g.to_p_len;
		b_before = g.to_b_len;
		n = m_challenge(m, F_OTP25, B_CHAL, B_CRE, B_NAME);
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_RESOLVE);
		CHECK_EQ(g.h.st, HS_RESOLVE);
		CHECK(strcmp(g.h.leg[HS_INI].chal.name.s, B_NAME) == 0);
		CHECK_EQ(g.to_p_len, p_before);
		CHECK(strcmp(hs_fsm_step(&g.h), "resolving the policy") == 0);
		CHECK_EQ(hs_fsm_refuse(&g.h, "not_allowed",
		    "handshake.name_denied", "not admitted", HS_ACC), HS_EV_FAIL);
		drain(&g);
		CHECK_EQ(g.h.st, HS_FAILED);
		CHECK(g.h.out.event && strcmp(g.h.out.event,
		    "handshake.name_denied") == 0);
		CHECK_EQ(hs_fsm_peer_blamed(&g.h), 1);
		CHECK(cookie_wiped(&g.h));
		CHECK_EQ(g.to_b_len, b_before);		/* no 'r' for B */
		if (alive)
			CHECK_EQ(g.to_p_len, p_before);
		else {
			CHECK_EQ(split(g.to_p + p_before, g.to_p_len - p_before,
			    b, bl, 4), 1);
			CHECK(is_status(b[0], bl[0], "not_allowed"));
		}
		CHECK_EQ(count_tag(g.to_p, g.to_p_len, 'N'), 0);
	}
}

/* Calls out of order fail instead of corrupting the state. */
static void
t_out_of_order(void)
{
	struct rig g;

	rig_init(&g);
	CHECK_EQ(hs_fsm_admit(&g.h, (const uint8_t *)"x", 1), HS_EV_FAIL);
	CHECK_EQ(hs_fsm_peer_blamed(&g.h), 0);
	rig_init(&g);
	CHECK_EQ(hs_fsm_connected(&g.h), HS_EV_FAIL);
	drain(&g);
	CHECK_EQ(g.to_b_len, 0);
	/* An oversized cookie is refused, not copied. */
	{
		static uint8_t big[DG_COOKIE_MAX + 1];
		uint8_t m[4096];
		size_t n, used;

		rig_init(&g);
		n = m_send_name(m, F_OTP25, P_CRE, P_NAME);
		CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_ADMIT);
		CHECK_EQ(hs_fsm_admit(&g.h, big, sizeof(big)), HS_EV_FAIL);
		/* And B's, at the resolution. */
		rig_init(&g);
		CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
		n = m_status(m, "ok");
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_NONE);
		n = m_challenge(m, F_OTP25, B_CHAL, B_CRE, B_NAME);
		CHECK_EQ(feed(&g, 0, m, n, &used), HS_EV_RESOLVE);
		CHECK_EQ(hs_fsm_resolved(&g.h, big, sizeof(big)), HS_EV_FAIL);
		CHECK(cookie_wiped(&g.h));
	}
	/* Resolved before B named itself. */
	rig_init(&g);
	CHECK_EQ(to_connected(&g, F_OTP25, P_NAME), HS_EV_NONE);
	CHECK_EQ(hs_fsm_resolved(&g.h, (const uint8_t *)"y", 1), HS_EV_FAIL);
	drain(&g);
	CHECK_EQ(g.to_p_len, 0);
}

static void
t_steps(void)
{
	struct rig g;
	uint8_t m[4096];
	size_t n, used;

	rig_init(&g);
	CHECK(strcmp(hs_fsm_step(&g.h), "waiting for the peer's send_name") == 0);
	n = m_send_name(m, F_OTP25, P_CRE, P_NAME);
	CHECK_EQ(feed(&g, 1, m, n, &used), HS_EV_ADMIT);
	CHECK(strstr(hs_fsm_step(&g.h), "admission") != NULL);
	CHECK_EQ(hs_fsm_admit(&g.h, (const uint8_t *)P_COOKIE, strlen(P_COOKIE)), HS_EV_CONNECT);
	CHECK(strstr(hs_fsm_step(&g.h), "connecting") != NULL);
	CHECK_EQ(hs_fsm_connected(&g.h), HS_EV_NONE);
	CHECK(strstr(hs_fsm_step(&g.h), "node's status") != NULL);
}

/* Challenges are fresh: 64 in a row, no repeats, all remembered. */
static void
t_fresh_challenges(void)
{
	static uint32_t seen[64];
	size_t i, j;
	int dup = 0;

	for (i = 0; i < DG_ARRAY_LEN(seen); i++) {
		struct rig g;

		rig_init(&g);
		CHECK_EQ(to_challenged(&g, F_OTP25, F_OTP25, "ok"), HS_EV_NONE);
		seen[i] = g.chal_p;
		for (j = 0; j < i; j++)
			dup += seen[j] == seen[i];
	}
	CHECK_EQ(dup, 0);
	for (i = 0; i < DG_ARRAY_LEN(seen); i++)
		CHECK(hs_issued(&test_recent, seen[i]));
}

/* The ring of challenges issued is the caller's (the daemon's): the one
 * handed to a leg notes them, another knows none of them; past
 * HS_RECENT the oldest slot is reused. */
static void
t_recent_is_the_callers(void)
{
	static struct hs_recent mine, other;
	struct hs_fsm h;
	uint32_t last = 0;
	int i;

	for (i = 0; i < HS_RECENT + 1; i++) {
		hs_leg_init(&h.leg[HS_ACC], HS_ACCEPTOR, "peer", 1, &mine);
		hs_acc_challenge(&h.leg[HS_ACC], F_OTP25, 1, "b@h", 3);
		last = h.leg[HS_ACC].mine;
	}
	CHECK_EQ(mine.n, HS_RECENT);
	CHECK(hs_issued(&mine, last));
	CHECK(!hs_issued(&other, last));
	/* the oldest (the first) gave its slot to the newest */
	CHECK_EQ(mine.head, 1u);
	CHECK(mine.c[0] == last);
}

int
main(void)
{
	if (hs_crypto_init() != 0) {
		printf("not ok - libsodium\n");
		return 1;
	}
	RUN(t_happy_path);
	RUN(t_flag_table);
	RUN(t_withhold_none);
	RUN(t_ok_simultaneous);
	RUN(t_bad_digest);
	RUN(t_reflected_challenge);
	RUN(t_missing_flags);
	RUN(t_extra_required_flag);
	RUN(t_old_send_name);
	RUN(t_name_me);
	RUN(t_name_me_given);
	RUN(t_bad_names);
	RUN(t_b_refuses);
	RUN(t_b_refuses_incompatible);
	RUN(t_peer_gives_up);
	RUN(t_peer_aborts_for_flags);
	RUN(t_b_closes);
	RUN(t_simultaneous_both_legs);
	RUN(t_b_bad_status);
	RUN(t_b_alive_true);
	RUN(t_b_alive_false);
	RUN(t_b_wrong_name);
	RUN(t_b_bad_challenge);
	RUN(t_b_bad_ack);
	RUN(t_byte_at_a_time);
	RUN(t_coalesced);
	RUN(t_frames_after_ack);
	RUN(t_malformed_peer);
	RUN(t_oversized_early);
	RUN(t_malformed_reply);
	RUN(t_refuse);
	RUN(t_refused_on_real_name);
	RUN(t_out_of_order);
	RUN(t_steps);
	RUN(t_fresh_challenges);
	RUN(t_recent_is_the_callers);
	return TEST_DONE();
}
