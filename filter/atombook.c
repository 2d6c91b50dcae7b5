/* SPDX-License-Identifier: Apache-2.0 */
/*
 * atombook.c - the atom budget's book (atombook.h).
 */
#include <string.h>

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

/* The cache slot of a text: its length and its first and last bytes. */
static struct atombook_slot *
slot_of(struct atombook *b, struct dg_span t)
{
	unsigned k = t.len * 31u + (t.len ? t.p[0] * 7u + t.p[t.len - 1] : 0);

	return &b->cache[k & (ATOMBOOK_CACHE - 1)];
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
	uint32_t i;

	for (i = 0; i < t.len; i++)
		if (t.p[i] >= 0x80)
			return 0;
	return 1;
}

static void
cache_put(struct atombook *b, struct dg_span t, int utf8)
{
	struct atombook_slot *s;
	/* Latin-1 beyond ASCII is keyed as UTF-8: not cached, rare. */
	if (!cacheable(t) || (!utf8 && !ascii(t)))
		return;
	s = slot_of(b, t);
	s->used = 1;
	s->len = (uint8_t)t.len;
	memcpy(s->text, t.p, t.len);
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
atombook_has(struct atombook *b, const uint8_t *a, uint64_t *h)
{
	struct atombook_slot *s;
	struct dg_span t;
	const uint8_t *q = a;
	int utf8 = a[0] == 118 || a[0] == 119;

	if (term_atom(&q, &t) == -1) {
		*h = 0;
		return 1;	/* not an atom: nothing to count */
	}
	if (cacheable(t) && (utf8 || ascii(t))) {
		s = slot_of(b, t);
		if (s->used && s->len == t.len &&
		    memcmp(s->text, t.p, t.len) == 0)
			return 1;
	}
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
	const uint8_t *q = a;

	if (idset_has(&b->set, h, 0))
		return 0;
	if (budget > 0 && b->count >= (uint64_t)budget)
		return -1;
	if (idset_add(&b->set, h) == -1)
		return -1;
	b->count++;
	if (a != NULL && term_atom(&q, &t) == 0)
		cache_put(b, t, a[0] == 118 || a[0] == 119);
	return 0;
}
