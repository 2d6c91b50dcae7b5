/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener.h - one filtering listener per registered node: the port EPMD
 * advertises for the node.  Accepted connections become sessions
 * (session.c), which run the handshake on both legs and then the relay.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <stdint.h>

#include "core/context.h"

struct listener;

/*
 * Opens a listener for node `alive` (which listens on loopback port
 * b_port, family b_family) on a free port of the configured range.
 * Returns NULL (and logs) when no port is free.
 */
struct listener	*listener_open(struct dg_daemon *, const char *alive,
		    int b_family, uint16_t b_port, int is_cnode);
/* An egress listener, on loopback: the node of ours that connects to it
 * is dialled through to `target` (a full node name). */
struct listener	*listener_open_egress(struct dg_daemon *, const char *target);
uint16_t	 listener_port(const struct listener *);
/* Stops accepting; established sessions go on until they end. */
void		 listener_close(struct listener *);

#endif
