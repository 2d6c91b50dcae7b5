/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_localguard.c - the commands the local guard's helper builds
 * (epmd/localguard.c): the table, one element per request, and requests
 * it refuses to turn into a command.  Then, as root with nftables, the
 * helper itself: the table appears, a port goes in and out, and the table
 * goes when the handle is stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dg_test.h"
#include "localguard.h"

static void
t_table(void)
{
	char buf[1024];

	CHECK(localguard_table(4369, 110, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "add table inet distguard_4369\n"
	    "delete table inet distguard_4369\n") == buf);
	CHECK(strstr(buf, "meta skuid != 110 counter reject with tcp reset")
	    != NULL);
	CHECK(strstr(buf, "oifname \"lo\" tcp flags & (syn | ack) == syn "
	    "tcp dport @ports") != NULL);
	CHECK_EQ(localguard_table(4369, 110, buf, 40), -1);
}

static void
t_commands(void)
{
	struct lg_req add = { LG_OP_ADD, 0, 21350 }, del = { LG_OP_DEL, 0, 7 };
	struct lg_req bad_op = { 'X', 0, 1 }, bad_pad = { LG_OP_ADD, 1, 1 };
	struct lg_req zero = { LG_OP_ADD, 0, 0 };
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
	localguard_stop(g);
	CHECK(listed(port, "No such file or directory"));
}

int
main(void)
{
	RUN(t_table);
	RUN(t_commands);
	RUN(t_helper);
	return TEST_DONE();
}
