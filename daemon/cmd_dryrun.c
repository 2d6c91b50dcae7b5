/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_dryrun.c - `distguard test`, the dry run: loads a configuration,
 * builds one message (rules_dryrun_msg, or a payload given as a literal
 * term or a term file) and prints what the policy does with it, through
 * the same decoder and rules as the relay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "conf/conf.h"
#include "filter/dist_ctl.h"
#include "filter/idset.h"
#include "filter/rewrite.h"
#include "filter/rules.h"
#include "filter/term_lit.h"
#include "daemon/cmd.h"

static void
test_usage(FILE *f)
{
	fprintf(f, "usage: distguard test -c FILE [--node LOCAL] [-v] "
	    "[--disclosed] [--direction inbound|egress]\n"
	    "           [--term TERM | --term-file FILE] PEER TYPE [TARGET]\n"
	    "  Says what the policy in FILE does with one message from PEER.\n"
	    "  --direction: who dialled: PEER (inbound, the default) or LOCAL\n"
	    "        (egress).  Either way the message from PEER is judged by\n"
	    "        LOCAL's policy for PEER: the node that receives decides\n"
	    "  --disclosed: a send or monitor by pid targets a pid the node\n"
	    "        disclosed to PEER (the profiles admit no other)\n"
	    "  --term TERM: the message's payload (for spawn_request, the\n"
	    "        argument list), a literal: atoms, integers, strings,\n"
	    "        binaries, tuples, lists\n"
	    "  --term-file FILE: the payload in the external format, as\n"
	    "        term_to_binary/1 writes it (funs and pids included)\n"
	    "  TYPE: link exit monitor send reg_send group_leader\n"
	    "        spawn_request alias_send altact, or is_auth,\n"
	    "        features_request\n"
	    "  TARGET: a registered name (reg_send, monitor),\n"
	    "          M:F/A (spawn_request)\n"
	    "  Exit status: 0 allow, 1 deny, 2 drop, 3 no verdict (a usage\n"
	    "  error, or the configuration does not load).\n");
}

static void
test_conf_err(void *arg, const char *file, int line, const char *msg)
{
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

/* --term-file: the whole file, 131 first, at most TEST_TERM_MAX bytes. */
#define TEST_TERM_MAX	(1024 * 1024)

static uint8_t	test_term[TEST_TERM_MAX];

static int
read_term_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "distguard test: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	n = fread(test_term, 1, sizeof(test_term), f);
	if (!feof(f) || ferror(f) || n < 2 || test_term[0] != 131) {
		fprintf(stderr, "distguard test: %s: not a term in the "
		    "external format (131 first, at most 1 MiB)\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = n;
	return 0;
}

/* Atoms of the payload, distinct (the budget counts these). */
static void
test_atom(void *arg, const uint8_t *a)
{
	struct dg_span t;
	const uint8_t *q = a;

	(void)term_atom(&q, &t);
	(void)idset_add(arg, idset_hash(t.p, t.len));
}

/*
 * Runs the payload through the decoder's payload part, as the proxy
 * would: the code guard's facts and the atoms.  Returns 0, or -1 (said).
 */
static int
test_payload(struct dist_msg *m, const uint8_t *pl, size_t len,
    struct idset *atoms)
{
	struct dc_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.need = DC_NEED_FUNS | DC_NEED_ATOMS | DC_NEED_PIDSEND |
	    DC_NEED_GLOBAL | DC_NEED_BEHAV;
	o.frame_end = pl + len;
	o.final = 1;
	o.atom = test_atom;
	o.atom_arg = atoms;
	if ((rc = dist_ctl_payload(m, pl, pl + len, &o)) != 0 ||
	    m->pl_state == PL_BAD || m->pl_state == PL_PREFIX) {
		fprintf(stderr, "distguard test: the payload is not one "
		    "term the filter can read whole\n");
		return -1;
	}
	return 0;
}

int
cmd_test(int argc, char **argv)
{
	const char *path = NULL, *local = NULL, *pos[3], *why;
	const char *lit = NULL, *term_file = NULL;
	struct idset atoms;
	char where[800];
	size_t plen = 0;
	struct dg_conf *conf;
	struct rules_policy pol;
	struct rules_verdict v;
	struct dist_msg m;
	char buf[2 * DG_MAX_ATOM_BYTES + 16];
	int i, npos = 0, verbose = 0, disclosed = 0, egress = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			test_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "--node") == 0 && i + 1 < argc) {
			local = argv[++i];
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
		} else if (strcmp(argv[i], "--disclosed") == 0) {
			disclosed = 1;
		} else if (strcmp(argv[i], "--direction") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "egress") == 0)
				egress = 1;
			else if (strcmp(argv[i], "inbound") != 0) {
				cmd_usage_error("test", "--direction is "
				    "inbound or egress, not %s", argv[i]);
				return CMD_TEST_ERROR;
			}
		} else if (strcmp(argv[i], "--term") == 0 && i + 1 < argc) {
			lit = argv[++i];
		} else if (strcmp(argv[i], "--term-file") == 0 &&
		    i + 1 < argc) {
			term_file = argv[++i];
		} else if (strcmp(argv[i], "--") == 0) {
			for (i++; i < argc && npos < 3; i++)
				pos[npos++] = argv[i];
			if (i < argc)
				npos = 4;
			break;
		} else if (argv[i][0] == '-') {
			cmd_usage_error("test", "bad option %s", argv[i]);
			return CMD_TEST_ERROR;
		} else if (npos < 3) {
			pos[npos++] = argv[i];
		} else {
			npos = 4;
			break;
		}
	}
	if (path == NULL || npos < 2 || npos > 3) {
		cmd_usage_error("test", "%s", path == NULL ? "-c FILE is needed" :
		    npos < 2 ? "PEER and TYPE are needed" : "too many arguments");
		return CMD_TEST_ERROR;
	}
	if (strchr(pos[0], '@') == NULL) {
		cmd_usage_error("test", "%s: a node name is alive@host", pos[0]);
		return CMD_TEST_ERROR;
	}
	if (rules_dryrun_msg(&m, pos[1], npos == 3 ? pos[2] : NULL, buf,
	    sizeof(buf), &why) == -1) {
		cmd_usage_error("test", "%s", why);
		return CMD_TEST_ERROR;
	}
	/* A send or monitor by pid: to a pid the node disclosed, or not. */
	m.disclosed = disclosed;
	idset_init(&atoms, IDSET_DEFAULT_MAX);
	if (lit != NULL && term_file != NULL) {
		cmd_usage_error("test", "--term or --term-file, not both");
		return CMD_TEST_ERROR;
	}
	if (lit != NULL) {
		int n = term_from_text(lit, test_term + 1,
		    sizeof(test_term) - 1, &why);

		if (n < 0) {
			cmd_usage_error("test", "--term: %s", why);
			return CMD_TEST_ERROR;
		}
		test_term[0] = 131;
		plen = (size_t)n + 1;
	} else if (term_file != NULL && read_term_file(term_file, &plen) == -1)
		return CMD_TEST_ERROR;
	if (plen > 0 && (!m.has_payload ||
	    test_payload(&m, test_term + 1, plen - 1, &atoms) == -1)) {
		if (!m.has_payload)
			fprintf(stderr, "distguard test: %s carries no "
			    "payload\n", pos[1]);
		idset_free(&atoms);
		return CMD_TEST_ERROR;
	}
	if ((conf = conf_load(path, test_conf_err, NULL)) == NULL)
		return CMD_TEST_ERROR;

	/* An unadmitted peer never gets to send anything: rules_decide
	 * says so with the "not admitted" verdict. */
	(void)rules_resolve(conf, local, pos[0], &pol);
	/* Without a payload, the code guard has nothing to look at. */
	if (plen == 0)
		pol.needs &= ~DC_NEED_FUNS;
	rules_decide(&pol, &m, &v);
	if (v.line > 0)
		printf("%-5s %s (line %d)%s%s", dg_action_name(v.action),
		    v.what, v.line, v.reason ? ", reason " : "",
		    v.reason ? v.reason : "");
	else
		printf("%-5s %s%s%s", dg_action_name(v.action), v.what,
		    v.reason ? ", reason " : "", v.reason ? v.reason : "");
	if (v.code) {
		dist_fun_where(&m, where, sizeof(where));
		printf(", code guard: a fun in %s", where);
	}
	/* Audit mode (docs/FILTER.md 22): what the relay does with it. */
	if (v.audit)
		printf("; audit mode: forwarded, counted as would_deny");
	else if (v.guard && pol.audit)
		printf("; refused in audit mode too: it protects the node");
	if (plen > 0)
		printf("; atoms %u (budget %lld)", idset_count(&atoms),
		    (long long)pol.atoms);
	if (pol.handler != NULL && v.action == DG_ALLOW &&
	    m.type == DG_T_SPAWN_REQUEST && m.via != VIA_NONE)
		printf("; runs through %s:dist_spawn_init/4", pol.handler);
	/* A message handler (docs/FILTER.md 26): the message goes to it. */
	if (v.action == DG_ALLOW && pol.msg_handler[m.type] != NULL &&
	    rewrite_message_fun(m.op) != NULL)
		printf("; runs %s:%s/%d in a new process instead of reaching "
		    "its target", pol.msg_handler[m.type],
		    rewrite_message_fun(m.op), m.op == DOP_GROUP_LEADER ? 3 : 4);
	if (egress)
		printf("; on a connection %s dialled (egress)",
		    local ? local : "the node");
	printf("\n");
	idset_free(&atoms);
	if (verbose)
		printf("      policy: %s\n", pol.desc);
	fflush(stdout);
	conf_unref(conf);
	/* The verdict is the status (daemon/cmd.h): a script's `if`. */
	return v.action == DG_ALLOW ? 0 : v.action == DG_DENY ? 1 : 2;
}
