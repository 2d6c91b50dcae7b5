/*
 * nodes.h - what distguard keeps about each node of ours across its
 * connections, keyed by the node's name: what it published through
 * global (filter/disclose.h), and the atoms each peer sent it
 * (filter/atombook.h).  Both outlive a connection: a node's atom table
 * never shrinks while it runs, and what it published stays published.
 * One table, bounded; past its bounds a node goes without (which only
 * denies more) and a pair gets a private atom book.
 */
#ifndef NODES_H
#define NODES_H

#include "filter/atombook.h"
#include "filter/idset.h"

struct node_rec;

struct atom_book {
	struct node_rec	*node;		/* NULL: private (no room) */
	char		*peer;
	struct atombook	 book;
	int		 refs;		/* live sessions using it */
};

/* The node's "published through global" set; NULL when there is no room. */
struct idset		*nodes_published(const char *node);
/* The bytes the node holds for open fragment sequences, all its
 * connections together (filter/dist_frame.h); NULL when there is no room. */
uint64_t		*nodes_frag_open(const char *node);
/* The book of atoms `peer` sent `node`, with a reference taken; NULL when
 * memory ran out. */
struct atom_book	*nodes_atoms(const char *node, const char *peer);
void			 nodes_atoms_release(struct atom_book *);

#endif
