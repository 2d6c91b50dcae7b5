/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_egress.h - where an egress session is made (session_egress.c),
 * for the egress listeners.
 */
#ifndef SESSION_EGRESS_H
#define SESSION_EGRESS_H

#include <sys/socket.h>

#include "core/context.h"

/* Takes a connection a node of ours made to the egress port of `target`. */
void	session_start_egress(struct dg_daemon *, int fd,
	    const struct sockaddr_storage *, const char *target);

#endif
