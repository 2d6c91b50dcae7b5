/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_epmd.c - libFuzzer harness for epmd_parse (epmd/epmd_proto.c).
 *
 * The input is what a peer sends to the EPMD port.  Beyond "no crash, no
 * sanitizer report", it checks the parser contract: DG_AGAIN only for a
 * strict prefix, a reason with every DG_EINVAL, every strict prefix of an
 * accepted request is DG_AGAIN, and an accepted request re-encodes
 * canonically to bytes that parse back to the same request.  Replies built
 * from an accepted ALIVE2_REQ are checked field by field, and so is
 * taking the mediated mark off it; an accepted EGRESS_REQ names a node
 * within the documented bounds, and its reply is always 6 bytes.
 *
 * Seeds: tests/fuzz/seeds/epmd/ (the captured epmd session, plus crafted
 * requests).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "dg_wire.h"
#include "epmd_proto.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct epmd_req req, again;
static uint8_t out[2 + DG_MAX_EPMD_REQ + EPMD_MAX_PORT2_RESP];

static void
name_same(const struct dg_name *a, const struct dg_name *b)
{
	ASSERT(a->len == b->len);
	ASSERT(memcmp(a->s, b->s, a->len) == 0);
	ASSERT(a->s[a->len] == '\0' && b->s[b->len] == '\0');
}

static void
req_same(const struct epmd_req *a, const struct epmd_req *b)
{
	ASSERT(a->code == b->code);
	ASSERT(a->alive.port == b->alive.port);
	ASSERT(a->alive.node_type == b->alive.node_type);
	ASSERT(a->alive.protocol == b->alive.protocol);
	ASSERT(a->alive.highest == b->alive.highest);
	ASSERT(a->alive.lowest == b->alive.lowest);
	name_same(&a->alive.name, &b->alive.name);
	ASSERT(a->alive.extra_len == b->alive.extra_len);
	ASSERT(memcmp(a->alive.extra, b->alive.extra, a->alive.extra_len) == 0);
	name_same(&a->name, &b->name);
}

/* Replies built from a registration echo it exactly (spec 1.4, 1.7, 1.8). */
static void
replies(const struct epmd_alive2 *a)
{
	const uint8_t *p = out;
	int n;

	n = epmd_put_port2_ok(out, sizeof(out), a, 4242);
	ASSERT(n == 14 + a->name.len + a->extra_len);
	ASSERT(p[0] == EPMD_PORT2_RESP && p[1] == 0);
	ASSERT(get_u16(p + 2) == 4242 && p[4] == a->node_type &&
	    p[5] == a->protocol);
	ASSERT(get_u16(p + 6) == a->highest && get_u16(p + 8) == a->lowest);
	ASSERT(get_u16(p + 10) == a->name.len);
	ASSERT(memcmp(p + 12, a->name.s, a->name.len) == 0);
	ASSERT(get_u16(p + 12 + a->name.len) == a->extra_len);
	ASSERT(memcmp(p + 14 + a->name.len, a->extra, a->extra_len) == 0);
	ASSERT(epmd_put_port2_ok(out, (size_t)n - 1, a, 4242) == -1);

	n = epmd_put_names_line(out, sizeof(out), &a->name, a->port);
	ASSERT(n > 0 && memcmp(out, "name ", 5) == 0 && out[n - 1] == '\n');
	ASSERT(memcmp(out + 5, a->name.s, a->name.len) == 0);

	n = epmd_put_alive2_resp(out, sizeof(out), a->highest, 0,
	    epmd_creation_for(a->highest, a->port));
	ASSERT(n == (a->highest >= 6 ? 6 : 4));
	ASSERT(out[0] == (a->highest >= 6 ? EPMD_ALIVE2_X_RESP :
	    EPMD_ALIVE2_RESP));
}

/* The mark comes off only when it is there, and only it comes off. */
static void
unmark(const struct epmd_alive2 *orig)
{
	static struct epmd_alive2 a;
	int had;

	a = *orig;
	had = orig->extra_len >= EPMD_MEDIATED_MARK_LEN &&
	    memcmp(orig->extra, EPMD_MEDIATED_MARK, EPMD_MEDIATED_MARK_LEN) == 0;
	ASSERT(epmd_alive2_unmark(&a) == had);
	if (!had) {
		ASSERT(a.extra_len == orig->extra_len);
		return;
	}
	ASSERT(a.extra_len == orig->extra_len - EPMD_MEDIATED_MARK_LEN);
	ASSERT(memcmp(a.extra, orig->extra + EPMD_MEDIATED_MARK_LEN,
	    a.extra_len) == 0);
}

static void
egress(const struct dg_name *node)
{
	const char *at = memchr(node->s, '@', node->len);
	size_t alen, hlen, i;

	ASSERT(at != NULL);
	alen = (size_t)(at - node->s);
	hlen = node->len - alen - 1;
	ASSERT(alen >= 1 && alen <= EPMD_EGRESS_MAX_PART);
	ASSERT(hlen >= 1 && hlen <= EPMD_EGRESS_MAX_PART);
	ASSERT(memchr(at + 1, '@', hlen) == NULL);
	for (i = 0; i < node->len; i++)
		ASSERT((uint8_t)node->s[i] >= 0x20 && node->s[i] != 0x7f);
	ASSERT(epmd_put_egress_resp(out, sizeof(out), (uint8_t)node->len,
	    (uint16_t)alen, (uint16_t)hlen) == EPMD_EGRESS_RESP_LEN);
	ASSERT(out[0] == EPMD_EGRESS_RESP && get_u16(out + 2) == alen &&
	    get_u16(out + 4) == hlen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	int rc, n;

	rc = epmd_parse(data, size, &req, &why);
	if (rc == DG_AGAIN) {
		ASSERT(size < 2 || size < 2 + (size_t)get_u16(data));
		return 0;
	}
	if (rc == DG_EINVAL) {
		ASSERT(why != NULL && *why != '\0');
		return 0;
	}
	ASSERT(rc >= 3 && (size_t)rc <= size && rc == 2 + get_u16(data));
	ASSERT(epmd_parse(data, (size_t)rc - 1, &again, &why) == DG_AGAIN);

	n = epmd_put_req(out, sizeof(out), &req);
	ASSERT(n >= 3 && n <= rc);
	memset(&again, 0, sizeof(again));
	ASSERT(epmd_parse(out, (size_t)n, &again, &why) == n);
	req_same(&req, &again);
	/* Only the dropped NUL or ALIVE2 trailing bytes make them differ. */
	if (n == rc)
		ASSERT(memcmp(out, data, (size_t)n) == 0);
	if (req.code == EPMD_ALIVE2_REQ) {
		replies(&req.alive);
		unmark(&req.alive);
	}
	if (req.code == EPMD_EGRESS_REQ)
		egress(&req.name);
	return 0;
}
