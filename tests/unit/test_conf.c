/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_conf.c - the configuration loader (conf/conf.c) and the flag names
 * (core/names.c): every entry, every kind of error with its file:line,
 * cookie file secrecy, the lookups, and the embedded default.
 *
 * HOME points at a private temporary directory holding a 0400
 * .erlang.cookie, so configurations without {cookie, ...} load as they
 * would for a user who has run `erl` once.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "core/addr.h"
#include "dg_test.h"
#include "conf/conf.h"
#include "dg_flags.h"

#define MAX_ERRS	64

struct errs {
	int	 n;
	char	 text[MAX_ERRS][300];
};

static char	tmpdir[256];
static char	homedir[300];

static void
collect(void *arg, const char *file, int line, const char *msg)
{
	struct errs *e = arg;

	if (e->n < MAX_ERRS)
		snprintf(e->text[e->n], sizeof(e->text[0]), "%s:%d: %s", file,
		    line, msg);
	e->n++;
}

static struct dg_conf *
load(const char *text, struct errs *e)
{
	memset(e, 0, sizeof(*e));
	return conf_load_text("t.conf", text, strlen(text), collect, e);
}

/* 1 when some reported error starts with "t.conf:<line>: " and holds
 * needle. */
static int
has(const struct errs *e, int line, const char *needle)
{
	char prefix[32];
	int i;

	snprintf(prefix, sizeof(prefix), "t.conf:%d: ", line);
	for (i = 0; i < e->n && i < MAX_ERRS; i++)
		if (strncmp(e->text[i], prefix, strlen(prefix)) == 0 &&
		    strstr(e->text[i], needle) != NULL)
			return 1;
	return 0;
}

static void
dump(const struct errs *e)
{
	int i;

	for (i = 0; i < e->n && i < MAX_ERRS; i++)
		fprintf(stderr, "    %s\n", e->text[i]);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
}

static void
test_default_text_is_example(void)
{
	size_t len;
	uint8_t *f;
	FILE *fp;
	long n;

	fp = fopen("examples/distguard.conf", "rb");
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f = malloc((size_t)n + 1);
	len = fread(f, 1, (size_t)n, fp);
	fclose(fp);
	CHECK_EQ(len, strlen(conf_default_text));
	CHECK(memcmp(f, conf_default_text, len) == 0);
	free(f);
}

static void
test_default_loads(void)
{
	struct errs e;
	struct dg_conf *c;
	const struct dg_cookie *ck;

	memset(&e, 0, sizeof(e));
	c = conf_load(NULL, collect, &e);
	CHECK(c != NULL);
	if (c == NULL) {
		dump(&e);
		return;
	}
	CHECK(strcmp(c->path, "<embedded>") == 0);
	CHECK_EQ(c->epmd_port, 4369);
	CHECK_EQ(c->nepmd_addrs, 2);
	CHECK(strcmp(c->epmd_addrs[1].text, "::") == 0);
	CHECK_EQ(ntohs(((struct sockaddr_in *)&c->epmd_addrs[0].ss)->sin_port),
	    4369);
	CHECK_EQ(c->listen_port_min, 4370);
	CHECK_EQ(c->listen_port_max, 4469);
	CHECK_EQ(c->nreg_from, 2);
	CHECK_EQ(c->hs_withhold, DFLAG_DIST_HDR_ATOM_CACHE);
	CHECK_EQ(c->hs_require, DFLAG_MANDATORY_25);
	CHECK_EQ(c->refcnt, 1);
	CHECK(c->top.has_default);
	CHECK_EQ(c->top.def, DG_DEF_RULES);
	CHECK_EQ(c->top.def_rules.nrules, 3);
	CHECK_EQ(c->top.def_rules.rules[0].kind, DG_R_PROFILE);
	CHECK_EQ(c->top.def_rules.rules[1].profile, DG_PROFILE_GLOBAL);
	ck = conf_peer_cookie(c, "x@y");
	CHECK(ck != NULL && ck->pattern == NULL && ck->len == 10 &&
	    memcmp(ck->secret, "HOMECOOKIE", 10) == 0);
	CHECK(conf_node_cookie(c, "b@h") == ck);
	conf_unref(c);
}

/* Built-in defaults when the file says nothing but a cookie. */
static void
test_builtin_defaults(void)
{
	struct errs e;
	struct dg_conf *c = load("{cookie, \"abc\"}.\n", &e);

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_EQ(c->names_from, DG_NAMES_LOCAL);
	/* fail closed: unmediated and exposed nodes are refused */
	CHECK_EQ(c->egress_mode, DG_EGRESS_REQUIRED);
	CHECK_EQ(c->local_guard, DG_LGUARD_REQUIRED);
	CHECK_EQ(c->nlocal_users, 0);
	CHECK_EQ(c->exposed_mode, DG_EXPOSED_REFUSE);
	CHECK_EQ((int)c->epmd_timeout, 5);
	CHECK_EQ(c->epmd_max_conns, 1024);
	CHECK_EQ(c->epmd_max_per_source, 64);
	CHECK(strcmp(c->listen_addr.text, "0.0.0.0") == 0);
	CHECK_EQ((int)c->hs_timeout, 7);
	CHECK_EQ(c->hs_max_pending, 512);
	CHECK_EQ(c->hs_max_per_source, 32);
	CHECK_EQ(c->hs_check_host, 0);
	CHECK_EQ(c->ban_failures, 5);
	CHECK_EQ((int)c->ban_window, 60);
	CHECK_EQ((int)c->ban_duration, 600);
	CHECK(c->alerts_path == NULL);
	CHECK_EQ(c->alerts_per_source, 30);
	CHECK_EQ(c->max_frame, 64u << 20);
	CHECK_EQ(c->max_frag_seqs, 64);
	CHECK_EQ(c->max_frag_bytes, (uint64_t)256 << 20);
	CHECK(c->control_path == NULL);
	CHECK_EQ(c->top.has_default, 0);
	CHECK_EQ(c->top.def, DG_DEF_DENY);
	CHECK_EQ(c->nnodes, 0);
	CHECK_EQ(c->ncookies, 1);
	conf_unref(c);
}

static const char full_conf[] =
	"% every entry\n"
	"{epmd, [{port, 14369}, {addresses, [\"127.0.0.1\", \"::1\"]},\n"
	"        {names_from, any}, {timeout, 9}, {max_connections, 10},\n"
	"        {max_per_source, 3}]}.\n"
	"{listen, [{address, \"::\"}, {ports, {5000, 5009}}]}.\n"
	"{registration_from, [\"10.0.0.0/8\", \"fd00::/8\", \"192.0.2.7\"]}.\n"
	"{cookie, 'plain'}.\n"
	"{cookie, \"web@*\", \"webcookie\"}.\n"
	"{node_cookie, \"nodecookie\"}.\n"
	"{node_cookie, \"db@*\", \"dbcookie\"}.\n"
	"{handshake, [{timeout, 3}, {max_pending, 100}, {max_per_source, 4},\n"
	"             {withhold_flags, ['DIST_HDR_ATOM_CACHE', fragments]},\n"
	"             {require_flags, ['MANDATORY_25', 'SPAWN']},\n"
	"             {check_host, true}]}.\n"
	"{bans, [{failures, 0}, {window, 30}, {duration, 3600}]}.\n"
	"{alerts, [{file, \"/var/log/dg.json\"}, {syslog, true},\n"
	"          {per_source, 7}]}.\n"
	"{limits, [{max_frame, 1048576}, {max_fragment_sequences, 8},\n"
	"          {max_fragment_bytes, 2097152}]}.\n"
	"{control, \"/run/distguard.sock\"}.\n"
	"{default, deny}.\n"
	"{peer, \"web@*\", [ping, {allow, reg_send, [my_server, other]},\n"
	"                  {drop, link}], [{disconnect, true}]}.\n"
	"{peer, \"admin@*\", [allow_all], [{mode, enforce}]}.\n"
	"{node, \"db@*\", [{peer, \"web@*\", [{deny, spawn_request,\n"
	"                   [{'_', '_', '_'}, {erlang, halt, 0}]}]},\n"
	"                 {mode, enforce}, {default, allow}, {uid, \"daemon\"}]}.\n"
	"{user, \"nobody\"}.\n"
	"{group, daemon}.\n"
	"{egress, optional}.\n"
	"{exposed, alert}.\n"
	"{local_guard, optional}.\n"
	"{local_users, [{\"db@*\", \"daemon\"}, {\"web*\", \"nobody\"}]}.\n"
	"{mode, audit}.\n";

static void
test_every_entry(void)
{
	struct errs e;
	struct dg_conf *c = load(full_conf, &e);
	struct dg_rule *r;

	CHECK(c != NULL);
	if (c == NULL) {
		dump(&e);
		return;
	}
	CHECK_EQ(c->epmd_port, 14369);
	CHECK_EQ(c->nepmd_addrs, 2);
	CHECK_EQ(c->epmd_addrs[1].ss.ss_family, AF_INET6);
	CHECK_EQ(ntohs(((struct sockaddr_in6 *)&c->epmd_addrs[1].ss)->sin6_port),
	    14369);
	CHECK_EQ(c->names_from, DG_NAMES_ANY);
	CHECK_EQ(c->egress_mode, DG_EGRESS_OPTIONAL);
	CHECK_EQ(c->exposed_mode, DG_EXPOSED_ALERT);
	CHECK_EQ(c->local_guard, DG_LGUARD_OPTIONAL);
	/* The node scope's {uid, ...} first (file order), then the list. */
	CHECK_EQ(c->nlocal_users, 3);
	if (c->nlocal_users == 3) {
		CHECK(strcmp(c->local_users[0].pattern, "db@*") == 0);
		CHECK_EQ(c->local_users[0].line_node, 25);
		CHECK_EQ(c->local_users[0].uid, 1);
		CHECK(strcmp(c->local_users[1].pattern, "db@*") == 0);
		CHECK(strcmp(c->local_users[1].user, "daemon") == 0);
		CHECK_EQ(c->local_users[1].uid, 1);
		CHECK_EQ(c->local_users[1].line_node, 0);
		CHECK_EQ(c->local_users[2].uid, 65534);
	}
	CHECK_EQ((int)c->epmd_timeout, 9);
	CHECK_EQ(c->epmd_max_conns, 10);
	CHECK_EQ(c->epmd_max_per_source, 3);
	CHECK_EQ(c->listen_addr.ss.ss_family, AF_INET6);
	CHECK_EQ(c->listen_port_min, 5000);
	CHECK_EQ(c->listen_port_max, 5009);
	CHECK_EQ(c->nreg_from, 3);
	CHECK_EQ(c->reg_from[0].prefix, 8);
	CHECK_EQ(c->reg_from[1].family, AF_INET6);
	CHECK_EQ(c->reg_from[2].prefix, 32);
	CHECK_EQ(c->ncookies, 2);
	CHECK_EQ(c->nnode_cookies, 2);
	CHECK_EQ((int)c->hs_timeout, 3);
	CHECK_EQ(c->hs_max_pending, 100);
	CHECK_EQ(c->hs_max_per_source, 4);
	CHECK_EQ(c->hs_withhold, DFLAG_DIST_HDR_ATOM_CACHE | DFLAG_FRAGMENTS);
	CHECK_EQ(c->hs_require, DFLAG_MANDATORY_25 | DFLAG_SPAWN);
	CHECK_EQ(c->hs_check_host, 1);
	CHECK_EQ(c->ban_failures, 0);
	CHECK_EQ((int)c->ban_window, 30);
	CHECK_EQ((int)c->ban_duration, 3600);
	CHECK(c->alerts_path && strcmp(c->alerts_path, "/var/log/dg.json") == 0);
	CHECK_EQ(c->alerts_syslog, 1);
	CHECK_EQ(c->alerts_per_source, 7);
	CHECK_EQ(c->max_frame, 1048576);
	CHECK_EQ(c->max_frag_seqs, 8);
	CHECK_EQ(c->max_frag_bytes, 2097152);
	CHECK(c->control_path && strcmp(c->control_path,
	    "/run/distguard.sock") == 0);
	CHECK(c->top.has_default && c->top.def == DG_DEF_DENY);
	CHECK_EQ(c->top.def_line, 21);
	CHECK(c->run_user && strcmp(c->run_user, "nobody") == 0);
	CHECK_EQ(c->run_uid, getpwnam("nobody")->pw_uid);
	CHECK(c->run_group && strcmp(c->run_group, "daemon") == 0);
	CHECK_EQ(c->run_gid, getgrnam("daemon")->gr_gid);

	CHECK_EQ(c->top.npeers, 2);
	CHECK(strcmp(c->top.peers[0].pattern, "web@*") == 0);
	CHECK_EQ(c->top.peers[0].line, 22);
	CHECK_EQ(c->top.peers[0].disconnect, 1);
	CHECK_EQ(c->top.peers[0].rules.nrules, 3);
	r = c->top.peers[0].rules.rules;
	CHECK_EQ(r[0].kind, DG_R_PROFILE);
	CHECK_EQ(r[0].profile, DG_PROFILE_PING);
	CHECK_EQ(r[1].kind, DG_R_NAMES);
	CHECK_EQ(r[1].action, DG_ALLOW);
	CHECK_EQ(r[1].type, DG_T_REG_SEND);
	CHECK_EQ(r[1].nnames, 2);
	CHECK(strcmp(r[1].names[1], "other") == 0);
	CHECK_EQ(r[2].kind, DG_R_TYPE);
	CHECK_EQ(r[2].action, DG_DROP);
	CHECK_EQ(r[2].type, DG_T_LINK);
	CHECK_EQ(r[2].line, 23);
	CHECK_EQ(c->top.peers[1].disconnect, 0);
	CHECK_EQ(c->top.peers[1].rules.rules[0].kind, DG_R_ALLOW_ALL);

	CHECK_EQ(c->nnodes, 1);
	CHECK_EQ(c->top.mode, DG_MODE_AUDIT);
	CHECK_EQ(c->top.mode_line, 34);
	CHECK_EQ(c->top.peers[0].mode, DG_MODE_UNSET);
	CHECK_EQ(c->top.peers[1].mode, DG_MODE_ENFORCE);
	CHECK_EQ(c->nodes[0].mode, DG_MODE_ENFORCE);
	CHECK_EQ(c->nodes[0].mode_line, 27);
	CHECK(strcmp(c->nodes[0].node_pattern, "db@*") == 0);
	CHECK_EQ(c->nodes[0].line, 25);
	CHECK(c->nodes[0].has_default && c->nodes[0].def == DG_DEF_ALLOW);
	CHECK_EQ(c->nodes[0].def_line, 27);
	CHECK_EQ(c->nodes[0].npeers, 1);
	r = c->nodes[0].peers[0].rules.rules;
	CHECK_EQ(r[0].kind, DG_R_MFAS);
	CHECK_EQ(r[0].action, DG_DENY);
	CHECK_EQ(r[0].nmfas, 2);
	CHECK(r[0].mfas[0].m == NULL && r[0].mfas[0].f == NULL &&
	    r[0].mfas[0].arity == -1);
	CHECK(strcmp(r[0].mfas[1].m, "erlang") == 0 &&
	    strcmp(r[0].mfas[1].f, "halt") == 0 && r[0].mfas[1].arity == 0);

	conf_ref(c);
	CHECK_EQ(c->refcnt, 2);
	conf_unref(c);
	CHECK_EQ(c->refcnt, 1);
	conf_unref(c);
}

/* One bad entry per case: the error and its line. */
static const struct {
	const char	*text;
	int		 line;
	const char	*msg;
} bad_cases[] = {
	{ "{bogus, 1}.\n", 1, "unknown entry 'bogus'" },
	{ "\n\n[a].\n", 3, "entries are tuples" },
	{ "{epmd, [{port, 0}]}.\n", 1, "epmd: port must be 1..65535" },
	{ "{epmd, [{port, 70000}]}.\n", 1, "epmd: port must be 1..65535" },
	{ "{epmd, [\n{timeout, 0}]}.\n", 2,
	    "epmd: timeout must be 1..3600 seconds" },
	{ "{epmd, [{timeout, 5}, {timeout, 6}]}.\n", 1, "given twice" },
	{ "{epmd, [{colour, red}]}.\n", 1, "epmd: unknown option 'colour'" },
	{ "{epmd, [{names_from, all}]}.\n", 1, "local, any or none" },
	{ "\n{egress, always}.\n", 2,
	    "egress must be {egress, required | optional | off}" },
	{ "{egress, \"off\"}.\n", 1, "egress must be {egress, required" },
	{ "{egress, off}.\n{egress, required}.\n", 2, "egress given twice" },
	{ "{exposed, refuse, now}.\n", 1,
	    "exposed must be {exposed, refuse | alert | off}" },
	{ "{exposed, warn}.\n", 1, "exposed must be {exposed, refuse" },
	{ "\n{local_guard, on}.\n", 2,
	    "local_guard must be {local_guard, required | optional | off}" },
	{ "{local_guard, off}.\n{local_guard, off}.\n", 2,
	    "local_guard given twice" },
	{ "{local_users, []}.\n", 1, "local_users takes a list of 1..256" },
	{ "{local_users, [db]}.\n", 1, "local_users takes [{\"node pattern\"" },
	{ "{local_users, [{\"db*\", \"no_such_user_dg\"}]}.\n", 1,
	    "local_users: user \"no_such_user_dg\": no such user" },
	{ "{uid, \"daemon\"}.\n", 1, "uid belongs inside {node, Pattern" },
	{ "{node, \"db@*\", [\n{uid, \"no_such_user_dg\"}]}.\n", 2,
	    "uid: user \"no_such_user_dg\": no such user" },
	{ "{node, \"db@*\", [{uid, \"daemon\"},\n{uid, \"nobody\"}]}.\n", 2,
	    "uid given twice in node \"db@*\"" },
	{ "{node, \"db@*\", [\n\n{uid, daemon, x}]}.\n", 3,
	    "uid takes {uid, \"user\"}" },
	{ "{node, \"db@*\", [{uid, 7}]}.\n", 1, "uid user" },
	{ "{node, \"db@*\", [{user, \"x\"}]}.\n", 1,
	    "{handler, ...} and {uid, ...} are allowed" },
	{ "{epmd, [{addresses, [\"1.2.3\"]}]}.\n", 1, "not a numeric" },
	{ "{epmd, [{addresses, []}]}.\n", 1, "1..16 addresses" },
	{ "{epmd, [{addresses, [\"::\", \"::0\"]}]}.\n", 1, "listed twice" },
	{ "{epmd, port}.\n", 1, "takes a list" },
	{ "{epmd, []}.\n{epmd, []}.\n", 2, "epmd given twice (first on line 1)" },
	{ "{listen, [{ports, {10, 5}}]}.\n", 1, "Min must be <= Max" },
	{ "{listen, [{ports, {0, 5}}]}.\n", 1, "must be 1..65535" },
	{ "{registration_from, [\"10.0.0.1/8\"]}.\n", 1,
	    "bits set past the /8" },
	{ "{registration_from, [\"10.0.0.0/33\"]}.\n", 1, "must be 0..32" },
	{ "{registration_from, []}.\n", 1, "1..256" },
	{ "{handshake, [{withhold_flags, [nonsense]}]}.\n", 1,
	    "unknown flag 'nonsense'" },
	{ "{handshake, [{withhold_flags, ['UTF8_ATOMS']}]}.\n", 1,
	    "cannot withhold UTF8_ATOMS: OTP 23, 24, 25, 26, 27, 28, 29 nodes "
	    "require it" },
	{ "{handshake, [{withhold_flags, ['MAP_TAG']}]}.\n", 1,
	    "cannot withhold MAP_TAG: OTP 25, 26, 27, 28, 29 nodes require it" },
	{ "\n{handshake, [{timeout, 7},\n"
	    "  {withhold_flags, ['DIST_HDR_ATOM_CACHE', 'V4_NC']}]}.\n", 3,
	    "cannot withhold V4_NC: OTP 26, 27, 28, 29 nodes require it" },
	{ "{handshake, [{withhold_flags, ['UNLINK_ID']}]}.\n", 1,
	    "cannot withhold UNLINK_ID: OTP 26, 27, 28, 29 nodes require it" },
	{ "{handshake, [{require_flags, ['MANDATORY_30']}]}.\n", 1,
	    "unknown flag 'MANDATORY_30'" },
	{ "{handshake, [{require_flags, ['MANDATORY_']}]}.\n", 1,
	    "unknown flag 'MANDATORY_'" },
	{ "{handshake, [{require_flags, ['ATOM_CACHE']}]}.\n", 1,
	    "cannot require ATOM_CACHE" },
	{ "{handshake, [{require_flags, ['SPAWN']},\n"
	    "{withhold_flags, ['SPAWN']}]}.\n", 1, "both withheld and required" },
	{ "{handshake, [{check_host, yes}]}.\n", 1, "true or false" },
	{ "{handshake, [{max_pending, 0}]}.\n", 1, "must be 1..65536" },
	{ "{bans, [{failures, 1001}]}.\n", 1, "failures must be 0..1000" },
	{ "{bans, [{duration, -1}]}.\n", 1, "must be 1..2592000 seconds" },
	{ "{alerts, \"\"}.\n", 1, "alerts file must be a non-empty string" },
	{ "{alerts, [{per_source, 0}]}.\n", 1, "must be 1..100000" },
	{ "{limits, [{max_frame, 10}]}.\n", 1,
	    "max_frame must be 1024..2147483647 bytes" },
	{ "{limits, [{max_fragment_sequences, 65}]}.\n", 1, "1..64" },
	{ "{limits, [{fragment_idle, 0}]}.\n", 1, "1..3600" },
	{ "{limits, [{max_fragment_open, 1024}]}.\n", 1, "65536.." },
	{ "{control, 5}.\n", 1, "control socket path" },
	{ "{control, \"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}.\n",
	    1, "at most 107 bytes" },
	{ "{cookie, \"\"}.\n", 1, "cookie must be 1..1024 bytes" },
	{ "{cookie, \"a\\nb\"}.\n", 1, "control characters" },
	{ "{cookie, \"\\x{100}\"}.\n", 1, "Latin-1" },
	{ "{cookie, 5}.\n", 1, "\"secret\" or {file, Path}" },
	{ "{cookie, \"a\"}.\n{cookie, \"b\"}.\n", 2, "given twice" },
	{ "{cookie, \"w*\", \"a\"}.\n{cookie, \"w*\", \"b\"}.\n", 2,
	    "cookie for w* given twice" },
	{ "{cookie, {file, \"/nonexistent/dg\"}}.\n", 1,
	    "cookie file /nonexistent/dg: No such file" },
	{ "{cookie, {file, \"/\"}}.\n", 1, "not a regular file" },
	{ "{node_cookie, \"a\", \"b\", \"c\"}.\n", 1, "node_cookie takes" },
	{ "{default, maybe}.\n", 1, "deny, allow or a list" },
	{ "{default, deny}.\n{default, allow}.\n", 2,
	    "default given twice in this scope (first on line 1)" },
	{ "{default, [ping, pong]}.\n", 1, "unknown rule 'pong'" },
	{ "{default, [{allow, teleport}]}.\n", 1, "unknown message type" },
	{ "{default, [{permit, send}]}.\n", 1, "allow, deny or drop" },
	{ "{default, [{allow, send, [x]}]}.\n", 1,
	    "only reg_send, spawn_request and funs" },
	{ "{default, [{allow, reg_send, []}]}.\n", 1, "non-empty list" },
	{ "{default, [{allow, reg_send, [\"x\"]}]}.\n", 1,
	    "registered names are atoms" },
	{ "{default, [{allow, spawn_request, [{m, f, 256}]}]}.\n", 1,
	    "Arity (or '_') must be 0..255" },
	{ "{default, [{allow, spawn_request, [{m, 5, 1}]}]}.\n", 1,
	    "Function must be an atom" },
	{ "{default, [{allow, spawn_request, [{m, f}]}]}.\n", 1,
	    "{Module, Function, Arity}" },
	{ "{peer, \"a@*\", [ping]}.\n{peer, \"a@*\", []}.\n", 2,
	    "given twice in this scope" },
	{ "{peer, \"\", []}.\n", 1, "peer pattern must be a non-empty" },
	{ "{peer, \"a@*\", [], [{disconnect, maybe}]}.\n", 1, "true or false" },
	{ "{peer, \"a@*\", [], [{linger, 5}]}.\n", 1, "unknown peer option" },
	{ "{peer, \"a@*\"}.\n", 1, "peer takes" },
	{ "{node, \"n@*\", [{epmd, []}]}.\n", 1,
	    "only {peer, ...}, {default, ...}" },
	{ "{node, \"n@*\", []}.\n{node, \"n@*\", []}.\n", 2,
	    "node \"n@*\" given twice" },
	{ "{node, \"n@*\", [{default, deny}, {default, deny}]}.\n", 1,
	    "default given twice" },
	{ "{peer, \"a\\0b\", []}.\n", 1, "NUL character" },
	/* syntax */
	{ "{epmd, [{port, 4369}]}\n", 2, "expected '.' after the term" },
	{ "{a b}.\n", 1, "expected ',' or '}', found atom 'b'" },
	{ "{timeout, 1.5}.\n", 1, "floats are not supported" },
	{ "{x, 16#ff}.\n", 1, "only decimal integers" },
	{ "{x, Foo}.\n", 1, "variables are not allowed" },
	{ "{x, _}.\n", 1, "write the wildcard quoted" },
	{ "{x, 99999999999999999999}.\n", 1, "integer out of range" },
	{ "{x, \"abc}.\n", 1, "unterminated string" },
	{ "{x, \"\\q\"}.\n", 1, "unknown escape" },
	{ "{x, [a | b]}.\n", 1, "improper lists are not supported" },
	{ "{x, #{}}.\n", 1, "maps and records" },
	{ "{x, $a}.\n", 1, "character literals" },
	{ "{x, <<1>>}.\n", 1, "only <<\"text\">> binaries" },
	{ "{x, 'a\\0b'}.\n", 1, "atom contains a NUL" },
	{ "{x, \"\xff\"}.\n", 1, "invalid UTF-8" },
	{ "{x, \x01}.\n", 1, "unexpected byte 0x01" },
	{ "{x, y}.z.\n", 1, "unexpected '.'" },
};

static void
test_errors_name_line(void)
{
	struct errs e;
	struct dg_conf *c;
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(bad_cases); i++) {
		c = load(bad_cases[i].text, &e);
		CHECK(c == NULL);
		if (!has(&e, bad_cases[i].line, bad_cases[i].msg)) {
			dg_t_failed++;
			fprintf(stderr, "  FAIL case %zu: want %d: %s; got:\n",
			    i, bad_cases[i].line, bad_cases[i].msg);
			dump(&e);
		}
		conf_unref(c);
	}
}

/* Syntax and semantic errors in one file: every one is reported, and the
 * good entries between them are still read. */
static void
test_all_errors_reported(void)
{
	static const char text[] =
	    "{epmd, [{port, 0}]}.\n"		/* 1: range */
	    "{listen, [{ports, {1, 2}}]}\n"	/* 2: no '.': error at 3 */
	    "{bans, [{window, 5}]}.\n"		/* 3: skipped by the resync */
	    "{handshake, [{timeout, x}]}.\n"	/* 4: type */
	    "{x, \"a string over\n"		/* 5: unknown entry */
	    "two lines\"}.\n"			/* 6 */
	    "{default, [{allow, nothing}]}.\n"	/* 7 */
	    "{peer, \"a@*\", [ping, pong, {deny, zap}]}.\n"	/* 8, twice */
	    "{frob}.\n";			/* 9 */
	struct errs e;
	struct dg_conf *c = load(text, &e);

	CHECK(c == NULL);
	CHECK(has(&e, 1, "port must be 1..65535"));
	CHECK(has(&e, 3, "expected '.' after the term"));
	CHECK(has(&e, 4, "timeout must be 1..3600 seconds"));
	CHECK(has(&e, 5, "unknown entry 'x'"));
	CHECK(has(&e, 7, "unknown message type 'nothing'"));
	CHECK(has(&e, 8, "unknown rule 'pong'"));
	CHECK(has(&e, 8, "unknown message type 'zap'"));
	CHECK(has(&e, 9, "unknown entry 'frob'"));
	CHECK_EQ(e.n, 8);
	if (e.n != 8)
		dump(&e);
}

static void
test_cookie_file_modes(void)
{
	char path[400], text[600];
	struct errs e;
	struct dg_conf *c;
	const struct dg_cookie *ck;

	snprintf(path, sizeof(path), "%s/cookie", tmpdir);
	snprintf(text, sizeof(text), "\n{cookie, {file, \"%s\"}}.\n", path);

	write_file(path, "opensecret\n", 0644);
	c = load(text, &e);
	CHECK(c == NULL);
	CHECK(has(&e, 2, path));
	CHECK(has(&e, 2, "has mode 0644"));

	write_file(path, "closedsecret \r\n\n", 0600);
	c = load(text, &e);
	CHECK(c != NULL);
	if (c == NULL) {
		dump(&e);
		return;
	}
	ck = conf_peer_cookie(c, "anyone@host");
	CHECK(ck != NULL && ck->len == 12 &&
	    memcmp(ck->secret, "closedsecret", 12) == 0);
	CHECK_EQ(ck->line, 2);
	conf_unref(c);

	write_file(path, "\n \n", 0600);
	c = load(text, &e);
	CHECK(c == NULL && has(&e, 2, "is empty"));

	write_file(path, "a\001b\n", 0400);
	c = load(text, &e);
	CHECK(c == NULL && has(&e, 2, "control characters"));
	unlink(path);
}

/* A config file holding a secret inline must be private too. */
static void
test_inline_cookie_needs_private_file(void)
{
	char path[400];
	struct errs e;
	struct dg_conf *c;

	snprintf(path, sizeof(path), "%s/inline.conf", tmpdir);
	write_file(path, "{default, deny}.\n{cookie, \"s3cret\"}.\n", 0644);
	memset(&e, 0, sizeof(e));
	c = conf_load(path, collect, &e);
	CHECK(c == NULL);
	CHECK(e.n == 1 && strstr(e.text[0], ":2: ") != NULL &&
	    strstr(e.text[0], "mode 0644") != NULL);

	chmod(path, 0600);
	memset(&e, 0, sizeof(e));
	c = conf_load(path, collect, &e);
	CHECK(c != NULL);
	CHECK(c != NULL && strcmp(c->path, path) == 0);
	conf_unref(c);
	unlink(path);

	memset(&e, 0, sizeof(e));
	c = conf_load("/nonexistent/dg.conf", collect, &e);
	CHECK(c == NULL);
	CHECK(e.n == 1 && strncmp(e.text[0], "/nonexistent/dg.conf:0: ",
	    24) == 0);
}

static void
test_no_cookie(void)
{
	char empty[400];
	struct errs e;
	struct dg_conf *c;

	snprintf(empty, sizeof(empty), "%s/empty", tmpdir);
	mkdir(empty, 0700);
	setenv("HOME", empty, 1);
	c = load("{default, deny}.\n\n", &e);
	CHECK(c == NULL);
	CHECK(has(&e, 3, "no cookie configured"));
	/* An explicit default needs no home cookie. */
	c = load("{cookie, \"x\"}.\n", &e);
	CHECK(c != NULL);
	conf_unref(c);
	setenv("HOME", homedir, 1);
	rmdir(empty);
}

static void
test_peer_cookie_glob(void)
{
	struct errs e;
	struct dg_conf *c = load(
	    "{cookie, \"web@*\", \"w\"}.\n"
	    "{cookie, \"default\"}.\n"
	    "{cookie, \"*@db?\", \"d\"}.\n"
	    "{cookie, \"web@x\", \"never\"}.\n", &e);
	const struct dg_cookie *ck;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	ck = conf_peer_cookie(c, "web@x");
	CHECK(ck && ck->len == 1 && ck->secret[0] == 'w');
	CHECK(ck && ck->pattern && strcmp(ck->pattern, "web@*") == 0);
	ck = conf_peer_cookie(c, "a@db1");
	CHECK(ck && ck->secret[0] == 'd');
	ck = conf_peer_cookie(c, "a@db12");
	CHECK(ck && ck->pattern == NULL && ck->len == 7);
	ck = conf_peer_cookie(c, NULL);
	CHECK(ck && ck->pattern == NULL);
	/* No node cookies: the leg to B uses the default. */
	CHECK(conf_node_cookie(c, "b@h") == ck);
	conf_unref(c);
}

static void
test_node_cookie(void)
{
	struct errs e;
	struct dg_conf *c = load(
	    "{cookie, \"peer\"}.\n"
	    "{node_cookie, \"db@*\", \"dbc\"}.\n"
	    "{node_cookie, {file, \"/nonexistent\"}}.\n", &e);
	const struct dg_cookie *ck;

	CHECK(c == NULL && has(&e, 3, "No such file"));
	c = load("{cookie, \"peer\"}.\n"
	    "{node_cookie, \"db@*\", \"dbc\"}.\n", &e);
	CHECK(c != NULL);
	if (c == NULL)
		return;
	ck = conf_node_cookie(c, "db@h");
	CHECK(ck && ck->len == 3 && memcmp(ck->secret, "dbc", 3) == 0);
	ck = conf_node_cookie(c, "web@h");
	CHECK(ck && ck->len == 4 && memcmp(ck->secret, "peer", 4) == 0);
	conf_unref(c);
	c = load("{cookie, \"peer\"}.\n{node_cookie, \"nc\"}.\n", &e);
	CHECK(c != NULL);
	ck = c ? conf_node_cookie(c, "web@h") : NULL;
	CHECK(ck && ck->len == 2);
	/* Latin-1 cookies are kept as their byte values. */
	conf_unref(c);
	c = load("{cookie, \"caf\\x{e9}\"}.\n", &e);
	ck = c ? conf_peer_cookie(c, "a@b") : NULL;
	CHECK(ck && ck->len == 4 && ck->secret[3] == 0xe9);
	conf_unref(c);
}

static void
v4(struct sockaddr_storage *ss, const char *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, a, &sin->sin_addr);
}

static void
v6(struct sockaddr_storage *ss, const char *a)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &sin6->sin6_addr);
}

static void
test_cidr_match(void)
{
	struct errs e;
	struct dg_conf *c = load("{registration_from, [\"10.0.0.0/8\", "
	    "\"192.168.1.128/25\", \"2001:db8::/33\", \"::1\", "
	    "\"0.0.0.0/0\"]}.\n", &e);
	struct sockaddr_storage ss;
	const struct sockaddr *sa = (const struct sockaddr *)&ss;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	/* Without the catch-all /0 */
	v4(&ss, "10.1.2.3");
	CHECK(dg_cidr_match(c->reg_from, 4, sa));
	v4(&ss, "11.0.0.1");
	CHECK(!dg_cidr_match(c->reg_from, 4, sa));
	v4(&ss, "192.168.1.200");
	CHECK(dg_cidr_match(c->reg_from, 4, sa));
	v4(&ss, "192.168.1.127");
	CHECK(!dg_cidr_match(c->reg_from, 4, sa));
	v6(&ss, "2001:db8:7fff::1");
	CHECK(dg_cidr_match(c->reg_from, 4, sa));
	v6(&ss, "2001:db8:8000::1");
	CHECK(!dg_cidr_match(c->reg_from, 4, sa));
	v6(&ss, "::1");
	CHECK(dg_cidr_match(c->reg_from, 4, sa));
	v6(&ss, "::2");
	CHECK(!dg_cidr_match(c->reg_from, 4, sa));
	/* v4-mapped sources from a dual-stack socket match v4 entries */
	v6(&ss, "::ffff:10.9.9.9");
	CHECK(dg_cidr_match(c->reg_from, 4, sa));
	v6(&ss, "::ffff:127.0.0.1");
	CHECK(!dg_cidr_match(c->reg_from, 4, sa));
	/* /0 matches any v4 but no v6 */
	v4(&ss, "203.0.113.1");
	CHECK(dg_cidr_match(c->reg_from, 5, sa));
	v6(&ss, "2001:db9::1");
	CHECK(!dg_cidr_match(c->reg_from, 5, sa));
	conf_unref(c);

	/* The default: loopback only. */
	c = load("{cookie, \"x\"}.\n", &e);
	CHECK(c != NULL);
	if (c == NULL)
		return;
	v4(&ss, "127.0.0.1");
	CHECK(dg_cidr_match(c->reg_from, c->nreg_from, sa));
	v4(&ss, "127.0.0.2");
	CHECK(!dg_cidr_match(c->reg_from, c->nreg_from, sa));
	v6(&ss, "::1");
	CHECK(dg_cidr_match(c->reg_from, c->nreg_from, sa));
	conf_unref(c);
}

/* The deeper filtering's forms (docs/FILTER.md 11-14), and their errors. */
static void
test_guard_forms(void)
{
	struct errs e;
	struct dg_conf *c = load(
	    "{limits, [{atoms, 500}]}.\n"
	    "{handler, spawn_request, top_handler}.\n"
	    "{peer, \"a@*\", [{allow, send, disclosed}, {allow, funs},\n"
	    "   {allow, funs, [gateway, {lists, map, 2}, {m, '_', '_'},\n"
	    "     {io_reply, 'Elixir.IEx.Evaluator'}]}],\n"
	    "   [{atoms, 20}, {handler, spawn_request, h},\n"
	    "    {handler, reg_send, hr}, {handler, group_leader, hg}]}.\n"
	    "{peer, \"b@*\", [allow_all], [{atoms, infinity}]}.\n"
	    "{handler, alias_send, top_alias}.\n"
	    "{node, \"n@*\", [{handler, spawn_request, node_h},\n"
	    "   {handler, send, node_send}]}.\n", &e);
	struct dg_rule *r;

	CHECK(c != NULL);
	if (c == NULL) {
		dump(&e);
		return;
	}
	CHECK_EQ(c->max_atoms, 500);
	CHECK(c->top.handler != NULL && strcmp(c->top.handler, "top_handler") == 0);
	CHECK_EQ(c->top.npeers, 2);
	r = c->top.peers[0].rules.rules;
	CHECK_EQ(r[0].kind, DG_R_TYPE);
	CHECK_EQ(r[0].disclosed, 1);
	CHECK_EQ(r[1].kind, DG_R_FUNS);
	CHECK_EQ(r[1].nnames + r[1].nmfas, 0);
	CHECK_EQ(r[2].kind, DG_R_FUNS);
	CHECK_EQ(r[2].nnames, 1);
	CHECK_EQ(r[2].nmfas, 2);
	CHECK(r[2].mfas[1].f == NULL && r[2].mfas[1].arity == -1);
	CHECK_EQ(r[2].nio_mods, 1);
	CHECK(r[2].nio_mods == 1 &&
	    strcmp(r[2].io_mods[0], "Elixir.IEx.Evaluator") == 0);
	CHECK_EQ(r[1].nio_mods, 0);
	CHECK_EQ(c->top.peers[0].atoms, 20);
	CHECK(strcmp(c->top.peers[0].handler, "h") == 0);
	CHECK_EQ(c->top.peers[1].atoms, -1);
	CHECK(c->nodes[0].handler != NULL);
	/* the message handlers (docs/FILTER.md 26), several per entry */
	CHECK(c->top.peers[0].msg_handler[DG_T_REG_SEND] != NULL &&
	    strcmp(c->top.peers[0].msg_handler[DG_T_REG_SEND], "hr") == 0);
	CHECK(c->top.peers[0].msg_handler[DG_T_GROUP_LEADER] != NULL &&
	    strcmp(c->top.peers[0].msg_handler[DG_T_GROUP_LEADER], "hg") == 0);
	CHECK(c->top.peers[0].msg_handler[DG_T_SEND] == NULL);
	CHECK(c->top.msg_handler[DG_T_ALIAS_SEND] != NULL &&
	    strcmp(c->top.msg_handler[DG_T_ALIAS_SEND], "top_alias") == 0);
	CHECK_EQ(c->top.msg_handler_line[DG_T_ALIAS_SEND], 9);
	CHECK(c->nodes[0].msg_handler[DG_T_SEND] != NULL &&
	    strcmp(c->nodes[0].msg_handler[DG_T_SEND], "node_send") == 0);
	conf_unref(c);

	c = load("{peer, \"a@*\", [{deny, funs}]}.\n"
	    "{peer, \"b@*\", [{allow, reg_send, disclosed}]}.\n"
	    "{peer, \"c@*\", [{allow, funs, []}]}.\n"
	    "{peer, \"d@*\", [ping], [{atoms, 0}]}.\n"
	    "{peer, \"e@*\", [ping], [{handler, monitor, m}]}.\n"
	    "{handler, spawn_request, a}.\n"
	    "{handler, spawn_request, b}.\n"
	    "{limits, [{atoms, -1}]}.\n"
	    "{peer, \"f@*\", [{allow, funs, [{io_reply, '_'}]}]}.\n"
	    "{peer, \"g@*\", [{allow, funs, [{io_request, m}]}]}.\n"
	    "{handler, reg_send, \"m\"}.\n"
	    "{handler, send, x}.\n"
	    "{handler, send, y}.\n"
	    "{peer, \"h@*\", [ping], [{handler, spawn, m}]}.\n", &e);
	CHECK(c == NULL);
	CHECK(has(&e, 9, "{io_reply, Module}"));
	CHECK(has(&e, 10, "{io_reply, Module}"));
	CHECK(has(&e, 1, "funs rules only allow"));
	CHECK(has(&e, 2, "only {allow, Type, disclosed}"));
	CHECK(has(&e, 3, "non-empty list"));
	CHECK(has(&e, 4, "peer: atoms must be 1..10000000"));
	CHECK(has(&e, 5, "unknown handler type"));
	CHECK(has(&e, 7, "handler of spawn_request given twice"));
	CHECK(has(&e, 8, "atoms must be 1..10000000"));
	CHECK(has(&e, 11, "handler module must be an atom"));
	CHECK(has(&e, 13, "handler of send given twice"));
	CHECK(has(&e, 14, "unknown handler type"));
	if (c != NULL)
		conf_unref(c);
}

static void
test_rule_wildcards(void)
{
	struct errs e;
	struct dg_conf *c = load(
	    "{default, [{allow, spawn_request, [{'_', f, 1}, {m, '_', '_'},\n"
	    "   {m, f, '_'}]}, {deny, reg_send}, {drop, altact},\n"
	    "   {allow, alias_send}, {deny, group_leader}, {allow, exit},\n"
	    "   {allow, monitor}, {allow, send}]}.\n", &e);
	struct dg_rule *r;

	CHECK(c != NULL);
	if (c == NULL) {
		dump(&e);
		return;
	}
	r = c->top.def_rules.rules;
	CHECK_EQ(c->top.def_rules.nrules, 8);
	CHECK_EQ(r[0].kind, DG_R_MFAS);
	CHECK(r[0].mfas[0].m == NULL && strcmp(r[0].mfas[0].f, "f") == 0 &&
	    r[0].mfas[0].arity == 1);
	CHECK(strcmp(r[0].mfas[1].m, "m") == 0 && r[0].mfas[1].f == NULL &&
	    r[0].mfas[1].arity == -1);
	CHECK(r[0].mfas[2].f != NULL && r[0].mfas[2].arity == -1);
	CHECK_EQ(r[1].kind, DG_R_TYPE);
	CHECK_EQ(r[1].type, DG_T_REG_SEND);
	CHECK_EQ(r[1].action, DG_DENY);
	CHECK_EQ(r[1].line, 2);
	CHECK_EQ(r[2].type, DG_T_ALTACT);
	CHECK_EQ(r[3].type, DG_T_ALIAS_SEND);
	CHECK_EQ(r[4].type, DG_T_GROUP_LEADER);
	CHECK_EQ(r[5].type, DG_T_EXIT);
	CHECK_EQ(r[6].type, DG_T_MONITOR);
	CHECK_EQ(r[7].type, DG_T_SEND);
	CHECK_EQ(r[7].line, 4);
	conf_unref(c);
}

static void
test_node_scopes(void)
{
	struct errs e;
	struct dg_conf *c = load(
	    "{default, [ping]}.\n"
	    "{node, \"db@*\", [\n"
	    "    {peer, \"web@*\", [replies]},\n"
	    "    {peer, \"ops@*\", [allow_all], [{disconnect, false}]},\n"
	    "    {default, deny}]}.\n"
	    "{node, \"cache@*\", [{peer, \"web@*\", [global]}]}.\n"
	    "{peer, \"web@*\", [ping]}.\n", &e);
	struct dg_scope *s;

	CHECK(c != NULL);
	if (c == NULL) {
		dump(&e);
		return;
	}
	CHECK_EQ(c->nnodes, 2);
	s = &c->nodes[0];
	CHECK_EQ(s->line, 2);
	CHECK_EQ(s->npeers, 2);
	CHECK_EQ(s->peers[0].line, 3);
	CHECK_EQ(s->peers[1].line, 4);
	CHECK_EQ(s->peers[0].rules.rules[0].profile, DG_PROFILE_REPLIES);
	CHECK(s->has_default && s->def == DG_DEF_DENY && s->def_line == 5);
	s = &c->nodes[1];
	CHECK(strcmp(s->node_pattern, "cache@*") == 0);
	CHECK_EQ(s->has_default, 0);
	CHECK_EQ(s->npeers, 1);
	CHECK(c->top.node_pattern == NULL);
	CHECK_EQ(c->top.npeers, 1);
	CHECK_EQ(c->top.def, DG_DEF_RULES);
	conf_unref(c);
}

static void
test_names(void)
{
	enum dg_type t;
	uint64_t bit;
	int i;

	CHECK(strcmp(dg_type_name(DG_T_SPAWN_REQUEST), "spawn_request") == 0);
	CHECK(strcmp(dg_action_name(DG_DROP), "drop") == 0);
	CHECK(strcmp(conf_profile_name(DG_PROFILE_REPLIES), "replies") == 0);
	for (i = 0; i < DG_T_COUNT; i++) {
		CHECK(dg_type_from_name(dg_type_name((enum dg_type)i),
		    &t) == 0);
		CHECK_EQ(t, i);
	}
	CHECK(dg_type_from_name("nope", &t) == -1);

	for (i = 0; i < 64; i++) {
		const char *n = dflag_name(1ULL << i);

		if (n == NULL)
			continue;
		CHECK(dflag_from_name(n, &bit) == 0);
		CHECK_EQ(bit, 1ULL << i);
	}
	CHECK(strcmp(dflag_name(DFLAG_DIST_HDR_ATOM_CACHE),
	    "DIST_HDR_ATOM_CACHE") == 0);
	CHECK(dflag_name(1ULL << 27) == NULL);
	CHECK(dflag_name(DFLAG_SPAWN | DFLAG_ALIAS) == NULL);
	CHECK(dflag_from_name("spawn", &bit) == 0 && bit == DFLAG_SPAWN);
	CHECK(dflag_from_name("DFLAG_SPAWN", &bit) == -1);
	CHECK_EQ(dflag_expand(DFLAG_MANDATORY_25_DIGEST),
	    DFLAG_MANDATORY_25_DIGEST | DFLAG_MANDATORY_25);
	CHECK_EQ(dflag_expand(DFLAG_SPAWN), DFLAG_SPAWN);
}

/* The mandatory sets per OTP release, as erts dist.h has them. */
static void
test_mandatory_sets(void)
{
	uint64_t set = 0;
	char buf[128];
	int v;

	CHECK_EQ(dflag_mandatory(22), 0);
	CHECK_EQ(dflag_mandatory(30), 0);
	CHECK_EQ(dflag_mandatory(23), 0x50184);
	CHECK_EQ(dflag_mandatory(24), 0x50184);
	CHECK_EQ(dflag_mandatory(25), 0x1070F94);
	for (v = 26; v <= 29; v++)
		CHECK_EQ(dflag_mandatory(v), 0x403070F94ULL);
	/* each release's set holds the one before it */
	for (v = 24; v <= 29; v++)
		CHECK_EQ(dflag_mandatory(v) & dflag_mandatory(v - 1),
		    dflag_mandatory(v - 1));
	CHECK(dflag_mandatory_from_name("MANDATORY_26", &set) == 0 &&
	    set == DFLAG_MANDATORY_26);
	CHECK(dflag_mandatory_from_name("mandatory_23", &set) == 0 &&
	    set == DFLAG_MANDATORY_23);
	CHECK(dflag_mandatory_from_name("MANDATORY_22", &set) == -1);
	/* OTP 29 requires what 26 to 28 do (erts dist.h: no new mandatory
	 * flag), so it is known; 30 is not yet. */
	CHECK(dflag_mandatory_from_name("MANDATORY_29", &set) == 0 &&
	    set == DFLAG_MANDATORY_26);
	CHECK(dflag_mandatory_from_name("MANDATORY_30", &set) == -1);
	CHECK(dflag_mandatory_from_name("MANDATORY_26x", &set) == -1);
	CHECK(dflag_mandatory_from_name("MANDATORY_25_DIGEST", &set) == -1);
	CHECK(strcmp(dflag_versions_requiring(DFLAG_V4_NC, buf, sizeof(buf)),
	    "OTP 26, 27, 28, 29") == 0);
	CHECK(strcmp(dflag_versions_requiring(DFLAG_EXTENDED_REFERENCES, buf,
	    sizeof(buf)), "OTP 23, 24, 25, 26, 27, 28, 29") == 0);
	CHECK(strcmp(dflag_versions_requiring(DFLAG_SPAWN, buf, sizeof(buf)),
	    "") == 0);
	CHECK(strcmp(dflag_names(DFLAG_V4_NC | DFLAG_UNLINK_ID, buf,
	    sizeof(buf)), "UNLINK_ID V4_NC") == 0);
}

/* require_flags takes the per-release names. */
static void
test_require_per_release(void)
{
	static const char text[] =
	    "{cookie, \"c\"}.\n"
	    "{handshake, [{require_flags, ['MANDATORY_26', 'SPAWN']}]}.\n";
	struct dg_conf *c = conf_load_text("r.conf", text, strlen(text),
	    NULL, NULL);

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK_EQ(c->hs_require, DFLAG_MANDATORY_26 | DFLAG_SPAWN);
	CHECK_EQ(c->hs_require_line, 2);
	conf_unref(c);
}

/* Oversized input is refused without reading it. */
/* {user, Name} and {group, Name}: resolved at load, root refused, a group
 * needs a user, the user's login group by default. */
static void
test_user_group(void)
{
	struct errs e;
	struct dg_conf *c;

	c = load("{cookie, \"c\"}.\n{user, nobody}.\n", &e);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_EQ(c->run_uid, getpwnam("nobody")->pw_uid);
		CHECK_EQ(c->run_gid, getpwnam("nobody")->pw_gid);
		CHECK(c->run_group == NULL);
		conf_unref(c);
	}
	/* The group may come first: it is not overwritten by the user's. */
	c = load("{cookie, \"c\"}.\n{group, \"daemon\"}.\n{user, nobody}.\n",
	    &e);
	CHECK(c != NULL && c->run_gid == getgrnam("daemon")->gr_gid);
	conf_unref(c);
	c = load("{cookie, \"c\"}.\n{user, \"no-such-user-dg\"}.\n", &e);
	CHECK(c == NULL && has(&e, 2, "no such user"));
	c = load("{cookie, \"c\"}.\n{user, root}.\n", &e);
	CHECK(c == NULL && has(&e, 2, "uid 0"));
	c = load("{cookie, \"c\"}.\n{user, nobody}.\n{group, root}.\n", &e);
	CHECK(c == NULL && has(&e, 3, "gid 0"));
	c = load("{cookie, \"c\"}.\n{group, \"no-such-group-dg\"}.\n"
	    "{user, nobody}.\n", &e);
	CHECK(c == NULL && has(&e, 2, "no such group"));
	c = load("{cookie, \"c\"}.\n\n{group, daemon}.\n", &e);
	CHECK(c == NULL && has(&e, 3, "without {user, Name}"));
	c = load("{cookie, \"c\"}.\n{user, nobody}.\n{user, nobody}.\n", &e);
	CHECK(c == NULL && has(&e, 3, "given twice"));
	c = load("{cookie, \"c\"}.\n{user, 42}.\n", &e);
	CHECK(c == NULL && has(&e, 2, "user name"));
	c = load("{cookie, \"c\"}.\n{user, nobody, nogroup}.\n", &e);
	CHECK(c == NULL && has(&e, 2, "{user, \"name\"}"));
}

static void
test_bounds(void)
{
	size_t n = 1024 * 1024 + 1, i;
	char *big = malloc(n + 1);
	struct errs e;
	struct dg_conf *c;

	memset(big, ' ', n);
	big[n] = '\0';
	c = load(big, &e);
	CHECK(c == NULL && has(&e, 1, "larger than 1048576"));
	/* nesting */
	for (i = 0; i < 100; i++)
		big[i] = '[';
	memcpy(big + 100, "].\n", 4);
	c = load(big, &e);
	CHECK(c == NULL && has(&e, 1, "nested deeper than 64"));
	free(big);
}

/* {mode, audit | enforce}: where it may stand, and its errors with
 * their lines. */
static void
test_mode(void)
{
	struct errs e;
	struct dg_conf *c;

	c = load("{mode, audit}.\n"
	    "{mode, enforce}.\n"
	    "{mode, learn}.\n"
	    "{node, \"n@*\", [{mode, audit}, {mode, enforce}]}.\n"
	    "{peer, \"p@*\", [ping], [{mode, maybe}]}.\n"
	    "{mode}.\n", &e);
	CHECK(c == NULL);
	CHECK(has(&e, 2, "mode given twice in this scope (first on line 1)"));
	CHECK(has(&e, 3, "mode given twice"));
	CHECK(has(&e, 4, "mode given twice in this scope"));
	CHECK(has(&e, 5, "mode must be audit or enforce"));
	CHECK(has(&e, 6, "mode takes {mode, audit | enforce}"));
	conf_unref(c);
	c = load("{node, \"n@*\", [{mode, audit}, {peer, \"p@*\", [ping], "
	    "[{mode, enforce}, {disconnect, true}]}]}.\n", &e);
	CHECK(c != NULL && e.n == 0);
	if (c != NULL) {
		CHECK_EQ(c->nodes[0].mode, DG_MODE_AUDIT);
		CHECK_EQ(c->nodes[0].peers[0].mode, DG_MODE_ENFORCE);
		CHECK_EQ(c->nodes[0].peers[0].disconnect, 1);
		CHECK_EQ(c->top.mode, DG_MODE_UNSET);
	}
	conf_unref(c);
}

int
main(void)
{
	char path[400];

	/* Tests run from the repository root. */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dg-test-conf.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		abort();
	snprintf(homedir, sizeof(homedir), "%s/home", tmpdir);
	mkdir(homedir, 0700);
	snprintf(path, sizeof(path), "%s/.erlang.cookie", homedir);
	write_file(path, "HOMECOOKIE", 0400);
	setenv("HOME", homedir, 1);

	RUN(test_default_text_is_example);
	RUN(test_default_loads);
	RUN(test_builtin_defaults);
	RUN(test_every_entry);
	RUN(test_mode);
	RUN(test_errors_name_line);
	RUN(test_all_errors_reported);
	RUN(test_cookie_file_modes);
	RUN(test_inline_cookie_needs_private_file);
	RUN(test_no_cookie);
	RUN(test_peer_cookie_glob);
	RUN(test_node_cookie);
	RUN(test_cidr_match);
	RUN(test_rule_wildcards);
	RUN(test_guard_forms);
	RUN(test_node_scopes);
	RUN(test_names);
	RUN(test_bounds);
	RUN(test_user_group);
	RUN(test_mandatory_sets);
	RUN(test_require_per_release);

	unlink(path);
	rmdir(homedir);
	rmdir(tmpdir);
	return TEST_DONE();
}
