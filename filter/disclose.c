/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disclose.c - what the local node shows its peer, and whether a peer's
 * send targets it (disclose.h).
 */
#include <string.h>

#include "dg_etf.h"
#include "dg_wire.h"
#include "disclose.h"
#include "dist_ctl_int.h"
#include "term.h"

/* Class byte, node length and text, then at most five 32-bit words and
 * a creation. */
#define KEY_MAX	(1 + 2 + DG_MAX_ATOM_BYTES + 4 * 7)

/* Class bytes that replace a pid's 'p' for the tags it may carry: one of
 * global's own processes, a group leader the node handed to its peer.
 * (filter/guard.c keeps global's sync tags in a set of their own.) */
#define KEY_GLOBAL	'g'
#define KEY_LEADER	'l'

/* A pid or a reference (an alias is one). */
static int
is_id(const uint8_t *t)
{
	return dc_is_pid(t) || dc_is_ref(t);
}

/*
 * The canonical bytes of the pid or reference term at t (proven): "p",
 * node, ID, Serial, Creation; or "r", node, Creation, the words.  Sets
 * *node to the node's text.  Returns the key's length.
 */
static size_t
id_key(const uint8_t *t, uint8_t *k, struct dg_span *node)
{
	const uint8_t *q = t + 1;
	uint16_t words = 0;
	size_t n = 0;

	if (t[0] == T_NEWER_REF || t[0] == T_NEW_REF) {
		words = get_u16(q);
		q += 2;
	}
	(void)term_atom(&q, node);
	k[n++] = t[0] == T_NEW_PID || t[0] == T_PID ? 'p' : 'r';
	put_u16(k + n, (uint16_t)node->len);
	n += 2;
	memcpy(k + n, node->p, node->len);
	n += node->len;
	switch (t[0]) {
	case T_NEW_PID:			/* ID, Serial, Creation */
		memcpy(k + n, q, 12);
		n += 12;
		break;
	case T_PID:			/* ID, Serial, u8 Creation */
		memcpy(k + n, q, 8);
		put_u32(k + n + 8, q[8]);
		n += 12;
		break;
	case T_NEWER_REF:		/* Creation, words */
		memcpy(k + n, q, 4 + 4 * (size_t)words);
		n += 4 + 4 * (size_t)words;
		break;
	case T_NEW_REF:			/* u8 Creation, words */
		put_u32(k + n, q[0]);
		memcpy(k + n + 4, q + 1, 4 * (size_t)words);
		n += 4 + 4 * (size_t)words;
		break;
	default:			/* REFERENCE_EXT: ID, u8 Creation */
		put_u32(k + n, q[4]);
		memcpy(k + n + 4, q, 4);
		n += 8;
		break;
	}
	return n;
}

struct noter {
	struct idset	*set;
	struct idset	*published;	/* NULL unless B speaks to global */
	const char	*local;
	/* 0: the identity's own key; KEY_GLOBAL or KEY_LEADER: the key of
	 * the same identity as one of global's processes, or as a group
	 * leader handed to the peer (disclose.h). */
	uint8_t		 cls;
};

/* Adds the identity at t if it is one of the local node's. */
static void
note_id(void *arg, const uint8_t *t)
{
	struct noter *w = arg;
	struct dg_span node;
	uint8_t key[KEY_MAX];
	size_t n;
	uint64_t h;

	if (!is_id(t))
		return;

	n = id_key(t, key, &node);
	if (!term_span_eq(node, w->local))
		return;
	if (w->cls != 0)
		key[0] = w->cls;
	h = idset_hash(key, n);
	if (w->set != NULL)
		(void)idset_add(w->set, h);
	if (w->published != NULL)
		(void)idset_add(w->published, h);
}

static void
note_span(struct noter *w, struct dg_span s)
{
	if (s.len > 0)
		note_id(w, s.p);
}

/* Notes the pid at t (if it is one of the local node's) under class
 * cls, besides its own key, which the caller notes. */
static void
note_tagged(struct noter *w, const uint8_t *t, uint8_t cls)
{
	w->cls = cls;
	if (dc_is_pid(t))
		note_id(w, t);
	w->cls = 0;
}

/* The group leader a control message hands the peer's processes: the new
 * leader of GROUP_LEADER (erlang:group_leader/2 on a process there), the
 * leader of the process a SPAWN_REQUEST makes (spawn/4, erpc, rpc). */
static void
note_control_leader(struct noter *w, const struct dist_msg *m)
{
	switch (m->op) {
	case DOP_GROUP_LEADER:
		if (m->t_from.len > 0)
			note_tagged(w, m->t_from.p, KEY_LEADER);
		break;
	case DOP_SPAWN_REQUEST:
	case DOP_SPAWN_REQUEST_TT:
		if (m->t_gl.len > 0)
			note_tagged(w, m->t_gl.p, KEY_LEADER);
		break;
	default:
		break;
	}
}

/* The control messages whose receiver is shown a pid (disclose.h). */
static void
note_control(struct noter *w, const struct dist_msg *m)
{
	switch (m->op) {
	case DOP_LINK:
	case DOP_EXIT:
	case DOP_EXIT_TT:
	case DOP_UNLINK:
	case DOP_UNLINK_ID:
	case DOP_EXIT2:
	case DOP_EXIT2_TT:
	case DOP_PAYLOAD_EXIT:
	case DOP_PAYLOAD_EXIT_TT:
	case DOP_PAYLOAD_EXIT2:
	case DOP_PAYLOAD_EXIT2_TT:
	case DOP_MONITOR_P:
	case DOP_GROUP_LEADER:
		note_span(w, m->t_from);
		break;
	case DOP_SPAWN_REQUEST:
	case DOP_SPAWN_REQUEST_TT:
		note_span(w, m->t_from);
		note_span(w, m->t_gl);
		break;
	case DOP_SPAWN_REPLY:
	case DOP_SPAWN_REPLY_TT:
		note_span(w, m->t_result);
		break;
	default:
		break;
	}
}

/* Marks the pid at t (if it is one of the local node's) as global's. */
static void
note_global(struct noter *w, const uint8_t *t)
{
	note_tagged(w, t, KEY_GLOBAL);
}


/*
 * global's own processes among what the local node says to a peer's
 * global_name_server (payload proven whole): the sender of a cast (only
 * global_name_server casts to another node's), the locker of init_connect
 * and lock_set, the requesters of global's own lock {global, Pid | Pids}
 * (the registrar, the lockers).  Not the caller of another set_lock: any
 * process may call global:set_lock/2.
 */
static void
note_global_procs(struct noter *w, const struct dist_msg *m)
{
	const uint8_t *q = m->payload, *e;
	struct dg_span tag;
	uint32_t arity, n;
	int str;

	if (term_tuple(&q, &arity) != 0 || term_atom(&q, &tag) != 0)
		return;
	if (term_span_eq(tag, "$gen_cast") && arity == 2) {
		if (m->t_from.len > 0)
			note_global(w, m->t_from.p);
		if (term_tuple(&q, &arity) != 0 || term_atom(&q, &tag) != 0)
			return;
		if (term_span_eq(tag, "lock_set") && arity >= 2)
			note_global(w, q);
		if (term_span_eq(tag, "init_connect") && arity == 4) {
			q = term_next(term_next(q));	/* {Vsn, Tag}, Node */
			if (term_tuple(&q, &arity) == 0 && arity == 4)
				note_global(w, term_next(term_next(term_next(q))));
		}
		return;
	}
	if (!term_span_eq(tag, "$gen_call") || arity != 3)
		return;
	q = term_next(q);				/* From */
	if (term_tuple(&q, &arity) != 0 || arity != 2 ||
	    term_atom(&q, &tag) != 0 ||
	    !(term_span_eq(tag, "set_lock") || term_span_eq(tag, "del_lock")) ||
	    term_tuple(&q, &arity) != 0 || arity != 2 ||
	    term_atom(&q, &tag) != 0 || !term_span_eq(tag, "global"))
		return;
	/* {global, Pid} or {global, [Pid, ...]} */
	if (term_list(&q, &n, &str) != 0 || str) {
		note_global(w, q);
		return;
	}
	for (e = q; n > 0; n--, e = term_next(e))
		note_global(w, e);
}


int
disclose_note(struct idset *conn, struct idset *published,
    const struct dist_msg *m, const uint8_t *end, const uint8_t *frame_end,
    int final, const char *local)
{
	struct noter w = { conn, NULL, local, 0 };
	struct term_visit v = { TV_IDS, note_id, &w, NULL };
	const char *why;
	int n;

	if (conn != NULL) {
		note_control(&w, m);
		note_control_leader(&w, m);
	}
	if (!m->has_payload || m->payload == NULL)
		return 0;
	if (m->type == DG_T_REG_SEND && m->has_name &&
	    term_span_eq(m->name, "global_name_server"))
		w.published = published;
	if (frame_end == NULL || frame_end < end)
		frame_end = end;
	/* Identities met before a cut are recorded already; a later try
	 * records them again, which changes nothing. */
	n = term_walk(m->payload, end, frame_end, &v, &why);
	if (n == DG_AGAIN && !final)
		return DG_AGAIN;
	if (n >= 0 && w.published != NULL)
		note_global_procs(&w, m);
	/* The group leader of a request the local node makes the peer's
	 * rex or net_kernel run (the last element of {call | block_call |
	 * cast, M, F, A, GL}, {spawn | spawn_link, M, F, A, GL} and
	 * {spawn_opt, M, F, A, Opts, Link, GL}, read by dist_ctl.c
	 * pl_spawn_tail): the process that runs the MFA takes it as its own
	 * (rpc.erl's set_group_leader, net_kernel's do_spawn), and its io
	 * comes back to it.  One in a request the walk could not prove
	 * whole is not tagged: io to it is then refused, never wrongly
	 * admitted. */
	if (n >= 0 && conn != NULL && (m->via == VIA_REX ||
	    m->via == VIA_NET_KERNEL) && m->t_gl.len > 0)
		note_tagged(&w, m->t_gl.p, KEY_LEADER);
	return 0;
}

int
disclose_has(struct idset *conn, struct idset *published,
    const struct dist_msg *m)
{
	struct dg_span node;
	uint8_t key[KEY_MAX];
	uint64_t h;
	size_t n;
	int r;

	if (m->t_target.len == 0 || !is_id(m->t_target.p))
		return 0;
	n = id_key(m->t_target.p, key, &node);
	h = idset_hash(key, n);
	if (!idset_has(conn, h, 0) &&
	    !(published != NULL && idset_has(published, h, 0)))
		return 0;
	key[0] = KEY_GLOBAL;
	h = idset_hash(key, n);
	r = idset_has(conn, h, 0) ||
	    (published != NULL && idset_has(published, h, 0)) ?
	    DISCLOSED_GLOBAL : 1;
	/* Leaders are handed per connection, and asked about only for io
	 * requests: other sends cost no third lookup. */
	if (m->behav & DG_PROTO_IO) {
		key[0] = KEY_LEADER;
		if (idset_has(conn, idset_hash(key, n), 0))
			r |= DISCLOSED_LEADER;
	}
	return r;
}

int
disclose_is_leader(struct idset *conn, const uint8_t *t)
{
	struct dg_span node;
	uint8_t key[KEY_MAX];
	size_t n;

	if (t == NULL || !dc_is_pid(t))
		return 0;
	n = id_key(t, key, &node);
	key[0] = KEY_LEADER;
	return idset_has(conn, idset_hash(key, n), 0);
}
