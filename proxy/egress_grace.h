/* SPDX-License-Identifier: Apache-2.0 */
/*
 * egress_grace.h - the restart grace of egress (issue 23): for
 * EGRESS_GRACE_SECS after the daemon starts, a node of this host that
 * dials out before it has registered again is refused quietly (its
 * connection is closed with an info line, no alert, no ban count), since
 * after a restart every node re-registers within a second.  A name so
 * refused that is still not registered when the grace ends gets its
 * handshake.bad_name alert then: a restart hides nothing for long.
 */
#ifndef EGRESS_GRACE_H
#define EGRESS_GRACE_H

#include <sys/socket.h>

#include "core/context.h"

/* distguard_epmd reconnects with a backoff of 50 ms doubling to 500 ms:
 * a node is back well within this, even on a loaded host. */
#define EGRESS_GRACE_SECS	10.0
/* Names held at once; past that, refusals alert at once as before. */
#define EGRESS_GRACE_NAMES	64

struct egress_grace;

/* Starts the grace now (daemon start); NULL when out of memory (no
 * grace: every refusal alerts). */
struct egress_grace	*egress_grace_start(struct dg_daemon *);
void			 egress_grace_stop(struct egress_grace *);
/*
 * An egress from `node` (alive@host) whose alive part is not registered
 * here, towards `remote`, from `sa`: returns 1 when the grace is on and
 * the name is held (refuse quietly), 0 when the caller alerts as usual.
 */
int	egress_grace_hold(struct egress_grace *, const char *alive,
	    const char *node, const char *remote, const struct sockaddr *sa);

#endif
