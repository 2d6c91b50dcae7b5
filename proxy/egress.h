/*
 * egress.h - the egress ports: one loopback listener per remote node that
 * nodes of ours asked to reach (distguard_epmd's address_please).  A node
 * that connects to one is dialled through to that node by an egress
 * session (session.c), judged both ways.
 */
#ifndef EGRESS_H
#define EGRESS_H

#include <stdint.h>

#include "dg_daemon.h"

/* The daemon's egress_port: the port to dial for `node` (alive@host);
 * -1 when the name is not a node name or no port is free. */
int	egress_port(struct dg_daemon *, const char *node, uint16_t *port);
/* Closes every egress listener (daemon shutdown). */
void	egress_close_all(struct dg_daemon *);

#endif
