/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - parser for the head of an HTTP/1.x request (RFC 9112 sections
 * 3 and 5, restricted to what a metrics scrape sends).  It never reads
 * outside buf[0..len) and never looks past HTTP_MAX_HEAD bytes.
 */
#include <string.h>

#include "http.h"

/* tchar of RFC 9110 5.6.2: what a method or a header name is made of. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Visible ASCII: what an origin-form target is made of. */
static int
is_vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* The end of the line starting at p: the index of its '\n', or -1 when
 * there is none in buf[p..len).  A '\r' is allowed just before it only. */
static long
line_end(const char *buf, size_t p, size_t len, const char **why)
{
	size_t i;

	for (i = p; i < len; i++) {
		if (buf[i] == '\n')
			return (long)i;
		if (buf[i] == '\r' && (i + 1 < len && buf[i + 1] != '\n')) {
			*why = "bare CR in the request head";
			return -2;
		}
	}
	return -1;
}

/* Length of the line without its terminator. */
static size_t
content_len(const char *buf, size_t start, size_t nl)
{
	size_t n = nl - start;

	if (n > 0 && buf[nl - 1] == '\r')
		n--;
	return n;
}

static int
request_line(const char *s, size_t n, struct http_req *r, const char **why)
{
	size_t i = 0, m, t;

	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i == n || s[i] != ' ') {
		*why = "bad method";
		return -1;
	}
	m = i;
	if (m == 3 && memcmp(s, "GET", 3) == 0)
		r->method = HTTP_GET;
	else if (m == 4 && memcmp(s, "HEAD", 4) == 0)
		r->method = HTTP_HEAD;
	else
		r->method = HTTP_OTHER;
	i++;
	if (i >= n || s[i] != '/') {
		*why = "target is not an absolute path";
		return -1;
	}
	t = i;
	while (i < n && is_vchar((unsigned char)s[i]))
		i++;
	if (i == n || s[i] != ' ') {
		*why = "bad request target";
		return -1;
	}
	r->path = s + t;
	r->pathlen = i - t;
	{
		const char *q = memchr(r->path, '?', r->pathlen);

		if (q != NULL)
			r->pathlen = (size_t)(q - r->path);
	}
	i++;
	if (n - i != 8 || memcmp(s + i, "HTTP/1.", 7) != 0 ||
	    (s[i + 7] != '0' && s[i + 7] != '1')) {
		*why = "not HTTP/1.0 or HTTP/1.1";
		return -1;
	}
	r->minor = s[i + 7] - '0';
	return 0;
}

/* name ":" OWS value OWS, the value visible ASCII, obs-text or blanks. */
static int
header_line(const char *s, size_t n, const char **why)
{
	size_t i = 0;

	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i == n || s[i] != ':') {
		*why = "bad header line";
		return -1;
	}
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c != ' ' && c != '\t' && !is_vchar(c) && c < 0x80) {
			*why = "control character in a header value";
			return -1;
		}
	}
	return 0;
}

int
http_parse_request(const char *buf, size_t len, struct http_req *out,
    const char **why)
{
	struct http_req r;
	size_t p = 0, n;
	long nl;
	int first = 1;

	memset(&r, 0, sizeof(r));
	if (len > HTTP_MAX_HEAD)
		len = HTTP_MAX_HEAD;
	for (;;) {
		nl = line_end(buf, p, len, why);
		if (nl == -2)
			return DG_EINVAL;
		if (nl == -1) {
			if (len >= HTTP_MAX_HEAD) {
				*why = "request head too large";
				return DG_EINVAL;
			}
			/* Check what is there already: garbage is refused at
			 * once, not after the time limit. */
			if (first && len - p > 0 && !is_tchar((unsigned char)buf[p])) {
				*why = "bad method";
				return DG_EINVAL;
			}
			return DG_AGAIN;
		}
		n = content_len(buf, p, (size_t)nl);
		if (first) {
			if (request_line(buf + p, n, &r, why) == -1)
				return DG_EINVAL;
			first = 0;
		} else if (n == 0) {
			*out = r;
			return nl + 1;
		} else {
			if (buf[p] == ' ' || buf[p] == '\t') {
				*why = "obsolete header line folding";
				return DG_EINVAL;
			}
			if (header_line(buf + p, n, why) == -1)
				return DG_EINVAL;
			if (++r.nheaders > HTTP_MAX_HEADERS) {
				*why = "too many header lines";
				return DG_EINVAL;
			}
		}
		p = (size_t)nl + 1;
	}
}
