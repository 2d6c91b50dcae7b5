/* SPDX-License-Identifier: Apache-2.0 */
/*
 * term_build.h - writes external-format terms into one static buffer, for
 * unit tests that hand-build control messages and payloads.  tb_reset
 * starts over; tb_len is what was written.
 */
#ifndef TERM_BUILD_H
#define TERM_BUILD_H

#include <string.h>

#include "dg_wire.h"

static uint8_t tbuf[1 << 16];
static struct dg_wr w;

static inline void
tb_reset(void)
{
	w = wr_init(tbuf, sizeof(tbuf));
}

static inline size_t
tb_len(void)
{
	return (size_t)(w.p - tbuf);
}

static inline void
tb_tuple(int n)
{
	wr_u8(&w, 104);
	wr_u8(&w, (uint8_t)n);
}

static inline void
tb_list(uint32_t n)
{
	wr_u8(&w, 108);
	wr_u32(&w, n);
}

static inline void
tb_nil(void)
{
	wr_u8(&w, 106);
}

static inline void
tb_int(int v)
{
	wr_u8(&w, 97);
	wr_u8(&w, (uint8_t)v);
}

static inline void
tb_atom(const char *s)
{
	wr_u8(&w, 119);
	wr_u8(&w, (uint8_t)strlen(s));
	wr_bytes(&w, s, strlen(s));
}

static inline void
tb_pid(const char *node)
{
	wr_u8(&w, 88);
	tb_atom(node);
	wr_u32(&w, 42);
	wr_u32(&w, 0);
	wr_u32(&w, 1);
}

static inline void
tb_ref(const char *node)
{
	wr_u8(&w, 90);
	wr_u16(&w, 3);
	tb_atom(node);
	wr_u32(&w, 1);
	wr_u32(&w, 2);
	wr_u32(&w, 3);
	wr_u32(&w, 4);
}

/* {M, F, A, GL} tail of rex/net_kernel requests; A has `n` atoms */
static inline void
tb_mfa_args(const char *m, const char *f, int n)
{
	int i;

	tb_atom(m);
	tb_atom(f);
	if (n == 0)
		tb_nil();
	else {
		tb_list((uint32_t)n);
		for (i = 0; i < n; i++)
			tb_atom("x");
		tb_nil();
	}
}

/* A pid with its own number, for sets of distinct identities. */
static inline void
tb_pid_n(const char *node, uint32_t id)
{
	wr_u8(&w, 88);
	tb_atom(node);
	wr_u32(&w, id);
	wr_u32(&w, 0);
	wr_u32(&w, 1);
}

/* The same pid in the old PID_EXT encoding (u8 creation). */
static inline void
tb_old_pid_n(const char *node, uint32_t id)
{
	wr_u8(&w, 103);
	wr_u8(&w, 100);			/* ATOM_EXT */
	wr_u16(&w, (uint16_t)strlen(node));
	wr_bytes(&w, node, strlen(node));
	wr_u32(&w, id);
	wr_u32(&w, 0);
	wr_u8(&w, 1);
}

static inline void
tb_export(const char *m, const char *f, int arity)
{
	wr_u8(&w, 113);
	tb_atom(m);
	tb_atom(f);
	tb_int(arity);
}

/* A local fun of `mod` with `arity` and no free variables, as
 * NEW_FUN_EXT, made by a process of `node`. */
static inline void
tb_fun_of(const char *node, const char *mod, int arity)
{
	uint8_t *size_at;
	size_t start;

	wr_u8(&w, 112);
	start = tb_len();
	size_at = w.p;
	wr_u32(&w, 0);			/* Size, patched below */
	wr_u8(&w, (uint8_t)arity);	/* Arity */
	wr_bytes(&w, "0123456789abcdef", 16);	/* Uniq */
	wr_u32(&w, 0);			/* Index */
	wr_u32(&w, 0);			/* NumFree */
	tb_atom(mod);			/* Module */
	tb_int(0);			/* OldIndex */
	tb_int(0);			/* OldUniq */
	tb_pid(node);			/* Pid */
	if (size_at != NULL && !w.overflow)
		put_u32(size_at, (uint32_t)(tb_len() - start));
}

/* fun() -> ok end, as the shell would send it. */
static inline void
tb_fun(const char *node)
{
	tb_fun_of(node, "erl_eval", 0);
}

/* A binary of n bytes of which only the header is written when
 * header_only (the rest would follow in later reads). */
static inline void
tb_bin(uint32_t n, int header_only)
{
	uint32_t i;

	wr_u8(&w, 109);
	wr_u32(&w, n);
	if (!header_only)
		for (i = 0; i < n; i++)
			wr_u8(&w, (uint8_t)i);
}

#endif
