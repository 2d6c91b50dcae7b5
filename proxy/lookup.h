/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lookup.h - asks another host's EPMD for the port of one node
 * (PORT_PLEASE2), without blocking the loop: connect, one request, one
 * bounded answer (epmd/epmd_client.c).  The caller's step timer bounds
 * the whole; lookup_stop ends it early.
 */
#ifndef LOOKUP_H
#define LOOKUP_H

#include <sys/socket.h>

#include <ev.h>

#include "epmd/epmd_client.h"

struct lookup;
/* port > 0 on success; else 0 and why. */
typedef void	lookup_done(struct lookup *, uint16_t port, const char *why);

struct lookup {
	struct ev_loop	*loop;
	ev_io		 io;
	int		 fd;
	int		 sent;
	uint8_t		 req[2 + 1 + 255];
	size_t		 reqlen;
	uint8_t		 in[EPMD_PORT2_RESP_MAX];
	size_t		 inlen;
	lookup_done	*done;
	void		*arg;
};

/* Starts the lookup of `alive` at sa; -1 (nothing started) on an
 * immediate failure. */
int	lookup_start(struct lookup *, struct ev_loop *, const struct sockaddr *,
	    socklen_t, const char *alive, lookup_done *, void *arg);
void	lookup_stop(struct lookup *);

#endif
