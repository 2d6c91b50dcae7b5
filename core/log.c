/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - one line per event on stderr, with a UTC timestamp and level.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dg_log.h"

static enum dg_log_level log_level = DG_LOG_INFO;

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
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		line[0] = '\0';
	/* One write per line so lines from concurrent writers do not mix. */
	fprintf(stderr, "%s.%03ldZ distguard[%d]: %s: %s%s%s\n", stamp,
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
fatalx(const char *fmt, ...)
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
