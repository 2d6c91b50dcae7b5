/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_outq.c - core/outq.c: appends within a bound, adoption, and flushes
 * to a non-blocking socket that takes less than is queued.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dg_test.h"
#include "core/outq.h"

static void
test_append_bound(void)
{
	struct outq q = { 0 };
	uint8_t b[100];

	memset(b, 7, sizeof(b));
	CHECK_EQ(outq_append(&q, b, 0, 10), 0);
	CHECK(q.buf == NULL);		/* nothing queued, nothing held */
	CHECK_EQ(outq_append(&q, b, 10, 10), 0);
	CHECK_EQ(outq_append(&q, b, 1, 10), -1);	/* past max: refused */
	CHECK_EQ(outq_pending(&q), 10);
	CHECK_EQ(outq_append(&q, b, 100, 0), 0);	/* 0: no bound */
	CHECK_EQ(outq_pending(&q), 110);
	outq_free(&q);
	CHECK(q.buf == NULL && outq_pending(&q) == 0);
}

static void
test_flush_partial(void)
{
	struct outq q = { 0 };
	static uint8_t big[1 << 20], got[1 << 20];
	int sv[2], sz = 4096, rc, rounds = 0;
	size_t i, n = 0;
	ssize_t r;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	CHECK_EQ(outq_append(&q, big, sizeof(big), 0), 0);
	/* the socket takes a little at a time; the rest stays queued, in
	 * order, until it has all gone */
	while ((rc = outq_flush(&q, sv[0])) == 0 && rounds++ < 100000) {
		CHECK(q.buf != NULL);
		while ((r = read(sv[1], got + n, sizeof(got) - n)) > 0)
			n += (size_t)r;
	}
	CHECK_EQ(rc, 1);
	CHECK(q.buf == NULL);		/* drained: memory given back */
	while ((r = read(sv[1], got + n, sizeof(got) - n)) > 0)
		n += (size_t)r;
	CHECK_EQ(n, sizeof(big));
	CHECK(memcmp(big, got, sizeof(big)) == 0);
	/* a closed peer is a write error */
	close(sv[1]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(outq_append(&q, big, 10, 0), 0);
	CHECK_EQ(outq_flush(&q, sv[0]), -1);
	outq_free(&q);
	close(sv[0]);
}

static void
test_adopt(void)
{
	struct outq q = { 0 };
	char *t = strdup("answer");

	outq_adopt(&q, t, 6);
	CHECK_EQ(outq_pending(&q), 6);
	CHECK(q.buf == (uint8_t *)t);	/* no copy */
	outq_free(&q);
}

int
main(void)
{
	RUN(test_append_bound);
	RUN(test_flush_partial);
	RUN(test_adopt);
	return TEST_DONE();
}
