/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_link.c - a session whose remote side is another distguard host,
 * over a link (linkleg.h, docs/LINKS.md).  Each daemon runs the Erlang
 * handshake only with its own node, with its own cookie: the cookie never
 * crosses the network.  The link leg stands for the remote node in the
 * handshake sequencer (hs_fsm.c) as a virtual leg: what the sequencer
 * writes to it is translated into the link's hello, and the hello that
 * comes back is fed to the sequencer as the messages the remote node
 * would have sent, with a per-connection random cookie for the virtual
 * leg (nobody else knows it; it only lets the sequencer's checks pass).
 *
 *   dialling daemon D1 (egress, INI = link)   answering daemon D2 (ACC = link)
 *   B's send_name ... sequencer: send_name -> CONNECT (B's name, flags,
 *                                              creation; R's name)
 *                                             -> R's send_name, R's status and
 *                                                challenge; sequencer: status,
 *                                                challenge  <- ACCEPT (R's name,
 *                                                the common flags, creation)
 *   B challenged, B's reply checked;
 *   sequencer: reply            -> UP         -> R gets its reply, R's ack
 *                                                checked; sequencer: ack <- UP
 *   B gets its ack; relay                        relay
 *
 * Names are bound to links: D2 accepts B's name only if the link's
 * binding covers it, D1 accepts R's real name only if it does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/alert.h"
#include "conf/conf.h"
#include "dg_log.h"
#include "handshake/hs_crypto.h"
#include "link/link_hello.h"
#include "linkleg.h"
#include "scratch.h"
#include "session_hs.h"
#include "session_link.h"

enum link_phase {
	LP_EXCHANGE,		/* the key exchange */
	LP_CONNECT,		/* D2: waiting for CONNECT */
	LP_ACCEPT,		/* D1: CONNECT sent, waiting for ACCEPT */
	LP_UP,			/* waiting for the other daemon's UP */
	LP_DONE
};

static int
send_hello(struct leg *l, enum lk_hello_type type, uint8_t status,
    uint64_t flags, uint32_t creation, const char *from, const char *to)
{
	struct lk_hello h;
	uint8_t buf[LK_HELLO_MAX];
	int n;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.status = status;
	h.flags = flags;
	h.creation = creation;
	h.from.len = (uint16_t)snprintf(h.from.s, sizeof(h.from.s), "%s", from);
	h.to.len = (uint16_t)snprintf(h.to.s, sizeof(h.to.s), "%s", to);
	if ((n = lk_hello_encode(&h, buf, sizeof(buf))) < 0) {
		session_close(l->s, "link: cannot encode the hello");
		return -1;
	}
	return linkleg_send(l, buf, (size_t)n);
}

/* The dialling daemon's names: its node (the sender) and the remote. */
static const char *
our_node(const struct session *s)
{
	return s->node->name[0] ? s->node->name : "?@?";
}

/* ---- what the sequencer says to the virtual leg -------------------------- */

/* D1: the sequencer's send_name (B's offer) becomes CONNECT; its reply
 * (B proved its cookie) becomes UP. */
static void
out_dialling(struct leg *l, const uint8_t *body, size_t blen)
{
	struct session *s = l->s;
	struct hs_name_msg nm;
	const char *why = NULL;

	if (blen > 0 && body[0] == 'N' && l->link->phase == LP_EXCHANGE) {
		if (hs_parse_send_name(body, blen, &nm, &why) != 0) {
			session_close(s, "link: internal: send_name");
			return;
		}
		nm.name.s[nm.name.len] = '\0';
		if (send_hello(l, LK_HELLO_CONNECT, 0, nm.flags, nm.creation,
		    nm.name.s, s->peer->name) == 0)
			l->link->phase = LP_ACCEPT;
	} else if (blen > 0 && body[0] == 'r' && l->link->phase == LP_ACCEPT) {
		if (send_hello(l, LK_HELLO_UP, 0, 0, 0, our_node(s),
		    s->peer->name) == 0)
			l->link->phase = LP_UP;
	}
}

/* D2: the sequencer's status and challenge (R's real name, the common
 * flags) become ACCEPT, a refusing status REFUSE, its ack UP. */
static void
out_answering(struct leg *l, const uint8_t *body, size_t blen)
{
	struct session *s = l->s;
	struct hs_challenge c;
	const char *why = NULL;

	if (blen > 1 && body[0] == 's') {
		if ((blen == 3 && memcmp(body + 1, "ok", 2) == 0) ||
		    (blen == 16 && memcmp(body + 1, "ok_simultaneous", 15) == 0))
			return;		/* ACCEPT follows with the challenge */
		/* nok is no refusal: the other node's setup must hear it as
		 * such and wait for the attempt that wins (dist_util). */
		(void)send_hello(l, LK_HELLO_REFUSE, blen == 4 &&
		    memcmp(body + 1, "nok", 3) == 0 ? LK_REFUSE_NOK :
		    LK_REFUSE_NOT_ALLOWED, 0, 0,
		    s->peer->name, s->node->name[0] ? s->node->name : "?@?");
	} else if (blen > 0 && body[0] == 'N' && l->link->phase == LP_CONNECT) {
		if (hs_parse_challenge(body, blen, &c, &why) != 0) {
			session_close(s, "link: internal: challenge");
			return;
		}
		c.name.s[c.name.len] = '\0';
		if (send_hello(l, LK_HELLO_ACCEPT, 0, c.flags, c.creation,
		    s->peer->name, c.name.s) == 0)
			l->link->phase = LP_UP;
	} else if (blen > 0 && body[0] == 'a' && l->link->phase == LP_UP) {
		if (send_hello(l, LK_HELLO_UP, 0, 0, 0, s->peer->name,
		    s->node->name) == 0) {
			l->link->phase = LP_DONE;
			linkleg_settle(l);
		}
	}
}

static void
link_hs_out(struct leg *l, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n && l->s->state != SESSION_CLOSED) {
		const uint8_t *body;
		size_t blen;
		const char *why = NULL;
		int m = hs_frame(p + off, n - off, &body, &blen, &why);

		if (m <= 0)
			return;
		off += (size_t)m;
		if (l->role == HS_INI)
			out_dialling(l, body, blen);
		else
			out_answering(l, body, blen);
	}
}

/* ---- what the other daemon says --------------------------------------------- */

static void
feed_digest_msg(struct leg *l, int ack)
{
	struct hs_leg *v = &l->s->hs->fsm.leg[l->role];
	uint8_t d[HS_DIGEST_LEN], m[64];
	int n;

	/* The digest the sequencer expects from the virtual leg: over the
	 * challenge it gave that leg, with the leg's random cookie. */
	hs_digest(l->link->vcookie, sizeof(l->link->vcookie), v->mine, d);
	n = ack ? hs_put_ack(m, sizeof(m), d) :
	    hs_put_reply(m, sizeof(m), randombytes_random(), d);
	sodium_memzero(d, sizeof(d));
	if (n > 0)
		session_hs_feed(l, m, (size_t)n);
}

/* D2: CONNECT.  The sender's node must be bound to the link, the node it
 * wants must be registered here; then the sequencer hears its send_name. */
static void
hello_connect(struct leg *l, const struct lk_hello *h)
{
	struct session *s = l->s;
	struct dg_daemon *d = s->d;
	char detail[300], alive[DG_MAX_ALIVE_BYTES + 1], *at;
	const char *alert;
	uint8_t m[HS_OUT_MAX];
	int family, n;
	uint16_t port;

	if (session_leg_name(s->peer, h->from.s) == -1) {
		session_close(s, "link: out of memory");
		return;
	}
	if ((alert = lk_hello_check(h, &l->link->hs->binding, detail,
	    sizeof(detail))) != NULL) {
		(void)send_hello(l, LK_HELLO_REFUSE, LK_REFUSE_NOT_BOUND, 0, 0,
		    h->from.s, h->to.s);
		alert_emit_dir(d->alerts, alert, peer_sa(s), h->from.s, h->to.s,
		    "inbound", "%s", detail);
		session_close(s, detail);
		return;
	}
	at = strchr(h->to.s, '@');
	snprintf(alive, sizeof(alive), "%.*s", at ? (int)(at - h->to.s) : 0,
	    h->to.s);
	if (at == NULL || d->node_port == NULL ||
	    d->node_port(d, alive, &family, &port) != 0) {
		(void)send_hello(l, LK_HELLO_REFUSE, LK_REFUSE_NO_NODE, 0, 0,
		    h->from.s, h->to.s);
		session_close(s, "link: the node asked for is not registered here");
		return;
	}
	free(s->alive);
	if ((s->alive = strdup(alive)) == NULL) {
		session_close(s, "link: out of memory");
		return;
	}
	s->b_family = family;
	s->b_port = port;
	l->link->phase = LP_CONNECT;
	session_hs_init(s, HS_INBOUND, alive);
	n = hs_put_send_name(m, sizeof(m), h->flags, h->creation, h->from.s,
	    h->from.len);
	if (n > 0)
		session_hs_feed(l, m, (size_t)n);
}

/* D1: ACCEPT.  R's real name must be bound to the link; the sequencer
 * then hears R's status and a challenge with R's name and flags. */
static void
hello_accept(struct leg *l, const struct lk_hello *h)
{
	struct session *s = l->s;
	char detail[300];
	const char *alert;
	uint8_t m[HS_OUT_MAX];
	int n, k;

	if ((alert = lk_hello_check(h, &l->link->hs->binding, detail,
	    sizeof(detail))) != NULL) {
		alert_emit_dir(s->d->alerts, alert, peer_sa(s), h->to.s,
		    our_node(s), "egress", "%s", detail);
		session_close(s, detail);
		return;
	}
	n = hs_put_status(m, sizeof(m), "ok");
	k = n > 0 ? hs_put_challenge(m + n, sizeof(m) - (size_t)n, h->flags,
	    randombytes_random(), h->creation, h->to.s, h->to.len) : -1;
	if (k > 0)
		session_hs_feed(l, m, (size_t)(n + k));
}

/* D1: the remote node answered nok (it is dialling our node too, and
 * its attempt wins).  The sequencer hears the status a plain remote
 * would have sent, and passes it to B as it does on a plain egress: B's
 * setup then waits for its net_kernel, which hands the callers waiting
 * on this attempt to the remote's own.  Closing B's connection instead
 * fails them (net_adm:ping answers pang while the mesh forms). */
static void
hello_nok(struct leg *l)
{
	uint8_t m[16];
	int n;

	if ((n = hs_put_status(m, sizeof(m), "nok")) > 0)
		session_hs_feed(l, m, (size_t)n);
	else
		session_close(l->s, "link: internal: status");
}

static void
on_hello(struct leg *l, const uint8_t *p, size_t n)
{
	struct session *s = l->s;
	struct lk_hello h;
	const char *why = NULL;
	char reason[200];
	int phase = l->link->phase;

	if (lk_hello_decode(p, n, &h, &why) != 0) {
		snprintf(reason, sizeof(reason), "link: bad hello: %s", why);
		session_close(s, reason);
		return;
	}
	if (h.type == LK_HELLO_REFUSE && h.status == LK_REFUSE_NOK &&
	    l->role == HS_INI && phase == LP_ACCEPT)
		hello_nok(l);
	else if (h.type == LK_HELLO_REFUSE) {
		snprintf(reason, sizeof(reason), "link: the other daemon "
		    "refused (status %u)", h.status);
		session_close(s, reason);
	} else if (h.type == LK_HELLO_CONNECT && l->role == HS_ACC &&
	    phase == LP_EXCHANGE)
		hello_connect(l, &h);
	else if (h.type == LK_HELLO_ACCEPT && l->role == HS_INI &&
	    phase == LP_ACCEPT)
		hello_accept(l, &h);
	else if (h.type == LK_HELLO_UP && phase == LP_UP) {
		if (l->role == HS_INI) {
			l->link->phase = LP_DONE;
			linkleg_settle(l);
		}
		feed_digest_msg(l, l->role == HS_INI);
	} else
		session_close(s, "link: hello out of order");
}

static void
link_hs_on_read(struct leg *l)
{
	struct session *s = l->s;
	uint8_t *rec = s->d->scratch->hello;
	size_t n;
	int r;

	if (l->link == NULL)
		return;		/* still connecting */
	if ((r = linkleg_pull(l)) == -1)
		return;
	/* One hello per record; once the handshake is done the rest of
	 * the buffer is the relay's (relay_start). */
	while (s->state == SESSION_HANDSHAKE) {
		enum linkleg_next nx = linkleg_next(l, rec,
		    sizeof(s->d->scratch->hello), &n);

		if (nx == LINKLEG_FAIL)
			return;
		if (nx == LINKLEG_NONE)
			break;
		ev_timer_again(s->d->loop, &s->timer);
		on_hello(l, rec, n);
	}
	if (s->state == SESSION_HANDSHAKE && l->link->eof) {
		/* An accepted link closed before its key exchange is done
		 * is a failure of the caller's (towards a ban): else a
		 * source could make us do the exchange's public-key work
		 * for nothing, over and over, at no cost to itself. */
		if (l->role == HS_ACC && l->link->st == LINKLEG_EXCHANGE)
			session_blame(s);
		session_close(s, "link: the other daemon closed during the "
		    "handshake");
	}
}

/* The key exchange is done: D1 offers B's side (CONNECT). */
static void
link_up(struct leg *l)
{
	if (l->role == HS_INI)
		session_hs_step(l->s, hs_fsm_connected(&l->s->hs->fsm));
}

static void
link_connected(struct leg *l)
{
	struct session *s = l->s;
	const char *host = strchr(s->peer->name, '@') + 1;

	if (linkleg_start(l, LK_INITIATOR, s->link_host ? s->link_host :
	    host, link_up) == -1)
		return;
	/* The sequencer's send_name goes out as CONNECT once the link is up
	 * (link_up). */
}

/* The virtual leg's cookie: the link's random one. */
static int
link_cookie(const struct leg *l, const uint8_t **p, size_t *n)
{
	if (l->link == NULL)
		return -1;
	*p = l->link->vcookie;
	*n = sizeof(l->link->vcookie);
	return 0;
}

static const struct leg_hs link_leg_hs = {
	1, link_hs_on_read, link_hs_out, link_connected, link_cookie
};

void
session_link_leg(struct leg *l)
{
	l->kind = LEG_LINK;
	l->what = "link";
	l->hs = &link_leg_hs;
}

/* Another daemon dialled our link listener: its node is the remote,
 * vouched for by the link's binding; ours is dialled as for inbound. */
static const struct session_kind session_link = {
	.direction = "inbound",
	.egress = 0,
	.arrow = "->",
	.unreachable = "node not reachable",
	.link_budget = 1,
	.peer_role = HS_ACC,
	.dialler = LEG_LINK,
	.dialled = LEG_NODE,
	.admit = session_admit,
	.connect = session_connect_node,
	.resolve = session_resolve,
};

void
session_start_link(struct dg_daemon *d, int fd, const struct sockaddr_storage *ss)
{
	struct session *s = session_new(d, fd, ss, "?", &session_link);

	if (s == NULL)
		return;
	session_link_leg(s->peer);
	/* Until CONNECT names the node: a timeout blames the other daemon. */
	session_hs_init(s, HS_INBOUND, "?");
	if (linkleg_start(s->peer, LK_RESPONDER, NULL, link_up) == -1)
		return;
	log_debug("conn %llu %s: link accepted", (unsigned long long)s->id,
	    s->peertext);
}
