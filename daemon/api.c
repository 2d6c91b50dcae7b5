/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.c - the runtime API of the protected nodes (daemon/api.h).
 *
 * State: per node that made changes, its entries (filters on a peer,
 * handlers, default filters), as the calls gave them.  Each change
 * rebuilds the configuration in force through the daemon's rebuild hook (grants and
 * API compose there, api_overlay) and swaps it in; live sessions follow
 * it on their next message (proxy/relay.c, follow_reload), new ones
 * resolve it at their handshake, so rules set before a peer connects
 * apply from its first message.
 *
 * What a node's scope becomes (docs/FILTER.md 25): a {node, FullName}
 * scope in front of the file's, which copies the file scope the node
 * would otherwise get (its default, handler, mode and peer entries) and
 * puts one {peer, Peer} entry per Peer the API named in front: the API's
 * rules for Peer (targets first, then whole types), then the rules of the
 * file's entry that covers Peer, with that entry's options.
 *
 * Trusted input: the request as epmd_proto.c checked it (printable UTF-8,
 * bounded), and the alive name of the registration that carried it.
 * Everything else the request says (the node's full name, peers, types,
 * targets, actions) is checked here before it reaches rule text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/alert.h"
#include "core/context.h"
#include "core/stats.h"
#include "daemon/api.h"
#include "daemon/grant_state.h"
#include "dg_etf.h"
#include "dg_log.h"
#include "filter/rules.h"

enum api_kind { AK_FILTER, AK_HANDLER, AK_DEFAULT };

struct api_entry {
	enum api_kind	 kind;
	char		*peer;		/* NULL for AK_DEFAULT */
	enum dg_type	 type;
	char		*target;	/* NULL: the whole type */
	enum dg_action	 action;
	char		*module;	/* AK_HANDLER */
};

struct api_node {
	char		*alive;
	char		*full;		/* alive@host, as the node says */
	struct api_entry e[API_MAX_ENTRIES];
	int		 ne;
	struct api_node	*next;
};

struct api {
	struct dg_daemon	*d;
	struct api_node		*nodes;
	int			 nnodes;
	unsigned long long	 changes, refused;
};

struct api *
api_new(struct dg_daemon *d)
{
	struct api *a = calloc(1, sizeof(*a));

	if (a == NULL)
		log_fatalx("out of memory");
	a->d = d;
	return a;
}

static void
entry_free(struct api_entry *e)
{
	free(e->peer);
	free(e->target);
	free(e->module);
	memset(e, 0, sizeof(*e));
}

static void
node_free(struct api_node *n)
{
	int i;

	for (i = 0; i < n->ne; i++)
		entry_free(&n->e[i]);
	free(n->alive);
	free(n->full);
	free(n);
}

void
api_free(struct api *a)
{
	struct api_node *n, *nx;

	if (a == NULL)
		return;
	for (n = a->nodes; n != NULL; n = nx) {
		nx = n->next;
		node_free(n);
	}
	free(a);
}

unsigned long long
api_changes(const struct api *a)
{
	return a != NULL ? a->changes : 0;
}

unsigned long long
api_refused(const struct api *a)
{
	return a != NULL ? a->refused : 0;
}

static struct api_node *
node_find(struct api *a, const char *alive)
{
	struct api_node *n;

	for (n = a->nodes; n != NULL; n = n->next)
		if (strcmp(n->alive, alive) == 0)
			return n;
	return NULL;
}

static void
node_unlink(struct api *a, struct api_node *n)
{
	struct api_node **pp;

	for (pp = &a->nodes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			a->nnodes--;
			return;
		}
}

/* ---- the overlay: one {node} scope per node with entries ------------ */

/* What one built scope owns, beside the base's it borrows. */
struct bscope {
	struct dg_peer		*peers;		/* [0..nown) made here */
	int			 nown;
	struct dg_ruleset	 parsed[API_MAX_ENTRIES + 2];
	int			 nparsed;
	struct dg_rule		*defrules;
	char			*pattern;
	char			*def_text;
};

struct build {
	struct dg_scope	*scopes;
	struct bscope	*b;
	int		 n;
};

static void
build_free(void *arg)
{
	struct build *bd = arg;
	int i, j, t;

	if (bd == NULL)
		return;
	for (i = 0; i < bd->n; i++) {
		struct bscope *b = &bd->b[i];

		for (j = 0; j < b->nown; j++) {
			free(b->peers[j].pattern);
			free(b->peers[j].handler);
			for (t = 0; t < DG_T_COUNT; t++)
				free(b->peers[j].msg_handler[t]);
			free(b->peers[j].rules.rules);	/* the array only */
		}
		free(b->peers);
		for (j = 0; j < b->nparsed; j++)
			conf_ruleset_free(&b->parsed[j]);
		free(b->defrules);
		free(b->pattern);
		free(b->def_text);
	}
	free(bd->b);
	free(bd->scopes);
	free(bd);
}

/* Appends text to buf[0..cap) at *used; -1 when it does not fit. */
static int
cat(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf + *used, cap - *used, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= cap - *used)
		return -1;
	*used += (size_t)k;
	return 0;
}

/* The rule of one filter entry, in the configuration's syntax.  Names
 * were checked (no quote, no backslash), so quoting them is enough. */
static int
rule_text(const struct api_entry *e, char *buf, size_t cap, size_t *used)
{
	const char *act = dg_action_name(e->action);
	const char *ty = dg_type_name(e->type);
	char m[EPMD_API_ARG_MAX + 1], *f, *ar;

	if (e->target == NULL)
		return cat(buf, cap, used, "{%s, %s}", act, ty);
	if (e->type == DG_T_REG_SEND)
		return cat(buf, cap, used, "{%s, reg_send, ['%s']}", act,
		    e->target);
	/* spawn_request, "M:F/A", checked by parse_mfa */
	snprintf(m, sizeof(m), "%s", e->target);
	f = strchr(m, ':');
	ar = strrchr(m, '/');
	if (f == NULL || ar == NULL)
		return -1;
	*f++ = '\0';
	*ar++ = '\0';
	/* '_' is the configuration's wildcard, written quoted. */
	return cat(buf, cap, used, "{%s, spawn_request, [{'%s', '%s', %s%s%s}]}",
	    act, m, f, strcmp(ar, "_") ? "" : "'", ar, strcmp(ar, "_") ? "" :
	    "'");
}

/* Parses "[R1, R2, ...]" of the entries that pass `want` into the next
 * parsed slot of b; its rules get line 0 (they come from no file).
 * Returns the slot, NULL when there was no rule, or sets *fail. */
static struct dg_ruleset *
parse_entries(struct bscope *b, const struct api_node *n, const char *peer,
    enum api_kind kind, int *fail)
{
	static char text[API_MAX_ENTRIES * 2200 + 8];
	struct dg_ruleset *rs;
	size_t used = 0;
	int pass, i, k = 0;

	text[0] = '\0';
	(void)cat(text, sizeof(text), &used, "[");
	/* Targets first, then whole types: the specific rule wins. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n->ne; i++) {
			const struct api_entry *e = &n->e[i];

			if (e->kind != kind || (e->target == NULL) != pass ||
			    (peer != NULL && strcmp(e->peer, peer) != 0))
				continue;
			if ((k++ > 0 && cat(text, sizeof(text), &used, ", ") ==
			    -1) || rule_text(e, text, sizeof(text), &used) == -1) {
				*fail = 1;
				return NULL;
			}
		}
	if (k == 0)
		return NULL;
	if (cat(text, sizeof(text), &used, "]") == -1 ||
	    b->nparsed >= (int)DG_ARRAY_LEN(b->parsed)) {
		*fail = 1;
		return NULL;
	}
	rs = &b->parsed[b->nparsed];
	if (conf_parse_rules("api", text, used, rs, NULL, NULL) == -1) {
		*fail = 1;
		return NULL;
	}
	b->nparsed++;
	for (i = 0; i < rs->nrules; i++)
		rs->rules[i].line = 0;
	return rs;
}

/* A new array: a's rules, then b's (shallow copies). */
static struct dg_rule *
join_rules(const struct dg_ruleset *a, const struct dg_ruleset *b, int *n)
{
	int na = a != NULL ? a->nrules : 0, nb = b != NULL ? b->nrules : 0;
	struct dg_rule *r = calloc((size_t)(na + nb > 0 ? na + nb : 1),
	    sizeof(*r));

	if (r == NULL)
		return NULL;
	if (na > 0)
		memcpy(r, a->rules, (size_t)na * sizeof(*r));
	if (nb > 0)
		memcpy(r + na, b->rules, (size_t)nb * sizeof(*r));
	*n = na + nb;
	return r;
}

/* The file's entry that covers the API's pattern p: the first, in the
 * node's file scope then at the top level, whose pattern matches p's
 * text (exact for a node name; "*" covers any pattern). */
static const struct dg_peer *
covering(const struct dg_conf *base, const struct dg_scope *fs, const char *p)
{
	const struct dg_scope *s[2] = { fs, &base->top };
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; s[i] != NULL && j < s[i]->npeers; j++)
			if (s[i]->peers[j].pattern != NULL &&
			    dg_glob_match(s[i]->peers[j].pattern, p))
				return &s[i]->peers[j];
	return NULL;
}

/* The message handlers of API peer `peer`: the file entry's (f), each
 * type the API set replaced (docs/FILTER.md 26).  p owns its copies. */
static int
build_msg_handlers(const struct api_node *n, const char *peer,
    const struct dg_peer *f, struct dg_peer *p)
{
	const char *h;
	int t, j;

	for (t = 0; t < DG_T_COUNT; t++) {
		h = f != NULL ? f->msg_handler[t] : NULL;
		for (j = 0; j < n->ne; j++)
			if (n->e[j].kind == AK_HANDLER &&
			    (int)n->e[j].type == t &&
			    strcmp(n->e[j].peer, peer) == 0)
				h = n->e[j].module;
		if (h != NULL && (p->msg_handler[t] = strdup(h)) == NULL)
			return -1;
	}
	return 0;
}

/* The peer entries: one per distinct API peer, then the file scope's. */
static int
build_peers(struct bscope *b, const struct dg_conf *base,
    const struct dg_scope *fs, const struct api_node *n, struct dg_scope *out)
{
	const char *seen[API_MAX_ENTRIES];
	int nseen = 0, i, j, fail = 0, nf = fs != NULL ? fs->npeers : 0;

	for (i = 0; i < n->ne; i++) {
		if (n->e[i].peer == NULL)
			continue;
		for (j = 0; j < nseen; j++)
			if (strcmp(seen[j], n->e[i].peer) == 0)
				break;
		if (j == nseen)
			seen[nseen++] = n->e[i].peer;
	}
	if ((b->peers = calloc((size_t)(nseen + nf + 1), sizeof(*b->peers))) ==
	    NULL)
		return -1;
	for (i = 0; i < nseen; i++) {
		struct dg_peer *p = &b->peers[i];
		const struct dg_peer *f = covering(base, fs, seen[i]);
		const struct dg_ruleset *rs;
		const char *h = f != NULL ? f->handler : NULL;

		b->nown = i + 1;
		rs = parse_entries(b, n, seen[i], AK_FILTER, &fail);
		if (fail)
			return -1;
		for (j = 0; j < n->ne; j++)
			if (n->e[j].kind == AK_HANDLER &&
			    n->e[j].type == DG_T_SPAWN_REQUEST &&
			    strcmp(n->e[j].peer, seen[i]) == 0)
				h = n->e[j].module;
		p->atoms = -1;
		if (f != NULL) {
			p->disconnect = f->disconnect;
			p->atoms = f->atoms;
			p->mode = f->mode;
			p->line = f->line;
		}
		if (build_msg_handlers(n, seen[i], f, p) == -1)
			return -1;
		if ((p->pattern = strdup(seen[i])) == NULL ||
		    (h != NULL && (p->handler = strdup(h)) == NULL) ||
		    (p->rules.rules = join_rules(rs, f != NULL ? &f->rules :
		    NULL, &p->rules.nrules)) == NULL)
			return -1;
	}
	if (nf > 0)
		memcpy(b->peers + nseen, fs->peers, (size_t)nf * sizeof(*b->peers));
	out->peers = b->peers;
	out->npeers = nseen + nf;
	return 0;
}

/*
 * The default: the file's (the scope's, else the top level's) unless the
 * API set default filters.  Those go in front of the file's default as
 * rules ({default, allow} becomes an allow_all behind them).  On a file
 * default of deny only an allowing default filter changes anything: it
 * admits every peer (the RFC's default filter is for every peer), and
 * whatever the API's rules do not allow stays denied.
 */
static int
build_default(struct bscope *b, const struct dg_conf *base,
    const struct dg_scope *fs, const struct api_node *n, struct dg_scope *out)
{
	const struct dg_scope *ds = fs != NULL && fs->has_default ? fs :
	    base->top.has_default ? &base->top : NULL;
	enum dg_default_kind def = ds != NULL ? ds->def : DG_DEF_DENY;
	const struct dg_ruleset *tail = NULL;
	struct dg_ruleset *rs, *t;
	int i, allows = 0, fail = 0;

	for (i = 0; i < n->ne; i++)
		if (n->e[i].kind == AK_DEFAULT && n->e[i].action == DG_ALLOW)
			allows = 1;
	rs = parse_entries(b, n, NULL, AK_DEFAULT, &fail);
	if (fail)
		return -1;
	if (rs == NULL || (def == DG_DEF_DENY && !allows))
		return 0;	/* the file's default stands */
	if (def == DG_DEF_RULES) {
		tail = &ds->def_rules;
	} else if (def == DG_DEF_ALLOW) {
		if (b->nparsed >= (int)DG_ARRAY_LEN(b->parsed))
			return -1;
		t = &b->parsed[b->nparsed];
		if (conf_parse_rules("api", "[allow_all]", 11, t, NULL,
		    NULL) == -1)
			return -1;
		b->nparsed++;
		t->rules[0].line = ds->def_line;
		tail = t;
	}
	if ((b->defrules = join_rules(rs, tail, &i)) == NULL ||
	    (b->def_text = strdup("default filters of the API, then the "
	    "file's default")) == NULL)
		return -1;
	out->has_default = 1;
	out->def = DG_DEF_RULES;
	out->def_rules.rules = b->defrules;
	out->def_rules.nrules = i;
	out->def_text = b->def_text;
	out->def_line = ds != NULL ? ds->def_line : 0;
	return 0;
}

/* The scope of node n: the file scope it would get, with the API's
 * entries in front (file head). */
static int
build_scope(struct bscope *b, const struct dg_conf *base,
    const struct api_node *n, struct dg_scope *out)
{
	const struct dg_scope *fs = NULL;
	int i;

	for (i = 0; i < base->nnodes; i++)
		if (base->nodes[i].node_pattern != NULL &&
		    dg_glob_match(base->nodes[i].node_pattern, n->full)) {
			fs = &base->nodes[i];
			break;
		}
	memset(out, 0, sizeof(*out));
	if (fs != NULL)
		*out = *fs;	/* default, handler, mode: the file's */
	if ((b->pattern = strdup(n->full)) == NULL)
		return -1;
	out->node_pattern = b->pattern;
	if (build_peers(b, base, fs, n, out) == -1)
		return -1;
	return build_default(b, base, fs, n, out);
}

struct dg_conf *
api_overlay(struct api *a, struct dg_conf *base, const struct dg_overlay *ov,
    int n, conf_err_fn err, void *arg)
{
	struct build *bd;
	struct api_node *nd;
	struct dg_conf *c;
	int k = 0;

	base = conf_root(base);
	for (nd = a != NULL ? a->nodes : NULL; nd != NULL; nd = nd->next)
		k += nd->ne > 0;
	if (k == 0 && n == 0) {
		conf_ref(base);
		return base;
	}
	if (k == 0)
		return conf_overlay(base, ov, n, err, arg);
	if ((bd = calloc(1, sizeof(*bd))) == NULL ||
	    (bd->scopes = calloc((size_t)k, sizeof(*bd->scopes))) == NULL ||
	    (bd->b = calloc((size_t)k, sizeof(*bd->b))) == NULL)
		goto fail;
	for (nd = a->nodes; nd != NULL; nd = nd->next) {
		if (nd->ne == 0)
			continue;
		bd->n++;
		if (build_scope(&bd->b[bd->n - 1], base, nd,
		    &bd->scopes[bd->n - 1]) == -1)
			goto fail;
	}
	c = conf_overlay_scopes(base, ov, n, bd->scopes, bd->n, build_free, bd,
	    err, arg);
	if (c != NULL)
		return c;
fail:
	build_free(bd);
	return NULL;
}

/* ---- requests ------------------------------------------------------- */

/* The external term format, into a bounded buffer. */
struct etf {
	uint8_t	*p, *end;
	int	 overflow;
};

static void
etf_bytes(struct etf *w, const void *b, size_t n)
{
	if (w->overflow || (size_t)(w->end - w->p) < n) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p, b, n);
	w->p += n;
}

static void
etf_u8(struct etf *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	etf_bytes(w, &b, 1);
}

static void
etf_u32(struct etf *w, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	etf_bytes(w, b, 4);
}

/* Atoms are ours (names of types, actions...), all under 256 bytes. */
static void
etf_atom(struct etf *w, const char *a)
{
	etf_u8(w, T_SMALL_ATOM_UTF8);
	etf_u8(w, (unsigned)strlen(a));
	etf_bytes(w, a, strlen(a));
}

static void
etf_bin(struct etf *w, const char *s)
{
	etf_u8(w, T_BINARY);
	etf_u32(w, (uint32_t)strlen(s));
	etf_bytes(w, s, strlen(s));
}

static void
etf_uint(struct etf *w, uint64_t v)
{
	int i;

	if (v <= 0x7fffffff) {
		etf_u8(w, T_INT);
		etf_u32(w, (uint32_t)v);
		return;
	}
	etf_u8(w, T_SMALL_BIG);
	etf_u8(w, 8);
	etf_u8(w, 0);
	for (i = 0; i < 8; i++)
		etf_u8(w, (unsigned)(v >> (8 * i)) & 0xff);
}

static void
etf_tuple(struct etf *w, unsigned arity)
{
	etf_u8(w, T_SMALL_TUPLE);
	etf_u8(w, arity);
}

/* A list's head; its count is written by etf_list_end. */
static uint8_t *
etf_list(struct etf *w)
{
	uint8_t *at = w->p;

	etf_u8(w, T_LIST);
	etf_u32(w, 0);
	return at;
}

static void
etf_list_end(struct etf *w, uint8_t *at, uint32_t n)
{
	if (w->overflow)
		return;
	if (n == 0) {
		/* An empty list is NIL alone. */
		w->p = at;
		etf_u8(w, T_NIL);
		return;
	}
	at[1] = (uint8_t)(n >> 24);
	at[2] = (uint8_t)(n >> 16);
	at[3] = (uint8_t)(n >> 8);
	at[4] = (uint8_t)n;
	etf_u8(w, T_NIL);
}

/* Room left for one more list element of at most `need` bytes, with the
 * closing NIL. */
static int
etf_room(const struct etf *w, size_t need)
{
	return !w->overflow && (size_t)(w->end - w->p) > need + 1;
}

/* What one request is, while it is handled. */
struct call {
	struct api		*a;
	const char		*alive;
	const struct sockaddr	*sa;
	const struct epmd_api	*req;
	struct etf		 w;		/* the body, after the head */
	char			 err[512];	/* a refusal's reason */
};

static const char *const op_names[EPMD_API_OP_MAX + 1] = {
	"?", "set_filter", "add_filter", "del_filter", "test_filter",
	"set_handler", "set_default_filter", "stats", "policy"
};

static int refuse(struct call *, const char *fmt, ...) DG_PRINTF(2, 3);

static int
refuse(struct call *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->err, sizeof(k->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* The full name the node gives: its alive part must be the
 * registration's, and it becomes an exact {node} pattern, so no glob. */
static int
check_node(struct call *k, const char *full)
{
	size_t al = strlen(k->alive);
	const char *host;

	if (strncmp(full, k->alive, al) != 0 || full[al] != '@')
		return refuse(k, "%s is not the name this connection "
		    "registered (%s@...)", full, k->alive);
	host = full + al + 1;
	if (host[0] == '\0' || strlen(host) > EPMD_EGRESS_MAX_PART ||
	    strchr(host, '@') != NULL)
		return refuse(k, "%s is not the name this connection "
		    "registered (%s@...)", full, k->alive);
	if (strpbrk(full, "*?\"\\ ") != NULL)
		return refuse(k, "the API serves no node whose name holds "
		    "'*', '?', a quote, a backslash or a blank");
	return 0;
}

static int
check_type(struct call *k, const char *s, enum dg_type *t)
{
	if (dg_type_from_name(s, t) == -1)
		return refuse(k, "unknown type %s (link exit monitor send "
		    "reg_send group_leader spawn_request alias_send altact)",
		    s);
	return 0;
}

/* allow | deny | reject (the RFC's word for deny) | drop */
static int
check_action(struct call *k, const char *s, enum dg_action *act)
{
	if (strcmp(s, "allow") == 0)
		*act = DG_ALLOW;
	else if (strcmp(s, "deny") == 0 || strcmp(s, "reject") == 0)
		*act = DG_DENY;
	else if (strcmp(s, "drop") == 0)
		*act = DG_DROP;
	else
		return refuse(k, "unknown action %s (allow, deny, reject, "
		    "drop)", s);
	return 0;
}

/* A name that goes into rule text between quotes. */
static int
name_ok(const char *s, int wild)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 * 4 || strpbrk(s, "'\\") != NULL)
		return 0;
	return wild || strcmp(s, "_") != 0;
}

/* "M:F/A": names or '_', arity 0..255 or '_'. */
static int
mfa_ok(const char *s)
{
	char m[EPMD_API_ARG_MAX + 1], *f, *ar, *end;
	long v;

	snprintf(m, sizeof(m), "%s", s);
	if ((f = strchr(m, ':')) == NULL || (ar = strrchr(m, '/')) == NULL ||
	    ar < f)
		return 0;
	*f++ = '\0';
	*ar++ = '\0';
	if (!name_ok(m, 1) || !name_ok(f, 1))
		return 0;
	if (strcmp(ar, "_") == 0)
		return 1;
	v = strtol(ar, &end, 10);
	return *ar != '\0' && *end == '\0' && v >= 0 && v <= 255;
}

static int
check_target(struct call *k, enum dg_type t, const char *s)
{
	if (t == DG_T_REG_SEND && name_ok(s, 0))
		return 0;
	if (t == DG_T_SPAWN_REQUEST && mfa_ok(s))
		return 0;
	if (t != DG_T_REG_SEND && t != DG_T_SPAWN_REQUEST)
		return refuse(k, "a target is a registered name (reg_send) or "
		    "{M, F, A} (spawn_request); %s takes none",
		    dg_type_name(t));
	return refuse(k, "bad target %s for %s", s, dg_type_name(t));
}

static int
check_peer(struct call *k, const char *p)
{
	if (!grant_pattern_ok(p))
		return refuse(k, "a peer is a node name or a pattern such as "
		    "\"web@*\" (printable, no blank, quote or backslash)");
	return 0;
}

/* The node's record, made on its first change. */
static struct api_node *
node_get(struct call *k, const char *full)
{
	struct api_node *n = node_find(k->a, k->alive);

	if (n != NULL) {
		if (strcmp(n->full, full) != 0) {
			char *f = strdup(full);

			if (f == NULL)
				return NULL;
			free(n->full);
			n->full = f;
		}
		return n;
	}
	if (k->a->nnodes >= API_MAX_NODES ||
	    (n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->alive = strdup(k->alive)) == NULL ||
	    (n->full = strdup(full)) == NULL) {
		node_free(n);
		return NULL;
	}
	n->next = k->a->nodes;
	k->a->nodes = n;
	k->a->nnodes++;
	return n;
}

/* The entry with this key, or -1. */
static int
entry_index(const struct api_node *n, const struct api_entry *key)
{
	int i;

	for (i = 0; i < n->ne; i++) {
		const struct api_entry *e = &n->e[i];

		if (e->kind == key->kind && e->type == key->type &&
		    (e->peer == NULL) == (key->peer == NULL) &&
		    (e->peer == NULL || strcmp(e->peer, key->peer) == 0) &&
		    (e->target == NULL) == (key->target == NULL) &&
		    (e->target == NULL || strcmp(e->target, key->target) == 0))
			return i;
	}
	return -1;
}

/* Checks a lone rule's text as the configuration would. */
static int
check_rule(struct call *k, const struct api_entry *e)
{
	char text[2400], errs[512];
	struct conf_errs ce = { errs, sizeof(errs), 0, 0 };
	struct dg_ruleset rs;
	size_t used = 0;

	errs[0] = '\0';
	if (cat(text, sizeof(text), &used, "[") == -1 ||
	    rule_text(e, text, sizeof(text), &used) == -1 ||
	    cat(text, sizeof(text), &used, "]") == -1)
		return refuse(k, "rule too long");
	if (conf_parse_rules("api", text, used, &rs, conf_errs_collect,
	    &ce) == -1) {
		errs[strcspn(errs, "\n")] = '\0';
		return refuse(k, "%s", errs[0] ? errs : "rule refused");
	}
	conf_ruleset_free(&rs);
	return 0;
}

/* Puts the configuration with the node's entries in force. */
static int
rebuild(struct call *k)
{
	char err[512];

	err[0] = '\0';
	if (k->a->d->rebuild(k->a->d, err, sizeof(err)) == -1)
		return refuse(k, "the policy could not be rebuilt: %s",
		    err[0] ? err : "out of memory");
	return 0;
}

/*
 * Sets (or with del, removes) the entry `key` of the node: one change,
 * put in force, alerted and counted.  On failure nothing changed.
 */
static int
change(struct call *k, const char *full, struct api_entry *key, int del,
    const char *what)
{
	struct api_node *n;
	struct api_entry old;
	char peer[EPMD_API_ARG_MAX + 1];
	int i, had;

	if (!del && key->kind != AK_HANDLER && check_rule(k, key) == -1)
		return -1;
	snprintf(peer, sizeof(peer), "%s", key->peer != NULL ? key->peer : "");
	if ((n = node_get(k, full)) == NULL)
		return refuse(k, "too many nodes use the API, or out of "
		    "memory");
	i = entry_index(n, key);
	if (del && i < 0)
		return refuse(k, "no such filter");
	if (!del && i < 0 && n->ne >= API_MAX_ENTRIES)
		return refuse(k, "%d entries for this node already",
		    API_MAX_ENTRIES);
	had = i >= 0;
	if (had)
		old = n->e[i];
	if (del) {
		n->e[i] = n->e[n->ne - 1];
		memset(&n->e[--n->ne], 0, sizeof(n->e[0]));
	} else {
		if (!had)
			i = n->ne++;
		n->e[i] = *key;
	}
	if (rebuild(k) == -1) {
		/* Back as it was; key's strings stay the caller's. */
		if (del) {
			n->e[n->ne++] = n->e[i];
			n->e[i] = old;
		} else if (had)
			n->e[i] = old;
		else
			memset(&n->e[--n->ne], 0, sizeof(n->e[0]));
		return -1;
	}
	if (had)
		entry_free(&old);
	if (!del)
		memset(key, 0, sizeof(*key));	/* the node owns them now */
	k->a->changes++;
	alert_emit(k->a->d->alerts, "policy.api", k->sa, peer[0] ? peer : NULL,
	    full,
	    "%s: %s; %d API entr%s for this node", op_names[k->req->op], what,
	    n->ne, n->ne == 1 ? "y" : "ies");
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

/* set_filter, add_filter, del_filter, set_handler, set_default_filter. */
static int
op_change(struct call *k)
{
	const struct epmd_api *r = k->req;
	const char *peer = NULL, *type, *target = NULL, *action = NULL;
	const char *module = NULL;
	struct api_entry e;
	char what[3 * EPMD_API_ARG_MAX + 64];
	int rc;

	memset(&e, 0, sizeof(e));
	e.kind = AK_FILTER;
	switch (r->op) {
	case EPMD_API_SET_FILTER:
		peer = r->arg[1], type = r->arg[2], action = r->arg[3];
		break;
	case EPMD_API_ADD_FILTER:
		peer = r->arg[1], type = r->arg[2], target = r->arg[3];
		action = r->arg[4];
		break;
	case EPMD_API_DEL_FILTER:
		peer = r->arg[1], type = r->arg[2], target = r->arg[3];
		break;
	case EPMD_API_SET_HANDLER:
		peer = r->arg[1], type = r->arg[2], module = r->arg[3];
		e.kind = AK_HANDLER;
		break;
	default:	/* EPMD_API_SET_DEFAULT */
		type = r->arg[1], target = r->arg[2], action = r->arg[3];
		e.kind = AK_DEFAULT;
		break;
	}
	if (target != NULL && target[0] == '\0')
		target = NULL;
	if ((peer != NULL && check_peer(k, peer) == -1) ||
	    check_type(k, type, &e.type) == -1 ||
	    (action != NULL && check_action(k, action, &e.action) == -1) ||
	    (target != NULL && check_target(k, e.type, target) == -1))
		return -1;
	if (r->op == EPMD_API_ADD_FILTER && target == NULL)
		return refuse(k, "add_filter needs a target");
	if (module != NULL && e.type != DG_T_SPAWN_REQUEST &&
	    !dg_type_takes_msg_handler(e.type))
		return refuse(k, "no handler of %s: spawn_request, reg_send, "
		    "send, alias_send and group_leader take one",
		    dg_type_name(e.type));
	if (module != NULL && !name_ok(module, 0))
		return refuse(k, "bad module name");
	snprintf(what, sizeof(what), "%s%s%s %s%s%s%s%s%s%s",
	    peer ? "peer " : "", peer ? peer : "", peer ? "," : "",
	    dg_type_name(e.type), target ? " " : "", target ? target : "",
	    action ? " " : "", action ? dg_action_name(e.action) : "",
	    module ? " " : "", module ? module : "");
	e.peer = dup_or_null(peer);
	e.target = dup_or_null(target);
	e.module = dup_or_null(module);
	if ((peer != NULL && e.peer == NULL) ||
	    (target != NULL && e.target == NULL) ||
	    (module != NULL && e.module == NULL)) {
		entry_free(&e);
		return refuse(k, "out of memory");
	}
	rc = change(k, r->arg[0], &e, r->op == EPMD_API_DEL_FILTER, what);
	entry_free(&e);		/* empty unless the change failed */
	if (rc == 0)
		etf_atom(&k->w, "ok");
	return rc;
}

/*
 * test_filter: the verdict the relay's rules would give a message of that
 * type and target from Peer, now: {Action, {Source, What}}, Source
 * {file, Line} | api | builtin.  The message is the one `distguard test`
 * builds (no payload): a payload's own checks (the code guard, OTP's
 * protocols, the atom budget) are not part of it.
 */
static int
op_test(struct call *k)
{
	const struct epmd_api *r = k->req;
	struct rules_policy pol;
	struct rules_verdict v;
	struct dist_msg m;
	char buf[2 * DG_MAX_ATOM_BYTES + 16];
	const char *why;
	enum dg_type t;

	if (strchr(r->arg[1], '@') == NULL || strpbrk(r->arg[1], "*?") != NULL)
		return refuse(k, "test_filter takes a node name (alive@host), "
		    "not a pattern");
	if (check_type(k, r->arg[2], &t) == -1)
		return -1;
	if (rules_dryrun_msg(&m, r->arg[2], r->arg[3][0] ? r->arg[3] : NULL,
	    buf, sizeof(buf), &why) == -1)
		return refuse(k, "%s", why);
	(void)rules_resolve(k->a->d->conf, r->arg[0], r->arg[1], &pol);
	pol.needs &= ~DC_NEED_FUNS;
	rules_decide(&pol, &m, &v);
	etf_tuple(&k->w, 2);
	etf_atom(&k->w, dg_action_name(v.action));
	etf_tuple(&k->w, 2);
	if (v.line > 0) {
		etf_tuple(&k->w, 2);
		etf_atom(&k->w, "file");
		etf_uint(&k->w, (uint64_t)v.line);
	} else
		etf_atom(&k->w, v.what[0] == '{' ? "api" : "builtin");
	etf_bin(&k->w, v.what);
	return 0;
}

/* stats: [{Peer, Type, Verdict, Count}] of every pair with this node,
 * both directions, counts above zero. */
static int
op_stats(struct call *k)
{
	struct stats_view sv;
	uint8_t *at;
	uint32_t n = 0;
	int i, t, v;

	stats_view(k->a->d->stats, &sv);
	at = etf_list(&k->w);
	for (i = 0; i < sv.nrows; i++) {
		const struct stats_row *row = sv.rows[i];

		if (strcmp(row->local, k->alive) != 0)
			continue;
		for (t = 0; t < DG_T_COUNT; t++)
			for (v = 0; v < 3; v++) {
				if (row->verdict[t][v] == 0)
					continue;
				if (!etf_room(&k->w, DG_MAX_NODE_BYTES + 64))
					goto out;	/* cut, still a list */
				etf_tuple(&k->w, 4);
				etf_bin(&k->w, row->peer);
				etf_atom(&k->w, dg_type_name((enum dg_type)t));
				etf_atom(&k->w, dg_action_name(
				    (enum dg_action)v));
				etf_uint(&k->w, row->verdict[t][v]);
				n++;
			}
	}
out:
	etf_list_end(&k->w, at, n);
	return 0;
}

/* policy: the node's API entries, then where the file's policy is. */
static int
op_policy(struct call *k)
{
	const struct api_node *nd = node_find(k->a, k->alive);
	const char *path = conf_root(k->a->d->conf)->path;
	uint8_t *at;
	uint32_t n = 0;
	int i;

	at = etf_list(&k->w);
	for (i = 0; nd != NULL && i < nd->ne; i++) {
		const struct api_entry *e = &nd->e[i];

		if (!etf_room(&k->w, 3 * EPMD_API_ARG_MAX + 64))
			break;
		switch (e->kind) {
		case AK_FILTER:
			etf_tuple(&k->w, 5);
			etf_atom(&k->w, "filter");
			etf_bin(&k->w, e->peer);
			break;
		case AK_HANDLER:
			etf_tuple(&k->w, 4);
			etf_atom(&k->w, "handler");
			etf_bin(&k->w, e->peer);
			etf_atom(&k->w, dg_type_name(e->type));
			etf_bin(&k->w, e->module);
			n++;
			continue;
		default:
			etf_tuple(&k->w, 4);
			etf_atom(&k->w, "default_filter");
			break;
		}
		etf_atom(&k->w, dg_type_name(e->type));
		if (e->target != NULL)
			etf_bin(&k->w, e->target);
		else
			etf_atom(&k->w, "_");
		etf_atom(&k->w, dg_action_name(e->action));
		n++;
	}
	if (etf_room(&k->w, 4200)) {
		etf_tuple(&k->w, 2);
		etf_atom(&k->w, "file");
		etf_bin(&k->w, path != NULL ? path : "<embedded>");
		n++;
	}
	etf_list_end(&k->w, at, n);
	return 0;
}

size_t
api_request(struct dg_daemon *d, const char *alive, const struct sockaddr *sa,
    const struct epmd_api *req, uint8_t *out)
{
	struct api *a = d->api;
	struct call k;
	uint8_t status = EPMD_API_OK;
	size_t blen;
	int rc;

	memset(&k, 0, sizeof(k));
	k.a = a;
	k.alive = alive;
	k.sa = sa;
	k.req = req;
	k.w.p = out + EPMD_API_RESP_HEAD;
	k.w.end = out + API_REPLY_MAX;
	etf_u8(&k.w, T_VERSION);
	if (conf_root(a->d->conf)->api_mode == DG_API_OFF) {
		status = EPMD_API_OFF;
		snprintf(k.err, sizeof(k.err), "the API is off ({api, off} "
		    "in %s)", conf_root(a->d->conf)->path);
		rc = -1;
	} else if ((rc = check_node(&k, req->arg[0])) == 0) {
		switch (req->op) {
		case EPMD_API_TEST_FILTER:
			rc = op_test(&k);
			break;
		case EPMD_API_STATS:
			rc = op_stats(&k);
			break;
		case EPMD_API_POLICY:
			rc = op_policy(&k);
			break;
		default:
			rc = op_change(&k);
			break;
		}
	}
	if (rc == 0 && k.w.overflow)
		rc = refuse(&k, "reply too long");
	if (rc == -1) {
		if (status == EPMD_API_OK)
			status = EPMD_API_ERROR;
		a->refused++;
		log_warnx("api: node %s: %s refused: %s", alive,
		    op_names[req->op], k.err);
		blen = strlen(k.err);
		memcpy(out + EPMD_API_RESP_HEAD, k.err, blen);
	} else {
		log_debug("api: node %s: %s", alive, op_names[req->op]);
		blen = (size_t)(k.w.p - (out + EPMD_API_RESP_HEAD));
	}
	(void)epmd_put_api_resp_head(out, EPMD_API_RESP_HEAD, req->id, status,
	    (uint32_t)blen);
	return EPMD_API_RESP_HEAD + blen;
}

void
api_node_gone(struct dg_daemon *d, const char *alive)
{
	struct api *a = d->api;
	struct api_node *n;
	int ne;

	if (a == NULL || (n = node_find(a, alive)) == NULL)
		return;
	ne = n->ne;
	node_unlink(a, n);
	if (ne > 0) {
		if (a->d->rebuild(a->d, NULL, 0) == -1)
			log_warnx("api: out of memory rebuilding the policy");
		alert_emit(a->d->alerts, "policy.api", NULL, NULL, n->full,
		    "registration ended: %d API entr%s dropped", ne,
		    ne == 1 ? "y" : "ies");
	}
	node_free(n);
}

void
api_reloaded(struct api *a)
{
	struct api_node *n, *nx;

	if (a == NULL)
		return;
	for (n = a->nodes; n != NULL; n = nx) {
		nx = n->next;
		if (n->ne > 0)
			alert_emit(a->d->alerts, "policy.api", NULL, NULL,
			    n->full, "configuration reloaded: %d API entr%s "
			    "dropped", n->ne, n->ne == 1 ? "y" : "ies");
		node_free(n);
	}
	a->nodes = NULL;
	a->nnodes = 0;
}
