/* SPDX-License-Identifier: Apache-2.0 */
/*
 * listener.c - the filtering listener of one registered node.
 *
 * Owns the listening socket.  Refuses, before reading a byte: banned
 * sources, and sources over the caps on pending handshakes; everything
 * else becomes a session.  Local sources (registration_from) are the
 * host's own nodes, all on one address: they are never refused by address
 * here (a ban on them is per claimed node name, checked by the session once
 * the name is read), and only the global cap applies to them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/accept.h"
#include "core/addr.h"
#include "core/alert.h"
#include "conf/conf.h"
#include "core/net.h"
#include "core/stats.h"
#include "dg_log.h"
#include "listener.h"
#include "session_egress.h"
#include "session_start.h"

struct listener {
	/* Its listening socket; an egress listener's second one, ::1 on
	 * the same port as 127.0.0.1, for inet6 nodes (fd -1: none). */
	struct acceptor		 acc;
	struct acceptor		 acc6;
	struct dg_daemon	*d;
	char			 alive[DG_MAX_ALIVE_BYTES + 1];
	int			 b_family;
	uint16_t		 b_port;
	uint16_t		 port;
	int			 is_cnode;
	/* An egress listener: the remote node a node of ours dials through
	 * it (empty for a node's inbound listener). */
	char			 target[DG_MAX_NODE_BYTES + 1];
};

static int
listener_local(const struct listener *l, const struct sockaddr *sa)
{
	const struct dg_conf *conf = l->d->conf;

	return dg_local_source(conf->reg_from, conf->nreg_from, sa);
}

/*
 * The acceptor's gate.  An egress listener: only the host's own nodes
 * dial out through us, anything else is closed.  A node's listener: the
 * shared gate (net_gate_pass): bans, the host's handshake budget in total
 * and per source, established connections per source.
 */
static int
listener_admit(void *owner, const struct sockaddr *sa)
{
	struct listener *l = owner;
	struct dg_daemon *d = l->d;
	struct net_gate g;
	int local = listener_local(l, sa);

	if (l->target[0] != '\0')
		return local;
	memset(&g, 0, sizeof(g));
	g.what = "pending handshakes";
	g.event = "handshake.refused";
	g.by_source = d->hs_sources;
	g.count = &d->hs_pending;
	g.max = d->conf->hs_max_pending;
	g.max_per_source = d->conf->hs_max_per_source;
	g.bans = 1;
	g.max_established = d->conf->max_established_per_source;
	g.name = l->acc.name;
	g.node = l->alive;
	g.dir = "inbound";
	return net_gate_pass(d, &g, sa, local);
}

static void
listener_conn(void *owner, int fd, const struct sockaddr_storage *ss)
{
	struct listener *l = owner;

	if (l->target[0] != '\0')
		session_start_egress(l->d, fd, ss, l->target);
	else
		session_start(l->d, fd, ss, l->alive, l->b_family, l->b_port);
}

static int
bind_port(struct acceptor *acc, const struct dg_sockaddr *base, uint16_t port,
    int v6only)
{
	struct sockaddr_storage ss = base->ss;

	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	/* A listener on "::" takes IPv4 peers too (as ::ffff:a.b.c.d). */
	return accept_listen(acc, (struct sockaddr *)&ss, base->len, v6only);
}

/* A listening socket on a free port of the configured range, at `at`. */
static int
open_in_range(struct listener *l, const struct dg_sockaddr *at,
    const char *what, unsigned *portp)
{
	const struct dg_conf *conf = l->d->conf;
	unsigned port;
	int fd = -1;

	for (port = conf->listen_port_min; port <= conf->listen_port_max; port++) {
		if ((fd = bind_port(&l->acc, at, (uint16_t)port, 0)) != -1) {
			*portp = port;
			return fd;
		}
		if (errno != EADDRINUSE) {
			log_warn("listener %s: cannot listen on %s port %u", what,
			    at->text, port);
			return -1;
		}
	}
	log_warnx("listener %s: no free port in %u..%u", what,
	    conf->listen_port_min, conf->listen_port_max);
	return -1;
}

/*
 * The egress pool: its own ports, never the listeners' (a port egress
 * took is one no node could register on).  Unset, as many ports as the
 * listeners have right after theirs, or right before when that passes
 * 32767 (the kernel's ephemeral ports start above).
 */
static void
egress_range(const struct dg_conf *conf, unsigned *lo, unsigned *hi)
{
	unsigned n = (unsigned)conf->listen_port_max - conf->listen_port_min + 1;

	if (conf->egress_port_min != 0) {
		*lo = conf->egress_port_min;
		*hi = conf->egress_port_max;
	} else if (conf->listen_port_max + n <= 32767) {
		*lo = conf->listen_port_max + 1u;
		*hi = conf->listen_port_max + n;
	} else {
		*lo = conf->listen_port_min > n ? conf->listen_port_min - n : 1;
		*hi = conf->listen_port_min > 1 ? conf->listen_port_min - 1u : 0;
	}
}

/*
 * The egress pair: 127.0.0.1 and ::1 on one free port of the pool, so
 * that inet4 and inet6 nodes dial the same port distguard_epmd hands
 * out.  A host without ::1 gets 127.0.0.1 alone (acc6 without a socket).
 */
static int
open_loopback_pair(struct listener *l, const char *what, unsigned *portp)
{
	const struct dg_conf *conf = l->d->conf;
	struct dg_sockaddr lo4, lo6;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&lo4.ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&lo6.ss;
	unsigned port, lo, hi;
	int fd, fd6;

	memset(&lo4, 0, sizeof(lo4));
	a4->sin_family = AF_INET;
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lo4.len = sizeof(*a4);
	memset(&lo6, 0, sizeof(lo6));
	a6->sin6_family = AF_INET6;
	a6->sin6_addr = in6addr_loopback;
	lo6.len = sizeof(*a6);
	egress_range(conf, &lo, &hi);
	for (port = lo; port <= hi; port++) {
		if ((fd = bind_port(&l->acc, &lo4, (uint16_t)port, 0)) == -1) {
			if (errno == EADDRINUSE)
				continue;
			log_warn("listener %s: cannot listen on 127.0.0.1 port %u",
			    what, port);
			return -1;
		}
		if ((fd6 = bind_port(&l->acc6, &lo6, (uint16_t)port, 1)) != -1 ||
		    errno != EADDRINUSE) {
			if (fd6 == -1)
				log_warn("listener %s: no ::1 on port %u; "
				    "inet6 nodes cannot use it", what, port);
			*portp = port;
			return fd;
		}
		accept_close(&l->acc);
	}
	log_warnx("listener %s: no port free on both 127.0.0.1 and ::1 in "
	    "the egress pool %u..%u", what, lo, hi);
	return -1;
}

/* A listener, not yet listening: its acceptors set up. */
static struct listener *
listener_alloc(struct dg_daemon *d, const char *what, int egress)
{
	struct listener *l;
	char name[16 + DG_MAX_NODE_BYTES];
	enum accept_kind kind = egress ? ACCEPT_EGRESS : ACCEPT_INBOUND;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warnx("listener %s: out of memory", what);
		return NULL;
	}
	l->d = d;
	snprintf(name, sizeof(name), "listener %s", what);
	accept_init(&l->acc, d, kind, name, d->conf->listen_backlog,
	    listener_admit, listener_conn, l);
	accept_init(&l->acc6, d, kind, name, d->conf->listen_backlog,
	    listener_admit, listener_conn, l);
	return l;
}

struct listener *
listener_open(struct dg_daemon *d, const char *alive, int b_family,
    uint16_t b_port, int is_cnode)
{
	struct listener *l = listener_alloc(d, alive, 0);
	unsigned port = 0;

	if (l == NULL)
		return NULL;
	snprintf(l->alive, sizeof(l->alive), "%s", alive);
	l->b_family = b_family;
	l->b_port = b_port;
	l->is_cnode = is_cnode;
	if (open_in_range(l, &d->conf->listen_addr, alive, &port) == -1) {
		free(l);
		return NULL;
	}
	l->port = (uint16_t)port;
	return l;
}

struct listener *
listener_open_egress(struct dg_daemon *d, const char *target)
{
	struct listener *l = listener_alloc(d, target, 1);
	unsigned port = 0;

	if (l == NULL)
		return NULL;
	snprintf(l->target, sizeof(l->target), "%s", target);
	snprintf(l->alive, sizeof(l->alive), "egress");
	/* Loopback only, whatever the inbound listeners' address: only the
	 * host's own nodes may dial out through us. */
	if (open_loopback_pair(l, target, &port) == -1) {
		free(l);
		return NULL;
	}
	l->port = (uint16_t)port;
	return l;
}

uint16_t
listener_port(const struct listener *l)
{
	return l->port;
}

void
listener_close(struct listener *l)
{
	accept_close(&l->acc);
	accept_close(&l->acc6);
	free(l);
}
