/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_rec.c - records over secretstream (link_rec.h): bounded lengths,
 * authenticated before delivery, rekeyed on a schedule both ends compute.
 */
#include <string.h>

#include "link_rec.h"

#define TAG_MESSAGE	crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_REKEY	crypto_secretstream_xchacha20poly1305_TAG_REKEY
#define TAG_FINAL	crypto_secretstream_xchacha20poly1305_TAG_FINAL
/* Suite 2's record kinds (the header's first byte). */
#define KIND_DATA	0
#define KIND_REKEY	1
#define KIND_FINAL	2
#define GCM_LEN_MAX	((size_t)LK_REC_MAX + LK_REC_GCM_ABYTES)

void
lk_rec_init(struct lk_rec *r, const uint8_t *key_tx, const uint8_t *key_rx)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->tx.key, key_tx, sizeof(r->tx.key));
	memcpy(r->rx.key, key_rx, sizeof(r->rx.key));
	r->rekey_records = LK_REKEY_RECORDS;
	r->rekey_bytes = LK_REKEY_BYTES;
	r->suite = 1;
}

int
lk_rec_init_suite(struct lk_rec *r, int suite, const uint8_t *key_tx,
    const uint8_t *key_rx)
{
	lk_rec_init(r, key_tx, key_rx);
	if (suite == 1)
		return 0;
	if (suite != 2 || !crypto_aead_aes256gcm_is_available()) {
		lk_rec_wipe(r);
		return -1;
	}
	r->suite = 2;
	crypto_aead_aes256gcm_beforenm(&r->tx.u.gcm, r->tx.key);
	crypto_aead_aes256gcm_beforenm(&r->rx.u.gcm, r->rx.key);
	r->tx.started = r->rx.started = 1;	/* no stream header */
	return 0;
}

/* Suite 2: the record's nonce, 0^32 || its number since the rekey. */
static void
gcm_nonce(const struct lk_rec_dir *d, uint8_t n[crypto_aead_aes256gcm_NPUBBYTES])
{
	int i;

	memset(n, 0, 4);
	for (i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(d->nonce >> (56 - 8 * i));
}

/* Suite 2's rekey: the next key from the current one (crypto_kdf), the
 * count restarted; the old key is gone. */
static void
gcm_rekey(struct lk_rec_dir *d)
{
	uint8_t next[32];

	crypto_kdf_derive_from_key(next, sizeof(next), 1, "dglinkrk", d->key);
	memcpy(d->key, next, sizeof(d->key));
	sodium_memzero(next, sizeof(next));
	crypto_aead_aes256gcm_beforenm(&d->u.gcm, d->key);
	d->nonce = 0;
}

void
lk_rec_set_limits(struct lk_rec *r, uint64_t records, uint64_t bytes)
{
	r->rekey_records = records > 0 ? records : 1;
	r->rekey_bytes = bytes > 0 ? bytes : 1;
}

size_t
lk_rec_seal_size(const struct lk_rec *r, size_t len)
{
	if (r->suite == 2)
		return 4 + LK_REC_GCM_ABYTES + len;
	return (r->tx.started ? 0 : LK_REC_HEADER) + LK_REC_OVERHEAD + len;
}

/* Counts a record; 1 when it is the one that must carry TAG_REKEY. */
static int
due_rekey(const struct lk_rec *r, struct lk_rec_dir *d, size_t len)
{
	d->records++;
	d->bytes += len;
	d->total_records++;
	d->total_bytes += len;
	if (d->records >= r->rekey_records || d->bytes >= r->rekey_bytes) {
		d->records = 0;
		d->bytes = 0;
		d->rekeys++;
		return 1;
	}
	return 0;
}

/* Suite 2's seal: checked by lk_rec_seal. */
static long
gcm_seal(struct lk_rec *r, const uint8_t *in, size_t len, int final,
    uint8_t *out)
{
	struct lk_rec_dir *d = &r->tx;
	uint8_t nonce[crypto_aead_aes256gcm_NPUBBYTES];
	size_t clen = len + LK_REC_GCM_ABYTES;
	int rekey = due_rekey(r, d, len);

	out[0] = final ? KIND_FINAL : rekey ? KIND_REKEY : KIND_DATA;
	out[1] = (uint8_t)(clen >> 16);
	out[2] = (uint8_t)(clen >> 8);
	out[3] = (uint8_t)clen;
	gcm_nonce(d, nonce);
	crypto_aead_aes256gcm_encrypt_detached_afternm(out + 4, out + 4 + len,
	    NULL, in, len, out, 4, NULL, nonce, &d->u.gcm);
	d->nonce++;
	if (final)
		d->closed = 1;
	else if (rekey)
		gcm_rekey(d);
	return (long)(4 + clen);
}

long
lk_rec_seal(struct lk_rec *r, const uint8_t *in, size_t len, int final,
    uint8_t *out, size_t cap)
{
	struct lk_rec_dir *d = &r->tx;
	size_t off = 0, clen = len + LK_REC_ABYTES;
	unsigned char tag;

	if (r->failed || d->closed || len > LK_REC_MAX ||
	    (len == 0 && !final) || cap < lk_rec_seal_size(r, len))
		return -1;
	if (r->suite == 2)
		return gcm_seal(r, in, len, final, out);
	if (!d->started) {
		crypto_secretstream_xchacha20poly1305_init_push(&d->u.st, out,
		    d->key);
		sodium_memzero(d->key, sizeof(d->key));
		d->started = 1;
		off = LK_REC_HEADER;
	}
	out[off] = (uint8_t)(clen >> 24);
	out[off + 1] = (uint8_t)(clen >> 16);
	out[off + 2] = (uint8_t)(clen >> 8);
	out[off + 3] = (uint8_t)clen;
	tag = due_rekey(r, d, len) ? TAG_REKEY : TAG_MESSAGE;
	if (final) {
		tag = TAG_FINAL;
		d->closed = 1;
	}
	crypto_secretstream_xchacha20poly1305_push(&d->u.st, out + off + 4, NULL,
	    in, len, out + off, 4, tag);
	return (long)(off + 4 + clen);
}

static enum lk_rec_status
rec_fail(struct lk_rec *r, const char *why)
{
	r->failed = 1;
	r->alert = "link.integrity";
	r->detail = why;
	sodium_memzero(&r->rx.u, sizeof(r->rx.u));
	sodium_memzero(r->rx.key, sizeof(r->rx.key));
	return LK_REC_FAIL;
}

/* Suite 2's open: lk_rec_open's contract, past its first checks. */
static enum lk_rec_status
gcm_open(struct lk_rec *r, const uint8_t *in, size_t len, size_t *consumed,
    uint8_t *out, size_t cap, size_t *outlen)
{
	struct lk_rec_dir *d = &r->rx;
	uint8_t nonce[crypto_aead_aes256gcm_NPUBBYTES];
	size_t clen, mlen;
	int want_rekey;

	if (len < 4)
		return LK_REC_AGAIN;
	clen = (size_t)in[1] << 16 | (size_t)in[2] << 8 | in[3];
	/* Judged from the header alone: a huge length is never buffered,
	 * an unknown kind never waited for. */
	if (in[0] > KIND_FINAL)
		return rec_fail(r, "record of an unknown kind");
	if (clen < LK_REC_GCM_ABYTES || clen > GCM_LEN_MAX)
		return rec_fail(r, "record length out of range");
	mlen = clen - LK_REC_GCM_ABYTES;
	if (cap < mlen)
		return rec_fail(r, "record larger than the caller's buffer");
	if (len - 4 < clen)
		return LK_REC_AGAIN;
	gcm_nonce(d, nonce);
	if (crypto_aead_aes256gcm_decrypt_detached_afternm(out, NULL, in + 4,
	    mlen, in + 4 + mlen, in, 4, nonce, &d->u.gcm) != 0) {
		sodium_memzero(out, mlen);
		return rec_fail(r, "record fails authentication");
	}
	d->nonce++;
	want_rekey = due_rekey(r, d, mlen);
	if (in[0] == KIND_FINAL)
		d->closed = 1;
	else if ((in[0] == KIND_REKEY) != want_rekey || mlen == 0) {
		sodium_memzero(out, mlen);
		return rec_fail(r, want_rekey ? "a record that had to rekey "
		    "did not" : "a record rekeyed out of turn or is empty");
	} else if (want_rekey)
		gcm_rekey(d);
	*consumed = 4 + clen;
	*outlen = mlen;
	return d->closed ? LK_REC_CLOSED : LK_REC_DATA;
}

enum lk_rec_status
lk_rec_open(struct lk_rec *r, const uint8_t *in, size_t len,
    size_t *consumed, uint8_t *out, size_t cap, size_t *outlen)
{
	struct lk_rec_dir *d = &r->rx;
	unsigned long long mlen;
	unsigned char tag;
	size_t clen;
	int want_rekey;

	*consumed = 0;
	*outlen = 0;
	if (r->failed)
		return LK_REC_FAIL;
	if (d->closed)
		return len > 0 ? rec_fail(r, "bytes after the final record") :
		    LK_REC_CLOSED;
	if (r->suite == 2)
		return gcm_open(r, in, len, consumed, out, cap, outlen);
	if (!d->started) {
		if (len < LK_REC_HEADER)
			return LK_REC_AGAIN;
		if (crypto_secretstream_xchacha20poly1305_init_pull(&d->u.st, in,
		    d->key) != 0)
			return rec_fail(r, "bad stream header");
		sodium_memzero(d->key, sizeof(d->key));
		d->started = 1;
		*consumed = LK_REC_HEADER;
		return LK_REC_AGAIN;
	}
	if (len < 4)
		return LK_REC_AGAIN;
	clen = (size_t)in[0] << 24 | (size_t)in[1] << 16 |
	    (size_t)in[2] << 8 | in[3];
	/* Judged before waiting for the body: a huge length is never
	 * buffered. */
	if (clen < LK_REC_ABYTES || clen > LK_REC_MAX + LK_REC_ABYTES)
		return rec_fail(r, "record length out of range");
	if (cap < clen - LK_REC_ABYTES)
		return rec_fail(r, "record larger than the caller's buffer");
	if (len - 4 < clen)
		return LK_REC_AGAIN;
	if (crypto_secretstream_xchacha20poly1305_pull(&d->u.st, out, &mlen,
	    &tag, in + 4, clen, in, 4) != 0) {
		/* out may hold a partial decryption: none of it counts */
		sodium_memzero(out, clen - LK_REC_ABYTES);
		return rec_fail(r, "record fails authentication");
	}
	want_rekey = due_rekey(r, d, (size_t)mlen);
	if (tag == TAG_FINAL) {
		d->closed = 1;
	} else if ((tag == TAG_REKEY) != want_rekey || (tag != TAG_REKEY &&
	    tag != TAG_MESSAGE) || mlen == 0) {
		sodium_memzero(out, (size_t)mlen);
		return rec_fail(r, want_rekey ? "a record that had to rekey "
		    "did not" : "a record rekeyed out of turn or carries an "
		    "unknown tag");
	}
	*consumed = 4 + clen;
	*outlen = (size_t)mlen;
	return d->closed ? LK_REC_CLOSED : LK_REC_DATA;
}

void
lk_rec_wipe(struct lk_rec *r)
{
	sodium_memzero(&r->tx, sizeof(r->tx));
	sodium_memzero(&r->rx, sizeof(r->rx));
}
