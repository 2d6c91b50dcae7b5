/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session.h - one mediated connection: two legs and the relay between
 * them.
 *
 * A leg is one socket and everything that goes with it: watchers, the
 * queue towards it, the frame state of what it sends, its end of file,
 * its role in the handshake (HS_ACC: it dialled us; HS_INI: we dialled
 * it), its kind and its node name.  The relay is direction-neutral:
 * frames read from one leg are judged by the guard of the leg they go
 * to, when that leg leads to a node of ours (its policy for the sender,
 * and what that node is owed and showed), and only decoded otherwise.
 *
 * What a leg does with its socket is in its operations (leg.h): plain
 * TCP or a link.  What a session does to shake hands is in its kind,
 * chosen once when it is made: inbound (session_hs.c), egress
 * (session_egress.c) or an accepted link (session_link.c).  session_hs.c
 * drives the handshake (the engine is handshake/hs_fsm.c); relay.c moves
 * and filters frames; session.c holds the one way out,
 * session_close(s, reason), and frees.
 */
#ifndef SESSION_H
#define SESSION_H

#include <sys/socket.h>

#include "core/context.h"
#include "conf/conf.h"
#include "core/outq.h"
#include "core/stats.h"
#include "filter/dist_frame.h"
#include "filter/guard.h"
#include "filter/idset.h"
#include "filter/rules.h"
#include "filter/verdict.h"
#include "handshake/hs_fsm.h"
#include "leg.h"
#include "lookup.h"

/* What a leg sends us: its frames, as the relay splits them. */
struct relay_dir {
	struct df_dir	 df;
	uint8_t		*held;		/* an undecided frame's first bytes */
	size_t		 held_len;
	uint64_t	 skip_left;	/* rest of the current frame ... */
	int		 skip_forward;	/* ... to forward (1) or drop (0) */
	/* The verdict's state across frames: payloads walked past their
	 * window (filter/verdict.h). */
	struct vd_dir	 vd;
};

enum leg_kind {
	LEG_REMOTE,		/* the party distguard protects against */
	LEG_NODE,		/* a node registered here */
	LEG_LINK		/* another distguard host, over an encrypted,
				 * authenticated link (linkleg.h): the remote
				 * node is behind it */
};

struct linkleg;

struct session;

struct leg {
	struct session		*s;
	struct leg		*other;
	int			 role;		/* HS_ACC or HS_INI */
	enum leg_kind		 kind;
	const char		*what;		/* "peer" or "node", in logs */
	const struct leg_io	*io;		/* its transport (leg.h) */
	const struct leg_hs	*hs;		/* its handshake (leg.h) */
	const struct leg_reasons *why;		/* its side's close reasons */
	int			 fd;
	ev_io			 rd, wr;
	int			 eof;		/* read side ended */
	struct outq		 q;		/* bytes towards it */
	struct outq		 inject;	/* deny answers for it, waiting
						 * for a frame boundary */
	struct relay_dir	 in;		/* what it sends */
	struct guard		*guard;		/* it is a node of ours: what
						 * the other leg sends is judged */
	struct linkleg		*link;		/* LEG_LINK: its crypto, for
						 * linkleg.c and session_link.c */
	/* Its node name, once the handshake gave it: the one copy logs,
	 * alerts, stats and rules use, never NULL ("" until known), set by
	 * session_leg_name with its exact length (never cut). */
	char			*name;
};

/*
 * What a session holds while it shakes hands, freed when the handshake
 * ends (session_hs_free): the sequencer, the bytes of a leg's message
 * not yet whole, and an egress session's EPMD lookup.  A leg's bytes are
 * read into the daemon's scratch (scratch.h) and handed to the sequencer
 * there; only an unfinished message's bytes are kept, in `in`, allocated
 * while there are some, so that a handshake waiting between messages
 * holds no buffer.  The sequencer writes into the scratch too
 * (hs_fsm_set_out): the glue sends it at once.
 */
struct hs_io {
	struct hs_fsm	 fsm;
	uint8_t		*in[2];		/* per leg: HS_IN_MAX, or NULL */
	size_t		 inlen[2];
	struct lookup	*lookup;	/* egress: the remote EPMD's answer */
};

/*
 * What a session does to shake hands, by who dialled whom: the sequencer
 * asks for admission, a connection to the other side and the resolution
 * of the policy, and each kind answers its own way.  Chosen once, when
 * the session is made.
 */
struct session_kind {
	const char	*direction;	/* "inbound" or "egress", seen from
					 * s->node: alerts, stats, metrics */
	int		 egress;	/* the stats row's direction */
	const char	*arrow;		/* in the "up" log line */
	const char	*unreachable;	/* the dialled leg's connect failed */
	/* The remote was asked for by a node of ours: its refusals blame
	 * nobody, and its name costs no atoms. */
	int		 remote_asked;
	/* Egress to a node of this host: both legs are guarded, and the
	 * dialled node has its own stats row. */
	int		 both_ours;
	/* Pending in the link listener's budget, not the handshakes'. */
	int		 link_budget;
	int		 peer_role;	/* the remote's leg: HS_ACC, unless a
					 * node of ours dialled (egress) */
	enum leg_kind	 dialler, dialled;	/* the legs' kinds */
	enum hs_event	(*admit)(struct session *);
	void		(*connect)(struct session *);
	enum hs_event	(*resolve)(struct session *);
};

enum session_state {
	SESSION_HANDSHAKE,	/* counted in hs_pending (or, an accepted
				 * link, in link_pending) */
	SESSION_UP,		/* relaying, counted in sessions */
	SESSION_CLOSED		/* its memory waits for the reaper */
};

struct session {
	struct dg_daemon	*d;
	const struct session_kind *kind;
	enum session_state	 state;
	struct dg_conf		*conf;		/* the one our policy came from */
	uint64_t		 id;
	struct leg		 leg[2];	/* [HS_ACC], [HS_INI] */
	struct leg		*peer, *node;	/* the remote leg, and ours */
	ev_timer		 timer;		/* handshake step timer */
	ev_idle			 reaper;	/* frees a closed session */
	struct sockaddr_storage	 peer_addr;	/* the remote's address */
	socklen_t		 peer_addrlen;
	char			 peertext[64];
	char			*alive;		/* B's registered name (malloc) */
	int			 b_family;	/* where the dialled leg is */
	uint16_t		 b_port;
	int			 egress;	/* a node of ours dialled out */
	char			*link_host;	/* egress over a link: the host
						 * its {link} entry names (malloc),
						 * else NULL */
	int			 local;		/* the remote is in
						 * registration_from: bans are
						 * per claimed node name */
	int			 quiet;		/* an ordinary end: log at debug */
	int			 est_counted;	/* counted in est_sources */
	int			 peer_local;	/* the remote is a node
						 * registered here, from
						 * registration_from */
	uint64_t		 flags;		/* negotiated */
	struct hs_io		*hs;		/* while handshaking */
	struct stats_row	*row;		/* the node leg's: node = s->node */
	struct stats_row	*peer_row;	/* both_ours: the dialled node's
						 * own row (inbound to it) */
	struct guard		*guards[2];	/* by leg role, where the leg is
						 * a node of ours (malloc, made
						 * by session_guard), else NULL */
	/* What the phase the session reached must release when it is
	 * freed: the relay's state, once relaying (relay_start). */
	void			(*teardown)(struct session *);
};

/* session.c */
void	session_close(struct session *, const char *reason);
/* The names logs, alerts and stats print: the peer's as its leg holds it
 * once admission read it (before that, the claim the engine parsed, if
 * any; else NULL), and the node's real name once the handshake gave it
 * (before that, the registered alive name). */
const char *session_peer_name(const struct session *);
const char *session_node_name(const struct session *);
/* Sets a leg's node name, a copy of its exact length; -1 when memory ran
 * out (the name is then unchanged). */
int	session_leg_name(struct leg *, const char *);
/* A new leg's name: "" (session_hs.c, when the leg is made). */
void	session_leg_noname(struct leg *);
/* The guard of the leg of role `role` (a node of ours), made on first
 * use; NULL when memory ran out. */
struct guard *session_guard(struct session *, int role);
/* Frees what the handshake held (s->hs), its cookies forgotten. */
void	session_hs_free(struct session *);
/* Gives back the pending count of a session leaving SESSION_HANDSHAKE. */
void	session_pending_end(struct session *);
/* "inbound" or "egress", for alerts and stats: who dialled, seen from
 * s->node. */
const char *session_direction(const struct session *);
/* The same seen from the node of ours that leg `l` leads to: for a
 * session between two nodes of this host, the dialled one (s->peer) sees
 * it as inbound. */
const char *session_leg_direction(const struct leg *);
/* The stats row of the node of ours that leg `l` leads to. */
struct stats_row *session_row(const struct leg *);

static inline const struct sockaddr *
peer_sa(const struct session *s)
{
	return (const struct sockaddr *)&s->peer_addr;
}

#endif
