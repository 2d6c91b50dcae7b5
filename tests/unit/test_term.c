/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_term.c - filter/term.c: every accepted tag, every strict prefix,
 * hostile lengths, depths, atoms and tags; accessors; agreement with ei on
 * proven terms.  Input always ends at a guard page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ei.h>

#include "dg_test.h"
#include "dg_wire.h"
#include "term.h"

/* A tiny term builder over dg_wr. */
static uint8_t tbuf[1 << 20];
static struct dg_wr w;

static void
tb_reset(void)
{
	w = wr_init(tbuf, sizeof(tbuf));
}

static size_t
tb_len(void)
{
	return (size_t)(w.p - tbuf);
}

static void
tb_atom(const char *s)
{
	wr_u8(&w, 119);
	wr_u8(&w, (uint8_t)strlen(s));
	wr_bytes(&w, s, strlen(s));
}

static void
tb_pid(const char *node, uint32_t id)
{
	wr_u8(&w, 88);
	tb_atom(node);
	wr_u32(&w, id);
	wr_u32(&w, 0);
	wr_u32(&w, 7);
}

static void
tb_ref(const char *node)
{
	wr_u8(&w, 90);
	wr_u16(&w, 3);
	tb_atom(node);
	wr_u32(&w, 7);
	wr_u32(&w, 1);
	wr_u32(&w, 2);
	wr_u32(&w, 3);
}

/* Returns term_scan on a guard-page copy of buf[0..len). */
static int
scan(const uint8_t *buf, size_t len, const char **why)
{
	const uint8_t *g = guard_copy(buf, len);

	return term_scan(g, g + len, why);
}

/* The term is accepted whole, with exactly its length, and each strict
 * prefix is DG_AGAIN. */
static void
check_term(const uint8_t *buf, size_t len)
{
	const char *why = NULL;
	size_t k;
	int rc;

	rc = scan(buf, len, &why);
	if (rc != (int)len)
		fprintf(stderr, "  term of %zu bytes (tag %u): %d %s\n", len,
		    buf[0], rc, rc < 0 && why ? why : "");
	CHECK_EQ(rc, (int)len);
	/* the trusting walker agrees with the scanner on proven terms */
	if (rc == (int)len) {
		const uint8_t *g = guard_copy(buf, len);

		CHECK(term_next(g) == g + len);
	}
	for (k = 0; k < len; k++) {
		rc = scan(buf, k, &why);
		if (rc != DG_AGAIN)
			fprintf(stderr, "  prefix %zu of %zu (tag %u): %d\n",
			    k, len, buf[0], rc);
		CHECK_EQ(rc, DG_AGAIN);
	}
	/* trailing bytes are not part of the term */
	{
		uint8_t tmp[4096];

		if (len + 3 <= sizeof(tmp)) {
			memcpy(tmp, buf, len);
			memset(tmp + len, 106, 3);
			CHECK_EQ(scan(tmp, len + 3, &why), (int)len);
		}
	}
}

static void
check_bad(const uint8_t *buf, size_t len)
{
	const char *why = NULL;
	int rc = scan(buf, len, &why);

	CHECK_EQ(rc, DG_EINVAL);
	CHECK(why != NULL);
}

/* ei agrees on what term_scan proved (ei may only ever see such spans). */
static void
check_ei(const uint8_t *buf, size_t len)
{
	int idx = 0;

	CHECK_EQ(ei_skip_term((const char *)buf, &idx), 0);
	CHECK_EQ(idx, (int)len);
}

static void
test_every_tag(void)
{
	/* first byte: length of the term that follows */
	static const uint8_t fixed[][16] = {
		{ 2, 97, 5 },				/* small int */
		{ 5, 98, 0xff, 0xff, 0xff, 0xfe },	/* int -2 */
		{ 9, 70, 0x40, 9, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18 },
		{ 1, 106 },				/* nil */
		{ 6, 107, 0, 3, 'a', 'b', 'c' },	/* string */
		{ 7, 109, 0, 0, 0, 2, 1, 2 },		/* binary */
		{ 8, 77, 0, 0, 0, 2, 3, 1, 0xe0 },	/* bit binary */
		{ 5, 110, 2, 1, 0, 1 },			/* -256 */
		{ 8, 111, 0, 0, 0, 2, 0, 1, 1 },	/* 257 */
		{ 5, 100, 0, 2, 'o', 'k' },		/* ATOM_EXT */
		{ 4, 115, 2, 'o', 'k' },		/* SMALL_ATOM_EXT */
		{ 6, 118, 0, 3, 0xc3, 0xa9, 'x' },	/* 'éx' */
		{ 5, 119, 3, 'f', 'o', 'o' },
	};
	uint8_t flt[32] = { 99 };
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(fixed); i++) {
		check_term(fixed[i] + 1, fixed[i][0]);
		check_ei(fixed[i] + 1, fixed[i][0]);
	}
	memcpy(flt + 1, "1.50000000000000000000e+00", 26);
	check_term(flt, 32);
	check_ei(flt, 32);
	/* ei reads FLOAT_EXT with sscanf: only NUL-terminated numbers pass */
	memcpy(flt + 1, "1.5xyz", 6);
	check_bad(flt, 32);
	memset(flt + 1, '1', 31);
	check_bad(flt, 32);
	memset(flt + 1, 0, 31);
	memcpy(flt + 1, "inf", 3);
	check_bad(flt, 32);

	/* pids, ports, refs: new and legacy */
	tb_reset(); tb_pid("a@h", 9);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 103); tb_atom("a@h"); wr_u32(&w, 1);
	wr_u32(&w, 0); wr_u8(&w, 1);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 89); tb_atom("a@h"); wr_u32(&w, 1); wr_u32(&w, 2);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 102); tb_atom("a@h"); wr_u32(&w, 1); wr_u8(&w, 2);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 120); tb_atom("a@h"); wr_u64(&w, 1); wr_u32(&w, 2);
	check_term(tbuf, tb_len());
	tb_reset(); tb_ref("a@h");
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 114); wr_u16(&w, 1); tb_atom("a@h"); wr_u8(&w, 1);
	wr_u32(&w, 5);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 101); tb_atom("a@h"); wr_u32(&w, 5); wr_u8(&w, 1);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());

	/* containers */
	tb_reset(); wr_u8(&w, 104); wr_u8(&w, 0);
	check_term(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 105); wr_u32(&w, 2); tb_atom("x"); wr_u8(&w, 106);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 108); wr_u32(&w, 2); wr_u8(&w, 97); wr_u8(&w, 1);
	wr_u8(&w, 97); wr_u8(&w, 2); wr_u8(&w, 106);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	/* improper [a | b] */
	tb_reset(); wr_u8(&w, 108); wr_u32(&w, 1); tb_atom("a"); tb_atom("b");
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 116); wr_u32(&w, 2); tb_atom("k"); wr_u8(&w, 97);
	wr_u8(&w, 1); tb_atom("l"); wr_u8(&w, 106);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
	tb_reset(); wr_u8(&w, 116); wr_u32(&w, 0);
	check_term(tbuf, tb_len());

	/* export fun erlang:node/0 */
	tb_reset(); wr_u8(&w, 113); tb_atom("erlang"); tb_atom("node");
	wr_u8(&w, 97); wr_u8(&w, 0);
	check_term(tbuf, tb_len()); check_ei(tbuf, tb_len());
}

/* A NEW_FUN_EXT with `nfree` free variables; returns its length. */
static size_t
tb_fun(int nfree, int size_delta)
{
	uint8_t *size_at;
	int i;

	tb_reset();
	wr_u8(&w, 112);
	size_at = w.p;
	wr_u32(&w, 0);
	wr_u8(&w, 0);			/* arity */
	wr_bytes(&w, "0123456789abcdef", 16);
	wr_u32(&w, 1);			/* index */
	wr_u32(&w, (uint32_t)nfree);
	tb_atom("m");
	wr_u8(&w, 97); wr_u8(&w, 1);	/* OldIndex */
	wr_u8(&w, 98); wr_u32(&w, 2);	/* OldUniq */
	tb_pid("a@h", 1);
	for (i = 0; i < nfree; i++) {
		wr_u8(&w, 97);
		wr_u8(&w, (uint8_t)i);
	}
	put_u32(size_at, (uint32_t)((int)(w.p - size_at) + size_delta));
	return tb_len();
}

static void
test_fun(void)
{
	size_t n;
	uint8_t tmp[256];

	n = tb_fun(2, 0);
	check_term(tbuf, n);
	check_ei(tbuf, n);
	n = tb_fun(0, 0);
	check_term(tbuf, n);

	/* Size that disagrees with the contents */
	n = tb_fun(2, -1);
	check_bad(tbuf, n);
	n = tb_fun(2, 2);
	memcpy(tmp, tbuf, n);
	memset(tmp + n, 97, 2);		/* bytes present, still wrong */
	check_bad(tmp, n + 2);
	/* a NumFree that would overrun the Size */
	n = tb_fun(1, 0);
	put_u32(tbuf + 1 + 4 + 1 + 16 + 4, 1000);
	check_bad(tbuf, n);
	/* Size below the fixed part */
	tbuf[1] = 0; tbuf[2] = 0; tbuf[3] = 0; tbuf[4] = 5;
	check_bad(tbuf, n);
}

static void
test_depth(void)
{
	const size_t deep = 100000;
	uint8_t *b = malloc(deep * 6 + 1);
	const char *why = NULL;
	size_t i, n;
	int rc;

	/* [[[...]]] 100000 deep: refused, no recursion, no stack growth */
	for (i = 0; i < deep; i++) {
		b[i * 5] = 108;
		put_u32(b + i * 5 + 1, 1);
	}
	n = deep * 5;
	b[n++] = 106;
	for (i = 0; i < deep; i++)
		b[n++] = 106;
	rc = scan(b, n, &why);
	CHECK_EQ(rc, DG_EINVAL);
	CHECK(why && strstr(why, "deep") != NULL);

	/* exactly TERM_MAX_DEPTH nested tuples is fine, one more is not */
	for (i = 0; i < TERM_MAX_DEPTH; i++) {
		b[i * 2] = 104;
		b[i * 2 + 1] = 1;
	}
	b[TERM_MAX_DEPTH * 2] = 106;
	n = TERM_MAX_DEPTH * 2 + 1;
	CHECK_EQ(scan(b, n, &why), (int)n);
	check_ei(b, n);
	memmove(b + 2, b, n);
	b[0] = 104;
	b[1] = 1;
	check_bad(b, n + 2);

	/* a long flat list is not deep */
	b[0] = 108;
	put_u32(b + 1, 100000);
	memset(b + 5, 106, 100001);
	CHECK_EQ(scan(b, 100006, &why), 100006);
	free(b);
}

static void
test_huge_lengths(void)
{
	static const uint8_t bin[] = { 109, 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };
	static const uint8_t list[] = { 108, 0xff, 0xff, 0xff, 0xff, 97, 1 };
	static const uint8_t tup[] = { 105, 0xff, 0xff, 0xff, 0xff, 97, 1 };
	static const uint8_t map[] = { 116, 0x80, 0, 0, 0, 97, 1 };
	static const uint8_t big[] = { 111, 0xff, 0xff, 0xff, 0xff, 0, 1 };
	static const uint8_t bits[] = { 77, 0xff, 0xff, 0xff, 0xff, 8, 1 };
	static const uint8_t fun[] = { 112, 0xff, 0xff, 0xff, 0xff, 0 };
	static const uint8_t str[] = { 107, 0xff, 0xff, 'a' };
	static const uint8_t atom[] = { 118, 0xff, 0xff, 'a' };
	static const uint8_t latin[] = { 100, 0x01, 0x00, 'a' };
	const char *why;

	/* a declared length beyond the bytes is a wait, never a read */
	CHECK_EQ(scan(bin, sizeof(bin), &why), DG_AGAIN);
	CHECK_EQ(scan(list, sizeof(list), &why), DG_AGAIN);
	CHECK_EQ(scan(tup, sizeof(tup), &why), DG_AGAIN);
	CHECK_EQ(scan(map, sizeof(map), &why), DG_AGAIN);
	CHECK_EQ(scan(big, sizeof(big), &why), DG_AGAIN);
	CHECK_EQ(scan(bits, sizeof(bits), &why), DG_AGAIN);
	CHECK_EQ(scan(fun, sizeof(fun), &why), DG_AGAIN);
	CHECK_EQ(scan(str, sizeof(str), &why), DG_AGAIN);
	/* atoms are capped before waiting: 65535 > 1020 bytes */
	check_bad(atom, sizeof(atom));
	check_bad(latin, sizeof(latin));	/* 256 Latin-1 chars */
}

static void
test_atoms(void)
{
	uint8_t b[1100];
	size_t i;

	/* 255 four-byte characters: 1020 bytes, accepted */
	b[0] = 118;
	put_u16(b + 1, 1020);
	for (i = 0; i < 255; i++)
		memcpy(b + 3 + 4 * i, "\xf0\x9f\x98\x80", 4);
	check_term(b, 1023);
	/* 256 two-byte characters: 512 bytes but too many characters */
	put_u16(b + 1, 512);
	for (i = 0; i < 256; i++)
		memcpy(b + 3 + 2 * i, "\xc3\xa9", 2);
	check_bad(b, 515);
	/* 255 plain bytes in SMALL_ATOM_UTF8 */
	b[0] = 119;
	b[1] = 255;
	memset(b + 2, 'a', 255);
	check_term(b, 257);
	/* 1021 bytes */
	b[0] = 118;
	put_u16(b + 1, 1021);
	memset(b + 3, 'a', 1021);
	check_bad(b, 1024);

	/* bad UTF-8 */
	{
		static const char *bad[] = {
			"\xc0\x80",		/* overlong NUL */
			"\xe0\x80\xaf",		/* overlong '/' */
			"\xed\xa0\x80",		/* surrogate */
			"\xf4\x90\x80\x80",	/* > U+10FFFF */
			"\xf8\x88\x80\x80\x80",	/* 5 bytes */
			"\x80",			/* lone continuation */
			"\xc3",			/* cut short */
			"a\xe2\x82",		/* cut short */
			"\xff",
		};

		for (i = 0; i < DG_ARRAY_LEN(bad); i++) {
			size_t n = strlen(bad[i]);

			b[0] = 119;
			b[1] = (uint8_t)n;
			memcpy(b + 2, bad[i], n);
			check_bad(b, n + 2);
		}
	}
	/* NUL inside an atom, UTF-8 and Latin-1 */
	memcpy(b, "\x77\x03" "a\0b", 5);
	check_bad(b, 5);
	memcpy(b, "\x73\x03" "a\0b", 5);
	check_bad(b, 5);
	/* Latin-1 high bytes: ERTS stores them as UTF-8, so the bytes are
	 * not the atom's name; OTP sends UTF-8 atoms: refused */
	memcpy(b, "\x73\x02\xe9\xff", 4);
	check_bad(b, 4);
	memcpy(b, "\x64\x00\x02\xc3\xa9", 5);
	check_bad(b, 5);
	memcpy(b, "\x73\x02" "ab", 4);
	check_term(b, 4);
	/* a pid whose node is not an atom */
	memcpy(b, "\x58\x61\x01", 3);
	memset(b + 3, 0, 12);
	check_bad(b, 15);
}

/* One atom of tag `tag` (100 115 118 119) with text t[0..n). */
static size_t
atom_term(uint8_t *b, uint8_t tag, const uint8_t *t, size_t n)
{
	size_t h = tag == 100 || tag == 118 ? 3 : 2;

	b[0] = tag;
	if (h == 3)
		put_u16(b + 1, (uint16_t)n);
	else
		b[1] = (uint8_t)n;
	memcpy(b + h, t, n);
	return h + n;
}

/* term_scan_atom agrees with term_scan: length, DG_AGAIN, DG_EINVAL. */
static void
check_atom_scans(const uint8_t *b, size_t len, int want)
{
	const uint8_t *g = guard_copy(b, len);
	const char *w1 = NULL, *w2 = NULL;
	int r1 = term_scan(g, g + len, &w1), r2 = term_scan_atom(g, g + len,
	    &w2);

	CHECK_EQ(r1, want);
	CHECK_EQ(r2, want);
	if (want == DG_EINVAL)
		CHECK(w1 != NULL && w2 != NULL && strcmp(w1, w2) == 0);
}

/*
 * The ASCII fast path of the atom scanner: every length of 0 to 40 bytes
 * (inside a word, across words, the overlapping last word, the byte
 * tail), in each of the four atom tags, with an e acute, a NUL and a byte
 * above 127 at each position; every strict prefix waits.
 */
static void
test_atom_fast_path(void)
{
	static const uint8_t tags[] = { 100, 115, 118, 119 };
	uint8_t t[48], b[64];
	size_t len, pos, n, k, i;

	for (i = 0; i < sizeof(tags); i++) {
		int utf8 = tags[i] >= 118;

		for (len = 0; len <= 40; len++) {
			memset(t, 'q', len);
			n = atom_term(b, tags[i], t, len);
			check_atom_scans(b, n, (int)n);
			for (k = 0; k < n; k++)
				check_atom_scans(b, k, DG_AGAIN);
			for (pos = 0; pos < len; pos++) {
				memset(t, 'q', len);
				t[pos] = 0;
				check_atom_scans(b, atom_term(b, tags[i], t,
				    len), DG_EINVAL);
				t[pos] = 0xe9;	/* Latin-1 e acute */
				check_atom_scans(b, atom_term(b, tags[i], t,
				    len), DG_EINVAL);
				if (pos + 1 < len) {	/* UTF-8 e acute */
					t[pos] = 0xc3;
					t[pos + 1] = 0xa9;
					n = atom_term(b, tags[i], t, len);
					check_atom_scans(b, n, utf8 ? (int)n :
					    DG_EINVAL);
				}
			}
		}
	}
	/* 256 ASCII bytes are 256 characters: too long in ATOM_UTF8_EXT,
	 * though far below its 1020 bytes; 255 pass. */
	{
		static uint8_t big[300];

		memset(t, 'q', sizeof(t));
		big[0] = 118;
		put_u16(big + 1, 256);
		memset(big + 3, 'q', 256);
		check_atom_scans(big, 259, DG_EINVAL);
		put_u16(big + 1, 255);
		check_atom_scans(big, 258, 258);
	}
	/* Not an atom at all. */
	b[0] = 97;
	b[1] = 1;
	CHECK_EQ(term_scan_atom(guard_copy(b, 2), guard_copy(b, 2) + 2,
	    &(const char *){ NULL }), DG_EINVAL);
}

/* What a visitor is told, in order, as one string of tags. */
static char	visited[64];
static size_t	nvisited;

static void
note_visit(void *arg, const uint8_t *t)
{
	(void)arg;
	if (nvisited + 1 < sizeof(visited))
		visited[nvisited++] = t[0] == 119 ? (char)t[2] : t[0] == 88 ?
		    'P' : t[0] == 90 ? 'R' : t[0] == 113 ? 'X' : t[0] == 89 ?
		    'O' : '?';
	visited[nvisited] = '\0';
}

/*
 * The visitor's table of tags: atoms inside pids, references and
 * exports come before the term that holds them, funs and ids only when
 * asked for, nothing for tuples, integers or lists.
 */
static void
test_visit_kinds(void)
{
	static const struct {
		unsigned	 mask;
		const char	*want;
	} cases[] = {
		{ TV_ATOMS, "nnambp" },
		{ TV_IDS, "PR" },
		{ TV_FUNS, "X" },
		{ TV_ATOMS | TV_IDS | TV_FUNS, "nPnRamXbp" },
	};
	const uint8_t *g;
	size_t len, i;

	/* {Pid<n>, Ref<n>, [1], fun a:mf/1, b, Port<p>}: atoms n, n, a, mf,
	 * b, p (each noted by its first letter), then pid, ref, export; the
	 * port is no atom and no id, only its node is told */
	tb_reset();
	wr_u8(&w, 104); wr_u8(&w, 6);
	tb_pid("n", 1);
	tb_ref("n");
	wr_u8(&w, 108); wr_u32(&w, 1); wr_u8(&w, 97); wr_u8(&w, 1);
	wr_u8(&w, 106);
	wr_u8(&w, 113); tb_atom("a"); tb_atom("mf"); wr_u8(&w, 97);
	wr_u8(&w, 1);
	tb_atom("b");
	wr_u8(&w, 89); tb_atom("p"); wr_u32(&w, 5); wr_u32(&w, 1);
	len = tb_len();
	g = guard_copy(tbuf, len);
	for (i = 0; i < DG_ARRAY_LEN(cases); i++) {
		struct term_visit v = { cases[i].mask, note_visit, NULL, NULL };

		nvisited = 0;
		visited[0] = '\0';
		CHECK_EQ(term_walk(g, g + len, g + len, &v,
		    &(const char *){ NULL }), (int)len);
		if (strcmp(visited, cases[i].want) != 0)
			fprintf(stderr, "  mask %u: %s, not %s\n",
			    cases[i].mask, visited, cases[i].want);
		CHECK(strcmp(visited, cases[i].want) == 0);
	}
}

/* term_list_len over [tbuf, tbuf + tb_len()), at a guard page. */
static int
list_len(uint32_t *n, int *flat, size_t *used)
{
	const uint8_t *p = guard_copy(tbuf, tb_len()), *after = NULL;
	const char *why = NULL;
	int rc;

	rc = term_list_len(p, p + tb_len(), n, flat, &after, &why);
	if (rc >= 0)
		*used = (size_t)(after - p);
	return rc;
}

static void
tb_list_hdr(uint32_t n)
{
	wr_u8(&w, 108);
	wr_u32(&w, n);
}

/* Lists as ERTS builds them: a tail that is a list continues the list. */
static void
test_list_len(void)
{
	uint32_t n;
	int flat;
	size_t used, k, len;

	/* [a, b]: proper, flat */
	tb_reset(); tb_list_hdr(2); tb_atom("a"); tb_atom("b"); wr_u8(&w, 106);
	CHECK_EQ(list_len(&n, &flat, &used), TL_PROPER);
	CHECK(n == 2 && flat && used == tb_len());
	/* [a | [b]]: ERTS builds [a, b], arity 2, not 1 */
	tb_reset(); tb_list_hdr(1); tb_atom("a");
	tb_list_hdr(1); tb_atom("b"); wr_u8(&w, 106);
	CHECK_EQ(list_len(&n, &flat, &used), TL_PROPER);
	CHECK(n == 2 && !flat && used == tb_len());
	/* LIST_EXT(0, [a, b, c]): the tail is the term */
	tb_reset(); tb_list_hdr(0);
	tb_list_hdr(3); tb_atom("a"); tb_atom("b"); tb_atom("c"); wr_u8(&w, 106);
	CHECK_EQ(list_len(&n, &flat, &used), TL_PROPER);
	CHECK(n == 3 && !flat);
	/* LIST_EXT(0, NIL) is [] */
	tb_reset(); tb_list_hdr(0); wr_u8(&w, 106);
	CHECK_EQ(list_len(&n, &flat, &used), TL_PROPER);
	CHECK_EQ(n, 0);
	/* [a | "xy"]: [a, $x, $y] */
	tb_reset(); tb_list_hdr(1); tb_atom("a");
	wr_u8(&w, 107); wr_u16(&w, 2); wr_bytes(&w, "xy", 2);
	CHECK_EQ(list_len(&n, &flat, &used), TL_PROPER);
	CHECK(n == 3 && !flat && used == tb_len());
	/* "xy" and [] */
	tb_reset(); wr_u8(&w, 107); wr_u16(&w, 2); wr_bytes(&w, "xy", 2);
	CHECK_EQ(list_len(&n, &flat, &used), TL_PROPER);
	CHECK(n == 2 && flat);
	tb_reset(); wr_u8(&w, 106);
	CHECK_EQ(list_len(&n, &flat, &used), TL_PROPER);
	CHECK_EQ(n, 0);
	/* [a | b], LIST_EXT(0, b), not a list: improper */
	tb_reset(); tb_list_hdr(1); tb_atom("a"); tb_atom("b");
	CHECK_EQ(list_len(&n, &flat, &used), TL_IMPROPER);
	CHECK_EQ(used, tb_len());
	tb_reset(); tb_list_hdr(0); tb_atom("b");
	CHECK_EQ(list_len(&n, &flat, &used), TL_IMPROPER);
	tb_reset(); tb_atom("b");
	CHECK_EQ(list_len(&n, &flat, &used), TL_IMPROPER);
	/* a chain of 1000 one-element lists: iterative, arity 1000 */
	tb_reset();
	for (k = 0; k < 1000; k++) {
		tb_list_hdr(1); tb_atom("a");
	}
	wr_u8(&w, 106);
	CHECK_EQ(list_len(&n, &flat, &used), TL_PROPER);
	CHECK(n == 1000 && used == tb_len());
	/* every strict prefix of a chained list waits; never a verdict */
	tb_reset(); tb_list_hdr(1); tb_atom("a");
	tb_list_hdr(0); tb_list_hdr(1); tb_atom("b"); wr_u8(&w, 106);
	len = tb_len();
	for (k = 0; k < len; k++) {
		const uint8_t *p = guard_copy(tbuf, k), *after;
		const char *why;

		CHECK_EQ(term_list_len(p, p + k, &n, &flat, &after, &why),
		    DG_AGAIN);
	}
	/* a count beyond the bytes, and a malformed element */
	tb_reset(); tb_list_hdr(0xffffffffU); tb_atom("a");
	CHECK_EQ(list_len(&n, &flat, &used), DG_AGAIN);
	tb_reset(); tb_list_hdr(1); wr_u8(&w, 200); wr_u8(&w, 106);
	CHECK_EQ(list_len(&n, &flat, &used), DG_EINVAL);
}

static int stream_atoms, stream_funs;

static void
stream_visit(void *arg, const uint8_t *t)
{
	(void)arg;
	if (t[0] == 112 || t[0] == 113)
		stream_funs++;
	else
		stream_atoms++;
}

/* Feeds [p, p + len) in chunks of `step` (0: split once at `cut`). */
static int
stream_all(const uint8_t *p, size_t len, size_t cut, size_t step,
    size_t *used_total)
{
	struct term_stream ts;
	struct term_visit v = { TV_ATOMS | TV_FUNS, stream_visit, NULL, NULL };
	size_t pos = 0, n, used;
	int rc;

	term_stream_init(&ts);
	stream_atoms = stream_funs = 0;
	while (pos <= len) {
		n = step ? (len - pos < step ? len - pos : step) :
		    (pos < cut ? cut : len - pos);
		rc = term_stream_feed(&ts, p + pos, n, &v, &used);
		if (rc == TS_DONE) {
			*used_total = pos + used;
			return TS_DONE;
		}
		if (rc != TS_MORE)
			return rc;
		if (pos == len)
			return TS_MORE;
		pos += n;
	}
	return TS_MORE;
}

/* The streaming walk: any split, any chunk size, the same end and the
 * same atoms and funs as term_walk over the whole. */
static void
test_stream(void)
{
	struct term_visit v = { TV_ATOMS | TV_FUNS, stream_visit, NULL, NULL };
	const char *why;
	size_t len, k, used, steps[] = { 1, 2, 3, 7, 64, 1000 };
	int whole, atoms, funs, i;
	uint8_t fb[256];
	size_t fl;

	fl = tb_fun(1, 0);			/* tb_fun starts over */
	memcpy(fb, tbuf, fl);
	tb_reset();
	wr_u8(&w, 104); wr_u8(&w, 5);		/* {..} */
	tb_atom("hello");
	tb_pid("a@h", 7);
	wr_u8(&w, 116); wr_u32(&w, 1); tb_atom("k");	/* #{k => <<..>>} */
	wr_u8(&w, 109); wr_u32(&w, 3000);
	for (k = 0; k < 3000; k++)
		wr_u8(&w, (uint8_t)k);
	wr_u8(&w, 108); wr_u32(&w, 3);		/* [export, ref, "ab" | "cd"] */
	wr_u8(&w, 113); tb_atom("os"); tb_atom("cmd"); wr_u8(&w, 97); wr_u8(&w, 1);
	tb_ref("b@h");
	wr_u8(&w, 107); wr_u16(&w, 2); wr_bytes(&w, "ab", 2);
	wr_u8(&w, 107); wr_u16(&w, 2); wr_bytes(&w, "cd", 2);
	wr_bytes(&w, fb, fl);
	len = tb_len();
	stream_atoms = stream_funs = 0;
	whole = term_walk(tbuf, tbuf + len, tbuf + len, &v, &why);
	CHECK_EQ(whole, (int)len);
	atoms = stream_atoms;
	funs = stream_funs;
	CHECK(atoms >= 7 && funs == 2);
	for (k = 0; k <= len; k++) {
		CHECK_EQ(stream_all(tbuf, len, k, 0, &used), TS_DONE);
		CHECK_EQ(used, len);
		CHECK_EQ(stream_atoms, atoms);
		CHECK_EQ(stream_funs, funs);
	}
	for (i = 0; i < (int)DG_ARRAY_LEN(steps); i++) {
		CHECK_EQ(stream_all(tbuf, len, 0, steps[i], &used), TS_DONE);
		CHECK_EQ(used, len);
		CHECK_EQ(stream_atoms, atoms);
	}
	/* bytes after the term are not its own */
	wr_u8(&w, 106); wr_u8(&w, 106);
	CHECK_EQ(stream_all(tbuf, len + 2, 0, 5, &used), TS_DONE);
	CHECK_EQ(used, len);
	/* a cut term wants more; a bad tag is refused */
	CHECK_EQ(stream_all(tbuf, len - 1, 0, 9, &used), TS_MORE);
	tb_reset(); wr_u8(&w, 104); wr_u8(&w, 2); wr_u8(&w, 97); wr_u8(&w, 1);
	wr_u8(&w, 200);
	CHECK_EQ(stream_all(tbuf, tb_len(), 0, 1, &used), DG_EINVAL);
	/* deep nesting is refused as term_walk refuses it */
	tb_reset();
	for (k = 0; k < TERM_MAX_DEPTH + 5; k++) {
		wr_u8(&w, 104); wr_u8(&w, 1);
	}
	wr_u8(&w, 106);
	CHECK_EQ(stream_all(tbuf, tb_len(), 0, 100, &used), DG_EINVAL);
}

/* Streams [p, p + len) in chunks of step with claims on the lists at
 * offs[i] of want[i] elements; *met: all kept at the end. */
static int
stream_claims(const uint8_t *p, size_t len, size_t step, int nc,
    const size_t *offs, const uint32_t *want, int *met)
{
	struct term_stream ts;
	size_t pos = 0, n, used;
	int rc = TS_MORE, i;

	term_stream_init(&ts);
	for (i = 0; i < nc; i++)
		CHECK_EQ(term_stream_claim(&ts, offs[i], want[i]), 0);
	while (pos < len && rc == TS_MORE) {
		n = len - pos < step ? len - pos : step;
		rc = term_stream_feed(&ts, p + pos, n, NULL, &used);
		pos += n;
	}
	*met = term_stream_claims_met(&ts);
	if (rc == DG_EINVAL)
		CHECK(ts.why != NULL);
	return rc;
}

/* Claims on argument lists (issue 26): the chain of tails must end in NIL
 * (or a string) after exactly the count claimed, at every chunk size. */
static void
test_stream_claims(void)
{
	size_t steps[] = { 1, 2, 5, 13, 4096 }, offs[2], len, k;
	uint32_t want[2];
	int i, met;

#define CLAIM_CASE(nc, expect_rc, expect_met)				\
	for (i = 0; i < (int)DG_ARRAY_LEN(steps); i++) {		\
		CHECK_EQ(stream_claims(tbuf, len, steps[i], (nc), offs,	\
		    want, &met), (expect_rc));				\
		CHECK_EQ(met, (expect_met));				\
	}
	/* {ok, [a, <<..>>, c]}: the list at 3, proper, 3 elements */
	tb_reset();
	wr_u8(&w, 104); wr_u8(&w, 2); tb_atom("ok");
	offs[0] = tb_len();
	wr_u8(&w, 108); wr_u32(&w, 3); tb_atom("a");
	wr_u8(&w, 109); wr_u32(&w, 300);
	for (k = 0; k < 300; k++)
		wr_u8(&w, 1);
	tb_atom("c"); wr_u8(&w, 106);
	len = tb_len();
	want[0] = 3;
	CLAIM_CASE(1, TS_DONE, 1);
	want[0] = 2;
	CLAIM_CASE(1, DG_EINVAL, 0);
	/* [a, b | [c]]: ERTS builds three; a claim of 2 is broken */
	tb_reset();
	offs[0] = 0;
	wr_u8(&w, 108); wr_u32(&w, 2); tb_atom("a"); tb_atom("b");
	wr_u8(&w, 108); wr_u32(&w, 1); tb_atom("c"); wr_u8(&w, 106);
	len = tb_len();
	want[0] = 2;
	CLAIM_CASE(1, DG_EINVAL, 0);
	want[0] = 3;
	CLAIM_CASE(1, TS_DONE, 1);
	/* [a, b | x]: improper */
	tb_reset();
	wr_u8(&w, 108); wr_u32(&w, 2); tb_atom("a"); tb_atom("b"); tb_atom("x");
	len = tb_len();
	want[0] = 2;
	CLAIM_CASE(1, DG_EINVAL, 0);
	/* [a, b | "cd"]: four */
	tb_reset();
	wr_u8(&w, 108); wr_u32(&w, 2); tb_atom("a"); tb_atom("b");
	wr_u8(&w, 107); wr_u16(&w, 2); wr_bytes(&w, "cd", 2);
	len = tb_len();
	want[0] = 4;
	CLAIM_CASE(1, TS_DONE, 1);
	/* LIST_EXT(0, [a, b]): two */
	tb_reset();
	wr_u8(&w, 108); wr_u32(&w, 0);
	wr_u8(&w, 108); wr_u32(&w, 2); tb_atom("a"); tb_atom("b"); wr_u8(&w, 106);
	len = tb_len();
	want[0] = 2;
	CLAIM_CASE(1, TS_DONE, 1);
	want[0] = 0;
	CLAIM_CASE(1, DG_EINVAL, 0);
	/* erpc's [Ref, m, f, [x, y]]: two claims, the outer and the user's */
	tb_reset();
	wr_u8(&w, 108); wr_u32(&w, 4); tb_ref("a@h"); tb_atom("m"); tb_atom("f");
	offs[1] = tb_len();
	wr_u8(&w, 108); wr_u32(&w, 2); tb_atom("x"); tb_atom("y"); wr_u8(&w, 106);
	wr_u8(&w, 106);
	len = tb_len();
	offs[0] = 0;
	want[0] = 4;
	want[1] = 2;
	CLAIM_CASE(2, TS_DONE, 1);
	want[1] = 3;
	CLAIM_CASE(2, DG_EINVAL, 0);
	/* the user's list extended: [x | [y]] claimed 1 */
	tb_reset();
	wr_u8(&w, 108); wr_u32(&w, 4); tb_ref("a@h"); tb_atom("m"); tb_atom("f");
	offs[1] = tb_len();
	wr_u8(&w, 108); wr_u32(&w, 1); tb_atom("x");
	wr_u8(&w, 108); wr_u32(&w, 1); tb_atom("y"); wr_u8(&w, 106);
	wr_u8(&w, 106);
	len = tb_len();
	want[1] = 1;
	CLAIM_CASE(2, DG_EINVAL, 0);
	/* a chain of tails deeper than TERM_MAX_DEPTH stays on one level */
	tb_reset();
	offs[0] = 0;
	for (k = 0; k < TERM_MAX_DEPTH + 50; k++) {
		wr_u8(&w, 108); wr_u32(&w, 1); tb_atom("e");
	}
	wr_u8(&w, 106);
	len = tb_len();
	want[0] = TERM_MAX_DEPTH + 50;
	CLAIM_CASE(1, TS_DONE, 1);
	/* more claims than room for */
	{
		struct term_stream ts;

		term_stream_init(&ts);
		for (k = 0; k < TS_MAX_CLAIMS; k++)
			CHECK_EQ(term_stream_claim(&ts, 0, 1), 0);
		CHECK_EQ(term_stream_claim(&ts, 0, 1), -1);
	}
#undef CLAIM_CASE
}

static void
test_refused_tags(void)
{
	static const uint8_t cache_ref[] = { 82, 0 };
	static const uint8_t compressed[] = { 80, 0, 0, 0, 1, 120, 0x9c };
	static const uint8_t old_fun[] = { 117, 0, 0, 0, 0 };
	static const uint8_t local[] = { 121, 0, 0 };
	static const uint8_t pid_cache[] = { 88, 82, 0, 0, 0, 0, 1, 0, 0, 0, 0,
	    0, 0, 0, 1 };
	static const uint8_t tags[] = { 0, 1, 67, 68, 69, 71, 83, 96, 117, 122,
	    131, 255 };
	const char *why;
	uint8_t b[2];
	size_t i;

	check_bad(cache_ref, sizeof(cache_ref));
	check_bad(compressed, sizeof(compressed));
	check_bad(old_fun, sizeof(old_fun));
	check_bad(local, sizeof(local));
	check_bad(pid_cache, sizeof(pid_cache));
	for (i = 0; i < DG_ARRAY_LEN(tags); i++) {
		b[0] = tags[i];
		b[1] = 0;
		CHECK_EQ(scan(b, 2, &why), DG_EINVAL);
	}
	/* inside a container too */
	{
		static const uint8_t t[] = { 104, 2, 97, 1, 82, 3 };

		check_bad(t, sizeof(t));
	}
	/* references: length 0 and > 5 */
	{
		uint8_t r[64];

		tb_reset(); tb_ref("a@h");
		memcpy(r, tbuf, tb_len());
		put_u16(r + 1, 0);
		check_bad(r, tb_len());
		put_u16(r + 1, 6);
		check_bad(r, tb_len());
	}
	/* export arity not a small integer, bit count 0 and 9 */
	{
		static const uint8_t ex[] = { 113, 119, 1, 'm', 119, 1, 'f',
		    98, 0, 0, 0, 1 };
		uint8_t bb[] = { 77, 0, 0, 0, 1, 0, 0xff };
		static const uint8_t empty[] = { 77, 0, 0, 0, 0, 0 };
		static const uint8_t empty_bits[] = { 77, 0, 0, 0, 0, 6 };

		check_bad(ex, sizeof(ex));
		check_bad(bb, sizeof(bb));
		bb[5] = 9;
		check_bad(bb, sizeof(bb));
		check_term(empty, sizeof(empty));
		check_bad(empty_bits, sizeof(empty_bits));
	}
}

static void
test_accessors(void)
{
	const uint8_t *p, *g, *end;
	struct dg_span s;
	int64_t v;
	uint32_t n;
	int is_string;
	size_t len;

	/* {foo, 300, -5, [1, 2], "ab", [], Pid, 2^62, -2^63} */
	tb_reset();
	wr_u8(&w, 104); wr_u8(&w, 9);
	tb_atom("foo");
	wr_u8(&w, 98); wr_u32(&w, 300);
	wr_u8(&w, 98); wr_u32(&w, (uint32_t)-5);
	wr_u8(&w, 108); wr_u32(&w, 2); wr_u8(&w, 97); wr_u8(&w, 1);
	wr_u8(&w, 97); wr_u8(&w, 2); wr_u8(&w, 106);
	wr_u8(&w, 107); wr_u16(&w, 2); wr_bytes(&w, "ab", 2);
	wr_u8(&w, 106);
	tb_pid("node@host", 3);
	wr_u8(&w, 110); wr_u8(&w, 8); wr_u8(&w, 0);
	wr_bytes(&w, "\0\0\0\0\0\0\0\x40", 8);
	wr_u8(&w, 110); wr_u8(&w, 8); wr_u8(&w, 1);
	wr_bytes(&w, "\0\0\0\0\0\0\0\x80", 8);
	len = tb_len();
	g = guard_copy(tbuf, len);
	end = g + len;
	CHECK_EQ(term_scan(g, end, &(const char *){ NULL }), (int)len);

	p = g;
	CHECK_EQ(term_atom(&p, &s), -1);	/* a tuple, not an atom */
	CHECK(p == g);
	CHECK(s.p == NULL && s.len == 0);	/* empty, not unset */
	CHECK_EQ(term_tuple(&p, &n), 0);
	CHECK_EQ(n, 9);
	CHECK_EQ(term_int(&p, &v), -1);
	CHECK_EQ(term_atom(&p, &s), 0);
	CHECK(term_span_eq(s, "foo"));
	CHECK(!term_span_eq(s, "fo"));
	CHECK(!term_span_eq(s, "fooo"));
	CHECK_EQ(term_int(&p, &v), 0);
	CHECK_EQ(v, 300);
	CHECK_EQ(term_int(&p, &v), 0);
	CHECK_EQ(v, -5);
	CHECK_EQ(term_list(&p, &n, &is_string), 0);
	CHECK_EQ(n, 2);
	CHECK(!is_string);
	CHECK_EQ(term_int(&p, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(term_skip(&p, end), 0);
	CHECK_EQ(term_list(&p, &n, &is_string), 0);	/* the tail */
	CHECK_EQ(n, 0);
	CHECK_EQ(term_list(&p, &n, &is_string), 0);
	CHECK_EQ(n, 2);
	CHECK(is_string);
	CHECK(p[0] == 'a');
	p += n;
	CHECK_EQ(term_list(&p, &n, &is_string), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(term_atom(&p, &s), -1);
	CHECK_EQ(term_pid(&p, &s), 0);
	CHECK(term_span_eq(s, "node@host"));
	CHECK_EQ(term_int(&p, &v), 0);
	CHECK_EQ(v, (int64_t)1 << 62);
	CHECK_EQ(term_int(&p, &v), 0);
	CHECK(v == INT64_MIN);
	CHECK(p == end);

	/* 2^63 does not fit */
	{
		static const uint8_t b[] = { 110, 8, 0, 0, 0, 0, 0, 0, 0, 0,
		    0x80 };

		p = b;
		CHECK_EQ(term_int(&p, &v), -1);
		CHECK(p == b);
	}
	/* term_skip refuses what term_scan refuses */
	{
		static const uint8_t b[] = { 82, 1 };

		p = guard_copy(b, 2);
		g = p;
		CHECK_EQ(term_skip(&p, p + 2), -1);
		CHECK(p == g);
	}
}

int
main(void)
{
	RUN(test_every_tag);
	RUN(test_fun);
	RUN(test_depth);
	RUN(test_huge_lengths);
	RUN(test_atoms);
	RUN(test_atom_fast_path);
	RUN(test_visit_kinds);
	RUN(test_list_len);
	RUN(test_stream);
	RUN(test_stream_claims);
	RUN(test_refused_tags);
	RUN(test_accessors);
	return TEST_DONE();
}
