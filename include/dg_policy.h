/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.h - what a policy is: the types of distribution traffic after the
 * seed RFC, actions, rules, {peer} entries and {node} scopes.  Owned by
 * the filter (rules.c gives it its meaning); the configuration loader
 * (conf/conf_policy.c) fills it from the file.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdint.h>

/* Types of distribution traffic, after the seed RFC. */
enum dg_type {
	DG_T_LINK,		/* LINK, UNLINK(_ID)(_ACK), EXIT(_TT), PAYLOAD_EXIT(_TT) */
	DG_T_EXIT,		/* EXIT2(_TT), PAYLOAD_EXIT2(_TT) */
	DG_T_MONITOR,		/* MONITOR_P, DEMONITOR_P, (PAYLOAD_)MONITOR_P_EXIT(_TT) */
	DG_T_SEND,		/* SEND(_TT), SEND_SENDER(_TT) */
	DG_T_REG_SEND,		/* REG_SEND(_TT), and what rex relays */
	DG_T_GROUP_LEADER,	/* GROUP_LEADER */
	DG_T_SPAWN_REQUEST,	/* SPAWN_REQUEST(_TT), SPAWN_REPLY(_TT), and the
				 * code-running forms of erpc, rex, net_kernel */
	DG_T_ALIAS_SEND,	/* ALIAS_SEND(_TT) */
	DG_T_ALTACT,		/* ALTACT_SIG_SEND (OTP 28) */
	DG_T_COUNT
};

/* Types whose target is a pid or an alias: those {allow, Type, disclosed}
 * takes (the configuration's check and `distguard suggest`). */
static inline int
dg_type_takes_disclosed(enum dg_type t)
{
	return t == DG_T_SEND || t == DG_T_LINK || t == DG_T_MONITOR ||
	    t == DG_T_EXIT || t == DG_T_ALIAS_SEND || t == DG_T_GROUP_LEADER;
}

/* Types a message handler may take, {handler, Type, Module} besides
 * spawn_request (docs/FILTER.md 26): an allowed message of the type runs
 * Module:reg_send/send/alias_send/group_leader in a new process instead. */
static inline int
dg_type_takes_msg_handler(enum dg_type t)
{
	return t == DG_T_REG_SEND || t == DG_T_SEND || t == DG_T_ALIAS_SEND ||
	    t == DG_T_GROUP_LEADER;
}

enum dg_action {
	DG_ALLOW,
	DG_DENY,	/* drop, and answer the caller as if the target did not exist */
	DG_DROP		/* drop silently */
};

/*
 * The names the configuration writes, in enum order, once: an array
 * initialiser with every name between `pre` and `post` ("" "" for the
 * names themselves, "{allow, " "}" for a rule's static description).
 */
#define DG_TYPE_NAMES(pre, post) {					\
	pre "link" post, pre "exit" post, pre "monitor" post,		\
	pre "send" post, pre "reg_send" post, pre "group_leader" post,	\
	pre "spawn_request" post, pre "alias_send" post,		\
	pre "altact" post }
#define DG_ACTION_NAMES	{ "allow", "deny", "drop" }

/*
 * {mode, audit | enforce} (docs/FILTER.md 22): a peer entry's, else its
 * {node} scope's, else the top level's; unset everywhere is enforce.  In
 * audit mode what the rules would refuse is forwarded and counted as
 * would_deny, but the node's own protections keep refusing.
 */
enum dg_mode {
	DG_MODE_UNSET,
	DG_MODE_ENFORCE,
	DG_MODE_AUDIT
};

/* Built-in profiles: named sets of the OTP traffic a connection needs. */
enum dg_profile {
	DG_PROFILE_PING,	/* net_adm:ping */
	DG_PROFILE_GLOBAL,	/* global's sync protocol + rex features */
	DG_PROFILE_REPLIES,	/* sends/aliases to local pids: replies, io */
	DG_PROFILE_COUNT
};

/* {M, F, Arity}; "_" (or arity -1) is a wildcard. */
struct dg_mfa {
	char		*m;		/* NULL = '_' */
	char		*f;		/* NULL = '_' */
	int		 arity;		/* -1 = '_' */
};

/*
 * OTP behaviour protocols that a message to a registered name may speak
 * (issue 18 item 6; docs/FILTER.md 17).  A name rule admits none of them
 * unless it names them: {allow, reg_send, [Name], [sys, ...]}.
 */
#define DG_PROTO_SYS		0x01	/* {system, From, Req}: sys */
#define DG_PROTO_SUPERVISOR	0x02	/* start_child, which_children, ... */
#define DG_PROTO_GEN_EVENT	0x04	/* add_handler, swap_handler, ... */
#define DG_PROTO_SIGNALS	0x08	/* {'EXIT', _, _}, {'DOWN', _, _, _, _} */
#define DG_PROTO_IO		0x10	/* {io_request | file_request, _, _, _} */
#define DG_PROTO_NAMES	{ "sys", "supervisor", "gen_event", "signals", "io" }
#define DG_PROTO_COUNT	5

/*
 * Spawn options an MFA rule admits beyond link, monitor and {monitor,
 * Opts} (issue 18 item 5; docs/FILTER.md 18): {allow, spawn_request,
 * [MFA], [Opt]}.  Bounds are in words, as the options take them; 0 (the
 * default) admits none of that option.
 */
enum dg_prio { DG_PRIO_NONE, DG_PRIO_LOW, DG_PRIO_NORMAL, DG_PRIO_HIGH,
	DG_PRIO_MAX };
#define DG_SO_MQD		0x01	/* {message_queue_data, _} */
#define DG_SO_FULLSWEEP		0x02	/* {fullsweep_after, N} */
#define DG_SO_ASYNC_DIST	0x04	/* {async_dist, Bool} */
struct dg_spawn_opts {
	enum dg_prio	 priority;	/* the highest {priority, P} */
	int64_t		 min_heap;	/* {min_heap_size, N}: N <= this */
	int64_t		 min_bin_vheap;	/* {min_bin_vheap_size, N} */
	int64_t		 max_heap;	/* {max_heap_size, N} (integer form) */
	unsigned	 flags;		/* DG_SO_* */
	/* {group_leader, peer}: the group leader must be the peer's (by
	 * default any node's but the local one: chained rpc and erpc hand
	 * on their caller's, a third node's) */
	int		 gl_peer;
};

enum dg_rule_kind {
	DG_R_ALLOW_ALL,		/* allow_all */
	DG_R_PROFILE,		/* ping | global | replies */
	DG_R_TYPE,		/* {Action, Type} */
	DG_R_NAMES,		/* {Action, reg_send, [Name]} */
	DG_R_MFAS,		/* {Action, spawn_request, [{M, F, A}]} */
	DG_R_FUNS		/* {allow, funs} | {allow, funs, [Name | MFA |
				 * {io_reply, Module}]}:
				 * not a decider, an exemption from the code
				 * guard (filter/rules.c) */
};

struct dg_rule {
	enum dg_rule_kind	 kind;
	enum dg_action		 action;	/* DG_ALLOW for allow_all/profile */
	enum dg_type		 type;		/* TYPE, NAMES (reg_send), MFAS (spawn_request) */
	enum dg_profile		 profile;
	char			**names;	/* NAMES: atom texts */
	int			 nnames;
	struct dg_mfa		*mfas;		/* MFAS */
	int			 nmfas;
	/* FUNS: {io_reply, Module} targets, the modules whose funs an io
	 * reply to a disclosed pid may carry (docs/FILTER.md 21) */
	char			**io_mods;
	int			 nio_mods;
	/* {allow, Type, disclosed}: only to a pid or alias the local node
	 * disclosed to the peer (filter/disclose.h) */
	int			 disclosed;
	/* NAMES, and {allow, reg_send}: the behaviour protocols admitted
	 * to those names (DG_PROTO_*; 0 by default) */
	unsigned		 protos;
	/* MFAS (allow): the spawn options admitted */
	struct dg_spawn_opts	 sopts;
	int			 line;		/* where it was written, for `test` */
};

/* {default, deny | allow | [Rule]} */
enum dg_default_kind { DG_DEF_DENY, DG_DEF_ALLOW, DG_DEF_RULES };

struct dg_ruleset {
	struct dg_rule	*rules;
	int		 nrules;
};

/* {peer, Pattern, [Rule]} or {peer, Pattern, [Rule], [Option]} */
struct dg_peer {
	char			*pattern;	/* glob over the peer's node name */
	struct dg_ruleset	 rules;
	int			 disconnect;	/* {disconnect, true}: drop the
						 * connection on a violation */
	/* {atoms, N}: distinct atoms the peer may make the node create;
	 * -1 unset (the scope's limit applies, none for allow_all), 0 no
	 * budget at all */
	int64_t			 atoms;
	char			*handler;	/* {handler, spawn_request, Module} */
	/* {handler, Type, Module} of the message types, by enum dg_type
	 * (dg_type_takes_msg_handler); NULL: the scope's */
	char			*msg_handler[DG_T_COUNT];
	enum dg_mode		 mode;		/* {mode, M}; DG_MODE_UNSET: the scope's */
	int			 line;
};

/* Peers and default for one scope: the top level, or one {node, ...}. */
struct dg_scope {
	char			*node_pattern;	/* NULL at top level */
	struct dg_peer		*peers;
	int			 npeers;
	int			 has_default;
	enum dg_default_kind	 def;
	struct dg_ruleset	 def_rules;	/* DG_DEF_RULES */
	char			*def_text;	/* ... as written, for logs */
	int			 def_line;
	/* {handler, spawn_request, Module} for the peers of this scope
	 * whose entry names none; NULL: none */
	char			*handler;
	int			 handler_line;
	/* {handler, Type, Module} of the message types, likewise */
	char			*msg_handler[DG_T_COUNT];
	int			 msg_handler_line[DG_T_COUNT];
	enum dg_mode		 mode;		/* {mode, M}; DG_MODE_UNSET: none here */
	int			 mode_line;
	int			 line;
};

/* Names of the types and actions, for the configuration, alerts,
 * statistics and metrics (core/names.c).  dg_type_from_name: 0 with *t
 * set, or -1 for no such type. */
const char	*dg_type_name(enum dg_type);
const char	*dg_action_name(enum dg_action);
int		 dg_type_from_name(const char *, enum dg_type *);

#endif
