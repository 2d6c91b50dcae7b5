/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - the request side of HTTP/1.x, as much as the metrics endpoint
 * needs: the request line and the header block, bounded, parsed without
 * copying.  The bytes come from whoever can reach the metrics address, so
 * they are untrusted like everything from the network.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#include "dg.h"

/* A request whose head (request line and headers) does not fit here is
 * refused: a scrape sends a few hundred bytes. */
#define HTTP_MAX_HEAD		4096
#define HTTP_MAX_HEADERS	64

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER		/* a valid token we do not serve */
};

struct http_req {
	enum http_method	 method;
	const char		*path;		/* the target up to '?' or its end */
	size_t			 pathlen;
	int			 minor;		/* HTTP/1.<minor>: 0 or 1 */
	int			 nheaders;
};

/*
 * Parses the head of one request in buf[0..len): returns the bytes up to
 * and including the blank line that ends it, DG_AGAIN when buf is a strict
 * prefix of a valid head (and shorter than HTTP_MAX_HEAD), or DG_EINVAL
 * with a static reason in *why.  Lines end with CRLF or LF alone.  Only
 * origin-form targets ("/path?query") are valid.  *out is written on
 * success only, and points into buf.
 */
int	http_parse_request(const char *buf, size_t len, struct http_req *out,
	    const char **why) DG_WUR;

#endif
