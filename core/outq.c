/* SPDX-License-Identifier: Apache-2.0 */
/*
 * outq.c - the output queue (core/outq.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/outq.h"

#define OUTQ_FIRST_CAP	4096

int
outq_append(struct outq *q, const void *p, size_t n, size_t max)
{
	size_t cap;
	uint8_t *nb;

	if (n == 0)
		return 0;
	if (q->off > 0 && q->off == q->len)
		q->off = q->len = 0;
	if (max && q->len - q->off + n > max)
		return -1;
	if (q->len + n > q->cap) {
		if (q->off > 0) {	/* reclaim what was written first */
			memmove(q->buf, q->buf + q->off, q->len - q->off);
			q->len -= q->off;
			q->off = 0;
		}
		for (cap = q->cap ? q->cap : OUTQ_FIRST_CAP; cap < q->len + n;)
			cap *= 2;
		if (cap != q->cap) {
			if ((nb = realloc(q->buf, cap)) == NULL)
				return -1;
			q->buf = nb;
			q->cap = cap;
		}
	}
	memcpy(q->buf + q->len, p, n);
	q->len += n;
	return 0;
}

void
outq_adopt(struct outq *q, void *buf, size_t len)
{
	free(q->buf);
	q->buf = buf;
	q->len = q->cap = len;
	q->off = 0;
}

int
outq_flush(struct outq *q, int fd)
{
	ssize_t w;

	while (q->off < q->len) {
		if ((w = write(fd, q->buf + q->off, q->len - q->off)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		q->off += (size_t)w;
	}
	outq_free(q);
	return 1;
}

size_t
outq_pending(const struct outq *q)
{
	return q->len - q->off;
}

void
outq_free(struct outq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->len = q->off = q->cap = 0;
}
