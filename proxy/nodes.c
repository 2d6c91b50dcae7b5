/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nodes.c - the table of nodes of ours (nodes.h).  One event loop: plain
 * arrays, searched linearly (a host runs a handful of nodes; the lookups
 * happen once per connection, not per message).
 */
#include <sys/socket.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "core/addr.h"
#include "dg_log.h"
#include "nodes.h"

#define NODES_MAX	256
/* Atom books, all nodes together: pairs without a live connection give
 * their slot up when the table is full. */
#define ATOM_BOOKS	1024
/* Shares per node (sources and cookies together).  Past them, every new
 * key shares the last one: more sources than that only count together,
 * which makes each one's share smaller, never larger. */
#define NODE_SHARES	128
/* Ended connections whose disclosures a node keeps, and for how long. */
#define NODES_KEPT	8
#define NODES_KEPT_SECS	60.0

/* The disclosures of a connection of the node's that ended, by peer name
 * (nodes_keep_disclosed). */
struct kept_set {
	char			*peer;		/* NULL: free slot */
	double			 at;		/* when its connection ended */
	struct idset		 set;
};

struct node_rec {
	char			*name;
	size_t			 alive_len;	/* the key: name up to '@' */
	struct idset		 published;
	uint64_t		 frag_open;	/* filter/dist_frame.h df_bounds.node_open */
	struct atombook		 all;		/* every atom peers sent it */
	struct node_share	 shares[NODE_SHARES];
	int			 nshares;
	struct kept_set		 kept[NODES_KEPT];
};

static struct node_rec	 nodes[NODES_MAX];
static int		 nnodes;
/* Past NODES_MAX names, the atoms of every further node are counted
 * together here: one bound for all of them, which only refuses sooner.
 * (Their published sets are not shared: they go without, as nodes.h
 * says.) */
static struct node_rec	 overflow;
static struct atom_book	 books[ATOM_BOOKS];
static int		 nbooks;

static size_t
alive_len(const char *name)
{
	return strcspn(name, "@");
}

/* The node's record, made on first use; NULL when there is no room. */
static struct node_rec *
node_of(const char *name)
{
	size_t len = alive_len(name);
	struct node_rec *n;
	int i;

	for (i = 0; i < nnodes; i++)
		if (nodes[i].alive_len == len &&
		    memcmp(nodes[i].name, name, len) == 0)
			return &nodes[i];
	if (nnodes == NODES_MAX || (nodes[nnodes].name = strdup(name)) == NULL) {
		log_warnx("no room to keep the state of node %s", name);
		return NULL;
	}
	n = &nodes[nnodes++];
	n->alive_len = len;
	idset_init(&n->published, IDSET_DEFAULT_MAX);
	atombook_init(&n->all);
	n->nshares = 0;
	return n;
}

struct idset *
nodes_published(const char *node)
{
	struct node_rec *n = node_of(node);

	return n ? &n->published : NULL;
}

static void
kept_clear(struct kept_set *k)
{
	free(k->peer);
	k->peer = NULL;
	idset_free(&k->set);
}

void
nodes_keep_disclosed(const char *node, const char *peer, struct idset *set,
    double now)
{
	struct node_rec *n = node_of(node);
	struct kept_set *k, *slot = NULL;
	char *copy;
	int i;

	if (n == NULL || peer == NULL || (copy = strdup(peer)) == NULL) {
		idset_free(set);
		return;
	}
	/* The peer's own slot, else a free one, else the oldest. */
	for (i = 0; i < NODES_KEPT; i++) {
		k = &n->kept[i];
		if (k->peer != NULL && strcmp(k->peer, peer) == 0) {
			slot = k;
			break;
		}
		if (slot == NULL || (slot->peer != NULL &&
		    (k->peer == NULL || k->at < slot->at)))
			slot = k;
	}
	if (slot->peer != NULL)
		kept_clear(slot);
	slot->peer = copy;
	slot->at = now;
	slot->set = *set;		/* moved: the caller's is gone */
}

int
nodes_take_disclosed(const char *node, const char *peer, struct idset *out,
    double now)
{
	struct node_rec *n = node_of(node);
	struct kept_set *k;
	int i;

	if (n == NULL || peer == NULL)
		return 0;
	for (i = 0; i < NODES_KEPT; i++) {
		k = &n->kept[i];
		if (k->peer == NULL || strcmp(k->peer, peer) != 0)
			continue;
		if (now - k->at > NODES_KEPT_SECS) {
			kept_clear(k);
			return 0;
		}
		*out = k->set;
		free(k->peer);
		k->peer = NULL;
		return 1;
	}
	return 0;
}

uint64_t *
nodes_frag_open(const char *node)
{
	struct node_rec *n = node_of(node);

	return n ? &n->frag_open : NULL;
}

/* The node's share for key, made on first use (the last one past room). */
static struct node_share *
share_of(struct node_rec *n, const char *key)
{
	struct node_share *sh;
	int i;

	if (n == NULL || key == NULL)
		return NULL;
	for (i = 0; i < n->nshares; i++)
		if (strcmp(n->shares[i].key, key) == 0)
			return &n->shares[i];
	if (n->nshares == NODE_SHARES) {
		sh = &n->shares[NODE_SHARES - 1];
		snprintf(sh->key, sizeof(sh->key), "%s", "(others)");
		return sh;
	}
	sh = &n->shares[n->nshares++];
	snprintf(sh->key, sizeof(sh->key), "%s", key);
	sh->count = 0;
	return sh;
}

void
nodes_share_key(const struct sockaddr *sa, char *buf, size_t len)
{
	struct dg_addr_key k;
	char text[64];

	dg_addr_key_of(sa, &k);
	snprintf(buf, len, "addr %s", dg_addr_key_text(&k, text, sizeof(text)));
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

/* A book outside the table, freed with its last session.  It still
 * charges the node's own book and the shares: a thousand live
 * connections must not open a way around the node's bound. */
static struct atom_book *
book_private(struct node_rec *n, const char *peer)
{
	struct atom_book *bk = malloc(sizeof(*bk));

	if (bk == NULL || book_init(bk, n, peer) == NULL) {
		free(bk);
		return NULL;
	}
	bk->private_book = 1;
	return bk;
}

/*
 * The pair's book: found, made, an idle slot recycled, or private.  A
 * recycled or private book starts again from nothing for that pair; the
 * node's own book and the shares never do, so the node's bound holds.
 */
static struct atom_book *
book_find(struct node_rec *n, const char *peer)
{
	int i, idle = -1;

	if (n == NULL)
		return book_private(NULL, peer);
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
	return book_private(n, peer);
}

/* The record a node's atoms are counted in: its own, or the shared one. */
static struct node_rec *
atoms_rec(const char *node)
{
	struct node_rec *n = node_of(node);

	if (n != NULL)
		return n;
	if (overflow.name == NULL) {
		if ((overflow.name = strdup("(others)")) == NULL)
			return NULL;
		atombook_init(&overflow.all);
	}
	return &overflow;
}

struct atom_book *
nodes_atoms(const char *node, const char *peer, const char *src,
    const char *cookie)
{
	struct node_rec *n = atoms_rec(node);
	struct atom_book *bk = book_find(n, peer);

	if (bk != NULL) {
		bk->refs++;
		bk->src = share_of(n, src);
		bk->cookie = share_of(n, cookie);
	}
	return bk;
}

void
nodes_atoms_release(struct atom_book *bk)
{
	if (bk == NULL || --bk->refs > 0)
		return;
	if (bk->private_book) {
		book_clear(bk);
		free(bk);
	}
}

static int
refuse(struct nodes_refusal *r, const char *budget, int64_t bound,
    uint64_t count)
{
	r->budget = budget;
	r->bound = bound;
	r->count = count;
	return -1;
}

/* Room for one more atom of node n, new to it, from these shares? */
static int
node_room(struct node_rec *n, struct node_share *src, struct node_share *ck,
    const struct dg_conf *c, struct nodes_refusal *r)
{
	if (n->all.count >= (uint64_t)c->node_atoms)
		return refuse(r, "local node", c->node_atoms, n->all.count);
	if (src != NULL && src->count >= (uint64_t)c->source_atoms)
		return refuse(r, "source address", c->source_atoms, src->count);
	if (ck != NULL && ck->count >= (uint64_t)c->cookie_atoms)
		return refuse(r, "cookie", c->cookie_atoms, ck->count);
	return 0;
}

/* Enters an atom new to node n, charged to the shares. */
static int
node_take(struct node_rec *n, struct node_share *src, struct node_share *ck,
    uint64_t h, const uint8_t *a, struct nodes_refusal *r)
{
	if (atombook_add(&n->all, h, a, 0) == -1)
		return refuse(r, "memory", 0, n->all.count);
	if (src != NULL)
		src->count++;
	if (ck != NULL)
		ck->count++;
	return 0;
}

int
nodes_charge(struct atom_book *bk, uint64_t h, const uint8_t *a,
    int64_t peer_budget, const struct dg_conf *c, struct nodes_refusal *r)
{
	struct node_rec *n = bk->node;
	int fresh;

	r->budget = NULL;
	if (idset_has(&bk->book.set, h, 0))
		return 0;
	if (peer_budget > 0 && bk->book.count >= (uint64_t)peer_budget)
		return refuse(r, "peer name", peer_budget, bk->book.count);
	fresh = n != NULL && !idset_has(&n->all.set, h, 0);
	if (fresh && node_room(n, bk->src, bk->cookie, c, r) == -1)
		return -1;
	if (atombook_add(&bk->book, h, a, 0) == -1)
		return refuse(r, "memory", 0, bk->book.count);
	return fresh ? node_take(n, bk->src, bk->cookie, h, a, r) : 0;
}

int
nodes_charge_name(const char *node, const char *peer, const char *src,
    const char *cookie, const struct dg_conf *c, struct nodes_refusal *r)
{
	struct node_rec *n = atoms_rec(node);
	struct node_share *ss, *cs;
	uint8_t term[3 + 255];
	size_t len = strlen(peer);
	uint64_t h;

	r->budget = NULL;
	/* The node reads the name as a Latin-1 atom: hashed as an ATOM_EXT
	 * of the same bytes would be, so that the name sent again later as
	 * an atom is the same member. */
	if (n == NULL || len > 255)
		return n == NULL ? 0 : refuse(r, "name length", 255, len);
	term[0] = 100;
	term[1] = (uint8_t)(len >> 8);
	term[2] = (uint8_t)len;
	memcpy(term + 3, peer, len);
	if (atombook_has(&n->all, term, &h))
		return 0;
	ss = share_of(n, src);
	cs = share_of(n, cookie);
	if (node_room(n, ss, cs, c, r) == -1)
		return -1;
	return node_take(n, ss, cs, h, term, r);
}

void
nodes_reset(void)
{
	int i, j;

	for (i = 0; i < nbooks; i++)
		book_clear(&books[i]);
	nbooks = 0;
	for (i = 0; i < nnodes; i++) {
		free(nodes[i].name);
		idset_free(&nodes[i].published);
		for (j = 0; j < NODES_KEPT; j++)
			if (nodes[i].kept[j].peer != NULL)
				kept_clear(&nodes[i].kept[j]);
		atombook_free(&nodes[i].all);
		memset(&nodes[i], 0, sizeof(nodes[i]));
	}
	nnodes = 0;
	if (overflow.name != NULL) {
		free(overflow.name);
		atombook_free(&overflow.all);
		memset(&overflow, 0, sizeof(overflow));
	}
}
