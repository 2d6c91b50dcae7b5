/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nodes.h - what distguard keeps about each node of ours across its
 * connections, keyed by the node's alive part (one registration per
 * name on this host): what it published through global
 * (filter/disclose.h), and the atoms peers made it see
 * (filter/atombook.h).  Both outlive a connection: a node's atom table
 * never shrinks while it runs, and what it published stays published.
 *
 * The atoms are counted four ways (docs/FILTER.md 12), so that no way of
 * splitting an attack - new names, new connections, new addresses - adds
 * up to more than the node's own budget:
 *   - per (node, peer name): the distinct atoms that peer sent it;
 *   - per node: the distinct atoms every peer together sent it, and the
 *     names of the peers that shook hands with it (each is an atom there);
 *   - per (node, source address) and per (node, cookie): how many of the
 *     node's atoms that source, that cookie's holders, brought first.
 * One table, bounded; past its bounds a node goes without (which only
 * denies more) and a pair gets a private book.
 */
#ifndef NODES_H
#define NODES_H

#include "conf/conf.h"
#include "filter/atombook.h"
#include "filter/idset.h"

struct node_rec;

/* A share of a node's budget: a source address's or a cookie's. */
struct node_share {
	char		key[80];	/* "addr 10.0.0.1", "cookie default" */
	uint64_t	count;		/* atoms of the node it brought first */
};

struct atom_book {
	struct node_rec		*node;		/* NULL: no room for the node */
	int			 private_book;	/* outside the table (no room),
						 * freed with its last session */
	char			*peer;
	struct atombook		 book;
	int			 refs;		/* live sessions using it */
	/* The shares the pair's last connection charges. */
	struct node_share	*src, *cookie;
};

/* What a charge was refused for (nodes_charge*): NULL when it was not. */
struct nodes_refusal {
	const char	*budget;	/* "peer name", "local node", ... */
	int64_t		 bound;
	uint64_t	 count;
};

/* The node's "published through global" set; NULL when there is no room. */
struct idset		*nodes_published(const char *node);
/* The bytes the node holds for open fragment sequences, all its
 * connections together (filter/dist_frame.h); NULL when there is no room. */
uint64_t		*nodes_frag_open(const char *node);
/*
 * What `node` disclosed to `peer` on a connection that ended, kept for
 * the next one between them: ERTS sends a reply, or global a late
 * message, on a new connection when the old one went while it was owed,
 * and it names a pid shown on the old one.  Keep takes *set over (it is
 * freed when there is no room); take hands it back, once, within 60 s of
 * the end, and returns 1 (0: none, *out untouched).  At most 8 per node.
 */
void			 nodes_keep_disclosed(const char *node,
			    const char *peer, struct idset *set, double now);
int			 nodes_take_disclosed(const char *node,
			    const char *peer, struct idset *out, double now);
/*
 * The book of atoms `peer` sent `node`, with a reference taken, charging
 * the shares of source `src` and cookie `cookie` (keys, as
 * nodes_share_key makes them); NULL when memory ran out.
 */
struct atom_book	*nodes_atoms(const char *node, const char *peer,
			    const char *src, const char *cookie);
void			 nodes_atoms_release(struct atom_book *);
/*
 * Counts the atom of hash h (text at a) in the pair's book and, when the
 * node has not seen it, in the node's budget and the shares.  Returns 0,
 * or -1 with *r filled when one of the budgets is spent (nothing is then
 * counted; the caller must not let the atom through).  peer_budget <= 0:
 * the pair's own book has no bound.
 */
int			 nodes_charge(struct atom_book *, uint64_t h,
			    const uint8_t *a, int64_t peer_budget,
			    const struct dg_conf *, struct nodes_refusal *r);
/*
 * A handshake's name: the peer's node name becomes an atom of `node`
 * when the node reads it.  Charged to the node and to the shares of src
 * and cookie as any new atom is; 0, or -1 with *r filled.
 */
int			 nodes_charge_name(const char *node, const char *peer,
			    const char *src, const char *cookie,
			    const struct dg_conf *, struct nodes_refusal *r);
/* "addr <numeric address>" for a share key. */
void			 nodes_share_key(const struct sockaddr *, char *, size_t);
/* Forgets every node (tests, daemon exit). */
void			 nodes_reset(void);

#endif
