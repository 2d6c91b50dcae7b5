/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_start.h - where sessions are made: one entry per kind of
 * session (session.h, struct session_kind), for the acceptors.
 */
#ifndef SESSION_START_H
#define SESSION_START_H

#include <stdint.h>
#include <sys/socket.h>

#include "dg_daemon.h"

/* Takes an accepted peer connection for node `alive` (at b_port). */
void	session_start(struct dg_daemon *, int fd, const struct sockaddr_storage *,
	    const char *alive, int b_family, uint16_t b_port);
/* Takes a connection another distguard host made to our link listener. */
void	session_start_link(struct dg_daemon *, int fd,
	    const struct sockaddr_storage *);
/* Takes a connection a node of ours made to the egress port of `target`. */
void	session_start_egress(struct dg_daemon *, int fd,
	    const struct sockaddr_storage *, const char *target);

#endif
