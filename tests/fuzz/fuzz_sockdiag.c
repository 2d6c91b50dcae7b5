/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_sockdiag.c - libFuzzer harness for the sock_diag reply parser
 * (epmd/sockdiag.c) and the /proc/<pid>/fd link parser (epmd/lgscan.c).
 *
 * The first 4 bytes choose the reply's sequence number, whether it is a
 * dump, and the port filter; the rest is one datagram, fed whole and then
 * split in two at a point the input chooses, as two datagrams.  Beyond
 * "no crash, no sanitizer report" it checks the contract: the count stays
 * within the array, a finished reply stays finished, every kept socket is
 * inet and (with a port) a listener on that port, and an error is a code
 * the kernel could send.
 *
 * Seeds: tests/fuzz/seeds/sockdiag/ (replies as the kernel lays them out).
 */
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lgscan.h"
#include "sockdiag.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reply(const struct sockdiag_reply *r, int rc)
{
	int i;

	ASSERT(rc == 0 || rc == 1 || rc == DG_EINVAL);
	ASSERT(r->n >= 0 && r->n <= SOCKDIAG_MAX_LISTENERS);
	ASSERT(r->error >= 0 && r->error <= 4095);
	if (rc == 1)
		ASSERT(r->done);
	for (i = 0; i < r->n; i++) {
		const struct sockdiag_sock *s = &r->socks[i];

		ASSERT(s->family == AF_INET || s->family == AF_INET6);
		ASSERT(sockdiag_is_loopback(s) == 0 ||
		    sockdiag_is_loopback(s) == 1);
		if (r->port != 0)
			ASSERT(s->lport == r->port && s->state == TCP_LISTEN);
	}
}

static void
init(struct sockdiag_reply *r, const uint8_t *h)
{
	memset(r, 0, sizeof(*r));
	r->seq = h[0] & 3;
	r->dump = h[1] & 1;
	r->port = (uint16_t)(h[2] << 8 | h[3]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockdiag_reply r, r2;
	const char *why = NULL;
	size_t len, split;
	uint32_t ino;
	int rc, rc2;

	if (size < 4)
		return 0;
	len = size - 4;
	init(&r, data);
	rc = sockdiag_parse(data + 4, len, &r, &why);
	check_reply(&r, rc);
	ASSERT(rc != DG_EINVAL || why != NULL);

	/* Two datagrams: the second is read only while the answer goes on. */
	split = len ? data[1] % (len + 1) : 0;
	init(&r2, data);
	rc2 = sockdiag_parse(data + 4, split, &r2, &why);
	check_reply(&r2, rc2);
	if (rc2 == 0) {
		rc2 = sockdiag_parse(data + 4 + split, len - split, &r2, &why);
		check_reply(&r2, rc2);
	}

	if (lgscan_socket_inode((const char *)data + 4, len, &ino) == 0)
		ASSERT(ino != 0);
	return 0;
}
