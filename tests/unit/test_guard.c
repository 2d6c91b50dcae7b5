/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_guard.c - the deeper filtering of docs/FILTER.md 11-15: the
 * payload walk's atoms and its last-leaf cut (filter/term.c), the code
 * guard's facts and where a fun sat (filter/dist_ctl.c), the guard,
 * funs and disclosed rules and the atom budget's resolution
 * (filter/rules.c), the spawn handler's rewrite (filter/rewrite.c), the
 * check warnings (filter/rules_check.c) and literal terms
 * (filter/term_lit.c).  Input always ends at a guard page.
 */
#include <stdio.h>
#include <string.h>

#include <ei.h>

#include "conf/conf.h"
#include "dg_test.h"
#include "term_build.h"
#include "dist_ctl.h"
#include "rewrite.h"
#include "rules.h"
#include "term.h"
#include "term_lit.h"

#define PEER	"p@h"

/* ---- the walk ---------------------------------------------------------- */

struct tally {
	int	atoms, funs, ids;
};

static void
tally(void *arg, const uint8_t *t)
{
	struct tally *c = arg;

	if (t[0] == 112 || t[0] == 113)
		c->funs++;
	else if (t[0] == 100 || t[0] == 115 || t[0] == 118 || t[0] == 119)
		c->atoms++;
	else
		c->ids++;
}

static void
test_walk_atoms(void)
{
	struct tally c = { 0, 0, 0 };
	struct term_visit v = { TV_ATOMS, tally, &c, NULL };
	const uint8_t *p;
	const char *why;
	int n;

	/* {a, Pid, fun m:f/1, [b], Ref, Fun}: a, pid's node, m, f, b,
	 * ref's node, the fun's module, its pid's node = 8 */
	tb_reset();
	tb_tuple(6);
	tb_atom("a");
	tb_pid(PEER);
	tb_export("m", "f", 1);
	tb_list(1);
	tb_atom("b");
	tb_nil();
	tb_ref(PEER);
	tb_fun(PEER);
	p = guard_copy(tbuf, tb_len());
	n = term_walk(p, p + tb_len(), p + tb_len(), &v, &why);
	CHECK_EQ(n, (int)tb_len());
	CHECK_EQ(c.atoms, 8);
	CHECK_EQ(c.funs, 0);	/* not asked for */
	memset(&c, 0, sizeof(c));
	v.mask = TV_FUNS | TV_ATOMS;
	n = term_walk(p, p + tb_len(), p + tb_len(), &v, &why);
	CHECK_EQ(c.funs, 2);
	CHECK_EQ(c.atoms, 8);
}

static void
test_walk_tail_cut(void)
{
	struct tally c = { 0, 0, 0 };
	int cut = 0;
	struct term_visit v = { TV_ATOMS, tally, &c, &cut };
	const uint8_t *p;
	const char *why;
	size_t len;
	int n;

	/* {a, <<100000 bytes>>} whose first 1000 bytes are here, and the
	 * frame (a first fragment) ends there too: only the body is cut */
	tb_reset();
	tb_tuple(2);
	tb_atom("a");
	tb_bin(100000, 1);
	len = tb_len() + 900;
	p = guard_copy(tbuf, len);
	n = term_walk(p, p + len, p + len, &v, &why);
	CHECK_EQ(n, DG_AGAIN);
	CHECK_EQ(cut, 1);
	CHECK_EQ(c.atoms, 1);

	/* {<<100000 bytes>>, a}: something follows the binary, unseen */
	cut = 0;
	tb_reset();
	tb_tuple(2);
	tb_bin(100000, 1);
	len = tb_len() + 900;
	p = guard_copy(tbuf, len);
	n = term_walk(p, p + len, p + len, &v, &why);
	CHECK_EQ(n, DG_AGAIN);
	CHECK_EQ(cut, 0);

	/* a cut inside structure is not a tail cut */
	cut = 0;
	tb_reset();
	tb_tuple(2);
	tb_atom("a");
	tb_atom("bbbb");
	p = guard_copy(tbuf, tb_len() - 2);
	n = term_walk(p, p + tb_len() - 2, p + tb_len() - 2, &v, &why);
	CHECK_EQ(n, DG_AGAIN);
	CHECK_EQ(cut, 0);
}

/* ---- frames ------------------------------------------------------------ */

static uint8_t	frame[1 << 16];
static size_t	frame_len;

/* A pass-through frame: u32 Len, 112, 131 Ctl, 131 Payload; the terms in
 * tbuf[ctl_at..] as written by the caller after tb_frame_start(). */
static void
frame_start(void)
{
	tb_reset();
	wr_u32(&w, 0);
	wr_u8(&w, 112);
	wr_u8(&w, 131);
}

static const uint8_t *
frame_end(void)
{
	put_u32(tbuf, (uint32_t)(tb_len() - 4));
	frame_len = tb_len();
	memcpy(frame, tbuf, frame_len);
	return guard_copy(frame, frame_len);
}

/* SPAWN_REQUEST {29, Ref, From, GL, {M, F, N}, []} */
static void
spawn_ctl(const char *m, const char *f, int n)
{
	tb_tuple(6);
	tb_int(29);
	tb_ref(PEER);
	tb_pid(PEER);
	tb_pid(PEER);
	tb_tuple(3);
	tb_atom(m);
	tb_atom(f);
	tb_int(n);
	tb_nil();
	wr_u8(&w, 131);
}

static int
decode(const uint8_t *fr, struct dist_msg *m, unsigned need)
{
	struct dc_opts o = { need, fr + frame_len, 1, NULL, NULL };
	const char *why = NULL;

	return dist_ctl_decode_x(fr + 5, fr + frame_len, 1, &o, m, &why);
}

/* erpc:call(N, lists, map, [Fun, [1]]) */
static const uint8_t *
erpc_map_with_fun(void)
{
	frame_start();
	spawn_ctl("erpc", "execute_call", 4);
	tb_list(4);
	tb_ref(PEER);
	tb_atom("lists");
	tb_atom("map");
	tb_list(2);
	tb_fun(PEER);
	tb_list(1);
	tb_int(1);
	tb_nil();
	tb_nil();
	tb_nil();
	return frame_end();
}

static void
test_fun_where(void)
{
	struct dist_msg m;
	char where[256];
	const uint8_t *fr;

	fr = erpc_map_with_fun();
	CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
	CHECK_EQ(m.via, VIA_ERPC);
	CHECK(m.pl_fun);
	CHECK_EQ(m.pl_state, PL_PROVEN);
	dist_fun_where(&m, where, sizeof(where));
	CHECK(strcmp(where, "argument 1 of lists:map/2 (erpc)") == 0);

	/* without DC_NEED_FUNS the payload is not walked */
	CHECK_EQ(decode(fr, &m, 0), 0);
	CHECK(!m.pl_fun);
	CHECK_EQ(m.pl_state, PL_NONE);

	/* a plain spawn: argument 2 */
	frame_start();
	spawn_ctl("lists", "foldl", 3);
	tb_list(3);
	tb_int(0);
	tb_export("os", "cmd", 1);
	tb_nil();
	tb_nil();
	fr = frame_end();
	CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
	dist_fun_where(&m, where, sizeof(where));
	CHECK(strcmp(where, "argument 2 of lists:foldl/3 (spawn)") == 0);

	/* a REG_SEND: {6, From, '', gateway} {self(), Fun} */
	frame_start();
	tb_tuple(4);
	tb_int(6);
	tb_pid(PEER);
	tb_atom("");
	tb_atom("gateway");
	wr_u8(&w, 131);
	tb_tuple(2);
	tb_pid(PEER);
	tb_fun(PEER);
	fr = frame_end();
	CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
	CHECK(m.pl_fun);
	dist_fun_where(&m, where, sizeof(where));
	CHECK(strcmp(where, "the payload of a send to gateway (a fun of erl_eval)") == 0);
}

/* ---- rules ------------------------------------------------------------- */

static struct dg_conf conf;

static void
one_peer(struct dg_rule *rules, int n, int64_t atoms)
{
	static struct dg_peer p;

	memset(&conf, 0, sizeof(conf));
	conf.path = "<test>";
	conf.max_atoms = 10000;
	memset(&p, 0, sizeof(p));
	p.pattern = "p@*";
	p.rules.rules = rules;
	p.rules.nrules = n;
	p.atoms = atoms;
	p.line = 1;
	conf.top.peers = &p;
	conf.top.npeers = 1;
}

static void
test_code_guard(void)
{
	struct dg_mfa map = { "lists", "map", 2 };
	struct dg_rule rules[2] = {
		{ .kind = DG_R_MFAS, .action = DG_ALLOW,
		  .type = DG_T_SPAWN_REQUEST, .mfas = &map, .nmfas = 1,
		  .line = 2 },
		{ .kind = DG_R_FUNS, .action = DG_ALLOW, .mfas = &map,
		  .nmfas = 1, .line = 3 },
	};
	struct rules_policy pol;
	struct rules_verdict v;
	struct dist_msg m;
	const uint8_t *fr = erpc_map_with_fun();

	one_peer(rules, 1, 0);
	CHECK(rules_resolve(&conf, NULL, "p@h", &pol));
	CHECK(pol.needs & DC_NEED_FUNS);
	CHECK_EQ(pol.atoms, 10000);
	CHECK(pol.needs & DC_NEED_ATOMS);
	CHECK_EQ(decode(fr, &m, pol.needs), 0);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	CHECK_EQ(v.code, 1);
	CHECK(v.reason != NULL && strcmp(v.reason, "carries a fun") == 0);

	/* {allow, funs, [{lists, map, 2}]} lets it through */
	one_peer(rules, 2, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_ALLOW);
	CHECK_EQ(v.code, 0);

	/* a payload that is not a valid term is refused while a budget
	 * runs (its atoms cannot be counted) */
	m.pl_fun = 0;
	m.pl_fun_at = NULL;
	m.pl_state = PL_BAD;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	CHECK_EQ(v.code, 0);
	/* and let through with funs allowed and no budget */
	one_peer(rules, 2, -1);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	CHECK_EQ(pol.atoms, 0);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_ALLOW);
	/* one judged on its first bytes passes on them: the relay walks
	 * the rest (funs and atoms) before its end reaches the node */
	one_peer(rules, 2, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	m.pl_state = PL_PREFIX;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_ALLOW);
}

static void
test_allow_all_exempt(void)
{
	struct dg_rule all = { .kind = DG_R_ALLOW_ALL, .action = DG_ALLOW,
	    .line = 2 };
	struct rules_policy pol;
	struct rules_verdict v;
	struct dist_msg m;
	const uint8_t *fr = erpc_map_with_fun();

	one_peer(&all, 1, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	CHECK_EQ(pol.atoms, 0);
	CHECK(!(pol.needs & (DC_NEED_FUNS | DC_NEED_ATOMS)));
	CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_ALLOW);	/* allow_all: code passes */
	/* a budget set for it applies */
	one_peer(&all, 1, 500);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	CHECK_EQ(pol.atoms, 500);
	CHECK(pol.needs & DC_NEED_ATOMS);
}

static void
test_disclosed_rule(void)
{
	struct dg_rule r = { .kind = DG_R_TYPE, .action = DG_ALLOW,
	    .type = DG_T_SEND, .disclosed = 1, .line = 2 };
	struct rules_policy pol;
	struct rules_verdict v;
	struct dist_msg m;
	char buf[64];
	const char *why;

	one_peer(&r, 1, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	CHECK(pol.needs & DC_NEED_IDS);
	CHECK_EQ(rules_dryrun_msg(&m, "send", NULL, buf, sizeof(buf), &why), 0);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	CHECK(v.reason != NULL && strcmp(v.reason, "undisclosed") == 0);
	m.disclosed = 1;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_ALLOW);
	CHECK(strcmp(v.what, "{allow, send, disclosed}") == 0);
	/* a monitor by name is not its business */
	CHECK_EQ(rules_dryrun_msg(&m, "monitor", "foo", buf, sizeof(buf), &why),
	    0);
	m.disclosed = 1;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	CHECK(v.reason == NULL);
}

/* SEND {2, '', ToPid} with {Tag, ReplyAs, {ok, Fun of mod1[, Fun of mod2]}} */
static const uint8_t *
io_reply_with_funs(const char *tag, const char *mod1, const char *mod2)
{
	frame_start();
	tb_tuple(3);
	tb_int(2);
	tb_atom("");
	tb_pid("b@h");
	wr_u8(&w, 131);
	tb_tuple(3);
	tb_atom(tag);
	tb_ref("b@h");
	tb_tuple(mod2 != NULL ? 3 : 2);
	tb_atom("ok");
	tb_fun_of(PEER, mod1, 1);
	if (mod2 != NULL)
		tb_export(mod2, "f", 1);
	return frame_end();
}

/* {allow, funs, [{io_reply, Module}]} (docs/FILTER.md 21): funs of that
 * module in an io reply to a disclosed pid, under replies; nothing else. */
static void
test_io_reply_funs(void)
{
	static char *mods[] = { "Elixir.IEx.Evaluator" };
	struct dg_rule rules[2] = {
		{ .kind = DG_R_PROFILE, .action = DG_ALLOW,
		  .profile = DG_PROFILE_REPLIES, .line = 2 },
		{ .kind = DG_R_FUNS, .action = DG_ALLOW, .io_mods = mods,
		  .nio_mods = 1, .line = 3 },
	};
	struct rules_policy pol;
	struct rules_verdict v;
	struct dist_msg m;
	const uint8_t *fr;

	/* replies alone: the fun is refused */
	one_peer(rules, 1, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	fr = io_reply_with_funs("io_reply", mods[0], NULL);
	CHECK_EQ(decode(fr, &m, pol.needs), 0);
	m.disclosed = 1;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	CHECK_EQ(v.code, 1);

	/* with the io_reply target: allowed, and the funs rule alone is not
	 * a funs-everywhere rule */
	one_peer(rules, 2, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	CHECK(pol.needs & DC_NEED_FUNS);
	CHECK(pol.needs & DC_NEED_PIDSEND);
	CHECK_EQ(decode(fr, &m, pol.needs), 0);
	CHECK_EQ(m.pl_io_reply, 1);
	CHECK(term_span_eq(m.pl_fun_mod, "Elixir.IEx.Evaluator"));
	m.disclosed = 1;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_ALLOW);
	CHECK_EQ(rules_funs_allowed(&pol, &m), 1);
	/* to a pid the node never disclosed: refused */
	m.disclosed = 0;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	/* a fun of another module: refused */
	fr = io_reply_with_funs("io_reply", "erl_eval", NULL);
	CHECK_EQ(decode(fr, &m, pol.needs), 0);
	m.disclosed = 1;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	CHECK_EQ(v.code, 1);
	/* the right module, with a second fun of another: refused */
	fr = io_reply_with_funs("io_reply", mods[0], "os");
	CHECK_EQ(decode(fr, &m, pol.needs), 0);
	CHECK_EQ(m.pl_fun_mixed, 1);
	m.disclosed = 1;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	/* not an io reply: refused */
	fr = io_reply_with_funs("io_request", mods[0], NULL);
	CHECK_EQ(decode(fr, &m, pol.needs), 0);
	CHECK_EQ(m.pl_io_reply, 0);
	m.disclosed = 1;
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	/* and a spawn carrying a fun of that module is no io reply */
	fr = erpc_map_with_fun();
	CHECK_EQ(decode(fr, &m, pol.needs), 0);
	CHECK_EQ(rules_funs_allowed(&pol, &m), 0);
}

/* A payload judged on its first bytes (past the window, or streaming):
 * a profile's reply and a type rule's send both pass on them, the relay
 * walking the rest; a fun in those bytes is denied under both. */
static void
test_prefix(void)
{
	struct dg_rule prof = { .kind = DG_R_PROFILE, .action = DG_ALLOW,
	    .profile = DG_PROFILE_REPLIES, .line = 2 };
	struct dg_rule type = { .kind = DG_R_TYPE, .action = DG_ALLOW,
	    .type = DG_T_SEND, .line = 2 };
	struct rules_policy pol;
	struct rules_verdict v;
	struct dist_msg m;
	char buf[64];
	const char *why;

	CHECK_EQ(rules_dryrun_msg(&m, "send", NULL, buf, sizeof(buf), &why), 0);
	m.disclosed = 1;
	m.pl_state = PL_PREFIX;
	m.pl_partial = 1;
	one_peer(&prof, 1, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_ALLOW);
	one_peer(&type, 1, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_ALLOW);
	/* a fun in the head is denied under both */
	m.pl_fun = 1;
	one_peer(&prof, 1, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	CHECK_EQ(v.code, 1);
	one_peer(&type, 1, 0);
	(void)rules_resolve(&conf, NULL, "p@h", &pol);
	rules_decide(&pol, &m, &v);
	CHECK_EQ(v.action, DG_DENY);
	CHECK_EQ(v.code, 1);
}

/* ---- the rewrite ------------------------------------------------------- */

static void
check_handler_args(const uint8_t *q, const char *m, const char *f)
{
	struct dg_span t;
	uint32_t n;
	int s;

	CHECK_EQ(term_list(&q, &n, &s), 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(term_atom(&q, &t), 0);
	CHECK(term_span_eq(t, PEER));
	CHECK_EQ(term_atom(&q, &t), 0);
	CHECK(term_span_eq(t, m));
	CHECK_EQ(term_atom(&q, &t), 0);
	CHECK(term_span_eq(t, f));
}

static void
test_rewrite_spawn(void)
{
	static uint8_t out[REWRITE_MAX];
	struct dist_msg m, r;
	const uint8_t *fr, *q;
	const char *why = NULL;
	int n;

	frame_start();
	spawn_ctl("lists", "reverse", 1);
	tb_list(1);
	tb_list(2);
	tb_int(1);
	tb_int(2);
	tb_nil();
	tb_nil();
	fr = frame_end();
	CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
	n = rewrite_spawn(&m, fr, frame_len, 5, 1, "hmod", PEER, out,
	    sizeof(out), &why);
	CHECK(n > 0);
	if (n <= 0)
		return;
	CHECK_EQ(get_u32(out), (uint32_t)n - 4);
	q = guard_copy(out, (size_t)n);
	frame_len = (size_t)n;
	CHECK_EQ(decode(q, &r, DC_NEED_FUNS), 0);
	CHECK(term_span_eq(r.exec_m, "hmod"));
	CHECK(term_span_eq(r.exec_f, "dist_spawn_init"));
	CHECK_EQ(r.exec_arity, 4);
	CHECK(r.t_reqid.len == m.t_reqid.len &&
	    memcmp(r.t_reqid.p, m.t_reqid.p, m.t_reqid.len) == 0);
	check_handler_args(r.payload, "lists", "reverse");
	CHECK_EQ(term_scan(r.payload, q + n, &why), (int)(q + n - r.payload));

	/* too small a buffer: refused, not overrun */
	CHECK_EQ(rewrite_spawn(&m, fr, 4 + get_u32(fr), 5, 1, "hmod", PEER,
	    out, 40, &why), -1);
}

static void
test_rewrite_erpc(void)
{
	static uint8_t out[REWRITE_MAX];
	struct dist_msg m, r;
	const uint8_t *fr, *q;
	const char *why = NULL;
	uint32_t len;
	int n, s;

	/* erpc:call(N, erlang, node, []) */
	frame_start();
	spawn_ctl("erpc", "execute_call", 4);
	tb_list(4);
	tb_ref(PEER);
	tb_atom("erlang");
	tb_atom("node");
	tb_nil();
	tb_nil();
	fr = frame_end();
	CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
	n = rewrite_spawn(&m, fr, frame_len, 5, 1, "hmod", PEER, out,
	    sizeof(out), &why);
	CHECK(n > 0);
	if (n <= 0)
		return;
	q = guard_copy(out, (size_t)n);
	frame_len = (size_t)n;
	CHECK_EQ(decode(q, &r, DC_NEED_FUNS), 0);
	/* still erpc's wrapper, now around the handler */
	CHECK_EQ(r.via, VIA_ERPC);
	CHECK(term_span_eq(r.exec_m, "hmod"));
	CHECK(term_span_eq(r.exec_f, "dist_spawn_init"));
	CHECK_EQ(r.exec_arity, 4);
	check_handler_args(r.x_args, "erlang", "node");
	q = r.payload;
	CHECK_EQ(term_list(&q, &len, &s), 0);
	CHECK_EQ(len, 4);	/* [Ref, hmod, dist_spawn_init, Args] */

	/* rex: {'$gen_call', {Pid, Ref}, {call, lists, reverse, [[1]], GL}} */
	frame_start();
	tb_tuple(4);
	tb_int(6);
	tb_pid(PEER);
	tb_atom("");
	tb_atom("rex");
	wr_u8(&w, 131);
	tb_tuple(3);
	tb_atom("$gen_call");
	tb_tuple(2);
	tb_pid(PEER);
	tb_ref(PEER);
	tb_tuple(5);
	tb_atom("call");
	tb_atom("lists");
	tb_atom("reverse");
	tb_list(1);
	tb_list(1);
	tb_int(1);
	tb_nil();
	tb_nil();
	tb_pid(PEER);
	fr = frame_end();
	CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
	CHECK_EQ(m.via, VIA_REX);
	n = rewrite_spawn(&m, fr, frame_len, 5, 1, "hmod", PEER, out,
	    sizeof(out), &why);
	CHECK(n > 0);
	if (n <= 0)
		return;
	q = guard_copy(out, (size_t)n);
	frame_len = (size_t)n;
	CHECK_EQ(decode(q, &r, DC_NEED_FUNS), 0);
	CHECK_EQ(r.via, VIA_REX);
	CHECK(term_span_eq(r.exec_m, "hmod"));
	CHECK(term_span_eq(r.exec_f, "dist_spawn_init"));
	CHECK_EQ(r.exec_arity, 4);
	check_handler_args(r.x_args, "lists", "reverse");
	CHECK_EQ(r.pl_state, PL_PROVEN);
}

/* ---- the message handlers' rewrite (docs/FILTER.md 26) ----------------- */

/* A message of op `op` from PEER: its control tuple, then (but for
 * GROUP_LEADER) the payload {hello, [1, 2]}. */
static const uint8_t *
msg_frame(int op)
{
	int tt = op == 16 || op == 23 || op == 34;

	frame_start();
	tb_tuple(op == 6 ? 4 : op == 16 ? 5 : tt ? 4 : 3);
	tb_int(op);
	tb_pid(PEER);
	if (op == 6 || op == 16) {
		tb_atom("");
		tb_atom("gateway");
	} else if (op == 33 || op == 34)
		tb_ref("b@h");
	else
		tb_pid("b@h");
	if (tt)
		tb_atom("token");
	if (op != 7) {
		wr_u8(&w, 131);
		tb_tuple(2);
		tb_atom("hello");
		tb_list(2);
		tb_int(1);
		tb_int(2);
		tb_nil();
	}
	return frame_end();
}

/* out[0..n) is a whole SPAWN_REQUEST(_TT) frame of hmod:fun with the
 * arguments [PEER, From, To | Msg], Msg the original's bytes: read by ei. */
static void
check_msg_request(const uint8_t *out, int n, int tt, const char *fun,
    int nargs, const uint8_t *msg, size_t msg_len)
{
	const char *b = (const char *)out;
	char atom[MAXATOMLEN_UTF8];
	erlang_pid pid;
	erlang_ref ref;
	long v;
	int idx = 5, ver, ar, start;

	CHECK_EQ(get_u32(out), (uint32_t)n - 4);
	CHECK_EQ(out[4], 112);
	CHECK_EQ(ei_decode_version(b, &idx, &ver), 0);
	CHECK_EQ(ei_decode_tuple_header(b, &idx, &ar), 0);
	CHECK_EQ(ar, tt ? 7 : 6);
	CHECK_EQ(ei_decode_long(b, &idx, &v), 0);
	CHECK_EQ(v, tt ? 30 : 29);
	CHECK_EQ(ei_decode_ref(b, &idx, &ref), 0);
	CHECK(strcmp(ref.node, PEER) == 0);
	CHECK_EQ(ref.len, 3);
	CHECK_EQ(ref.n[1], REWRITE_REF_MAGIC);
	CHECK_EQ(ei_decode_pid(b, &idx, &pid), 0);	/* From */
	CHECK(strcmp(pid.node, PEER) == 0);
	CHECK_EQ(ref.creation, pid.creation);
	CHECK_EQ(ei_decode_pid(b, &idx, &pid), 0);	/* its group leader */
	CHECK_EQ(ei_decode_tuple_header(b, &idx, &ar), 0);
	CHECK_EQ(ar, 3);
	CHECK_EQ(ei_decode_atom(b, &idx, atom), 0);
	CHECK(strcmp(atom, "hmod") == 0);
	CHECK_EQ(ei_decode_atom(b, &idx, atom), 0);
	CHECK(strcmp(atom, fun) == 0);
	CHECK_EQ(ei_decode_long(b, &idx, &v), 0);
	CHECK_EQ(v, nargs);
	CHECK_EQ(ei_decode_list_header(b, &idx, &ar), 0);	/* [link] */
	CHECK_EQ(ar, 1);
	CHECK_EQ(ei_decode_atom(b, &idx, atom), 0);
	CHECK(strcmp(atom, "link") == 0);
	CHECK_EQ(ei_decode_list_header(b, &idx, &ar), 0);
	CHECK_EQ(ar, 0);
	if (tt) {
		CHECK_EQ(ei_decode_atom(b, &idx, atom), 0);
		CHECK(strcmp(atom, "token") == 0);
	}
	CHECK_EQ(ei_decode_version(b, &idx, &ver), 0);
	CHECK_EQ(ei_decode_list_header(b, &idx, &ar), 0);
	CHECK_EQ(ar, nargs);
	CHECK_EQ(ei_decode_atom(b, &idx, atom), 0);
	CHECK(strcmp(atom, PEER) == 0);
	CHECK_EQ(ei_decode_pid(b, &idx, &pid), 0);
	CHECK_EQ(ei_skip_term(b, &idx), 0);		/* To */
	if (msg != NULL) {
		start = idx;
		CHECK_EQ(ei_skip_term(b, &idx), 0);
		CHECK_EQ((size_t)(idx - start), msg_len);
		CHECK(memcmp(out + start, msg, msg_len) == 0);
	}
	CHECK_EQ(ei_decode_list_header(b, &idx, &ar), 0);	/* the tail */
	CHECK_EQ(ar, 0);
	CHECK_EQ(idx, n);
}

static void
test_rewrite_message(void)
{
	static const int ops[] = { 6, 16, 22, 23, 33, 34, 7 };
	static const char *const funs[] = { "reg_send", "reg_send", "send",
	    "send", "alias_send", "alias_send", "group_leader" };
	static uint8_t out[REWRITE_MAX];
	static struct rewrite_refs refs;
	struct dist_msg m, r;
	const uint8_t *fr, *q;
	const char *why = NULL;
	uint32_t id[3];
	size_t i, cap;
	int n, k;

	for (i = 0; i < DG_ARRAY_LEN(ops); i++) {
		int tt = ops[i] == 16 || ops[i] == 23 || ops[i] == 34;
		int nargs = ops[i] == 7 ? 3 : 4;

		fr = msg_frame(ops[i]);
		CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
		CHECK(strcmp(rewrite_message_fun(m.op), funs[i]) == 0);
		CHECK_EQ(rewrite_ref_mint(&refs, id), 0);
		n = rewrite_message(&m, fr, frame_len, 5, 1, "hmod", PEER, id,
		    out, sizeof(out), &why);
		CHECK(n > 0);
		if (n <= 0)
			continue;
		check_msg_request(out, n, tt, funs[i], nargs, m.payload,
		    m.payload != NULL ? (size_t)(fr + frame_len - m.payload) :
		    0);
		/* and the relay's own decoder reads it as the request it is */
		q = guard_copy(out, (size_t)n);
		k = (int)frame_len;
		frame_len = (size_t)n;
		CHECK_EQ(decode(q, &r, DC_NEED_FUNS), 0);
		CHECK_EQ(r.op, tt ? DOP_SPAWN_REQUEST_TT : DOP_SPAWN_REQUEST);
		CHECK(term_span_eq(r.exec_m, "hmod"));
		CHECK(term_span_eq(r.exec_f, funs[i]));
		CHECK_EQ(r.exec_arity, nargs);
		CHECK_EQ(r.pl_state, PL_PROVEN);
		/* its ReqId is one minted, taken once */
		CHECK_EQ(rewrite_ref_match(&refs, r.t_reqid.p, 1), 1);
		CHECK_EQ(rewrite_ref_match(&refs, r.t_reqid.p, 1), 0);
		frame_len = (size_t)k;
		/* every buffer too small: refused, never overrun */
		for (cap = 0; cap < (size_t)n; cap++)
			CHECK_EQ(rewrite_message(&m, fr, frame_len, 5, 1, "hmod",
			    PEER, id, out, cap, &why), -1);
		/* a frame cut short, or longer than its terms: refused */
		CHECK_EQ(rewrite_message(&m, fr, frame_len - 1, 5, 1, "hmod",
		    PEER, id, out, sizeof(out), &why), -1);
	}
	/* a payload not proven whole: refused */
	fr = msg_frame(6);
	CHECK_EQ(decode(fr, &m, 0), 0);
	CHECK_EQ(rewrite_message(&m, fr, frame_len, 5, 1, "hmod", PEER, id,
	    out, sizeof(out), &why), -1);
	/* a plain SEND (no sender), a spawn request: no handler takes them */
	frame_start();
	tb_tuple(3);
	tb_int(2);
	tb_atom("");
	tb_pid("b@h");
	wr_u8(&w, 131);
	tb_atom("hello");
	fr = frame_end();
	CHECK_EQ(decode(fr, &m, DC_NEED_FUNS), 0);
	CHECK_EQ(rewrite_message(&m, fr, frame_len, 5, 1, "hmod", PEER, id,
	    out, sizeof(out), &why), -1);
	CHECK(rewrite_message_fun(DOP_SPAWN_REQUEST) == NULL);
	/* a ref that is not ours is never taken: the peer's own (tb_ref) */
	CHECK_EQ(rewrite_ref_mint(&refs, id), 0);
	frame_start();
	tb_ref(PEER);
	CHECK_EQ(rewrite_ref_match(&refs, tbuf + 6, 1), 0);
}

/* The minted refs: bounded, reused, never two alike in flight. */
static void
test_rewrite_refs(void)
{
	static struct rewrite_refs refs;
	uint32_t id[3], first[3];
	uint8_t ref[64];
	struct dg_wr rw;
	int i;

	for (i = 0; i < REWRITE_REFS_MAX; i++)
		CHECK_EQ(rewrite_ref_mint(&refs, i == 0 ? first : id), 0);
	CHECK_EQ(refs.n, REWRITE_REFS_MAX);
	/* one more: refused ("too many handler spawns in flight") */
	CHECK_EQ(rewrite_ref_mint(&refs, id), -1);
	/* the first one answered frees its slot */
	rw = wr_init(ref, sizeof(ref));
	wr_u8(&rw, 90);
	wr_u16(&rw, 3);
	wr_u8(&rw, 119);
	wr_u8(&rw, 3);
	wr_bytes(&rw, PEER, 3);
	wr_u32(&rw, 7);
	for (i = 0; i < 3; i++)
		wr_u32(&rw, first[i]);
	CHECK_EQ(rewrite_ref_match(&refs, ref, 1), 1);
	CHECK_EQ(rewrite_ref_match(&refs, ref, 1), 0);
	CHECK_EQ(rewrite_ref_mint(&refs, id), 0);
	CHECK(id[0] != first[0]);
	CHECK_EQ(id[0] % REWRITE_REFS_MAX, first[0] % REWRITE_REFS_MAX);
	CHECK_EQ(rewrite_ref_mint(&refs, id), -1);
	/* the one in flight, with a wrong magic, then salt: not ours */
	for (i = 0; i < 3; i++)
		put_u32(ref + 12 + 4 * i, id[i]);
	put_u32(ref + 16, id[1] ^ 1);
	CHECK_EQ(rewrite_ref_match(&refs, ref, 1), 0);
	put_u32(ref + 16, id[1]);
	put_u32(ref + 20, id[2] ^ 1);
	CHECK_EQ(rewrite_ref_match(&refs, ref, 1), 0);
	put_u32(ref + 20, id[2]);
	CHECK_EQ(rewrite_ref_match(&refs, ref, 1), 1);
	CHECK_EQ(refs.n, REWRITE_REFS_MAX - 1);
}

/* ---- check warnings, literal terms ------------------------------------- */

static int nwarn;
static char lastwarn[512];

static void
warn(void *arg, int line, const char *msg)
{
	(void)arg;
	(void)line;
	nwarn++;
	snprintf(lastwarn, sizeof(lastwarn), "%s", msg);
}

static void
test_warnings(void)
{
	struct dg_mfa map = { "lists", "map", 2 }, node = { "erlang", "node",
	    0 };
	struct dg_rule r = { .kind = DG_R_MFAS, .action = DG_ALLOW,
	    .type = DG_T_SPAWN_REQUEST, .mfas = &map, .nmfas = 1, .line = 2 };

	/* lists:map/2 for a peer without a cookie: runs code, and the
	 * guard cancels it */
	one_peer(&r, 1, 0);
	nwarn = 0;
	CHECK_EQ(rules_warnings(&conf, warn, NULL), 2);
	CHECK(strstr(lastwarn, "code guard") != NULL);
	r.mfas = &node;
	nwarn = 0;
	CHECK_EQ(rules_warnings(&conf, warn, NULL), 0);
}

static void
test_term_lit(void)
{
	static const uint8_t want[] = {
		104, 3, 119, 5, 'h', 'e', 'l', 'l', 'o', 108, 0, 0, 0, 2,
		97, 1, 98, 0, 0, 1, 0, 106, 107, 0, 2, 'h', 'i'
	};
	uint8_t out[64];
	const char *why;

	CHECK_EQ(term_from_text("{hello, [1, 256], \"hi\"}", out, sizeof(out),
	    &why), (int)sizeof(want));
	CHECK(memcmp(out, want, sizeof(want)) == 0);
	CHECK_EQ(term_from_text("{a} {b}", out, sizeof(out), &why), -1);
	CHECK_EQ(term_from_text("X", out, sizeof(out), &why), -1);
	CHECK_EQ(term_from_text("[a, b, c, d, e, f, g, h, i, j, k, l, m]",
	    out, 8, &why), -1);
}

int
main(void)
{
	RUN(test_walk_atoms);
	RUN(test_walk_tail_cut);
	RUN(test_fun_where);
	RUN(test_code_guard);
	RUN(test_allow_all_exempt);
	RUN(test_disclosed_rule);
	RUN(test_io_reply_funs);
	RUN(test_prefix);
	RUN(test_rewrite_spawn);
	RUN(test_rewrite_erpc);	/* and rex */
	RUN(test_rewrite_message);
	RUN(test_rewrite_refs);
	RUN(test_warnings);
	RUN(test_term_lit);
	return TEST_DONE();
}
