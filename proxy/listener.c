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

#include "core/addr.h"
#include "core/alert.h"
#include "conf/conf.h"
#include "core/net.h"
#include "dg_log.h"
#include "listener.h"
#include "session.h"

#define LISTEN_BACKLOG	128

struct listener {
	ev_io			 io;
	/* An egress listener's second socket: ::1 on the same port as
	 * 127.0.0.1, for inet6 nodes (fd -1: none). */
	ev_io			 io6;
	ev_timer		 resume;
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

static void
start_accepting(struct listener *l)
{
	ev_io_start(l->d->loop, &l->io);
	if (l->io6.fd != -1)
		ev_io_start(l->d->loop, &l->io6);
}

static void
stop_accepting(struct listener *l)
{
	ev_io_stop(l->d->loop, &l->io);
	if (l->io6.fd != -1)
		ev_io_stop(l->d->loop, &l->io6);
}

static void
pause_accepting(struct listener *l)
{
	stop_accepting(l);
	ev_timer_set(&l->resume, 1.0, 0.0);
	ev_timer_start(l->d->loop, &l->resume);
}

static void
on_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *l = (struct listener *)((char *)w -
	    offsetof(struct listener, resume));

	(void)loop;
	start_accepting(l);
}

/*
 * The shared gate (net_admit): bans, the host's handshake budget in total
 * and per source, established connections per source.  Returns 1 to
 * admit; else the refusal is counted and alerted and 0 returned.
 */
static int
listener_admit(struct listener *l, const struct sockaddr_storage *ss,
    int local)
{
	struct dg_daemon *d = l->d;
	const struct sockaddr *sa = (const struct sockaddr *)ss;
	struct net_gate g;
	const char *why, *event;
	char text[64];

	memset(&g, 0, sizeof(g));
	g.what = "pending handshakes";
	g.event = "handshake.refused";
	g.by_source = d->hs_sources;
	g.count = &d->hs_pending;
	g.max = d->conf->hs_max_pending;
	g.max_per_source = d->conf->hs_max_per_source;
	g.bans = 1;
	g.max_established = d->conf->max_established_per_source;
	if ((why = net_admit(d, &g, sa, local, &event)) == NULL)
		return 1;
	if (event == NULL) {
		log_debug("listener %s: %s %s: closed", l->alive,
		    dg_addr_text(sa, text, sizeof(text)), why);
		stats_handshake(d->stats, "banned");
		return 0;
	}
	alert_emit_dir(d->alerts, event, sa, NULL, l->alive, "inbound", "%s",
	    why);
	stats_handshake(d->stats, "refused");
	return 0;
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;
	struct dg_daemon *d = l->d;
	const struct dg_conf *conf = d->conf;
	struct sockaddr_storage ss;
	socklen_t slen;
	int fd, k, local;

	for (k = 0; k < 64; k++) {
		fd = net_accept(d, w->fd, &ss, &slen);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warnx("listener %s: out of file descriptors; "
				    "not accepting for 1s", l->alive);
				pause_accepting(l);
			}
			return;
		}
		local = dg_local_source(conf->reg_from, conf->nreg_from,
		    (struct sockaddr *)&ss);
		if (l->target[0] != '\0') {
			/* Only the host's own nodes dial out through us. */
			if (!local)
				close(fd);
			else
				session_start_egress(d, fd, &ss, l->target);
			continue;
		}
		if (!listener_admit(l, &ss, local)) {
			close(fd);
			continue;
		}
		session_start(d, fd, &ss, l->alive, l->b_family, l->b_port);
	}
}

static int
bind_port(const struct dg_sockaddr *base, uint16_t port, int v6only)
{
	struct sockaddr_storage ss = base->ss;

	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	/* A listener on "::" takes IPv4 peers too (as ::ffff:a.b.c.d). */
	return net_listen((struct sockaddr *)&ss, base->len, LISTEN_BACKLOG,
	    v6only);
}

/* A listening socket on a free port of the configured range, at `at`. */
static int
open_in_range(const struct dg_conf *conf, const struct dg_sockaddr *at,
    const char *what, unsigned *portp)
{
	unsigned port;
	int fd = -1;

	for (port = conf->listen_port_min; port <= conf->listen_port_max; port++) {
		if ((fd = bind_port(at, (uint16_t)port, 0)) != -1) {
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
 * out.  A host without ::1 gets 127.0.0.1 alone (*fd6 = -1).
 */
static int
open_loopback_pair(const struct dg_conf *conf, const char *what,
    unsigned *portp, int *fd6)
{
	struct dg_sockaddr lo4, lo6;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&lo4.ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&lo6.ss;
	unsigned port, lo, hi;
	int fd;

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
		if ((fd = bind_port(&lo4, (uint16_t)port, 0)) == -1) {
			if (errno == EADDRINUSE)
				continue;
			log_warn("listener %s: cannot listen on 127.0.0.1 port %u",
			    what, port);
			return -1;
		}
		if ((*fd6 = bind_port(&lo6, (uint16_t)port, 1)) != -1 ||
		    errno != EADDRINUSE) {
			if (*fd6 == -1)
				log_warn("listener %s: no ::1 on port %u; "
				    "inet6 nodes cannot use it", what, port);
			*portp = port;
			return fd;
		}
		close(fd);
	}
	log_warnx("listener %s: no port free on both 127.0.0.1 and ::1 in "
	    "the egress pool %u..%u", what, lo, hi);
	return -1;
}

/* A listener accepting on fd (and fd6, when not -1) at port. */
static struct listener *
listener_wrap(struct dg_daemon *d, int fd, int fd6, unsigned port,
    const char *what)
{
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warnx("listener %s: out of memory", what);
		close(fd);
		if (fd6 != -1)
			close(fd6);
		return NULL;
	}
	l->d = d;
	l->port = (uint16_t)port;
	ev_io_init(&l->io, on_accept, fd, EV_READ);
	l->io.data = l;
	ev_io_init(&l->io6, on_accept, fd6, EV_READ);
	l->io6.data = l;
	ev_timer_init(&l->resume, on_resume, 1.0, 0.0);
	start_accepting(l);
	return l;
}

static struct listener *
listener_new(struct dg_daemon *d, const struct dg_sockaddr *at,
    const char *what)
{
	unsigned port = 0;
	int fd;

	if ((fd = open_in_range(d->conf, at, what, &port)) == -1)
		return NULL;
	return listener_wrap(d, fd, -1, port, what);
}

struct listener *
listener_open(struct dg_daemon *d, const char *alive, int b_family,
    uint16_t b_port, int is_cnode)
{
	struct listener *l = listener_new(d, &d->conf->listen_addr, alive);

	if (l == NULL)
		return NULL;
	snprintf(l->alive, sizeof(l->alive), "%s", alive);
	l->b_family = b_family;
	l->b_port = b_port;
	l->is_cnode = is_cnode;
	return l;
}

struct listener *
listener_open_egress(struct dg_daemon *d, const char *target)
{
	struct listener *l;
	unsigned port = 0;
	int fd, fd6 = -1;

	/* Loopback only, whatever the inbound listeners' address: only the
	 * host's own nodes may dial out through us. */
	if ((fd = open_loopback_pair(d->conf, target, &port, &fd6)) == -1)
		return NULL;
	if ((l = listener_wrap(d, fd, fd6, port, target)) == NULL)
		return NULL;
	snprintf(l->target, sizeof(l->target), "%s", target);
	snprintf(l->alive, sizeof(l->alive), "egress");
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
	stop_accepting(l);
	ev_timer_stop(l->d->loop, &l->resume);
	close(l->io.fd);
	if (l->io6.fd != -1)
		close(l->io6.fd);
	free(l);
}
