/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_crypto.c - challenges and digests for the handshake (spec 2.5).
 * Trusts its arguments; the cookie bytes are secret and every copy of
 * them or of a digest derived from them is wiped before returning.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <nettle/md5.h>
#include <nettle/version.h>
#include <sodium.h>

#include "hs_crypto.h"

static atomic_int crypto_ready;

int
hs_crypto_init(void)
{
	if (atomic_load(&crypto_ready))
		return 0;
	/* sodium_init is itself idempotent and thread-safe: 1 = done before. */
	if (sodium_init() < 0)
		return -1;
	atomic_store(&crypto_ready, 1);
	return 0;
}

uint32_t
hs_new_challenge(void)
{
	if (hs_crypto_init() == -1)
		abort();
	return randombytes_random();
}

void
hs_digest(const uint8_t *cookie, size_t clen, uint32_t challenge,
    uint8_t out[HS_DIGEST_SIZE])
{
	struct md5_ctx ctx;
	uint8_t dec[10];
	size_t i = sizeof(dec);

	/* Unsigned decimal, no sign, no leading zeros (spec 2.5). */
	do {
		dec[--i] = (uint8_t)('0' + challenge % 10);
		challenge /= 10;
	} while (challenge != 0);

	md5_init(&ctx);
	md5_update(&ctx, clen, cookie);
	md5_update(&ctx, sizeof(dec) - i, dec + i);
#if NETTLE_VERSION_MAJOR >= 4
	md5_digest(&ctx, out);
#else
	md5_digest(&ctx, HS_DIGEST_SIZE, out);
#endif
	sodium_memzero(&ctx, sizeof(ctx));
}

int
hs_digest_ok(const uint8_t *cookie, size_t clen, uint32_t challenge,
    const uint8_t got[HS_DIGEST_SIZE])
{
	uint8_t want[HS_DIGEST_SIZE];
	int ok;

	hs_digest(cookie, clen, challenge, want);
	ok = sodium_memcmp(want, got, sizeof(want)) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}
