/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dist_frame.c - frames of an established distribution connection, one
 * direction at a time (spec 4.1-4.6).
 *
 * Owns the per-direction framing state: the open fragment sequences and
 * the verdict taken on each.  Trusts only the flags the handshake
 * negotiated (set once in df_init); every length, count and id in the
 * bytes is the peer's and is checked before it is used.  No allocation:
 * sequences live in a fixed table in struct df_dir.
 */
#include <string.h>

#include "dg_flags.h"
#include "dg_wire.h"
#include "dist_frame.h"

#define DF_VERSION	131	/* first byte of a header-mode frame */
#define DF_PASS		112	/* first byte of a pass-through frame */
#define DF_HDR		68	/* 'D' normal header */
#define DF_FIRST	69	/* 'E' first fragment */
#define DF_CONT		70	/* 'F' continuation */

/* 131 69 SequenceId FragmentId N / 131 70 SequenceId FragmentId */
#define DF_FIRST_FIXED	(2 + 8 + 8 + 1)
#define DF_CONT_FIXED	(2 + 8 + 8)

static int
fail(struct df_dir *d, const char *event, const char **why, const char *msg)
{
	d->event = event;
	*why = msg;
	return DG_EINVAL;
}

void
df_init(struct df_dir *d, uint64_t flags, uint32_t max_frame, int max_seqs,
    uint64_t max_seq_bytes)
{
	memset(d, 0, sizeof(*d));
	d->atom_cache = (flags & DFLAG_DIST_HDR_ATOM_CACHE) != 0;
	d->fragments = (flags & DFLAG_FRAGMENTS) != 0;
	d->header_mode = d->atom_cache || d->fragments;	/* spec 4.2 */
	d->max_frame = max_frame ? max_frame : DF_DEFAULT_MAX_FRAME;
	/* No tighter bound with FRAGMENTS: OTP 25 was seen sending a 1.1 MB
	 * message as one frame with FRAGMENTS negotiated, so 64 KiB pieces
	 * (spec 4.6) are not a rule.  Large frames stream through once
	 * decided; max_frame bounds them. */
	if (max_seqs <= 0 || max_seqs > DF_MAX_SEQS)
		max_seqs = DF_MAX_SEQS;
	d->max_seqs = max_seqs;
	d->max_seq_bytes = max_seq_bytes ? max_seq_bytes : DF_DEFAULT_SEQ_BYTES;
}

void
df_bound(struct df_dir *d, const struct df_bounds *b)
{
	d->bounds = *b;
}

void
df_release(struct df_dir *d)
{
	if (d->bounds.node_open != NULL) {
		*d->bounds.node_open -= d->open_bytes <= *d->bounds.node_open ?
		    d->open_bytes : *d->bounds.node_open;
		d->bounds.node_open = NULL;
	}
	d->open_bytes = 0;
}

/*
 * n more bytes of open sequences go to the receiver: within the bounds?
 * Counted only then.  The per-node figure is shared: it is what the
 * receiving node holds for all its connections together.
 */
static int
open_add(struct df_dir *d, uint64_t n, const char **why)
{
	const struct df_bounds *b = &d->bounds;

	if (b->max_open && n > b->max_open - d->open_bytes)
		return fail(d, "filter.reassembly", why, "open fragment "
		    "sequences would hold more than the connection's bound");
	if (b->node_open != NULL && b->max_node_open &&
	    n > b->max_node_open - (*b->node_open < b->max_node_open ?
	    *b->node_open : b->max_node_open))
		return fail(d, "filter.reassembly", why, "open fragment "
		    "sequences would hold more than the node's bound");
	d->open_bytes += n;
	if (b->node_open != NULL)
		*b->node_open += n;
	return 0;
}

static void
open_sub(struct df_dir *d, uint64_t n)
{
	if (n > d->open_bytes)
		n = d->open_bytes;
	d->open_bytes -= n;
	if (d->bounds.node_open != NULL)
		*d->bounds.node_open -= n <= *d->bounds.node_open ? n :
		    *d->bounds.node_open;
}

/* An open sequence that got no fragment for longer than the idle bound:
 * its first bytes sit in the receiver for as long as the peer likes. */
static int
idle_check(struct df_dir *d, const char **why)
{
	int i;

	if (d->bounds.idle_ms == 0 || d->nseqs == 0 || d->seqs == NULL)
		return 0;
	for (i = 0; i < d->max_seqs; i++)
		if (d->seqs[i].used && d->now_ms > d->seqs[i].last_ms &&
		    d->now_ms - d->seqs[i].last_ms > d->bounds.idle_ms)
			return fail(d, "filter.reassembly", why, "fragment "
			    "sequence left open past the idle deadline");
	return 0;
}

static struct df_seq *
seq_find(struct df_dir *d, uint64_t id)
{
	int i;

	if (d->seqs == NULL)
		return NULL;
	for (i = 0; i < d->max_seqs; i++)
		if (d->seqs[i].used && d->seqs[i].id == id)
			return &d->seqs[i];
	return NULL;
}

void
df_attach(struct df_dir *d, struct df_seq *table)
{
	d->seqs = table;
}

int
df_needs_table(const struct df_dir *d, const struct df_frame *f)
{
	return f->kind == DF_FRAG_FIRST && f->frag > 1 && d->seqs == NULL;
}

/*
 * Length of the atom cache part of a 68/69 header at h (starting at N),
 * given `avail` bytes there: N, flag nibbles, entries (spec 4.4).  Only
 * reached when the atom cache was negotiated; distguard never does, but
 * the fixtures do.  Returns the length, DG_AGAIN or DG_EINVAL.
 */
static int
cache_hdr_len(const uint8_t *h, size_t avail)
{
	size_t n, i, off, flen, len;
	unsigned nib;
	int long_atoms;

	if (avail < 1)
		return DG_AGAIN;
	n = h[0];
	if (n == 0)
		return 1;
	flen = n / 2 + 1;
	if (avail < 1 + flen)
		return DG_AGAIN;
	long_atoms = ((n & 1) ? h[1 + n / 2] >> 4 : h[1 + n / 2]) & 1;
	off = 1 + flen;
	for (i = 0; i < n; i++) {
		nib = (i & 1) ? h[1 + i / 2] >> 4 : h[1 + i / 2] & 0x0f;
		if (avail - off < 1)
			return DG_AGAIN;
		off++;			/* InternalSegmentIndex */
		if (!(nib & 8))
			continue;	/* cached: no text */
		if (long_atoms) {
			if (avail - off < 2)
				return DG_AGAIN;
			len = get_u16(h + off);
			off += 2;
		} else {
			if (avail - off < 1)
				return DG_AGAIN;
			len = h[off];
			off += 1;
		}
		if (len > DG_MAX_ATOM_BYTES)
			return DG_EINVAL;
		if (avail - off < len)
			return DG_AGAIN;
		off += len;
	}
	return (int)off;
}

int
df_peek(struct df_dir *d, const uint8_t *buf, size_t len,
    struct df_frame *f, const char **why)
{
	struct df_frame fr;
	const struct df_seq *s = NULL;
	const uint8_t *b;
	uint32_t flen;
	size_t avail;
	int n;

	if (idle_check(d, why) < 0)
		return DG_EINVAL;
	if (len < 4)
		return DG_AGAIN;
	flen = get_u32(buf);
	memset(&fr, 0, sizeof(fr));
	fr.len = flen;
	if (flen == 0) {			/* tick (spec 4.1) */
		fr.kind = DF_TICK;
		fr.complete = 1;
		fr.decidable = 1;
		*f = fr;
		return 1;
	}
	/* Checked before anything waits for the frame: a 4 GiB length must
	 * not make the caller buffer. */
	if (flen > d->max_frame)
		return fail(d, "filter.oversized", why,
		    "frame longer than the limit");
	b = buf + 4;
	avail = len - 4 < flen ? len - 4 : flen;
	fr.complete = avail == flen;
	fr.terms_end = b + avail;
	if (avail < 1)
		return DG_AGAIN;

	if (!d->header_mode) {			/* spec 4.3 */
		if (b[0] != DF_PASS)
			return fail(d, "filter.malformed", why,
			    "pass-through frame does not start with 112");
		if (flen < 2)
			return fail(d, "filter.malformed", why,
			    "pass-through frame without a control term");
		fr.decidable = fr.complete || avail >= DF_WINDOW;
		if (!fr.decidable && !d->early)
			return DG_AGAIN;
		fr.kind = DF_MSG;
		fr.hdr_len = 1;
		fr.terms = b + 1;
		*f = fr;
		return 1;
	}

	if (b[0] != DF_VERSION)			/* spec 4.2 */
		return fail(d, "filter.malformed", why,
		    "frame does not start with 131");
	if (flen < 2)
		return fail(d, "filter.malformed", why,
		    "frame too short for a distribution header");
	if (avail < 2)
		return DG_AGAIN;
	switch (b[1]) {
	case DF_HDR:
		fr.kind = DF_MSG;
		fr.hdr_len = 2;
		if (flen < 3)
			return fail(d, "filter.malformed", why,
			    "frame too short for a distribution header");
		break;
	case DF_FIRST:
	case DF_CONT:
		if (!d->fragments)
			return fail(d, "filter.fragment_violation", why,
			    "fragment without FRAGMENTS negotiated");
		fr.kind = b[1] == DF_FIRST ? DF_FRAG_FIRST : DF_FRAG_CONT;
		fr.hdr_len = b[1] == DF_FIRST ? DF_FIRST_FIXED - 1 :
		    DF_CONT_FIXED;
		if (flen < fr.hdr_len + (b[1] == DF_FIRST))
			return fail(d, "filter.malformed", why,
			    "frame too short for a fragment header");
		if (avail < fr.hdr_len)
			return DG_AGAIN;
		fr.seq = get_u64(b + 2);
		fr.frag = get_u64(b + 10);
		/* A receiving ERTS takes SequenceId 0 for an unfragmented
		 * message (spec 4.6): refuse the ambiguity. */
		if (fr.seq == 0)
			return fail(d, "filter.fragment_violation", why,
			    "fragment with SequenceId 0");
		if (fr.frag == 0)
			return fail(d, "filter.fragment_violation", why,
			    "fragment with FragmentId 0");
		s = seq_find(d, fr.seq);
		break;
	default:
		return fail(d, "filter.malformed", why,
		    "unknown distribution header");
	}

	if (fr.kind == DF_FRAG_CONT) {
		if (s == NULL)
			return fail(d, "filter.fragment_violation", why,
			    "continuation of an unknown sequence");
		if (fr.frag != s->next)
			return fail(d, "filter.fragment_violation", why,
			    "FragmentId out of order");
		if (flen - fr.hdr_len > d->max_seq_bytes - s->bytes)
			return fail(d, "filter.oversized", why,
			    "fragmented message larger than the limit");
		fr.terms = b + fr.hdr_len;
		fr.decidable = 1;	/* decided with its first fragment */
		*f = fr;
		return 1;
	}
	if (fr.kind == DF_FRAG_FIRST) {
		if (s != NULL)
			return fail(d, "filter.fragment_violation", why,
			    "first fragment of a sequence already open");
		if (fr.frag > 1 && d->nseqs >= d->max_seqs)
			return fail(d, "filter.fragment_violation", why,
			    "too many open fragment sequences");
	}

	/* NumberOfAtomCacheRefs must be 0 unless the cache was negotiated:
	 * a ref would name an atom this filter never saw (spec 4.4, 4.9). */
	if (avail < (size_t)fr.hdr_len + 1)
		return DG_AGAIN;
	if (!d->atom_cache) {
		if (b[fr.hdr_len] != 0)
			return fail(d, "filter.atom_cache_violation", why,
			    "atom cache references without a negotiated cache");
		n = 1;
	} else {
		n = cache_hdr_len(b + fr.hdr_len, avail - fr.hdr_len);
		if (n == DG_EINVAL || (n == DG_AGAIN &&
		    (fr.complete || avail >= DF_WINDOW)))
			return fail(d, "filter.malformed", why,
			    "bad atom cache header");
		if (n == DG_AGAIN)
			return DG_AGAIN;
	}
	fr.hdr_len += (uint32_t)n;
	if (fr.kind == DF_FRAG_FIRST && fr.frag > 1 &&
	    flen - fr.hdr_len > d->max_seq_bytes)
		return fail(d, "filter.oversized", why,
		    "fragmented message larger than the limit");
	fr.decidable = fr.complete || avail >= DF_WINDOW;
	if (!fr.decidable && !d->early)
		return DG_AGAIN;
	fr.terms = b + fr.hdr_len;
	*f = fr;
	return 1;
}

int
df_commit(struct df_dir *d, const struct df_frame *f, enum df_verdict verdict,
    const char **why)
{
	struct df_seq *s;
	int i;

	switch (f->kind) {
	case DF_TICK:
	case DF_MSG:
		return verdict;
	case DF_FRAG_FIRST:
		if (f->seq == 0 || f->frag == 0)
			return fail(d, "filter.fragment_violation", why,
			    "fragment with a zero id");
		if (seq_find(d, f->seq) != NULL)
			return fail(d, "filter.fragment_violation", why,
			    "first fragment of a sequence already open");
		/* FragmentId 1: the whole message in one frame. */
		if (f->frag == 1)
			return verdict;
		if (d->nseqs >= d->max_seqs)
			return fail(d, "filter.fragment_violation", why,
			    "too many open fragment sequences");
		if (d->seqs == NULL)
			return fail(d, "filter.fragment_violation", why,
			    "no sequence table attached (df_attach)");
		for (i = 0; i < d->max_seqs && d->seqs[i].used; i++)
			;
		if (i == d->max_seqs)	/* nseqs < max_seqs */
			return fail(d, "filter.fragment_violation", why,
			    "too many open fragment sequences");
		/* Forwarded, its bytes stay in the receiver until the last
		 * fragment: the frame is counted whole, before any of it
		 * goes.  So is what the receiver sets up for the whole
		 * sequence at once, DF_FRAG_COST per fragment announced: a
		 * FragmentId of 2^40 alone made an OTP 25 node ask for
		 * 40 TiB and halt. */
		if (verdict == DF_FORWARD &&
		    open_add(d, (uint64_t)f->len - f->hdr_len +
		    f->frag * DF_FRAG_COST, why) < 0)
			return DG_EINVAL;
		s = &d->seqs[i];
		s->used = 1;
		s->id = f->seq;
		s->next = f->frag - 1;
		s->bytes = f->len - f->hdr_len;
		s->cost = f->frag * DF_FRAG_COST;
		s->last_ms = d->now_ms;
		s->verdict = verdict;
		d->nseqs++;
		return verdict;
	case DF_FRAG_CONT:
		/* df_peek checked all this; a caller that did not gets the
		 * same answer here rather than corrupt state. */
		if ((s = seq_find(d, f->seq)) == NULL)
			return fail(d, "filter.fragment_violation", why,
			    "continuation of an unknown sequence");
		if (f->frag != s->next)
			return fail(d, "filter.fragment_violation", why,
			    "FragmentId out of order");
		if (f->len - f->hdr_len > d->max_seq_bytes - s->bytes)
			return fail(d, "filter.oversized", why,
			    "fragmented message larger than the limit");
		if (s->verdict == DF_FORWARD && f->frag > 1 &&
		    open_add(d, (uint64_t)f->len - f->hdr_len, why) < 0)
			return DG_EINVAL;
		s->bytes += f->len - f->hdr_len;
		s->last_ms = d->now_ms;
		s->next--;
		verdict = s->verdict;
		if (f->frag == 1) {
			/* The receiver has the whole message now. */
			if (verdict == DF_FORWARD)
				open_sub(d, s->bytes - (f->len - f->hdr_len) +
				    s->cost);
			memset(s, 0, sizeof(*s));
			d->nseqs--;
		}
		return verdict;
	}
	return fail(d, "filter.malformed", why, "unknown frame kind");
}
