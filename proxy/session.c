/*
 * session.c - lifecycle of one proxied connection, and the handshake on
 * both legs (the engine is handshake/hs_fsm.c; this file gives it sockets,
 * a step timer, and the answers that need configuration: admission,
 * cookies, name collisions, host checks).
 *
 * Trusts nothing from P.  Trusts B (a local node that registered from an
 * allowed address) to speak the protocol, but still parses all it says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "dg_flags.h"
#include "dg_log.h"
#include "session.h"

static void	hs_step(struct session *, enum hs_event);

/*
 * The names logs, alerts and stats print: P's as the session holds it
 * once admission read it (before that, the claim the engine parsed, if
 * any), and B's real name once its challenge gave it (before that, the
 * registered alive name).  relay.c prints the same two fields.
 */
static const char *
peer_name_of(const struct session *s)
{
	if (s->peer_name[0] != '\0')
		return s->peer_name;
	if (s->hs != NULL && s->hs->fsm.peer.name.len > 0)
		return s->hs->fsm.peer.name.s;
	return NULL;
}

static const char *
node_name_of(const struct session *s)
{
	return s->b_name ? s->b_name : s->alive;
}

static const struct sockaddr *
peer_sa(const struct session *s)
{
	return (const struct sockaddr *)&s->peer;
}

/* ---- output queues ---------------------------------------------------- */

int
outq_send(struct session *s, int to_peer, const uint8_t *p, size_t n)
{
	struct outq *q = to_peer ? &s->q_p : &s->q_b;
	int fd = to_peer ? s->pfd : s->bfd;
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
		ev_io_start(s->d->loop, to_peer ? &s->p_wr : &s->b_wr);
	}
	return 0;
}

/* Writes what is queued; returns 1 when the queue is empty, 0 if not yet,
 * -1 on a write error. */
static int
outq_drain(struct session *s, int to_peer)
{
	struct outq *q = to_peer ? &s->q_p : &s->q_b;
	int fd = to_peer ? s->pfd : s->bfd;
	int rc;

	/* Drained, the queue gives its memory back: idle sessions keep no
	 * buffers. */
	if ((rc = outq_flush(q, fd)) == 1)
		ev_io_stop(s->d->loop, to_peer ? &s->p_wr : &s->b_wr);
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
	free(s->q_p.buf);
	free(s->q_b.buf);
	free(s->inject.buf);
	free(s->alive);
	free(s->b_name);
	if (s->hs) {
		hs_fsm_wipe(&s->hs->fsm);
		free(s->hs);
	}
	conf_unref(s->conf);
	free(s);
}

static void
unpend(struct session *s)
{
	if (!s->pending)
		return;
	s->pending = 0;
	s->d->hs_pending--;
	srccount_add(s->d->hs_sources, peer_sa(s), -1);
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
	    s->peer_name[0] ? s->peer_name : "?", node_name_of(s), reason);
	ev_io_stop(loop, &s->p_rd);
	ev_io_stop(loop, &s->p_wr);
	ev_io_stop(loop, &s->b_rd);
	ev_io_stop(loop, &s->b_wr);
	ev_timer_stop(loop, &s->timer);
	close(s->pfd);
	if (s->bfd != -1)
		close(s->bfd);
	unpend(s);
	if (s->up) {
		s->d->sessions--;
		if (s->row)
			s->row->live--;
	}
	if (s->hs)
		hs_fsm_wipe(&s->hs->fsm);
	ev_idle_init(&s->reaper, on_reap);
	ev_idle_start(loop, &s->reaper);
}

/* ---- the handshake ---------------------------------------------------- */

static void
hs_flush(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;

	if (h->out_b_len && s->bfd != -1) {
		if (outq_send(s, 0, h->out_b, h->out_b_len) == -1)
			log_warn("conn %llu: write to node", (unsigned long long)s->id);
	}
	h->out_b_len = 0;
	if (h->out_peer_len) {
		if (outq_send(s, 1, h->out_peer, h->out_peer_len) == -1)
			log_warn("conn %llu: write to peer", (unsigned long long)s->id);
	}
	h->out_peer_len = 0;
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
	const char *name = s->local ? s->peer_name : NULL;

	if (s->local && name[0] == '\0')
		return;
	if (!bans_fail(d->bans, peer_sa(s), name, dg_now()))
		return;
	alert_emit(d->alerts, "peer.banned", peer_sa(s), peer_name_of(s),
	    node_name_of(s),
	    "%d failed handshakes within %gs: %s for %gs",
	    d->conf->ban_failures, d->conf->ban_window,
	    s->local ? "this node name banned from this local source" :
	    "banned", d->conf->ban_duration);
}

static void
hs_failed(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	struct dg_daemon *d = s->d;
	char reason[640], where[300] = "";

	hs_flush(s);	/* a final status (not_allowed, nok) goes out */
	/* nok, a lost tie-break, a node's own refusal: outcomes of the
	 * protocol, not failures (docs/HANDSHAKE.md). */
	stats_handshake(d->stats, h->ordinary ? "normal" : h->event &&
	    strncmp(h->event, "handshake.", 10) == 0 ? h->event + 10 : "failed");
	if (h->incompat_cfg)
		snprintf(where, sizeof(where), " (withhold_flags, %s:%d)",
		    s->conf->path ? s->conf->path : "?",
		    s->conf->hs_withhold_line);
	if (h->event && !h->ordinary)
		alert_emit(d->alerts, h->event, peer_sa(s), peer_name_of(s),
		    node_name_of(s), "%s%s", h->detail, where);
	if (h->peer_fault && !h->ordinary)
		count_failure(s);
	snprintf(reason, sizeof(reason), "handshake failed: %s%s", h->detail,
	    where);
	s->quiet = h->ordinary;
	session_close(s, reason);
}

/* Fails the handshake from the glue's side (a read, a timer), with the
 * same alert, ban and log as a failure the engine itself reports. */
static void DG_PRINTF(4, 5)
hs_fail(struct session *s, const char *event, int peer_fault,
    const char *fmt, ...)
{
	struct hs_fsm *h = &s->hs->fsm;
	va_list ap;

	h->event = event;
	h->peer_fault = peer_fault;
	va_start(ap, fmt);
	vsnprintf(h->detail, sizeof(h->detail), fmt, ap);
	va_end(ap);
	hs_failed(s);
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
 * Resolves the policy between `local` and the peer into s->pol; when the
 * peer is not admitted, refuses it (not_allowed, handshake.name_denied)
 * and returns 0.
 */
static int
policy_admits(struct session *s, const char *local)
{
	struct hs_fsm *h = &s->hs->fsm;

	if (rules_resolve(s->conf, local, s->peer_name, &s->pol))
		return 1;
	hs_fsm_refuse(h, "not_allowed", "handshake.name_denied", s->pol.desc);
	/* The policy is the operator's, and a local node refused while a
	 * policy is being worked out must connect as soon as the policy is
	 * fixed: not counted. */
	h->peer_fault = !s->local;
	return 0;
}

/* The checks that need configuration, then P's cookie. */
static enum hs_event
admit(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	const struct dg_conf *conf = s->conf;
	const struct dg_cookie *pc;
	char local[DG_MAX_ALIVE_BYTES + 300];

	/* The session owns the name from here on (the same size as the
	 * engine's, so it is never cut). */
	memcpy(s->peer_name, h->peer.name.s, h->peer.name.len);
	s->peer_name[h->peer.name.len] = '\0';
	if (s->local) {
		/* The listener let the local source in; the ban, if any, is
		 * on this name only (as the listener's: no byte answered). */
		double left = bans_check(s->d->bans, peer_sa(s), s->peer_name,
		    dg_now());

		if (left > 0) {
			snprintf(local, sizeof(local), "%s is banned from this "
			    "local source for %.0fs more", s->peer_name, left);
			hs_fsm_refuse(h, NULL, NULL, local);
			h->peer_fault = 0;
			h->ordinary = 1;
			return HS_EV_FAIL;
		}
	}
	if (s->d->is_local_node != NULL &&
	    s->d->is_local_node(s->d, s->peer_name)) {
		if (!dg_cidr_match(conf->reg_from, conf->nreg_from,
		    peer_sa(s)))
			return hs_fsm_refuse(h, "not_allowed",
			    "handshake.name_collision",
			    "claims the name of a node registered on this host");
		s->peer_local = 1;
	}
	if (conf->hs_check_host && !host_matches_source(s, s->peer_name))
		return hs_fsm_refuse(h, "not_allowed", "handshake.bad_name",
		    "host part does not match the source address");
	/* B's full name is not known before its challenge: a provisional
	 * check against alive@<this host> refuses early, before B is
	 * dialled; resolve() decides on B's real name. */
	snprintf(local, sizeof(local), "%s@%s", s->alive, s->d->hostshort);
	if (!policy_admits(s, local))
		return HS_EV_FAIL;
	pc = conf_peer_cookie(conf, s->peer_name);
	if (pc == NULL || conf_node_cookie(conf, local) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured");
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

	if ((s->b_name = strdup(h->b.name.s)) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "out of memory");
	if (!policy_admits(s, s->b_name))
		return HS_EV_FAIL;
	if ((bc = conf_node_cookie(s->conf, s->b_name)) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured");
	return hs_fsm_resolved(h, bc->secret, bc->len);
}

static void
connect_b(struct session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

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
	s->bfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->bfd == -1) {
		session_close(s, "cannot create a socket for the node leg");
		return;
	}
	setsockopt(s->bfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->bfd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		session_close(s, "node not reachable");
		return;
	}
	ev_io_set(&s->b_rd, s->bfd, EV_READ);
	ev_io_set(&s->b_wr, s->bfd, EV_WRITE);
	ev_io_start(s->d->loop, &s->b_wr);	/* completion of connect */
}

static void
handshake_up(struct session *s)
{
	struct hs_io *io = s->hs;
	struct hs_fsm *h = &io->fsm;
	size_t early = io->binlen;

	s->flags = h->common;
	unpend(s);
	s->up = 1;
	s->d->sessions++;
	s->row = stats_row(s->d->stats, s->alive, s->peer_name);
	s->row->connections++;
	s->row->live++;
	stats_handshake(s->d->stats, "ok");
	log_info("conn %llu %s %s -> %s: up, flags %#llx (%s), policy: %s",
	    (unsigned long long)s->id, s->peertext, s->peer_name, s->b_name,
	    (unsigned long long)s->flags,
	    (s->flags & DFLAG_PUBLISHED) ? "visible" : "hidden", s->pol.desc);
	ev_timer_stop(s->d->loop, &s->timer);
	s->hs = NULL;
	/* B may already have sent its first frames after 'a'. */
	{
		uint8_t buf[sizeof(io->bin)];

		memcpy(buf, io->bin, early);
		hs_fsm_wipe(h);
		free(io);
		relay_start(s, buf, early);
	}
}

static void
hs_step(struct session *s, enum hs_event ev)
{
	for (;;) {
		hs_flush(s);
		switch (ev) {
		case HS_EV_NONE:
			return;
		case HS_EV_ADMIT:
			ev = admit(s);
			continue;
		case HS_EV_CONNECT_B:
			connect_b(s);
			return;
		case HS_EV_RESOLVE:
			ev = resolve(s);
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

/* Reads into a handshake buffer; -1 when the session was closed. */
static int
hs_read(struct session *s, int from_peer)
{
	struct hs_io *io = s->hs;
	uint8_t *buf = from_peer ? io->pin : io->bin;
	size_t *len = from_peer ? &io->pinlen : &io->binlen;
	size_t cap = from_peer ? sizeof(io->pin) : sizeof(io->bin);
	ssize_t n;

	if (*len == cap) {
		/* Two maximal messages buffered and none consumed: that is
		 * not a handshake. */
		hs_fail(s, "handshake.malformed", from_peer,
		    "%s sent more than a handshake message", from_peer ? "peer" : "node");
		return -1;
	}
	n = read(from_peer ? s->pfd : s->bfd, buf + *len, cap - *len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		session_close(s, from_peer ? "peer read error during handshake" :
		    "node read error during handshake");
		return -1;
	}
	if (n == 0) {
		/* Who is to blame is the engine's call (hs_fsm_peer_closed):
		 * closing inside a message is malformed, closing between
		 * messages is giving up, as a node that lost a simultaneous
		 * connect does.  One that closes before sending anything has
		 * merely gone. */
		if (from_peer && io->fsm.st == HS_PEER_NAME && io->pinlen == 0)
			session_close(s, "peer closed before the handshake");
		else {
			if (from_peer)
				hs_fsm_peer_closed(&io->fsm, io->pinlen);
			else
				hs_fsm_b_closed(&io->fsm);
			hs_failed(s);
		}
		return -1;
	}
	*len += (size_t)n;
	return 0;
}

static void
hs_on_read(struct session *s, int from_peer)
{
	struct hs_io *io = s->hs;
	enum hs_state before = io->fsm.st;
	enum hs_event ev;
	size_t used = 0;

	if (hs_read(s, from_peer) == -1)
		return;
	if (from_peer) {
		ev = hs_fsm_peer_input(&io->fsm, io->pin, io->pinlen, &used);
		memmove(io->pin, io->pin + used, io->pinlen - used);
		io->pinlen -= used;
	} else {
		ev = hs_fsm_b_input(&io->fsm, io->bin, io->binlen, &used);
		memmove(io->bin, io->bin + used, io->binlen - used);
		io->binlen -= used;
	}
	/* The step timer restarts whenever the handshake moves on: the
	 * limit is per step, as net_setuptime. */
	if (io->fsm.st != before)
		ev_timer_again(s->d->loop, &s->timer);
	hs_step(s, ev);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, timer));
	enum hs_state st = s->hs->fsm.st;

	hs_fail(s, "handshake.timeout", st == HS_PEER_NAME ||
	    st == HS_PEER_ALIVE || st == HS_PEER_REPLY,
	    "no progress for %gs while %s", s->conf->hs_timeout,
	    hs_fsm_step(&s->hs->fsm));
}

static void
on_p_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, p_rd));

	if (s->up)
		relay_on_readable(s, 1);
	else
		hs_on_read(s, 1);
}

static void
on_b_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, b_rd));

	if (s->up)
		relay_on_readable(s, 0);
	else
		hs_on_read(s, 0);
}

static void
on_p_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, p_wr));
	int r = outq_drain(s, 1);

	if (r == -1)
		session_close(s, "write to peer failed");
	else if (r == 1 && s->up)
		relay_on_writable(s, 1);
}

static void
on_b_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, b_wr));
	int r;

	if (!s->up && s->hs->fsm.st == HS_B_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		ev_io_stop(loop, w);
		if (getsockopt(s->bfd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			errno = err;
			log_warn("conn %llu: node %s on port %u not reachable",
			    (unsigned long long)s->id, s->alive, s->b_port);
			session_close(s, "node not reachable");
			return;
		}
		ev_io_start(loop, &s->b_rd);
		ev_timer_again(loop, &s->timer);
		hs_step(s, hs_fsm_b_connected(&s->hs->fsm));
		return;
	}
	r = outq_drain(s, 0);
	if (r == -1)
		session_close(s, "write to node failed");
	else if (r == 1 && s->up)
		relay_on_writable(s, 0);
}

void
session_start(struct dg_daemon *d, int fd, const struct sockaddr_storage *ss,
    const char *alive, int b_family, uint16_t b_port)
{
	struct session *s = calloc(1, sizeof(*s));

	/* The source is counted last: nothing to count down on failure. */
	if (s == NULL || (s->hs = calloc(1, sizeof(*s->hs))) == NULL ||
	    (s->alive = strdup(alive)) == NULL ||
	    srccount_add(d->hs_sources, (const struct sockaddr *)ss, 1) == -1) {
		if (s) {
			free(s->alive);
			free(s->hs);
		}
		free(s);
		log_warnx("listener %s: out of memory: connection closed", alive);
		close(fd);
		return;
	}
	s->d = d;
	s->conf = d->conf;
	conf_ref(s->conf);
	s->id = ++d->next_conn_id;
	s->pfd = fd;
	s->bfd = -1;
	s->peer = *ss;
	dg_addr_text(peer_sa(s), s->peertext, sizeof(s->peertext));
	s->b_family = b_family;
	s->b_port = b_port;
	s->local = dg_cidr_match(s->conf->reg_from, s->conf->nreg_from,
	    peer_sa(s));
	s->pending = 1;
	d->hs_pending++;
	hs_fsm_init(&s->hs->fsm, s->conf->hs_withhold, s->conf->hs_require, alive);
	ev_io_init(&s->p_rd, on_p_read, fd, EV_READ);
	ev_io_init(&s->p_wr, on_p_write, fd, EV_WRITE);
	ev_io_init(&s->b_rd, on_b_read, -1, EV_READ);
	ev_io_init(&s->b_wr, on_b_write, -1, EV_WRITE);
	ev_init(&s->timer, on_timer);
	s->timer.repeat = s->conf->hs_timeout;
	ev_timer_again(d->loop, &s->timer);
	ev_io_start(d->loop, &s->p_rd);
	log_debug("conn %llu %s -> %s: accepted", (unsigned long long)s->id,
	    s->peertext, alive);
}
