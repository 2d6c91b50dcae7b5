/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grant.c - break-glass grants (daemon/grant.h).
 *
 * The daemon's configuration in force is either the file's own, or an
 * overlay of it (conf_overlay) with one {peer} entry per grant, newest
 * first.  Every change rebuilds the overlay from the file's configuration
 * (conf_root) and swaps it in; sessions pick it up on their next message
 * (proxy/relay.c, follow_reload) and the old one is freed when the last
 * of them has moved on.  Nothing in filter/ knows grants exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/context.h"
#include "core/alert.h"
#include "conf/conf.h"
#include "daemon/grant.h"
#include "core/json.h"
#include "dg_log.h"
#include "conf/eterm.h"

struct grant {
	ev_timer	 timer;		/* first: the callback casts */
	struct grants	*g;
	int		 id;
	char		*pattern;
	char		*rules;
	char		*reason;
	struct grant_who who;
	int		 restored;	/* who: as the state file says, unverified */
	time_t		 until;		/* wall clock, for listings and state */
	struct grant	*next;		/* newest first */
};

struct grants {
	struct dg_daemon	*d;
	struct grant		*list;
	int			 n;
	int			 next_id;
	int			 restore_done;	/* the state file was read */
	int			 state_alerts;	/* raised while reading it */
};

#define GRANT_STATE_ALERTS	32	/* alerts about one reading of the file */

static void	save_state(struct grants *);

struct grants *
grants_new(struct dg_daemon *d)
{
	struct grants *g = calloc(1, sizeof(*g));

	if (g == NULL)
		log_fatalx("out of memory");
	g->d = d;
	g->next_id = 1;
	return g;
}

static void
grant_free(struct grants *g, struct grant *gr)
{
	ev_timer_stop(g->d->loop, &gr->timer);
	free(gr->pattern);
	free(gr->rules);
	free(gr->reason);
	free(gr);
}

void
grants_free(struct grants *g)
{
	struct grant *gr, *nx;

	if (g == NULL)
		return;
	for (gr = g->list; gr != NULL; gr = nx) {
		nx = gr->next;
		grant_free(g, gr);
	}
	free(g);
}

int
grants_count(const struct grants *g)
{
	return g != NULL ? g->n : 0;
}


/*
 * Builds the configuration for the grants now in force and swaps it in.
 * Returns -1 (nothing changed) when it cannot be built; the rules were
 * checked when each grant was added, so only memory can fail here.
 */
static int
apply(struct grants *g, char *err, size_t errlen)
{
	struct dg_daemon *d = g->d;
	struct dg_conf *base = conf_root(d->conf), *nc, *old = d->conf;
	struct dg_overlay *ov = NULL;
	struct conf_errs e = { err, errlen, 0, 0 };
	struct grant *gr;
	int i = 0;

	if (g->n > 0) {
		if ((ov = calloc((size_t)g->n, sizeof(*ov))) == NULL)
			return -1;
		for (gr = g->list; gr != NULL; gr = gr->next, i++) {
			ov[i].pattern = gr->pattern;
			ov[i].rules = gr->rules;
			ov[i].id = gr->id;
		}
		nc = conf_overlay(base, ov, g->n, conf_errs_collect, &e);
		free(ov);
		if (nc == NULL)
			return -1;
	} else {
		nc = base;
		conf_ref(nc);
	}
	d->conf = nc;
	conf_unref(old);	/* live sessions keep theirs until next message */
	save_state(g);
	return 0;
}

/* The grant's end, as an ISO 8601 UTC string. */
static const char *
until_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void
raise_alert(struct grants *g, const char *event, const struct grant *gr,
    const char *what, const struct grant_who *by)
{
	char until[32], byw[64] = "", asked[96];

	if (by != NULL)
		snprintf(byw, sizeof(byw), " by uid %ld pid %ld", (long)by->uid,
		    (long)by->pid);
	/* Only the daemon writes the audit trail: who asked for a grant
	 * read back from the state file is that file's word, not the
	 * kernel's, and is labelled so. */
	if (gr->restored)
		snprintf(asked, sizeof(asked), "state file says uid %ld pid %ld "
		    "(unverified)", (long)gr->who.uid, (long)gr->who.pid);
	else
		snprintf(asked, sizeof(asked), "uid %ld pid %ld",
		    (long)gr->who.uid, (long)gr->who.pid);
	alert_emit(g->d->alerts, event, NULL, gr->pattern, NULL,
	    "grant %d %s%s; asked by %s; until %s; reason \"%s\"; "
	    "rules %s", gr->id, what, byw, asked,
	    until_text(gr->until, until, sizeof(until)), gr->reason, gr->rules);
}

/* Unlinks and frees grant `gr`, then puts the remaining ones in force. */
static void
grant_end(struct grants *g, struct grant *gr, const char *event,
    const char *what, const struct grant_who *by)
{
	struct grant **pp;

	for (pp = &g->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == gr) {
			*pp = gr->next;
			break;
		}
	g->n--;
	raise_alert(g, event, gr, what, by);	/* logs it too */
	grant_free(g, gr);
	if (apply(g, NULL, 0) == -1)
		log_warnx("grants: out of memory rebuilding the configuration");
}

static void
on_expire(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct grant *gr = (struct grant *)w;

	grant_end(gr->g, gr, "policy.expired", "expired", NULL);
}

/* Adds without the alert: shared by grants_add and grants_restore. */
static struct grant *
grant_insert(struct grants *g, int id, const char *pattern, const char *rules,
    const char *reason, double seconds, const struct grant_who *who,
    char *err, size_t errlen)
{
	struct grant *gr;

	if ((gr = calloc(1, sizeof(*gr))) == NULL ||
	    (gr->pattern = strdup(pattern)) == NULL ||
	    (gr->rules = strdup(rules)) == NULL ||
	    (gr->reason = strdup(reason)) == NULL) {
		if (gr != NULL) {
			free(gr->pattern);
			free(gr->rules);
			free(gr);
		}
		snprintf(err, errlen, "out of memory\n");
		return NULL;
	}
	gr->g = g;
	gr->id = id;
	gr->who = *who;
	gr->until = time(NULL) + (time_t)seconds;
	gr->next = g->list;
	g->list = gr;
	g->n++;
	if (apply(g, err, errlen) == -1) {
		g->list = gr->next;
		g->n--;
		grant_free(g, gr);
		if (err != NULL && err[0] == '\0')
			snprintf(err, errlen, "out of memory\n");
		return NULL;
	}
	ev_timer_init(&gr->timer, on_expire, seconds, 0.0);
	ev_timer_start(g->d->loop, &gr->timer);
	return gr;
}

int
grants_add(struct grants *g, const char *pattern, const char *rules,
    const char *reason, double seconds, const struct grant_who *who,
    char *err, size_t errlen)
{
	const struct dg_conf *root = conf_root(g->d->conf);
	struct conf_errs e = { err, errlen, 0, 0 };
	struct dg_ruleset rs;
	struct grant *gr;
	char what[64];

	err[0] = '\0';
	if (!grant_pattern_ok(pattern)) {
		snprintf(err, errlen, "PEER must be a node-name pattern such as "
		    "\"ops@*\" (printable, no blank, quote or backslash)\n");
		return -1;
	}
	if (!grant_text_ok(reason, GRANT_REASON_MAX) || reason[0] == '\0') {
		snprintf(err, errlen, "--reason must be 1..%d bytes of "
		    "printable text\n", GRANT_REASON_MAX);
		return -1;
	}
	if (!grant_text_ok(rules, GRANT_RULES_MAX)) {
		snprintf(err, errlen, "RULES must be at most %d bytes of "
		    "printable text\n", GRANT_RULES_MAX);
		return -1;
	}
	if (seconds < 1 || seconds > root->grants_max_duration) {
		snprintf(err, errlen, "--for must be 1s..%.0fs (grants: "
		    "max_duration)\n", root->grants_max_duration);
		return -1;
	}
	if (g->n >= root->grants_max) {
		snprintf(err, errlen, "%d grants in force already (grants: max)\n",
		    g->n);
		return -1;
	}
	/* The rules are checked here so the error names RULES; apply
	 * parses them again for each configuration it builds. */
	if (conf_parse_rules("RULES", rules, strlen(rules), &rs, conf_errs_collect,
	    &e) == -1)
		return -1;
	conf_ruleset_free(&rs);
	if ((gr = grant_insert(g, g->next_id, pattern, rules, reason, seconds,
	    who, err, errlen)) == NULL)
		return -1;
	g->next_id++;
	snprintf(what, sizeof(what), "granted for %.0fs", seconds);
	raise_alert(g, "policy.grant", gr, what, NULL);	/* logs it too */
	return gr->id;
}

int
grants_revoke(struct grants *g, int id, const struct grant_who *who)
{
	struct grant *gr;

	for (gr = g->list; gr != NULL; gr = gr->next)
		if (gr->id == id)
			break;
	if (gr == NULL)
		return -1;
	grant_end(g, gr, "policy.revoked", "revoked", who);
	return 0;
}

void
grants_reloaded(struct grants *g)
{
	if (g->n == 0)
		return;
	if (conf_root(g->d->conf)->grants_keep_on_reload) {
		if (apply(g, NULL, 0) == -1)
			log_warnx("grants: out of memory: grants not in force "
			    "after the reload");
		else
			log_info("reload: %d grant(s) kept (keep_on_reload)",
			    g->n);
		return;
	}
	while (g->list != NULL) {
		struct grant *gr = g->list;

		g->list = gr->next;
		g->n--;
		raise_alert(g, "policy.revoked", gr,
		    "revoked: configuration reloaded", NULL);
		grant_free(g, gr);
	}
	save_state(g);
}

/* Appends "key":"value" (JSON-escaped, core/json.c) at out + used. */
static size_t
json_member(char *out, size_t cap, size_t used, const char *key,
    const char *v)
{
	int k = snprintf(out + used, cap - used, ",\"%s\":\"", key);

	if (k < 0 || used + (size_t)k + 2 >= cap)
		return used;
	used += (size_t)k;
	used += json_escape(out + used, cap - used - 1, v, strlen(v), NULL);
	out[used++] = '"';
	out[used] = '\0';
	return used;
}

/* {"grants":[{"id":..,"peer":..,...}]}: the grants in force. */
static char *
render_json(const struct grants *g, size_t *len)
{
	const struct grant *gr;
	char until[32], *out;
	size_t cap = 64, used;
	int k;

	/* A JSON escape is at most 6 bytes per input byte. */
	for (gr = g->list; gr != NULL; gr = gr->next)
		cap += 300 + 6 * (strlen(gr->pattern) + strlen(gr->rules) +
		    strlen(gr->reason));
	if ((out = malloc(cap)) == NULL)
		return NULL;
	used = (size_t)snprintf(out, cap, "{\"grants\":[");
	for (gr = g->list; gr != NULL; gr = gr->next) {
		k = snprintf(out + used, cap - used, "%s{\"id\":%d,"
		    "\"seconds_left\":%.0f,\"uid\":%ld,\"pid\":%ld,"
		    "\"verified\":%s", gr == g->list ? "" : ",", gr->id,
		    ev_timer_remaining(g->d->loop, (ev_timer *)&gr->timer),
		    (long)gr->who.uid, (long)gr->who.pid,
		    gr->restored ? "false" : "true");
		if (k > 0 && used + (size_t)k < cap)
			used += (size_t)k;
		used = json_member(out, cap, used, "peer", gr->pattern);
		used = json_member(out, cap, used, "until",
		    until_text(gr->until, until, sizeof(until)));
		used = json_member(out, cap, used, "reason", gr->reason);
		used = json_member(out, cap, used, "rules", gr->rules);
		if (used + 2 < cap)
			out[used++] = '}';
	}
	k = snprintf(out + used, cap - used, "]}\n");
	if (k > 0 && used + (size_t)k < cap)
		used += (size_t)k;
	*len = used;
	return out;
}

char *
grants_render(const struct grants *g, int json, size_t *len)
{
	const struct grant *gr;
	char until[32], *out;
	size_t cap = 64, used = 0;
	int k;

	if (json)
		return render_json(g, len);
	for (gr = g->list; gr != NULL; gr = gr->next)
		cap += 200 + strlen(gr->pattern) + strlen(gr->rules) +
		    strlen(gr->reason);
	if ((out = malloc(cap)) == NULL)
		return NULL;
	out[0] = '\0';
	if (g->n == 0)
		used = (size_t)snprintf(out, cap, "no grants\n");
	for (gr = g->list; gr != NULL; gr = gr->next) {
		k = snprintf(out + used, cap - used, "%d\t%s\t%.0fs left\t"
		    "until %s\tuid %ld pid %ld%s\t%s\t%s\n", gr->id, gr->pattern,
		    ev_timer_remaining(g->d->loop, (ev_timer *)&gr->timer),
		    until_text(gr->until, until, sizeof(until)),
		    (long)gr->who.uid, (long)gr->who.pid,
		    gr->restored ? " (state file, unverified)" : "", gr->reason,
		    gr->rules);
		if (k > 0 && used + (size_t)k < cap)
			used += (size_t)k;
	}
	*len = used;
	return out;
}

/* ---- the state file ----------------------------------------------------- */

/*
 * One term per grant, in the configuration's syntax:
 *   {grant, Id, "Pattern", Until, Uid, Pid, "Reason", "Rules"}.
 * Until is in seconds since the epoch.  Written to Path.tmp and renamed,
 * mode 0600: the file is as sensitive as the configuration.
 *
 * The file lives in a directory the service user can write, so whoever
 * runs as that user can plant anything there.  Hence (docs/SECURITY.md,
 * "The daemon's own files"): it is read and written only after the
 * privilege drop, the temporary file is created with O_EXCL|O_NOFOLLOW
 * (a symlink planted at Path.tmp is removed, never followed), and what is
 * read back is checked entry by entry as untrusted input.
 */
static void
put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A fresh Path.tmp of our own: whatever sits at that name (a symlink, a
 * hard link, a file left by a crash) is unlinked, not opened. */
static int
open_tmp(const char *tmp)
{
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
		if (unlink(tmp) == -1 && errno != ENOENT)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

static void
save_state(struct grants *g)
{
	const char *path = conf_root(g->d->conf)->grants_state_file;
	const struct grant *gr;
	char tmp[4200];
	FILE *f;
	int fd;

	if (path == NULL || !g->restore_done)
		return;		/* nothing is written before the file is read */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open_tmp(tmp)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("grants: cannot write %s", tmp);
		if (fd != -1)
			close(fd);
		return;
	}
	fprintf(f, "%% distguard grants, rewritten on every change.\n");
	for (gr = g->list; gr != NULL; gr = gr->next) {
		fprintf(f, "{grant, %d, ", gr->id);
		put_string(f, gr->pattern);
		fprintf(f, ", %lld, %ld, %ld, ", (long long)gr->until,
		    (long)gr->who.uid, (long)gr->who.pid);
		put_string(f, gr->reason);
		fputs(", ", f);
		put_string(f, gr->rules);
		fputs("}.\n", f);
	}
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		log_warn("grants: cannot write %s", path);
}

static void state_alert(struct grants *, const char *event, int line,
    const char *fmt, ...) DG_PRINTF(4, 5);

/* An entry of the state file refused or changed: alerted (an operator's
 * file that someone else may have written) and logged. */
static void
state_alert(struct grants *g, const char *event, int line, const char *fmt,
    ...)
{
	const char *path = conf_root(g->d->conf)->grants_state_file;
	char detail[1200];
	va_list ap;

	/* Operators' alerts are not rate-limited: a file of a million bad
	 * lines must not become a million alerts. */
	if (++g->state_alerts > GRANT_STATE_ALERTS) {
		if (g->state_alerts == GRANT_STATE_ALERTS + 1)
			alert_emit(g->d->alerts, "policy.state_refused", NULL,
			    NULL, NULL, "%s: more than %d problems: the rest "
			    "are not reported one by one", path,
			    GRANT_STATE_ALERTS);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	alert_emit(g->d->alerts, event, NULL, NULL, NULL, "%s:%d: %s", path,
	    line, detail);
}

/* One entry the reader took (e) or refused (problem). */
static void
restore_entry(void *arg, int line, const struct grant_entry *e,
    const char *problem)
{
	struct grants *g = arg;
	struct grant_who who;
	struct grant *gr;
	char err[1024];

	if (problem != NULL) {
		state_alert(g, "policy.state_refused", line, "refused: %s",
		    problem);
		return;
	}
	if (e->clamped)
		state_alert(g, "policy.state_clamped", line, "grant %d would "
		    "end %.0fs from now, beyond grants max_duration (%.0fs): "
		    "cut to it", e->id, e->asked, e->seconds);
	who.uid = e->uid;
	who.pid = e->pid;
	err[0] = '\0';
	gr = grant_insert(g, e->id, e->pattern, e->rules, e->reason,
	    e->seconds, &who, err, sizeof(err));
	if (gr == NULL) {
		state_alert(g, "policy.state_refused", line, "%s", err);
		return;
	}
	gr->restored = 1;
	gr->until = e->until;
	if (gr->id >= g->next_id)
		g->next_id = gr->id + 1;
	raise_alert(g, "policy.grant", gr, "restored after a restart", NULL);
}

/* The state file as one regular file of the daemon's user (or root),
 * that no one else may write; else -1 (alerted). */
static int
open_state(struct grants *g, const char *path)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		if (errno != ENOENT)
			state_alert(g, "policy.state_refused", 0, "cannot open: "
			    "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != geteuid() && st.st_uid != 0) ||
	    (st.st_mode & 022) != 0) {
		state_alert(g, "policy.state_refused", 0, "not a regular file "
		    "of uid %u (or root) writable by its owner alone: every "
		    "grant in it refused", (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

static void
restore_file(struct grants *g, const char *path)
{
	const struct dg_conf *root = conf_root(g->d->conf);
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open_state(g, path)) == -1)
		return;
	if ((buf = malloc(ET_MAX_FILE + 1)) == NULL) {
		close(fd);
		return;
	}
	while (len <= ET_MAX_FILE &&
	    (n = read(fd, buf + len, ET_MAX_FILE + 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	(void)grant_state_read(buf, len, time(NULL), root->grants_max_duration,
	    root->grants_max, restore_entry, g);
	free(buf);
}

void
grants_restore(struct grants *g)
{
	const char *path = conf_root(g->d->conf)->grants_state_file;

	if (path != NULL)
		restore_file(g, path);
	/* Saves are held until the file has been read, so the first one
	 * cannot erase grants it did not know of. */
	g->restore_done = 1;
	save_state(g);
}
