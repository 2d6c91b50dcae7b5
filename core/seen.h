/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/seen.h - the distinct (local node, peer, type, target) the rules
 * judged, with counts: what `distguard suggest` builds a policy from
 * (docs/FILTER.md 22).
 *
 * Bounded: SEEN_MAX entries for the daemon's life.  Past it a new key is
 * not kept (counted in `dropped`, one log line); the keys already kept go
 * on counting.  Memory is allocated per new key only, never per message:
 * a message whose key is known costs a SipHash of the key and a probe.
 */
#ifndef DG_SEEN_H
#define DG_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"
#include "dg_policy.h"

#define SEEN_MAX	4096

/* How a message was decided, for the counts. */
enum seen_kind {
	SEEN_ALLOWED,		/* forwarded by the rules */
	SEEN_WOULD_DENY,	/* refused by the rules, forwarded (audit) */
	SEEN_DENIED		/* refused (enforce, or a protection) */
};

/* seen_note's flags */
#define SEEN_F_DISCLOSED	0x01	/* to a pid the node disclosed to the peer */
#define SEEN_F_FUN		0x02	/* the code guard refused a fun in it */

struct seen;
struct seen_entry;

struct seen	*seen_new(void);
void		 seen_free(struct seen *);

/*
 * Counts one message.  target[0..tlen): a registered name, "M:F/A", or
 * empty (a pid or an alias).  profiles: the built-in profiles that would
 * have admitted it (rules_profiles_of); flags: SEEN_F_*.  last: NULL, or
 * the caller's cache of the key it noted last, for one (local, peer) pair
 * only (a connection's): a message of the same type and target then costs
 * a compare, no hash.  Entries live as long as the table.  now: wall-clock seconds.  Returns 1
 * when it is the first of its key counted as `kind`, 0 when not, -1 when
 * its key is not kept (the table is full).
 */
int	seen_note(struct seen *, struct seen_entry **last, const char *local,
	    const char *peer,
	    enum dg_type type, const char *target, size_t tlen,
	    enum seen_kind kind, unsigned profiles, unsigned flags, double now);

/*
 * The control socket's "seen" answer (malloc'd, *len set; NULL when out
 * of memory): a first line "# seen N of SEEN_MAX, dropped D", then one
 * line per key, tab-separated: local, peer, type, target (bytes outside
 * 0x21..0x7e and '%' written %XX; "-" for none), allowed, would_deny,
 * denied, profiles (bit mask), all disclosed (0/1), a fun refused by the
 * code guard (0/1), first and last
 * seen (Unix seconds).
 */
char	*seen_render(const struct seen *, size_t *len);

#endif
