/*
 * session.h - one proxied connection: peer P <-> distguard <-> node B.
 *
 * A session owns both sockets, their watchers and queues, the handshake
 * engine while it runs (freed when both legs are up) and then the relay
 * state of each direction.  session.c drives the handshake; relay.c moves
 * and filters frames.  One way out: session_close(s, reason).
 */
#ifndef SESSION_H
#define SESSION_H

#include <sys/socket.h>

#include "dg_daemon.h"
#include "dg_outq.h"
#include "dg_stats.h"
#include "dist_frame.h"
#include "hs_fsm.h"
#include "idset.h"
#include "rules.h"


/* One direction of the relay. */
struct relay_dir {
	struct df_dir	 df;
	uint8_t		*held;		/* an undecided frame's first bytes */
	size_t		 held_len;
	uint64_t	 skip_left;	/* rest of the current frame ... */
	int		 skip_forward;	/* ... to forward (1) or drop (0) */
};

/* Requests B sent whose replies P owes, remembered at least (idset.h). */
#define SESSION_OWED	256

struct hs_io {
	struct hs_fsm	 fsm;
	uint8_t		 pin[2 * (2 + DG_MAX_HS_MSG)];
	size_t		 pinlen;
	uint8_t		 bin[2 * (2 + DG_MAX_HS_MSG)];
	size_t		 binlen;
};

struct session {
	struct dg_daemon	*d;
	struct dg_conf		*conf;		/* the one our policy came from */
	uint64_t		 id;
	int			 pfd, bfd;
	ev_io			 p_rd, p_wr, b_rd, b_wr;
	ev_timer		 timer;		/* handshake step timer */
	ev_idle			 reaper;	/* frees a closed session */
	struct sockaddr_storage	 peer;
	char			 peertext[64];
	char			*alive;		/* B's registered name (malloc) */
	int			 b_family;
	uint16_t		 b_port;
	/* P's name, once admission read it: the one copy logs, alerts,
	 * stats and rules use (hs_check_node_name admits <= 255 ASCII
	 * characters; the buffer is a node name's, as the engine's). */
	char			 peer_name[DG_MAX_NODE_BYTES + 1];
	char			*b_name;	/* B's real name, from its
						 * challenge on (malloc) */
	int			 local;		/* from registration_from: bans
						 * are per claimed node name */
	int			 quiet;		/* an ordinary end: log at debug */
	int			 pending;	/* counted in hs_pending */
	int			 peer_local;	/* P is a node registered here,
						 * from registration_from */
	int			 up;		/* relaying */
	int			 closed;
	int			 p_eof, b_eof;	/* read side ended */
	uint64_t		 flags;		/* negotiated */
	struct hs_io		*hs;		/* while handshaking */
	struct rules_policy	 pol;
	struct stats_row	*row;
	struct relay_dir	 to_b, to_p;
	struct outq		 q_p, q_b;	/* towards P, towards B */
	struct outq		 inject;	/* deny answers waiting for a frame
						 * boundary on the way to P */
	struct idset		 owed;		/* requests B made, by key */
	struct idset		 disclosed;	/* pids and aliases B showed P */
	struct idset		*published;	/* what B published through
						 * global (relay.c), lazily */
	struct atom_book	*atoms;		/* distinct atoms P sent B
						 * (relay.c), when budgeted */
};

/* Takes an accepted peer connection for node `alive` (at b_port). */
void	session_start(struct dg_daemon *, int fd, const struct sockaddr_storage *,
	    const char *alive, int b_family, uint16_t b_port);
void	session_close(struct session *, const char *reason);

/* relay.c */
void	relay_start(struct session *, const uint8_t *b_early, size_t n);
void	relay_on_readable(struct session *, int from_peer);
void	relay_on_writable(struct session *, int to_peer);
void	relay_free(struct session *);

/* Queue helpers shared by the handshake and the relay. */
int	outq_send(struct session *, int to_peer, const uint8_t *, size_t);

#endif
