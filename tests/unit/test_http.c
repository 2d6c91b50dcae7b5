/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_http.c - the HTTP request-head parser of the metrics endpoint
 * (daemon/http.c): valid scrapes, every prefix of one, and the refusals.
 */
#include "dg_test.h"

#include "http.h"

static int
parse(const char *s, struct http_req *r, const char **why)
{
	size_t len = strlen(s);

	*why = NULL;
	return http_parse_request((const char *)guard_copy(s, len), len, r, why);
}

static void
test_scrape(void)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9369\r\n"
	    "User-Agent: Prometheus/2.42.0\r\nAccept: text/plain;version=0.0.4;q=1\r\n"
	    "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
	struct http_req r;
	const char *why;

	CHECK_EQ(parse(req, &r, &why), (long)strlen(req));
	CHECK_EQ(r.method, HTTP_GET);
	CHECK(r.pathlen == 8 && memcmp(r.path, "/metrics", 8) == 0);
	CHECK_EQ(r.minor, 1);
	CHECK_EQ(r.nheaders, 4);
}

static void
test_every_prefix_is_again(void)
{
	static const char req[] = "GET /metrics?x=1 HTTP/1.0\r\nHost: a\r\n\r\n";
	char buf[sizeof(req)];
	struct http_req r;
	const char *why;
	size_t n;

	for (n = 0; n < strlen(req); n++) {
		memcpy(buf, req, n);
		buf[n] = '\0';
		CHECK_EQ(parse(buf, &r, &why), DG_AGAIN);
	}
	CHECK_EQ(parse(req, &r, &why), (long)strlen(req));
	CHECK(r.pathlen == 8 && r.minor == 0);
}

static void
test_bare_lf_and_trailing_bytes(void)
{
	struct http_req r;
	const char *why;

	CHECK_EQ(parse("HEAD /metrics HTTP/1.1\nHost: a\n\nEXTRA", &r, &why), 32);
	CHECK_EQ(r.method, HTTP_HEAD);
	CHECK_EQ(parse("DELETE /x HTTP/1.1\r\n\r\n", &r, &why), 22);
	CHECK_EQ(r.method, HTTP_OTHER);
}

static void
test_refused(void)
{
	static const char *bad[] = {
		"\x16\x03\x01\x02\x00",			/* TLS hello: at once */
		"GET metrics HTTP/1.1\r\n\r\n",		/* not origin-form */
		"GET http://x/metrics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/2.0\r\n\r\n",
		"GET /metrics HTTP/1.1 \r\n\r\n",
		"GET  /metrics HTTP/1.1\r\n\r\n",
		"GET /met\x01rics HTTP/1.1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nNo colon\r\n\r\n",
		"GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n",
		"GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n",
		"GET /metrics HTTP/1.1\rHost: a\r\n\r\n",	/* bare CR */
		"\r\n",
		"G\x00T /metrics HTTP/1.1\r\n\r\n",
	};
	struct http_req r;
	const char *why;
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(bad); i++) {
		size_t len = i == DG_ARRAY_LEN(bad) - 1 ? 24 : strlen(bad[i]);

		why = NULL;
		if (http_parse_request((const char *)guard_copy(bad[i], len), len,
		    &r, &why) != DG_EINVAL || why == NULL) {
			fprintf(stderr, "  accepted bad request %zu\n", i);
			dg_t_failed++;
		}
	}
}

static void
test_limits(void)
{
	static char big[HTTP_MAX_HEAD + 100];
	struct http_req r;
	const char *why;
	size_t n;
	int i;

	/* A head that never ends is refused at HTTP_MAX_HEAD bytes. */
	n = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\n");
	while (n < sizeof(big) - 1)
		big[n++] = 'a';
	big[n] = '\0';
	CHECK_EQ(http_parse_request(big, HTTP_MAX_HEAD - 1, &r, &why), DG_AGAIN);
	CHECK_EQ(http_parse_request(big, HTTP_MAX_HEAD, &r, &why), DG_EINVAL);
	CHECK_EQ(http_parse_request(big, n, &r, &why), DG_EINVAL);
	/* Too many header lines. */
	n = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\n");
	for (i = 0; i <= HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "a: b\r\n");
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	CHECK_EQ(http_parse_request(big, n, &r, &why), DG_EINVAL);
	CHECK(why && strstr(why, "too many"));
}

int
main(void)
{
	RUN(test_scrape);
	RUN(test_every_prefix_is_again);
	RUN(test_bare_lf_and_trailing_bytes);
	RUN(test_refused);
	RUN(test_limits);
	return TEST_DONE();
}
