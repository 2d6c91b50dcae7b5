/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_policy.c - the policy grammar: rules, {peer}, {default} and
 * handlers, rules given on the command line (grants), the overlays that
 * grants build, and the names of types, actions and profiles.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "dg.h"
#include "conf/conf.h"
#include "dg_flags.h"
#include "eterm.h"
#include "conf_int.h"

/*
 * Policy rules: allow_all | ping | global | replies | {Action, Type} |
 * {Action, reg_send, [Name]} | {Action, spawn_request, [{M, F, A}]} |
 * {allow, Type, disclosed} | {allow, funs} | {allow, funs, [Name | MFA]}.
 */

static const char *const action_names[] = DG_ACTION_NAMES;
static const char *profile_names[DG_PROFILE_COUNT] = {
	[DG_PROFILE_PING] = "ping",
	[DG_PROFILE_GLOBAL] = "global",
	[DG_PROFILE_REPLIES] = "replies",
};

static int
rule_names(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *k;
	char buf[64];

	if (v->kind != ET_LIST || v->nkids == 0) {
		conf_err(L, v->line, "reg_send rule takes a non-empty list of "
		    "registered names (atoms)");
		return -1;
	}
	if ((r->names = conf_calloc(L, (size_t)v->nkids, sizeof(char *),
	    v->line)) == NULL)
		return -1;
	for (k = v->kids; k != NULL; k = k->next) {
		if (k->kind != ET_ATOM) {
			conf_err(L, k->line, "registered names are atoms, found "
			    "%s", et_show(k, buf, sizeof(buf)));
			return -1;
		}
		if ((r->names[r->nnames] = conf_strdup(L, k->text, k->line)) ==
		    NULL)
			return -1;
		r->nnames++;
	}
	return 0;
}

/*
 * [Protocol]: the OTP behaviour protocols a name rule admits (issue 18
 * item 6, docs/FILTER.md 17): sys, supervisor, gen_event, signals, io.
 */
static int
rule_protos(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	static const char *const names[DG_PROTO_COUNT] = DG_PROTO_NAMES;
	const struct et_node *k;
	char buf[64];
	int i;

	if (v->kind != ET_LIST) {
		conf_err(L, v->line, "the protocols of a reg_send or disclosed "
		    "send rule are a list of sys, supervisor, gen_event, "
		    "signals, io");
		return -1;
	}
	for (k = v->kids; k != NULL; k = k->next) {
		for (i = 0; i < DG_PROTO_COUNT; i++)
			if (et_is_atom(k, names[i]))
				break;
		if (i == DG_PROTO_COUNT) {
			conf_err(L, k->line, "unknown protocol %s (sys, supervisor, "
			    "gen_event, signals, io)", et_show(k, buf,
			    sizeof(buf)));
			return -1;
		}
		r->protos |= 1u << i;
	}
	return 0;
}

/* M or F of an MFA: an atom, '_' meaning any. */
static int
mfa_atom(struct loader *L, const struct et_node *v, const char *what,
    char **out)
{
	if (v->kind != ET_ATOM) {
		conf_err(L, v->line, "%s must be an atom or '_'", what);
		return -1;
	}
	if (strcmp(v->text, "_") == 0) {
		*out = NULL;
		return 0;
	}
	return (*out = conf_strdup(L, v->text, v->line)) == NULL ? -1 : 0;
}

/* {Module, Function, Arity | '_'} (k, a 3-tuple) into m. */
static int
mfa_of(struct loader *L, const struct et_node *k, struct dg_mfa *m)
{
	int64_t a;

	m->arity = -1;
	if (mfa_atom(L, et_elem(k, 0), "Module", &m->m) == -1 ||
	    mfa_atom(L, et_elem(k, 1), "Function", &m->f) == -1)
		return -1;
	if (et_is_atom(et_elem(k, 2), "_"))
		return 0;
	if (conf_get_int(L, et_elem(k, 2), "Arity (or '_')", 0, 255, "", &a) == -1)
		return -1;
	m->arity = (int)a;
	return 0;
}

static int
rule_mfas(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *k;
	struct dg_mfa *m;

	if (v->kind != ET_LIST || v->nkids == 0) {
		conf_err(L, v->line, "spawn_request rule takes a non-empty list "
		    "of {Module, Function, Arity}");
		return -1;
	}
	if ((r->mfas = conf_calloc(L, (size_t)v->nkids, sizeof(*r->mfas),
	    v->line)) == NULL)
		return -1;
	for (k = v->kids; k != NULL; k = k->next) {
		m = &r->mfas[r->nmfas];
		if (k->kind != ET_TUPLE || k->nkids != 3) {
			conf_err(L, k->line, "spawn_request entries are {Module, "
			    "Function, Arity}");
			return -1;
		}
		/* Count it now so that conf_unref frees a partial one. */
		r->nmfas++;
		if (mfa_of(L, k, m) == -1)
			return -1;
	}
	return 0;
}

/*
 * [Opt] of {allow, spawn_request, [MFA], [Opt]} (issue 18 item 5,
 * docs/CONFIG.md): link | monitor (always admitted) | message_queue_data
 * | fullsweep_after | async_dist | {group_leader, peer}
 * | {priority, low | normal | high | max}
 * (the highest admitted) | {min_heap_size | min_bin_vheap_size |
 * max_heap_size, Words} (the largest admitted, 1..2^32).
 */
#define SPAWN_HEAP_MAX	(INT64_C(1) << 32)	/* words: 32 GiB on 64 bits */

static int
spawn_heap(struct loader *L, const struct et_node *k, int64_t *out)
{
	const struct et_node *n = et_elem(k, 1);

	if (n->kind != ET_INT || n->ival < 1 || n->ival > SPAWN_HEAP_MAX) {
		conf_err(L, k->line, "%s bound must be 1..%lld words",
		    et_elem(k, 0)->text, (long long)SPAWN_HEAP_MAX);
		return -1;
	}
	*out = n->ival;
	return 0;
}

static int
spawn_opt(struct loader *L, const struct et_node *k, struct dg_spawn_opts *so)
{
	static const char *const prio[] = { "low", "normal", "high", "max" };
	const struct et_node *key, *val;
	char buf[64];
	int i;

	if (et_is_atom(k, "link") || et_is_atom(k, "monitor"))
		return 0;
	if (et_is_atom(k, "message_queue_data")) {
		so->flags |= DG_SO_MQD;
		return 0;
	}
	if (et_is_atom(k, "fullsweep_after")) {
		so->flags |= DG_SO_FULLSWEEP;
		return 0;
	}
	if (et_is_atom(k, "async_dist")) {
		so->flags |= DG_SO_ASYNC_DIST;
		return 0;
	}
	if (k->kind == ET_TUPLE && k->nkids == 2 &&
	    (key = et_elem(k, 0))->kind == ET_ATOM) {
		val = et_elem(k, 1);
		if (strcmp(key->text, "priority") == 0) {
			for (i = 0; i < 4; i++)
				if (et_is_atom(val, prio[i])) {
					so->priority = (enum dg_prio)(i + 1);
					return 0;
				}
			conf_err(L, k->line, "priority must be low, normal, high "
			    "or max");
			return -1;
		}
		if (strcmp(key->text, "group_leader") == 0) {
			if (!et_is_atom(val, "peer")) {
				conf_err(L, k->line, "group_leader must be peer");
				return -1;
			}
			so->gl_peer = 1;
			return 0;
		}
		if (strcmp(key->text, "min_heap_size") == 0)
			return spawn_heap(L, k, &so->min_heap);
		if (strcmp(key->text, "min_bin_vheap_size") == 0)
			return spawn_heap(L, k, &so->min_bin_vheap);
		if (strcmp(key->text, "max_heap_size") == 0)
			return spawn_heap(L, k, &so->max_heap);
	}
	conf_err(L, k->line, "unknown spawn option %s (link, monitor, "
	    "message_queue_data, fullsweep_after, async_dist, {group_leader, "
	    "peer}, {priority, P}, "
	    "{min_heap_size, N}, {min_bin_vheap_size, N}, {max_heap_size, N})",
	    et_show(k, buf, sizeof(buf)));
	return -1;
}

static int
rule_spawn_opts(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *k;
	int rc = 0;

	if (v->kind != ET_LIST) {
		conf_err(L, v->line, "the spawn options of a spawn_request rule "
		    "are a list");
		return -1;
	}
	for (k = v->kids; k != NULL; k = k->next)
		if (spawn_opt(L, k, &r->sopts) == -1)
			rc = -1;
	return rc;
}

/* {io_reply, Module}: funs of Module in io replies (docs/FILTER.md 21). */
static int
funs_io_target(struct loader *L, const struct et_node *k, struct dg_rule *r)
{
	const struct et_node *mod = et_elem(k, 1);
	char buf[64];

	if (!et_is_atom(et_elem(k, 0), "io_reply") || mod->kind != ET_ATOM ||
	    strcmp(mod->text, "_") == 0) {
		conf_err(L, k->line, "a funs target of two elements is {io_reply, "
		    "Module}, Module an atom, found %s",
		    et_show(k, buf, sizeof(buf)));
		return -1;
	}
	if ((r->io_mods[r->nio_mods] = conf_strdup(L, mod->text, k->line)) ==
	    NULL)
		return -1;
	r->nio_mods++;
	return 0;
}

/* {allow, funs} or {allow, funs, [Name | {M, F, A} | {io_reply, M}]}:
 * where funs may pass the code guard (docs/FILTER.md 11 and 21). */
static int
rule_funs(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *l, *k;
	struct dg_mfa *m;
	char buf[64];

	r->kind = DG_R_FUNS;
	if (r->action != DG_ALLOW) {
		conf_err(L, v->line, "funs rules only allow: {allow, funs} or "
		    "{allow, funs, [Name | {M, F, A}]}");
		return -1;
	}
	if (v->nkids == 2)
		return 0;
	l = et_elem(v, 2);
	if (l->kind != ET_LIST || l->nkids == 0) {
		conf_err(L, l->line, "funs rule takes a non-empty list of "
		    "registered names and {Module, Function, Arity}");
		return -1;
	}
	if ((r->names = conf_calloc(L, (size_t)l->nkids, sizeof(char *),
	    l->line)) == NULL || (r->mfas = conf_calloc(L, (size_t)l->nkids,
	    sizeof(*r->mfas), l->line)) == NULL || (r->io_mods = conf_calloc(L,
	    (size_t)l->nkids, sizeof(char *), l->line)) == NULL)
		return -1;
	for (k = l->kids; k != NULL; k = k->next) {
		if (k->kind == ET_TUPLE && k->nkids == 2) {
			if (funs_io_target(L, k, r) == -1)
				return -1;
			continue;
		}
		if (k->kind == ET_ATOM) {
			if ((r->names[r->nnames] = conf_strdup(L, k->text,
			    k->line)) == NULL)
				return -1;
			r->nnames++;
			continue;
		}
		if (k->kind != ET_TUPLE || k->nkids != 3) {
			conf_err(L, k->line, "funs targets are registered names, "
			    "{Module, Function, Arity} or {io_reply, Module}, "
			    "found %s",
			    et_show(k, buf, sizeof(buf)));
			return -1;
		}
		m = &r->mfas[r->nmfas++];
		if (mfa_of(L, k, m) == -1)
			return -1;
	}
	return 0;
}

/* The types whose {allow, Type, disclosed} rule takes a protocol list:
 * sends by pid, which carry a payload. */
static int
sends_by_pid(enum dg_type t)
{
	return t == DG_T_SEND || t == DG_T_ALIAS_SEND;
}

static int
parse_rule(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *a, *t;
	char buf[64];
	int i;

	r->line = v->line;
	r->action = DG_ALLOW;
	if (v->kind == ET_ATOM) {
		if (strcmp(v->text, "allow_all") == 0) {
			r->kind = DG_R_ALLOW_ALL;
			return 0;
		}
		for (i = 0; i < DG_PROFILE_COUNT; i++) {
			if (strcmp(v->text, profile_names[i]) == 0) {
				r->kind = DG_R_PROFILE;
				r->profile = (enum dg_profile)i;
				return 0;
			}
		}
		conf_err(L, v->line, "unknown rule %s (atoms: allow_all, ping, "
		    "global, replies)", et_show(v, buf, sizeof(buf)));
		return -1;
	}
	if (v->kind != ET_TUPLE || v->nkids < 2 || v->nkids > 4) {
		conf_err(L, v->line, "a rule is allow_all, ping, global, replies, "
		    "{Action, Type}, {Action, Type, [...]} or {allow, "
		    "reg_send, [Name], [Protocol]}; found %s",
		    et_show(v, buf, sizeof(buf)));
		return -1;
	}
	a = et_elem(v, 0);
	t = et_elem(v, 1);
	for (i = 0; i < (int)DG_ARRAY_LEN(action_names); i++)
		if (et_is_atom(a, action_names[i]))
			break;
	if (i == (int)DG_ARRAY_LEN(action_names)) {
		conf_err(L, a->line, "rule action must be allow, deny or drop, "
		    "found %s", et_show(a, buf, sizeof(buf)));
		return -1;
	}
	r->action = (enum dg_action)i;
	if (et_is_atom(t, "funs"))
		return rule_funs(L, v, r);
	if (t->kind != ET_ATOM || dg_type_from_name(t->text, &r->type)) {
		conf_err(L, t->line, "unknown message type %s (link, exit, "
		    "monitor, send, reg_send, group_leader, spawn_request, "
		    "alias_send, altact)", et_show(t, buf, sizeof(buf)));
		return -1;
	}
	r->kind = DG_R_TYPE;
	if (v->nkids == 2)
		return 0;
	if (v->nkids == 4 && ((r->type != DG_T_REG_SEND &&
	    r->type != DG_T_SPAWN_REQUEST && !sends_by_pid(r->type)) ||
	    r->action != DG_ALLOW)) {
		conf_err(L, v->line, "only {allow, reg_send, [Name], [Protocol]}, "
		    "{allow, send | alias_send, disclosed, [Protocol]} and "
		    "{allow, spawn_request, [MFA], [Opt]} take a fourth "
		    "element");
		return -1;
	}
	if (et_is_atom(et_elem(v, 2), "disclosed")) {
		if (!dg_type_takes_disclosed(r->type) || r->action != DG_ALLOW) {
			conf_err(L, v->line, "only {allow, Type, disclosed} with "
			    "Type send, link, monitor, exit, alias_send or "
			    "group_leader");
			return -1;
		}
		r->disclosed = 1;
		/* the protocols a send by pid may speak (rules.c) */
		return v->nkids == 4 ? rule_protos(L, et_elem(v, 3), r) : 0;
	}
	if (v->nkids == 4 && sends_by_pid(r->type)) {
		conf_err(L, v->line, "a fourth element of a %s rule follows "
		    "disclosed: {allow, %s, disclosed, [Protocol]}", t->text,
		    t->text);
		return -1;
	}
	if (r->type == DG_T_REG_SEND) {
		r->kind = DG_R_NAMES;
		if (rule_names(L, et_elem(v, 2), r) == -1)
			return -1;
		return v->nkids == 4 ? rule_protos(L, et_elem(v, 3), r) : 0;
	}
	if (r->type == DG_T_SPAWN_REQUEST) {
		r->kind = DG_R_MFAS;
		if (rule_mfas(L, et_elem(v, 2), r) == -1)
			return -1;
		return v->nkids == 4 ? rule_spawn_opts(L, et_elem(v, 3), r) :
		    0;
	}
	conf_err(L, v->line, "only reg_send, spawn_request and funs rules take a "
	    "list (and {allow, Type, disclosed} an atom)");
	return -1;
}

/* [Rule]: every rule is checked even after a bad one. */
static void
parse_rules(struct loader *L, const struct et_node *v, const char *what,
    struct dg_ruleset *rs)
{
	const struct et_node *k;
	char buf[64];

	if (v->kind != ET_LIST) {
		conf_err(L, v->line, "%s must be a list of rules, found %s", what,
		    et_show(v, buf, sizeof(buf)));
		return;
	}
	if (v->nkids == 0)
		return;
	if ((rs->rules = conf_calloc(L, (size_t)v->nkids, sizeof(*rs->rules),
	    v->line)) == NULL)
		return;
	for (k = v->kids; k != NULL; k = k->next) {
		/* Counted before parsing: conf_unref frees what the
		 * rule holds even when it is half built. */
		if (parse_rule(L, k, &rs->rules[rs->nrules++]) == -1)
			continue;
	}
}

/* {default, deny | allow | [Rule]} in a scope. */
void
conf_entry_default(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v;

	if (t->nkids != 2) {
		conf_err(L, t->line, "default takes {default, deny | allow | "
		    "[Rule]}");
		return;
	}
	if (s->has_default) {
		conf_err(L, t->line, "default given twice in this scope (first "
		    "on line %d)", s->def_line);
		return;
	}
	s->has_default = 1;
	s->def_line = t->line;
	v = et_elem(t, 1);
	if (et_is_atom(v, "deny"))
		s->def = DG_DEF_DENY;
	else if (et_is_atom(v, "allow"))
		s->def = DG_DEF_ALLOW;
	else if (v->kind == ET_LIST) {
		char text[160];

		s->def = DG_DEF_RULES;
		parse_rules(L, v, "default", &s->def_rules);
		/* Logs show the rules as written, not a placeholder. */
		s->def_text = strdup(et_write(v, text, sizeof(text)));
	} else
		conf_err(L, v->line, "default must be deny, allow or a list of "
		    "rules");
}

/* {handler, Type, Module}: the seed's spawn handler (Type spawn_request,
 * docs/FILTER.md 14) or a message handler (reg_send, send, alias_send,
 * group_leader: 26).  Returns the slot Type names among `spawn` and
 * `msgs` (indexed by enum dg_type), or NULL after an error; *typ is set. */
static char **
handler_slot(struct loader *L, const struct et_node *t, char **spawn,
    char **msgs, enum dg_type *typ)
{
	const struct et_node *k = et_elem(t, 1), *m = et_elem(t, 2);

	if (k->kind != ET_ATOM || dg_type_from_name(k->text, typ) == -1 ||
	    (*typ != DG_T_SPAWN_REQUEST && !dg_type_takes_msg_handler(*typ))) {
		conf_err(L, k->line, "unknown handler type (known: "
		    "spawn_request, reg_send, send, alias_send, group_leader): "
		    "{handler, Type, Module}");
		return NULL;
	}
	if (m->kind != ET_ATOM || strcmp(m->text, "_") == 0 ||
	    m->text[0] == '\0') {
		conf_err(L, m->line, "handler module must be an atom");
		return NULL;
	}
	return *typ == DG_T_SPAWN_REQUEST ? spawn : &msgs[*typ];
}

/* Sets the handler {handler, Type, Module} names.  Returns 0, or -1. */
static int
get_handler(struct loader *L, const struct et_node *t, char **spawn,
    char **msgs, enum dg_type *typ)
{
	const struct et_node *m = et_elem(t, 2);
	char **slot = handler_slot(L, t, spawn, msgs, typ);

	if (slot == NULL)
		return -1;
	free(*slot);
	return (*slot = conf_strdup(L, m->text, m->line)) == NULL ? -1 : 0;
}

/* {handler, Type, Module} as an entry: for the peers of the scope (top
 * level or {node, ...}) whose own entry names no handler of that Type. */
void
conf_entry_handler(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	enum dg_type typ;
	char **slot;

	if (t->nkids != 3) {
		conf_err(L, t->line, "handler takes {handler, Type, Module}");
		return;
	}
	if ((slot = handler_slot(L, t, &s->handler, s->msg_handler, &typ)) ==
	    NULL)
		return;
	if (*slot != NULL) {
		conf_err(L, t->line, "handler of %s given twice in this scope "
		    "(first on line %d)", dg_type_name(typ),
		    typ == DG_T_SPAWN_REQUEST ? s->handler_line :
		    s->msg_handler_line[typ]);
		return;
	}
	if (get_handler(L, t, &s->handler, s->msg_handler, &typ) == 0) {
		if (typ == DG_T_SPAWN_REQUEST)
			s->handler_line = t->line;
		else
			s->msg_handler_line[typ] = t->line;
	}
}

/* audit | enforce, for {mode, M}.  Returns 0 and sets *out, or -1. */
static int
get_mode(struct loader *L, const struct et_node *v, enum dg_mode *out)
{
	if (et_is_atom(v, "audit"))
		*out = DG_MODE_AUDIT;
	else if (et_is_atom(v, "enforce"))
		*out = DG_MODE_ENFORCE;
	else {
		conf_err(L, v->line, "mode must be audit or enforce");
		return -1;
	}
	return 0;
}

/* {mode, audit | enforce} as an entry: for the peers of the scope whose
 * own entry names no mode (docs/FILTER.md 22). */
void
conf_entry_mode(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (t->nkids != 2) {
		conf_err(L, t->line, "mode takes {mode, audit | enforce}");
		return;
	}
	if (s->mode != DG_MODE_UNSET) {
		conf_err(L, t->line, "mode given twice in this scope (first on "
		    "line %d)", s->mode_line);
		return;
	}
	if (get_mode(L, et_elem(t, 1), &s->mode) == 0)
		s->mode_line = t->line;
}

/* {peer, Pattern, [Rule]} or {peer, Pattern, [Rule], [{disconnect, B}]}. */
void
conf_entry_peer(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *o;
	struct dg_peer *p;
	const char *pat;
	char buf[64];
	int i;

	if (t->nkids != 3 && t->nkids != 4) {
		conf_err(L, t->line, "peer takes {peer, Pattern, [Rule]} or "
		    "{peer, Pattern, [Rule], [Option]}");
		return;
	}
	if ((pat = conf_get_pattern(L, et_elem(t, 1), "peer pattern")) == NULL)
		return;
	for (i = 0; i < s->npeers; i++) {
		if (s->peers[i].pattern != NULL &&
		    strcmp(s->peers[i].pattern, pat) == 0) {
			conf_err(L, t->line, "peer \"%s\" given twice in this "
			    "scope (first on line %d)", pat, s->peers[i].line);
			return;
		}
	}
	p = &s->peers[s->npeers++];
	p->line = t->line;
	if ((p->pattern = conf_strdup(L, pat, t->line)) == NULL)
		return;
	parse_rules(L, et_elem(t, 2), "peer rules", &p->rules);
	if (t->nkids == 3)
		return;
	o = et_elem(t, 3);
	if (o->kind != ET_LIST) {
		conf_err(L, o->line, "peer options must be a list, e.g. "
		    "[{disconnect, true}]");
		return;
	}
	for (o = o->kids; o != NULL; o = o->next) {
		if (et_is_tagged(o, "disconnect", 2))
			conf_get_bool(L, et_elem(o, 1), "peer: disconnect",
			    &p->disconnect);
		else if (et_is_tagged(o, "atoms", 2))
			(void)conf_get_atoms(L, et_elem(o, 1), "peer: atoms",
			    &p->atoms);
		else if (et_is_tagged(o, "handler", 3)) {
			enum dg_type typ;

			(void)get_handler(L, o, &p->handler, p->msg_handler,
			    &typ);
		}
		else if (et_is_tagged(o, "mode", 2))
			(void)get_mode(L, et_elem(o, 1), &p->mode);
		else
			conf_err(L, o->line, "unknown peer option %s (known: "
			    "{disconnect, true | false}, {atoms, N}, "
			    "{handler, Type, Module}, "
			    "{mode, audit | enforce})",
			    et_show(o, buf, sizeof(buf)));
	}
}

static void
free_ruleset(struct dg_ruleset *rs)
{
	int i, j;

	for (i = 0; i < rs->nrules; i++) {
		struct dg_rule *r = &rs->rules[i];

		for (j = 0; j < r->nnames; j++)
			free(r->names[j]);
		free(r->names);
		for (j = 0; j < r->nmfas; j++) {
			free(r->mfas[j].m);
			free(r->mfas[j].f);
		}
		free(r->mfas);
		for (j = 0; j < r->nio_mods; j++)
			free(r->io_mods[j]);
		free(r->io_mods);
	}
	free(rs->rules);
	rs->rules = NULL;
	rs->nrules = 0;
}

void
conf_free_scope(struct dg_scope *s)
{
	int i, j;

	for (i = 0; i < s->npeers; i++) {
		free(s->peers[i].pattern);
		free(s->peers[i].handler);
		for (j = 0; j < DG_T_COUNT; j++)
			free(s->peers[i].msg_handler[j]);
		free_ruleset(&s->peers[i].rules);
	}
	free(s->peers);
	free(s->handler);
	for (i = 0; i < DG_T_COUNT; i++)
		free(s->msg_handler[i]);
	free_ruleset(&s->def_rules);
	free(s->def_text);
	free(s->node_pattern);
}

/* ---- rules from the command line, overlays ---------------------------- */

int
conf_parse_rules(const char *name, const char *text, size_t len,
    struct dg_ruleset *out, conf_err_fn err, void *arg)
{
	struct loader L;
	struct et_doc *doc;
	char *buf;

	memset(&L, 0, sizeof(L));
	memset(out, 0, sizeof(*out));
	L.file = name;
	L.err = err;
	L.arg = arg;
	/* The term reader wants a terminator; the command line need not. */
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\n'))
		len--;
	if (len == 0 || len > ET_MAX_FILE - 2) {
		conf_err(&L, 1, "rules must be a list such as [allow_all] or "
		    "[{allow, spawn_request, [{erlang, node, 0}]}]");
		return -1;
	}
	if ((buf = malloc(len + 2)) == NULL) {
		conf_err(&L, 1, "out of memory");
		return -1;
	}
	memcpy(buf, text, len);
	if (text[len - 1] != '.')
		buf[len++] = '.';
	if ((doc = et_parse(buf, len, conf_syntax_err, &L)) == NULL) {
		free(buf);
		return -1;
	}
	free(buf);
	L.nerr += doc->nerrors;
	if (L.nerr == 0 && doc->nterms != 1)
		conf_err(&L, 1, "rules must be one list, found %d terms",
		    doc->nterms);
	else if (L.nerr == 0 && doc->terms->kind == ET_LIST &&
	    doc->terms->nkids == 0)
		conf_err(&L, 1, "rules must hold at least one rule");
	else if (L.nerr == 0)
		parse_rules(&L, doc->terms, "rules", out);
	et_free(doc);
	if (L.nerr > 0) {
		free_ruleset(out);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

void
conf_ruleset_free(struct dg_ruleset *rs)
{
	free_ruleset(rs);
	memset(rs, 0, sizeof(*rs));
}

void
conf_overlay_free(struct dg_conf *c)
{
	int i;

	for (i = 0; i < c->nov; i++) {
		free(c->ov[i].pattern);
		free_ruleset(&c->ov[i].rules);
	}
	free(c->ov);
	free(c->top.peers);
	for (i = 0; i < c->nnodes; i++)
		free(c->nodes[i].peers);
	free(c->nodes);
	if (c->xfree != NULL)
		c->xfree(c->xown);
	conf_unref(c->base);
	free(c);
}

/* The overlays, then the scope's own entries (which stay base's): a new
 * array in place of the scope's, or NULL (and the scope left without
 * peers, so that conf_overlay_free frees nothing of base's). */
static int
overlay_scope(const struct dg_conf *c, struct dg_scope *s)
{
	struct dg_peer *p;

	p = calloc((size_t)(c->nov + s->npeers), sizeof(*p));
	if (p != NULL) {
		memcpy(p, c->ov, (size_t)c->nov * sizeof(*p));
		if (s->npeers > 0)
			memcpy(p + c->nov, s->peers,
			    (size_t)s->npeers * sizeof(*p));
		s->npeers += c->nov;
	}
	s->peers = p;
	return p != NULL ? 0 : -1;
}

struct dg_conf *
conf_overlay(struct dg_conf *base, const struct dg_overlay *ov, int n,
    conf_err_fn err, void *arg)
{
	return conf_overlay_scopes(base, ov, n, NULL, 0, NULL, NULL, err, arg);
}

struct dg_conf *
conf_overlay_scopes(struct dg_conf *base, const struct dg_overlay *ov, int n,
    const struct dg_scope *xs, int nxs, void (*xfree)(void *), void *xown,
    conf_err_fn err, void *arg)
{
	struct dg_conf *c;
	char name[32];
	int i, nn;

	base = conf_root(base);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	*c = *base;
	c->refcnt = 1;
	c->base = base;
	conf_ref(base);
	c->top.peers = NULL;	/* nothing of base's until replaced */
	c->nodes = NULL;
	c->nnodes = 0;
	c->nov = 0;
	if ((c->ov = calloc((size_t)(n > 0 ? n : 1), sizeof(*c->ov))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		struct dg_peer *p = &c->ov[i];

		snprintf(name, sizeof(name), "grant %d", ov[i].id);
		if ((p->pattern = strdup(ov[i].pattern)) == NULL)
			goto fail;
		c->nov++;
		if (conf_parse_rules(name, ov[i].rules, strlen(ov[i].rules),
		    &p->rules, err, arg) == -1)
			goto fail;
	}
	c->top.peers = base->top.peers;
	if (overlay_scope(c, &c->top) == -1)
		goto fail;
	nn = nxs + base->nnodes;
	if (nn > 0 && (c->nodes = calloc((size_t)nn, sizeof(*c->nodes))) ==
	    NULL)
		goto fail;
	for (i = 0; i < nn; i++) {
		c->nodes[i] = i < nxs ? xs[i] : base->nodes[i - nxs];
		c->nnodes = i + 1;
		if (overlay_scope(c, &c->nodes[i]) == -1)
			goto fail;
	}
	c->xfree = xfree;
	c->xown = xown;
	return c;
fail:
	conf_overlay_free(c);
	return NULL;
}

struct dg_conf *
conf_root(struct dg_conf *c)
{
	return c->base != NULL ? c->base : c;
}

const char *
conf_profile_name(enum dg_profile p)
{
	return (unsigned)p < DG_PROFILE_COUNT ? profile_names[p] : "?";
}

