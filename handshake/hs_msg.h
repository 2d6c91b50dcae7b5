/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_msg.h - the distribution handshake codec (spec 2.1, 2.3): u16
 * framing, each message body to a struct, each struct to a framed message.
 *
 * Pure: no I/O, no allocation, no state, no policy.  What the values mean
 * (flags, which status when, names against the allow list) is hs_fsm.c's
 * business; hs_check_node_name is the one syntax check offered here.
 */
#ifndef HS_MSG_H
#define HS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"

/* Message tags (spec 2.3). */
enum hs_tag {
	HS_TAG_NAME		= 'N',	/* new send_name and new challenge */
	HS_TAG_NAME_OLD		= 'n',	/* old send_name and old challenge */
	HS_TAG_STATUS		= 's',
	HS_TAG_COMPLEMENT	= 'c',
	HS_TAG_REPLY		= 'r',
	HS_TAG_ACK		= 'a'
};

/* Exact body sizes (spec 2.3, 2.4). */
#define HS_REPLY_LEN		21
#define HS_ACK_LEN		17
#define HS_COMPLEMENT_LEN	9
#define HS_DIGEST_LEN		16

/*
 * send_name.  'N': version is set to 6, flags are 64 bits.  'n' (old = 1):
 * version as sent (stock always sends 5, it is not checked here), flags
 * are the low 32 bits, creation is 0 (it follows in a 'c' complement).
 */
struct hs_name_msg {
	int		old;
	uint16_t	version;
	uint64_t	flags;
	uint32_t	creation;
	struct dg_name	name;
};

/*
 * status.  text is one of "ok", "ok_simultaneous", "nok", "not_allowed",
 * "alive", "named:", "true", "false".  For "named:" named is 1 and name /
 * creation hold the assigned name and creation; otherwise they are zero.
 */
struct hs_status {
	char		text[16];
	int		named;
	struct dg_name	name;
	uint32_t	creation;
};

/*
 * challenge.  'N': 64-bit flags and creation.  'n' (old = 1, OTP <= 24 to
 * pre-23 peers): 32-bit flags, version 5 not kept, creation 0.
 */
struct hs_challenge {
	int		old;
	uint64_t	flags;
	uint32_t	challenge;
	uint32_t	creation;
	struct dg_name	name;
};

struct hs_reply {
	uint32_t	challenge;
	uint8_t		digest[HS_DIGEST_LEN];
};

struct hs_ack {
	uint8_t		digest[HS_DIGEST_LEN];
};

struct hs_complement {
	uint32_t	flags_high;
	uint32_t	creation;
};

/*
 * Splits one u16-framed message off buf[0..len).  On success points
 * *body and *blen at it and returns 2 + blen; DG_AGAIN while incomplete;
 * DG_EINVAL (with *why) for a length of 0 or over DG_MAX_HS_MSG, as soon
 * as the two length bytes are in.
 */
int	hs_frame(const uint8_t *buf, size_t len, const uint8_t **body,
	    size_t *blen, const char **why) DG_WUR;

/*
 * Body parsers: body[0..blen) is one complete message as hs_frame returns
 * it, tag byte first.  Each returns 0 and fills *out, or DG_EINVAL with a
 * static reason in *why and *out untouched.  Names must be non-empty,
 * <= DG_MAX_NODE_BYTES, <= 255 characters of UTF-8 without NUL (they become
 * atoms: spec 2.6).  For 'N' and named: bytes after the name (and its
 * creation) are ignored, as stock does; 'r', 'a', 'c' have exact sizes.
 */
int	hs_parse_send_name(const uint8_t *body, size_t blen,
	    struct hs_name_msg *out, const char **why) DG_WUR;
int	hs_parse_status(const uint8_t *body, size_t blen,
	    struct hs_status *out, const char **why) DG_WUR;
int	hs_parse_challenge(const uint8_t *body, size_t blen,
	    struct hs_challenge *out, const char **why) DG_WUR;
int	hs_parse_reply(const uint8_t *body, size_t blen, struct hs_reply *out,
	    const char **why) DG_WUR;
int	hs_parse_ack(const uint8_t *body, size_t blen, struct hs_ack *out,
	    const char **why) DG_WUR;
int	hs_parse_complement(const uint8_t *body, size_t blen,
	    struct hs_complement *out, const char **why) DG_WUR;

/*
 * Static node name syntax, alive@host: exactly one '@', both parts
 * non-empty; alive from [A-Za-z0-9_.-], host from [A-Za-z0-9_.-] and ':'
 * (Erlang writes IPv6 hosts bare: a@::1; brackets are not part of an
 * Erlang node name and are refused); at most 255 characters in all.
 * Non-ASCII names are refused by policy even though epmd would take them.
 * Returns 0 or DG_EINVAL with *why.
 */
int	hs_check_node_name(const char *name, size_t len, const char **why)
	    DG_WUR;

/*
 * Encoders: each writes one complete message, u16 length + body, into
 * out[0..cap) and returns the bytes written, or -1 when cap is too small
 * or a name is longer than DG_MAX_NODE_BYTES.  Names are written as given.
 */
int	hs_put_send_name(uint8_t *out, size_t cap, uint64_t flags,
	    uint32_t creation, const char *name, size_t nlen);
/* Old 'n' send_name: version (5 in practice), low 32 bits of flags. */
int	hs_put_send_name_old(uint8_t *out, size_t cap, uint16_t version,
	    uint32_t flags, const char *name, size_t nlen);
/* 's' + text, one of the texts above except "named:". */
int	hs_put_status(uint8_t *out, size_t cap, const char *text);
/* 's' "named:" Nlen name creation (spec 2.9). */
int	hs_put_status_named(uint8_t *out, size_t cap, const char *name,
	    size_t nlen, uint32_t creation);
int	hs_put_challenge(uint8_t *out, size_t cap, uint64_t flags,
	    uint32_t challenge, uint32_t creation, const char *name,
	    size_t nlen);
/* Old 'n' challenge: version 5, low 32 bits of flags. */
int	hs_put_challenge_old(uint8_t *out, size_t cap, uint32_t flags,
	    uint32_t challenge, const char *name, size_t nlen);
int	hs_put_reply(uint8_t *out, size_t cap, uint32_t challenge,
	    const uint8_t digest[HS_DIGEST_LEN]);
int	hs_put_ack(uint8_t *out, size_t cap,
	    const uint8_t digest[HS_DIGEST_LEN]);
int	hs_put_complement(uint8_t *out, size_t cap, uint32_t flags_high,
	    uint32_t creation);

#endif
