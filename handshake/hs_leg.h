/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_leg.h - one leg of a mediated handshake, as its own engine: distguard
 * is the acceptor of a leg that dialled it, the initiator of a leg it
 * dials.  Pure: messages in, messages out, a verdict on each; no sockets,
 * no timers, no knowledge of the other leg.  The sequencer (hs_fsm.c)
 * orders two legs and carries what one learns to the other.
 *
 *   acceptor:  their send_name -> our status -> our challenge ->
 *              their reply (checked) -> our ack
 *   initiator: our send_name -> their status -> their challenge ->
 *              our reply -> their ack (checked)
 *
 * Every step either succeeds (0) or fails (-1) with a stable alert name
 * (NULL: an ordinary refusal, log only) and a detail.  A leg's cookie and
 * challenges are its own: the digest it checks is over the challenge it
 * issued, the digest it sends over the one it was given.
 */
#ifndef HS_LEG_H
#define HS_LEG_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"
#include "hs_msg.h"

/* A dynamic-name request's host part: room left for the name given out
 * (hs_fsm.c) within hs_check_node_name's 255 characters. */
#define HS_DYN_HOST_MAX	128
#define HS_OUT_MAX	(2 * (2 + DG_MAX_HS_MSG))
/* The most of a leg's input the glue keeps before a message is whole:
 * one message of the largest size, its u16 length included. */
#define HS_IN_MAX	(2 + DG_MAX_HS_MSG)

enum hs_role { HS_ACCEPTOR, HS_INITIATOR };

/*
 * Challenges issued recently, to any peer or node.  A remote party whose
 * own challenge equals one of them is trying to make us compute a digest
 * over a challenge we issued: the reflection attack of spec 7.1.4.  The
 * ring is the caller's (one per daemon: struct dg_daemon's hs_recent),
 * shared by every leg it hands it to; zeroed, it is empty.
 */
#define HS_RECENT	1024
struct hs_recent {
	uint32_t	 c[HS_RECENT];
	unsigned	 head, n;
};

struct hs_leg_err {
	const char	*event;		/* alert name, or NULL */
	char		 detail[256];
};

struct hs_leg {
	enum hs_role	 role;
	const char	*label;		/* "peer" or "node", in details */
	int		 guard_reflection;	/* refuse to sign our own
					 * challenges (a remote leg) */
	struct hs_recent *recent;	/* where its challenges are noted */
	/* What the leg said of itself: an acceptor's send_name, an
	 * initiator's challenge (a leg has one role: one of them). */
	union {
		struct hs_name_msg	name;	/* acceptor */
		struct hs_challenge	chal;	/* initiator */
	};
	/* acceptor: it asked for a dynamic name (NAME_ME); name holds its
	 * host only until the sequencer assigns one (hs_fsm.c) */
	int		 dynamic;
	uint64_t	 flags;		/* what it offered, expanded */
	uint32_t	 mine;		/* the challenge we gave it */
	uint32_t	 theirs;	/* the challenge it gave us */
	/* The cookie its digests use: the caller's bytes, not a copy (the
	 * glue's come from the configuration its session holds, or from a
	 * link leg, both alive until the session is freed), so that a
	 * handshake carries no copy of a secret; NULL once wiped. */
	const uint8_t	*cookie;
	size_t		 cookie_len;
	/* Bytes for this leg, in the caller's buffer of HS_OUT_MAX
	 * (hs_fsm_set_out); the glue drains them and resets the length.
	 * Between two drains only one handshake writes there, so the glue
	 * can lend every handshake the same two buffers. */
	uint8_t		*out;
	size_t		 out_len;
};

void	hs_leg_init(struct hs_leg *, enum hs_role, const char *label,
	    int guard_reflection, struct hs_recent *);
/* The cookie this leg's digests use (kept by reference: it must outlive
 * the leg's handshake; forgotten by hs_leg_wipe). */
int	hs_leg_set_cookie(struct hs_leg *, const uint8_t *, size_t);
void	hs_leg_wipe(struct hs_leg *);

/* Acceptor. */
int	hs_acc_name(struct hs_leg *, const uint8_t *, size_t, struct hs_leg_err *);
void	hs_acc_status(struct hs_leg *, const char *text);
/* 's' "named:" with the name and creation the acceptor was given. */
void	hs_acc_status_named(struct hs_leg *);
void	hs_acc_challenge(struct hs_leg *, uint64_t flags, uint32_t creation,
	    const char *name, size_t len);
int	hs_acc_reply(struct hs_leg *, const uint8_t *, size_t, struct hs_leg_err *);
void	hs_acc_ack(struct hs_leg *);

/* Initiator. */
void	hs_ini_name(struct hs_leg *, uint64_t flags, uint32_t creation,
	    const char *name, size_t len);
/* Their status, into st (any well-formed status: the sequencer decides). */
int	hs_ini_status(struct hs_leg *, const uint8_t *, size_t,
	    struct hs_status *, struct hs_leg_err *);
/* Our answer to "alive" ("true" or "false"). */
void	hs_ini_answer(struct hs_leg *, const char *text);
int	hs_ini_challenge(struct hs_leg *, const uint8_t *, size_t,
	    struct hs_leg_err *);
void	hs_ini_reply(struct hs_leg *);
int	hs_ini_ack(struct hs_leg *, const uint8_t *, size_t, struct hs_leg_err *);

/* Was this challenge value issued by us recently (to anyone)? */
int	hs_issued(const struct hs_recent *, uint32_t challenge);

#endif
