/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shape.h - term shapes: a pattern per message of an OTP protocol that
 * says, field by field, what type the receiving clause can take (an atom,
 * the peer's own node name, a pid of the peer, a list of X, a tuple of
 * N, an integer in a range, ...), matched against a term that term_walk
 * has already proven whole (docs/FILTER.md 16).
 *
 * The patterns are static tables written in this tree, never built from
 * input: the matcher recurses on the pattern's depth (ours, bounded), and
 * iterates over lists.  It allocates nothing and reads only the proven
 * term.  Cost: one pass over the parts of the term a pattern names;
 * SH_ANY skips a subterm by term_next.
 */
#ifndef SHAPE_H
#define SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "term.h"

enum shape_kind {
	SH_ANY,		/* any term */
	SH_ATOM,	/* any atom */
	SH_ATOM_EQ,	/* the atom `text` */
	SH_PEER,	/* an atom naming the sending node (ctx claim) */
	SH_PID,		/* any pid */
	SH_PEER_PID,	/* a pid of the sending node (ctx claim) */
	SH_INT,		/* an integer (small, 32-bit or big) in [lo, hi]
			 * when `ranged`; any integer otherwise */
	SH_BOOL,	/* true | false */
	SH_TUPLE,	/* a tuple of exactly n elements, each sub[i] */
	SH_LIST_OF,	/* a proper list (or []) whose elements are sub[0] */
	SH_LIST_N,	/* a proper list of exactly n elements, sub[i] */
	SH_ALT,		/* one of sub[0..n) */
	SH_PIDS_PEER,	/* a list of pids, at least one of the sending node */
	SH_CALL		/* fn(term) == 1: a check of its own */
};

struct shape {
	enum shape_kind		 kind;
	uint8_t			 n;
	uint8_t			 ranged;
	int64_t			 lo, hi;
	const char		*text;
	size_t			 tlen;		/* SH_ATOM_EQ: text's length */
	const struct shape *const *sub;
	int			(*fn)(const uint8_t *t);	/* SH_CALL */
};

/* What a match found out: the node the message says it comes from (every
 * SH_PEER and SH_PEER_PID must name the same one; the caller checks that
 * it is the peer, as it checks sender pids). */
struct shape_ctx {
	struct dg_span	 claim;
};

/*
 * Matches the proven term at *p against s.  Returns 1 and advances *p
 * past the term, or 0 (*p then undefined).  ctx->claim starts with len
 * 0; a claim that differs from one already made fails the match.
 */
int	shape_match(const struct shape *s, const uint8_t **p,
	    struct shape_ctx *ctx);

/* Building blocks for static tables (C11 compound literals at file
 * scope have static storage). */
#define SHAPE_SUBS(...)	((const struct shape *const[]){ __VA_ARGS__ })
#define SHAPE_NARGS(...) \
	(sizeof(SHAPE_SUBS(__VA_ARGS__)) / sizeof(const struct shape *))
#define SH_T(...)	(&(const struct shape){ .kind = SH_TUPLE,	\
	.n = SHAPE_NARGS(__VA_ARGS__), .sub = SHAPE_SUBS(__VA_ARGS__) })
#define SH_L(x)		(&(const struct shape){ .kind = SH_LIST_OF, .n = 1, \
	.sub = SHAPE_SUBS(x) })
#define SH_LN(...)	(&(const struct shape){ .kind = SH_LIST_N,	\
	.n = SHAPE_NARGS(__VA_ARGS__), .sub = SHAPE_SUBS(__VA_ARGS__) })
#define SH_OR(...)	(&(const struct shape){ .kind = SH_ALT,	\
	.n = SHAPE_NARGS(__VA_ARGS__), .sub = SHAPE_SUBS(__VA_ARGS__) })
#define SH_A(s)		(&(const struct shape){ .kind = SH_ATOM_EQ, .text = "" s, \
	.tlen = sizeof(s) - 1 })
#define SH_RANGE(a, b)	(&(const struct shape){ .kind = SH_INT, .ranged = 1, \
	.lo = (a), .hi = (b) })
#define SH_K(k)		(&(const struct shape){ .kind = (k) })
#define SH_FN(f)	(&(const struct shape){ .kind = SH_CALL, .fn = (f) })

#endif
