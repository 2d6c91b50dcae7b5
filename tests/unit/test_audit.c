/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_audit.c - audit mode in filter/rules.c (docs/FILTER.md 22): which
 * {mode} applies, what a refusal that is only the policy's becomes
 * (audit: forwarded), what the node's protections keep refusing (guard),
 * the profiles a message fits (for suggest); and core/seen.c, the bounded
 * table suggest reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_test.h"
#include "daemon/cmd.h"
#include "conf/conf.h"
#include "core/seen.h"
#include "dist_ctl.h"
#include "disclose.h"
#include "rules.h"

static struct rules_policy pol;
static struct rules_verdict vd;

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

static void
decide(const struct dist_msg *m)
{
	memset(&vd, 0xa5, sizeof(vd));
	rules_decide(&pol, m, &vd);
}

/* A configuration: {default, deny}, a {node, "n@*"} scope with one peer
 * "s@*", a top-level peer "t@*" (rules: {allow, send}). */
static struct dg_conf c;
static struct dg_rule allow_send = { .kind = DG_R_TYPE, .action = DG_ALLOW,
    .type = DG_T_SEND, .line = 4 };
static struct dg_peer top_peers[1], scope_peers[1];
static struct dg_scope scopes[1];

static void
conf_build(enum dg_mode top, enum dg_mode scope, enum dg_mode s_peer,
    enum dg_mode t_peer)
{
	memset(&c, 0, sizeof(c));
	c.path = "<test>";
	c.top.has_default = 1;
	c.top.def = DG_DEF_DENY;
	c.top.def_line = 2;
	c.top.mode = top;
	top_peers[0] = (struct dg_peer){ .pattern = "t@*", .rules = {
	    &allow_send, 1 }, .mode = t_peer, .disconnect = 1, .line = 3 };
	c.top.peers = top_peers;
	c.top.npeers = 1;
	scope_peers[0] = (struct dg_peer){ .pattern = "s@*", .rules = {
	    &allow_send, 1 }, .mode = s_peer, .line = 6 };
	scopes[0] = (struct dg_scope){ .node_pattern = "n@*", .peers =
	    scope_peers, .npeers = 1, .mode = scope, .line = 5 };
	c.nodes = scopes;
	c.nnodes = 1;
}

static void
test_mode_resolution(void)
{
	/* Nothing said: enforce. */
	conf_build(DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "n@h", "s@h", &pol), 1);
	CHECK_EQ(pol.audit, 0);
	/* The top level's. */
	conf_build(DG_MODE_AUDIT, DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "n@h", "s@h", &pol), 1);
	CHECK_EQ(pol.audit, 1);
	CHECK(strstr(pol.desc, "audit mode") != NULL);
	/* The scope's beats the top level's... */
	conf_build(DG_MODE_AUDIT, DG_MODE_ENFORCE, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "n@h", "s@h", &pol), 1);
	CHECK_EQ(pol.audit, 0);
	/* ... and not for another local node. */
	CHECK_EQ(rules_resolve(&c, "m@h", "t@h", &pol), 1);
	CHECK_EQ(pol.audit, 1);
	/* The peer entry's beats the scope's. */
	conf_build(DG_MODE_ENFORCE, DG_MODE_ENFORCE, DG_MODE_AUDIT,
	    DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "n@h", "s@h", &pol), 1);
	CHECK_EQ(pol.audit, 1);
	conf_build(DG_MODE_AUDIT, DG_MODE_AUDIT, DG_MODE_UNSET,
	    DG_MODE_ENFORCE);
	CHECK_EQ(rules_resolve(&c, "n@h", "t@h", &pol), 1);
	CHECK_EQ(pol.audit, 0);
	/* Audit mode asks the decoder for the protections' facts. */
	conf_build(DG_MODE_AUDIT, DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "n@h", "s@h", &pol), 1);
	CHECK((pol.needs & (DC_NEED_GLOBAL | DC_NEED_FUNS | DC_NEED_IDS |
	    DC_NEED_PIDSEND)) == (DC_NEED_GLOBAL | DC_NEED_FUNS | DC_NEED_IDS |
	    DC_NEED_PIDSEND));
}

static void
test_not_admitted(void)
{
	struct dist_msg m = reg_send("anything");

	/* Enforce: a peer no entry names is refused at the handshake. */
	conf_build(DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "n@h", "q@h", &pol), 0);
	/* Audit: admitted, and each message is a would_deny. */
	conf_build(DG_MODE_AUDIT, DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "n@h", "q@h", &pol), 1);
	CHECK_EQ(pol.admitted, 0);
	decide(&m);
	CHECK_EQ(vd.action, DG_DENY);
	CHECK_EQ(vd.audit, 1);
	CHECK_EQ(vd.guard, 0);
}

static void
test_policy_refusals_audited(void)
{
	struct dist_msg m = reg_send("dgt_gs");
	struct dist_msg f = msg(DOP_SEND_SENDER, DG_T_SEND);

	/* The default deny: forwarded in audit, refused in enforce. */
	conf_build(DG_MODE_AUDIT, DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "m@h", "t@h", &pol), 1);
	decide(&m);
	CHECK(vd.action == DG_DENY && vd.audit == 1 && vd.guard == 0);
	/* {disconnect, true} does not cut an audited peer off. */
	CHECK_EQ(vd.disconnect, 0);
	conf_build(DG_MODE_ENFORCE, DG_MODE_UNSET, DG_MODE_UNSET,
	    DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "m@h", "t@h", &pol), 1);
	decide(&m);
	CHECK(vd.action == DG_DENY && vd.audit == 0 && vd.guard == 0);
	CHECK_EQ(vd.disconnect, 1);

	/* The code guard's fun: audited too. */
	f.has_payload = 1;
	f.pl_fun = 1;
	f.pl_state = PL_PROVEN;
	decide(&f);
	CHECK(vd.action == DG_DENY && vd.code == 1 && vd.audit == 0);
	conf_build(DG_MODE_AUDIT, DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "m@h", "t@h", &pol), 1);
	decide(&f);
	CHECK(vd.action == DG_DENY && vd.code == 1 && vd.audit == 1 &&
	    vd.guard == 0);
	CHECK(vd.reason != NULL && strcmp(vd.reason, "carries a fun") == 0);
	/* An allowed send without a fun is simply allowed. */
	f.pl_fun = 0;
	decide(&f);
	CHECK(vd.action == DG_ALLOW && vd.audit == 0 && vd.guard == 0);
}

static void
test_protections_kept(void)
{
	struct dist_msg m;
	/* A pid of the local node n@h, and an empty option list. */
	static const uint8_t gl_local[] = { 88, 119, 3, 'n', '@', 'h',
	    0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t gl_peer[] = { 88, 119, 3, 'p', '@', 'h',
	    0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t nil[] = { 106 };
	/* [{min_heap_size, 1 bsl 36}] */
	static const uint8_t huge[] = { 108, 0, 0, 0, 1, 104, 2, 119, 13,
	    'm', 'i', 'n', '_', 'h', 'e', 'a', 'p', '_', 's', 'i', 'z', 'e',
	    110, 5, 0, 0, 0, 0, 0, 16, 106 };

	conf_build(DG_MODE_AUDIT, DG_MODE_UNSET, DG_MODE_UNSET, DG_MODE_UNSET);
	CHECK_EQ(rules_resolve(&c, "n@h", "q@h", &pol), 1);

	/* A system server's message in a shape not known. */
	m = reg_send("rex");
	m.opaque = 1;
	decide(&m);
	CHECK(vd.action == DG_DENY && vd.guard == 1 && vd.audit == 0);
	/* A system server's tag with the wrong types. */
	m = reg_send("net_kernel");
	m.proto_why = "not net_kernel's protocol";
	decide(&m);
	CHECK(vd.guard == 1 && vd.audit == 0);
	CHECK(vd.reason != NULL && strcmp(vd.reason,
	    "not net_kernel's protocol") == 0);
	/* Not global's protocol, to global_name_server. */
	m = reg_send("global_name_server");
	decide(&m);
	CHECK(vd.guard == 1 && vd.audit == 0);
	CHECK(vd.reason != NULL && strcmp(vd.reason,
	    "not global's protocol") == 0);
	m.global_ok = 1;
	decide(&m);
	CHECK(vd.guard == 0 && vd.audit == 1);
	/* A payload that is not a valid term. */
	m = reg_send("anything");
	m.pl_state = PL_BAD;
	decide(&m);
	CHECK(vd.guard == 1 && vd.audit == 0);
	/* Spawn options and group leaders. */
	m = msg(DOP_SPAWN_REQUEST, DG_T_SPAWN_REQUEST);
	m.via = VIA_SPAWN;
	m.exec_m = sp("m");
	m.exec_f = sp("f");
	m.t_gl.p = gl_peer;
	m.t_gl.len = sizeof(gl_peer);
	m.t_opts.p = nil;
	m.t_opts.len = sizeof(nil);
	decide(&m);
	CHECK(vd.guard == 0 && vd.audit == 1);
	m.t_opts.p = huge;
	m.t_opts.len = sizeof(huge);
	decide(&m);
	CHECK(vd.guard == 1 && vd.audit == 0 && vd.action == DG_DENY);
	m.t_opts.p = nil;
	m.t_opts.len = sizeof(nil);
	m.t_gl.p = gl_local;
	decide(&m);
	CHECK(vd.guard == 1 && vd.audit == 0);
	/* A send to one of global's processes that is not a reply. */
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	m.disclosed = DISCLOSED_GLOBAL;
	decide(&m);
	CHECK(vd.guard == 1 && vd.audit == 0);
	m.pl_reply = 1;
	decide(&m);
	CHECK(vd.guard == 0 && vd.audit == 1);
}

static void
test_profiles_of(void)
{
	struct dist_msg m = msg(DOP_MONITOR_P, DG_T_MONITOR);

	m.has_name = 1;
	m.name = sp("net_kernel");
	CHECK_EQ(rules_profiles_of(&m), 1u << DG_PROFILE_PING);
	m = reg_send("net_kernel");
	m.is_auth = 1;
	CHECK_EQ(rules_profiles_of(&m), 1u << DG_PROFILE_PING);
	m = reg_send("dgt_gs");
	CHECK_EQ(rules_profiles_of(&m), 0u);
	m = msg(DOP_SEND_SENDER, DG_T_SEND);
	CHECK_EQ(rules_profiles_of(&m), 0u);
	m.disclosed = 1;
	CHECK_EQ(rules_profiles_of(&m), (1u << DG_PROFILE_GLOBAL) |
	    (1u << DG_PROFILE_REPLIES));
}

static void
test_seen_table(void)
{
	struct seen *s = seen_new();
	char name[32], *text;
	size_t len;
	int i, rc;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(seen_note(s, NULL, "b@h", "a@h", DG_T_REG_SEND, "x", 1,
	    SEEN_WOULD_DENY, 0, 0, 10), 1);
	CHECK_EQ(seen_note(s, NULL, "b@h", "a@h", DG_T_REG_SEND, "x", 1,
	    SEEN_WOULD_DENY, 0, 0, 11), 0);
	CHECK_EQ(seen_note(s, NULL, "b@h", "a@h", DG_T_REG_SEND, "x", 1,
	    SEEN_ALLOWED, 0, 0, 12), 1);
	/* Lengths are part of the key. */
	CHECK_EQ(seen_note(s, NULL, "b@", "ha@h", DG_T_REG_SEND, "x", 1,
	    SEEN_WOULD_DENY, 0, 0, 13), 1);
	/* A name with a tab and a '%' is escaped. */
	CHECK_EQ(seen_note(s, NULL, "b@h", "a@h", DG_T_REG_SEND, "a\t%", 3,
	    SEEN_DENIED, 0, SEEN_F_DISCLOSED, 14), 1);
	text = seen_render(s, &len);
	CHECK(text != NULL);
	if (text != NULL) {
		CHECK(strncmp(text, "# seen 3 of 4096, dropped 0\n", 28) == 0);
		CHECK(strstr(text, "b@h\ta@h\treg_send\tx\t1\t2\t0\t0\t0\t0\t10\t12\n")
		    != NULL);
		CHECK(strstr(text, "\ta%09%25\t0\t0\t1\t") != NULL);
		free(text);
	}
	/* A connection's cache of its last key: the same key counts on
	 * without a lookup, another is looked up (and cached). */
	{
		struct seen_entry *last = NULL;

		CHECK_EQ(seen_note(s, &last, "b@h", "a@h", DG_T_REG_SEND, "x",
		    1, SEEN_DENIED, 0, 0, 15), 1);
		CHECK(last != NULL);
		CHECK_EQ(seen_note(s, &last, "b@h", "a@h", DG_T_REG_SEND, "x",
		    1, SEEN_DENIED, 0, 0, 16), 0);
		CHECK_EQ(seen_note(s, &last, "b@h", "a@h", DG_T_MONITOR, "x",
		    1, SEEN_DENIED, 0, 0, 16), 1);
		CHECK_EQ(seen_note(s, &last, "b@h", "a@h", DG_T_REG_SEND, "x",
		    1, SEEN_DENIED, 0, 0, 17), 0);
		text = seen_render(s, &len);
		CHECK(text != NULL && strstr(text,
		    "b@h\ta@h\treg_send\tx\t1\t2\t3\t0\t0\t0\t10\t17\n") != NULL);
		free(text);
	}
	/* The bound: new keys past it are not kept; known ones count on. */
	for (i = 4; i < SEEN_MAX + 10; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		rc = seen_note(s, NULL, "b@h", "a@h", DG_T_REG_SEND, name,
		    strlen(name), SEEN_ALLOWED, 0, 0, 20);
		if (i < SEEN_MAX && rc != 1)
			break;
		if (i >= SEEN_MAX && rc != -1)
			break;
	}
	CHECK_EQ(i, SEEN_MAX + 10);
	CHECK_EQ(seen_note(s, NULL, "b@h", "a@h", DG_T_REG_SEND, "x", 1,
	    SEEN_ALLOWED, 0, 0, 30), 0);
	text = seen_render(s, &len);
	CHECK(text != NULL && strncmp(text, "# seen 4096 of 4096, dropped 10\n",
	    32) == 0);
	if (text != NULL && strncmp(text, "# seen 4096", 11) != 0)
		printf("  %.60s\n", text);
	free(text);
	seen_free(s);
}

/* suggest_from on a table, its output in *text (malloc'd). */
static int
suggest(const char *table, const char *node, double since, char **text)
{
	char *in = strdup(table);
	size_t len = 0;
	FILE *out;
	int rc;

	*text = NULL;
	if (in == NULL || (out = open_memstream(text, &len)) == NULL) {
		free(in);
		return -1;
	}
	rc = suggest_from(in, node, since, out);
	fclose(out);
	free(in);
	return rc;
}

static void
conf_err(void *arg, const char *file, int line, const char *msg)
{
	(*(int *)arg)++;
	printf("  %s:%d: %s\n", file, line, msg);
}

static void
test_suggest(void)
{
	static const char table[] =
	    "# seen 12 of 4096, dropped 0\n"
	    "b@h\ta@h\treg_send\tdgt_gs\t0\t3\t0\t0\t0\t0\t1\t2\n"
	    "b@h\ta@h\tmonitor\tdgt_gs\t0\t3\t0\t0\t0\t0\t1\t2\n"
	    "b@h\ta@h\tmonitor\tnet_kernel\t0\t2\t0\t1\t0\t0\t1\t2\n"
	    "b@h\ta@h\tspawn_request\tos:cmd/1\t0\t1\t0\t0\t0\t0\t1\t2\n"
	    "b@h\ta@h\treg_send\trex\t4\t0\t0\t0\t0\t0\t1\t2\n"
	    "b@h\ta@h\treg_send\tWeird%20'Name\t0\t1\t0\t0\t0\t0\t1\t2\n"
	    "b@h\ta@h\tsend\t-\t0\t1\t0\t0\t0\t1\t1\t2\n"
	    "b@h\trpc-1a2b-app@h\tspawn_request\terlang:node/0\t0\t1\t0\t0\t0\t0\t1\t2\n"
	    "b@h\trpc-ffff-app@h2\tspawn_request\terlang:node/0\t0\t1\t0\t0\t0\t0\t1\t2\n"
	    "b@h\tc1@h3\tlink\t-\t0\t1\t0\t0\t1\t0\t1\t2\n"
	    "b@h\tc2@h3\tlink\t-\t0\t1\t0\t0\t1\t0\t1\t2\n"
	    "b@h\tx@h\tspawn_request\terlang:halt/0\t0\t0\t5\t0\t0\t0\t1\t2\n";
	struct dist_msg m;
	struct dg_conf *conf;
	char *text, *bad;
	int nerr = 0;

	CHECK_EQ(suggest(table, NULL, 0, &text), 0);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	CHECK(strstr(text, "{node, \"b@h\", [\n") != NULL);
	CHECK(strstr(text, "        ping,") != NULL);
	CHECK(strstr(text, "{allow, reg_send, [dgt_gs]},") != NULL);
	CHECK(strstr(text, "% 6 messages\n") != NULL);	/* send + monitor */
	CHECK(strstr(text, "{allow, spawn_request, [{os, cmd, 1}]},") != NULL);
	CHECK(strstr(text, "RISKY: runs a shell command") != NULL);
	CHECK(strstr(text, "[rex]},") != NULL);
	CHECK(strstr(text, "RISKY: an OTP server") != NULL);
	CHECK(strstr(text, "['Weird \\'Name']") != NULL);
	CHECK(strstr(text, "{allow, send},") != NULL);
	CHECK(strstr(text, "{allow, funs}") != NULL);
	/* Both release helpers, of two hosts, in one pattern. */
	CHECK(strstr(text, "{peer, \"rpc-*-app@*\"") != NULL);
	CHECK(strstr(text, "rpc-1a2b") == NULL);
	/* Two nodes of one host with the same rules. */
	CHECK(strstr(text, "{peer, \"*@h3\"") != NULL);
	CHECK(strstr(text, "{allow, link, disclosed}") != NULL);
	CHECK(strstr(text, "not suggested: 5 refused spawn_request to "
	    "erlang:halt/0") != NULL);
	CHECK(strstr(text, "allow_all") == NULL);
	/* It loads as it is, and allows what was seen, not more. */
	conf = conf_load_text("suggested", text, strlen(text), conf_err,
	    &nerr);
	CHECK(conf != NULL && nerr == 0);
	if (nerr != 0)
		printf("%s", text);
	if (conf != NULL) {
		CHECK_EQ(rules_resolve(conf, "b@h", "a@h", &pol), 1);
		m = reg_send("dgt_gs");
		decide(&m);
		CHECK_EQ(vd.action, DG_ALLOW);
		m = reg_send("other");
		decide(&m);
		CHECK_EQ(vd.action, DG_DENY);
		CHECK_EQ(rules_resolve(conf, "b@h", "rpc-9999-app@h", &pol), 1);
		CHECK_EQ(rules_resolve(conf, "b@h", "x@h", &pol), 0);
		CHECK_EQ(rules_resolve(conf, "b@h", "c3@h3", &pol), 1);
		conf_unref(conf);
	}
	free(text);
	/* --node and --since leave out what they do not match. */
	CHECK_EQ(suggest(table, "z@*", 0, &text), 0);
	CHECK(text != NULL && strstr(text, "{node,") == NULL);
	free(text);
	CHECK_EQ(suggest(table, NULL, 3, &text), 0);
	CHECK(text != NULL && strstr(text, "{peer,") == NULL);
	free(text);
	/* Not a table. */
	CHECK_EQ(suggest("unknown command\n", NULL, 0, &bad), 1);
	free(bad);
	CHECK_EQ(suggest("# seen 1 of 4096, dropped 0\nb@h\ta@h\tbogus\t-\t"
	    "1\t0\t0\t0\t0\t0\t1\t2\n", NULL, 0, &bad), 1);
	free(bad);
}

int
main(void)
{
	RUN(test_mode_resolution);
	RUN(test_not_admitted);
	RUN(test_policy_refusals_audited);
	RUN(test_protections_kept);
	RUN(test_profiles_of);
	RUN(test_seen_table);
	RUN(test_suggest);
	return TEST_DONE();
}
