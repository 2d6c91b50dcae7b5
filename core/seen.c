/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seen.c - the bounded table of distinct (local node, peer, type, target)
 * behind `distguard suggest` (core/seen.h, docs/FILTER.md 22).
 *
 * Open addressing over twice SEEN_MAX slots, so a probe ends at an empty
 * slot soon.  Keys come from the network (names, MFAs): they are hashed
 * with SipHash under a key drawn at start, so a peer cannot aim names at
 * one chain.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "dg_log.h"
#include "core/seen.h"

#define SEEN_SLOTS	(2 * SEEN_MAX)	/* a power of two */
#define SEEN_KEY_MAX	(2 * DG_MAX_NODE_BYTES + 1024)

struct seen_entry {
	uint64_t	 h;
	uint64_t	 n[3];		/* by enum seen_kind */
	double		 first, last;
	unsigned	 profiles;	/* profiles that admitted every one */
	uint8_t		 type;
	uint8_t		 all_disclosed;
	uint8_t		 fun;
	uint16_t	 llen, plen, tlen;
	char		 key[];		/* local, peer, target (no NULs) */
};

struct seen {
	struct seen_entry	*slot[SEEN_SLOTS];
	int			 n;
	uint64_t		 dropped;
	uint8_t			 hkey[crypto_shorthash_KEYBYTES];
};

struct seen *
seen_new(void)
{
	struct seen *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (sodium_init() < 0) {
		free(s);
		return NULL;
	}
	randombytes_buf(s->hkey, sizeof(s->hkey));
	return s;
}

void
seen_free(struct seen *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < SEEN_SLOTS; i++)
		free(s->slot[i]);
	free(s);
}

static int
entry_is(const struct seen_entry *e, uint64_t h, enum dg_type type,
    const char *key, size_t llen, size_t plen, size_t tlen)
{
	return e->h == h && e->type == (uint8_t)type && e->llen == llen &&
	    e->plen == plen && e->tlen == tlen &&
	    memcmp(e->key, key, llen + plen + tlen) == 0;
}

static struct seen_entry *
entry_new(uint64_t h, enum dg_type type, const char *key, size_t llen,
    size_t plen, size_t tlen, unsigned profiles, unsigned flags, double now)
{
	struct seen_entry *e = malloc(sizeof(*e) + llen + plen + tlen);

	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->h = h;
	e->type = (uint8_t)type;
	e->llen = (uint16_t)llen;
	e->plen = (uint16_t)plen;
	e->tlen = (uint16_t)tlen;
	memcpy(e->key, key, llen + plen + tlen);
	e->profiles = profiles;
	e->all_disclosed = (flags & SEEN_F_DISCLOSED) != 0;
	e->first = now;
	return e;
}

int
seen_note(struct seen *s, struct seen_entry **last, const char *local,
    const char *peer, enum dg_type type, const char *target, size_t tlen,
    enum seen_kind kind, unsigned profiles, unsigned flags, double now)
{
	char key[SEEN_KEY_MAX + 1];
	size_t llen, plen, i;
	struct seen_entry *e;
	uint64_t h;

	if (s == NULL || tlen > 1000)
		return -1;
	/* The connection's last key again (a stream of sends to one name):
	 * its local and peer are the cache's by contract. */
	if (last != NULL && (e = *last) != NULL && e->type == (uint8_t)type &&
	    e->tlen == tlen &&
	    memcmp(e->key + e->llen + e->plen, target, tlen) == 0)
		goto count;
	llen = strlen(local);
	plen = strlen(peer);
	if (llen > DG_MAX_NODE_BYTES || plen > DG_MAX_NODE_BYTES)
		return -1;
	memcpy(key, local, llen);
	memcpy(key + llen, peer, plen);
	memcpy(key + llen + plen, target, tlen);
	key[llen + plen + tlen] = (char)type;
	crypto_shorthash((unsigned char *)&h, (const unsigned char *)key,
	    llen + plen + tlen + 1, s->hkey);
	/* Lengths are part of the key: "ab"+"c" is not "a"+"bc". */
	h ^= (uint64_t)llen << 48 ^ (uint64_t)plen << 32;
	for (i = h & (SEEN_SLOTS - 1);; i = (i + 1) & (SEEN_SLOTS - 1)) {
		e = s->slot[i];
		if (e == NULL)
			break;
		if (entry_is(e, h, type, key, llen, plen, tlen))
			goto found;
	}
	if (s->n >= SEEN_MAX) {
		if (s->dropped++ == 0)
			log_warnx("seen: %d distinct (node, peer, type, target) "
			    "kept; new ones are not (distguard suggest will "
			    "not know them)", SEEN_MAX);
		return -1;
	}
	if ((e = entry_new(h, type, key, llen, plen, tlen, profiles,
	    flags, now)) == NULL) {
		s->dropped++;
		return -1;
	}
	s->slot[i] = e;
	s->n++;
found:
	if (last != NULL)
		*last = e;
count:
	e->n[kind]++;
	e->profiles &= profiles;
	if (!(flags & SEEN_F_DISCLOSED))
		e->all_disclosed = 0;
	if (flags & SEEN_F_FUN)
		e->fun = 1;
	e->last = now;
	return e->n[kind] == 1;
}

/* s[0..n) with bytes outside 0x21..0x7e and '%' as %XX; "-" when empty. */
static void
put_escaped(struct dg_text *b, const char *s, size_t n)
{
	size_t i;

	if (n == 0) {
		dg_text_printf(b, "-");
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e || c == '%')
			dg_text_printf(b, "%%%02X", c);
		else
			dg_text_printf(b, "%c", c);
	}
}

char *
seen_render(const struct seen *s, size_t *len)
{
	struct dg_text b;
	const struct seen_entry *e;
	int i;

	dg_text_init(&b, 4096);
	if (b.p == NULL)
		return NULL;
	dg_text_printf(&b, "# seen %d of %d, dropped %llu\n", s ? s->n : 0,
	    SEEN_MAX, (unsigned long long)(s ? s->dropped : 0));
	for (i = 0; s != NULL && i < SEEN_SLOTS; i++) {
		if ((e = s->slot[i]) == NULL)
			continue;
		put_escaped(&b, e->key, e->llen);
		dg_text_printf(&b, "\t");
		put_escaped(&b, e->key + e->llen, e->plen);
		dg_text_printf(&b, "\t%s\t", dg_type_name((enum dg_type)e->type));
		put_escaped(&b, e->key + e->llen + e->plen, e->tlen);
		dg_text_printf(&b, "\t%llu\t%llu\t%llu\t%u\t%d\t%d\t%.0f\t%.0f\n",
		    (unsigned long long)e->n[SEEN_ALLOWED],
		    (unsigned long long)e->n[SEEN_WOULD_DENY],
		    (unsigned long long)e->n[SEEN_DENIED], e->profiles,
		    e->all_disclosed, e->fun, e->first, e->last);
	}
	if (b.p == NULL)
		return NULL;
	*len = b.len;
	return b.p;
}
