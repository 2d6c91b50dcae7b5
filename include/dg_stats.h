/*
 * dg_stats.h - counters per (local node, peer node) x type x verdict, plus
 * frames and bytes per direction: what `distguard stats` prints.  Rows
 * live as long as the daemon (bounded by STATS_MAX_ROWS; beyond it, new
 * pairs share one "(other)" row) so that counts survive reconnections.
 */
#ifndef DG_STATS_H
#define DG_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dg_conf.h"

#define STATS_MAX_ROWS	4096

struct stats_row {
	char		local[DG_MAX_ALIVE_BYTES + 1];
	char		peer[DG_MAX_NODE_BYTES + 1];
	uint64_t	verdict[DG_T_COUNT][3];	/* [type][enum dg_action] */
	uint64_t	invalid;		/* undecodable, spoofed, undecidable */
	uint64_t	replies;		/* owed replies let through */
	uint64_t	frames_in, bytes_in;	/* peer -> node */
	uint64_t	frames_out, bytes_out;	/* node -> peer */
	uint64_t	connections;
	int		live;			/* connections now */
};

struct stats;

struct stats		*stats_new(void);
void			 stats_free(struct stats *);
/* The row of a pair, created on first use. Never NULL. */
struct stats_row	*stats_row(struct stats *, const char *local, const char *peer);
/* Renders every row as a table or as JSON into a malloc'd string. */
char			*stats_render(struct stats *, int json, size_t *len);

#endif
