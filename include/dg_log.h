/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dg_log.h - one line per event on stderr.
 *
 * Lines look like "2026-11-27T04:15:30Z distguard[123]: info: epmd: ...".
 * Functions keep errno intact so callers can log before inspecting it.
 */
#ifndef DG_LOG_H
#define DG_LOG_H

#include "dg.h"

enum dg_log_level { DG_LOG_DEBUG, DG_LOG_INFO, DG_LOG_WARN, DG_LOG_ERR };

void	log_set_level(enum dg_log_level);
void	log_debug(const char *fmt, ...) DG_PRINTF(1, 2);
void	log_info(const char *fmt, ...) DG_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) DG_PRINTF(1, 2);
/* As log_warnx, with ": strerror(errno)" appended. */
void	log_warn(const char *fmt, ...) DG_PRINTF(1, 2);
void	log_fatalx(const char *fmt, ...) DG_PRINTF(1, 2) __attribute__((noreturn));

/*
 * Escapes untrusted bytes for a log line or a JSON string: printable ASCII
 * is kept, '"' and '\\' are escaped, anything else becomes \u00XX.  Output
 * is truncated to fit dstlen (always NUL-terminated); returns dst.
 */
char	*log_escape(char *dst, size_t dstlen, const void *src, size_t srclen);

#endif
