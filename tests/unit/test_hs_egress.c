/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hs_egress.c - the handshake sequencer in the mirror order (egress):
 * the node of ours B dials distguard (leg ACC) and distguard dials the
 * remote R (leg INI), expected under the full name B asked for.  The test
 * plays B and R with the hs_msg.h encoders, knows both cookies, and checks
 * the bytes and the blame: R's faults are the peer's, B's are not.  The
 * inbound order has its own file (test_hs_fsm.c).
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


#define B_COOKIE	"b-node-cookie"
#define R_COOKIE	"cookie-for-r"
#define B_NAME		"b@here"
#define R_NAME		"r@there"
#define B_CRE		0x0a0b0c0du
#define R_CRE		0x01020304u
#define R_CHAL		0x5eed1234u
#define B_CHAL		0x00b0b0b0u
#define F_OTP25		0x0000000d07df7fbdULL

struct rig {
	struct hs_fsm	h;
	uint8_t		to_b[8192], to_r[8192];
	size_t		to_b_len, to_r_len;
};

static void
drain(struct rig *g)
{
	struct hs_leg *a = &g->h.leg[HS_ACC], *i = &g->h.leg[HS_INI];

	CHECK(a->out_len <= HS_OUT_MAX && i->out_len <= HS_OUT_MAX);
	if (g->to_b_len + a->out_len <= sizeof(g->to_b)) {
		memcpy(g->to_b + g->to_b_len, a->out, a->out_len);
		g->to_b_len += a->out_len;
	}
	if (g->to_r_len + i->out_len <= sizeof(g->to_r)) {
		memcpy(g->to_r + g->to_r_len, i->out, i->out_len);
		g->to_r_len += i->out_len;
	}
	a->out_len = i->out_len = 0;
}

static enum hs_event
feed(struct rig *g, int leg, const uint8_t *m, int n)
{
	size_t used = 0;
	enum hs_event ev;

	CHECK(n > 0);
	ev = hs_fsm_input(&g->h, leg, guard_copy(m, (size_t)n), (size_t)n, &used);
	CHECK_EQ(used, (size_t)n);
	drain(g);
	return ev;
}

/* The last message written to one side, parsed by its tag. */
static int
last_msg(const uint8_t *t, size_t len, const uint8_t **body, size_t *blen)
{
	const char *why;
	size_t off = 0;
	int n, k = 0;

	while (off < len && (n = hs_frame(t + off, len - off, body, blen, &why)) > 0) {
		off += (size_t)n;
		k++;
	}
	return k;
}

/* B's send_name, admitted with B's cookie, R connected: R got B's name. */
static void
to_connected(struct rig *g, uint64_t rflags_unused)
{
	uint8_t m[4096];
	struct hs_name_msg nm;
	const uint8_t *body;
	size_t blen;
	const char *why;

	(void)rflags_unused;
	memset(g, 0, sizeof(*g));
	test_fsm_init(&g->h, HS_EGRESS, DFLAG_DEFAULT_WITHHOLD, DFLAG_MANDATORY_25,
	    R_NAME, &test_recent);
	CHECK_EQ(g->h.remote, HS_INI);
	CHECK_EQ(feed(g, HS_ACC, m, hs_put_send_name(m, sizeof(m), F_OTP25, B_CRE,
	    B_NAME, strlen(B_NAME))), HS_EV_ADMIT);
	CHECK(strcmp(hs_fsm_name(&g->h, HS_ACC), B_NAME) == 0);
	CHECK_EQ(g->to_r_len, 0);
	CHECK_EQ(hs_fsm_admit(&g->h, (const uint8_t *)B_COOKIE, strlen(B_COOKIE)),
	    HS_EV_CONNECT);
	CHECK_EQ(hs_fsm_turn(&g->h), HS_NOBODY);
	CHECK_EQ(hs_fsm_connected(&g->h), HS_EV_NONE);
	drain(g);
	CHECK_EQ(hs_fsm_turn(&g->h), HS_INI);
	CHECK_EQ(last_msg(g->to_r, g->to_r_len, &body, &blen), 1);
	CHECK_EQ(hs_parse_send_name(body, blen, &nm, &why), 0);
	CHECK_EQ(nm.creation, B_CRE);
	CHECK(nm.name.len == strlen(B_NAME) && memcmp(nm.name.s, B_NAME, nm.name.len) == 0);
	CHECK(!(nm.flags & DFLAG_DIST_HDR_ATOM_CACHE));
}

/* R's status and challenge (as `name`, with `flags`). */
static enum hs_event
r_challenges(struct rig *g, uint64_t flags, const char *name, uint32_t chal)
{
	uint8_t m[4096];
	enum hs_event ev;

	CHECK_EQ(feed(g, HS_INI, m, hs_put_status(m, sizeof(m), "ok")), HS_EV_NONE);
	ev = feed(g, HS_INI, m, hs_put_challenge(m, sizeof(m), flags, chal, R_CRE,
	    name, strlen(name)));
	if (ev == HS_EV_RESOLVE) {
		CHECK(strcmp(hs_fsm_name(&g->h, HS_INI), R_NAME) == 0);
		CHECK_EQ(g->to_b_len, 0);	/* B hears nothing before */
		ev = hs_fsm_resolved(&g->h, (const uint8_t *)R_COOKIE,
		    strlen(R_COOKIE));
		drain(g);
	}
	return ev;
}

/* B answers distguard's challenge with `cookie`. */
static enum hs_event
b_replies(struct rig *g, const char *cookie)
{
	uint8_t m[4096], d[HS_DIGEST_LEN];

	hs_digest((const uint8_t *)cookie, strlen(cookie), g->h.leg[HS_ACC].mine, d);
	return feed(g, HS_ACC, m, hs_put_reply(m, sizeof(m), B_CHAL, d));
}

/* The whole mirror order: every byte each side gets is checked. */
static void
t_egress_up(void)
{
	struct rig g;
	uint8_t m[4096], d[HS_DIGEST_LEN];
	struct hs_challenge c;
	struct hs_reply r;
	struct hs_ack a;
	const uint8_t *body;
	size_t blen;
	const char *why;

	to_connected(&g, F_OTP25);
	CHECK_EQ(r_challenges(&g, F_OTP25, R_NAME, R_CHAL), HS_EV_NONE);
	/* B: R's status, then a challenge with R's name, creation, the
	 * common flags and a fresh challenge (not R's). */
	CHECK_EQ(last_msg(g.to_b, g.to_b_len, &body, &blen), 2);
	CHECK_EQ(hs_parse_challenge(body, blen, &c, &why), 0);
	CHECK_EQ(c.creation, R_CRE);
	CHECK(c.name.len == strlen(R_NAME) && memcmp(c.name.s, R_NAME, c.name.len) == 0);
	CHECK_EQ(c.flags, g.h.common);
	CHECK(c.challenge != R_CHAL && hs_issued(&test_recent, c.challenge));
	CHECK_EQ(hs_fsm_turn(&g.h), HS_ACC);
	/* B's reply, checked with B's cookie; R then gets a reply with R's
	 * cookie over R's own challenge. */
	CHECK_EQ(b_replies(&g, B_COOKIE), HS_EV_NONE);
	CHECK_EQ(last_msg(g.to_r, g.to_r_len, &body, &blen), 2);
	CHECK_EQ(hs_parse_reply(body, blen, &r, &why), 0);
	CHECK(hs_digest_ok((const uint8_t *)R_COOKIE, strlen(R_COOKIE), R_CHAL,
	    r.digest));
	/* R's ack over distguard's challenge; B's ack over B's challenge. */
	hs_digest((const uint8_t *)R_COOKIE, strlen(R_COOKIE), r.challenge, d);
	CHECK_EQ(feed(&g, HS_INI, m, hs_put_ack(m, sizeof(m), d)), HS_EV_UP);
	CHECK_EQ(last_msg(g.to_b, g.to_b_len, &body, &blen), 3);
	CHECK_EQ(hs_parse_ack(body, blen, &a, &why), 0);
	CHECK(hs_digest_ok((const uint8_t *)B_COOKIE, strlen(B_COOKIE), B_CHAL,
	    a.digest));
	CHECK_EQ(g.h.leg[HS_ACC].cookie_len + g.h.leg[HS_INI].cookie_len, 0);
}

/* R is not the node B asked for: refused, and R's fault. */
static void
t_egress_wrong_name(void)
{
	struct rig g;

	to_connected(&g, F_OTP25);
	CHECK_EQ(r_challenges(&g, F_OTP25, "r@elsewhere", R_CHAL), HS_EV_FAIL);
	CHECK(strcmp(g.h.out.event, "handshake.malformed") == 0);
	CHECK_EQ(g.h.out.blamed, HS_INI);
	CHECK(hs_fsm_peer_blamed(&g.h));
	CHECK(strstr(g.h.out.detail, "peer introduced itself as r@elsewhere"));
	/* An alive-only match is not enough in this order. */
	to_connected(&g, F_OTP25);
	CHECK_EQ(r_challenges(&g, F_OTP25, "r@here", R_CHAL), HS_EV_FAIL);
}

/* require_flags applies to the remote: here R, at its challenge; B is
 * told not_allowed. */
static void
t_egress_required_flags(void)
{
	struct rig g;
	const uint8_t *body;
	size_t blen;

	to_connected(&g, F_OTP25);
	g.h.require |= DFLAG_SPAWN;
	CHECK_EQ(r_challenges(&g, F_OTP25 & ~DFLAG_SPAWN, R_NAME, R_CHAL),
	    HS_EV_FAIL);
	CHECK(strcmp(g.h.out.event, "handshake.bad_flags") == 0);
	CHECK(hs_fsm_peer_blamed(&g.h));
	CHECK_EQ(last_msg(g.to_b, g.to_b_len, &body, &blen), 1);
	CHECK(blen == 12 && memcmp(body, "snot_allowed", 12) == 0);
}

/* B's wrong digest: refused, alerted, but B is ours: not the peer's. */
static void
t_egress_b_bad_digest(void)
{
	struct rig g;

	to_connected(&g, F_OTP25);
	CHECK_EQ(r_challenges(&g, F_OTP25, R_NAME, R_CHAL), HS_EV_NONE);
	CHECK_EQ(b_replies(&g, "not-bs-cookie"), HS_EV_FAIL);
	CHECK(strcmp(g.h.out.event, "handshake.bad_digest") == 0);
	CHECK_EQ(g.h.out.blamed, HS_ACC);
	CHECK(!hs_fsm_peer_blamed(&g.h));
	{
		const uint8_t *body;
		size_t blen;

		/* R got its send_name and nothing more: no reply. */
		CHECK_EQ(last_msg(g.to_r, g.to_r_len, &body, &blen), 1);
	}
}

/* R's wrong ack: R's fault; B gets no ack. */
static void
t_egress_r_bad_ack(void)
{
	struct rig g;
	uint8_t m[4096], d[HS_DIGEST_LEN] = { 0 };
	const uint8_t *body;
	size_t blen;

	to_connected(&g, F_OTP25);
	CHECK_EQ(r_challenges(&g, F_OTP25, R_NAME, R_CHAL), HS_EV_NONE);
	CHECK_EQ(b_replies(&g, B_COOKIE), HS_EV_NONE);
	CHECK_EQ(feed(&g, HS_INI, m, hs_put_ack(m, sizeof(m), d)), HS_EV_FAIL);
	CHECK(strcmp(g.h.out.event, "handshake.bad_digest") == 0);
	CHECK(hs_fsm_peer_blamed(&g.h));
	CHECK_EQ(last_msg(g.to_b, g.to_b_len, &body, &blen), 2);
}

/* R echoes a challenge distguard issued: never signed. */
static void
t_egress_reflection(void)
{
	struct rig g, other;

	/* A challenge distguard gave someone else. */
	to_connected(&other, F_OTP25);
	CHECK_EQ(r_challenges(&other, F_OTP25, R_NAME, R_CHAL), HS_EV_NONE);
	to_connected(&g, F_OTP25);
	CHECK_EQ(r_challenges(&g, F_OTP25, R_NAME, other.h.leg[HS_ACC].mine),
	    HS_EV_FAIL);
	CHECK(strcmp(g.h.out.event, "handshake.reflected_challenge") == 0);
	CHECK(hs_fsm_peer_blamed(&g.h));
	CHECK_EQ(g.to_r_len > 0, 1);
}

/* Whose turn, and so whose fault on a timeout, step by step. */
static void
t_egress_turns(void)
{
	struct rig g;

	to_connected(&g, F_OTP25);
	CHECK_EQ(hs_fsm_turn(&g.h), HS_INI);
	CHECK_EQ(hs_fsm_timeout(&g.h, 5), HS_EV_FAIL);
	CHECK(strcmp(g.h.out.event, "handshake.timeout") == 0);
	CHECK(hs_fsm_peer_blamed(&g.h));
	CHECK(strstr(g.h.out.detail, "waiting for the peer's status"));
	to_connected(&g, F_OTP25);
	CHECK_EQ(r_challenges(&g, F_OTP25, R_NAME, R_CHAL), HS_EV_NONE);
	CHECK_EQ(hs_fsm_turn(&g.h), HS_ACC);
	CHECK_EQ(hs_fsm_timeout(&g.h, 5), HS_EV_FAIL);
	CHECK(!hs_fsm_peer_blamed(&g.h));
	CHECK(strstr(g.h.out.detail, "waiting for the node's challenge reply"));
	/* R closing inside a message is malformed; B doing so is not
	 * blamed on anyone. */
	to_connected(&g, F_OTP25);
	CHECK_EQ(hs_fsm_closed(&g.h, HS_INI, 3), HS_EV_FAIL);
	CHECK(hs_fsm_peer_blamed(&g.h));
	to_connected(&g, F_OTP25);
	CHECK_EQ(hs_fsm_closed(&g.h, HS_ACC, 3), HS_EV_FAIL);
	CHECK(g.h.out.ordinary && !hs_fsm_peer_blamed(&g.h));
	/* R gone after distguard's digest: its cookie entry is wrong. */
	to_connected(&g, F_OTP25);
	CHECK_EQ(r_challenges(&g, F_OTP25, R_NAME, R_CHAL), HS_EV_NONE);
	CHECK_EQ(b_replies(&g, B_COOKIE), HS_EV_NONE);
	CHECK_EQ(hs_fsm_closed(&g.h, HS_INI, 0), HS_EV_FAIL);
	CHECK(!hs_fsm_peer_blamed(&g.h) && !g.h.out.ordinary);
	CHECK(strstr(g.h.out.detail, "{cookie, ...} entry"));
}

/* Inbound and egress differ only in where the remote is. */
static void
t_orders_mirror(void)
{
	struct hs_fsm in, eg;

	test_fsm_init(&in, HS_INBOUND, 0, 0, "b", &test_recent);
	test_fsm_init(&eg, HS_EGRESS, 0, 0, "r@h", &test_recent);
	CHECK_EQ(in.remote, HS_ACC);
	CHECK_EQ(eg.remote, HS_INI);
	CHECK(strcmp(in.leg[HS_ACC].label, "peer") == 0);
	CHECK(strcmp(in.leg[HS_INI].label, "node") == 0);
	CHECK(strcmp(eg.leg[HS_ACC].label, "node") == 0);
	CHECK(strcmp(eg.leg[HS_INI].label, "peer") == 0);
	CHECK_EQ(in.leg[HS_ACC].guard_reflection, 1);
	CHECK_EQ(eg.leg[HS_INI].guard_reflection, 1);
	CHECK_EQ(eg.leg[HS_ACC].guard_reflection, 0);
}

int
main(void)
{
	if (hs_crypto_init() != 0) {
		printf("not ok - libsodium\n");
		return 1;
	}
	RUN(t_egress_up);
	RUN(t_egress_wrong_name);
	RUN(t_egress_required_flags);
	RUN(t_egress_b_bad_digest);
	RUN(t_egress_r_bad_ack);
	RUN(t_egress_reflection);
	RUN(t_egress_turns);
	RUN(t_orders_mirror);
	return TEST_DONE();
}
