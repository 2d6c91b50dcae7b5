/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_link.h - where a session over an accepted link is made
 * (session_link.c), for the link listener (linkleg_listen's callback).
 */
#ifndef SESSION_LINK_H
#define SESSION_LINK_H

#include <sys/socket.h>

#include "core/context.h"

/* Takes a connection another distguard host made to our link listener. */
void	session_start_link(struct dg_daemon *, int fd,
	    const struct sockaddr_storage *);

struct leg;
/* Makes l the link leg of an egress session (session_egress.c): its
 * handshake translated into a link's hello; its transport follows when
 * it connects. */
void	session_link_leg(struct leg *);

#endif
