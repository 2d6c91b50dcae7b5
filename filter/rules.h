/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.h - the policy engine: which peers may connect, and what each
 * decoded message of an admitted peer may do (docs/FILTER.md).
 *
 * Two steps.  rules_resolve runs once per connection, at the handshake: it
 * finds the {node} scope, the {peer} entry and the default that apply, and
 * says whether the peer is admitted at all.  rules_decide runs once per
 * message on the hot path: it walks the chosen rules and returns a verdict.
 * It allocates nothing, builds no strings and touches no global state; the
 * verdict's `what` is a static string.
 *
 * Trusted input: the configuration (already checked by conf/conf.c) and a
 * struct dist_msg from filter/dist_ctl.c, whose spans lie inside the frame
 * being decided.  Nothing here reads a byte outside those spans.
 */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>

#include "conf/conf.h"
#include "dist_ctl.h"

/* Room for a policy's description in logs; longer patterns are cut. */
#define RULES_DESC_MAX	256

/*
 * What applies to one connection.  Points into `conf`, which the caller
 * keeps referenced (conf_ref) for as long as the policy is used.
 */
struct rules_policy {
	const struct dg_conf	*conf;
	const struct dg_scope	*node_scope;	/* matching {node} */
	const struct dg_peer	*peer;		/* matching {peer} */
	enum dg_default_kind	 def;		/* applicable default */
	const struct dg_ruleset	*def_rules;	/* for DG_DEF_RULES */
	int			 def_line;	/* 0: the built-in deny */
	int			 admitted;	/* 1: peer admitted */
	int			 disconnect;	/* {disconnect, true} */
	/* {mode, audit} applies (the peer entry's, else the {node}
	 * scope's, else the top level's): what the rules refuse is
	 * forwarded as would_deny, unless refusing protects the node. */
	int			 audit;
	/* Payload facts its rules look at: dist_ctl's DC_NEED_* (the
	 * profiles global and replies need them). */
	unsigned		 needs;
	/* The atom budget of this connection's peer: distinct atoms it may
	 * make the node create (0: none; docs/FILTER.md 12). */
	int64_t			 atoms;
	/* {handler, spawn_request, Module}: NULL, or the module allowed
	 * spawn requests are rewritten to run through (filter/rewrite.h). */
	const char		*handler;
	/* {handler, Type, Module} of the message types (docs/FILTER.md
	 * 26), by enum dg_type: NULL, or the module an allowed message of
	 * that type is rewritten to run through (filter/rewrite.h). */
	const char		*msg_handler[DG_T_COUNT];
	/* Some handler applies: the relay keeps room for rewritten frames. */
	int			 rewrites;
	int			 msg_rewrites;	/* a message handler applies */
	/* The local node's name ("" unknown): a spawn request may not make
	 * one of its processes the group leader (filter/spawnopt.h). */
	char			 local[256];
	/* For log lines and `distguard test -v`: "peer \"web@*\" (line
	 * 12)", "node \"db@*\" (line 3): no {peer} entry matches; default
	 * allow (line 5)", "not admitted: ...". */
	char			 desc[RULES_DESC_MAX];
};

struct rules_verdict {
	enum dg_action		 action;
	/* Config line of the deciding entry; 0 for the built-in deny. */
	int			 line;
	/* Static: "allow_all", "profile ping", "{deny, spawn_request}",
	 * "{allow, reg_send, [Name]}", "default deny", ... */
	const char		*what;
	/* Not allowed, and the peer entry has {disconnect, true}. */
	int			 disconnect;
	/* Static, or NULL: why a profile that covers this kind of message
	 * did not admit this one ("undisclosed", "carries a fun", ...). */
	const char		*reason;
	/* The code guard denied it (a fun where the rule did not let funs
	 * through): the proxy raises filter.code, not filter.denied. */
	int			 code;
	/* Not allowed, and refusing it protects the node itself (a
	 * protocol shape its server would crash or hang on, spawn options
	 * and group leaders, a payload that is not a valid term, code
	 * that cannot be seen): audit mode keeps the refusal.  `reason`
	 * then says why.  docs/FILTER.md 22. */
	int			 guard;
	/* Not allowed, but the policy is in audit mode and guard is 0: the
	 * proxy forwards the message and counts it as would_deny. */
	int			 audit;
};

/* The built-in profiles that would admit m (bit 1 << DG_PROFILE_*), for
 * `distguard suggest` (core/seen.c): the profiles work on the facts the
 * policy asked of the decoder, which audit mode asks for in full. */
unsigned	rules_profiles_of(const struct dist_msg *m);

/*
 * Chooses the policy for a connection between the local node `local_node`
 * (NULL: none known, top-level entries only) and the peer `peer_node`
 * (its full node name, alive@host).  Fills *out in every case.  Returns 1
 * when the peer is admitted - a {peer} pattern matches, or the applicable
 * default is not `deny` - and 0 when it must be refused.
 */
int	rules_resolve(const struct dg_conf *conf, const char *local_node,
	    const char *peer_node, struct rules_policy *out);

/*
 * Decides on one message of an admitted connection.  Never fails: a
 * message no rule matches gets the default, and with none, deny.
 */
void	rules_decide(const struct rules_policy *pol,
	    const struct dist_msg *m, struct rules_verdict *out);

/*
 * Whether a funs rule lets a fun in m's payload through: the code guard's
 * verdict on a fun, the same whether the fun sits in the first bytes judged
 * or past them (the relay's walk, issue 18 item 3).
 */
int	rules_funs_allowed(const struct rules_policy *pol,
	    const struct dist_msg *m);

/*
 * Builds a synthetic message for `distguard test`: `type` is a type name
 * as in the configuration (link, exit, monitor, send, reg_send,
 * group_leader, spawn_request, alias_send, altact) or one of the two
 * pseudo-types is_auth (what net_adm:ping sends to net_kernel) and
 * features_request (what rex sends on every published connection).
 * `target` is a registered name for reg_send and monitor (monitor without
 * one targets a pid), "M:F/A" for spawn_request ('_' allowed nowhere: the
 * message is concrete), and must be NULL otherwise.  Spans point into
 * buf[0..buflen).  Returns 0, or -1 with *why.
 */
int	rules_dryrun_msg(struct dist_msg *m, const char *type,
	    const char *target, char *buf, size_t buflen, const char **why);

/*
 * `distguard check`'s warnings about dangerous allowances (docs/FILTER.md
 * 13): warn(arg, line, text) for each, in configuration order.  Returns
 * how many.
 */
int	rules_warnings(const struct dg_conf *conf,
	    void (*warn)(void *arg, int line, const char *msg), void *arg);

/* For `distguard suggest`: why allowing sends to `name`, or running
 * m:f/arity, is risky (an OTP server; os:cmd, the erlang:apply family,
 * and the rest of `check`'s list), or NULL. */
const char	*rules_risky_name(const char *name);
const char	*rules_risky_mfa(const char *m, const char *f, int arity);

#endif
