/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_idle.c - many idle link legs on one daemon, for bench/link_idle.sh
 * (issue 24, item 2: the heap a link leg keeps while idle).  A benchmark
 * tool, not a test; loopback only.
 *
 * It plays the dialling daemon of another host towards a daemon's link
 * listener, with the link modules themselves (link/link_hs.c,
 * link_rec.c, link_hello.c): per connection the key exchange as the
 * initiator, then the hello (CONNECT for a node k<i>@FROM to the node TO,
 * the daemon's own; UP once the daemon ACCEPTs), so that the daemon runs
 * the real Erlang handshake with its node and the session ends up in
 * the relay, established, with nothing in flight.  Then the connection
 * is kept open and left idle.
 *
 *   link_idle PORT KEYFILE PEERKEY TO FROM N1 N SIGDIR
 *
 * PEERKEY is the daemon's public key ("dg1:..."), known here as host
 * "hostpeer"; KEYFILE ours (distguard keygen).  After N1 connections
 * it creates SIGDIR/up1 and waits for SIGDIR/go1; after N, SIGDIR/up2
 * and waits for SIGDIR/go2; then closes everything.  A connection that
 * fails stops the ramp: "failed at I: why" and up2 with the count so far.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "dg_log.h"
#include "link/hostkey.h"
#include "link/link_hello.h"
#include "link/link_hs.h"
#include "link/link_policy.h"
#include "link/link_rec.h"

/* OTP 25's flags without PUBLISHED: a hidden node, so the daemon's node
 * does not start global's sync with each (tests/e2e/craft.py). */
#define IDLE_FLAGS	(0x0000000d07df7fbdULL & ~0x1ULL)

static uint8_t	inbuf[2 * LK_REC_SEAL_MAX];
static size_t	inlen;
static uint8_t	plain[LK_REC_MAX];
static uint8_t	sealed[LK_REC_SEAL_MAX];

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_more(int fd)
{
	ssize_t n;

	if (inlen == sizeof(inbuf))
		return -1;
	n = read(fd, inbuf + inlen, sizeof(inbuf) - inlen);
	if (n <= 0)
		return -1;
	inlen += (size_t)n;
	return 0;
}

static void
take(size_t n)
{
	memmove(inbuf, inbuf + n, inlen - n);
	inlen -= n;
}

/* The next hello record; -1 on a failure or the connection's end. */
static int
next_hello(int fd, struct lk_rec *rec, struct lk_hello *h)
{
	const char *why = NULL;
	size_t used, n;

	for (;;) {
		enum lk_rec_status st = lk_rec_open(rec, inbuf, inlen, &used,
		    plain, sizeof(plain), &n);

		take(used);
		if (st == LK_REC_DATA)
			return lk_hello_decode(plain, n, h, &why) == 0 ? 0 : -1;
		if (st != LK_REC_AGAIN)
			return -1;
		if (used == 0 && read_more(fd) == -1)
			return -1;
	}
}

static int
send_hello(int fd, struct lk_rec *rec, enum lk_hello_type type,
    const char *from, const char *to, uint32_t creation)
{
	struct lk_hello h;
	uint8_t b[LK_HELLO_MAX];
	long w;
	int n;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.flags = type == LK_HELLO_CONNECT ? IDLE_FLAGS : 0;
	h.creation = type == LK_HELLO_CONNECT ? creation : 0;
	h.from.len = (uint16_t)snprintf(h.from.s, sizeof(h.from.s), "%s", from);
	h.to.len = (uint16_t)snprintf(h.to.s, sizeof(h.to.s), "%s", to);
	if ((n = lk_hello_encode(&h, b, sizeof(b))) < 0)
		return -1;
	if ((w = lk_rec_seal(rec, b, (size_t)n, 0, sealed, sizeof(sealed))) < 0)
		return -1;
	return write_all(fd, sealed, (size_t)w);
}

/* One link leg up and idle: its descriptor, or -1 with *why. */
static int
one_leg(int port, const struct lk_hostkey *self, const struct lk_trust *trust,
    const char *from, const char *to, uint32_t creation, const char **why)
{
	struct sockaddr_in sa;
	struct timeval tv = { 10, 0 };
	struct lk_hs_params p;
	static struct lk_hs hs;
	struct lk_rec rec;
	struct lk_hello h;
	enum lk_hs_event ev;
	size_t used;
	int fd, one = 1;

	inlen = 0;
	*why = "connect";
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		goto fail;
	memset(&p, 0, sizeof(p));
	p.role = LK_INITIATOR;
	p.self = self;
	p.trust = trust;
	p.expect_host = "hostpeer";
	p.now = (uint64_t)time(NULL);
	*why = "key exchange";
	ev = lk_hs_start(&hs, &p);
	while (ev == LK_HS_EV_NONE) {
		if (hs.out_len > 0 && write_all(fd, hs.out, hs.out_len) == -1)
			goto fail;
		hs.out_len = 0;
		if (read_more(fd) == -1)
			goto fail;
		ev = lk_hs_input(&hs, inbuf, inlen, &used);
		take(used);
	}
	if (ev != LK_HS_EV_UP || write_all(fd, hs.out, hs.out_len) == -1) {
		if (ev == LK_HS_EV_FAIL)
			*why = hs.detail;
		goto fail;
	}
	if (lk_rec_init_suite(&rec, hs.suite, hs.key_tx, hs.key_rx) == -1) {
		*why = "record suite";
		goto fail;
	}
	lk_hs_wipe(&hs);
	*why = "hello";
	if (send_hello(fd, &rec, LK_HELLO_CONNECT, from, to, creation) == -1 ||
	    next_hello(fd, &rec, &h) == -1 || h.type != LK_HELLO_ACCEPT ||
	    send_hello(fd, &rec, LK_HELLO_UP, from, to, 0) == -1 ||
	    next_hello(fd, &rec, &h) == -1 || h.type != LK_HELLO_UP)
		goto fail;
	lk_rec_wipe(&rec);
	return fd;
fail:
	close(fd);
	return -1;
}

static void
signal_and_wait(const char *dir, const char *up, const char *go, int n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, up);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%d\n", n);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, go);
	while (access(path, F_OK) != 0)
		usleep(100000);
}

int
main(int argc, char **argv)
{
	static struct lk_hostkey self;
	struct lk_link link;
	struct lk_trust trust;
	char err[256], from[300];
	const char *why = NULL;
	int port, n1, n, i, *fds;

	if (argc != 9) {
		fprintf(stderr, "usage: link_idle PORT KEYFILE PEERKEY TO FROM "
		    "N1 N SIGDIR\n");
		return 2;
	}
	port = atoi(argv[1]);
	n1 = atoi(argv[6]);
	n = atoi(argv[7]);
	if (lk_sodium_ready() == -1 ||
	    lk_hostkey_read(argv[2], &self, getuid(), err, sizeof(err)) == -1) {
		fprintf(stderr, "link_idle: %s\n", err);
		return 1;
	}
	memset(&link, 0, sizeof(link));
	link.host = "hostpeer";
	if (lk_pubkey_parse(argv[3], strlen(argv[3]), link.pk, &why) == -1) {
		fprintf(stderr, "link_idle: %s\n", why);
		return 1;
	}
	memset(&trust, 0, sizeof(trust));
	trust.links = &link;
	trust.nlinks = 1;
	if ((fds = calloc((size_t)n, sizeof(*fds))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(from, sizeof(from), "k%d@%s", i, argv[5]);
		if ((fds[i] = one_leg(port, &self, &trust, from, argv[4],
		    (uint32_t)(1000 + i), &why)) == -1) {
			printf("failed at %d: %s (errno %d)\n", i, why, errno);
			break;
		}
		if (i + 1 == n1)
			signal_and_wait(argv[8], "up1", "go1", i + 1);
	}
	printf("link legs up: %d\n", i);
	fflush(stdout);
	if (i < n1)
		signal_and_wait(argv[8], "up1", "go1", i);
	signal_and_wait(argv[8], "up2", "go2", i);
	while (i-- > 0)
		close(fds[i]);
	free(fds);
	return 0;
}
