/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the distguard command line: one binary, subcommands.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/cmd.h"
#include "conf/conf.h"
#include "daemon/ctl.h"
#include "core/context.h"
#include "filter/rules.h"

#define DG_VERSION	"0.1.0"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: distguard COMMAND [options]\n"
	    "\n"
	    "A firewall for Erlang distribution: a hardened EPMD, handshake\n"
	    "termination on both legs, and deny-by-default message filtering.\n"
	    "\n"
	    "commands:\n"
	    "  run    [-c FILE] [-v]       run the daemon in the foreground\n"
	    "  check  [-c FILE]            check a configuration file\n"
	    "  test   -c FILE [--node LOCAL] PEER TYPE [TARGET]\n"
	    "                              what the rules decide for one message\n"
	    "  stats  [-c FILE] [--json]   counters of the running daemon\n"
	    "  suggest [-c FILE] [--node N] [--since T]\n"
	    "                              a policy allowing what the daemon saw\n"
	    "  reload [-c FILE]            make the running daemon reload\n"
	    "  grant  [-c FILE] PEER RULES --for DURATION --reason TEXT\n"
	    "                              temporary rules for a peer (break-glass)\n"
	    "  grants [-c FILE] [--json]   list the grants in force\n"
	    "  revoke [-c FILE] ID         end a grant now\n"
	    "  keygen -o FILE              make a host (or cluster) key\n"
	    "  pubkey FILE                 print a key file's public key\n"
	    "  sign   --cluster-key FILE --host NAME --pubkey KEY --days N\n"
	    "         [--names PATTERN...] [-o FILE]\n"
	    "                              certify a host key with a cluster key\n"
	    "\n"
	    "options:\n"
	    "  --help, -h                  this text; COMMAND --help: one command\n"
	    "  --version                   print the version and exit\n"
	    "\n"
	    "Without -c the embedded default configuration is used.\n"
	    "Exit status: 0 done, 1 failed (the daemon said no, a bad\n"
	    "configuration), 2 a usage error; `test` has its own (see\n"
	    "`distguard test --help`).  The manual: distguard(8).\n");
}


static const char *
cmd_help(const char *cmd)
{
	if (strcmp(cmd, "run") == 0)
		return "usage: distguard run [-c FILE] [-v]\n"
		    "Runs the daemon in the foreground: EPMD service, one filtering\n"
		    "listener per registered node.  One log line per event on stderr\n"
		    "(-v adds debug lines).  SIGINT/SIGTERM stop it; SIGHUP reloads\n"
		    "the configuration.  Started as root, it binds its sockets, reads\n"
		    "its files, then runs as the configured {user, Name} for good; it\n"
		    "refuses to run as root without one.\n";
	if (strcmp(cmd, "check") == 0)
		return "usage: distguard check [-c FILE]\n"
		    "Prints \"configuration OK\", or every error as FILE:LINE: message\n"
		    "and exits 1.\n";
	if (strcmp(cmd, "stats") == 0)
		return "usage: distguard stats [-c FILE] [--json]\n"
		    "Prints the counters of the daemon running with that configuration\n"
		    "(per local node and peer: verdicts per type, frames, bytes).\n";
	if (strcmp(cmd, "suggest") == 0)
		return "usage: distguard suggest [-c FILE] [--node N] [--since T]\n"
		    "Prints, in the configuration's syntax, the smallest policy that\n"
		    "would have allowed what the running daemon saw (its table of\n"
		    "distinct local node, peer, type and target: allowed and\n"
		    "would_deny messages, in enforce and audit mode): a {node} scope\n"
		    "per local node, a {peer} entry per peer or peer pattern (Elixir's\n"
		    "rpc-XXXX-app@host helpers as rpc-*-app@*; the nodes of one host\n"
		    "with the same rules as *@host), built-in profiles where the\n"
		    "traffic is a profile's, else exact names and MFAs.  Each line's\n"
		    "comment gives its count; RISKY marks rex, os:cmd, the\n"
		    "erlang:apply family, OTP servers' names and broad types.\n"
		    "--node N keeps the local nodes matching the pattern N; --since T\n"
		    "(90s, 15m, 2h, 1d) what was last seen that recently.  The table\n"
		    "holds 4096 keys; past that new keys are not kept (the header\n"
		    "says how many).  `distguard check` accepts the output as is;\n"
		    "review it, then use it with {mode, enforce}.  Reads the\n"
		    "control socket: root, {control_users}, {control_group} and\n"
		    "{control_read_group} may.\n";
	if (strcmp(cmd, "reload") == 0)
		return "usage: distguard reload [-c FILE]\n"
		    "Asks the running daemon to reload its configuration.  A bad file\n"
		    "is refused with FILE:LINE errors and the old one stays in force.\n"
		    "Only root, {control_users} and {control_group} may; the client\n"
		    "first checks that the control socket is the daemon's.\n";
	if (strcmp(cmd, "grant") == 0)
		return "usage: distguard grant [-c FILE] PEER RULES --for DURATION "
		    "--reason TEXT\n"
		    "Gives the peers whose node name matches the pattern PEER the\n"
		    "rules RULES for DURATION (e.g. 90s, 15m, 2h, 1d; plain numbers\n"
		    "are seconds), through the daemon's control socket (root,\n"
		    "{control_users} and {control_group} may; the daemon's own\n"
		    "user may not).  RULES is a\n"
		    "list in the configuration's rule syntax, e.g. '[allow_all]' or\n"
		    "'[{allow, spawn_request, [{erlang, node, 0}]}]'; it replaces\n"
		    "the peer's usual rules (its {peer} entry) for that time, in\n"
		    "every {node} scope.  Live connections follow from their next\n"
		    "message.  The grant ends by itself; `distguard revoke ID` ends\n"
		    "it sooner.  A reload ends it too unless the configuration has\n"
		    "{grants, [{keep_on_reload, true}]}.  Each step raises an alert\n"
		    "(policy.grant, policy.expired, policy.revoked) naming the uid\n"
		    "and pid that asked, the reason and the rules.  Prints\n"
		    "\"granted ID\", or the errors and exits 1.\n";
	if (strcmp(cmd, "grants") == 0)
		return "usage: distguard grants [-c FILE] [--json]\n"
		    "Lists the grants in force, one a line, tab-separated: ID, peer\n"
		    "pattern, seconds left, end (UTC), who asked (uid, pid), reason,\n"
		    "rules.  Prints \"no grants\" when there is none.  With --json:\n"
		    "one object {\"grants\": [...]}, each grant with id, peer,\n"
		    "seconds_left, until, uid, pid, verified (false: read back from\n"
		    "the state file), reason and rules.\n";
	if (strcmp(cmd, "revoke") == 0)
		return "usage: distguard revoke [-c FILE] ID\n"
		    "Ends grant ID now (see `distguard grants`); live connections\n"
		    "fall back to the configuration's rules from their next\n"
		    "message.  Exits 1 when there is no such grant.\n";
	return NULL;
}

static void
print_error(void *arg, const char *file, int line, const char *msg)
{
	int *n = arg;

	(*n)++;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

/* A dangerous allowance (rules_warnings): the file still loads. */
static void
print_warning(void *arg, int line, const char *msg)
{
	fprintf(stderr, "%s:%d: warning: %s\n", (const char *)arg, line, msg);
}

/* Parses "[-c FILE] [-v] [--json]"; returns -1 on a bad option. */
static int
common_opts(int argc, char **argv, const char **path, int *verbose, int *json)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			*path = argv[++i];
		else if (strcmp(argv[i], "-v") == 0 && verbose)
			*verbose = 1;
		else if (strcmp(argv[i], "--json") == 0 && json)
			*json = 1;
		else {
			cmd_usage_error(argv[0], "bad argument %s", argv[i]);
			return -1;
		}
	}
	return 0;
}

static int
cmd_check(int argc, char **argv)
{
	const char *path = NULL;
	struct dg_conf *conf;
	int nerr = 0;

	if (common_opts(argc, argv, &path, NULL, NULL) == -1)
		return 2;
	conf = conf_load(path, print_error, &nerr);
	if (conf == NULL) {
		fprintf(stderr, "%d error(s)\n", nerr);
		return 1;
	}
	(void)rules_warnings(conf, print_warning, conf->path);
	conf_unref(conf);
	printf("configuration OK\n");
	return 0;
}

static int
cmd_ctl(int argc, char **argv, const char *what)
{
	const char *path = NULL;
	struct dg_conf *conf;
	int nerr = 0, json = 0, rc;

	if (common_opts(argc, argv, &path, NULL,
	    strcmp(what, "reload") != 0 ? &json : NULL) == -1)
		return 2;
	if ((conf = conf_load(path, print_error, &nerr)) == NULL)
		return 1;
	rc = ctl_request(conf, !json ? what : strcmp(what, "stats") == 0 ?
	    "stats json" : "grants json",
	    strcmp(what, "reload") == 0 ? "reloaded\n" : NULL, stdout);
	conf_unref(conf);
	return rc == 0 ? 0 : 1;
}


/* Fields travel tab-separated on one line: they may hold neither. */
static int
field_ok(const char *what, const char *s)
{
	if (strpbrk(s, "\t\n\r") != NULL) {
		cmd_usage_error("grant", "%s may not contain a tab or a newline",
		    what);
		return 0;
	}
	return 1;
}

static int
cmd_grant(int argc, char **argv)
{
	const char *path = NULL, *reason = NULL, *dur = NULL, *pos[2];
	struct dg_conf *conf;
	char *cmd;
	long secs;
	int i, npos = 0, nerr = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--for") == 0 && i + 1 < argc)
			dur = argv[++i];
		else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cmd_usage_error("grant", "bad argument %s",
			    argv[i]);
		else if (npos < 2)
			pos[npos++] = argv[i];
		else
			return cmd_usage_error("grant", "too many arguments");
	}
	if (npos != 2 || dur == NULL || reason == NULL)
		return cmd_usage_error("grant", "%s needed",
		    npos < 2 ? "PEER and RULES are" : dur == NULL ?
		    "--for DURATION is" : "--reason TEXT is");
	if ((secs = dg_parse_duration(dur)) < 0)
		return cmd_usage_error("grant", "--for %s: a duration is a "
		    "positive number with an optional unit s, m, h or d", dur);
	if (!field_ok("PEER", pos[0]) || !field_ok("RULES", pos[1]) ||
	    !field_ok("--reason", reason))
		return 2;
	if ((conf = conf_load(path, print_error, &nerr)) == NULL)
		return 1;
	if (asprintf(&cmd, "grant\t%s\t%ld\t%s\t%s", pos[0], secs, reason,
	    pos[1]) < 0) {
		conf_unref(conf);
		return 1;
	}
	rc = ctl_request(conf, cmd, "granted ", stdout);
	free(cmd);
	conf_unref(conf);
	return rc == 0 ? 0 : 1;
}

static int
cmd_revoke(int argc, char **argv)
{
	const char *path = NULL, *id = NULL;
	struct dg_conf *conf;
	char cmd[64];
	int i, nerr = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (id == NULL && argv[i][0] >= '0' && argv[i][0] <= '9' &&
		    strlen(argv[i]) < 12)
			id = argv[i];
		else
			return cmd_usage_error("revoke", "bad argument %s",
			    argv[i]);
	}
	if (id == NULL)
		return cmd_usage_error("revoke", "the grant's ID is needed");
	if ((conf = conf_load(path, print_error, &nerr)) == NULL)
		return 1;
	snprintf(cmd, sizeof(cmd), "revoke %s", id);
	rc = ctl_request(conf, cmd, "revoked ", stdout);
	conf_unref(conf);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *cmd;
	int i, verbose = 0;

	if (argc < 2)
		return cmd_usage_error(NULL, "no command given");
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("distguard %s\n", DG_VERSION);
		return 0;
	}
	if (cmd_link_is(cmd))
		return cmd_link(argc - 1, argv + 1);
	for (i = 2; i < argc; i++) {
		if ((strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) &&
		    cmd_help(cmd)) {
			fputs(cmd_help(cmd), stdout);
			return 0;
		}
	}
	if (strcmp(cmd, "run") == 0) {
		const char *path = NULL;

		if (common_opts(argc - 1, argv + 1, &path, &verbose, NULL) == -1)
			return 2;
		return daemon_run(path, verbose);
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "test") == 0)
		return cmd_test(argc - 1, argv + 1);
	if (strcmp(cmd, "stats") == 0)
		return cmd_ctl(argc - 1, argv + 1, "stats");
	if (strcmp(cmd, "reload") == 0)
		return cmd_ctl(argc - 1, argv + 1, "reload");
	if (strcmp(cmd, "suggest") == 0)
		return cmd_suggest(argc - 1, argv + 1);
	if (strcmp(cmd, "grant") == 0)
		return cmd_grant(argc - 1, argv + 1);
	if (strcmp(cmd, "grants") == 0)
		return cmd_ctl(argc - 1, argv + 1, "grants");
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(argc - 1, argv + 1);
	return cmd_usage_error(NULL, "unknown command %s", cmd);
}
