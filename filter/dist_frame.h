/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dist_frame.h - splits one direction of an established distribution
 * connection into frames (spec 4.1-4.6).  Pure: no I/O, no allocation; the
 * caller owns the bytes and a struct df_dir per direction.
 *
 * The caller (proxy/relay.c) streams: it asks df_peek for the next frame at
 * the start of its unread bytes, decides on it (filter/dist_ctl.c +
 * filter/rules.c), then forwards or drops exactly 4 + f.len bytes - possibly
 * across many reads - without looking at the rest of the frame again.
 */
#ifndef DIST_FRAME_H
#define DIST_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"

/*
 * Bytes of a frame that must be buffered before it can be decided: the
 * header, the control term and the start of the payload that a rule may
 * need (erpc/rex/net_kernel arguments).  ERTS's first fragment holds at
 * most 64 KiB of term data plus its header (spec 4.6); a control term
 * that does not fit in it is refused.
 */
#define DF_WINDOW	(65536 + 4096)
/* Open fragment sequences per direction, unless the config says fewer. */
#define DF_MAX_SEQS	64

enum df_kind {
	DF_TICK,		/* length 0 */
	DF_MSG,			/* 112 pass-through, or 131 68 */
	DF_FRAG_FIRST,		/* 131 69 */
	DF_FRAG_CONT		/* 131 70 */
};

enum df_verdict { DF_FORWARD, DF_DROP };

struct df_seq {
	uint64_t		id;
	uint64_t		next;		/* FragmentId expected next */
	uint64_t		bytes;		/* seen so far */
	uint64_t		last_ms;	/* df_dir.now_ms at its last fragment */
	uint64_t		cost;		/* counted for the receiver's set-up */
	enum df_verdict		verdict;
	int			used;
};

/*
 * Reassembly bounds (docs/FILTER.md 10): what the receiver buffers for
 * open sequences whose fragments go through.  ERTS keeps every fragment
 * of a message until its last one, so the bytes forwarded in open
 * sequences are bytes the receiving node holds.  0 in a field: none.
 */
struct df_bounds {
	uint64_t		max_open;	/* per connection and direction */
	uint64_t		*node_open;	/* shared by every connection to the
						 * same node, or NULL */
	uint64_t		max_node_open;
	uint64_t		idle_ms;	/* an open sequence without a
						 * fragment for longer: refused */
};

/* Per-direction state. */
struct df_dir {
	/* set by the caller from the negotiated flags, then left alone */
	int			header_mode;	/* DIST_HDR_ATOM_CACHE or FRAGMENTS */
	int			fragments;	/* FRAGMENTS negotiated */
	int			atom_cache;	/* DIST_HDR_ATOM_CACHE negotiated (we never do) */
	uint32_t		max_frame;	/* bound on a non-fragment frame */
	int			max_seqs;	/* <= DF_MAX_SEQS */
	uint64_t		max_seq_bytes;
	/* Set by a caller that can decide on fewer bytes (the relay): then
	 * df_peek hands over a frame as soon as its header is in, with
	 * `decidable` 0 until DF_WINDOW bytes or the whole frame are there.
	 * The caller tries the control decoder and holds the bytes only if
	 * the decoder needs more. */
	int			early;

	/* Open sequences: a table of max_seqs entries that the caller
	 * attaches (df_attach) when the first fragmented message arrives, so
	 * that idle connections carry none. */
	struct df_seq		*seqs;
	int			nseqs;		/* open */
	/* Set by the caller (df_bound), then kept by df_commit. */
	struct df_bounds	bounds;
	uint64_t		open_bytes;	/* forwarded in open sequences */
	/* The caller's clock, in ms, set before each df_peek: the idle
	 * deadline is checked on every frame, ticks included, so it holds
	 * within a tick interval of a connection that is alive at all. */
	uint64_t		now_ms;
	/* After DG_EINVAL: the alert event to raise, e.g.
	 * "filter.atom_cache_violation", "filter.malformed",
	 * "filter.fragment_violation", "filter.oversized". */
	const char		*event;
};

struct df_frame {
	enum df_kind		kind;
	uint32_t		len;		/* frame length, without the 4-byte prefix */
	uint64_t		seq, frag;	/* 69 and 70 */
	/* DF_MSG and DF_FRAG_FIRST: the terms after the header; the
	 * control term starts at `terms`.  In pass-through mode `terms`
	 * points at the control term's 131.  `terms_end` is the end of what
	 * is available, which is the end of the frame when `complete`. */
	const uint8_t		*terms;
	const uint8_t		*terms_end;
	int			complete;
	int			decidable;	/* complete, or DF_WINDOW bytes in */
	/* Bytes of the frame before its term data (112; 131 68 + cache
	 * header; 131 69 + ids + cache header; 131 70 + ids): what counts
	 * towards a sequence's byte cap is len - hdr_len. */
	uint32_t		hdr_len;
};

/* Bound on a frame when the caller passes max_frame 0 (conf default). */
#define DF_DEFAULT_MAX_FRAME	(64U << 20)
/* Bound on a sequence when the caller passes max_seq_bytes 0. */
#define DF_DEFAULT_SEQ_BYTES	(256ULL << 20)
/* What a receiving ERTS allocates per fragment a first fragment
 * announces, before any continuation arrives (OTP 25 was seen asking for
 * 40 bytes per fragment; rounded up). */
#define DF_FRAG_COST		64
/* Defaults of the reassembly bounds (docs/FILTER.md 10). */
#define DF_DEFAULT_OPEN		(256ULL << 20)	/* per connection */
#define DF_DEFAULT_NODE_OPEN	(512ULL << 20)	/* per node of ours */
#define DF_DEFAULT_IDLE_MS	60000ULL

/*
 * Initialises d for a connection with the negotiated flags.  max_frame
 * bounds every frame; with FRAGMENTS (and no atom cache) ERTS never sends
 * more than DF_WINDOW bytes in one frame, so that tighter bound applies
 * too.  max_seqs is clamped to 1..DF_MAX_SEQS (0: DF_MAX_SEQS); zeros take
 * the defaults above.
 */
void	df_init(struct df_dir *d, uint64_t flags, uint32_t max_frame,
	    int max_seqs, uint64_t max_seq_bytes);

/*
 * Bounds what the receiver holds for d's open sequences (struct
 * df_bounds).  Without a call, nothing but the per-sequence cap applies.
 */
void	df_bound(struct df_dir *d, const struct df_bounds *b);
/*
 * Gives back what d's open sequences counted towards the shared per-node
 * figure: the connection is gone, and the receiver freed them.
 */
void	df_release(struct df_dir *d);

/*
 * Gives d its sequence table (max_seqs zeroed entries, owned by the
 * caller).  Needed before df_commit of a DF_FRAG_FIRST with frag > 1:
 * df_needs_table says when.
 */
void	df_attach(struct df_dir *d, struct df_seq *table);
int	df_needs_table(const struct df_dir *d, const struct df_frame *f);

/*
 * Looks at the frame starting at buf[0].  Returns 1 and fills *f when the
 * frame can be decided: it is complete, or at least DF_WINDOW of its bytes
 * are present (DF_FRAG_CONT and DF_TICK need only their header).  Returns
 * DG_AGAIN when more bytes are needed, DG_EINVAL on a framing violation
 * (with *why and d->event set) after which the connection must close.
 * A continuation is checked against the open sequences here: an unknown
 * sequence or a FragmentId out of order is DG_EINVAL.
 */
int	df_peek(struct df_dir *d, const uint8_t *buf, size_t len,
	    struct df_frame *f, const char **why) DG_WUR;

/*
 * Records the decision on a frame df_peek returned, and returns the verdict
 * that applies to it: for DF_FRAG_FIRST it opens the sequence with
 * `verdict` (DG_EINVAL if too many are open, or the id is 0 or already
 * open); for DF_FRAG_CONT it ignores `verdict` and returns the one taken
 * on the first fragment, closing the sequence after the last fragment.
 * A fragment that goes through (DF_FORWARD) is counted against d's
 * bounds first: past one, DG_EINVAL with d->event "filter.reassembly".
 */
int	df_commit(struct df_dir *d, const struct df_frame *f,
	    enum df_verdict verdict, const char **why) DG_WUR;

#endif
