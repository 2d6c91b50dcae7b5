/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srccount.h - connections counted per source address, in a chained
 * hash whose entries live only while their count is above zero.
 */
#ifndef DG_SRCCOUNT_H
#define DG_SRCCOUNT_H

#include <sys/socket.h>

struct srccount;

/*
 * Per-source connection counts (EPMD connections, pending handshakes).
 * Entries exist only while their count is above zero, so memory is bounded
 * by the number of live connections.
 */
struct srccount	*srccount_new(void);
void		 srccount_free(struct srccount *);
int		 srccount_get(struct srccount *, const struct sockaddr *);
/* Returns -1 when memory ran out for a new source: the caller refuses the
 * connection it was counting (and must not count it down later). */
int		 srccount_add(struct srccount *, const struct sockaddr *, int delta);

#endif
