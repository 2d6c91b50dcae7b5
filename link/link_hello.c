/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_hello.c - the link hello (link_hello.h): encoding, the strict
 * decoder, and the name binding check.
 */
#include <stdio.h>
#include <string.h>

#include "link_hello.h"

/* alive@host: one '@' at least, neither side empty (the first '@'
 * splits, as the handshake reads a name). */
static int
full_name(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);

	return at != NULL && at != s && at + 1 < s + len;
}

static int
put_name(uint8_t *out, size_t cap, size_t *off, const struct dg_name *n)
{
	struct dg_name chk;
	const char *why;

	if (n->len == 0 || n->len > DG_MAX_NODE_BYTES ||
	    dg_name_copy((const uint8_t *)n->s, n->len, &chk, &why) != 0 ||
	    !full_name(n->s, n->len) || *off + 2 + n->len > cap)
		return -1;
	out[(*off)++] = (uint8_t)(n->len >> 8);
	out[(*off)++] = (uint8_t)n->len;
	memcpy(out + *off, n->s, n->len);
	*off += n->len;
	return 0;
}

int
lk_hello_encode(const struct lk_hello *h, uint8_t *out, size_t cap)
{
	size_t off = LK_HELLO_FIXED;
	int i;

	if (h->type < LK_HELLO_CONNECT || h->type > LK_HELLO_UP ||
	    (h->type != LK_HELLO_REFUSE && h->status != 0) ||
	    (h->type == LK_HELLO_REFUSE && h->status == 0) ||
	    cap < LK_HELLO_FIXED)
		return DG_EINVAL;
	out[0] = (uint8_t)h->type;
	out[1] = LK_HELLO_VERSION;
	out[2] = h->status;
	for (i = 0; i < 8; i++)
		out[3 + i] = (uint8_t)(h->flags >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[11 + i] = (uint8_t)(h->creation >> (24 - 8 * i));
	if (put_name(out, cap, &off, &h->from) == -1 ||
	    put_name(out, cap, &off, &h->to) == -1)
		return DG_EINVAL;
	return (int)off;
}

static int
get_name(const uint8_t *p, size_t len, size_t *off, struct dg_name *n,
    const char **why)
{
	size_t k;

	if (len - *off < 2) {
		*why = "hello truncated in a name length";
		return -1;
	}
	k = (size_t)(p[*off] << 8 | p[*off + 1]);
	*off += 2;
	if (k == 0 || k > DG_MAX_NODE_BYTES || k > len - *off) {
		*why = "hello name length out of range";
		return -1;
	}
	if (dg_name_copy(p + *off, k, n, why) != 0)
		return -1;
	if (!full_name(n->s, n->len)) {
		*why = "hello name is not alive@host";
		return -1;
	}
	*off += k;
	return 0;
}

int
lk_hello_decode(const uint8_t *p, size_t len, struct lk_hello *out,
    const char **why)
{
	struct lk_hello h;
	size_t off = LK_HELLO_FIXED;
	int i;

	if (len < LK_HELLO_FIXED + 4 || len > LK_HELLO_MAX) {
		*why = "hello length out of range";
		return DG_EINVAL;
	}
	memset(&h, 0, sizeof(h));
	if (p[0] < LK_HELLO_CONNECT || p[0] > LK_HELLO_UP) {
		*why = "unknown hello type";
		return DG_EINVAL;
	}
	h.type = (enum lk_hello_type)p[0];
	if (p[1] != LK_HELLO_VERSION) {
		*why = "hello version not supported";
		return DG_EINVAL;
	}
	h.status = p[2];
	if ((h.type == LK_HELLO_REFUSE) != (h.status != 0) ||
	    h.status > LK_REFUSE_NOK) {
		*why = "hello status does not fit its type";
		return DG_EINVAL;
	}
	for (i = 0; i < 8; i++)
		h.flags = h.flags << 8 | p[3 + i];
	for (i = 0; i < 4; i++)
		h.creation = h.creation << 8 | p[11 + i];
	if (get_name(p, len, &off, &h.from, why) == -1 ||
	    get_name(p, len, &off, &h.to, why) == -1)
		return DG_EINVAL;
	if (off != len) {
		*why = "hello has trailing bytes";
		return DG_EINVAL;
	}
	*out = h;
	return 0;
}

const char *
lk_hello_sender_node(const struct lk_hello *h)
{
	return h->type == LK_HELLO_CONNECT ? h->from.s : h->to.s;
}

const char *
lk_hello_check(const struct lk_hello *h, const struct lk_binding *b,
    char *detail, size_t dlen)
{
	const char *node = lk_hello_sender_node(h);

	if (lk_name_bound(b, node))
		return NULL;
	snprintf(detail, dlen, "node %s is not bound to the link of host %s "
	    "(it may carry %s%s)", node, b->host,
	    b->nnames > 0 ? b->names[0] : "no names",
	    b->nnames > 1 ? " and more" : "");
	return LK_ALERT_NAME_NOT_BOUND;
}
