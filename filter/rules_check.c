/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_check.c - `distguard check`'s warnings about allowances that are
 * dangerous, or that the code guard would cancel (docs/FILTER.md 13).
 *
 * Warnings, not errors: every one of these may be what the operator
 * means.  They name the line of the rule.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dg.h"
#include "conf/conf.h"
#include "rules.h"

/*
 * Functions that run code they are given: an allowance of them is an
 * allowance of anything.  fun_args: how many of its arities take a fun
 * (and so are cancelled by the code guard without {allow, funs}): the
 * arities listed, -1 for none.
 */
struct risky {
	const char	*m, *f;		/* f NULL: the whole module */
	int		 fun_arity[3];	/* arities whose arguments hold a fun */
};

static const struct risky risky[] = {
	{ "erlang", "apply", { 2, -1, -1 } },
	{ "erlang", "spawn", { 1, 2, -1 } },
	{ "erlang", "spawn_link", { 1, 2, -1 } },
	{ "erlang", "spawn_opt", { 2, 3, -1 } },
	{ "erlang", "open_port", { -1, -1, -1 } },
	{ "erlang", "halt", { -1, -1, -1 } },
	{ "os", "cmd", { -1, -1, -1 } },
	{ "os", "putenv", { -1, -1, -1 } },
	{ "rpc", NULL, { -1, -1, -1 } },
	{ "erpc", NULL, { -1, -1, -1 } },
	{ "c", NULL, { -1, -1, -1 } },
	{ "code", NULL, { -1, -1, -1 } },
	{ "file", NULL, { -1, -1, -1 } },
	{ "init", NULL, { -1, -1, -1 } },
	{ "lists", "map", { 2, -1, -1 } },
	{ "lists", "foreach", { 2, -1, -1 } },
	{ "lists", "filter", { 2, -1, -1 } },
	{ "lists", "filtermap", { 2, -1, -1 } },
	{ "lists", "flatmap", { 2, -1, -1 } },
	{ "lists", "foldl", { 3, -1, -1 } },
	{ "lists", "foldr", { 3, -1, -1 } },
	{ "lists", "mapfoldl", { 3, -1, -1 } },
	{ "lists", "mapfoldr", { 3, -1, -1 } },
	{ "lists", "any", { 2, -1, -1 } },
	{ "lists", "all", { 2, -1, -1 } },
	{ "lists", "sort", { 2, -1, -1 } },
	{ "lists", "zipwith", { 3, -1, -1 } },
	{ "maps", "map", { 2, -1, -1 } },
	{ "maps", "fold", { 3, -1, -1 } },
	{ "maps", "foreach", { 2, -1, -1 } },
	{ "maps", "filter", { 2, -1, -1 } },
};

/* The risky entry an MFA allowance reaches ('_' reaches them all), or
 * NULL. */
static const struct risky *
risky_of(const struct dg_mfa *x)
{
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(risky); i++) {
		if (x->m != NULL && strcmp(x->m, risky[i].m) != 0)
			continue;
		if (x->f != NULL && risky[i].f != NULL &&
		    strcmp(x->f, risky[i].f) != 0)
			continue;
		return &risky[i];
	}
	return NULL;
}

/* Does an arity of x take a fun (so that the guard cancels it)? */
static int
takes_fun(const struct dg_mfa *x, const struct risky *r)
{
	int i;

	if (x->m == NULL || x->f == NULL || r->f == NULL)
		return 0;
	for (i = 0; i < 3; i++)
		if (r->fun_arity[i] >= 0 &&
		    (x->arity < 0 || x->arity == r->fun_arity[i]))
			return 1;
	return 0;
}

static void
mfa_text(const struct dg_mfa *x, char *buf, size_t len)
{
	char a[16];

	if (x->arity < 0)
		snprintf(a, sizeof(a), "'_'");
	else
		snprintf(a, sizeof(a), "%d", x->arity);
	snprintf(buf, len, "%s:%s/%s", x->m ? x->m : "'_'",
	    x->f ? x->f : "'_'", a);
}

/* A funs rule of rs that covers x (or every target). */
static int
funs_cover(const struct dg_ruleset *rs, const struct dg_mfa *x)
{
	const struct dg_rule *r;
	int i, j;

	for (i = 0; i < rs->nrules; i++) {
		r = &rs->rules[i];
		if (r->kind != DG_R_FUNS)
			continue;
		if (r->nnames == 0 && r->nmfas == 0 && r->nio_mods == 0)
			return 1;
		for (j = 0; j < r->nmfas; j++)
			if ((r->mfas[j].m == NULL || (x->m != NULL &&
			    strcmp(r->mfas[j].m, x->m) == 0)) &&
			    (r->mfas[j].f == NULL || (x->f != NULL &&
			    strcmp(r->mfas[j].f, x->f) == 0)) &&
			    (r->mfas[j].arity < 0 ||
			    r->mfas[j].arity == x->arity))
				return 1;
	}
	return 0;
}

/*
 * Registered names of OTP's own servers (kernel, stdlib, sasl): each takes
 * requests a remote peer should never make (code_server loads modules,
 * application_controller starts and stops applications, file_server_2
 * and erl_prim_loader read and write files, init stops the node,
 * kernel_sup and its children restart the kernel).  Allowing one by name
 * is allowing what it does (issue 18 item 6).
 */
static const char *const otp_servers[] = {
	"application_controller", "auth", "code_server", "disk_log_server",
	"erl_epmd", "erl_prim_loader", "erl_signal_server", "error_logger",
	"erts_code_purger", "file_server_2", "global_group",
	"global_name_server", "inet_db", "init", "kernel_refc",
	"kernel_safe_sup", "kernel_sup", "logger", "net_kernel", "net_sup",
	"pg", "rex", "sasl_safe_sup", "sasl_sup", "socket_registry",
	"standard_error", "standard_error_sup", "timer_server", "user",
	"user_drv",
};

static const char *
otp_server(const char *name)
{
	size_t i;

	for (i = 0; i < DG_ARRAY_LEN(otp_servers); i++)
		if (strcmp(name, otp_servers[i]) == 0)
			return otp_servers[i];
	return NULL;
}

struct warner {
	void	(*warn)(void *, int, const char *);
	void	 *arg;
	int	  n;
};

static void DG_PRINTF(3, 4)
say(struct warner *w, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->warn(w->arg, line, msg);
	w->n++;
}

/*
 * One ruleset, granted to `who` (a description); `open` when whoever
 * holds the default cookie can claim to be who (no cookie of its own).
 */
static void
check_ruleset(struct warner *w, const struct dg_ruleset *rs, const char *who,
    int open)
{
	const struct dg_rule *r;
	const struct risky *k;
	char mfa[600];
	int i, j;

	for (i = 0; i < rs->nrules; i++) {
		r = &rs->rules[i];
		if (open && r->kind == DG_R_ALLOW_ALL)
			say(w, r->line, "allow_all for %s, which has no cookie "
			    "of its own: anyone with the default cookie may "
			    "run anything there", who);
		if (open && r->kind == DG_R_TYPE && r->action == DG_ALLOW &&
		    r->type == DG_T_SPAWN_REQUEST)
			say(w, r->line, "{allow, spawn_request} for %s, which "
			    "has no cookie of its own: it runs any code", who);
		if (r->kind == DG_R_NAMES && r->action == DG_ALLOW)
			for (j = 0; j < r->nnames; j++)
				if (otp_server(r->names[j]) != NULL)
					say(w, r->line, "{allow, reg_send} of "
					    "%s for %s: an OTP server, which "
					    "obeys what it is sent (code, "
					    "applications, files, the node "
					    "itself)", r->names[j], who);
		if (r->kind == DG_R_NAMES && r->action == DG_ALLOW &&
		    (r->protos & (DG_PROTO_SYS | DG_PROTO_SUPERVISOR)))
			say(w, r->line, "{allow, reg_send, [Name], [...]} with "
			    "%s for %s: sys reads and replaces a server's "
			    "state and writes files where told; a supervisor "
			    "starts any child spec it is given",
			    (r->protos & DG_PROTO_SYS) ? "sys" : "supervisor",
			    who);
		if (r->kind == DG_R_TYPE && r->disclosed &&
		    r->action == DG_ALLOW &&
		    (r->protos & (DG_PROTO_SYS | DG_PROTO_SUPERVISOR)))
			say(w, r->line, "{allow, %s, disclosed, [...]} with %s "
			    "for %s: every disclosed pid that is a server's "
			    "(a caller, a global name) then takes it",
			    r->type == DG_T_SEND ? "send" : "alias_send",
			    (r->protos & DG_PROTO_SYS) ? "sys" : "supervisor",
			    who);
		if (r->kind != DG_R_MFAS || r->action != DG_ALLOW)
			continue;
		for (j = 0; j < r->nmfas; j++) {
			if ((k = risky_of(&r->mfas[j])) == NULL)
				continue;
			mfa_text(&r->mfas[j], mfa, sizeof(mfa));
			if (open)
				say(w, r->line, "%s for %s, which has no cookie "
				    "of its own: it runs the code, or the "
				    "command, it is given", mfa, who);
			if (takes_fun(&r->mfas[j], k) && !funs_cover(rs,
			    &r->mfas[j]))
				say(w, r->line, "the code guard denies every "
				    "call of %s that passes a fun (add {allow, "
				    "funs, [{%s, %s, %d}]} if that is what is "
				    "meant)", mfa, r->mfas[j].m, r->mfas[j].f,
				    r->mfas[j].arity);
		}
	}
}

/* The message handlers an entry names (docs/FILTER.md 26): shown, since
 * each changes where the messages of its type go, and their order. */
static void
say_msg_handlers(struct warner *w, char *const h[DG_T_COUNT], int line,
    const int *lines, const char *who)
{
	int t;

	for (t = 0; t < DG_T_COUNT; t++)
		if (h[t] != NULL)
			say(w, lines != NULL ? lines[t] : line, "%s: handler: "
			    "allowed %s messages run %s:%s/%d in a new process "
			    "instead of reaching their target, unordered",
			    who, dg_type_name((enum dg_type)t), h[t],
			    dg_type_name((enum dg_type)t),
			    t == DG_T_GROUP_LEADER ? 3 : 4);
}

static void
check_scope(struct warner *w, const struct dg_conf *c,
    const struct dg_scope *s)
{
	const struct dg_cookie *ck;
	char who[300];
	int i;

	for (i = 0; i < s->npeers; i++) {
		const struct dg_peer *p = &s->peers[i];

		/* The peer pattern read as a name: a cookie pattern that
		 * matches it is the pattern's own. */
		ck = conf_peer_cookie(c, p->pattern);
		snprintf(who, sizeof(who), "peer \"%s\"", p->pattern);
		check_ruleset(w, &p->rules, who, ck == NULL ||
		    ck->pattern == NULL);
		say_msg_handlers(w, p->msg_handler, p->line, NULL, who);
	}
	say_msg_handlers(w, s->msg_handler, 0, s->msg_handler_line,
	    s->node_pattern != NULL ? "{node} scope" : "top level");
	if (s->has_default && s->def == DG_DEF_ALLOW)
		say(w, s->def_line, "{default, allow} lets every peer with "
		    "the cookie run anything");
	if (s->has_default && s->def == DG_DEF_RULES)
		check_ruleset(w, &s->def_rules, "the default", 1);
}

int
rules_warnings(const struct dg_conf *conf,
    void (*warn)(void *arg, int line, const char *msg), void *arg)
{
	struct warner w = { warn, arg, 0 };
	int i;

	check_scope(&w, conf, &conf->top);
	for (i = 0; i < conf->nnodes; i++)
		check_scope(&w, conf, &conf->nodes[i]);
	return w.n;
}

const char *
rules_risky_name(const char *name)
{
	return otp_server(name) != NULL ? "an OTP server, which obeys what it "
	    "is sent" : NULL;
}

const char *
rules_risky_mfa(const char *m, const char *f, int arity)
{
	struct dg_mfa x;

	x.m = (char *)(uintptr_t)m;
	x.f = (char *)(uintptr_t)f;
	x.arity = arity;
	if (strcmp(m, "os") == 0 && strcmp(f, "cmd") == 0)
		return "runs a shell command";
	if (strcmp(m, "erlang") == 0 && strcmp(f, "apply") == 0)
		return "the erlang:apply family: runs any function";
	/* What Elixir's release helpers run: code given as text, a shell. */
	if ((strcmp(m, "Elixir.Kernel.CLI") == 0 &&
	    strcmp(f, "rpc_eval") == 0) || strcmp(m, "Elixir.IEx") == 0 ||
	    strcmp(m, "shell") == 0 || strcmp(m, "erl_eval") == 0)
		return "evaluates the code it is given (a remote shell, rpc)";
	return risky_of(&x) != NULL ? "runs the code, or the command, it is "
	    "given" : NULL;
}
