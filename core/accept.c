/* SPDX-License-Identifier: Apache-2.0 */
/*
 * accept.c - the one acceptor (accept.h).
 *
 * Owns nothing but the listening socket and its two watchers; what a
 * connection may do is its owner's business (the admission callback, then
 * the connection callback).  Trusts nothing about the peer: the address
 * is handed to the gate before anything else happens.
 *
 * Running out of descriptors: accept(2) fails with EMFILE while the
 * connection stays queued, so a level-triggered watcher would wake the
 * loop again at once, forever.  The spare descriptor the daemon keeps is
 * given up to take the queued connections off the kernel's queue and close
 * them (their clients learn at once instead of waiting on a full queue),
 * taken back, and the socket is not watched for ACCEPT_PAUSE seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/accept.h"
#include "core/context.h"
#include "dg_log.h"

static const char *const kind_names[ACCEPT_KINDS] = {
	"epmd", "inbound", "egress", "link", "metrics", "control"
};

const char *
accept_kind_name(enum accept_kind k)
{
	return (unsigned)k < ACCEPT_KINDS ? kind_names[k] : "other";
}

int
accept_backlog(int configured)
{
	static int somaxconn;
	FILE *f;
	int n;

	if (configured > 0)
		return configured;
	if (somaxconn > 0)
		return somaxconn;
	/* Read once: the first listener opens at start, before the drop of
	 * privileges and before any chroot could hide /proc. */
	somaxconn = ACCEPT_BACKLOG_FALLBACK;
	if ((f = fopen("/proc/sys/net/core/somaxconn", "re")) != NULL) {
		if (fscanf(f, "%d", &n) == 1 && n > 0)
			somaxconn = n;
		fclose(f);
	}
	return somaxconn;
}

static void	accept_on_io(struct ev_loop *, ev_io *, int);
static void	accept_on_resume(struct ev_loop *, ev_timer *, int);

void
accept_init(struct acceptor *a, struct dg_daemon *d, enum accept_kind kind,
    const char *name, int backlog, accept_admit_fn admit,
    accept_conn_fn conn, void *owner)
{
	memset(a, 0, sizeof(*a));
	a->loop = d->loop;
	a->reserve_fd = &d->reserve_fd;
	a->stats = &d->accepts[(unsigned)kind < ACCEPT_KINDS ? kind : 0];
	a->admit = admit;
	a->conn = conn;
	a->owner = owner;
	a->backlog = accept_backlog(backlog);
	a->burst = ACCEPT_BURST;
	a->pause = ACCEPT_PAUSE;
	snprintf(a->name, sizeof(a->name), "%s", name);
	ev_io_init(&a->io, accept_on_io, -1, EV_READ);
	ev_timer_init(&a->resume, accept_on_resume, a->pause, 0.0);
}

int
accept_listen(struct acceptor *a, const struct sockaddr *sa, socklen_t len,
    int v6only)
{
	int fd, one = 1, saved;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
	if (bind(fd, sa, len) == -1 || accept_adopt(a, fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
accept_adopt(struct acceptor *a, int fd)
{
	if (listen(fd, a->backlog) == -1)
		return -1;
	ev_io_set(&a->io, fd, EV_READ);
	accept_start(a);
	return 0;
}

int
accept_fd(const struct acceptor *a)
{
	return a->io.fd;
}

void
accept_start(struct acceptor *a)
{
	a->on = 1;
	if (!ev_is_active(&a->resume))
		ev_io_start(a->loop, &a->io);
}

void
accept_stop(struct acceptor *a)
{
	a->on = 0;
	ev_io_stop(a->loop, &a->io);
	ev_timer_stop(a->loop, &a->resume);
}

void
accept_close(struct acceptor *a)
{
	accept_stop(a);
	if (a->io.fd != -1)
		close(a->io.fd);
	ev_io_set(&a->io, -1, EV_READ);
}

static void
accept_pause(struct acceptor *a)
{
	ev_io_stop(a->loop, &a->io);
	ev_timer_set(&a->resume, a->pause, 0.0);
	ev_timer_start(a->loop, &a->resume);
	a->stats->pauses++;
}

static void
accept_on_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct acceptor *a = (struct acceptor *)((char *)w -
	    offsetof(struct acceptor, resume));

	(void)loop;
	(void)revents;
	if (a->on)
		ev_io_start(a->loop, &a->io);
}

/*
 * Out of descriptors (err: EMFILE or ENFILE): up to `budget` queued
 * connections taken on the spare descriptor and closed unread, then a
 * pause.  Without a spare (it could not be taken back last time) the
 * pause alone keeps the loop from spinning.
 */
static void
accept_shed(struct acceptor *a, int err, int budget)
{
	int fd, n = 0;

	if (*a->reserve_fd != -1) {
		close(*a->reserve_fd);
		*a->reserve_fd = -1;
		while (n < budget && (fd = accept4(a->io.fd, NULL, NULL,
		    SOCK_CLOEXEC)) != -1) {
			close(fd);
			n++;
		}
	}
	if (*a->reserve_fd == -1)
		*a->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	a->stats->shed += (uint64_t)n;
	log_warnx("%s: out of file descriptors (%s): %d connection%s closed "
	    "unread; not accepting for %gs", a->name, strerror(err), n,
	    n == 1 ? "" : "s", a->pause);
	accept_pause(a);
}

static void
accept_nodelay(int fd, const struct sockaddr_storage *ss)
{
	int one = 1;

	if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
accept_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct acceptor *a = (struct acceptor *)w;
	struct sockaddr_storage ss;
	socklen_t slen;
	int fd, k;

	(void)loop;
	(void)revents;
	for (k = 0; k < a->burst && a->on; k++) {
		slen = sizeof(ss);
		fd = accept4(a->io.fd, (struct sockaddr *)&ss, &slen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;	/* the next one, if any */
			if (errno == EMFILE || errno == ENFILE)
				accept_shed(a, errno, a->burst - k);
			else if (errno == ENOBUFS || errno == ENOMEM) {
				/* Also a shortage: wait, don't spin. */
				log_warnx("%s: accept: %s; not accepting for "
				    "%gs", a->name, strerror(errno), a->pause);
				accept_pause(a);
			}
			return;		/* EAGAIN: the queue is empty */
		}
		if (slen > sizeof(ss))
			slen = sizeof(ss);
		memset((char *)&ss + slen, 0, sizeof(ss) - slen);
		if (a->admit != NULL &&
		    !a->admit(a->owner, (const struct sockaddr *)&ss)) {
			a->stats->refused++;
			close(fd);
			continue;
		}
		accept_nodelay(fd, &ss);
		a->stats->admitted++;
		a->conn(a->owner, fd, &ss);
	}
}
