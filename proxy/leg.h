/* SPDX-License-Identifier: Apache-2.0 */
/*
 * leg.h - what a leg does with its socket, as two tables of operations
 * chosen when the leg is made (or, for a link, when its key exchange
 * starts), so that the relay and the session glue never ask which kind of
 * leg they hold:
 *
 *   struct leg_io  moving bytes: plain TCP (session.c, leg_plain_io)
 *                  or a link's records (linkleg.c);
 *   struct leg_hs  the Erlang handshake on it: spoken on the socket
 *                  (session_hs.c), or translated into a link's hello
 *                  (session_link.c).
 *
 * The relay's per-message path costs one indirect call per operation and
 * nothing else.
 */
#ifndef PROXY_LEG_H
#define PROXY_LEG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct leg;

/* What fill delivered. */
enum leg_fill {
	LEG_FILL_MORE,		/* bytes; there may be more without a read */
	LEG_FILL_LAST,		/* bytes; the next ones need the socket */
	LEG_FILL_NONE,		/* nothing now */
	LEG_FILL_EOF,		/* the source ended, all delivered */
	LEG_FILL_CLOSED		/* the session was closed (logged) */
};

struct leg_io {
	/* Reads the socket into the leg's own buffer, if it has one (a
	 * link's records wait there whole); -1 when the session closed. */
	int		(*pull)(struct leg *);
	/* Up to cap bytes of what the leg sent, into buf (*n). */
	enum leg_fill	(*fill)(struct leg *, uint8_t *buf, size_t cap,
			    size_t *n);
	/* Bytes the leg holds that fill gives without the socket. */
	size_t		(*buffered)(const struct leg *);
	/* Sends towards the leg, queueing what the socket does not take.
	 * send: -1 on failure (a link's closes the session, a plain one
	 * leaves that to the caller); sendv: -1 when the session closed. */
	int		(*send)(struct leg *, const uint8_t *, size_t);
	int		(*sendv)(struct leg *, const struct iovec *, int n);
	/* Releases (and wipes) what the leg's transport holds. */
	void		(*free)(struct leg *);
};

struct leg_hs {
	/* The remote node's handshake is virtual: another distguard host
	 * speaks for it (no cookie of ours is asked, no plaintext policy
	 * or host check applies: the link's binding vouches). */
	int		 is_virtual;
	/* The leg's socket has bytes, the handshake not done. */
	void		(*on_read)(struct leg *);
	/* What the sequencer wrote for the leg. */
	void		(*out)(struct leg *, const uint8_t *, size_t);
	/* The dialled leg's connect completed. */
	void		(*connected)(struct leg *);
	/* A virtual leg's cookie: 0 with *p, *n set; -1 for none. */
	int		(*cookie)(const struct leg *, const uint8_t **p,
			    size_t *n);
};

/* The reasons a session closes for, as logged, by the side of the leg:
 * the remote's ("peer ...") or the node of ours it protects ("node ...").
 * Chosen once with the leg's side (session_hs.c). */
struct leg_reasons {
	const char	*closed;
	const char	*read_error;
	const char	*write_failed;
	const char	*hs_read_error;
	const char	*hs_closed_early;
};
extern const struct leg_reasons	leg_reasons_peer, leg_reasons_node;

/* session.c: plain TCP. */
extern const struct leg_io	leg_plain_io;

/* Queues bytes for a leg, writing what the socket takes at once; -1 when
 * memory ran out or the socket failed (the caller closes). */
int	session_leg_send(struct leg *, const uint8_t *, size_t);
/* Writes what is queued: 1 when the queue is empty, 0 if not yet, -1 on a
 * write error. */
int	session_leg_drain(struct leg *);

#endif
