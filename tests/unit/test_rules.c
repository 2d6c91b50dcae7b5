/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rules.c - filter/rules.c: resolution of scopes, peers and defaults,
 * every rule kind, the profiles on the messages of the captures
 * (tests/vectors/captures/ping, gen_server_call, group_leader, ...), and
 * the synthetic messages of `distguard test`.  Configurations are built by
 * hand so that these tests stand apart from the config parser.
 */
#include <stdio.h>
#include <string.h>

#include "dg_test.h"
#include "conf/conf.h"
#include "dist_ctl.h"
#include "daemon/cmd.h"
#include "disclose.h"
#include "rules.h"

/* ---- building configurations ---- */

#define NRULES(a)	((int)DG_ARRAY_LEN(a))

static struct dg_rule
r_allow_all(int line)
{
	struct dg_rule r = { .kind = DG_R_ALLOW_ALL, .action = DG_ALLOW,
	    .line = line };
	return r;
}

static struct dg_rule
r_profile(enum dg_profile p, int line)
{
	struct dg_rule r = { .kind = DG_R_PROFILE, .action = DG_ALLOW,
	    .profile = p, .line = line };
	return r;
}

static struct dg_rule
r_type(enum dg_action a, enum dg_type t, int line)
{
	struct dg_rule r = { .kind = DG_R_TYPE, .action = a, .type = t,
	    .line = line };
	return r;
}

static struct dg_rule
r_names(enum dg_action a, char **names, int n, int line)
{
	struct dg_rule r = { .kind = DG_R_NAMES, .action = a,
	    .type = DG_T_REG_SEND, .names = names, .nnames = n, .line = line };
	return r;
}

static struct dg_rule
r_mfas(enum dg_action a, struct dg_mfa *mfas, int n, int line)
{
	struct dg_rule r = { .kind = DG_R_MFAS, .action = a,
	    .type = DG_T_SPAWN_REQUEST, .mfas = mfas, .nmfas = n,
	    .line = line };
	return r;
}

static struct dg_peer
peer(char *pattern, struct dg_rule *rules, int n, int line)
{
	struct dg_peer p = { .pattern = pattern, .rules = { rules, n },
	    .line = line };
	return p;
}

static void
conf_reset(struct dg_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->path = "<test>";
}

static void
set_default(struct dg_scope *s, enum dg_default_kind d,
    struct dg_rule *rules, int n, int line)
{
	s->has_default = 1;
	s->def = d;
	s->def_rules.rules = rules;
	s->def_rules.nrules = n;
	s->def_line = line;
}

/* ---- building messages (spans over plain atom texts) ---- */

static struct dg_span
sp(const char *s)
{
	struct dg_span x = { (const uint8_t *)s, (uint32_t)strlen(s) };
	return x;
}

static struct dist_msg
msg(int op, enum dg_type t)
{
	struct dist_msg m;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.type = t;
	m.has_from = 1;
	m.from_node = sp("p@h");
	return m;
}

static struct dist_msg
reg_send(const char *name)
{
	struct dist_msg m = msg(DOP_REG_SEND, DG_T_REG_SEND);

	m.has_payload = 1;
	m.has_name = 1;
	m.name = sp(name);
	return m;
}

/* MONITOR_P / DEMONITOR_P by name (name != NULL) or by pid. */
static struct dist_msg
monitor(int op, const char *name)
{
	struct dist_msg m = msg(op, DG_T_MONITOR);

	if (name != NULL) {
		m.has_name = 1;
		m.name = sp(name);
	}
	return m;
}

/* Code to run: via a SPAWN_REQUEST, erpc, rex or net_kernel. */
static struct dist_msg
exec(enum dist_via via, const char *mod, const char *fun, int arity)
{
	struct dist_msg m;

	switch (via) {
	case VIA_REX:
		m = reg_send("rex");
		break;
	case VIA_NET_KERNEL:
		m = reg_send("net_kernel");
		break;
	default:
		m = msg(DOP_SPAWN_REQUEST, DG_T_SPAWN_REQUEST);
		m.has_payload = 1;
		m.request = REPLY_SPAWN;
		break;
	}
	m.type = DG_T_SPAWN_REQUEST;
	m.via = via;
	m.exec_m = sp(mod);
	m.exec_f = sp(fun);
	m.exec_arity = arity;
	return m;
}

static const enum dist_via all_vias[] = {
	VIA_SPAWN, VIA_ERPC, VIA_REX, VIA_NET_KERNEL
};

/* ---- deciding ---- */

static struct rules_policy pol;
static struct rules_verdict vd;

static int
resolve(const struct dg_conf *c, const char *local, const char *peer_node)
{
	return rules_resolve(c, local, peer_node, &pol);
}

static enum dg_action
decide(const struct dist_msg *m)
{
	memset(&vd, 0xa5, sizeof(vd));
	rules_decide(&pol, m, &vd);
	return vd.action;
}

#define CHECK_WHAT(s)	CHECK(vd.what != NULL && strcmp(vd.what, (s)) == 0)
#define CHECK_REASON(s)	CHECK(vd.reason != NULL && strcmp(vd.reason, (s)) == 0)

/* ---- cases ---- */

static void
test_default_deny(void)
{
	static struct dg_conf c;
	struct dist_msg m = msg(DOP_SEND_SENDER, DG_T_SEND);

	/* Nothing written: no peer, no default -> refused. */
	conf_reset(&c);
	CHECK_EQ(resolve(&c, "n@h", "p@h"), 0);
	CHECK_EQ(pol.admitted, 0);
	CHECK(pol.peer == NULL && pol.node_scope == NULL);
	CHECK_EQ(pol.def, DG_DEF_DENY);
	CHECK_EQ(pol.def_line, 0);
	CHECK(strstr(pol.desc, "not admitted") == pol.desc);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("not admitted: no {peer} entry matches and the default is deny");
	CHECK_EQ(vd.line, 0);
	CHECK_EQ(vd.disconnect, 0);

	/* {default, deny} written on line 7: same, with the line. */
	set_default(&c.top, DG_DEF_DENY, NULL, 0, 7);
	CHECK_EQ(resolve(&c, NULL, "p@h"), 0);
	CHECK_EQ(pol.def_line, 7);
	CHECK(strstr(pol.desc, "(line 7)") != NULL);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_EQ(vd.line, 7);

	/* A peer entry with no rules admits, and everything falls to the
	 * default: deny. */
	{
		static struct dg_peer peers[1];

		peers[0] = peer("p@*", NULL, 0, 3);
		c.top.peers = peers;
		c.top.npeers = 1;
		CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
		CHECK(pol.peer == &peers[0]);
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_WHAT("default deny");
		CHECK_EQ(vd.line, 7);
		CHECK_EQ(resolve(&c, NULL, "q@h"), 0);
	}
}

static void
test_default_allow(void)
{
	static struct dg_conf c;
	struct dist_msg m = exec(VIA_ERPC, "os", "cmd", 1);
	struct dist_msg o = reg_send("rex");

	conf_reset(&c);
	set_default(&c.top, DG_DEF_ALLOW, NULL, 0, 2);
	CHECK_EQ(resolve(&c, "n@h", "anyone@h"), 1);
	CHECK(pol.peer == NULL);
	CHECK(strstr(pol.desc, "default allow (line 2)") != NULL);
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_WHAT("default allow");
	CHECK_EQ(vd.line, 2);
	/* {default, allow} is allow_all: opaque messages too. */
	o.opaque = 1;
	CHECK_EQ(decide(&o), DG_ALLOW);
}

static void
test_default_rules(void)
{
	static struct dg_conf c;
	static struct dg_rule def[1];
	struct dist_msg ping = reg_send("net_kernel");
	struct dist_msg other = reg_send("foo");

	conf_reset(&c);
	def[0] = r_profile(DG_PROFILE_PING, 4);
	set_default(&c.top, DG_DEF_RULES, def, 1, 4);
	CHECK_EQ(resolve(&c, NULL, "x@h"), 1);
	CHECK(pol.def_rules == &c.top.def_rules);
	ping.is_auth = 1;
	CHECK_EQ(decide(&ping), DG_ALLOW);
	CHECK_WHAT("profile ping");
	CHECK_EQ(vd.line, 4);
	CHECK_EQ(decide(&other), DG_DENY);
	CHECK_WHAT("default: no rule matches");
}

static void
test_allow_all(void)
{
	static struct dg_conf c;
	static struct dg_rule rules[1];
	static struct dg_peer peers[1];
	struct dist_msg m[] = {
		msg(DOP_LINK, DG_T_LINK), msg(DOP_PAYLOAD_EXIT2, DG_T_EXIT),
		monitor(DOP_MONITOR_P, "x"), msg(DOP_SEND, DG_T_SEND),
		reg_send("init"), msg(DOP_GROUP_LEADER, DG_T_GROUP_LEADER),
		exec(VIA_REX, "os", "cmd", 1),
		msg(DOP_ALIAS_SEND, DG_T_ALIAS_SEND),
		msg(DOP_ALTACT_SIG_SEND, DG_T_ALTACT),
	};
	size_t i;

	conf_reset(&c);
	rules[0] = r_allow_all(9);
	peers[0] = peer("web@*", rules, 1, 9);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, NULL, "web@h1"), 1);
	CHECK(strstr(pol.desc, "peer \"web@*\" (line 9)") != NULL);
	for (i = 0; i < DG_ARRAY_LEN(m); i++) {
		CHECK_EQ(decide(&m[i]), DG_ALLOW);
		CHECK_WHAT("allow_all");
		CHECK_EQ(vd.line, 9);
	}
	m[4].opaque = 1;
	CHECK_EQ(decide(&m[4]), DG_ALLOW);
	CHECK_EQ(resolve(&c, NULL, "db@h1"), 0);
}

static void
test_type_rules(void)
{
	static struct dg_conf c;
	static struct dg_rule rules[4];
	static struct dg_peer peers[1];
	struct dist_msg m;

	conf_reset(&c);
	rules[0] = r_type(DG_DENY, DG_T_SPAWN_REQUEST, 12);
	rules[1] = r_type(DG_ALLOW, DG_T_SEND, 13);
	rules[2] = r_type(DG_DROP, DG_T_LINK, 14);
	rules[3] = r_type(DG_ALLOW, DG_T_REG_SEND, 15);
	peers[0] = peer("*", rules, NRULES(rules), 11);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, "n@h", "p@h"), 1);

	m = exec(VIA_ERPC, "erlang", "node", 0);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("{deny, spawn_request}");
	CHECK_EQ(vd.line, 12);
	CHECK_EQ(vd.disconnect, 0);

	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_WHAT("{allow, send}");
	m = msg(DOP_SEND_TT, DG_T_SEND);
	CHECK_EQ(decide(&m), DG_ALLOW);

	m = msg(DOP_UNLINK_ID, DG_T_LINK);
	CHECK_EQ(decide(&m), DG_DROP);
	CHECK_WHAT("{drop, link}");
	CHECK_EQ(vd.line, 14);

	/* No rule for monitors: the default (none written: deny). */
	m = monitor(DOP_MONITOR_P, NULL);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("default deny");
	CHECK_EQ(vd.line, 0);

	/* {allow, reg_send} lets any name through - but not an opaque
	 * message to rex, which only allow_all passes; the search goes on
	 * and ends at the default. */
	m = reg_send("anything");
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_WHAT("{allow, reg_send}");
	m = reg_send("rex");
	m.opaque = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("default deny");

	/* A type rule does not see exec forms as reg_send: rex running code
	 * is a spawn_request. */
	m = exec(VIA_REX, "erlang", "halt", 0);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("{deny, spawn_request}");

	/* {disconnect, true} on the peer marks every non-allow verdict. */
	peers[0].disconnect = 1;
	CHECK_EQ(resolve(&c, "n@h", "p@h"), 1);
	CHECK_EQ(pol.disconnect, 1);
	CHECK(strstr(pol.desc, "disconnect") != NULL);
	m = msg(DOP_LINK, DG_T_LINK);
	CHECK_EQ(decide(&m), DG_DROP);
	CHECK_EQ(vd.disconnect, 1);
	m = msg(DOP_SEND, DG_T_SEND);
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.disconnect, 0);
	m = msg(DOP_GROUP_LEADER, DG_T_GROUP_LEADER);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_EQ(vd.disconnect, 1);
	peers[0].disconnect = 0;
}

/* The verdict's "{Action, Type}" spells the type as the configuration
 * does (conf/conf.c). */
static void
test_type_names(void)
{
	static struct dg_conf c;
	static struct dg_rule rules[1];
	static struct dg_peer peers[1];
	static const enum dg_action acts[] = { DG_ALLOW, DG_DENY, DG_DROP };
	struct dist_msg m;
	char want[64];
	enum dg_type back;
	size_t a;
	int t;

	conf_reset(&c);
	peers[0] = peer("*", rules, 1, 1);
	c.top.peers = peers;
	c.top.npeers = 1;
	for (a = 0; a < DG_ARRAY_LEN(acts); a++)
		for (t = 0; t < DG_T_COUNT; t++) {
			rules[0] = r_type(acts[a], (enum dg_type)t, 2);
			CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
			m = msg(DOP_SEND, (enum dg_type)t);
			CHECK_EQ(decide(&m), acts[a]);
			snprintf(want, sizeof(want), "{%s, %s}",
			    dg_action_name(acts[a]),
			    dg_type_name((enum dg_type)t));
			CHECK_WHAT(want);
			CHECK_EQ(dg_type_from_name(dg_type_name(
			    (enum dg_type)t), &back), 0);
			CHECK_EQ(back, t);
		}
}

static void
test_opaque(void)
{
	static struct dg_conf c;
	static struct dg_rule rules[2];
	static char *names[] = { "rex", "net_kernel" };
	static struct dg_peer peers[1];
	struct dist_msg m = reg_send("net_kernel");

	conf_reset(&c);
	rules[0] = r_names(DG_ALLOW, names, 2, 3);
	rules[1] = r_type(DG_DROP, DG_T_REG_SEND, 4);
	peers[0] = peer("*", rules, 2, 2);
	c.top.peers = peers;
	c.top.npeers = 1;
	set_default(&c.top, DG_DEF_DENY, NULL, 0, 5);
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	CHECK_EQ(decide(&m), DG_ALLOW);
	/* Unknown shape to net_kernel: the allow does not match, the
	 * following drop does. */
	m.opaque = 1;
	CHECK_EQ(decide(&m), DG_DROP);
	CHECK_EQ(vd.line, 4);
}

static void
test_name_lists(void)
{
	static struct dg_conf c;
	static char *names[] = { "foo", "fx_gs" };
	static char *deny_names[] = { "init" };
	static struct dg_rule rules[2];
	static struct dg_peer peers[1];
	static const uint8_t foo_nul[] = { 'f', 'o', 'o', 0, 'x' };
	struct dist_msg m;

	conf_reset(&c);
	rules[0] = r_names(DG_DENY, deny_names, 1, 20);
	rules[1] = r_names(DG_ALLOW, names, 2, 21);
	peers[0] = peer("*", rules, 2, 19);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);

	m = reg_send("foo");
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_WHAT("{allow, reg_send, [Name]}");
	CHECK_EQ(vd.line, 21);
	m = msg(DOP_REG_SEND_TT, DG_T_REG_SEND);
	m.has_name = 1;
	m.name = sp("fx_gs");
	CHECK_EQ(decide(&m), DG_ALLOW);

	m = reg_send("init");
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("{deny, reg_send, [Name]}");
	CHECK_EQ(vd.line, 20);

	m = reg_send("bar");
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("default deny");

	/* Lengths are compared: prefixes, extensions and embedded NULs do
	 * not pass for a listed name. */
	m = reg_send("fo");
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("foobar");
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("foo");
	m.name.p = foo_nul;
	m.name.len = sizeof(foo_nul);
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("");
	CHECK_EQ(decide(&m), DG_DENY);

	/* gen_server:call({fx_gs, N}, ping) (capture gen_server_call):
	 * MONITOR_P on the name, REG_SEND, DEMONITOR_P.  The list allows the
	 * monitors of the names it allows - and denies those it denies. */
	m = monitor(DOP_MONITOR_P, "fx_gs");
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 21);
	m = monitor(DOP_DEMONITOR_P, "fx_gs");
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = monitor(DOP_MONITOR_P, "init");
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_EQ(vd.line, 20);
	m = monitor(DOP_MONITOR_P, "bar");
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("default deny");
	/* ... but nothing else of type monitor, and no send to a pid. */
	m = monitor(DOP_MONITOR_P, NULL);
	CHECK_EQ(decide(&m), DG_DENY);
	m = monitor(DOP_MONITOR_P_EXIT, "foo");
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	CHECK_EQ(decide(&m), DG_DENY);
}

/* Issue 18 item 6: an allowed name does not take OTP's behaviour
 * protocols unless the rule names them. */
static void
test_name_behaviours(void)
{
	static struct dg_conf c;
	static char *names[] = { "gateway" };
	static char *sys_names[] = { "tuned" };
	static struct dg_rule rules[3];
	static struct dg_peer peers[1];
	struct dist_msg m;

	conf_reset(&c);
	rules[0] = r_names(DG_ALLOW, names, 1, 30);
	rules[1] = r_names(DG_ALLOW, sys_names, 1, 31);
	rules[1].protos = DG_PROTO_SYS;
	rules[2] = r_type(DG_ALLOW, DG_T_SEND, 32);
	peers[0] = peer("*", rules, 3, 29);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	CHECK(pol.needs & DC_NEED_BEHAV);

	m = reg_send("gateway");
	CHECK_EQ(decide(&m), DG_ALLOW);
	m.behav = DG_PROTO_SYS;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("sys protocol");
	m.behav = DG_PROTO_SUPERVISOR;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("supervisor protocol");
	m.behav = DG_PROTO_SIGNALS;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("a signal forged as a message");
	m.behav = DG_PROTO_IO;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("io protocol");
	m.behav = DG_PROTO_GEN_EVENT;
	CHECK_EQ(decide(&m), DG_DENY);
	/* a head cut short counts as every protocol */
	m.behav = ~0u;
	CHECK_EQ(decide(&m), DG_DENY);
	/* a rule that names sys admits sys, and nothing more */
	m = reg_send("tuned");
	m.behav = DG_PROTO_SYS;
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 31);
	m.behav = DG_PROTO_SYS | DG_PROTO_SUPERVISOR;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("supervisor protocol");
	/* monitors by name are not messages */
	m = monitor(DOP_MONITOR_P, "gateway");
	CHECK_EQ(decide(&m), DG_ALLOW);

	/* {allow, reg_send} (every name) judges them the same way */
	rules[0] = r_type(DG_ALLOW, DG_T_REG_SEND, 33);
	peers[0] = peer("*", rules, 1, 29);
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	m = reg_send("anything");
	CHECK_EQ(decide(&m), DG_ALLOW);
	m.behav = DG_PROTO_SYS;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("sys protocol");
	/* allow_all is what it says */
	rules[0] = r_allow_all(34);
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	CHECK_EQ(decide(&m), DG_ALLOW);
}

static void
test_rex_relay(void)
{
	static struct dg_conf c;
	static char *names[] = { "foo" };
	static char *rexname[] = { "rex" };
	static struct dg_rule rules[2];
	static struct dg_peer peers[1];
	struct dist_msg m;

	conf_reset(&c);
	rules[0] = r_names(DG_ALLOW, names, 1, 30);
	rules[1] = r_names(DG_ALLOW, rexname, 1, 31);
	peers[0] = peer("*", rules, 2, 29);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);

	/* {rex, N} ! {From, {send, Name, Msg}}: dist_ctl hands us the name
	 * rex relays to, marked opaque; allowing foo (or rex itself) lets a
	 * relay reach neither bar nor foo. */
	m = reg_send("bar");
	m.opaque = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("foo");
	m.opaque = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("foo");
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 30);
	/* Allowing rex by name allows features_request, not code. */
	m = reg_send("rex");
	m.rex_features = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 31);
	m = exec(VIA_REX, "erlang", "node", 0);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("default deny");
	m = reg_send("rex");
	m.opaque = 1;
	CHECK_EQ(decide(&m), DG_DENY);
}

static void
test_mfa_lists(void)
{
	static struct dg_conf c;
	static struct dg_mfa deny_mfas[] = {
		{ "os", "cmd", -1 },
		{ NULL, "halt", -1 },
	};
	static struct dg_mfa allow_mfas[] = {
		{ "erlang", "node", 0 },
		{ "lists", NULL, -1 },
		{ "fx", "remote_loop", 1 },
		{ "io", "format", 2 },
	};
	static struct dg_rule rules[2];
	static struct dg_peer peers[1];
	struct dist_msg m;
	size_t i;

	conf_reset(&c);
	rules[0] = r_mfas(DG_DENY, deny_mfas, NRULES(deny_mfas), 40);
	rules[1] = r_mfas(DG_ALLOW, allow_mfas, NRULES(allow_mfas), 41);
	peers[0] = peer("*", rules, 2, 39);
	c.top.peers = peers;
	c.top.npeers = 1;
	set_default(&c.top, DG_DEF_DENY, NULL, 0, 42);
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);

	/* Every way of running code hits the same lists. */
	for (i = 0; i < DG_ARRAY_LEN(all_vias); i++) {
		m = exec(all_vias[i], "erlang", "node", 0);
		CHECK_EQ(decide(&m), DG_ALLOW);
		CHECK_WHAT("{allow, spawn_request, [MFA]}");
		CHECK_EQ(vd.line, 41);
		m = exec(all_vias[i], "erlang", "node", 1);	/* arity */
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_WHAT("default deny");
		CHECK_EQ(vd.line, 42);
		m = exec(all_vias[i], "lists", "reverse", 1);	/* {lists, _, _} */
		CHECK_EQ(decide(&m), DG_ALLOW);
		m = exec(all_vias[i], "lists", "seq", 2);
		CHECK_EQ(decide(&m), DG_ALLOW);
		m = exec(all_vias[i], "listsx", "seq", 2);
		CHECK_EQ(decide(&m), DG_DENY);
		m = exec(all_vias[i], "os", "cmd", 1);
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_WHAT("{deny, spawn_request, [MFA]}");
		CHECK_EQ(vd.line, 40);
		m = exec(all_vias[i], "os", "cmd", 2);		/* arity '_' */
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_EQ(vd.line, 40);
		m = exec(all_vias[i], "init", "halt", 0);	/* module '_' */
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_EQ(vd.line, 40);
		m = exec(all_vias[i], "erlang", "halt", 1);
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_EQ(vd.line, 40);
		/* erpc:call(N, Fun) is erlang:apply/2: not listed. */
		m = exec(all_vias[i], "erlang", "apply", 2);
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_EQ(vd.line, 42);
	}

	/* The request's own MFA does not count once unwrapped: an erpc
	 * request runs erpc:execute_call/4, but the list sees os:cmd/1. */
	m = exec(VIA_ERPC, "os", "cmd", 1);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_EQ(vd.line, 40);

	/* A SPAWN_REPLY reaching the rules is a plain spawn_request with no
	 * exec MFA: MFA lists do not match it. */
	m = msg(DOP_SPAWN_REPLY, DG_T_SPAWN_REQUEST);
	m.reply = REPLY_SPAWN;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_WHAT("default deny");

	/* A wildcard-only entry {'_', '_', '_'} allows all code. */
	{
		static struct dg_mfa any[] = { { NULL, NULL, -1 } };

		rules[1] = r_mfas(DG_ALLOW, any, 1, 43);
		m = exec(VIA_NET_KERNEL, "c", "c", 1);
		CHECK_EQ(decide(&m), DG_ALLOW);
		CHECK_EQ(vd.line, 43);
		m = exec(VIA_REX, "os", "cmd", 1);
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_EQ(vd.line, 40);
		/* Unknown arity (-1 from dist_ctl) only meets '_'. */
		rules[1] = r_mfas(DG_ALLOW, allow_mfas, NRULES(allow_mfas),
		    41);
		m = exec(VIA_SPAWN, "erlang", "node", -1);
		CHECK_EQ(decide(&m), DG_DENY);
		m = exec(VIA_SPAWN, "lists", "seq", -1);
		CHECK_EQ(decide(&m), DG_ALLOW);
	}
}

static void
test_type_rule_covers_all_vias(void)
{
	static struct dg_conf c;
	static struct dg_rule rules[2];
	static struct dg_peer peers[1];
	struct dist_msg m;
	size_t i;

	/* {deny, spawn_request} then allow_all: no API slips past. */
	conf_reset(&c);
	rules[0] = r_type(DG_DENY, DG_T_SPAWN_REQUEST, 50);
	rules[1] = r_allow_all(51);
	peers[0] = peer("*", rules, 2, 49);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	for (i = 0; i < DG_ARRAY_LEN(all_vias); i++) {
		m = exec(all_vias[i], "erlang", "node", 0);
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_EQ(vd.line, 50);
	}
	m = reg_send("rex");
	m.rex_features = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 51);
}

static void
test_node_scopes(void)
{
	static struct dg_conf c;
	static struct dg_scope nodes[2];
	static struct dg_rule db_rules[1], top_rules[1], any_rules[1];
	static struct dg_peer db_peers[1], top_peers[2], any_peers[1];
	static char *names[] = { "db" };
	struct dist_msg send_db = reg_send("db");
	struct dist_msg code = exec(VIA_ERPC, "erlang", "node", 0);

	conf_reset(&c);
	/* {node, "db@*", [{peer, "web@*", [{allow, reg_send, [db]}]}]} */
	db_rules[0] = r_names(DG_ALLOW, names, 1, 61);
	db_peers[0] = peer("web@*", db_rules, 1, 61);
	nodes[0].node_pattern = "db@*";
	nodes[0].peers = db_peers;
	nodes[0].npeers = 1;
	nodes[0].line = 60;
	/* {node, "*", [{peer, "web@*", [{drop, reg_send}]},
	 * {default, allow}]}:
	 * never reached for db@..., the first matching scope wins. */
	any_rules[0] = r_type(DG_DROP, DG_T_REG_SEND, 66);
	any_peers[0] = peer("web@*", any_rules, 1, 66);
	nodes[1].node_pattern = "*";
	nodes[1].peers = any_peers;
	nodes[1].npeers = 1;
	nodes[1].line = 65;
	set_default(&nodes[1], DG_DEF_ALLOW, NULL, 0, 67);
	c.nodes = nodes;
	c.nnodes = 2;
	/* top: {peer, "web@*", [allow_all]}, {peer, "ops@*", [allow_all]} */
	top_rules[0] = r_allow_all(70);
	top_peers[0] = peer("web@*", top_rules, 1, 70);
	top_peers[1] = peer("ops@*", top_rules, 1, 71);
	c.top.peers = top_peers;
	c.top.npeers = 2;

	/* db node, web peer: the scope's entry, not the top-level one. */
	CHECK_EQ(resolve(&c, "db@h", "web@h"), 1);
	CHECK(pol.node_scope == &nodes[0]);
	CHECK(pol.peer == &db_peers[0]);
	CHECK(strstr(pol.desc, "node \"db@*\" (line 60): peer \"web@*\" "
	    "(line 61)") == pol.desc);
	CHECK_EQ(decide(&send_db), DG_ALLOW);
	CHECK_EQ(vd.line, 61);
	/* The scope has no default: the top level's, here none = deny. */
	CHECK_EQ(decide(&code), DG_DENY);
	CHECK_WHAT("default deny");

	/* db node, ops peer: no entry in the scope, the top level's. */
	CHECK_EQ(resolve(&c, "db@h", "ops@h"), 1);
	CHECK(pol.node_scope == &nodes[0]);
	CHECK(pol.peer == &top_peers[1]);
	CHECK_EQ(decide(&code), DG_ALLOW);
	CHECK_EQ(vd.line, 70);		/* the rule's line */

	/* db node, stranger: refused (no scope default, no top default). */
	CHECK_EQ(resolve(&c, "db@h", "x@h"), 0);

	/* Another node: scope "*", its peer entry wins over the top level's. */
	CHECK_EQ(resolve(&c, "app@h", "web@h"), 1);
	CHECK(pol.node_scope == &nodes[1]);
	CHECK(pol.peer == &any_peers[0]);
	CHECK_EQ(decide(&send_db), DG_DROP);
	CHECK_EQ(vd.line, 66);
	/* and its default applies to its peers and admits strangers. */
	CHECK_EQ(decide(&code), DG_ALLOW);
	CHECK_WHAT("default allow");
	CHECK_EQ(vd.line, 67);
	CHECK_EQ(resolve(&c, "app@h", "x@h"), 1);
	CHECK(pol.peer == NULL);
	CHECK_EQ(pol.def, DG_DEF_ALLOW);

	/* No local node known: top level only. */
	CHECK_EQ(resolve(&c, NULL, "web@h"), 1);
	CHECK(pol.node_scope == NULL);
	CHECK(pol.peer == &top_peers[0]);
	CHECK_EQ(resolve(&c, NULL, "x@h"), 0);

	/* A scope default overrides the top level's: top allow, db deny. */
	set_default(&c.top, DG_DEF_ALLOW, NULL, 0, 80);
	set_default(&nodes[0], DG_DEF_DENY, NULL, 0, 62);
	CHECK_EQ(resolve(&c, "db@h", "x@h"), 0);
	CHECK_EQ(pol.def_line, 62);
	CHECK_EQ(resolve(&c, "db@h", "web@h"), 1);
	CHECK_EQ(decide(&code), DG_DENY);
	CHECK_EQ(vd.line, 62);
	nodes[0].has_default = 0;
	CHECK_EQ(resolve(&c, "db@h", "x@h"), 1);
	CHECK_EQ(pol.def_line, 80);
}

static void
test_first_peer_wins(void)
{
	static struct dg_conf c;
	static struct dg_rule web[1], all[1];
	static struct dg_peer peers[3];
	struct dist_msg link = msg(DOP_LINK, DG_T_LINK);

	conf_reset(&c);
	web[0] = r_type(DG_DROP, DG_T_LINK, 90);
	all[0] = r_allow_all(91);
	peers[0] = peer("web@*", web, 1, 90);
	peers[1] = peer("*", all, 1, 91);
	peers[2] = peer("web@h", all, 1, 92);	/* shadowed */
	c.top.peers = peers;
	c.top.npeers = 3;
	CHECK_EQ(resolve(&c, NULL, "web@h"), 1);
	CHECK(pol.peer == &peers[0]);
	CHECK_EQ(decide(&link), DG_DROP);
	CHECK_EQ(vd.line, 90);
	/* web's own rules ran out: the default (deny), not the next peer. */
	{
		struct dist_msg send = msg(DOP_SEND, DG_T_SEND);

		CHECK_EQ(decide(&send), DG_DENY);
		CHECK_WHAT("default deny");
	}
	CHECK_EQ(resolve(&c, NULL, "ops@h"), 1);
	CHECK(pol.peer == &peers[1]);
	CHECK_EQ(decide(&link), DG_ALLOW);
	CHECK_EQ(vd.line, 91);
	/* Globs: '?' is one byte, '*' any run; the whole name must match. */
	peers[0].pattern = "web?@h";
	CHECK_EQ(resolve(&c, NULL, "web1@h"), 1);
	CHECK(pol.peer == &peers[0]);
	CHECK_EQ(resolve(&c, NULL, "web@h"), 1);
	CHECK(pol.peer == &peers[1]);
}

/* One rule set holding only `profile`. */
static void
use_profile(struct dg_conf *c, enum dg_profile p)
{
	static struct dg_rule rules[1];
	static struct dg_peer peers[1];

	conf_reset(c);
	rules[0] = r_profile(p, 100);
	peers[0] = peer("*", rules, 1, 100);
	c->top.peers = peers;
	c->top.npeers = 1;
	CHECK_EQ(rules_resolve(c, NULL, "a@localhost", &pol), 1);
}

static void
test_profile_ping(void)
{
	static struct dg_conf c;
	struct dist_msg m;

	use_profile(&c, DG_PROFILE_PING);
	/* captures/ping #3, #4, #12 */
	m = monitor(DOP_MONITOR_P, "net_kernel");
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_WHAT("profile ping");
	CHECK_EQ(vd.line, 100);
	m = reg_send("net_kernel");
	m.is_auth = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = monitor(DOP_DEMONITOR_P, "net_kernel");
	CHECK_EQ(decide(&m), DG_ALLOW);

	/* Nothing else of net_kernel. */
	m = reg_send("net_kernel");		/* {disconnect, N}, ... */
	CHECK_EQ(decide(&m), DG_DENY);
	m = exec(VIA_NET_KERNEL, "os", "cmd", 1);
	m.is_auth = 0;
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("net_kernel");
	m.is_auth = 1;
	m.opaque = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	/* Nor anything else. */
	m = reg_send("rex");
	m.is_auth = 1;				/* is_auth only counts at net_kernel */
	CHECK_EQ(decide(&m), DG_DENY);
	m = monitor(DOP_MONITOR_P, "rex");
	CHECK_EQ(decide(&m), DG_DENY);
	m = monitor(DOP_MONITOR_P, NULL);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	CHECK_EQ(decide(&m), DG_DENY);
	m = monitor(DOP_MONITOR_P_EXIT, "net_kernel");
	CHECK_EQ(decide(&m), DG_DENY);
}

static void
test_profile_global(void)
{
	static struct dg_conf c;
	struct dist_msg m;

	use_profile(&c, DG_PROFILE_GLOBAL);
	/* captures/ping: #5 rex features_request */
	m = reg_send("rex");
	m.rex_features = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_WHAT("profile global");
	/* #6, #7, #14, #24, #25, #28, #30: casts and calls to
	 * global_name_server (init_connect, init_connect_ack, set_lock,
	 * lock_set, exchange, resolved, del_lock) */
	m = reg_send("global_name_server");
	m.global_ok = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = msg(DOP_REG_SEND_TT, DG_T_REG_SEND);
	m.has_name = 1;
	m.name = sp("global_name_server");
	m.global_ok = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	/* #13, #21: the locker monitors global_name_server by name */
	m = monitor(DOP_MONITOR_P, "global_name_server");
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = monitor(DOP_DEMONITOR_P, "global_name_server");
	CHECK_EQ(decide(&m), DG_ALLOW);
	/* #17, #36: global_name_server monitors the other locker by pid,
	 * which the init_connect of this node disclosed */
	m = monitor(DOP_MONITOR_P, NULL);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = monitor(DOP_DEMONITOR_P, NULL);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	/* #8 features_reply, #18, #37 set_lock/del_lock replies: sends to
	 * the pids this node's requests carried */
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = msg(DOP_SEND, DG_T_SEND);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	/* global's own processes (its server, locker, registrar) by pid:
	 * the answers to their calls, nothing else (each unexpected message
	 * is logged whole: the livefuzz hang of seed 1) */
	m = msg(DOP_SEND, DG_T_SEND);
	m.disclosed = DISCLOSED_GLOBAL;
	m.pl_reply = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	m.disclosed = DISCLOSED_GLOBAL;
	CHECK_EQ(decide(&m), DG_DENY);

	/* Not global's protocol: anything else to global_name_server (the
	 * registrar fun, info, ...), a fun inside it, one too large to
	 * check, and every send or monitor by a pid this node never showed. */
	m = reg_send("global_name_server");
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("not global's protocol");
	m.pl_fun = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("carries a fun");
	m.pl_fun = 0;
	m.pl_partial = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("too large to check whole");
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("undisclosed");
	m = monitor(DOP_MONITOR_P, NULL);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("undisclosed");
	m = msg(DOP_SEND, DG_T_SEND);
	m.disclosed = 1;
	m.pl_request = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("a request to a process by pid");

	/* Not global: rex code, plain rex messages, other names, aliases. */
	m = exec(VIA_REX, "erlang", "node", 0);
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("rex");
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("global_group");
	CHECK_EQ(decide(&m), DG_DENY);
	m = reg_send("global_name_server");
	m.opaque = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	m = monitor(DOP_MONITOR_P, "net_kernel");
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_ALIAS_SEND, DG_T_ALIAS_SEND);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_LINK, DG_T_LINK);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_PAYLOAD_EXIT2, DG_T_EXIT);
	CHECK_EQ(decide(&m), DG_DENY);
}

static void
test_profile_replies(void)
{
	static struct dg_conf c;
	struct dist_msg m;

	use_profile(&c, DG_PROFILE_REPLIES);
	/* captures/gen_server_call #37: the reply to an alias, which the
	 * call disclosed */
	m = msg(DOP_ALIAS_SEND, DG_T_ALIAS_SEND);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_WHAT("profile replies");
	m = msg(DOP_ALIAS_SEND_TT, DG_T_ALIAS_SEND);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	/* captures/ping #9: net_kernel's reply to a pid */
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = msg(DOP_SEND_SENDER_TT, DG_T_SEND);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = msg(DOP_SEND, DG_T_SEND);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	/* A large reply is checked on its first bytes */
	m.pl_partial = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	/* captures/group_leader #37, #38, #40: io from a process spawned
	 * for us: MONITOR_P on our group leader, io_request, DEMONITOR_P */
	m = monitor(DOP_MONITOR_P, NULL);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m = monitor(DOP_DEMONITOR_P, NULL);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);

	/* Only to what this node disclosed, never code or a request. */
	m = msg(DOP_ALIAS_SEND, DG_T_ALIAS_SEND);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("undisclosed");
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	m.disclosed = 1;
	m.pl_fun = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("carries a fun");
	m.pl_fun = 0;
	m.pl_request = 1;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("a request to a process by pid");
	m = monitor(DOP_DEMONITOR_P, NULL);
	CHECK_EQ(decide(&m), DG_DENY);

	/* Not replies: names, code, links, exits, group leaders, and a
	 * reply (tracked elsewhere) that reaches the rules anyway. */
	m = reg_send("fx_echo");
	CHECK_EQ(decide(&m), DG_DENY);
	m = monitor(DOP_MONITOR_P, "fx_echo");
	CHECK_EQ(decide(&m), DG_DENY);
	m = exec(VIA_SPAWN, "fx", "remote_loop", 1);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_LINK, DG_T_LINK);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_PAYLOAD_EXIT, DG_T_LINK);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_PAYLOAD_EXIT2, DG_T_EXIT);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_GROUP_LEADER, DG_T_GROUP_LEADER);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_ALTACT_SIG_SEND, DG_T_ALTACT);
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_PAYLOAD_MONITOR_P_EXIT, DG_T_MONITOR);
	m.reply = REPLY_MONITOR;
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_SPAWN_REPLY, DG_T_SPAWN_REQUEST);
	m.reply = REPLY_SPAWN;
	CHECK_EQ(decide(&m), DG_DENY);
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	m.opaque = 1;
	CHECK_EQ(decide(&m), DG_DENY);
}

/* A message to a pid of the local node (what {allow, Type, disclosed}
 * looks at; the pid's bytes do not matter to the rules). */
static struct dist_msg
by_pid(int op, enum dg_type t)
{
	struct dist_msg m = msg(op, t);

	m.has_payload = t != DG_T_MONITOR;
	m.t_target = sp("<pid>");
	return m;
}

/* Issue 18 item 6, last point: io requests by pid go only to a group
 * leader the local node handed to this peer (disclose.h DISCLOSED_LEADER),
 * under the profiles and under {allow, send | alias_send, disclosed},
 * unless {allow, send, disclosed, [io]} names the protocol. */
static void
test_io_to_leaders(void)
{
	static struct dg_conf c;
	static struct dg_rule rules[3];
	static struct dg_peer peers[1];
	struct dist_msg m;
	int p;

	/* the profiles that admit sends by pid */
	for (p = DG_PROFILE_GLOBAL; p <= DG_PROFILE_REPLIES; p++) {
		use_profile(&c, (enum dg_profile)p);
		m = msg(DOP_SEND_SENDER, DG_T_SEND);
		m.disclosed = 1;
		m.behav = DG_PROTO_IO;
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_REASON("io protocol");
		m.disclosed = 1 | DISCLOSED_LEADER;
		CHECK_EQ(decide(&m), DG_ALLOW);
		/* a leader takes io, not code: the MFA check stays */
		m.pl_request = 1;
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_REASON("a request to a process by pid");
		/* the leader tag is no disclosure by itself */
		m = msg(DOP_SEND_SENDER, DG_T_SEND);
		m.behav = DG_PROTO_IO;
		CHECK_EQ(decide(&m), DG_DENY);
		CHECK_REASON("undisclosed");
		/* an alias under replies, too */
		m = msg(DOP_ALIAS_SEND, DG_T_ALIAS_SEND);
		m.disclosed = 1;
		m.behav = DG_PROTO_IO;
		CHECK_EQ(decide(&m), DG_DENY);
		/* plain sends are as before; io monitors stay admitted */
		m = msg(DOP_SEND_SENDER, DG_T_SEND);
		m.disclosed = 1;
		CHECK_EQ(decide(&m), DG_ALLOW);
		m = monitor(DOP_MONITOR_P, NULL);
		m.disclosed = 1;
		CHECK_EQ(decide(&m), DG_ALLOW);
	}

	/* {allow, send, disclosed} and {allow, alias_send, disclosed}: the
	 * behaviour protocols are judged as for names */
	conf_reset(&c);
	rules[0] = r_type(DG_ALLOW, DG_T_SEND, 40);
	rules[0].disclosed = 1;
	rules[1] = r_type(DG_ALLOW, DG_T_ALIAS_SEND, 41);
	rules[1].disclosed = 1;
	rules[2] = r_type(DG_ALLOW, DG_T_MONITOR, 42);
	rules[2].disclosed = 1;
	peers[0] = peer("*", rules, 3, 39);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	CHECK(pol.needs & DC_NEED_BEHAV);
	CHECK(pol.needs & DC_NEED_IDS);
	m = by_pid(DOP_SEND_SENDER, DG_T_SEND);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m.behav = DG_PROTO_IO;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("io protocol");
	m.disclosed = 1 | DISCLOSED_LEADER;
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 40);
	m.behav = DG_PROTO_IO | DG_PROTO_SYS;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("sys protocol");
	m.behav = ~0u;			/* a head cut short */
	CHECK_EQ(decide(&m), DG_DENY);
	m = by_pid(DOP_ALIAS_SEND, DG_T_ALIAS_SEND);
	m.disclosed = 1;
	m.behav = DG_PROTO_SIGNALS;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("a signal forged as a message");
	m = by_pid(DOP_MONITOR_P, DG_T_MONITOR);
	m.disclosed = 1;
	CHECK_EQ(decide(&m), DG_ALLOW);

	/* {allow, send, disclosed, [io]}: io to any disclosed pid */
	rules[0].protos = DG_PROTO_IO;
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	m = by_pid(DOP_SEND_SENDER, DG_T_SEND);
	m.disclosed = 1;
	m.behav = DG_PROTO_IO;
	CHECK_EQ(decide(&m), DG_ALLOW);
	m.behav = DG_PROTO_SYS;
	CHECK_EQ(decide(&m), DG_DENY);
	/* and still to disclosed pids only */
	m = by_pid(DOP_SEND_SENDER, DG_T_SEND);
	m.behav = DG_PROTO_IO;
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_REASON("undisclosed");
}

static void
test_replies_as_plain_type(void)
{
	static struct dg_conf c;
	static struct dg_rule rules[2];
	static struct dg_peer peers[1];
	struct dist_msg m;

	conf_reset(&c);
	rules[0] = r_type(DG_ALLOW, DG_T_SPAWN_REQUEST, 110);
	rules[1] = r_type(DG_DROP, DG_T_MONITOR, 111);
	peers[0] = peer("*", rules, 2, 110);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	m = msg(DOP_SPAWN_REPLY_TT, DG_T_SPAWN_REQUEST);
	m.reply = REPLY_SPAWN;
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 110);
	m = msg(DOP_MONITOR_P_EXIT, DG_T_MONITOR);
	m.reply = REPLY_MONITOR;
	CHECK_EQ(decide(&m), DG_DROP);
	m = msg(DOP_UNLINK_ID_ACK, DG_T_LINK);
	m.reply = REPLY_UNLINK;
	CHECK_EQ(decide(&m), DG_DENY);
}

static void
test_test_msg(void)
{
	struct dist_msg m;
	char buf[64];
	const char *why = NULL;

	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "os:cmd/1", buf,
	    sizeof(buf), &why), 0);
	CHECK_EQ(m.op, DOP_SPAWN_REQUEST);
	CHECK_EQ(m.type, DG_T_SPAWN_REQUEST);
	CHECK_EQ(m.via, VIA_SPAWN);
	CHECK(m.exec_m.len == 2 && memcmp(m.exec_m.p, "os", 2) == 0);
	CHECK(m.exec_f.len == 3 && memcmp(m.exec_f.p, "cmd", 3) == 0);
	CHECK_EQ(m.exec_arity, 1);
	/* A module name may hold a '/', the arity follows the last one. */
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "a/b:f/12", buf,
	    sizeof(buf), &why), 0);
	CHECK(m.exec_m.len == 3 && m.exec_arity == 12);

	CHECK_EQ(rules_dryrun_msg(&m, "reg_send", "fx_gs", buf, sizeof(buf),
	    &why), 0);
	CHECK(m.op == DOP_REG_SEND && m.type == DG_T_REG_SEND && m.has_name);
	CHECK(m.name.len == 5 && memcmp(m.name.p, "fx_gs", 5) == 0);
	CHECK_EQ(rules_dryrun_msg(&m, "monitor", "fx_gs", buf, sizeof(buf),
	    &why), 0);
	CHECK(m.op == DOP_MONITOR_P && m.has_name);
	CHECK_EQ(rules_dryrun_msg(&m, "monitor", NULL, buf, sizeof(buf),
	    &why), 0);
	CHECK(m.op == DOP_MONITOR_P && !m.has_name);
	CHECK_EQ(rules_dryrun_msg(&m, "is_auth", NULL, buf, sizeof(buf), &why),
	    0);
	CHECK(m.is_auth && m.has_name && m.name.len == 10);
	CHECK_EQ(rules_dryrun_msg(&m, "features_request", NULL, buf,
	    sizeof(buf), &why), 0);
	CHECK(m.rex_features && m.name.len == 3);
	CHECK_EQ(rules_dryrun_msg(&m, "send", NULL, buf, sizeof(buf), &why), 0);
	CHECK_EQ(m.type, DG_T_SEND);
	CHECK_EQ(rules_dryrun_msg(&m, "link", NULL, buf, sizeof(buf), &why), 0);
	CHECK_EQ(m.op, DOP_LINK);
	CHECK_EQ(rules_dryrun_msg(&m, "exit", NULL, buf, sizeof(buf), &why), 0);
	CHECK_EQ(m.type, DG_T_EXIT);
	CHECK_EQ(rules_dryrun_msg(&m, "group_leader", NULL, buf, sizeof(buf),
	    &why), 0);
	CHECK_EQ(rules_dryrun_msg(&m, "alias_send", NULL, buf, sizeof(buf),
	    &why), 0);
	CHECK_EQ(m.type, DG_T_ALIAS_SEND);
	CHECK_EQ(rules_dryrun_msg(&m, "altact", NULL, buf,
	    sizeof(buf), &why), 0);
	CHECK_EQ(m.type, DG_T_ALTACT);

	/* Errors. */
	why = NULL;
	CHECK_EQ(rules_dryrun_msg(&m, "bogus", NULL, buf, sizeof(buf), &why),
	    -1);
	CHECK(why != NULL);
	CHECK_EQ(rules_dryrun_msg(&m, "reg_send", NULL, buf, sizeof(buf), &why),
	    -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", NULL, buf, sizeof(buf),
	    &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "os:cmd", buf,
	    sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "os/1", buf,
	    sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", ":cmd/1", buf,
	    sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "os:/1", buf,
	    sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "os:cmd/x", buf,
	    sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "os:cmd/-1", buf,
	    sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "os:cmd/256", buf,
	    sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "os:cmd/1x", buf,
	    sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "link", "x", buf, sizeof(buf), &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "is_auth", "x", buf, sizeof(buf), &why),
	    -1);
	CHECK_EQ(rules_dryrun_msg(&m, "reg_send", "\xff", buf, sizeof(buf),
	    &why), -1);
	CHECK_EQ(rules_dryrun_msg(&m, "reg_send", "x", buf, 1, &why), -1);
}

/* The synthetic messages decide like the real ones. */
static void
test_test_msg_decides(void)
{
	static struct dg_conf c;
	static struct dg_rule rules[3];
	static struct dg_peer peers[1];
	static struct dg_mfa mfas[] = { { "erlang", "node", 0 } };
	static char *names[] = { "fx_gs" };
	struct dist_msg m;
	char buf[64];
	const char *why;

	conf_reset(&c);
	rules[0] = r_profile(DG_PROFILE_PING, 120);
	rules[1] = r_names(DG_ALLOW, names, 1, 121);
	rules[2] = r_mfas(DG_ALLOW, mfas, 1, 122);
	peers[0] = peer("*", rules, 3, 120);
	c.top.peers = peers;
	c.top.npeers = 1;
	CHECK_EQ(resolve(&c, NULL, "p@h"), 1);
	CHECK_EQ(rules_dryrun_msg(&m, "is_auth", NULL, buf, sizeof(buf), &why),
	    0);
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 120);
	CHECK_EQ(rules_dryrun_msg(&m, "reg_send", "net_kernel", buf,
	    sizeof(buf), &why), 0);
	CHECK_EQ(decide(&m), DG_DENY);
	CHECK_EQ(rules_dryrun_msg(&m, "monitor", "fx_gs", buf, sizeof(buf),
	    &why), 0);
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 121);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "erlang:node/0", buf,
	    sizeof(buf), &why), 0);
	CHECK_EQ(decide(&m), DG_ALLOW);
	CHECK_EQ(vd.line, 122);
	CHECK_EQ(rules_dryrun_msg(&m, "spawn_request", "erlang:halt/0", buf,
	    sizeof(buf), &why), 0);
	CHECK_EQ(decide(&m), DG_DENY);
}

static void
test_cmd_usage(void)
{
	char *a1[] = { "test", NULL };
	char *a2[] = { "test", "-c", "x.conf", "p@h", NULL };
	char *a3[] = { "test", "-c", "x.conf", "p@h", "link", "x", "y", NULL };
	char *a4[] = { "test", "-c", "x.conf", "noat", "link", NULL };
	char *a5[] = { "test", "-c", "x.conf", "p@h", "bogus", NULL };
	char *a6[] = { "test", "--bogus", NULL };
	char *a7[] = { "test", "-c", "x.conf", "p@h", "reg_send", NULL };
	char *h[] = { "test", "--help", NULL };

	/* Usage errors are found before the configuration is read; they
	 * give no verdict (3: 0, 1 and 2 are allow, deny and drop). */
	CHECK_EQ(cmd_test(1, a1), CMD_TEST_ERROR);
	CHECK_EQ(cmd_test(4, a2), CMD_TEST_ERROR);
	CHECK_EQ(cmd_test(7, a3), CMD_TEST_ERROR);
	CHECK_EQ(cmd_test(5, a4), CMD_TEST_ERROR);
	CHECK_EQ(cmd_test(5, a5), CMD_TEST_ERROR);
	CHECK_EQ(cmd_test(2, a6), CMD_TEST_ERROR);
	CHECK_EQ(cmd_test(5, a7), CMD_TEST_ERROR);
	CHECK_EQ(cmd_test(2, h), 0);
	CHECK(strcmp(dg_action_name(DG_ALLOW), "allow") == 0);
	CHECK(strcmp(dg_action_name(DG_DENY), "deny") == 0);
	CHECK(strcmp(dg_action_name(DG_DROP), "drop") == 0);
}

int
main(void)
{
	RUN(test_default_deny);
	RUN(test_default_allow);
	RUN(test_default_rules);
	RUN(test_allow_all);
	RUN(test_type_rules);
	RUN(test_type_names);
	RUN(test_opaque);
	RUN(test_name_lists);
	RUN(test_name_behaviours);
	RUN(test_rex_relay);
	RUN(test_mfa_lists);
	RUN(test_type_rule_covers_all_vias);
	RUN(test_node_scopes);
	RUN(test_first_peer_wins);
	RUN(test_profile_ping);
	RUN(test_profile_global);
	RUN(test_profile_replies);
	RUN(test_io_to_leaders);
	RUN(test_replies_as_plain_type);
	RUN(test_test_msg);
	RUN(test_test_msg_decides);
	RUN(test_cmd_usage);
	return TEST_DONE();
}
