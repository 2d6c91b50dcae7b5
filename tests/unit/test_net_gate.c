/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_net_gate.c - the per-source gate every acceptor shares (core/net.c
 * net_admit, net_rate_*): bans, the acceptor's budget in total and per
 * source, established connections per source, the per-source rate; the
 * host's own nodes (local) pass the per-source checks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <sodium.h>

#include "dg_test.h"
#include "core/context.h"
#include "core/net.h"
#include "core/ban.h"
#include "conf/conf.h"

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

/* A token bucket per source: burst at once, then per_s a second; other
 * sources are not charged. */
static void
t_rate(void)
{
	struct net_rate *r = net_rate_new();
	struct sockaddr_in a = v4("10.0.0.1"), b = v4("10.0.0.2");
	int i, got = 0;

	for (i = 0; i < 100; i++)
		got += net_rate_take(r, SA(a), 10, 20, 1000.0);
	CHECK_EQ(got, 20);
	CHECK_EQ(net_rate_take(r, SA(b), 10, 20, 1000.0), 1);
	CHECK_EQ(net_rate_take(r, SA(a), 10, 20, 1000.05), 0);
	CHECK_EQ(net_rate_take(r, SA(a), 10, 20, 1000.1), 1);
	for (got = 0, i = 0; i < 100; i++)
		got += net_rate_take(r, SA(a), 10, 20, 1010.0);
	CHECK_EQ(got, 20);	/* refilled to the burst, no more */
	net_rate_free(r);
}

/* Many sources: memory is fixed, and a persistent source keeps being
 * limited while thousands of others come and go. */
static void
t_rate_many(void)
{
	struct net_rate *r = net_rate_new();
	struct sockaddr_in a = v4("10.0.0.1"), o;
	char text[32];
	int i, got = 0;

	for (i = 0; i < 20; i++)
		(void)net_rate_take(r, SA(a), 1, 20, 0.0);
	for (i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "10.1.%d.%d", i / 250, i % 250);
		o = v4(text);
		(void)net_rate_take(r, SA(o), 1, 20, 0.0);
		got += net_rate_take(r, SA(a), 1, 20, 0.0);
	}
	CHECK(got <= 8);	/* at worst a probe neighbourhood's evictions */
	net_rate_free(r);
}

static void
t_admit(void)
{
	struct dg_daemon d;
	struct dg_conf c;
	struct net_gate g;
	struct sockaddr_in a = v4("10.0.0.1"), b = v4("10.0.0.2");
	const char *why, *ev;
	int count = 0;

	memset(&d, 0, sizeof(d));
	memset(&c, 0, sizeof(c));
	c.max_established_per_source = 2;
	d.conf = &c;
	d.bans = bans_new(2, 60, 600);
	d.est_sources = srccount_new();
	memset(&g, 0, sizeof(g));
	g.what = "pending links";
	g.event = "link.refused";
	g.rate_event = "link.rate_limited";
	g.by_source = srccount_new();
	g.count = &count;
	g.max = 3;
	g.max_per_source = 2;
	g.bans = 1;
	g.max_established = c.max_established_per_source;

	CHECK(net_admit(&d, &g, SA(a), 0, &ev) == NULL);
	srccount_add(g.by_source, SA(a), 2);
	count = 2;
	why = net_admit(&d, &g, SA(a), 0, &ev);
	CHECK(why != NULL && strstr(why, "from this source") != NULL);
	CHECK(ev != NULL && strcmp(ev, "link.refused") == 0);
	CHECK(net_admit(&d, &g, SA(a), 1, &ev) == NULL);	/* local */
	CHECK(net_admit(&d, &g, SA(b), 0, &ev) == NULL);
	count = 3;
	why = net_admit(&d, &g, SA(b), 0, &ev);
	CHECK(why != NULL && strstr(why, "in total") != NULL);
	count = 0;
	srccount_add(d.est_sources, SA(b), 2);
	why = net_admit(&d, &g, SA(b), 0, &ev);
	CHECK(ev != NULL && strcmp(ev, "peer.too_many_connections") == 0);
	bans_fail(d.bans, SA(b), NULL, dg_now());
	bans_fail(d.bans, SA(b), NULL, dg_now());
	why = net_admit(&d, &g, SA(b), 0, &ev);
	CHECK(why != NULL && strcmp(why, "banned") == 0 && ev == NULL);

	srccount_free(g.by_source);
	srccount_free(d.est_sources);
	bans_free(d.bans);
}

int
main(void)
{
	if (sodium_init() < 0) {
		printf("not ok - libsodium\n");
		return 1;
	}
	RUN(t_rate);
	RUN(t_rate_many);
	RUN(t_admit);
	return TEST_DONE();
}
