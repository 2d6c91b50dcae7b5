/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_span.h - for harnesses of the decoders: every span a decoder hands
 * out must lie inside the input it was given, or the harness aborts.
 */
#ifndef FUZZ_SPAN_H
#define FUZZ_SPAN_H

#include <stdlib.h>

#include "term.h"

static inline void
in(struct dg_span s, const uint8_t *b, const uint8_t *e)
{
	if (s.len && (s.p < b || s.p + s.len > e))
		abort();
}

#endif
