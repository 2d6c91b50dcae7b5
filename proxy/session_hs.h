/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_hs.h - what the kinds of session share (session_hs.c: the
 * lifecycle of the handshake, its I/O and the inbound kind;
 * session_egress.c: a node of ours dialling out; session_link.c: an
 * accepted link, and link legs' handshake).  Not for the rest of the
 * daemon.  Each kind's own entry is in its header: session_start.h,
 * session_egress.h, session_link.h.
 */
#ifndef SESSION_HS_H
#define SESSION_HS_H

#include "session.h"

/* session_hs.c */
struct session	*session_new(struct dg_daemon *, int fd,
		    const struct sockaddr_storage *, const char *alive,
		    const struct session_kind *);
/* Starts the session's sequencer (s->hs) in `order`, INI expected as
 * `expect`, writing into the daemon's scratch. */
void		 session_hs_init(struct session *, enum hs_order,
		    const char *expect);
void		 session_hs_step(struct session *, enum hs_event);
int		 session_guard_admits(struct session *, struct leg *, const char *local);
void		 session_connect_leg(struct leg *, const struct sockaddr *, socklen_t);
void		 session_connect_node(struct session *);
void		 session_hs_failed(struct session *);
/* A failure that is the remote's fault, towards a ban (session_hs.c). */
void		 session_blame(struct session *);
/* Hands a leg handshake bytes (a link's translation of its hello) as
 * if they had been read from it. */
void		 session_hs_feed(struct leg *, const uint8_t *, size_t);
/* The handshake's steps for the inbound kind, which the link kind
 * shares (the link's binding vouches for the remote's host). */
enum hs_event	 session_admit(struct session *);
enum hs_event	 session_resolve(struct session *);

#endif
