/*
 * main.c - the distguard command line: one binary, subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_conf.h"
#include "dg_ctl.h"
#include "dg_daemon.h"
#include "rules.h"

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
	    "  reload [-c FILE]            make the running daemon reload\n"
	    "\n"
	    "Without -c the embedded default configuration is used.\n"
	    "`distguard COMMAND --help` describes one command.\n");
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
	if (strcmp(cmd, "reload") == 0)
		return "usage: distguard reload [-c FILE]\n"
		    "Asks the running daemon to reload its configuration.  A bad file\n"
		    "is refused with FILE:LINE errors and the old one stays in force.\n";
	return NULL;
}

static void
print_error(void *arg, const char *file, int line, const char *msg)
{
	int *n = arg;

	(*n)++;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
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
			fprintf(stderr, "distguard %s: bad argument %s\n", argv[0],
			    argv[i]);
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
	    strcmp(what, "stats") == 0 ? &json : NULL) == -1)
		return 2;
	if ((conf = conf_load(path, print_error, &nerr)) == NULL)
		return 1;
	rc = ctl_request(conf, json ? "stats json" : what,
	    strcmp(what, "reload") == 0 ? "reloaded\n" : NULL, stdout);
	conf_unref(conf);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *cmd;
	int i, verbose = 0;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
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
		return rules_cmd_test(argc - 1, argv + 1);
	if (strcmp(cmd, "stats") == 0)
		return cmd_ctl(argc - 1, argv + 1, "stats");
	if (strcmp(cmd, "reload") == 0)
		return cmd_ctl(argc - 1, argv + 1, "reload");
	fprintf(stderr, "distguard: unknown command %s\n", cmd);
	usage(stderr);
	return 2;
}
