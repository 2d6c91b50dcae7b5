/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_start.h - where an inbound session is made (session_hs.c), for the
 * nodes' listeners.  The other kinds have their own entry:
 * session_egress.h, session_link.h.
 */
#ifndef SESSION_START_H
#define SESSION_START_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/context.h"

/* Takes an accepted peer connection for node `alive` (at b_port). */
void	session_start(struct dg_daemon *, int fd, const struct sockaddr_storage *,
	    const char *alive, int b_family, uint16_t b_port);

#endif
