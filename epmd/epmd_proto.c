/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_proto.c - EPMD requests from bytes, replies to bytes (spec section
 * 1).  Owns no state.  The request bytes come from any peer that reaches the
 * EPMD port and are trusted for nothing: every length is checked against
 * what remains before it is used, and the checks of stock epmd's do_read /
 * do_request / node_reg2 are all made here, some of them tighter.
 */
#include <string.h>

#include "dg.h"
#include "dg_wire.h"
#include "epmd_proto.h"

/*
 * ALIVE2_REQ body after the code byte (spec 1.3).  Trailing bytes after
 * Extra are ignored, as stock epmd does.
 */
static int
parse_alive2(struct dg_rd *r, struct epmd_alive2 *a, const char **why)
{
	const uint8_t *name, *extra;
	uint16_t nlen = 0, elen = 0;

	/* The code byte is already read: 13 more make the 14 of spec 1.3. */
	if (rd_avail(r) < EPMD_ALIVE2_MIN - 1) {
		*why = "ALIVE2_REQ shorter than 14 bytes";
		return DG_EINVAL;
	}
	(void)rd_u16(r, &a->port);
	(void)rd_u8(r, &a->node_type);
	(void)rd_u8(r, &a->protocol);
	(void)rd_u16(r, &a->highest);
	(void)rd_u16(r, &a->lowest);
	(void)rd_u16(r, &nlen);
	/* Inner lengths against what remains: the name and then Elen. */
	if (rd_bytes(r, nlen, &name) == -1 || rd_u16(r, &elen) == -1) {
		*why = "ALIVE2_REQ name length beyond the request";
		return DG_EINVAL;
	}
	if (rd_bytes(r, elen, &extra) == -1) {
		*why = "ALIVE2_REQ extra length beyond the request";
		return DG_EINVAL;
	}
	if (elen > DG_MAX_EPMD_EXTRA) {
		*why = "ALIVE2_REQ extra over 1020 bytes";
		return DG_EINVAL;
	}
	if (dg_name_copy(name, nlen, &a->name, why) == DG_EINVAL)
		return DG_EINVAL;
	if (a->port == 0) {
		*why = "ALIVE2_REQ port 0";
		return DG_EINVAL;
	}
	if (a->protocol != 0) {
		*why = "ALIVE2_REQ protocol not TCP (0)";
		return DG_EINVAL;
	}
	if (a->node_type != EPMD_NODE_NORMAL &&
	    a->node_type != EPMD_NODE_HIDDEN && a->node_type != EPMD_NODE_EI) {
		*why = "ALIVE2_REQ unknown node type";
		return DG_EINVAL;
	}
	/*
	 * Handshake versions 5 and 6 are the only ones (spec 2.2); a range
	 * that holds neither could never be connected to.
	 */
	if (a->lowest > a->highest || a->highest < 5 || a->lowest > 6) {
		*why = "unsupported version range";
		return DG_EINVAL;
	}
	memcpy(a->extra, extra, elen);
	a->extra_len = elen;
	return 0;
}

/*
 * EGRESS_REQ body after the code byte: the full name of the node to dial.
 * Each part is bounded like the names EPMD serves, and control bytes are
 * refused because the name ends up in log lines and host lookups.
 */
static int
parse_egress(struct dg_rd *r, struct dg_name *node, const char **why)
{
	const uint8_t *p = r->p, *at;
	size_t n = rd_avail(r), i, alen, hlen;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			*why = "EGRESS_REQ control byte in the node name";
			return DG_EINVAL;
		}
	}
	if ((at = memchr(p, '@', n)) == NULL) {
		*why = "EGRESS_REQ node name without '@'";
		return DG_EINVAL;
	}
	alen = (size_t)(at - p);
	hlen = n - alen - 1;
	if (alen < 1 || alen > EPMD_EGRESS_MAX_PART) {
		*why = "EGRESS_REQ alive part not 1..255 bytes";
		return DG_EINVAL;
	}
	if (hlen < 1 || hlen > EPMD_EGRESS_MAX_PART) {
		*why = "EGRESS_REQ host part not 1..255 bytes";
		return DG_EINVAL;
	}
	if (memchr(at + 1, '@', hlen) != NULL) {
		*why = "EGRESS_REQ node name with two '@'";
		return DG_EINVAL;
	}
	return dg_name_copy(p, n, node, why);
}

/* Args each op takes (epmd_proto.h), indexed by op. */
static const int8_t api_nargs[EPMD_API_OP_MAX + 1] = {
	-1, 4, 5, 4, 4, 4, 4, 1, 1
};

int
epmd_api_nargs(unsigned op)
{
	return op <= EPMD_API_OP_MAX ? api_nargs[op] : -1;
}

/* One API arg: a length, then that many bytes of printable UTF-8. */
static int
parse_api_arg(struct dg_rd *r, struct epmd_api *a, int i, const char **why)
{
	const uint8_t *p;
	uint16_t n;
	size_t chars, k;

	if (rd_u16(r, &n) == -1 || rd_bytes(r, n, &p) == -1) {
		*why = "API_REQ argument beyond the request";
		return DG_EINVAL;
	}
	if (n > EPMD_API_ARG_MAX) {
		*why = "API_REQ argument over 1020 bytes";
		return DG_EINVAL;
	}
	/* Args end up in rule text, logs and alerts. */
	for (k = 0; k < n; k++)
		if (p[k] < 0x20 || p[k] == 0x7f) {
			*why = "API_REQ control byte in an argument";
			return DG_EINVAL;
		}
	if (!dg_utf8_valid(p, n, &chars)) {
		*why = "API_REQ argument not UTF-8";
		return DG_EINVAL;
	}
	memcpy(a->arg[i], p, n);
	a->arg[i][n] = '\0';
	a->len[i] = n;
	return 0;
}

/* API_REQ body after the code byte (epmd_proto.h). */
static int
parse_api(struct dg_rd *r, struct epmd_api *a, const char **why)
{
	int i;

	if (rd_u32(r, &a->id) == -1 || rd_u8(r, &a->op) == -1 ||
	    rd_u8(r, &a->nargs) == -1) {
		*why = "API_REQ shorter than its head";
		return DG_EINVAL;
	}
	if (epmd_api_nargs(a->op) < 0) {
		*why = "API_REQ unknown op";
		return DG_EINVAL;
	}
	if (a->nargs != epmd_api_nargs(a->op)) {
		*why = "API_REQ wrong number of arguments for its op";
		return DG_EINVAL;
	}
	for (i = 0; i < a->nargs; i++)
		if (parse_api_arg(r, a, i, why) == DG_EINVAL)
			return DG_EINVAL;
	if (rd_avail(r) != 0) {
		*why = "API_REQ bytes after the last argument";
		return DG_EINVAL;
	}
	return 0;
}

int
epmd_parse(const uint8_t *buf, size_t len, struct epmd_req *req,
    const char **why)
{
	struct dg_rd r = rd_init(buf, len), body;
	struct epmd_req tmp;
	const uint8_t *p;
	uint16_t blen;
	uint8_t code;
	size_t n;

	if (rd_u16(&r, &blen) == -1)
		return DG_AGAIN;
	/* Before waiting for a byte of the body (spec 1.1, do_read). */
	if (blen == 0 || blen > DG_MAX_EPMD_REQ) {
		*why = "request length out of range 1..3057";
		return DG_EINVAL;
	}
	if (rd_bytes(&r, blen, &p) == -1)
		return DG_AGAIN;
	body = rd_init(p, blen);
	(void)rd_u8(&body, &code);

	memset(&tmp, 0, sizeof(tmp));
	tmp.code = code;
	switch (code) {
	case EPMD_ALIVE2_REQ:
		if (parse_alive2(&body, &tmp.alive, why) == DG_EINVAL)
			return DG_EINVAL;
		break;
	case EPMD_PORT_PLEASE2_REQ:
		/* epmd drops one trailing NUL (spec 1.7). */
		n = rd_avail(&body);
		if (n > 0 && body.p[n - 1] == '\0')
			n--;
		if (dg_name_copy(body.p, n, &tmp.name, why) == DG_EINVAL)
			return DG_EINVAL;
		break;
	case EPMD_STOP_REQ:
		if (dg_name_copy(body.p, rd_avail(&body), &tmp.name, why) ==
		    DG_EINVAL)
			return DG_EINVAL;
		break;
	case EPMD_EGRESS_REQ:
		if (parse_egress(&body, &tmp.name, why) == DG_EINVAL)
			return DG_EINVAL;
		break;
	case EPMD_API_REQ:
		if (parse_api(&body, &tmp.api, why) == DG_EINVAL)
			return DG_EINVAL;
		break;
	case EPMD_NAMES_REQ:
	case EPMD_DUMP_REQ:
	case EPMD_KILL_REQ:
		if (rd_avail(&body) != 0) {
			*why = "bytes after a one-byte request";
			return DG_EINVAL;
		}
		break;
	default:
		*why = "unknown request";
		return DG_EINVAL;
	}
	*req = tmp;
	return 2 + blen;
}

/* Closes a writer: bytes written, or -1 on overflow. */
static int
wr_done(const struct dg_wr *w, const uint8_t *start)
{
	if (w->overflow)
		return -1;
	return (int)(w->p - start);
}

int
epmd_put_alive2_resp(uint8_t *out, size_t cap, uint16_t highest,
    uint8_t result, uint32_t creation)
{
	struct dg_wr w = wr_init(out, cap);

	if (highest >= 6) {
		wr_u8(&w, EPMD_ALIVE2_X_RESP);
		wr_u8(&w, result);
		wr_u32(&w, creation);
	} else {
		/* The legacy reply only has 16 bits (spec 1.4). */
		if (creation > UINT16_MAX)
			return -1;
		wr_u8(&w, EPMD_ALIVE2_RESP);
		wr_u8(&w, result);
		wr_u16(&w, (uint16_t)creation);
	}
	return wr_done(&w, out);
}

int
epmd_put_port2_ok(uint8_t *out, size_t cap, const struct epmd_alive2 *node,
    uint16_t advertised_port)
{
	struct dg_wr w = wr_init(out, cap);

	if (node->name.len > DG_MAX_ALIVE_BYTES ||
	    node->extra_len > DG_MAX_EPMD_EXTRA)
		return -1;
	wr_u8(&w, EPMD_PORT2_RESP);
	wr_u8(&w, 0);
	wr_u16(&w, advertised_port);
	wr_u8(&w, node->node_type);
	wr_u8(&w, node->protocol);
	wr_u16(&w, node->highest);
	wr_u16(&w, node->lowest);
	wr_u16(&w, node->name.len);
	wr_bytes(&w, node->name.s, node->name.len);
	wr_u16(&w, node->extra_len);
	wr_bytes(&w, node->extra, node->extra_len);
	return wr_done(&w, out);
}

int
epmd_put_port2_error(uint8_t *out, size_t cap)
{
	struct dg_wr w = wr_init(out, cap);

	wr_u8(&w, EPMD_PORT2_RESP);
	wr_u8(&w, 1);
	return wr_done(&w, out);
}

int
epmd_put_egress_resp(uint8_t *out, size_t cap, uint8_t result, uint16_t port,
    uint16_t version)
{
	struct dg_wr w = wr_init(out, cap);

	wr_u8(&w, EPMD_EGRESS_RESP);
	wr_u8(&w, result);
	wr_u16(&w, port);
	wr_u16(&w, version);
	return wr_done(&w, out);
}

int
epmd_alive2_unmark(struct epmd_alive2 *a)
{
	if (a->extra_len < EPMD_MEDIATED_MARK_LEN ||
	    memcmp(a->extra, EPMD_MEDIATED_MARK, EPMD_MEDIATED_MARK_LEN) != 0)
		return 0;
	a->extra_len -= EPMD_MEDIATED_MARK_LEN;
	memmove(a->extra, a->extra + EPMD_MEDIATED_MARK_LEN, a->extra_len);
	return 1;
}

int
epmd_put_names_header(uint8_t *out, size_t cap, uint32_t epmd_port)
{
	struct dg_wr w = wr_init(out, cap);

	wr_u32(&w, epmd_port);
	return wr_done(&w, out);
}

/* Writes v in decimal, no padding. */
static void
wr_decimal(struct dg_wr *w, uint32_t v)
{
	char tmp[10];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	wr_bytes(w, tmp + i, sizeof(tmp) - i);
}

int
epmd_put_names_line(uint8_t *out, size_t cap, const struct dg_name *name,
    uint16_t port)
{
	struct dg_wr w = wr_init(out, cap);

	if (name->len > DG_MAX_ALIVE_BYTES)
		return -1;
	/* The exact form net_adm:names/1 parses (spec 1.8). */
	wr_bytes(&w, "name ", 5);
	wr_bytes(&w, name->s, name->len);
	wr_bytes(&w, " at port ", 9);
	wr_decimal(&w, port);
	wr_u8(&w, '\n');
	return wr_done(&w, out);
}

int
epmd_put_alive2_req(uint8_t *out, size_t cap, const struct epmd_alive2 *a)
{
	struct dg_wr w = wr_init(out, cap);
	size_t blen;

	blen = 13 + (size_t)a->name.len + a->extra_len;
	if (a->name.len > DG_MAX_NODE_BYTES ||
	    a->extra_len > DG_MAX_EPMD_EXTRA || blen > DG_MAX_EPMD_REQ)
		return -1;
	wr_u16(&w, (uint16_t)blen);
	wr_u8(&w, EPMD_ALIVE2_REQ);
	wr_u16(&w, a->port);
	wr_u8(&w, a->node_type);
	wr_u8(&w, a->protocol);
	wr_u16(&w, a->highest);
	wr_u16(&w, a->lowest);
	wr_u16(&w, a->name.len);
	wr_bytes(&w, a->name.s, a->name.len);
	wr_u16(&w, a->extra_len);
	wr_bytes(&w, a->extra, a->extra_len);
	return wr_done(&w, out);
}

/* A code byte followed by a name: PORT_PLEASE2_REQ and STOP_REQ. */
static int
put_named_req(uint8_t *out, size_t cap, uint8_t code, const char *name,
    size_t nlen)
{
	struct dg_wr w = wr_init(out, cap);

	if (nlen + 1 > DG_MAX_EPMD_REQ)
		return -1;
	wr_u16(&w, (uint16_t)(nlen + 1));
	wr_u8(&w, code);
	wr_bytes(&w, name, nlen);
	return wr_done(&w, out);
}

int
epmd_put_port_please2_req(uint8_t *out, size_t cap, const char *name,
    size_t nlen)
{
	return put_named_req(out, cap, EPMD_PORT_PLEASE2_REQ, name, nlen);
}

int
epmd_put_egress_req(uint8_t *out, size_t cap, const char *node, size_t nlen)
{
	return put_named_req(out, cap, EPMD_EGRESS_REQ, node, nlen);
}

int
epmd_put_api_resp_head(uint8_t *out, size_t cap, uint32_t id, uint8_t status,
    uint32_t body_len)
{
	struct dg_wr w = wr_init(out, cap);

	wr_u8(&w, EPMD_API_RESP);
	wr_u32(&w, id);
	wr_u8(&w, status);
	wr_u32(&w, body_len);
	return wr_done(&w, out);
}

int
epmd_put_api_req(uint8_t *out, size_t cap, const struct epmd_api *a)
{
	struct dg_wr w = wr_init(out, cap);
	size_t blen = 7;
	int i;

	if (a->nargs > EPMD_API_MAX_ARGS)
		return -1;
	for (i = 0; i < a->nargs; i++) {
		if (a->len[i] > EPMD_API_ARG_MAX)
			return -1;
		blen += 2 + (size_t)a->len[i];
	}
	if (blen > DG_MAX_EPMD_REQ)
		return -1;
	wr_u16(&w, (uint16_t)blen);
	wr_u8(&w, EPMD_API_REQ);
	wr_u32(&w, a->id);
	wr_u8(&w, a->op);
	wr_u8(&w, a->nargs);
	for (i = 0; i < a->nargs; i++) {
		wr_u16(&w, a->len[i]);
		wr_bytes(&w, a->arg[i], a->len[i]);
	}
	return wr_done(&w, out);
}

int
epmd_put_req(uint8_t *out, size_t cap, const struct epmd_req *req)
{
	struct dg_wr w = wr_init(out, cap);

	switch (req->code) {
	case EPMD_ALIVE2_REQ:
		return epmd_put_alive2_req(out, cap, &req->alive);
	case EPMD_PORT_PLEASE2_REQ:
	case EPMD_STOP_REQ:
	case EPMD_EGRESS_REQ:
		return put_named_req(out, cap, (uint8_t)req->code,
		    req->name.s, req->name.len);
	case EPMD_API_REQ:
		return epmd_put_api_req(out, cap, &req->api);
	case EPMD_NAMES_REQ:
	case EPMD_DUMP_REQ:
	case EPMD_KILL_REQ:
		wr_u16(&w, 1);
		wr_u8(&w, (uint8_t)req->code);
		return wr_done(&w, out);
	default:
		return -1;
	}
}

uint32_t
epmd_creation_for(uint16_t highest, uint32_t counter)
{
	/* Old clients only keep 2 bits and never use 0 (spec 1.6). */
	if (highest >= 6)
		return counter;
	return counter % 3 + 1;
}
