/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_srv.h - the EPMD service: listening sockets, connections, and the
 * requests of spec section 1, hardened (caps, deadlines, non-blocking
 * writes, locality checks).
 */
#ifndef EPMD_SRV_H
#define EPMD_SRV_H

#include "core/context.h"
#include "epmd_reg.h"

struct epmd_srv;

/* Binds every configured address; returns NULL (errors logged) if none
 * could be bound. */
struct epmd_srv	*epmd_srv_start(struct dg_daemon *);
void		 epmd_srv_stop(struct epmd_srv *);
struct epmd_reg	*epmd_srv_registry(struct epmd_srv *);
/* Does `node` (alive@host) name a node registered here, under one of this
 * host's names?  The daemon's is_local_node. */
int		 epmd_srv_is_local_node(struct dg_daemon *, const char *node);

#endif
