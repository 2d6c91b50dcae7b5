/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srccount.c - connections counted per source address (srccount.h):
 * pending handshakes, links, EPMD and metrics clients, established
 * sessions.
 */
#include <stdlib.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/srccount.h"
#include "dg_log.h"

/* Per-source counts: chained hash, entries freed at zero. */
#define SRC_BUCKETS	1024

struct src_entry {
	struct src_entry	*next;
	struct dg_addr_key	 key;
	int			 count;
};

struct srccount {
	struct src_entry	*b[SRC_BUCKETS];
};

static uint32_t
src_key(const struct sockaddr *sa, struct dg_addr_key *key)
{
	dg_addr_key_of(sa, key);
	return dg_addr_key_hash(key) % SRC_BUCKETS;
}

struct srccount *
srccount_new(void)
{
	struct srccount *s = calloc(1, sizeof(*s));

	if (s == NULL)
		log_fatalx("out of memory");
	return s;
}

void
srccount_free(struct srccount *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < SRC_BUCKETS; i++) {
		while (s->b[i]) {
			struct src_entry *e = s->b[i];
			s->b[i] = e->next;
			free(e);
		}
	}
	free(s);
}

int
srccount_get(struct srccount *s, const struct sockaddr *sa)
{
	struct dg_addr_key key;
	uint32_t h = src_key(sa, &key);
	struct src_entry *e;

	for (e = s->b[h]; e; e = e->next)
		if (dg_addr_key_eq(&e->key, &key))
			return e->count;
	return 0;
}

int
srccount_add(struct srccount *s, const struct sockaddr *sa, int delta)
{
	struct dg_addr_key key;
	uint32_t h = src_key(sa, &key);
	struct src_entry *e, **pp;

	for (pp = &s->b[h]; (e = *pp) != NULL; pp = &e->next) {
		if (!dg_addr_key_eq(&e->key, &key))
			continue;
		e->count += delta;
		if (e->count <= 0) {
			*pp = e->next;
			free(e);
		}
		return 0;
	}
	if (delta <= 0)
		return 0;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	e->key = key;
	e->count = delta;
	e->next = s->b[h];
	s->b[h] = e;
	return 0;
}
