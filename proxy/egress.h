/* SPDX-License-Identifier: Apache-2.0 */
/*
 * egress.h - the egress ports: one loopback listener per remote node that
 * nodes of ours asked to reach (distguard_epmd's address_please).  A node
 * that connects to one is dialled through to that node by an egress
 * session (session.c), judged both ways.
 */
#ifndef EGRESS_H
#define EGRESS_H

#include <stdint.h>

#include "core/context.h"

/* The daemon's egress_port: the port to dial for `node` (alive@host),
 * asked by registered node `owner` (at most egress_per_node targets of
 * its own at once); -1 when the name is not a node name or no port of
 * the egress pool is free. */
int	egress_port(struct dg_daemon *, const char *owner, const char *node,
	    uint16_t *port);
/* Closes every egress listener (daemon shutdown). */
void	egress_close_all(struct dg_daemon *);

#endif
