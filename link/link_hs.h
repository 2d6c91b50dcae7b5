/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_hs.h - the key exchange between two distguard daemons, pure: bytes
 * and the time in, bytes and events out.  No sockets, no timers (the glue
 * times each step out), no allocation.  docs/LINKS.md is the protocol.
 *
 * A SIGMA-I exchange from libsodium primitives (X25519 ephemerals,
 * BLAKE2b transcript, Ed25519 signatures, XChaCha20-Poly1305, crypto_kdf):
 *
 *   I -> R  msg1  versions/suites offered, I's ephemeral
 *   R -> I  msg2  suite chosen, R's ephemeral,
 *                 AEAD{ R's identity (key or certificate),
 *                       R's signature over the transcript }
 *   I -> R  msg3  AEAD{ I's identity, I's signature over the transcript }
 *
 * Each message is a u16 big-endian length and at most LK_HS_BODY_MAX
 * bytes.  The initiator is up once it has sent msg3 (its first records may
 * follow at once), the responder once msg3 verified.  Then key_tx/key_rx
 * feed link_rec.h, `binding` says which node names the link may carry,
 * and the ephemeral secrets are gone (forward secrecy).
 *
 * Failures carry a stable alert: link.bad_key (a key or certificate
 * refused, a signature that does not verify), link.unknown_host (nobody
 * vouches for the key), link.replay (an initiator ephemeral seen before),
 * link.integrity (malformed, tampered or out-of-session messages).
 */
#ifndef LK_HS_H
#define LK_HS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hostkey.h"
#include "link_policy.h"

#define LK_SUITE_V1		1	/* X25519, Ed25519, BLAKE2b-256,
					 * XChaCha20-Poly1305, secretstream */
#define LK_SUITE_V2		2	/* the same exchange; records
					 * AES-256-GCM (link_rec.h), offered
					 * only with AES in hardware */
#define LK_MAX_SUITES		8
#define LK_KEY_BYTES		32
/* msg2 with the largest certificate: header, suite, ephemeral, then the
 * sealed identity (kind, length, certificate, signature, tag) */
#define LK_HS_BODY_MAX		(4 + 1 + 32 + 1 + 2 + LK_CERT_MAX + LK_SIG_BYTES + 16)
#define LK_HS_OUT_MAX		(2 + LK_HS_BODY_MAX)
#define LK_REPLAY_SLOTS		4096

/* Initiator ephemerals a responder has seen (a keyed hash of each), the
 * most recent LK_REPLAY_SLOTS: shared by every responder of a daemon. */
struct lk_replay {
	uint8_t		key[16];
	uint8_t		slot[LK_REPLAY_SLOTS][16];
	uint32_t	next;
	uint32_t	used;
};
void	lk_replay_init(struct lk_replay *);

enum lk_role { LK_INITIATOR, LK_RESPONDER };

enum lk_hs_state {
	LK_HS_WAIT1,		/* responder: waiting for msg1 */
	LK_HS_WAIT2,		/* initiator: msg1 sent, waiting for msg2 */
	LK_HS_WAIT3,		/* responder: msg2 sent, waiting for msg3 */
	LK_HS_UP,
	LK_HS_FAILED
};

enum lk_hs_event {
	LK_HS_EV_NONE,		/* send out[0..out_len) if any; need bytes */
	LK_HS_EV_UP,		/* send out, then records */
	LK_HS_EV_FAIL		/* raise `alert` with `detail`, close */
};

/* What an engine is started with.  Every pointer must outlive it. */
struct lk_hs_params {
	enum lk_role		 role;
	const struct lk_hostkey	*self;
	const uint8_t		*cert;		/* ours, sent if not NULL */
	size_t			 cert_len;
	const struct lk_trust	*trust;
	const char		*expect_host;	/* initiator: the host dialled */
	const struct sockaddr	*from;		/* responder: the peer (or NULL) */
	uint64_t		 now;		/* Unix seconds, certificates */
	struct lk_replay	*replay;	/* responder: required */
	const uint8_t		*eph_secret;	/* 32 bytes; NULL: CSPRNG.
						 * Test vectors only. */
	const uint8_t		*suites;	/* NULL: ours.  Tests only. */
	size_t			 nsuites;
};

struct lk_hs {
	struct lk_hs_params	 p;
	enum lk_hs_state	 st;
	uint8_t			 suite;
	uint8_t			 e_sk[32], e_pk[32], peer_e[32];
	uint8_t			 th[32];		/* transcript hash */
	uint8_t			 prk[32];
	uint8_t			 k_i2r[LK_KEY_BYTES], k_r2i[LK_KEY_BYTES];

	/* Bytes to write; the glue drains them and resets out_len. */
	uint8_t			 out[LK_HS_OUT_MAX];
	size_t			 out_len;

	/* After LK_HS_EV_UP. */
	uint8_t			 key_tx[LK_KEY_BYTES], key_rx[LK_KEY_BYTES];
	struct lk_identity	 peer;
	struct lk_binding	 binding;

	/* After LK_HS_EV_FAIL. */
	const char		*alert;
	char			 detail[256];
};

/* Starts an engine; an initiator has msg1 in out.  NONE or FAIL. */
enum lk_hs_event	lk_hs_start(struct lk_hs *, const struct lk_hs_params *);
/* Consumes whole messages; *consumed says how many bytes.  After UP the
 * bytes past *consumed are the peer's first records. */
enum lk_hs_event	lk_hs_input(struct lk_hs *, const uint8_t *, size_t,
			    size_t *consumed);
/* Wipes every secret (keys included): call once key_tx/key_rx are
 * copied into the record layer, or when the handshake fails. */
void			lk_hs_wipe(struct lk_hs *);
/* "waiting for msg2" etc., for timeout messages. */
const char		*lk_hs_step(const struct lk_hs *);

#endif
