/* SPDX-License-Identifier: Apache-2.0 */
/*
 * idset.h - a bounded set of identities for one connection: the requests
 * a node made whose replies it is owed, the pids and aliases it disclosed
 * to its peer.
 *
 * Members are 64-bit keyed hashes (SipHash via crypto_shorthash, with a key
 * drawn once per process): a peer cannot compute them, so it can neither
 * aim for collisions nor guess what is in the set.  Two generations give a
 * bound without a per-entry clock: inserts go to the current one; when it
 * is full it becomes the old one and the previous old one is forgotten.  A
 * member found only in the old generation moves back to the current one,
 * so what is in use stays.  The set therefore remembers at least the last
 * `max` distinct members and at most 2 x max, in at most 2 x 2 x max
 * slots of 8 bytes; it starts empty and allocates as it fills (16 slots,
 * doubling), so a quiet connection costs nothing.
 *
 * Forgetting is the only failure mode: a member the set no longer holds
 * (or could not store, when an allocation failed) is answered "absent",
 * which every caller treats as "deny".  Nothing is ever wrongly present
 * beyond the 2^-64 odds of a hash collision.
 */
#ifndef IDSET_H
#define IDSET_H

#include <stddef.h>
#include <stdint.h>

/* Members per generation unless the caller says otherwise. */
#define IDSET_DEFAULT_MAX	4096

struct idset_gen {
	uint64_t	*slot;		/* 0 empty, 2 deleted, else odd hash */
	uint32_t	 cap;		/* power of two, or 0 */
	uint32_t	 used;		/* members + deleted */
};

struct idset {
	struct idset_gen	 cur, old;
	uint32_t		 max;	/* members per generation */
};

/* The keyed hash of an identity's canonical bytes; never 0 or 2. */
uint64_t	idset_hash(const void *key, size_t len);

void	idset_init(struct idset *, uint32_t max);
void	idset_free(struct idset *);
/* Adds h; returns 0, or -1 when memory ran out (h is then absent). */
int	idset_add(struct idset *, uint64_t h);
/* 1 when h is a member; with `take`, it stops being one. */
int	idset_has(struct idset *, uint64_t h, int take);
/* Members held now (both generations), for tests and stats. */
uint32_t	idset_count(const struct idset *);

#endif
