/* SPDX-License-Identifier: Apache-2.0 */
/*
 * egress.c - the table of egress listeners (egress.h).  Bounded: past
 * EGRESS_MAX targets the one asked for least recently gives its port up
 * (sessions through it run on; a node asking again gets a new port).
 * The ports come from their own pool ({listen, [{egress_ports, ...}]}),
 * never from the listeners' range, and one node holds at most
 * egress_per_node targets: past that, its own least recently used one
 * gives its port up, not another node's.
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "dg_log.h"
#include "egress.h"
#include "handshake/hs_msg.h"
#include "listener.h"

#define EGRESS_MAX	256

struct egress {
	char		 node[DG_MAX_NODE_BYTES + 1];
	char		 owner[DG_MAX_ALIVE_BYTES + 1];	/* who asked first */
	struct listener	*l;
	uint64_t	 used;		/* request counter at last use */
};

static struct egress	table[EGRESS_MAX];
static uint64_t		requests;

/* Gives e's port up. */
static void
give_up(struct egress *e, const char *node)
{
	log_info("egress port %u for %s given up for %s",
	    listener_port(e->l), e->node, node);
	listener_close(e->l);
	e->l = NULL;
}

/*
 * The entry for node, or a slot for it: free, or the least recently used
 * one - of owner's own when owner holds its share already.
 */
static struct egress *
slot_for(const char *owner, const char *node, int per_node)
{
	struct egress *lru = NULL, *own = NULL;
	int i, owned = 0;

	for (i = 0; i < EGRESS_MAX; i++) {
		struct egress *e = &table[i];

		if (e->l != NULL && strcmp(e->node, node) == 0)
			return e;
		if (e->l != NULL && strcmp(e->owner, owner) == 0) {
			owned++;
			if (own == NULL || e->used < own->used)
				own = e;
		}
		if (lru == NULL || (lru->l != NULL &&
		    (e->l == NULL || e->used < lru->used)))
			lru = e;
	}
	if (owned >= per_node)
		lru = own;
	if (lru->l != NULL)
		give_up(lru, node);
	return lru;
}

int
egress_port(struct dg_daemon *d, const char *owner, const char *node,
    uint16_t *port)
{
	const char *why = NULL;
	struct egress *e;

	if (hs_check_node_name(node, strlen(node), &why) != 0 ||
	    strchr(node, '@') == NULL) {
		log_warnx("egress port for %.300s refused: not a node name", node);
		return -1;
	}
	e = slot_for(owner, node, d->conf->egress_per_node);
	if (e->l == NULL) {
		if ((e->l = listener_open_egress(d, node)) == NULL)
			return -1;
		snprintf(e->node, sizeof(e->node), "%s", node);
		snprintf(e->owner, sizeof(e->owner), "%s", owner);
		log_info("egress: node %s asked for %s", owner, node);
		log_info("egress port %u for %s", listener_port(e->l), node);
	}
	e->used = ++requests;
	*port = listener_port(e->l);
	return 0;
}

void
egress_close_all(struct dg_daemon *d)
{
	int i;

	(void)d;
	for (i = 0; i < EGRESS_MAX; i++)
		if (table[i].l != NULL) {
			listener_close(table[i].l);
			table[i].l = NULL;
		}
}
