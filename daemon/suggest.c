/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suggest.c - `distguard suggest [-c FILE] [--node N] [--since T]`: the
 * smallest policy that would have allowed what the running daemon saw
 * (its table of distinct (node, peer, type, target), core/seen.c), in the
 * configuration's own syntax (docs/FILTER.md 22).
 *
 * Per local node a {node} scope, per peer (or peer pattern) a {peer}
 * entry: a built-in profile where every message of a kind is one the
 * profile admits, else the exact names and MFAs, else the type (to
 * disclosed pids where every one was).  Each line says how many messages
 * it stands for; risky allowances say why.  What was refused in enforce
 * mode, or by a protection in audit mode, is not suggested: it is listed
 * in comments.
 *
 * The input is the daemon's, so it is parsed as untrusted: bounded
 * lines and fields, names with unprintable bytes left out.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dg.h"
#include "daemon/cmd.h"
#include "conf/conf.h"
#include "daemon/ctl.h"
#include "core/seen.h"
#include "filter/rules.h"

#define SG_FIELD_MAX	1100
#define SG_LINE_MAX	1200

struct sg_row {
	char		*local, *peer, *target;	/* target "" for none */
	int		 type;			/* enum dg_type */
	uint64_t	 n[3];			/* by enum seen_kind */
	unsigned	 profiles;
	int		 disclosed, fun;
	double		 last;
};

struct sg_group {
	char		*local, *pattern;
	int		*rows;		/* indexes into the rows */
	int		 nrows;
	int		 merged;	/* folded into another group */
};

struct sg_line {
	char		 text[SG_LINE_MAX];
	uint64_t	 n;
	const char	*risk;
};

struct sg {
	struct sg_row	*rows;
	int		 nrows;
	struct sg_group	*groups;
	int		 ngroups;
	uint64_t	 dropped;
	int		 kept;
	FILE		*out;
};

static void
sg_usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "distguard suggest: %s%s%s (see distguard suggest "
	    "--help)\n", msg, arg ? " " : "", arg ? arg : "");
}

/* %XX back to bytes, in place; "-" is empty.  Returns -1 on a bad escape. */
static int
unescape(char *s)
{
	char *o = s, *p = s;
	unsigned v;

	if (strcmp(s, "-") == 0) {
		*s = '\0';
		return 0;
	}
	while (*p != '\0') {
		if (*p != '%') {
			*o++ = *p++;
			continue;
		}
		if (sscanf(p + 1, "%2x", &v) != 1 || p[1] == '\0' ||
		    p[2] == '\0')
			return -1;
		*o++ = (char)v;
		p += 3;
	}
	*o = '\0';
	return 0;
}

/* Splits line at tabs into at most max fields.  Returns the count. */
static int
split(char *line, char **f, int max)
{
	int n = 0;

	while (n < max) {
		f[n++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static int
parse_row(struct sg *g, char *line, const char *node, double since)
{
	char *f[12];
	struct sg_row r;
	enum dg_type t;
	int i;

	if (split(line, f, 12) != 12)
		return -1;
	for (i = 0; i < 4; i++)
		if (strlen(f[i]) > SG_FIELD_MAX || unescape(f[i]) == -1)
			return -1;
	if (dg_type_from_name(f[2], &t) == -1)
		return -1;
	memset(&r, 0, sizeof(r));
	r.type = (int)t;
	r.n[SEEN_ALLOWED] = strtoull(f[4], NULL, 10);
	r.n[SEEN_WOULD_DENY] = strtoull(f[5], NULL, 10);
	r.n[SEEN_DENIED] = strtoull(f[6], NULL, 10);
	r.profiles = (unsigned)strtoul(f[7], NULL, 10);
	r.disclosed = atoi(f[8]);
	r.fun = atoi(f[9]);
	r.last = strtod(f[11], NULL);
	if (node != NULL && !dg_glob_match(node, f[0]))
		return 0;
	if (since > 0 && r.last < since)
		return 0;
	if ((r.local = strdup(f[0])) == NULL ||
	    (r.peer = strdup(f[1])) == NULL ||
	    (r.target = strdup(f[3])) == NULL) {
		free(r.local);
		free(r.peer);
		return -1;
	}
	g->rows[g->nrows++] = r;
	return 0;
}

/* The daemon's answer, line by line. */
static int
parse_seen(struct sg *g, char *text, const char *node, double since)
{
	char *line, *next;
	int n = 0;

	for (line = text; (next = strchr(line, '\n')) != NULL; line = next + 1)
		n++;
	if ((g->rows = calloc((size_t)n + 1, sizeof(*g->rows))) == NULL)
		return -1;
	if (strncmp(text, "# seen ", 7) != 0 ||
	    sscanf(text, "# seen %d of %*d, dropped %llu", &g->kept,
	    (unsigned long long *)&g->dropped) != 2)
		return -1;
	for (line = strchr(text, '\n'); line != NULL; line = next) {
		line++;
		if ((next = strchr(line, '\n')) == NULL)
			break;
		*next = '\0';
		if (*line != '\0' && parse_row(g, line, node, since) == -1)
			return -1;
	}
	return 0;
}

/*
 * The peer pattern a node name collapses into: the release helpers of
 * Elixir (rpc-XXXX-app@host for `bin/app rpc`, rem-XXXX-app@host for
 * `remote`, XXXX random hex) as rpc-*-app@*; other names as they are.
 */
static void
peer_pattern(const char *peer, char *out, size_t len)
{
	const char *p = peer + 4, *at = strchr(peer, '@');
	size_t nhex = 0;

	if ((strncmp(peer, "rpc-", 4) == 0 || strncmp(peer, "rem-", 4) == 0) &&
	    at != NULL) {
		while (p < at && ((*p >= '0' && *p <= '9') ||
		    (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
			p++, nhex++;
		if (nhex > 0 && nhex <= 16 && *p == '-' && p + 1 < at) {
			snprintf(out, len, "%.4s*-%.*s@*", peer,
			    (int)(at - p - 1), p + 1);
			return;
		}
	}
	snprintf(out, len, "%s", peer);
}

static struct sg_group *
group_of(struct sg *g, const char *local, const char *pattern)
{
	struct sg_group *x;
	int i;

	for (i = 0; i < g->ngroups; i++)
		if (strcmp(g->groups[i].local, local) == 0 &&
		    strcmp(g->groups[i].pattern, pattern) == 0)
			return &g->groups[i];
	x = &g->groups[g->ngroups];
	memset(x, 0, sizeof(*x));
	if ((x->local = strdup(local)) == NULL ||
	    (x->pattern = strdup(pattern)) == NULL ||
	    (x->rows = calloc((size_t)g->nrows + 1, sizeof(int))) == NULL)
		return NULL;
	g->ngroups++;
	return x;
}

/* An atom as the configuration reads it: bare when it can be, else
 * quoted.  Returns -1 for a name with bytes a file should not hold. */
static int
atom_text(const char *s, char *out, size_t len)
{
	static const char *const reserved[] = {
		"after", "and", "andalso", "band", "begin", "bnot", "bor",
		"bsl", "bsr", "bxor", "case", "catch", "cond", "div", "end",
		"fun", "if", "let", "maybe", "not", "of", "or", "orelse",
		"receive", "rem", "try", "when", "xor",
	};
	size_t i, o = 0;
	int bare = *s >= 'a' && *s <= 'z';

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return -1;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '@'))
			bare = 0;
	}
	for (i = 0; bare && i < DG_ARRAY_LEN(reserved); i++)
		if (strcmp(s, reserved[i]) == 0)
			bare = 0;
	if (bare) {
		snprintf(out, len, "%s", s);
		return 0;
	}
	if (len < 3)
		return -1;
	out[o++] = '\'';
	for (i = 0; s[i] != '\0' && o + 4 < len; i++) {
		if (s[i] == '\'' || s[i] == '\\')
			out[o++] = '\\';
		out[o++] = s[i];
	}
	out[o++] = '\'';
	out[o] = '\0';
	return 0;
}

/* "M:F/A" into the three parts: m and f as atoms ready to print, mb and
 * fb as they are (each buffer len bytes). */
static int
mfa_split(const char *t, char *m, char *f, size_t len, int *arity,
    char *mb, char *fb)
{
	const char *colon = strchr(t, ':'), *slash = strrchr(t, '/');

	if (colon == NULL || slash == NULL || slash < colon ||
	    (size_t)(colon - t) >= len ||
	    (size_t)(slash - colon - 1) >= len)
		return -1;
	memcpy(mb, t, (size_t)(colon - t));
	mb[colon - t] = '\0';
	memcpy(fb, colon + 1, (size_t)(slash - colon - 1));
	fb[slash - colon - 1] = '\0';
	*arity = atoi(slash + 1);
	if (atom_text(mb, m, len) == -1 || atom_text(fb, f, len) == -1)
		return -1;
	return 0;
}

/* Adds a rule line, or its count to the same line already there. */
static void
line_add(struct sg_line *lines, int *n, int max, const char *text,
    uint64_t count, const char *risk)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp(lines[i].text, text) == 0) {
			lines[i].n += count;
			if (lines[i].risk == NULL)
				lines[i].risk = risk;
			return;
		}
	if (*n >= max)
		return;
	snprintf(lines[*n].text, sizeof(lines[*n].text), "%s", text);
	lines[*n].n = count;
	lines[*n].risk = risk;
	(*n)++;
}

/* The rule a row needs, when no profile admits its messages. */
static void
row_rules(const struct sg_row *r, uint64_t cnt, struct sg_line *lines,
    int *n, int max)
{
	char text[SG_LINE_MAX], a[700], m[300], f[300], mb[300], fb[300];
	const char *tn = dg_type_name((enum dg_type)r->type), *risk = NULL;
	int arity;

	if (r->target[0] != '\0' && r->type == DG_T_SPAWN_REQUEST) {
		if (mfa_split(r->target, m, f, sizeof(m), &arity, mb, fb) == -1)
			return;
		snprintf(text, sizeof(text), "{allow, spawn_request, [{%s, %s, "
		    "%d}]}", m, f, arity);
		line_add(lines, n, max, text, cnt, rules_risky_mfa(mb, fb,
		    arity));
		if (r->fun) {
			snprintf(text, sizeof(text), "{allow, funs, [{%s, %s, "
			    "%d}]}", m, f, arity);
			line_add(lines, n, max, text, cnt, "lets code (funs) "
			    "through");
		}
		return;
	}
	if (r->target[0] != '\0') {
		/* A registered name: sends and monitors of it by name. */
		if (atom_text(r->target, a, sizeof(a)) == -1)
			return;
		snprintf(text, sizeof(text), "{allow, reg_send, [%s]}", a);
		line_add(lines, n, max, text, cnt, rules_risky_name(r->target));
		if (r->fun) {
			snprintf(text, sizeof(text), "{allow, funs, [%s]}", a);
			line_add(lines, n, max, text, cnt, "lets code (funs) "
			    "through");
		}
		return;
	}
	if (r->disclosed && dg_type_takes_disclosed((enum dg_type)r->type))
		snprintf(text, sizeof(text), "{allow, %s, disclosed}", tn);
	else {
		snprintf(text, sizeof(text), "{allow, %s}", tn);
		if (r->type == DG_T_SPAWN_REQUEST)
			risk = "runs any code";
	}
	line_add(lines, n, max, text, cnt, risk);
	if (r->fun)
		line_add(lines, n, max, "{allow, funs}", cnt, "lets code (funs) "
		    "through everywhere");
}

/* The rule lines of one group (profiles first).  Returns their count. */
static int
group_lines(const struct sg *g, const struct sg_group *x,
    struct sg_line *lines, int max)
{
	static const char *const pname[DG_PROFILE_COUNT] = {
		[DG_PROFILE_PING] = "ping",
		[DG_PROFILE_GLOBAL] = "global",
		[DG_PROFILE_REPLIES] = "replies",
	};
	/* The narrowest profile first. */
	static const int order[] = { DG_PROFILE_PING, DG_PROFILE_REPLIES,
	    DG_PROFILE_GLOBAL };
	uint64_t prof[DG_PROFILE_COUNT] = { 0 };
	int n = 0, i, j, p;

	for (i = 0; i < x->nrows; i++) {
		const struct sg_row *r = &g->rows[x->rows[i]];
		uint64_t cnt = r->n[SEEN_ALLOWED] + r->n[SEEN_WOULD_DENY];

		if (cnt == 0)
			continue;
		for (j = 0; j < 3 && !r->fun; j++)
			if (r->profiles & (1u << order[j]))
				break;
		if (j < 3 && !r->fun) {
			prof[order[j]] += cnt;
			continue;
		}
		row_rules(r, cnt, lines + DG_PROFILE_COUNT, &n,
		    max - DG_PROFILE_COUNT);
	}
	/* Profiles at the head, in the order of the list above. */
	p = 0;
	for (j = 0; j < 3; j++) {
		if (prof[order[j]] == 0)
			continue;
		snprintf(lines[p].text, sizeof(lines[p].text), "%s",
		    pname[order[j]]);
		lines[p].n = prof[order[j]];
		lines[p].risk = NULL;
		p++;
	}
	/* Close the gap between the profiles and the rules. */
	if (p < DG_PROFILE_COUNT)
		memmove(lines + p, lines + DG_PROFILE_COUNT,
		    (size_t)n * sizeof(*lines));
	return p + n;
}

/* Lines' texts joined: two groups with the same are the same policy. */
static void
lines_key(const struct sg_line *l, int n, char *out, size_t len)
{
	size_t o = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s;", l[i].text);
}

static const char *
host_of(const char *node)
{
	const char *at = strchr(node, '@');

	return at != NULL ? at + 1 : NULL;
}

/*
 * The nodes of one host that a node of ours saw with the very same
 * rules fold into *@host.  Only plain names (no pattern yet), and only
 * two or more of them.
 */
static void
fold_hosts(struct sg *g, struct sg_line *la, struct sg_line *lb, int max)
{
	static char ka[65536], kb[65536];
	int i, j, k, na, nb, same;
	char pat[1100];

	for (i = 0; i < g->ngroups; i++) {
		struct sg_group *a = &g->groups[i];
		const char *h = host_of(a->pattern);

		if (a->merged || h == NULL || strchr(a->pattern, '*') != NULL)
			continue;
		na = group_lines(g, a, la, max);
		lines_key(la, na, ka, sizeof(ka));
		same = 0;
		for (j = i + 1; j < g->ngroups; j++) {
			struct sg_group *b = &g->groups[j];
			const char *hb = host_of(b->pattern);

			if (b->merged || hb == NULL || strcmp(h, hb) != 0 ||
			    strcmp(a->local, b->local) != 0 ||
			    strchr(b->pattern, '*') != NULL)
				continue;
			nb = group_lines(g, b, lb, max);
			lines_key(lb, nb, kb, sizeof(kb));
			if (strcmp(ka, kb) != 0)
				continue;
			for (k = 0; k < b->nrows; k++)
				a->rows[a->nrows++] = b->rows[k];
			b->merged = 1;
			same++;
		}
		if (same == 0)
			continue;
		snprintf(pat, sizeof(pat), "*@%s", h);
		free(a->pattern);
		a->pattern = strdup(pat);
		if (a->pattern == NULL)
			a->merged = 1;
	}
}

/* "text," padded, then the comment. */
static void
print_rule(FILE *out, const struct sg_line *l, int last)
{
	char buf[SG_LINE_MAX + 2];

	snprintf(buf, sizeof(buf), "%s%s", l->text, last ? "" : ",");
	fprintf(out, "        %-48s %% %llu message%s%s%s\n", buf,
	    (unsigned long long)l->n, l->n == 1 ? "" : "s",
	    l->risk ? "; RISKY: " : "", l->risk ? l->risk : "");
}

static void
print_denied(const struct sg *g, const struct sg_group *x)
{
	int i;

	for (i = 0; i < x->nrows; i++) {
		const struct sg_row *r = &g->rows[x->rows[i]];

		if (r->n[SEEN_DENIED] == 0)
			continue;
		fprintf(g->out, "        %% not suggested: %llu refused %s%s%s (from "
		    "%s)\n", (unsigned long long)r->n[SEEN_DENIED],
		    dg_type_name((enum dg_type)r->type),
		    r->target[0] ? " to " : "", r->target, r->peer);
	}
}

static int
local_done(const struct sg *g, int upto, const char *local)
{
	int i;

	for (i = 0; i < upto; i++)
		if (strcmp(g->groups[i].local, local) == 0)
			return 1;
	return 0;
}

static void
print_policy(struct sg *g, struct sg_line *lines, int max)
{
	char esc[1200];
	int i, j, k, n, first_peer;

	fprintf(g->out, "%% distguard suggest: the smallest policy that allows what "
	    "the daemon saw\n%% (%d distinct messages kept of %d; %llu not "
	    "kept past the bound).\n%% Counts are messages; RISKY marks what "
	    "to review before enforcing.\n", g->kept, SEEN_MAX,
	    (unsigned long long)g->dropped);
	for (i = 0; i < g->ngroups; i++) {
		const char *local = g->groups[i].local;

		if (local_done(g, i, local))
			continue;
		if (strpbrk(local, "\"\\") != NULL || atom_text(local, esc,
		    sizeof(esc)) == -1)
			continue;
		fprintf(g->out, "{node, \"%s\", [\n", local);
		first_peer = 1;
		for (j = i; j < g->ngroups; j++) {
			struct sg_group *x = &g->groups[j];

			if (x->merged || strcmp(x->local, local) != 0)
				continue;
			if (strpbrk(x->pattern, "\"\\") != NULL ||
			    atom_text(x->pattern, esc, sizeof(esc)) == -1)
				continue;
			n = group_lines(g, x, lines, max);
			if (n == 0) {
				fprintf(g->out, "    %% peer \"%s\": nothing allowed "
				    "seen\n", x->pattern);
				print_denied(g, x);
				continue;
			}
			fprintf(g->out, "%s    {peer, \"%s\", [\n", first_peer ? "" :
			    ",\n", x->pattern);
			first_peer = 0;
			for (k = 0; k < n; k++)
				print_rule(g->out, &lines[k], k == n - 1);
			print_denied(g, x);
			fprintf(g->out, "    ]}");
		}
		fprintf(g->out, "%s]}.\n", first_peer ? "" : "\n");
	}
}

int
suggest_from(char *text, const char *node, double since, FILE *out)
{
	struct sg g;
	struct sg_line *lines, *lb;
	char pat[1100];
	int i, max, rc = 0;

	memset(&g, 0, sizeof(g));
	g.out = out;
	if (parse_seen(&g, text, node, since) == -1) {
		fprintf(stderr, "distguard suggest: the daemon's answer is not "
		    "a table of what was seen\n");
		rc = 1;
		goto out;
	}
	if ((g.groups = calloc((size_t)g.nrows + 1, sizeof(*g.groups))) ==
	    NULL) {
		rc = 1;
		goto out;
	}
	for (i = 0; i < g.nrows; i++) {
		struct sg_group *x;

		peer_pattern(g.rows[i].peer, pat, sizeof(pat));
		if ((x = group_of(&g, g.rows[i].local, pat)) == NULL) {
			rc = 1;
			goto out;
		}
		x->rows[x->nrows++] = i;
	}
	max = g.nrows * 2 + DG_PROFILE_COUNT + 4;
	lines = calloc((size_t)max, sizeof(*lines));
	lb = calloc((size_t)max, sizeof(*lb));
	if (lines == NULL || lb == NULL) {
		free(lines);
		free(lb);
		rc = 1;
		goto out;
	}
	fold_hosts(&g, lines, lb, max);
	print_policy(&g, lines, max);
	free(lines);
	free(lb);
out:
	for (i = 0; i < g.nrows; i++) {
		free(g.rows[i].local);
		free(g.rows[i].peer);
		free(g.rows[i].target);
	}
	for (i = 0; i < g.ngroups; i++) {
		free(g.groups[i].local);
		free(g.groups[i].pattern);
		free(g.groups[i].rows);
	}
	free(g.rows);
	free(g.groups);
	return rc;
}


static void
sg_conf_err(void *arg, const char *file, int line, const char *msg)
{
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

int
cmd_suggest(int argc, char **argv)
{
	const char *path = NULL, *node = NULL;
	double since = 0;
	struct dg_conf *conf;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	long secs;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--node") == 0 && i + 1 < argc)
			node = argv[++i];
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if ((secs = dg_parse_duration(argv[++i])) < 0) {
				sg_usage_error("--since takes a duration such "
				    "as 90s, 15m, 2h or 1d, not", argv[i]);
				return 2;
			}
			since = (double)time(NULL) - (double)secs;
		} else {
			sg_usage_error("bad argument", argv[i]);
			return 2;
		}
	}
	if ((conf = conf_load(path, sg_conf_err, NULL)) == NULL)
		return 1;
	if ((mem = open_memstream(&text, &len)) == NULL) {
		conf_unref(conf);
		return 1;
	}
	rc = ctl_request(conf, "seen", "# seen ", mem);
	fclose(mem);
	conf_unref(conf);
	if (rc != 0) {
		if (text != NULL && len > 0)
			fprintf(stderr, "distguard suggest: %s", text);
		free(text);
		return 1;
	}
	rc = suggest_from(text, node, since, stdout);
	free(text);
	return rc;
}
