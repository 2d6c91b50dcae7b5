/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_budget.c - the budgets of issue 18 items 4 and 7: the atom
 * budgets rotation cannot beat (filter/nodes.c: per local node, per
 * source address, per cookie, beside the per-name one; the handshake's
 * names), what a peer makes a node hold (filter/guard.c held_*), and the
 * tick limit (guard_tick_pass).
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "dg_test.h"
#include "dist_ctl.h"
#include "filter/guard.h"
#include "filter/nodes.h"

#define NODE	"b@h"

static struct dg_conf conf;
/* The table of nodes, as the daemon makes it once. */
static struct dg_nodes *T;

static void
conf_reset(int node, int source, int cookie)
{
	memset(&conf, 0, sizeof(conf));
	conf.node_atoms = node;
	conf.source_atoms = source;
	conf.cookie_atoms = cookie;
	nodes_reset(T);
}

/* An ATOM_UTF8_EXT term for text, in a static ring of buffers. */
static const uint8_t *
atom(const char *fmt, int i, int j)
{
	static uint8_t ring[64][260];
	static int k;
	uint8_t *b = ring[k++ & 63];
	int n = snprintf((char *)b + 2, 256, fmt, i, j);

	b[0] = 119;
	b[1] = (uint8_t)n;
	return b;
}

/* Charges one atom as the relay does (collect_atom, atoms_charge). */
static int
charge(struct atom_book *bk, const uint8_t *a, int64_t peer_budget,
    struct nodes_refusal *r)
{
	uint64_t h;

	if (atombook_has(&bk->book, a, &h))
		return 0;
	return nodes_charge(bk, h, a, peer_budget, &conf, r);
}

/* Peers under new names, each just under its own budget of 10, from
 * many sources and cookies: the node's budget holds them all. */
static void
test_rotation_meets_the_node_budget(void)
{
	struct nodes_refusal r;
	char peer[32], src[32], ck[32];
	int i, j, refused = 0;

	conf_reset(100, 1000, 1000);
	for (i = 0; i < 30; i++) {
		struct atom_book *bk;

		snprintf(peer, sizeof(peer), "p%d@x", i);
		snprintf(src, sizeof(src), "addr 10.0.0.%d", i);
		snprintf(ck, sizeof(ck), "cookie c%d", i);
		bk = nodes_atoms(T, NODE, peer, src, ck);
		CHECK(bk != NULL);
		for (j = 0; j < 9; j++)
			if (charge(bk, atom("a_%d_%d", i, j), 10, &r) == -1) {
				refused++;
				CHECK(strcmp(r.budget, "local node") == 0);
				CHECK_EQ(r.count, 100);
				break;
			}
		nodes_atoms_release(bk);
	}
	CHECK(refused >= 18);
	/* The node's name in another form ("b@other") is the same node. */
	{
		struct atom_book *bk = nodes_atoms(T, "b@other", "q@x", "addr 1",
		    "cookie q");

		CHECK_EQ(charge(bk, atom("fresh_%d_%d", 0, 0), 10, &r), -1);
		nodes_atoms_release(bk);
	}
}

/* Past the table's 1,024 live books a pair gets a private book: it
 * still charges the node's bound. */
static void
test_private_books_charge_the_node(void)
{
	static struct atom_book *live[1100];
	struct nodes_refusal r;
	char peer[32];
	int i, ok = 0, privates = 0;

	conf_reset(1050, 100000, 100000);
	for (i = 0; i < 1100; i++) {
		snprintf(peer, sizeof(peer), "live%d@x", i);
		live[i] = nodes_atoms(T, NODE, peer, "addr 1", "cookie 1");
		CHECK(live[i] != NULL);
		if (live[i] == NULL)
			return;
		privates += live[i]->private_book;
		if (charge(live[i], atom("l_%d_%d", i, 0), 10, &r) == 0)
			ok++;
	}
	CHECK_EQ(privates, 1100 - 1024);
	CHECK_EQ(ok, 1050);
	CHECK(r.budget != NULL && strcmp(r.budget, "local node") == 0);
	for (i = 0; i < 1100; i++)
		nodes_atoms_release(live[i]);
}

/* Past 256 local nodes, the further ones share one bound. */
static void
test_nodes_past_the_table_share_a_bound(void)
{
	struct nodes_refusal r;
	struct atom_book *a, *b;
	char node[32];
	int i, ok = 0;

	conf_reset(5, 1000, 1000);
	for (i = 0; i < 256; i++) {
		snprintf(node, sizeof(node), "n%d@h", i);
		CHECK(nodes_published(T, node) != NULL);
	}
	CHECK(nodes_published(T, "extra1@h") == NULL);
	a = nodes_atoms(T, "extra1@h", "p@x", "addr 1", "cookie 1");
	b = nodes_atoms(T, "extra2@h", "q@x", "addr 2", "cookie 2");
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;
	for (i = 0; i < 4; i++)
		ok += charge(a, atom("x_%d_%d", 1, i), 0, &r) == 0;
	for (i = 0; i < 4; i++)
		ok += charge(b, atom("x_%d_%d", 2, i), 0, &r) == 0;
	CHECK_EQ(ok, 5);
	nodes_atoms_release(a);
	nodes_atoms_release(b);
}

/* One source address: its share stops it; another source goes on. */
static void
test_source_share(void)
{
	struct nodes_refusal r;
	struct atom_book *a, *b;
	int i, n = 0;

	conf_reset(1000, 50, 1000);
	a = nodes_atoms(T, NODE, "p1@x", "addr 10.0.0.1", "cookie k");
	for (i = 0; i < 60 && charge(a, atom("s_%d_%d", 1, i), 0, &r) == 0; i++)
		n++;
	CHECK_EQ(n, 50);
	CHECK(strcmp(r.budget, "source address") == 0);
	nodes_atoms_release(a);
	/* Another name from the same address: the same share. */
	a = nodes_atoms(T, NODE, "p2@x", "addr 10.0.0.1", "cookie k");
	CHECK_EQ(charge(a, atom("s_%d_%d", 2, 0), 0, &r), -1);
	/* Atoms the node has already cost no share. */
	CHECK_EQ(charge(a, atom("s_%d_%d", 1, 3), 0, &r), 0);
	nodes_atoms_release(a);
	b = nodes_atoms(T, NODE, "p3@x", "addr 10.0.0.2", "cookie k");
	CHECK_EQ(charge(b, atom("s_%d_%d", 3, 0), 0, &r), 0);
	nodes_atoms_release(b);
}

static void
test_cookie_share(void)
{
	struct nodes_refusal r;
	char src[32];
	int i, n = 0;

	conf_reset(1000, 1000, 40);
	for (i = 0; i < 10; i++) {
		struct atom_book *bk;
		int j;

		snprintf(src, sizeof(src), "addr 10.0.1.%d", i);
		bk = nodes_atoms(T, NODE, "p@x", src, "cookie shared");
		for (j = 0; j < 10; j++)
			if (charge(bk, atom("c_%d_%d", i, j), 0, &r) == 0)
				n++;
		nodes_atoms_release(bk);
	}
	CHECK_EQ(n, 40);
	CHECK(strcmp(r.budget, "cookie") == 0);
}

/* The per-name budget still holds on its own, and an atom refused is
 * not counted anywhere. */
static void
test_name_budget_and_no_partial_count(void)
{
	struct nodes_refusal r;
	struct atom_book *bk;
	int i;

	conf_reset(1000, 1000, 1000);
	bk = nodes_atoms(T, NODE, "p@x", "addr 1", "cookie 1");
	for (i = 0; i < 5; i++)
		CHECK_EQ(charge(bk, atom("n_%d_%d", 0, i), 5, &r), 0);
	CHECK_EQ(charge(bk, atom("n_%d_%d", 0, 9), 5, &r), -1);
	CHECK(strcmp(r.budget, "peer name") == 0);
	CHECK_EQ(bk->book.count, 5);
	CHECK_EQ(bk->src->count, 5);
	nodes_atoms_release(bk);
}

/* The handshake's names: each new one is an atom of the node. */
static void
test_handshake_names(void)
{
	struct nodes_refusal r;
	struct atom_book *bk;
	char peer[32];
	int i, ok = 0;

	conf_reset(20, 1000, 1000);
	for (i = 0; i < 30; i++) {
		snprintf(peer, sizeof(peer), "rot%d@x", i);
		if (nodes_charge_name(T, NODE, peer, "addr 1", "cookie 1", &conf,
		    &r) == 0)
			ok++;
	}
	CHECK_EQ(ok, 20);
	CHECK(strcmp(r.budget, "local node") == 0);
	/* A name the node has is free, even with the budget spent. */
	CHECK_EQ(nodes_charge_name(T, NODE, "rot3@x", "addr 1", "cookie 1", &conf,
	    &r), 0);
	/* ... and is the same atom when it comes in a message. */
	bk = nodes_atoms(T, NODE, "rot3@x", "addr 1", "cookie 1");
	CHECK_EQ(charge(bk, atom("rot%d@%c", 3, 'x'), 0, &r), 0);
	CHECK_EQ(charge(bk, atom("new_%d_%d", 0, 0), 0, &r), -1);
	nodes_atoms_release(bk);
}

/* ---- held ---------------------------------------------------------- */

static struct dg_span
sp(const char *s)
{
	struct dg_span x = { (const uint8_t *)s, (uint32_t)strlen(s) };

	return x;
}

static struct dist_msg
msg(int op, const char *ref, const char *from, const char *to)
{
	struct dist_msg m;

	memset(&m, 0, sizeof(m));
	m.op = op;
	if (ref != NULL)
		m.t_ref = m.t_reqid = m.key = sp(ref);
	if (from != NULL)
		m.t_from = sp(from);
	if (to != NULL)
		m.t_target = sp(to);
	return m;
}

static void
test_held_monitors(void)
{
	struct guard g;
	struct dist_msg m;
	char ref[32];
	int i, alerts = 0, refused = 0;

	memset(&g, 0, sizeof(g));
	idset_init(&g.held, UINT32_MAX / 4);
	for (i = 0; i < 120; i++) {
		snprintf(ref, sizeof(ref), "ref%d", i);
		m = msg(DOP_MONITOR_P, ref, "P", NULL);
		switch (guard_held_charge(&g, &m, 50, 100)) {
		case HELD_ALERT:
			alerts++;
			break;
		case HELD_REFUSE:
			refused++;
			break;
		}
	}
	CHECK_EQ(alerts, 1);
	CHECK_EQ(refused, 20);
	CHECK_EQ(g.nheld, 100);
	/* The same monitor twice is held once. */
	m = msg(DOP_MONITOR_P, "ref5", "P", NULL);
	CHECK_EQ(guard_held_charge(&g, &m, 50, 100), HELD_OK);
	CHECK_EQ(g.nheld, 100);
	/* A DEMONITOR of a monitor the peer never made frees nothing. */
	m = msg(DOP_DEMONITOR_P, "ref500", "P", NULL);
	(void)guard_held_charge(&g, &m, 50, 100);
	CHECK_EQ(g.nheld, 100);
	/* Of one it made: one slot, once. */
	m = msg(DOP_DEMONITOR_P, "ref7", "P", NULL);
	(void)guard_held_charge(&g, &m, 50, 100);
	(void)guard_held_charge(&g, &m, 50, 100);
	CHECK_EQ(g.nheld, 99);
	/* The node's DOWN ends one. */
	m = msg(DOP_MONITOR_P_EXIT, "ref8", "B", "P");
	guard_held_release(&g, &m);
	CHECK_EQ(g.nheld, 98);
	idset_free(&g.held);
}

static void
test_held_links_and_spawns(void)
{
	struct guard g;
	struct dist_msg m;

	memset(&g, 0, sizeof(g));
	idset_init(&g.held, UINT32_MAX / 4);
	m = msg(DOP_LINK, NULL, "Ppid", "Bpid");
	CHECK_EQ(guard_held_charge(&g, &m, 10, 10), HELD_OK);
	m = msg(DOP_LINK, NULL, "Ppid", "Bpid2");
	CHECK_EQ(guard_held_charge(&g, &m, 10, 10), HELD_OK);
	m = msg(DOP_SPAWN_REQUEST, "req1", "Ppid", NULL);
	CHECK_EQ(guard_held_charge(&g, &m, 10, 10), HELD_OK);
	CHECK_EQ(g.nheld, 3);
	/* The node's exit signal names the pair the other way round. */
	m = msg(DOP_EXIT, NULL, "Bpid", "Ppid");
	guard_held_release(&g, &m);
	CHECK_EQ(g.nheld, 2);
	/* The peer's unlink of a pair it never linked frees nothing. */
	m = msg(DOP_UNLINK_ID, NULL, "Ppid", "Bpid3");
	(void)guard_held_charge(&g, &m, 10, 10);
	CHECK_EQ(g.nheld, 2);
	m = msg(DOP_UNLINK_ID, NULL, "Ppid", "Bpid2");
	(void)guard_held_charge(&g, &m, 10, 10);
	CHECK_EQ(g.nheld, 1);
	/* The spawn reply closes the request. */
	m = msg(DOP_SPAWN_REPLY, "req1", "Bpid", "Ppid");
	guard_held_release(&g, &m);
	CHECK_EQ(g.nheld, 0);
	idset_free(&g.held);
}

static void
test_ticks(void)
{
	struct guard g;
	int i, passed = 0, flood = 0;

	memset(&g, 0, sizeof(g));
	/* A tick a second for a minute: all pass. */
	for (i = 0; i < 60; i++)
		passed += guard_tick_pass(&g, 1000.0 + i, 200, 100) == 1;
	CHECK_EQ(passed, 60);
	/* 50 in 10 ms: one passes, the rest are dropped, no flood. */
	passed = 0;
	for (i = 0; i < 50; i++) {
		int r = guard_tick_pass(&g, 2000.0 + i * 0.0002, 200, 100);

		passed += r == 1;
		flood += r == -1;
	}
	CHECK_EQ(passed, 1);
	CHECK_EQ(flood, 0);
	CHECK_EQ(g.ticks_dropped, 49);
	/* 1,000 in a second: the flood is called. */
	for (i = 0; i < 1000 && !flood; i++)
		flood += guard_tick_pass(&g, 3000.0 + i * 0.001, 200, 100) == -1;
	CHECK(flood == 1 && i <= 110);
}

/* ---- the options: FILE:LINE-checked ranges ------------------------ */

static char errtext[8][300];
static int nerr;

static void
collect(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	if (nerr < 8)
		snprintf(errtext[nerr], sizeof(errtext[0]), "%s:%d: %s", file,
		    line, msg);
	nerr++;
}

static struct dg_conf *
load(const char *text)
{
	nerr = 0;
	return conf_load_text("t.conf", text, strlen(text), collect, NULL);
}

static int
err_has(const char *prefix, const char *needle)
{
	int i;

	for (i = 0; i < nerr && i < 8; i++)
		if (strncmp(errtext[i], prefix, strlen(prefix)) == 0 &&
		    strstr(errtext[i], needle) != NULL)
			return 1;
	return 0;
}

static void
test_conf_options(void)
{
	struct dg_conf *c;

	c = load("{cookie, \"x\"}.\n");
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_EQ(c->node_atoms, 100000);
		CHECK_EQ(c->source_atoms, 50000);
		CHECK_EQ(c->cookie_atoms, 100000);
		CHECK_EQ(c->held_alert, 5000);
		CHECK_EQ(c->held_max, 10000);
		CHECK_EQ(c->tick_interval_ms, 200);
		CHECK_EQ(c->tick_flood, 100);
		CHECK_EQ(c->egress_per_node, 32);
		CHECK_EQ(c->egress_port_min, 0);
		conf_unref(c);
	}
	c = load("{cookie, \"x\"}.\n{limits, [{node_atoms, 5000}, "
	    "{held_max, 20}, {held_alert, 10}, {tick_interval, 50}]}.\n"
	    "{listen, [{ports, {20000, 20039}}, {egress_ports, {20040, 20079}},"
	    " {egress_per_node, 4}]}.\n");
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_EQ(c->node_atoms, 5000);
		CHECK_EQ(c->held_max, 20);
		CHECK_EQ(c->tick_interval_ms, 50);
		CHECK_EQ(c->egress_port_min, 20040);
		CHECK_EQ(c->egress_port_max, 20079);
		CHECK_EQ(c->egress_per_node, 4);
		conf_unref(c);
	}
	c = load("{cookie, \"x\"}.\n{limits, [{node_atoms, 0}]}.\n");
	CHECK(c == NULL && err_has("t.conf:2: ", "node_atoms"));
	c = load("{cookie, \"x\"}.\n\n{limits, [{held_max, -1}]}.\n");
	CHECK(c == NULL && err_has("t.conf:3: ", "held_max"));
	c = load("{cookie, \"x\"}.\n{listen, [{ports, {20000, 20039}},\n"
	    "  {egress_ports, {20030, 20050}}]}.\n");
	CHECK(c == NULL && err_has("t.conf:3: ", "overlap the listeners"));
	c = load("{cookie, \"x\"}.\n{listen, [{egress_ports, {40000, 40010}}]}.\n");
	CHECK(c == NULL && err_has("t.conf:2: ", "egress_ports"));
	c = load("{cookie, \"x\"}.\n{listen, [{egress_ports, 20000}]}.\n");
	CHECK(c == NULL && err_has("t.conf:2: ", "{Min, Max}"));
}

int
main(void)
{
	if ((T = nodes_new()) == NULL)
		return 1;
	RUN(test_rotation_meets_the_node_budget);
	RUN(test_private_books_charge_the_node);
	RUN(test_nodes_past_the_table_share_a_bound);
	RUN(test_source_share);
	RUN(test_cookie_share);
	RUN(test_name_budget_and_no_partial_count);
	RUN(test_handshake_names);
	RUN(test_held_monitors);
	RUN(test_held_links_and_spawns);
	RUN(test_ticks);
	RUN(test_conf_options);
	nodes_free(T);
	return TEST_DONE();
}
