/* SPDX-License-Identifier: Apache-2.0 */
/*
 * context.h - the running daemon's context, passed to every service
 * instead of globals: the event loop, the configuration in force, and the
 * shared tables (alerts, bans, per-source counts, statistics).
 */
#ifndef DG_CONTEXT_H
#define DG_CONTEXT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "core/accept.h"

struct alerts;
struct dg_nodes;
struct api;
struct bans;
struct dg_conf;
struct dg_scratch;
struct egress_grace;
struct egress_table;
struct localguard;
struct epmd_api;
struct sockaddr;
struct sockaddr_storage;
struct epmd_srv;
struct grants;
struct hs_recent;
struct lk_replay;
struct metrics;
struct net_rate;
struct srccount;
struct seen;
struct stats;
struct listener;

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
	struct seen		*seen;		/* for suggest (core/seen.h); NULL:
						 * out of memory, not kept */
	struct dg_nodes		*nodes;		/* the nodes of ours: atom books,
						 * disclosures (filter/nodes.h) */
	struct grants		*grants;	/* break-glass overlays */
	struct api		*api;		/* the nodes' runtime API
						 * (daemon/api.h) */
	struct metrics		*metrics;	/* the Prometheus endpoint */
	struct egress_grace	*grace;		/* the restart grace of egress
						 * (proxy/egress_grace.h) */
	/* The proxy's and the handshake's state, made where the daemon
	 * starts and passed down from here, not file statics. */
	struct dg_scratch	*scratch;	/* the loop's hot buffers
						 * (proxy/scratch.h) */
	struct egress_table	*egress;	/* egress listeners
						 * (proxy/egress.c) */
	struct lk_replay	*link_replay;	/* initiator ephemerals our
						 * link responders saw
						 * (link/link_hs.h) */
	struct hs_recent	*hs_recent;	/* challenges issued lately
						 * (handshake/hs_leg.h) */
	struct srccount		*hs_sources;	/* pending handshakes per source */
	int			 hs_pending;	/* pending handshakes, total */
	/* The link listener's own budget (proxy/linkleg.c): a flood of
	 * links cannot take the nodes' handshake slots. */
	struct srccount		*link_sources;	/* pending links per source */
	int			 link_pending;
	struct net_rate		*link_rate;	/* admitted links per source */
	unsigned long long	 link_admitted;	/* links let in, since start */
	/* The link listener (proxy/linkleg.c linkleg_listen): its acceptor,
	 * open or not, and what makes a session of a link it let in (the
	 * proxy's, given by the daemon: session_start_link). */
	struct acceptor		 link_acc;
	int			 link_open;
	void			(*link_accepted)(struct dg_daemon *, int fd,
				    const struct sockaddr_storage *);
	/* Sessions past their handshake, per remote source
	 * ({limits, [{max_established_per_source, N}]}). */
	struct srccount		*est_sources;
	int			 sessions;	/* live proxied connections */
	uint64_t		 next_conn_id;
	int			 reserve_fd;	/* spare fd for EMFILE (accept.c) */
	/* What every acceptor did, by kind (core/accept.h; metrics). */
	struct accept_stats	 accepts[ACCEPT_KINDS];
	char			 hostname[256];	/* this host's name, full and short */
	char			 hostshort[256];
	/* Services reach each other through these rather than through each
	 * other's headers: the control socket's reload (daemon/daemon.c), and
	 * "does this name a node registered here" (epmd/epmd_srv.c) for the
	 * handshake's collision check. */
	int			(*reload)(struct dg_daemon *, char *errbuf,
				    size_t errlen);
	/* The policy in force built again from the file's, the grants and
	 * the nodes' runtime API changes, and swapped in (daemon.c: through
	 * the grants, which lay the API's scopes under theirs): what an API
	 * change calls, so that the API and the grants do not call each
	 * other.  -1, reasons in errbuf: nothing changed. */
	int			(*rebuild)(struct dg_daemon *, char *errbuf,
				    size_t errlen);
	int			(*is_local_node)(struct dg_daemon *,
				    const char *node);
	/* Where a node registered here listens (its own port, on
	 * loopback): for egress to a node of this host.  -1: not here. */
	int			(*node_port)(struct dg_daemon *,
				    const char *alive, int *family,
				    uint16_t *port);
	/*
	 * The filtering listener of a node registered here
	 * (proxy/listener.c): opened by the EPMD service on ALIVE2 and closed
	 * when the node goes.  Hooks set by the daemon, so that epmd/ never
	 * names proxy/: the floor below does not include the one above.
	 */
	struct listener		*(*listen_node)(struct dg_daemon *,
				    const char *alive, int family,
				    uint16_t port, int is_cnode);
	uint16_t		(*listen_port)(const struct listener *);
	void			(*listen_close)(struct listener *);
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
	/*
	 * The nodes' runtime API (daemon/api.h), for the EPMD service: one
	 * API_REQ of the registered node `alive`, answered into
	 * out[0..EPMD_API_REPLY_MAX) (returns the reply's length); and the
	 * end of a node's registration (its changes end with it).
	 */
	size_t			(*api_request)(struct dg_daemon *,
				    const char *alive, const struct sockaddr *sa,
				    const struct epmd_api *req, uint8_t *out);
	void			(*api_node_gone)(struct dg_daemon *,
				    const char *alive);
	int			(*egress_port)(struct dg_daemon *,
				    const char *owner, const char *node,
				    uint16_t *port);
};

#endif
