/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shape.c - matches a proven term against a static shape (shape.h).
 *
 * Trusts: the term was proven whole by term_walk (every length inside
 * the frame, nesting bounded), so the accessors of term.h and term_next
 * may be used without checks; the shapes are this tree's own tables.
 * Recursion follows the shape, never the term.
 */
#include <string.h>

#include "dg_etf.h"
#include "shape.h"

/* A claim of the sending node: the first one made, or one equal to it.
 * Never '': a node name has an '@', and the proxy takes an empty claim
 * for none. */
static int
claim(struct shape_ctx *ctx, struct dg_span node)
{
	if (node.len == 0)
		return 0;
	if (ctx->claim.len == 0) {
		ctx->claim = node;
		return 1;
	}
	return node.len == ctx->claim.len &&
	    memcmp(node.p, ctx->claim.p, node.len) == 0;
}

static int
is_int_tag(uint8_t t)
{
	return t == T_SMALL_INT || t == T_INT || t == T_SMALL_BIG ||
	    t == T_LARGE_BIG;
}

/* An integer, in [lo, hi] when the shape is ranged (a bignum past 64
 * bits is then out of range). */
static int
match_int(const struct shape *s, const uint8_t **p)
{
	int64_t v;

	if (!is_int_tag(**p))
		return 0;
	if (!s->ranged) {
		*p = term_next(*p);
		return 1;
	}
	if (term_int(p, &v) == -1)
		return 0;
	return v >= s->lo && v <= s->hi;
}

/* A string (STRING_EXT) is a list of small integers 0..255: an element
 * shape that takes those takes it. */
static int
string_fits(const struct shape *e)
{
	if (e->kind == SH_ANY || (e->kind == SH_INT && !e->ranged))
		return 1;
	return e->kind == SH_INT && e->lo <= 0 && e->hi >= 255;
}

/* A proper list: n elements (each e, or sub[i] for SH_LIST_N), then []. */
static int
match_list(const struct shape *s, const uint8_t **p, struct shape_ctx *ctx)
{
	uint8_t tag = **p;
	uint32_t n, i;
	int is_string;

	if (term_list(p, &n, &is_string) == -1)
		return 0;
	if (s->kind == SH_LIST_N && n != s->n)
		return 0;
	if (is_string) {
		if (s->kind == SH_LIST_N)
			return 0;
		*p += n;
		return string_fits(s->sub[0]);
	}
	if (tag == T_NIL)	/* nothing follows */
		return 1;
	for (i = 0; i < n; i++)
		if (!shape_match(s->kind == SH_LIST_N ? s->sub[i] : s->sub[0],
		    p, ctx))
			return 0;
	if (**p != T_NIL)	/* improper */
		return 0;
	(*p)++;
	return 1;
}

/* A list of pids of which at least one is the sender's: global's lock
 * ids for its own resource are {global, [LockerA, LockerB]}. */
static int
match_pids_peer(const uint8_t **p, struct shape_ctx *ctx)
{
	struct dg_span node;
	uint32_t n, i;
	int is_string, mine = 0;

	if (**p != T_LIST || term_list(p, &n, &is_string) == -1)
		return 0;
	for (i = 0; i < n; i++) {
		if (term_pid(p, &node) == -1)
			return 0;
		if (!mine && claim(ctx, node))
			mine = 1;
	}
	if (**p != T_NIL)
		return 0;
	(*p)++;
	return mine;
}

static int
match_tuple(const struct shape *s, const uint8_t **p, struct shape_ctx *ctx)
{
	uint32_t arity, i;

	if (term_tuple(p, &arity) == -1 || arity != s->n)
		return 0;
	for (i = 0; i < arity; i++)
		if (!shape_match(s->sub[i], p, ctx))
			return 0;
	return 1;
}

/* Alternatives: each tried from the same start, with the claim as it
 * was (a failed branch makes none). */
static int
match_alt(const struct shape *s, const uint8_t **p, struct shape_ctx *ctx)
{
	struct shape_ctx save = *ctx;
	const uint8_t *start = *p;
	int i;

	for (i = 0; i < s->n; i++) {
		*p = start;
		*ctx = save;
		if (shape_match(s->sub[i], p, ctx))
			return 1;
	}
	return 0;
}

int
shape_match(const struct shape *s, const uint8_t **p, struct shape_ctx *ctx)
{
	struct dg_span text;
	const uint8_t *t = *p;

	switch (s->kind) {
	case SH_ANY:
		*p = term_next(t);
		return 1;
	case SH_ATOM:
		return term_atom(p, &text) == 0;
	case SH_ATOM_EQ:
		return term_atom(p, &text) == 0 &&
		    term_span_is_n(text, s->text, s->tlen);
	case SH_PEER:
		return term_atom(p, &text) == 0 && claim(ctx, text);
	case SH_PID:
		return term_pid(p, &text) == 0;
	case SH_PEER_PID:
		return term_pid(p, &text) == 0 && claim(ctx, text);
	case SH_INT:
		return match_int(s, p);
	case SH_BOOL:
		return term_atom(p, &text) == 0 &&
		    (TERM_SPAN_IS(text, "true") || TERM_SPAN_IS(text, "false"));
	case SH_TUPLE:
		return match_tuple(s, p, ctx);
	case SH_LIST_OF:
	case SH_LIST_N:
		return match_list(s, p, ctx);
	case SH_ALT:
		return match_alt(s, p, ctx);
	case SH_PIDS_PEER:
		return match_pids_peer(p, ctx);
	case SH_CALL:
		if (s->fn == NULL || !s->fn(t))
			return 0;
		*p = term_next(t);
		return 1;
	}
	return 0;
}
