/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard.h - a node's guard on one connection (guard.c): owed replies,
 * disclosures, what it published through global, its atom book.
 */
#ifndef GUARD_H
#define GUARD_H

#include "filter/dist_frame.h"
#include "session.h"

struct dist_msg;

/* note_sent's answer when the disclosure needs more of the frame. */
#define GUARD_HOLD	(-2)

void		 owed_add(struct guard *, struct dg_span key);
int		 owed_match(struct guard *, struct dg_span key, int consume);
/* A guarded leg's published set, looked up once per session. */
struct idset	*published_set(struct leg *);
/* What a local peer tells a node's global_name_server, in its own set. */
void		 peer_publishes(struct leg *src, const struct dist_msg *,
		    const struct df_frame *, const uint8_t *frame_end);
void		 book_release(struct guard *);
/* The keys of the atom budget's shares a session charges (nodes.h). */
void		 guard_share_keys(const struct session *, char *src,
		    size_t srclen, char *cookie, size_t cookielen);
/* The guarded node's atom book for the sender, made on first use. */
struct atom_book *atoms_of(struct leg *dst);
/* What a node of ours sends, noted: GUARD_HOLD or DF_FORWARD. */
int		 note_sent(struct leg *src, const struct dist_msg *,
		    const struct df_frame *, const uint8_t *frame_end);

/*
 * What a peer makes a node of ours hold (docs/FILTER.md 20): monitors,
 * links, spawn requests not answered yet.  held_charge enters what the
 * peer asks, in a message about to be forwarded, and frees what it
 * ends of its own; HELD_OK, HELD_ALERT (the alert threshold was just
 * crossed) or HELD_REFUSE (past the bound: the message must not pass).
 */
enum { HELD_OK, HELD_ALERT, HELD_REFUSE };
int		 held_charge(struct guard *, const struct dist_msg *,
		    int alert, int max);
/* What the node itself ends (its DOWN, exit, unlink, spawn reply). */
void		 held_release(struct guard *, const struct dist_msg *);
/* Ticks towards a node of ours: 1 to forward one now, 0 to drop it,
 * -1 when the excess of this second passed `flood`. */
int		 tick_pass(struct guard *, double now, int interval_ms,
		    int flood);

/* 1 when m is an exchange of global's sync whose Tag an exchange already
 * forwarded on this connection had (global_name_server exits on it); the
 * first of each Tag is recorded. */
int		 global_exchange_repeated(struct guard *, const struct dist_msg *);

#endif
