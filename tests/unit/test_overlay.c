/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_overlay.c - break-glass support in conf/conf.c: rules given as
 * text (conf_parse_rules) with their errors, and overlays (conf_overlay)
 * in front of every scope, leaving the base configuration untouched and
 * freeing cleanly in either order.  Also the {metrics} and {grants}
 * options.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "dg_test.h"
#include "conf/conf.h"
#include "rules.h"

static char cookie_path[64];
static char last_err[512];
static int nerr;

static void
collect(void *arg, const char *file, int line, const char *msg)
{
	nerr++;
	snprintf(last_err, sizeof(last_err), "%s:%d: %s", file, line, msg);
}

static struct dg_conf *
load(const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text), "{cookie, {file, \"%s\"}}.\n%s",
	    cookie_path, extra);
	nerr = 0;
	last_err[0] = '\0';
	return conf_load_text("t.conf", text, strlen(text), collect, NULL);
}

static int
parses(const char *rules)
{
	struct dg_ruleset rs;
	int rc;

	nerr = 0;
	last_err[0] = '\0';
	rc = conf_parse_rules("RULES", rules, strlen(rules), &rs, collect, NULL);
	if (rc == 0)
		conf_ruleset_free(&rs);
	return rc == 0;
}

static void
test_parse_rules(void)
{
	struct dg_ruleset rs;

	CHECK(parses("[allow_all]"));
	CHECK(parses("[allow_all]."));
	CHECK(parses("[{allow, spawn_request, [{erlang, node, 0}]}, ping]\n"));
	CHECK_EQ(conf_parse_rules("RULES", "[ping, {deny, link}]", 20, &rs,
	    collect, NULL), 0);
	CHECK_EQ(rs.nrules, 2);
	CHECK_EQ(rs.rules[1].action, DG_DENY);
	conf_ruleset_free(&rs);

	CHECK(!parses("[allow_al"));
	CHECK(strncmp(last_err, "RULES:1: ", 9) == 0);
	CHECK(!parses("[{allow, foo}]"));
	CHECK(strstr(last_err, "unknown message type 'foo'") != NULL);
	CHECK(!parses("allow_all"));
	CHECK(strstr(last_err, "must be a list") != NULL);
	CHECK(!parses("[]"));
	CHECK(strstr(last_err, "at least one rule") != NULL);
	CHECK(!parses("[ping]. {cookie, \"x\"}."));
	CHECK(strstr(last_err, "one list") != NULL);
	CHECK(!parses(""));
	CHECK(!parses("[{allow, spawn_request, [{erlang, node, X}]}]"));
}

static void
test_overlay_in_front_of_every_scope(void)
{
	struct dg_conf *base, *ov;
	struct dg_overlay o[2] = {
		{ "ops@*", "[allow_all]", 2 },
		{ "*", "[ping]", 1 },
	};
	struct rules_policy pol;

	base = load("{peer, \"ops@*\", [ping]}.\n"
	    "{node, \"db*\", [{peer, \"ops@*\", [{deny, link}]}, {default, deny}]}.\n");
	CHECK(base != NULL);
	if (base == NULL)
		return;
	ov = conf_overlay(base, o, 2, collect, NULL);
	CHECK(ov != NULL);
	if (ov == NULL)
		return;
	CHECK(conf_root(ov) == base);
	CHECK(conf_root(base) == base);
	CHECK_EQ(ov->top.npeers, 3);
	CHECK_EQ(ov->nodes[0].npeers, 3);
	CHECK(strcmp(ov->top.peers[0].pattern, "ops@*") == 0);
	CHECK_EQ(ov->top.peers[0].rules.rules[0].kind, DG_R_ALLOW_ALL);
	CHECK(strcmp(ov->nodes[0].peers[1].pattern, "*") == 0);
	CHECK_EQ(ov->nodes[0].peers[2].rules.rules[0].kind, DG_R_TYPE);
	/* The base is untouched. */
	CHECK_EQ(base->top.npeers, 1);
	CHECK_EQ(base->nodes[0].npeers, 1);
	/* The node scope's overlay decides before the scope's own entry. */
	CHECK_EQ(rules_resolve(ov, "db1@h", "ops@h", &pol), 1);
	CHECK(pol.peer == &ov->nodes[0].peers[0]);
	CHECK_EQ(rules_resolve(base, "db1@h", "ops@h", &pol), 1);
	CHECK(pol.peer == &base->nodes[0].peers[0]);
	/* The base may go first: the overlay holds a reference. */
	conf_unref(base);
	CHECK_EQ(rules_resolve(ov, "web@h", "ops@h", &pol), 1);
	CHECK(pol.peer == &ov->top.peers[0]);
	conf_unref(ov);
}

static void
test_overlay_of_overlay_and_errors(void)
{
	struct dg_conf *base, *a, *b;
	struct dg_overlay one = { "x@*", "[ping]", 1 };
	struct dg_overlay bad = { "x@*", "[nope]", 7 };

	base = load("");
	CHECK(base != NULL);
	if (base == NULL)
		return;
	a = conf_overlay(base, &one, 1, collect, NULL);
	CHECK(a != NULL);
	/* Built from an overlay, it overlays the root, not the overlay. */
	b = conf_overlay(a, &one, 1, collect, NULL);
	CHECK(b != NULL && b->base == base && b->top.npeers == 1);
	nerr = 0;
	CHECK(conf_overlay(base, &bad, 1, collect, NULL) == NULL);
	CHECK(nerr > 0 && strncmp(last_err, "grant 7:1: ", 11) == 0);
	conf_unref(a);
	conf_unref(b);
	CHECK_EQ(base->refcnt, 1);
	conf_unref(base);
}

static void
test_metrics_grants_options(void)
{
	struct dg_conf *c;

	c = load("{metrics, \"127.0.0.1:9369\"}.\n");
	CHECK(c != NULL && c->metrics_on && c->metrics_max_peers == 100);
	if (c)
		CHECK_EQ(ntohs(((struct sockaddr_in *)&c->metrics_addr.ss)->sin_port),
		    9369);
	conf_unref(c);
	c = load("{metrics, [{listen, \"[::1]:19369\"}, {max_peers, 5}, "
	    "{max_connections, 2}]}.\n{grants, [{keep_on_reload, true}, "
	    "{max, 3}, {max_duration, 600}, {state_file, \"/tmp/g\"}]}.\n");
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_EQ(c->metrics_addr.ss.ss_family, AF_INET6);
		CHECK_EQ(c->metrics_max_peers, 5);
		CHECK_EQ(c->metrics_max_conns, 2);
		CHECK_EQ(c->grants_keep_on_reload, 1);
		CHECK_EQ(c->grants_max, 3);
		CHECK_EQ((int)c->grants_max_duration, 600);
		CHECK(strcmp(c->grants_state_file, "/tmp/g") == 0);
		conf_unref(c);
	}
	c = load("{metrics, \"127.0.0.1\"}.\n");
	CHECK(c == NULL && strstr(last_err, "t.conf:2: metrics: \"127.0.0.1\" "
	    "must be ADDRESS:PORT") != NULL);
	c = load("{metrics, \"::1:9369\"}.\n");
	CHECK(c == NULL && strstr(last_err, "in brackets") != NULL);
	c = load("{metrics, \"localhost:9369\"}.\n");
	CHECK(c == NULL && strstr(last_err, "not a numeric") != NULL);
	c = load("{metrics, \"127.0.0.1:70000\"}.\n");
	CHECK(c == NULL && strstr(last_err, "1..65535") != NULL);
	c = load("{metrics, [{max_peers, 5}]}.\n");
	CHECK(c == NULL && strstr(last_err, "listen option is required") != NULL);
	c = load("{grants, [{max_duration, 0}]}.\n");
	CHECK(c == NULL && strstr(last_err, "t.conf:2: grants: max_duration") != NULL);
}

int
main(void)
{
	int fd;

	snprintf(cookie_path, sizeof(cookie_path), "/tmp/dg-ovl-%ld.cookie",
	    (long)getpid());
	fd = open(cookie_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, "abc", 3) != 3)
		abort();
	close(fd);
	RUN(test_parse_rules);
	RUN(test_overlay_in_front_of_every_scope);
	RUN(test_overlay_of_overlay_and_errors);
	RUN(test_metrics_grants_options);
	unlink(cookie_path);
	return TEST_DONE();
}
