/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/alert.h - security alerts: one JSON object per line, with stable
 * dotted event names, to the configured file (and syslog), rate-limited per
 * source address so a hostile peer cannot fill the disk.
 *
 * Every alert carries ts, event, node (the protected local node: its full
 * name once known, else its alive name; "" when the alert is about no
 * node), peer (the remote node's name, as it claimed it, truncated; ""
 * when unknown), addr (the remote's address:port, "-" for none) and
 * detail; an alert about a session adds direction ("inbound", "egress",
 * or "link" for the link listener's own refusals).  Whichever side
 * dialled, node is ours and peer theirs.  Strings are written by
 * core/json.c.  Every alert is also logged as one line on stderr.
 */
#ifndef DG_ALERT_H
#define DG_ALERT_H

#include "core/addr.h"	/* dg_addr_text, dg_host_text */

#include <sys/socket.h>

#include "dg.h"

struct alerts;

struct alerts	*alerts_new(const char *path, int use_syslog, int per_source_per_min);
/* Reopens/reconfigures (after a reload). */
void		 alerts_configure(struct alerts *, const char *path, int use_syslog,
		    int per_source_per_min);
void		 alerts_free(struct alerts *);
/* 1 when the alerts file is open (0: none configured, or it failed). */
int		 alerts_fd_open(const struct alerts *);

/*
 * Emits one alert.  `sa` is the remote's address (NULL for none); `peer`
 * is the remote node's name and `node` the protected local node's; either
 * may be NULL, and peer may be an unterminated span of untrusted bytes
 * given by (ptr, len) through alert_emitn; detail is trusted text.  An alert with
 * no address (sa NULL) records an operator's act and is not rate-limited.
 */
void	alert_emit(struct alerts *, const char *event, const struct sockaddr *sa,
	    const char *peer, const char *node, const char *fmt, ...)
	    DG_PRINTF(6, 7);
/* An alert about a mediated connection, with its direction ("inbound":
 * the peer dialled one of our nodes; "egress": one of our nodes dialled
 * it). */
void	alert_emit_dir(struct alerts *, const char *event,
	    const struct sockaddr *sa, const char *peer, const char *node,
	    const char *direction, const char *fmt, ...) DG_PRINTF(7, 8);
void	alert_emitn(struct alerts *, const char *event, const struct sockaddr *sa,
	    const void *peer, size_t peerlen, const char *node,
	    const char *fmt, ...) DG_PRINTF(7, 8);

/*
 * alert_emit_dir with a detail rendered only if the alert is written:
 * render(arg, buf, len) fills buf (NUL-terminated) when the rate limit
 * lets the alert through, and is not called when it suppresses it.
 */
typedef void	(*alert_render_fn)(const void *arg, char *buf, size_t len);
void	alert_emit_lazy(struct alerts *, const char *event,
	    const struct sockaddr *sa, const char *peer, const char *node,
	    const char *direction, alert_render_fn render, const void *arg);

/* Number of alerts written and suppressed so far. */
void	alerts_counts(const struct alerts *, unsigned long long *written,
	    unsigned long long *suppressed);

/* Alert lines the file did not take (a full disk...), apart from the
 * written ones: each is written whole or not at all. */
unsigned long long alerts_failed(const struct alerts *);

/* Alerts raised so far by event, suppressed ones included (metrics). */
struct stats_names;
const struct stats_names *alerts_events(const struct alerts *);


#endif
