/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dg_read.c - distguard's reading of control messages, for the
 * differential fuzzer (tests/difffuzz/dgdiff.erl).  A port program: each
 * request is {packet, 4} framed and holds one frame's terms in header mode
 * (control term, then payload, no 131 before either); each answer is one
 * line of text, space separated, strings in hex ("-" for none):
 *
 *   RC OP VIA OPAQUE ARITY M F NAME FROM_NODE PL_STATE FUN NATOMS ATOM...
 *
 * RC is dist_ctl_decode_x's result (0, DG_AGAIN, DG_EINVAL); the rest is
 * meaningful when RC is 0.  The decoder runs as the relay runs it for a
 * policy that needs every payload fact: the code guard's walk (funs) and
 * the atom budget's (every atom), on a frame that is complete.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dg_etf.h"
#include "dist_ctl.h"

#define MAX_IN		(1 << 20)
#define MAX_ATOMS	(MAX_IN / 2)

static const uint8_t	*atoms[MAX_ATOMS];
static size_t		 natoms;

static void
collect(void *arg, const uint8_t *a)
{
	(void)arg;
	if (natoms < MAX_ATOMS)
		atoms[natoms++] = a;
}

static int
read_full(uint8_t *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(0, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static char	 out[8 * MAX_IN];
static size_t	 olen;

static void
put_hex(const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	out[olen++] = ' ';
	if (p == NULL) {
		out[olen++] = '-';
		return;
	}
	if (n == 0)
		out[olen++] = '=';	/* the empty string */
	for (i = 0; i < n; i++) {
		out[olen++] = hx[p[i] >> 4];
		out[olen++] = hx[p[i] & 15];
	}
}

static void
put_span(struct dg_span s, int present)
{
	put_hex(present ? s.p : NULL, s.len);
}

static void
put_atom(const uint8_t *a)
{
	struct dg_span t;

	if (term_atom(&a, &t) == 0)
		put_hex(t.p, t.len);
	else
		put_hex(NULL, 0);
}

int
main(void)
{
	static uint8_t buf[MAX_IN];
	struct dist_msg m;
	struct dc_opts o;
	const char *why;
	uint8_t hdr[4];
	uint32_t len;
	size_t i;
	int rc;

	for (;;) {
		if (read_full(hdr, 4) == -1)
			return 0;
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		    (uint32_t)hdr[2] << 8 | hdr[3];
		if (len > MAX_IN || read_full(buf, len) == -1)
			return 1;
		memset(&o, 0, sizeof(o));
		o.need = DC_NEED_FUNS | DC_NEED_ATOMS;
		o.frame_end = buf + len;
		o.final = 1;
		o.atom = collect;
		natoms = 0;
		memset(&m, 0, sizeof(m));
		why = NULL;
		rc = dist_ctl_decode_x(buf, buf + len, 0, &o, &m, &why);
		olen = 4;
		olen += (size_t)snprintf(out + olen, 64, "%d %d %d %d %d", rc,
		    m.op, (int)m.via, m.opaque, m.exec_arity);
		put_span(m.exec_m, rc == 0 && m.via != VIA_NONE);
		put_span(m.exec_f, rc == 0 && m.via != VIA_NONE);
		put_span(m.name, rc == 0 && m.has_name);
		put_span(m.from_node, rc == 0 && m.has_from);
		olen += (size_t)snprintf(out + olen, 64, " %d %d %zu",
		    m.pl_state, m.pl_fun_at != NULL, natoms);
		for (i = 0; i < natoms && olen < sizeof(out) - 2100; i++)
			put_atom(atoms[i]);
		len = (uint32_t)(olen - 4);
		out[0] = (char)(len >> 24);
		out[1] = (char)(len >> 16);
		out[2] = (char)(len >> 8);
		out[3] = (char)len;
		if (write(1, out, olen) != (ssize_t)olen)
			return 1;
	}
}
