/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_crypto.h - the handshake's secrets: fresh challenges from libsodium's
 * CSPRNG (stock's gen_challenge is not random: spec 2.5, 7.1) and the
 * cookie digest, compared in constant time.
 */
#ifndef HS_CRYPTO_H
#define HS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"

#define HS_DIGEST_SIZE	16

/*
 * Initialises libsodium.  Safe to call any number of times, from any
 * thread.  Returns 0, or -1 when libsodium cannot initialise (then no
 * challenge may be issued).  Call it at startup, before privilege drop.
 */
int		hs_crypto_init(void) DG_WUR;

/* A uniformly random 32-bit challenge.  Initialises libsodium on first use
 * if hs_crypto_init was not called; aborts if that fails, since a
 * predictable challenge would defeat the handshake. */
uint32_t	hs_new_challenge(void);

/*
 * out = MD5(cookie[0..clen) || decimal(challenge)) (spec 2.5): the
 * challenge as unsigned decimal, no padding.  Wipes its MD5 state.
 */
void		hs_digest(const uint8_t *cookie, size_t clen, uint32_t challenge,
		    uint8_t out[HS_DIGEST_SIZE]);

/*
 * Returns 1 when got is the digest of cookie and challenge, else 0.
 * Compares in constant time and wipes the expected digest.
 */
int		hs_digest_ok(const uint8_t *cookie, size_t clen,
		    uint32_t challenge, const uint8_t got[HS_DIGEST_SIZE]) DG_WUR;

#endif
