/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dist_facts.c - what a payload holds, where a rule needs it: funs and
 * where they sit (the code guard), atoms (the budget), requests to
 * servers (the profiles' sends to pids), global's protocol by shape;
 * all from one bounded walk (term_walk), on payload bytes no decoder has
 * proven yet (docs/FILTER.md 7, 11-13).
 */
#include <stdio.h>
#include <string.h>

#include "dg_etf.h"
#include "dg_wire.h"
#include "dist_ctl.h"
#include "dist_ctl_int.h"
#include "shape.h"

/* ---- payload facts for the profiles (docs/FILTER.md 7) ---------------- */


/* fun(Name, Pid1, Pid2) -> Pid that global itself provides. */
static const char *const global_resolvers[] = {
	"random_exit_name", "random_notify_name", "notify_all_name"
};

/*
 * One of global's own resolve functions (proven term).  register_name/2
 * sends `fun random_exit_name/3` from inside global: a local fun
 * (NEW_FUN_EXT) of module global, arity 3, with no free variables.  Its
 * Index cannot be told from the other arity-3 funs of global without
 * global's code, so any of them passes: they are global's own.  Written
 * out (fun global:random_exit_name/3), it is an export.
 */
static int
is_global_resolver(const uint8_t *t)
{
	struct dg_span mod, fun;
	const uint8_t *q;
	size_t i;

	if (t[0] == T_NEW_FUN) {
		/* Size, Arity, Uniq[16], Index, NumFree, Module */
		q = t + 30;
		return t[5] == 3 && get_u32(t + 26) == 0 &&
		    term_atom(&q, &mod) == 0 && TERM_SPAN_IS(mod, "global");
	}
	if (t[0] != T_EXPORT)
		return 0;
	t++;
	if (term_atom(&t, &mod) == -1 || term_atom(&t, &fun) == -1 ||
	    !TERM_SPAN_IS(mod, "global") || t[0] != 97 || t[1] != 3)
		return 0;
	for (i = 0; i < DG_ARRAY_LEN(global_resolvers); i++)
		if (term_span_eq(fun, global_resolvers[i]))
			return 1;
	return 0;
}

struct fun_census {
	int		 funs;		/* funs seen */
	int		 resolvers_ok;	/* global's own resolvers do not count */
	const uint8_t	*first;		/* the first fun that counts */
	struct dg_span	 mod;		/* its module */
	int		 mixed;		/* a fun of another module */
	int		 tail_cut;	/* PROVEN, but for a last leaf's body */
	/* atoms, for the atom budget (NULL: not asked for) */
	void		(*atom)(void *, const uint8_t *);
	void		 *atom_arg;
};

/* The module atom of a fun whose fixed part term_walk proved: an
 * export's first atom, a NEW_FUN_EXT's atom after its fixed fields. */
static struct dg_span
fun_module(const uint8_t *t)
{
	struct dg_span mod = { NULL, 0 };
	/* NEW_FUN_EXT: tag, Size 4, Arity 1, Uniq 16, Index 4, NumFree 4 */
	const uint8_t *a = t[0] == T_EXPORT ? t + 1 : t + 30;

	if (term_atom(&a, &mod) != 0)
		mod.len = 0;
	return mod;
}

/* One visitor for both: funs are counted, atoms handed on. */
static void
count_fun(void *arg, const uint8_t *t)
{
	struct fun_census *c = arg;

	if (t[0] != T_NEW_FUN && t[0] != T_EXPORT) {
		c->atom(c->atom_arg, t);
		return;
	}
	if (!(c->resolvers_ok && is_global_resolver(t))) {
		struct dg_span mod = fun_module(t);

		if (c->funs++ == 0) {
			c->first = t;
			c->mod = mod;
		} else if (mod.len != c->mod.len ||
		    memcmp(mod.p, c->mod.p, mod.len) != 0)
			c->mixed = 1;
	}
}

/* What pl_prove could establish (dist_msg.pl_state). */
#define PROVEN		PL_PROVEN
#define PREFIX		PL_PREFIX
#define MALFORMED	PL_BAD

/*
 * Proves the payload at q (present up to end, ending by the frame's end)
 * and counts its funs (and hands its atoms on, if c->atom).  Returns
 * PROVEN (a last leaf whose body runs past a first fragment included);
 * PREFIX when only its first bytes could be seen (it needs bytes past
 * what the decoder may hold: the funs are then those of that prefix);
 * MALFORMED; or DG_AGAIN when more bytes may still come for this
 * decision.
 */
static int
pl_prove(const uint8_t *q, const uint8_t *end, const struct dc_opts *o,
    int final, struct fun_census *c)
{
	const uint8_t *fend = o->frame_end != NULL && o->frame_end > end ?
	    o->frame_end : end;
	struct term_visit v = { TV_FUNS | (c->atom ? TV_ATOMS : 0), count_fun,
	    c, &c->tail_cut };
	const char *why;
	int n;

	n = term_walk(q, end, fend, &v, &why);
	if (n == DG_AGAIN && c->tail_cut && fend == end)
		return PROVEN;
	c->tail_cut = 0;
	if (n == DG_AGAIN)
		return final ? PREFIX : DG_AGAIN;
	return n < 0 ? MALFORMED : PROVEN;
}

/* MFAs that the io protocol may carry to a group leader, which applies
 * them: io:format's and io:fread's, and the scanner io:read uses. */
static const char *const io_mfas[][2] = {
	{ "io_lib", "format" }, { "io_lib", "fread" },
	{ "erl_scan", "tokens" }, { "io_lib", "collect_line" },
	{ "io_lib", "collect_chars" },
};

/*
 * An io request that makes the group leader apply an MFA other than the
 * io library's own: {put_chars, [Enc,] M, F, A}, {get_until, [Enc,]
 * Prompt, M, F, A}; and {requests, [...]}, which may hold either.  Bounded
 * reads: a request cut short counts as one that applies.
 */
static int
io_applies(const uint8_t *q, const uint8_t *end)
{
	struct dg_span tag, mod, fun;
	uint32_t arity, i;
	size_t k;

	if (dc_pl_tuple(&q, end, &arity) != 0 || arity < 2)
		return q >= end;
	if (dc_pl_atom(&q, end, &tag) != 0)
		return q >= end;
	if (TERM_SPAN_IS(tag, "requests"))
		return 1;
	if (!(TERM_SPAN_IS(tag, "put_chars") && (arity == 4 || arity == 5)) &&
	    !(TERM_SPAN_IS(tag, "get_until") && (arity == 5 || arity == 6)))
		return 0;
	for (i = 2; i < arity - 2; i++)	/* up to M, element arity - 2 */
		if (dc_pl_skip(&q, end) != 0)
			return 1;
	if (dc_pl_atom(&q, end, &mod) != 0 || dc_pl_atom(&q, end, &fun) != 0)
		return 1;
	for (k = 0; k < DG_ARRAY_LEN(io_mfas); k++)
		if (term_span_eq(mod, io_mfas[k][0]) && term_span_eq(fun, io_mfas[k][1]))
			return 0;
	return 1;
}

/*
 * rex's older request forms, {From, {call | block_call, M, F, A, GL}} and
 * the relays {From, {send | sbcast, Name, Msg}}, which rex takes from
 * anyone who reaches its pid (q is at From).
 */
static int
is_rex_request(const uint8_t *q, const uint8_t *end)
{
	struct dg_span tag;
	uint32_t arity;
	int rc;

	if (q >= end || !dc_is_pid(q))
		return q >= end;
	if ((rc = dc_pl_skip(&q, end)) != 0 ||
	    (rc = dc_pl_tuple(&q, end, &arity)) != 0 ||
	    (rc = dc_pl_atom(&q, end, &tag)) != 0)
		return rc == DG_AGAIN;
	return (arity == 5 && (TERM_SPAN_IS(tag, "call") ||
	    TERM_SPAN_IS(tag, "block_call"))) ||
	    (arity == 3 && (TERM_SPAN_IS(tag, "send") || TERM_SPAN_IS(tag, "sbcast")));
}

/*
 * A message that asks a server to do something, as opposed to an answer
 * or a plain message: a gen_server call or cast, a sys message, signals
 * forged as messages, io requests that apply an MFA.  Bounded reads; a
 * head cut short (the window ends inside it) counts as a request.
 */
static int
is_server_request(const uint8_t *q, const uint8_t *end)
{
	struct dg_span tag;
	uint32_t arity;
	int rc;

	if ((rc = dc_pl_tuple(&q, end, &arity)) != 0)
		return rc == DG_AGAIN;
	if (arity < 2)
		return 0;
	if ((rc = dc_pl_atom(&q, end, &tag)) == 1 && arity == 2)
		return is_rex_request(q, end);
	if (rc != 0)
		return rc == DG_AGAIN;
	switch (arity) {
	case 2:
		return TERM_SPAN_IS(tag, "$gen_cast");
	case 3:
		return TERM_SPAN_IS(tag, "$gen_call") || TERM_SPAN_IS(tag, "system") ||
		    TERM_SPAN_IS(tag, "EXIT");
	case 4:
		if (!TERM_SPAN_IS(tag, "io_request"))
			return 0;
		if (dc_pl_skip(&q, end) != 0 || dc_pl_skip(&q, end) != 0)
			return 1;		/* From, ReplyAs */
		return io_applies(q, end);
	case 5:
		return TERM_SPAN_IS(tag, "DOWN");
	default:
		return 0;
	}
}

/* A reply tag: a reference, {Ref, Node} (multi_call), or [alias | Ref]
 * (OTP 24+ calls).  Bounded reads. */
static int
is_reply_tag(const uint8_t *q, const uint8_t *end)
{
	uint32_t arity;
	struct dg_span a;

	if (q >= end)
		return 0;
	if (dc_is_ref(q))
		return 1;
	if (dc_pl_tuple(&q, end, &arity) == 0)
		return arity == 2 && q < end && dc_is_ref(q) &&
		    dc_pl_skip(&q, end) == 0 && dc_pl_atom(&q, end, &a) == 0;
	if (*q != T_LIST || end - q < 5 || get_u32(q + 1) != 1)
		return 0;
	q += 5;
	return dc_pl_atom(&q, end, &a) == 0 && TERM_SPAN_IS(a, "alias") &&
	    q < end && dc_is_ref(q);
}

/* {Tag, Atom}: the answer of a gen_server call whose result is an atom
 * (global's set_lock, del_lock, register, unregister). */
static int
is_atom_reply(const uint8_t *q, const uint8_t *end)
{
	uint32_t arity;
	struct dg_span a;

	if (dc_pl_tuple(&q, end, &arity) != 0 || arity != 2 ||
	    !is_reply_tag(q, end) || dc_pl_skip(&q, end) != 0)
		return 0;
	return dc_pl_atom(&q, end, &a) == 0;
}

static unsigned behaviour_of(const uint8_t *, const uint8_t *);

/* {io_reply, ReplyAs, Reply}: a group leader's answer (io protocol). */
static int
is_io_reply(const uint8_t *q, const uint8_t *end)
{
	uint32_t arity;
	struct dg_span a;

	return dc_pl_tuple(&q, end, &arity) == 0 && arity == 3 &&
	    dc_pl_atom(&q, end, &a) == 0 && TERM_SPAN_IS(a, "io_reply");
}

/* A send to a pid or an alias: is it code, or a request?  Its behaviour
 * protocol too: io requests are for group leaders only (rules.c). */
static int
inspect_pid_send(const uint8_t *q, const uint8_t *end, struct dist_msg *m)
{
	m->behav = behaviour_of(q, end);
	m->pl_request = m->pl_state == MALFORMED ||
	    is_server_request(q, end);
	m->pl_reply = m->pl_state == PROVEN && !m->pl_partial &&
	    is_atom_reply(q, end);
	m->pl_io_reply = m->pl_state == PROVEN && !m->pl_partial &&
	    is_io_reply(q, end);
	return 0;
}

/*
 * global's inter-node protocol (lib/kernel/src/global.erl, OTP 25 to 29;
 * docs/FILTER.md 7 and 16 give each message, the clause that takes it and
 * why each field has the type it has here).  Each field the receiving
 * code matches on, calls a BIF on or hands to the locker has its type:
 * a message of global's tag and arity with a field of another type
 * crashed global_name_server or its locker, and with them the node
 * (kernel_sup is one_for_all with intensity 0).  The sending node must
 * be named truthfully wherever the message names it: every SH_PEER and
 * SH_PEER_PID is one node, which the proxy checks is the peer.
 */

/* A node in a known-nodes list: a name, or {Name, Vsn} (OTP 25+
 * make_node_vsn_list). */
#define G_KNOWN		SH_L(SH_OR(SH_K(SH_ATOM), SH_T(SH_K(SH_ATOM), \
			    SH_K(SH_INT))))
/* A sync tag: erlang:unique_integer([monotonic]) (a bignum). */
#define G_TAG		SH_K(SH_INT)
#define G_METHOD	SH_FN(is_global_resolver)
/* A name operation (do_ops): node(Pid) and monitor(process, Pid). */
#define G_OPS		SH_L(SH_OR(SH_T(SH_A("insert"), SH_T(SH_K(SH_ANY), \
			    SH_K(SH_PID), G_METHOD)), \
			    SH_T(SH_A("delete"), SH_K(SH_ANY))))
/* {Name, Pid, RegNode}: names of C nodes (ins_name_ext). */
#define G_NAMES_EXT	SH_L(SH_T(SH_K(SH_ANY), SH_K(SH_PID), SH_K(SH_ATOM)))
/* A lock id {ResourceId, LockRequesterId} (can_set_lock, handle_del_lock
 * match it as a 2-tuple).  global's own resource is taken by the lockers
 * for {global, [LockerA, LockerB]} and by trans_all_known for {global,
 * Pid}: one of those pids must be the caller's node's, or a peer could
 * hold global's lock for a name it may not claim and hang every
 * registration and sync on this node. */
#define G_LOCK		SH_OR(SH_T(SH_A("global"), \
			    SH_OR(SH_K(SH_PEER_PID), SH_K(SH_PIDS_PEER))), \
			    SH_T(SH_FN(not_global), SH_K(SH_ANY)))

static int
not_global(const uint8_t *t)
{
	struct dg_span a;

	return !(term_atom(&t, &a) == 0 && TERM_SPAN_IS(a, "global"));
}

/* handle_cast (the payload of {'$gen_cast', Msg}). */
static const struct shape *const global_casts[] = {
	/* {init_connect, {Vsn, Tag}, Node, {locker, _, Known, Locker}}:
	 * a Vsn tuple of another size badmatches in handle_cast, a Vsn
	 * below 5 fails the locker's `true = HisVsn > 4`, and the locker
	 * calls node(Locker).  Known is a map in OTP 25+: not looked at. */
	SH_T(SH_A("init_connect"), SH_T(SH_RANGE(5, 255), G_TAG),
	    SH_K(SH_PEER), SH_T(SH_A("locker"), SH_K(SH_ANY), SH_K(SH_ANY),
	    SH_K(SH_PEER_PID))),
	/* {exchange, Node, Names, NamesExt, Tag}: Names go to the
	 * resolver, {Name, Pid, Method} each. */
	SH_T(SH_A("exchange"), SH_K(SH_PEER), SH_L(SH_T(SH_K(SH_ANY),
	    SH_K(SH_PID), G_METHOD)), G_NAMES_EXT, G_TAG),
	/* {resolved, Node, Ops, Known, Unused, NamesExt, Tag}: `++`,
	 * do_ops and node_list run on them. */
	SH_T(SH_A("resolved"), SH_K(SH_PEER), G_OPS, G_KNOWN, SH_K(SH_ANY),
	    G_NAMES_EXT, G_TAG),
	/* {new_nodes, Node, Ops, NamesExt, Nodes, ExtraInfo}: no tag is
	 * checked before do_ops; lock_still_set badmatches unless
	 * ExtraInfo holds {lock, {global, _}}, and every version builds it
	 * as [{vsn, V}, {lock, LockId}] (resolved/5). */
	SH_T(SH_A("new_nodes"), SH_K(SH_PEER), G_OPS, G_NAMES_EXT, G_KNOWN,
	    SH_LN(SH_T(SH_A("vsn"), SH_K(SH_ANY)), SH_T(SH_A("lock"),
	    SH_T(SH_A("global"), SH_K(SH_ANY))))),
	SH_T(SH_A("in_sync"), SH_K(SH_PEER), SH_K(SH_BOOL)),
	/* {lock_set, Locker, IsSet, Known[, Tag]}: node(Locker) in
	 * handle_cast (5) and in the locker (both). */
	SH_T(SH_A("lock_set"), SH_K(SH_PEER_PID), SH_K(SH_BOOL), SH_K(SH_ANY)),
	SH_T(SH_A("lock_set"), SH_K(SH_PEER_PID), SH_K(SH_BOOL), SH_K(SH_ANY),
	    G_TAG),
};

/* handle_call: {'$gen_call', {Caller, Tag}, Request}, the caller being a
 * process of the peer (lock holders are monitored through it). */
static const struct shape *const global_calls[] = {
	/* ins_name: node(Pid), monitor(process, Pid) */
	SH_T(SH_A("register"), SH_K(SH_ANY), SH_K(SH_PID), G_METHOD),
	SH_T(SH_A("register_ext"), SH_K(SH_ANY), SH_K(SH_PID), G_METHOD,
	    SH_K(SH_ATOM)),
	SH_T(SH_A("unregister"), SH_K(SH_ANY)),
	SH_T(SH_A("set_lock"), G_LOCK),
	SH_T(SH_A("del_lock"), G_LOCK),
};

/* handle_info, OTP 25+.  lost_connection is relayed from node to node
 * whenever any node of a cluster leaves, so NodeA is not the sender's.
 * A relay makes this node drop NodeA or NodeB; the peer's own report
 * (NodeA = the peer) does the same for any NodeB it names: that is
 * global's prevent_overlapping_partitions, and refusing relays would
 * take nothing from a peer and alert on every departure. */
static const struct shape *const global_infos[] = {
	SH_T(SH_A("init_connect_ack"), SH_K(SH_PEER), G_TAG, G_TAG),
	SH_T(SH_A("cancel_connect"), SH_K(SH_PEER), G_TAG),
	SH_T(SH_A("remove_connection"), SH_K(SH_PEER)),
	SH_T(SH_A("lost_connection"), SH_K(SH_ATOM), SH_K(SH_INT),
	    SH_K(SH_INT), SH_K(SH_ATOM)),
};

#define G_CAST	SH_T(SH_A("$gen_cast"), SH_K(SH_ANY))
#define G_CALL	SH_T(SH_A("$gen_call"), SH_T(SH_K(SH_PEER_PID), \
		    SH_K(SH_ANY)), SH_K(SH_ANY))

/* The first shape of tab (n) the term at q matches; sets m->claim_node. */
static int
global_match(const uint8_t *q, const struct shape *const *tab, size_t n,
    struct shape_ctx *ctx, struct dist_msg *m)
{
	struct shape_ctx c;
	const uint8_t *e;
	size_t k;

	for (k = 0; k < n; k++) {
		c = *ctx;
		e = q;
		if (shape_match(tab[k], &e, &c)) {
			m->claim_node = c.claim;
			return 1;
		}
	}
	return 0;
}

/* A send to global_name_server: global's protocol, exactly? */
static int
inspect_global(const uint8_t *q, const uint8_t *end, struct dist_msg *m)
{
	struct shape_ctx ctx;
	const uint8_t *e;
	uint32_t arity;

	(void)end;
	/* Exact shapes only: what could not be seen whole is not one (a
	 * binary cut by a fragment is no part of global's protocol). */
	if (m->pl_state != PROVEN || m->pl_partial || m->pl_fun)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	e = q;
	if (shape_match(G_CAST, &e, &ctx)) {
		e = q;
		(void)term_tuple(&e, &arity);
		e = term_next(e);	/* '$gen_cast' */
		m->global_ok = global_match(e, global_casts,
		    DG_ARRAY_LEN(global_casts), &ctx, m);
		return 0;
	}
	memset(&ctx, 0, sizeof(ctx));
	e = q;
	if (shape_match(G_CALL, &e, &ctx)) {
		e = q;
		(void)term_tuple(&e, &arity);
		e = term_next(term_next(e));	/* '$gen_call', From */
		m->global_ok = global_match(e, global_calls,
		    DG_ARRAY_LEN(global_calls), &ctx, m);
		return 0;
	}
	memset(&ctx, 0, sizeof(ctx));
	m->global_ok = global_match(q, global_infos, DG_ARRAY_LEN(global_infos),
	    &ctx, m);
	return 0;
}

/*
 * OTP behaviour protocols in a send to a registered name (issue 18 item
 * 6): the requests a server written with sys, supervisor or gen_event
 * obeys whoever sends them, whatever the server itself does.
 * supervisor: which_children, count_children and get_childspec are
 * included: their answers carry the children's pids (which would then
 * count as disclosed to the peer) and their start MFAs.  gen_event:
 * handlers are modules the event manager calls.
 */
static const char *const sup_calls[] = {
	"start_child", "restart_child", "terminate_child", "delete_child",
	"which_children", "count_children", "get_childspec",
};
static const char *const gen_event_calls[] = {
	"add_handler", "add_sup_handler", "delete_handler", "swap_handler",
	"swap_sup_handler", "which_handlers",
};

static int
tag_in(struct dg_span tag, const char *const *tab, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (term_span_eq(tag, tab[i]))
			return 1;
	return 0;
}

/* The request of a '$gen_call' (q at it): a supervisor's or an event
 * manager's own?  It is an atom (which_children) or a tuple whose first
 * element is one.  Bounded reads: cut short, it counts as any. */
static unsigned
call_protocol(const uint8_t *q, const uint8_t *end)
{
	struct dg_span tag;
	uint32_t arity;
	int rc;

	if ((rc = dc_pl_tuple(&q, end, &arity)) == DG_AGAIN)
		return ~0u;
	if (rc < 0 || (rc == 0 && arity == 0))
		return 0;
	if ((rc = dc_pl_atom(&q, end, &tag)) == DG_AGAIN)
		return ~0u;
	if (rc != 0)
		return 0;
	if (tag_in(tag, sup_calls, DG_ARRAY_LEN(sup_calls)))
		return DG_PROTO_SUPERVISOR;
	if (tag_in(tag, gen_event_calls, DG_ARRAY_LEN(gen_event_calls)))
		return DG_PROTO_GEN_EVENT;
	return 0;
}

/* The behaviour protocol (DG_PROTO_*) of the payload at q, or 0.  A
 * head cut short by the window counts as all of them. */
static unsigned
behaviour_of(const uint8_t *q, const uint8_t *end)
{
	struct dg_span tag;
	uint32_t arity;
	int rc;

	if ((rc = dc_pl_tuple(&q, end, &arity)) != 0)
		return rc == DG_AGAIN ? ~0u : 0;
	if (arity < 2)
		return 0;
	if ((rc = dc_pl_atom(&q, end, &tag)) != 0)
		return rc == DG_AGAIN ? ~0u : 0;
	if (arity == 3 && TERM_SPAN_IS(tag, "system"))
		return DG_PROTO_SYS;
	if ((arity == 3 && TERM_SPAN_IS(tag, "EXIT")) ||
	    (arity == 5 && TERM_SPAN_IS(tag, "DOWN")))
		return DG_PROTO_SIGNALS;
	/* file_io_server takes {file_request, From, ReplyAs, Req} (pread,
	 * pwrite, position, truncate, close) beside io requests: the same
	 * server, the same protocol family */
	if (arity == 4 && (TERM_SPAN_IS(tag, "io_request") ||
	    TERM_SPAN_IS(tag, "file_request")))
		return DG_PROTO_IO;
	if (arity == 3 && TERM_SPAN_IS(tag, "$gen_call")) {
		if ((rc = dc_pl_skip(&q, end)) != 0)	/* From */
			return rc == DG_AGAIN ? ~0u : 0;
		return call_protocol(q, end);
	}
	/* gen_event's notify/sync_notify carry events, not requests */
	return 0;
}

/*
 * The two requests the profiles admit to net_kernel and rex, by type.
 * net_kernel's handle_call({is_auth, _}, From, _) answers with
 * `{Pid, Tag} = From` and a send to Pid; rex's handle_info({From,
 * features_request}, _) does `From ! ...`: a From that is not a pid
 * crashed either server (and the node with it), and an atom made it
 * send to a registered process of this node.  The caller must be the
 * peer's (m->claim_node, which the proxy checks).
 */
#define NK_IS_AUTH	SH_T(SH_A("$gen_call"), SH_T(SH_K(SH_PEER_PID), \
			    SH_FN(is_call_tag)), SH_T(SH_A("is_auth"), \
			    SH_K(SH_ATOM)))

/*
 * The Tag of a gen_server call as gen:call makes it: a reference (OTP
 * before 24) or [alias | Ref].  net_kernel's answer {Tag, yes} echoes
 * it, and distguard counts what the answer holds as disclosed: a Tag
 * holding a pid of this node the peer saw on the wire but was never
 * shown (rex's, as the sender of its features_reply) laundered it into
 * a disclosed one, and a send by pid then stopped rex (the live fuzzer's
 * ping_echo class; docs/SECURITY.md 7).
 */
static int
is_call_tag(const uint8_t *t)
{
	struct dg_span a;

	if (dc_is_ref(t))
		return 1;
	if (t[0] != T_LIST || get_u32(t + 1) != 1)
		return 0;
	t += 5;
	return term_atom(&t, &a) == 0 && TERM_SPAN_IS(a, "alias") && dc_is_ref(t);
}
#define REX_FEATURES	SH_T(SH_K(SH_PEER_PID), SH_A("features_request"))

static int
inspect_server(const uint8_t *q, struct dist_msg *m)
{
	struct shape_ctx ctx;
	const uint8_t *e = q;
	int ok;

	if (m->pl_state != PROVEN || m->pl_partial)
		ok = 0;
	else {
		memset(&ctx, 0, sizeof(ctx));
		ok = shape_match(m->is_auth ? NK_IS_AUTH : REX_FEATURES, &e,
		    &ctx);
		if (ok)
			m->claim_node = ctx.claim;
	}
	if (ok)
		return 0;
	m->proto_why = m->is_auth ? "not net_kernel's protocol" :
	    "not rex's protocol";
	m->is_auth = 0;
	m->rex_features = 0;
	return 0;
}

static int
is_reg_send(int op)
{
	return op == DOP_REG_SEND || op == DOP_REG_SEND_TT;
}

/* is_auth or features_request, to be checked by type. */
static int
to_server(const struct dist_msg *m)
{
	return is_reg_send(m->op) && (m->is_auth || m->rex_features);
}

static int
is_pid_send(int op)
{
	return op == DOP_SEND || op == DOP_SEND_TT || op == DOP_SEND_SENDER ||
	    op == DOP_SEND_SENDER_TT || op == DOP_ALIAS_SEND ||
	    op == DOP_ALIAS_SEND_TT;
}

static int
to_global(const struct dist_msg *m)
{
	return (m->op == DOP_REG_SEND || m->op == DOP_REG_SEND_TT) &&
	    m->has_name && TERM_SPAN_IS(m->name, "global_name_server");
}

/*
 * A send judged on the first bytes of its payload (DC_STREAM): one whose
 * facts are its head (behav, a pid send's request or reply tag) and its
 * body's funs and atoms, which the caller's walk of the rest sees.  The
 * heads read here are a few hundred bytes for any sender OTP has; a head
 * longer than DC_STREAM_MIN is judged cut, as past the window.
 */
static int
streams(const uint8_t *pl, const uint8_t *end, const struct dc_opts *o,
    const struct dist_msg *m)
{
	if (!(o->need & DC_STREAM) || end - pl < DC_STREAM_MIN)
		return 0;
	if (is_pid_send(m->op))
		return 1;
	return is_reg_send(m->op) && m->has_name && !to_global(m) &&
	    !to_server(m) && !TERM_SPAN_IS(m->name, "rex") &&
	    !TERM_SPAN_IS(m->name, "net_kernel");
}

/*
 * The one walk over the payload, when anything needs it: the code guard
 * and the atom budget for every payload, the profiles for sends to pids
 * and to global_name_server.  Sets pl_state, pl_fun(_at), pl_partial.
 */
static int
walk_payload(const uint8_t *pl, const uint8_t *end, const struct dc_opts *o,
    struct dist_msg *m)
{
	struct fun_census c;
	int rc;

	if (!(o->need & (DC_NEED_FUNS | DC_NEED_ATOMS)) &&
	    !((o->need & DC_NEED_PIDSEND) && is_pid_send(m->op)) &&
	    !((o->need & DC_NEED_GLOBAL) && (to_global(m) || to_server(m))))
		return 0;
	memset(&c, 0, sizeof(c));
	c.resolvers_ok = to_global(m);
	if ((o->need & DC_NEED_ATOMS) && o->atom != NULL) {
		c.atom = o->atom;
		c.atom_arg = o->atom_arg;
	}
	if ((rc = pl_prove(pl, end, o, o->final || streams(pl, end, o, m),
	    &c)) == DG_AGAIN)
		return DG_AGAIN;
	m->pl_state = rc;
	m->pl_fun = c.funs > 0;
	m->pl_fun_at = c.first;
	m->pl_fun_mod = c.mod;
	m->pl_fun_mixed = c.mixed || (c.funs > 0 && c.mod.len == 0);
	m->pl_partial = rc == PREFIX || c.tail_cut;
	return 0;
}

/* The payload facts the caller asked for, on the payload at pl. */
int
dist_facts_inspect(int op, const uint8_t *pl, const uint8_t *end,
    const struct dc_opts *o, struct dist_msg *m)
{
	int rc;

	if ((rc = walk_payload(pl, end, o, m)) != 0)
		return rc;
	if (is_pid_send(op) && (o->need & DC_NEED_PIDSEND))
		return inspect_pid_send(pl, end, m);
	if (to_global(m) && (o->need & DC_NEED_GLOBAL))
		return inspect_global(pl, end, m);
	if (to_server(m) && (o->need & DC_NEED_GLOBAL))
		return inspect_server(pl, m);
	if ((o->need & DC_NEED_BEHAV) &&
	    ((is_reg_send(op) && m->has_name) || is_pid_send(op)))
		m->behav = behaviour_of(pl, end);
	return 0;
}

/* ---- where a fun sat (for the filter.code alert) ---------------------- */

static void
text_of(struct dg_span s, char *buf, size_t len)
{
	size_t n = s.len < len - 1 ? s.len : len - 1;

	if (s.p != NULL)
		memcpy(buf, s.p, n);
	else
		n = 0;
	buf[n] = '\0';
}

/*
 * The argument (1-based) of the list at args that holds the byte at, or
 * 0.  Only on a payload proven whole up to and past `at`: the elements
 * before the one that holds it are proven, and that one's end is
 * compared, not read through (term_next stops at its end).
 */
static int
arg_index(const uint8_t *args, const uint8_t *at)
{
	const uint8_t *e;
	uint32_t n, i;
	int is_string;

	e = args;
	if (term_list(&e, &n, &is_string) == -1 || is_string)
		return 0;
	for (i = 0; i < n; i++) {
		const uint8_t *next = term_next(e);

		if (at >= e && at < next)
			return (int)i + 1;
		e = next;
	}
	return 0;
}

static const char *
via_name(enum dist_via v)
{
	switch (v) {
	case VIA_SPAWN:		return "spawn";
	case VIA_ERPC:		return "erpc";
	case VIA_REX:		return "rpc";
	case VIA_NET_KERNEL:	return "net_kernel spawn";
	default:		return "?";
	}
}

void
dist_fun_where(const struct dist_msg *m, char *buf, size_t len)
{
	char mod[256], fun[256], name[256];
	int i = 0;

	if (len == 0)
		return;
	if (m->via != VIA_NONE) {
		text_of(m->exec_m, mod, sizeof(mod));
		text_of(m->exec_f, fun, sizeof(fun));
		/* Located only where the payload was proven whole. */
		if (m->x_args != NULL && m->pl_fun_at != NULL &&
		    m->pl_state == PL_PROVEN && !m->pl_partial)
			i = arg_index(m->x_args, m->pl_fun_at);
		if (i > 0)
			snprintf(buf, len, "argument %d of %s:%s/%d (%s)", i,
			    mod, fun, m->exec_arity, via_name(m->via));
		else
			snprintf(buf, len, "the request to run %s:%s/%d (%s)",
			    mod, fun, m->exec_arity, via_name(m->via));
		return;
	}
	if (m->has_name) {
		text_of(m->name, name, sizeof(name));
		snprintf(buf, len, "the payload of a send to %s", name);
	} else if (m->type == DG_T_SEND)
		snprintf(buf, len, "the payload of a send to a pid");
	else if (m->type == DG_T_ALIAS_SEND)
		snprintf(buf, len, "the payload of a send to an alias");
	else
		snprintf(buf, len, "the payload of %s", dist_op_name(m->op));
	/* Whose fun, and in an io reply: what an {io_reply, Module} funs
	 * target would name (docs/FILTER.md 21). */
	if (m->pl_fun_mod.len > 0) {
		size_t n = strlen(buf);

		text_of(m->pl_fun_mod, mod, sizeof(mod));
		snprintf(buf + n, len - n, " (a fun of %s%s)", mod,
		    m->pl_io_reply ? ", in an io_reply" : "");
	}
}
