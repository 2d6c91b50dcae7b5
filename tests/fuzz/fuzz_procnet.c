/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_procnet.c - libFuzzer harness for the /proc/net/tcp{,6} line parser
 * (epmd/procnet.c).
 *
 * The input is split into lines as the EPMD service reads the files.
 * Beyond "no crash, no sanitizer report" it checks the contract: a parsed
 * line has a family whose address the loopback test and the text form
 * accept, a line is never parsed differently with its newline, and the
 * per-port verdict counts no more exposed sockets than listeners.
 *
 * Seeds: tests/fuzz/seeds/procnet/ (real lines of both files).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "procnet.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const char *p, size_t n, struct procnet_verdict *v)
{
	struct procnet_sock s, t;
	char text[64];
	int rc = procnet_parse_line(p, n, &s);

	if (rc == 0) {
		ASSERT(s.family == AF_INET || s.family == AF_INET6);
		ASSERT(procnet_is_loopback(&s) == 0 ||
		    procnet_is_loopback(&s) == 1);
		procnet_addr_text(&s, text, sizeof(text));
		ASSERT(memchr(text, '\0', sizeof(text)) != NULL);
	}
	/* Without a trailing newline, the same answer. */
	if (n > 0 && p[n - 1] == '\n') {
		ASSERT(procnet_parse_line(p, n - 1, &t) == rc);
		if (rc == 0)
			ASSERT(t.port == s.port && t.state == s.state &&
			    memcmp(t.addr, s.addr, 16) == 0);
	}
	if (rc == 0) {
		ASSERT(s.has_owner == 0 || s.has_owner == 1);
		ASSERT(procnet_is_conn(p, n, s.family, s.addr, s.port, s.raddr,
		    s.rport, &t) == (s.state != PROCNET_LISTEN));
		procnet_account(v, p, n, s.port);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct procnet_verdict v;
	size_t n;

	memset(&v, 0, sizeof(v));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		one_line(p, n, &v);
		p += n;
	}
	ASSERT(v.exposed <= v.listeners);
	ASSERT(v.owners_known <= v.listeners);
	return 0;
}
