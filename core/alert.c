/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert.c - JSON-line alerts with per-source rate limiting.
 *
 * Rate limit: a token bucket per source address (per_source alerts per
 * minute, burst of the same size), in a small fixed table; an address that
 * cannot get a slot shares the overflow bucket.  Suppressed alerts are
 * counted per source and reported in the next alert that gets through
 * ("suppressed": N), so the file says how much it left out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/alert.h"
#include "core/json.h"
#include "dg_log.h"
#include "core/stats.h"

#define ALERT_SOURCES	1024	/* sources tracked for rate limiting */
#define ALERT_NODE_MAX	128	/* bytes of a claimed node name kept */
#define ALERT_WARN_EVERY 10.0	/* seconds between two warnings of lost lines */

struct alert_src {
	struct dg_addr_key addr;
	int		used;
	double		tokens;
	double		stamp;
	unsigned long	suppressed;
};

struct alerts {
	int			fd;
	char			*path;
	int			use_syslog;
	double			rate;		/* per second */
	double			burst;
	struct alert_src	src[ALERT_SOURCES];
	struct alert_src	overflow;
	unsigned long long	written, suppressed;
	unsigned long long	failed;		/* lines the file did not take */
	unsigned long long	failed_unsaid;	/* ... since the last warning */
	double			warned_at;	/* last word on them, 0: none */
	int			failing;	/* a loss not yet followed by
						 * "takes lines again" */
	struct stats_names	events;		/* raised, by event, for metrics */
};

static struct alert_src *
source_for(struct alerts *a, const struct sockaddr *sa)
{
	struct dg_addr_key key;
	uint32_t h;
	size_t k;

	dg_addr_key_of(sa, &key);
	h = dg_addr_key_hash(&key);
	/* Short linear probe; a full neighbourhood falls into overflow. */
	for (k = 0; k < 8; k++) {
		struct alert_src *s = &a->src[(h + k) % ALERT_SOURCES];

		if (s->used && dg_addr_key_eq(&s->addr, &key))
			return s;
		if (!s->used) {
			s->used = 1;
			s->addr = key;
			s->tokens = a->burst;
			s->stamp = dg_now();
			return s;
		}
	}
	return &a->overflow;
}

static int
take_token(struct alerts *a, struct alert_src *s)
{
	double now = dg_now();

	s->tokens += (now - s->stamp) * a->rate;
	if (s->tokens > a->burst)
		s->tokens = a->burst;
	s->stamp = now;
	if (s->tokens < 1.0)
		return 0;
	s->tokens -= 1.0;
	return 1;
}

/* A regular file, not a FIFO or device someone left at the path. */
static int
regular_file(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

int
alerts_fd_open(const struct alerts *a)
{
	return a->fd != -1;
}

void
alerts_configure(struct alerts *a, const char *path, int use_syslog,
    int per_min)
{
	if (per_min <= 0)
		per_min = 30;
	a->rate = per_min / 60.0;
	a->burst = per_min;
	a->use_syslog = use_syslog;
	a->overflow.tokens = a->burst;
	a->overflow.stamp = dg_now();
	if (a->path && path && strcmp(a->path, path) == 0 && a->fd != -1)
		return;
	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
	free(a->path);
	a->path = path ? strdup(path) : NULL;
	if (a->path) {
		/* Opened by the daemon's user, never through a symlink
		 * (docs/SECURITY.md, "The daemon's own files"). */
		a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT |
		    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
		if (a->fd != -1 && !regular_file(a->fd)) {
			close(a->fd);
			a->fd = -1;
			errno = EINVAL;
		}
		if (a->fd == -1)
			log_warn("alerts: cannot open %s", a->path);
	}
	if (use_syslog)
		openlog("distguard", LOG_PID | LOG_NDELAY, LOG_AUTH);
}

struct alerts *
alerts_new(const char *path, int use_syslog, int per_min)
{
	struct alerts *a = calloc(1, sizeof(*a));

	if (a == NULL)
		log_fatalx("out of memory");
	a->fd = -1;
	alerts_configure(a, path, use_syslog, per_min);
	return a;
}

void
alerts_free(struct alerts *a)
{
	if (a == NULL)
		return;
	if (a->fd != -1)
		close(a->fd);
	free(a->path);
	free(a);
}

void
alerts_counts(const struct alerts *a, unsigned long long *w,
    unsigned long long *s)
{
	*w = a->written;
	*s = a->suppressed;
}

unsigned long long
alerts_failed(const struct alerts *a)
{
	return a->failed;
}

/*
 * Writes all of line[0..n) at the end of the file, or nothing: a short
 * write (a full filesystem) is cut off again, so the file never holds half
 * a JSON line that the next alert would be glued to.  Returns 0, or -1
 * with errno the cause (ENOSPC, EDQUOT, EIO...).
 */
static int
alert_write_whole(int fd, const char *line, size_t n)
{
	size_t done = 0;
	ssize_t w;
	struct stat st;
	int err;

	while (done < n) {
		w = write(fd, line + done, n - done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		err = w == 0 ? ENOSPC : errno;
		/* O_APPEND: what was written is at the end of the file. */
		if (done > 0 && (fstat(fd, &st) == -1 ||
		    st.st_size < (off_t)done ||
		    ftruncate(fd, st.st_size - (off_t)done) == -1))
			log_warn("alerts: a partial line could not be cut "
			    "off");
		else if (done > 0)
			log_debug("alerts: %zu of %zu bytes written, cut off "
			    "again", done, n);
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * May the file's trouble be logged now?  Every line about it (a loss, the
 * recovery) shares one clock: at most one every ALERT_WARN_EVERY seconds,
 * so a full disk, or one that fills and drains by turns, cannot turn into
 * a log line per alert.
 */
static int
alert_may_say(struct alerts *a)
{
	double now = dg_now();

	if (a->warned_at != 0 && now - a->warned_at < ALERT_WARN_EVERY)
		return 0;
	a->warned_at = now;
	return 1;
}

/* A line the file did not take: counted (alerts_failed, metrics), and
 * warned about with its cause and the number lost since the last word. */
static void
alert_write_failed(struct alerts *a, int err)
{
	a->failed++;
	a->failed_unsaid++;
	a->failing = 1;
	if (!alert_may_say(a))
		return;
	log_warnx("alerts: %llu line(s) not written to %s (%llu in all); "
	    "the next word on it in %.0f s at the earliest: %s",
	    a->failed_unsaid, a->path, a->failed, ALERT_WARN_EVERY,
	    strerror(err));
	a->failed_unsaid = 0;
}

static void
alert_write(struct alerts *a, const char *line, size_t n)
{
	if (a->fd == -1) {
		a->written++;
		return;
	}
	if (alert_write_whole(a->fd, line, n) == -1) {
		alert_write_failed(a, errno);
		return;
	}
	a->written++;
	if (a->failing && alert_may_say(a)) {
		log_info("alerts: %s takes lines again (%llu lost since the "
		    "last warning, %llu in all)", a->path, a->failed_unsaid,
		    a->failed);
		a->failed_unsaid = 0;
		a->failing = 0;
	}
}

const struct stats_names *
alerts_events(const struct alerts *a)
{
	return &a->events;
}

/* Appends ,"key":"value" with value JSON-escaped (core/json.c). */
static size_t
put_field(char *line, size_t cap, size_t n, const char *key,
    const void *v, size_t vlen)
{
	int k;

	if (n + strlen(key) + 8 >= cap)
		return n;
	k = snprintf(line + n, cap - n, ",\"%s\":\"", key);
	n += (size_t)k;
	/* Leaves room for the closing quote and whatever follows. */
	n += json_escape(line + n, cap - n - 1, v, vlen, NULL);
	line[n++] = '"';
	line[n] = '\0';
	return n;
}

/* Counts the alert and takes a token from its source: the source, or
 * NULL when the rate limit suppresses it. */
static struct alert_src *
alert_admit(struct alerts *a, const char *event, const struct sockaddr *sa)
{
	struct alert_src *s = source_for(a, sa);

	/* Counted before the rate limit: metrics say what happened, the
	 * file what was kept. */
	stats_names_add(&a->events, event);
	/* Without a source address the alert is an operator's act (a
	 * grant, through the owner-only control socket): an audit trail,
	 * never rate-limited. */
	if (sa != NULL && !take_token(a, s)) {
		s->suppressed++;
		a->suppressed++;
		return NULL;
	}
	return s;
}

/*
 * The fields (README.md, "Alerts"): node is always the protected
 * local node and peer always the remote node name, whichever side dialled;
 * addr is the remote's address; direction, when given, says who dialled.
 */
static void
alert_line(struct alerts *a, struct alert_src *s, const char *event,
    const struct sockaddr *sa, const void *peer, size_t peerlen,
    const char *node, const char *direction, const char *detail)
{
	char line[2048], addr[80], stamp[40];
	char epeer[ALERT_NODE_MAX * 6 + 1], enode[ALERT_NODE_MAX * 6 + 1];
	char edetail[1024];
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (peer == NULL)
		peerlen = 0;
	else if (peerlen > ALERT_NODE_MAX)
		peerlen = ALERT_NODE_MAX;
	dg_addr_text(sa, addr, sizeof(addr));
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = (size_t)snprintf(line, sizeof(line),
	    "{\"ts\":\"%s.%03ldZ\"", stamp, ts.tv_nsec / 1000000);
	/* Each field is bounded below the line's size: node and peer by a
	 * node name's bytes, detail by its buffer; 40 bytes stay for the
	 * fields after detail and the end of the line. */
	n = put_field(line, sizeof(line) - 40, n, "event", event,
	    strlen(event));
	n = put_field(line, sizeof(line) - 40, n, "node", node ? node : "",
	    node ? strnlen(node, ALERT_NODE_MAX) : 0);
	n = put_field(line, sizeof(line) - 40, n, "peer", peer ? peer : "",
	    peerlen);
	n = put_field(line, sizeof(line) - 40, n, "addr", addr, strlen(addr));
	if (direction != NULL)
		n = put_field(line, sizeof(line) - 40, n, "direction",
		    direction, strlen(direction));
	n = put_field(line, sizeof(line) - 40, n, "detail", detail,
	    strlen(detail));
	if (s->suppressed) {
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    ",\"suppressed\":%lu", s->suppressed);
		s->suppressed = 0;
	}
	line[n++] = '}';
	line[n++] = '\n';
	line[n] = '\0';
	log_escape(epeer, sizeof(epeer), peer ? peer : "-", peer ? peerlen : 1);
	log_escape(enode, sizeof(enode), node ? node : "-",
	    node ? strnlen(node, ALERT_NODE_MAX) : 1);
	log_escape(edetail, sizeof(edetail), detail, strlen(detail));
	log_warnx("alert %s node %s peer %s addr %s%s%s: %s", event, enode,
	    epeer, addr, direction ? " " : "", direction ? direction : "",
	    edetail);
	alert_write(a, line, (size_t)n);
	if (a->use_syslog)
		syslog(LOG_WARNING, "%.*s", (int)n - 1, line);
}

static void
alert_vemit(struct alerts *a, const char *event, const struct sockaddr *sa,
    const void *peer, size_t peerlen, const char *node,
    const char *direction, const char *fmt, va_list ap)
{
	char detail[768];
	struct alert_src *s;

	if ((s = alert_admit(a, event, sa)) == NULL)
		return;
	vsnprintf(detail, sizeof(detail), fmt, ap);
	alert_line(a, s, event, sa, peer, peerlen, node, direction, detail);
}

void
alert_emit_lazy(struct alerts *a, const char *event, const struct sockaddr *sa,
    const char *peer, const char *node, const char *direction,
    alert_render_fn render, const void *arg)
{
	char detail[768];
	struct alert_src *s;

	if ((s = alert_admit(a, event, sa)) == NULL)
		return;
	detail[0] = '\0';
	render(arg, detail, sizeof(detail));
	alert_line(a, s, event, sa, peer, peer ? strlen(peer) : 0, node,
	    direction, detail);
}

void
alert_emit(struct alerts *a, const char *event, const struct sockaddr *sa,
    const char *peer, const char *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	alert_vemit(a, event, sa, peer, peer ? strlen(peer) : 0, node,
	    NULL, fmt, ap);
	va_end(ap);
}

void
alert_emit_dir(struct alerts *a, const char *event, const struct sockaddr *sa,
    const char *peer, const char *node, const char *direction,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	alert_vemit(a, event, sa, peer, peer ? strlen(peer) : 0, node,
	    direction, fmt, ap);
	va_end(ap);
}

void
alert_emitn(struct alerts *a, const char *event, const struct sockaddr *sa,
    const void *peer, size_t peerlen, const char *node, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	alert_vemit(a, event, sa, peer, peerlen, node, NULL, fmt, ap);
	va_end(ap);
}
