/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rewrite.c - builds the frame the spawn handler runs (rewrite.h).
 *
 * Everything copied comes from spans dist_ctl proved; what is new is two
 * or three atoms and list headers.  The output is bounded by `cap` through
 * the dg_wire.h writer, which stops at the end and reports the overflow.
 */
#include <string.h>

#include "dg_etf.h"
#include "dg_wire.h"
#include "rewrite.h"

#define T_SMALL_ATOM_UTF8 119
#define VERSION_MAGIC	131

static void
wr_atom(struct dg_wr *w, const char *text)
{
	size_t n = strlen(text);

	if (n < 256) {
		wr_u8(w, T_SMALL_ATOM_UTF8);
		wr_u8(w, (uint8_t)n);
	} else {
		wr_u8(w, T_ATOM_UTF8);
		wr_u16(w, (uint16_t)(n > 0xffff ? 0xffff : n));
	}
	wr_bytes(w, text, n < 0xffff ? n : 0xffff);
}

static void
wr_span(struct dg_wr *w, const uint8_t *a, const uint8_t *b)
{
	wr_bytes(w, a, (size_t)(b - a));
}

static void
wr_list_head(struct dg_wr *w, uint32_t n)
{
	wr_u8(w, T_LIST);
	wr_u32(w, n);
}

/* [Peer, M, F, A]: what dist_spawn_init gets; m_, f_ and args are terms. */
static void
wr_handler_args(struct dg_wr *w, const char *peer, struct dg_span m_,
    struct dg_span f_, const uint8_t *args, const uint8_t *args_end)
{
	wr_list_head(w, 4);
	wr_atom(w, peer);
	wr_bytes(w, m_.p, m_.len);
	wr_bytes(w, f_.p, f_.len);
	wr_span(w, args, args_end);
	wr_u8(w, T_NIL);
}

/* {Module, dist_spawn_init, 4} */
static void
wr_handler_mfa(struct dg_wr *w, const char *module)
{
	wr_u8(w, T_SMALL_TUPLE);
	wr_u8(w, 3);
	wr_atom(w, module);
	wr_atom(w, REWRITE_FUNCTION);
	wr_u8(w, T_SMALL_INT);
	wr_u8(w, 4);
}

static int
fail(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

int
rewrite_spawn(const struct dist_msg *m, const uint8_t *frame,
    size_t frame_len, size_t terms_off, int passthrough, const char *module,
    const char *peer, uint8_t *out, size_t cap, const char **why)
{
	const uint8_t *fend = frame + frame_len, *pl = m->payload, *pl_end;
	const uint8_t *ctl_end, *args_end;
	struct dg_wr w;

	if (m->via == VIA_NONE || m->x_args == NULL)
		return fail(why, "not a request to run code");
	if (m->via == VIA_SPAWN && m->op != DOP_SPAWN_REQUEST &&
	    m->op != DOP_SPAWN_REQUEST_TT)
		return fail(why, "a spawn request of an unknown form");
	if (pl == NULL || m->pl_state != PL_PROVEN || m->pl_partial ||
	    m->x_args == NULL)
		return fail(why, "a spawn request not seen whole");
	if (frame_len < 4 || terms_off > frame_len || m->ctl.p == NULL ||
	    m->ctl.p < frame + terms_off)
		return fail(why, "a spawn request outside its frame");
	/* The terms fill the frame: control, [131], payload, nothing else. */
	ctl_end = m->ctl.p + m->ctl.len;
	if (ctl_end + (passthrough ? 1 : 0) != pl)
		return fail(why, "bytes between control message and payload");
	if ((pl_end = term_next(pl)) != fend)
		return fail(why, "bytes after the payload");
	if ((args_end = term_next(m->x_args)) > pl_end)
		return fail(why, "argument list overruns the payload");

	w = wr_init(out, cap);
	wr_u32(&w, 0);				/* length, set below */
	wr_span(&w, frame + 4, frame + terms_off);	/* 112, or 131 68 0 */
	if (passthrough && frame[terms_off] == VERSION_MAGIC &&
	    frame + terms_off + 1 == m->ctl.p)
		wr_u8(&w, VERSION_MAGIC);
	else if (frame + terms_off != m->ctl.p)
		return fail(why, "unexpected bytes before the control message");

	if (m->via == VIA_SPAWN) {
		/* {29, ReqId, From, GL, {Module, dist_spawn_init, 4}, Opts} */
		if (m->t_mfa.p < m->ctl.p ||
		    m->t_mfa.p + m->t_mfa.len > ctl_end || pl != m->x_args)
			return fail(why, "spawn request of an odd shape");
		wr_span(&w, m->ctl.p, m->t_mfa.p);
		wr_handler_mfa(&w, module);
		wr_span(&w, m->t_mfa.p + m->t_mfa.len, ctl_end);
		if (passthrough)
			wr_u8(&w, VERSION_MAGIC);
		wr_handler_args(&w, peer, m->x_m, m->x_f, m->x_args, args_end);
	} else {
		/*
		 * erpc's [Ref, M, F, A] and [M, F, A], rex's {call, M, F, A,
		 * GL} and its kin, net_kernel's {spawn, M, F, A, GL}: the
		 * wrapper stays, its M, F, A become the handler's.  M, F and
		 * A follow each other (dist_ctl pl_mfa read them so), so the
		 * payload is what precedes M, the new three, what follows A.
		 */
		if (m->x_m.p < pl || m->x_m.p + m->x_m.len != m->x_f.p ||
		    m->x_f.p + m->x_f.len != m->x_args)
			return fail(why, "a code request of an odd shape");
		wr_span(&w, m->ctl.p, ctl_end);
		if (passthrough)
			wr_u8(&w, VERSION_MAGIC);
		wr_span(&w, pl, m->x_m.p);
		wr_atom(&w, module);
		wr_atom(&w, REWRITE_FUNCTION);
		wr_handler_args(&w, peer, m->x_m, m->x_f, m->x_args, args_end);
		wr_span(&w, args_end, pl_end);
	}
	if (w.overflow)
		return fail(why, "the rewritten request does not fit");
	put_u32(out, (uint32_t)(w.p - out - 4));
	return (int)(w.p - out);
}
