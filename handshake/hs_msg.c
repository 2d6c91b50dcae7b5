/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hs_msg.c - distribution handshake messages from bytes and to bytes
 * (spec 2.1, 2.3).  Owns no state.  The bytes come from either leg before
 * anything is authenticated and are trusted for nothing: sizes are checked
 * exactly where stock checks them exactly ('r', 'a', 'c'), inner lengths
 * against what remains, and every name before it is copied.
 */
#include <string.h>

#include "dg.h"
#include "dg_wire.h"
#include "hs_msg.h"

/* Fixed parts of the bodies, tag included (spec 2.3). */
#define NAME_NEW_FIXED		15	/* 'N' flags8 creation4 nlen2 */
#define NAME_OLD_FIXED		7	/* 'n' version2 flags4 */
#define CHAL_NEW_FIXED		19	/* 'N' flags8 chal4 creation4 nlen2 */
#define CHAL_OLD_FIXED		11	/* 'n' version2 flags4 chal4 */
#define NAMED_PREFIX		"named:"
#define NAMED_PREFIX_LEN	6

/* Status texts compared exactly (spec 2.3); "named:" is a prefix. */
static const char *const status_texts[] = {
	"ok", "ok_simultaneous", "nok", "not_allowed", "alive", "true",
	"false"
};

int
hs_frame(const uint8_t *buf, size_t len, const uint8_t **body, size_t *blen,
    const char **why)
{
	struct dg_rd r = rd_init(buf, len);
	const uint8_t *p;
	uint16_t n;

	if (rd_u16(&r, &n) == -1)
		return DG_AGAIN;
	/* Before waiting for the body: no legal message is near 64 KiB. */
	if (n == 0 || n > DG_MAX_HS_MSG) {
		*why = "handshake message length out of range";
		return DG_EINVAL;
	}
	if (rd_bytes(&r, n, &p) == -1)
		return DG_AGAIN;
	*body = p;
	*blen = n;
	return 2 + n;
}

/* Reads the tag byte and checks it is one of two; 'N' gives 0, the other 1. */
static int
tag2(struct dg_rd *r, uint8_t want, uint8_t want_old, int *old,
    const char *what, const char **why)
{
	uint8_t tag;

	if (rd_u8(r, &tag) == -1 || (tag != want && tag != want_old)) {
		*why = what;
		return DG_EINVAL;
	}
	*old = (tag == want_old);
	return 0;
}

int
hs_parse_send_name(const uint8_t *body, size_t blen, struct hs_name_msg *out,
    const char **why)
{
	struct dg_rd r = rd_init(body, blen);
	struct hs_name_msg m;
	const uint8_t *name;
	uint32_t flags32 = 0;
	uint16_t n16 = 0;
	size_t nlen;

	memset(&m, 0, sizeof(m));
	if (tag2(&r, HS_TAG_NAME, HS_TAG_NAME_OLD, &m.old,
	    "not a send_name", why) == DG_EINVAL)
		return DG_EINVAL;
	if (m.old) {
		/* 'n': version, 32-bit flags, the name runs to the end. */
		if (blen < NAME_OLD_FIXED) {
			*why = "send_name shorter than its fixed part";
			return DG_EINVAL;
		}
		(void)rd_u16(&r, &m.version);
		(void)rd_u32(&r, &flags32);
		m.flags = flags32;
		nlen = rd_avail(&r);
	} else {
		if (blen < NAME_NEW_FIXED) {
			*why = "send_name shorter than its fixed part";
			return DG_EINVAL;
		}
		m.version = 6;
		(void)rd_u64(&r, &m.flags);
		(void)rd_u32(&r, &m.creation);
		(void)rd_u16(&r, &n16);
		nlen = n16;
	}
	/* A short name crashes stock's handshake process (spec 2.4). */
	if (rd_bytes(&r, nlen, &name) == -1) {
		*why = "send_name name shorter than Nlen";
		return DG_EINVAL;
	}
	if (dg_name_copy(name, nlen, &m.name, why) == DG_EINVAL)
		return DG_EINVAL;
	/* 'N': the rest is ignored (spec 2.3). */
	*out = m;
	return 0;
}

int
hs_parse_status(const uint8_t *body, size_t blen, struct hs_status *out,
    const char **why)
{
	struct dg_rd r = rd_init(body, blen);
	struct hs_status s;
	const uint8_t *text, *name;
	uint16_t nlen;
	size_t i, tlen;
	uint8_t tag;

	if (rd_u8(&r, &tag) == -1 || tag != HS_TAG_STATUS) {
		*why = "not a status";
		return DG_EINVAL;
	}
	memset(&s, 0, sizeof(s));
	text = r.p;
	tlen = rd_avail(&r);
	if (tlen >= NAMED_PREFIX_LEN &&
	    memcmp(text, NAMED_PREFIX, NAMED_PREFIX_LEN) == 0) {
		/* named: Nlen name creation, rest ignored (spec 2.3, 2.9). */
		if (rd_bytes(&r, NAMED_PREFIX_LEN, &text) == -1 ||
		    rd_u16(&r, &nlen) == -1 ||
		    rd_bytes(&r, nlen, &name) == -1 ||
		    rd_u32(&r, &s.creation) == -1) {
			*why = "named: status truncated";
			return DG_EINVAL;
		}
		if (dg_name_copy(name, nlen, &s.name, why) == DG_EINVAL)
			return DG_EINVAL;
		memcpy(s.text, NAMED_PREFIX, NAMED_PREFIX_LEN + 1);
		s.named = 1;
		*out = s;
		return 0;
	}
	for (i = 0; i < DG_ARRAY_LEN(status_texts); i++) {
		if (strlen(status_texts[i]) == tlen &&
		    memcmp(status_texts[i], text, tlen) == 0) {
			memcpy(s.text, status_texts[i], tlen + 1);
			*out = s;
			return 0;
		}
	}
	*why = "unknown status";
	return DG_EINVAL;
}

int
hs_parse_challenge(const uint8_t *body, size_t blen, struct hs_challenge *out,
    const char **why)
{
	struct dg_rd r = rd_init(body, blen);
	struct hs_challenge c;
	const uint8_t *name;
	uint32_t flags32 = 0;
	uint16_t version = 0, n16 = 0;
	size_t nlen;

	memset(&c, 0, sizeof(c));
	if (tag2(&r, HS_TAG_NAME, HS_TAG_NAME_OLD, &c.old,
	    "not a challenge", why) == DG_EINVAL)
		return DG_EINVAL;
	if (c.old) {
		/* 'n': version 5, 32-bit flags, challenge, name to the end. */
		if (blen < CHAL_OLD_FIXED) {
			*why = "challenge shorter than its fixed part";
			return DG_EINVAL;
		}
		(void)rd_u16(&r, &version);
		(void)rd_u32(&r, &flags32);
		(void)rd_u32(&r, &c.challenge);
		c.flags = flags32;
		nlen = rd_avail(&r);
	} else {
		if (blen < CHAL_NEW_FIXED) {
			*why = "challenge shorter than its fixed part";
			return DG_EINVAL;
		}
		(void)rd_u64(&r, &c.flags);
		(void)rd_u32(&r, &c.challenge);
		(void)rd_u32(&r, &c.creation);
		(void)rd_u16(&r, &n16);
		nlen = n16;
	}
	if (rd_bytes(&r, nlen, &name) == -1) {
		*why = "challenge name shorter than Nlen";
		return DG_EINVAL;
	}
	if (dg_name_copy(name, nlen, &c.name, why) == DG_EINVAL)
		return DG_EINVAL;
	*out = c;
	return 0;
}

int
hs_parse_reply(const uint8_t *body, size_t blen, struct hs_reply *out,
    const char **why)
{
	if (blen == 0 || body[0] != HS_TAG_REPLY) {
		*why = "not a challenge_reply";
		return DG_EINVAL;
	}
	if (blen != HS_REPLY_LEN) {
		*why = "challenge_reply not 21 bytes";
		return DG_EINVAL;
	}
	out->challenge = get_u32(body + 1);
	memcpy(out->digest, body + 5, HS_DIGEST_LEN);
	return 0;
}

int
hs_parse_ack(const uint8_t *body, size_t blen, struct hs_ack *out,
    const char **why)
{
	if (blen == 0 || body[0] != HS_TAG_ACK) {
		*why = "not a challenge_ack";
		return DG_EINVAL;
	}
	if (blen != HS_ACK_LEN) {
		*why = "challenge_ack not 17 bytes";
		return DG_EINVAL;
	}
	memcpy(out->digest, body + 1, HS_DIGEST_LEN);
	return 0;
}

int
hs_parse_complement(const uint8_t *body, size_t blen,
    struct hs_complement *out, const char **why)
{
	if (blen == 0 || body[0] != HS_TAG_COMPLEMENT) {
		*why = "not a complement";
		return DG_EINVAL;
	}
	if (blen != HS_COMPLEMENT_LEN) {
		*why = "complement not 9 bytes";
		return DG_EINVAL;
	}
	out->flags_high = get_u32(body + 1);
	out->creation = get_u32(body + 5);
	return 0;
}

static int
alive_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

int
hs_check_node_name(const char *name, size_t len, const char **why)
{
	size_t i, at = len;

	if (len == 0) {
		*why = "empty node name";
		return DG_EINVAL;
	}
	/* ASCII only, so bytes are characters: the atom limit (spec 2.6). */
	if (len > DG_MAX_ALIVE_CHARS) {
		*why = "node name over 255 characters";
		return DG_EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (name[i] == '@') {
			if (at != len) {
				*why = "node name with more than one '@'";
				return DG_EINVAL;
			}
			at = i;
		} else if (!alive_char(name[i]) &&
		    !(at != len && name[i] == ':')) {
			*why = "node name with a character outside "
			    "[A-Za-z0-9_.-] (and ':' in the host)";
			return DG_EINVAL;
		}
	}
	if (at == len) {
		*why = "node name without '@'";
		return DG_EINVAL;
	}
	if (at == 0 || at == len - 1) {
		*why = "node name with an empty alive or host part";
		return DG_EINVAL;
	}
	return 0;
}

/*
 * Encoders.  Each reserves the u16 length first and fills it in once the
 * body is written.
 */
static int
frame_done(struct dg_wr *w, uint8_t *out)
{
	size_t n;

	if (w->overflow)
		return -1;
	n = (size_t)(w->p - out);
	if (n - 2 > DG_MAX_HS_MSG)
		return -1;
	put_u16(out, (uint16_t)(n - 2));
	return (int)n;
}

int
hs_put_send_name(uint8_t *out, size_t cap, uint64_t flags, uint32_t creation,
    const char *name, size_t nlen)
{
	struct dg_wr w = wr_init(out, cap);

	if (nlen > DG_MAX_NODE_BYTES)
		return -1;
	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_NAME);
	wr_u64(&w, flags);
	wr_u32(&w, creation);
	wr_u16(&w, (uint16_t)nlen);
	wr_bytes(&w, name, nlen);
	return frame_done(&w, out);
}

int
hs_put_send_name_old(uint8_t *out, size_t cap, uint16_t version,
    uint32_t flags, const char *name, size_t nlen)
{
	struct dg_wr w = wr_init(out, cap);

	if (nlen > DG_MAX_NODE_BYTES)
		return -1;
	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_NAME_OLD);
	wr_u16(&w, version);
	wr_u32(&w, flags);
	wr_bytes(&w, name, nlen);
	return frame_done(&w, out);
}

int
hs_put_status(uint8_t *out, size_t cap, const char *text)
{
	struct dg_wr w = wr_init(out, cap);
	size_t i, tlen = strlen(text);

	for (i = 0; i < DG_ARRAY_LEN(status_texts); i++)
		if (strcmp(status_texts[i], text) == 0)
			break;
	if (i == DG_ARRAY_LEN(status_texts))
		return -1;
	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_STATUS);
	wr_bytes(&w, text, tlen);
	return frame_done(&w, out);
}

int
hs_put_status_named(uint8_t *out, size_t cap, const char *name, size_t nlen,
    uint32_t creation)
{
	struct dg_wr w = wr_init(out, cap);

	if (nlen > DG_MAX_NODE_BYTES)
		return -1;
	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_STATUS);
	wr_bytes(&w, NAMED_PREFIX, NAMED_PREFIX_LEN);
	wr_u16(&w, (uint16_t)nlen);
	wr_bytes(&w, name, nlen);
	wr_u32(&w, creation);
	return frame_done(&w, out);
}

int
hs_put_challenge(uint8_t *out, size_t cap, uint64_t flags, uint32_t challenge,
    uint32_t creation, const char *name, size_t nlen)
{
	struct dg_wr w = wr_init(out, cap);

	if (nlen > DG_MAX_NODE_BYTES)
		return -1;
	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_NAME);
	wr_u64(&w, flags);
	wr_u32(&w, challenge);
	wr_u32(&w, creation);
	wr_u16(&w, (uint16_t)nlen);
	wr_bytes(&w, name, nlen);
	return frame_done(&w, out);
}

int
hs_put_challenge_old(uint8_t *out, size_t cap, uint32_t flags,
    uint32_t challenge, const char *name, size_t nlen)
{
	struct dg_wr w = wr_init(out, cap);

	if (nlen > DG_MAX_NODE_BYTES)
		return -1;
	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_NAME_OLD);
	wr_u16(&w, 5);
	wr_u32(&w, flags);
	wr_u32(&w, challenge);
	wr_bytes(&w, name, nlen);
	return frame_done(&w, out);
}

int
hs_put_reply(uint8_t *out, size_t cap, uint32_t challenge,
    const uint8_t digest[HS_DIGEST_LEN])
{
	struct dg_wr w = wr_init(out, cap);

	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_REPLY);
	wr_u32(&w, challenge);
	wr_bytes(&w, digest, HS_DIGEST_LEN);
	return frame_done(&w, out);
}

int
hs_put_ack(uint8_t *out, size_t cap, const uint8_t digest[HS_DIGEST_LEN])
{
	struct dg_wr w = wr_init(out, cap);

	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_ACK);
	wr_bytes(&w, digest, HS_DIGEST_LEN);
	return frame_done(&w, out);
}

int
hs_put_complement(uint8_t *out, size_t cap, uint32_t flags_high,
    uint32_t creation)
{
	struct dg_wr w = wr_init(out, cap);

	wr_u16(&w, 0);
	wr_u8(&w, HS_TAG_COMPLEMENT);
	wr_u32(&w, flags_high);
	wr_u32(&w, creation);
	return frame_done(&w, out);
}
