/* SPDX-License-Identifier: Apache-2.0 */
/*
 * egress_grace.c - the restart grace of egress (egress_grace.h).
 *
 * Owns a fixed table of the names refused quietly since the start, and
 * one timer.  Trusts nothing of a held name but that the session checked
 * its bounds (a node name of the handshake, DG_MAX_NODE_BYTES).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alert.h"
#include "dg_log.h"
#include "egress_grace.h"

struct grace_name {
	char			 alive[DG_MAX_ALIVE_BYTES + 1];
	char			 node[DG_MAX_NODE_BYTES + 1];
	char			 remote[DG_MAX_NODE_BYTES + 1];
	struct sockaddr_storage	 sa;
	unsigned long		 tries;
};

struct egress_grace {
	struct dg_daemon	*d;
	ev_timer		 timer;
	int			 on;
	int			 n;
	struct grace_name	 held[EGRESS_GRACE_NAMES];
};

/* The grace is over: a held name that registered in the meantime was a
 * restart; one that did not gets the alert it was spared. */
static void
grace_end(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct egress_grace *g = w->data;
	struct dg_daemon *d = g->d;
	int i, family;
	uint16_t port;

	g->on = 0;
	for (i = 0; i < g->n; i++) {
		struct grace_name *h = &g->held[i];

		if (d->node_port != NULL &&
		    d->node_port(d, h->alive, &family, &port) == 0) {
			log_info("egress: %s registered again after the "
			    "restart; %lu early connection(s) of it were "
			    "refused quietly", h->node, h->tries);
			continue;
		}
		alert_emit_dir(d->alerts, "handshake.bad_name",
		    (const struct sockaddr *)&h->sa, h->remote, h->node,
		    "egress", "egress from a name not registered on this "
		    "host: %lu connection(s) to %s in the %.0f s restart "
		    "grace, and %s did not register in it", h->tries,
		    h->remote, EGRESS_GRACE_SECS, h->node);
	}
	g->n = 0;
	log_info("egress: restart grace over");
}

struct egress_grace *
egress_grace_start(struct dg_daemon *d)
{
	struct egress_grace *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		log_warnx("egress: out of memory: no restart grace");
		return NULL;
	}
	g->d = d;
	g->on = 1;
	ev_timer_init(&g->timer, grace_end, EGRESS_GRACE_SECS, 0.);
	g->timer.data = g;
	ev_timer_start(d->loop, &g->timer);
	return g;
}

void
egress_grace_stop(struct egress_grace *g)
{
	if (g == NULL)
		return;
	ev_timer_stop(g->d->loop, &g->timer);
	free(g);
}

int
egress_grace_hold(struct egress_grace *g, const char *alive,
    const char *node, const char *remote, const struct sockaddr *sa)
{
	struct grace_name *h = NULL;
	int i;

	if (g == NULL || !g->on)
		return 0;
	for (i = 0; i < g->n && h == NULL; i++)
		if (strcmp(g->held[i].alive, alive) == 0)
			h = &g->held[i];
	if (h == NULL) {
		if (g->n == EGRESS_GRACE_NAMES)
			return 0;
		h = &g->held[g->n++];
		memset(h, 0, sizeof(*h));
		snprintf(h->alive, sizeof(h->alive), "%s", alive);
		snprintf(h->node, sizeof(h->node), "%s", node);
		snprintf(h->remote, sizeof(h->remote), "%s", remote);
		if (sa != NULL)
			memcpy(&h->sa, sa, sa->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in));
	}
	h->tries++;
	return 1;
}
