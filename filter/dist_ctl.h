/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dist_ctl.h - decodes the control message of one frame, and the start of
 * its payload where the rules need it (spec 5).  Pure: reads only the
 * bytes df_peek handed over, allocates nothing; every span in struct
 * dist_msg points into those bytes.
 *
 * What it understands beyond the control tuple (spec 5.6, 5.7):
 *  - SPAWN_REQUEST: the MFA in the control tuple, the argument list in the
 *    payload, and when the MFA is erpc:execute_call/4 or
 *    erpc:execute_cast/3, the user's M, F and argument count inside it;
 *  - REG_SEND to rex: {'$gen_call', From, {call|block_call, M, F, A, GL}},
 *    {'$gen_cast', {cast, M, F, A, GL}}, {From, {call, M, F, A, GL}} run
 *    code; {From, {send|sbcast, Name, Msg}} relays to Name;
 *    {From, features_request} is harmless;
 *  - REG_SEND to net_kernel: {'$gen_call', From, {spawn|spawn_link, M, F,
 *    A, GL}} and {spawn_opt, M, F, A, Opts, Link, GL} run code;
 *    {'$gen_call', From, {is_auth, Node}} is what ping sends.
 * Everything that makes the node run code ends up as an `exec` MFA, so one
 * allow-list covers every API.
 */
#ifndef DIST_CTL_H
#define DIST_CTL_H

#include "dg_policy.h"
#include "term.h"

/* Control operation codes (spec 5.1). */
enum dop {
	DOP_LINK = 1, DOP_SEND = 2, DOP_EXIT = 3, DOP_UNLINK = 4,
	DOP_NODE_LINK = 5, DOP_REG_SEND = 6, DOP_GROUP_LEADER = 7,
	DOP_EXIT2 = 8, DOP_SEND_TT = 12, DOP_EXIT_TT = 13,
	DOP_REG_SEND_TT = 16, DOP_EXIT2_TT = 18, DOP_MONITOR_P = 19,
	DOP_DEMONITOR_P = 20, DOP_MONITOR_P_EXIT = 21, DOP_SEND_SENDER = 22,
	DOP_SEND_SENDER_TT = 23, DOP_PAYLOAD_EXIT = 24,
	DOP_PAYLOAD_EXIT_TT = 25, DOP_PAYLOAD_EXIT2 = 26,
	DOP_PAYLOAD_EXIT2_TT = 27, DOP_PAYLOAD_MONITOR_P_EXIT = 28,
	DOP_SPAWN_REQUEST = 29, DOP_SPAWN_REQUEST_TT = 30,
	DOP_SPAWN_REPLY = 31, DOP_SPAWN_REPLY_TT = 32, DOP_ALIAS_SEND = 33,
	DOP_ALIAS_SEND_TT = 34, DOP_UNLINK_ID = 35, DOP_UNLINK_ID_ACK = 36,
	DOP_ALTACT_SIG_SEND = 37
};

/* How a peer asks this node to run code. */
enum dist_via {
	VIA_NONE,
	VIA_SPAWN,		/* SPAWN_REQUEST of a plain MFA */
	VIA_ERPC,		/* SPAWN_REQUEST of erpc:execute_call/cast */
	VIA_REX,		/* rex call, block_call, cast */
	VIA_NET_KERNEL		/* net_kernel's legacy spawn */
};

/* Replies this node is owed: matched against what it asked for. */
enum dist_reply {
	REPLY_NONE,
	REPLY_SPAWN,		/* SPAWN_REPLY(_TT): key = ReqId */
	REPLY_MONITOR,		/* (PAYLOAD_)MONITOR_P_EXIT(_TT): key = Ref */
	REPLY_UNLINK		/* UNLINK_ID_ACK: key = Id */
};

/* Argument lists judged on their header's count: erpc's and the user's. */
#define DC_MAX_CLAIMS	2

struct dist_msg {
	int			op;		/* enum dop */
	enum dg_type		type;		/* RFC type the rules see */
	int			has_payload;	/* the op carries a second term */

	/* The pid this message claims to come from (From, Watcher, Leader,
	 * Sender...; for (PAYLOAD_)MONITOR_P_EXIT the Target, for
	 * SPAWN_REPLY the Result, when those are pids); has_from = 0 for ops
	 * without one (SEND, SEND_TT) or when that element is a name. */
	int			has_from;
	struct dg_span		from_node;	/* atom text of its node */

	/* Registered-name target: REG_SEND, MONITOR_P by name, and the
	 * name rex relays to. */
	int			has_name;
	struct dg_span		name;

	/* Code to run, after unwrapping erpc/rex/net_kernel. */
	enum dist_via		via;
	struct dg_span		exec_m, exec_f;
	int			exec_arity;	/* length of the argument list */

	/* The message reached a system server in a shape we do not know
	 * (rex, net_kernel): only allow_all lets it through. */
	int			opaque;
	/* Why, when the decoder can name it (an argument list ERTS would
	 * not build as a proper list, or one not seen whole): the reason
	 * the alert gives.  NULL otherwise. */
	const char		*opaque_why;

	/* Request/reply tracking (node->peer requests, peer->node replies). */
	enum dist_reply		reply;		/* this message answers ... */
	int			request;	/* this message asks: REPLY_* kind */
	struct dg_span		key;		/* raw term bytes of ReqId/Ref/Id */

	/* Raw terms for building a deny answer (filter/deny.c).  t_from is
	 * the requester: the From/Watcher/Leader pid, but the Watcher for
	 * (PAYLOAD_)MONITOR_P_EXIT and ToPid for SPAWN_REPLY.  t_target is
	 * the destination: To, Target, ToName, Alias. */
	struct dg_span		t_reqid;	/* SPAWN_REQUEST ReqId */
	struct dg_span		t_from;		/* the requester/watcher/linker pid */
	struct dg_span		t_target;	/* link/monitor target (pid or atom) */
	struct dg_span		t_ref;		/* monitor ref */
	struct dg_span		t_token;	/* _TT token, else len 0 */

	/* is_auth ping, for the ping profile */
	int			is_auth;
	/* rex features_request/reply, for the global profile */
	int			rex_features;

	/* Where the payload starts (after its 131 in pass-through mode),
	 * NULL for ops without one. */
	const uint8_t		*payload;

	/* Payload facts, established only when the caller asks for them
	 * (struct dc_opts.need).  For a send to a pid or an alias
	 * (DC_NEED_PIDSEND): pl_fun, the payload holds a fun (NEW_FUN_EXT
	 * or EXPORT_EXT); pl_request, it is a request to a server rather
	 * than an answer ('$gen_call', '$gen_cast', a sys message, a
	 * forged 'EXIT', an io request that applies an MFA).  For a send to
	 * global_name_server (DC_NEED_GLOBAL): global_ok, the message is
	 * one of global's inter-node protocol, exactly (docs/FILTER.md 7).
	 * pl_partial: the payload runs past what the decoder may see (the
	 * 68 KiB window, or a first fragment), so pl_fun speaks for its
	 * first bytes only and global_ok is 0. */
	int			pl_fun;
	int			pl_request;
	/* pl_reply: the payload is a gen_server reply carrying an atom,
	 * {Tag, Atom} with Tag a reference, {Ref, Node} or [alias | Ref]:
	 * all that global's own processes are sent by pid (disclose.h). */
	int			pl_reply;
	int			pl_partial;
	int			global_ok;
	/* The node a global message says it comes from (its Node element,
	 * or the node of its sender or locker pid): the proxy checks it is
	 * the peer's, as it checks from_node.  len 0: none. */
	struct dg_span		claim_node;
	/* Static, or NULL: the payload has a system server's tag but not
	 * the types its receiving clause takes ("not net_kernel's
	 * protocol", "not rex's protocol"; dist_facts.c, DC_NEED_GLOBAL). */
	const char		*proto_why;
	/* A send to a registered name that speaks an OTP behaviour's
	 * protocol: DG_PROTO_* (policy.h), 0 for none (DC_NEED_BEHAV). */
	unsigned		behav;

	/* Pids this message shows the receiving processes beyond t_from:
	 * SPAWN_REQUEST's group leader, SPAWN_REPLY's new process. */
	struct dg_span		t_gl;
	struct dg_span		t_result;
	/* SPAWN_REQUEST's OptList (proven with the control term); for rex's
	 * and net_kernel's code requests, their group leader and (spawn_opt)
	 * options, read after the arguments.  tail_unseen: the group leader
	 * (1), or the options too (2), lie past the bytes seen (an argument
	 * list past the window), and their spans are empty. */
	struct dg_span		t_opts;
	int			tail_unseen;

	/*
	 * The code guard's facts (DC_NEED_FUNS; docs/FILTER.md 11): the
	 * payload walked once, every fun counted wherever it sits.
	 * pl_fun_at: the first fun (global's own resolvers excepted in a
	 * send to global_name_server), NULL if none.  pl_state: PL_PROVEN
	 * (the whole payload was proven; a final leaf body that runs past
	 * a first fragment counts, since nothing but its bytes is unseen),
	 * PL_PREFIX (structure past what the decoder may see: funs and
	 * atoms there are unknown), PL_BAD (not a term ERTS would take, or
	 * nested past TERM_MAX_DEPTH), PL_NONE (not walked).
	 */
	const uint8_t		*pl_fun_at;
	int			 pl_state;
	/* The module of the first fun (pl_fun_at), and whether any other
	 * fun of the payload has another module; pl_io_reply: the payload
	 * of a send to a pid or alias is {io_reply, ReplyAs, Reply}, the
	 * io protocol's answer (DC_NEED_PIDSEND, proven whole).  For
	 * {allow, funs, [{io_reply, Module}]} (docs/FILTER.md 21). */
	struct dg_span		 pl_fun_mod;
	int			 pl_fun_mixed;
	int			 pl_io_reply;
	/* Where the code that runs is: the argument list (VIA_*: the list
	 * term; x_args_n its length), the M and F atom terms (in the
	 * control tuple for VIA_SPAWN, in the payload for VIA_ERPC), and
	 * the control tuple's {M, F, N} and the whole control term, for
	 * the spawn handler's rewrite (filter/rewrite.h). */
	const uint8_t		*x_args;
	/* Argument lists that run past what the decoder may see, judged on
	 * the count their header states (issue 26): the relay's walk must
	 * find each a proper list of exactly that many elements before the
	 * message's end reaches the node (term.h term_stream_claim). */
	int			 claims_ok;	/* bytes follow `end` */
	int			 n_claims;
	const uint8_t		*claim_at[DC_MAX_CLAIMS];
	uint32_t		 claim_n[DC_MAX_CLAIMS];
	struct dg_span		 x_m, x_f;
	struct dg_span		 t_mfa;
	struct dg_span		 ctl;

	/* Set by the proxy, not the decoder: the pid or alias this message
	 * targets (t_target) is one the local node disclosed to this peer
	 * on this connection (filter/disclose.h). */
	int			disclosed;
	/* Set by the proxy too: the group leader of this code request
	 * (t_gl) is one the local node handed to this peer
	 * (disclose_is_leader), so a process of the local node may be it. */
	int			gl_handed;
};

/* Payload facts a policy needs (rules_needs), for dist_ctl_decode_x. */
#define DC_NEED_PIDSEND	0x01	/* pl_fun, pl_request of sends to pids */
#define DC_NEED_GLOBAL	0x02	/* global_ok of sends to global_name_server */
#define DC_NEED_IDS	0x04	/* the proxy records what the node discloses */
#define DC_NEED_FUNS	0x08	/* the code guard: pl_fun_at, pl_state of every payload */
#define DC_NEED_ATOMS	0x10	/* the atom budget: dc_opts.atom sees every atom */
#define DC_NEED_BEHAV	0x20	/* behav of sends to registered names */
/* Not a fact but a circumstance, in dc_opts.need: the message goes on past
 * frame_end (a first fragment of several).  With it, or a frame_end past
 * `end`, an argument list cut where the bytes stop is judged on its
 * header's count (claim_at); only a caller that walks the rest
 * (proxy/relay.c) may set it. */
#define DC_MSG_GOES_ON	0x40
/* A circumstance too: the caller walks a payload admitted on its first
 * bytes to its end (proxy/relay.c).  A send whose payload is cut where the
 * bytes stop, with DC_STREAM_MIN of it present, is then judged on that
 * prefix (pl_state PL_PREFIX) instead of asking for the rest: a frame
 * streams through rather than being held whole.  Not for messages whose
 * facts need the whole payload: global's and the system servers' shapes,
 * rex's and net_kernel's requests, spawn requests (the handler rewrite). */
#define DC_STREAM	0x80
#define DC_STREAM_MIN	4096

/* dist_msg.pl_state */
enum { PL_NONE, PL_PROVEN, PL_PREFIX, PL_BAD };

struct dc_opts {
	unsigned	 need;		/* DC_NEED_* */
	/* The end of the frame's term data, which may lie past `end`: a
	 * payload that ends in a large binary is then proven from its first
	 * bytes (term_walk).  NULL: `end`. */
	const uint8_t	*frame_end;
	/* No more bytes will come for this decision (the frame is complete
	 * or DF_WINDOW of it is in): payload facts that need more are
	 * marked pl_unknown instead of asking for them (DG_AGAIN). */
	int		 final;
	/* DC_NEED_ATOMS: called for every atom of the control term and the
	 * payload (term.h TV_ATOMS), with the atom's proven tag byte.  A
	 * decode that returns DG_AGAIN may have called it: the caller
	 * starts its count afresh on each try. */
	void		(*atom)(void *arg, const uint8_t *atom);
	void		 *atom_arg;
};

/*
 * Decodes the control term at [p, end) (p = df_frame.terms; pass-through
 * mode when `passthrough`, where each term starts with 131).  `end` may
 * stop short of the frame: if the control term, or a payload part that the
 * rules need, lies beyond it, returns DG_AGAIN and the caller denies.
 * Returns 0, DG_AGAIN, or DG_EINVAL with *why (an unknown op, a malformed
 * tuple, an invalid term).
 */
int	dist_ctl_decode(const uint8_t *p, const uint8_t *end, int passthrough,
	    struct dist_msg *m, const char **why) DG_WUR;
/* The same, establishing the payload facts opts->need asks for. */
int	dist_ctl_decode_x(const uint8_t *p, const uint8_t *end, int passthrough,
	    const struct dc_opts *opts, struct dist_msg *m, const char **why) DG_WUR;

/*
 * The payload part of dist_ctl_decode_x alone, for a message built by
 * hand (`distguard test`): m's op, type, name and MFA are set; the
 * payload term (without 131) is at [pl, end).  Returns 0, DG_AGAIN (the
 * term is cut short) or DG_EINVAL.
 */
int	dist_ctl_payload(struct dist_msg *m, const uint8_t *pl,
	    const uint8_t *end, const struct dc_opts *opts) DG_WUR;

const char	*dist_op_name(int op);

/*
 * Where the first fun of m sat, for the filter.code alert: "argument 1
 * of lists:map/2 (erpc)", "the payload of a send to gateway", ...  Only
 * for a message decoded with DC_NEED_FUNS whose pl_fun_at is set.
 */
void	dist_fun_where(const struct dist_msg *m, char *buf, size_t len);

#endif
