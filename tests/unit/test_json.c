/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json.c - core/json.c: valid UTF-8 passes as it is, JSON's escapes
 * where JSON requires them, every invalid byte (overlong, surrogate,
 * beyond U+10FFFF, stray continuation, truncated sequence) as \ufffd, and
 * output cut only between whole characters or escapes.
 */
#include "core/json.h"
#include "dg_test.h"

struct jcase {
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	const char	*out;
};

#define FFFD	"\\ufffd"

static const struct jcase cases[] = {
	/* ASCII and JSON's own escapes */
	{ "plain a@host", 0, "plain a@host" },
	{ "q\"b\\s/", 0, "q\\\"b\\\\s/" },
	{ "\n\t\r\x01\x1f", 0, "\\u000a\\u0009\\u000d\\u0001\\u001f" },
	{ "nul\0x", 5, "nul\\u0000x" },
	{ "del\x7f", 0, "del\\u007f" },
	/* valid UTF-8, every length, the boundaries of each range */
	{ "caf\xc3\xa9", 0, "caf\xc3\xa9" },
	{ "\xc2\x80\xdf\xbf", 0, "\xc2\x80\xdf\xbf" },
	{ "\xe0\xa0\x80\xef\xbf\xbf", 0, "\xe0\xa0\x80\xef\xbf\xbf" },
	{ "\xed\x9f\xbf\xee\x80\x80", 0, "\xed\x9f\xbf\xee\x80\x80" },
	{ "\xe2\x82\xac", 0, "\xe2\x82\xac" },			/* euro */
	{ "\xef\xbf\xbd", 0, "\xef\xbf\xbd" },			/* a real U+FFFD */
	{ "\xf0\x90\x80\x80", 0, "\xf0\x90\x80\x80" },		/* U+10000 */
	{ "\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80" },		/* emoji */
	{ "\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf" },		/* U+10FFFF */
	{ "\xe2\x80\xa8", 0, "\xe2\x80\xa8" },			/* U+2028 */
	/* invalid: one \ufffd per byte */
	{ "\x80", 0, FFFD },					/* stray */
	{ "\xbf\x80", 0, FFFD FFFD },
	{ "\xc0\xaf", 0, FFFD FFFD },				/* overlong / */
	{ "\xc1\xbf", 0, FFFD FFFD },
	{ "\xe0\x80\xaf", 0, FFFD FFFD FFFD },			/* overlong */
	{ "\xe0\x9f\xbf", 0, FFFD FFFD FFFD },
	{ "\xf0\x80\x80\xaf", 0, FFFD FFFD FFFD FFFD },		/* overlong */
	{ "\xf0\x8f\xbf\xbf", 0, FFFD FFFD FFFD FFFD },
	{ "\xed\xa0\x80", 0, FFFD FFFD FFFD },			/* U+D800 */
	{ "\xed\xbf\xbf", 0, FFFD FFFD FFFD },			/* U+DFFF */
	{ "\xed\xa0\xbd\xed\xb8\x80", 0, FFFD FFFD FFFD FFFD FFFD FFFD },
	{ "\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD },		/* U+110000 */
	{ "\xf5\x80\x80\x80", 0, FFFD FFFD FFFD FFFD },
	{ "\xfe\xff", 0, FFFD FFFD },
	{ "\xc3", 0, FFFD },					/* truncated */
	{ "\xe2\x82", 0, FFFD FFFD },
	{ "\xf0\x9f\x98", 0, FFFD FFFD FFFD },
	{ "a\xc3(b", 0, "a" FFFD "(b" },			/* bad 2nd byte */
	{ "\xe2\x28\xa1", 0, FFFD "(" FFFD },
	{ "x\xe9y\xc3\xa9", 0, "x" FFFD "y\xc3\xa9" },		/* Latin-1 é */
	{ "\xc3\xa9\"\xff", 0, "\xc3\xa9\\\"" FFFD },
};

static void
test_json_table(void)
{
	char out[256];
	size_t i, used, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct jcase *c = &cases[i];
		size_t len = c->inlen ? c->inlen : strlen(c->in);

		n = json_escape(out, sizeof(out), guard_copy(c->in, len), len,
		    &used);
		if (strcmp(out, c->out) != 0 || n != strlen(c->out) ||
		    used != len) {
			fprintf(stderr, "  case %zu: got \"%s\"\n", i, out);
			CHECK(0);
		}
	}
}

/* A bounded output never ends inside a character or an escape. */
static void
test_json_cut(void)
{
	const char *in = "a\xc3\xa9\"\x01\xf0\x9f\x98\x80\xff";
	char out[64];
	size_t cap, used, n;

	/* the whole text is "a" "é"(2) "\""(2) "\u0001"(6) emoji(4) FFFD(6) */
	static const size_t ends[] = { 0, 1, 3, 5, 11, 15, 21 };

	for (cap = 0; cap <= 23; cap++) {
		size_t want = 0, k;

		for (k = 0; k < sizeof(ends) / sizeof(ends[0]); k++)
			if (ends[k] + 1 <= cap)
				want = ends[k];
		memset(out, 'Z', sizeof(out));
		n = json_escape(out, cap, in, strlen(in), &used);
		CHECK_EQ(n, cap ? want : 0);
		if (cap > 0)
			CHECK_EQ(out[n], '\0');
		CHECK_EQ(out[cap], 'Z');	/* nothing past the bound */
	}
	n = json_escape(out, sizeof(out), in, strlen(in), &used);
	CHECK_EQ(used, strlen(in));
	CHECK_EQ(n, 21);
}

static void
test_json_utf8_len(void)
{
	CHECK_EQ(json_utf8_len((const unsigned char *)"a", 1), 1);
	CHECK_EQ(json_utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
	CHECK_EQ(json_utf8_len((const unsigned char *)"\xc3\xa9", 1), 0);
	CHECK_EQ(json_utf8_len((const unsigned char *)"\xed\x9f\xbf", 3), 3);
	CHECK_EQ(json_utf8_len((const unsigned char *)"\xed\xa0\x80", 3), 0);
	CHECK_EQ(json_utf8_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
	CHECK_EQ(json_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
}

int
main(void)
{
	RUN(test_json_table);
	RUN(test_json_cut);
	RUN(test_json_utf8_len);
	return TEST_DONE();
}
