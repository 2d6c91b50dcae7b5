/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_procnet.c - /proc/net/tcp{,6} lines (epmd/procnet.c): real lines
 * in the kernel's format, the loopback test per family, and lines that
 * are cut, padded or not socket lines at all.  Every input sits at the end
 * of a guard page.  The last case reads the live tables for a socket this
 * test binds itself.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dg_test.h"
#include "dg.h"
#include "procnet.h"

static struct procnet_sock sk;

static int
parse(const char *line)
{
	size_t n = strlen(line);

	memset(&sk, 0xAA, sizeof(sk));
	return procnet_parse_line((const char *)guard_copy(line, n), n, &sk);
}

#define V4_ANY	"   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 244 1 0000000000000000 100 0 0 10 0\n"
#define V4_LOOP	"   1: 0100007F:A001 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 245 1 0000000000000000 100 0 0 10 0"
#define V4_EST	"   2: 0100007F:A001 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 246 1 0000000000000000 20 4 30 10 -1"
#define V6_LOOP	"   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 247 1 0000000000000000 100 0 0 10 0"
#define V6_ANY	"   3: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 248 1 0000000000000000 100 0 0 10 0"
#define V6_MAP	"   4: 0000000000000000FFFF00000100007F:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 249 1 0000000000000000 100 0 0 10 0"
#define V4_LAN	"   5: 0A01A8C0:1F93 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 250 1 0000000000000000 100 0 0 10 0"

static void
t_real_lines(void)
{
	char text[64];

	CHECK_EQ(parse(V4_ANY), 0);
	CHECK(sk.family == AF_INET && sk.port == 8080 &&
	    sk.state == PROCNET_LISTEN);
	CHECK_EQ(procnet_is_loopback(&sk), 0);
	procnet_addr_text(&sk, text, sizeof(text));
	CHECK(strcmp(text, "0.0.0.0") == 0);

	CHECK_EQ(parse(V4_LOOP), 0);
	CHECK(sk.port == 0xA001 && procnet_is_loopback(&sk) == 1);
	procnet_addr_text(&sk, text, sizeof(text));
	CHECK(strcmp(text, "127.0.0.1") == 0);

	CHECK_EQ(parse(V4_EST), 0);
	CHECK_EQ(sk.state, 1);

	CHECK_EQ(parse(V6_LOOP), 0);
	CHECK(sk.family == AF_INET6 && sk.port == 8081 &&
	    procnet_is_loopback(&sk) == 1);
	procnet_addr_text(&sk, text, sizeof(text));
	CHECK(strcmp(text, "::1") == 0);

	CHECK_EQ(parse(V6_ANY), 0);
	CHECK_EQ(procnet_is_loopback(&sk), 0);
	procnet_addr_text(&sk, text, sizeof(text));
	CHECK(strcmp(text, "::") == 0);

	CHECK_EQ(parse(V6_MAP), 0);
	CHECK_EQ(procnet_is_loopback(&sk), 1);
	procnet_addr_text(&sk, text, sizeof(text));
	CHECK(strcmp(text, "::ffff:127.0.0.1") == 0);

	CHECK_EQ(parse(V4_LAN), 0);
	CHECK_EQ(procnet_is_loopback(&sk), 0);
	procnet_addr_text(&sk, text, sizeof(text));
	CHECK(strcmp(text, "192.168.1.10") == 0);
}

static void
t_not_socket_lines(void)
{
	static const char *const bad[] = {
		"  sl  local_address rem_address   st tx_queue rx_queue",
		"",
		"\n",
		"   0:",
		"   0: 00000000:1F90",
		"   0: 00000000:1F90 00000000:0000",
		"   0: 00000000:1F90 00000000:0000 0",
		"   0: 00000000:1F90 00000000:0000 0AB 0",
		"   0: 0000000:1F90 00000000:0000 0A",		/* 7 digits */
		"   0: 000000000:1F90 00000000:0000 0A",	/* 9 digits */
		"   0: 00000000:1F9 00000000:0000 0A",
		"   0: 00000000:1F900 00000000:0000 0A",
		"   0: 00000000-1F90 00000000:0000 0A",
		"   0: 0000000G:1F90 00000000:0000 0A",
		"   0: 00000000:1F90 00000000000000000000000000000000:0000 0A",
		"   x: 00000000:1F90 00000000:0000 0A",
		"    : 00000000:1F90 00000000:0000 0A",
		"12345678901: 00000000:1F90 00000000:0000 0A",
	};
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(bad); i++) {
		if (parse(bad[i]) != -1) {
			dg_t_failed++;
			fprintf(stderr, "  FAIL: parsed: \"%s\"\n", bad[i]);
		}
	}
	/* The shortest line that is a socket: the state ends the line. */
	CHECK_EQ(parse("0: 0100007F:0001 00000000:0000 0A"), 0);
	CHECK_EQ(sk.port, 1);
}

static void
t_account(void)
{
	struct procnet_verdict v;
	static const char *const lines[] = { V4_ANY, V4_LOOP, V4_EST, V6_LOOP,
	    V6_ANY, "garbage" };
	size_t i;

	memset(&v, 0, sizeof(v));
	for (i = 0; i < DG_ARRAY_LEN(lines); i++)
		procnet_account(&v, lines[i], strlen(lines[i]), 0xA001);
	/* The established socket on the port is not a listener. */
	CHECK(v.listeners == 1 && v.exposed == 0);

	memset(&v, 0, sizeof(v));
	for (i = 0; i < DG_ARRAY_LEN(lines); i++)
		procnet_account(&v, lines[i], strlen(lines[i]), 8080);
	CHECK(v.listeners == 1 && v.exposed == 1);
	CHECK(v.first_exposed.family == AF_INET);

	memset(&v, 0, sizeof(v));
	for (i = 0; i < DG_ARRAY_LEN(lines); i++)
		procnet_account(&v, lines[i], strlen(lines[i]), 8081);
	CHECK(v.listeners == 2 && v.exposed == 1);
	CHECK(v.first_exposed.family == AF_INET6);

	memset(&v, 0, sizeof(v));
	procnet_account(&v, V4_ANY, strlen(V4_ANY), 9);
	CHECK(v.listeners == 0 && v.exposed == 0);
}

/* Binds a socket on addr, listens, and finds it in /proc/net/tcp. */
static int
live_verdict(const char *addr, struct procnet_verdict *v)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char line[512];
	FILE *f;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1 ||
	    (f = fopen("/proc/net/tcp", "r")) == NULL) {
		close(fd);
		return -1;
	}
	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f) != NULL)
		procnet_account(v, line, strlen(line), ntohs(sin.sin_port));
	fclose(f);
	close(fd);
	return 0;
}

static void
t_live_tables(void)
{
	struct procnet_verdict v;

	CHECK_EQ(live_verdict("127.0.0.1", &v), 0);
	CHECK(v.listeners >= 1 && v.exposed == 0);
	CHECK_EQ(live_verdict("0.0.0.0", &v), 0);
	CHECK(v.listeners >= 1 && v.exposed >= 1);
}

/* The uid and inode columns (the local guard's ownership check). */
#define V4_NOBODY "   6: 0100007F:A001 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 4294967296 1 0000000000000000 100 0 0 10 0"
#define V4_CLIENT "   7: 0100007F:D431 0100007F:1111 01 00000000:00000000 00:00000000 00000000  1000        0 77 1 0000000000000000 20 4 30 10 -1"

static void
t_owner(void)
{
	struct procnet_verdict v;
	static const uint8_t lo[4] = { 127, 0, 0, 1 }, other[4] = { 127, 0, 0, 2 };

	CHECK_EQ(parse(V4_NOBODY), 0);
	CHECK(sk.has_owner == 1 && sk.uid == 65534 && sk.inode == 4294967296ULL);
	CHECK_EQ(parse(V4_ANY), 0);
	CHECK(sk.has_owner == 1 && sk.uid == 0 && sk.inode == 244);
	/* Short lines are sockets with no owner, never owner 0 by default. */
	CHECK_EQ(parse("0: 0100007F:0001 00000000:0000 0A"), 0);
	CHECK_EQ(sk.has_owner, 0);
	/* A uid past 32 bits, a sign, letters: the owner is unknown. */
	CHECK_EQ(parse("0: 0100007F:0001 00000000:0000 0A 0:0 0:0 0 4294967296 0 5"), 0);
	CHECK_EQ(sk.has_owner, 0);
	CHECK_EQ(parse("0: 0100007F:0001 00000000:0000 0A 0:0 0:0 0 -1 0 5"), 0);
	CHECK_EQ(sk.has_owner, 0);
	CHECK_EQ(parse("0: 0100007F:0001 00000000:0000 0A 0:0 0:0 0 12x 0 5"), 0);
	CHECK_EQ(sk.has_owner, 0);
	CHECK_EQ(parse("0: 0100007F:0001 00000000:0000 0A 0:0 0:0 0 12 0 99999999999999999999"), 0);
	CHECK_EQ(sk.has_owner, 0);
	CHECK_EQ(parse("0: 0100007F:0001 00000000:0000 0A 0:0 0:0 0 12 0 5"), 0);
	CHECK(sk.has_owner == 1 && sk.uid == 12 && sk.inode == 5);

	/* Listeners of two uids on one port: the check sees they differ. */
	memset(&v, 0, sizeof(v));
	procnet_account(&v, V4_LOOP, strlen(V4_LOOP), 0xA001);
	CHECK(v.owners_known == 1 && v.owner_uid == 0 && !v.owners_differ);
	procnet_account(&v, V4_NOBODY, strlen(V4_NOBODY), 0xA001);
	CHECK(v.owners_known == 2 && v.owners_differ);

	/* The client end of 127.0.0.1:0xD431 -> 127.0.0.1:0x1111. */
	CHECK_EQ(procnet_is_conn(V4_CLIENT, strlen(V4_CLIENT), AF_INET, lo,
	    0xD431, lo, 0x1111, &sk), 1);
	CHECK(sk.uid == 1000 && sk.inode == 77);
	CHECK_EQ(procnet_is_conn(V4_CLIENT, strlen(V4_CLIENT), AF_INET, lo,
	    0xD431, other, 0x1111, &sk), 0);
	CHECK_EQ(procnet_is_conn(V4_CLIENT, strlen(V4_CLIENT), AF_INET, lo,
	    0xD431, lo, 0x1112, &sk), 0);
	CHECK_EQ(procnet_is_conn(V4_CLIENT, strlen(V4_CLIENT), AF_INET6, lo,
	    0xD431, lo, 0x1111, &sk), 0);
	/* A listener is never a connection. */
	CHECK_EQ(procnet_is_conn(V4_LOOP, strlen(V4_LOOP), AF_INET, lo,
	    0xA001, (const uint8_t *)"\0\0\0\0", 0, &sk), 0);
}

int
main(void)
{
	RUN(t_real_lines);
	RUN(t_not_socket_lines);
	RUN(t_account);
	RUN(t_live_tables);
	RUN(t_owner);
	return TEST_DONE();
}
