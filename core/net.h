/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.h - sockets of the daemon's services: per-source counts and rates,
 * and the gate every acceptor of remote connections passes a connection
 * through (the acceptor itself: core/accept.h).
 */
#ifndef DG_NET_H
#define DG_NET_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/context.h"
#include "core/srccount.h"


/* net.c: socket helpers (listening and accepting: core/accept.h). */
int	net_sockaddr_port(const struct sockaddr *);

/*
 * Per-source token buckets in a fixed table (memory does not grow with
 * sources).  net_rate_take returns 1 and takes a token when `sa` has one
 * (per_s a second, up to burst), else 0.
 */
struct net_rate	*net_rate_new(void);
void		 net_rate_free(struct net_rate *);
int		 net_rate_take(struct net_rate *, const struct sockaddr *sa,
		    double per_s, double burst, double now);

/*
 * The gate every acceptor of remote connections passes a new connection
 * through, before a byte is read (proxy/listener.c, proxy/linkleg.c,
 * daemon/metrics.c): bans, the acceptor's own pending budget in total and
 * per source, established connections per source, and a per-source rate.
 */
struct net_gate {
	const char	*what;		/* "pending handshakes", ... */
	const char	*event;		/* alert for a refusal over a cap */
	const char	*rate_event;	/* alert for a refusal over the rate */
	struct srccount	*by_source;	/* the acceptor's count per source */
	const int	*count;		/* and in total */
	int		 max;
	int		 max_per_source;
	struct net_rate	*rate;		/* NULL: no rate */
	double		 per_s, burst;
	int		 bans;		/* bans and established caps apply */
	int		 max_established;	/* established per source, when
					 * bans apply (the configuration's
					 * max_established_per_source) */
	/* For net_gate_pass: who refuses, in log lines ("listener b",
	 * "link"), and the alerts' node (NULL: none) and direction. */
	const char	*name;
	const char	*node;
	const char	*dir;
	/* Non-NULL: a refusal over a cap or the rate counts towards a ban
	 * of the source, this text saying what counted in the alert; with
	 * the ban's settings (the configuration's, for the text). */
	const char	*ban_counts;
	int		 ban_failures;
	double		 ban_window, ban_duration;
};

/* NULL: admit (the caller counts the connection in).  Else why not, a
 * static string, with *event the alert to raise (NULL: none). */
const char	*net_admit(struct dg_daemon *, const struct net_gate *,
		    const struct sockaddr *sa, int local, const char **event);

/*
 * net_admit, and what a refusal costs, one path for every acceptor of
 * remote peers (the nodes' listeners and the link listener): a banned
 * source is closed silently (it was alerted when its ban began) and
 * counted as a "banned" handshake; a source over a cap or the rate raises
 * the gate's alert and counts as a "refused" handshake, and towards a ban
 * when g->ban_counts is set.  Both are logged at debug.  Returns 1 to
 * admit (the caller counts the connection in), 0 to refuse.
 */
int		 net_gate_pass(struct dg_daemon *, const struct net_gate *,
		    const struct sockaddr *sa, int local);

#endif
