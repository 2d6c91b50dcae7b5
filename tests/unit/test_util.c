/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.c - the shared helpers of core/util.c: UTF-8 validation (with
 * its eight-bytes-at-a-time ASCII path, dg_ascii_prefix), name copies,
 * glob matching.
 */
#include "dg_test.h"

#include "dg.h"

static int
valid(const char *s, size_t len, size_t *n)
{
	return dg_utf8_valid(guard_copy(s, len), len, n);
}

static void
test_utf8_ascii_fast_path(void)
{
	char buf[40];
	size_t n, len, pos;

	/* A NUL anywhere, in and around the 8-byte blocks, is refused. */
	for (len = 1; len <= 33; len++) {
		memset(buf, 'a', len);
		CHECK(valid(buf, len, &n) && n == len);
		for (pos = 0; pos < len; pos++) {
			memset(buf, 'a', len);
			buf[pos] = '\0';
			CHECK(!valid(buf, len, &n));
		}
	}
	/* Multi-byte characters after, inside and between ASCII blocks. */
	CHECK(valid("abcdefgh\xc3\xa9", 10, &n) && n == 9);
	CHECK(valid("abcdefg\xc3\xa9hijklmnop", 18, &n) && n == 17);
	CHECK(valid("\xe2\x82\xac" "abcdefghijkl", 15, &n) && n == 13);
	/* Broken sequences behind a clean block are still caught. */
	CHECK(!valid("abcdefgh\xc3", 9, &n));
	CHECK(!valid("abcdefgh\xc0\x80", 10, &n));		/* overlong NUL */
	CHECK(!valid("abcdefgh\xed\xa0\x80", 11, &n));	/* surrogate */
	CHECK(!valid("abcdefgh\xf4\x90\x80\x80", 12, &n));	/* > U+10FFFF */
	CHECK(!valid("abcdefgh\x80", 9, &n));		/* stray continuation */
	CHECK(valid("", 0, &n) && n == 0);
}

/*
 * The word-at-a-time path (dg_ascii_prefix, then dg_utf8_valid): a
 * sequence at every offset of strings of 1 to 40 bytes, so that it sits
 * inside a whole word, across two, in the overlapping last word and in
 * the byte tail, at each boundary of the 8-byte step.
 */
static int
valid_at(size_t len, size_t pos, const char *seq, size_t *n)
{
	char buf[64];
	size_t k = strlen(seq);

	memset(buf, 'a', len);
	memcpy(buf + pos, seq, k);
	return valid(buf, len, n);
}

static void
test_utf8_every_boundary(void)
{
	static const struct {
		const char	*seq;
		int		 ok;
	} seqs[] = {
		{ "\xc3\xa9", 1 },		/* e acute, 2 bytes */
		{ "\xe2\x82\xac", 1 },		/* euro sign, 3 bytes */
		{ "\xf0\x9f\x98\x80", 1 },	/* 4 bytes */
		{ "\xc0\x80", 0 },		/* overlong NUL */
		{ "\xc1\xbf", 0 },		/* overlong 2-byte */
		{ "\xe0\x9f\xbf", 0 },		/* overlong 3-byte */
		{ "\xf0\x8f\xbf\xbf", 0 },	/* overlong 4-byte */
		{ "\xed\xa0\x80", 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 0 },	/* > U+10FFFF */
		{ "\x80", 0 },			/* stray continuation */
		{ "\xff", 0 },
	};
	size_t len, pos, i, k, n;

	for (i = 0; i < DG_ARRAY_LEN(seqs); i++) {
		k = strlen(seqs[i].seq);
		for (len = k; len <= 40; len++)
			for (pos = 0; pos + k <= len; pos++) {
				n = 0;
				if (valid_at(len, pos, seqs[i].seq, &n) !=
				    seqs[i].ok) {
					fprintf(stderr, "  seq %zu len %zu pos "
					    "%zu\n", i, len, pos);
					CHECK(0);
				} else if (seqs[i].ok)
					CHECK_EQ(n, len - k + 1);
			}
	}
	/* A multi-byte character cut by the end, at every length. */
	for (len = 1; len <= 40; len++) {
		char buf[64];

		memset(buf, 'a', len);
		buf[len - 1] = '\xc3';
		CHECK(!valid(buf, len, &n));
		if (len >= 2) {
			memcpy(buf + len - 2, "\xe2\x82", 2);
			CHECK(!valid(buf, len, &n));
		}
	}
}

/* dg_ascii_prefix stops at the first byte above 127 or NUL, wherever. */
static void
test_ascii_prefix(void)
{
	uint8_t buf[64];
	const uint8_t *g;
	size_t len, pos;

	for (len = 0; len <= 40; len++) {
		memset(buf, 'z', len);
		g = guard_copy(buf, len);
		CHECK_EQ(dg_ascii_prefix(g, len), len);
		for (pos = 0; pos < len; pos++) {
			memset(buf, 'z', len);
			buf[pos] = 0x80;
			g = guard_copy(buf, len);
			CHECK_EQ(dg_ascii_prefix(g, len), pos);
			buf[pos] = 0;
			g = guard_copy(buf, len);
			CHECK_EQ(dg_ascii_prefix(g, len), pos);
			buf[pos] = 0x7f;	/* DEL is ASCII */
			g = guard_copy(buf, len);
			CHECK_EQ(dg_ascii_prefix(g, len), len);
		}
	}
}

static void
test_name_copy(void)
{
	struct dg_name out;
	char big[1100];
	const char *why = NULL;

	CHECK_EQ(dg_name_copy((const uint8_t *)"b", 1, &out, &why), 0);
	CHECK(out.len == 1 && strcmp(out.s, "b") == 0);
	CHECK_EQ(dg_name_copy((const uint8_t *)"", 0, &out, &why), DG_EINVAL);
	memset(big, 'x', sizeof(big));
	CHECK_EQ(dg_name_copy((const uint8_t *)big, 255, &out, &why), 0);
	CHECK_EQ(dg_name_copy((const uint8_t *)big, 256, &out, &why), DG_EINVAL);
	CHECK_EQ(dg_name_copy((const uint8_t *)big, 1021, &out, &why), DG_EINVAL);
	CHECK_EQ(dg_name_copy((const uint8_t *)"a\0b", 3, &out, &why), DG_EINVAL);
}

static void
test_glob(void)
{
	CHECK(dg_glob_match("web@*", "web@host"));
	CHECK(dg_glob_match("*@10.0.0.5", "a@10.0.0.5"));
	CHECK(!dg_glob_match("*@10.0.0.5", "a@10.0.0.50"));
	CHECK(dg_glob_match("a?c@*", "abc@h"));
	CHECK(!dg_glob_match("web@*", "webx@host"));
	CHECK(dg_glob_match("*", ""));
	/* many stars against a long non-matching name stays fast */
	CHECK(!dg_glob_match("*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

int
main(void)
{
	RUN(test_utf8_ascii_fast_path);
	RUN(test_utf8_every_boundary);
	RUN(test_ascii_prefix);
	RUN(test_name_copy);
	RUN(test_glob);
	return TEST_DONE();
}
