/*
 * guard.c - what the guard of a node of ours keeps (session.h): the
 * replies it is owed, what it disclosed and published, its atom book.
 * The relay asks and tells it, per message, without allocating.
 */
#include <string.h>

#include "filter/disclose.h"
#include "filter/dist_ctl.h"
#include "guard.h"
#include "nodes.h"

/* ---- replies a node is owed -------------------------------------------- */

/* Keyed (idset.h): the other side cannot aim for collisions it cannot
 * compute. */
void
owed_add(struct guard *g, struct dg_span key)
{
	(void)idset_add(&g->owed, idset_hash(key.p, key.len));
}

int
owed_match(struct guard *g, struct dg_span key, int consume)
{
	return idset_has(&g->owed, idset_hash(key.p, key.len), consume);
}

/* ---- what nodes of ours published through global (disclose.h) --------- */

/* A guarded leg's set, looked up once per session. */
struct idset *
published_set(struct leg *l)
{
	if (l->guard->published == NULL && l->name[0] != '\0')
		l->guard->published = nodes_published(l->name);
	return l->guard->published;
}

/*
 * A peer that is a node of this host (its name is registered here and it
 * connects from registration_from) publishes through global too, on the
 * connections it dialled: what it tells the node's global_name_server
 * goes in its own set, for the connections where it is the one protected.
 */
void
peer_publishes(struct leg *src, const struct dist_msg *m,
    const struct df_frame *f, const uint8_t *frame_end)
{
	struct idset *set;

	if (src != src->s->peer || !src->s->peer_local ||
	    !(src->other->guard->pol.needs & DC_NEED_IDS) ||
	    m->type != DG_T_REG_SEND || !m->has_name ||
	    !span_eq(m->name, "global_name_server") ||
	    (set = nodes_published(src->name)) == NULL)
		return;
	(void)disclose_note(NULL, set, m, f->terms_end, frame_end, 1, src->name);
}

/* One book per (node, peer) pair, kept in proxy/nodes.c. */
void
book_release(struct guard *g)
{
	nodes_atoms_release(g->atoms);
	g->atoms = NULL;
}

/* The atom book of a guarded node for the sender (made on first use);
 * NULL when memory ran out (then the budget is not applied, logged). */
struct atom_book *
atoms_of(struct leg *dst)
{
	struct guard *g = dst->guard;

	if (g->atoms == NULL && dst->name[0] != '\0')
		g->atoms = nodes_atoms(dst->name, dst->other->name);
	return g->atoms;
}

/*
 * What a node of ours sends, noted before the other side can see it:
 * the pids and aliases it shows, the requests it makes.  GUARD_HOLD when
 * the disclosure needs more of the frame; otherwise DF_FORWARD.
 */
int
note_sent(struct leg *src, const struct dist_msg *m, const struct df_frame *f,
    const uint8_t *frame_end)
{
	struct guard *g = src->guard;

	if ((g->pol.needs & DC_NEED_IDS) &&
	    disclose_note(&g->disclosed, published_set(src), m, f->terms_end,
	    frame_end, f->decidable, src->name) == DG_AGAIN)
		return GUARD_HOLD;
	if (m->request != REPLY_NONE)
		owed_add(g, m->key);
	return DF_FORWARD;
}

