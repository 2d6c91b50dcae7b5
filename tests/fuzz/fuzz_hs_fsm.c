/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_hs_fsm.c - libFuzzer harness for the two-leg handshake engine
 * (handshake/hs_fsm.c): arbitrary bytes from both legs, in arbitrary
 * chunks.
 *
 * Input layout: a sequence of records [leg:1][len:1][bytes:len]; leg bit 0
 * picks P or B.  Admission is granted with fixed cookies whenever the engine
 * asks, and the B leg "connects" at once, so the fuzzer can reach every
 * state.  Invariants: the engine never consumes more than it was given,
 * outputs stay within their buffers, and after HS_EV_FAIL or HS_EV_UP it
 * consumes nothing more.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hs_crypto.h"
#include "hs_fsm.h"
#include "../unit/hs_test.h"

/* The ring of challenges issued, the daemon's in distguard. */
static struct hs_recent test_recent;


#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t cookie[] = "fxcookie";

static enum hs_event
settle(struct hs_fsm *h, enum hs_event ev)
{
	for (;;) {
		ASSERT(h->leg[HS_ACC].out_len <= HS_OUT_MAX);
		ASSERT(h->leg[HS_INI].out_len <= HS_OUT_MAX);
		h->leg[HS_ACC].out_len = h->leg[HS_INI].out_len = 0;
		if (ev == HS_EV_ADMIT)
			ev = hs_fsm_admit(h, cookie, sizeof(cookie) - 1);
		else if (ev == HS_EV_RESOLVE)
			ev = hs_fsm_resolved(h, cookie, sizeof(cookie) - 1);
		else if (ev == HS_EV_CONNECT)
			ev = hs_fsm_connected(h);
		else
			return ev;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hs_fsm h;
	uint8_t pin[2 * (2 + DG_MAX_HS_MSG)], bin[2 * (2 + DG_MAX_HS_MSG)];
	size_t pinlen = 0, binlen = 0, off = 0;
	enum hs_event ev = HS_EV_NONE;

	/* Both orders: the second bit of the first byte picks one (inbound:
	 * INI expected as alive "b"; egress: as the full name asked for). */
	if (size > 0 && (data[0] & 2))
		test_fsm_init(&h, HS_EGRESS, 0x2000, 0x1070f94, "b@host", &test_recent);
	else
		test_fsm_init(&h, HS_INBOUND, 0x2000, 0x1070f94, "b", &test_recent);
	while (off + 2 <= size && ev != HS_EV_FAIL && ev != HS_EV_UP) {
		int to_b = data[off] & 1;
		size_t n = data[off + 1], used = 0;
		uint8_t *buf = to_b ? bin : pin;
		size_t *len = to_b ? &binlen : &pinlen;

		off += 2;
		if (n > size - off)
			n = size - off;
		if (*len + n > sizeof(pin))
			break;		/* the glue refuses this much too */
		memcpy(buf + *len, data + off, n);
		*len += n;
		off += n;
		ev = hs_fsm_input(&h, to_b ? HS_INI : HS_ACC, buf, *len, &used);
		ASSERT(used <= *len);
		memmove(buf, buf + used, *len - used);
		*len -= used;
		ev = settle(&h, ev);
	}
	/* Input ran out mid-handshake: one leg closes (the last byte says
	 * which); the engine must say who is to blame without a crash. */
	if (ev != HS_EV_FAIL && ev != HS_EV_UP && size > 0) {
		ev = (data[size - 1] & 1) ? hs_fsm_closed(&h, HS_INI, binlen) :
		    hs_fsm_closed(&h, HS_ACC, pinlen);
		ASSERT(ev == HS_EV_FAIL);
		ASSERT(h.st == HS_FAILED);
		ASSERT(!(h.out.ordinary && h.out.event != NULL));
		ASSERT(!(h.out.ordinary && hs_fsm_peer_blamed(&h)));
	}
	hs_fsm_wipe(&h);
	return 0;
}
