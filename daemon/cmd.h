/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon/cmd.h - the commands of the distguard binary that are more than a
 * call into the daemon (daemon/main.c dispatches them).
 */
#ifndef DG_CMD_H
#define DG_CMD_H

#include <stdio.h>

#include "dg.h"

/*
 * `distguard test -c FILE [--node LOCAL] [-v] [--disclosed] [--term T |
 * --term-file F] PEER TYPE [TARGET]` (daemon/cmd_dryrun.c).  argv[0] is the
 * command's own name ("test").  Prints the verdict and the entry that
 * decided; returns the exit status, the verdict's so that scripts can
 * branch on it: 0 allow, 1 deny, 2 drop; 3 when there is no verdict (a
 * usage error, or the configuration does not load).
 */
#define CMD_TEST_ERROR	3
int	cmd_test(int argc, char **argv);

/* A usage error of command `cmd` (NULL: of the binary): prints one line,
 * "distguard CMD: MESSAGE; try 'distguard CMD --help'", returns 2. */
int	cmd_usage_error(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * `distguard keygen -o FILE`, `distguard pubkey FILE`, `distguard sign
 * --cluster-key FILE --host NAME --pubkey KEY --days N [--names P...]
 * [-o FILE]` (daemon/cmd_link.c): the keys and certificates of links between
 * distguard hosts.  argv[0] is the command's name; each handles its own
 * --help.  Returns the exit status (0, 1 on failure, 2 on a usage error).
 */
int	cmd_link_is(const char *cmd);

/*
 * `distguard suggest [-c FILE] [--node N] [--since T]` (daemon/suggest.c):
 * prints the smallest policy that allows what the running daemon saw.
 * Returns 0, 1 when the daemon or its answer fails, 2 on a usage error.
 */
int	cmd_suggest(int argc, char **argv);
/* Its work on the control socket's "seen" answer (text, changed in
 * place): the policy to out.  node: a pattern over local nodes, or NULL;
 * since: Unix seconds, or 0.  Returns 0, or 1 when text is not a table
 * of what was seen. */
int	suggest_from(char *text, const char *node, double since, FILE *out);
int	cmd_link(int argc, char **argv);

#endif
