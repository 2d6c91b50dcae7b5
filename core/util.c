/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c - small pure helpers shared by every module: UTF-8 validation,
 * glob matching, the monotonic clock, growing texts.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dg.h"

int
dg_utf8_valid(const uint8_t *s, size_t len, size_t *nchars)
{
	size_t i, n, need, k;
	uint32_t cp;
	uint8_t c;

	i = n = dg_ascii_prefix(s, len);
	while (i < len) {
		c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			k = dg_ascii_prefix(s + i, len - i);
			i += k;
			n += k;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;	/* continuation byte, overlong lead, > U+10FFFF */
		}
		if (len - i - 1 < need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlongs, surrogates, beyond Unicode */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += need + 1;
		n++;
	}
	if (nchars)
		*nchars = n;
	return 1;
}

int
dg_name_copy(const uint8_t *p, size_t n, struct dg_name *out, const char **why)
{
	size_t chars;

	if (n == 0) {
		*why = "empty node name";
		return DG_EINVAL;
	}
	if (n > DG_MAX_NODE_BYTES) {
		*why = "node name over 1020 bytes";
		return DG_EINVAL;
	}
	if (memchr(p, '\0', n) != NULL) {
		*why = "NUL in node name";
		return DG_EINVAL;
	}
	if (!dg_utf8_valid(p, n, &chars)) {
		*why = "node name not valid UTF-8";
		return DG_EINVAL;
	}
	if (chars > DG_MAX_ALIVE_CHARS) {
		*why = "node name over 255 characters";
		return DG_EINVAL;
	}
	memcpy(out->s, p, n);
	out->s[n] = '\0';
	out->len = (uint16_t)n;
	return 0;
}

/* Iterative glob with single-star backtracking: linear in practice, never
 * exponential on hostile names. */
int
dg_glob_match(const char *p, const char *s)
{
	const char *star = NULL, *mark = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			mark = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++mark;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

double
dg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
dg_text_init(struct dg_text *b, size_t cap)
{
	b->len = 0;
	b->cap = cap ? cap : 64;
	if ((b->p = malloc(b->cap)) != NULL)
		b->p[0] = '\0';
}

void
dg_text_printf(struct dg_text *b, const char *fmt, ...)
{
	va_list ap;
	char *nb;
	int n;

	while (b->p != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		if ((nb = realloc(b->p, (b->cap + (size_t)n) * 2)) == NULL) {
			free(b->p);
			b->p = NULL;
			b->len = 0;
			return;
		}
		b->p = nb;
		b->cap = (b->cap + (size_t)n) * 2;
	}
}

/* "90", "90s", "15m", "2h", "1d": seconds, or -1. */
long
dg_parse_duration(const char *s)
{
	char *end;
	long n, mul = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || n <= 0)
		return -1;
	if (strcmp(end, "m") == 0)
		mul = 60;
	else if (strcmp(end, "h") == 0)
		mul = 3600;
	else if (strcmp(end, "d") == 0)
		mul = 86400;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		return -1;
	if (n > LONG_MAX / mul)
		return -1;
	return n * mul;
}
