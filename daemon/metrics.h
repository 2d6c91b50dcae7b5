/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon/metrics.h - the Prometheus endpoint: {metrics, "127.0.0.1:9369"}
 * serves GET /metrics in the text exposition format (version 0.0.4) from
 * the daemon's loop.  docs/METRICS.md lists the metrics.
 */
#ifndef DG_METRICS_H
#define DG_METRICS_H

#include <stddef.h>

#include "core/context.h"

struct metrics;

/* Starts the endpoint when the configuration has one; NULL otherwise or
 * when its address cannot be bound (logged). */
struct metrics	*metrics_start(struct dg_daemon *);
void		 metrics_stop(struct metrics *);

/*
 * The exposition of the daemon's counters, at most `max_peers` peers with
 * their own label (the others are summed under peer="other"), into a
 * malloc'd string of *len bytes; NULL when memory ran out.
 */
char	*metrics_render(struct dg_daemon *, int max_peers, size_t *len);

/* Writes s as a label value: \ " and newline escaped, into out (NUL
 * terminated, truncated to fit); returns out. */
char	*metrics_label_escape(char *out, size_t outlen, const char *s);

#endif
