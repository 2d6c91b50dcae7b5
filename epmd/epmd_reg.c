/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_reg.c - registered names and creation numbering.
 */
#include <stdlib.h>
#include <string.h>

#include "dg_log.h"
#include "epmd_reg.h"

struct epmd_node *
epmd_reg_find(struct epmd_reg *r, const char *name, size_t len)
{
	struct epmd_node *n;

	for (n = r->nodes; n; n = n->next)
		if (n->a.name.len == len && memcmp(n->a.name.s, name, len) == 0)
			return n;
	return NULL;
}

/* Takes a remembered counter out of the FIFO; 0 if the name is new. */
static uint32_t
take_old_counter(struct epmd_reg *r, const struct dg_name *name)
{
	int i;

	for (i = 0; i < r->nold; i++) {
		struct epmd_old *o = &r->old[i];

		if (o->counter != 0 && o->name.len == name->len &&
		    memcmp(o->name.s, name->s, name->len) == 0) {
			uint32_t c = o->counter;

			o->counter = 0;		/* slot stays, marked empty */
			return c;
		}
	}
	return 0;
}

struct epmd_node *
epmd_reg_add(struct epmd_reg *r, const struct epmd_alive2 *a, int family,
    time_t now)
{
	struct epmd_node *n = calloc(1, sizeof(*n));
	uint32_t counter;

	if (n == NULL)
		return NULL;
	n->a = *a;
	n->a.name.s[n->a.name.len] = '\0';
	n->family = family;
	counter = take_old_counter(r, &a->name);
	counter = counter ? counter + 1 : (uint32_t)now + 1;
	if (counter < 4)
		counter = 4;
	n->counter = counter;
	n->creation = epmd_creation_for(a->highest, counter);
	n->next = r->nodes;
	r->nodes = n;
	r->nnodes++;
	return n;
}

void
epmd_reg_remove(struct epmd_reg *r, struct epmd_node *n)
{
	struct epmd_node **pp;
	struct epmd_old *o;

	for (pp = &r->nodes; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			r->nnodes--;
			break;
		}
	}
	/* FIFO of remembered names: the oldest record is overwritten. */
	o = &r->old[r->oldhead];
	o->name = n->a.name;
	o->counter = n->counter;
	r->oldhead = (r->oldhead + 1) % EPMD_REG_REMEMBER;
	if (r->nold < EPMD_REG_REMEMBER)
		r->nold++;
	free(n);
}
