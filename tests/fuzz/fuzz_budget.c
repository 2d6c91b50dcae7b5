/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_budget.c - the budgets of issue 18 (filter/nodes.c, filter/guard.c
 * held_*): any control message with its payload, decoded as the relay
 * decodes it, its atoms charged to small budgets from a few peers,
 * sources and cookies, and what it makes the node hold charged and
 * released.  Checks the bounds hold whatever comes: the node's count
 * never passes node_atoms, a share never passes its own, a connection's
 * held count never passes held_max, and a release never takes a count
 * below zero.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dist_ctl.h"
#include "filter/guard.h"
#include "filter/nodes.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NODE_BUDGET	40
#define SHARE_BUDGET	25
#define PEER_BUDGET	12
#define HELD_MAX	8

static struct dg_conf	 conf;
static struct guard	 g;
static int		 ready;
static struct dg_nodes	*T;		/* the table, made once */
static struct atom_book	*bk;
static int		 refused;

static void
on_atom(void *arg, const uint8_t *a)
{
	struct nodes_refusal r;
	uint64_t h;

	(void)arg;
	if (refused || atombook_has(&bk->book, a, &h))
		return;
	if (nodes_charge(bk, h, a, PEER_BUDGET, &conf, &r) == -1) {
		if (r.budget == NULL)
			abort();
		refused = 1;
	}
	if (bk->book.count > PEER_BUDGET ||
	    (bk->src != NULL && bk->src->count > SHARE_BUDGET) ||
	    (bk->cookie != NULL && bk->cookie->count > SHARE_BUDGET))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *peers[] = { "p1@h", "p2@h", "p3@h" };
	static const char *srcs[] = { "addr 10.0.0.1", "addr 10.0.0.2" };
	struct nodes_refusal r;
	struct dc_opts o;
	struct dist_msg m;
	const char *why = NULL;
	uint8_t *frame;
	uint64_t before;
	size_t len;
	int rc;

	if (size < 1 || size > (1 << 20))
		return 0;
	if (!ready) {
		conf.node_atoms = NODE_BUDGET;
		conf.source_atoms = SHARE_BUDGET;
		conf.cookie_atoms = SHARE_BUDGET;
		idset_init(&g.held, UINT32_MAX / 4);
		if ((T = nodes_new()) == NULL)
			abort();
		ready = 1;
	}
	/* The first byte picks the peer, its source, and whether it also
	 * shakes hands under a fresh name (a rotation). */
	bk = nodes_atoms(T, "b@h", peers[data[0] % 3], srcs[(data[0] >> 2) & 1],
	    "cookie c");
	if (bk == NULL)
		return 0;
	if (data[0] & 0x80) {
		char name[32];

		snprintf(name, sizeof(name), "rot%u@h", (unsigned)(data[0] & 0x7f));
		(void)nodes_charge_name(T, "b@h", name, srcs[(data[0] >> 2) & 1],
		    "cookie c", &conf, &r);
	}
	len = size - 1;
	if ((frame = malloc(len + 1)) == NULL) {
		nodes_atoms_release(bk);
		return 0;
	}
	frame[0] = 112;
	memcpy(frame + 1, data + 1, len);
	memset(&o, 0, sizeof(o));
	o.need = DC_NEED_ATOMS;
	o.frame_end = frame + 1 + len;
	o.final = 1;
	o.atom = on_atom;
	refused = 0;
	rc = dist_ctl_decode_x(frame + 1, frame + 1 + len, 1, &o, &m, &why);
	if (rc == 0) {
		before = g.nheld;
		/* Either side may send it: as the peer's, then as the node's. */
		(void)guard_held_charge(&g, &m, HELD_MAX / 2, HELD_MAX);
		if (g.nheld > HELD_MAX || g.nheld > before + 1)
			abort();
		guard_held_release(&g, &m);
		if (g.nheld > before + 1)
			abort();
	}
	free(frame);
	nodes_atoms_release(bk);
	return 0;
}
