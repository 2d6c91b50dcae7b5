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
 * session.c drives the handshake (the engine is handshake/hs_fsm.c) and
 * owns the lifecycle; relay.c moves and filters frames.  One way out:
 * session_close(s, reason).
 */
#ifndef SESSION_H
#define SESSION_H

#include <sys/socket.h>

#include "core/context.h"
#include "conf/conf.h"
#include "core/outq.h"
#include "core/stats.h"
#include "filter/dist_frame.h"
#include "filter/idset.h"
#include "filter/rules.h"
#include "handshake/hs_fsm.h"
#include "lookup.h"

/* What a leg sends us: its frames, as the relay splits them. */
struct relay_dir {
	struct df_dir	 df;
	uint8_t		*held;		/* an undecided frame's first bytes */
	size_t		 held_len;
	uint64_t	 skip_left;	/* rest of the current frame ... */
	int		 skip_forward;	/* ... to forward (1) or drop (0) */
	/* Payloads walked past their window (relay.c): one per fragment
	 * sequence at most, made on first use and kept for the next. */
	struct pwalk	*walks;		/* in progress */
	struct pwalk	*walk_free;	/* finished, ready for reuse */
	struct pwalk	*walk_cur;	/* the one whose frame is skipped */
	int		 walk_n;	/* made, in both lists */
};

/* Requests a node made whose replies the other side owes, remembered at
 * least (idset.h). */
#define SESSION_OWED	256

/* What protects a node of ours on this connection: its policy for the
 * other side, the requests it made, what it disclosed (relay.c). */
struct guard {
	struct rules_policy	 pol;
	struct idset		 owed;		/* requests it made, by key */
	struct idset		 disclosed;	/* pids and aliases it showed */
	struct idset		 synced;	/* global's sync Tags exchanged
						 * on this connection (guard.c) */
	struct idset		*published;	/* what it published through
						 * global (relay.c), lazily */
	struct atom_book	*atoms;		/* distinct atoms the other
						 * side sent it, when budgeted */
	/* What the other side makes it hold (guard.c held_*): monitors,
	 * links and open spawn requests, by key; and its ticks. */
	struct idset		 held;
	uint64_t		 nheld;
	int			 held_alerted;
	double			 tick_last;	/* last tick let through */
	double			 tick_window;	/* start of the current second */
	uint64_t		 tick_excess;	/* dropped in that second */
	uint64_t		 ticks_dropped;	/* in all */
	/* The seen table's entry noted last (relay.c note_seen) */
	struct seen_entry	*seen_last;
	/* filter.would_deny alerts past each key's first: per second */
	double			 audit_window;
	int			 audit_alerts;
	uint64_t		 audit_quiet;	/* not alerted in that second */
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
	int			 fd;
	ev_io			 rd, wr;
	int			 eof;		/* read side ended */
	struct outq		 q;		/* bytes towards it */
	struct outq		 inject;	/* deny answers for it, waiting
						 * for a frame boundary */
	struct relay_dir	 in;		/* what it sends */
	struct guard		*guard;		/* it is a node of ours: what
						 * the other leg sends is judged */
	struct linkleg		*link;		/* LEG_LINK: its crypto */
	/* Its node name, once the handshake gave it: the one copy logs,
	 * alerts, stats and rules use (a node name's size, as the
	 * engine's, so it is never cut). */
	char			 name[DG_MAX_NODE_BYTES + 1];
};

struct hs_io {
	struct hs_fsm	 fsm;
	uint8_t		 in[2][2 * (2 + DG_MAX_HS_MSG)];	/* per leg */
	size_t		 inlen[2];
	struct lookup	 lookup;	/* egress: the remote EPMD's answer */
};

struct session {
	struct dg_daemon	*d;
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
	int			 peer_ours;	/* egress to a node of this host:
						 * both legs are guarded */
	char			 link_host[256];	/* egress over a link:
						 * the host its {link} entry names */
	int			 local;		/* the remote is in
						 * registration_from: bans are
						 * per claimed node name */
	int			 quiet;		/* an ordinary end: log at debug */
	int			 pending;	/* counted in hs_pending (or,
						 * an accepted link, in
						 * link_pending) */
	int			 est_counted;	/* counted in est_sources */
	int			 peer_local;	/* the remote is a node
						 * registered here, from
						 * registration_from */
	int			 up;		/* relaying */
	int			 closed;
	uint64_t		 flags;		/* negotiated */
	struct hs_io		*hs;		/* while handshaking */
	struct stats_row	*row;		/* the node leg's: node = s->node */
	struct stats_row	*peer_row;	/* peer_ours: the dialled node's
						 * own row (inbound to it) */
	struct guard		 guards[2];	/* by leg role, where the leg is
						 * a node of ours */
};

/* Takes an accepted peer connection for node `alive` (at b_port). */
void	session_start(struct dg_daemon *, int fd, const struct sockaddr_storage *,
	    const char *alive, int b_family, uint16_t b_port);
/* Takes a connection another distguard host made to our link listener. */
void	session_start_link(struct dg_daemon *, int fd,
	    const struct sockaddr_storage *);
/* Takes a connection a node of ours made to the egress port of `target`. */
void	session_start_egress(struct dg_daemon *, int fd,
	    const struct sockaddr_storage *, const char *target);
void	session_close(struct session *, const char *reason);
/* "inbound" or "egress", for alerts and stats: who dialled, seen from
 * s->node. */
const char *session_direction(const struct session *);
/* The same seen from the node of ours that leg `l` leads to: for a
 * session between two nodes of this host, the dialled one (s->peer) sees
 * it as inbound. */
const char *session_leg_direction(const struct leg *);
/* The stats row of the node of ours that leg `l` leads to. */
struct stats_row *session_row(const struct leg *);

/* relay.c */
void	relay_start(struct session *, const uint8_t *early, size_t n);
void	relay_on_readable(struct leg *);
void	relay_on_writable(struct leg *);
void	relay_free(struct session *);

/* Queues bytes for a leg, writing what it takes at once. */
int	leg_send(struct leg *, const uint8_t *, size_t);

#endif
