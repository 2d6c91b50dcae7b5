/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relay.h - the relay's entry points (relay.c), for the session glue
 * (session_hs.c): once both handshakes are done, frames move between the
 * legs through their operations (leg.h).
 */
#ifndef RELAY_H
#define RELAY_H

#include <stddef.h>
#include <stdint.h>

struct leg;
struct session;

/* Starts relaying; `early` is what the dialled leg sent right after its
 * ack.  Sets the session's teardown to relay_free. */
void	relay_start(struct session *, const uint8_t *early, size_t n);
void	relay_on_readable(struct leg *);
/* The leg's queue drained. */
void	relay_on_writable(struct leg *);
void	relay_free(struct session *);
/* The keys of the atom budget's shares a session charges
 * (filter/nodes.h): its source address and its cookie's. */
void	relay_share_keys(const struct session *, char *src, size_t srclen,
	    char *cookie, size_t cookielen);

#endif
