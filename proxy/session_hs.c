/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_hs.c - lifecycle of one mediated connection, and the handshake on
 * both legs (the sequencer is handshake/hs_fsm.c; this file gives it
 * sockets, a step timer, and the answers that need configuration:
 * admission, cookies, name collisions, host checks).
 *
 * Trusts nothing from the remote leg.  Trusts a node of ours (one that
 * registered from an allowed address) to speak the protocol, but still
 * parses all it says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/addr.h"
#include "core/ban.h"
#include "core/alert.h"
#include "conf/conf.h"
#include "core/net.h"
#include "dg_flags.h"
#include "dg_log.h"
#include "link/link_conf.h"
#include "filter/guard.h"
#include "filter/nodes.h"
#include "relay.h"
#include "scratch.h"
#include "session_hs.h"
#include "session_start.h"


#define LEG_OF(w, field)	((struct leg *)((char *)(w) - offsetof(struct leg, field)))

/* ---- the handshake ---------------------------------------------------- */

/* Sends what the engine wrote for each leg whose socket exists. */
static void
hs_flush(struct session *s)
{
	for (int i = 0; i < 2; i++) {
		struct hs_leg *hl = &s->hs->fsm.leg[i];
		struct leg *l = &s->leg[i];

		if (hl->out_len)
			l->hs->out(l, hl->out, hl->out_len);
		hl->out_len = 0;
	}
}

/*
 * Counts a failure that is the peer's own fault.  A remote source is
 * counted (and banned) by address.  A local source is one of the host's
 * nodes, which all share the loopback address: it is counted by the node
 * name it claimed, so one misbehaving process cannot lock the others out;
 * before its name is read and admitted there is nothing to count it by.
 */
static void
count_failure(struct session *s)
{
	struct dg_daemon *d = s->d;
	const char *name = s->local ? s->peer->name : NULL;

	if (s->local && name[0] == '\0')
		return;
	if (!bans_fail(d->bans, peer_sa(s), name, dg_now()))
		return;
	alert_emit_dir(d->alerts, "peer.banned", peer_sa(s), session_peer_name(s),
	    session_node_name(s), session_direction(s),
	    "%d failed handshakes within %gs: %s for %gs",
	    d->conf->ban_failures, d->conf->ban_window,
	    s->local ? "this node name banned from this local source" :
	    "banned", d->conf->ban_duration);
}

void
session_blame(struct session *s)
{
	count_failure(s);
}

void
session_hs_failed(struct session *s)
{
	const struct hs_outcome *o = hs_fsm_outcome(&s->hs->fsm);
	struct dg_daemon *d = s->d;
	char reason[640], where[300] = "";

	hs_flush(s);	/* a final status (not_allowed, nok) goes out */
	/* nok, a lost tie-break, a node's own refusal: outcomes of the
	 * protocol, not failures (docs/HANDSHAKE.md). */
	stats_handshake(d->stats, o->ordinary ? "normal" : o->event &&
	    strncmp(o->event, "handshake.", 10) == 0 ? o->event + 10 : "failed");
	if (o->incompat_cfg)
		snprintf(where, sizeof(where), " (withhold_flags, %s:%d)",
		    s->conf->path ? s->conf->path : "?",
		    s->conf->hs_withhold_line);
	if (o->event && !o->ordinary)
		alert_emit_dir(d->alerts, o->event, peer_sa(s), session_peer_name(s),
		    session_node_name(s), session_direction(s), "%s%s", o->detail,
		    where);
	if (hs_fsm_peer_blamed(&s->hs->fsm))
		count_failure(s);
	snprintf(reason, sizeof(reason), "handshake failed: %s%s", o->detail,
	    where);
	s->quiet = o->ordinary;
	session_close(s, reason);
}

/* Is the host part of `node` this peer's source address?  Only literal
 * addresses and "localhost" can be checked without a blocking resolver;
 * other names fail the check (documented in docs/CONFIG.md).  Compared as
 * address keys, so a v4-mapped source matches its IPv4 literal. */
static int
host_matches_source(const struct session *s, const char *node)
{
	const char *host = strchr(node, '@');
	struct dg_addr_key src, claimed;

	if (host == NULL)
		return 0;
	host++;
	if (strcmp(host, "localhost") == 0)
		return dg_addr_is_loopback(peer_sa(s));
	if (dg_addr_key_parse(host, &claimed) != 0)
		return 0;
	dg_addr_key_of(peer_sa(s), &src);
	return dg_addr_key_eq(&src, &claimed);
}

/*
 * Resolves the policy of node `local` (whose guard is leg l's) for the
 * other leg's node into that guard; when it does not admit it, refuses
 * (not_allowed, handshake.name_denied) and returns 0.
 */
int
session_guard_admits(struct session *s, struct leg *l, const char *local)
{
	struct guard *g = session_guard(s, l->role);

	if (g == NULL) {
		hs_fsm_refuse(&s->hs->fsm, NULL, NULL, "out of memory",
		    HS_NOBODY);
		return 0;
	}
	if (rules_resolve(s->conf, local, l->other->name, &g->pol))
		return 1;
	/* The policy is the operator's, and a local node refused while a
	 * policy is being worked out must connect as soon as the policy is
	 * fixed: not counted.  Nor is a remote a node of ours asked for. */
	hs_fsm_refuse(&s->hs->fsm, "not_allowed", "handshake.name_denied",
	    g->pol.desc, s->local || s->kind->remote_asked ? HS_NOBODY :
	    s->peer->role);
	return 0;
}

/*
 * The peer's name becomes an atom of B as soon as B reads it: charged to
 * B's atom budget before B is dialled (docs/FILTER.md 12), so that
 * reconnecting under new names cannot fill B's table either.  Not for an
 * egress session (our node asked for that name itself), nor for a peer
 * without an atom budget.  Returns 0 when refused.
 */
static int
name_budget(struct session *s, const char *local)
{
	struct nodes_refusal r;
	char src[80], cookie[80], why[200];

	if (s->kind->remote_asked || s->guards[s->node->role]->pol.atoms <= 0)
		return 1;
	relay_share_keys(s, src, sizeof(src), cookie, sizeof(cookie));
	if (nodes_charge_name(s->d->nodes, local, s->peer->name, src, cookie,
	    s->conf, &r) == 0)
		return 1;
	snprintf(why, sizeof(why), "a new name, and the atom "
	    "budget of the %s is spent (%llu of %lld)", r.budget,
	    (unsigned long long)r.count, (long long)r.bound);
	hs_fsm_refuse(&s->hs->fsm, "not_allowed", "filter.atom_flood",
	    why, s->peer->role);
	return 0;
}

/* The checks that need configuration, then P's cookie (inbound, and an
 * accepted link). */
enum hs_event
session_admit(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	const struct dg_conf *conf = s->conf;
	const struct dg_cookie *pc;
	const char *name;
	const struct leg_hs *vh = s->peer->hs;
	int who = s->peer->role;
	const uint8_t *vc;
	size_t vclen;
	char local[DG_MAX_ALIVE_BYTES + 300];

	/* The leg owns the name from here on (its own copy, never cut). */
	if (session_leg_name(s->peer, hs_fsm_name(h, who)) == -1)
		return hs_fsm_refuse(h, NULL, NULL, "out of memory", HS_NOBODY);
	name = s->peer->name;
	/* {plaintext, deny}: a remote host must come over a link. */
	if (conf->link != NULL && conf->link->plaintext == LK_PLAINTEXT_DENY &&
	    !vh->is_virtual && !s->local)
		return hs_fsm_refuse(h, "not_allowed", "handshake.name_denied",
		    "a remote peer without a link, and {plaintext, deny}", who);
	if (s->local) {
		/* The listener let the local source in; the ban, if any, is
		 * on this name only (as the listener's: no byte answered). */
		double left = bans_check(s->d->bans, peer_sa(s), name, dg_now());

		if (left > 0) {
			snprintf(local, sizeof(local), "%s is banned from this "
			    "local source for %.0fs more", name, left);
			return hs_fsm_drop(h, local);
		}
	}
	if (s->d->is_local_node != NULL && s->d->is_local_node(s->d, name)) {
		if (!dg_local_source(conf->reg_from, conf->nreg_from,
		    peer_sa(s)))
			return hs_fsm_refuse(h, "not_allowed",
			    "handshake.name_collision",
			    "claims the name of a node registered on this host",
			    who);
		s->peer_local = 1;
	}
	/* Over a link the host part is vouched for by the link's binding
	 * (session_link.c), not by the source address. */
	if (conf->hs_check_host && !vh->is_virtual &&
	    !host_matches_source(s, name))
		return hs_fsm_refuse(h, "not_allowed", "handshake.bad_name",
		    "host part does not match the source address", who);
	/* B's full name is not known before its challenge: a provisional
	 * check against alive@<this host> refuses early, before B is
	 * dialled; resolve() decides on B's real name. */
	snprintf(local, sizeof(local), "%s@%s", s->alive, s->d->hostshort);
	if (!session_guard_admits(s, s->node, local))
		return HS_EV_FAIL;
	if (!name_budget(s, local))
		return HS_EV_FAIL;
	if (conf_node_cookie(conf, local) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured", who);
	/* A remote node behind a link proved its cookie to its own daemon:
	 * here its leg is virtual, with the link's random cookie. */
	if (vh->cookie(s->peer, &vc, &vclen) == 0)
		return hs_fsm_admit(h, vc, vclen);
	if ((pc = conf_peer_cookie(conf, name)) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured", who);
	return hs_fsm_admit(h, pc->secret, pc->len);
}

/*
 * B's challenge named it: the one resolution of the connection's policy,
 * from the final names on both sides, and B's cookie for that name.  A
 * peer the provisional check let in but B's real scope does not admit is
 * refused here, before it sees B's challenge.
 */
enum hs_event
session_resolve(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	const struct dg_cookie *bc;

	if (session_leg_name(s->node, hs_fsm_name(h, s->node->role)) == -1)
		return hs_fsm_refuse(h, NULL, NULL, "out of memory", HS_NOBODY);
	if (!session_guard_admits(s, s->node, s->node->name))
		return HS_EV_FAIL;
	if ((bc = conf_node_cookie(s->conf, s->node->name)) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured",
		    s->peer->role);
	return hs_fsm_resolved(h, bc->secret, bc->len);
}

/* Dials the INI leg (non-blocking); completion comes as writability. */
void
session_connect_leg(struct leg *l, const struct sockaddr *sa, socklen_t len)
{
	struct session *s = l->s;
	int one = 1;

	l->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd == -1) {
		session_close(s, "cannot create a socket for the node leg");
		return;
	}
	setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(l->fd, sa, len) == -1 && errno != EINPROGRESS) {
		session_close(s, "node not reachable");
		return;
	}
	ev_io_set(&l->rd, l->fd, EV_READ);
	ev_io_set(&l->wr, l->fd, EV_WRITE);
	ev_io_start(s->d->loop, &l->wr);	/* completion of connect */
}

/* B listens on loopback only, at the port it registered. */
void
session_connect_node(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (s->b_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(s->b_port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(s->b_port);
		len = sizeof(*a);
	}
	session_connect_leg(&s->leg[HS_INI], (struct sockaddr *)&ss, len);
}

static void
handshake_up(struct session *s)
{
	struct hs_io *io = s->hs;
	struct hs_fsm *h = &io->fsm;

	s->flags = h->common;
	session_pending_end(s);
	s->state = SESSION_UP;
	s->d->sessions++;
	/* Remote sources are capped in established connections too
	 * (net_admit); the host's own nodes and our own dials are not. */
	if (!s->local && !s->kind->remote_asked &&
	    srccount_add(s->d->est_sources, peer_sa(s), 1) == 0)
		s->est_counted = 1;
	s->row = stats_row(s->d->stats, s->alive, s->peer->name,
	    s->kind->egress);
	s->row->connections++;
	s->row->live++;
	/* Between two nodes of this host each is protected: the dialled one
	 * counts the session as inbound, under its own name
	 * (docs/METRICS.md). */
	if (s->kind->both_ours) {
		char alive[DG_MAX_ALIVE_BYTES + 1];
		const char *at = strchr(s->peer->name, '@');

		snprintf(alive, sizeof(alive), "%.*s",
		    at ? (int)(at - s->peer->name) : 0, s->peer->name);
		s->peer_row = stats_row(s->d->stats, alive, s->node->name, 0);
		s->peer_row->connections++;
		s->peer_row->live++;
	}
	stats_handshake(s->d->stats, "ok");
	s->node->guard = s->guards[s->node->role];
	if (s->kind->both_ours)
		s->peer->guard = s->guards[s->peer->role];
	log_info("conn %llu %s %s %s %s: up, flags %#llx (%s), policy: %s%s%s",
	    (unsigned long long)s->id, s->peertext, s->peer->name,
	    s->kind->arrow, s->node->name,
	    (unsigned long long)s->flags,
	    (s->flags & DFLAG_PUBLISHED) ? "visible" : "hidden",
	    s->node->guard->pol.desc, s->kind->both_ours ?
	    "; the other way: " : "",
	    s->kind->both_ours ? s->peer->guard->pol.desc : "");
	ev_timer_stop(s->d->loop, &s->timer);
	/* No handshake state outlives the handshake.  The dialled leg may
	 * already have sent its first frames after 'a': the relay copies
	 * them into its scratch before they are freed. */
	s->hs = NULL;
	hs_fsm_wipe(h);
	relay_start(s, io->in[HS_INI], io->inlen[HS_INI]);
	s->hs = io;
	session_hs_free(s);
}

void
session_hs_init(struct session *s, enum hs_order order, const char *expect)
{
	struct dg_scratch *x = s->d->scratch;

	hs_fsm_init(&s->hs->fsm, order, s->conf->hs_withhold,
	    s->conf->hs_require, expect, s->d->hs_recent);
	/* Every step's output is sent before the step returns (hs_flush):
	 * all handshakes can write into the same two buffers. */
	hs_fsm_set_out(&s->hs->fsm, x->hs_out[HS_ACC], x->hs_out[HS_INI]);
}

void
session_hs_step(struct session *s, enum hs_event ev)
{
	for (;;) {
		hs_flush(s);
		switch (ev) {
		case HS_EV_NONE:
			return;
		case HS_EV_ADMIT:
			ev = s->kind->admit(s);
			continue;
		case HS_EV_CONNECT:
			s->kind->connect(s);
			return;
		case HS_EV_RESOLVE:
			ev = s->kind->resolve(s);
			continue;
		case HS_EV_UP:
			handshake_up(s);
			return;
		case HS_EV_FAIL:
			session_hs_failed(s);
			return;
		}
	}
}

/*
 * Runs the sequencer on buf[0..len): what leg l kept of an unfinished
 * message, then its new bytes, in the scratch.  What it leaves (an
 * unfinished message, or one spoken out of turn) goes back to the leg's
 * own buffer before the session moves on, since the steps that follow
 * may read another leg into the same scratch.
 */
static void
hs_run(struct leg *l, const uint8_t *buf, size_t len)
{
	struct session *s = l->s;
	struct hs_io *io = s->hs;
	enum hs_state before = io->fsm.st;
	enum hs_event ev;
	size_t used = 0, left;

	ev = hs_fsm_input(&io->fsm, l->role, buf, len, &used);
	left = len - used;
	if (left > 0 && io->in[l->role] == NULL &&
	    (io->in[l->role] = malloc(HS_IN_MAX)) == NULL) {
		session_close(s, "out of memory");
		return;
	}
	if (left > 0)
		memmove(io->in[l->role], buf + used, left);
	else {
		/* Between messages a leg holds no buffer. */
		free(io->in[l->role]);
		io->in[l->role] = NULL;
	}
	io->inlen[l->role] = left;
	/* The step timer restarts whenever the handshake moves on: the
	 * limit is per step, as net_setuptime. */
	if (io->fsm.st != before)
		ev_timer_again(s->d->loop, &s->timer);
	session_hs_step(s, ev);
}

/* What leg l kept of an unfinished message, into the scratch: its
 * length, or -1 (the session failed) when that is a whole message's
 * worth already, none consumed: that is not a handshake. */
static ssize_t
hs_unfinished(struct leg *l, uint8_t *buf)
{
	struct hs_io *io = l->s->hs;
	size_t len = io->inlen[l->role];

	if (len == HS_IN_MAX) {
		hs_fsm_overflow(&io->fsm, l->role);
		session_hs_failed(l->s);
		return -1;
	}
	if (len > 0)
		memcpy(buf, io->in[l->role], len);
	return (ssize_t)len;
}

/* Reads a leg's handshake bytes and runs the sequencer on them. */
static void
hs_read(struct leg *l)
{
	struct session *s = l->s;
	struct hs_io *io = s->hs;
	uint8_t *buf = s->d->scratch->hs_in;
	ssize_t len = hs_unfinished(l, buf), n;

	if (len < 0)
		return;
	n = read(l->fd, buf + len, HS_IN_MAX - (size_t)len);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			session_close(s, l->why->hs_read_error);
		else
			hs_run(l, buf, (size_t)len);
		return;
	}
	if (n == 0) {
		/* Who is to blame is the engine's call (hs_fsm_closed):
		 * closing inside a message is malformed, closing between
		 * messages is giving up, as a node that lost a simultaneous
		 * connect does.  One that closes before sending anything has
		 * merely gone. */
		if (l->role == HS_ACC && io->fsm.st == HS_A_NAME && len == 0)
			session_close(s, l->why->hs_closed_early);
		else {
			hs_fsm_closed(&io->fsm, l->role, (size_t)len);
			session_hs_failed(s);
		}
		return;
	}
	hs_run(l, buf, (size_t)(len + n));
}

void
session_hs_feed(struct leg *l, const uint8_t *p, size_t n)
{
	uint8_t *buf = l->s->d->scratch->hs_in;
	ssize_t len;

	if (n > HS_IN_MAX - l->s->hs->inlen[l->role]) {
		hs_fsm_overflow(&l->s->hs->fsm, l->role);
		session_hs_failed(l->s);
		return;
	}
	if ((len = hs_unfinished(l, buf)) < 0)
		return;
	memcpy(buf + len, p, n);
	hs_run(l, buf, (size_t)len + n);
}

/* A plain leg speaks the handshake on its socket. */
static void
plain_hs_on_read(struct leg *l)
{
	hs_read(l);
}

static void
plain_hs_out(struct leg *l, const uint8_t *p, size_t n)
{
	if (l->fd != -1 && session_leg_send(l, p, n) == -1)
		log_warn("conn %llu: write to %s", (unsigned long long)l->s->id,
		    l->what);
}

static void
plain_hs_connected(struct leg *l)
{
	session_hs_step(l->s, hs_fsm_connected(&l->s->hs->fsm));
}

static int
plain_hs_cookie(const struct leg *l, const uint8_t **p, size_t *n)
{
	return -1;
}

static const struct leg_hs leg_plain_hs = {
	0, plain_hs_on_read, plain_hs_out, plain_hs_connected, plain_hs_cookie
};

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, timer));

	hs_fsm_timeout(&s->hs->fsm, s->conf->hs_timeout);
	session_hs_failed(s);
}

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct leg *l = LEG_OF(w, rd);

	if (l->s->state == SESSION_UP)
		relay_on_readable(l);
	else
		l->hs->on_read(l);
}

/* The dialled leg's connect completed (or failed). */
static void
connected(struct leg *l)
{
	struct session *s = l->s;
	int err = 0;
	socklen_t len = sizeof(err);

	ev_io_stop(s->d->loop, &l->wr);
	if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		errno = err;
		/* The leg dialled is named already when the remote was asked
		 * for (egress); a node of ours goes by its alive name. */
		log_warn("conn %llu: %s %s on port %u not reachable",
		    (unsigned long long)s->id, l->what,
		    l->name[0] ? l->name : s->alive, s->b_port);
		session_close(s, s->kind->unreachable);
		return;
	}
	ev_io_start(s->d->loop, &l->rd);
	ev_timer_again(s->d->loop, &s->timer);
	l->hs->connected(l);
}

static void
on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct leg *l = LEG_OF(w, wr);
	struct session *s = l->s;
	int r;

	if (s->state == SESSION_HANDSHAKE && l->role == HS_INI &&
	    s->hs->fsm.st == HS_I_CONNECTING) {
		connected(l);
		return;
	}
	r = session_leg_drain(l);
	if (r == -1)
		session_close(s, l->why->write_failed);
	else if (r == 1 && s->state == SESSION_UP)
		relay_on_writable(l);
}

/* In logs, by the leg's kind. */
static const char *const leg_what[] = {
	[LEG_REMOTE] = "peer", [LEG_NODE] = "node", [LEG_LINK] = "link"
};

/* A leg starts plain: a link leg gets its handshake from its session's
 * kind (session_link.c) and its transport with its key exchange
 * (linkleg.c). */
static void
leg_init(struct session *s, int role, enum leg_kind kind, int fd)
{
	struct leg *l = &s->leg[role];

	l->s = s;
	l->other = &s->leg[!role];
	l->role = role;
	l->kind = kind;
	l->what = leg_what[kind];
	l->io = &leg_plain_io;
	l->hs = &leg_plain_hs;
	l->fd = fd;
	session_leg_noname(l);
	ev_io_init(&l->rd, on_read, fd, EV_READ);
	ev_io_init(&l->wr, on_write, fd, EV_WRITE);
}

/*
 * A session of kind k for an accepted connection, its two legs set up
 * (the accepted leg of the kind's dialler kind) and its handshake
 * started; NULL (the connection closed, logged) when memory ran out.
 */
struct session *
session_new(struct dg_daemon *d, int fd, const struct sockaddr_storage *ss,
    const char *alive, const struct session_kind *k)
{
	struct session *s = calloc(1, sizeof(*s));
	struct srccount *src = k->link_budget ? d->link_sources :
	    d->hs_sources;

	/* The source is counted last: nothing to count down on failure. */
	if (s == NULL || (s->hs = calloc(1, sizeof(*s->hs))) == NULL ||
	    (s->alive = strdup(alive)) == NULL ||
	    srccount_add(src, (const struct sockaddr *)ss, 1) == -1) {
		if (s) {
			free(s->alive);
			free(s->hs);
		}
		free(s);
		log_warnx("listener %s: out of memory: connection closed", alive);
		close(fd);
		return NULL;
	}
	s->d = d;
	s->conf = d->conf;
	conf_ref(s->conf);
	s->id = ++d->next_conn_id;
	s->kind = k;
	s->state = SESSION_HANDSHAKE;
	leg_init(s, HS_ACC, k->dialler, fd);
	leg_init(s, HS_INI, k->dialled, -1);
	/* The remote is the one that dialled us, unless a node of ours did
	 * (egress); until its address is known, the source stands in. */
	s->peer = &s->leg[k->peer_role];
	s->node = s->peer->other;
	s->peer->why = &leg_reasons_peer;
	s->node->why = &leg_reasons_node;
	s->peer_addr = *ss;
	dg_addr_text(peer_sa(s), s->peertext, sizeof(s->peertext));
	if (k->link_budget)
		d->link_pending++;
	else
		d->hs_pending++;
	ev_init(&s->timer, on_timer);
	s->timer.repeat = s->conf->hs_timeout;
	ev_timer_again(d->loop, &s->timer);
	ev_io_start(d->loop, &s->leg[HS_ACC].rd);
	return s;
}

/* Inbound: the remote dialled us; we dial the node. */
static const struct session_kind session_inbound = {
	.direction = "inbound",
	.egress = 0,
	.arrow = "->",
	.unreachable = "node not reachable",
	.peer_role = HS_ACC,
	.dialler = LEG_REMOTE,
	.dialled = LEG_NODE,
	.admit = session_admit,
	.connect = session_connect_node,
	.resolve = session_resolve,
};

void
session_start(struct dg_daemon *d, int fd, const struct sockaddr_storage *ss,
    const char *alive, int b_family, uint16_t b_port)
{
	struct session *s = session_new(d, fd, ss, alive, &session_inbound);

	if (s == NULL)
		return;
	s->b_family = b_family;
	s->b_port = b_port;
	s->local = dg_local_source(s->conf->reg_from, s->conf->nreg_from,
	    peer_sa(s));
	session_hs_init(s, HS_INBOUND, alive);
	/* erl_call -R and remote shells of the host ask for a name. */
	if (s->local)
		hs_fsm_allow_dynamic(&s->hs->fsm);
	log_debug("conn %llu %s -> %s: accepted", (unsigned long long)s->id,
	    s->peertext, alive);
}

