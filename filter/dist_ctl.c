/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dist_ctl.c - the control message of one frame, and the part of its
 * payload that decides what the receiving node will run (spec 5).
 *
 * Input is the peer's: the control term goes through term_scan before any
 * accessor touches it; payload parts are scanned one element at a time,
 * only as far as a rule needs, so a large or deep payload elsewhere in the
 * message costs nothing.  Output spans point into the caller's bytes.
 */
#include <stdio.h>
#include <string.h>

#include "dg_etf.h"
#include "dg_wire.h"
#include "dist_ctl.h"
#include "dist_ctl_int.h"


/* Kinds of control tuple elements (spec 5.1, column "Checks by R"). */
enum kind {
	K_ANY, K_PID, K_ATOM, K_REF, K_INT, K_PID_ATOM, K_MFA, K_LIST,
	K_ALTACT_TO		/* pid, ref or atom: decided by Flags */
};

#define CTL_MAX_ELEMS	8	/* longest fixed tuple: SPAWN_REQUEST_TT, 7 */

/*
 * One row per operation.  Numbers are tuple positions (0 = the op code,
 * 0 in a role = "none").
 */
struct op_desc {
	const char	*name;
	uint8_t		 arity;		/* 0: unknown op */
	uint8_t		 payload;
	uint8_t		 type;		/* enum dg_type */
	uint8_t		 kinds[CTL_MAX_ELEMS];	/* of elements 1.. */
	uint8_t		 from;		/* pid the message claims to come from */
	uint8_t		 t_from;	/* requester / watcher / linker */
	uint8_t		 target;
	uint8_t		 ref;		/* monitor ref */
	uint8_t		 token;
	uint8_t		 key;		/* ReqId / Ref / Id */
	uint8_t		 request;	/* enum dist_reply this asks for */
	uint8_t		 reply;		/* enum dist_reply this answers */
	uint8_t		 to_name;	/* registered-name target, if an atom */
};

#define P	K_PID
#define A	K_ATOM
#define R	K_REF
#define I	K_INT
#define X	K_ANY
static const struct op_desc ops[] = {
	[DOP_LINK] = { "LINK", 3, 0, DG_T_LINK, { P, P },
	    1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_SEND] = { "SEND", 3, 1, DG_T_SEND, { X, P },
	    0, 0, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_EXIT] = { "EXIT", 4, 0, DG_T_LINK, { P, P, X },
	    1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_UNLINK] = { "UNLINK", 3, 0, DG_T_LINK, { P, P },
	    1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_NODE_LINK] = { "NODE_LINK", 0, 0, 0, { 0 },
	    0, 0, 0, 0, 0, 0, 0, 0, 0 },
	[DOP_REG_SEND] = { "REG_SEND", 4, 1, DG_T_REG_SEND, { P, X, A },
	    1, 1, 3, 0, 0, 0, 0, 0, 3 },
	[DOP_GROUP_LEADER] = { "GROUP_LEADER", 3, 0, DG_T_GROUP_LEADER,
	    { P, P }, 1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_EXIT2] = { "EXIT2", 4, 0, DG_T_EXIT, { P, P, X },
	    1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_SEND_TT] = { "SEND_TT", 4, 1, DG_T_SEND, { X, P, X },
	    0, 0, 2, 0, 3, 0, 0, 0, 0 },
	[DOP_EXIT_TT] = { "EXIT_TT", 5, 0, DG_T_LINK, { P, P, X, X },
	    1, 1, 2, 0, 3, 0, 0, 0, 0 },
	[DOP_REG_SEND_TT] = { "REG_SEND_TT", 5, 1, DG_T_REG_SEND,
	    { P, X, A, X }, 1, 1, 3, 0, 4, 0, 0, 0, 3 },
	[DOP_EXIT2_TT] = { "EXIT2_TT", 5, 0, DG_T_EXIT, { P, P, X, X },
	    1, 1, 2, 0, 3, 0, 0, 0, 0 },
	[DOP_MONITOR_P] = { "MONITOR_P", 4, 0, DG_T_MONITOR,
	    { P, K_PID_ATOM, R }, 1, 1, 2, 3, 0, 3, REPLY_MONITOR, 0, 2 },
	[DOP_DEMONITOR_P] = { "DEMONITOR_P", 4, 0, DG_T_MONITOR,
	    { P, K_PID_ATOM, R }, 1, 1, 2, 3, 0, 0, 0, 0, 2 },
	[DOP_MONITOR_P_EXIT] = { "MONITOR_P_EXIT", 5, 0, DG_T_MONITOR,
	    { K_PID_ATOM, P, R, X }, 1, 2, 1, 3, 0, 3, 0, REPLY_MONITOR, 0 },
	[DOP_SEND_SENDER] = { "SEND_SENDER", 3, 1, DG_T_SEND, { P, P },
	    1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_SEND_SENDER_TT] = { "SEND_SENDER_TT", 4, 1, DG_T_SEND,
	    { P, P, X }, 1, 1, 2, 0, 3, 0, 0, 0, 0 },
	[DOP_PAYLOAD_EXIT] = { "PAYLOAD_EXIT", 3, 1, DG_T_LINK, { P, P },
	    1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_PAYLOAD_EXIT_TT] = { "PAYLOAD_EXIT_TT", 4, 1, DG_T_LINK,
	    { P, P, X }, 1, 1, 2, 0, 3, 0, 0, 0, 0 },
	[DOP_PAYLOAD_EXIT2] = { "PAYLOAD_EXIT2", 3, 1, DG_T_EXIT, { P, P },
	    1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_PAYLOAD_EXIT2_TT] = { "PAYLOAD_EXIT2_TT", 4, 1, DG_T_EXIT,
	    { P, P, X }, 1, 1, 2, 0, 3, 0, 0, 0, 0 },
	[DOP_PAYLOAD_MONITOR_P_EXIT] = { "PAYLOAD_MONITOR_P_EXIT", 4, 1,
	    DG_T_MONITOR, { K_PID_ATOM, P, R }, 1, 2, 1, 3, 0, 3, 0,
	    REPLY_MONITOR, 0 },
	[DOP_SPAWN_REQUEST] = { "SPAWN_REQUEST", 6, 1, DG_T_SPAWN_REQUEST,
	    { R, P, P, K_MFA, K_LIST }, 2, 2, 0, 0, 0, 1, REPLY_SPAWN, 0, 0 },
	[DOP_SPAWN_REQUEST_TT] = { "SPAWN_REQUEST_TT", 7, 1,
	    DG_T_SPAWN_REQUEST, { R, P, P, K_MFA, K_LIST, X },
	    2, 2, 0, 0, 6, 1, REPLY_SPAWN, 0, 0 },
	[DOP_SPAWN_REPLY] = { "SPAWN_REPLY", 5, 0, DG_T_SPAWN_REQUEST,
	    { R, P, I, K_PID_ATOM }, 4, 2, 0, 0, 0, 1, 0, REPLY_SPAWN, 0 },
	[DOP_SPAWN_REPLY_TT] = { "SPAWN_REPLY_TT", 6, 0, DG_T_SPAWN_REQUEST,
	    { R, P, I, K_PID_ATOM, X }, 4, 2, 0, 0, 5, 1, 0, REPLY_SPAWN, 0 },
	[DOP_ALIAS_SEND] = { "ALIAS_SEND", 3, 1, DG_T_ALIAS_SEND, { P, R },
	    1, 1, 2, 0, 0, 0, 0, 0, 0 },
	[DOP_ALIAS_SEND_TT] = { "ALIAS_SEND_TT", 4, 1, DG_T_ALIAS_SEND,
	    { P, R, X }, 1, 1, 2, 0, 3, 0, 0, 0, 0 },
	[DOP_UNLINK_ID] = { "UNLINK_ID", 4, 0, DG_T_LINK, { I, P, P },
	    2, 2, 3, 0, 0, 1, REPLY_UNLINK, 0, 0 },
	[DOP_UNLINK_ID_ACK] = { "UNLINK_ID_ACK", 4, 0, DG_T_LINK, { I, P, P },
	    2, 2, 3, 0, 0, 1, 0, REPLY_UNLINK, 0 },
	/* Arity is a minimum here: the tuple may grow (spec 5.4). */
	[DOP_ALTACT_SIG_SEND] = { "ALTACT_SIG_SEND", 4, 1, DG_T_ALTACT,
	    { I, P, K_ALTACT_TO }, 2, 2, 3, 0, 0, 0, 0, 0, 0 },
};
#undef P
#undef A
#undef R
#undef I
#undef X

/* ALTACT_SIG_SEND flag bits (spec 5.4). */
#define ALTACT_TOKEN	0x02
#define ALTACT_ALIAS	0x04
#define ALTACT_NAME	0x08
#define ALTACT_EXIT	0x10

const char *
dist_op_name(int op)
{
	if (op < 0 || (size_t)op >= DG_ARRAY_LEN(ops) || ops[op].name == NULL)
		return "UNKNOWN";
	return ops[op].name;
}

int
dc_is_pid(const uint8_t *q)
{
	return q[0] == T_NEW_PID || q[0] == T_PID;
}

static int
is_atom(const uint8_t *q)
{
	return q[0] == T_ATOM || q[0] == T_SMALL_ATOM ||
	    q[0] == T_ATOM_UTF8 || q[0] == T_SMALL_ATOM_UTF8;
}

int
dc_is_ref(const uint8_t *q)
{
	return q[0] == T_NEWER_REF || q[0] == T_REF || q[0] == T_NEW_REF;
}

static int
is_int(const uint8_t *q)
{
	return q[0] == T_SMALL_INT || q[0] == T_INT || q[0] == T_SMALL_BIG ||
	    q[0] == T_LARGE_BIG;
}

static int
is_list(const uint8_t *q)
{
	return q[0] == T_NIL || q[0] == T_STRING || q[0] == T_LIST;
}

/*
 * ALTACT_SIG_SEND Flags: a non-negative integer of which only the low byte
 * counts (spec 5.4).  -1 if negative.  q is a proven integer term.
 */
static int
altact_flags(const uint8_t *q)
{
	switch (q[0]) {
	case T_SMALL_INT:
		return q[1];
	case T_INT:
		return (q[1] & 0x80) ? -1 : q[4];
	case T_SMALL_BIG:		/* n, sign, digits least significant first */
		return q[2] != 0 ? -1 : q[1] == 0 ? 0 : q[3];
	default:		/* 111: u32 n, sign, digits */
		return q[5] != 0 ? -1 : get_u32(q + 1) == 0 ? 0 : q[6];
	}
}

static struct dg_span
span_of(const uint8_t *a, const uint8_t *b)
{
	struct dg_span s = { a, (uint32_t)(b - a) };
	return s;
}

/* {M, F, Arity}: atoms and a small integer.  q is proven.  The atoms'
 * terms go to m->x_m, m->x_f. */
static int
read_mfa(const uint8_t *q, struct dist_msg *m)
{
	const uint8_t *a;
	uint32_t arity;

	if (term_tuple(&q, &arity) == -1 || arity != 3)
		return -1;
	a = q;
	if (term_atom(&q, &m->exec_m) == -1)
		return -1;
	m->x_m = span_of(a, q);
	a = q;
	if (term_atom(&q, &m->exec_f) == -1)
		return -1;
	m->x_f = span_of(a, q);
	return q[0] == T_SMALL_INT ? 0 : -1;
}

/*
 * Payload cursor: payload parts are not proven as a whole (the rest of the
 * message may sit in later fragments), so each step checks its own bounds.
 * Each returns 0 and advances, 1 when the term is of another kind (cursor
 * left alone), DG_AGAIN when it runs past end, DG_EINVAL when invalid.
 */
int
dc_pl_tuple(const uint8_t **q, const uint8_t *end, uint32_t *arity)
{
	size_t left = (size_t)(end - *q);

	if (left < 1)
		return DG_AGAIN;
	if (**q != T_SMALL_TUPLE && **q != T_LARGE_TUPLE)
		return 1;
	if (left < (**q == T_SMALL_TUPLE ? 2U : 5U))
		return DG_AGAIN;
	(void)term_tuple(q, arity);
	return 0;
}

/* dist_msg.opaque_why for argument lists (dist_ctl.h). */
#define WHY_IMPROPER	"argument list that is not a proper list"
#define WHY_ARGS_CUT	"argument list not seen whole"
/* A term distguard refuses to read (too deep, say): it cannot tell. */
#define WHY_ARGS_BAD	"argument list distguard cannot read"

/*
 * An argument list: its length as ERTS builds it (term_list_len), never
 * the count of its first header, since [a | [b]] runs as arity 2.  0 with
 * *n and *flat; 1 when m is made opaque (an improper list, one that runs
 * past what may be seen when no more bytes will come: `final`, or one
 * term_scan refuses); DG_AGAIN for more bytes.  The cursor is left alone.
 */
static int
pl_args(const uint8_t *q, const uint8_t *end, int final, struct dist_msg *m,
    uint32_t *n, int *flat)
{
	const uint8_t *after;
	const char *why;
	int rc;

	rc = term_list_len(q, end, n, flat, &after, &why);
	if (rc == TL_PROPER)
		return 0;
	if (rc == DG_AGAIN && !final)
		return DG_AGAIN;
	/* Cut by the window or the first fragment: judged on the count its
	 * header states, a claim the walk verifies as the rest passes. */
	if (rc == DG_AGAIN && m->claims_ok && end - q >= 5 &&
	    q[0] == T_LIST && m->n_claims < DC_MAX_CLAIMS) {
		m->claim_at[m->n_claims] = q;
		m->claim_n[m->n_claims++] = *n = get_u32(q + 1);
		*flat = *n > 0;
		return 0;
	}
	m->opaque = 1;
	m->opaque_why = rc == TL_IMPROPER ? WHY_IMPROPER :
	    rc == DG_EINVAL ? WHY_ARGS_BAD : WHY_ARGS_CUT;
	m->exec_arity = -1;
	return 1;
}

int
dc_pl_skip(const uint8_t **q, const uint8_t *end)
{
	const char *why;
	int n;

	if ((n = term_scan(*q, end, &why)) < 0)
		return n;
	*q += n;
	return 0;
}

int
dc_pl_atom(const uint8_t **q, const uint8_t *end, struct dg_span *text)
{
	const char *why;
	int n;

	if (*q >= end)
		return DG_AGAIN;
	if (!is_atom(*q))
		return 1;
	if ((n = term_scan_atom(*q, end, &why)) < 0)
		return n;
	(void)term_atom(q, text);
	return 0;
}

/* The next payload element is the atom s (n bytes): 0 yes (and advances),
 * 1 no (and does not), DG_AGAIN or DG_EINVAL.  pl_atom_is for a literal. */
static int
pl_atom_is_n(const uint8_t **q, const uint8_t *end, const char *s, size_t n)
{
	const uint8_t *at = *q;
	struct dg_span t;
	int rc;

	if ((rc = dc_pl_atom(q, end, &t)) != 0)
		return rc;
	if (!term_span_is_n(t, s, n)) {
		*q = at;
		return 1;
	}
	return 0;
}
#define pl_atom_is(q, end, lit)	pl_atom_is_n((q), (end), "" lit, sizeof(lit) - 1)

/*
 * M, F, A of a code-running request, A being a list: sets exec_* and
 * returns 0; 1 if the shape is not that; DG_AGAIN if cut off.
 */
static int
pl_mfa(const uint8_t **q, const uint8_t *end, int final, struct dist_msg *m,
    enum dist_via via)
{
	struct dg_span mod, fun;
	const uint8_t *am = *q, *af, *args;
	uint32_t n;
	int rc, flat;

	if ((rc = dc_pl_atom(q, end, &mod)) != 0)
		return rc;
	af = *q;
	if ((rc = dc_pl_atom(q, end, &fun)) != 0)
		return rc;
	args = *q;
	if (args < end && !is_list(args))
		return 1;
	/* An MFA that is code to run, whatever its arguments: an improper
	 * list still names it in the alert (the arity then is -1). */
	m->x_m = span_of(am, af);
	m->x_f = span_of(af, args);
	m->x_args = args;
	m->type = DG_T_SPAWN_REQUEST;
	m->via = via;
	m->exec_m = mod;
	m->exec_f = fun;
	if ((rc = pl_args(args, end, final, m, &n, &flat)) != 0)
		return rc == 1 ? 0 : rc;
	m->exec_arity = (int)n;
	return 0;
}

/*
 * What follows the MFA of a code request to rex or net_kernel: the group
 * leader the new process gets, and for net_kernel's spawn_opt the options
 * it is spawned with ({spawn_opt, M, F, A, Opts, Link, GL}), judged as a
 * SPAWN_REQUEST's are (spawnopt.c).  q is at the argument list.  What lies
 * past the bytes seen is marked tail_unseen.
 */
static void
pl_spawn_tail(const uint8_t *q, const uint8_t *end, int with_opts,
    struct dist_msg *m)
{
	const uint8_t *at;

	if (m->opaque || dc_pl_skip(&q, end) != 0)		/* A */
		goto unseen;
	if (with_opts) {
		at = q;
		if (dc_pl_skip(&q, end) != 0)
			goto unseen;
		m->t_opts = span_of(at, q);
		if (dc_pl_skip(&q, end) != 0)		/* Link */
			goto unseen;
	}
	at = q;
	if (dc_pl_skip(&q, end) != 0)
		goto unseen;
	m->t_gl = span_of(at, q);
	return;
unseen:
	/* 2: spawn_opt's options among what is unseen */
	m->tail_unseen = with_opts && m->t_opts.len == 0 ? 2 : 1;
}

/* pl_mfa, then pl_spawn_tail on what it admitted. */
static int
pl_code(const uint8_t **q, const uint8_t *end, int final, struct dist_msg *m,
    enum dist_via via, int with_opts)
{
	int rc = pl_mfa(q, end, final, m, via);

	if (rc == 0 && m->type == DG_T_SPAWN_REQUEST)
		pl_spawn_tail(*q, end, with_opts, m);
	return rc;
}

/* Shape results: a malformed element is an unknown shape, not a reason to
 * kill the connection (a legal but deep term lands here too). */
static int
shape(int rc, struct dist_msg *m)
{
	if (rc == DG_AGAIN)
		return DG_AGAIN;
	if (rc != 0)
		m->opaque = 1;
	return 0;
}

/*
 * Payload to rex (spec 5.7):
 *   {'$gen_call', From, {call | block_call, M, F, A, GL}}
 *   {'$gen_cast', {cast, M, F, A, GL}}
 *   {From, {call, M, F, A, GL}}
 *   {From, {send | sbcast, Name, Msg}}
 *   {From, features_request}
 */
static int
inspect_rex(const uint8_t *q, const uint8_t *end, int final,
    struct dist_msg *m)
{
	struct dg_span tag, name;
	uint32_t arity, inner;
	int rc, gen_call = 0;

	if ((rc = dc_pl_tuple(&q, end, &arity)) != 0)
		return shape(rc, m);
	if (arity == 3) {
		if ((rc = pl_atom_is(&q, end, "$gen_call")) != 0 ||
		    (rc = dc_pl_skip(&q, end)) != 0)
			return shape(rc, m);
		gen_call = 1;
	} else if (arity == 2) {
		rc = pl_atom_is(&q, end, "$gen_cast");
		if (rc == 0) {
			if ((rc = dc_pl_tuple(&q, end, &inner)) != 0 ||
			    (rc = inner == 5 ? 0 : 1) != 0 ||
			    (rc = pl_atom_is(&q, end, "cast")) != 0)
				return shape(rc, m);
			return shape(pl_code(&q, end, final, m, VIA_REX, 0),
			    m);
		}
		if (rc != 1 || (rc = dc_pl_skip(&q, end)) != 0)	/* From */
			return shape(rc, m);
		if ((rc = pl_atom_is(&q, end, "features_request")) == 0) {
			m->rex_features = 1;
			return 0;
		}
		if (rc == DG_AGAIN)
			return DG_AGAIN;
	} else
		return shape(1, m);

	if ((rc = dc_pl_tuple(&q, end, &inner)) != 0 ||
	    (rc = dc_pl_atom(&q, end, &tag)) != 0)
		return shape(rc, m);
	if (inner == 5 && (TERM_SPAN_IS(tag, "call") ||
	    (gen_call && TERM_SPAN_IS(tag, "block_call"))))
		return shape(pl_code(&q, end, final, m, VIA_REX, 0), m);
	if (!gen_call && inner == 3 &&
	    (TERM_SPAN_IS(tag, "send") || TERM_SPAN_IS(tag, "sbcast"))) {
		/* A relay: rex would deliver Msg to Name on the peer's behalf,
		 * from rex's own pid.  No name list may open this door (a
		 * reg_send allow-list for foo must not let rex reach foo or
		 * anything else): it is opaque, which only allow_all passes.
		 * The name is kept for the alert. */
		if ((rc = dc_pl_atom(&q, end, &name)) != 0)
			return shape(rc, m);
		m->type = DG_T_REG_SEND;
		m->has_name = 1;
		m->name = name;
		m->opaque = 1;
		return 0;
	}
	return shape(1, m);
}

/*
 * Payload to net_kernel (spec 5.7): {'$gen_call', From, Req} with Req
 * {spawn | spawn_link, M, F, A, GL}, {spawn_opt, M, F, A, Opts, Link, GL}
 * or {is_auth, Node}.
 */
static int
inspect_net_kernel(const uint8_t *q, const uint8_t *end, int final,
    struct dist_msg *m)
{
	struct dg_span tag;
	uint32_t arity, inner;
	int rc;

	if ((rc = dc_pl_tuple(&q, end, &arity)) != 0 ||
	    (rc = arity == 3 ? 0 : 1) != 0 ||
	    (rc = pl_atom_is(&q, end, "$gen_call")) != 0 ||
	    (rc = dc_pl_skip(&q, end)) != 0 ||
	    (rc = dc_pl_tuple(&q, end, &inner)) != 0 ||
	    (rc = dc_pl_atom(&q, end, &tag)) != 0)
		return shape(rc, m);
	if (inner == 5 && (TERM_SPAN_IS(tag, "spawn") ||
	    TERM_SPAN_IS(tag, "spawn_link")))
		return shape(pl_code(&q, end, final, m, VIA_NET_KERNEL, 0), m);
	if (inner == 7 && TERM_SPAN_IS(tag, "spawn_opt"))
		return shape(pl_code(&q, end, final, m, VIA_NET_KERNEL, 1), m);
	if (inner == 2 && TERM_SPAN_IS(tag, "is_auth")) {
		m->is_auth = 1;
		return 0;
	}
	return shape(1, m);
}

/*
 * SPAWN_REQUEST argument list (spec 5.3, 5.6): its length is the arity
 * that runs, whatever the control tuple says; erpc's wrappers carry the
 * user's M, F and A inside it.
 */
static int
inspect_spawn(const uint8_t *q, const uint8_t *end, int final,
    struct dist_msg *m)
{
	const uint8_t *args;
	uint32_t n;
	int rc, flat;

	m->x_args = q;
	if (q < end && !is_list(q)) {
		/* ERTS refuses the request; nothing runs, nothing passes. */
		m->exec_arity = -1;
		m->opaque = 1;
		m->opaque_why = WHY_IMPROPER;
		return 0;
	}
	if ((rc = pl_args(q, end, final, m, &n, &flat)) != 0)
		return rc == 1 ? 0 : rc;
	m->exec_arity = (int)n;
	/* erpc's wrappers, as erpc sends them: one LIST_EXT whose elements
	 * follow its header.  The same arguments split over tails are not
	 * read for the user's MFA: the request is opaque. */
	if (!TERM_SPAN_IS(m->exec_m, "erpc") ||
	    !((n == 4 && TERM_SPAN_IS(m->exec_f, "execute_call")) ||
	    (n == 3 && TERM_SPAN_IS(m->exec_f, "execute_cast"))))
		return 0;
	if (q[0] != T_LIST || !flat) {
		m->opaque = 1;
		m->opaque_why = "erpc arguments not in the shape erpc sends";
		return 0;
	}
	args = q + 5;
	if (n == 4 && (rc = dc_pl_skip(&args, end)) != 0)	/* [Ref, M, F, A] */
		return shape(rc, m);
	return shape(pl_mfa(&args, end, final, m, VIA_ERPC), m);
}

/*
 * SEND payload {features_reply, Node, [erpc]}: rex's answer (spec 5.6).
 * Anything else is an ordinary message; only a cut-off tuple head (a few
 * hundred bytes at most) is undecidable.
 */
static int
inspect_features_reply(const uint8_t *q, const uint8_t *end,
    struct dist_msg *m)
{
	uint32_t arity;
	int rc;

	if ((rc = dc_pl_tuple(&q, end, &arity)) != 0 || arity != 3 ||
	    (rc = pl_atom_is(&q, end, "features_reply")) != 0)
		return rc == DG_AGAIN ? DG_AGAIN : 0;
	m->rex_features = 1;
	return 0;
}

/* Payload of a send to a registered name: rex and net_kernel run code. */
static int
inspect_reg_send(const uint8_t *q, const uint8_t *end, int final,
    struct dist_msg *m)
{
	if (TERM_SPAN_IS(m->name, "rex"))
		return inspect_rex(q, end, final, m);
	if (TERM_SPAN_IS(m->name, "net_kernel"))
		return inspect_net_kernel(q, end, final, m);
	return 0;
}


/* What the payload at pl says (present up to end), for message m. */
static int
payload_facts(struct dist_msg *m, int flags, const uint8_t *pl,
    const uint8_t *end, const struct dc_opts *opts)
{
	int rc = 0;

	/* A list cut where the bytes stop is a claim only where the message
	 * does go on: a cut inside a whole message is a malformed one. */
	m->claims_ok = (opts->need & DC_MSG_GOES_ON) ||
	    (opts->frame_end != NULL && opts->frame_end > end);
	switch (m->op) {
	case DOP_SPAWN_REQUEST:
	case DOP_SPAWN_REQUEST_TT:
		rc = inspect_spawn(pl, end, opts->final, m);
		break;
	case DOP_REG_SEND:
	case DOP_REG_SEND_TT:
		rc = inspect_reg_send(pl, end, opts->final, m);
		break;
	case DOP_ALTACT_SIG_SEND:
		if ((flags & ALTACT_NAME) && !(flags & ALTACT_EXIT))
			rc = inspect_reg_send(pl, end, opts->final, m);
		break;
	case DOP_SEND:
	case DOP_SEND_TT:
	case DOP_SEND_SENDER:
	case DOP_SEND_SENDER_TT:
		rc = inspect_features_reply(pl, end, m);
		break;
	}
	if (rc == 0 && (opts->need & ~(DC_MSG_GOES_ON | DC_STREAM)))
		rc = dist_facts_inspect(m->op, pl, end, opts, m);
	return rc;
}

int
dist_ctl_payload(struct dist_msg *m, const uint8_t *pl, const uint8_t *end,
    const struct dc_opts *opts)
{
	m->payload = pl;
	return payload_facts(m, 0, pl, end, opts);
}

int
dist_ctl_decode(const uint8_t *p, const uint8_t *end, int passthrough,
    struct dist_msg *out, const char **why)
{
	static const struct dc_opts none = { 0, NULL, 0, NULL, NULL };

	return dist_ctl_decode_x(p, end, passthrough, &none, out, why);
}

int
dist_ctl_decode_x(const uint8_t *p, const uint8_t *end, int passthrough,
    const struct dc_opts *opts, struct dist_msg *out, const char **why)
{
	const uint8_t *el[CTL_MAX_ELEMS + 1], *el_end[CTL_MAX_ELEMS + 1];
	const uint8_t *q, *ctl_end, *pl;
	const struct op_desc *d;
	struct dist_msg m;
	struct dg_span node;
	uint32_t arity, i, nel;
	int64_t op;
	int n, rc, flags = 0;

	if (p == NULL || p >= end)
		return DG_AGAIN;
	if (passthrough) {
		/* spec 4.3: every term carries its own version byte */
		if (p[0] != T_VERSION) {
			*why = "pass-through term without 131";
			return DG_EINVAL;
		}
		p++;
	}
	if ((opts->need & DC_NEED_ATOMS) && opts->atom != NULL) {
		struct term_visit av = { TV_ATOMS, opts->atom, opts->atom_arg,
		    NULL };

		n = term_walk(p, end, end, &av, why);
	} else
		n = term_scan(p, end, why);
	if (n < 0)
		return n;
	ctl_end = p + n;

	q = p;
	if (term_tuple(&q, &arity) == -1 || arity < 1) {
		*why = "control message is not a tuple";
		return DG_EINVAL;
	}
	if (term_int(&q, &op) == -1 || op < 0 ||
	    (size_t)op >= DG_ARRAY_LEN(ops) || ops[op].arity == 0) {
		*why = "unknown control operation";
		return DG_EINVAL;
	}
	d = &ops[op];
	if (op == DOP_ALTACT_SIG_SEND ? arity < d->arity : arity != d->arity) {
		*why = "control tuple of the wrong arity";
		return DG_EINVAL;
	}

	/* Element boundaries, then kinds. */
	nel = arity - 1 < CTL_MAX_ELEMS - 1 ? arity - 1 : CTL_MAX_ELEMS - 1;
	el[0] = p;
	el_end[0] = q;
	for (i = 1; i <= nel; i++) {
		el[i] = q;
		q = term_next(q);	/* proven above */
		el_end[i] = q;
	}
	if (op == DOP_ALTACT_SIG_SEND) {
		/* Flags must be an integer before altact_flags reads one
		 * (the kind checks below come too late for it). */
		if (!is_int(el[1]) || (flags = altact_flags(el[1])) < 0 ||
		    (flags & (ALTACT_ALIAS | ALTACT_NAME)) ==
		    (ALTACT_ALIAS | ALTACT_NAME) ||
		    ((flags & ALTACT_TOKEN) && arity < 5)) {
			*why = "ALTACT_SIG_SEND with bad flags";
			return DG_EINVAL;
		}
	}
	for (i = 1; i < d->arity; i++) {
		const uint8_t *e = el[i];
		int ok;

		switch (d->kinds[i - 1]) {
		case K_PID:	ok = dc_is_pid(e); break;
		case K_ATOM:	ok = is_atom(e); break;
		case K_REF:	ok = dc_is_ref(e); break;
		case K_INT:	ok = is_int(e); break;
		case K_PID_ATOM: ok = dc_is_pid(e) || is_atom(e); break;
		case K_LIST:	ok = is_list(e); break;
		case K_MFA:	ok = 1; break;	/* read below */
		case K_ALTACT_TO:
			ok = (flags & ALTACT_ALIAS) ? dc_is_ref(e) :
			    (flags & ALTACT_NAME) ? is_atom(e) : dc_is_pid(e);
			break;
		default:	ok = 1; break;
		}
		if (!ok) {
			*why = "control tuple element of the wrong kind";
			return DG_EINVAL;
		}
	}

	memset(&m, 0, sizeof(m));
	m.op = (int)op;
	m.type = (enum dg_type)d->type;
	m.has_payload = d->payload;
	m.request = d->request;
	m.reply = (enum dist_reply)d->reply;
	m.ctl = span_of(p, ctl_end);
	if (d->from && dc_is_pid(el[d->from])) {
		q = el[d->from];
		(void)term_pid(&q, &node);
		m.has_from = 1;
		m.from_node = node;
	}
	if (d->to_name && is_atom(el[d->to_name])) {
		q = el[d->to_name];
		(void)term_atom(&q, &m.name);
		m.has_name = 1;
	}
	if (op == DOP_ALTACT_SIG_SEND && (flags & ALTACT_NAME)) {
		q = el[3];
		(void)term_atom(&q, &m.name);
		m.has_name = 1;
	}
	if (d->key)
		m.key = span_of(el[d->key], el_end[d->key]);
	if (op == DOP_SPAWN_REQUEST || op == DOP_SPAWN_REQUEST_TT) {
		m.t_reqid = span_of(el[1], el_end[1]);
		m.t_gl = span_of(el[3], el_end[3]);
		m.t_opts = span_of(el[5], el_end[5]);
	}
	if ((op == DOP_SPAWN_REPLY || op == DOP_SPAWN_REPLY_TT) &&
	    dc_is_pid(el[4]))
		m.t_result = span_of(el[4], el_end[4]);
	if (d->t_from)
		m.t_from = span_of(el[d->t_from], el_end[d->t_from]);
	if (d->target)
		m.t_target = span_of(el[d->target], el_end[d->target]);
	if (d->ref)
		m.t_ref = span_of(el[d->ref], el_end[d->ref]);
	if (d->token)
		m.t_token = span_of(el[d->token], el_end[d->token]);
	else if (op == DOP_ALTACT_SIG_SEND && (flags & ALTACT_TOKEN))
		m.t_token = span_of(el[4], el_end[4]);
	if (op == DOP_SPAWN_REQUEST || op == DOP_SPAWN_REQUEST_TT) {
		m.t_mfa = span_of(el[4], el_end[4]);
		if (read_mfa(el[4], &m) == -1) {
			*why = "SPAWN_REQUEST without {M, F, Arity}";
			return DG_EINVAL;
		}
		m.via = VIA_SPAWN;
	}

	/* The payload, where there is one. */
	pl = ctl_end;
	if (!d->payload) {
		if (pl != end) {
			*why = "bytes after a control message without payload";
			return DG_EINVAL;
		}
		*out = m;
		return 0;
	}
	if (pl >= end)
		return DG_AGAIN;
	if (passthrough) {
		if (pl[0] != T_VERSION) {
			*why = "pass-through payload without 131";
			return DG_EINVAL;
		}
		pl++;
	}
	m.payload = pl;
	rc = payload_facts(&m, flags, pl, end, opts);
	if (rc == DG_AGAIN)
		return DG_AGAIN;
	*out = m;
	return 0;
}
