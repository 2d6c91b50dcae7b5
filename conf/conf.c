/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c - loads the configuration (conf/conf.h) from a file of Erlang terms
 * read by eterm.c: the file's entries and their table, the defaults, the
 * checks across entries (flags OTP requires, who to run as), and the life
 * of a loaded configuration.  The parts it is made of share conf_int.h:
 * conf_value.c checks values, conf_opts.c the sections of options,
 * conf_secret.c the cookies, conf_policy.c the policy grammar.
 *
 * The file is trusted to be written by the operator but not to be right:
 * every entry, option and value is checked against the ranges documented
 * in docs/CONFIG.md, each mistake is reported as "file:line: message", the
 * loader carries on so one run shows them all, and any error makes the
 * load fail as a whole.  Secrets (cookies) are only taken from places
 * others cannot read: a cookie file, or the config file itself when it
 * holds a cookie inline, must not be readable by group or others.
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
 * Top-level entries.  One sorted table, bsearch'd (test_every_entry uses
 * every keyword and option, so a table out of order fails it); a singleton given twice
 * is an error, and only peer, default, handler and uid may appear inside
 * {node, ...}.
 */
struct keyword {
	const char	*name;
	void		(*fn)(struct loader *, const struct et_node *,
			    struct dg_scope *);
	int		 singleton;
	int		 in_node;
};

static void	e_node(struct loader *, const struct et_node *,
		    struct dg_scope *);

static const struct keyword keywords[] = {
	{ "alerts",		conf_entry_alerts,	1, 0 },
	{ "bans",		conf_entry_bans,		1, 0 },
	{ "control",		conf_entry_control,	1, 0 },
	{ "control_group",	conf_entry_control_group, 1, 0 },
	{ "control_read_group",	conf_entry_control_read_group, 1, 0 },
	{ "control_users",	conf_entry_control_users, 1, 0 },
	{ "cookie",		conf_entry_cookie,	0, 0 },
	{ "default",		conf_entry_default,	0, 1 },
	{ "egress",		conf_entry_egress,	1, 0 },
	{ "epmd",		conf_entry_epmd,		1, 0 },
	{ "exposed",		conf_entry_exposed,	1, 0 },
	{ "grants",		conf_entry_grants,	1, 0 },
	{ "group",		conf_entry_group,	1, 0 },
	{ "handler",		conf_entry_handler,	0, 1 },
	{ "handshake",		conf_entry_handshake,	1, 0 },
	{ "host_key",		conf_entry_host_key,	1, 0 },
	{ "limits",		conf_entry_limits,	1, 0 },
	{ "link",		conf_entry_link,		0, 0 },
	{ "listen",		conf_entry_listen,	1, 0 },
	{ "local_guard",	conf_entry_local_guard,	1, 0 },
	{ "local_users",	conf_entry_local_users,	1, 0 },
	{ "metrics",		conf_entry_metrics,	1, 0 },
	{ "mode",		conf_entry_mode,		0, 1 },
	{ "node",		e_node,		0, 0 },
	{ "node_cookie",	conf_entry_node_cookie,	0, 0 },
	{ "peer",		conf_entry_peer,		0, 1 },
	{ "plaintext",		conf_entry_plaintext,	1, 0 },
	{ "registration_from",	conf_entry_reg_from,	1, 0 },
	{ "revoked",		conf_entry_revoked,	1, 0 },
	{ "trust",		conf_entry_trust,	0, 0 },
	{ "uid",		conf_entry_uid,		0, 1 },
	{ "user",		conf_entry_user,		1, 0 },
};

static int
kw_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keyword *)elem)->name);
}

/* The keyword table's index of a singleton, for L->seen. */
static size_t
kw_index(const char *name)
{
	const struct keyword *kw = bsearch(name, keywords,
	    DG_ARRAY_LEN(keywords), sizeof(*keywords), kw_cmp);

	return kw != NULL ? (size_t)(kw - keywords) : 0;
}

_Static_assert(DG_ARRAY_LEN(keywords) <= DG_ARRAY_LEN(((struct loader *)0)->seen),
    "struct loader's seen[] has a slot per keyword");

static int
count_tagged(const struct et_node *first, const char *tag)
{
	const struct et_node *k;
	int n = 0;

	for (k = first; k != NULL; k = k->next)
		if (k->kind == ET_TUPLE && k->nkids > 0 &&
		    et_is_atom(k->kids, tag))
			n++;
	return n;
}

/* {node, Pattern, [Entry]}: peers and a default for the local nodes whose
 * names match Pattern. */
static void
e_node(struct loader *L, const struct et_node *t, struct dg_scope *top)
{
	const struct et_node *v, *k;
	const struct keyword *kw;
	struct dg_scope *s;
	const char *pat;
	char buf[64];
	int i;

	if (t->nkids != 3) {
		conf_err(L, t->line, "node takes {node, Pattern, [Entry]}");
		return;
	}
	if ((pat = conf_get_pattern(L, et_elem(t, 1), "node pattern")) == NULL)
		return;
	for (i = 0; i < L->c->nnodes; i++) {
		if (L->c->nodes[i].node_pattern != NULL &&
		    strcmp(L->c->nodes[i].node_pattern, pat) == 0) {
			conf_err(L, t->line, "node \"%s\" given twice (first on "
			    "line %d)", pat, L->c->nodes[i].line);
			return;
		}
	}
	if ((v = et_elem(t, 2))->kind != ET_LIST) {
		conf_err(L, v->line, "node entries must be a list of {peer, ...} "
		    "and {default, ...}");
		return;
	}
	if (L->c->nnodes >= L->nnodes_cap)
		return;		/* cannot happen: counted beforehand */
	s = &L->c->nodes[L->c->nnodes++];
	s->line = t->line;
	if ((s->node_pattern = conf_strdup(L, pat, t->line)) == NULL)
		return;
	if ((i = count_tagged(v->kids, "peer")) > 0 &&
	    (s->peers = conf_calloc(L, (size_t)i, sizeof(*s->peers),
	    t->line)) == NULL)
		return;
	for (k = v->kids; k != NULL; k = k->next) {
		if (k->kind != ET_TUPLE || k->nkids == 0 ||
		    k->kids->kind != ET_ATOM ||
		    (kw = bsearch(k->kids->text, keywords,
		    DG_ARRAY_LEN(keywords), sizeof(*keywords),
		    kw_cmp)) == NULL || !kw->in_node) {
			conf_err(L, k->line, "inside node only {peer, ...}, "
			    "{default, ...}, {handler, ...} and {uid, ...} "
			    "are allowed, found %s",
			    et_show(k->kind == ET_TUPLE && k->nkids ? k->kids :
			    k, buf, sizeof(buf)));
			continue;
		}
		kw->fn(L, k, s);
	}
}

/* One top-level term. */
static void
entry(struct loader *L, const struct et_node *t)
{
	const struct keyword *kw;
	char buf[64];
	size_t i;

	if (t->kind != ET_TUPLE || t->nkids == 0 || t->kids->kind != ET_ATOM) {
		conf_err(L, t->line, "entries are tuples {Name, ...}, found %s",
		    et_show(t, buf, sizeof(buf)));
		return;
	}
	kw = bsearch(t->kids->text, keywords, DG_ARRAY_LEN(keywords),
	    sizeof(*keywords), kw_cmp);
	if (kw == NULL) {
		conf_err(L, t->line, "unknown entry %s",
		    et_show(t->kids, buf, sizeof(buf)));
		return;
	}
	i = (size_t)(kw - keywords);
	if (kw->singleton) {
		if (L->seen[i]) {
			conf_err(L, t->line, "%s given twice (first on line %d)",
			    kw->name, L->seen[i]);
			return;
		}
		L->seen[i] = t->line;
	}
	kw->fn(L, t, &L->c->top);
}

static void
set_defaults(struct dg_conf *c)
{
	c->epmd_port = 4369;
	c->remote_epmd_port = 4369;
	c->names_from = DG_NAMES_LOCAL;
	/* Fail closed: a node that dials out by itself, or that peers can
	 * reach past its listener, is refused unless the file says not to. */
	c->egress_mode = DG_EGRESS_REQUIRED;
	c->exposed_mode = DG_EXPOSED_REFUSE;
	c->local_guard = DG_LGUARD_REQUIRED;
	c->epmd_timeout = 5;
	c->epmd_max_conns = 1024;
	c->epmd_max_per_source = 64;
	c->listen_port_min = 4370;
	c->listen_port_max = 4469;
	c->hs_timeout = 7;
	c->hs_max_pending = 512;
	c->hs_max_per_source = 32;
	c->link_max_pending = 64;
	c->link_max_per_source = 8;
	c->link_rate = 10;
	c->max_established_per_source = 64;
	c->metrics_max_per_source = 2;
	c->metrics_timeout = 5;
	c->hs_withhold = DFLAG_DEFAULT_WITHHOLD;
	c->hs_require = DFLAG_MANDATORY_25;
	c->hs_check_host = 0;
	c->ban_failures = 5;
	c->ban_window = 60;
	c->ban_duration = 600;
	c->alerts_per_source = 30;
	c->max_frame = 64u << 20;
	c->max_frag_seqs = 64;
	c->max_frag_bytes = (uint64_t)256 << 20;
	c->max_frag_open = (uint64_t)256 << 20;
	c->max_frag_node = (uint64_t)512 << 20;
	c->frag_idle = 60;
	c->max_atoms = 10000;
	c->node_atoms = 100000;
	c->source_atoms = 50000;
	c->cookie_atoms = 100000;
	c->held_alert = 5000;
	c->held_max = 10000;
	c->tick_interval_ms = 200;
	c->tick_flood = 100;
	c->egress_per_node = 32;
	c->top.def = DG_DEF_DENY;
	c->metrics_max_peers = 100;
	c->metrics_max_conns = 8;
	c->grants_max = 64;
	c->grants_max_duration = 86400;
}

/* Defaults of the list-valued entries, when the file did not give them. */
static void
default_addrs(struct loader *L)
{
	static const char *epmd[] = { "0.0.0.0", "::" };
	static const char *reg[] = { "127.0.0.1", "::1" };
	struct dg_conf *c = L->c;
	struct et_node v;
	size_t i;

	memset(&v, 0, sizeof(v));
	v.kind = ET_STRING;
	if (c->nepmd_addrs == 0) {
		for (i = 0; i < DG_ARRAY_LEN(epmd); i++) {
			v.text = (char *)epmd[i];
			v.len = strlen(epmd[i]);
			if (conf_get_sockaddr(L, &v, "epmd", 0,
			    &c->epmd_addrs[c->nepmd_addrs]) == 0)
				c->nepmd_addrs++;
		}
	}
	/* The epmd sockets carry the port; listen_addr's stays 0 (unset),
	 * its ports come from the range. */
	for (i = 0; i < (size_t)c->nepmd_addrs; i++) {
		struct sockaddr_storage *ss = &c->epmd_addrs[i].ss;

		if (ss->ss_family == AF_INET)
			((struct sockaddr_in *)ss)->sin_port =
			    htons(c->epmd_port);
		else
			((struct sockaddr_in6 *)ss)->sin6_port =
			    htons(c->epmd_port);
	}
	if (c->listen_addr.len == 0) {
		v.text = "0.0.0.0";
		v.len = strlen(v.text);
		conf_get_sockaddr(L, &v, "listen", 0, &c->listen_addr);
	}
	if (c->nreg_from == 0 && c->reg_from == NULL) {
		if ((c->reg_from = conf_calloc(L, DG_ARRAY_LEN(reg),
		    sizeof(*c->reg_from), 0)) == NULL)
			return;
		for (i = 0; i < DG_ARRAY_LEN(reg); i++) {
			v.text = (char *)reg[i];
			v.len = strlen(reg[i]);
			if (conf_get_cidr(L, &v, "registration_from",
			    &c->reg_from[c->nreg_from]) == 0)
				c->nreg_from++;
		}
	}
}

/*
 * Withholding a flag that a supported OTP release requires would make every
 * handshake with nodes of that release fail (they answer not_allowed, or
 * abort), so it is an error naming the releases, one per flag.
 */
static void
withheld_mandatory(struct loader *L, int line)
{
	uint64_t bad = 0, bit;
	char versions[128];
	const char *name;
	int v;

	for (v = DG_OTP_FIRST; v <= DG_OTP_LAST; v++)
		bad |= L->c->hs_withhold & dflag_mandatory(v);
	for (; bad != 0; bad &= ~bit) {
		bit = bad & (~bad + 1);
		name = dflag_name(bit);
		dflag_versions_requiring(bit, versions, sizeof(versions));
		conf_err(L, L->withhold_set ? L->withhold_set : line,
		    "handshake: cannot withhold %s: %s nodes require it (every "
		    "handshake with them would fail)",
		    name ? name : "a mandatory flag", versions);
	}
}

/* Cross-entry checks of the handshake flags. */
static void
check_flags(struct loader *L)
{
	struct dg_conf *c = L->c;
	uint64_t bad;
	const char *name;
	int line = L->hs_line;

	withheld_mandatory(L, line);
	if ((bad = c->hs_require & ~DFLAG_SUPPORTED) != 0) {
		name = dflag_name(bad & (~bad + 1));
		conf_err(L, L->require_set ? L->require_set : line,
		    "handshake: cannot require %s: distguard does not carry it",
		    name ? name : "an unsupported flag");
	}
	if ((bad = c->hs_require & c->hs_withhold) != 0) {
		name = dflag_name(bad & (~bad + 1));
		conf_err(L, L->require_set ? L->require_set : line,
		    "handshake: %s is both withheld and required",
		    name ? name : "a flag");
	}
}

/* A group alone would leave the daemon root: it needs a user. */
static void
check_run_as(struct loader *L)
{
	int gline = L->seen[kw_index("group")];

	if (L->c->run_group != NULL && L->c->run_user == NULL &&
	    L->seen[kw_index("user")] == 0)
		conf_err(L, gline, "group \"%s\" is given without {user, Name}: "
		    "distguard changes its group only together with its user",
		    L->c->run_group);
}

static void
conf_free(struct dg_conf *c, int ncookie_cap, int nnode_cookie_cap)
{
	int i;

	free(c->path);
	free(c->reg_from);
	for (i = 0; i < c->nlocal_users; i++)
		free(c->local_users[i].pattern);
	free(c->local_users);
	conf_free_cookies(c->cookies, ncookie_cap);
	conf_free_cookies(c->node_cookies, nnode_cookie_cap);
	free(c->alerts_path);
	free(c->control_path);
	free(c->control_uids);
	free(c->grants_state_file);
	free(c->run_user);
	free(c->run_group);
	conf_free_scope(&c->top);
	for (i = 0; i < c->nnodes; i++)
		conf_free_scope(&c->nodes[i]);
	free(c->nodes);
	conf_link_free(c->link);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

/* Sizes the arrays from a first pass over the terms, so that no array is
 * grown while entries point into it. */
static int
alloc_arrays(struct loader *L, const struct et_doc *doc)
{
	struct dg_conf *c = L->c;
	int n;

	L->ncookie_cap = count_tagged(doc->terms, "cookie") + 1;
	L->nnode_cookie_cap = count_tagged(doc->terms, "node_cookie");
	L->nnodes_cap = count_tagged(doc->terms, "node");
	n = count_tagged(doc->terms, "peer");
	if ((c->cookies = conf_calloc(L, (size_t)L->ncookie_cap,
	    sizeof(*c->cookies), 0)) == NULL ||
	    (c->node_cookies = conf_calloc(L, (size_t)L->nnode_cookie_cap,
	    sizeof(*c->node_cookies), 0)) == NULL ||
	    (c->nodes = conf_calloc(L, (size_t)L->nnodes_cap,
	    sizeof(*c->nodes), 0)) == NULL ||
	    (c->top.peers = conf_calloc(L, (size_t)n, sizeof(*c->top.peers),
	    0)) == NULL)
		return -1;
	return 0;
}

static struct dg_conf *
load(const char *name, const char *text, size_t len, int mode,
    conf_err_fn err, void *arg)
{
	struct loader L;
	struct et_doc *doc;
	const struct et_node *t;
	struct dg_conf *c;

	memset(&L, 0, sizeof(L));
	L.file = name;
	L.err = err;
	L.arg = arg;
	L.mode = mode;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		conf_err(&L, 0, "out of memory");
		return NULL;
	}
	L.c = c;
	set_defaults(c);
	c->refcnt = 1;
	if ((doc = et_parse(text, len, conf_syntax_err, &L)) == NULL) {
		conf_free(c, 0, 0);
		return NULL;
	}
	L.nerr += doc->nerrors;
	L.lines = doc->lines;
	if ((c->path = conf_strdup(&L, name, 0)) != NULL &&
	    alloc_arrays(&L, doc) == 0) {
		for (t = doc->terms; t != NULL; t = t->next)
			entry(&L, t);
		default_addrs(&L);
		conf_default_cookie(&L);
		check_flags(&L);
		check_run_as(&L);
		conf_link_finish(&L);
	}
	et_free(doc);
	if (L.nerr > 0) {
		conf_free(c, L.ncookie_cap, L.nnode_cookie_cap);
		return NULL;
	}
	return c;
}

struct dg_conf *
conf_load_text(const char *name, const char *text, size_t len,
    conf_err_fn err, void *arg)
{
	return load(name != NULL ? name : CONF_EMBEDDED, text, len, -1, err,
	    arg);
}

struct dg_conf *
conf_load(const char *path, conf_err_fn err, void *arg)
{
	struct dg_conf *c = NULL;
	struct loader L;
	struct stat st;
	char *buf = NULL, hint[160];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (path == NULL)
		return conf_load_text(CONF_EMBEDDED, conf_default_text,
		    strlen(conf_default_text), err, arg);
	memset(&L, 0, sizeof(L));
	L.file = path;
	L.err = err;
	L.arg = arg;
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		conf_access_hint(errno, hint, sizeof(hint));
		conf_err(&L, 0, "%s%s", strerror(errno), hint);
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		conf_err(&L, 0, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(&L, 0, "not a regular file");
		goto out;
	}
	/* Read one byte past the limit: st_size may lie (procfs, a file
	 * growing under us), the read count does not. */
	if (st.st_size > ET_MAX_FILE) {
		conf_err(&L, 0, "file is larger than %d bytes", ET_MAX_FILE);
		goto out;
	}
	if ((buf = malloc(ET_MAX_FILE + 1)) == NULL) {
		conf_err(&L, 0, "out of memory");
		goto out;
	}
	while (len <= ET_MAX_FILE) {
		if ((n = read(fd, buf + len, ET_MAX_FILE + 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			conf_err(&L, 0, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* et_parse refuses len > ET_MAX_FILE itself. */
	c = load(path, buf, len, (int)(st.st_mode & 07777), err, arg);
out:
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
	close(fd);
	return c;
}

void
conf_ref(struct dg_conf *c)
{
	c->refcnt++;
}

/* The cookie arrays are freed over their used part: capacities are only
 * known while loading, and unused slots were never written. */

void
conf_unref(struct dg_conf *c)
{
	if (c == NULL || --c->refcnt > 0)
		return;
	if (c->base != NULL)
		conf_overlay_free(c);
	else
		conf_free(c, c->ncookies, c->nnode_cookies);
}

void
conf_errs_collect(void *arg, const char *file, int line, const char *msg)
{
	struct conf_errs *e = arg;
	int k;

	e->n++;
	if (e->buf == NULL || e->used >= e->len)
		return;
	k = snprintf(e->buf + e->used, e->len - e->used, "%s:%d: %s\n", file,
	    line, msg);
	if (k > 0)
		e->used += (size_t)k;
}
