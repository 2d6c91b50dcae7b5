/* SPDX-License-Identifier: Apache-2.0 */
/*
 * linkleg.h - the socket side of a link leg: the key exchange
 * (link/link_hs.c) and then records (link/link_rec.c) over one TCP
 * connection to another distguard host, and the listener that accepts
 * such connections ({host_key, ..., [{listen, {Addr, Port}}]}).
 *
 * Bytes read are kept in a receive buffer until whole records are there;
 * a record is opened only whole, and one that does not authenticate
 * closes the connection at once (link.integrity): nothing of it is
 * delivered.  The receive buffer is lent to the leg from the daemon's
 * pool (scratch.h) while bytes are in flight, and goes back the moment
 * the leg has none: an idle link leg holds no buffer (issue 24).  With
 * one busy link the same pooled buffer serves every read, so nothing is
 * allocated per read or per record.  Records are sealed in the daemon's
 * scratch.  The key exchange's state (struct lk_hs, with the binding the
 * hello is checked against) lives only until the hello is done
 * (linkleg_settle).
 *
 * A link leg's transport is its operations table (leg.h), set by
 * linkleg_start: the relay and the session glue reach it only there.
 */
#ifndef LINKLEG_H
#define LINKLEG_H

#include "link/link_hs.h"
#include "link/link_rec.h"
#include "leg.h"
#include "session.h"

/* A receive buffer: room for one whole record behind a partial one, so a
 * read is never shorter than a record for want of room. */
#define LINKLEG_IN	(2 * LK_REC_SEAL_MAX)
/* Free receive buffers the pool keeps for the next leg (the rest are
 * freed): one busy link needs one, a few cover bursts on several. */
#define LINKLEG_POOL_KEEP	16

struct linkleg_inbuf {
	struct linkleg_inbuf	*next;		/* in the pool */
	uint8_t			 b[LINKLEG_IN];
};

struct linkleg {
	struct lk_hs	*hs;		/* until linkleg_settle; then NULL */
	struct lk_rec	 rec;
	enum linkleg_state {
		LINKLEG_EXCHANGE,	/* the key exchange (lk_hs) */
		LINKLEG_RECORDS		/* done: records (lk_rec) */
	}		 st;
	int		 eof;
	uint8_t		 vcookie[32];	/* the virtual Erlang leg's cookie */
	int		 phase;		/* session_link.c's hello state */
	void		(*on_up)(struct leg *);	/* the key exchange is done */
	/* Bytes read and not yet opened: in->b[off .. off + inlen); in is
	 * NULL whenever inlen is 0. */
	struct linkleg_inbuf	*in;
	size_t		 off, inlen;
};

enum linkleg_next {
	LINKLEG_NONE,		/* no whole record buffered */
	LINKLEG_DATA,		/* one record's plaintext in out */
	LINKLEG_FAIL		/* alerted, session closed */
};

/* Makes l a link leg (its transport: records) and starts its key
 * exchange (an initiator's first message is queued); on_up is called
 * when the exchange is done.  -1 when the session was closed (logged). */
int		linkleg_start(struct leg *, enum lk_role, const char *expect_host,
		    void (*on_up)(struct leg *));
/* Reads what the socket has into the leg's buffer and, during the key
 * exchange, drives it.  1: go on; 0: the connection ended (l->link->eof);
 * -1: the session was closed. */
int		linkleg_pull(struct leg *);
/* The next whole record, opened into out (cap >= LK_REC_MAX). */
enum linkleg_next linkleg_next(struct leg *, uint8_t *out, size_t cap,
		    size_t *outlen);
/* Seals n bytes into records and sends them to l; -1 when the session
 * had to close.  (A batch goes through l->io->sendv: gathered into as
 * few records as fit, one write.) */
int		linkleg_send(struct leg *, const uint8_t *, size_t);
/* The hello is done (session_link.c): the key exchange's state, the
 * binding included, is wiped and freed. */
void		linkleg_settle(struct leg *);

/* The link listener, when the configuration has one. */
/* `accepted` takes each connection admitted (session_start_link): the
 * sessions are made above this file. */
typedef void	(*linkleg_accepted_fn)(struct dg_daemon *, int fd,
		    const struct sockaddr_storage *);
int		linkleg_listen(struct dg_daemon *, linkleg_accepted_fn);
/* At exit: the listener closes, and the pooled receive buffers are freed
 * (a leg closed after this frees its own). */
void		linkleg_listen_stop(struct dg_daemon *);

#endif
