/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_rec.h - the record layer of an established link: one
 * crypto_secretstream_xchacha20poly1305 stream per direction, keyed by the
 * handshake (link_hs.h).  Pure, no allocation: seal and open work in the
 * caller's buffers.
 *
 * On the wire, each direction is the stream's 24-byte header, then records:
 *
 *   u32 length L (big-endian) | L bytes: secretstream ciphertext
 *
 * with L = plaintext + 17 and the four length bytes as associated data.  A
 * record holds 1..LK_REC_MAX plaintext bytes (0 only for the final one).
 * Nothing of a record is delivered before all of it authenticated; a
 * record that does not is fatal (link.integrity) and the stream stays dead.
 *
 * Rekeying: the record that brings the direction's count since the last
 * rekey to `rekey_records` (2^20), or its plaintext to `rekey_bytes`
 * (1 GiB), carries TAG_REKEY, and both ends rekey after it.  Both compute
 * the same rule, so a sender that skips a rekey, or rekeys out of turn,
 * is refused as link.integrity.  A TAG_FINAL record closes the direction
 * cleanly; anything after it is refused.
 *
 * Suite 2 (LK_SUITE_V2, chosen in the key exchange when both hosts have
 * AES in hardware) keeps the framing and the rules and changes the
 * cipher: no stream header; each record is
 *
 *   u8 kind (0 data, 1 rekey, 2 final) | u24 L (big-endian) |
 *   L bytes: AES-256-GCM ciphertext and its 16-byte tag
 *
 * with L = plaintext + 16, the four header bytes as associated data, and
 * the 96-bit nonce 0^32 || the record's number since the last rekey
 * (u64 big-endian; never sent, so a record dropped, replayed or moved
 * fails).  A rekey replaces the key by crypto_kdf_derive_from_key(key,
 * id 1, "dglinkrk") and restarts the count.  libsodium's AES-GCM is
 * several times cheaper per byte than secretstream's ChaCha20-Poly1305
 * on AES-NI CPUs (docs/BENCHMARKS.md, "The link, second pass").
 */
#ifndef LK_REC_H
#define LK_REC_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define LK_REC_MAX		65536
#define LK_REC_GCM_ABYTES	crypto_aead_aes256gcm_ABYTES
#define LK_REC_ABYTES		crypto_secretstream_xchacha20poly1305_ABYTES
#define LK_REC_HEADER		crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define LK_REC_OVERHEAD		(4 + LK_REC_ABYTES)
/* The most one seal writes: the stream header (first record), one record. */
#define LK_REC_SEAL_MAX		(LK_REC_HEADER + LK_REC_OVERHEAD + LK_REC_MAX)
#define LK_REKEY_RECORDS	((uint64_t)1 << 20)
#define LK_REKEY_BYTES		((uint64_t)1 << 30)

struct lk_rec_dir {
	union {		/* the suite's cipher state: one or the other */
		crypto_secretstream_xchacha20poly1305_state	st;
		crypto_aead_aes256gcm_state	gcm;	/* the expanded key */
	}		u;
	uint64_t	nonce;		/* suite 2: records since the rekey */
	uint8_t		key[32];	/* suite 1: until the stream starts,
					 * then wiped; suite 2: the current
					 * key (the next is derived from it) */
	int		started;	/* header sent / received */
	int		closed;		/* TAG_FINAL seen */
	uint64_t	records;	/* since the last rekey */
	uint64_t	bytes;
	uint64_t	total_records;
	uint64_t	total_bytes;
	uint64_t	rekeys;
};

struct lk_rec {
	struct lk_rec_dir	tx, rx;
	int			suite;		/* LK_SUITE_V1 or _V2 */
	uint64_t		rekey_records;
	uint64_t		rekey_bytes;
	int			failed;
	const char		*alert;		/* after LK_REC_FAIL */
	const char		*detail;	/* why, a static string */
};

enum lk_rec_status {
	LK_REC_AGAIN,		/* a partial record: keep the bytes, read more */
	LK_REC_DATA,		/* *outlen plaintext bytes in out */
	LK_REC_CLOSED,		/* the final record (its data in out) */
	LK_REC_FAIL		/* alert, detail; close at once */
};

/* Keys are copied (the caller wipes its own); limits default.  lk_rec_init
 * is suite 1; lk_rec_init_suite takes the suite the exchange chose, -1
 * for one this build or CPU cannot run. */
void	lk_rec_init(struct lk_rec *, const uint8_t *key_tx,
	    const uint8_t *key_rx);
int	lk_rec_init_suite(struct lk_rec *, int suite, const uint8_t *key_tx,
	    const uint8_t *key_rx);
/* Lower limits, for tests of the rekey path (both ends must agree). */
void	lk_rec_set_limits(struct lk_rec *, uint64_t records, uint64_t bytes);
/* What lk_rec_seal will write for len plaintext bytes. */
size_t	lk_rec_seal_size(const struct lk_rec *, size_t len);
/*
 * Seals len bytes (1..LK_REC_MAX; 0 allowed when final) into out, which
 * must hold lk_rec_seal_size(len).  The first seal starts with the stream
 * header.  Returns the bytes written, or -1 (a length out of range, a
 * closed or failed stream, out too small).
 */
long	lk_rec_seal(struct lk_rec *, const uint8_t *in, size_t len, int final,
	    uint8_t *out, size_t cap);
/*
 * Opens the first record of in[0..len): *consumed bytes were used (the
 * stream header, a whole record, or nothing on AGAIN).  out must hold
 * LK_REC_MAX bytes.  in and out must not overlap.
 */
enum lk_rec_status	lk_rec_open(struct lk_rec *, const uint8_t *in,
			    size_t len, size_t *consumed, uint8_t *out,
			    size_t cap, size_t *outlen);
void	lk_rec_wipe(struct lk_rec *);

#endif
