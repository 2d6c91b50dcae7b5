/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_usage.c - how every command of the distguard binary reports a usage
 * error: one line that says what is wrong and where the help is, never
 * the whole help (issue 23).
 */
#include <stdarg.h>
#include <stdio.h>

#include "daemon/cmd.h"

int
cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "distguard%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; try 'distguard %s%s--help'\n", cmd ? cmd : "",
	    cmd ? " " : "");
	return 2;
}
