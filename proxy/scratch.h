/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scratch.h - the hot buffers of the proxy: where a read lands before its
 * frames are split (relay.c), where a link leg's records are opened into
 * and sealed from (linkleg.c), where a link's hello record is opened
 * during its handshake (session_link.c), and where the Erlang handshake's
 * messages are read and written (session_hs.c).
 *
 * One struct per daemon (struct dg_daemon's scratch, made where the daemon
 * starts), not a buffer per session: the daemon is one process with one
 * event loop and no threads, and every user below fills its buffer and is
 * done with it (written, queued or copied into a leg's own memory) before
 * it returns to the loop.  No two sessions can be inside one of them at
 * once, so sharing them is safe, and a session costs no buffer of this
 * size.  Nothing here survives a return to the loop, but for the pool of
 * free link receive buffers (linkleg.h), which holds no leg's bytes.
 */
#ifndef PROXY_SCRATCH_H
#define PROXY_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

#include "filter/dist_frame.h"
#include "filter/rewrite.h"
#include "filter/verdict.h"
#include "handshake/hs_leg.h"
#include "link/link_rec.h"

struct linkleg_inbuf;

/* One read from a leg's socket. */
#define RELAY_READ	(256 * 1024)
/* An undecided frame's first bytes, kept between reads: df_peek decides
 * any frame with DF_WINDOW of its bytes present. */
#define RELAY_HELD_MAX	(DF_WINDOW + 64)
/* Rewritten frames of one read, each at most REWRITE_MAX. */
#define RELAY_ARENA	(4 * REWRITE_MAX)
/* Undecided frames' first bytes held at once in the scratch's slots; more
 * than that are malloc'd while they wait. */
#define RELAY_HELD_SLOTS	64

/* Rewritten frames, one read's worth. */
struct relay_arena {
	uint8_t		 buf[RELAY_ARENA];
	size_t		 used;
	const uint8_t	*p;		/* the frame decide just built */
	size_t		 n;
};

struct dg_scratch {
	/* relay.c: the held bytes of the last read, then the new ones. */
	uint8_t		relay[RELAY_HELD_MAX + RELAY_READ];
	/* linkleg.c: sealed records waiting for one write, and the
	 * plaintext gathered for the next record. */
	uint8_t		seal[4 * LK_REC_SEAL_MAX];
	size_t		nsealed;
	uint8_t		plain[LK_REC_MAX];
	size_t		nplain;
	/* linkleg.c: free receive buffers, lent to link legs while they
	 * have records in flight (at most LINKLEG_POOL_KEEP kept). */
	struct linkleg_inbuf	*link_pool;
	size_t		link_pooled;
	int		link_pool_closed;
	/* session_link.c: one opened hello record. */
	uint8_t		hello[LK_REC_MAX];
	/* session_hs.c: a leg's handshake bytes, what it kept of an
	 * unfinished message and then the new ones, while the sequencer
	 * reads them (what stays unfinished goes back to the leg's own
	 * buffer first); and what the sequencer writes for each leg, sent
	 * (or queued) before the handshake returns to the loop. */
	uint8_t		hs_in[HS_IN_MAX];
	uint8_t		hs_out[2][HS_OUT_MAX];
	/* relay.c: the verdict's working memory (the atoms of the message
	 * being decided, the deny answer) for one frame at a time, and the
	 * frames the verdicts of one read rewrote, until they are written
	 * or queued. */
	struct vd_scratch	verdict;
	struct relay_arena	arena;
	/* relay.c: a leg's undecided frame's first bytes wait here between
	 * reads, in a slot taken when a read ends inside such a frame and
	 * given back when the frame is decided: a connection holds no
	 * buffer between frames.  Unlike the buffers above these outlive
	 * a return to the loop, each owned by one leg (struct relay_dir's
	 * `held`) until given back; the pages of slots never used are never
	 * touched.  Bit i of held_used: slot i is a leg's. */
	uint64_t		held_used;
	uint8_t			held[RELAY_HELD_SLOTS][RELAY_HELD_MAX];
};

#endif
