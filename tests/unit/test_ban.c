/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ban.c - failure counting and bans (core/ban.c): by address for
 * remote sources, by (address, claimed node name) for local ones.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <sodium.h>

#include "dg_test.h"
#include "core/ban.h"

static struct sockaddr_in
v4(const char *text)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, text, &a.sin_addr);
	return a;
}

#define SA(a)	((const struct sockaddr *)&(a))

/* Five failures within the window ban the address, not its neighbour. */
static void
t_address_ban(void)
{
	struct bans *b = bans_new(5, 60, 600);
	struct sockaddr_in r = v4("127.0.0.20"), o = v4("127.0.0.21");
	int i, started = 0;

	for (i = 0; i < 4; i++)
		started += bans_fail(b, SA(r), NULL, 100 + i);
	CHECK_EQ(started, 0);
	CHECK(bans_check(b, SA(r), NULL, 104) == 0);
	CHECK_EQ(bans_fail(b, SA(r), NULL, 104), 1);
	CHECK(bans_check(b, SA(r), NULL, 105) > 598);
	CHECK(bans_check(b, SA(o), NULL, 105) == 0);
	/* a name-keyed lookup is another key: the address ban is not it */
	CHECK(bans_check(b, SA(r), "x@h", 105) == 0);
	CHECK(bans_check(b, SA(r), NULL, 704.5) == 0);
	CHECK_EQ(bans_active(b, 105), 1);
	bans_free(b);
}

/* A client reaching a dual-stack socket (::ffff:a.b.c.d) is the same
 * source as over IPv4: its failures add up, and the ban holds on both. */
static void
t_mapped_same_source(void)
{
	struct bans *b = bans_new(2, 60, 600);
	struct sockaddr_in r = v4("127.0.0.30");
	struct sockaddr_in6 m;

	memset(&m, 0, sizeof(m));
	m.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.30", &m.sin6_addr);
	CHECK_EQ(bans_fail(b, SA(r), NULL, 100), 0);
	CHECK_EQ(bans_fail(b, SA(m), NULL, 101), 1);
	CHECK(bans_check(b, SA(r), NULL, 102) > 598);
	CHECK(bans_check(b, SA(m), NULL, 102) > 598);
	bans_free(b);
}

/* A local source's failures count per name: evil@h banned, the rest not,
 * and the address itself never. */
static void
t_name_ban(void)
{
	struct bans *b = bans_new(5, 60, 600);
	struct sockaddr_in l = v4("127.0.0.1");
	int i, started = 0;

	for (i = 0; i < 20; i++)
		started += bans_fail(b, SA(l), "evil@h", 10 + i * 0.01);
	CHECK_EQ(started, 1);
	CHECK(bans_check(b, SA(l), "evil@h", 11) > 0);
	CHECK(bans_check(b, SA(l), "good@h", 11) == 0);
	CHECK(bans_check(b, SA(l), "evil@h2", 11) == 0);
	CHECK(bans_check(b, SA(l), NULL, 11) == 0);
	/* and the same name from another address is another key */
	{
		struct sockaddr_in o = v4("127.0.0.2");

		CHECK(bans_check(b, SA(o), "evil@h", 11) == 0);
	}
	for (i = 0; i < 4; i++)
		CHECK_EQ(bans_fail(b, SA(l), "good@h", 12 + i), 0);
	CHECK(bans_check(b, SA(l), "good@h", 16) == 0);
	bans_free(b);
}

/* Failures further apart than the window never add up; 0 turns bans off. */
static void
t_window_and_off(void)
{
	struct bans *b = bans_new(3, 10, 60);
	struct sockaddr_in r = v4("127.0.0.30");
	int i;

	for (i = 0; i < 10; i++)
		CHECK_EQ(bans_fail(b, SA(r), "n@h", i * 11.0), 0);
	CHECK(bans_check(b, SA(r), "n@h", 200) == 0);
	bans_configure(b, 0, 10, 60);
	for (i = 0; i < 10; i++)
		CHECK_EQ(bans_fail(b, SA(r), NULL, 300), 0);
	CHECK(bans_check(b, SA(r), NULL, 300) == 0);
	bans_free(b);
}

int
main(void)
{
	if (sodium_init() < 0) {
		printf("not ok - libsodium\n");
		return 1;
	}
	RUN(t_address_ban);
	RUN(t_name_ban);
	RUN(t_window_and_off);
	RUN(t_mapped_same_source);
	return TEST_DONE();
}
