/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_int.h - what the parts of a session share (session.c: the
 * lifecycle, the inbound handshake and its I/O; session_egress.c: a node
 * of ours dialling out).  Not for the rest of the daemon.
 */
#ifndef SESSION_INT_H
#define SESSION_INT_H

#include "session.h"

static inline const struct sockaddr *
peer_sa(const struct session *s)
{
	return (const struct sockaddr *)&s->peer_addr;
}

/* session.c */
struct session	*session_new(struct dg_daemon *, int fd,
		    const struct sockaddr_storage *, const char *alive,
		    enum leg_kind dialler, enum leg_kind dialled);
void		 hs_step(struct session *, enum hs_event);
int		 guard_admits(struct session *, struct leg *, const char *local);
void		 connect_leg(struct leg *, const struct sockaddr *, socklen_t);
void		 connect_node(struct session *);
void		 hs_failed(struct session *);
/* A failure that is the remote's fault, towards a ban (session.c). */
void		 session_blame(struct session *);
/* Hands a leg handshake bytes (a link's translation of its hello) as
 * if they had been read from it. */
void		 hs_feed(struct leg *, const uint8_t *, size_t);

/* session_egress.c */
enum hs_event	 admit_egress(struct session *);
enum hs_event	 resolve_egress(struct session *);
void		 connect_egress(struct session *);

/* session_link.c */
void		 link_hs_on_read(struct leg *);
void		 link_hs_out(struct leg *, const uint8_t *, size_t);
void		 link_connected(struct leg *);
void		 link_up(struct leg *);

#endif
