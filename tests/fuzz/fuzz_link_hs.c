/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_link_hs.c - libFuzzer harness for the link key exchange
 * (link/link_hs.c) in both roles.
 *
 * Input: [role:1][split:1][stream...].  Role bit 0: 0 initiator (it sends
 * msg1 and reads the stream as the responder's messages), 1 responder.
 * The stream is fed in two parts (split), each part as a receive buffer
 * the glue would hold.  The engines use the keys, ephemerals and trust
 * sets of the test vectors (docs/LINKS.md), so the seeds recorded from
 * that exchange (tests/fuzz/seeds/link_hs) are valid sessions and reach
 * the end of both roles; the fuzzer mutates from there.
 * Invariants: never consumes more than given, output within its buffer,
 * a failure names one of the five link alerts, nothing after the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link_hs.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
known_alert(const char *a)
{
	return a != NULL && (strcmp(a, LK_ALERT_BAD_KEY) == 0 ||
	    strcmp(a, LK_ALERT_UNKNOWN_HOST) == 0 ||
	    strcmp(a, LK_ALERT_REPLAY) == 0 ||
	    strcmp(a, LK_ALERT_INTEGRITY) == 0);
}

static void
key(struct lk_hostkey *k, uint8_t fill)
{
	uint8_t seed[32];

	memset(seed, fill, sizeof(seed));
	if (lk_hostkey_from_seed(k, seed) != 0)
		abort();
}

/* Appends n bytes to the receive buffer and runs the engine on it. */
static enum lk_hs_event
feed(struct lk_hs *h, const uint8_t *p, size_t n, uint8_t *buf, size_t *len)
{
	enum lk_hs_event ev = LK_HS_EV_NONE;
	size_t used;

	if (*len + n > 2 * LK_HS_OUT_MAX)
		n = 2 * LK_HS_OUT_MAX - *len;	/* the glue's bound */
	memcpy(buf + *len, p, n);
	*len += n;
	while (ev == LK_HS_EV_NONE) {
		h->out_len = 0;
		ev = lk_hs_input(h, buf, *len, &used);
		ASSERT(used <= *len);
		ASSERT(h->out_len <= sizeof(h->out));
		memmove(buf, buf + used, *len - used);
		*len -= used;
		if (used == 0)
			break;
	}
	return ev;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lk_hs h;
	static struct lk_replay replay;
	static struct lk_hostkey ka, kb;
	static struct lk_link peer;
	static struct lk_trust trust;
	static uint8_t buf[2 * LK_HS_OUT_MAX];
	static int ready;
	struct lk_hs_params p;
	uint8_t eph[32];
	enum lk_hs_event ev;
	size_t len = 0, used, cut;
	int responder;

	if (!ready) {
		key(&ka, 0xa1);
		key(&kb, 0xb1);
		ready = 1;
	}
	if (size < 2)
		return 0;
	responder = data[0] & 1;
	memset(&p, 0, sizeof(p));
	memset(&peer, 0, sizeof(peer));
	peer.host = responder ? "hostA" : "hostB";
	memcpy(peer.pk, responder ? ka.pk : kb.pk, 32);
	trust.links = &peer;
	trust.nlinks = 1;
	p.role = responder ? LK_RESPONDER : LK_INITIATOR;
	p.self = responder ? &kb : &ka;
	p.trust = &trust;
	p.now = 1764590000;
	p.expect_host = responder ? NULL : "hostB";
	memset(eph, responder ? 0xe2 : 0xe1, sizeof(eph));
	p.eph_secret = eph;
	lk_replay_init(&replay);
	p.replay = &replay;
	ev = lk_hs_start(&h, &p);
	ASSERT(ev == LK_HS_EV_NONE);
	ASSERT(h.out_len <= sizeof(h.out));
	cut = (size - 2) * data[1] / 255;
	ev = feed(&h, data + 2, cut, buf, &len);
	if (ev == LK_HS_EV_NONE)
		ev = feed(&h, data + 2 + cut, size - 2 - cut, buf, &len);
#ifdef FUZZ_LINK_DEBUG		/* to see where a seed ends: -DFUZZ_LINK_DEBUG */
	fprintf(stderr, "role %d: event %d %s %s\n", responder, (int)ev,
	    h.alert ? h.alert : "", h.detail);
#endif
	if (ev == LK_HS_EV_FAIL) {
		ASSERT(known_alert(h.alert));
		ASSERT(h.st == LK_HS_FAILED);
		ASSERT(h.out_len == 0);
	}
	if (ev == LK_HS_EV_UP) {
		ASSERT(h.st == LK_HS_UP);
		ASSERT(memcmp(h.key_tx, h.key_rx, 32) != 0);
	}
	/* after the end, nothing more is consumed */
	if (ev != LK_HS_EV_NONE) {
		ASSERT(lk_hs_input(&h, data, size, &used) == ev);
		ASSERT(used == 0);
	}
	lk_hs_wipe(&h);
	return 0;
}
