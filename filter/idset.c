/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idset.c - two generations of open-addressed hash sets (idset.h).
 *
 * Linear probing at a load of at most one half keeps every probe short; a
 * removed member leaves a tombstone (2) so that later probes still find
 * what sits behind it, and tombstones count towards the load so that a
 * set that only ever adds and takes is rebuilt, not probed forever.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "idset.h"

#define SLOT_EMPTY	0
#define SLOT_GONE	2
#define FIRST_CAP	16

static uint8_t	hash_key[crypto_shorthash_KEYBYTES];
static int	hash_key_set;

uint64_t
idset_hash(const void *key, size_t len)
{
	uint64_t h;

	if (!hash_key_set) {
		randombytes_buf(hash_key, sizeof(hash_key));
		hash_key_set = 1;
	}
	crypto_shorthash((unsigned char *)&h, key, len, hash_key);
	return h | 1;		/* odd: never empty, never a tombstone */
}

void
idset_init(struct idset *s, uint32_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max ? max : IDSET_DEFAULT_MAX;
}

static void
gen_free(struct idset_gen *g)
{
	free(g->slot);
	memset(g, 0, sizeof(*g));
}

void
idset_free(struct idset *s)
{
	gen_free(&s->cur);
	gen_free(&s->old);
}

/* The slot holding h, or -1. */
static long
gen_find(const struct idset_gen *g, uint64_t h)
{
	uint32_t i, mask;

	if (g->cap == 0)
		return -1;
	mask = g->cap - 1;
	for (i = (uint32_t)(h >> 32) & mask;; i = (i + 1) & mask) {
		if (g->slot[i] == h)
			return (long)i;
		if (g->slot[i] == SLOT_EMPTY)
			return -1;
	}
}

/* Stores h, known absent, in a generation with room. */
static void
gen_put(struct idset_gen *g, uint64_t h)
{
	uint32_t i, mask = g->cap - 1;

	for (i = (uint32_t)(h >> 32) & mask; g->slot[i] != SLOT_EMPTY &&
	    g->slot[i] != SLOT_GONE; i = (i + 1) & mask)
		;
	if (g->slot[i] == SLOT_EMPTY)
		g->used++;
	g->slot[i] = h;
}

/* Rebuilds g with `cap` slots, dropping tombstones. */
static int
gen_resize(struct idset_gen *g, uint32_t cap)
{
	struct idset_gen n;
	uint32_t i;

	n.cap = cap;
	n.used = 0;
	if ((n.slot = calloc(cap, sizeof(*n.slot))) == NULL)
		return -1;
	for (i = 0; i < g->cap; i++)
		if (g->slot[i] != SLOT_EMPTY && g->slot[i] != SLOT_GONE)
			gen_put(&n, g->slot[i]);
	free(g->slot);
	*g = n;
	return 0;
}

static uint32_t
gen_members(const struct idset_gen *g)
{
	uint32_t i, n = 0;

	for (i = 0; i < g->cap; i++)
		if (g->slot[i] != SLOT_EMPTY && g->slot[i] != SLOT_GONE)
			n++;
	return n;
}

/* Makes room for one more member in the current generation. */
static int
make_room(struct idset *s)
{
	struct idset_gen *g = &s->cur;
	uint32_t members, cap;

	if (g->cap != 0 && (g->used + 1) * 2 <= g->cap)
		return 0;
	members = gen_members(g);
	if (members >= s->max) {
		/* Full: this generation becomes the old one. */
		gen_free(&s->old);
		s->old = *g;
		memset(g, 0, sizeof(*g));
		members = 0;
	}
	for (cap = FIRST_CAP; cap < 2 * (members + 1); cap *= 2)
		;
	if (g->cap == 0) {
		if ((g->slot = calloc(cap, sizeof(*g->slot))) == NULL)
			return -1;
		g->cap = cap;
		g->used = 0;
		return 0;
	}
	/* Grow, or just sweep the tombstones out at the same size. */
	if (cap < g->cap && g->used > members)
		cap = g->cap;
	if (cap <= g->cap && g->used == members)
		cap = g->cap * 2;
	return gen_resize(g, cap);
}

int
idset_add(struct idset *s, uint64_t h)
{
	long i;

	if (gen_find(&s->cur, h) >= 0)
		return 0;
	if ((i = gen_find(&s->old, h)) >= 0)
		s->old.slot[i] = SLOT_GONE;	/* it moves to the current one */
	if (make_room(s) == -1)
		return -1;
	gen_put(&s->cur, h);
	return 0;
}

int
idset_has(struct idset *s, uint64_t h, int take)
{
	long i;

	if ((i = gen_find(&s->cur, h)) >= 0) {
		if (take)
			s->cur.slot[i] = SLOT_GONE;
		return 1;
	}
	if ((i = gen_find(&s->old, h)) >= 0) {
		s->old.slot[i] = SLOT_GONE;
		/* In use again: back to the current generation (a failed
		 * allocation only forgets it early). */
		if (!take)
			(void)idset_add(s, h);
		return 1;
	}
	return 0;
}

uint32_t
idset_count(const struct idset *s)
{
	return gen_members(&s->cur) + gen_members(&s->old);
}
