/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_localguard.c - the commands the local guard's helper builds
 * (epmd/localguard.c): the table, one element per request, and requests
 * it refuses to turn into a command, the owner query's shape.  Then, as
 * root with nftables, the helper itself: the table appears, a port goes in
 * and out, the scan of /proc tells which process holds which socket, and
 * the table goes when the handle is stopped.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dg_test.h"
#include "localguard.h"

static void
t_table(void)
{
	char buf[1024];

	CHECK(localguard_table(4369, 110, 0, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "flags owner") == NULL);
	CHECK(localguard_table(4369, 110, 1, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "table inet distguard_4369 {\n  flags owner;\n")
	    != NULL);
	CHECK(strstr(buf, "add table inet distguard_4369\n"
	    "delete table inet distguard_4369\n") == buf);
	CHECK(strstr(buf, "meta skuid != 110 counter reject with tcp reset")
	    != NULL);
	CHECK(strstr(buf, "oifname \"lo\" tcp flags & (syn | ack) == syn "
	    "tcp dport @ports") != NULL);
	CHECK_EQ(localguard_table(4369, 110, 1, buf, 40), -1);
}

static void
t_commands(void)
{
	struct lg_req add = { .op = LG_OP_ADD, .port = 21350 };
	struct lg_req del = { .op = LG_OP_DEL, .port = 7 };
	struct lg_req bad_op = { .op = 'X', .port = 1 };
	struct lg_req bad_pad = { .op = LG_OP_ADD, .pad = 1, .port = 1 };
	struct lg_req zero = { .op = LG_OP_ADD };
	struct lg_req extra = { .op = LG_OP_ADD, .port = 1, .nlis = 1 };
	char buf[256];

	CHECK(localguard_command(&add, 14369, buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "add element inet distguard_14369 ports { 21350 }\n")
	    == 0);
	CHECK(localguard_command(&del, 65535, buf, sizeof(buf)) > 0);
	CHECK(strcmp(buf, "delete element inet distguard_65535 ports { 7 }\n")
	    == 0);
	CHECK_EQ(localguard_command(&bad_op, 1, buf, sizeof(buf)), -1);
	CHECK_EQ(localguard_command(&bad_pad, 1, buf, sizeof(buf)), -1);
	CHECK_EQ(localguard_command(&zero, 1, buf, sizeof(buf)), -1);
	CHECK_EQ(localguard_command(&add, 1, buf, 10), -1);
	/* An add carrying an owner query's fields is not an add. */
	CHECK_EQ(localguard_command(&extra, 1, buf, sizeof(buf)), -1);
}

/* The owner query's shape: one connection inode, 1..16 listeners, none 0. */
static void
t_owner_req(void)
{
	struct lg_req r = { .op = LG_OP_OWNER, .uid = 7, .conn = 11,
	    .nlis = 2, .lis = { 12, 13 } };
	char buf[64];

	CHECK_EQ(localguard_owner_ok(&r), 1);
	CHECK_EQ(localguard_command(&r, 1, buf, sizeof(buf)), -1);
	r.nlis = 0;
	CHECK_EQ(localguard_owner_ok(&r), 0);
	r.nlis = LGSCAN_MAX_LISTEN + 1;
	CHECK_EQ(localguard_owner_ok(&r), 0);
	r.nlis = 3;		/* lis[2] is 0 */
	CHECK_EQ(localguard_owner_ok(&r), 0);
	r.nlis = 2;
	r.conn = 0;
	CHECK_EQ(localguard_owner_ok(&r), 0);
	r.conn = 11;
	r.pad = 1;
	CHECK_EQ(localguard_owner_ok(&r), 0);
	r.pad = 0;
	r.op = LG_OP_ADD;
	CHECK_EQ(localguard_owner_ok(&r), 0);
}

/* A socket's inode, as /proc/<pid>/fd names it. */
static uint32_t
inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint32_t)st.st_ino : 0;
}

/* A listener on 127.0.0.1, any port; its fd. */
static int
listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(fd, 1) == -1)
		return -1;
	return fd;
}

/*
 * The helper's scan of /proc: this process holds both a "registering"
 * socket and a listener (the same process); a child holds another
 * listener (another process of the same uid): pid and bits say which.
 */
static void
t_owner_scan(struct localguard *g)
{
	struct lgscan_result res;
	char err[LG_WHY_MAX];
	uint32_t lis[2];
	int mine = listener(), conn = socket(AF_INET, SOCK_STREAM, 0);
	int p[2], q[2], theirs;	/* p: child -> parent, q: parent -> child */
	pid_t child;
	char c;

	CHECK(mine != -1 && conn != -1 && pipe(p) == 0 && pipe(q) == 0);
	if ((child = fork()) == 0) {
		close(mine);	/* what fork shared is not the child's */
		close(conn);
		theirs = listener();
		lis[0] = inode_of(theirs);
		(void)!write(p[1], lis, sizeof(lis[0]));
		(void)!read(q[0], &c, 1);	/* until the parent is done */
		_exit(0);
	}
	CHECK(read(p[0], &lis[1], sizeof(lis[1])) == sizeof(lis[1]));
	lis[0] = inode_of(mine);
	CHECK_EQ(localguard_owner(g, geteuid(), inode_of(conn), lis, 1, &res,
	    err), 0);
	CHECK_EQ(res.conn_pid, getpid());
	CHECK_EQ(res.held, 1u);
	CHECK_EQ(res.incomplete, 0);
	/* The child's listener: held by the child, not by this process. */
	CHECK_EQ(localguard_owner(g, geteuid(), inode_of(conn), &lis[1], 1,
	    &res, err), 0);
	CHECK_EQ(res.conn_pid, getpid());
	CHECK_EQ(res.held, 0u);
	CHECK_EQ(res.listen_pid, child);
	/* Both: only one held by the registering process. */
	CHECK_EQ(localguard_owner(g, geteuid(), inode_of(conn), lis, 2, &res,
	    err), 0);
	CHECK_EQ(res.held, 1u);
	/* Another uid's processes are not looked at. */
	CHECK_EQ(localguard_owner(g, 4242, inode_of(conn), lis, 1, &res, err),
	    0);
	CHECK_EQ(res.conn_pid, 0);
	/* A bad query is refused, and the guard stays ready. */
	CHECK_EQ(localguard_owner(g, 0, inode_of(conn), lis, 0, &res, err), -1);
	(void)!write(q[1], "x", 1);
	waitpid(child, NULL, 0);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(mine);
	close(conn);
}

/* nft's listing of the test's table, for a substring. */
static int
listed(uint16_t epmd_port, const char *what)
{
	char cmd[128], out[4096];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nft list table inet distguard_%u 2>&1",
	    epmd_port);
	if ((p = popen(cmd, "r")) == NULL)
		return 0;
	n = fread(out, 1, sizeof(out) - 1, p);
	pclose(p);
	out[n] = '\0';
	return strstr(out, what) != NULL;
}

static void
t_helper(void)
{
	const uint16_t port = 65431;	/* a table name only: no socket */
	struct localguard *g;
	const char *why;
	char err[LG_WHY_MAX];

	if (geteuid() != 0 || access("/usr/sbin/nft", X_OK) != 0) {
		/* Not a pass: said, and only the pure cases count. */
		printf("# t_helper not run: needs root and nft\n");
		return;
	}
	g = localguard_start(port, 4242);
	CHECK_EQ(localguard_ready(g, &why), 1);
	CHECK(listed(port, "meta skuid != 4242"));
	CHECK_EQ(localguard_add(g, 31001, err), 0);
	CHECK(listed(port, "31001"));
	CHECK_EQ(localguard_del(g, 31001, err), 0);
	CHECK(!listed(port, "31001"));
	/* Deleting what is not there: an error with nft's reason, and the
	 * guard stays ready. */
	CHECK_EQ(localguard_del(g, 31002, err), -1);
	CHECK(strncmp(err, "nftables: delete:", 17) == 0);
	CHECK_EQ(localguard_ready(g, &why), 1);
	t_owner_scan(g);
	CHECK_EQ(localguard_ready(g, &why), 1);
	localguard_stop(g);
	CHECK(listed(port, "No such file or directory"));
}

int
main(void)
{
	RUN(t_table);
	RUN(t_commands);
	RUN(t_owner_req);
	RUN(t_helper);
	return TEST_DONE();
}
