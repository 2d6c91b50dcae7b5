/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - one line per event on stderr, with a UTC timestamp and level.
 *
 * Under systemd, when stderr is the journal's stream (JOURNAL_STREAM names
 * its device and inode, systemd.exec(5)), each line starts with its
 * syslog priority as "<N>" (sd-daemon.h's SD_ERR, SD_WARNING, SD_INFO,
 * SD_DEBUG), which journald takes off and records as the priority; any
 * other stderr gets the lines as they were.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dg_log.h"

static enum dg_log_level log_level = DG_LOG_INFO;
static int log_journal = -1;	/* stderr is the journal: 1, not: 0 */

/* syslog priorities of the levels: debug 7, info 6, warning 4, err 3. */
static const char *const log_prio[] = {
	[DG_LOG_DEBUG] = "<7>", [DG_LOG_INFO] = "<6>",
	[DG_LOG_WARN] = "<4>", [DG_LOG_ERR] = "<3>",
};

/* JOURNAL_STREAM is "DEV:INO" of the stream systemd connected; it is
 * inherited, so it counts only while stderr is still that stream. */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (js == NULL || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_set_level(enum dg_log_level level)
{
	log_level = level;
}

static void
vlog(enum dg_log_level level, const char *tag, const char *suffix,
    const char *fmt, va_list ap)
{
	char line[2048], stamp[32];
	struct timespec ts;
	struct tm tm;
	int saved = errno, n;

	if (level < log_level)
		return;
	if (log_journal == -1)
		log_journal = stderr_is_journal();
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		line[0] = '\0';
	/* One write per line so lines from concurrent writers do not mix. */
	fprintf(stderr, "%s%s.%03ldZ distguard[%d]: %s: %s%s%s\n",
	    log_journal ? log_prio[level] : "", stamp,
	    ts.tv_nsec / 1000000, (int)getpid(), tag, line,
	    suffix ? ": " : "", suffix ? suffix : "");
	errno = saved;
}

#define LOG_FN(name, level, tag)			\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	vlog(level, tag, NULL, fmt, ap);		\
	va_end(ap);					\
}

LOG_FN(log_debug, DG_LOG_DEBUG, "debug")
LOG_FN(log_info, DG_LOG_INFO, "info")
LOG_FN(log_warnx, DG_LOG_WARN, "warning")

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	vlog(DG_LOG_WARN, "warning", err, fmt, ap);
	va_end(ap);
}

void
log_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(DG_LOG_ERR, "fatal", NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_escape(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t o = 0, i;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < srclen; i++) {
		unsigned char c = s[i];
		char tmp[7];
		size_t k = 0;

		if (c == '"' || c == '\\') {
			tmp[k++] = '\\';
			tmp[k++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[k++] = (char)c;
		} else {
			memcpy(tmp, "\\u00", 4);
			k = 4;
			tmp[k++] = hex[c >> 4];
			tmp[k++] = hex[c & 15];
		}
		if (o + k + 1 > dstlen)
			break;
		memcpy(dst + o, tmp, k);
		o += k;
	}
	dst[o] = '\0';
	return dst;
}
