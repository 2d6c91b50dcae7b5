/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_session_mem.c - what a connection costs in memory (issue 24): the
 * sizes a session and a handshake reach are pinned here, so that a field
 * that grows them past the targets fails `make test`, and the parts that
 * exist only in some phases (a leg's name, a guard, a handshake's input)
 * are checked to be made only when needed.
 *
 * The targets are per connection, in heap: <= 3 KiB for an idle inbound
 * one (the session, the node leg's guard, the two names), <= 8 KiB for a
 * half-open handshake (the same, plus struct hs_io); bench/run.sh
 * section 4 measures them at 10,000 connections.  malloc's own overhead
 * (16 bytes a chunk on glibc x86-64) is counted here too.
 */
#include <stdio.h>

#include "dg_test.h"
#include "core/stats.h"
#include "proxy/session.h"
#include "proxy/session_hs.h"
#include "proxy/scratch.h"

#define CHUNK(n)	((((n) + 8 + 15) / 16) * 16)	/* glibc: header, 16-aligned */
#define KIB		1024

/* The sizes, for the record (docs/BENCHMARKS.md, "Memory per
 * connection"). */
static void
test_sizes_print(void)
{
	printf("# sizeof session %zu leg %zu relay_dir %zu guard %zu "
	    "hs_io %zu hs_fsm %zu hs_leg %zu lookup %zu\n",
	    sizeof(struct session), sizeof(struct leg),
	    sizeof(struct relay_dir), sizeof(struct guard),
	    sizeof(struct hs_io), sizeof(struct hs_fsm),
	    sizeof(struct hs_leg), sizeof(struct lookup));
	CHECK(sizeof(struct session) > 0);
}

/* The session: no name, guard, handshake buffer or link host inside. */
static void
test_session_pinned(void)
{
	CHECK(sizeof(struct session) <= 1320);
	CHECK(sizeof(struct leg) <= 440);
	/* a node name is never inside a leg */
	CHECK(sizeof(struct leg) < DG_MAX_NODE_BYTES);
}

/* A handshake: one message's buffer per leg, outside, only while a
 * message is unfinished; the sequencer's output in the scratch. */
static void
test_hs_pinned(void)
{
	CHECK(sizeof(struct hs_io) <= 3700);
	CHECK(sizeof(struct hs_leg) < HS_OUT_MAX);
	CHECK(sizeof(((struct dg_scratch *)0)->hs_in) == HS_IN_MAX);
	CHECK(HS_IN_MAX == 2 + DG_MAX_HS_MSG);
}

/*
 * The targets, from the sizes: an idle inbound connection holds the
 * session, the node leg's guard, both names and the alive name; a
 * half-open handshake the same and struct hs_io.  Names of 32 bytes, as
 * the bench's "p123@host".
 */
static void
test_targets(void)
{
	size_t names = 3 * CHUNK(32);
	size_t idle = CHUNK(sizeof(struct session)) +
	    CHUNK(sizeof(struct guard)) + names;
	size_t half = idle + CHUNK(sizeof(struct hs_io));

	printf("# per connection, from the sizes: idle inbound %zu, "
	    "half-open handshake %zu\n", idle, half);
	CHECK(idle <= 3 * KIB);
	CHECK(half <= 8 * KIB);
}

/* A stats row per distinct (node, peer) pair, up to STATS_MAX_ROWS: its
 * names at their exact lengths, after the counters. */
static void
test_stats_row(void)
{
	struct stats *st = stats_new();
	struct stats_row *r;

	CHECK(sizeof(struct stats_row) <= 400);
	r = stats_row(st, "b", "p1@host", 0);
	CHECK(strcmp(r->local, "b") == 0 && strcmp(r->peer, "p1@host") == 0);
	CHECK(stats_row(st, "b", "p1@host", 0) == r);
	CHECK(stats_row(st, "b", "p1@host", 1) != r);
	stats_free(st);
}

/* A leg's name: "" until set, then a copy of its exact length. */
static void
test_leg_name(void)
{
	struct leg l;
	char big[DG_MAX_NODE_BYTES + 1];

	memset(&l, 0, sizeof(l));
	session_leg_noname(&l);
	CHECK(l.name != NULL && l.name[0] == '\0');
	CHECK_EQ(session_leg_name(&l, "p1@host"), 0);
	CHECK(strcmp(l.name, "p1@host") == 0);
	/* the longest name is kept whole */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[10] = '@';
	CHECK_EQ(session_leg_name(&l, big), 0);
	CHECK_EQ(strlen(l.name), DG_MAX_NODE_BYTES);
	free(l.name);
}

/* Guards: made for the legs that are ours, when first asked for. */
static void
test_guard_lazy(void)
{
	struct session *s = calloc(1, sizeof(*s));
	struct guard *g;

	CHECK(s->guards[HS_ACC] == NULL && s->guards[HS_INI] == NULL);
	g = session_guard(s, HS_INI);
	CHECK(g != NULL && s->guards[HS_INI] == g);
	CHECK(session_guard(s, HS_INI) == g);	/* once */
	CHECK(s->guards[HS_ACC] == NULL);
	free(g);
	free(s);
}

/* A handshake's memory goes at once: its input, the lookup, itself. */
static void
test_hs_free(void)
{
	struct session *s = calloc(1, sizeof(*s));

	s->hs = calloc(1, sizeof(*s->hs));
	s->hs->in[HS_ACC] = malloc(HS_IN_MAX);
	s->hs->inlen[HS_ACC] = 3;
	session_hs_free(s);
	CHECK(s->hs == NULL);
	session_hs_free(s);	/* nothing left: a no-op */
	free(s);
}

int
main(void)
{
	RUN(test_sizes_print);
	RUN(test_session_pinned);
	RUN(test_hs_pinned);
	RUN(test_targets);
	RUN(test_stats_row);
	RUN(test_leg_name);
	RUN(test_guard_lazy);
	RUN(test_hs_free);
	return TEST_DONE();
}
