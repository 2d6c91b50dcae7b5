/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/outq.h - bytes waiting for a non-blocking socket (core/outq.c): the
 * one queue of the sessions, the EPMD service, the control socket and the
 * metrics endpoint.  A queue holds memory only while it has bytes: once
 * drained it gives its buffer back, so idle connections keep none.
 */
#ifndef DG_OUTQ_H
#define DG_OUTQ_H

#include <stddef.h>
#include <stdint.h>

struct outq {
	uint8_t		*buf;
	size_t		 len, off, cap;	/* bytes [off, len) are still to go */
};

/* Appends n bytes.  Returns -1, the queue unchanged, when memory runs out
 * or the queue would hold more than max bytes (0: no bound). */
int	outq_append(struct outq *, const void *p, size_t n, size_t max);
/* Makes buf (malloc'd, len bytes) the content of an empty queue, without
 * copying; the queue frees it. */
void	outq_adopt(struct outq *, void *buf, size_t len);
/* Writes what is queued to fd without blocking.  Returns 1 when drained,
 * 0 when the socket took less (try again when it is writable), -1 on a
 * write error. */
int	outq_flush(struct outq *, int fd);
size_t	outq_pending(const struct outq *);
void	outq_free(struct outq *);

#endif
