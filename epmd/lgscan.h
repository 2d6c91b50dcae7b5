/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lgscan.h - which process holds a socket (issue 20: "the same process
 * where the kernel tells").  sock_diag gives a socket's uid and inode,
 * never its process; the only way from an inode to a pid is to read the
 * links in /proc/<pid>/fd.  Those of another uid need root (ptrace
 * access), so the local guard's helper runs this scan (localguard.c,
 * op LG_OP_OWNER), never the daemon after its privilege drop.
 *
 * Bounded: only the processes whose /proc entry belongs to the socket's
 * uid, at most LGSCAN_MAX_PROCS of them and LGSCAN_MAX_FDS links in all,
 * within LGSCAN_MAX_MS; past a bound the answer is "incomplete", which
 * the daemon takes as a refusal (fail closed).
 */
#ifndef LGSCAN_H
#define LGSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LGSCAN_MAX_LISTEN	16	/* listeners of one port (sockdiag.h) */
#define LGSCAN_MAX_PROCS	32768	/* processes of one uid examined */
#define LGSCAN_MAX_FDS		(1 << 20)	/* fd links read, in all */
#define LGSCAN_MAX_MS		1000	/* and no longer than this */

struct lgscan_result {
	pid_t		conn_pid;	/* a process holding the connection's
					 * socket (the one holding most of the
					 * listeners), 0: none of the uid */
	uint32_t	held;		/* bit k: conn_pid holds listener k */
	pid_t		listen_pid;	/* a process holding listener 0 */
	int		incomplete;	/* a bound was reached first */
	uint32_t	procs, fds;	/* what was read, for the cost */
};

/*
 * Scans procroot ("/proc") for the processes of uid holding the socket
 * inode conn and the listeners' inodes lis[0..nlis).  Returns 0 with *res
 * filled (res->held == all nlis bits: the same process holds both), -1
 * when procroot cannot be read at all.
 */
int	lgscan_owner(const char *procroot, uid_t uid, uint32_t conn,
	    const uint32_t *lis, int nlis, struct lgscan_result *res);

/* "socket:[12345]" (a /proc/<pid>/fd link, n bytes) to 12345: 0, or -1
 * for any other link.  Pure, for the tests. */
int	lgscan_socket_inode(const char *link, size_t n, uint32_t *inode);

#endif
