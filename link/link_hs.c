/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_hs.c - the link key exchange (link_hs.h, docs/LINKS.md).  Every
 * message is checked for its exact length before a byte of it is used;
 * every secret is wiped as soon as it has served.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "dg.h"
#include "link_hs.h"

#define MAGIC		"DGL"
#define T_MSG1		1
#define T_MSG2		2
#define T_MSG3		3
#define ID_KEY		1
#define ID_CERT		2
#define TAG		crypto_aead_xchacha20poly1305_ietf_ABYTES
#define MSG2_HEAD	(4 + 1 + 32)
#define ID_MIN		(1 + LK_PK_BYTES + LK_SIG_BYTES)
#define SIG_LABEL_LEN	26

/* Highest first.  Suite 2 only where this CPU runs AES-256-GCM in
 * hardware (libsodium has no software AES-GCM): a host without it offers
 * and accepts 1 alone, and two hosts settle on the highest both know. */
static const uint8_t suites_aes[] = { LK_SUITE_V2, LK_SUITE_V1 };
static const uint8_t suites_plain[] = { LK_SUITE_V1 };
static const char label_r[SIG_LABEL_LEN + 1] = "distguard link v1 resp sig";
static const char label_i[SIG_LABEL_LEN + 1] = "distguard link v1 init sig";

/* Fails with `alert`; `why` NULL keeps the detail already written. */
static enum lk_hs_event
fail(struct lk_hs *h, const char *alert, const char *why)
{
	h->st = LK_HS_FAILED;
	h->alert = alert;
	if (why != NULL)
		snprintf(h->detail, sizeof(h->detail), "%s", why);
	h->out_len = 0;
	lk_hs_wipe(h);
	return LK_HS_EV_FAIL;
}

/* th = BLAKE2b-256(th || data): every byte on the wire is in it. */
static void
absorb(struct lk_hs *h, const uint8_t *data, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h->th));
	crypto_generichash_update(&st, h->th, sizeof(h->th));
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, h->th, sizeof(h->th));
	sodium_memzero(&st, sizeof(st));
}

static void
ephemeral(struct lk_hs *h)
{
	if (h->p.eph_secret != NULL)
		memcpy(h->e_sk, h->p.eph_secret, sizeof(h->e_sk));
	else
		randombytes_buf(h->e_sk, sizeof(h->e_sk));
	crypto_scalarmult_base(h->e_pk, h->e_sk);
}

/*
 * The handshake keys: prk = BLAKE2b(key = X25519(e, peer_e), "hs" || th),
 * one key per direction from it.  The ephemeral secret is wiped here: it
 * has served its one purpose.
 */
static int
hs_keys(struct lk_hs *h)
{
	uint8_t dh[32], msg[2 + 32];
	int rc;

	rc = crypto_scalarmult(dh, h->e_sk, h->peer_e);
	sodium_memzero(h->e_sk, sizeof(h->e_sk));
	if (rc != 0) {		/* a low-order point: all-zero secret */
		sodium_memzero(dh, sizeof(dh));
		return -1;
	}
	memcpy(msg, "hs", 2);
	memcpy(msg + 2, h->th, 32);
	crypto_generichash(h->prk, sizeof(h->prk), msg, sizeof(msg), dh,
	    sizeof(dh));
	crypto_kdf_derive_from_key(h->k_i2r, LK_KEY_BYTES, 1, "dglinkhs",
	    h->prk);
	crypto_kdf_derive_from_key(h->k_r2i, LK_KEY_BYTES, 2, "dglinkhs",
	    h->prk);
	sodium_memzero(dh, sizeof(dh));
	return 0;
}

/* The record keys, from prk and the whole transcript. */
static void
app_keys(struct lk_hs *h)
{
	uint8_t prk2[32], msg[3 + 32], i2r[LK_KEY_BYTES], r2i[LK_KEY_BYTES];

	memcpy(msg, "app", 3);
	memcpy(msg + 3, h->th, 32);
	crypto_generichash(prk2, sizeof(prk2), msg, sizeof(msg), h->prk,
	    sizeof(h->prk));
	crypto_kdf_derive_from_key(i2r, LK_KEY_BYTES, 1, "dglinkap", prk2);
	crypto_kdf_derive_from_key(r2i, LK_KEY_BYTES, 2, "dglinkap", prk2);
	memcpy(h->key_tx, h->p.role == LK_INITIATOR ? i2r : r2i, LK_KEY_BYTES);
	memcpy(h->key_rx, h->p.role == LK_INITIATOR ? r2i : i2r, LK_KEY_BYTES);
	sodium_memzero(prk2, sizeof(prk2));
	sodium_memzero(i2r, sizeof(i2r));
	sodium_memzero(r2i, sizeof(r2i));
	sodium_memzero(h->prk, sizeof(h->prk));
	sodium_memzero(h->k_i2r, sizeof(h->k_i2r));
	sodium_memzero(h->k_r2i, sizeof(h->k_r2i));
}

/* The signed message: role label, transcript, hash of the identity. */
static void
sig_input(const char *label, const uint8_t *th, const uint8_t *id,
    size_t idlen, uint8_t out[SIG_LABEL_LEN + 64])
{
	memcpy(out, label, SIG_LABEL_LEN);
	memcpy(out + SIG_LABEL_LEN, th, 32);
	crypto_generichash(out + SIG_LABEL_LEN + 32, 32, id, idlen, NULL, 0);
}

/*
 * Our identity and signature, sealed under `key` with the transcript as
 * associated data, at out.  Returns the length written.
 */
static size_t
seal_identity(struct lk_hs *h, const char *label, const uint8_t *key,
    uint8_t *out)
{
	uint8_t pt[1 + 2 + LK_CERT_MAX + LK_SIG_BYTES];
	uint8_t msg[SIG_LABEL_LEN + 64], nonce[24] = { 0 };
	unsigned long long clen;
	size_t n;

	if (h->p.cert != NULL) {
		pt[0] = ID_CERT;
		pt[1] = (uint8_t)(h->p.cert_len >> 8);
		pt[2] = (uint8_t)h->p.cert_len;
		memcpy(pt + 3, h->p.cert, h->p.cert_len);
		n = 3 + h->p.cert_len;
	} else {
		pt[0] = ID_KEY;
		memcpy(pt + 1, h->p.self->pk, LK_PK_BYTES);
		n = 1 + LK_PK_BYTES;
	}
	sig_input(label, h->th, pt, n, msg);
	crypto_sign_detached(pt + n, NULL, msg, sizeof(msg), h->p.self->sk);
	n += LK_SIG_BYTES;
	/* Each handshake key seals exactly one message: nonce 0 is unique. */
	crypto_aead_xchacha20poly1305_ietf_encrypt(out, &clen, pt, n, h->th,
	    sizeof(h->th), NULL, nonce, key);
	sodium_memzero(pt, sizeof(pt));
	return (size_t)clen;
}

/*
 * Opens the peer's sealed identity, checks its form and its signature,
 * then asks the policy.  NULL, or the alert (h->detail set).
 */
static const char *
open_identity(struct lk_hs *h, const char *label, const uint8_t *key,
    const uint8_t *ct, size_t clen, const char *which)
{
	uint8_t pt[1 + 2 + LK_CERT_MAX + LK_SIG_BYTES];
	uint8_t msg[SIG_LABEL_LEN + 64], nonce[24] = { 0 };
	unsigned long long plen;
	struct lk_identity *id = &h->peer;
	const char *why, *alert = NULL;
	size_t idlen, n;

	if (clen < TAG + ID_MIN || clen - TAG > sizeof(pt) ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &plen, NULL, ct,
	    clen, h->th, sizeof(h->th), nonce, key) != 0) {
		snprintf(h->detail, sizeof(h->detail), "%s fails "
		    "authentication (tampered, or not of this session)", which);
		return LK_ALERT_INTEGRITY;
	}
	n = (size_t)plen;
	memset(id, 0, sizeof(*id));
	if (pt[0] == ID_KEY && n == 1 + LK_PK_BYTES + LK_SIG_BYTES) {
		memcpy(id->pk, pt + 1, LK_PK_BYTES);
		idlen = 1 + LK_PK_BYTES;
	} else if (pt[0] == ID_CERT && n >= 3 + LK_SIG_BYTES &&
	    (size_t)(pt[1] << 8 | pt[2]) == n - 3 - LK_SIG_BYTES) {
		idlen = n - LK_SIG_BYTES;
		if (lk_cert_parse(pt + 3, idlen - 3, &id->cert, &why) == -1) {
			snprintf(h->detail, sizeof(h->detail), "%s: %s", which,
			    why);
			alert = LK_ALERT_BAD_KEY;
			goto out;
		}
		id->has_cert = 1;
		memcpy(id->pk, id->cert.host_pk, LK_PK_BYTES);
	} else {
		snprintf(h->detail, sizeof(h->detail), "%s: malformed "
		    "identity", which);
		alert = LK_ALERT_INTEGRITY;
		goto out;
	}
	sig_input(label, h->th, pt, idlen, msg);
	if (crypto_sign_verify_detached(pt + idlen, msg, sizeof(msg),
	    id->pk) != 0) {
		snprintf(h->detail, sizeof(h->detail), "%s: the signature "
		    "does not verify under the key presented", which);
		alert = LK_ALERT_BAD_KEY;
		goto out;
	}
	/* Our own key coming back is a reflection, never a peer. */
	if (sodium_memcmp(id->pk, h->p.self->pk, LK_PK_BYTES) == 0) {
		snprintf(h->detail, sizeof(h->detail), "%s: the peer "
		    "presented this host's own key (a reflection)", which);
		alert = LK_ALERT_BAD_KEY;
		goto out;
	}
	alert = lk_authorize(h->p.trust, id, h->p.role == LK_INITIATOR ?
	    h->p.expect_host : NULL, h->p.role == LK_RESPONDER ? h->p.from :
	    NULL, h->p.now, &h->binding, h->detail, sizeof(h->detail));
out:
	sodium_memzero(pt, sizeof(pt));
	return alert;
}

static void
put_frame_len(uint8_t *p, size_t n)
{
	p[0] = (uint8_t)(n >> 8);
	p[1] = (uint8_t)n;
}

void
lk_replay_init(struct lk_replay *r)
{
	memset(r, 0, sizeof(*r));
	if (lk_sodium_ready() == 0)
		randombytes_buf(r->key, sizeof(r->key));
}

/* 1 if this ephemeral was seen; else remembered, 0. */
static int
replay_seen(struct lk_replay *r, const uint8_t *e)
{
	uint8_t tag[16];
	uint32_t i;

	crypto_generichash(tag, sizeof(tag), e, 32, r->key, sizeof(r->key));
	for (i = 0; i < r->used; i++)
		if (memcmp(r->slot[i], tag, sizeof(tag)) == 0)
			return 1;
	memcpy(r->slot[r->next], tag, sizeof(tag));
	r->next = (r->next + 1) % LK_REPLAY_SLOTS;
	if (r->used < LK_REPLAY_SLOTS)
		r->used++;
	return 0;
}

static void
transcript_init(struct lk_hs *h)
{
	static const char proto[] = "distguard link v1";

	memset(h->th, 0, sizeof(h->th));
	crypto_generichash(h->th, sizeof(h->th), (const uint8_t *)proto,
	    sizeof(proto) - 1, NULL, 0);
}

enum lk_hs_event
lk_hs_start(struct lk_hs *h, const struct lk_hs_params *p)
{
	const uint8_t *suites;
	size_t n, i;
	uint8_t *b;

	memset(h, 0, sizeof(*h));
	h->p = *p;
	if (lk_sodium_ready() == -1)
		return fail(h, LK_ALERT_INTEGRITY, "libsodium cannot start");
	if (p->suites == NULL && crypto_aead_aes256gcm_is_available()) {
		h->p.suites = suites_aes;
		h->p.nsuites = sizeof(suites_aes);
	} else if (p->suites == NULL) {
		h->p.suites = suites_plain;
		h->p.nsuites = sizeof(suites_plain);
	}
	if (p->self == NULL || p->trust == NULL ||
	    (p->role == LK_RESPONDER && p->replay == NULL) ||
	    (p->cert != NULL && (p->cert_len == 0 ||
	    p->cert_len > LK_CERT_MAX)) || h->p.nsuites == 0 ||
	    h->p.nsuites > LK_MAX_SUITES)
		return fail(h, LK_ALERT_INTEGRITY, "bad parameters");
	transcript_init(h);
	if (p->role == LK_RESPONDER) {
		h->st = LK_HS_WAIT1;
		return LK_HS_EV_NONE;
	}
	ephemeral(h);
	suites = h->p.suites;
	n = h->p.nsuites;
	b = h->out + 2;
	memcpy(b, MAGIC, 3);
	b[3] = T_MSG1;
	b[4] = (uint8_t)n;
	for (i = 0; i < n; i++)
		b[5 + i] = suites[i];
	memcpy(b + 5 + n, h->e_pk, 32);
	put_frame_len(h->out, 5 + n + 32);
	h->out_len = 2 + 5 + n + 32;
	absorb(h, b, 5 + n + 32);
	h->st = LK_HS_WAIT2;
	return LK_HS_EV_NONE;
}

static int
offered(const uint8_t *s, size_t n, uint8_t suite)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == suite)
			return 1;
	return 0;
}

/* Responder: msg1 in, msg2 out. */
static enum lk_hs_event
on_msg1(struct lk_hs *h, const uint8_t *b, size_t n)
{
	uint8_t *o = h->out + 2;
	size_t ns, i, clen;
	int best = -1;

	if (n < 6 || b[3] != T_MSG1 || (ns = b[4]) == 0 ||
	    ns > LK_MAX_SUITES || n != 5 + ns + 32)
		return fail(h, LK_ALERT_INTEGRITY, "msg1 is malformed");
	/* The highest suite both sides know: both signatures cover the
	 * offer, so an attacker who strips the offer breaks them. */
	for (i = 0; i < ns; i++)
		if (offered(h->p.suites, h->p.nsuites, b[5 + i]) &&
		    (int)b[5 + i] > best)
			best = b[5 + i];
	if (best < 0)
		return fail(h, LK_ALERT_INTEGRITY, "msg1 offers no suite "
		    "this host supports");
	memcpy(h->peer_e, b + 5 + ns, 32);
	if (replay_seen(h->p.replay, h->peer_e))
		return fail(h, LK_ALERT_REPLAY, "msg1 carries an initiator "
		    "ephemeral seen before (a replayed session)");
	h->suite = (uint8_t)best;
	absorb(h, b, n);
	ephemeral(h);
	memcpy(o, MAGIC, 3);
	o[3] = T_MSG2;
	o[4] = h->suite;
	memcpy(o + 5, h->e_pk, 32);
	absorb(h, o, MSG2_HEAD);
	if (hs_keys(h) == -1)
		return fail(h, LK_ALERT_INTEGRITY, "msg1's ephemeral is a "
		    "low-order point");
	clen = seal_identity(h, label_r, h->k_r2i, o + MSG2_HEAD);
	absorb(h, o + MSG2_HEAD, clen);
	put_frame_len(h->out, MSG2_HEAD + clen);
	h->out_len = 2 + MSG2_HEAD + clen;
	h->st = LK_HS_WAIT3;
	return LK_HS_EV_NONE;
}

/* Initiator: msg2 in, msg3 out, up. */
static enum lk_hs_event
on_msg2(struct lk_hs *h, const uint8_t *b, size_t n)
{
	const char *alert;
	uint8_t *o = h->out + 2;
	size_t clen;

	if (n < MSG2_HEAD + TAG + ID_MIN || b[3] != T_MSG2)
		return fail(h, LK_ALERT_INTEGRITY, "msg2 is malformed");
	if (!offered(h->p.suites, h->p.nsuites, b[4]))
		return fail(h, LK_ALERT_INTEGRITY, "msg2 picks a suite that "
		    "was not offered");
	h->suite = b[4];
	memcpy(h->peer_e, b + 5, 32);
	absorb(h, b, MSG2_HEAD);
	if (hs_keys(h) == -1)
		return fail(h, LK_ALERT_INTEGRITY, "msg2's ephemeral is a "
		    "low-order point");
	if ((alert = open_identity(h, label_r, h->k_r2i, b + MSG2_HEAD,
	    n - MSG2_HEAD, "msg2")) != NULL)
		return fail(h, alert, NULL);
	absorb(h, b + MSG2_HEAD, n - MSG2_HEAD);
	memcpy(o, MAGIC, 3);
	o[3] = T_MSG3;
	clen = seal_identity(h, label_i, h->k_i2r, o + 4);
	absorb(h, o + 4, clen);
	put_frame_len(h->out, 4 + clen);
	h->out_len = 2 + 4 + clen;
	app_keys(h);
	h->st = LK_HS_UP;
	return LK_HS_EV_UP;
}

/* Responder: msg3 in, up. */
static enum lk_hs_event
on_msg3(struct lk_hs *h, const uint8_t *b, size_t n)
{
	const char *alert;

	if (n < 4 + TAG + ID_MIN || b[3] != T_MSG3)
		return fail(h, LK_ALERT_INTEGRITY, "msg3 is malformed");
	if ((alert = open_identity(h, label_i, h->k_i2r, b + 4, n - 4,
	    "msg3")) != NULL)
		return fail(h, alert, NULL);
	absorb(h, b + 4, n - 4);
	app_keys(h);
	h->st = LK_HS_UP;
	return LK_HS_EV_UP;
}

enum lk_hs_event
lk_hs_input(struct lk_hs *h, const uint8_t *in, size_t len,
    size_t *consumed)
{
	size_t n;

	*consumed = 0;
	if (h->st == LK_HS_UP)
		return LK_HS_EV_UP;
	if (h->st == LK_HS_FAILED)
		return LK_HS_EV_FAIL;
	if (len < 2)
		return LK_HS_EV_NONE;
	n = (size_t)(in[0] << 8 | in[1]);
	if (n < 4 || n > LK_HS_BODY_MAX)
		return fail(h, LK_ALERT_INTEGRITY, "handshake message length "
		    "out of range");
	if (len - 2 < n)
		return LK_HS_EV_NONE;
	if (memcmp(in + 2, MAGIC, 3) != 0)
		return fail(h, LK_ALERT_INTEGRITY, "not a distguard link "
		    "(bad magic)");
	*consumed = 2 + n;
	switch (h->st) {
	case LK_HS_WAIT1:
		return on_msg1(h, in + 2, n);
	case LK_HS_WAIT2:
		return on_msg2(h, in + 2, n);
	case LK_HS_WAIT3:
		return on_msg3(h, in + 2, n);
	default:
		return fail(h, LK_ALERT_INTEGRITY, "input in a state that "
		    "takes none");
	}
}

void
lk_hs_wipe(struct lk_hs *h)
{
	sodium_memzero(h->e_sk, sizeof(h->e_sk));
	sodium_memzero(h->prk, sizeof(h->prk));
	sodium_memzero(h->k_i2r, sizeof(h->k_i2r));
	sodium_memzero(h->k_r2i, sizeof(h->k_r2i));
	sodium_memzero(h->key_tx, sizeof(h->key_tx));
	sodium_memzero(h->key_rx, sizeof(h->key_rx));
}

const char *
lk_hs_step(const struct lk_hs *h)
{
	switch (h->st) {
	case LK_HS_WAIT1:	return "waiting for the initiator's msg1";
	case LK_HS_WAIT2:	return "waiting for the responder's msg2";
	case LK_HS_WAIT3:	return "waiting for the initiator's msg3";
	case LK_HS_UP:		return "up";
	default:		return "failed";
	}
}
