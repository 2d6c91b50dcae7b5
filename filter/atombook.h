/* SPDX-License-Identifier: Apache-2.0 */
/*
 * atombook.h - the distinct atoms one peer made a local node see: the atom
 * budget's count (docs/FILTER.md 12).
 *
 * An atom, once created, stays in its node's atom table until the node
 * stops, and a full table kills the node.  A book counts every distinct
 * atom text (as UTF-8: 'é' written as ATOM_EXT or as ATOM_UTF8_EXT is one
 * atom) that the peer sent in frames that were let through, so that the
 * proxy can cut it off before it passes the budget.
 *
 * Members are keyed 64-bit hashes in an idset (SipHash: a peer cannot
 * make a fresh atom collide with one already counted).  The set never
 * forgets: it is bounded by the budget instead, since nothing is added
 * past it.  In front of it, a small cache of the texts of short atoms
 * found recently spares the hash for the few atoms ordinary traffic
 * repeats in every message (node names, '', the target's name,
 * '$gen_call', ok...).  It only ever holds atoms that are in the set, and
 * compares texts exactly, so it cannot make a new atom look counted.
 * Four ways per set, the oldest entry leaving first: a capture's 40 distinct
 * atoms in a direct-mapped table of 64 collided often enough that one
 * lookup in five paid the keyed hash (one in seventeen with two ways).
 */
#ifndef ATOMBOOK_H
#define ATOMBOOK_H

#include <stdint.h>

#include "idset.h"

#define ATOMBOOK_WAYS		4
#define ATOMBOOK_SETS_LOG2	4
#define ATOMBOOK_SETS		(1 << ATOMBOOK_SETS_LOG2)
#define ATOMBOOK_CACHE_TEXT	31	/* longest atom text cached, bytes */

/* len1: the text's length + 1, 0 for an empty slot ('' is cached too). */
struct atombook_slot {
	uint8_t		len1;
	uint8_t		text[ATOMBOOK_CACHE_TEXT];
};

struct atombook {
	struct idset		 set;
	uint64_t		 count;	/* members */
	struct atombook_slot	 cache[ATOMBOOK_SETS][ATOMBOOK_WAYS];
};

void	atombook_init(struct atombook *);
void	atombook_free(struct atombook *);

/*
 * The atom term at a (its tag byte; proven by term_walk): 1 when the book
 * holds it; else 0, with *h its hash for atombook_add.
 */
int	atombook_has(struct atombook *, const uint8_t *a, uint64_t *h);

/*
 * Counts the atom of hash h (and text at a, for the cache) unless the
 * book holds it already.  Returns 0, or -1 when it would take the book
 * past `budget` or memory ran out: the atom is then not counted, and
 * the caller must not let it through.
 */
int	atombook_add(struct atombook *, uint64_t h, const uint8_t *a,
	    int64_t budget);

#endif
