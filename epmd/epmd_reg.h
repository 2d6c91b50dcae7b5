/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_reg.h - the registry of local nodes: names, creations, and the
 * filtering listener each one is reached through.  Pure bookkeeping; the
 * service (epmd_srv.c) owns the connections and the listeners.
 */
#ifndef EPMD_REG_H
#define EPMD_REG_H

#include <time.h>

#include "epmd_proto.h"

#define EPMD_REG_REMEMBER	1000	/* unregistered names kept, as stock epmd */

struct listener;

struct epmd_node {
	struct epmd_node	*next;
	struct epmd_alive2	 a;		/* as registered */
	uint32_t		 creation;	/* as answered */
	uint32_t		 counter;	/* stock epmd's counter behind it */
	int			 family;	/* AF_INET/AF_INET6 it registered over */
	uint16_t		 listen_port;	/* its filtering listener */
	int			 mediated;	/* registered by distguard_epmd */
	int			 guarded;	/* its port in the local guard */
	struct listener		*listener;
	void			*owner;		/* the registration connection */
};

struct epmd_old {
	struct dg_name		name;
	uint32_t		counter;
};

struct epmd_reg {
	struct epmd_node	*nodes;		/* most recent first */
	int			 nnodes;
	struct epmd_old		 old[EPMD_REG_REMEMBER];
	int			 nold, oldhead;
};

struct epmd_node	*epmd_reg_find(struct epmd_reg *, const char *name, size_t len);
/* Adds a node (the name must be free) and numbers its creation as stock
 * epmd does (spec 1.6): a new name gets now + 1, a remembered one its last
 * counter + 1, never below 4.  NULL when memory ran out. */
struct epmd_node	*epmd_reg_add(struct epmd_reg *, const struct epmd_alive2 *,
			    int family, time_t now);
/* Unlinks and frees the node, remembering its counter. */
void			 epmd_reg_remove(struct epmd_reg *, struct epmd_node *);

#endif
