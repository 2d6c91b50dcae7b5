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

#include "dg_log.h"
#include "epmd_srv.h"
#include "listener.h"
#include "session.h"

#define LISTEN_BACKLOG	128

struct listener {
	ev_io			 io;
	ev_timer		 resume;
	struct dg_daemon	*d;
	char			 alive[DG_MAX_ALIVE_BYTES + 1];
	int			 b_family;
	uint16_t		 b_port;
	uint16_t		 port;
	int			 is_cnode;
};

static void
pause_accepting(struct listener *l)
{
	ev_io_stop(l->d->loop, &l->io);
	ev_timer_set(&l->resume, 1.0, 0.0);
	ev_timer_start(l->d->loop, &l->resume);
}

static void
on_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener *l = (struct listener *)((char *)w -
	    offsetof(struct listener, resume));

	ev_io_start(loop, &l->io);
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = (struct listener *)w;
	struct dg_daemon *d = l->d;
	const struct dg_conf *conf = d->conf;
	struct sockaddr_storage ss;
	socklen_t slen;
	double left;
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
		local = dg_cidr_match(conf->reg_from, conf->nreg_from,
		    (struct sockaddr *)&ss);
		/* A banned source is closed without reading a byte. */
		left = local ? 0 :
		    bans_check(d->bans, (struct sockaddr *)&ss, NULL, dg_now());
		if (left > 0) {
			char text[64];

			log_debug("listener %s: %s banned for %.0fs more: closed",
			    l->alive, dg_addr_text((struct sockaddr *)&ss, text,
			    sizeof(text)), left);
			stats_handshake(d->stats, "banned");
			close(fd);
			continue;
		}
		if (d->hs_pending >= conf->hs_max_pending || (!local &&
		    srccount_get(d->hs_sources, (struct sockaddr *)&ss) >=
		    conf->hs_max_per_source)) {
			alert_emit(d->alerts, "handshake.refused",
			    (struct sockaddr *)&ss, NULL, l->alive,
			    "too many pending handshakes (%d in total)",
			    d->hs_pending);
			stats_handshake(d->stats, "refused");
			close(fd);
			continue;
		}
		session_start(d, fd, &ss, l->alive, l->b_family, l->b_port);
	}
}

static int
bind_port(const struct dg_sockaddr *base, uint16_t port)
{
	struct sockaddr_storage ss = base->ss;

	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	/* A listener on "::" takes IPv4 peers too (as ::ffff:a.b.c.d). */
	return net_listen((struct sockaddr *)&ss, base->len, LISTEN_BACKLOG, 0);
}

struct listener *
listener_open(struct dg_daemon *d, const char *alive, int b_family,
    uint16_t b_port, int is_cnode)
{
	const struct dg_conf *conf = d->conf;
	struct listener *l;
	unsigned port;
	int fd = -1;

	for (port = conf->listen_port_min; port <= conf->listen_port_max; port++) {
		if ((fd = bind_port(&conf->listen_addr, (uint16_t)port)) != -1)
			break;
		if (errno != EADDRINUSE) {
			log_warn("listener %s: cannot listen on %s port %u", alive,
			    conf->listen_addr.text, port);
			return NULL;
		}
	}
	if (fd == -1) {
		log_warnx("listener %s: no free port in %u..%u", alive,
		    conf->listen_port_min, conf->listen_port_max);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatalx("out of memory");
	l->d = d;
	snprintf(l->alive, sizeof(l->alive), "%s", alive);
	l->b_family = b_family;
	l->b_port = b_port;
	l->port = (uint16_t)port;
	l->is_cnode = is_cnode;
	ev_io_init(&l->io, on_accept, fd, EV_READ);
	ev_timer_init(&l->resume, on_resume, 1.0, 0.0);
	ev_io_start(d->loop, &l->io);
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
	ev_io_stop(l->d->loop, &l->io);
	ev_timer_stop(l->d->loop, &l->resume);
	close(l->io.fd);
	free(l);
}

/* Does `node` (alive@host) name a node registered here?  The host part
 * must be one of this host's names for it to collide. */
int
listener_local_name(struct dg_daemon *d, const char *node)
{
	const char *at = strchr(node, '@'), *host;

	if (at == NULL || d->epmd == NULL)
		return 0;
	host = at + 1;
	if (strcmp(host, d->hostname) != 0 && strcmp(host, d->hostshort) != 0 &&
	    strcmp(host, "localhost") != 0 && strcmp(host, "127.0.0.1") != 0 &&
	    strcmp(host, "::1") != 0)
		return 0;
	return epmd_reg_find(epmd_srv_registry(d->epmd), node,
	    (size_t)(at - node)) != NULL;
}
