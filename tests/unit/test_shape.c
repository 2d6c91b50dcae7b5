/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_shape.c - filter/shape.c (the term-shape matcher) and what the
 * profiles build on it (filter/dist_facts.c): global's, net_kernel's and
 * rex's messages admitted only with the types their receiving clauses
 * take (issue 18 item 1).  Input always ends at a guard page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_test.h"
#include "dist_ctl.h"
#include "shape.h"
#include "term.h"
#include "term_build.h"

#define NODE_B	"b@h"		/* the protected node */
#define NODE_P	"a@h"		/* its peer */

/* Matches the term built in tbuf against s; the claim comes back. */
static int
match(const struct shape *s, struct shape_ctx *ctx)
{
	const uint8_t *g = guard_copy(tbuf, tb_len());
	const char *why;

	memset(ctx, 0, sizeof(*ctx));
	if (term_scan(g, g + tb_len(), &why) != (int)tb_len())
		return -1;
	return shape_match(s, &g, ctx);
}

static void
tb_bigint_neg(void)	/* -576460752303423488: a monotonic unique integer */
{
	static const uint8_t b[] = { 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 8 };

	wr_bytes(&w, b, sizeof(b));
}

static void
test_matcher(void)
{
	struct shape_ctx c;
	const struct shape *list_atoms = SH_L(SH_K(SH_ATOM));
	const struct shape *t = SH_T(SH_A("x"), SH_K(SH_PEER),
	    SH_RANGE(5, 255), SH_K(SH_PEER_PID));

	tb_reset(); tb_nil();
	CHECK_EQ(match(list_atoms, &c), 1);
	tb_reset(); tb_list(2); tb_atom("a"); tb_atom("b"); tb_nil();
	CHECK_EQ(match(list_atoms, &c), 1);
	/* improper */
	tb_reset(); tb_list(1); tb_atom("a"); tb_atom("b");
	CHECK_EQ(match(list_atoms, &c), 0);
	/* an element of another type */
	tb_reset(); tb_list(2); tb_atom("a"); tb_int(1); tb_nil();
	CHECK_EQ(match(list_atoms, &c), 0);
	/* a string is a list of integers */
	tb_reset(); wr_u8(&w, 107); wr_u16(&w, 2); wr_bytes(&w, "ab", 2);
	CHECK_EQ(match(list_atoms, &c), 0);
	CHECK_EQ(match(SH_L(SH_K(SH_INT)), &c), 1);
	CHECK_EQ(match(SH_K(SH_ATOM), &c), 0);

	/* a tuple whose node and pid must be the same node */
	tb_reset(); tb_tuple(4); tb_atom("x"); tb_atom(NODE_P); tb_int(8);
	tb_pid(NODE_P);
	CHECK_EQ(match(t, &c), 1);
	CHECK(term_span_eq(c.claim, NODE_P));
	tb_reset(); tb_tuple(4); tb_atom("x"); tb_atom(NODE_P); tb_int(8);
	tb_pid(NODE_B);
	CHECK_EQ(match(t, &c), 0);
	/* out of range, wrong arity, wrong tag */
	tb_reset(); tb_tuple(4); tb_atom("x"); tb_atom(NODE_P); tb_int(4);
	tb_pid(NODE_P);
	CHECK_EQ(match(t, &c), 0);
	tb_reset(); tb_tuple(3); tb_atom("x"); tb_atom(NODE_P); tb_int(8);
	CHECK_EQ(match(t, &c), 0);
	tb_reset(); tb_tuple(4); tb_atom("y"); tb_atom(NODE_P); tb_int(8);
	tb_pid(NODE_P);
	CHECK_EQ(match(t, &c), 0);

	/* integers: small, big; a range refuses what does not fit 64 bits */
	tb_reset(); tb_bigint_neg();
	CHECK_EQ(match(SH_K(SH_INT), &c), 1);
	CHECK_EQ(match(SH_RANGE(0, 10), &c), 0);
	tb_reset(); tb_atom("true");
	CHECK_EQ(match(SH_K(SH_BOOL), &c), 1);
	tb_reset(); tb_atom("maybe");
	CHECK_EQ(match(SH_K(SH_BOOL), &c), 0);

	/* alternatives do not keep a failed branch's claim */
	tb_reset(); tb_tuple(2); tb_atom(NODE_B); tb_int(1);
	CHECK_EQ(match(SH_OR(SH_T(SH_K(SH_PEER), SH_A("z")),
	    SH_T(SH_K(SH_ATOM), SH_K(SH_INT))), &c), 1);
	CHECK_EQ(c.claim.len, 0);

	/* exactly n elements */
	tb_reset(); tb_list(2); tb_atom("a"); tb_int(3); tb_nil();
	CHECK_EQ(match(SH_LN(SH_K(SH_ATOM), SH_K(SH_INT)), &c), 1);
	CHECK_EQ(match(SH_LN(SH_K(SH_ATOM)), &c), 0);

	/* a list of pids with one of the sender's */
	tb_reset(); tb_list(2); tb_pid(NODE_B); tb_pid(NODE_P); tb_nil();
	c.claim.p = (const uint8_t *)NODE_P;
	c.claim.len = 3;
	{
		const uint8_t *g = guard_copy(tbuf, tb_len());

		CHECK_EQ(shape_match(SH_K(SH_PIDS_PEER), &g, &c), 1);
	}
	tb_reset(); tb_list(1); tb_pid(NODE_B); tb_nil();
	c.claim.p = (const uint8_t *)NODE_P;
	c.claim.len = 3;
	{
		const uint8_t *g = guard_copy(tbuf, tb_len());

		CHECK_EQ(shape_match(SH_K(SH_PIDS_PEER), &g, &c), 0);
	}
}

/* ---- the profiles' messages, decoded ---- */

static int
decode_all(unsigned need, struct dist_msg *m)
{
	struct dc_opts o;
	const uint8_t *g = guard_copy(tbuf, tb_len());
	const char *why = NULL;

	memset(&o, 0, sizeof(o));
	o.need = need;
	o.frame_end = g + tb_len();
	o.final = 1;
	memset(m, 0, sizeof(*m));
	return dist_ctl_decode_x(g, g + tb_len(), 0, &o, m, &why);
}

static void
tb_reg_send(const char *name)
{
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid(NODE_P); tb_atom("");
	tb_atom(name);
}

static void
tb_cast(const char *tag, int arity)
{
	tb_reg_send("global_name_server");
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(arity); tb_atom(tag);
}

static void
tb_call(const char *tag, int arity)
{
	tb_reg_send("global_name_server");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(arity); tb_atom(tag);
}

static int
global_ok(void)
{
	struct dist_msg m;

	if (decode_all(DC_NEED_GLOBAL, &m) != 0)
		return -1;
	return m.global_ok;
}

/* The messages the OTP 25 captures hold (captures/ping), as sent. */
static void
test_global_captured(void)
{
	tb_cast("init_connect", 4);
	tb_tuple(2); tb_int(8); tb_bigint_neg(); tb_atom(NODE_P);
	tb_tuple(4); tb_atom("locker"); tb_atom("no_longer_a_pid");
	wr_u8(&w, 116); wr_u32(&w, 0);		/* #{} */
	tb_pid(NODE_P);
	CHECK_EQ(global_ok(), 1);
	tb_cast("lock_set", 5);
	tb_pid(NODE_P); tb_atom("true"); tb_nil(); tb_bigint_neg();
	CHECK_EQ(global_ok(), 1);
	tb_cast("exchange", 5);
	tb_atom(NODE_P); tb_nil(); tb_nil(); tb_bigint_neg();
	CHECK_EQ(global_ok(), 1);
	tb_cast("resolved", 7);
	tb_atom(NODE_P); tb_nil(); tb_nil(); tb_atom("unused"); tb_nil();
	tb_bigint_neg();
	CHECK_EQ(global_ok(), 1);
	tb_cast("new_nodes", 6);
	tb_atom(NODE_P);
	tb_list(1); tb_tuple(2); tb_atom("insert"); tb_tuple(3);
	tb_atom("svc"); tb_pid(NODE_P);
	tb_export("global", "random_exit_name", 3); tb_nil();
	tb_nil();
	tb_list(1); tb_tuple(2); tb_atom("c@h"); tb_int(8); tb_nil();
	tb_list(2); tb_tuple(2); tb_atom("vsn"); tb_int(8);
	tb_tuple(2); tb_atom("lock"); tb_tuple(2); tb_atom("global");
	tb_list(2); tb_pid(NODE_P); tb_pid(NODE_B); tb_nil(); tb_nil();
	CHECK_EQ(global_ok(), 1);
	tb_call("set_lock", 2);
	tb_tuple(2); tb_atom("global");
	tb_list(2); tb_pid(NODE_P); tb_pid(NODE_B); tb_nil();
	CHECK_EQ(global_ok(), 1);
	tb_call("del_lock", 2);
	tb_tuple(2); tb_atom("global");
	tb_list(2); tb_pid(NODE_P); tb_pid(NODE_B); tb_nil();
	CHECK_EQ(global_ok(), 1);
	tb_reg_send("global_name_server");
	tb_tuple(4); tb_atom("init_connect_ack"); tb_atom(NODE_P);
	tb_bigint_neg(); tb_bigint_neg();
	CHECK_EQ(global_ok(), 1);
}

/* What crashed global_name_server or its locker on OTP 25. */
static void
test_global_malformed(void)
{
	/* Vsn a 1-tuple: badmatch in handle_cast */
	tb_cast("init_connect", 4);
	tb_tuple(1); tb_int(8); tb_atom(NODE_P);
	tb_tuple(4); tb_atom("locker"); tb_atom("x"); tb_nil(); tb_pid(NODE_P);
	CHECK_EQ(global_ok(), 0);
	/* Vsn 4: the locker's `true = HisVsn > 4` */
	tb_cast("init_connect", 4);
	tb_tuple(2); tb_int(4); tb_int(1); tb_atom(NODE_P);
	tb_tuple(4); tb_atom("locker"); tb_atom("x"); tb_nil(); tb_pid(NODE_P);
	CHECK_EQ(global_ok(), 0);
	/* the locker not a pid */
	tb_cast("init_connect", 4);
	tb_tuple(2); tb_int(8); tb_int(1); tb_atom(NODE_P);
	tb_tuple(4); tb_atom("locker"); tb_atom("x"); tb_nil(); tb_atom("y");
	CHECK_EQ(global_ok(), 0);
	/* new_nodes with an insert of a non-pid: node/1 in do_ops */
	tb_cast("new_nodes", 6);
	tb_atom(NODE_P);
	tb_list(1); tb_tuple(2); tb_atom("insert"); tb_tuple(3);
	tb_atom("svc"); tb_atom("not_a_pid");
	tb_export("global", "random_exit_name", 3); tb_nil();
	tb_nil(); tb_nil();
	tb_list(2); tb_tuple(2); tb_atom("vsn"); tb_int(8);
	tb_tuple(2); tb_atom("lock"); tb_tuple(2); tb_atom("global");
	tb_atom("x"); tb_nil();
	CHECK_EQ(global_ok(), 0);
	/* new_nodes whose ExtraInfo has no lock: lock_still_set badmatch */
	tb_cast("new_nodes", 6);
	tb_atom(NODE_P); tb_nil(); tb_nil(); tb_nil(); tb_nil();
	CHECK_EQ(global_ok(), 0);
	/* new_nodes whose Nodes is not a list */
	tb_cast("new_nodes", 6);
	tb_atom(NODE_P); tb_nil(); tb_nil(); tb_atom("x");
	tb_list(2); tb_tuple(2); tb_atom("vsn"); tb_int(8);
	tb_tuple(2); tb_atom("lock"); tb_tuple(2); tb_atom("global");
	tb_atom("x"); tb_nil();
	CHECK_EQ(global_ok(), 0);
	/* lock_set of a non-pid: node/1 */
	tb_cast("lock_set", 5);
	tb_atom("x"); tb_atom("true"); tb_nil(); tb_int(1);
	CHECK_EQ(global_ok(), 0);
	/* set_lock of a non-tuple: can_set_lock function_clause */
	tb_call("set_lock", 2); tb_atom("x");
	CHECK_EQ(global_ok(), 0);
	tb_call("del_lock", 2); tb_tuple(3); tb_atom("a"); tb_atom("b");
	tb_atom("c");
	CHECK_EQ(global_ok(), 0);
	/* global's own lock for pids none of which is the peer's */
	tb_call("set_lock", 2);
	tb_tuple(2); tb_atom("global"); tb_list(1); tb_pid(NODE_B); tb_nil();
	CHECK_EQ(global_ok(), 0);
	tb_call("set_lock", 2);
	tb_tuple(2); tb_atom("global"); tb_pid("c@h");
	CHECK_EQ(global_ok(), 0);
	/* ... any other resource is the peer's business */
	tb_call("set_lock", 2);
	tb_tuple(2); tb_atom("res"); tb_atom("anything");
	CHECK_EQ(global_ok(), 1);
	/* register of a non-pid */
	tb_call("register", 4);
	tb_atom("svc"); tb_atom("x"); tb_export("global", "random_exit_name", 3);
	CHECK_EQ(global_ok(), 0);
	/* in_sync with a non-boolean; exchange with a bad name entry */
	tb_cast("in_sync", 3); tb_atom(NODE_P); tb_int(1);
	CHECK_EQ(global_ok(), 0);
	tb_cast("exchange", 5); tb_atom(NODE_P);
	tb_list(1); tb_tuple(2); tb_atom("svc"); tb_pid(NODE_P); tb_nil();
	tb_nil(); tb_int(1);
	CHECK_EQ(global_ok(), 0);
	/* a node named '' is no node: the proxy would take it for none */
	tb_cast("in_sync", 3); tb_atom(""); tb_atom("true");
	CHECK_EQ(global_ok(), 0);
	/* no longer sent by any supported release */
	tb_cast("async_del_name", 3); tb_atom("svc"); tb_pid(NODE_P);
	CHECK_EQ(global_ok(), 0);
}

static void
test_server_requests(void)
{
	struct dist_msg m;

	/* ping's is_auth, as net_adm:ping sends it */
	tb_reg_send("net_kernel");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(2); tb_atom("is_auth"); tb_atom(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.is_auth && m.proto_why == NULL);
	CHECK(term_span_eq(m.claim_node, NODE_P));
	/* From not {Pid, Tag}: net_kernel's `{Pid, Tag} = From` */
	tb_reg_send("net_kernel");
	tb_tuple(3); tb_atom("$gen_call"); tb_atom("not_a_from");
	tb_tuple(2); tb_atom("is_auth"); tb_atom(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.is_auth && m.proto_why != NULL);
	/* ... or a caller of another node */
	tb_reg_send("net_kernel");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid("c@h"); tb_ref(NODE_P);
	tb_tuple(2); tb_atom("is_auth"); tb_atom(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.is_auth && term_span_eq(m.claim_node, "c@h"));
	/* OTP 24+: the Tag is [alias | Ref] */
	tb_reg_send("net_kernel");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid(NODE_P); tb_list(1); tb_atom("alias");
	tb_ref(NODE_P);
	tb_tuple(2); tb_atom("is_auth"); tb_atom(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.is_auth && m.proto_why == NULL);
	/* a Tag that is no call tag: net_kernel's answer {Tag, yes} would
	 * echo what it holds (a pid of the node: disclosure by echo) */
	tb_reg_send("net_kernel");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid(NODE_P); tb_tuple(1); tb_pid("b@h");
	tb_tuple(2); tb_atom("is_auth"); tb_atom(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.is_auth && m.proto_why != NULL);
	tb_reg_send("net_kernel");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid(NODE_P); tb_list(1); tb_atom("alias");
	tb_pid("b@h");
	tb_tuple(2); tb_atom("is_auth"); tb_atom(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.is_auth && m.proto_why != NULL);
	/* rex's features_request */
	tb_reg_send("rex");
	tb_tuple(2); tb_pid(NODE_P); tb_atom("features_request");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.rex_features && m.proto_why == NULL);
	tb_reg_send("rex");
	tb_tuple(2); tb_int(42); tb_atom("features_request");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.rex_features && m.proto_why != NULL);
}

/* Behaviour protocols in sends to names (DC_NEED_BEHAV). */
static unsigned
behav_of(void)
{
	struct dist_msg m;

	if (decode_all(DC_NEED_BEHAV, &m) != 0)
		return 0xdead;
	return m.behav;
}

static void
test_behaviours(void)
{
	tb_reg_send("gateway");
	tb_tuple(3); tb_atom("system"); tb_tuple(2); tb_pid(NODE_P);
	tb_ref(NODE_P); tb_atom("get_state");
	CHECK_EQ(behav_of(), DG_PROTO_SYS);
	tb_reg_send("gateway");
	tb_tuple(3); tb_atom("$gen_call"); tb_tuple(2); tb_pid(NODE_P);
	tb_ref(NODE_P); tb_tuple(2); tb_atom("start_child"); tb_nil();
	CHECK_EQ(behav_of(), DG_PROTO_SUPERVISOR);
	tb_reg_send("gateway");
	tb_tuple(3); tb_atom("$gen_call"); tb_tuple(2); tb_pid(NODE_P);
	tb_ref(NODE_P); tb_atom("which_children");
	CHECK_EQ(behav_of(), DG_PROTO_SUPERVISOR);
	tb_reg_send("gateway");
	tb_tuple(3); tb_atom("$gen_call"); tb_tuple(2); tb_pid(NODE_P);
	tb_ref(NODE_P); tb_tuple(3); tb_atom("add_handler"); tb_atom("m");
	tb_nil();
	CHECK_EQ(behav_of(), DG_PROTO_GEN_EVENT);
	tb_reg_send("gateway");
	tb_tuple(3); tb_atom("EXIT"); tb_pid(NODE_P); tb_atom("kill");
	CHECK_EQ(behav_of(), DG_PROTO_SIGNALS);
	tb_reg_send("gateway");
	tb_tuple(5); tb_atom("DOWN"); tb_ref(NODE_P); tb_atom("process");
	tb_pid(NODE_P); tb_atom("normal");
	CHECK_EQ(behav_of(), DG_PROTO_SIGNALS);
	tb_reg_send("gateway");
	tb_tuple(4); tb_atom("io_request"); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(2); tb_atom("put_chars"); tb_nil();
	CHECK_EQ(behav_of(), DG_PROTO_IO);
	/* ordinary calls, casts and messages are none */
	tb_reg_send("gateway");
	tb_tuple(3); tb_atom("$gen_call"); tb_tuple(2); tb_pid(NODE_P);
	tb_ref(NODE_P); tb_atom("ping");
	CHECK_EQ(behav_of(), 0);
	tb_reg_send("gateway");
	tb_tuple(2); tb_atom("$gen_cast"); tb_tuple(2); tb_atom("system");
	tb_nil();
	CHECK_EQ(behav_of(), 0);
	tb_reg_send("gateway");
	tb_tuple(2); tb_pid(NODE_P); tb_atom("count");
	CHECK_EQ(behav_of(), 0);
	tb_reg_send("gateway");
	tb_atom("hello");
	CHECK_EQ(behav_of(), 0);
}

int
main(void)
{
	RUN(test_matcher);
	RUN(test_global_captured);
	RUN(test_global_malformed);
	RUN(test_server_requests);
	RUN(test_behaviours);
	return TEST_DONE();
}
