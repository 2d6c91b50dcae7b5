/*
 * hs_fsm.h - the two-leg handshake engine (spec 2.4, 2.12), pure: bytes and
 * decisions in, bytes and events out.  No sockets, no timers, no config:
 * the glue (proxy/session.c) owns those and answers the engine's questions.
 *
 * The outside leg is the peer P, to which distguard is the acceptor; the
 * inside leg is the protected node B, to which distguard is the initiator.
 * (The reverse, B dialling out, reuses the same steps with the roles
 * swapped; it is not wired yet.)  Order, after spec 2.12:
 *
 *   P 'N' send_name          -> HS_EV_ADMIT: glue checks name, admission
 *                               (provisional: B's host is not known yet),
 *                               picks P's cookie, calls hs_fsm_admit
 *                            -> HS_EV_CONNECT_B: glue connects to B
 *   connected                -> B gets send_name (P's name and creation,
 *                               P's flags & supported)
 *   B status, B challenge    -> HS_EV_RESOLVE: B's real name is known; the
 *                               glue resolves the policy from the final
 *                               names and calls hs_fsm_resolved (with B's
 *                               cookie) or hs_fsm_refuse
 *   resolved                 -> P gets B's status and a challenge with the
 *                               common flags, B's name and creation, and a
 *                               fresh random challenge
 *   P 'r'                    -> verified in constant time with P's cookie;
 *                               only then B gets 'r' (B's cookie)
 *   B 'a'                    -> verified; P gets 'a'           -> HS_EV_UP
 *
 * B never sees a digest before P proved its cookie, and no byte of P's
 * reaches B except the name, flags and creation distguard chose to send.
 */
#ifndef HS_FSM_H
#define HS_FSM_H

#include <stdint.h>

#include "dg.h"
#include "hs_msg.h"

enum hs_state {
	HS_PEER_NAME,		/* waiting for P's send_name */
	HS_ADMIT,		/* waiting for the glue's admission decision */
	HS_B_CONNECTING,	/* waiting for the B leg to connect */
	HS_B_STATUS,		/* waiting for B's status */
	HS_PEER_ALIVE,		/* B said "alive": waiting for P's 's true|false' */
	HS_B_CHALLENGE,		/* waiting for B's challenge */
	HS_RESOLVE,		/* waiting for the glue's decision on B's
				 * real name */
	HS_PEER_REPLY,		/* waiting for P's challenge reply */
	HS_B_ACK,		/* waiting for B's challenge ack */
	HS_UP,			/* both legs up: hand over to the relay */
	HS_FAILED
};

enum hs_event {
	HS_EV_NONE,		/* need more bytes */
	HS_EV_ADMIT,		/* call hs_fsm_admit or hs_fsm_refuse */
	HS_EV_CONNECT_B,	/* open the B leg, then hs_fsm_b_connected */
	HS_EV_RESOLVE,		/* B named itself (b.name): call
				 * hs_fsm_resolved or hs_fsm_refuse */
	HS_EV_UP,		/* done: flags in `common` */
	HS_EV_FAIL		/* close both legs; see event, detail */
};

#define HS_OUT_MAX	(2 * (2 + DG_MAX_HS_MSG))

struct hs_fsm {
	enum hs_state		st;
	uint64_t		supported;	/* DFLAG_SUPPORTED minus withheld */
	uint64_t		withhold;	/* withheld by the configuration */
	uint64_t		require;	/* flags P must offer */
	char			b_alive[DG_MAX_ALIVE_BYTES + 1];

	struct hs_name_msg	peer;		/* P's send_name */
	uint64_t		peer_flags;	/* expanded */
	struct hs_challenge	b;		/* B's challenge */
	uint64_t		common;		/* what both legs settle on */
	char			b_status[16];	/* ok or ok_simultaneous */
	uint32_t		chal_peer;	/* our challenge to P */
	uint32_t		chal_b;		/* our challenge to B */
	uint8_t			peer_cookie[DG_COOKIE_MAX];
	size_t			peer_cookie_len;
	uint8_t			b_cookie[DG_COOKIE_MAX];
	size_t			b_cookie_len;

	/* Bytes to write; the glue drains them and resets the lengths. */
	uint8_t			out_peer[HS_OUT_MAX];
	size_t			out_peer_len;
	uint8_t			out_b[HS_OUT_MAX];
	size_t			out_b_len;

	/* After HS_EV_FAIL: the alert to raise (NULL: log only), a detail,
	 * and whether P is to blame (it counts towards a ban).  `ordinary`:
	 * an outcome the protocol itself produces (a simultaneous connect
	 * settled by nok, a side giving up its attempt): logged at debug
	 * level, never alerted, never counted.  For handshake.incompatible,
	 * the flags at issue and those of them the configuration withholds
	 * (the glue names the config line). */
	const char		*event;
	char			detail[256];
	int			peer_fault;
	int			ordinary;
	uint64_t		incompat;
	uint64_t		incompat_cfg;
};

void	hs_fsm_init(struct hs_fsm *, uint64_t withhold, uint64_t require,
	    const char *b_alive);
/* Consumes whole messages from P's bytes; *consumed tells how many. */
enum hs_event	hs_fsm_peer_input(struct hs_fsm *, const uint8_t *, size_t,
		    size_t *consumed);
/* Consumes whole messages from B's bytes.  After HS_EV_UP, the bytes past
 * *consumed are B's first frames: the relay's. */
enum hs_event	hs_fsm_b_input(struct hs_fsm *, const uint8_t *, size_t,
		    size_t *consumed);
/* Admits P with the cookie for its leg (copied; wiped later). */
enum hs_event	hs_fsm_admit(struct hs_fsm *, const uint8_t *peer_cookie,
		    size_t plen);
/* Goes on with B's real name admitted, with the cookie for B's leg
 * (chosen by that name; copied, wiped later). */
enum hs_event	hs_fsm_resolved(struct hs_fsm *, const uint8_t *b_cookie,
		    size_t blen);
/* Refuses P, at admission or at HS_RESOLVE: sends `status`
 * ("not_allowed", or NULL to close silently) when P is still owed one
 * (after B's "alive" P already has its status and is closed silently). */
enum hs_event	hs_fsm_refuse(struct hs_fsm *, const char *status,
		    const char *event, const char *detail);
enum hs_event	hs_fsm_b_connected(struct hs_fsm *);
/* A leg closed during the handshake; `partial` bytes of an unfinished
 * message from P were left unread.  The engine decides the blame: a peer
 * closing between messages is giving up (or lost a simultaneous connect),
 * one closing inside a message is malformed; a node closing is never the
 * peer's fault.  Always HS_EV_FAIL. */
enum hs_event	hs_fsm_peer_closed(struct hs_fsm *, size_t partial);
enum hs_event	hs_fsm_b_closed(struct hs_fsm *);
/* Wipes the cookies; call when the handshake ends either way. */
void		hs_fsm_wipe(struct hs_fsm *);
/* "waiting for the peer's send_name" etc., for timeout messages. */
const char	*hs_fsm_step(const struct hs_fsm *);
/* Was this challenge value issued by us recently (to anyone)? */
int		hs_fsm_issued(uint32_t challenge);

#endif
