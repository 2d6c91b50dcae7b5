/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_accept.c - the one acceptor (core/accept.c) on a real loopback
 * socket and a real libev loop: the burst bound per wake-up, the gate
 * (refused connections closed and counted), running out of descriptors
 * (a low RLIMIT_NOFILE inside the test: the queue drained on the spare
 * descriptor, the watcher paused instead of spinning, then resumed), and
 * the backlog handed to listen(2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dg_test.h"
#include "core/accept.h"
#include "core/context.h"

#define MAXC	256

static struct dg_daemon d;
static struct acceptor acc;
static struct sockaddr_in at;		/* where acc listens */
static int got[MAXC], ngot;		/* fds given to the owner */

static int
refuse_odd(void *owner, const struct sockaddr *sa)
{
	static int n;

	(void)owner;
	CHECK_EQ(sa->sa_family, AF_INET);
	return n++ % 2 == 0;
}

static void
take(void *owner, int fd, const struct sockaddr_storage *ss)
{
	CHECK(owner == &acc);
	CHECK_EQ(ss->ss_family, AF_INET);
	if (ngot < MAXC)
		got[ngot++] = fd;
	else
		close(fd);
}

/* A daemon context with a loop and the spare descriptor, and `acc`
 * listening on 127.0.0.1 (a port the kernel picks). */
static void
setup(int backlog, accept_admit_fn admit)
{
	socklen_t len = sizeof(at);

	memset(&d, 0, sizeof(d));
	d.loop = ev_loop_new(EVFLAG_AUTO);
	d.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ngot = 0;
	memset(&at, 0, sizeof(at));
	at.sin_family = AF_INET;
	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	accept_init(&acc, &d, ACCEPT_LINK, "test", backlog, admit, take, &acc);
	CHECK(accept_listen(&acc, (struct sockaddr *)&at, sizeof(at), 1) >= 0);
	CHECK(getsockname(accept_fd(&acc), (struct sockaddr *)&at, &len) == 0);
}

static void
teardown(void)
{
	int i;

	for (i = 0; i < ngot; i++)
		close(got[i]);
	accept_close(&acc);
	if (d.reserve_fd != -1)
		close(d.reserve_fd);
	ev_loop_destroy(d.loop);
}

/* n clients connected (the handshake completes in the kernel's queue). */
static int
dial(int *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c[i] == -1 || connect(c[i], (struct sockaddr *)&at,
		    sizeof(at)) == -1)
			return -1;
	}
	return 0;
}

static void
hang_up(int *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(c[i]);
}

/* Was the client's connection closed by the other end (EOF or reset)? */
static int
closed_by_peer(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;

	if (poll(&p, 1, 1000) != 1)
		return 0;
	return recv(fd, &b, 1, MSG_DONTWAIT) <= 0;
}

/* One wake-up takes at most ACCEPT_BURST connections; the next ones take
 * the rest. */
static void
t_burst(void)
{
	int c[150];

	setup(0, NULL);
	CHECK(dial(c, 150) == 0);
	ev_run(d.loop, EVRUN_NOWAIT);
	CHECK_EQ(ngot, ACCEPT_BURST);
	ev_run(d.loop, EVRUN_NOWAIT);
	CHECK_EQ(ngot, 2 * ACCEPT_BURST);
	ev_run(d.loop, EVRUN_NOWAIT);
	CHECK_EQ(ngot, 150);
	CHECK_EQ(d.accepts[ACCEPT_LINK].admitted, 150);
	CHECK_EQ(d.accepts[ACCEPT_LINK].refused, 0);
	hang_up(c, 150);
	teardown();
}

/* The gate: a refused connection is closed unread and counted, never
 * given to the owner. */
static void
t_gate(void)
{
	int c[10], i, eof = 0;

	setup(0, refuse_odd);
	CHECK(dial(c, 10) == 0);
	ev_run(d.loop, EVRUN_NOWAIT);
	CHECK_EQ(ngot, 5);
	CHECK_EQ(d.accepts[ACCEPT_LINK].admitted, 5);
	CHECK_EQ(d.accepts[ACCEPT_LINK].refused, 5);
	for (i = 0; i < 10; i++)
		eof += closed_by_peer(c[i]);
	CHECK_EQ(eof, 5);
	hang_up(c, 10);
	teardown();
}

/* Every descriptor below the soft limit taken: the fds opened to fill it
 * are in fill[], *nfill of them.  Returns the old limit in *old. */
static int
exhaust(struct rlimit *old, int *fill, int *nfill, int cap)
{
	struct rlimit rl;
	int fd, top = 0;

	*nfill = 0;
	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			top = fd;
	if (getrlimit(RLIMIT_NOFILE, old) == -1)
		return -1;
	rl = *old;
	rl.rlim_cur = (rlim_t)top + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	while (*nfill < cap &&
	    (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1)
		fill[(*nfill)++] = fd;
	return errno == EMFILE ? 0 : -1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Out of descriptors: the queued connections are taken on the spare
 * descriptor and closed (their clients see it at once), the spare is taken
 * back, the watcher is stopped and a timer runs; nothing is accepted
 * until it fires, and then accepting resumes on its own.
 */
static void
t_emfile(void)
{
	struct rlimit old;
	int c[12], fill[4096], nfill, i, eof = 0, spare;
	double t0;

	setup(0, NULL);
	acc.pause = 0.3;
	CHECK(dial(c, 10) == 0);
	spare = d.reserve_fd;
	CHECK(exhaust(&old, fill, &nfill, 4096) == 0);
	ev_run(d.loop, EVRUN_NOWAIT);
	CHECK_EQ(ngot, 0);
	CHECK_EQ(d.accepts[ACCEPT_LINK].shed, 10);
	CHECK_EQ(d.accepts[ACCEPT_LINK].pauses, 1);
	CHECK(d.reserve_fd != -1);		/* taken back */
	CHECK_EQ(d.reserve_fd, spare);
	CHECK(!ev_is_active(&acc.io));		/* paused: no spin */
	CHECK(ev_is_active(&acc.resume));
	for (i = 0; i < 10; i++)
		eof += closed_by_peer(c[i]);
	CHECK_EQ(eof, 10);
	/* Descriptors come back; a new client waits for the pause to end. */
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	CHECK(dial(c + 10, 2) == 0);
	t0 = now();
	ev_run(d.loop, EVRUN_NOWAIT);
	if (now() - t0 < 0.2)
		CHECK_EQ(ngot, 0);		/* still paused */
	while (ngot < 2 && now() - t0 < 3.0)
		ev_run(d.loop, EVRUN_ONCE);
	CHECK_EQ(ngot, 2);
	CHECK(now() - t0 >= 0.25);		/* not before the pause */
	CHECK(ev_is_active(&acc.io));
	CHECK(!ev_is_active(&acc.resume));
	CHECK_EQ(d.accepts[ACCEPT_LINK].shed, 10);
	hang_up(c, 12);
	teardown();
}

/* Without a spare descriptor the acceptor still pauses instead of
 * spinning, and sheds nothing. */
static void
t_emfile_no_spare(void)
{
	struct rlimit old;
	int c[3], fill[4096], nfill, i;

	setup(0, NULL);
	close(d.reserve_fd);
	d.reserve_fd = -1;
	CHECK(dial(c, 3) == 0);
	CHECK(exhaust(&old, fill, &nfill, 4096) == 0);
	ev_run(d.loop, EVRUN_NOWAIT);
	CHECK_EQ(ngot, 0);
	CHECK_EQ(d.accepts[ACCEPT_LINK].shed, 0);
	CHECK_EQ(d.accepts[ACCEPT_LINK].pauses, 1);
	CHECK(!ev_is_active(&acc.io));
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	hang_up(c, 3);
	teardown();
}

/* Stopped by its owner during a pause, it stays stopped when the timer
 * would have fired; started again, it accepts. */
static void
t_stop_start(void)
{
	int c[2];

	setup(0, NULL);
	accept_stop(&acc);
	CHECK(dial(c, 1) == 0);
	ev_run(d.loop, EVRUN_NOWAIT);
	CHECK_EQ(ngot, 0);
	accept_start(&acc);
	ev_run(d.loop, EVRUN_NOWAIT);
	CHECK_EQ(ngot, 1);
	hang_up(c, 1);
	teardown();
}

/*
 * The backlog reaches listen(2): with nothing accepted, the kernel
 * completes at most backlog + 1 connections and leaves the others'
 * SYNs unanswered.
 */
static void
t_backlog(void)
{
	FILE *f;
	int c[20], i, up = 0, somax = 0;
	struct pollfd p;

	CHECK_EQ(accept_backlog(7), 7);
	if ((f = fopen("/proc/sys/net/core/somaxconn", "r")) != NULL) {
		if (fscanf(f, "%d", &somax) != 1)
			somax = 0;
		fclose(f);
	}
	CHECK_EQ(accept_backlog(0), somax > 0 ? somax : ACCEPT_BACKLOG_FALLBACK);
	setup(3, NULL);
	CHECK_EQ(acc.backlog, 3);
	accept_stop(&acc);
	for (i = 0; i < 20; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (connect(c[i], (struct sockaddr *)&at, sizeof(at)) == -1)
			CHECK_EQ(errno, EINPROGRESS);
	}
	usleep(200000);
	for (i = 0; i < 20; i++) {
		int err = -1;
		socklen_t el = sizeof(err);

		p.fd = c[i];
		p.events = POLLOUT;
		if (poll(&p, 1, 0) == 1 && getsockopt(c[i], SOL_SOCKET,
		    SO_ERROR, &err, &el) == 0 && err == 0)
			up++;
	}
	printf("# backlog 3: %d of 20 connections completed\n", up);
	CHECK(up >= 1 && up <= 4);
	hang_up(c, 20);
	teardown();
}

int
main(void)
{
	RUN(t_burst);
	RUN(t_gate);
	RUN(t_emfile);
	RUN(t_emfile_no_spare);
	RUN(t_stop_start);
	RUN(t_backlog);
	return TEST_DONE();
}
