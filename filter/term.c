/* SPDX-License-Identifier: Apache-2.0 */
/*
 * term.c - a bounded, iterative scanner for the external term format, and
 * small accessors over what it has proven (spec 4.7, 6.4).
 *
 * Trusts nothing in [p, end): every tag is checked against the whitelist,
 * every length and count against the bytes that remain, before the scanner
 * moves or loops by it.  Nesting is tracked in a fixed array (no recursion),
 * so a hostile 100000-deep list costs TERM_MAX_DEPTH entries and is refused.
 * Because every element takes at least one byte, the work done is bounded by
 * end - p whatever the declared counts say.
 *
 * The accessors trust their input: they run only on bytes term_scan proved.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dg_etf.h"
#include "dg_wire.h"
#include "term.h"


/* A reference carries at most 5 words with V4_NC, 3 before (spec 4.7). */
#define TERM_MAX_REF_WORDS	5
/* NEW_FUN_EXT fixed part after Size: Arity, Uniq, Index, NumFree. */
#define TERM_FUN_FIXED		(1 + 16 + 4 + 4)

/* Bytes left, as a size_t: end >= q always holds inside the scanner. */
#define LEFT(q, end)	((size_t)((end) - (q)))

/*
 * The text of an atom that is not plain ASCII (or is longer than 255
 * bytes): 0 if ERTS would take it, DG_EINVAL with *why.
 */
static int
atom_text_slow(const uint8_t *t, size_t len, int utf8, const char **why)
{
	size_t i, nchars;

	if (utf8) {
		if (!dg_utf8_valid(t, len, &nchars)) {
			*why = "atom is not valid UTF-8";
			return DG_EINVAL;
		}
		if (nchars > DG_MAX_ALIVE_CHARS) {
			*why = "atom longer than 255 characters";
			return DG_EINVAL;
		}
		return 0;
	}
	/* Latin-1: a NUL would cut the name short wherever it is later
	 * used as a C string.  A byte above 127 is a character ERTS stores
	 * as two UTF-8 bytes: the atom's bytes would then not be its name
	 * as rules and budgets compare it (Latin-1 "\xC3\xA9" is 'Ã©', not
	 * 'é').  Every OTP since 23 sends UTF-8 atoms on the distribution,
	 * so such an atom is refused rather than translated. */
	for (i = 0; i < len; i++) {
		if (t[i] == 0) {
			*why = "atom contains NUL";
			return DG_EINVAL;
		}
		if (t[i] > 127) {
			*why = "Latin-1 atom with a character above 127";
			return DG_EINVAL;
		}
	}
	return 0;
}

/*
 * Scans one atom at q (tags 100 115 118 119 only; 82 is refused because
 * the atom cache is never negotiated).  Returns its size in bytes,
 * DG_AGAIN or DG_EINVAL.  Inline: every atom of every message passes
 * here, nearly all of them ASCII, which needs no more than the word
 * check (atom_text_slow has the rest).
 */
static inline __attribute__((always_inline)) int
scan_atom(const uint8_t *q, const uint8_t *end, const char **why)
{
	size_t hdr, len;
	int utf8;

	if (q >= end)
		return DG_AGAIN;
	switch (q[0]) {
	case T_ATOM:
	case T_ATOM_UTF8:
		if (LEFT(q, end) < 3)
			return DG_AGAIN;
		hdr = 3;
		len = get_u16(q + 1);
		utf8 = q[0] == T_ATOM_UTF8;
		break;
	case T_SMALL_ATOM:
	case T_SMALL_ATOM_UTF8:
		if (LEFT(q, end) < 2)
			return DG_AGAIN;
		hdr = 2;
		len = q[1];
		utf8 = q[0] == T_SMALL_ATOM_UTF8;
		break;
	case T_ATOM_CACHE:
		*why = "atom cache reference without a negotiated atom cache";
		return DG_EINVAL;
	default:
		*why = "atom expected";
		return DG_EINVAL;
	}
	/* 255 characters: at most 255 Latin-1 bytes, 1020 UTF-8 bytes.
	 * Checked before waiting for the text, so a huge length fails now. */
	if (len > (utf8 ? DG_MAX_ATOM_BYTES : DG_MAX_ALIVE_CHARS)) {
		*why = "atom longer than 255 characters";
		return DG_EINVAL;
	}
	if (LEFT(q, end) - hdr < len)
		return DG_AGAIN;
	/* ASCII without NUL is valid either way, one character a byte. */
	if ((len <= DG_MAX_ALIVE_CHARS && dg_ascii_prefix(q + hdr, len) == len) ||
	    atom_text_slow(q + hdr, len, utf8, why) == 0)
		return (int)(hdr + len);
	return DG_EINVAL;
}

/*
 * FLOAT_EXT: 31 bytes of "%.20e" text, NUL-padded.  ei parses it with
 * sscanf (spec 6.4) and gives up silently on text it cannot read, so only
 * a NUL-terminated, finite number that strtod consumes whole passes.
 */
static int
float_text_ok(const uint8_t *t)
{
	const uint8_t *nul = memchr(t, 0, 31);
	char *e;
	double v;

	if (nul == NULL || nul == t)
		return 0;
	v = strtod((const char *)t, &e);
	return (const uint8_t *)e == nul && isfinite(v);
}

/* Scans a node atom followed by `tail` fixed bytes (pids, ports, refs).
 * Inline with scan_atom: a pid or a reference is in nearly every message. */
static inline __attribute__((always_inline)) int
scan_node_tail(const uint8_t *q, const uint8_t *end, size_t tail,
    const char **why)
{
	int n;

	if ((n = scan_atom(q, end, why)) < 0)
		return n;
	if (LEFT(q, end) - (size_t)n < tail)
		return DG_AGAIN;
	return n + (int)tail;
}

/* What running out of bytes means: DG_AGAIN at the real end, DG_EINVAL
 * at the end of a fun whose Size said all of it was present. */
static int
cut_at(int cut, const char **why)
{
	if (cut == DG_EINVAL)
		*why = "fun contents overrun its size";
	return cut;
}

struct level {
	uint64_t	 left;		/* terms still to scan at this level */
	const uint8_t	*lim;		/* end of the bytes this level may use */
	const uint8_t	*rlim;		/* ... and may read: min(lim, avail) */
	int		 cut;		/* running past lim: DG_AGAIN, or
					 * DG_EINVAL inside a fun */
	int		 fun;		/* NEW_FUN_EXT: must end exactly at lim */
};

int
term_scan(const uint8_t *p, const uint8_t *end, const char **why)
{
	return term_walk(p, end, end, NULL, why);
}

int
term_scan_atom(const uint8_t *p, const uint8_t *end, const char **why)
{
	if (p == NULL || end < p)
		return DG_AGAIN;
	return scan_atom(p, end, why);
}

/* The atom after an atom at a (proven). */
static const uint8_t	*next_atom(const uint8_t *a);

/*
 * What a visitor may want of each tag: its own kind (TV_FUNS, TV_ATOMS,
 * TV_IDS), and TV_ATOMS for the atoms a pid, port, reference, export or
 * fun holds inside (node, module, function).  One lookup per term, so
 * that the terms nobody asked for (tuples, lists, integers, binaries:
 * most of them) cost no call.
 */
/* The tag is an atom itself (not one that holds atoms, as a port does). */
#define TAG_IS_ATOM	0x80
static const uint8_t tag_visits[256] = {
	[T_NEW_FUN] = TV_FUNS | TV_ATOMS,
	[T_EXPORT] = TV_FUNS | TV_ATOMS,
	[T_ATOM] = TV_ATOMS | TAG_IS_ATOM,
	[T_SMALL_ATOM] = TV_ATOMS | TAG_IS_ATOM,
	[T_ATOM_UTF8] = TV_ATOMS | TAG_IS_ATOM,
	[T_SMALL_ATOM_UTF8] = TV_ATOMS | TAG_IS_ATOM,
	[T_NEW_PID] = TV_IDS | TV_ATOMS,
	[T_PID] = TV_IDS | TV_ATOMS,
	[T_NEWER_REF] = TV_IDS | TV_ATOMS,
	[T_NEW_REF] = TV_IDS | TV_ATOMS,
	[T_REF] = TV_IDS | TV_ATOMS,
	[T_NEW_PORT] = TV_ATOMS,
	[T_PORT] = TV_ATOMS,
	[T_V4_PORT] = TV_ATOMS,
};

/* The kind a tag is itself, as term.h's TV_* name it (0: none). */
static unsigned
tag_kind(uint8_t tag)
{
	switch (tag) {
	case T_NEW_FUN:
	case T_EXPORT:
		return TV_FUNS;
	case T_ATOM:
	case T_SMALL_ATOM:
	case T_ATOM_UTF8:
	case T_SMALL_ATOM_UTF8:
		return TV_ATOMS;
	case T_NEW_PID:
	case T_PID:
	case T_NEWER_REF:
	case T_NEW_REF:
	case T_REF:
		return TV_IDS;
	default:
		return 0;
	}
}

/* One atom (its tag byte, proven). */
static void
visit_atom(const struct term_visit *v, const uint8_t *a)
{
	v->fn(v->arg, a);
}

/* The atoms a proven pid, port, reference, export or fun holds inside. */
static void
inner_atoms(const struct term_visit *v, uint8_t tag, const uint8_t *q)
{
	switch (tag) {
	case T_NEW_PID:
	case T_PID:
	case T_NEW_PORT:
	case T_PORT:
	case T_V4_PORT:
	case T_REF:
		visit_atom(v, q + 1);
		break;
	case T_NEWER_REF:
	case T_NEW_REF:
		visit_atom(v, q + 3);
		break;
	case T_EXPORT:
		visit_atom(v, q + 1);
		visit_atom(v, next_atom(q + 1));
		break;
	case T_NEW_FUN:
		visit_atom(v, q + 5 + TERM_FUN_FIXED);
		break;
	default:
		break;
	}
}

/*
 * Tells the visitor about a proven term at t, if it asked for its tag:
 * the atoms inside first, then the term itself.  Callers test
 * tag_visits[tag] & v->mask first (visit_wanted), which most terms fail.
 */
static inline void
visit(const struct term_visit *v, uint8_t tag, const uint8_t *t)
{
	unsigned kind;

	/* An atom: the budget's, the one visit of nearly every term. */
	if (tag_visits[tag] & TAG_IS_ATOM) {
		visit_atom(v, t);
		return;
	}
	kind = tag_kind(tag);
	if ((v->mask & TV_ATOMS) && kind != TV_ATOMS)
		inner_atoms(v, tag, t);
	if (v->mask & kind)
		v->fn(v->arg, t);
}

static int
visit_wanted(const struct term_visit *v, uint8_t tag)
{
	return v != NULL && (v->mask & tag_visits[tag]) != 0;
}

/* Nothing is left to scan at any level, the current one (cur) or those
 * below it (st[0..sp)): the term ends with this leaf. */
static int
last_leaf(const struct level *st, int sp, const struct level *cur)
{
	int i;

	if (cur->left != 0)
		return 0;
	for (i = 0; i < sp; i++)
		if (st[i].left != 0)
			return 0;
	return 1;
}

int
term_walk(const uint8_t *p, const uint8_t *avail, const uint8_t *end,
    const struct term_visit *v, const char **why)
{
	/* The level being scanned is in cur (registers, in the loop that
	 * every term takes); st[0..sp) are the levels below it. */
	struct level st[TERM_MAX_DEPTH], cur;
	const uint8_t *q = p, *lim, *rlim, *fun_end;
	uint64_t count;
	size_t left, fixed, words, body;
	int sp = 0, n, cut;
	uint8_t tag;

	if (p == NULL || end < p || avail < p)
		return DG_AGAIN;
	/* A term larger than INT_MAX cannot be returned as a length. */
	if (LEFT(p, end) > INT32_MAX)
		end = p + INT32_MAX;
	if (avail > end)
		avail = end;

	cur.left = 1;
	cur.lim = end;
	cur.rlim = avail;
	cur.cut = DG_AGAIN;
	cur.fun = 0;
	for (;;) {
		/* Close finished levels; a fun must end where Size said. */
		while (cur.left == 0) {
			if (cur.fun && q != cur.lim) {
				*why = "fun size does not match its contents";
				return DG_EINVAL;
			}
			if (sp == 0)
				return (int)(q - p);
			cur = st[--sp];
		}
		cur.left--;

		/*
		 * Running out of bytes means "wait for more", except inside a
		 * fun: its Size is known and all of it is present, so a
		 * subterm that does not fit is malformed.
		 */
		lim = cur.lim;
		cut = cur.cut;
		/* What may be read: a leaf's body (binary, string, bignum)
		 * may lie beyond `avail` as long as it ends by `lim`, since
		 * nothing in it is ever looked at. */
		rlim = cur.rlim;
#define NEED(x)	do { if (left < (x)) return rlim < lim ? DG_AGAIN :	\
	cut_at(cut, why); } while (0)
#define SUB(call) do {							\
	if ((n = (call)) < 0)						\
		return n == DG_AGAIN ? (rlim < lim ? DG_AGAIN :		\
		    cut_at(cut, why)) : n;				\
} while (0)
/* A leaf whose body of `len` bytes is skipped unread: it must end by lim.
 * Cut at the real end with nothing after it, it is a tail cut (term.h). */
#define BODY(len) do {							\
	body = (len);							\
	if (left < fixed)						\
		return rlim < lim ? DG_AGAIN : cut_at(cut, why);	\
	if (LEFT(q, lim) - 1 - fixed < body) {				\
		if (cut == DG_AGAIN && v != NULL &&			\
		    v->tail_cut != NULL && last_leaf(st, sp, &cur))		\
			*v->tail_cut = 1;				\
		return cut_at(cut, why);				\
	}								\
	q += 1 + fixed + body;						\
	goto next;							\
} while (0)
		if (q >= rlim)
			return q >= lim ? cut_at(cut, why) : DG_AGAIN;
		tag = q[0];
		left = LEFT(q, rlim) - 1;	/* readable after the tag */
		count = 0;			/* subterms to push */
		fun_end = NULL;
		fixed = 0;			/* bytes to skip after the tag */

		switch (tag) {
		case T_NEW_FLOAT:
			fixed = 8;
			break;
		case T_SMALL_INT:
			fixed = 1;
			break;
		case T_INT:
			fixed = 4;
			break;
		case T_FLOAT:
			/* Legacy float text, NUL-padded: ei parses it with
			 * sscanf (spec 6.4), so a NUL must stop it inside. */
			NEED(31);
			if (!float_text_ok(q + 1)) {
				*why = "FLOAT_EXT text is not a float";
				return DG_EINVAL;
			}
			fixed = 31;
			break;
		case T_BIT_BINARY:
			NEED(5);
			/* Bits is 1..8, and 0 exactly when Len is 0 (as
			 * ERTS and ei decode it) */
			if (q[5] > 8 || (q[5] == 0) != (get_u32(q + 1) == 0)) {
				*why = "bit binary with bad bit count";
				return DG_EINVAL;
			}
			fixed = 5;
			BODY((size_t)get_u32(q + 1));
		case T_BINARY:
			NEED(4);
			fixed = 4;
			BODY((size_t)get_u32(q + 1));
		case T_STRING:
			NEED(2);
			fixed = 2;
			BODY((size_t)get_u16(q + 1));
		case T_SMALL_BIG:
			NEED(2);
			fixed = 2;
			BODY((size_t)q[1]);
		case T_LARGE_BIG:
			NEED(5);
			fixed = 5;
			BODY((size_t)get_u32(q + 1));
		case T_NIL:
			break;
		case T_ATOM:
		case T_SMALL_ATOM:
		case T_ATOM_UTF8:
		case T_SMALL_ATOM_UTF8:
			SUB(scan_atom(q, rlim, why));
			fixed = (size_t)n - 1;
			break;
		case T_NEW_PID:		/* ID, Serial, Creation */
		case T_V4_PORT:		/* u64 ID, Creation */
			SUB(scan_node_tail(q + 1, rlim, 12, why));
			fixed = (size_t)n;
			break;
		case T_PID:		/* ID, Serial, u8 Creation */
			SUB(scan_node_tail(q + 1, rlim, 9, why));
			fixed = (size_t)n;
			break;
		case T_NEW_PORT:	/* ID, Creation */
			SUB(scan_node_tail(q + 1, rlim, 8, why));
			fixed = (size_t)n;
			break;
		case T_REF:
		case T_PORT:		/* ID, u8 Creation */
			SUB(scan_node_tail(q + 1, rlim, 5, why));
			fixed = (size_t)n;
			break;
		case T_NEWER_REF:	/* Len, node, Creation, Len words */
		case T_NEW_REF:		/* Len, node, u8 Creation, Len words */
			NEED(2);
			words = get_u16(q + 1);
			if (words == 0 || words > TERM_MAX_REF_WORDS) {
				*why = "reference with a bad length";
				return DG_EINVAL;
			}
			SUB(scan_node_tail(q + 3, rlim, (tag == T_NEWER_REF ?
			    4 : 1) + 4 * words, why));
			fixed = 2 + (size_t)n;
			break;
		case T_EXPORT:		/* module, function, small arity */
			SUB(scan_atom(q + 1, rlim, why));
			fixed = (size_t)n;
			SUB(scan_atom(q + 1 + fixed, rlim, why));
			fixed += (size_t)n;
			NEED(fixed + 1);
			if (q[1 + fixed] != T_SMALL_INT) {
				*why = "export arity is not a small integer";
				return DG_EINVAL;
			}
			fixed += 2;
			break;
		case T_SMALL_TUPLE:
			NEED(1);
			count = q[1];
			fixed = 1;
			break;
		case T_LARGE_TUPLE:
			NEED(4);
			count = get_u32(q + 1);
			fixed = 4;
			break;
		case T_LIST:		/* Len elements, then the tail */
			NEED(4);
			count = (uint64_t)get_u32(q + 1) + 1;
			fixed = 4;
			break;
		case T_MAP:
			NEED(4);
			count = 2 * (uint64_t)get_u32(q + 1);
			fixed = 4;
			break;
		case T_NEW_FUN:
			/* Size counts from itself to the end of the term. */
			NEED(4);
			if (get_u32(q + 1) < 4 + TERM_FUN_FIXED) {
				*why = "fun size too small";
				return DG_EINVAL;
			}
			NEED(get_u32(q + 1));
			fun_end = q + 1 + get_u32(q + 1);
			/* NumFree free variables after module, OldIndex,
			 * OldUniq and the creator pid. */
			count = (uint64_t)get_u32(q + 4 + TERM_FUN_FIXED - 3) + 3;
			if ((n = scan_atom(q + 5 + TERM_FUN_FIXED, fun_end,
			    why)) < 0) {
				if (n == DG_AGAIN)
					*why = "fun contents overrun its size";
				return DG_EINVAL;
			}
			fixed = 4 + TERM_FUN_FIXED + (size_t)n;
			break;
		case T_COMPRESSED:
			*why = "compressed term on the distribution path";
			return DG_EINVAL;
		case T_ATOM_CACHE:
			*why = "atom cache reference without a negotiated atom cache";
			return DG_EINVAL;
		case T_FUN:
			*why = "removed FUN_EXT term";
			return DG_EINVAL;
		case T_LOCAL:
			*why = "LOCAL_EXT term on the wire";
			return DG_EINVAL;
		default:
			*why = "unknown term tag";
			return DG_EINVAL;
		}
#undef NEED
#undef SUB
#undef BODY
		if (left < fixed)
			return rlim < lim ? DG_AGAIN : cut_at(cut, why);
		if (visit_wanted(v, tag))
			visit(v, tag, q);
		q += 1 + fixed;
		if (count == 0)
			continue;
		if (fun_end != NULL) {
			if (count > LEFT(q, fun_end)) {
				*why = "fun free variables overrun its size";
				return DG_EINVAL;
			}
			lim = fun_end;
			cut = DG_EINVAL;
		}
		/* Every subterm takes a byte: a count beyond what remains can
		 * only be completed by later bytes (or never, inside a fun). */
		if (count > LEFT(q, lim))
			return cut_at(cut, why);
		if (sp == TERM_MAX_DEPTH) {
			*why = "term nested too deeply";
			return DG_EINVAL;
		}
		st[sp++] = cur;
		cur.left = count;
		cur.lim = lim;
		cur.rlim = lim < avail ? lim : avail;
		cur.cut = cut;
		cur.fun = fun_end != NULL;
		continue;
next:		;
	}
}


int
term_int(const uint8_t **p, int64_t *v)
{
	const uint8_t *q = *p;
	uint64_t mag = 0;
	int i, n;

	switch (q[0]) {
	case T_SMALL_INT:
		*v = q[1];
		*p = q + 2;
		return 0;
	case T_INT:
		*v = (int32_t)get_u32(q + 1);
		*p = q + 5;
		return 0;
	case T_SMALL_BIG:
		n = q[1];
		if (n > 8)
			return -1;
		for (i = n - 1; i >= 0; i--)
			mag = (mag << 8) | q[3 + i];
		if (q[2] == 0) {
			if (mag > (uint64_t)INT64_MAX)
				return -1;
			*v = (int64_t)mag;
		} else {
			if (mag > (uint64_t)INT64_MAX + 1)
				return -1;
			*v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
			    -(int64_t)mag;
		}
		*p = q + 3 + n;
		return 0;
	default:
		return -1;
	}
}




int
term_skip(const uint8_t **p, const uint8_t *end)
{
	const char *why;
	int n;

	if ((n = term_scan(*p, end, &why)) < 0)
		return -1;
	*p += n;
	return 0;
}

/* Saturating sum for list lengths: no rule names an arity this large. */
static uint32_t
len_add(uint32_t a, uint32_t b)
{
	return (uint64_t)a + b > INT32_MAX ? INT32_MAX : a + b;
}

int
term_list_len(const uint8_t *p, const uint8_t *end, uint32_t *n, int *flat,
    const uint8_t **after, const char **why)
{
	const uint8_t *q = p;
	uint32_t total = 0, k, i;
	int first = 1, rc;

	*flat = 1;
	for (;;) {
		if (q >= end)
			return DG_AGAIN;
		switch (q[0]) {
		case T_NIL:
			*n = total;
			*after = q + 1;
			return TL_PROPER;
		case T_STRING:
			if ((size_t)(end - q) < 3)
				return DG_AGAIN;
			k = get_u16(q + 1);
			if ((size_t)(end - q) - 3 < k)
				return DG_AGAIN;
			if (!first && k > 0)
				*flat = 0;
			*n = len_add(total, k);
			*after = q + 3 + k;
			return TL_PROPER;
		case T_LIST:
			if ((size_t)(end - q) < 5)
				return DG_AGAIN;
			k = get_u32(q + 1);
			/* Each element takes a byte, and the tail one more. */
			if ((size_t)(end - q) - 5 < (uint64_t)k + 1)
				return DG_AGAIN;
			if (!first && k > 0)
				*flat = 0;
			if (first && k == 0)
				*flat = 0;	/* the elements sit in the tail */
			q += 5;
			for (i = 0; i < k; i++) {
				if ((rc = term_scan(q, end, why)) < 0)
					return rc;
				q += rc;
			}
			total = len_add(total, k);
			first = 0;
			break;
		default:
			/* Not a list (first), or the tail of an improper
			 * one; proven all the same, so that a malformed term
			 * is not taken for a merely improper one. */
			if ((rc = term_scan(q, end, why)) < 0)
				return rc;
			*after = q + rc;
			return TL_IMPROPER;
		}
	}
}

/* Stops at str's NUL: no strlen of configured names on the hot path. */
int
term_span_eq(struct dg_span s, const char *str)
{
	uint32_t i;

	for (i = 0; i < s.len; i++)
		if (str[i] == '\0' || (uint8_t)str[i] != s.p[i])
			return 0;
	return str[i] == '\0';
}

/* The atom term at p, proven: its total length. */
static const uint8_t *
next_atom(const uint8_t *p)
{
	if (p[0] == T_ATOM || p[0] == T_ATOM_UTF8)
		return p + 3 + get_u16(p + 1);
	return p + 2 + p[1];	/* T_SMALL_ATOM, T_SMALL_ATOM_UTF8 */
}

/*
 * The end of the term at p, which term_scan has already proven: a walk
 * over tags and lengths that checks nothing again.  A counter of terms
 * still to skip replaces recursion; pids, ports and references read their
 * node atom inline, so nothing trails a pending term.
 */
const uint8_t *
term_next_any(const uint8_t *p)
{
	uint64_t todo = 1;

	while (todo-- > 0) {
		switch (*p++) {
		case T_SMALL_INT:	p += 1; break;
		case T_INT:		p += 4; break;
		case T_NEW_FLOAT:	p += 8; break;
		case T_FLOAT:		p += 31; break;
		case T_ATOM:
		case T_ATOM_UTF8:	p += 2 + get_u16(p); break;
		case T_SMALL_ATOM:
		case T_SMALL_ATOM_UTF8:	p += 1 + p[0]; break;
		case T_NEW_PID:		p = next_atom(p) + 12; break;
		case T_PID:		p = next_atom(p) + 9; break;
		case T_NEW_PORT:	p = next_atom(p) + 8; break;
		case T_PORT:		p = next_atom(p) + 5; break;
		case T_V4_PORT:		p = next_atom(p) + 12; break;
		case T_REF:		p = next_atom(p) + 5; break;
		case T_NEWER_REF: {
			uint16_t n = get_u16(p);

			p = next_atom(p + 2) + 4 + 4 * (size_t)n;
			break;
		}
		case T_NEW_REF: {
			uint16_t n = get_u16(p);

			p = next_atom(p + 2) + 1 + 4 * (size_t)n;
			break;
		}
		case T_SMALL_TUPLE:	todo += p[0]; p += 1; break;
		case T_LARGE_TUPLE:	todo += get_u32(p); p += 4; break;
		case T_NIL:		break;
		case T_STRING:		p += 2 + get_u16(p); break;
		case T_LIST:		todo += (uint64_t)get_u32(p) + 1; p += 4; break;
		case T_BINARY:		p += 4 + (size_t)get_u32(p); break;
		case T_BIT_BINARY:	p += 5 + (size_t)get_u32(p); break;
		case T_SMALL_BIG:	p += 2 + p[0]; break;
		case T_LARGE_BIG:	p += 5 + (size_t)get_u32(p); break;
		case T_NEW_FUN:		p += get_u32(p); break;	/* Size counts itself */
		case T_EXPORT:		todo += 3; break;
		case T_MAP:		todo += 2 * (uint64_t)get_u32(p); p += 4; break;
		default:		return p;	/* unreachable for a proven term */
		}
	}
	return p;
}

/* ---- the streaming walk (term.h term_stream) --------------------------- */

void
term_stream_init(struct term_stream *ts)
{
	ts->sp = 0;
	ts->left[0] = 1;
	ts->skip = 0;
	ts->carry_len = 0;
	ts->done = 0;
	ts->why = NULL;
	ts->consumed = 0;
	ts->nclaims = 0;
}

int
term_stream_claim(struct term_stream *ts, uint64_t off, uint32_t n)
{
	struct ts_claim *c;

	if (ts->nclaims == TS_MAX_CLAIMS)
		return -1;
	c = &ts->claims[ts->nclaims++];
	c->off = off;
	c->n = 0;
	c->want = n;
	c->sp = -1;
	c->state = TSC_ARMED;
	return 0;
}

int
term_stream_claims_met(const struct term_stream *ts)
{
	int i;

	for (i = 0; i < ts->nclaims; i++)
		if (ts->claims[i].state != TSC_MET)
			return 0;
	return 1;
}

/* A list chain's last piece: a string, or NIL (len 0). */
static void
tsc_close(struct ts_claim *c, uint64_t len)
{
	c->n += len;
	c->state = c->n == c->want ? TSC_MET : TSC_BROKEN;
}

/*
 * The claims' part of taking the head at q (ts->consumed is its offset):
 * a claimed list's own head arms its tracking; a head in the tail slot of
 * a tracked list ends it (NIL, a string, anything else: improper) or,
 * being a list, continues it on the same level.  Returns 1 when it took
 * the head itself (a tail list), 0 to go on, DG_EINVAL when broken.
 */
static int
tsc_take(struct term_stream *ts, const uint8_t *q)
{
	struct ts_claim *c;
	int i, took = 0;

	for (i = 0; i < ts->nclaims; i++) {
		c = &ts->claims[i];
		if (c->state == TSC_ARMED && c->off == ts->consumed) {
			if (q[0] == T_STRING)
				tsc_close(c, get_u16(q + 1));
			else if (q[0] == T_LIST) {
				c->n = get_u32(q + 1);
				c->sp = ts->sp + 1;	/* ts_take pushes it */
				c->state = TSC_TRACK;
			} else
				c->state = TSC_BROKEN;
		} else if (c->state == TSC_TRACK && c->sp == ts->sp &&
		    ts->left[ts->sp] == 1) {
			if (q[0] == T_NIL)
				tsc_close(c, 0);
			else if (q[0] == T_STRING)
				tsc_close(c, get_u16(q + 1));
			else if (q[0] == T_LIST) {
				/* [a | [b]] is [a, b]: its elements and tail
				 * take the tail's place on this level. */
				c->n += get_u32(q + 1);
				ts->left[ts->sp] = (uint64_t)get_u32(q + 1) + 1;
				took = 1;
			} else
				c->state = TSC_BROKEN;
		}
		if (c->state == TSC_BROKEN) {
			ts->why = TS_WHY_CLAIM;
			return DG_EINVAL;
		}
	}
	return took;
}

/*
 * One token's head at q, of which avail bytes are here: its length
 * (> 0), with *body the bytes to skip after it and *count the subterms
 * it opens; DG_AGAIN when more of it is needed; DG_EINVAL with *why.
 */
static int
ts_head(const uint8_t *q, size_t avail, uint64_t *body, uint64_t *count,
    const char **why)
{
	size_t need;
	int n;

	*body = 0;
	*count = 0;
	if (avail < 1)
		return DG_AGAIN;
	switch (q[0]) {
	case T_SMALL_TUPLE:
		need = 2;
		break;
	case T_LARGE_TUPLE:
	case T_LIST:
	case T_MAP:
		need = 5;
		break;
	case T_NIL:
		return 1;
	case T_STRING:
		need = 3;
		break;
	case T_BINARY:
		need = 5;
		break;
	case T_BIT_BINARY:
		need = 6;
		break;
	case T_SMALL_BIG:
		need = 3;
		break;
	case T_LARGE_BIG:
		need = 6;
		break;
	case T_NEW_FUN:
		/* Size, fixed part, then the module atom */
		if (avail < 1 + 4 + TERM_FUN_FIXED)
			return DG_AGAIN;
		n = scan_atom(q + 5 + TERM_FUN_FIXED, q + avail, why);
		if (n < 0)
			return n;
		*count = (uint64_t)get_u32(q + 4 + TERM_FUN_FIXED - 3) + 3;
		return 5 + TERM_FUN_FIXED + n;
	default:
		/* A leaf with no body to skip: term_walk proves it whole
		 * (atoms, pids, ports, refs, exports, integers, floats) or
		 * refuses its tag. */
		n = term_walk(q, q + avail, q + avail, NULL, why);
		return n == 0 ? DG_EINVAL : n;
	}
	if (avail < need)
		return DG_AGAIN;
	switch (q[0]) {
	case T_SMALL_TUPLE:	*count = q[1]; break;
	case T_LARGE_TUPLE:	*count = get_u32(q + 1); break;
	case T_LIST:		*count = (uint64_t)get_u32(q + 1) + 1; break;
	case T_MAP:		*count = 2 * (uint64_t)get_u32(q + 1); break;
	case T_STRING:		*body = get_u16(q + 1); break;
	case T_BINARY:		*body = get_u32(q + 1); break;
	case T_BIT_BINARY:
		if (q[5] > 8 || (q[5] == 0) != (get_u32(q + 1) == 0)) {
			*why = "bit binary with bad bit count";
			return DG_EINVAL;
		}
		*body = get_u32(q + 1);
		break;
	case T_SMALL_BIG:	*body = q[1]; break;
	case T_LARGE_BIG:	*body = get_u32(q + 1); break;
	}
	return (int)need;
}

/* A proven head at q: visits, then the stack.  0, or DG_EINVAL. */
static int
ts_take(struct term_stream *ts, const uint8_t *q, uint64_t count,
    const struct term_visit *v)
{
	int took = 0;

	if (visit_wanted(v, q[0]))
		visit(v, q[0], q);
	/* Only a walk that holds claims pays for them. */
	if (ts->nclaims > 0 && (took = tsc_take(ts, q)) < 0)
		return DG_EINVAL;
	if (took)
		return 0;
	ts->left[ts->sp]--;
	if (count > 0) {
		if (ts->sp == TERM_MAX_DEPTH) {
			ts->why = "term nested too deeply";
			return DG_EINVAL;
		}
		ts->left[++ts->sp] = count;
	}
	while (ts->left[ts->sp] == 0 && ts->sp > 0)
		ts->sp--;
	if (ts->sp == 0 && ts->left[0] == 0)
		ts->done = 1;
	return 0;
}

int
term_stream_feed(struct term_stream *ts, const uint8_t *p, size_t n,
    const struct term_visit *v, size_t *used)
{
	size_t pos = 0, add, old;
	uint64_t body, count;
	int h;

	while (!ts->done || ts->skip > 0) {
		if (ts->skip > 0) {
			add = ts->skip < n - pos ? (size_t)ts->skip : n - pos;
			ts->skip -= add;
			pos += add;
			ts->consumed += add;
			if (ts->skip > 0)
				return TS_MORE;
			continue;
		}
		if (pos == n && ts->carry_len == 0)
			return TS_MORE;
		if (ts->carry_len > 0) {
			/* A head cut at the last chunk's end: complete it in
			 * the carry, then go on in this chunk. */
			old = ts->carry_len;
			add = TS_CARRY - old < n - pos ? TS_CARRY - old : n - pos;
			memcpy(ts->carry + old, p + pos, add);
			h = ts_head(ts->carry, old + add, &body, &count, &ts->why);
			if (h == DG_AGAIN) {
				if (old + add == TS_CARRY) {
					ts->why = "term head too long";
					return DG_EINVAL;
				}
				ts->carry_len = old + add;
				return TS_MORE;
			}
			if (h < 0)
				return DG_EINVAL;
			if (ts_take(ts, ts->carry, count, v) < 0)
				return DG_EINVAL;
			pos += (size_t)h - old;
			ts->consumed += (uint64_t)h;
			ts->carry_len = 0;
		} else {
			h = ts_head(p + pos, n - pos, &body, &count, &ts->why);
			if (h == DG_AGAIN) {
				if (n - pos > TS_CARRY) {
					ts->why = "term head too long";
					return DG_EINVAL;
				}
				memcpy(ts->carry, p + pos, n - pos);
				ts->carry_len = n - pos;
				return TS_MORE;
			}
			if (h < 0)
				return DG_EINVAL;
			if (ts_take(ts, p + pos, count, v) < 0)
				return DG_EINVAL;
			pos += (size_t)h;
			ts->consumed += (uint64_t)h;
		}
		ts->skip = body;
	}
	*used = pos;
	return TS_DONE;
}
