/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard.c - what the guard of a node of ours keeps (guard.h): the
 * replies it is owed, what it disclosed and published, its atom book.
 * The verdict asks and tells it, per message, without allocating (the
 * handlers' table of refs is made once, on a connection's first handled
 * message).
 */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "filter/disclose.h"
#include "filter/dist_ctl.h"
#include "filter/idset.h"
#include "filter/term.h"
#include "filter/guard.h"
#include "filter/nodes.h"

/* ---- replies a node is owed -------------------------------------------- */

/* Keyed (idset.h): the other side cannot aim for collisions it cannot
 * compute. */
void
guard_owed_add(struct guard *g, struct dg_span key)
{
	(void)idset_add(&g->owed, idset_hash(key.p, key.len));
}

int
guard_owed_match(struct guard *g, struct dg_span key, int consume)
{
	return idset_has(&g->owed, idset_hash(key.p, key.len), consume);
}

/* ---- what nodes of ours published through global (disclose.h) --------- */

/* The guarded node's set, looked up once per connection. */
struct idset *
guard_published_set(struct guard *g, struct dg_nodes *t)
{
	if (g->published == NULL && g->node != NULL && g->node[0] != '\0')
		g->published = nodes_published(t, g->node);
	return g->published;
}

/*
 * A peer that is a node of this host (its name is registered here and it
 * connects from registration_from) publishes through global too, on the
 * connections it dialled: what it tells the node's global_name_server
 * goes in its own set, for the connections where it is the one protected.
 */
void
guard_peer_publishes(struct guard *g, struct dg_nodes *t, const struct dist_msg *m,
    const struct df_frame *f, const uint8_t *frame_end)
{
	struct idset *set;

	if (!g->peer_local || !(g->pol.needs & DC_NEED_IDS) ||
	    m->type != DG_T_REG_SEND || !m->has_name ||
	    !term_span_eq(m->name, "global_name_server") ||
	    (set = nodes_published(t, g->peer)) == NULL)
		return;
	(void)disclose_note(NULL, set, m, f->terms_end, frame_end, 1, g->peer);
}

void
guard_sets_init(struct guard *g, int disclosed_ready)
{
	idset_init(&g->owed, SESSION_OWED);
	if (!disclosed_ready)
		idset_init(&g->disclosed, IDSET_DEFAULT_MAX);
	idset_init(&g->synced, SESSION_OWED);
	/* Never forgets: the held bound bounds it. */
	idset_init(&g->held, UINT32_MAX / 4);
}

void
guard_sets_free(struct guard *g)
{
	idset_free(&g->owed);
	idset_free(&g->synced);
	idset_free(&g->held);
	guard_book_release(g);
	free(g->minted);
	g->minted = NULL;
}

struct rewrite_refs *
guard_minted(struct guard *g)
{
	if (g->minted == NULL && (g->minted = calloc(1, sizeof(*g->minted)))
	    != NULL)
		/* The refs' third word: one no other ref of this connection
		 * has, and that nobody can tell in advance. */
		g->minted->salt = randombytes_random() | 1u;
	return g->minted;
}

/* One book per (node, peer) pair, kept in the table of nodes (nodes.c). */
void
guard_book_release(struct guard *g)
{
	nodes_atoms_release(g->atoms);
	g->atoms = NULL;
}

/* The atom book of a guarded node for the other side (made on first
 * use); NULL when memory ran out (then the budget is not applied,
 * logged). */
struct atom_book *
guard_atoms_of(struct guard *g, struct dg_nodes *t)
{
	if (g->atoms == NULL && g->node != NULL && g->node[0] != '\0')
		g->atoms = nodes_atoms(t, g->node, g->peer, g->share_src,
		    g->share_cookie);
	return g->atoms;
}

/* ---- what a peer makes a node hold ------------------------------------- */

/*
 * One thing held, keyed: a monitor by its reference; a link by its two
 * pids, in a fixed order (either side may name it first); a spawn
 * request by its ReqId.  The key's first byte is the kind.  Pids too
 * long for the buffer are cut the same way every time, which is enough
 * for a key.
 */
static uint64_t
held_key(char kind, struct dg_span a, struct dg_span b)
{
	uint8_t buf[1 + 2 * 300];
	size_t na = a.len < 300 ? a.len : 300, nb = b.len < 300 ? b.len : 300;
	struct dg_span t;

	if (nb > 0 && (na > nb || (na == nb && memcmp(a.p, b.p, na) > 0))) {
		t = a;
		a = b;
		b = t;
		na = a.len < 300 ? a.len : 300;
		nb = b.len < 300 ? b.len : 300;
	}
	buf[0] = (uint8_t)kind;
	if (na > 0)
		memcpy(buf + 1, a.p, na);
	if (nb > 0)		/* no_span has no bytes to copy */
		memcpy(buf + 1 + na, b.p, nb);
	return idset_hash(buf, 1 + na + nb);
}

static const struct dg_span no_span;

/* Frees what is held under h, if anything is: never more than that. */
static void
held_free(struct guard *g, uint64_t h)
{
	if (idset_has(&g->held, h, 1) && g->nheld > 0)
		g->nheld--;
}

/* A link's key, for the ops that carry one (t_from, t_target pids). */
static int
is_link_op(int op)
{
	return op == DOP_LINK || op == DOP_UNLINK || op == DOP_UNLINK_ID ||
	    op == DOP_EXIT || op == DOP_EXIT_TT || op == DOP_PAYLOAD_EXIT ||
	    op == DOP_PAYLOAD_EXIT_TT;
}

int
guard_held_charge(struct guard *g, const struct dist_msg *m, int alert, int max)
{
	uint64_t h;

	switch (m->op) {
	case DOP_MONITOR_P:
		h = held_key('m', m->t_ref, no_span);
		break;
	case DOP_LINK:
		h = held_key('l', m->t_from, m->t_target);
		break;
	case DOP_SPAWN_REQUEST:
	case DOP_SPAWN_REQUEST_TT:
		h = held_key('s', m->t_reqid, no_span);
		break;
	case DOP_DEMONITOR_P:
		/* Only a monitor this peer made, and made through us. */
		held_free(g, held_key('m', m->t_ref, no_span));
		return HELD_OK;
	default:
		if (is_link_op(m->op))
			held_free(g, held_key('l', m->t_from, m->t_target));
		return HELD_OK;
	}
	if (idset_has(&g->held, h, 0))
		return HELD_OK;		/* the node holds it once */
	if (g->nheld >= (uint64_t)max)
		return HELD_REFUSE;
	if (idset_add(&g->held, h) == -1)
		return HELD_REFUSE;
	g->nheld++;
	if (g->nheld >= (uint64_t)alert && !g->held_alerted) {
		g->held_alerted = 1;
		return HELD_ALERT;
	}
	return HELD_OK;
}

void
guard_held_release(struct guard *g, const struct dist_msg *m)
{
	switch (m->op) {
	case DOP_MONITOR_P_EXIT:
	case DOP_PAYLOAD_MONITOR_P_EXIT:
		held_free(g, held_key('m', m->t_ref, no_span));
		break;
	case DOP_SPAWN_REPLY:
	case DOP_SPAWN_REPLY_TT:
		held_free(g, held_key('s', m->key, no_span));
		break;
	default:
		if (is_link_op(m->op) && m->op != DOP_LINK)
			held_free(g, held_key('l', m->t_from, m->t_target));
		break;
	}
}

/* ---- ticks ---------------------------------------------------------- */

/*
 * A node needs one tick per tick interval (net_ticktime / 4: 15 s by
 * default, 250 ms at the smallest net_ticktime of 1 s) to keep the
 * connection up, and any other frame does as well; ticks closer together
 * than `interval_ms` only cost it CPU.  They are dropped and counted.
 */
int
guard_tick_pass(struct guard *g, double now, int interval_ms, int flood)
{
	if (now - g->tick_last >= interval_ms / 1000.0) {
		g->tick_last = now;
		return 1;
	}
	g->ticks_dropped++;
	if (now - g->tick_window >= 1.0) {
		g->tick_window = now;
		g->tick_excess = 0;
	}
	return ++g->tick_excess > (uint64_t)flood ? -1 : 0;
}

/*
 * What a node of ours sends, noted before the other side can see it:
 * the pids and aliases it shows, the requests it makes.  GUARD_HOLD when
 * the disclosure needs more of the frame; otherwise DF_FORWARD.
 */
int
guard_note_sent(struct guard *g, struct dg_nodes *t, const struct dist_msg *m,
    const struct df_frame *f, const uint8_t *frame_end)
{
	if ((g->pol.needs & DC_NEED_IDS) &&
	    disclose_note(&g->disclosed, guard_published_set(g, t), m, f->terms_end,
	    frame_end, f->decidable, g->node) == DG_AGAIN)
		return GUARD_HOLD;
	if (m->request != REPLY_NONE)
		guard_owed_add(g, m->key);
	guard_held_release(g, m);
	return DF_FORWARD;
}


/* ---- global's sync, per connection ------------------------------------- */

/*
 * global_name_server takes one exchange per sync tag: a second one
 * (well typed, the same Tag) reaches its exchange_ops with the first
 * one's operations saved, and exits with case_clause, which halts the
 * node (the live fuzzer's global_repeat class).  The Tags of the
 * exchanges forwarded on this connection are kept in a set of their own
 * ('x' and the Tag's bytes), bounded, forgetting the oldest, and never
 * carried to the next connection as the disclosures are
 * (nodes_keep_disclosed): a node that restarts numbers its syncs from
 * the start again, and its first exchange would look like a second.
 */
int
guard_global_exchange_repeated(struct guard *g, const struct dist_msg *m)
{
	const uint8_t *q = m->payload;
	struct dg_span tag;
	uint8_t key[1 + 64];
	uint32_t arity;
	size_t n;
	int i;

	if (!m->global_ok || m->type != DG_T_REG_SEND || q == NULL)
		return 0;
	if (term_tuple(&q, &arity) != 0 || arity != 2 ||
	    term_atom(&q, &tag) != 0 || !term_span_eq(tag, "$gen_cast") ||
	    term_tuple(&q, &arity) != 0 || arity != 5 ||
	    term_atom(&q, &tag) != 0 || !term_span_eq(tag, "exchange"))
		return 0;
	for (i = 0; i < 3; i++)		/* Node, Names, NamesExt */
		q = term_next(q);
	n = (size_t)(term_next(q) - q);
	if (n > sizeof(key) - 1)
		n = sizeof(key) - 1;
	key[0] = 'x';
	memcpy(key + 1, q, n);
	if (idset_has(&g->synced, idset_hash(key, n + 1), 0))
		return 1;
	(void)idset_add(&g->synced, idset_hash(key, n + 1));
	return 0;
}
