/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon/privdrop.h - the daemon gives up root once it is set up
 * (daemon/privdrop.c).
 */
#ifndef DG_PRIVDROP_H
#define DG_PRIVDROP_H

#include "conf/conf.h"

/*
 * Called once the daemon holds everything only root could get (sockets
 * bound, configuration and secrets read, syslog open; the daemon's own files wait).
 * As root: becomes conf->run_user / run_gid for good, or refuses when no
 * user is configured.  Not as root: nothing to give up.  Returns 0 to go
 * on, -1 (reason logged) to stop.
 */
int	privdrop(const struct dg_conf *conf);

/* Before anything is bound: -1 (reason logged) when privdrop would refuse
 * (root with no {user, Name}), so that the refusal is the first word. */
int	privdrop_check(const struct dg_conf *conf);

/* The account a fresh socket or file should belong to so that the daemon
 * can still remove it after the drop: 0 with uid and gid set when a drop is
 * coming, else -1. */
int	privdrop_owner(const struct dg_conf *conf, uid_t *uid, gid_t *gid);

#endif
