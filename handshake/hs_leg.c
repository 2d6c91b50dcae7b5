/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_leg.c - the steps of one handshake leg (hs_leg.h).  hs_msg.c parses
 * and bounds every message; this file checks what each one proves.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "dg_flags.h"
#include "hs_crypto.h"
#include "hs_leg.h"

/* A new challenge, remembered in the leg's ring of those issued. */
static uint32_t
issue_challenge(struct hs_leg *l)
{
	struct hs_recent *r = l->recent;
	uint32_t c = hs_new_challenge();

	r->c[r->head] = c;
	r->head = (r->head + 1) % HS_RECENT;
	if (r->n < HS_RECENT)
		r->n++;
	return c;
}

int
hs_issued(const struct hs_recent *r, uint32_t challenge)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (r->c[i] == challenge)
			return 1;
	return 0;
}

void
hs_leg_init(struct hs_leg *l, enum hs_role role, const char *label,
    int guard_reflection, struct hs_recent *recent)
{
	memset(l, 0, sizeof(*l));
	l->role = role;
	l->label = label;
	l->guard_reflection = guard_reflection;
	l->recent = recent;
}

int
hs_leg_set_cookie(struct hs_leg *l, const uint8_t *c, size_t n)
{
	if (n > DG_COOKIE_MAX)
		return -1;
	l->cookie = c;
	l->cookie_len = n;
	return 0;
}

void
hs_leg_wipe(struct hs_leg *l)
{
	l->cookie = NULL;
	l->cookie_len = 0;
}

static int DG_PRINTF(3, 4)
refuse(struct hs_leg_err *e, const char *event, const char *fmt, ...)
{
	va_list ap;

	e->event = event;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return -1;
}

static void
emit(struct hs_leg *l, int n)
{
	/* Sizes are bounded by the message limits: n < 0 cannot happen
	 * with HS_OUT_MAX buffers (nor without a buffer: the caller's
	 * hs_fsm_set_out), but never advance on it. */
	if (n > 0)
		l->out_len += (size_t)n;
}

#define OUT(l)	(l)->out ? (l)->out + (l)->out_len : NULL, \
	(l)->out ? HS_OUT_MAX - (l)->out_len : 0

/* ---- acceptor ---------------------------------------------------------- */

int
hs_acc_name(struct hs_leg *l, const uint8_t *body, size_t blen,
    struct hs_leg_err *e)
{
	const char *why = NULL;

	if (blen > 0 && body[0] == HS_TAG_NAME_OLD)
		return refuse(e, "handshake.malformed", "old 'n' send_name "
		    "(handshake version 5) is not supported");
	if (hs_parse_send_name(body, blen, &l->name, &why) != 0)
		return refuse(e, "handshake.malformed", "send_name: %s", why);
	l->name.name.s[l->name.name.len] = '\0';
	if (l->name.flags & DFLAG_NAME_ME) {
		/* Only the host: whether a name is given out, and which, is
		 * the sequencer's (hs_fsm.c, docs/HANDSHAKE.md). */
		if (memchr(l->name.name.s, '@', l->name.name.len) != NULL ||
		    l->name.name.len == 0 || l->name.name.len > HS_DYN_HOST_MAX)
			return refuse(e, "handshake.bad_name", "dynamic name "
			    "request: the host part must come alone, 1..%d "
			    "bytes", HS_DYN_HOST_MAX);
		l->dynamic = 1;
		l->flags = dflag_expand(l->name.flags);
		return 0;
	}
	if (hs_check_node_name(l->name.name.s, l->name.name.len, &why) != 0)
		return refuse(e, "handshake.bad_name", "node name: %s", why);
	l->flags = dflag_expand(l->name.flags);
	return 0;
}

void
hs_acc_status(struct hs_leg *l, const char *text)
{
	emit(l, hs_put_status(OUT(l), text));
}

void
hs_acc_status_named(struct hs_leg *l)
{
	emit(l, hs_put_status_named(OUT(l), l->name.name.s, l->name.name.len,
	    l->name.creation));
}

void
hs_acc_challenge(struct hs_leg *l, uint64_t flags, uint32_t creation,
    const char *name, size_t len)
{
	l->mine = issue_challenge(l);
	emit(l, hs_put_challenge(OUT(l), flags, l->mine, creation, name, len));
}

int
hs_acc_reply(struct hs_leg *l, const uint8_t *body, size_t blen,
    struct hs_leg_err *e)
{
	struct hs_reply r;
	const char *why = NULL;

	if (hs_parse_reply(body, blen, &r, &why) != 0)
		return refuse(e, "handshake.malformed", "challenge reply: %s", why);
	if (!hs_digest_ok(l->cookie, l->cookie_len, l->mine, r.digest))
		return refuse(e, "handshake.bad_digest", "challenge reply does "
		    "not match the cookie for this %s", l->label);
	/* Digest good; still never sign a challenge we issued ourselves. */
	if (l->guard_reflection && (r.challenge == l->mine ||
	    hs_issued(l->recent, r.challenge)))
		return refuse(e, "handshake.reflected_challenge",
		    "%s's challenge is one distguard issued", l->label);
	l->theirs = r.challenge;
	return 0;
}

void
hs_acc_ack(struct hs_leg *l)
{
	uint8_t digest[HS_DIGEST_LEN];

	hs_digest(l->cookie, l->cookie_len, l->theirs, digest);
	emit(l, hs_put_ack(OUT(l), digest));
	sodium_memzero(digest, sizeof(digest));
}

/* ---- initiator --------------------------------------------------------- */

void
hs_ini_name(struct hs_leg *l, uint64_t flags, uint32_t creation,
    const char *name, size_t len)
{
	emit(l, hs_put_send_name(OUT(l), flags, creation, name, len));
}

int
hs_ini_status(struct hs_leg *l, const uint8_t *body, size_t blen,
    struct hs_status *st, struct hs_leg_err *e)
{
	const char *why = NULL;

	if (hs_parse_status(body, blen, st, &why) != 0)
		return refuse(e, "handshake.malformed", "status from %s: %s",
		    l->label, why);
	return 0;
}

void
hs_ini_answer(struct hs_leg *l, const char *text)
{
	emit(l, hs_put_status(OUT(l), text));
}

int
hs_ini_challenge(struct hs_leg *l, const uint8_t *body, size_t blen,
    struct hs_leg_err *e)
{
	const char *why = NULL;

	if (hs_parse_challenge(body, blen, &l->chal, &why) != 0 || l->chal.old)
		return refuse(e, "handshake.malformed", "challenge from %s: %s",
		    l->label, why ? why : "old format");
	l->chal.name.s[l->chal.name.len] = '\0';
	if (l->guard_reflection && hs_issued(l->recent, l->chal.challenge))
		return refuse(e, "handshake.reflected_challenge",
		    "%s's challenge is one distguard issued", l->label);
	l->flags = dflag_expand(l->chal.flags);
	l->theirs = l->chal.challenge;
	return 0;
}

void
hs_ini_reply(struct hs_leg *l)
{
	uint8_t digest[HS_DIGEST_LEN];

	l->mine = issue_challenge(l);
	hs_digest(l->cookie, l->cookie_len, l->theirs, digest);
	emit(l, hs_put_reply(OUT(l), l->mine, digest));
	sodium_memzero(digest, sizeof(digest));
}

int
hs_ini_ack(struct hs_leg *l, const uint8_t *body, size_t blen,
    struct hs_leg_err *e)
{
	struct hs_ack a;
	const char *why = NULL;

	if (hs_parse_ack(body, blen, &a, &why) != 0)
		return refuse(e, "handshake.malformed", "ack from %s: %s",
		    l->label, why);
	if (!hs_digest_ok(l->cookie, l->cookie_len, l->mine, a.digest))
		return refuse(e, "handshake.bad_digest", "%s's ack does not "
		    "match its cookie (%s)", l->label,
		    l->guard_reflection ? "its {cookie, ...} entry" : "node_cookie?");
	return 0;
}
