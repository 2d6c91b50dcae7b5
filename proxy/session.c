/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session.c - the one way out of a session, session_close; what
 * every part of the proxy asks of any session (its names, direction and
 * stats row), whatever its kind; and a plain TCP leg's operations
 * (leg.h): bytes read into the caller's buffer, written at once, and
 * queued (core/outq.c) where the socket does not take them.  Below the handshake glue (session_hs.c)
 * and the relay (relay.c), which both close through here: what a phase
 * must release on the way out it leaves in s->teardown, and what a leg's
 * transport holds its io->free releases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/net.h"
#include "dg_log.h"
#include "leg.h"
#include "session.h"

const char *
session_peer_name(const struct session *s)
{
	if (s->peer->name[0] != '\0')
		return s->peer->name;
	if (s->hs != NULL)
		return hs_fsm_name(&s->hs->fsm, s->peer->role);
	return NULL;
}

const char *
session_node_name(const struct session *s)
{
	return s->node->name[0] != '\0' ? s->node->name : s->alive;
}

const char *
session_direction(const struct session *s)
{
	return s->kind->direction;
}

const char *
session_leg_direction(const struct leg *l)
{
	return l == l->s->peer ? "inbound" : session_direction(l->s);
}

struct stats_row *
session_row(const struct leg *l)
{
	return l == l->s->peer && l->s->peer_row != NULL ? l->s->peer_row :
	    l->s->row;
}

/* ---- what a session holds only in some phases, or with a real size ---- */

/* A leg's name until the handshake gives it one: never written. */
static char session_noname[1];

int
session_leg_name(struct leg *l, const char *name)
{
	char *copy;

	if (l->name != NULL && strcmp(l->name, name) == 0)
		return 0;
	if ((copy = strdup(name)) == NULL)
		return -1;
	if (l->name != session_noname)
		free(l->name);
	l->name = copy;
	return 0;
}

/* A fresh leg's name: "". */
void
session_leg_noname(struct leg *l)
{
	l->name = session_noname;
}

struct guard *
session_guard(struct session *s, int role)
{
	if (s->guards[role] == NULL)
		s->guards[role] = calloc(1, sizeof(*s->guards[role]));
	return s->guards[role];
}

void
session_hs_free(struct session *s)
{
	struct hs_io *io = s->hs;

	if (io == NULL)
		return;
	s->hs = NULL;
	if (io->lookup != NULL) {
		lookup_stop(io->lookup);
		free(io->lookup);
	}
	hs_fsm_wipe(&io->fsm);
	for (int i = 0; i < 2; i++)
		free(io->in[i]);
	free(io);
}

static void
on_reap(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, reaper));

	ev_idle_stop(loop, w);
	if (s->teardown != NULL)
		s->teardown(s);
	for (int i = 0; i < 2; i++) {
		struct leg *l = &s->leg[i];

		free(l->q.buf);
		free(l->inject.buf);
		l->io->free(l);
		if (l->name != session_noname)
			free(l->name);
		free(s->guards[i]);
	}
	free(s->alive);
	free(s->link_host);
	session_hs_free(s);
	conf_unref(s->conf);
	free(s);
}

/* The pending count a handshake holds, given back when it ends (up or
 * closed: the caller leaves SESSION_HANDSHAKE). */
void
session_pending_end(struct session *s)
{
	struct dg_daemon *d = s->d;

	/* An accepted link counts against the link listener's own budget. */
	if (s->kind->link_budget) {
		d->link_pending--;
		srccount_add(d->link_sources, peer_sa(s), -1);
	} else {
		d->hs_pending--;
		srccount_add(d->hs_sources, peer_sa(s), -1);
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
	enum session_state was = s->state;

	if (was == SESSION_CLOSED)
		return;
	s->state = SESSION_CLOSED;
	(s->quiet ? log_debug : log_info)("conn %llu %s %s -> %s: closed: %s",
	    (unsigned long long)s->id, s->peertext,
	    s->peer->name[0] ? s->peer->name : "?", session_node_name(s),
	    reason);
	for (int i = 0; i < 2; i++) {
		struct leg *l = &s->leg[i];

		ev_io_stop(loop, &l->rd);
		ev_io_stop(loop, &l->wr);
		if (l->fd != -1)
			close(l->fd);
	}
	ev_timer_stop(loop, &s->timer);
	if (was == SESSION_HANDSHAKE)
		session_pending_end(s);
	if (was == SESSION_UP) {
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
		if (s->hs->lookup != NULL)
			lookup_stop(s->hs->lookup);
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

/* ---- a plain TCP leg ------------------------------------------------- */

const struct leg_reasons leg_reasons_peer = {
	"peer closed", "peer read error", "write to peer failed",
	"peer read error during handshake", "peer closed before the handshake"
};

const struct leg_reasons leg_reasons_node = {
	"node closed", "node read error", "write to node failed",
	"node read error during handshake", "node closed before the handshake"
};

int
session_leg_send(struct leg *l, const uint8_t *p, size_t n)
{
	struct outq *q = &l->q;
	ssize_t w = 0;

	if (n == 0)
		return 0;
	if (q->len == q->off) {
		w = write(l->fd, p, n);
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

int
session_leg_drain(struct leg *l)
{
	int rc;

	/* Drained, the queue gives its memory back: idle sessions keep no
	 * buffers. */
	if ((rc = outq_flush(&l->q, l->fd)) == 1)
		ev_io_stop(l->s->d->loop, &l->wr);
	return rc;
}

/* The socket is read straight into the caller's buffer. */
static int
plain_pull(struct leg *l)
{
	return 1;
}

/* One read a wake-up: the loop comes back while the socket has more. */
static enum leg_fill
plain_fill(struct leg *l, uint8_t *buf, size_t cap, size_t *n)
{
	ssize_t r = read(l->fd, buf, cap);

	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return LEG_FILL_NONE;
		session_close(l->s, l->why->read_error);
		return LEG_FILL_CLOSED;
	}
	if (r == 0)
		return LEG_FILL_EOF;
	*n = (size_t)r;
	return LEG_FILL_LAST;
}

static size_t
plain_buffered(const struct leg *l)
{
	return 0;
}

/* One writev; what the socket does not take is queued. */
static int
plain_sendv(struct leg *l, const struct iovec *v, int n)
{
	struct outq *q = &l->q;
	ssize_t w = 0;
	int i;

	if (q->len == q->off) {
		w = writev(l->fd, v, n);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				session_close(l->s, l->why->write_failed);
				return -1;
			}
			w = 0;
		}
	}
	for (i = 0; i < n; i++) {
		size_t len = v[i].iov_len;

		if ((size_t)w >= len) {
			w -= (ssize_t)len;
			continue;
		}
		if (session_leg_send(l, (const uint8_t *)v[i].iov_base + w,
		    len - (size_t)w) == -1) {
			session_close(l->s, "out of memory");
			return -1;
		}
		w = 0;
	}
	return 0;
}

static void
plain_free(struct leg *l)
{
}

const struct leg_io leg_plain_io = {
	plain_pull, plain_fill, plain_buffered, session_leg_send, plain_sendv,
	plain_free
};
