/* SPDX-License-Identifier: Apache-2.0 */
/*
 * term.h - a bounded scanner for the Erlang external term format
 * (spec 4.7, 6.4).  ei does no bounds checking, so no byte reaches ei until
 * term_scan has proven that the whole term lies inside [p, end), that every
 * length and arity fits in what remains, that nesting stays under
 * TERM_MAX_DEPTH, that atoms are at most 255 characters of valid UTF-8 and
 * that no tag outside the list below occurs.  Pure; iterative (no recursion
 * on attacker-controlled depth).
 */
#ifndef TERM_H
#define TERM_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"
#include "dg_etf.h"
#include "dg_wire.h"

/* Nesting limit: control terms and the payload prefixes we inspect are
 * shallow; a 20000-deep list (a real capture) is refused here only when a
 * rule needs to look inside it. */
#define TERM_MAX_DEPTH	256

/*
 * Scans one term at p.  Returns its length in bytes, DG_AGAIN if it runs
 * past end (the term may be complete in a later fragment: callers treat
 * that as "undecidable" and deny), or DG_EINVAL with *why.  Accepted tags:
 * 70 77 88 89 90 97 98 99 100 101 102 103 104 105 106 107 108 109 110
 * 111 112 113 114 115 116 118 119 120.  ATOM_CACHE_REF (82) is refused:
 * the atom cache is never negotiated.  The 131 version byte is not part
 * of a term: callers skip it where the framing has one.
 */
int	term_scan(const uint8_t *p, const uint8_t *end, const char **why) DG_WUR;
/* term_scan of an atom, without the walk around it: for readers that
 * look for one atom (a tag, a module) in bytes not proven yet. */
int	term_scan_atom(const uint8_t *p, const uint8_t *end, const char **why)
	    DG_WUR;

/*
 * What term_walk reports as it proves a term: funs (NEW_FUN_EXT and
 * EXPORT_EXT: code, wherever they sit) and identities (pids and
 * references, aliases included).  fn gets the term's first byte, after
 * its fixed part has been proven (a fun's contents come after).
 */
#define TV_FUNS		0x01
#define TV_IDS		0x02
/* Every atom, including those a pid, port, reference, export or fun
 * names (its node, module, function): each is one B would create.  fn
 * gets the atom's tag byte; its text is proven. */
#define TV_ATOMS	0x04
struct term_visit {
	unsigned	  mask;
	void		(*fn)(void *arg, const uint8_t *term);
	void		 *arg;
	/* May be NULL.  Set to 1 when term_walk returns DG_AGAIN only
	 * because the body of the term's last leaf (a binary, say) runs
	 * past `end`: everything else, structure and atoms, was proven and
	 * visited.  The first fragment of a large binary message is that. */
	int		 *tail_cut;
};

/*
 * term_scan over a term that may be longer than what has arrived: the
 * term lies in [p, end) (the frame), of which [p, avail) is present.
 * Nothing past avail is read, but the body of a leaf (binary, bit binary,
 * string, bignum) may lie past it: its length is checked against end and
 * its bytes are never looked at, so a message that ends in a 5 MiB binary
 * is proven from its first bytes.  Returns the term's length (which may
 * reach past avail), DG_AGAIN when a byte past avail would have to be
 * read, or DG_EINVAL with *why.  v (may be NULL) is told about the tags
 * it asked for.  term_scan(p, end, why) is term_walk(p, end, end, NULL, why).
 */
int	term_walk(const uint8_t *p, const uint8_t *avail, const uint8_t *end,
	    const struct term_visit *v, const char **why) DG_WUR;

/*
 * A term walked as its bytes stream past, across reads and fragments
 * (issue 18 item 3): the payload of an admitted message whose end lies
 * beyond what the decoder saw.  The walker keeps its place between calls
 * (a stack of counts, a body still to skip, and the head of a token cut
 * between two chunks) and tells v about what it asked for, as term_walk
 * does; nothing is allocated.  Containers, atoms, pids, ports, refs,
 * exports and funs are proven as term_walk proves them; a body (binary,
 * string, bignum) is skipped unread; a fun's Size is not re-checked
 * against its contents (a mismatch makes ERTS refuse the term).
 */
#define TS_CARRY	2112	/* the longest head: EXPORT_EXT, two atoms */
/*
 * A claim on a list inside the term (issue 26): an argument list judged on
 * the count its header states, before its end was seen.  The walk follows
 * its chain of tails (a tail that is a list continues it, as ERTS builds
 * [a | [b]] as [a, b]) and finds whether it ends in NIL (or a string)
 * after exactly `want` elements in all, as term_list_len counts them.
 */
#define TS_MAX_CLAIMS	2	/* erpc's wrapper list and the user's */
enum ts_claim_state { TSC_ARMED, TSC_TRACK, TSC_MET, TSC_BROKEN };
struct ts_claim {
	uint64_t	 off;		/* the list's head, from the term's start */
	uint64_t	 n;		/* elements counted so far */
	uint32_t	 want;
	int		 sp;		/* the level its elements sit on */
	int		 state;		/* enum ts_claim_state */
};
struct term_stream {
	uint64_t	 left[TERM_MAX_DEPTH + 1];	/* terms still due per level */
	int		 sp;
	uint64_t	 skip;		/* body bytes to pass unread */
	uint64_t	 consumed;	/* bytes of the term taken so far */
	size_t		 carry_len;
	uint8_t		 carry[TS_CARRY];
	int		 done;
	int		 nclaims;
	struct ts_claim	 claims[TS_MAX_CLAIMS];
	const char	*why;
};
#define TS_MORE		1	/* all consumed, the term goes on */
#define TS_DONE		0	/* the term ended (*used says where) */
/* Starts a walk of one term. */
void	term_stream_init(struct term_stream *ts);
/*
 * Before the first feed: the list whose head is at byte `off` of the term
 * must be proper and of n elements.  -1 when TS_MAX_CLAIMS are made.  A
 * claim found broken makes term_stream_feed return DG_EINVAL with why
 * TS_WHY_CLAIM; term_stream_claims_met tells whether all were found kept.
 */
#define TS_WHY_CLAIM	"argument list past the part judged is not the " \
			"proper list of the length judged"
int	term_stream_claim(struct term_stream *ts, uint64_t off, uint32_t n);
int	term_stream_claims_met(const struct term_stream *ts);
/*
 * Feeds the next n bytes.  Returns TS_MORE (all n consumed), TS_DONE with
 * *used (bytes of these n that belong to the term), or DG_EINVAL with
 * ts->why.
 */
int	term_stream_feed(struct term_stream *ts, const uint8_t *p, size_t n,
	    const struct term_visit *v, size_t *used) DG_WUR;

/* A span of bytes inside the frame being decided. */
struct dg_span {
	const uint8_t	*p;
	uint32_t	 len;
};

/*
 * Accessors over a term already proven by term_scan.  Each returns 0 and
 * advances *p past the term, or -1 (leaving *p) if the term at *p is not of
 * that kind.  They never read past the scanned span.
 */
int	term_int(const uint8_t **p, int64_t *v);		/* 97 98, small 110 */
int	term_skip(const uint8_t **p, const uint8_t *end);	/* any scanned term */
/*
 * term_atom (100 115 118 119), term_tuple (104 105), term_list and
 * term_pid (88 103) are inline, below: the payload readers and the shape
 * matcher call them for nearly every term they look at.  term_list: 108
 * (proper or improper: the caller reads the tail), 106 (n = 0), 107 (a
 * string: n = byte count, *is_string = 1 and the bytes follow).
 */

/*
 * The list at p, read as ERTS's decoder builds it, which term_list alone
 * does not tell: a LIST_EXT's tail is any term, and a tail that is itself
 * a list (NIL, STRING_EXT or another LIST_EXT, even one of 0 elements)
 * continues the same list, so [a | [b]] is the proper list [a, b] and
 * LIST_EXT(0, T) is T.  Follows the chain of tails over [p, end), every
 * element proven by term_scan on the way.
 * Returns TL_PROPER with *n (saturated at INT32_MAX), *after (the end of
 * the whole term) and *flat (1 when every element follows the first
 * header, as ERTS's encoder always sends them); TL_IMPROPER when ERTS
 * would not build a proper list (the chain ends in a non-list, or p is not
 * a list); DG_AGAIN when the chain runs past end; DG_EINVAL with *why.
 */
#define TL_PROPER	0
#define TL_IMPROPER	1
int	term_list_len(const uint8_t *p, const uint8_t *end, uint32_t *n,
	    int *flat, const uint8_t **after, const char **why) DG_WUR;
int	term_span_eq(struct dg_span, const char *s);
/*
 * s is the n bytes at t: lengths first, so that nearly every name that
 * differs fails at once and no loop runs.  TERM_SPAN_IS(s, "rex") for a
 * string literal, whose length the compiler knows.
 */
static inline int
term_span_is_n(struct dg_span s, const char *t, size_t n)
{
	return s.len == n && (n == 0 || __builtin_memcmp(s.p, t, n) == 0);
}
#define TERM_SPAN_IS(s, lit)	term_span_is_n((s), "" lit, sizeof(lit) - 1)
/* The end of a term that term_scan has already proven (no checks made
 * again: never call it on unproven bytes).  term_next is inline for the
 * leaves a control tuple is made of (small integers, atoms, pids);
 * term_next_any walks the rest. */
const uint8_t	*term_next_any(const uint8_t *p);

/* ---- the inline accessors (see above) --------------------------------- */

/* The end of the proven atom term at a (its tag byte). */
static inline const uint8_t *
term_atom_end(const uint8_t *a)
{
	if (a[0] == T_SMALL_ATOM_UTF8 || a[0] == T_SMALL_ATOM)
		return a + 2 + a[1];
	return a + 3 + get_u16(a + 1);	/* T_ATOM, T_ATOM_UTF8 */
}

static inline const uint8_t *
term_next(const uint8_t *p)
{
	switch (p[0]) {
	case T_SMALL_INT:
		return p + 2;
	case T_SMALL_ATOM_UTF8:
	case T_SMALL_ATOM:
	case T_ATOM_UTF8:
	case T_ATOM:
		return term_atom_end(p);
	case T_NEW_PID:
		return term_atom_end(p + 1) + 12;
	default:
		return term_next_any(p);
	}
}

static inline int
term_atom(const uint8_t **p, struct dg_span *text)
{
	const uint8_t *q = *p;

	switch (q[0]) {
	case T_ATOM:
	case T_ATOM_UTF8:
		text->p = q + 3;
		text->len = get_u16(q + 1);
		break;
	case T_SMALL_ATOM:
	case T_SMALL_ATOM_UTF8:
		text->p = q + 2;
		text->len = q[1];
		break;
	default:
		/* empty, not unset: callers that ignore the result of a
		 * term already proven an atom see no garbage when inlined */
		text->p = NULL;
		text->len = 0;
		return -1;
	}
	*p = text->p + text->len;
	return 0;
}

static inline int
term_tuple(const uint8_t **p, uint32_t *arity)
{
	const uint8_t *q = *p;

	if (q[0] == T_SMALL_TUPLE) {
		*arity = q[1];
		*p = q + 2;
	} else if (q[0] == T_LARGE_TUPLE) {
		*arity = get_u32(q + 1);
		*p = q + 5;
	} else
		return -1;
	return 0;
}

static inline int
term_list(const uint8_t **p, uint32_t *n, int *is_string)
{
	const uint8_t *q = *p;

	switch (q[0]) {
	case T_NIL:
		*n = 0;
		*is_string = 0;
		*p = q + 1;
		return 0;
	case T_STRING:
		*n = get_u16(q + 1);
		*is_string = 1;
		*p = q + 3;
		return 0;
	case T_LIST:
		*n = get_u32(q + 1);
		*is_string = 0;
		*p = q + 5;
		return 0;
	default:
		return -1;
	}
}

static inline int
term_pid(const uint8_t **p, struct dg_span *node)
{
	const uint8_t *q = *p + 1;

	if (**p != T_NEW_PID && **p != T_PID)
		return -1;
	if (term_atom(&q, node) == -1)
		return -1;
	*p = q + (**p == T_NEW_PID ? 12 : 9);
	return 0;
}

#endif
