/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cert.c - host certificates: encoding, signing and the strict parser
 * (format in cert.h).
 */
#include <string.h>

#include <sodium.h>

#include "dg.h"
#include "cert.h"

#define CERT_CONTEXT	"distguard cert v1"	/* and its NUL */

static void
put_u64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int
lk_name_ok(const uint8_t *s, size_t len)
{
	size_t i, nchars;

	if (len == 0 || len > LK_NAME_MAX || !dg_utf8_valid(s, len, &nchars))
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The signed message: the context string with its NUL, then the body. */
static size_t
signed_message(const uint8_t *body, size_t len, uint8_t *msg)
{
	memcpy(msg, CERT_CONTEXT, sizeof(CERT_CONTEXT));
	memcpy(msg + sizeof(CERT_CONTEXT), body, len);
	return sizeof(CERT_CONTEXT) + len;
}

static int
put_name(uint8_t *out, size_t cap, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (!lk_name_ok((const uint8_t *)s, n) || *off + 1 + n > cap)
		return -1;
	out[(*off)++] = (uint8_t)n;
	memcpy(out + *off, s, n);
	*off += n;
	return 0;
}

int
lk_cert_sign(struct lk_cert *c, const struct lk_hostkey *signer,
    uint8_t *out, size_t cap)
{
	uint8_t msg[sizeof(CERT_CONTEXT) + LK_CERT_MAX];
	size_t off = LK_CERT_FIXED - 1, mlen;
	int i;

	if (lk_sodium_ready() == -1)
		return -1;
	if (cap > LK_CERT_MAX)
		cap = LK_CERT_MAX;
	if (cap < LK_CERT_FIXED + LK_SIG_BYTES || c->nnames < 0 ||
	    c->nnames > LK_CERT_MAX_NAMES || c->not_after <= c->not_before)
		return -1;
	memcpy(c->signer_pk, signer->pk, LK_PK_BYTES);
	memcpy(out, "DGC", 3);
	out[3] = LK_CERT_VERSION;
	memcpy(out + 6, c->id, LK_CERT_ID_BYTES);
	put_u64(out + 22, c->not_before);
	put_u64(out + 30, c->not_after);
	memcpy(out + 38, c->host_pk, LK_PK_BYTES);
	memcpy(out + 70, c->signer_pk, LK_PK_BYTES);
	if (put_name(out, cap - LK_SIG_BYTES, &off, c->host) == -1 ||
	    off + 1 > cap - LK_SIG_BYTES)
		return -1;
	out[off++] = (uint8_t)c->nnames;
	for (i = 0; i < c->nnames; i++)
		if (put_name(out, cap - LK_SIG_BYTES, &off, c->names[i]) == -1)
			return -1;
	out[4] = (uint8_t)((off + LK_SIG_BYTES) >> 8);
	out[5] = (uint8_t)(off + LK_SIG_BYTES);
	mlen = signed_message(out, off, msg);
	crypto_sign_detached(out + off, NULL, msg, mlen, signer->sk);
	return (int)(off + LK_SIG_BYTES);
}

/* One length-prefixed name at *off, bounded by end. */
static int
get_name(const uint8_t *p, size_t end, size_t *off, char *dst)
{
	size_t n;

	if (*off >= end)
		return -1;
	n = p[(*off)++];
	if (n > end - *off || !lk_name_ok(p + *off, n))
		return -1;
	memcpy(dst, p + *off, n);
	dst[n] = '\0';
	*off += n;
	return 0;
}

int
lk_cert_parse(const uint8_t *p, size_t len, struct lk_cert *out,
    const char **why)
{
	uint8_t msg[sizeof(CERT_CONTEXT) + LK_CERT_MAX];
	struct lk_cert c;
	size_t off = LK_CERT_FIXED - 1, end;
	int i;

	if (len < LK_CERT_FIXED + 1 + LK_SIG_BYTES || len > LK_CERT_MAX ||
	    memcmp(p, "DGC", 3) != 0) {
		*why = "not a distguard certificate";
		return -1;
	}
	if (p[3] != LK_CERT_VERSION) {
		*why = "certificate version not supported";
		return -1;
	}
	if ((size_t)(p[4] << 8 | p[5]) != len) {
		*why = "certificate length field does not match";
		return -1;
	}
	memset(&c, 0, sizeof(c));
	end = len - LK_SIG_BYTES;
	memcpy(c.id, p + 6, LK_CERT_ID_BYTES);
	c.not_before = get_u64(p + 22);
	c.not_after = get_u64(p + 30);
	memcpy(c.host_pk, p + 38, LK_PK_BYTES);
	memcpy(c.signer_pk, p + 70, LK_PK_BYTES);
	if (c.not_after <= c.not_before) {
		*why = "certificate validity period is empty";
		return -1;
	}
	if (get_name(p, end, &off, c.host) == -1) {
		*why = "certificate host name is malformed";
		return -1;
	}
	if (off >= end || (c.nnames = p[off++]) > LK_CERT_MAX_NAMES) {
		*why = "certificate pattern count is malformed";
		return -1;
	}
	for (i = 0; i < c.nnames; i++) {
		if (get_name(p, end, &off, c.names[i]) == -1) {
			*why = "certificate name pattern is malformed";
			return -1;
		}
	}
	if (off != end) {
		*why = "certificate has trailing bytes";
		return -1;
	}
	if (lk_sodium_ready() == -1 || crypto_sign_verify_detached(p + end, msg,
	    signed_message(p, end, msg), c.signer_pk) != 0) {
		*why = "certificate signature does not verify";
		return -1;
	}
	*out = c;
	return 0;
}

int
lk_cert_text(const uint8_t *bin, size_t len, char *out, size_t cap)
{
	size_t need = 5 + sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);

	if (len == 0 || len > LK_CERT_MAX || cap < need)
		return -1;
	memcpy(out, LK_CERT_PREFIX, 5);
	lk_b64_encode(bin, len, out + 5, cap - 5);
	return 0;
}

int
lk_cert_from_text(const char *text, size_t tlen, uint8_t *out, size_t cap)
{
	size_t n, b64;

	if (tlen < 6 || memcmp(text, LK_CERT_PREFIX, 5) != 0)
		return -1;
	b64 = tlen - 5;
	/* base64 without padding: 4 characters per 3 bytes, never 1 over */
	if (b64 % 4 == 1)
		return -1;
	n = b64 / 4 * 3 + (b64 % 4 ? b64 % 4 - 1 : 0);
	if (n > cap || n > LK_CERT_MAX ||
	    lk_b64_decode(text + 5, b64, out, n) == -1)
		return -1;
	return (int)n;
}
