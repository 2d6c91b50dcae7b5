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

#include "dg_etf.h"
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

/* atombook_has without the cache's fast path (atombook.c). */
int	atombook_lookup(struct atombook *, const uint8_t *a, uint64_t *h);

/*
 * The cache's set for a text of len bytes at t: its length and its
 * first, middle and last bytes, mixed by a multiply so that names
 * differing in one of them ('a@localhost', 'b@localhost') land apart.
 * Not keyed: a peer that aims atoms at one set only evicts, and a miss
 * costs the keyed hash.
 */
static inline struct atombook_slot *
atombook_set_of(struct atombook *b, const uint8_t *t, uint32_t len)
{
	uint32_t k = len;

	if (len > 0)
		k |= (uint32_t)t[0] << 8 | (uint32_t)t[len / 2] << 16 |
		    (uint32_t)t[len - 1] << 24;
	k *= 0x9e3779b1u;
	return b->cache[k >> (32 - ATOMBOOK_SETS_LOG2)];
}

/*
 * The slot holds exactly the len bytes at t.  Lengths first; then words,
 * the last one overlapping, since a memcmp call costs more than these
 * short texts.  Nothing past t + len is read (it may be the frame's last
 * byte).
 */
static inline int
atombook_slot_is(const struct atombook_slot *s, const uint8_t *t,
    uint32_t len)
{
	uint64_t x, y;
	uint32_t i;

	if (s->len1 != len + 1)
		return 0;
	if (len < 8) {
		for (i = 0; i < len; i++)
			if (s->text[i] != t[i])
				return 0;
		return 1;
	}
	for (i = 0; i + 8 <= len; i += 8) {
		__builtin_memcpy(&x, s->text + i, 8);
		__builtin_memcpy(&y, t + i, 8);
		if (x != y)
			return 0;
	}
	if (i == len)
		return 1;
	__builtin_memcpy(&x, s->text + len - 8, 8);
	__builtin_memcpy(&y, t + len - 8, 8);
	return x == y;
}

/*
 * The atom term at a (its tag byte; proven by term_walk): 1 when the book
 * holds it; else 0, with *h its hash for atombook_add.  Inline for what
 * every atom of every message takes: a SMALL_ATOM_UTF8_EXT (what ERTS
 * writes) found in the cache; anything else goes to atombook_lookup.
 */
static inline int
atombook_has(struct atombook *b, const uint8_t *a, uint64_t *h)
{
	const struct atombook_slot *set;
	uint32_t len = a[1];
	int way;

	if (a[0] != T_SMALL_ATOM_UTF8 || len > ATOMBOOK_CACHE_TEXT)
		return atombook_lookup(b, a, h);
	set = atombook_set_of(b, a + 2, len);
	for (way = 0; way < ATOMBOOK_WAYS; way++)
		if (atombook_slot_is(&set[way], a + 2, len))
			return 1;
	return atombook_lookup(b, a, h);
}

/*
 * Counts the atom of hash h (and text at a, for the cache) unless the
 * book holds it already.  Returns 0, or -1 when it would take the book
 * past `budget` or memory ran out: the atom is then not counted, and
 * the caller must not let it through.
 */
int	atombook_add(struct atombook *, uint64_t h, const uint8_t *a,
	    int64_t budget);

#endif
