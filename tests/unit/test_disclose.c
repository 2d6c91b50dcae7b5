/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_disclose.c - the capability checks of the profiles: filter/idset.c
 * (bounded sets), term_walk over a term that has not all arrived,
 * dist_ctl's payload facts (global's protocol by shape, sends to pids),
 * and filter/disclose.c (what a node shows its peer).  Input always ends
 * at a guard page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_test.h"
#include "disclose.h"
#include "proxy/guard.h"
#include "proxy/session.h"
#include "dist_ctl.h"
#include "idset.h"
#include "term.h"
#include "term_build.h"

#define NODE_B	"b@h"		/* the protected node */
#define NODE_P	"a@h"		/* its peer */

/* ---- idset ---- */

static void
test_idset_basics(void)
{
	struct idset s;
	uint64_t h[100];
	int i;

	idset_init(&s, 0);
	for (i = 0; i < 100; i++) {
		h[i] = idset_hash(&i, sizeof(i));
		CHECK_EQ(idset_add(&s, h[i]), 0);
	}
	CHECK_EQ(idset_count(&s), 100);
	for (i = 0; i < 100; i++)
		CHECK(idset_has(&s, h[i], 0));
	i = 1000;
	CHECK(!idset_has(&s, idset_hash(&i, sizeof(i)), 0));
	/* take: once */
	CHECK(idset_has(&s, h[7], 1));
	CHECK(!idset_has(&s, h[7], 0));
	CHECK_EQ(idset_count(&s), 99);
	/* adding twice holds once */
	CHECK_EQ(idset_add(&s, h[8]), 0);
	CHECK_EQ(idset_count(&s), 99);
	/* the hash is keyed per process but fixed within it */
	i = 5;
	CHECK_EQ(idset_hash(&i, sizeof(i)), h[5]);
	CHECK(h[5] != 0 && h[5] != 2);
	idset_free(&s);
}

static void
test_idset_bound(void)
{
	struct idset s;
	uint64_t h;
	int i;

	/* Generations of 8: at least the last 8 stay, at most 16 are held,
	 * the oldest are forgotten (absent means deny, never allow). */
	idset_init(&s, 8);
	for (i = 0; i < 1000; i++)
		CHECK_EQ(idset_add(&s, idset_hash(&i, sizeof(i))), 0);
	CHECK(idset_count(&s) <= 16);
	CHECK(idset_count(&s) >= 8);
	for (i = 992; i < 1000; i++)
		CHECK(idset_has(&s, idset_hash(&i, sizeof(i)), 0));
	for (i = 0; i < 900; i++)
		CHECK(!idset_has(&s, idset_hash(&i, sizeof(i)), 0));
	/* memory stays bounded: slots never exceed 2 x 2 x max, rounded */
	CHECK(s.cur.cap <= 32 && s.old.cap <= 32);
	/* what is in use survives rotations */
	idset_free(&s);
	idset_init(&s, 8);
	i = -1;
	h = idset_hash(&i, sizeof(i));
	CHECK_EQ(idset_add(&s, h), 0);
	for (i = 0; i < 200; i++) {
		CHECK_EQ(idset_add(&s, idset_hash(&i, sizeof(i))), 0);
		CHECK(idset_has(&s, h, 0));
	}
	idset_free(&s);
}

static void
test_idset_churn(void)
{
	struct idset s;
	uint64_t h;
	int i;

	/* add and take forever (owed replies): tombstones never fill the
	 * table nor make it grow */
	idset_init(&s, 256);
	for (i = 0; i < 100000; i++) {
		h = idset_hash(&i, sizeof(i));
		CHECK_EQ(idset_add(&s, h), 0);
		CHECK(idset_has(&s, h, 1));
	}
	CHECK_EQ(idset_count(&s), 0);
	CHECK(s.cur.cap <= 32);
	idset_free(&s);
}

/* ---- term_walk ---- */

struct census {
	int	funs, ids;
};

static void
count(void *arg, const uint8_t *t)
{
	struct census *c = arg;

	if (t[0] == 112 || t[0] == 113)
		c->funs++;
	else
		c->ids++;
}

static void
test_walk_tail(void)
{
	struct census c = { 0, 0 };
	struct term_visit v = { TV_FUNS | TV_IDS, count, &c, NULL };
	const uint8_t *g;
	const char *why;
	size_t head;

	/* {Ref, <<1 MiB>>}: proven from its first bytes */
	tb_reset();
	tb_tuple(2); tb_ref(NODE_B); tb_bin(1 << 20, 1);
	head = tb_len();
	g = guard_copy(tbuf, head);
	CHECK_EQ(term_walk(g, g + head, g + head + (1 << 20), &v, &why),
	    (int)head + (1 << 20));
	CHECK_EQ(c.ids, 1);
	/* term_scan on the same bytes wants the binary's body */
	CHECK_EQ(term_scan(g, g + head, &why), DG_AGAIN);
	/* a body that overruns the frame is cut short, not proven */
	CHECK_EQ(term_walk(g, g + head, g + head + 10, &v, &why), DG_AGAIN);

	/* {<<1 MiB>>, fun}: what follows the body cannot be seen */
	tb_reset();
	tb_tuple(2); tb_bin(1 << 20, 1);
	head = tb_len();
	g = guard_copy(tbuf, head);
	CHECK_EQ(term_walk(g, g + head, g + head + (1 << 20) + 100, &v, &why),
	    DG_AGAIN);

	/* whole: the fun is seen, and term_scan agrees on the length */
	tb_reset();
	tb_tuple(3); tb_bin(100, 0); tb_fun(NODE_P);
	tb_export("os", "cmd", 1);
	head = tb_len();
	g = guard_copy(tbuf, head);
	c.funs = c.ids = 0;
	CHECK_EQ(term_walk(g, g + head, g + head, &v, &why), (int)head);
	CHECK_EQ(c.funs, 2);
	CHECK_EQ(c.ids, 1);		/* the fun's creator pid */
	CHECK_EQ(term_scan(g, g + head, &why), (int)head);
	/* an atom may not be read past avail */
	CHECK_EQ(term_walk(g, g + head - 2, g + head, &v, &why), DG_AGAIN);
}

/* ---- payload facts ---- */

static int
decode_x(unsigned need, size_t avail, size_t frame, int final,
    struct dist_msg *m)
{
	struct dc_opts o;
	const uint8_t *g = guard_copy(tbuf, avail);
	const char *why = NULL;

	o.need = need;
	o.frame_end = g + frame;
	o.final = final;
	memset(m, 0, sizeof(*m));
	return dist_ctl_decode_x(g, g + avail, 0, &o, m, &why);
}

static int
decode_all(unsigned need, struct dist_msg *m)
{
	return decode_x(need, tb_len(), tb_len(), 1, m);
}

/* {6, From, '', global_name_server}, from the peer */
static void
tb_to_global(void)
{
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid(NODE_P); tb_atom("");
	tb_atom("global_name_server");
}

static void
tb_call_from(void)
{
	tb_tuple(2); tb_pid(NODE_P); tb_ref(NODE_P);
}

static void
test_global_casts(void)
{
	struct dist_msg m;

	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(4); tb_atom("init_connect");
	tb_tuple(2); tb_int(6); tb_int(1);
	tb_atom(NODE_P);
	tb_tuple(4); tb_atom("locker"); tb_atom("no_longer_a_pid"); tb_nil();
	tb_pid(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok);
	CHECK(term_span_eq(m.claim_node, NODE_P));
	/* without the need, nothing is looked at */
	CHECK_EQ(decode_all(0, &m), 0);
	CHECK(!m.global_ok);

	/* exchange with a name whose resolver is global's own */
	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("exchange"); tb_atom(NODE_P);
	tb_list(1); tb_tuple(3); tb_atom("svc"); tb_pid(NODE_P);
	tb_export("global", "random_exit_name", 3); tb_nil();
	tb_nil(); tb_int(7);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok && !m.pl_fun);
	CHECK(term_span_eq(m.claim_node, NODE_P));

	/* register_name/2's `fun random_exit_name/3`, a local fun of global */
	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("exchange"); tb_atom(NODE_P);
	tb_list(2);
	tb_tuple(3); tb_atom("svc"); tb_pid(NODE_P);
	tb_fun_of(NODE_P, "global", 3);
	tb_tuple(3); tb_atom("svc2"); tb_pid(NODE_P);
	tb_fun_of(NODE_P, "global", 3);
	tb_nil();
	tb_nil(); tb_int(7);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok && !m.pl_fun);
	/* ... not another module's, nor another arity */
	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("exchange"); tb_atom(NODE_P);
	tb_list(1); tb_tuple(3); tb_atom("svc"); tb_pid(NODE_P);
	tb_fun_of(NODE_P, "os", 3); tb_nil();
	tb_nil(); tb_int(7);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok && m.pl_fun);
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from();
	tb_tuple(2); tb_atom("registrar"); tb_fun_of(NODE_P, "global", 1);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok && m.pl_fun);

	/* ... and one whose resolver is anybody's code */
	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("exchange"); tb_atom(NODE_P);
	tb_list(1); tb_tuple(3); tb_atom("svc"); tb_pid(NODE_P);
	tb_fun(NODE_P); tb_nil();
	tb_nil(); tb_int(7);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok && m.pl_fun);

	/* a cast only the local node sends itself */
	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("exchange_ops"); tb_atom(NODE_P); tb_int(1);
	tb_nil(); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);

	/* a known tag at another arity */
	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(4); tb_atom("in_sync"); tb_atom(NODE_P); tb_atom("true");
	tb_atom("x");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);

	/* lock_set names its node through the locker pid */
	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("lock_set"); tb_pid("c@h"); tb_atom("true");
	tb_nil(); tb_int(3);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok && term_span_eq(m.claim_node, "c@h"));
}

static void
test_global_calls(void)
{
	struct dist_msg m;

	/* the registrar applies the fun it is handed: never */
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from();
	tb_tuple(2); tb_atom("registrar"); tb_fun(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok && m.pl_fun);
	/* ... and with a fun disguised as an export */
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from();
	tb_tuple(2); tb_atom("registrar"); tb_export("os", "cmd", 1);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok && m.pl_fun);
	/* info, and other calls meant for the local node */
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from(); tb_atom("info");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from();
	tb_tuple(2); tb_atom("sync"); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);

	/* register with global's own resolver, set_lock, del_lock */
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from();
	tb_tuple(4); tb_atom("register"); tb_atom("svc"); tb_pid(NODE_P);
	tb_export("global", "random_notify_name", 3);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok && term_span_eq(m.claim_node, NODE_P));
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from();
	tb_tuple(2); tb_atom("set_lock");
	tb_tuple(2); tb_atom("global"); tb_list(1); tb_pid(NODE_P); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok);
	/* a resolve method that is not global's: refused, whatever form */
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from();
	tb_tuple(4); tb_atom("register"); tb_atom("svc"); tb_pid(NODE_P);
	tb_tuple(2); tb_atom("global"); tb_atom("random_exit_name");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from();
	tb_tuple(4); tb_atom("register"); tb_atom("svc"); tb_pid(NODE_P);
	tb_export("global", "random_exit_name", 2);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok && m.pl_fun);
	/* a call whose From is not {Pid, Tag} */
	tb_to_global();
	tb_tuple(3); tb_atom("$gen_call"); tb_atom("x");
	tb_tuple(2); tb_atom("unregister"); tb_atom("svc");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);
}

static void
test_global_infos(void)
{
	struct dist_msg m;

	tb_to_global();
	tb_tuple(4); tb_atom("init_connect_ack"); tb_atom(NODE_P); tb_int(1);
	tb_int(2);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok && term_span_eq(m.claim_node, NODE_P));
	/* relayed: the first node is not the sender's */
	tb_to_global();
	tb_tuple(5); tb_atom("lost_connection"); tb_atom("c@h"); tb_int(1);
	tb_int(2); tb_atom("d@h");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok && m.claim_node.len == 0);
	/* plain messages global's server takes only from its own node */
	tb_to_global();
	tb_tuple(3); tb_atom("whereis"); tb_atom("svc"); tb_pid(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);
	tb_to_global();
	tb_tuple(3); tb_atom("nodedown"); tb_atom("c@h"); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);
	tb_to_global();
	tb_tuple(3); tb_atom("EXIT"); tb_pid(NODE_B); tb_atom("kill");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(!m.global_ok);
	/* too large to see whole: not admitted */
	tb_to_global();
	tb_tuple(5); tb_atom("lost_connection"); tb_bin(1 << 20, 1);
	CHECK_EQ(decode_x(DC_NEED_GLOBAL, tb_len(), tb_len() + (1 << 20) + 30,
	    0, &m), DG_AGAIN);
	CHECK_EQ(decode_x(DC_NEED_GLOBAL, tb_len(), tb_len() + (1 << 20) + 30,
	    1, &m), 0);
	CHECK(!m.global_ok && m.pl_partial);
}

/* {22, From, To} from the peer to pid `id` of the node */
static void
tb_send_to(uint32_t id)
{
	tb_reset();
	tb_tuple(3); tb_int(DOP_SEND_SENDER); tb_pid(NODE_P);
	tb_pid_n(NODE_B, id);
}

static void
test_pid_sends(void)
{
	struct dist_msg m;
	size_t head;

	/* a reply */
	tb_send_to(5);
	tb_tuple(2); tb_ref(NODE_B); tb_atom("ok");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(!m.pl_fun && !m.pl_request && !m.pl_partial);
	CHECK(m.pl_reply);
	/* the replies global's processes get: multi_call's {{Ref, Node},
	 * Atom}, an alias tag; nothing else is one */
	tb_send_to(5);
	tb_tuple(2); tb_tuple(2); tb_ref(NODE_B); tb_atom(NODE_P);
	tb_atom("true");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_reply);
	tb_send_to(5);
	tb_tuple(2); tb_list(1); tb_atom("alias"); tb_ref(NODE_B);
	tb_atom("yes");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_reply);
	tb_send_to(5);
	tb_tuple(2); tb_tuple(2); tb_ref(NODE_B); tb_atom(NODE_P);
	tb_tuple(0);
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(!m.pl_reply);
	tb_send_to(5);
	tb_tuple(2); tb_atom("io"); tb_atom("aaaa");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(!m.pl_reply);
	tb_send_to(5);
	tb_tuple(3); tb_ref(NODE_B); tb_atom("ok"); tb_atom("ok");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(!m.pl_reply);
	/* requests: gen_server call and cast, sys, forged signals */
	tb_send_to(5);
	tb_tuple(3); tb_atom("$gen_call"); tb_call_from(); tb_atom("stop");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	tb_send_to(5);
	tb_tuple(2); tb_atom("$gen_cast"); tb_atom("x");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	tb_send_to(5);
	tb_tuple(3); tb_atom("system"); tb_call_from(); tb_atom("suspend");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	tb_send_to(5);
	tb_tuple(3); tb_atom("EXIT"); tb_pid_n(NODE_B, 9); tb_atom("kill");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	/* rex's own request forms, by pid */
	tb_send_to(5);
	tb_tuple(2); tb_pid(NODE_P);
	tb_tuple(5); tb_atom("call"); tb_atom("os"); tb_atom("cmd"); tb_nil();
	tb_pid(NODE_P);
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	tb_send_to(5);
	tb_tuple(2); tb_pid(NODE_P);
	tb_tuple(3); tb_atom("send"); tb_atom("init"); tb_atom("stop");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	tb_send_to(5);
	tb_tuple(2); tb_pid(NODE_P); tb_tuple(2); tb_atom("call"); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(!m.pl_request);
	/* io: io:format's MFA is the io library's; os:cmd is not */
	tb_send_to(5);
	tb_tuple(4); tb_atom("io_request"); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(5); tb_atom("put_chars"); tb_atom("unicode");
	tb_atom("io_lib"); tb_atom("format"); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(!m.pl_request);
	tb_send_to(5);
	tb_tuple(4); tb_atom("io_request"); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(5); tb_atom("put_chars"); tb_atom("unicode");
	tb_atom("os"); tb_atom("cmd"); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	tb_send_to(5);
	tb_tuple(4); tb_atom("io_request"); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(4); tb_atom("put_chars"); tb_atom("os"); tb_atom("cmd");
	tb_nil();
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	tb_send_to(5);
	tb_tuple(4); tb_atom("io_request"); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(6); tb_atom("get_until"); tb_atom("unicode"); tb_nil();
	tb_atom("erl_scan"); tb_atom("tokens"); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(!m.pl_request);
	tb_send_to(5);
	tb_tuple(4); tb_atom("io_request"); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(2); tb_atom("requests"); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_request);
	tb_send_to(5);
	tb_tuple(4); tb_atom("io_request"); tb_pid(NODE_P); tb_ref(NODE_P);
	tb_tuple(3); tb_atom("put_chars"); tb_atom("unicode"); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(!m.pl_request);
	/* code anywhere */
	tb_send_to(5);
	tb_tuple(2); tb_atom("run"); tb_list(1); tb_fun(NODE_P); tb_nil();
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK(m.pl_fun);
	/* a 1 MiB reply: proven from its first bytes, no hold */
	tb_send_to(5);
	tb_tuple(2); tb_ref(NODE_B); tb_bin(1 << 20, 1);
	head = tb_len();
	CHECK_EQ(decode_x(DC_NEED_PIDSEND, head, head + (1 << 20), 0, &m), 0);
	CHECK(!m.pl_partial && !m.pl_fun && !m.pl_request);
	/* a large message whose end cannot be seen: held, then judged on
	 * its prefix */
	tb_send_to(5);
	tb_tuple(2); tb_bin(1 << 20, 1);
	head = tb_len();
	CHECK_EQ(decode_x(DC_NEED_PIDSEND, head, head + (1 << 20) + 50, 0,
	    &m), DG_AGAIN);
	CHECK_EQ(decode_x(DC_NEED_PIDSEND, head, head + (1 << 20) + 50, 1,
	    &m), 0);
	CHECK(m.pl_partial && !m.pl_request);
	/* a request head cut short counts as a request */
	tb_send_to(5);
	tb_tuple(4); tb_atom("io_request"); tb_bin(1 << 20, 1);
	head = tb_len();
	CHECK_EQ(decode_x(DC_NEED_PIDSEND, head, head + (1 << 20) + 50, 1,
	    &m), 0);
	CHECK(m.pl_request);
}

/* ---- disclose ---- */

/* What the node published through global, on any connection. */
static struct idset published;

/* Decodes tbuf as a message from the node and records what it shows. */
static void
note(struct idset *s)
{
	struct dist_msg m;
	const uint8_t *g = guard_copy(tbuf, tb_len());
	const char *why = NULL;

	CHECK_EQ(dist_ctl_decode(g, g + tb_len(), 0, &m, &why), 0);
	CHECK_EQ(disclose_note(s, &published, &m, g + tb_len(), g + tb_len(),
	    1, NODE_B), 0);
}

/* Is a send from the peer to the node's pid `id` to a disclosed pid? */
static int
send_ok(struct idset *s, uint32_t id, int old_encoding)
{
	struct dist_msg m;

	tb_reset();
	tb_tuple(3); tb_int(DOP_SEND_SENDER); tb_pid(NODE_P);
	if (old_encoding)
		tb_old_pid_n(NODE_B, id);
	else
		tb_pid_n(NODE_B, id);
	tb_atom("hello");
	CHECK_EQ(decode_all(0, &m), 0);
	return disclose_has(s, &published, &m);
}

static void
test_disclose(void)
{
	struct idset s;
	struct dist_msg m;
	int i;

	idset_init(&s, 0);
	idset_init(&published, 0);
	/* erpc:call from the node: its caller and group leader */
	tb_reset();
	tb_tuple(6); tb_int(DOP_SPAWN_REQUEST); tb_ref(NODE_B);
	tb_pid_n(NODE_B, 1); tb_pid_n(NODE_B, 2);
	tb_tuple(3); tb_atom("erpc"); tb_atom("execute_call"); tb_int(4);
	tb_nil();
	tb_list(4); tb_ref(NODE_B); tb_atom("m"); tb_atom("f"); tb_nil();
	tb_nil();
	note(&s);
	CHECK(send_ok(&s, 1, 0));
	CHECK(send_ok(&s, 2, 0));
	CHECK(!send_ok(&s, 3, 0));
	/* the same pid in the old encoding is the same process */
	CHECK(send_ok(&s, 1, 1));

	/* a REG_SEND's sender is never shown; pids in the payload are */
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 10); tb_atom("");
	tb_atom("rex");
	tb_tuple(2); tb_pid_n(NODE_B, 11); tb_atom("features_request");
	note(&s);
	CHECK(!send_ok(&s, 10, 0));
	CHECK(send_ok(&s, 11, 0));

	/* pids of other nodes are not this connection's business */
	tb_reset();
	tb_tuple(3); tb_int(DOP_SEND_SENDER); tb_pid_n(NODE_B, 20);
	tb_pid(NODE_P);
	tb_tuple(2); tb_pid_n("c@h", 21); tb_pid_n(NODE_B, 22);
	note(&s);
	CHECK(!send_ok(&s, 20, 0));
	CHECK(!send_ok(&s, 21, 0));
	CHECK(send_ok(&s, 22, 0));

	/* a gen_server call's alias, answered by ALIAS_SEND */
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 30); tb_atom("");
	tb_atom("svc");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid_n(NODE_B, 30);
	tb_list(1); tb_atom("alias"); tb_ref(NODE_B);
	tb_atom("hello");
	note(&s);
	tb_reset();
	tb_tuple(3); tb_int(DOP_ALIAS_SEND); tb_pid(NODE_P); tb_ref(NODE_B);
	tb_tuple(2); tb_ref(NODE_B); tb_atom("reply");
	CHECK_EQ(decode_all(0, &m), 0);
	CHECK(disclose_has(&s, &published, &m));
	CHECK(send_ok(&s, 30, 0));	/* the From in the payload */

	/* links and monitors show the process that makes them */
	tb_reset();
	tb_tuple(3); tb_int(DOP_LINK); tb_pid_n(NODE_B, 40); tb_pid(NODE_P);
	note(&s);
	tb_reset();
	tb_tuple(4); tb_int(DOP_MONITOR_P); tb_pid_n(NODE_B, 41);
	tb_pid(NODE_P); tb_ref(NODE_B);
	note(&s);
	CHECK(send_ok(&s, 40, 0));
	CHECK(send_ok(&s, 41, 0));
	/* a SPAWN_REPLY shows the new process */
	tb_reset();
	tb_tuple(5); tb_int(DOP_SPAWN_REPLY); tb_ref(NODE_P); tb_pid(NODE_P);
	tb_int(0); tb_pid_n(NODE_B, 50);
	note(&s);
	CHECK(send_ok(&s, 50, 0));

	/* What the node tells global_name_server is the cluster's: a
	 * connection where it was never said sees it too. */
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 60); tb_atom("");
	tb_atom("global_name_server");
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("exchange"); tb_atom(NODE_B);
	tb_list(1); tb_tuple(3); tb_atom("svc"); tb_pid_n(NODE_B, 61);
	tb_fun_of(NODE_B, "global", 3); tb_nil();
	tb_nil(); tb_int(7);
	note(&s);
	{
		struct idset other;

		idset_init(&other, 0);
		CHECK(send_ok(&other, 61, 0));
		CHECK(!send_ok(&other, 22, 0));	/* said on s only */
		CHECK(!send_ok(&other, 60, 0));	/* a sender */
		idset_free(&other);
	}

	/* global's own processes: the sender of a cast to a peer's
	 * global_name_server, the locker of init_connect, the requesters
	 * of global's own lock; a registered name's pid stays a plain one */
	CHECK_EQ(send_ok(&s, 61, 0), 1);
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 70); tb_atom("");
	tb_atom("global_name_server");
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(4); tb_atom("init_connect");
	tb_tuple(2); tb_int(6); tb_int(9); tb_atom(NODE_B);
	tb_tuple(4); tb_atom("locker"); tb_atom("no_longer_a_pid");
	tb_nil(); tb_pid_n(NODE_B, 71);
	note(&s);
	tb_reset();
	tb_tuple(3); tb_int(DOP_MONITOR_P); tb_pid_n(NODE_B, 70);
	tb_pid(NODE_P);
	tb_reset();
	tb_tuple(4); tb_int(DOP_MONITOR_P); tb_pid_n(NODE_B, 70);
	tb_pid(NODE_P); tb_ref(NODE_B);
	note(&s);			/* global_name_server monitors */
	CHECK_EQ(send_ok(&s, 70, 0), DISCLOSED_GLOBAL);
	CHECK_EQ(send_ok(&s, 71, 0), DISCLOSED_GLOBAL);
	CHECK_EQ(send_ok(&s, 71, 1), DISCLOSED_GLOBAL);
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 72); tb_atom("");
	tb_atom("global_name_server");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid_n(NODE_B, 72);
	tb_tuple(2); tb_ref(NODE_B); tb_atom(NODE_P);
	tb_tuple(2); tb_atom("set_lock");
	tb_tuple(2); tb_atom("global"); tb_pid_n(NODE_B, 72);
	note(&s);
	CHECK_EQ(send_ok(&s, 72, 0), DISCLOSED_GLOBAL);
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 73); tb_atom("");
	tb_atom("global_name_server");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid_n(NODE_B, 73);
	tb_tuple(2); tb_ref(NODE_B); tb_atom(NODE_P);
	tb_tuple(2); tb_atom("set_lock");
	tb_tuple(2); tb_atom("global"); tb_list(2); tb_pid_n(NODE_B, 74);
	tb_pid(NODE_P); tb_nil();
	note(&s);
	CHECK_EQ(send_ok(&s, 73, 0), 1);	/* not in the lock id */
	CHECK_EQ(send_ok(&s, 74, 0), DISCLOSED_GLOBAL);
	/* any process may lock another resource: its caller stays plain */
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 75); tb_atom("");
	tb_atom("global_name_server");
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid_n(NODE_B, 75);
	tb_tuple(2); tb_ref(NODE_B); tb_atom(NODE_P);
	tb_tuple(2); tb_atom("set_lock");
	tb_tuple(2); tb_atom("res"); tb_pid_n(NODE_B, 75);
	note(&s);
	CHECK_EQ(send_ok(&s, 75, 0), 1);
	CHECK_EQ(send_ok(&s, 61, 0), 1);

	/* 200 guessed pids: none */
	for (i = 100; i < 300; i++)
		CHECK(!send_ok(&s, (uint32_t)i, 0));
	idset_free(&s);
	idset_free(&published);
}

/* ---- group leaders handed to the peer (issue 18 item 6) ---- */

/* What disclose_has says of an io request (or, with io 0, a plain
 * message) from the peer to the node's pid `id`. */
static int
io_to(struct idset *s, uint32_t id, int io)
{
	struct dist_msg m;

	tb_send_to(id);
	if (io) {
		tb_tuple(4); tb_atom("io_request"); tb_pid(NODE_P);
		tb_ref(NODE_P);
		tb_tuple(3); tb_atom("put_chars"); tb_atom("unicode"); tb_nil();
	} else
		tb_atom("hello");
	CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
	CHECK_EQ(m.behav, io ? DG_PROTO_IO : 0u);
	return disclose_has(s, &published, &m);
}

/* {6, From, '', Name} from the node, its payload a gen_server call
 * {'$gen_call', {From, Ref}, ...} up to the request tuple. */
static void
tb_call_to(const char *name, uint32_t from)
{
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, from); tb_atom("");
	tb_atom(name);
	tb_tuple(3); tb_atom("$gen_call");
	tb_tuple(2); tb_pid_n(NODE_B, from); tb_ref(NODE_B);
}

/* M, F, [Arg] with Arg a pid of the node (shown, never a leader). */
static void
tb_mfa(uint32_t arg)
{
	tb_atom("io"); tb_atom("format"); tb_list(1); tb_pid_n(NODE_B, arg);
	tb_nil();
}

static void
test_leaders(void)
{
	struct idset s;
	size_t head;

	idset_init(&s, 0);
	idset_init(&published, 0);
	/* SPAWN_REQUEST (erpc, spawn/4, rpc): its group leader, not its
	 * caller */
	tb_reset();
	tb_tuple(6); tb_int(DOP_SPAWN_REQUEST); tb_ref(NODE_B);
	tb_pid_n(NODE_B, 1); tb_pid_n(NODE_B, 2);
	tb_tuple(3); tb_atom("io"); tb_atom("format"); tb_int(1);
	tb_nil();
	tb_list(1); tb_atom("hi"); tb_nil();
	note(&s);
	CHECK_EQ(io_to(&s, 2, 1), 1 | DISCLOSED_LEADER);
	CHECK_EQ(io_to(&s, 1, 1), 1);
	CHECK_EQ(io_to(&s, 2, 0), 1);	/* asked only for io */
	/* file_io_server's {file_request, From, ReplyAs, Req} is io too */
	{
		struct dist_msg m;

		tb_send_to(1);
		tb_tuple(4); tb_atom("file_request"); tb_pid(NODE_P);
		tb_ref(NODE_P); tb_atom("close");
		CHECK_EQ(decode_all(DC_NEED_PIDSEND, &m), 0);
		CHECK_EQ(m.behav, DG_PROTO_IO);
		CHECK_EQ(disclose_has(&s, &published, &m), 1);
	}
	CHECK_EQ(io_to(&s, 3, 1), 0);
	/* the _TT form */
	tb_reset();
	tb_tuple(7); tb_int(DOP_SPAWN_REQUEST_TT); tb_ref(NODE_B);
	tb_pid_n(NODE_B, 4); tb_pid_n(NODE_B, 5);
	tb_tuple(3); tb_atom("io"); tb_atom("format"); tb_int(1);
	tb_nil(); tb_atom("token");
	tb_list(1); tb_atom("hi"); tb_nil();
	note(&s);
	CHECK_EQ(io_to(&s, 5, 1), 1 | DISCLOSED_LEADER);
	/* GROUP_LEADER {7, FromPid, ToPid}: FromPid leads */
	tb_reset();
	tb_tuple(3); tb_int(DOP_GROUP_LEADER); tb_pid_n(NODE_B, 6);
	tb_pid(NODE_P);
	note(&s);
	CHECK_EQ(io_to(&s, 6, 1), 1 | DISCLOSED_LEADER);
	/* a leader of another node is not this node's to hand out */
	tb_reset();
	tb_tuple(6); tb_int(DOP_SPAWN_REQUEST); tb_ref(NODE_B);
	tb_pid_n(NODE_B, 7); tb_pid_n("c@h", 8);
	tb_tuple(3); tb_atom("m"); tb_atom("f"); tb_int(0);
	tb_nil(); tb_nil();
	note(&s);
	CHECK_EQ(io_to(&s, 8, 1), 0);

	/* rex: {call | block_call, M, F, A, GL}; the pids in A are shown,
	 * never leaders */
	tb_call_to("rex", 10);
	tb_tuple(5); tb_atom("call"); tb_mfa(11); tb_pid_n(NODE_B, 12);
	note(&s);
	CHECK_EQ(io_to(&s, 12, 1), 1 | DISCLOSED_LEADER);
	CHECK_EQ(io_to(&s, 11, 1), 1);
	CHECK_EQ(io_to(&s, 10, 1), 1);
	tb_call_to("rex", 13);
	tb_tuple(5); tb_atom("block_call"); tb_mfa(13);
	tb_pid_n(NODE_B, 14);
	note(&s);
	CHECK_EQ(io_to(&s, 14, 1), 1 | DISCLOSED_LEADER);
	/* {'$gen_cast', {cast, M, F, A, GL}} */
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 15); tb_atom("");
	tb_atom("rex");
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("cast"); tb_mfa(15); tb_pid_n(NODE_B, 16);
	note(&s);
	CHECK_EQ(io_to(&s, 16, 1), 1 | DISCLOSED_LEADER);
	/* {From, {call, M, F, A, GL}} */
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 17); tb_atom("");
	tb_atom("rex");
	tb_tuple(2); tb_pid_n(NODE_B, 17);
	tb_tuple(5); tb_atom("call"); tb_mfa(17); tb_pid_n(NODE_B, 18);
	note(&s);
	CHECK_EQ(io_to(&s, 18, 1), 1 | DISCLOSED_LEADER);
	/* not rex's: a cast's call, a call's cast, a relay, the wrong
	 * arity, another name */
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid_n(NODE_B, 19); tb_atom("");
	tb_atom("rex");
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("call"); tb_mfa(19); tb_pid_n(NODE_B, 20);
	note(&s);
	CHECK_EQ(io_to(&s, 20, 1), 1);
	tb_call_to("rex", 21);
	tb_tuple(5); tb_atom("cast"); tb_mfa(21); tb_pid_n(NODE_B, 22);
	note(&s);
	CHECK_EQ(io_to(&s, 22, 1), 1);
	tb_call_to("rex", 23);
	tb_tuple(6); tb_atom("call"); tb_mfa(23); tb_pid_n(NODE_B, 24);
	tb_pid_n(NODE_B, 25);
	note(&s);
	CHECK_EQ(io_to(&s, 24, 1), 1);
	CHECK_EQ(io_to(&s, 25, 1), 1);
	tb_call_to("svc", 26);
	tb_tuple(5); tb_atom("call"); tb_mfa(26); tb_pid_n(NODE_B, 27);
	note(&s);
	CHECK_EQ(io_to(&s, 27, 1), 1);
	tb_call_to("net_kernel", 28);
	tb_tuple(5); tb_atom("call"); tb_mfa(28); tb_pid_n(NODE_B, 29);
	note(&s);
	CHECK_EQ(io_to(&s, 29, 1), 1);

	/* net_kernel: {spawn | spawn_link, M, F, A, GL}, {spawn_opt, M, F,
	 * A, Opts, Link, GL} */
	tb_call_to("net_kernel", 30);
	tb_tuple(5); tb_atom("spawn"); tb_mfa(30); tb_pid_n(NODE_B, 31);
	note(&s);
	CHECK_EQ(io_to(&s, 31, 1), 1 | DISCLOSED_LEADER);
	tb_call_to("net_kernel", 32);
	tb_tuple(5); tb_atom("spawn_link"); tb_mfa(32);
	tb_pid_n(NODE_B, 33);
	note(&s);
	CHECK_EQ(io_to(&s, 33, 1), 1 | DISCLOSED_LEADER);
	tb_call_to("net_kernel", 34);
	tb_tuple(7); tb_atom("spawn_opt"); tb_mfa(34);
	tb_list(1); tb_pid_n(NODE_B, 35); tb_nil(); tb_atom("no_link");
	tb_pid_n(NODE_B, 36);
	note(&s);
	CHECK_EQ(io_to(&s, 36, 1), 1 | DISCLOSED_LEADER);
	CHECK_EQ(io_to(&s, 35, 1), 1);
	tb_call_to("net_kernel", 37);
	tb_tuple(5); tb_atom("spawn_opt"); tb_mfa(37);
	tb_pid_n(NODE_B, 38);
	note(&s);
	CHECK_EQ(io_to(&s, 38, 1), 1);

	/* a request whose end is not seen tags nothing: io to its leader
	 * is refused, never wrongly admitted */
	tb_call_to("rex", 40);
	tb_tuple(5); tb_atom("call"); tb_atom("io"); tb_atom("format");
	tb_list(1); tb_pid_n(NODE_B, 41); tb_nil(); tb_pid_n(NODE_B, 41);
	head = tb_len() - 4;		/* cut inside the leader */
	{
		struct dist_msg m;
		const uint8_t *g = guard_copy(tbuf, head);
		const char *why = NULL;

		CHECK_EQ(dist_ctl_decode(g, g + head, 0, &m, &why), 0);
		CHECK_EQ(disclose_note(&s, &published, &m, g + head, g + head,
		    1, NODE_B), 0);
	}
	CHECK_EQ(io_to(&s, 41, 1), 1);	/* shown in A, not tagged */
	/* ... and one whose whole term is in tags it */
	tb_call_to("rex", 40);
	tb_tuple(5); tb_atom("call"); tb_atom("io"); tb_atom("format");
	tb_list(1); tb_pid_n(NODE_B, 41); tb_nil(); tb_pid_n(NODE_B, 41);
	note(&s);
	CHECK_EQ(io_to(&s, 41, 1), 1 | DISCLOSED_LEADER);
	/* the tags are this connection's */
	{
		struct idset other;

		idset_init(&other, 0);
		CHECK_EQ(io_to(&other, 2, 1), 0);
		idset_free(&other);
	}
	idset_free(&s);
	idset_free(&published);
}

/* global's sync: one exchange per Tag on a connection (proxy/guard.c) */
static void
tb_exchange(int64_t tag)
{
	tb_reset();
	tb_tuple(4); tb_int(DOP_REG_SEND); tb_pid(NODE_P); tb_atom("");
	tb_atom("global_name_server");
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(5); tb_atom("exchange"); tb_atom(NODE_P); tb_nil(); tb_nil();
	tb_int(tag);
}

static void
test_exchange_once(void)
{
	struct guard g;
	struct dist_msg m;

	memset(&g, 0, sizeof(g));
	idset_init(&g.disclosed, 0);
	idset_init(&g.synced, 0);
	tb_exchange(7);
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok);
	CHECK_EQ(global_exchange_repeated(&g, &m), 0);
	CHECK_EQ(global_exchange_repeated(&g, &m), 1);	/* the same Tag */
	tb_exchange(8);					/* a new sync */
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK_EQ(global_exchange_repeated(&g, &m), 0);
	/* other messages of global are not counted */
	tb_to_global();
	tb_tuple(2); tb_atom("$gen_cast");
	tb_tuple(3); tb_atom("in_sync"); tb_atom(NODE_P); tb_atom("true");
	CHECK_EQ(decode_all(DC_NEED_GLOBAL, &m), 0);
	CHECK(m.global_ok);
	CHECK_EQ(global_exchange_repeated(&g, &m), 0);
	CHECK_EQ(global_exchange_repeated(&g, &m), 0);
	idset_free(&g.disclosed);
	idset_free(&g.synced);
}

int
main(void)
{
	RUN(test_exchange_once);
	RUN(test_idset_basics);
	RUN(test_idset_bound);
	RUN(test_idset_churn);
	RUN(test_walk_tail);
	RUN(test_global_casts);
	RUN(test_global_calls);
	RUN(test_global_infos);
	RUN(test_pid_sends);
	RUN(test_disclose);
	RUN(test_leaders);
	return TEST_DONE();
}
