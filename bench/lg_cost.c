/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lg_cost.c - what the local guard's identity checks cost, per part, on
 * this host (docs/SECURITY.md 2.2).  A benchmark, not a test.  As root
 * (the helper needs it):
 *
 *   cc -O2 -Iinclude -I. -Iepmd -o /tmp/lg_cost bench/lg_cost.c \
 *       build/libdistguard.a -lev -lsodium -lnettle -lnftables -lm
 *   /tmp/lg_cost [N]
 *
 * N times each (200 by default), the median and the 90th percentile in
 * microseconds of: the sock_diag questions a registration asks (the
 * port's listeners in both families, the registering socket by its
 * 4-tuple); the /proc/net/tcp{,6} read they replace; the helper's scan of
 * /proc/<pid>/fd for root's processes and for nobody's; one port added to
 * and deleted from the nftables set.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dg_log.h"
#include "localguard.h"
#include "sockdiag.h"

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n, const char *extra)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-44s median %8.1f us  p90 %8.1f us%s\n", what, v[n / 2],
	    v[n * 9 / 10], extra);
}

static uint32_t
inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint32_t)st.st_ino : 0;
}

static void
read_procnet(void)
{
	static const char *const f[2] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];
	FILE *p;
	int i;

	for (i = 0; i < 2; i++) {
		if ((p = fopen(f[i], "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), p) != NULL)
			;
		fclose(p);
	}
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200, i, l, c;
	struct sockaddr_in a = { .sin_family = AF_INET }, me, peer;
	socklen_t len = sizeof(a);
	struct sockdiag_reply r;
	struct sockdiag_sock s;
	struct lgscan_result res;
	struct localguard *g;
	char why[256], extra[96];
	const char *w;
	double *v, t;
	uint32_t lis;

	if (n < 10 || (v = calloc((size_t)n, sizeof(*v))) == NULL)
		return 2;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(l, 4) == -1 ||
	    getsockname(l, (struct sockaddr *)&a, &len) == -1 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) == -1)
		return 2;
	len = sizeof(me);
	getsockname(c, (struct sockaddr *)&me, &len);
	len = sizeof(peer);
	getpeername(c, (struct sockaddr *)&peer, &len);

	for (i = 0; i < n; i++) {
		t = now_us();
		if (sockdiag_listeners(ntohs(a.sin_port), &r, why) == -1 ||
		    sockdiag_conn(AF_INET, (uint8_t *)&me.sin_addr,
		    ntohs(me.sin_port), (uint8_t *)&peer.sin_addr,
		    ntohs(peer.sin_port), &s, why) != 1) {
			fprintf(stderr, "sock_diag: %s\n", why);
			return 1;
		}
		v[i] = now_us() - t;
	}
	report("sock_diag: listeners (2 dumps) + 4-tuple", v, n, "");
	for (i = 0; i < n; i++) {
		t = now_us();
		read_procnet();
		v[i] = now_us() - t;
	}
	report("/proc/net/tcp{,6} read (the old way)", v, n, "");

	if (geteuid() != 0) {
		printf("# the helper's parts need root\n");
		return 0;
	}
	g = localguard_start(65432, 4242);
	if (!localguard_ready(g, &w)) {
		fprintf(stderr, "local guard: %s\n", w);
		return 1;
	}
	lis = inode_of(l);
	for (i = 0; i < n; i++) {
		t = now_us();
		if (localguard_owner(g, 0, inode_of(c), &lis, 1, &res, why) == -1) {
			fprintf(stderr, "owner: %s\n", why);
			return 1;
		}
		v[i] = now_us() - t;
	}
	snprintf(extra, sizeof(extra), "  (%u processes, %u fds)", res.procs,
	    res.fds);
	report("helper: owner scan, uid 0", v, n, extra);
	for (i = 0; i < n; i++) {
		t = now_us();
		(void)localguard_owner(g, 65534, 1, &lis, 1, &res, why);
		v[i] = now_us() - t;
	}
	snprintf(extra, sizeof(extra), "  (%u processes, %u fds)", res.procs,
	    res.fds);
	report("helper: owner scan, uid 65534 (all of it)", v, n, extra);
	for (i = 0; i < n; i++) {
		t = now_us();
		if (localguard_add(g, 31999, why) == -1 ||
		    localguard_del(g, 31999, why) == -1) {
			fprintf(stderr, "nft: %s\n", why);
			return 1;
		}
		v[i] = now_us() - t;
	}
	report("helper: nft add + delete one port", v, n, "");
	localguard_stop(g);
	return 0;
}
