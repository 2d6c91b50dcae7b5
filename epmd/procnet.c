/* SPDX-License-Identifier: Apache-2.0 */
/*
 * procnet.c - /proc/net/tcp{,6} socket lines to values (procnet.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "procnet.h"

struct cursor {
	const char	*p, *end;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
skip_spaces(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Exactly `digits` hex digits (1..8) into *v. */
static int
take_hex(struct cursor *c, int digits, uint32_t *v)
{
	uint32_t x = 0;
	int i, h;

	if (c->end - c->p < digits)
		return -1;
	for (i = 0; i < digits; i++) {
		if ((h = hexval(c->p[i])) < 0)
			return -1;
		x = x << 4 | (uint32_t)h;
	}
	c->p += digits;
	*v = x;
	return 0;
}

/* Length of the run of hex digits at the cursor. */
static size_t
hex_run(const struct cursor *c)
{
	const char *q = c->p;

	while (q < c->end && hexval(*q) >= 0)
		q++;
	return (size_t)(q - c->p);
}

/*
 * ADDR:PORT.  The kernel prints each 32-bit word of the address with %08X
 * as it sits in memory, so the word's bytes are the address bytes in host
 * order: copying the parsed value back to memory gives network order.
 */
static int
take_endpoint(struct cursor *c, struct procnet_sock *s)
{
	size_t n = hex_run(c);
	uint32_t w, port;
	int i;

	if (n != 8 && n != 32)
		return -1;
	s->family = n == 8 ? AF_INET : AF_INET6;
	for (i = 0; i < (int)n / 8; i++) {
		if (take_hex(c, 8, &w) == -1)
			return -1;
		memcpy(s->addr + 4 * i, &w, 4);
	}
	if (c->p >= c->end || *c->p != ':')
		return -1;
	c->p++;
	if (hex_run(c) != 4 || take_hex(c, 4, &port) == -1)
		return -1;
	s->port = (uint16_t)port;
	return 0;
}

/* Skips one field: a run of anything but blanks. */
static int
skip_field(struct cursor *c)
{
	const char *q = c->p;

	while (c->p < c->end && *c->p != ' ' && *c->p != '\t' &&
	    *c->p != '\n')
		c->p++;
	return c->p > q ? 0 : -1;
}

/* A decimal number of 1..`maxdigits` digits, at most `max`. */
static int
take_dec(struct cursor *c, int maxdigits, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	int n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (++n > maxdigits)
			return -1;
		x = x * 10 + (uint64_t)(*c->p - '0');
		c->p++;
	}
	if (n == 0 || x > max)
		return -1;
	if (c->p < c->end && *c->p != ' ' && *c->p != '\t' && *c->p != '\n')
		return -1;
	*v = x;
	return 0;
}

/*
 * After the state: "tx:rx tr:when retrnsmt uid timeout inode ...".  The
 * line is a socket line without them (older tests, other kernels); the
 * owner is then unknown, never guessed.
 */
static void
take_owner(struct cursor *c, struct procnet_sock *s)
{
	uint64_t uid, timeout, inode;
	int i;

	for (i = 0; i < 3; i++) {
		skip_spaces(c);
		if (skip_field(c) == -1)
			return;
	}
	skip_spaces(c);
	if (take_dec(c, 10, UINT32_MAX, &uid) == -1)
		return;
	skip_spaces(c);
	if (take_dec(c, 20, UINT64_MAX / 10, &timeout) == -1)
		return;
	skip_spaces(c);
	if (take_dec(c, 19, UINT64_MAX / 10, &inode) == -1)
		return;
	s->uid = (uint32_t)uid;
	s->inode = inode;
	s->has_owner = 1;
}

int
procnet_parse_line(const char *line, size_t len, struct procnet_sock *s)
{
	struct cursor c = { line, line + len };
	struct procnet_sock tmp, remote;
	uint32_t st;
	size_t n;

	memset(&tmp, 0, sizeof(tmp));
	skip_spaces(&c);
	/* "sl:": the slot number, decimal. */
	n = 0;
	while (c.p < c.end && *c.p >= '0' && *c.p <= '9' && n < 10) {
		c.p++;
		n++;
	}
	if (n == 0 || c.p >= c.end || *c.p != ':')
		return -1;
	c.p++;
	skip_spaces(&c);
	if (take_endpoint(&c, &tmp) == -1)
		return -1;
	skip_spaces(&c);
	memset(&remote, 0, sizeof(remote));
	if (take_endpoint(&c, &remote) == -1 || remote.family != tmp.family)
		return -1;
	skip_spaces(&c);
	if (hex_run(&c) != 2 || take_hex(&c, 2, &st) == -1)
		return -1;
	/* The state ends at a space or the end of the line. */
	if (c.p < c.end && *c.p != ' ' && *c.p != '\t' && *c.p != '\n')
		return -1;
	tmp.state = (uint8_t)st;
	memcpy(tmp.raddr, remote.addr, sizeof(tmp.raddr));
	tmp.rport = remote.port;
	take_owner(&c, &tmp);
	*s = tmp;
	return 0;
}

int
procnet_is_loopback(const struct procnet_sock *s)
{
	static const uint8_t v6_loop[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (s->family == AF_INET)
		return s->addr[0] == 127;
	if (memcmp(s->addr, v6_loop, 16) == 0)
		return 1;
	return memcmp(s->addr, v4_mapped, 12) == 0 && s->addr[12] == 127;
}

void
procnet_account(struct procnet_verdict *v, const char *line, size_t len,
    uint16_t port)
{
	struct procnet_sock s;

	if (procnet_parse_line(line, len, &s) == -1 ||
	    s.state != PROCNET_LISTEN || s.port != port)
		return;
	v->listeners++;
	if (s.has_owner) {
		if (v->owners_known++ == 0)
			v->owner_uid = s.uid;
		else if (s.uid != v->owner_uid)
			v->owners_differ = 1;
	}
	if (procnet_is_loopback(&s))
		return;
	if (v->exposed++ == 0)
		v->first_exposed = s;
}

void
procnet_addr_text(const struct procnet_sock *s, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	if (inet_ntop(s->family, s->addr, buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");
}

int
procnet_is_conn(const char *line, size_t len, int family,
    const uint8_t *laddr, uint16_t lport, const uint8_t *raddr,
    uint16_t rport, struct procnet_sock *s)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (procnet_parse_line(line, len, s) == -1 || s->family != family ||
	    s->state == PROCNET_LISTEN || s->port != lport ||
	    s->rport != rport)
		return 0;
	return memcmp(s->addr, laddr, alen) == 0 &&
	    memcmp(s->raddr, raddr, alen) == 0;
}
