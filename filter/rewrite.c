/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rewrite.c - builds the frame the spawn handler runs (rewrite.h).
 *
 * Everything copied comes from spans dist_ctl proved; what is new is two
 * or three atoms and list headers.  The output is bounded by `cap` through
 * the dg_wire.h writer, which stops at the end and reports the overflow.
 */
#include <string.h>

#include "dg_etf.h"
#include "dg_wire.h"
#include "rewrite.h"

#define T_SMALL_ATOM_UTF8 119
#define VERSION_MAGIC	131

static void
wr_atom(struct dg_wr *w, const char *text)
{
	size_t n = strlen(text);

	if (n < 256) {
		wr_u8(w, T_SMALL_ATOM_UTF8);
		wr_u8(w, (uint8_t)n);
	} else {
		wr_u8(w, T_ATOM_UTF8);
		wr_u16(w, (uint16_t)(n > 0xffff ? 0xffff : n));
	}
	wr_bytes(w, text, n < 0xffff ? n : 0xffff);
}

static void
wr_span(struct dg_wr *w, const uint8_t *a, const uint8_t *b)
{
	wr_bytes(w, a, (size_t)(b - a));
}

static void
wr_list_head(struct dg_wr *w, uint32_t n)
{
	wr_u8(w, T_LIST);
	wr_u32(w, n);
}

/* [Peer, M, F, A]: what dist_spawn_init gets; m_, f_ and args are terms. */
static void
wr_handler_args(struct dg_wr *w, const char *peer, struct dg_span m_,
    struct dg_span f_, const uint8_t *args, const uint8_t *args_end)
{
	wr_list_head(w, 4);
	wr_atom(w, peer);
	wr_bytes(w, m_.p, m_.len);
	wr_bytes(w, f_.p, f_.len);
	wr_span(w, args, args_end);
	wr_u8(w, T_NIL);
}

/* {Module, dist_spawn_init, 4} */
static void
wr_handler_mfa(struct dg_wr *w, const char *module)
{
	wr_u8(w, T_SMALL_TUPLE);
	wr_u8(w, 3);
	wr_atom(w, module);
	wr_atom(w, REWRITE_FUNCTION);
	wr_u8(w, T_SMALL_INT);
	wr_u8(w, 4);
}

static int
fail(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

int
rewrite_spawn(const struct dist_msg *m, const uint8_t *frame,
    size_t frame_len, size_t terms_off, int passthrough, const char *module,
    const char *peer, uint8_t *out, size_t cap, const char **why)
{
	const uint8_t *fend = frame + frame_len, *pl = m->payload, *pl_end;
	const uint8_t *ctl_end, *args_end;
	struct dg_wr w;

	if (m->via == VIA_NONE || m->x_args == NULL)
		return fail(why, "not a request to run code");
	if (m->via == VIA_SPAWN && m->op != DOP_SPAWN_REQUEST &&
	    m->op != DOP_SPAWN_REQUEST_TT)
		return fail(why, "a spawn request of an unknown form");
	if (pl == NULL || m->pl_state != PL_PROVEN || m->pl_partial ||
	    m->x_args == NULL)
		return fail(why, "a spawn request not seen whole");
	if (frame_len < 4 || terms_off > frame_len || m->ctl.p == NULL ||
	    m->ctl.p < frame + terms_off)
		return fail(why, "a spawn request outside its frame");
	/* The terms fill the frame: control, [131], payload, nothing else. */
	ctl_end = m->ctl.p + m->ctl.len;
	if (ctl_end + (passthrough ? 1 : 0) != pl)
		return fail(why, "bytes between control message and payload");
	if ((pl_end = term_next(pl)) != fend)
		return fail(why, "bytes after the payload");
	if ((args_end = term_next(m->x_args)) > pl_end)
		return fail(why, "argument list overruns the payload");

	w = wr_init(out, cap);
	wr_u32(&w, 0);				/* length, set below */
	wr_span(&w, frame + 4, frame + terms_off);	/* 112, or 131 68 0 */
	if (passthrough && frame[terms_off] == VERSION_MAGIC &&
	    frame + terms_off + 1 == m->ctl.p)
		wr_u8(&w, VERSION_MAGIC);
	else if (frame + terms_off != m->ctl.p)
		return fail(why, "unexpected bytes before the control message");

	if (m->via == VIA_SPAWN) {
		/* {29, ReqId, From, GL, {Module, dist_spawn_init, 4}, Opts} */
		if (m->t_mfa.p < m->ctl.p ||
		    m->t_mfa.p + m->t_mfa.len > ctl_end || pl != m->x_args)
			return fail(why, "spawn request of an odd shape");
		wr_span(&w, m->ctl.p, m->t_mfa.p);
		wr_handler_mfa(&w, module);
		wr_span(&w, m->t_mfa.p + m->t_mfa.len, ctl_end);
		if (passthrough)
			wr_u8(&w, VERSION_MAGIC);
		wr_handler_args(&w, peer, m->x_m, m->x_f, m->x_args, args_end);
	} else {
		/*
		 * erpc's [Ref, M, F, A] and [M, F, A], rex's {call, M, F, A,
		 * GL} and its kin, net_kernel's {spawn, M, F, A, GL}: the
		 * wrapper stays, its M, F, A become the handler's.  M, F and
		 * A follow each other (dist_ctl pl_mfa read them so), so the
		 * payload is what precedes M, the new three, what follows A.
		 */
		if (m->x_m.p < pl || m->x_m.p + m->x_m.len != m->x_f.p ||
		    m->x_f.p + m->x_f.len != m->x_args)
			return fail(why, "a code request of an odd shape");
		wr_span(&w, m->ctl.p, ctl_end);
		if (passthrough)
			wr_u8(&w, VERSION_MAGIC);
		wr_span(&w, pl, m->x_m.p);
		wr_atom(&w, module);
		wr_atom(&w, REWRITE_FUNCTION);
		wr_handler_args(&w, peer, m->x_m, m->x_f, m->x_args, args_end);
		wr_span(&w, args_end, pl_end);
	}
	if (w.overflow)
		return fail(why, "the rewritten request does not fit");
	put_u32(out, (uint32_t)(w.p - out - 4));
	return (int)(w.p - out);
}

/* ---- the message handlers (docs/FILTER.md 26) -------------------------- */

#define REF_WORDS	3

const char *
rewrite_message_fun(int op)
{
	switch (op) {
	case DOP_REG_SEND:
	case DOP_REG_SEND_TT:
		return "reg_send";
	case DOP_SEND_SENDER:
	case DOP_SEND_SENDER_TT:
		return "send";
	case DOP_ALIAS_SEND:
	case DOP_ALIAS_SEND_TT:
		return "alias_send";
	case DOP_GROUP_LEADER:
		return "group_leader";
	default:
		return NULL;
	}
}

int
rewrite_ref_mint(struct rewrite_refs *r, uint32_t id[3])
{
	uint32_t c = r->next;

	if (r->n >= REWRITE_REFS_MAX)
		return -1;
	/* r->salt (the guard's, random): a word no other ref of this
	 * connection has, so that a reply the node owes the peer's own
	 * spawns is never taken for ours. */
	if (r->salt == 0)
		r->salt = 1;
	/* Fewer than REWRITE_REFS_MAX slots taken: a free one comes within
	 * that many counters. */
	do {
		if (++c == 0)
			c = 1;
	} while (r->slot[c % REWRITE_REFS_MAX] != 0);
	r->slot[c % REWRITE_REFS_MAX] = c;
	r->pid[c % REWRITE_REFS_MAX] = r->to[c % REWRITE_REFS_MAX] = 0;
	r->next = c;
	r->n++;
	id[0] = c;
	id[1] = REWRITE_REF_MAGIC;
	id[2] = r->salt;
	return 0;
}

/* The slot of a ref r minted and still holds, or -1. */
static int
ref_slot(const struct rewrite_refs *r, const uint8_t *ref)
{
	const uint8_t *q;
	uint32_t c;

	if (r->n == 0 || ref[0] != T_NEWER_REF || get_u16(ref + 1) != REF_WORDS)
		return -1;
	q = term_next(ref + 3) + 4;	/* past its node and creation */
	c = get_u32(q);
	if (c == 0 || get_u32(q + 4) != REWRITE_REF_MAGIC ||
	    get_u32(q + 8) != r->salt || r->slot[c % REWRITE_REFS_MAX] != c)
		return -1;
	return (int)(c % REWRITE_REFS_MAX);
}

static void
slot_free(struct rewrite_refs *r, int i)
{
	r->slot[i] = 0;
	r->pid[i] = r->to[i] = 0;
	r->n--;
}

int
rewrite_ref_match(struct rewrite_refs *r, const uint8_t *ref, int consume)
{
	int i = ref_slot(r, ref);

	if (i < 0)
		return 0;
	if (consume)
		slot_free(r, i);
	return 1;
}

/* A pid's identity on its node, (ID << 32 | Serial) + 1 (never 0), or 0
 * for a term that is not a pid. */
static uint64_t
pid_key(const uint8_t *p, size_t len)
{
	const uint8_t *q;

	if (len < 2 || (p[0] != T_NEW_PID && p[0] != T_PID))
		return 0;
	q = term_next(p + 1);	/* past its node */
	if ((size_t)(q - p) + 8 > len)
		return 0;
	return ((uint64_t)get_u32(q) << 32 | get_u32(q + 4)) + 1;
}

int
rewrite_ref_spawned(struct rewrite_refs *r, const uint8_t *ref,
    struct dg_span pid, struct dg_span to)
{
	int i = ref_slot(r, ref);

	if (i < 0)
		return 0;
	r->pid[i] = pid_key(pid.p, pid.len);
	r->to[i] = pid_key(to.p, to.len);
	return 1;
}

int
rewrite_ref_exited(struct rewrite_refs *r, struct dg_span from,
    struct dg_span to)
{
	uint64_t k = pid_key(from.p, from.len);
	int i, ours;

	/* Exit signals from the node to a peer are rare beside its
	 * messages, and only a connection with handlers looks.  A handler
	 * linked to other processes of the peer as well sends each its own
	 * signal: only the one to the sender is the guard's, and whichever
	 * comes first frees the slot (the peer's node ignores a link's exit
	 * signal for a link it does not know). */
	for (i = 0; k != 0 && r->n > 0 && i < REWRITE_REFS_MAX; i++)
		if (r->pid[i] == k && r->slot[i] != 0) {
			ours = r->to[i] == pid_key(to.p, to.len);
			slot_free(r, i);
			return ours;
		}
	return 0;
}

/* A reference of the pid `from`'s node: its node atom (as the frame
 * wrote it) and creation, with the ID words id[]. */
static int
wr_ref_of(struct dg_wr *w, struct dg_span from, const uint32_t id[3])
{
	const uint8_t *node = from.p + 1, *node_end;
	uint32_t creation;
	int i;

	if (from.len < 2 || (from.p[0] != T_NEW_PID && from.p[0] != T_PID))
		return -1;
	node_end = term_next(node);
	if (from.p[0] == T_NEW_PID) {
		if ((size_t)(node_end - from.p) + 12 != from.len)
			return -1;
		creation = get_u32(from.p + from.len - 4);
	} else {
		if ((size_t)(node_end - from.p) + 9 != from.len)
			return -1;
		creation = from.p[from.len - 1];
	}
	wr_u8(w, T_NEWER_REF);
	wr_u16(w, REF_WORDS);
	wr_span(w, node, node_end);
	wr_u32(w, creation);
	for (i = 0; i < REF_WORDS; i++)
		wr_u32(w, id[i]);
	return 0;
}

/* {Ref, From, From, {Module, Fun, N}, [link]} (+ Token): SPAWN_REQUEST(_TT). */
static int
wr_msg_request(struct dg_wr *w, const struct dist_msg *m, const char *module,
    const char *fun, int nargs, const uint32_t id[3])
{
	int tt = m->t_token.len > 0;

	wr_u8(w, T_SMALL_TUPLE);
	wr_u8(w, tt ? 7 : 6);
	wr_u8(w, T_SMALL_INT);
	wr_u8(w, tt ? DOP_SPAWN_REQUEST_TT : DOP_SPAWN_REQUEST);
	if (wr_ref_of(w, m->t_from, id) == -1)
		return -1;
	wr_bytes(w, m->t_from.p, m->t_from.len);	/* the caller */
	wr_bytes(w, m->t_from.p, m->t_from.len);	/* its group leader */
	wr_u8(w, T_SMALL_TUPLE);
	wr_u8(w, 3);
	wr_atom(w, module);
	wr_atom(w, fun);
	wr_u8(w, T_SMALL_INT);
	wr_u8(w, (uint8_t)nargs);
	/* [link], to the sender: the node tells the guard (an EXIT,
	 * swallowed) when the handler's process ends, which frees its slot,
	 * and ends the handler (noconnection) when the peer's connection
	 * goes.  The peer's node never learns of the link (its SPAWN_REPLY
	 * is swallowed), so the sender's own end does not touch it. */
	wr_u8(w, T_LIST);
	wr_u32(w, 1);
	wr_atom(w, "link");
	wr_u8(w, T_NIL);
	if (tt)
		wr_bytes(w, m->t_token.p, m->t_token.len);
	return 0;
}

int
rewrite_message(const struct dist_msg *m, const uint8_t *frame,
    size_t frame_len, size_t terms_off, int passthrough, const char *module,
    const char *peer, const uint32_t id[3], uint8_t *out, size_t cap,
    const char **why)
{
	const uint8_t *fend = frame + frame_len, *pl = m->payload, *ctl_end;
	const char *fun = rewrite_message_fun(m->op);
	int has_msg = m->op != DOP_GROUP_LEADER;
	struct dg_wr w;

	if (fun == NULL)
		return fail(why, "not a message a handler takes");
	if (!m->has_from || m->t_from.len == 0 || m->t_target.len == 0)
		return fail(why, "a message without its sender or target");
	if (frame_len < 4 || terms_off > frame_len || m->ctl.p == NULL ||
	    m->ctl.p < frame + terms_off)
		return fail(why, "a message outside its frame");
	ctl_end = m->ctl.p + m->ctl.len;
	if (has_msg) {
		if (pl == NULL || m->pl_state != PL_PROVEN || m->pl_partial)
			return fail(why, "a message not seen whole");
		if (ctl_end + (passthrough ? 1 : 0) != pl)
			return fail(why, "bytes between control message and "
			    "payload");
		if (term_next(pl) != fend)
			return fail(why, "bytes after the payload");
	} else if (ctl_end != fend)
		return fail(why, "bytes after the control message");

	w = wr_init(out, cap);
	wr_u32(&w, 0);				/* length, set below */
	wr_span(&w, frame + 4, frame + terms_off);	/* 112, or 131 68 ... */
	if (passthrough && frame[terms_off] == VERSION_MAGIC &&
	    frame + terms_off + 1 == m->ctl.p)
		wr_u8(&w, VERSION_MAGIC);
	else if (frame + terms_off != m->ctl.p)
		return fail(why, "unexpected bytes before the control message");
	if (wr_msg_request(&w, m, module, fun, has_msg ? 4 : 3, id) == -1)
		return fail(why, "a sender that is not a pid of its node");
	if (passthrough)
		wr_u8(&w, VERSION_MAGIC);
	/* [Peer, From, To | Msg] */
	wr_list_head(&w, has_msg ? 4 : 3);
	wr_atom(&w, peer);
	wr_bytes(&w, m->t_from.p, m->t_from.len);
	wr_bytes(&w, m->t_target.p, m->t_target.len);
	if (has_msg)
		wr_span(&w, pl, fend);
	wr_u8(&w, T_NIL);
	if (w.overflow)
		return fail(why, "the rewritten message does not fit");
	put_u32(out, (uint32_t)(w.p - out - 4));
	return (int)(w.p - out);
}
