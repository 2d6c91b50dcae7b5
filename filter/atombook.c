/* SPDX-License-Identifier: Apache-2.0 */
/*
 * atombook.c - the atom budget's book (atombook.h).
 */
#include <string.h>

#include "dg.h"
#include "dg_etf.h"
#include "atombook.h"
#include "term.h"

void
atombook_init(struct atombook *b)
{
	memset(b, 0, sizeof(*b));
	/* One generation that never fills: the budget bounds it. */
	idset_init(&b->set, UINT32_MAX / 4);
}

void
atombook_free(struct atombook *b)
{
	idset_free(&b->set);
	memset(b, 0, sizeof(*b));
}

static int
cacheable(struct dg_span t)
{
	return t.len <= ATOMBOOK_CACHE_TEXT;
}

/* A Latin-1 text is its UTF-8 text only when it is ASCII. */
static int
ascii(struct dg_span t)
{
	return dg_ascii_prefix(t.p, t.len) == t.len;
}

/* Is t cached?  Any way: a hit costs the same wherever it sits. */
static int
cache_hit(struct atombook *b, struct dg_span t)
{
	const struct atombook_slot *set = atombook_set_of(b, t.p, t.len);
	int w;

	for (w = 0; w < ATOMBOOK_WAYS; w++)
		if (atombook_slot_is(&set[w], t.p, t.len))
			return 1;
	return 0;
}

/* Enters t in the set's first way; the oldest, in the last way, leaves. */
static void
cache_put(struct atombook *b, struct dg_span t, int utf8)
{
	struct atombook_slot *set;

	/* Latin-1 beyond ASCII is keyed as UTF-8: not cached, rare. */
	if (!cacheable(t) || (!utf8 && !ascii(t)))
		return;
	set = atombook_set_of(b, t.p, t.len);
	memmove(&set[1], &set[0], (ATOMBOOK_WAYS - 1) * sizeof(set[0]));
	set[0].len1 = (uint8_t)(t.len + 1);
	memcpy(set[0].text, t.p, t.len);
}

/* The text of the atom term at a (term_atom's, here where every atom of
 * every message passes: a call into term.c costs more than this). */
static int
atom_text(const uint8_t *a, struct dg_span *t)
{
	switch (a[0]) {
	case T_ATOM:
	case T_ATOM_UTF8:
		t->p = a + 3;
		t->len = (uint32_t)a[1] << 8 | a[2];
		return 0;
	case T_SMALL_ATOM:
	case T_SMALL_ATOM_UTF8:
		t->p = a + 2;
		t->len = a[1];
		return 0;
	default:
		return -1;
	}
}

/* The atom's text as UTF-8, hashed. */
static uint64_t
hash_text(struct dg_span t, int utf8)
{
	uint8_t u[2 * 255];
	size_t i, n = 0;

	if (utf8)
		return idset_hash(t.p, t.len);
	for (i = 0; i < t.len && i < 255; i++) {
		if (t.p[i] < 0x80) {
			u[n++] = t.p[i];
		} else {
			u[n++] = (uint8_t)(0xc0 | (t.p[i] >> 6));
			u[n++] = (uint8_t)(0x80 | (t.p[i] & 0x3f));
		}
	}
	return idset_hash(u, n);
}

int
atombook_lookup(struct atombook *b, const uint8_t *a, uint64_t *h)
{
	struct dg_span t;
	int utf8 = a[0] == T_ATOM_UTF8 || a[0] == T_SMALL_ATOM_UTF8;

	if (atom_text(a, &t) == -1) {
		*h = 0;
		return 1;	/* not an atom: nothing to count */
	}
	if (cacheable(t) && (utf8 || ascii(t)) && cache_hit(b, t))
		return 1;
	*h = hash_text(t, utf8);
	if (!idset_has(&b->set, *h, 0))
		return 0;
	cache_put(b, t, utf8);
	return 1;
}

int
atombook_add(struct atombook *b, uint64_t h, const uint8_t *a,
    int64_t budget)
{
	struct dg_span t;

	if (idset_has(&b->set, h, 0))
		return 0;
	if (budget > 0 && b->count >= (uint64_t)budget)
		return -1;
	if (idset_add(&b->set, h) == -1)
		return -1;
	b->count++;
	if (a != NULL && atom_text(a, &t) == 0)
		cache_put(b, t, a[0] == T_ATOM_UTF8 || a[0] == T_SMALL_ATOM_UTF8);
	return 0;
}
