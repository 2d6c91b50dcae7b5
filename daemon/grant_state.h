/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon/grant_state.h - the grants' state file read back as untrusted
 * input (grant_state.c, pure), and the checks of a pattern and a text
 * that every way of making a grant or a runtime API change applies.
 */
#ifndef DG_GRANT_STATE_H
#define DG_GRANT_STATE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define GRANT_REASON_MAX	256	/* bytes of --reason */
#define GRANT_RULES_MAX		2048	/* bytes of RULES */

/* One entry of the state file, checked.  Strings point into the reader's
 * document and live only during the callback. */
struct grant_entry {
	int		 line;
	int		 id;
	const char	*pattern, *reason, *rules;
	uid_t		 uid;		/* as the file says: unverified */
	pid_t		 pid;
	time_t		 until;		/* after clamping */
	double		 seconds;	/* left, after clamping */
	int		 clamped;	/* the file's end was beyond max_duration */
	double		 asked;		/* seconds the file asked for, if so */
};

/* Called for every entry: e set and problem NULL to take it (e->clamped
 * says it was cut), or e NULL and problem saying why it is refused
 * (line 0: the whole file). */
typedef void (*grant_state_fn)(void *arg, int line,
		    const struct grant_entry *e, const char *problem);

/*
 * Reads a state file's bytes: at most `max` grants taken, each with a
 * valid pattern, reason and rules (checked as the configuration's),
 * distinct ids, ending after `now`, cut to `max_duration` seconds from
 * now.  Returns the number of syntax errors, or -1 when nothing could be
 * read (too long: reported through fn; out of memory).
 */
int	grant_state_read(const char *buf, size_t len, time_t now,
	    double max_duration, int max, grant_state_fn fn, void *arg);
int	grant_pattern_ok(const char *);
int	grant_text_ok(const char *, size_t max);

#endif
