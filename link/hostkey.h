/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hostkey.h - a distguard host's long-term key (Ed25519, libsodium
 * crypto_sign), its private key file and the text form of its public key
 * that operators paste into the other hosts' configurations.
 *
 * The key file holds the 32-byte seed the keypair is derived from, and the
 * public key as a check (a file whose two lines disagree is corrupt):
 *
 *   distguard-host-key-v1
 *   dg1s:<43 characters of base64url, no padding: the seed>
 *   dg1:<43 characters of base64url, no padding: the public key>
 *
 * It must be a regular file owned by the reader (or root) that group and
 * others cannot access at all (mode & 077 == 0), as cookie files.  The
 * public key's text is "dg1:" + base64url without padding, parsed
 * strictly: exactly 47 characters, the canonical encoding only.
 */
#ifndef LK_HOSTKEY_H
#define LK_HOSTKEY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LK_PK_BYTES	32
#define LK_SK_BYTES	64	/* libsodium's seed || public key */
#define LK_SEED_BYTES	32
#define LK_SIG_BYTES	64
#define LK_PK_PREFIX	"dg1:"
#define LK_PK_TEXT_LEN	47	/* "dg1:" + 43 */
#define LK_PK_TEXT_MAX	(LK_PK_TEXT_LEN + 1)
#define LK_KEYFILE_MAX	512	/* a key file is ~120 bytes; larger is refused */

struct lk_hostkey {
	uint8_t	pk[LK_PK_BYTES];
	uint8_t	sk[LK_SK_BYTES];
};

/* sodium_init, once; -1 if libsodium cannot start (no entropy). */
int	lk_sodium_ready(void);

/* A fresh keypair from the CSPRNG.  0, or -1. */
int	lk_hostkey_generate(struct lk_hostkey *);
/* The keypair of a 32-byte seed (test vectors, the key file). */
int	lk_hostkey_from_seed(struct lk_hostkey *, const uint8_t *seed);
void	lk_hostkey_wipe(struct lk_hostkey *);

/*
 * Writes the key file: created with O_EXCL and mode 0600 (an existing file
 * is never overwritten), written, fsync'd.  0, or -1 with a message in err.
 */
int	lk_hostkey_write(const char *path, const struct lk_hostkey *,
	    char *err, size_t errlen);
/*
 * Reads a key file, refusing anything but a private regular file owned by
 * the caller's effective uid, root, or `also_owner` (the account the
 * daemon becomes, which must be able to read it again on reload;
 * (uid_t)-1 for none), in exactly the format above.  0, or -1 with a
 * message in err ("key file F has mode 0644: ...").  Every buffer that
 * held the seed is wiped.
 */
int	lk_hostkey_read(const char *path, struct lk_hostkey *, uid_t also_owner,
	    char *err, size_t errlen);
/* The same checks and format, on a file's content (the tests, fuzzing). */
int	lk_hostkey_parse(const char *text, size_t len, struct lk_hostkey *,
	    const char **why);

/* "dg1:..." (LK_PK_TEXT_LEN characters and a NUL). */
void	lk_pubkey_text(const uint8_t *pk, char out[LK_PK_TEXT_MAX]);
/* Parses "dg1:..." of exactly len bytes; 0, or -1 with *why. */
int	lk_pubkey_parse(const char *text, size_t len, uint8_t *pk,
	    const char **why);

/*
 * base64url without padding of exactly `len` bytes, strict: the text must
 * be the canonical encoding (the shared decoder of the pasteable forms).
 * 0, or -1.
 */
int	lk_b64_decode(const char *text, size_t tlen, uint8_t *out,
	    size_t len);
/* Encodes into out (at least sodium_base64_ENCODED_LEN of len bytes). */
void	lk_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

#endif
