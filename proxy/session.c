/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session.c - lifecycle of one mediated connection, and the handshake on
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
#include "session.h"
#include "link/link_conf.h"
#include "guard.h"
#include "linkleg.h"
#include "nodes.h"
#include "session_int.h"


#define LEG_OF(w, field)	((struct leg *)((char *)(w) - offsetof(struct leg, field)))

/*
 * The names logs, alerts and stats print: the peer's as its leg holds it
 * once admission read it (before that, the claim the engine parsed, if
 * any), and the node's real name once the handshake gave it (before that,
 * the registered alive name).  relay.c prints the same two fields.
 */
static const char *
peer_name_of(const struct session *s)
{
	if (s->peer->name[0] != '\0')
		return s->peer->name;
	if (s->hs != NULL)
		return hs_fsm_name(&s->hs->fsm, s->peer->role);
	return NULL;
}

static const char *
node_name_of(const struct session *s)
{
	return s->node->name[0] != '\0' ? s->node->name : s->alive;
}



/* ---- output queues ---------------------------------------------------- */

int
leg_send(struct leg *l, const uint8_t *p, size_t n)
{
	struct outq *q = &l->q;
	int fd = l->fd;
	ssize_t w = 0;

	if (n == 0)
		return 0;
	if (q->len == q->off) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			w = 0;
		}
	}
	if ((size_t)w < n) {
		if (outq_append(q, p + w, n - (size_t)w, 0) == -1)
			return -1;
		ev_io_start(l->s->d->loop, &l->wr);
	}
	return 0;
}

/* Writes what is queued; returns 1 when the queue is empty, 0 if not yet,
 * -1 on a write error. */
static int
leg_drain(struct leg *l)
{
	int rc;

	/* Drained, the queue gives its memory back: idle sessions keep no
	 * buffers. */
	if ((rc = outq_flush(&l->q, l->fd)) == 1)
		ev_io_stop(l->s->d->loop, &l->wr);
	return rc;
}

/* ---- closing ---------------------------------------------------------- */

static void
on_reap(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, reaper));

	ev_idle_stop(loop, w);
	relay_free(s);
	for (int i = 0; i < 2; i++) {
		free(s->leg[i].q.buf);
		free(s->leg[i].inject.buf);
		linkleg_free(&s->leg[i]);
	}
	free(s->alive);
	if (s->hs) {
		lookup_stop(&s->hs->lookup);
		hs_fsm_wipe(&s->hs->fsm);
		free(s->hs);
	}
	conf_unref(s->conf);
	free(s);
}

/* An accepted link counts against the link listener's own budget. */
static int
accepted_link(const struct session *s)
{
	return s->leg[HS_ACC].kind == LEG_LINK;
}

static void
unpend(struct session *s)
{
	if (!s->pending)
		return;
	s->pending = 0;
	if (accepted_link(s)) {
		s->d->link_pending--;
		srccount_add(s->d->link_sources, peer_sa(s), -1);
	} else {
		s->d->hs_pending--;
		srccount_add(s->d->hs_sources, peer_sa(s), -1);
	}
}

/*
 * The one way out: logs, stops every watcher, closes both sockets, and
 * leaves the memory to an idle watcher, since a callback of this session
 * may still be on the stack.
 */
void
session_close(struct session *s, const char *reason)
{
	struct ev_loop *loop = s->d->loop;

	if (s->closed)
		return;
	s->closed = 1;
	(s->quiet ? log_debug : log_info)("conn %llu %s %s -> %s: closed: %s",
	    (unsigned long long)s->id, s->peertext,
	    s->peer->name[0] ? s->peer->name : "?", node_name_of(s), reason);
	for (int i = 0; i < 2; i++) {
		struct leg *l = &s->leg[i];

		ev_io_stop(loop, &l->rd);
		ev_io_stop(loop, &l->wr);
		if (l->fd != -1)
			close(l->fd);
	}
	ev_timer_stop(loop, &s->timer);
	unpend(s);
	if (s->up) {
		s->d->sessions--;
		if (s->row)
			s->row->live--;
		if (s->peer_row)
			s->peer_row->live--;
	}
	if (s->est_counted) {
		s->est_counted = 0;
		srccount_add(s->d->est_sources, peer_sa(s), -1);
	}
	if (s->hs) {
		lookup_stop(&s->hs->lookup);
		hs_fsm_wipe(&s->hs->fsm);
	}
	/*
	 * At the highest priority an idle watcher runs on every loop
	 * iteration, after the callbacks of this one: a busy loop (a flood)
	 * cannot put the freeing off, as it would at the default priority,
	 * where idle watchers wait for a loop with nothing else to do.
	 */
	ev_idle_init(&s->reaper, on_reap);
	ev_set_priority(&s->reaper, EV_MAXPRI);
	ev_idle_start(loop, &s->reaper);
}

/* ---- the handshake ---------------------------------------------------- */

/* Sends what the engine wrote for each leg whose socket exists. */
static void
hs_flush(struct session *s)
{
	for (int i = 0; i < 2; i++) {
		struct hs_leg *hl = &s->hs->fsm.leg[i];
		struct leg *l = &s->leg[i];

		/* A link leg speaks no Erlang handshake: what the engine
		 * says to it becomes the link's hello (session_link.c). */
		if (hl->out_len && l->kind == LEG_LINK)
			link_hs_out(l, hl->out, hl->out_len);
		else if (hl->out_len && l->fd != -1 &&
		    leg_send(l, hl->out, hl->out_len) == -1)
			log_warn("conn %llu: write to %s", (unsigned long long)s->id,
			    l->what);
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
	alert_emit_dir(d->alerts, "peer.banned", peer_sa(s), peer_name_of(s),
	    node_name_of(s), session_direction(s),
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
hs_failed(struct session *s)
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
		alert_emit_dir(d->alerts, o->event, peer_sa(s), peer_name_of(s),
		    node_name_of(s), session_direction(s), "%s%s", o->detail,
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
guard_admits(struct session *s, struct leg *l, const char *local)
{
	struct guard *g = &s->guards[l->role];

	if (rules_resolve(s->conf, local, l->other->name, &g->pol))
		return 1;
	/* The policy is the operator's, and a local node refused while a
	 * policy is being worked out must connect as soon as the policy is
	 * fixed: not counted.  Nor is a remote a node of ours asked for. */
	hs_fsm_refuse(&s->hs->fsm, "not_allowed", "handshake.name_denied",
	    g->pol.desc, s->local || s->egress ? HS_NOBODY : s->peer->role);
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

	if (s->egress || s->guards[s->node->role].pol.atoms <= 0)
		return 1;
	guard_share_keys(s, src, sizeof(src), cookie, sizeof(cookie));
	if (nodes_charge_name(local, s->peer->name, src, cookie, s->conf,
	    &r) == 0)
		return 1;
	snprintf(why, sizeof(why), "a new name, and the atom "
	    "budget of the %s is spent (%llu of %lld)", r.budget,
	    (unsigned long long)r.count, (long long)r.bound);
	hs_fsm_refuse(&s->hs->fsm, "not_allowed", "filter.atom_flood",
	    why, s->peer->role);
	return 0;
}

/* The checks that need configuration, then P's cookie. */
static enum hs_event
admit(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	const struct dg_conf *conf = s->conf;
	const struct dg_cookie *pc;
	const char *name = s->peer->name;
	int who = s->peer->role;
	char local[DG_MAX_ALIVE_BYTES + 300];

	/* The leg owns the name from here on (the same size as the
	 * engine's, so it is never cut). */
	snprintf(s->peer->name, sizeof(s->peer->name), "%s",
	    hs_fsm_name(h, who));
	/* {plaintext, deny}: a remote host must come over a link. */
	if (conf->link != NULL && conf->link->plaintext == LK_PLAINTEXT_DENY &&
	    s->peer->kind != LEG_LINK && !s->local)
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
	if (conf->hs_check_host && s->peer->kind != LEG_LINK &&
	    !host_matches_source(s, name))
		return hs_fsm_refuse(h, "not_allowed", "handshake.bad_name",
		    "host part does not match the source address", who);
	/* B's full name is not known before its challenge: a provisional
	 * check against alive@<this host> refuses early, before B is
	 * dialled; resolve() decides on B's real name. */
	snprintf(local, sizeof(local), "%s@%s", s->alive, s->d->hostshort);
	if (!guard_admits(s, s->node, local))
		return HS_EV_FAIL;
	if (!name_budget(s, local))
		return HS_EV_FAIL;
	if (conf_node_cookie(conf, local) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured", who);
	/* A remote node behind a link proved its cookie to its own daemon:
	 * here its leg is virtual, with the link's random cookie. */
	if (s->peer->kind == LEG_LINK)
		return hs_fsm_admit(h, s->peer->link->vcookie,
		    sizeof(s->peer->link->vcookie));
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
static enum hs_event
resolve(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	const struct dg_cookie *bc;

	snprintf(s->node->name, sizeof(s->node->name), "%s",
	    hs_fsm_name(h, s->node->role));
	if (!guard_admits(s, s->node, s->node->name))
		return HS_EV_FAIL;
	if ((bc = conf_node_cookie(s->conf, s->node->name)) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured",
		    s->peer->role);
	return hs_fsm_resolved(h, bc->secret, bc->len);
}

/* Dials the INI leg (non-blocking); completion comes as writability. */
void
connect_leg(struct leg *l, const struct sockaddr *sa, socklen_t len)
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
connect_node(struct session *s)
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
	connect_leg(&s->leg[HS_INI], (struct sockaddr *)&ss, len);
}

static void
handshake_up(struct session *s)
{
	struct hs_io *io = s->hs;
	struct hs_fsm *h = &io->fsm;
	size_t early = io->inlen[HS_INI];

	s->flags = h->common;
	unpend(s);
	s->up = 1;
	s->d->sessions++;
	/* Remote sources are capped in established connections too
	 * (net_admit); the host's own nodes and our own dials are not. */
	if (!s->local && s->leg[HS_ACC].kind != LEG_NODE &&
	    srccount_add(s->d->est_sources, peer_sa(s), 1) == 0)
		s->est_counted = 1;
	s->row = stats_row(s->d->stats, s->alive, s->peer->name, s->egress);
	s->row->connections++;
	s->row->live++;
	/* Between two nodes of this host each is protected: the dialled one
	 * counts the session as inbound, under its own name
	 * (docs/METRICS.md). */
	if (s->peer_ours) {
		char alive[DG_MAX_ALIVE_BYTES + 1];
		const char *at = strchr(s->peer->name, '@');

		snprintf(alive, sizeof(alive), "%.*s",
		    at ? (int)(at - s->peer->name) : 0, s->peer->name);
		s->peer_row = stats_row(s->d->stats, alive, s->node->name, 0);
		s->peer_row->connections++;
		s->peer_row->live++;
	}
	stats_handshake(s->d->stats, "ok");
	s->node->guard = &s->guards[s->node->role];
	if (s->peer_ours)
		s->peer->guard = &s->guards[s->peer->role];
	log_info("conn %llu %s %s %s %s: up, flags %#llx (%s), policy: %s%s%s",
	    (unsigned long long)s->id, s->peertext, s->peer->name,
	    s->egress ? "<- egress from" : "->", s->node->name,
	    (unsigned long long)s->flags,
	    (s->flags & DFLAG_PUBLISHED) ? "visible" : "hidden",
	    s->node->guard->pol.desc, s->peer_ours ? "; the other way: " : "",
	    s->peer_ours ? s->peer->guard->pol.desc : "");
	ev_timer_stop(s->d->loop, &s->timer);
	s->hs = NULL;
	/* The dialled leg may already have sent its first frames after 'a'. */
	{
		uint8_t buf[sizeof(io->in[HS_INI])];

		memcpy(buf, io->in[HS_INI], early);
		hs_fsm_wipe(h);
		free(io);
		relay_start(s, buf, early);
	}
}

void
hs_step(struct session *s, enum hs_event ev)
{
	for (;;) {
		hs_flush(s);
		switch (ev) {
		case HS_EV_NONE:
			return;
		case HS_EV_ADMIT:
			ev = s->egress ? admit_egress(s) : admit(s);
			continue;
		case HS_EV_CONNECT:
			if (s->egress)
				connect_egress(s);
			else
				connect_node(s);
			return;
		case HS_EV_RESOLVE:
			ev = s->egress ? resolve_egress(s) : resolve(s);
			continue;
		case HS_EV_UP:
			handshake_up(s);
			return;
		case HS_EV_FAIL:
			hs_failed(s);
			return;
		}
	}
}

/* Reads into a leg's handshake buffer; -1 when the session was closed. */
static int
hs_read(struct leg *l)
{
	struct session *s = l->s;
	struct hs_io *io = s->hs;
	uint8_t *buf = io->in[l->role];
	size_t *len = &io->inlen[l->role];
	size_t cap = sizeof(io->in[l->role]);
	ssize_t n;

	if (*len == cap) {
		/* Two maximal messages buffered and none consumed: that is
		 * not a handshake. */
		hs_fsm_overflow(&io->fsm, l->role);
		hs_failed(s);
		return -1;
	}
	n = read(l->fd, buf + *len, cap - *len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		session_close(s, l == s->peer ? "peer read error during handshake" :
		    "node read error during handshake");
		return -1;
	}
	if (n == 0) {
		/* Who is to blame is the engine's call (hs_fsm_closed):
		 * closing inside a message is malformed, closing between
		 * messages is giving up, as a node that lost a simultaneous
		 * connect does.  One that closes before sending anything has
		 * merely gone. */
		if (l->role == HS_ACC && io->fsm.st == HS_A_NAME && *len == 0)
			session_close(s, l == s->peer ?
			    "peer closed before the handshake" :
			    "node closed before the handshake");
		else {
			hs_fsm_closed(&io->fsm, l->role, *len);
			hs_failed(s);
		}
		return -1;
	}
	*len += (size_t)n;
	return 0;
}

/* Runs the sequencer on what a leg's handshake buffer holds. */
static void
hs_run(struct leg *l)
{
	struct session *s = l->s;
	struct hs_io *io = s->hs;
	enum hs_state before = io->fsm.st;
	enum hs_event ev;
	size_t used = 0, *len = &io->inlen[l->role];

	ev = hs_fsm_input(&io->fsm, l->role, io->in[l->role], *len, &used);
	memmove(io->in[l->role], io->in[l->role] + used, *len - used);
	*len -= used;
	/* The step timer restarts whenever the handshake moves on: the
	 * limit is per step, as net_setuptime. */
	if (io->fsm.st != before)
		ev_timer_again(s->d->loop, &s->timer);
	hs_step(s, ev);
}

void
hs_feed(struct leg *l, const uint8_t *p, size_t n)
{
	struct hs_io *io = l->s->hs;
	size_t *len = &io->inlen[l->role];

	if (n > sizeof(io->in[l->role]) - *len) {
		hs_fsm_overflow(&io->fsm, l->role);
		hs_failed(l->s);
		return;
	}
	memcpy(io->in[l->role] + *len, p, n);
	*len += n;
	hs_run(l);
}

static void
hs_on_read(struct leg *l)
{
	if (l->kind == LEG_LINK) {
		link_hs_on_read(l);
		return;
	}
	if (hs_read(l) == -1)
		return;
	hs_run(l);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, timer));

	hs_fsm_timeout(&s->hs->fsm, s->conf->hs_timeout);
	hs_failed(s);
}

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct leg *l = LEG_OF(w, rd);

	if (l->s->up)
		relay_on_readable(l);
	else
		hs_on_read(l);
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
		log_warn("conn %llu: %s %s on port %u not reachable",
		    (unsigned long long)s->id, l->what,
		    s->egress ? s->peer->name : s->alive, s->b_port);
		session_close(s, s->egress ? "peer not reachable" :
		    "node not reachable");
		return;
	}
	ev_io_start(s->d->loop, &l->rd);
	ev_timer_again(s->d->loop, &s->timer);
	if (l->kind == LEG_LINK)
		link_connected(l);
	else
		hs_step(s, hs_fsm_connected(&s->hs->fsm));
}

static void
on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct leg *l = LEG_OF(w, wr);
	struct session *s = l->s;
	int r;

	if (!s->up && l->role == HS_INI && s->hs->fsm.st == HS_I_CONNECTING) {
		connected(l);
		return;
	}
	r = leg_drain(l);
	if (r == -1)
		session_close(s, l == s->peer ? "write to peer failed" :
		    "write to node failed");
	else if (r == 1 && s->up)
		relay_on_writable(l);
}

static void
leg_init(struct session *s, int role, enum leg_kind kind, int fd)
{
	struct leg *l = &s->leg[role];

	l->s = s;
	l->other = &s->leg[!role];
	l->role = role;
	l->kind = kind;
	l->what = kind == LEG_NODE ? "node" : kind == LEG_LINK ? "link" : "peer";
	l->fd = fd;
	ev_io_init(&l->rd, on_read, fd, EV_READ);
	ev_io_init(&l->wr, on_write, fd, EV_WRITE);
}

/*
 * A session for an accepted connection, its two legs set up (`dialler`:
 * the accepted leg's kind) and its handshake started; NULL (the
 * connection closed, logged) when memory ran out.
 */
struct session *
session_new(struct dg_daemon *d, int fd, const struct sockaddr_storage *ss,
    const char *alive, enum leg_kind dialler, enum leg_kind dialled)
{
	struct session *s = calloc(1, sizeof(*s));

	struct srccount *src = dialler == LEG_LINK ? d->link_sources :
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
	s->hs->lookup.fd = -1;
	s->d = d;
	s->conf = d->conf;
	conf_ref(s->conf);
	s->id = ++d->next_conn_id;
	leg_init(s, HS_ACC, dialler, fd);
	leg_init(s, HS_INI, dialled, -1);
	/* The remote is the one that dialled us, unless a node of ours did
	 * (egress); until its address is known, the source stands in. */
	s->peer = &s->leg[dialler == LEG_NODE ? HS_INI : HS_ACC];
	s->node = s->peer->other;
	s->peer_addr = *ss;
	dg_addr_text(peer_sa(s), s->peertext, sizeof(s->peertext));
	s->pending = 1;
	if (dialler == LEG_LINK)
		d->link_pending++;
	else
		d->hs_pending++;
	ev_init(&s->timer, on_timer);
	s->timer.repeat = s->conf->hs_timeout;
	ev_timer_again(d->loop, &s->timer);
	ev_io_start(d->loop, &s->leg[HS_ACC].rd);
	return s;
}

void
session_start(struct dg_daemon *d, int fd, const struct sockaddr_storage *ss,
    const char *alive, int b_family, uint16_t b_port)
{
	/* Inbound: the remote dialled us; we dial the node. */
	struct session *s = session_new(d, fd, ss, alive, LEG_REMOTE, LEG_NODE);

	if (s == NULL)
		return;
	s->b_family = b_family;
	s->b_port = b_port;
	s->local = dg_local_source(s->conf->reg_from, s->conf->nreg_from,
	    peer_sa(s));
	hs_fsm_init(&s->hs->fsm, HS_INBOUND, s->conf->hs_withhold,
	    s->conf->hs_require, alive);
	/* erl_call -R and remote shells of the host ask for a name. */
	if (s->local)
		hs_fsm_allow_dynamic(&s->hs->fsm);
	log_debug("conn %llu %s -> %s: accepted", (unsigned long long)s->id,
	    s->peertext, alive);
}

