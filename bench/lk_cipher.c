/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lk_cipher.c - what the link's record layer costs per byte on this host,
 * per suite (link/link_rec.c: suite 1 secretstream XChaCha20-Poly1305,
 * suite 2 AES-256-GCM), sealing and opening records of 1 KiB and 64 KiB,
 * and a memcpy of the same bytes for scale (in cache: a lower bound of
 * what a copy costs).  A benchmark, not a
 * test:
 *
 *   cc -O2 -Iinclude -I. -Ilink -o /tmp/lk_cipher bench/lk_cipher.c \
 *       build/libdistguard.a -lsodium
 *   /tmp/lk_cipher [MB]            (256 MB per figure by default)
 *
 * Prints GB/s and CPU-s per GB (CLOCK_PROCESS_CPUTIME_ID, so a loaded
 * machine slows the figures less than wall time would).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "link/link_rec.h"

static uint8_t	plain[LK_REC_MAX], out[LK_REC_MAX];
static uint8_t	wire[LK_REC_SEAL_MAX];

static double
cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Seals (and, if open_too, opens) n records of len bytes; CPU seconds. */
static double
run(int suite, size_t len, long n, int open_too)
{
	static struct lk_rec tx, rx;
	uint8_t k1[32], k2[32];
	size_t used, got;
	double t;
	long i, w;

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	if (lk_rec_init_suite(&tx, suite, k1, k2) == -1 ||
	    lk_rec_init_suite(&rx, suite, k2, k1) == -1)
		return -1;
	t = cpu_s();
	for (i = 0; i < n; i++) {
		w = lk_rec_seal(&tx, plain, len, 0, wire, sizeof(wire));
		if (w < 0)
			abort();
		if (!open_too)
			continue;
		/* suite 1's first record brings the stream header */
		if (lk_rec_open(&rx, wire, (size_t)w, &used, out, sizeof(out),
		    &got) == LK_REC_AGAIN && used > 0)
			(void)lk_rec_open(&rx, wire + used, (size_t)w - used,
			    &used, out, sizeof(out), &got);
		if (got != len)
			abort();
	}
	t = cpu_s() - t;
	lk_rec_wipe(&tx);
	lk_rec_wipe(&rx);
	return t;
}

int
main(int argc, char **argv)
{
	size_t sizes[] = { 1024, LK_REC_MAX };
	double mb = argc > 1 ? atof(argv[1]) : 256, t;
	int s, i, suite;

	if (sodium_init() < 0)
		return 1;
	printf("aes256gcm_available %d\n", crypto_aead_aes256gcm_is_available());
	for (i = 0; i < 2; i++) {
		long n = (long)(mb * 1e6 / (double)sizes[i]);
		double t0 = cpu_s();

		for (s = 0; s < n; s++)
			memcpy(out, plain, sizes[i]);
		t = cpu_s() - t0;
		printf("memcpy %zu: %.2f GB/s, %.3f CPU-s/GB\n", sizes[i],
		    n * (double)sizes[i] / t / 1e9, t / (n * (double)sizes[i] / 1e9));
		for (suite = 1; suite <= 2; suite++) {
			for (s = 0; s < 2; s++) {
				t = run(suite, sizes[i], n, s);
				if (t < 0) {
					printf("suite %d: not available here\n", suite);
					break;
				}
				printf("suite %d %s %zu: %.2f GB/s, %.3f CPU-s/GB\n",
				    suite, s ? "seal+open" : "seal", sizes[i],
				    n * (double)sizes[i] / t / 1e9,
				    t / (n * (double)sizes[i] / 1e9));
			}
		}
	}
	return 0;
}
