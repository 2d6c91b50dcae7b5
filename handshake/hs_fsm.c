/*
 * hs_fsm.c - the two-leg handshake engine.  See hs_fsm.h for the order of
 * steps.  Every message from either leg is parsed by hs_msg.c, which
 * bounds it; this file decides what each one means.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "dg_flags.h"
#include "hs_crypto.h"
#include "hs_fsm.h"

/*
 * Challenges issued recently, to any peer or node.  A peer whose own
 * challenge equals one of them is trying to make us compute a digest over
 * a challenge we issued: the reflection attack of spec 7.1.4.  One process,
 * one event loop: a static ring is all the sharing needed.
 */
#define HS_RECENT	1024
static uint32_t hs_recent[HS_RECENT];
static unsigned hs_recent_head, hs_recent_n;

static uint32_t
issue_challenge(void)
{
	uint32_t c = hs_new_challenge();

	hs_recent[hs_recent_head] = c;
	hs_recent_head = (hs_recent_head + 1) % HS_RECENT;
	if (hs_recent_n < HS_RECENT)
		hs_recent_n++;
	return c;
}

int
hs_fsm_issued(uint32_t challenge)
{
	unsigned i;

	for (i = 0; i < hs_recent_n; i++)
		if (hs_recent[i] == challenge)
			return 1;
	return 0;
}

void
hs_fsm_init(struct hs_fsm *h, uint64_t withhold, uint64_t require,
    const char *b_alive)
{
	memset(h, 0, sizeof(*h));
	h->st = HS_PEER_NAME;
	h->supported = DFLAG_SUPPORTED & ~withhold;
	h->withhold = withhold;
	h->require = require;
	snprintf(h->b_alive, sizeof(h->b_alive), "%s", b_alive);
}

void
hs_fsm_wipe(struct hs_fsm *h)
{
	sodium_memzero(h->peer_cookie, sizeof(h->peer_cookie));
	sodium_memzero(h->b_cookie, sizeof(h->b_cookie));
	h->peer_cookie_len = h->b_cookie_len = 0;
}

static enum hs_event
fail(struct hs_fsm *h, const char *event, int peer_fault, const char *fmt,
    const char *arg)
{
	h->st = HS_FAILED;
	h->event = event;
	h->peer_fault = peer_fault;
	snprintf(h->detail, sizeof(h->detail), fmt, arg ? arg : "");
	hs_fsm_wipe(h);
	return HS_EV_FAIL;
}

/* An ordinary end of a handshake: no alert, no blame, a debug line. */
static enum hs_event
ordinary(struct hs_fsm *h, const char *fmt, const char *arg)
{
	fail(h, NULL, 0, fmt, arg);
	h->ordinary = 1;
	return HS_EV_FAIL;
}

static void
emit(uint8_t *buf, size_t *len, int n)
{
	/* Sizes are bounded by the message limits: n < 0 cannot happen
	 * with HS_OUT_MAX buffers, but never advance on it. */
	if (n > 0)
		*len += (size_t)n;
}

#define TO_PEER(h)	(h)->out_peer + (h)->out_peer_len, \
			sizeof((h)->out_peer) - (h)->out_peer_len
#define TO_B(h)		(h)->out_b + (h)->out_b_len, \
			sizeof((h)->out_b) - (h)->out_b_len

/*
 * A handshake that cannot work because the two nodes (as distguard lets
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

	h->st = HS_FAILED;
	h->event = "handshake.incompatible";
	h->peer_fault = 0;
	h->incompat = lacking;
	h->incompat_cfg = lacking & h->withhold;
	if (h->incompat_cfg)
		cause = "withheld by withhold_flags";
	else if ((lacking & ~DFLAG_SUPPORTED) != 0)
		cause = "distguard does not carry them";
	else if ((lacking & ~h->peer_flags) != 0)
		cause = "the peer does not offer them";
	else
		cause = "the node does not offer them";
	dflag_versions_requiring(lacking, versions, sizeof(versions));
	snprintf(h->detail, sizeof(h->detail), "%s: no %s (%s%s%s); %s", what,
	    dflag_names(lacking, names, sizeof(names)),
	    versions[0] ? "required by " : "required",
	    versions, versions[0] ? " nodes" : "", cause);
	hs_fsm_wipe(h);
	return HS_EV_FAIL;
}

static enum hs_event
on_peer_send_name(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	const char *why = NULL;
	char names[256];
	uint64_t missing;

	if (blen > 0 && body[0] == HS_TAG_NAME_OLD)
		return fail(h, "handshake.malformed", 1, "%s",
		    "old 'n' send_name (handshake version 5) is not supported");
	if (hs_parse_send_name(body, blen, &h->peer, &why) != 0)
		return fail(h, "handshake.malformed", 1, "send_name: %s", why);
	h->peer.name.s[h->peer.name.len] = '\0';
	if (h->peer.flags & DFLAG_NAME_ME)
		return fail(h, "handshake.bad_name", 1, "%s",
		    "dynamic node names are not mediated");
	if (hs_check_node_name(h->peer.name.s, h->peer.name.len, &why) != 0)
		return fail(h, "handshake.bad_name", 1, "node name: %s", why);
	h->peer_flags = dflag_expand(h->peer.flags);
	missing = h->require & ~h->peer_flags;
	if (missing) {
		/* Stock answers not_allowed here (spec 2.6). */
		emit(h->out_peer, &h->out_peer_len,
		    hs_put_status(TO_PEER(h), "not_allowed"));
		return fail(h, "handshake.bad_flags", 1,
		    "missing flags (require_flags): %s",
		    dflag_names(missing, names, sizeof(names)));
	}
	h->st = HS_ADMIT;
	return HS_EV_ADMIT;
}

enum hs_event
hs_fsm_admit(struct hs_fsm *h, const uint8_t *pc, size_t plen)
{
	if (h->st != HS_ADMIT || plen > sizeof(h->peer_cookie))
		return fail(h, NULL, 0, "%s", "internal: admit out of order");
	memcpy(h->peer_cookie, pc, plen);
	h->peer_cookie_len = plen;
	h->st = HS_B_CONNECTING;
	return HS_EV_CONNECT_B;
}

/* Does P still wait for a status?  Until B's challenge is passed on,
 * unless B answered "alive" (P got that status already). */
static int
peer_owed_status(const struct hs_fsm *h)
{
	return h->st == HS_ADMIT ||
	    (h->st == HS_RESOLVE && h->b_status[0] != '\0');
}

enum hs_event
hs_fsm_refuse(struct hs_fsm *h, const char *status, const char *event,
    const char *detail)
{
	if (status && peer_owed_status(h))
		emit(h->out_peer, &h->out_peer_len, hs_put_status(TO_PEER(h), status));
	return fail(h, event, 1, "%s", detail);
}

enum hs_event
hs_fsm_b_connected(struct hs_fsm *h)
{
	uint64_t offer = h->peer_flags & h->supported;

	if (h->st != HS_B_CONNECTING)
		return fail(h, NULL, 0, "%s", "internal: connected out of order");
	/* P's own name and creation: B must see who is really talking, and
	 * the creation is inside every pid P sends (spec 2.12). */
	emit(h->out_b, &h->out_b_len, hs_put_send_name(TO_B(h), offer,
	    h->peer.creation, h->peer.name.s, h->peer.name.len));
	h->st = HS_B_STATUS;
	return HS_EV_NONE;
}

static enum hs_event
on_b_status(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_status st;
	const char *why = NULL;

	if (hs_parse_status(body, blen, &st, &why) != 0)
		return fail(h, "handshake.malformed", 0, "status from node: %s", why);
	if (strcmp(st.text, "ok") == 0 || strcmp(st.text, "ok_simultaneous") == 0) {
		snprintf(h->b_status, sizeof(h->b_status), "%s", st.text);
		h->st = HS_B_CHALLENGE;
		return HS_EV_NONE;
	}
	if (strcmp(st.text, "alive") == 0) {
		/* B holds a live connection under P's name.  P decides
		 * whether that one is stale; B authenticates P before it acts
		 * on the answer (spec 2.8), and so do we. */
		/* P has its status ("alive"); the challenge follows its
		 * answer with no second status (spec 2.3). */
		h->b_status[0] = '\0';
		emit(h->out_peer, &h->out_peer_len,
		    hs_put_status(TO_PEER(h), "alive"));
		h->st = HS_PEER_ALIVE;
		return HS_EV_NONE;
	}
	if (strcmp(st.text, "nok") == 0) {
		/* A simultaneous connect: B is dialling P too, and B's name
		 * compares greater, so B keeps its own attempt (dist_util
		 * mark_pending).  P's setup process waits for its net_kernel
		 * to end it; B's attempt, through P's listener, carries on. */
		emit(h->out_peer, &h->out_peer_len,
		    hs_put_status(TO_PEER(h), st.text));
		return ordinary(h, "%s", "node answered nok: a simultaneous "
		    "connect, settled in favour of the node's own attempt");
	}
	if (strcmp(st.text, "not_allowed") == 0) {
		uint64_t sent = h->peer_flags & h->supported;
		uint64_t lacking = DFLAG_MANDATORY_26 & ~sent;

		emit(h->out_peer, &h->out_peer_len,
		    hs_put_status(TO_PEER(h), st.text));
		/* B checks its mandatory set first (check_dflags): if what B
		 * was offered lacks a flag some release requires, that is
		 * the likely reason, and nobody's attack. */
		if (lacking)
			return incompatible(h, lacking,
			    "node refused the peer (not_allowed)");
		/* Otherwise B's own choice (net_kernel:allow/1): the peer
		 * proved nothing, but did nothing wrong either. */
		return fail(h, NULL, 0, "%s", "node answered not_allowed "
		    "(its allow list)");
	}
	return fail(h, "handshake.malformed", 0, "unexpected status from node: %s",
	    st.text);
}

static enum hs_event
on_peer_alive_answer(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_status st;
	const char *why = NULL;

	if (hs_parse_status(body, blen, &st, &why) != 0 ||
	    (strcmp(st.text, "true") != 0 && strcmp(st.text, "false") != 0))
		return fail(h, "handshake.malformed", 1, "answer to alive: %s",
		    why ? why : "not true or false");
	emit(h->out_b, &h->out_b_len, hs_put_status(TO_B(h), st.text));
	if (strcmp(st.text, "false") == 0)
		return ordinary(h, "%s", "peer gave up its attempt (alive, false)");
	h->st = HS_B_CHALLENGE;
	return HS_EV_NONE;
}

static enum hs_event
on_b_challenge(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	const char *why = NULL, *at;
	uint64_t bflags;
	size_t alen;

	if (hs_parse_challenge(body, blen, &h->b, &why) != 0 || h->b.old)
		return fail(h, "handshake.malformed", 0, "challenge from node: %s",
		    why ? why : "old format");
	h->b.name.s[h->b.name.len] = '\0';
	/* The node behind this listener must be the one registered. */
	at = memchr(h->b.name.s, '@', h->b.name.len);
	alen = at ? (size_t)(at - h->b.name.s) : 0;
	if (at == NULL || alen != strlen(h->b_alive) ||
	    memcmp(h->b.name.s, h->b_alive, alen) != 0)
		return fail(h, "handshake.malformed", 0,
		    "node introduced itself as %.200s", h->b.name.s);
	bflags = dflag_expand(h->b.flags);
	h->common = h->peer_flags & h->supported & bflags;
	if ((h->common & DFLAG_MANDATORY_25) != DFLAG_MANDATORY_25)
		return incompatible(h, DFLAG_MANDATORY_25 & ~h->common,
		    "node and peer share no OTP 25 flag set");
	/* P hears nothing more before the policy of B's real name admits
	 * it: the admission decision was provisional. */
	h->st = HS_RESOLVE;
	return HS_EV_RESOLVE;
}

enum hs_event
hs_fsm_resolved(struct hs_fsm *h, const uint8_t *bc, size_t blen)
{
	if (h->st != HS_RESOLVE || blen > sizeof(h->b_cookie))
		return fail(h, NULL, 0, "%s", "internal: resolved out of order");
	memcpy(h->b_cookie, bc, blen);
	h->b_cookie_len = blen;
	h->chal_peer = issue_challenge();
	/* B's real name and creation; the flags both legs end on. */
	if (h->b_status[0] != '\0')
		emit(h->out_peer, &h->out_peer_len,
		    hs_put_status(TO_PEER(h), h->b_status));
	emit(h->out_peer, &h->out_peer_len, hs_put_challenge(TO_PEER(h), h->common,
	    h->chal_peer, h->b.creation, h->b.name.s, h->b.name.len));
	h->st = HS_PEER_REPLY;
	return HS_EV_NONE;
}

static enum hs_event
on_peer_reply(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_reply r;
	uint8_t digest[HS_DIGEST_LEN];
	const char *why = NULL;

	if (hs_parse_reply(body, blen, &r, &why) != 0)
		return fail(h, "handshake.malformed", 1, "challenge reply: %s", why);
	if (!hs_digest_ok(h->peer_cookie, h->peer_cookie_len, h->chal_peer,
	    r.digest))
		return fail(h, "handshake.bad_digest", 1, "%s",
		    "challenge reply does not match the cookie for this peer");
	/* Digest good; still never sign a challenge we issued ourselves. */
	if (r.challenge == h->chal_peer || hs_fsm_issued(r.challenge))
		return fail(h, "handshake.reflected_challenge", 1, "%s",
		    "peer's challenge is one distguard issued");
	h->chal_peer = r.challenge;		/* now: the one to answer */
	h->chal_b = issue_challenge();
	hs_digest(h->b_cookie, h->b_cookie_len, h->b.challenge, digest);
	emit(h->out_b, &h->out_b_len, hs_put_reply(TO_B(h), h->chal_b, digest));
	sodium_memzero(digest, sizeof(digest));
	h->st = HS_B_ACK;
	return HS_EV_NONE;
}

static enum hs_event
on_b_ack(struct hs_fsm *h, const uint8_t *body, size_t blen)
{
	struct hs_ack a;
	uint8_t digest[HS_DIGEST_LEN];
	const char *why = NULL;

	if (hs_parse_ack(body, blen, &a, &why) != 0)
		return fail(h, "handshake.malformed", 0, "ack from node: %s", why);
	if (!hs_digest_ok(h->b_cookie, h->b_cookie_len, h->chal_b, a.digest))
		return fail(h, "handshake.bad_digest", 0, "%s",
		    "node's ack does not match its cookie (node_cookie?)");
	hs_digest(h->peer_cookie, h->peer_cookie_len, h->chal_peer, digest);
	emit(h->out_peer, &h->out_peer_len, hs_put_ack(TO_PEER(h), digest));
	sodium_memzero(digest, sizeof(digest));
	hs_fsm_wipe(h);
	h->st = HS_UP;
	return HS_EV_UP;
}

/* Feeds complete u16-framed messages to `step` while it asks for more. */
static enum hs_event
feed(struct hs_fsm *h, const uint8_t *buf, size_t len, size_t *consumed,
    int from_peer)
{
	enum hs_event ev = HS_EV_NONE;
	size_t off = 0;

	while (ev == HS_EV_NONE && off < len) {
		const uint8_t *body;
		size_t blen;
		const char *why = NULL;
		enum hs_state st = h->st;
		int n;

		if (from_peer && st != HS_PEER_NAME && st != HS_PEER_ALIVE &&
		    st != HS_PEER_REPLY)
			break;		/* P speaks out of turn: keep it for later */
		if (!from_peer && st != HS_B_STATUS && st != HS_B_CHALLENGE &&
		    st != HS_B_ACK)
			break;
		n = hs_frame(buf + off, len - off, &body, &blen, &why);
		if (n == DG_AGAIN)
			break;
		if (n < 0) {
			ev = fail(h, "handshake.malformed", from_peer, "framing: %s",
			    why);
			break;
		}
		off += (size_t)n;
		switch (st) {
		case HS_PEER_NAME:
			ev = on_peer_send_name(h, body, blen);
			break;
		case HS_PEER_ALIVE:
			ev = on_peer_alive_answer(h, body, blen);
			break;
		case HS_PEER_REPLY:
			ev = on_peer_reply(h, body, blen);
			break;
		case HS_B_STATUS:
			ev = on_b_status(h, body, blen);
			break;
		case HS_B_CHALLENGE:
			ev = on_b_challenge(h, body, blen);
			break;
		case HS_B_ACK:
			ev = on_b_ack(h, body, blen);
			break;
		default:
			break;
		}
	}
	*consumed = off;
	return ev;
}

enum hs_event
hs_fsm_peer_input(struct hs_fsm *h, const uint8_t *buf, size_t len,
    size_t *consumed)
{
	return feed(h, buf, len, consumed, 1);
}

enum hs_event
hs_fsm_b_input(struct hs_fsm *h, const uint8_t *buf, size_t len,
    size_t *consumed)
{
	return feed(h, buf, len, consumed, 0);
}

enum hs_event
hs_fsm_peer_closed(struct hs_fsm *h, size_t partial)
{
	uint64_t lacking;

	if (partial > 0)
		return fail(h, "handshake.malformed", 1,
		    "peer closed in the middle of a message while %s",
		    hs_fsm_step(h));
	if (h->st == HS_PEER_REPLY) {
		/* An initiator checks the acceptor's flags when the challenge
		 * comes, and aborts without a word if one it requires is
		 * missing (check_dflags): P offered it, so P may need it. */
		lacking = h->peer_flags & DFLAG_MANDATORY_26 & ~h->common;
		if (lacking)
			return incompatible(h, lacking,
			    "peer gave up after the challenge");
	}
	/* Between messages: P gave up its attempt.  That is what a node
	 * does when it loses a simultaneous connect (its net_kernel ends
	 * the setup process) or stops wanting the connection; it proves
	 * nothing and guesses nothing. */
	return ordinary(h, "peer gave up while %s", hs_fsm_step(h));
}

enum hs_event
hs_fsm_b_closed(struct hs_fsm *h)
{
	/* B saw nothing of P but its name, flags and creation, and B's
	 * reasons are B's: never P's fault.  Closing after distguard's
	 * digest means B refused it: the node cookie is wrong. */
	if (h->st == HS_B_ACK)
		return fail(h, NULL, 0, "%s", "node closed instead of its ack: "
		    "it refused distguard's digest (node_cookie?)");
	return ordinary(h, "node gave up while %s", hs_fsm_step(h));
}

const char *
hs_fsm_step(const struct hs_fsm *h)
{
	switch (h->st) {
	case HS_PEER_NAME:	return "waiting for the peer's send_name";
	case HS_ADMIT:		return "admission";
	case HS_B_CONNECTING:	return "connecting to the node";
	case HS_B_STATUS:	return "waiting for the node's status";
	case HS_PEER_ALIVE:	return "waiting for the peer's answer to alive";
	case HS_B_CHALLENGE:	return "waiting for the node's challenge";
	case HS_RESOLVE:	return "resolving the policy";
	case HS_PEER_REPLY:	return "waiting for the peer's challenge reply";
	case HS_B_ACK:		return "waiting for the node's ack";
	case HS_UP:		return "up";
	case HS_FAILED:		return "failed";
	}
	return "?";
}
