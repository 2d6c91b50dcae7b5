/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ban.c - failure counting and bans per source address, or per source
 * address and claimed node name.
 *
 * Each entry counts failures in a window that opens at the first failure
 * and lasts `window` seconds; reaching `failures` within it starts a ban.
 * `failures` 0 turns bans off.  An entry is keyed by the address alone
 * (remote sources) or by the address and the node name the source claimed
 * (local sources: every node of the host connects from loopback, so an
 * address ban would cut all of them off).  Names are keyed by a SipHash
 * under a per-process random key: a chosen name cannot be made to collide
 * with another node's.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dg.h"
#include "core/addr.h"
#include "core/ban.h"
#include "dg_log.h"

#define BAN_SLOTS	4096	/* sources tracked at once */

struct ban_entry {
	struct dg_addr_key addr;
	uint64_t	name;		/* hash of the claimed name; 0: none */
	int		used;
	double		last;		/* last failure */
	double		until;		/* banned until */
	double		since;		/* the counting window opened */
	int		count;		/* failures since then */
};

struct bans {
	uint8_t			key[crypto_shorthash_KEYBYTES];
	int			failures;
	double			window, duration;
	struct ban_entry	e[BAN_SLOTS];
	unsigned long long	started;	/* bans so far, for metrics */
};

/* 0 stands for "no name"; a name never hashes to it. */
static uint64_t
name_key(const struct bans *b, const char *name)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	if (name == NULL)
		return 0;
	crypto_shorthash(out, (const unsigned char *)name, strlen(name), b->key);
	memcpy(&h, out, sizeof(h));
	return h | 1;
}

static uint32_t
hash_key(const struct dg_addr_key *key, uint64_t name)
{
	return dg_addr_key_hash(key) ^ (uint32_t)(name >> 32) ^ (uint32_t)name;
}

/* Finds the entry of a source (and name); with `create`, makes one
 * (recycling the stalest unbanned entry in the probe window). */
static struct ban_entry *
lookup(struct bans *b, const struct sockaddr *sa, const char *node,
    int create, double now)
{
	struct dg_addr_key key;
	uint64_t name = name_key(b, node);
	uint32_t h;
	struct ban_entry *victim = NULL;
	int k;

	dg_addr_key_of(sa, &key);
	h = hash_key(&key, name);
	for (k = 0; k < 16; k++) {
		struct ban_entry *e = &b->e[(h + (uint32_t)k) % BAN_SLOTS];

		if (e->used && e->name == name && dg_addr_key_eq(&e->addr, &key))
			return e;
		if (!create)
			continue;
		if (!e->used) {
			if (victim == NULL || victim->used)
				victim = e;
		} else if (e->until <= now &&
		    (victim == NULL || (victim->used && e->last < victim->last))) {
			victim = e;
		}
	}
	if (victim == NULL)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = 1;
	victim->name = name;
	victim->addr = key;
	return victim;
}

void
bans_configure(struct bans *b, int failures, double window, double duration)
{
	b->failures = failures < 0 ? 0 : failures;
	b->window = window;
	b->duration = duration;
}

struct bans *
bans_new(int failures, double window, double duration)
{
	struct bans *b = calloc(1, sizeof(*b));

	if (b == NULL)
		log_fatalx("out of memory");
	randombytes_buf(b->key, sizeof(b->key));
	bans_configure(b, failures, window, duration);
	return b;
}

void
bans_free(struct bans *b)
{
	free(b);
}

int
bans_fail(struct bans *b, const struct sockaddr *sa, const char *name,
    double now)
{
	struct ban_entry *e;

	if (b->failures == 0)
		return 0;
	if ((e = lookup(b, sa, name, 1, now)) == NULL)
		return 0;	/* table hot with live bans: nothing to recycle */
	e->last = now;
	if (e->until > now)
		return 0;
	if (e->count == 0 || now - e->since > b->window) {
		e->since = now;
		e->count = 0;
	}
	if (++e->count < b->failures)
		return 0;
	e->until = now + b->duration;
	e->count = 0;
	b->started++;
	return 1;
}

double
bans_check(struct bans *b, const struct sockaddr *sa, const char *name,
    double now)
{
	struct ban_entry *e = lookup(b, sa, name, 0, now);

	if (e == NULL || e->until <= now)
		return 0;
	return e->until - now;
}

int
bans_active(const struct bans *b, double now)
{
	int i, n = 0;

	for (i = 0; i < BAN_SLOTS; i++)
		if (b->e[i].used && b->e[i].until > now)
			n++;
	return n;
}

unsigned long long
bans_started(const struct bans *b)
{
	return b->started;
}
