/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_grant_state.c - the grants state file reader (daemon/grant_state.c):
 * a planted file is untrusted input.  Over-long grants are cut to
 * max_duration, bad entries refused one by one, ids unique, at most max
 * taken, expired ones dropped silently; every prefix of a file is safe.
 */
#include <stdio.h>
#include <string.h>

#include "dg_test.h"
#include "daemon/grant.h"
#include "daemon/grant_state.h"

#define NOW	1700000000

struct seen {
	int	 taken, refused, clamped;
	int	 ids[16];
	double	 secs[16];
	uid_t	 uids[16];
	char	 last_problem[256];
};

static void
collect(void *arg, int line, const struct grant_entry *e, const char *problem)
{
	struct seen *s = arg;

	if (problem != NULL) {
		s->refused++;
		snprintf(s->last_problem, sizeof(s->last_problem), "%s",
		    problem);
		return;
	}
	if (s->taken < 16) {
		s->ids[s->taken] = e->id;
		s->secs[s->taken] = e->seconds;
		s->uids[s->taken] = e->uid;
	}
	s->taken++;
	s->clamped += e->clamped;
}

static int
read_text(const char *text, double maxdur, int max, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return grant_state_read(text, strlen(text), NOW, maxdur, max, collect,
	    s);
}

/* The attack of issue 25: [allow_all] for ten years, "asked by uid 0". */
static void
t_clamped(void)
{
	struct seen s;
	char text[256];

	snprintf(text, sizeof(text), "{grant, 7, \"evil@*\", %d, 0, 1, "
	    "\"x\", \"[allow_all]\"}.\n", NOW + 315360000);
	CHECK_EQ(read_text(text, 86400, 64, &s), 0);
	CHECK_EQ(s.taken, 1);
	CHECK_EQ(s.clamped, 1);
	CHECK(s.secs[0] == 86400);
	CHECK_EQ(s.uids[0], 0);		/* handed on, labelled by the caller */
}

static void
t_kept_and_expired(void)
{
	struct seen s;
	char text[512];

	snprintf(text, sizeof(text),
	    "%% a comment\n"
	    "{grant, 1, \"ops@*\", %d, 1000, 42, \"r\", \"[ping]\"}.\n"
	    "{grant, 2, \"old@*\", %d, 1000, 42, \"r\", \"[ping]\"}.\n",
	    NOW + 60, NOW - 1);
	CHECK_EQ(read_text(text, 86400, 64, &s), 0);
	CHECK_EQ(s.taken, 1);
	CHECK_EQ(s.refused, 0);
	CHECK_EQ(s.ids[0], 1);
	CHECK(s.secs[0] == 60);
	CHECK_EQ(s.clamped, 0);
}

/* Each bad entry is refused by itself; the good ones around it stay. */
static void
t_refused(void)
{
	static const char *const bad[] = {
		"{grant, 0, \"a@*\", %d, 0, 1, \"r\", \"[ping]\"}.",
		"{grant, 3, \"a b\", %d, 0, 1, \"r\", \"[ping]\"}.",
		"{grant, 3, \"a@*\", %d, 0, 1, \"\", \"[ping]\"}.",
		"{grant, 3, \"a@*\", %d, 0, 1, \"r\", \"[no_such_type]\"}.",
		"{grant, 3, \"a@*\", %d, 0, 1, \"r\", \"allow_all\"}.",
		"{grant, 3, \"a@*\", %d, -1, 1, \"r\", \"[ping]\"}.",
		"{grant, 3, \"a@*\", %d, 0, 1, \"r\"}.",
		"{grant, 3, a, %d, 0, 1, \"r\", \"[ping]\"}.",
		"{other, 3, \"a@*\", %d, 0, 1, \"r\", \"[ping]\"}.",
		"{grant, 3, \"a@*\", %d, 0, 1, \"r\\001\", \"[ping]\"}.",
	};
	struct seen s;
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = snprintf(text, sizeof(text), bad[i], NOW + 60);

		snprintf(text + n, sizeof(text) - (size_t)n, "\n{grant, 9, "
		    "\"ok@*\", %d, 0, 1, \"r\", \"[ping]\"}.\n", NOW + 60);
		read_text(text, 86400, 64, &s);
		if (s.refused != 1 || s.taken != 1 || s.ids[0] != 9)
			printf("# case %zu: refused %d taken %d\n", i,
			    s.refused, s.taken);
		CHECK_EQ(s.refused, 1);
		CHECK_EQ(s.taken, 1);
	}
}

static void
t_ids_and_max(void)
{
	struct seen s;
	char text[1024];
	int n = 0, i;

	for (i = 0; i < 5; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		    "{grant, %d, \"a@*\", %d, 0, 1, \"r\", \"[ping]\"}.\n",
		    i < 2 ? 1 : i, NOW + 60);
	read_text(text, 86400, 2, &s);
	CHECK_EQ(s.taken, 2);	/* id 1, then id 2 */
	CHECK_EQ(s.refused, 3);	/* id 1 again, then over max twice */
	CHECK_EQ(s.ids[0], 1);
	CHECK_EQ(s.ids[1], 2);
}

/* Every prefix of a valid file reads without harm. */
static void
t_prefixes(void)
{
	char text[512];
	struct seen s;
	size_t len, k;

	len = (size_t)snprintf(text, sizeof(text),
	    "{grant, 1, \"ops@*\", %d, 1000, 42, \"r\\\"q\", \"[{allow, "
	    "spawn_request, [{erlang, node, 0}]}]\"}.\n", NOW + 60);
	for (k = 0; k <= len; k++) {
		const uint8_t *p = guard_copy(text, k);

		memset(&s, 0, sizeof(s));
		(void)grant_state_read((const char *)p, k, NOW, 86400, 64,
		    collect, &s);
		CHECK(s.taken <= 1);
	}
	read_text(text, 86400, 64, &s);
	CHECK_EQ(s.taken, 1);
}

int
main(void)
{
	RUN(t_clamped);
	RUN(t_kept_and_expired);
	RUN(t_refused);
	RUN(t_ids_and_max);
	RUN(t_prefixes);
	return TEST_DONE();
}
