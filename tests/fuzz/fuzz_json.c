/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_json.c - json_escape on arbitrary bytes and output bounds: the
 * output must always be valid UTF-8 and a valid JSON string body, checked
 * here by a validator written apart from core/json.c (it decodes code
 * points and judges them by value, not by byte ranges), must end with its
 * NUL inside the bound, and must say it used all of the input whenever
 * the bound was large enough for the worst case (6 bytes per input byte).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes one UTF-8 character at p; returns its length or 0. */
static size_t
decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2; v = p[0] & 0x1f; min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3; v = p[0] & 0x0f; min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4; v = p[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static int
ishex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* 1 when s[0..n) is valid UTF-8 and a valid JSON string body. */
static int
valid_body(const unsigned char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = decode(s + i, n - i, &cp)) == 0)
			return 0;
		if (cp < 0x20 || cp == '"')
			return 0;
		if (cp == '\\') {
			if (i + 1 >= n)
				return 0;
			if (strchr("\"\\/bfnrt", s[i + 1]) != NULL &&
			    s[i + 1] != '\0') {
				i += 2;
				continue;
			}
			if (s[i + 1] != 'u' || i + 6 > n || !ishex(s[i + 2]) ||
			    !ishex(s[i + 3]) || !ishex(s[i + 4]) ||
			    !ishex(s[i + 5]))
				return 0;
			i += 6;
			continue;
		}
		i += k;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap, n, used;
	char *out;

	if (size < 1)
		return 0;
	/* The first byte picks a bound: small ones test the cuts. */
	cap = data[0] < 200 ? data[0] : 6 * size + 1;
	data++;
	size--;
	if ((out = malloc(cap + 1)) == NULL)
		return 0;
	out[cap] = 'Z';
	n = json_escape(out, cap, data, size, &used);
	if (out[cap] != 'Z')
		abort();			/* wrote past the bound */
	if (cap == 0) {
		if (n != 0)
			abort();
	} else if (n >= cap || out[n] != '\0' || strlen(out) != n) {
		abort();
	}
	if (used > size || !valid_body((const unsigned char *)out, n))
		abort();
	if (cap >= 6 * size + 1 && used != size)
		abort();			/* room for all, all used */
	free(out);
	return 0;
}
