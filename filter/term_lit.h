/* SPDX-License-Identifier: Apache-2.0 */
/*
 * term_lit.h - a literal Erlang term, as `distguard test --term` takes it,
 * in the external format: atoms, integers, strings, binaries, tuples and
 * lists (what conf/eterm.c reads; pids and funs have no literal, a term
 * file made with term_to_binary/1 holds them).
 */
#ifndef TERM_LIT_H
#define TERM_LIT_H

#include <stddef.h>
#include <stdint.h>

/* Encodes the one term in text (a final '.' optional) into out[0..cap),
 * without the 131 version byte.  Returns its length, or -1 with *why. */
int	term_from_text(const char *text, uint8_t *out, size_t cap,
	    const char **why);

#endif
