/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cert.h - host certificates: a cluster key vouches that a host name owns
 * a host key, for a time, and may carry the node names of some patterns.
 *
 * Binary form (all integers big-endian), at most LK_CERT_MAX bytes:
 *
 *   0   "DGC"            magic
 *   3   u8  version      1
 *   4   u16 length       of the whole certificate, signature included
 *   6   id[16]           random, names the certificate (revocation)
 *   22  u64 not_before   Unix seconds
 *   30  u64 not_after    Unix seconds, > not_before
 *   38  host_pk[32]      the host's Ed25519 key
 *   70  signer_pk[32]    the cluster key that signed it
 *   102 u8 host_len (1..255), host name
 *       u8 npatterns (0..LK_CERT_MAX_NAMES), each u8 len (1..255), pattern
 *       sig[64]          Ed25519 by signer over "distguard cert v1\0"
 *                        followed by every byte before sig
 *
 * The parser is strict: the length must be exact, every field in range,
 * names printable UTF-8, no trailing bytes, and the signature must verify
 * under signer_pk.  Whether signer_pk is trusted, the validity period and
 * revocation are lk_cert_check's (link_policy.c), given the trust set and
 * the time.  Text form: "dgc1:" + base64url without padding.
 */
#ifndef LK_CERT_H
#define LK_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "hostkey.h"

#define LK_CERT_VERSION		1
#define LK_CERT_MAX		2048
#define LK_CERT_MAX_NAMES	16
#define LK_CERT_ID_BYTES	16
#define LK_NAME_MAX		255	/* host names and patterns */
#define LK_CERT_FIXED		103	/* bytes before the host name */
#define LK_CERT_PREFIX		"dgc1:"
/* "dgc1:" + base64url of LK_CERT_MAX bytes + NUL */
#define LK_CERT_TEXT_MAX	(5 + (LK_CERT_MAX * 4 + 2) / 3 + 1)

struct lk_cert {
	uint8_t		id[LK_CERT_ID_BYTES];
	uint64_t	not_before;
	uint64_t	not_after;
	uint8_t		host_pk[LK_PK_BYTES];
	uint8_t		signer_pk[LK_PK_BYTES];
	char		host[LK_NAME_MAX + 1];
	int		nnames;
	char		names[LK_CERT_MAX_NAMES][LK_NAME_MAX + 1];
};

/*
 * Encodes and signs *c (its signer_pk is set to signer's) into out.
 * Returns the length, or -1 (a field out of range, out too small).
 */
int	lk_cert_sign(struct lk_cert *c, const struct lk_hostkey *signer,
	    uint8_t *out, size_t cap);
/* Parses and checks the signature under the embedded signer_pk; 0, or -1
 * with *why.  *out is written only on success. */
int	lk_cert_parse(const uint8_t *p, size_t len, struct lk_cert *out,
	    const char **why);

/* "dgc1:..." of the binary form; -1 if out is too small. */
int	lk_cert_text(const uint8_t *bin, size_t len, char *out, size_t cap);
/* The binary form of "dgc1:..." (exactly tlen bytes, surrounding blanks
 * and a final newline not included); its length or -1. */
int	lk_cert_from_text(const char *text, size_t tlen, uint8_t *out,
	    size_t cap);

/* A name for host names and patterns: 1..255 bytes of UTF-8 with no
 * control character, no space. */
int	lk_name_ok(const uint8_t *s, size_t len);

#endif
