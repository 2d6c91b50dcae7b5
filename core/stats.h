/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/stats.h - counters per (local node, peer node) x type x verdict, plus
 * frames and bytes per direction: what `distguard stats` prints.  Rows
 * live as long as the daemon (bounded by STATS_MAX_ROWS; beyond it, new
 * pairs share one "(other)" row) so that counts survive reconnections.
 */
#ifndef DG_STATS_H
#define DG_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"
#include "dg_policy.h"

#define STATS_MAX_ROWS	4096

struct stats_row {
	/* The pair's names, stored with the row at their exact lengths
	 * (a row per distinct peer name: most names are short). */
	const char	*local;
	const char	*peer;
	uint64_t	verdict[DG_T_COUNT][3];	/* [type][enum dg_action] */
	/* Audit mode: refused by the rules, forwarded (FILTER.md 22) */
	uint64_t	would_deny[DG_T_COUNT];
	uint64_t	invalid;		/* undecodable, spoofed, undecidable */
	uint64_t	replies;		/* owed replies let through */
	uint64_t	frames_in, bytes_in;	/* peer -> node */
	uint64_t	frames_out, bytes_out;	/* node -> peer */
	uint64_t	connections;
	int		live;			/* connections now */
	int		egress;			/* the node dialled the peer */
};

/*
 * Counts by outcome name ("ok", "bad_digest", ...): the names come from
 * the code, not from the network, so a small table holds them; a name
 * beyond it is counted under "other".
 */
#define STATS_MAX_NAMES	48
#define STATS_NAME_MAX	40

struct stats_named {
	char		name[STATS_NAME_MAX];
	uint64_t	n;
};

struct stats_names {
	struct stats_named	e[STATS_MAX_NAMES];
	int			n;
	uint64_t		other;
};

/* Adds one to `name` in the table. */
void	stats_names_add(struct stats_names *, const char *name);

struct stats;

/* What metrics (daemon/metrics.c) read besides the rows. */
struct stats_view {
	struct stats_row	* const *rows;
	int			 nrows;
	const struct stats_row	*other;		/* [2]: pairs past STATS_MAX_ROWS,
						 * inbound and egress */
	const struct stats_names *handshakes;	/* by outcome */
	const struct stats_names *registrations; /* EPMD ALIVE2, by outcome */
};

struct stats		*stats_new(void);
void			 stats_free(struct stats *);
/* The row of a pair in one direction (egress: the local node dialled
 * the peer), created on first use. Never NULL. */
struct stats_row	*stats_row(struct stats *, const char *local, const char *peer,
			    int egress);
/* One handshake ended: "ok", or the reason it failed (the alert event
 * without its "handshake." prefix), "failed" when it has no event. */
void			 stats_handshake(struct stats *, const char *outcome);
/* One ALIVE2 decided: "mediated", "unmediated" (accepted), or
 * "refused_unmediated", "refused_exposed". */
void			 stats_registration(struct stats *, const char *outcome);
void			 stats_view(const struct stats *, struct stats_view *);
/* Renders every row as a table or as JSON into a malloc'd string; NULL
 * when memory ran out. */
char			*stats_render(struct stats *, int json, size_t *len);

#endif
