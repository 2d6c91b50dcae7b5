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
/* The guarded node's atom book for the sender, made on first use. */
struct atom_book *atoms_of(struct leg *dst);
/* What a node of ours sends, noted: GUARD_HOLD or DF_FORWARD. */
int		 note_sent(struct leg *src, const struct dist_msg *,
		    const struct df_frame *, const uint8_t *frame_end);

#endif
