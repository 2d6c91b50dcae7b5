/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_link_rec.c - libFuzzer harness for the link record layer
 * (link/link_rec.c): the receiving side of one direction, on arbitrary
 * bytes in arbitrary chunks.
 *
 * Input: [limit:1][chunk:1][stream...].  `limit` & 7, when not 0, makes
 * the direction rekey every that many records (else the defaults);
 * `limit` & 8 makes it suite 2 (AES-256-GCM records, where the CPU has
 * AES in hardware), else suite 1; the stream is fed `chunk` + 1 bytes at
 * a time, as reads would bring it.
 * The key is fixed (0x33 bytes), so the seeds in tests/fuzz/seeds/link_rec,
 * sealed with it, are valid streams (with rekeys) the fuzzer mutates.
 * Invariants: never consumes more than given, never delivers more than
 * LK_REC_MAX, delivers nothing on failure, and stays failed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link_rec.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[2 * (LK_REC_MAX + LK_REC_OVERHEAD + LK_REC_HEADER)];
	static uint8_t out[LK_REC_MAX];
	static struct lk_rec r;
	uint8_t key_tx[32], key_rx[32];
	size_t len = 0, off = 2, used, got, step;
	enum lk_rec_status st = LK_REC_AGAIN;
	int failed = 0;

	if (size < 2)
		return 0;
	memset(key_tx, 0x44, sizeof(key_tx));
	memset(key_rx, 0x33, sizeof(key_rx));
	if ((data[0] & 8) == 0 ||
	    lk_rec_init_suite(&r, 2, key_tx, key_rx) == -1)
		lk_rec_init(&r, key_tx, key_rx);
	if (data[0] & 7)
		lk_rec_set_limits(&r, data[0] & 7, LK_REKEY_BYTES);
	step = (size_t)data[1] + 1;
	while (off < size && !failed) {
		size_t n = size - off < step ? size - off : step;

		if (len + n > sizeof(buf))
			break;
		memcpy(buf + len, data + off, n);
		len += n;
		off += n;
		do {
			st = lk_rec_open(&r, buf, len, &used, out, sizeof(out),
			    &got);
			ASSERT(used <= len);
			ASSERT(got <= LK_REC_MAX);
			if (st == LK_REC_FAIL) {
				ASSERT(got == 0 && used == 0);
				ASSERT(r.alert != NULL);
				failed = 1;
			}
			if (st == LK_REC_AGAIN)
				ASSERT(got == 0);
			memmove(buf, buf + used, len - used);
			len -= used;
		} while (st != LK_REC_FAIL && used > 0 && len > 0);
	}
	if (failed)
		ASSERT(lk_rec_open(&r, buf, len, &used, out, sizeof(out),
		    &got) == LK_REC_FAIL && got == 0);
	lk_rec_wipe(&r);
	return 0;
}
