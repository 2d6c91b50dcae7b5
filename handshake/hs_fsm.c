/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_fsm.c - the handshake sequencer.  See hs_fsm.h for the order of
 * steps; each leg's own steps are in hs_leg.c.  This file carries what one
 * leg learns to the other, and decides what a failure means and whose it
 * is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "dg_flags.h"
#include "hs_fsm.h"

#define ACC(h)	(&(h)->leg[HS_ACC])
#define INI(h)	(&(h)->leg[HS_INI])

void
hs_fsm_init(struct hs_fsm *h, enum hs_order order, uint64_t withhold,
    uint64_t require, const char *expect, struct hs_recent *recent)
{
	int remote = order == HS_INBOUND ? HS_ACC : HS_INI;

	memset(h, 0, sizeof(*h));
	h->order = order;
	h->remote = remote;
	h->st = HS_A_NAME;
	h->supported = DFLAG_SUPPORTED & ~withhold;
	h->withhold = withhold;
	h->require = require;
	h->out.blamed = HS_NOBODY;
	snprintf(h->expect, sizeof(h->expect), "%s", expect);
	hs_leg_init(ACC(h), HS_ACCEPTOR, remote == HS_ACC ? "peer" : "node",
	    remote == HS_ACC, recent);
	hs_leg_init(INI(h), HS_INITIATOR, remote == HS_INI ? "peer" : "node",
	    remote == HS_INI, recent);
}

void
hs_fsm_set_out(struct hs_fsm *h, uint8_t *acc, uint8_t *ini)
{
	ACC(h)->out = acc;
	INI(h)->out = ini;
}

void
hs_fsm_wipe(struct hs_fsm *h)
{
	hs_leg_wipe(ACC(h));
	hs_leg_wipe(INI(h));
}

static enum hs_event
vfail(struct hs_fsm *h, const char *event, int blamed, int is_ordinary,
    const char *fmt, va_list ap)
{
	h->st = HS_FAILED;
	h->out.event = event;
	h->out.blamed = blamed;
	h->out.ordinary = is_ordinary;
	vsnprintf(h->out.detail, sizeof(h->out.detail), fmt, ap);
	hs_fsm_wipe(h);
	return HS_EV_FAIL;
}

static enum hs_event DG_PRINTF(4, 5)
fail(struct hs_fsm *h, const char *event, int blamed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(h, event, blamed, 0, fmt, ap);
	va_end(ap);
	return HS_EV_FAIL;
}

/* A leg's step refused its message: that leg is to blame. */
static enum hs_event
leg_failed(struct hs_fsm *h, int leg, const struct hs_leg_err *e)
{
	return fail(h, e->event, leg, "%s", e->detail);
}

/* An ordinary end of a handshake: no alert, no blame, a debug line. */
static enum hs_event DG_PRINTF(2, 3)
ordinary(struct hs_fsm *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(h, NULL, HS_NOBODY, 1, fmt, ap);
	va_end(ap);
	return HS_EV_FAIL;
}

/*
 * A handshake that cannot work because the two sides (as distguard lets
 * them see each other) do not share a flag one of them requires.  Nobody
 * attacked anybody: no ban, but an alert that names the flags and who
 * lacks them, so the operator can fix the cause; `what` says what
 * happened.
 */
static enum hs_event
incompatible(struct hs_fsm *h, uint64_t lacking, const char *what)
{
	char names[200], versions[64];
	const char *cause;

	if ((lacking & h->withhold) != 0)
		cause = "withheld by withhold_flags";
	else if ((lacking & ~DFLAG_SUPPORTED) != 0)
		cause = "distguard does not carry them";
	else if ((lacking & ~h->leg[h->remote].flags) != 0)
		cause = "the peer does not offer them";
	else
		cause = "the node does not offer them";
	dflag_versions_requiring(lacking, versions, sizeof(versions));
	fail(h, "handshake.incompatible", HS_NOBODY, "%s: no %s (%s%s%s); %s",
	    what, dflag_names(lacking, names, sizeof(names)),
	    versions[0] ? "required by " : "required",
	    versions, versions[0] ? " nodes" : "", cause);
	h->out.incompat = lacking;
	h->out.incompat_cfg = lacking & h->withhold;
	return HS_EV_FAIL;
}

/* The remote leg lacks flags the configuration requires: stock answers
 * not_allowed (spec 2.6), to ACC, which waits for a status either way. */
static enum hs_event
lacks_required(struct hs_fsm *h)
{
	char names[256];
	uint64_t missing = h->require & ~h->leg[h->remote].flags;

	if (missing == 0)
		return HS_EV_NONE;
	hs_acc_status(ACC(h), "not_allowed");
	return fail(h, "handshake.bad_flags", h->remote,
	    "missing flags (require_flags): %s",
	    dflag_names(missing, names, sizeof(names)));
}

void
hs_fsm_allow_dynamic(struct hs_fsm *h)
{
	h->dynamic_ok = 1;
}

/*
 * ACC asked for a dynamic name (NAME_ME, spec 2.9: erl_call -R, a
 * `-sname undefined@host` remote shell).  B would invent the name, and an
 * atom with it, before anything is proven (spec 7.1.7); distguard gives
 * the name instead, "dyn-<8 random hex>-<B's alive>@<ACC's host>", and
 * a random creation, and B sees an ordinary static name.  The policy and
 * the cookie are then those of that name ({peer, "dyn-*-app@*", ...}):
 * a peer gains nothing it could not have by choosing such a name itself.
 * From local sources only: the tools that ask for one run on the host.
 */
static enum hs_event
assign_name(struct hs_fsm *h)
{
	struct hs_name_msg *a = &ACC(h)->name;
	char name[sizeof(a->name.s)], alive[DG_MAX_NODE_BYTES + 1];
	const char *why = NULL;
	int n;

	if (!h->dynamic_ok)
		return fail(h, "handshake.bad_name", HS_ACC, "%s",
		    "dynamic node names are given to local sources only");
	snprintf(alive, sizeof(alive), "%s", h->expect);
	alive[strcspn(alive, "@")] = '\0';
	n = snprintf(name, sizeof(name), "dyn-%08x-%s@%s",
	    (unsigned)randombytes_random(), alive, a->name.s);
	if (n < 0 || (size_t)n >= sizeof(name) ||
	    hs_check_node_name(name, (size_t)n, &why) != 0)
		return fail(h, "handshake.bad_name", HS_ACC, "dynamic name "
		    "for host %.128s: %s", a->name.s, why ? why : "too long");
	memcpy(a->name.s, name, (size_t)n + 1);
	a->name.len = (uint16_t)n;
	/* 0..3 are the dynamic request and the old 2-bit creations. */
	a->creation = 4 + randombytes_uniform(UINT32_MAX - 4);
	return HS_EV_NONE;
}

static enum hs_event
on_acc_name(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_leg_err e;
	enum hs_event ev;

	if (hs_acc_name(ACC(h), body, blen, &e) != 0)
		return leg_failed(h, HS_ACC, &e);
	if (ACC(h)->dynamic && (ev = assign_name(h)) != HS_EV_NONE)
		return ev;
	if (h->remote == HS_ACC && (ev = lacks_required(h)) != HS_EV_NONE)
		return ev;
	h->st = HS_ADMIT;
	return HS_EV_ADMIT;
}

enum hs_event
hs_fsm_admit(struct hs_fsm *h, const uint8_t *cookie, size_t len)
{
	if (h->st != HS_ADMIT || hs_leg_set_cookie(ACC(h), cookie, len) != 0)
		return fail(h, NULL, HS_NOBODY, "%s", "internal: admit out of order");
	h->st = HS_I_CONNECTING;
	return HS_EV_CONNECT;
}

/* Does ACC still wait for a status?  Until INI's challenge is passed on,
 * unless INI answered "alive" (ACC got that status already). */
static int
acc_owed_status(const struct hs_fsm *h)
{
	return h->st == HS_ADMIT ||
	    (h->st == HS_RESOLVE && h->i_status[0] != '\0');
}

enum hs_event
hs_fsm_refuse(struct hs_fsm *h, const char *status, const char *event,
    const char *detail, int blamed)
{
	if (status && acc_owed_status(h))
		hs_acc_status(ACC(h), status);
	return fail(h, event, blamed, "%s", detail);
}

enum hs_event
hs_fsm_drop(struct hs_fsm *h, const char *detail)
{
	return ordinary(h, "%s", detail);
}

enum hs_event
hs_fsm_connected(struct hs_fsm *h)
{
	const struct hs_name_msg *a = &ACC(h)->name;

	if (h->st != HS_I_CONNECTING)
		return fail(h, NULL, HS_NOBODY, "%s", "internal: connected out of order");
	/* ACC's own name and creation: INI must see who is really talking,
	 * and the creation is inside every pid ACC sends (spec 2.12). */
	hs_ini_name(INI(h), ACC(h)->flags & h->supported, a->creation,
	    a->name.s, a->name.len);
	h->st = HS_I_STATUS;
	return HS_EV_NONE;
}

static enum hs_event
on_ini_status(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_status st;
	struct hs_leg_err e;
	const char *inil = INI(h)->label, *accl = ACC(h)->label;

	if (hs_ini_status(INI(h), body, blen, &st, &e) != 0)
		return leg_failed(h, HS_INI, &e);
	if (strcmp(st.text, "ok") == 0 || strcmp(st.text, "ok_simultaneous") == 0) {
		snprintf(h->i_status, sizeof(h->i_status), "%s", st.text);
		h->st = HS_I_CHALLENGE;
		return HS_EV_NONE;
	}
	if (strcmp(st.text, "alive") == 0) {
		/* INI holds a live connection under ACC's name.  ACC decides
		 * whether that one is stale; INI authenticates ACC before it
		 * acts on the answer (spec 2.8), and so do we.  ACC has its
		 * status; the challenge follows its answer with no second
		 * status (spec 2.3). */
		h->i_status[0] = '\0';
		hs_acc_status(ACC(h), "alive");
		h->st = HS_A_ALIVE;
		return HS_EV_NONE;
	}
	if (strcmp(st.text, "nok") == 0) {
		/* A simultaneous connect: INI is dialling ACC too, and its
		 * name compares greater, so it keeps its own attempt
		 * (dist_util mark_pending).  ACC's setup process waits for its
		 * net_kernel to end it; the other attempt carries on. */
		hs_acc_status(ACC(h), st.text);
		return ordinary(h, "%s answered nok: a simultaneous connect, "
		    "settled in favour of the %s's own attempt", inil, inil);
	}
	if (strcmp(st.text, "not_allowed") == 0) {
		uint64_t sent = ACC(h)->flags & h->supported;
		uint64_t lacking = DFLAG_MANDATORY_26 & ~sent;
		char what[64];

		hs_acc_status(ACC(h), st.text);
		/* INI checks its mandatory set first (check_dflags): if what
		 * it was offered lacks a flag some release requires, that is
		 * the likely reason, and nobody's attack. */
		snprintf(what, sizeof(what), "%s refused the %s (not_allowed)",
		    inil, accl);
		if (lacking)
			return incompatible(h, lacking, what);
		/* Otherwise its own choice (net_kernel:allow/1): ACC proved
		 * nothing, but did nothing wrong either. */
		return fail(h, NULL, HS_NOBODY, "%s answered not_allowed "
		    "(its allow list)", inil);
	}
	return fail(h, "handshake.malformed", HS_INI,
	    "unexpected status from %s: %s", inil, st.text);
}

static enum hs_event
on_acc_alive_answer(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_status st;
	const char *why = NULL;

	if (hs_parse_status(body, blen, &st, &why) != 0 ||
	    (strcmp(st.text, "true") != 0 && strcmp(st.text, "false") != 0))
		return fail(h, "handshake.malformed", HS_ACC,
		    "answer to alive: %s", why ? why : "not true or false");
	hs_ini_answer(INI(h), st.text);
	if (strcmp(st.text, "false") == 0)
		return ordinary(h, "%s gave up its attempt (alive, false)",
		    ACC(h)->label);
	h->st = HS_I_CHALLENGE;
	return HS_EV_NONE;
}

/* Is INI the node expected: the same alive name, or the same full name? */
static int
ini_is_expected(const struct hs_fsm *h)
{
	const struct dg_name *n = &INI(h)->chal.name;
	const char *at = memchr(n->s, '@', n->len);
	size_t want = strlen(h->expect);

	if (at == NULL)
		return 0;
	if (strchr(h->expect, '@') != NULL)
		return n->len == want && memcmp(n->s, h->expect, want) == 0;
	return (size_t)(at - n->s) == want && memcmp(n->s, h->expect, want) == 0;
}

static enum hs_event
on_ini_challenge(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_leg_err e;
	enum hs_event ev;

	if (hs_ini_challenge(INI(h), body, blen, &e) != 0)
		return leg_failed(h, HS_INI, &e);
	if (!ini_is_expected(h))
		return fail(h, "handshake.malformed", HS_INI,
		    "%s introduced itself as %.200s", INI(h)->label,
		    INI(h)->chal.name.s);
	if (h->remote == HS_INI && (ev = lacks_required(h)) != HS_EV_NONE)
		return ev;
	h->common = ACC(h)->flags & h->supported & INI(h)->flags;
	if ((h->common & DFLAG_MANDATORY_25) != DFLAG_MANDATORY_25)
		return incompatible(h, DFLAG_MANDATORY_25 & ~h->common,
		    "node and peer share no OTP 25 flag set");
	/* ACC hears nothing more before the policy of INI's real name
	 * admits it: the admission decision was provisional. */
	h->st = HS_RESOLVE;
	return HS_EV_RESOLVE;
}

enum hs_event
hs_fsm_resolved(struct hs_fsm *h, const uint8_t *cookie, size_t len)
{
	const struct hs_challenge *c = &INI(h)->chal;

	if (h->st != HS_RESOLVE || hs_leg_set_cookie(INI(h), cookie, len) != 0)
		return fail(h, NULL, HS_NOBODY, "%s", "internal: resolved out of order");
	/* INI's real name and creation; the flags both legs end on. */
	if (h->i_status[0] != '\0' && ACC(h)->dynamic)
		hs_acc_status_named(ACC(h));
	else if (h->i_status[0] != '\0')
		hs_acc_status(ACC(h), h->i_status);
	/* A dynamic-name initiator keeps only the flags both sides offered
	 * and checks that NAME_ME is one of them (OTP's dist_util
	 * do_setnode): ACC is told it, B never is. */
	hs_acc_challenge(ACC(h), h->common |
	    (ACC(h)->dynamic ? DFLAG_NAME_ME : 0), c->creation, c->name.s,
	    c->name.len);
	h->st = HS_A_REPLY;
	return HS_EV_NONE;
}

static enum hs_event
on_acc_reply(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_leg_err e;

	if (hs_acc_reply(ACC(h), body, blen, &e) != 0)
		return leg_failed(h, HS_ACC, &e);
	hs_ini_reply(INI(h));
	h->st = HS_I_ACK;
	return HS_EV_NONE;
}

static enum hs_event
on_ini_ack(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_leg_err e;

	if (hs_ini_ack(INI(h), body, blen, &e) != 0)
		return leg_failed(h, HS_INI, &e);
	hs_acc_ack(ACC(h));
	hs_fsm_wipe(h);
	h->st = HS_UP;
	return HS_EV_UP;
}

int
hs_fsm_turn(const struct hs_fsm *h)
{
	switch (h->st) {
	case HS_A_NAME:
	case HS_A_ALIVE:
	case HS_A_REPLY:
		return HS_ACC;
	case HS_I_STATUS:
	case HS_I_CHALLENGE:
	case HS_I_ACK:
		return HS_INI;
	default:
		return HS_NOBODY;
	}
}

static enum hs_event
step(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	switch (h->st) {
	case HS_A_NAME:		return on_acc_name(h, body, blen);
	case HS_A_ALIVE:	return on_acc_alive_answer(h, body, blen);
	case HS_A_REPLY:	return on_acc_reply(h, body, blen);
	case HS_I_STATUS:	return on_ini_status(h, body, blen);
	case HS_I_CHALLENGE:	return on_ini_challenge(h, body, blen);
	case HS_I_ACK:		return on_ini_ack(h, body, blen);
	default:		return HS_EV_NONE;
	}
}

/* Feeds complete u16-framed messages to their step while it is this
 * leg's turn; a leg speaking out of turn is kept for later. */
enum hs_event
hs_fsm_input(struct hs_fsm *h, int leg, const uint8_t *buf, size_t len,
    size_t *consumed)
{
	enum hs_event ev = HS_EV_NONE;
	size_t off = 0;

	while (ev == HS_EV_NONE && off < len && hs_fsm_turn(h) == leg) {
		const uint8_t *body;
		size_t blen;
		const char *why = NULL;
		int n;

		n = hs_frame(buf + off, len - off, &body, &blen, &why);
		if (n == DG_AGAIN)
			break;
		if (n < 0) {
			ev = fail(h, "handshake.malformed", leg, "framing: %s", why);
			break;
		}
		off += (size_t)n;
		ev = step(h, body, blen);
	}
	*consumed = off;
	return ev;
}

static enum hs_event
acc_closed(struct hs_fsm *h)
{
	uint64_t lacking;

	if (h->st == HS_A_REPLY) {
		/* An initiator checks the acceptor's flags when the challenge
		 * comes, and aborts without a word if one it requires is
		 * missing (check_dflags): ACC offered it, so ACC may need it. */
		lacking = ACC(h)->flags & DFLAG_MANDATORY_26 & ~h->common;
		if (lacking)
			return incompatible(h, lacking, h->remote == HS_ACC ?
			    "peer gave up after the challenge" :
			    "node gave up after the challenge");
	}
	/* Between messages: ACC gave up its attempt.  That is what a node
	 * does when it loses a simultaneous connect (its net_kernel ends
	 * the setup process) or stops wanting the connection; it proves
	 * nothing and guesses nothing. */
	return ordinary(h, "%s gave up while %s", ACC(h)->label, hs_fsm_step(h));
}

static enum hs_event
ini_closed(struct hs_fsm *h)
{
	/* INI saw nothing of ACC but its name, flags and creation, and its
	 * reasons are its own.  Closing after distguard's digest means it
	 * refused it: the cookie for its leg is wrong. */
	if (h->st == HS_I_ACK)
		return fail(h, NULL, HS_NOBODY, "%s closed instead of its ack: "
		    "it refused distguard's digest (%s)", INI(h)->label,
		    h->remote == HS_INI ? "its {cookie, ...} entry?" :
		    "node_cookie?");
	return ordinary(h, "%s gave up while %s", INI(h)->label, hs_fsm_step(h));
}

enum hs_event
hs_fsm_closed(struct hs_fsm *h, int leg, size_t partial)
{
	if (partial > 0 && leg == h->remote)
		return fail(h, "handshake.malformed", leg,
		    "%s closed in the middle of a message while %s",
		    h->leg[leg].label, hs_fsm_step(h));
	return leg == HS_ACC ? acc_closed(h) : ini_closed(h);
}

enum hs_event
hs_fsm_timeout(struct hs_fsm *h, double secs)
{
	return fail(h, "handshake.timeout", hs_fsm_turn(h),
	    "no progress for %gs while %s", secs, hs_fsm_step(h));
}

enum hs_event
hs_fsm_overflow(struct hs_fsm *h, int leg)
{
	return fail(h, "handshake.malformed", leg,
	    "%s sent more than a handshake message", h->leg[leg].label);
}

const struct hs_outcome *
hs_fsm_outcome(const struct hs_fsm *h)
{
	return &h->out;
}

int
hs_fsm_peer_blamed(const struct hs_fsm *h)
{
	/* An ordinary end blames nobody (ordinary()), and remote is a leg. */
	return h->out.blamed == h->remote;
}

const char *
hs_fsm_name(const struct hs_fsm *h, int leg)
{
	if (leg == HS_ACC)
		return ACC(h)->name.name.len > 0 ? ACC(h)->name.name.s : NULL;
	return INI(h)->chal.name.len > 0 ? INI(h)->chal.name.s : NULL;
}

uint32_t
hs_fsm_creation(const struct hs_fsm *h, int leg)
{
	return leg == HS_ACC ? ACC(h)->name.creation : INI(h)->chal.creation;
}

/* What each state waits for; "%s" is the label of the leg concerned. */
static const char *const step_text[] = {
	[HS_A_NAME] =		"waiting for the %s's send_name",
	[HS_ADMIT] =		"admission",
	[HS_I_CONNECTING] =	"connecting to the %s",
	[HS_I_STATUS] =		"waiting for the %s's status",
	[HS_A_ALIVE] =		"waiting for the %s's answer to alive",
	[HS_I_CHALLENGE] =	"waiting for the %s's challenge",
	[HS_RESOLVE] =		"resolving the policy",
	[HS_A_REPLY] =		"waiting for the %s's challenge reply",
	[HS_I_ACK] =		"waiting for the %s's ack",
	[HS_UP] =		"up",
	[HS_FAILED] =		"failed",
};

const char *
hs_fsm_step(const struct hs_fsm *h)
{
	/* One loop, one thread: a static buffer for the label. */
	static char buf[64];
	int leg = h->st == HS_I_CONNECTING ? HS_INI : hs_fsm_turn(h);

	if ((size_t)h->st >= DG_ARRAY_LEN(step_text) || step_text[h->st] == NULL)
		return "?";
	if (leg == HS_NOBODY)
		return step_text[h->st];
	snprintf(buf, sizeof(buf), step_text[h->st], h->leg[leg].label);
	return buf;
}
