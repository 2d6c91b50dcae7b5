/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_term.c - term_scan on arbitrary bytes; what it accepts must also be
 * walkable by term_skip and term_next, and ei (which trusts its input) must stay inside
 * it: that is the claim that makes ei safe to call on a proven span.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ei.h>

#include "dg_etf.h"
#include "dg_wire.h"
#include "term.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * term_walk over every prefix that "has arrived" of the same bytes: it
 * reads nothing past the prefix (a fresh exact-size copy: ASan), and what
 * it proves is what term_scan proves on the whole.
 */
static void
walk_prefixes(const uint8_t *all, size_t size, int whole)
{
	const char *why = NULL;
	uint8_t *pre;
	size_t k, step = size > 64 ? size / 64 : 1;
	int n;

	for (k = 0; k <= size; k += step) {
		if ((pre = malloc(k ? k : 1)) == NULL)
			return;
		memcpy(pre, all, k);
		n = term_walk(pre, pre + k, pre + size, NULL, &why);
		/* what a prefix proves, the whole proves too, to the byte */
		if (n >= 0 && n != whole)
			abort();
		if (n == DG_EINVAL && why == NULL)
			abort();
		free(pre);
	}
}

/*
 * TV_ATOMS and tail_cut: every atom reported lies inside the bytes and is
 * an atom term whose text is there; the count is the same however the
 * bytes arrived; a tail cut is reported only where the term is cut.
 */
static const uint8_t	*atoms_lo, *atoms_hi;
static int		 atoms_n;

static void
on_atom(void *arg, const uint8_t *a)
{
	struct dg_span t;
	const uint8_t *q = a;

	(void)arg;
	if (a < atoms_lo || a >= atoms_hi || term_atom(&q, &t) == -1 ||
	    q > atoms_hi)
		abort();
	atoms_n++;
}

static void
walk_atoms(const uint8_t *p, size_t size, int whole)
{
	int cut = 0, n;
	struct term_visit v = { TV_ATOMS | TV_FUNS | TV_IDS, on_atom, NULL,
	    &cut };
	const char *why = NULL;

	atoms_lo = p;
	atoms_hi = p + size;
	atoms_n = 0;
	v.mask = TV_ATOMS;
	n = term_walk(p, p + size, p + size, &v, &why);
	if (n != whole || (cut && n != DG_AGAIN))
		abort();
}

/*
 * A claim on the list at p (its header's count), streamed in two chunks:
 * kept exactly when term_list_len finds a proper list of that length
 * (`len`, UINT32_MAX for improper); the walk then ends where the scan
 * did, else it refuses the term.
 */
static void
claim_agrees(const uint8_t *p, size_t whole, uint32_t len)
{
	static struct term_stream ts;
	uint32_t k = get_u32(p + 1);
	size_t cut = whole / 2, used = 0;
	int rc, keep = len == k;

	term_stream_init(&ts);
	if (term_stream_claim(&ts, 0, k) != 0)
		abort();
	rc = term_stream_feed(&ts, p, cut, NULL, &used);
	if (rc == TS_MORE)
		rc = term_stream_feed(&ts, p + cut, whole - cut, NULL, &used);
	else
		used = 0;
	if (keep && (rc != TS_DONE || cut + used != whole ||
	    !term_stream_claims_met(&ts)))
		abort();
	if (!keep && (rc != DG_EINVAL || term_stream_claims_met(&ts)))
		abort();
}

/*
 * term_list_len: never reads past the bytes; a proper list ends where a
 * scan of the whole term ends, and its length is at most the bytes (each
 * element takes one); TL_IMPROPER also ends at the term's end.
 */
static void
list_len(const uint8_t *p, size_t size, int whole)
{
	const uint8_t *after = NULL;
	const char *why = NULL;
	uint32_t n = 0;
	int flat = 0, rc;

	rc = term_list_len(p, p + size, &n, &flat, &after, &why);
	if (rc == DG_EINVAL && why == NULL)
		abort();
	if (rc == TL_PROPER || rc == TL_IMPROPER) {
		if (whole < 0 || after != p + whole)
			abort();
		if (rc == TL_PROPER && (size_t)n > size)
			abort();
	} else if (rc != DG_AGAIN && rc != DG_EINVAL)
		abort();
	if (whole > 0 && p[0] == T_LIST && (rc == TL_PROPER ||
	    rc == TL_IMPROPER))
		claim_agrees(p, (size_t)whole, rc == TL_PROPER ? n : UINT32_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	const uint8_t *p;
	uint8_t *copy;
	int n, idx = 0;

	/* exact-size copy: ASan catches any read past the end */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	n = term_scan(copy, copy + size, &why);
	if (n == DG_EINVAL && why == NULL)
		abort();
	if (n > (int)size || (n < 0 && n != DG_AGAIN && n != DG_EINVAL))
		abort();
	if (n > 0) {
		p = copy;
		if (term_skip(&p, copy + size) != 0 || p != copy + n)
			abort();
		/* the trusting walker ends exactly where the scanner did */
		if (term_next(copy) != copy + n)
			abort();
		/* ei may give up early on shapes it decodes more strictly
		 * (funs, floats), but it must never go past the span */
		if (ei_skip_term((const char *)copy, &idx) == 0 && idx > n)
			abort();
		/* a strict prefix never passes */
		if (term_scan(copy, copy + n - 1, &why) != DG_AGAIN &&
		    term_scan(copy, copy + n - 1, &why) != DG_EINVAL)
			abort();
	}
	walk_prefixes(copy, size, n);
	walk_atoms(copy, size, n);
	list_len(copy, size, n);
	free(copy);
	return 0;
}
