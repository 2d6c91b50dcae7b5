/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lgscan.c - from socket inodes to the process holding them (lgscan.h).
 * Runs in the local guard's helper, as root.  Process entries come and go
 * while it reads: an entry that vanished is skipped, never an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lgscan.h"

int
lgscan_socket_inode(const char *link, size_t n, uint32_t *inode)
{
	static const char pre[] = "socket:[";
	uint64_t v = 0;
	size_t i = sizeof(pre) - 1;

	if (n < sizeof(pre) + 1 || memcmp(link, pre, sizeof(pre) - 1) != 0 ||
	    link[n - 1] != ']')
		return -1;
	for (; i < n - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || i - (sizeof(pre) - 1) >= 10)
			return -1;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	if (i == sizeof(pre) - 1 || v == 0 || v > UINT32_MAX)
		return -1;
	*inode = (uint32_t)v;
	return 0;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The sockets of one process: *has_conn and the listeners it holds. */
static void
scan_fds(int procfd, const char *pid, uint32_t conn, const uint32_t *lis,
    int nlis, int *has_conn, uint32_t *held, struct lgscan_result *res)
{
	char path[300], link[64];
	struct dirent *e;
	uint32_t ino;
	DIR *d;
	ssize_t n;
	int fd, k;

	snprintf(path, sizeof(path), "%s/fd", pid);
	if ((fd = openat(procfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;		/* gone, or not readable: holds nothing seen */
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		if (++res->fds > LGSCAN_MAX_FDS) {
			res->incomplete = 1;
			break;
		}
		n = readlinkat(dirfd(d), e->d_name, link, sizeof(link));
		if (n <= 0 || (size_t)n >= sizeof(link) ||
		    lgscan_socket_inode(link, (size_t)n, &ino) == -1)
			continue;
		if (ino == conn)
			*has_conn = 1;
		for (k = 0; k < nlis; k++)
			if (ino == lis[k])
				*held |= 1U << k;
	}
	closedir(d);
}

static int
dc_is_pid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int
lgscan_owner(const char *procroot, uid_t uid, uint32_t conn,
    const uint32_t *lis, int nlis, struct lgscan_result *res)
{
	uint32_t all = nlis >= 32 ? ~0U : (1U << nlis) - 1, held;
	struct timespec t0;
	struct dirent *e;
	struct stat st;
	int procfd, has_conn, best = -1;
	DIR *d;

	memset(res, 0, sizeof(*res));
	if (nlis < 0 || nlis > LGSCAN_MAX_LISTEN)
		return -1;
	if ((procfd = open(procroot, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(procfd)) == NULL) {
		close(procfd);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((e = readdir(d)) != NULL) {
		if (!dc_is_pid(e->d_name))
			continue;
		/* The entry belongs to the process's (effective) uid: only
		 * those can hold a socket of the uid... unless the process
		 * changed its uid after creating it, which the node does
		 * not do. */
		if (fstatat(procfd, e->d_name, &st, 0) == -1 ||
		    st.st_uid != uid)
			continue;
		if (++res->procs > LGSCAN_MAX_PROCS ||
		    ms_since(&t0) > LGSCAN_MAX_MS) {
			res->incomplete = 1;
			break;
		}
		has_conn = 0;
		held = 0;
		scan_fds(procfd, e->d_name, conn, lis, nlis, &has_conn, &held,
		    res);
		if (held & 1U && res->listen_pid == 0)
			res->listen_pid = (pid_t)strtol(e->d_name, NULL, 10);
		if (has_conn && __builtin_popcount(held) > best) {
			best = __builtin_popcount(held);
			res->conn_pid = (pid_t)strtol(e->d_name, NULL, 10);
			res->held = held;
		}
		if (res->incomplete || (has_conn && held == all))
			break;
	}
	closedir(d);
	/* A complete answer found before a bound is complete. */
	if (res->conn_pid != 0 && res->held == all)
		res->incomplete = 0;
	return 0;
}
