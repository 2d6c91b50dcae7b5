/* SPDX-License-Identifier: Apache-2.0 */
/*
 * leg.c - a plain TCP leg's operations (leg.h): bytes read into the
 * caller's buffer, written at once, and queued (core/outq.c) where the
 * socket does not take them.
 */
#include <errno.h>
#include <unistd.h>

#include "leg.h"
#include "session.h"

const struct leg_reasons leg_reasons_peer = {
	"peer closed", "peer read error", "write to peer failed",
	"peer read error during handshake", "peer closed before the handshake"
};

const struct leg_reasons leg_reasons_node = {
	"node closed", "node read error", "write to node failed",
	"node read error during handshake", "node closed before the handshake"
};

int
leg_send(struct leg *l, const uint8_t *p, size_t n)
{
	struct outq *q = &l->q;
	ssize_t w = 0;

	if (n == 0)
		return 0;
	if (q->len == q->off) {
		w = write(l->fd, p, n);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			w = 0;
		}
	}
	if ((size_t)w < n) {
		if (outq_append(q, p + w, n - (size_t)w, 0) == -1)
			return -1;
		ev_io_start(l->s->d->loop, &l->wr);
	}
	return 0;
}

int
leg_drain(struct leg *l)
{
	int rc;

	/* Drained, the queue gives its memory back: idle sessions keep no
	 * buffers. */
	if ((rc = outq_flush(&l->q, l->fd)) == 1)
		ev_io_stop(l->s->d->loop, &l->wr);
	return rc;
}

/* The socket is read straight into the caller's buffer. */
static int
plain_pull(struct leg *l)
{
	return 1;
}

/* One read a wake-up: the loop comes back while the socket has more. */
static enum leg_fill
plain_fill(struct leg *l, uint8_t *buf, size_t cap, size_t *n)
{
	ssize_t r = read(l->fd, buf, cap);

	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return LEG_FILL_NONE;
		session_close(l->s, l->why->read_error);
		return LEG_FILL_CLOSED;
	}
	if (r == 0)
		return LEG_FILL_EOF;
	*n = (size_t)r;
	return LEG_FILL_LAST;
}

static size_t
plain_buffered(const struct leg *l)
{
	return 0;
}

/* One writev; what the socket does not take is queued. */
static int
plain_sendv(struct leg *l, const struct iovec *v, int n)
{
	struct outq *q = &l->q;
	ssize_t w = 0;
	int i;

	if (q->len == q->off) {
		w = writev(l->fd, v, n);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				session_close(l->s, l->why->write_failed);
				return -1;
			}
			w = 0;
		}
	}
	for (i = 0; i < n; i++) {
		size_t len = v[i].iov_len;

		if ((size_t)w >= len) {
			w -= (ssize_t)len;
			continue;
		}
		if (leg_send(l, (const uint8_t *)v[i].iov_base + w,
		    len - (size_t)w) == -1) {
			session_close(l->s, "out of memory");
			return -1;
		}
		w = 0;
	}
	return 0;
}

static void
plain_free(struct leg *l)
{
}

const struct leg_io leg_plain_io = {
	plain_pull, plain_fill, plain_buffered, leg_send, plain_sendv,
	plain_free
};
