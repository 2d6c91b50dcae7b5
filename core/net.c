/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.c - socket helpers, per-source rates and the gate every acceptor of
 * remote connections passes a connection through (net.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/alert.h"
#include "core/ban.h"
#include "core/context.h"
#include "core/net.h"
#include "core/stats.h"
#include "dg_log.h"

int
net_sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

/* ---- per-source rates ------------------------------------------------- */

/*
 * A token bucket per source, in a fixed table: a short linear probe, and
 * when the neighbourhood is full the slot whose bucket is fullest (the
 * source heard from least lately) is taken over.  Memory is fixed; a
 * source that keeps coming keeps its slot, as its bucket stays low.
 */
#define RATE_SLOTS	1024
#define RATE_PROBE	8

struct rate_slot {
	struct dg_addr_key	 key;
	int			 used;
	double			 tokens;
	double			 stamp;
};

struct net_rate {
	struct rate_slot	 s[RATE_SLOTS];
};

struct net_rate *
net_rate_new(void)
{
	struct net_rate *r = calloc(1, sizeof(*r));

	if (r == NULL)
		log_fatalx("out of memory");
	return r;
}

void
net_rate_free(struct net_rate *r)
{
	free(r);
}

static void
refill(struct rate_slot *s, double per_s, double burst, double now)
{
	s->tokens += (now - s->stamp) * per_s;
	if (s->tokens > burst)
		s->tokens = burst;
	s->stamp = now;
}

int
net_rate_take(struct net_rate *r, const struct sockaddr *sa, double per_s,
    double burst, double now)
{
	struct dg_addr_key key;
	struct rate_slot *s, *victim = NULL;
	uint32_t h;
	int k;

	dg_addr_key_of(sa, &key);
	h = dg_addr_key_hash(&key);
	for (k = 0; k < RATE_PROBE; k++) {
		s = &r->s[(h + (uint32_t)k) % RATE_SLOTS];
		if (s->used && dg_addr_key_eq(&s->key, &key))
			break;
		if (!s->used) {
			victim = s;
			break;
		}
		refill(s, per_s, burst, now);
		if (victim == NULL || s->tokens > victim->tokens)
			victim = s;
		s = NULL;
	}
	if (k == RATE_PROBE || !s->used) {
		s = victim;
		s->used = 1;
		s->key = key;
		s->tokens = burst;
		s->stamp = now;
	}
	refill(s, per_s, burst, now);
	if (s->tokens < 1.0)
		return 0;
	s->tokens -= 1.0;
	return 1;
}

/* ---- the gate --------------------------------------------------------- */

const char *
net_admit(struct dg_daemon *d, const struct net_gate *g,
    const struct sockaddr *sa, int local, const char **event)
{
	static char why[96];

	*event = NULL;
	/* A banned source is closed without reading a byte, silently: it
	 * was alerted when the ban began. */
	if (g->bans && !local && bans_check(d->bans, sa, NULL, dg_now()) > 0)
		return "banned";
	*event = g->event;
	if (*g->count >= g->max) {
		snprintf(why, sizeof(why), "too many %s (%d in total)",
		    g->what, *g->count);
		return why;
	}
	if (local)
		return NULL;	/* the host's own nodes: one address for all */
	if (srccount_get(g->by_source, sa) >= g->max_per_source) {
		snprintf(why, sizeof(why), "too many %s from this "
		    "source (%d)", g->what, g->max_per_source);
		return why;
	}
	if (g->bans && d->est_sources != NULL &&
	    srccount_get(d->est_sources, sa) >= g->max_established) {
		*event = "peer.too_many_connections";
		snprintf(why, sizeof(why), "%d established connections from "
		    "this source already (limits: max_established_per_source)",
		    g->max_established);
		return why;
	}
	if (g->rate != NULL && !net_rate_take(g->rate, sa, g->per_s,
	    g->burst, dg_now())) {
		*event = g->rate_event;
		snprintf(why, sizeof(why), "more than %g new connections a "
		    "second from this source", g->per_s);
		return why;
	}
	return NULL;
}

int
net_gate_pass(struct dg_daemon *d, const struct net_gate *g,
    const struct sockaddr *sa, int local)
{
	const char *why, *event;
	char text[64];

	if ((why = net_admit(d, g, sa, local, &event)) == NULL)
		return 1;
	log_debug("%s: %s: closed: %s", g->name,
	    dg_addr_text(sa, text, sizeof(text)), why);
	if (event == NULL) {
		stats_handshake(d->stats, "banned");
		return 0;
	}
	alert_emit_dir(d->alerts, event, sa, NULL, g->node, g->dir, "%s", why);
	stats_handshake(d->stats, "refused");
	/* Over a cap or the rate, a source is flooding: where the acceptor
	 * says so, that counts towards a ban like a failed handshake. */
	if (g->ban_counts != NULL && bans_fail(d->bans, sa, NULL, dg_now()))
		alert_emit_dir(d->alerts, "peer.banned", sa, NULL, g->node,
		    g->dir, "%d failures within %gs (%s): banned for %gs",
		    g->ban_failures, g->ban_window, g->ban_counts,
		    g->ban_duration);
	return 0;
}
