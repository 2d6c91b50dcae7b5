/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/ban.h - per-source throttling: N failed handshakes within a window
 * ban the source address (or, for local sources, one node name claimed
 * from it) for a while.  A fixed table; when it is full the
 * oldest entry that is not banned is recycled, so a flood of spoofed-looking
 * sources cannot grow memory nor evict a live ban.
 */
#ifndef DG_BAN_H
#define DG_BAN_H

#include <sys/socket.h>

struct bans;

struct bans	*bans_new(int failures, double window, double duration);
void		 bans_configure(struct bans *, int failures, double window,
		    double duration);
void		 bans_free(struct bans *);
/* Records one failure at `now` against the source, or with `name` against
 * that node name from that source only; returns 1 if it starts a ban. */
int		 bans_fail(struct bans *, const struct sockaddr *,
		    const char *name, double now);
/* Returns the seconds left of a ban on this source (NULL name) or on this
 * name from this source, 0 when not banned. */
double		 bans_check(struct bans *, const struct sockaddr *,
		    const char *name, double now);
/* Number of sources banned right now. */
int		 bans_active(const struct bans *, double now);
/* Number of bans started since the daemon started. */
unsigned long long bans_started(const struct bans *);

#endif
