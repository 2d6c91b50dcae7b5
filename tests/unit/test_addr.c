/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_addr.c - the source-address key (core/addr.c): v4-mapped IPv6
 * folds to IPv4 in the key, its text, its hash, the CIDR match and the
 * loopback test; and what does not fold.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/addr.h"
#include "dg_test.h"

static const struct sockaddr *
sa_of(struct sockaddr_storage *ss, const char *text)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		CHECK(!"a numeric address");
	return (const struct sockaddr *)ss;
}

static void
t_mapped_folds(void)
{
	struct sockaddr_storage a, b;
	struct dg_addr_key ka, kb, kp;
	char text[64];

	dg_addr_key_of(sa_of(&a, "192.0.2.7"), &ka);
	dg_addr_key_of(sa_of(&b, "::ffff:192.0.2.7"), &kb);
	CHECK(dg_addr_key_eq(&ka, &kb));
	CHECK_EQ(dg_addr_key_hash(&ka), dg_addr_key_hash(&kb));
	CHECK(strcmp(dg_addr_key_text(&kb, text, sizeof(text)), "192.0.2.7") == 0);
	CHECK_EQ(dg_addr_key_parse("::ffff:192.0.2.7", &kp), 0);
	CHECK(dg_addr_key_eq(&kp, &ka));
	CHECK_EQ(dg_addr_key_parse("192.0.2.7", &kp), 0);
	CHECK(dg_addr_key_eq(&kp, &ka));
	/* Not the same address: another v4, a v4-compatible or NAT64 v6. */
	dg_addr_key_of(sa_of(&b, "192.0.2.8"), &kb);
	CHECK(!dg_addr_key_eq(&ka, &kb));
	dg_addr_key_of(sa_of(&b, "::192.0.2.7"), &kb);
	CHECK(!dg_addr_key_eq(&ka, &kb));
	dg_addr_key_of(sa_of(&b, "64:ff9b::192.0.2.7"), &kb);
	CHECK(!dg_addr_key_eq(&ka, &kb));
}

static void
t_text_and_parse(void)
{
	struct sockaddr_storage a;
	struct dg_addr_key k, none;
	char text[64];

	dg_addr_key_of(sa_of(&a, "2001:db8::1"), &k);
	CHECK(strcmp(dg_addr_key_text(&k, text, sizeof(text)), "2001:db8::1") == 0);
	CHECK_EQ(dg_addr_key_parse("2001:0db8:0:0::1", &none), 0);
	CHECK(dg_addr_key_eq(&k, &none));
	CHECK_EQ(dg_addr_key_parse("localhost", &k), -1);
	CHECK_EQ(dg_addr_key_parse("10.0.0.1/8", &k), -1);
	CHECK_EQ(dg_addr_key_parse("", &k), -1);
	dg_addr_key_of(NULL, &none);
	CHECK(strcmp(dg_addr_key_text(&none, text, sizeof(text)), "-") == 0);
	/* A short buffer is never overrun. */
	dg_addr_key_of(sa_of(&a, "2001:db8::1"), &k);
	dg_addr_key_text(&k, text, 4);
	CHECK(strlen(text) < 4);
	/* The socket's own text keeps its family (logs say what came in). */
	CHECK(strcmp(dg_host_text(sa_of(&a, "::ffff:127.0.0.1"), text,
	    sizeof(text)), "::ffff:127.0.0.1") == 0);
	CHECK(strcmp(dg_host_text(NULL, text, sizeof(text)), "-") == 0);
}

static void
t_loopback(void)
{
	struct sockaddr_storage a;

	CHECK(dg_addr_is_loopback(sa_of(&a, "127.0.0.1")));
	CHECK(dg_addr_is_loopback(sa_of(&a, "127.9.8.7")));
	CHECK(dg_addr_is_loopback(sa_of(&a, "::1")));
	CHECK(dg_addr_is_loopback(sa_of(&a, "::ffff:127.0.0.5")));
	CHECK(!dg_addr_is_loopback(sa_of(&a, "128.0.0.1")));
	CHECK(!dg_addr_is_loopback(sa_of(&a, "::2")));
	CHECK(!dg_addr_is_loopback(sa_of(&a, "::ffff:10.0.0.1")));
	CHECK(!dg_addr_is_loopback(NULL));
}

static void
t_cidr(void)
{
	struct dg_cidr c[2];
	struct sockaddr_storage a;

	memset(c, 0, sizeof(c));
	c[0].family = AF_INET;
	inet_pton(AF_INET, "10.1.0.0", c[0].addr);
	c[0].prefix = 16;
	c[1].family = AF_INET6;
	inet_pton(AF_INET6, "fd00::", c[1].addr);
	c[1].prefix = 9;
	CHECK(dg_cidr_match(c, 2, sa_of(&a, "10.1.2.3")));
	CHECK(dg_cidr_match(c, 2, sa_of(&a, "::ffff:10.1.2.3")));
	CHECK(!dg_cidr_match(c, 2, sa_of(&a, "10.2.0.1")));
	CHECK(!dg_cidr_match(c, 2, sa_of(&a, "::ffff:10.2.0.1")));
	CHECK(dg_cidr_match(c, 2, sa_of(&a, "fd00::1")));
	CHECK(dg_cidr_match(c, 2, sa_of(&a, "fd7f::1")));
	CHECK(!dg_cidr_match(c, 2, sa_of(&a, "fd80::1")));
	CHECK(!dg_cidr_match(c, 1, sa_of(&a, "fd00::1")));
	CHECK(!dg_cidr_match(c, 2, NULL));
	c[0].prefix = 0;		/* 0.0.0.0/0: every v4, mapped too */
	CHECK(dg_cidr_match(c, 1, sa_of(&a, "::ffff:203.0.113.9")));
	CHECK(!dg_cidr_match(c, 1, sa_of(&a, "2001:db8::1")));
}

int
main(void)
{
	RUN(t_mapped_folds);
	RUN(t_text_and_parse);
	RUN(t_loopback);
	RUN(t_cidr);
	return TEST_DONE();
}
