/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf/conf.h - the configuration, as loaded from a file of Erlang terms
 * (conf/conf.c) and read by every module.  A loaded struct dg_conf is
 * immutable; a reload builds a new one and swaps it in (conf_free on the old
 * one when no connection uses it any more: see refcnt).
 */
#ifndef DG_CONF_H
#define DG_CONF_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "dg.h"
#include "core/addr.h"	/* struct dg_cidr, dg_cidr_match */

#define DG_CONF_MAX_ADDRS	16	/* listening sockets per service, as stock epmd */

/* A listening address: numeric, with an optional port (0 = unset). */
struct dg_sockaddr {
	struct sockaddr_storage	ss;
	socklen_t		len;
	char			text[64];	/* as written, for logs */
};

/* The policy: types, actions, rules, peers, scopes (owned by filter/). */
#include "dg_policy.h"

struct lk_conf;		/* link/link_conf.h */

/* A secret bound to a node-name pattern (NULL pattern = default). */
struct dg_cookie {
	char		*pattern;
	uint8_t		 secret[DG_COOKIE_MAX];
	size_t		 len;
	int		 line;
};

#define DG_LOCAL_USER_MAX	64	/* a user name's bytes, as {user, N} */
#define DG_LOCAL_USERS_MAX	256	/* entries of {local_users, [...]} */

struct dg_conf {
	char			*path;		/* file it came from, "<embedded>" */

	/* {epmd, [...]} */
	uint16_t		 epmd_port;		/* 4369 */
	uint16_t		 remote_epmd_port;	/* other hosts' EPMD, for egress: 4369 */
	struct dg_sockaddr	 epmd_addrs[DG_CONF_MAX_ADDRS];
	int			 nepmd_addrs;		/* default 0.0.0.0, :: */
	enum { DG_NAMES_LOCAL, DG_NAMES_ANY, DG_NAMES_NONE } names_from;
	double			 epmd_timeout;		/* per request, s (5) */
	int			 epmd_max_conns;	/* 1024 */
	int			 epmd_max_per_source;	/* 64 */

	/* {listen, [...]} */
	struct dg_sockaddr	 listen_addr;		/* 0.0.0.0 */
	uint16_t		 listen_port_min;	/* 4370 */
	uint16_t		 listen_port_max;	/* 4469 */
	/* {egress_ports, {Min, Max}}: the egress listeners' own pool, never
	 * the listeners' range (0: the as many ports right after it). */
	uint16_t		 egress_port_min;
	uint16_t		 egress_port_max;
	int			 egress_per_node;	/* targets one node holds (32) */

	/*
	 * {egress, Mode}: registrations without distguard_epmd's mark (the
	 * node's connections out would bypass distguard).  {exposed, Mode}: a
	 * node whose distribution port listens on a non-loopback address
	 * (peers could bypass distguard).  Both fail closed by default:
	 * required and refuse.
	 */
	enum dg_egress_mode { DG_EGRESS_OFF, DG_EGRESS_OPTIONAL,
			      DG_EGRESS_REQUIRED } egress_mode;
	enum dg_exposed_mode { DG_EXPOSED_OFF, DG_EXPOSED_ALERT,
			       DG_EXPOSED_REFUSE } exposed_mode;
	/* {local_guard, Mode}: a registered node's own port answers only
	 * distguard's uid (epmd/localguard.h); where that cannot be set up,
	 * required refuses the registration, optional alerts. */
	enum dg_local_guard { DG_LGUARD_OFF, DG_LGUARD_OPTIONAL,
			      DG_LGUARD_REQUIRED } local_guard;
	/* {local_users, [{Pattern, User}]} and {node, Pattern, [{uid,
	 * User}]}: a node whose name matches is registered only by a process
	 * of that user.  The node scopes' come first (line_node set), in
	 * file order, then local_users'; the first match wins. */
	struct dg_local_user {
		char		*pattern;	/* alive@host, or alive alone */
		char		 user[DG_LOCAL_USER_MAX + 1];
		uid_t		 uid;
		int		 line_node;	/* {node, ...}'s line, 0 */
	}			*local_users;
	int			 nlocal_users;

	/* {registration_from, [...]} */
	struct dg_cidr		*reg_from;
	int			 nreg_from;		/* default 127.0.0.1, ::1 */

	/* cookies: {cookie, ...}, {cookie, Pattern, ...}, {node_cookie, ...} */
	struct dg_cookie	*cookies;		/* first matching pattern wins; */
	int			 ncookies;		/* the default has pattern NULL */
	struct dg_cookie	*node_cookies;		/* pattern over local node names */
	int			 nnode_cookies;

	/* {handshake, [...]} */
	double			 hs_timeout;		/* per step, s (7, as net_setuptime) */
	int			 hs_max_pending;	/* 512 */
	int			 hs_max_per_source;	/* 32 */
	/* The link listener's own caps (proxy/linkleg.c) */
	int			 link_max_pending;	/* 64 */
	int			 link_max_per_source;	/* 8 */
	double			 link_rate;		/* links a second per source (10) */
	/* {limits, [{max_established_per_source, N}]} (64) */
	int			 max_established_per_source;
	/* {limits, [{listen_backlog, N}]}: listen(2)'s backlog for every
	 * listening socket (core/accept.c); 0, the default: somaxconn */
	int			 listen_backlog;
	uint64_t		 hs_withhold;		/* flags never offered on either leg */
	uint64_t		 hs_require;		/* flags a peer must offer */
	int			 hs_withhold_line;	/* where they were set (0: */
	int			 hs_require_line;	/* the default), for alerts */
	int			 hs_check_host;		/* host part must match the source */

	/* {bans, [...]} */
	int			 ban_failures;		/* 5 */
	double			 ban_window;		/* 60 s */
	double			 ban_duration;		/* 600 s */

	/* {alerts, Path} or {alerts, [...]} */
	char			*alerts_path;		/* NULL: alerts go to the log only */
	int			 alerts_syslog;
	int			 alerts_per_source;	/* per minute and source (30) */
	int			 alerts_line;		/* of the entry, for reload errors */

	/* {limits, [...]} */
	uint32_t		 max_frame;		/* without FRAGMENTS (64 MiB) */
	int			 max_frag_seqs;		/* open sequences per direction (64) */
	uint64_t		 max_frag_bytes;	/* bytes per sequence (256 MiB) */
	uint64_t		 max_frag_open;		/* held open per connection (256 MiB) */
	uint64_t		 max_frag_node;		/* ... per node of ours (512 MiB) */
	int			 frag_idle;		/* seconds an open sequence may idle (60) */
	int64_t			 max_atoms;		/* atom budget per peer (10,000; 0 off) */
	/* The budgets rotation cannot beat (docs/FILTER.md 12, 16): new
	 * atoms per local node from every peer, and per source address and
	 * per cookie; what a peer makes a node hold; ticks. */
	int			 node_atoms;		/* 100,000 */
	int			 source_atoms;		/* 50,000 */
	int			 cookie_atoms;		/* 100,000 */
	int			 held_alert;		/* monitors + links: 5,000 */
	int			 held_max;		/* 10,000 */
	int			 tick_interval_ms;	/* between ticks passed (200) */
	int			 tick_flood;		/* excess ticks per s: 100 */

	/* {control, Path} : the stats/reload socket */
	char			*control_path;
	/* Who may use it, beside root (daemon/ctl.c): {control_users, [Name]}
	 * and {control_group, Name} may change things (grant, revoke,
	 * reload); {control_read_group, Name} may read (stats, grants). */
	uid_t			*control_uids;
	int			 ncontrol_uids;
	gid_t			 control_gid;
	int			 control_gid_set;
	gid_t			 control_read_gid;
	int			 control_read_gid_set;

	/* {metrics, ...}: the Prometheus endpoint (daemon/metrics.c) */
	int			 metrics_on;
	struct dg_sockaddr	 metrics_addr;
	int			 metrics_max_peers;	/* own peer labels (100) */
	int			 metrics_max_conns;	/* at once (8) */
	int			 metrics_max_per_source; /* at once (2) */
	double			 metrics_timeout;	/* s for an exchange (5) */

	/* {api, own | off}: may a registered node change its own policy
	 * at run time (the Erlang module distguard, daemon/api.c)? */
	enum dg_api_mode { DG_API_OFF, DG_API_OWN } api_mode;
	int			 api_line;

	/* {grants, [...]}: break-glass overlays (daemon/grant.c) */
	int			 grants_keep_on_reload;
	int			 grants_max;		/* at once (64) */
	double			 grants_max_duration;	/* s (86400) */
	char			*grants_state_file;	/* NULL: not kept over restarts */
	/* {user, Name} and {group, Name}: who the daemon becomes once its
	 * sockets are bound and its files open (daemon/privdrop.c).  Resolved
	 * when the file is loaded, so a missing account is a FILE:LINE
	 * error; run_group is NULL for the user's login group. */
	char			*run_user;		/* NULL: none configured */
	char			*run_group;
	uid_t			 run_uid;
	gid_t			 run_gid;

	/* {host_key}, {link}, {trust}, {revoked}, {plaintext}: links between
	 * distguard hosts (link/link_conf.h; conf/conf_link.c).  Never NULL
	 * once loaded.  Not in force until the link legs land. */
	struct lk_conf		*link;

	/* Policy: the top-level scope, then {node, Pattern, [...]} scopes. */
	struct dg_scope		 top;
	struct dg_scope		*nodes;
	int			 nnodes;

	int			 refcnt;		/* owners: daemon + live sessions */

	/* A configuration built by conf_overlay: everything above is base's
	 * (borrowed) but the peer arrays, whose first nov entries are the
	 * overlays, owned here. */
	struct dg_conf		*base;
	struct dg_peer		*ov;
	int			 nov;
	/* Node scopes made outside the file (daemon/api.c), in front of the
	 * file's: built and freed by their maker (xfree(xown)). */
	void			(*xfree)(void *);
	void			*xown;
};

/*
 * Loads and checks a configuration.  Every error is reported through
 * err(file, line, message) - all of them, not just the first - and the
 * function returns NULL if there was any.  `path` NULL loads the embedded
 * default.  The result has refcnt 1.
 */
typedef void (*conf_err_fn)(void *arg, const char *file, int line, const char *msg);

/*
 * A conf_err_fn that gathers the errors as "FILE:LINE: message\n" lines
 * into buf (cut when full; buf may be NULL) and counts them.
 */
struct conf_errs {
	char	*buf;
	size_t	 len, used;
	int	 n;
};
void	conf_errs_collect(void *arg, const char *file, int line, const char *msg);
struct dg_conf	*conf_load(const char *path, conf_err_fn err, void *arg);
struct dg_conf	*conf_load_text(const char *name, const char *text, size_t len,
		    conf_err_fn err, void *arg);
void		 conf_ref(struct dg_conf *);
void		 conf_unref(struct dg_conf *);	/* frees at zero, wiping cookies */

/*
 * Rules given outside a file (a grant's RULES): one term, "[Rule, ...]",
 * in the configuration's syntax, with an optional final '.'.  Errors go to
 * err as "name:line: message".  On success fills *out (free it with
 * conf_ruleset_free) and returns 0; else -1.
 */
int	conf_parse_rules(const char *name, const char *text, size_t len,
	    struct dg_ruleset *out, conf_err_fn err, void *arg);
void	conf_ruleset_free(struct dg_ruleset *);

/* An overlay: {peer, pattern, rules} put in front of every scope. */
struct dg_overlay {
	const char	*pattern;
	const char	*rules;		/* text, as conf_parse_rules takes it */
	int		 id;		/* for logs: "grant N" */
};

/*
 * The configuration `base` with each overlay's {peer} entry in front of
 * the peer entries of the top level and of every {node} scope (first
 * match wins, so an overlay decides for the peers it matches wherever
 * they connect).  Holds a reference to `base`, which stays unchanged.
 * Returns NULL (errors reported) if an overlay's rules do not parse or
 * memory runs out.  conf_root gives the file's configuration back.
 */
struct dg_conf	*conf_overlay(struct dg_conf *base, const struct dg_overlay *,
		    int n, conf_err_fn err, void *arg);
/*
 * The same, with nxs node scopes `xs` in front of base's (the runtime API's,
 * daemon/api.c; the overlays go in front of their peers too).  The scopes'
 * memory stays their maker's: on success the result calls xfree(xown) when
 * it is freed; on failure (NULL) nothing is called.
 */
struct dg_conf	*conf_overlay_scopes(struct dg_conf *base,
		    const struct dg_overlay *, int n, const struct dg_scope *xs,
		    int nxs, void (*xfree)(void *), void *xown, conf_err_fn err,
		    void *arg);
struct dg_conf	*conf_root(struct dg_conf *);

/* The embedded default configuration (examples/distguard.conf). */
extern const char conf_default_text[];

/* Lookups used by the handshake. */
const struct dg_cookie	*conf_peer_cookie(const struct dg_conf *, const char *peer);
const struct dg_cookie	*conf_node_cookie(const struct dg_conf *, const char *local);

/* Names of the profiles, for logs and `test` (the types' and actions'
 * are vocabulary: dg_type_name, dg_action_name in dg_policy.h). */
const char	*conf_profile_name(enum dg_profile);

#endif
