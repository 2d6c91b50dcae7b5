/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.c - the shared helpers of core/util.c: UTF-8 validation (with
 * its eight-bytes-at-a-time ASCII path), name copies, glob matching.
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
	RUN(test_name_copy);
	RUN(test_glob);
	return TEST_DONE();
}
