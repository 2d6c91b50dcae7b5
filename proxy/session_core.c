/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_core.c - the one way out of a session, session_close, and what
 * every part of the proxy asks of any session (its names, direction and
 * stats row), whatever its kind.  Below the handshake glue (session.c)
 * and the relay (relay.c), which both close through here: what a phase
 * must release on the way out it leaves in s->teardown, and what a leg's
 * transport holds its io->free releases.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dg_log.h"
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

static void
on_reap(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct session *s = (struct session *)((char *)w -
	    offsetof(struct session, reaper));

	ev_idle_stop(loop, w);
	if (s->teardown != NULL)
		s->teardown(s);
	for (int i = 0; i < 2; i++) {
		free(s->leg[i].q.buf);
		free(s->leg[i].inject.buf);
		s->leg[i].io->free(&s->leg[i]);
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
