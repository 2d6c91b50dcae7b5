/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_test.h - the handshake engine as the unit tests and the fuzz harness
 * drive it: the glue's output buffers (hs_fsm_set_out) are one static
 * pair, drained after every call, so one pair serves every engine of a
 * test program.
 */
#ifndef HS_TEST_H
#define HS_TEST_H

#include <stdint.h>

#include "hs_fsm.h"

static uint8_t test_out[2][HS_OUT_MAX];

static inline void
test_fsm_init(struct hs_fsm *h, enum hs_order order, uint64_t withhold,
    uint64_t require, const char *expect, struct hs_recent *recent)
{
	hs_fsm_init(h, order, withhold, require, expect, recent);
	hs_fsm_set_out(h, test_out[HS_ACC], test_out[HS_INI]);
}

#endif
