/* SPDX-License-Identifier: Apache-2.0 */
/*
 * grant_state.c - the reader of the grants state file (daemon/grant.h).
 *
 * The file sits in a directory the daemon's user can write, so anything
 * running as that user can write it too: it is untrusted input, read the
 * way a configuration file is read (the same term reader, the same rule
 * checker), entry by entry.  A bad entry is refused, never half taken; a
 * grant that would outlast grants max_duration from now is cut to it; who
 * asked, as the file says it, is handed on only to be labelled as the
 * file's word.  Pure: no I/O, no clock (`now` is given), no daemon.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "conf/conf.h"
#include "daemon/grant_state.h"
#include "conf/eterm.h"

int
grant_pattern_ok(const char *p)
{
	size_t n = strlen(p), chars;

	if (n == 0 || n > DG_MAX_NODE_BYTES ||
	    !dg_utf8_valid((const uint8_t *)p, n, &chars))
		return 0;
	/* Shown in alerts and written back to the state file. */
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' ||
		    *p == 0x7f)
			return 0;
	return 1;
}

int
grant_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s), chars;

	if (n > max || !dg_utf8_valid((const uint8_t *)s, n, &chars))
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return 0;
	return 1;
}

/* Has an earlier accepted entry this id?  `seen` holds at most max. */
static int
seen_id(const int *seen, int n, int id)
{
	int i;

	for (i = 0; i < n; i++)
		if (seen[i] == id)
			return 1;
	return 0;
}

/* Checks one term; fills *e and returns NULL, or returns why not. */
static const char *
check_entry(const struct et_node *t, time_t now, double max_duration,
    struct grant_entry *e, char *err, size_t errlen)
{
	const struct et_node *f[8];
	struct dg_ruleset rs;
	struct conf_errs ce = { err, errlen, 0, 0 };
	int i;

	if (!et_is_tagged(t, "grant", 8))
		return "not a {grant, Id, Pattern, Until, Uid, Pid, Reason, "
		    "Rules} term";
	for (i = 0; i < 8; i++)
		f[i] = et_elem(t, i);
	if (f[1]->kind != ET_INT || f[2]->kind != ET_STRING ||
	    f[3]->kind != ET_INT || f[4]->kind != ET_INT ||
	    f[5]->kind != ET_INT || f[6]->kind != ET_STRING ||
	    f[7]->kind != ET_STRING)
		return "a field of the wrong type";
	if (f[1]->ival < 1 || f[1]->ival > INT32_MAX)
		return "id out of range";
	if (f[4]->ival < 0 || f[4]->ival > INT32_MAX || f[5]->ival < 0 ||
	    f[5]->ival > INT32_MAX)
		return "uid or pid out of range";
	if (f[3]->ival < 0 || f[3]->ival > INT64_C(1) << 40)
		return "end out of range";
	if (!grant_pattern_ok(f[2]->text))
		return "bad peer pattern";
	if (f[6]->text[0] == '\0' || !grant_text_ok(f[6]->text,
	    GRANT_REASON_MAX))
		return "bad reason";
	if (!grant_text_ok(f[7]->text, GRANT_RULES_MAX))
		return "bad rules text";
	err[0] = '\0';
	if (conf_parse_rules("state file", f[7]->text, f[7]->len, &rs,
	    conf_errs_collect, &ce) == -1)
		return err[0] ? err : "rules refused";
	conf_ruleset_free(&rs);
	memset(e, 0, sizeof(*e));
	e->line = t->line;
	e->id = (int)f[1]->ival;
	e->pattern = f[2]->text;
	e->reason = f[6]->text;
	e->rules = f[7]->text;
	e->uid = (uid_t)f[4]->ival;
	e->pid = (pid_t)f[5]->ival;
	e->until = (time_t)f[3]->ival;
	e->seconds = (double)(e->until - now);
	if (e->seconds > max_duration) {
		e->clamped = 1;
		e->asked = e->seconds;
		e->seconds = max_duration;
		e->until = now + (time_t)max_duration;
	}
	return NULL;
}

int
grant_state_read(const char *buf, size_t len, time_t now,
    double max_duration, int max, grant_state_fn fn, void *arg)
{
	const struct et_node *t;
	struct grant_entry e;
	struct et_doc *doc;
	const char *why;
	char err[1024];
	int *seen, nseen = 0, nerr;

	if (len > ET_MAX_FILE) {
		fn(arg, 0, NULL, "the file is too long: every grant in it "
		    "refused");
		return -1;
	}
	if ((doc = et_parse(buf, len, NULL, NULL)) == NULL)
		return -1;
	if ((seen = calloc((size_t)(max > 0 ? max : 1), sizeof(*seen))) ==
	    NULL) {
		et_free(doc);
		return -1;
	}
	nerr = doc->nerrors;
	if (nerr > 0)
		fn(arg, 0, NULL, "syntax errors: the entries they touch are "
		    "refused");
	for (t = doc->terms; t != NULL; t = t->next) {
		if ((why = check_entry(t, now, max_duration, &e, err,
		    sizeof(err))) != NULL) {
			fn(arg, t->line, NULL, why);
			continue;
		}
		if (e.seconds <= 0)
			continue;	/* expired while the daemon was down */
		if (seen_id(seen, nseen, e.id)) {
			fn(arg, t->line, NULL, "an id given twice");
			continue;
		}
		if (nseen >= max) {
			fn(arg, t->line, NULL, "more grants than grants max");
			continue;
		}
		seen[nseen++] = e.id;
		fn(arg, t->line, &e, NULL);
	}
	free(seen);
	et_free(doc);
	return nerr;
}
