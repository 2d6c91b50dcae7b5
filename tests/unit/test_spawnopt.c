/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_spawnopt.c - filter/spawnopt.c: a SPAWN_REQUEST's options and
 * group leader judged against an MFA rule (issue 18 item 5), on
 * requests decoded by dist_ctl from bytes that end at a guard page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_test.h"
#include "dist_ctl.h"
#include "spawnopt.h"
#include "term.h"
#include "term_build.h"

#define NODE_B	"b@h"		/* the protected node */
#define NODE_P	"a@h"		/* its peer */

static struct dist_msg m;

/* {29, Ref, From, GL, {m, f, 0}, Opts} then the payload [], with the
 * options written by opts(). */
static int
request(const char *gl_node, void (*opts)(void))
{
	const uint8_t *g;
	const char *why = NULL;
	size_t n;

	tb_reset();
	tb_tuple(6); tb_int(DOP_SPAWN_REQUEST); tb_ref(NODE_P); tb_pid(NODE_P);
	tb_pid(gl_node);
	tb_tuple(3); tb_atom("m"); tb_atom("f"); tb_int(0);
	opts();
	tb_nil();
	n = tb_len();
	g = guard_copy(tbuf, n);
	memset(&m, 0, sizeof(m));
	return dist_ctl_decode(g, g + n, 0, &m, &why);
}

static void o_none(void) { tb_nil(); }
static void o_monitor(void) { tb_list(1); tb_atom("monitor"); tb_nil(); }
static void
o_link_monitor_opts(void)
{
	tb_list(2); tb_atom("link");
	tb_tuple(2); tb_atom("monitor"); tb_list(1);
	tb_tuple(2); tb_atom("alias"); tb_atom("demonitor"); tb_nil();
	tb_nil();
}
/* {min_heap_size, 1 bsl 36}: a SMALL_BIG of 5 bytes */
static void
o_huge_heap(void)
{
	static const uint8_t big[] = { 110, 5, 0, 0, 0, 0, 0, 16 };

	tb_list(1); tb_tuple(2); tb_atom("min_heap_size");
	wr_bytes(&w, big, sizeof(big)); tb_nil();
}
static void
o_heap_100(void)
{
	tb_list(1); tb_tuple(2); tb_atom("min_heap_size"); tb_int(100);
	tb_nil();
}
static void
o_prio(const char *p)
{
	tb_list(1); tb_tuple(2); tb_atom("priority"); tb_atom(p); tb_nil();
}
static void o_prio_max(void) { o_prio("max"); }
static void o_prio_high(void) { o_prio("high"); }
static void
o_max_heap(void)
{
	tb_list(1); tb_tuple(2); tb_atom("max_heap_size"); tb_int(10);
	tb_nil();
}
static void
o_mqd(void)
{
	tb_list(1); tb_tuple(2); tb_atom("message_queue_data");
	tb_atom("off_heap"); tb_nil();
}
static void
o_improper(void)
{
	tb_list(1); tb_atom("monitor"); tb_atom("link");
}
static void
o_unknown(void)
{
	tb_list(1); tb_tuple(2); tb_atom("reply"); tb_atom("yes"); tb_nil();
}

static void
test_defaults(void)
{
	struct dg_spawn_opts none;

	memset(&none, 0, sizeof(none));
	CHECK_EQ(request(NODE_P, o_none), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) == NULL);
	CHECK_EQ(request(NODE_P, o_monitor), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) == NULL);
	CHECK_EQ(request(NODE_P, o_link_monitor_opts), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) == NULL);
	/* what halted or starved B, and what changes how a process dies */
	CHECK_EQ(request(NODE_P, o_huge_heap), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	CHECK_EQ(request(NODE_P, o_prio_max), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	CHECK_EQ(request(NODE_P, o_max_heap), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	CHECK_EQ(request(NODE_P, o_mqd), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	CHECK_EQ(request(NODE_P, o_unknown), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	CHECK_EQ(request(NODE_P, o_improper), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	/* this node's own process as group leader: never; a third node's
	 * (chained rpc) by default, not under {group_leader, peer} */
	CHECK_EQ(request(NODE_B, o_none), 0);
	CHECK(strcmp(spawnopt_refused(&none, &m, NODE_B),
	    "a group leader of this node") == 0);
	/* ... unless the node handed it to this peer (a call back) */
	m.gl_handed = 1;
	CHECK(spawnopt_refused(&none, &m, NODE_B) == NULL);
	m.gl_handed = 0;
	CHECK_EQ(request("c@h", o_none), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) == NULL);
	{
		struct dg_spawn_opts peer_gl = none;

		peer_gl.gl_peer = 1;
		CHECK(strcmp(spawnopt_refused(&peer_gl, &m, NODE_B),
		    "a group leader of another node") == 0);
		CHECK_EQ(request(NODE_P, o_none), 0);
		CHECK(spawnopt_refused(&peer_gl, &m, NODE_B) == NULL);
	}
}

static void
test_rule_bounds(void)
{
	struct dg_spawn_opts so;

	memset(&so, 0, sizeof(so));
	so.min_heap = 1000;
	so.priority = DG_PRIO_HIGH;
	so.flags = DG_SO_MQD;
	CHECK_EQ(request(NODE_P, o_heap_100), 0);
	CHECK(spawnopt_refused(&so, &m, NODE_B) == NULL);
	CHECK_EQ(request(NODE_P, o_huge_heap), 0);
	CHECK(strcmp(spawnopt_refused(&so, &m, NODE_B),
	    "a spawn heap size past the rule's bound") == 0);
	CHECK_EQ(request(NODE_P, o_prio_high), 0);
	CHECK(spawnopt_refused(&so, &m, NODE_B) == NULL);
	CHECK_EQ(request(NODE_P, o_prio_max), 0);
	CHECK(strcmp(spawnopt_refused(&so, &m, NODE_B),
	    "a spawn priority above the rule's") == 0);
	CHECK_EQ(request(NODE_P, o_mqd), 0);
	CHECK(spawnopt_refused(&so, &m, NODE_B) == NULL);
	/* max_heap_size is not named: still refused */
	CHECK_EQ(request(NODE_P, o_max_heap), 0);
	CHECK(spawnopt_refused(&so, &m, NODE_B) != NULL);
	so.max_heap = 10;
	CHECK(spawnopt_refused(&so, &m, NODE_B) == NULL);
	so.max_heap = 9;
	CHECK(spawnopt_refused(&so, &m, NODE_B) != NULL);
}

/* A code request to net_kernel or rex, as {6, From, '', Name} then the
 * payload: {'$gen_call', {From, Ref}, Req} with Req written by req(). */
static int
legacy(const char *name, void (*req)(const char *), const char *gl_node)
{
	const uint8_t *g;
	const char *why = NULL;
	size_t n;

	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid(NODE_P); tb_atom("");
	tb_atom(name);
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid(NODE_P); tb_ref(NODE_P);
	req(gl_node);
	n = tb_len();
	g = guard_copy(tbuf, n);
	memset(&m, 0, sizeof(m));
	return dist_ctl_decode(g, g + n, 0, &m, &why);
}

static void (*legacy_opts)(void);

/* {spawn_opt, m, f, [], Opts, link, GL} */
static void
r_spawn_opt(const char *gl)
{
	tb_tuple(7); tb_atom("spawn_opt"); tb_atom("m"); tb_atom("f");
	tb_nil(); legacy_opts(); tb_atom("link"); tb_pid(gl);
}
/* {spawn, m, f, [], GL}, {call, m, f, [], GL} */
static void
r_spawn(const char *gl)
{
	tb_tuple(5); tb_atom("spawn"); tb_atom("m"); tb_atom("f"); tb_nil();
	tb_pid(gl);
}
static void
r_call(const char *gl)
{
	tb_tuple(5); tb_atom("call"); tb_atom("m"); tb_atom("f"); tb_nil();
	tb_pid(gl);
}

/* {call, m, f, [], user} to rex, {spawn, m, f, [], user} to net_kernel */
static void
r_call_user(const char *gl)
{
	(void)gl;
	tb_tuple(5); tb_atom("call"); tb_atom("m"); tb_atom("f"); tb_nil();
	tb_atom("user");
}
static void
r_spawn_user(const char *gl)
{
	(void)gl;
	tb_tuple(5); tb_atom("spawn"); tb_atom("m"); tb_atom("f"); tb_nil();
	tb_atom("user");
}

/* net_kernel's legacy spawn_opt carries options as a SPAWN_REQUEST does;
 * its and rex's group leader is judged the same way. */
static void
test_legacy(void)
{
	struct dg_spawn_opts none;

	memset(&none, 0, sizeof(none));
	legacy_opts = o_monitor;
	CHECK_EQ(legacy("net_kernel", r_spawn_opt, NODE_P), 0);
	CHECK(m.via == VIA_NET_KERNEL && m.t_opts.len > 0 && m.t_gl.len > 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) == NULL);
	legacy_opts = o_huge_heap;
	CHECK_EQ(legacy("net_kernel", r_spawn_opt, NODE_P), 0);
	CHECK(strcmp(spawnopt_refused(&none, &m, NODE_B),
	    "a spawn option the rule does not name") == 0);
	legacy_opts = o_prio_max;
	CHECK_EQ(legacy("net_kernel", r_spawn_opt, NODE_P), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	legacy_opts = o_none;
	CHECK_EQ(legacy("net_kernel", r_spawn_opt, NODE_B), 0);
	CHECK(strcmp(spawnopt_refused(&none, &m, NODE_B),
	    "a group leader of this node") == 0);
	CHECK_EQ(legacy("net_kernel", r_spawn, NODE_P), 0);
	CHECK(m.t_opts.len == 0 && spawnopt_refused(&none, &m, NODE_B) == NULL);
	CHECK_EQ(legacy("net_kernel", r_spawn, NODE_B), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	CHECK_EQ(legacy("rex", r_call, NODE_P), 0);
	CHECK(m.via == VIA_REX && spawnopt_refused(&none, &m, NODE_B) == NULL);
	CHECK_EQ(legacy("rex", r_call, NODE_B), 0);
	CHECK(strcmp(spawnopt_refused(&none, &m, NODE_B),
	    "a group leader of this node") == 0);
	/* rex takes the atom user (erl_call's), net_kernel does not */
	CHECK_EQ(legacy("rex", r_call_user, NODE_P), 0);
	CHECK(m.t_gl.len > 0 && spawnopt_refused(&none, &m, NODE_B) == NULL);
	CHECK_EQ(legacy("net_kernel", r_spawn_user, NODE_P), 0);
	CHECK(spawnopt_refused(&none, &m, NODE_B) != NULL);
	/* the options unseen (cut after the arguments): refused */
	legacy_opts = o_none;
	CHECK_EQ(legacy("net_kernel", r_spawn_opt, NODE_P), 0);
	m.t_opts.len = 0;
	m.t_gl.len = 0;
	m.tail_unseen = 2;
	CHECK(strcmp(spawnopt_refused(&none, &m, NODE_B),
	    "spawn options past the part judged") == 0);
	m.tail_unseen = 1;
	CHECK_EQ(legacy("rex", r_call, NODE_B), 0);
	m.t_gl.len = 0;
	m.tail_unseen = 1;
	CHECK(spawnopt_refused(&none, &m, NODE_B) == NULL);
}

int
main(void)
{
	RUN(test_defaults);
	RUN(test_rule_bounds);
	RUN(test_legacy);
	return TEST_DONE();
}
