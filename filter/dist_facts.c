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
		    term_atom(&q, &mod) == 0 && span_eq(mod, "global");
	}
	if (t[0] != T_EXPORT)
		return 0;
	t++;
	if (term_atom(&t, &mod) == -1 || term_atom(&t, &fun) == -1 ||
	    !span_eq(mod, "global") || t[0] != 97 || t[1] != 3)
		return 0;
	for (i = 0; i < DG_ARRAY_LEN(global_resolvers); i++)
		if (span_eq(fun, global_resolvers[i]))
			return 1;
	return 0;
}

struct fun_census {
	int		 funs;		/* funs seen */
	int		 resolvers_ok;	/* global's own resolvers do not count */
	const uint8_t	*first;		/* the first fun that counts */
	int		 tail_cut;	/* PROVEN, but for a last leaf's body */
	/* atoms, for the atom budget (NULL: not asked for) */
	void		(*atom)(void *, const uint8_t *);
	void		 *atom_arg;
};

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
		if (c->funs++ == 0)
			c->first = t;
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
    struct fun_census *c)
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
		return o->final ? PREFIX : DG_AGAIN;
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

	if (pl_tuple(&q, end, &arity) != 0 || arity < 2)
		return q >= end;
	if (pl_atom(&q, end, &tag) != 0)
		return q >= end;
	if (span_eq(tag, "requests"))
		return 1;
	if (!(span_eq(tag, "put_chars") && (arity == 4 || arity == 5)) &&
	    !(span_eq(tag, "get_until") && (arity == 5 || arity == 6)))
		return 0;
	for (i = 2; i < arity - 2; i++)	/* up to M, element arity - 2 */
		if (pl_skip(&q, end) != 0)
			return 1;
	if (pl_atom(&q, end, &mod) != 0 || pl_atom(&q, end, &fun) != 0)
		return 1;
	for (k = 0; k < DG_ARRAY_LEN(io_mfas); k++)
		if (span_eq(mod, io_mfas[k][0]) && span_eq(fun, io_mfas[k][1]))
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

	if (q >= end || !is_pid(q))
		return q >= end;
	if ((rc = pl_skip(&q, end)) != 0 ||
	    (rc = pl_tuple(&q, end, &arity)) != 0 ||
	    (rc = pl_atom(&q, end, &tag)) != 0)
		return rc == DG_AGAIN;
	return (arity == 5 && (span_eq(tag, "call") ||
	    span_eq(tag, "block_call"))) ||
	    (arity == 3 && (span_eq(tag, "send") || span_eq(tag, "sbcast")));
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

	if ((rc = pl_tuple(&q, end, &arity)) != 0)
		return rc == DG_AGAIN;
	if (arity < 2)
		return 0;
	if ((rc = pl_atom(&q, end, &tag)) == 1 && arity == 2)
		return is_rex_request(q, end);
	if (rc != 0)
		return rc == DG_AGAIN;
	switch (arity) {
	case 2:
		return span_eq(tag, "$gen_cast");
	case 3:
		return span_eq(tag, "$gen_call") || span_eq(tag, "system") ||
		    span_eq(tag, "EXIT");
	case 4:
		if (!span_eq(tag, "io_request"))
			return 0;
		if (pl_skip(&q, end) != 0 || pl_skip(&q, end) != 0)
			return 1;		/* From, ReplyAs */
		return io_applies(q, end);
	case 5:
		return span_eq(tag, "DOWN");
	default:
		return 0;
	}
}

/* A send to a pid or an alias: is it code, or a request? */
static int
inspect_pid_send(const uint8_t *q, const uint8_t *end, struct dist_msg *m)
{
	m->pl_request = m->pl_state == MALFORMED ||
	    is_server_request(q, end);
	return 0;
}

/*
 * global's inter-node protocol (lib/kernel/src/global.erl, OTP 25-28;
 * docs/FILTER.md 7 has each message and where it comes from).  `node`
 * is the element (1-based, the tag being 1) that names the sending node,
 * `pid` the element holding a pid of the sending node, `method` a
 * registration's resolve function; 0: none.
 */
struct global_msg {
	const char	*tag;
	uint8_t		 arity;
	uint8_t		 node, pid, method;
};

static const struct global_msg global_casts[] = {
	{ "init_connect", 4, 3, 0, 0 },
	{ "exchange", 5, 2, 0, 0 },
	{ "resolved", 7, 2, 0, 0 },
	{ "new_nodes", 6, 2, 0, 0 },
	{ "in_sync", 3, 2, 0, 0 },
	{ "lock_set", 4, 0, 2, 0 },
	{ "lock_set", 5, 0, 2, 0 },
	{ "async_del_name", 3, 0, 0, 0 },
	{ "async_del_lock", 3, 0, 0, 0 },
};

static const struct global_msg global_calls[] = {
	{ "register", 4, 0, 0, 4 },
	{ "register_ext", 5, 0, 0, 4 },
	{ "unregister", 2, 0, 0, 0 },
	{ "set_lock", 2, 0, 0, 0 },
	{ "del_lock", 2, 0, 0, 0 },
};

/* Plain messages (handle_info); lost_connection is relayed from node to
 * node, so its first Node is not the sender's. */
static const struct global_msg global_infos[] = {
	{ "init_connect_ack", 4, 2, 0, 0 },
	{ "cancel_connect", 3, 2, 0, 0 },
	{ "remove_connection", 2, 2, 0, 0 },
	{ "lost_connection", 5, 0, 0, 0 },
};

/*
 * Matches the tuple at q (proven) against a table: 1 when its tag and
 * arity are there and its node, pid and method elements are what they
 * must be; sets m->claim_node.
 */
static int
global_match(const uint8_t *q, const struct global_msg *tab, size_t n,
    struct dist_msg *m)
{
	const struct global_msg *g = NULL;
	struct dg_span tag, node;
	uint32_t arity, i;
	size_t k;

	if (term_tuple(&q, &arity) == -1 || term_atom(&q, &tag) == -1)
		return 0;
	for (k = 0; k < n && g == NULL; k++)
		if (tab[k].arity == arity && span_eq(tag, tab[k].tag))
			g = &tab[k];
	if (g == NULL)
		return 0;
	for (i = 2; i <= arity; i++) {
		const uint8_t *e = q;

		q = term_next(q);
		if (i == g->node) {
			if (term_atom(&e, &node) == -1)
				return 0;
			m->claim_node = node;
		} else if (i == g->pid) {
			if (term_pid(&e, &node) == -1)
				return 0;
			m->claim_node = node;
		} else if (i == g->method && !is_global_resolver(e))
			return 0;
	}
	return 1;
}

/* A send to global_name_server: global's protocol, exactly? */
static int
inspect_global(const uint8_t *q, const uint8_t *end, struct dist_msg *m)
{
	struct dg_span tag, node;
	const uint8_t *e;
	uint32_t arity, from;

	/* Exact shapes only: what could not be seen whole is not one (a
	 * binary cut by a fragment is no part of global's protocol). */
	if (m->pl_state != PROVEN || m->pl_partial || m->pl_fun)
		return 0;
	e = q;
	if (term_tuple(&e, &arity) == -1 || arity < 2 ||
	    term_atom(&e, &tag) == -1)
		return 0;
	if (arity == 2 && span_eq(tag, "$gen_cast")) {
		m->global_ok = global_match(e, global_casts,
		    DG_ARRAY_LEN(global_casts), m);
		return 0;
	}
	if (arity == 3 && span_eq(tag, "$gen_call")) {
		/* From = {Pid, Tag}: the caller is a process of the peer. */
		if (term_tuple(&e, &from) == -1 || from != 2 ||
		    term_pid(&e, &node) == -1)
			return 0;
		e = term_next(e);
		m->global_ok = global_match(e, global_calls,
		    DG_ARRAY_LEN(global_calls), m);
		if (m->global_ok)
			m->claim_node = node;
		return 0;
	}
	m->global_ok = global_match(q, global_infos, DG_ARRAY_LEN(global_infos),
	    m);
	return 0;
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
	    m->has_name && span_eq(m->name, "global_name_server");
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
	    !((o->need & DC_NEED_GLOBAL) && to_global(m)))
		return 0;
	memset(&c, 0, sizeof(c));
	c.resolvers_ok = to_global(m);
	if ((o->need & DC_NEED_ATOMS) && o->atom != NULL) {
		c.atom = o->atom;
		c.atom_arg = o->atom_arg;
	}
	if ((rc = pl_prove(pl, end, o, &c)) == DG_AGAIN)
		return DG_AGAIN;
	m->pl_state = rc;
	m->pl_fun = c.funs > 0;
	m->pl_fun_at = c.first;
	m->pl_partial = rc == PREFIX || c.tail_cut;
	return 0;
}

/* The payload facts the caller asked for, on the payload at pl. */
int
inspect_facts(int op, const uint8_t *pl, const uint8_t *end,
    const struct dc_opts *o, struct dist_msg *m)
{
	int rc;

	if ((rc = walk_payload(pl, end, o, m)) != 0)
		return rc;
	if (is_pid_send(op) && (o->need & DC_NEED_PIDSEND))
		return inspect_pid_send(pl, end, m);
	if (to_global(m) && (o->need & DC_NEED_GLOBAL))
		return inspect_global(pl, end, m);
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
}
