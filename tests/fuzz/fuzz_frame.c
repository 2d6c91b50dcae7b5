/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_frame.c - a byte stream through df_peek / df_commit and, for every
 * message or first fragment, dist_ctl_decode: in header mode (with and
 * without FRAGMENTS) and in pass-through mode.  The first input byte picks
 * the mode, the limits and how the stream is cut into reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg_flags.h"
#include "dist_ctl.h"
#include "dist_frame.h"

/* Sequence tables for df_attach (dist_frame.h): one per df_dir name. */
static struct df_seq seq_table_d[DF_MAX_SEQS];

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
run(const uint8_t *buf, size_t size, uint64_t flags, int small, int step)
{
	struct df_dir d;
	struct df_frame f;
	struct dist_msg m;
	const char *why = NULL;
	size_t off = 0, avail;
	int rc;

	struct df_bounds b;
	uint64_t node = 0;

	df_init(&d, flags, small ? 4096 : 0, small ? 2 : 0, small ? 300 : 0);
	memset(seq_table_d, 0, sizeof(seq_table_d));
	df_attach(&d, seq_table_d);
	/* the reassembly bounds, tight enough for short inputs to reach */
	memset(&b, 0, sizeof(b));
	b.max_open = small ? 2000 : 0;
	b.node_open = &node;
	b.max_node_open = 5000;
	b.idle_ms = 50;
	df_bound(&d, &b);
	while (off < size) {
		/* what a reader would have buffered so far */
		avail = size - off;
		if (step && avail > (size_t)step)
			avail = (size_t)step;
		d.now_ms = off;		/* a clock that the input drives */
		rc = df_peek(&d, buf + off, avail, &f, &why);
		if (rc == DG_AGAIN) {
			if (avail == size - off)
				return;		/* stream ends mid-frame */
			/* the whole rest then */
			rc = df_peek(&d, buf + off, size - off, &f, &why);
			if (rc == DG_AGAIN)
				return;
		}
		if (rc == DG_EINVAL) {
			if (d.event == NULL || why == NULL)
				abort();
			return;
		}
		if (rc != 1)
			abort();
		if (f.terms_end != NULL &&
		    (f.terms_end > buf + size || f.terms > f.terms_end))
			abort();
		if (f.kind == DF_MSG || f.kind == DF_FRAG_FIRST)
			(void)dist_ctl_decode(f.terms, f.terms_end,
			    !d.header_mode, &m, &why);
		rc = df_commit(&d, &f, (f.len & 1) ? DF_DROP : DF_FORWARD,
		    &why);
		if (rc == DG_EINVAL)
			return;
		if (d.nseqs < 0 || d.nseqs > d.max_seqs)
			abort();
		/* what is counted is within the bounds, and the shared
		 * figure is this connection's alone here */
		if ((b.max_open && d.open_bytes > b.max_open) ||
		    node != d.open_bytes || node > b.max_node_open ||
		    (d.nseqs == 0 && d.open_bytes != 0))
			abort();
		if ((uint64_t)f.len + 4 > size - off)
			return;			/* frame longer than the input */
		off += 4 + (size_t)f.len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t modes[] = {
		DFLAG_FRAGMENTS, 0, DFLAG_FRAGMENTS | DFLAG_DIST_HDR_ATOM_CACHE,
		DFLAG_DIST_HDR_ATOM_CACHE
	};
	uint8_t *copy;
	int ctl;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	run(copy, size, modes[ctl & 3], (ctl >> 2) & 1, (ctl >> 3) * 7);
	free(copy);
	return 0;
}
