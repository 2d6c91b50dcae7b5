/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_opts.c - option lists ({Section, [{Name, Value}]}): the sorted
 * table of each section, the generic range-checked setters, and the
 * section entries ({epmd}, {listen}, {handshake}, {bans}, {limits},
 * {alerts}, {control}, {metrics}, {grants}, {user}, {group},
 * {registration_from}).
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
 * Option lists: {Section, [{Name, Value}, ...]}.  Each section has a
 * sorted table; a value is either stored generically at `off` in struct
 * dg_conf after a range check, or handed to fn.
 */
enum okind {
	OPT_INT,	/* int */
	OPT_SECS,	/* double, from whole seconds */
	OPT_BOOL,	/* int 0/1 */
	OPT_PORT,	/* uint16_t */
	OPT_U32,
	OPT_U64,
	OPT_PATH,	/* char *, strdup'd */
	OPT_FN		/* fn does it */
};

struct opt;
typedef void (*opt_fn)(struct loader *, const struct opt *,
    const struct et_node *, const char *);

struct opt {
	const char	*name;
	enum okind	 kind;
	size_t		 off;
	int64_t		 min;
	int64_t		 max;
	const char	*unit;
	opt_fn		 fn;
};

#define OFF(f)	offsetof(struct dg_conf, f)

static void
o_epmd_addrs(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	struct dg_conf *c = L->c;
	const struct et_node *k;
	int i;

	if (v->kind != ET_LIST || v->nkids < 1 ||
	    v->nkids > DG_CONF_MAX_ADDRS) {
		conf_err(L, v->line, "%s must be a list of 1..%d addresses", what,
		    DG_CONF_MAX_ADDRS);
		return;
	}
	for (k = v->kids; k != NULL; k = k->next) {
		struct dg_sockaddr *sa = &c->epmd_addrs[c->nepmd_addrs];

		if (conf_get_sockaddr(L, k, what, 0, sa) == -1)
			continue;
		for (i = 0; i < c->nepmd_addrs; i++) {
			if (c->epmd_addrs[i].len == sa->len &&
			    memcmp(&c->epmd_addrs[i].ss, &sa->ss,
			    sa->len) == 0)
				break;
		}
		if (i < c->nepmd_addrs) {
			conf_err(L, k->line, "%s: \"%s\" is listed twice", what,
			    sa->text);
			continue;
		}
		c->nepmd_addrs++;
	}
}

static void
o_names_from(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	if (et_is_atom(v, "local"))
		L->c->names_from = DG_NAMES_LOCAL;
	else if (et_is_atom(v, "any"))
		L->c->names_from = DG_NAMES_ANY;
	else if (et_is_atom(v, "none"))
		L->c->names_from = DG_NAMES_NONE;
	else
		conf_err(L, v->line, "%s must be local, any or none", what);
}

static void
o_listen_addr(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	conf_get_sockaddr(L, v, what, 0, &L->c->listen_addr);
}

/* {ports, {Min, Max}} or {ports, Port}. */
static void
o_ports(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	int64_t lo, hi;

	if (v->kind == ET_INT) {
		if (conf_get_int(L, v, what, 1, 65535, "", &lo) == 0)
			L->c->listen_port_min = L->c->listen_port_max =
			    (uint16_t)lo;
		return;
	}
	if (v->kind != ET_TUPLE || v->nkids != 2) {
		conf_err(L, v->line, "%s must be {Min, Max} or a port", what);
		return;
	}
	if (conf_get_int(L, et_elem(v, 0), what, 1, 65535, "", &lo) == -1 ||
	    conf_get_int(L, et_elem(v, 1), what, 1, 65535, "", &hi) == -1)
		return;
	if (lo > hi) {
		conf_err(L, v->line, "%s: {%" PRId64 ", %" PRId64 "} is empty: "
		    "Min must be <= Max", what, lo, hi);
		return;
	}
	L->c->listen_port_min = (uint16_t)lo;
	L->c->listen_port_max = (uint16_t)hi;
}

/* withhold_flags / require_flags: a list of flag atoms.  require_flags
 * also takes 'MANDATORY_23' .. 'MANDATORY_29': what that OTP release
 * requires of a peer. */
static void
o_flags(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	uint64_t *dst = (uint64_t *)((char *)L->c + o->off), set = 0, bit;
	const struct et_node *k;
	char buf[64];
	int bad = 0;

	if (v->kind != ET_LIST) {
		conf_err(L, v->line, "%s must be a list of flag names", what);
		return;
	}
	for (k = v->kids; k != NULL; k = k->next) {
		if (k->kind == ET_ATOM && o->off == OFF(hs_require) &&
		    dflag_mandatory_from_name(k->text, &bit) == 0) {
			set |= bit;
			continue;
		}
		if (k->kind != ET_ATOM || dflag_from_name(k->text, &bit) != 0) {
			conf_err(L, k->line, "%s: unknown flag %s (flags are "
			    "written as in dg_flags.h without DFLAG_, e.g. "
			    "'DIST_HDR_ATOM_CACHE')", what,
			    et_show(k, buf, sizeof(buf)));
			bad = 1;
			continue;
		}
		set |= bit;
	}
	if (bad)
		return;
	*dst = set;
	if (o->off == OFF(hs_require))
		L->c->hs_require_line = L->require_set = v->line;
	else
		L->c->hs_withhold_line = L->withhold_set = v->line;
}

static const struct opt epmd_opts[] = {
	{ "addresses",		OPT_FN, 0, 0, 0, "", o_epmd_addrs },
	{ "max_connections",	OPT_INT, OFF(epmd_max_conns), 1, 65536, "", NULL },
	{ "max_per_source",	OPT_INT, OFF(epmd_max_per_source), 1, 65536, "",
				NULL },
	{ "names_from",		OPT_FN, 0, 0, 0, "", o_names_from },
	{ "port",		OPT_PORT, OFF(epmd_port), 1, 65535, "", NULL },
	{ "remote_port",	OPT_PORT, OFF(remote_epmd_port), 1, 65535, "", NULL },
	{ "timeout",		OPT_SECS, OFF(epmd_timeout), 1, 3600, "seconds",
				NULL },
};

/* {egress_ports, {Min, Max}}: the egress pool, below 32768 (never the
 * kernel's ephemeral ports), checked against the listeners' range in
 * conf_entry_listen once both are read. */
static void
o_egress_ports(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	int64_t lo, hi;

	if (v->kind != ET_TUPLE || v->nkids != 2) {
		conf_err(L, v->line, "%s must be {Min, Max}", what);
		return;
	}
	if (conf_get_int(L, et_elem(v, 0), what, 1, 32767, "", &lo) == -1 ||
	    conf_get_int(L, et_elem(v, 1), what, 1, 32767, "", &hi) == -1)
		return;
	if (lo > hi) {
		conf_err(L, v->line, "%s: {%" PRId64 ", %" PRId64 "} is empty: "
		    "Min must be <= Max", what, lo, hi);
		return;
	}
	L->c->egress_port_min = (uint16_t)lo;
	L->c->egress_port_max = (uint16_t)hi;
	L->egress_ports_line = v->line;
}

static const struct opt listen_opts[] = {
	{ "address",		OPT_FN, 0, 0, 0, "", o_listen_addr },
	{ "egress_per_node",	OPT_INT, OFF(egress_per_node), 1, 1024, "",
				NULL },
	{ "egress_ports",	OPT_FN, 0, 0, 0, "", o_egress_ports },
	{ "ports",		OPT_FN, 0, 0, 0, "", o_ports },
};

static const struct opt hs_opts[] = {
	{ "check_host",		OPT_BOOL, OFF(hs_check_host), 0, 1, "", NULL },
	{ "link_max_pending",	OPT_INT, OFF(link_max_pending), 1, 65536, "",
				NULL },
	{ "link_max_per_source", OPT_INT, OFF(link_max_per_source), 1, 65536,
				"", NULL },
	{ "link_rate",		OPT_SECS, OFF(link_rate), 1, 1000,
				"links a second per source", NULL },
	{ "max_pending",	OPT_INT, OFF(hs_max_pending), 1, 65536, "", NULL },
	{ "max_per_source",	OPT_INT, OFF(hs_max_per_source), 1, 65536, "",
				NULL },
	{ "require_flags",	OPT_FN, OFF(hs_require), 0, 0, "", o_flags },
	{ "timeout",		OPT_SECS, OFF(hs_timeout), 1, 3600, "seconds",
				NULL },
	{ "withhold_flags",	OPT_FN, OFF(hs_withhold), 0, 0, "", o_flags },
};

static const struct opt ban_opts[] = {
	{ "duration",		OPT_SECS, OFF(ban_duration), 1, 2592000,
				"seconds", NULL },
	{ "failures",		OPT_INT, OFF(ban_failures), 0, 1000, "", NULL },
	{ "window",		OPT_SECS, OFF(ban_window), 1, 86400, "seconds",
				NULL },
};

static const struct opt alert_opts[] = {
	{ "file",		OPT_PATH, OFF(alerts_path), 0, CONF_MAX_PATH, "",
				NULL },
	{ "per_source",		OPT_INT, OFF(alerts_per_source), 1, 100000, "",
				NULL },
	{ "syslog",		OPT_BOOL, OFF(alerts_syslog), 0, 1, "", NULL },
};

/* {atoms, N} (in limits and in peer options): a distinct-atom budget,
 * 1..10,000,000, or infinity for none. */
int
conf_get_atoms(struct loader *L, const struct et_node *v, const char *what,
    int64_t *out)
{
	if (et_is_atom(v, "infinity")) {
		*out = -1;
		return 0;
	}
	return conf_get_int(L, v, what, 1, 10000000, "(or infinity)", out);
}

static void
o_atoms(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	int64_t n;

	if (conf_get_atoms(L, v, what, &n) == 0)
		L->c->max_atoms = n < 0 ? 0 : n;
}

static const struct opt limit_opts[] = {
	{ "atoms",		OPT_FN, 0, 0, 0, "", o_atoms },
	{ "cookie_atoms",	OPT_INT, OFF(cookie_atoms), 1, 10000000, "",
				NULL },
	{ "fragment_idle",	OPT_INT, OFF(frag_idle), 1, 3600, "seconds",
				NULL },
	{ "held_alert",		OPT_INT, OFF(held_alert), 1, 10000000, "",
				NULL },
	{ "held_max",		OPT_INT, OFF(held_max), 1, 10000000, "", NULL },
	{ "max_established_per_source", OPT_INT,
				OFF(max_established_per_source), 1, 65536, "",
				NULL },
	{ "max_fragment_bytes",	OPT_U64, OFF(max_frag_bytes), 1024,
				INT64_C(1) << 40, "bytes", NULL },
	/* The bounds of what a node holds for open sequences (docs/FILTER.md
	 * 10): per connection and per node of ours, all its peers together. */
	{ "max_fragment_node",	OPT_U64, OFF(max_frag_node), 65536,
				INT64_C(1) << 40, "bytes", NULL },
	{ "max_fragment_open",	OPT_U64, OFF(max_frag_open), 65536,
				INT64_C(1) << 40, "bytes", NULL },
	/* The sequence table's size (filter/dist_frame.h DF_MAX_SEQS). */
	{ "max_fragment_sequences", OPT_INT, OFF(max_frag_seqs), 1, 64, "",
				NULL },
	{ "max_frame",		OPT_U32, OFF(max_frame), 1024, INT32_MAX, "bytes",
				NULL },
	{ "node_atoms",		OPT_INT, OFF(node_atoms), 1, 10000000, "",
				NULL },
	{ "source_atoms",	OPT_INT, OFF(source_atoms), 1, 10000000, "",
				NULL },
	{ "tick_flood",		OPT_INT, OFF(tick_flood), 1, 1000000,
				"ticks per second", NULL },
	{ "tick_interval",	OPT_INT, OFF(tick_interval_ms), 0, 60000,
				"milliseconds", NULL },
};


static void	o_metrics_listen(struct loader *, const struct opt *,
		    const struct et_node *, const char *);

static const struct opt metrics_opts[] = {
	{ "listen",		OPT_FN, 0, 0, 0, "", o_metrics_listen },
	{ "max_connections",	OPT_INT, OFF(metrics_max_conns), 1, 1024, "",
				NULL },
	{ "max_peers",		OPT_INT, OFF(metrics_max_peers), 1, 10000, "",
				NULL },
	{ "max_per_source",	OPT_INT, OFF(metrics_max_per_source), 1, 1024,
				"", NULL },
	{ "timeout",		OPT_SECS, OFF(metrics_timeout), 1, 60,
				"seconds", NULL },
};

static const struct opt grant_opts[] = {
	{ "keep_on_reload",	OPT_BOOL, OFF(grants_keep_on_reload), 0, 1, "",
				NULL },
	{ "max",		OPT_INT, OFF(grants_max), 1, 1024, "", NULL },
	{ "max_duration",	OPT_SECS, OFF(grants_max_duration), 1, 2592000,
				"seconds", NULL },
	{ "state_file",		OPT_PATH, OFF(grants_state_file), 0,
				CONF_MAX_PATH, "", NULL },
};

static int
opt_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct opt *)elem)->name);
}

static void
opt_set(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	char *base = (char *)L->c + o->off, *s;
	const char *t;
	int64_t n;
	int b;

	switch (o->kind) {
	case OPT_FN:
		o->fn(L, o, v, what);
		return;
	case OPT_BOOL:
		if (conf_get_bool(L, v, what, &b) == 0)
			*(int *)base = b;
		return;
	case OPT_PATH:
		if ((t = conf_get_text(L, v, what, (size_t)o->max)) == NULL ||
		    (s = conf_strdup(L, t, v->line)) == NULL)
			return;
		free(*(char **)base);
		*(char **)base = s;
		return;
	default:
		break;
	}
	if (conf_get_int(L, v, what, o->min, o->max, o->unit, &n) == -1)
		return;
	switch (o->kind) {
	case OPT_INT:	*(int *)base = (int)n; break;
	case OPT_SECS:	*(double *)base = (double)n; break;
	case OPT_PORT:	*(uint16_t *)base = (uint16_t)n; break;
	case OPT_U32:	*(uint32_t *)base = (uint32_t)n; break;
	case OPT_U64:	*(uint64_t *)base = (uint64_t)n; break;
	default:	break;
	}
}

/* Walks [{Name, Value}]: unknown and repeated options are errors. */
static void
opt_list(struct loader *L, const char *section, const struct et_node *list,
    const struct opt *tab, size_t ntab)
{
	const struct et_node *k;
	const struct opt *o;
	char what[96], buf[64];
	int seen[16] = { 0 };

	if (list->kind != ET_LIST) {
		conf_err(L, list->line, "%s takes a list of {Option, Value}, "
		    "found %s", section, et_show(list, buf, sizeof(buf)));
		return;
	}
	for (k = list->kids; k != NULL; k = k->next) {
		if (k->kind != ET_TUPLE || k->nkids != 2 ||
		    k->kids->kind != ET_ATOM) {
			conf_err(L, k->line, "%s: options are {Name, Value}, "
			    "found %s", section, et_show(k, buf, sizeof(buf)));
			continue;
		}
		o = bsearch(k->kids->text, tab, ntab, sizeof(*tab), opt_cmp);
		if (o == NULL) {
			conf_err(L, k->line, "%s: unknown option %s", section,
			    et_show(k->kids, buf, sizeof(buf)));
			continue;
		}
		if (seen[o - tab]) {
			conf_err(L, k->line, "%s: option '%s' given twice (first "
			    "on line %d)", section, o->name, seen[o - tab]);
			continue;
		}
		seen[o - tab] = k->line;
		snprintf(what, sizeof(what), "%s: %s", section, o->name);
		opt_set(L, o, k->kids->next, what);
	}
}

/* {Name, [Options]} for the option-list sections. */
static int
section_arg(struct loader *L, const struct et_node *t, const char *name)
{
	if (t->nkids != 2) {
		conf_err(L, t->line, "%s takes {%s, [{Option, Value}]}", name,
		    name);
		return -1;
	}
	return 0;
}

/* "127.0.0.1:9369" or "[::1]:9369": a numeric address and a port. */
static void
o_metrics_listen(struct loader *L, const struct opt *o,
    const struct et_node *v, const char *what)
{
	struct dg_conf *c = L->c;
	struct et_node host;
	char buf[80], *colon, *end;
	const char *s;
	long port;

	if ((s = conf_get_text(L, v, what, sizeof(buf) - 1)) == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (colon == NULL || colon[1] == '\0') {
		conf_err(L, v->line, "%s: \"%s\" must be ADDRESS:PORT, e.g. "
		    "\"127.0.0.1:9369\" or \"[::1]:9369\"", what, s);
		return;
	}
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535) {
		conf_err(L, v->line, "%s: port of \"%s\" must be 1..65535", what, s);
		return;
	}
	memset(&host, 0, sizeof(host));
	host.kind = ET_STRING;
	host.line = v->line;
	host.text = buf;
	if (buf[0] == '[' && colon > buf + 1 && colon[-1] == ']') {
		host.text = buf + 1;
		colon[-1] = '\0';
	} else if (strchr(buf, ':') != NULL) {
		conf_err(L, v->line, "%s: write an IPv6 address in brackets, "
		    "\"[%s]:%ld\"", what, buf, port);
		return;
	}
	host.len = strlen(host.text);
	if (conf_get_sockaddr(L, &host, what, (uint16_t)port, &c->metrics_addr) == 0)
		c->metrics_on = 1;
}

/* {metrics, "Addr:Port"} or {metrics, [{listen, "Addr:Port"}, ...]}. */
void
conf_entry_metrics(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v;

	if (t->nkids != 2) {
		conf_err(L, t->line, "metrics takes {metrics, \"127.0.0.1:9369\"} "
		    "or {metrics, [{Option, Value}]}");
		return;
	}
	v = et_elem(t, 1);
	if (v->kind == ET_LIST) {
		opt_list(L, "metrics", v, metrics_opts,
		    DG_ARRAY_LEN(metrics_opts));
		if (!L->c->metrics_on && L->nerr == 0)
			conf_err(L, t->line, "metrics: the listen option is "
			    "required");
		return;
	}
	o_metrics_listen(L, NULL, v, "metrics");
}

void
conf_entry_grants(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "grants") == 0)
		opt_list(L, "grants", et_elem(t, 1), grant_opts,
		    DG_ARRAY_LEN(grant_opts));
}

void
conf_entry_epmd(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "epmd") == 0)
		opt_list(L, "epmd", et_elem(t, 1), epmd_opts,
		    DG_ARRAY_LEN(epmd_opts));
}

void
conf_entry_listen(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct dg_conf *c = L->c;

	if (section_arg(L, t, "listen") == 0)
		opt_list(L, "listen", et_elem(t, 1), listen_opts,
		    DG_ARRAY_LEN(listen_opts));
	/* An egress port taken from the listeners' range is one a node
	 * cannot register on (issue 18: 40 requests locked every node out). */
	if (L->egress_ports_line != 0 &&
	    c->egress_port_min <= c->listen_port_max &&
	    c->egress_port_max >= c->listen_port_min)
		conf_err(L, L->egress_ports_line, "listen: egress_ports {%u, %u} "
		    "overlap the listeners' ports {%u, %u}", c->egress_port_min,
		    c->egress_port_max, c->listen_port_min, c->listen_port_max);
}

void
conf_entry_handshake(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	L->hs_line = t->line;
	if (section_arg(L, t, "handshake") == 0)
		opt_list(L, "handshake", et_elem(t, 1), hs_opts,
		    DG_ARRAY_LEN(hs_opts));
}

void
conf_entry_bans(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "bans") == 0)
		opt_list(L, "bans", et_elem(t, 1), ban_opts,
		    DG_ARRAY_LEN(ban_opts));
}

void
conf_entry_limits(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "limits") == 0)
		opt_list(L, "limits", et_elem(t, 1), limit_opts,
		    DG_ARRAY_LEN(limit_opts));
}

/* {alerts, Path} or {alerts, [Option]}. */
void
conf_entry_alerts(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v;
	const char *path;

	if (t->nkids != 2) {
		conf_err(L, t->line, "alerts takes {alerts, Path} or {alerts, "
		    "[{Option, Value}]}");
		return;
	}
	v = et_elem(t, 1);
	L->c->alerts_line = t->line;
	if (v->kind == ET_LIST) {
		opt_list(L, "alerts", v, alert_opts, DG_ARRAY_LEN(alert_opts));
		return;
	}
	if ((path = conf_get_text(L, v, "alerts file", CONF_MAX_PATH)) != NULL)
		L->c->alerts_path = conf_strdup(L, path, v->line);
}

void
conf_entry_control(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const char *path;

	if (t->nkids != 2) {
		conf_err(L, t->line, "control takes {control, "
		    "\"/path/to/socket\"}");
		return;
	}
	/* It becomes a sun_path. */
	path = conf_get_text(L, et_elem(t, 1), "control socket path",
	    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	if (path != NULL)
		L->c->control_path = conf_strdup(L, path, t->line);
}

/* {control_users, ["name", ...]}: accounts that may change things
 * through the control socket (root always may). */
void
conf_entry_control_users(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v, *k;
	struct passwd *pw;
	const char *name;
	struct dg_conf *c = L->c;

	if (t->nkids != 2 || (v = et_elem(t, 1))->kind != ET_LIST ||
	    v->nkids < 1 || v->nkids > 64) {
		conf_err(L, t->line, "control_users takes a list of 1..64 user "
		    "names");
		return;
	}
	if ((c->control_uids = conf_calloc(L, (size_t)v->nkids,
	    sizeof(*c->control_uids), t->line)) == NULL)
		return;
	for (k = v->kids; k != NULL; k = k->next) {
		if ((name = conf_get_text(L, k, "control user name", 64)) == NULL)
			continue;
		errno = 0;
		if ((pw = getpwnam(name)) == NULL) {
			conf_err(L, k->line, "control_users: \"%s\": %s", name,
			    errno ? strerror(errno) : "no such user");
			continue;
		}
		c->control_uids[c->ncontrol_uids++] = pw->pw_uid;
	}
}

/* {control_group, Name} / {control_read_group, Name}: a group id. */
static int
control_gid(struct loader *L, const struct et_node *t, const char *entry,
    gid_t *out)
{
	struct group *gr;
	const char *name;

	if (t->nkids != 2) {
		conf_err(L, t->line, "%s takes {%s, \"group\"}", entry, entry);
		return -1;
	}
	if ((name = conf_get_text(L, et_elem(t, 1), "group name", 64)) == NULL)
		return -1;
	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		conf_err(L, t->line, "%s \"%s\": %s", entry, name, errno ?
		    strerror(errno) : "no such group");
		return -1;
	}
	*out = gr->gr_gid;
	return 0;
}

void
conf_entry_control_group(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (control_gid(L, t, "control_group", &L->c->control_gid) == 0)
		L->c->control_gid_set = 1;
}

void
conf_entry_control_read_group(struct loader *L, const struct et_node *t,
    struct dg_scope *s)
{
	if (control_gid(L, t, "control_read_group",
	    &L->c->control_read_gid) == 0)
		L->c->control_read_gid_set = 1;
}

/*
 * {user, Name} and {group, Name}: the account the daemon runs as after
 * the privilege drop.  Looked up now, so that `distguard check` names a
 * missing account or root by FILE:LINE rather than the daemon failing
 * after it has bound its ports.
 */
void
conf_entry_user(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct passwd *pw;
	const char *name;

	if (t->nkids != 2) {
		conf_err(L, t->line, "user takes {user, \"name\"}");
		return;
	}
	if ((name = conf_get_text(L, et_elem(t, 1), "user name", 64)) == NULL)
		return;
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		conf_err(L, t->line, "user \"%s\": %s", name, errno ?
		    strerror(errno) : "no such user (create it, e.g. "
		    "useradd --system --user-group --no-create-home "
		    "--shell /usr/sbin/nologin NAME)");
		return;
	}
	if (pw->pw_uid == 0) {
		conf_err(L, t->line, "user \"%s\" has uid 0: the privilege drop "
		    "needs an unprivileged account", name);
		return;
	}
	L->c->run_uid = pw->pw_uid;
	if (L->c->run_group == NULL)
		L->c->run_gid = pw->pw_gid;
	L->c->run_user = conf_strdup(L, name, t->line);
}

void
conf_entry_group(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct group *gr;
	const char *name;

	if (t->nkids != 2) {
		conf_err(L, t->line, "group takes {group, \"name\"}");
		return;
	}
	if ((name = conf_get_text(L, et_elem(t, 1), "group name", 64)) == NULL)
		return;
	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		conf_err(L, t->line, "group \"%s\": %s", name, errno ?
		    strerror(errno) : "no such group");
		return;
	}
	if (gr->gr_gid == 0) {
		conf_err(L, t->line, "group \"%s\" has gid 0: the privilege drop "
		    "needs an unprivileged group", name);
		return;
	}
	L->c->run_gid = gr->gr_gid;
	L->c->run_group = conf_strdup(L, name, t->line);
}

/* {Entry, Atom}: one of three modes, named in the error. */
static int
mode_arg(struct loader *L, const struct et_node *t, const char *entry,
    const char *const names[3])
{
	const struct et_node *v;
	int i;

	if (t->nkids == 2 && (v = et_elem(t, 1))->kind == ET_ATOM)
		for (i = 0; i < 3; i++)
			if (et_is_atom(v, names[i]))
				return i;
	conf_err(L, t->line, "%s must be {%s, %s | %s | %s}", entry, entry,
	    names[2], names[1], names[0]);
	return -1;
}

/* {egress, required | optional | off}: nodes without distguard_epmd. */
void
conf_entry_egress(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	static const char *const names[3] = { "off", "optional", "required" };
	int m = mode_arg(L, t, "egress", names);

	if (m >= 0)
		L->c->egress_mode = (enum dg_egress_mode)m;
}

/* {exposed, refuse | alert | off}: nodes listening beyond loopback. */
void
conf_entry_exposed(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	static const char *const names[3] = { "off", "alert", "refuse" };
	int m = mode_arg(L, t, "exposed", names);

	if (m >= 0)
		L->c->exposed_mode = (enum dg_exposed_mode)m;
}

/* {local_guard, required | optional | off}: local processes kept off
 * registered nodes' own ports (epmd/localguard.h). */
void
conf_entry_local_guard(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	static const char *const names[3] = { "off", "optional", "required" };
	int m = mode_arg(L, t, "local_guard", names);

	if (m >= 0)
		L->c->local_guard = (enum dg_local_guard)m;
}

/*
 * The next free binding: one array for the local_users list and the node
 * scopes' {uid, ...}, sized once for both (at most DG_LOCAL_USERS_MAX of
 * the list, one per {node, ...}).  NULL when memory ran out.
 */
static struct dg_local_user *
local_user_slot(struct loader *L, int line)
{
	struct dg_conf *c = L->c;
	int cap = DG_LOCAL_USERS_MAX + L->nnodes_cap;

	if (c->local_users == NULL && (c->local_users = conf_calloc(L,
	    (size_t)cap, sizeof(*c->local_users), line)) == NULL)
		return NULL;
	return c->nlocal_users < cap ? &c->local_users[c->nlocal_users] :
	    NULL;
}

/* The user of a binding: it must exist now.  0, or -1 (reported). */
static int
local_user_set(struct loader *L, int line, const char *what,
    const char *pat, const char *name, struct dg_local_user *u)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		conf_err(L, line, "%s: user \"%s\": %s", what, name,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	if ((u->pattern = conf_strdup(L, pat, line)) == NULL)
		return -1;
	snprintf(u->user, sizeof(u->user), "%s", name);
	u->uid = pw->pw_uid;
	return 0;
}

/* One {Pattern, User} of local_users. */
static int
local_user(struct loader *L, const struct et_node *k, struct dg_local_user *u)
{
	const char *pat, *name;

	if (k->kind != ET_TUPLE || k->nkids != 2) {
		conf_err(L, k->line, "local_users takes [{\"node pattern\", "
		    "\"user\"}, ...]");
		return -1;
	}
	if ((pat = conf_get_pattern(L, et_elem(k, 0), "local_users pattern")) ==
	    NULL || (name = conf_get_text(L, et_elem(k, 1), "local_users user",
	    DG_LOCAL_USER_MAX)) == NULL)
		return -1;
	return local_user_set(L, k->line, "local_users", pat, name, u);
}

/* {local_users, [{Pattern, User}]}: node names bound to local users. */
void
conf_entry_local_users(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v, *k;
	struct dg_local_user *u;
	struct dg_conf *c = L->c;

	if (t->nkids != 2 || (v = et_elem(t, 1))->kind != ET_LIST ||
	    v->nkids < 1 || v->nkids > DG_LOCAL_USERS_MAX) {
		conf_err(L, t->line, "local_users takes a list of 1..%d "
		    "{\"node pattern\", \"user\"}", DG_LOCAL_USERS_MAX);
		return;
	}
	for (k = v->kids; k != NULL; k = k->next)
		if ((u = local_user_slot(L, t->line)) != NULL &&
		    local_user(L, k, u) == 0)
			c->nlocal_users++;
}

/*
 * {uid, User} inside {node, Pattern, [...]}: the scope's nodes are
 * registered only by User's processes, as {local_users, [{Pattern,
 * User}]} would say, and before it (a node scope is the narrower word).
 */
void
conf_entry_uid(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct dg_local_user *u;
	const char *name;
	int i;

	if (s->node_pattern == NULL) {
		conf_err(L, t->line, "uid belongs inside {node, Pattern, [...]}; "
		    "at the top level use {local_users, [{Pattern, User}]}");
		return;
	}
	if (t->nkids != 2) {
		conf_err(L, t->line, "uid takes {uid, \"user\"}");
		return;
	}
	for (i = 0; i < L->c->nlocal_users; i++)
		if (L->c->local_users[i].line_node != 0 &&
		    strcmp(L->c->local_users[i].pattern, s->node_pattern) == 0) {
			conf_err(L, t->line, "uid given twice in node \"%s\"",
			    s->node_pattern);
			return;
		}
	if ((name = conf_get_text(L, et_elem(t, 1), "uid user",
	    DG_LOCAL_USER_MAX)) == NULL ||
	    (u = local_user_slot(L, t->line)) == NULL)
		return;
	if (local_user_set(L, t->line, "uid", s->node_pattern, name, u) == 0) {
		u->line_node = s->line;
		L->c->nlocal_users++;
	}
}

void
conf_entry_reg_from(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v, *k;
	struct dg_conf *c = L->c;

	if (t->nkids != 2 || (v = et_elem(t, 1))->kind != ET_LIST ||
	    v->nkids < 1 || v->nkids > CONF_MAX_CIDRS) {
		conf_err(L, t->line, "registration_from takes a list of 1..%d "
		    "addresses or address/prefix", CONF_MAX_CIDRS);
		return;
	}
	if ((c->reg_from = conf_calloc(L, (size_t)v->nkids, sizeof(*c->reg_from),
	    t->line)) == NULL)
		return;
	for (k = v->kids; k != NULL; k = k->next)
		if (conf_get_cidr(L, k, "registration_from",
		    &c->reg_from[c->nreg_from]) == 0)
			c->nreg_from++;
}
