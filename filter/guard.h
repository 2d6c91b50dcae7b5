/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard.h - a node's guard on one connection (guard.c): owed replies,
 * disclosures, what it published through global, its atom book.  The
 * per-connection state the verdict on a frame (verdict.h) reads and
 * moves; the table of nodes it reaches (nodes.h) is passed in.
 */
#ifndef GUARD_H
#define GUARD_H

#include <stdint.h>

#include "filter/dist_frame.h"
#include "filter/idset.h"
#include "filter/rewrite.h"
#include "filter/rules.h"

struct dist_msg;
struct dg_nodes;
struct seen_entry;

/* Requests a node made whose replies the other side owes, remembered at
 * least (idset.h). */
#define SESSION_OWED	256

/* What protects a node of ours on a connection: its policy for the
 * other side, the requests it made, what it disclosed. */
struct guard {
	struct rules_policy	 pol;
	/* Whom it protects, and from whom: the names of the connection's
	 * two sides (set when the relay starts; they live as long as the
	 * connection). */
	const char		*node;
	const char		*peer;
	/* The other side is a node registered here, dialling from
	 * registration_from: what it tells this node's global_name_server
	 * is published in its own set (guard_peer_publishes). */
	int			 peer_local;
	/* The keys of the atom budget's shares this connection charges
	 * (nodes.h): the remote's source address and its cookie. */
	char			 share_src[80];
	char			 share_cookie[80];
	struct idset		 owed;		/* requests it made, by key */
	struct idset		 disclosed;	/* pids and aliases it showed */
	struct idset		 synced;	/* global's sync Tags exchanged
						 * on this connection */
	struct idset		*published;	/* what it published through
						 * global, lazily */
	struct atom_book	*atoms;		/* distinct atoms the other
						 * side sent it, when budgeted */
	/* What the other side makes it hold (held_*): monitors, links and
	 * open spawn requests, by key; and its ticks. */
	struct idset		 held;
	uint64_t		 nheld;
	int			 held_alerted;
	double			 tick_last;	/* last tick let through */
	double			 tick_window;	/* start of the current second */
	uint64_t		 tick_excess;	/* dropped in that second */
	uint64_t		 ticks_dropped;	/* in all */
	/* The seen table's entry noted last (verdict.c) */
	struct seen_entry	*seen_last;
	/* filter.would_deny alerts past each key's first: per second */
	double			 audit_window;
	int			 audit_alerts;
	uint64_t		 audit_quiet;	/* not alerted in that second */
	/* The message handlers' spawns it was sent in the peer's name, whose
	 * SPAWN_REPLYs it owes nobody (docs/FILTER.md 26): made on the first
	 * handled message (guard_minted), so that the 20 KiB table costs only
	 * the connections a message handler serves. */
	struct rewrite_refs	*minted;
};

/* The guard's table of minted refs, made on first use; NULL when memory
 * ran out. */
struct rewrite_refs *guard_minted(struct guard *);

/* guard_note_sent's answer when the disclosure needs more of the frame. */
#define GUARD_HOLD	(-2)

/*
 * The guard's sets, empty, with their bounds: the requests its node made
 * (owed), global's sync Tags (synced), what the other side makes it hold
 * (held), and what it disclosed unless `disclosed_ready` (the relay took
 * the node's kept disclosures into it: nodes_take_disclosed).
 * guard_sets_free frees them and the atom book's reference, all but
 * `disclosed`: the caller keeps it for the next connection
 * (nodes_keep_disclosed) or frees it.
 */
void		 guard_sets_init(struct guard *, int disclosed_ready);
void		 guard_sets_free(struct guard *);
void		 guard_owed_add(struct guard *, struct dg_span key);
int		 guard_owed_match(struct guard *, struct dg_span key, int consume);
/* The guarded node's published set, looked up once per connection. */
struct idset	*guard_published_set(struct guard *, struct dg_nodes *);
/* What a local peer tells g's node's global_name_server, in its own
 * set (g judges what that peer sends). */
void		 guard_peer_publishes(struct guard *g, struct dg_nodes *,
		    const struct dist_msg *, const struct df_frame *,
		    const uint8_t *frame_end);
void		 guard_book_release(struct guard *);
/* The guarded node's atom book for the other side, made on first use;
 * NULL when memory ran out. */
struct atom_book *guard_atoms_of(struct guard *, struct dg_nodes *);
/* What the node of guard g sends, noted: GUARD_HOLD or DF_FORWARD. */
int		 guard_note_sent(struct guard *g, struct dg_nodes *,
		    const struct dist_msg *, const struct df_frame *,
		    const uint8_t *frame_end);

/*
 * What a peer makes a node of ours hold (docs/FILTER.md 20): monitors,
 * links, spawn requests not answered yet.  guard_held_charge enters what the
 * peer asks, in a message about to be forwarded, and frees what it
 * ends of its own; HELD_OK, HELD_ALERT (the alert threshold was just
 * crossed) or HELD_REFUSE (past the bound: the message must not pass).
 */
enum { HELD_OK, HELD_ALERT, HELD_REFUSE };
int		 guard_held_charge(struct guard *, const struct dist_msg *,
		    int alert, int max);
/* What the node itself ends (its DOWN, exit, unlink, spawn reply). */
void		 guard_held_release(struct guard *, const struct dist_msg *);
/* Ticks towards a node of ours: 1 to forward one now, 0 to drop it,
 * -1 when the excess of this second passed `flood`. */
int		 guard_tick_pass(struct guard *, double now, int interval_ms,
		    int flood);

/* 1 when m is an exchange of global's sync whose Tag an exchange already
 * forwarded on this connection had (global_name_server exits on it); the
 * first of each Tag is recorded. */
int		 guard_global_exchange_repeated(struct guard *, const struct dist_msg *);

#endif
