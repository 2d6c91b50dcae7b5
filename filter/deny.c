/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deny.c - builds the frame that answers a denied request as if its target
 * did not exist (spec 5.1, 5.3, 6.6).  Trusts the raw term spans dist_ctl
 * took from the request (t_reqid, t_from, t_target, t_ref, t_token): they
 * were scanned by term_scan, hold no atom cache references, and are copied
 * verbatim.  The few terms of our own - small integers, two atoms, tuple
 * headers - are written by the tiny encoder below over a bounded dg_wr;
 * nothing is allocated.
 */
#include <string.h>

#include "dg_etf.h"
#include "dg.h"
#include "dg_flags.h"
#include "dg_wire.h"
#include "dist_ctl.h"
#include "deny.h"

/* External term format tags we write (spec 4.7). */
#define PASS_THROUGH		112
#define DIST_HEADER		68

static void
put_span(struct dg_wr *w, struct dg_span s)
{
	wr_bytes(w, s.p, s.len);
}

static void
put_tuple(struct dg_wr *w, uint8_t arity)
{
	wr_u8(w, T_SMALL_TUPLE);
	wr_u8(w, arity);
}

static void
put_small(struct dg_wr *w, uint8_t v)
{
	wr_u8(w, T_SMALL_INT);
	wr_u8(w, v);
}

static void
put_atom(struct dg_wr *w, const char *a)
{
	size_t n = strlen(a);		/* our own constants, < 256 */

	wr_u8(w, T_SMALL_ATOM_UTF8);
	wr_u8(w, (uint8_t)n);
	wr_bytes(w, a, n);
}

/* Start of each term: pass-through terms carry their own 131 (spec 4.3),
 * header-mode terms none (spec 4.7). */
static void
put_term_start(struct dg_wr *w, int passthrough)
{
	if (passthrough)
		wr_u8(w, T_VERSION);
}

static int
has(struct dg_span s)
{
	return s.p != NULL && s.len > 0;
}

int
deny_reply(const struct dist_msg *m, uint64_t flags, int passthrough,
    uint8_t *out, size_t cap)
{
	struct dg_wr w = wr_init(out, cap);
	int payload_exit = (flags & DFLAG_EXIT_PAYLOAD) != 0;
	size_t len;

	/* Which answer, and do we hold the terms it needs? */
	switch (m->op) {
	case DOP_SPAWN_REQUEST_TT:
		if (!has(m->t_token))
			return 0;
		/* FALLTHROUGH */
	case DOP_SPAWN_REQUEST:
		if (!has(m->t_reqid) || !has(m->t_from))
			return 0;
		break;
	case DOP_LINK:
		if (!has(m->t_from) || !has(m->t_target))
			return 0;
		break;
	case DOP_MONITOR_P:
		if (!has(m->t_from) || !has(m->t_target) || !has(m->t_ref))
			return 0;
		break;
	default:
		/* Sends, exits, demonitors, unlinks, group leaders, and the
		 * rex/net_kernel exec forms (a REG_SEND): no answer. */
		return 0;
	}

	/* u32 length, filled in at the end; then the frame header. */
	wr_u32(&w, 0);
	if (passthrough) {
		wr_u8(&w, PASS_THROUGH);
	} else {
		wr_u8(&w, T_VERSION);
		wr_u8(&w, DIST_HEADER);
		wr_u8(&w, 0);		/* no atom cache refs: spec 4.9 */
	}

	put_term_start(&w, passthrough);
	switch (m->op) {
	case DOP_SPAWN_REQUEST:
	case DOP_SPAWN_REQUEST_TT:
		/* spec 5.3: the requester sees notsup, as from a node
		 * without DFLAG_SPAWN. */
		if (m->op == DOP_SPAWN_REQUEST_TT) {
			put_tuple(&w, 6);
			put_small(&w, DOP_SPAWN_REPLY_TT);
		} else {
			put_tuple(&w, 5);
			put_small(&w, DOP_SPAWN_REPLY);
		}
		put_span(&w, m->t_reqid);
		put_span(&w, m->t_from);
		put_small(&w, 0);	/* Flags: no link, no monitor */
		put_atom(&w, "notsup");
		if (m->op == DOP_SPAWN_REQUEST_TT)
			put_span(&w, m->t_token);
		break;
	case DOP_LINK:
		/* The link target "exits" with noproc towards the linker,
		 * as ERTS does for a dead pid (spec 5.1, LINK). */
		if (payload_exit) {
			put_tuple(&w, 3);
			put_small(&w, DOP_PAYLOAD_EXIT);
			put_span(&w, m->t_target);
			put_span(&w, m->t_from);
			put_term_start(&w, passthrough);
			put_atom(&w, "noproc");
		} else {
			put_tuple(&w, 4);
			put_small(&w, DOP_EXIT);
			put_span(&w, m->t_target);
			put_span(&w, m->t_from);
			put_atom(&w, "noproc");
		}
		break;
	case DOP_MONITOR_P:
		/* 'DOWN' with noproc, as for a missing target (spec 5.1,
		 * MONITOR_P).  Target may be a pid or a name; as sent. */
		if (payload_exit) {
			put_tuple(&w, 4);
			put_small(&w, DOP_PAYLOAD_MONITOR_P_EXIT);
			put_span(&w, m->t_target);
			put_span(&w, m->t_from);
			put_span(&w, m->t_ref);
			put_term_start(&w, passthrough);
			put_atom(&w, "noproc");
		} else {
			put_tuple(&w, 5);
			put_small(&w, DOP_MONITOR_P_EXIT);
			put_span(&w, m->t_target);
			put_span(&w, m->t_from);
			put_span(&w, m->t_ref);
			put_atom(&w, "noproc");
		}
		break;
	}

	if (w.overflow)
		return -1;
	len = (size_t)(w.p - out);
	if (len > INT32_MAX)
		return -1;
	put_u32(out, (uint32_t)(len - 4));
	return (int)len;
}
