/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_hello.h - what two daemons say over an established link before a
 * connection's Erlang bytes: which node wants which, with the names,
 * flags and creations each daemon's own handshake with its local node
 * needs.  Pure, bounded; carried as one record (link_rec.h).
 *
 *   u8  type        1 connect (dialling daemon: `from` wants `to`)
 *                   2 accept  (answering daemon: `to` is there, its
 *                              flags and creation)
 *                   3 refuse  (status says why)
 *                   4 up      (each daemon, once its own node proved its
 *                              cookie: the dialling one after its
 *                              node's reply, the answering one after its
 *                              node's ack; names and flags as in the
 *                              connect or accept it follows)
 *   u8  version     1
 *   u8  status      0 for connect/accept; for refuse an LK_REFUSE_*
 *   u64 flags       the distribution flags of the node on the sender's side
 *   u32 creation    of that node
 *   u16 len, from   full node name alive@host of the node that dials
 *   u16 len, to     full node name of the node dialled (in accept: its
 *                   real name)
 *
 * Both names are checked as the handshake checks node names (UTF-8, at
 * most 255 characters) and must be alive@host with both parts non-empty.
 * Nothing may follow.
 *
 * The name binding rule: the daemon receiving a hello checks the name of
 * the node on the *sender's* side (`from` in a connect, `to` in an
 * accept) against the link's binding (lk_hello_check): x@hostA only over
 * a link authenticated as hostA, else link.name_not_bound.
 */
#ifndef LK_HELLO_H
#define LK_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"
#include "link_policy.h"

#define LK_HELLO_VERSION	1
#define LK_HELLO_FIXED		(3 + 8 + 4)
#define LK_HELLO_MAX		(LK_HELLO_FIXED + 2 * (2 + DG_MAX_NODE_BYTES))

enum lk_hello_type {
	LK_HELLO_CONNECT = 1,
	LK_HELLO_ACCEPT = 2,
	LK_HELLO_REFUSE = 3,
	LK_HELLO_UP = 4
};

enum lk_refuse {
	LK_REFUSE_NONE = 0,
	LK_REFUSE_NO_NODE = 1,		/* no such local node */
	LK_REFUSE_NOT_ALLOWED = 2,	/* the policy refuses the pair */
	LK_REFUSE_NOT_BOUND = 3,	/* the name is not the link's */
	LK_REFUSE_NOK = 4		/* the node answered nok: it is dialling
					 * the other one too and wins the
					 * tie-break (a simultaneous connect) */
};

struct lk_hello {
	enum lk_hello_type	type;
	uint8_t			status;
	uint64_t		flags;
	uint32_t		creation;
	struct dg_name		from;
	struct dg_name		to;
};

/* Its length, or DG_EINVAL (a name or a field out of range, out too
 * small). */
int	lk_hello_encode(const struct lk_hello *, uint8_t *out, size_t cap);
/* Parses exactly len bytes; 0, or DG_EINVAL with *why. */
int	lk_hello_decode(const uint8_t *p, size_t len, struct lk_hello *out,
	    const char **why);
/* The name on the sender's side, which the binding must cover. */
const char	*lk_hello_sender_node(const struct lk_hello *);
/* NULL, or LK_ALERT_NAME_NOT_BOUND with a detail. */
const char	*lk_hello_check(const struct lk_hello *,
		    const struct lk_binding *, char *detail, size_t dlen);

#endif
