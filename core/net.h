/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.h - sockets of the daemon's services: listening and accepting with
 * the EMFILE reserve, per-source counts and rates, and the gate every
 * acceptor of remote connections passes a connection through.
 */
#ifndef DG_NET_H
#define DG_NET_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/context.h"

/*
 * Per-source connection counts (EPMD connections, pending handshakes).
 * Entries exist only while their count is above zero, so memory is bounded
 * by the number of live connections.
 */
struct srccount	*srccount_new(void);
void		 srccount_free(struct srccount *);
int		 srccount_get(struct srccount *, const struct sockaddr *);
/* Returns -1 when memory ran out for a new source: the caller refuses the
 * connection it was counting (and must not count it down later). */
int		 srccount_add(struct srccount *, const struct sockaddr *, int delta);

/* net.c: socket helpers. */
/* v6only: an IPv6 socket serves IPv6 alone (EPMD: "0.0.0.0" has its own
 * socket, as with stock epmd); 0 makes "::" serve IPv4 too (listeners). */
int	net_listen(const struct sockaddr *sa, socklen_t len, int backlog,
	    int v6only);
int	net_set_nonblock(int fd);
/* accept(2) with the EMFILE reserve: returns fd, or -1 with errno
 * (EAGAIN: nothing to accept; EMFILE/ENFILE: out of fds, the pending
 * connection was accepted and closed on the spare fd). */
int	net_accept(struct dg_daemon *, int lfd, struct sockaddr_storage *ss,
	    socklen_t *slen);
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
 * core/metrics.c): bans, the acceptor's own pending budget in total and
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
};

/* NULL: admit (the caller counts the connection in).  Else why not, a
 * static string, with *event the alert to raise (NULL: none). */
const char	*net_admit(struct dg_daemon *, const struct net_gate *,
		    const struct sockaddr *sa, int local, const char **event);

#endif
