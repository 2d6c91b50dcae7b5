/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - JSON string escaping, written here rather than taken from a
 * library: distguard needs one function (strings in, escaped text out, no
 * allocation, a hard output bound), and a dependency such as libjansson
 * would bring a DOM, allocation per value and its own error model for
 * that one job (docs/SECURITY.md, "Alert text").  The contract is in
 * core/json.h; tests/unit/test_json.c and tests/fuzz/fuzz_json.c
 * check it.
 */
#include <string.h>

#include "core/json.h"

/*
 * The well-formed byte sequences of RFC 3629, section 4: the second byte's
 * range depends on the first (E0: no overlong, ED: no surrogate, F0: no
 * overlong, F4: nothing above U+10FFFF); later bytes are 80..BF.
 */
size_t
json_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;	/* 80..C1 (continuation, overlong), F5..FF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

size_t
json_escape(char *out, size_t outlen, const void *src, size_t n,
    size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t o = 0, i = 0;

	while (i < n) {
		char esc[7];
		const char *put = esc;
		size_t k, take = json_utf8_len(s + i, n - i);

		if (take == 0) {
			put = "\\ufffd";	/* one per invalid byte */
			k = 6;
			take = 1;
		} else if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			k = 2;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 15];
			k = 6;
		} else {
			put = (const char *)s + i;	/* valid: as it is */
			k = take;
		}
		if (o + k + 1 > outlen)
			break;
		memcpy(out + o, put, k);
		o += k;
		i += take;
	}
	if (outlen > 0)
		out[o] = '\0';
	if (used != NULL)
		*used = i;
	return o;
}
