/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lookup.c - a PORT_PLEASE2 to another host's EPMD (lookup.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "dg.h"
#include "epmd/epmd_proto.h"
#include "lookup.h"

static void
finish(struct lookup *lk, uint16_t port, const char *why)
{
	lookup_stop(lk);
	lk->done(lk, port, why);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lookup *lk = (struct lookup *)((char *)w - offsetof(struct lookup, io));
	struct epmd_port2 r;
	const char *why = NULL;
	ssize_t n;
	int rc;

	if (!lk->sent) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(lk->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			finish(lk, 0, "EPMD not reachable");
			return;
		}
		/* A few bytes to a fresh socket: taken whole or not at all. */
		if (write(lk->fd, lk->req, lk->reqlen) != (ssize_t)lk->reqlen) {
			finish(lk, 0, "cannot send to EPMD");
			return;
		}
		lk->sent = 1;
		ev_io_stop(loop, w);
		ev_io_set(w, lk->fd, EV_READ);
		ev_io_start(loop, w);
		return;
	}
	n = read(lk->fd, lk->in + lk->inlen, sizeof(lk->in) - lk->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		lk->inlen += (size_t)n;
	rc = epmd_parse_port2_resp(lk->in, lk->inlen, &r, &why);
	if (rc == 0)
		finish(lk, r.port, NULL);
	else if (rc != DG_AGAIN)
		finish(lk, 0, why);
	else if (n <= 0 || lk->inlen == sizeof(lk->in))
		finish(lk, 0, "EPMD closed before answering");
}

int
lookup_start(struct lookup *lk, struct ev_loop *loop, const struct sockaddr *sa,
    socklen_t salen, const char *alive, lookup_done *done, void *arg)
{
	int n;

	memset(lk, 0, sizeof(*lk));
	lk->fd = -1;
	n = epmd_put_port_please2_req(lk->req, sizeof(lk->req), alive,
	    strlen(alive));
	if (n <= 0)
		return -1;
	lk->reqlen = (size_t)n;
	lk->loop = loop;
	lk->done = done;
	lk->arg = arg;
	lk->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lk->fd == -1)
		return -1;
	if (connect(lk->fd, sa, salen) == -1 && errno != EINPROGRESS) {
		close(lk->fd);
		lk->fd = -1;
		return -1;
	}
	ev_io_init(&lk->io, on_io, lk->fd, EV_WRITE);
	ev_io_start(loop, &lk->io);
	return 0;
}

void
lookup_stop(struct lookup *lk)
{
	if (lk->fd == -1)
		return;
	ev_io_stop(lk->loop, &lk->io);
	close(lk->fd);
	lk->fd = -1;
}
