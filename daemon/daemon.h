/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.h - the daemon: starts the services on one event loop, reloads
 * the configuration, drops privileges, stops on a signal.
 */
#ifndef DG_DAEMON_H
#define DG_DAEMON_H

/* `distguard run`: returns the exit status. */
int	daemon_run(const char *path, int verbose);

#endif
