/*
 * egress.c - the table of egress listeners (egress.h).  Bounded: past
 * EGRESS_MAX targets the one asked for least recently gives its port up
 * (sessions through it run on; a node asking again gets a new port).
 */
#include <stdio.h>
#include <string.h>

#include "dg_log.h"
#include "egress.h"
#include "handshake/hs_msg.h"
#include "listener.h"

#define EGRESS_MAX	256

struct egress {
	char		 node[DG_MAX_NODE_BYTES + 1];
	struct listener	*l;
	uint64_t	 used;		/* request counter at last use */
};

static struct egress	table[EGRESS_MAX];
static uint64_t		requests;

/* The entry for node, or a free or least recently used slot (emptied). */
static struct egress *
slot_for(const char *node)
{
	struct egress *lru = &table[0];
	int i;

	for (i = 0; i < EGRESS_MAX; i++) {
		if (table[i].l != NULL && strcmp(table[i].node, node) == 0)
			return &table[i];
		if (table[i].l == NULL || (lru->l != NULL && table[i].used < lru->used))
			lru = &table[i];
	}
	if (lru->l != NULL) {
		log_info("egress port %u for %s given up for %s",
		    listener_port(lru->l), lru->node, node);
		listener_close(lru->l);
		lru->l = NULL;
	}
	return lru;
}

int
egress_port(struct dg_daemon *d, const char *node, uint16_t *port)
{
	const char *why = NULL;
	struct egress *e;

	if (hs_check_node_name(node, strlen(node), &why) != 0 ||
	    strchr(node, '@') == NULL) {
		log_warnx("egress port for %.300s refused: not a node name", node);
		return -1;
	}
	e = slot_for(node);
	if (e->l == NULL) {
		if ((e->l = listener_open_egress(d, node)) == NULL)
			return -1;
		snprintf(e->node, sizeof(e->node), "%s", node);
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
