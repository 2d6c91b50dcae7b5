/*
 * ban.c - failure counting and bans per source address.
 *
 * Each entry counts failures in a window that opens at the first failure
 * and lasts `window` seconds; reaching `failures` within it starts a ban.
 * `failures` 0 turns bans off.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "dg_ban.h"
#include "dg_log.h"

#define BAN_SLOTS	4096	/* sources tracked at once */

struct ban_entry {
	uint8_t		addr[16];
	int		used;
	double		last;		/* last failure */
	double		until;		/* banned until */
	double		since;		/* the counting window opened */
	int		count;		/* failures since then */
};

struct bans {
	int			failures;
	double			window, duration;
	struct ban_entry	e[BAN_SLOTS];
	unsigned long long	started;	/* bans so far, for metrics */
};

static void
key_of(const struct sockaddr *sa, uint8_t key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET)
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

static uint32_t
hash_key(const uint8_t key[16])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* Finds the entry of a source; with `create`, makes one (recycling the
 * stalest unbanned entry in the probe window). */
static struct ban_entry *
lookup(struct bans *b, const struct sockaddr *sa, int create, double now)
{
	uint8_t key[16];
	uint32_t h;
	struct ban_entry *victim = NULL;
	int k;

	key_of(sa, key);
	h = hash_key(key);
	for (k = 0; k < 16; k++) {
		struct ban_entry *e = &b->e[(h + (uint32_t)k) % BAN_SLOTS];

		if (e->used && memcmp(e->addr, key, 16) == 0)
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
	memcpy(victim->addr, key, 16);
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
		fatalx("out of memory");
	bans_configure(b, failures, window, duration);
	return b;
}

void
bans_free(struct bans *b)
{
	free(b);
}

int
bans_fail(struct bans *b, const struct sockaddr *sa, double now)
{
	struct ban_entry *e;

	if (b->failures == 0)
		return 0;
	if ((e = lookup(b, sa, 1, now)) == NULL)
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
bans_check(struct bans *b, const struct sockaddr *sa, double now)
{
	struct ban_entry *e = lookup(b, sa, 0, now);

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
