/*
 * nodes.c - the table of nodes of ours (nodes.h).  One event loop: plain
 * arrays, searched linearly (a host runs a handful of nodes; the lookups
 * happen once per connection, not per message).
 */
#include <stdlib.h>
#include <string.h>

#include "dg_log.h"
#include "nodes.h"

#define NODES_MAX	256
/* Atom books, all nodes together: pairs without a live connection give
 * their slot up when the table is full. */
#define ATOM_BOOKS	1024

struct node_rec {
	char		*name;
	struct idset	 published;
	uint64_t	 frag_open;	/* filter/dist_frame.h df_bounds.node_open */
};

static struct node_rec	 nodes[NODES_MAX];
static int		 nnodes;
static struct atom_book	 books[ATOM_BOOKS];
static int		 nbooks;

/* The node's record, made on first use; NULL when there is no room. */
static struct node_rec *
node_of(const char *name)
{
	int i;

	for (i = 0; i < nnodes; i++)
		if (strcmp(nodes[i].name, name) == 0)
			return &nodes[i];
	if (nnodes == NODES_MAX || (nodes[nnodes].name = strdup(name)) == NULL) {
		log_warnx("no room to keep the state of node %s", name);
		return NULL;
	}
	idset_init(&nodes[nnodes].published, IDSET_DEFAULT_MAX);
	return &nodes[nnodes++];
}

struct idset *
nodes_published(const char *node)
{
	struct node_rec *n = node_of(node);

	return n ? &n->published : NULL;
}

uint64_t *
nodes_frag_open(const char *node)
{
	struct node_rec *n = node_of(node);

	return n ? &n->frag_open : NULL;
}

static struct atom_book *
book_init(struct atom_book *bk, struct node_rec *n, const char *peer)
{
	memset(bk, 0, sizeof(*bk));
	if ((bk->peer = strdup(peer)) == NULL)
		return NULL;
	bk->node = n;
	atombook_init(&bk->book);
	return bk;
}

static void
book_clear(struct atom_book *bk)
{
	free(bk->peer);
	atombook_free(&bk->book);
	memset(bk, 0, sizeof(*bk));
}

/* A book outside the table, freed with its last session. */
static struct atom_book *
book_private(const char *peer)
{
	struct atom_book *bk = malloc(sizeof(*bk));

	if (bk == NULL || book_init(bk, NULL, peer) == NULL) {
		free(bk);
		return NULL;
	}
	return bk;
}

/* The pair's book: found, made, an idle slot recycled, or private. */
static struct atom_book *
book_find(const char *node, const char *peer)
{
	struct node_rec *n = node_of(node);
	int i, idle = -1;

	if (n == NULL)
		return book_private(peer);
	for (i = 0; i < nbooks; i++) {
		if (books[i].node == n && strcmp(books[i].peer, peer) == 0)
			return &books[i];
		if (books[i].refs == 0 && idle < 0)
			idle = i;
	}
	if (nbooks < ATOM_BOOKS)
		return book_init(&books[nbooks], n, peer) != NULL ?
		    &books[nbooks++] : NULL;
	if (idle >= 0) {
		book_clear(&books[idle]);
		return book_init(&books[idle], n, peer);
	}
	return book_private(peer);
}

struct atom_book *
nodes_atoms(const char *node, const char *peer)
{
	struct atom_book *bk = book_find(node, peer);

	if (bk != NULL)
		bk->refs++;
	return bk;
}

void
nodes_atoms_release(struct atom_book *bk)
{
	if (bk == NULL || --bk->refs > 0)
		return;
	if (bk->node == NULL) {
		book_clear(bk);
		free(bk);
	}
}
