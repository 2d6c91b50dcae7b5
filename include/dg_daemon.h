/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dg_daemon.h - the running daemon's context, passed to every service
 * instead of globals: the event loop, the configuration in force, and the
 * shared tables (alerts, bans, per-source counts, statistics).
 */
#ifndef DG_DAEMON_H
#define DG_DAEMON_H

#include <ev.h>
#include <stdint.h>

#include "dg_alert.h"
#include "dg_ban.h"
#include "dg_conf.h"

struct api;
struct epmd_srv;
struct grants;
struct metrics;
struct net_rate;
struct srccount;
struct seen;
struct stats;

struct dg_daemon {
	struct ev_loop		*loop;
	struct dg_conf		*conf;		/* in force; sessions hold refs.
						 * With grants, an overlay of the
						 * file's (conf_root) */
	const char		*conf_path;	/* NULL: embedded default */
	struct alerts		*alerts;
	struct bans		*bans;
	struct epmd_srv		*epmd;
	struct localguard	*lguard;	/* NULL: {local_guard, off} at
						 * start (epmd/localguard.h) */
	struct stats		*stats;
	struct seen		*seen;		/* for suggest (dg_seen.h); NULL:
						 * out of memory, not kept */
	struct grants		*grants;	/* break-glass overlays */
	struct api		*api;		/* the nodes' runtime API
						 * (core/api.h) */
	struct metrics		*metrics;	/* the Prometheus endpoint */
	struct egress_grace	*grace;		/* the restart grace of egress
						 * (proxy/egress_grace.h) */
	struct srccount		*hs_sources;	/* pending handshakes per source */
	int			 hs_pending;	/* pending handshakes, total */
	/* The link listener's own budget (proxy/linkleg.c): a flood of
	 * links cannot take the nodes' handshake slots. */
	struct srccount		*link_sources;	/* pending links per source */
	int			 link_pending;
	struct net_rate		*link_rate;	/* admitted links per source */
	unsigned long long	 link_admitted;	/* links let in, since start */
	/* Sessions past their handshake, per remote source
	 * ({limits, [{max_established_per_source, N}]}). */
	struct srccount		*est_sources;
	int			 sessions;	/* live proxied connections */
	uint64_t		 next_conn_id;
	int			 reserve_fd;	/* spare fd for EMFILE (see net.c) */
	char			 hostname[256];	/* this host's name, full and short */
	char			 hostshort[256];
	/* Services reach each other through these rather than through each
	 * other's headers: the control socket's reload (core/daemon.c), and
	 * "does this name a node registered here" (epmd/epmd_srv.c) for the
	 * handshake's collision check. */
	int			(*reload)(struct dg_daemon *, char *errbuf,
				    size_t errlen);
	int			(*is_local_node)(struct dg_daemon *,
				    const char *node);
	/* Where a node registered here listens (its own port, on
	 * loopback): for egress to a node of this host.  -1: not here. */
	int			(*node_port)(struct dg_daemon *,
				    const char *alive, int *family,
				    uint16_t *port);
	/*
	 * The egress port for a protected node's connection to `node`
	 * (alive@host, validated by epmd_parse: each part 1..255 bytes, no
	 * control bytes): the loopback port the node must dial instead of
	 * the remote node.  Returns 0 with *port set, or -1 when there is no
	 * route (logged by the callee).  Asked by the EPMD service for the
	 * EGRESS_REQ of distguard_epmd (epmd/epmd_proto.h); NULL while the
	 * daemon has no egress sessions: the node is then told "no route".
	 * `owner` is the registered node that asked (its registration
	 * connection carried the request): the ports it holds are capped.
	 */
	int			(*egress_port)(struct dg_daemon *,
				    const char *owner, const char *node,
				    uint16_t *port);
};

/* `distguard run`: returns the exit status. */
int	daemon_run(const char *path, int verbose);


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
};

/* NULL: admit (the caller counts the connection in).  Else why not, a
 * static string, with *event the alert to raise (NULL: none). */
const char	*net_admit(struct dg_daemon *, const struct net_gate *,
		    const struct sockaddr *sa, int local, const char **event);

#endif
