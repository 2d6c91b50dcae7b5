/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_fsm.h - the sequencer of a mediated handshake: two legs (hs_leg.h),
 * each its own engine, ordered so that neither side learns anything the
 * other has not earned.  Pure: bytes and decisions in, bytes and events
 * out.  No sockets, no timers, no config: the glue (proxy/session_hs.c) owns
 * those and answers the sequencer's questions.
 *
 * Leg HS_ACC is the one that dialled distguard (distguard is its
 * acceptor), leg HS_INI the one distguard dials (distguard is its
 * initiator).  One of them is the remote party, whose faults are attacks
 * and count towards bans; the other is a node registered here:
 *
 *   HS_INBOUND  a peer P dials node B's listener: ACC = P (remote),
 *               INI = B, expected under its registered alive name;
 *   HS_EGRESS   node B dials its egress port for R: ACC = B, INI = R
 *               (remote), expected under the full name B asked for.
 *
 * The order is the same in both (spec 2.12), only the remote side moves:
 *
 *   ACC 'N' send_name     -> HS_EV_ADMIT: glue checks the name, decides
 *                            (provisionally), gives ACC's cookie
 *                            (hs_fsm_admit)           -> HS_EV_CONNECT
 *   connected             -> INI gets send_name (ACC's name and creation,
 *                            ACC's flags & supported)
 *   INI status, challenge -> HS_EV_RESOLVE: INI's name is known; the glue
 *                            resolves the policy from the final names and
 *                            gives INI's cookie (hs_fsm_resolved) or
 *                            refuses (hs_fsm_refuse)
 *   resolved              -> ACC gets INI's status and a challenge with
 *                            the common flags, INI's name and creation,
 *                            and a fresh random challenge
 *   ACC 'r'               -> verified in constant time with ACC's cookie;
 *                            only then INI gets 'r' (INI's cookie)
 *   INI 'a'               -> verified; ACC gets 'a'      -> HS_EV_UP
 *
 * INI never sees a digest before ACC proved its cookie, and no byte of
 * one leg reaches the other except the name, flags, creation and status
 * distguard chose to pass on.
 */
#ifndef HS_FSM_H
#define HS_FSM_H

#include <stdint.h>

#include "dg.h"
#include "hs_leg.h"

enum hs_order { HS_INBOUND, HS_EGRESS };

/* Legs, and "nobody" for whose turn / whose fault. */
#define HS_ACC		0
#define HS_INI		1
#define HS_NOBODY	(-1)

enum hs_state {
	HS_A_NAME,		/* waiting for ACC's send_name */
	HS_ADMIT,		/* waiting for the glue's admission decision */
	HS_I_CONNECTING,	/* waiting for the INI leg to connect */
	HS_I_STATUS,		/* waiting for INI's status */
	HS_A_ALIVE,		/* INI said "alive": waiting for ACC's answer */
	HS_I_CHALLENGE,		/* waiting for INI's challenge */
	HS_RESOLVE,		/* waiting for the glue's decision on INI's
				 * real name */
	HS_A_REPLY,		/* waiting for ACC's challenge reply */
	HS_I_ACK,		/* waiting for INI's challenge ack */
	HS_UP,			/* both legs up: hand over to the relay */
	HS_FAILED
};

enum hs_event {
	HS_EV_NONE,		/* need more bytes */
	HS_EV_ADMIT,		/* call hs_fsm_admit or hs_fsm_refuse */
	HS_EV_CONNECT,		/* open the INI leg, then hs_fsm_connected */
	HS_EV_RESOLVE,		/* INI named itself: hs_fsm_resolved or
				 * hs_fsm_refuse */
	HS_EV_UP,		/* done: flags in `common` */
	HS_EV_FAIL		/* close both legs; see hs_fsm_outcome */
};

/* How a handshake ended, after HS_EV_FAIL.  `event`: the alert to raise
 * (NULL: log only).  `blamed`: the leg at fault, or HS_NOBODY; only the
 * remote leg's faults count towards a ban (hs_fsm_peer_blamed).
 * `ordinary`: an outcome the protocol itself produces (a simultaneous
 * connect settled by nok, a side giving up its attempt): logged at debug
 * level, never alerted, never counted.  For handshake.incompatible, the
 * flags at issue and those of them the configuration withholds. */
struct hs_outcome {
	const char	*event;
	char		 detail[256];
	int		 blamed;
	int		 ordinary;
	uint64_t	 incompat;
	uint64_t	 incompat_cfg;
};

struct hs_fsm {
	enum hs_order		order;
	enum hs_state		st;
	int			remote;		/* HS_ACC or HS_INI */
	uint64_t		supported;	/* DFLAG_SUPPORTED minus withheld */
	uint64_t		withhold;	/* withheld by the configuration */
	uint64_t		require;	/* flags the remote must offer */
	/* The name INI must give: an alive name (B's registration: its
	 * host part is B's business) or a full name (the node asked for). */
	char			expect[DG_MAX_NODE_BYTES + 1];
	struct hs_leg		leg[2];
	uint64_t		common;		/* what both legs settle on */
	char			i_status[16];	/* ok or ok_simultaneous */
	/* ACC may ask for a dynamic name (NAME_ME): the glue allows it for
	 * local sources only (docs/HANDSHAKE.md, "Dynamic names"). */
	int			dynamic_ok;
	struct hs_outcome	out;
};

/* `recent`: the ring of challenges issued (hs_leg.h), the caller's. */
void	hs_fsm_init(struct hs_fsm *, enum hs_order, uint64_t withhold,
	    uint64_t require, const char *expect, struct hs_recent *recent);
/* Where each leg's output goes: buffers of HS_OUT_MAX bytes, the
 * caller's (set after hs_fsm_init; the glue drains them after every
 * call, so it may lend the same two to every handshake). */
void	hs_fsm_set_out(struct hs_fsm *, uint8_t *acc, uint8_t *ini);
/* Lets ACC ask for a dynamic name: distguard gives it one, never B
 * (set before any input). */
void	hs_fsm_allow_dynamic(struct hs_fsm *);
/* Consumes whole messages from one leg's bytes; *consumed tells how many.
 * After HS_EV_UP, INI's bytes past *consumed are its first frames. */
enum hs_event	hs_fsm_input(struct hs_fsm *, int leg, const uint8_t *, size_t,
		    size_t *consumed);
/* Admits ACC with the cookie for its leg (kept by reference until the
 * handshake ends or is wiped: it must outlive it). */
enum hs_event	hs_fsm_admit(struct hs_fsm *, const uint8_t *, size_t);
enum hs_event	hs_fsm_connected(struct hs_fsm *);
/* Goes on with INI's real name admitted, with the cookie for INI's leg. */
enum hs_event	hs_fsm_resolved(struct hs_fsm *, const uint8_t *, size_t);
/* Refuses, at admission or at HS_RESOLVE: sends `status` ("not_allowed",
 * or NULL to close silently) to ACC when it is still owed one, raises
 * `event` (NULL: none) and blames `blamed` (a leg or HS_NOBODY). */
enum hs_event	hs_fsm_refuse(struct hs_fsm *, const char *status,
		    const char *event, const char *detail, int blamed);
/* Ends the handshake as an ordinary outcome (debug log, no alert). */
enum hs_event	hs_fsm_drop(struct hs_fsm *, const char *detail);
/* A leg closed; `partial` bytes of an unfinished message of it were left
 * unread.  The sequencer decides the blame: the remote closing inside a
 * message is malformed, between messages it is giving up (as a node that
 * lost a simultaneous connect does); a node of ours closing is never an
 * attack.  Always HS_EV_FAIL. */
enum hs_event	hs_fsm_closed(struct hs_fsm *, int leg, size_t partial);
/* No progress for `secs`: the leg whose turn it was is blamed. */
enum hs_event	hs_fsm_timeout(struct hs_fsm *, double secs);
/* A leg sent more than a handshake message without one being whole. */
enum hs_event	hs_fsm_overflow(struct hs_fsm *, int leg);

/* Whose message the handshake waits for: a leg, or HS_NOBODY (the glue's
 * decision, a connect, or over). */
int		hs_fsm_turn(const struct hs_fsm *);
const struct hs_outcome	*hs_fsm_outcome(const struct hs_fsm *);
/* Is the remote leg to blame (a failure that counts towards a ban)? */
int		hs_fsm_peer_blamed(const struct hs_fsm *);
/* A leg's node name once it gave one (ACC: send_name, INI: challenge),
 * else NULL. */
const char	*hs_fsm_name(const struct hs_fsm *, int leg);
uint32_t	hs_fsm_creation(const struct hs_fsm *, int leg);
/* Wipes the cookies; call when the handshake ends either way. */
void		hs_fsm_wipe(struct hs_fsm *);
/* "waiting for the peer's send_name" etc., for timeout messages. */
const char	*hs_fsm_step(const struct hs_fsm *);

#endif
