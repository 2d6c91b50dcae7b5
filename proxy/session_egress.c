/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session_egress.c - a node of ours dials out (docs/ARCHITECTURE.md,
 * "Egress"): its connection to an egress port becomes a session in the
 * mirror order, the remote reached directly when it is a node of this
 * host, else through its host's EPMD.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/ban.h"
#include "conf/conf.h"
#include "dg_log.h"
#include "egress_grace.h"
#include "link/link_conf.h"
#include "session_egress.h"
#include "session_hs.h"
#include "session_link.h"

/* ---- egress: a node of ours dials out ------------------------------------ */

static enum hs_event	admit_remote(struct session *);
static enum hs_event	admit_ours(struct session *);
static enum hs_event	resolve_remote(struct session *);
static enum hs_event	resolve_ours(struct session *);
static void		connect_remote(struct session *);
static void		connect_ours(struct session *);

/* To a remote of another host: in the clear through its host's EPMD, or
 * over a link. */
static const struct session_kind session_egress_remote = {
	.direction = "egress",
	.egress = 1,
	.arrow = "<- egress from",
	.unreachable = "peer not reachable",
	.remote_asked = 1,
	.peer_role = HS_INI,
	.dialler = LEG_NODE,
	.dialled = LEG_REMOTE,
	.admit = admit_remote,
	.connect = connect_remote,
	.resolve = resolve_remote,
};

/* To a node of this host: both legs are ours, and each direction is
 * judged by the node that receives it. */
static const struct session_kind session_egress_ours = {
	.direction = "egress",
	.egress = 1,
	.arrow = "<- egress from",
	.unreachable = "peer not reachable",
	.remote_asked = 1,
	.both_ours = 1,
	.peer_role = HS_INI,
	.dialler = LEG_NODE,
	.dialled = LEG_NODE,
	.admit = admit_ours,
	.connect = connect_ours,
	.resolve = resolve_ours,
};

void
session_start_egress(struct dg_daemon *d, int fd,
    const struct sockaddr_storage *ss, const char *target)
{
	int ours = d->is_local_node != NULL && d->is_local_node(d, target);
	struct session *s = session_new(d, fd, ss, "?", ours ?
	    &session_egress_ours : &session_egress_remote);

	if (s == NULL)
		return;
	if (session_leg_name(s->peer, target) == -1) {
		session_close(s, "out of memory");
		return;
	}
	s->local = ours;
	snprintf(s->peertext, sizeof(s->peertext), "egress");
	session_hs_init(s, HS_EGRESS, target);
	log_debug("conn %llu: egress to %s accepted", (unsigned long long)s->id,
	    target);
}

/* The cookie for a remote's leg, as bytes: the {cookie, Pattern, ...}
 * entry for it; over a link the leg is virtual and its cookie the link's
 * random one (session_link.c). */
static int
remote_cookie(const struct session *s, const uint8_t **p, size_t *n)
{
	const struct dg_cookie *c;

	if (s->peer->hs->cookie(s->peer, p, n) == 0)
		return 0;
	if ((c = conf_peer_cookie(s->conf, s->peer->name)) == NULL)
		return -1;
	*p = c->secret;
	*n = c->len;
	return 0;
}

static int	remote_address(struct session *);
static void	set_port(struct sockaddr_storage *, uint16_t);

/* A {link} entry for the remote's host: by name, or by its network. */
static const struct lk_link *
link_entry(const struct lk_conf *k, const char *host, const struct sockaddr *sa)
{
	int i;

	for (i = 0; k != NULL && k->key != NULL && i < k->nlinks; i++) {
		const struct lk_link *e = &k->links[i];

		if ((e->host != NULL && strcmp(e->host, host) == 0) ||
		    (e->is_cidr && dg_cidr_match(&e->cidr, 1, sa)))
			return e;
	}
	return NULL;
}

/*
 * How to reach a remote of another host: over a link when a {link} entry
 * names its host (or, with {trust, ...} and {plaintext, deny}, to any
 * host at the default link port), else in the clear through its host's
 * EPMD, unless {plaintext, deny}.  Returns -1 (refused, logged) when
 * there is no way.
 */
static int
choose_path(struct session *s)
{
	const struct lk_conf *k = s->conf->link;
	const char *host = strchr(s->peer->name, '@') + 1;
	const struct lk_link *e;
	uint16_t port = LK_DEFAULT_PORT;

	if (remote_address(s) != 0) {
		hs_fsm_refuse(&s->hs->fsm, NULL, NULL, "the remote's host name "
		    "does not resolve", HS_NOBODY);
		return -1;
	}
	dg_addr_text(peer_sa(s), s->peertext, sizeof(s->peertext));
	s->local = dg_local_source(s->conf->reg_from, s->conf->nreg_from,
	    peer_sa(s));
	if ((e = link_entry(k, host, peer_sa(s))) != NULL ||
	    (k != NULL && k->key != NULL && k->nanchors > 0 &&
	    k->plaintext == LK_PLAINTEXT_DENY)) {
		if (e != NULL)
			port = e->port;
		free(s->link_host);
		if ((s->link_host = strdup(e != NULL && e->host != NULL ?
		    e->host : host)) == NULL) {
			hs_fsm_refuse(&s->hs->fsm, NULL, NULL, "out of memory",
			    HS_NOBODY);
			return -1;
		}
		session_link_leg(s->peer);
		set_port(&s->peer_addr, port);
		return 0;
	}
	if (k != NULL && k->plaintext == LK_PLAINTEXT_DENY) {
		hs_fsm_refuse(&s->hs->fsm, NULL, NULL, "no {link} for the "
		    "remote's host, and {plaintext, deny}", HS_NOBODY);
		return -1;
	}
	return 0;
}

/* B's send_name: only a node registered here dials out, under its own
 * name, to a remote its policy admits.  HS_EV_NONE: go on (the caller
 * finds the way and B's cookie). */
static enum hs_event
admit_node(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	struct dg_daemon *d = s->d;
	char *at, *alive;
	int family;
	uint16_t port;

	if (session_leg_name(s->node, hs_fsm_name(h, HS_ACC)) == -1)
		return hs_fsm_refuse(h, NULL, NULL, "out of memory", HS_NOBODY);
	/* The alive part must be registered here (the host part is the
	 * node's own business: it may name any address of this host). */
	if ((at = strchr(s->node->name, '@')) == NULL)
		return hs_fsm_refuse(h, "not_allowed", "handshake.bad_name",
		    "egress from a name without a host part", HS_NOBODY);
	if ((alive = strndup(s->node->name, (size_t)(at - s->node->name))) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "out of memory", HS_NOBODY);
	free(s->alive);
	s->alive = alive;
	if (d->node_port == NULL || d->node_port(d, alive, &family, &port) != 0) {
		/* Just after a restart this is a node that has not registered
		 * again yet: refused all the same, quietly for now. */
		if (egress_grace_hold(d->grace, alive, s->node->name,
		    s->peer->name, peer_sa(s)))
			return hs_fsm_refuse(h, "not_allowed", NULL,
			    "egress from a name not registered (yet): the "
			    "daemon has just started, no alert unless it "
			    "does not register soon", HS_NOBODY);
		return hs_fsm_refuse(h, "not_allowed", "handshake.bad_name",
		    "egress from a name not registered on this host", HS_NOBODY);
	}
	/* The remote's name is final already (the engine holds it to it). */
	if (!session_guard_admits(s, s->node, s->node->name))
		return HS_EV_FAIL;
	return HS_EV_NONE;
}

/* B's cookie: admitted. */
static enum hs_event
admit_cookie(struct session *s, int remote_has_cookie)
{
	const struct dg_cookie *bc;

	if ((bc = conf_node_cookie(s->conf, s->node->name)) == NULL ||
	    !remote_has_cookie)
		return hs_fsm_refuse(&s->hs->fsm, NULL, NULL,
		    "no cookie configured", HS_NOBODY);
	return hs_fsm_admit(&s->hs->fsm, bc->secret, bc->len);
}

static enum hs_event
admit_remote(struct session *s)
{
	enum hs_event ev = admit_node(s);

	if (ev != HS_EV_NONE)
		return ev;
	if (choose_path(s) != 0)
		return HS_EV_FAIL;
	/* Over a link the remote's leg is virtual: it needs no cookie of
	 * ours. */
	return admit_cookie(s, s->peer->hs->is_virtual ||
	    conf_peer_cookie(s->conf, s->peer->name) != NULL);
}

static enum hs_event
admit_ours(struct session *s)
{
	enum hs_event ev = admit_node(s);

	if (ev != HS_EV_NONE)
		return ev;
	return admit_cookie(s, conf_node_cookie(s->conf, s->peer->name) !=
	    NULL);
}

/* The remote named itself as asked: the cookie for its leg. */
static enum hs_event
resolve_remote(struct session *s)
{
	const uint8_t *rc;
	size_t rlen;

	if (remote_cookie(s, &rc, &rlen) != 0)
		return hs_fsm_refuse(&s->hs->fsm, NULL, NULL,
		    "no cookie configured", HS_NOBODY);
	return hs_fsm_resolved(&s->hs->fsm, rc, rlen);
}

/* A node of this host must admit B by its own policy too; then its node
 * cookie. */
static enum hs_event
resolve_ours(struct session *s)
{
	const struct dg_cookie *c;

	if (!session_guard_admits(s, s->peer, s->peer->name))
		return HS_EV_FAIL;
	if ((c = conf_node_cookie(s->conf, s->peer->name)) == NULL)
		return hs_fsm_refuse(&s->hs->fsm, NULL, NULL,
		    "no cookie configured", HS_NOBODY);
	return hs_fsm_resolved(&s->hs->fsm, c->secret, c->len);
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* The remote's EPMD answered (or did not). */
static void
on_lookup(struct lookup *lk, uint16_t port, const char *why)
{
	struct session *s = lk->arg;
	char reason[200];

	if (port == 0) {
		snprintf(reason, sizeof(reason), "%.100s: its host's EPMD: %s",
		    s->peer->name, why);
		session_close(s, reason);
		return;
	}
	s->b_port = port;
	set_port(&s->peer_addr, port);
	session_connect_leg(s->peer, peer_sa(s), s->peer_addrlen);
}

/*
 * The address of the remote's host, from the host part of its name: an
 * address literal, or a name the resolver knows.  The resolver blocks:
 * it runs once per egress connection, and /etc/hosts answers at once
 * (docs/CONFIG.md says to list the hosts there).
 */
static int
remote_address(struct session *s)
{
	const char *host = strchr(s->peer->name, '@') + 1;
	struct addrinfo hints, *res = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		hints.ai_flags = AI_ADDRCONFIG;
		if (getaddrinfo(host, NULL, &hints, &res) != 0)
			return -1;
	}
	memcpy(&s->peer_addr, res->ai_addr, res->ai_addrlen);
	s->peer_addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* The alive part of the remote's name. */
static void
remote_alive(const struct session *s, char *alive, size_t len)
{
	const char *at = strchr(s->peer->name, '@');

	snprintf(alive, len, "%.*s", (int)(at - s->peer->name), s->peer->name);
}

/* B was admitted: reach the node of this host it asked for. */
static void
connect_ours(struct session *s)
{
	struct dg_daemon *d = s->d;
	char alive[DG_MAX_ALIVE_BYTES + 1];
	int family;
	uint16_t port;

	remote_alive(s, alive, sizeof(alive));
	if (d->node_port == NULL || d->node_port(d, alive, &family, &port)) {
		session_close(s, "the node asked for is gone");
		return;
	}
	s->b_family = family;
	s->b_port = port;
	session_connect_node(s);
}

/* B was admitted: reach the remote, through its host's EPMD, or straight
 * to its daemon's link port. */
static void
connect_remote(struct session *s)
{
	struct dg_daemon *d = s->d;
	char alive[DG_MAX_ALIVE_BYTES + 1];

	remote_alive(s, alive, sizeof(alive));
	if (!s->local && bans_check(d->bans, peer_sa(s), NULL, dg_now()) > 0) {
		session_close(s, "the remote's address is banned");
		return;
	}
	if (s->peer->hs->is_virtual) {
		/* Straight to the other daemon's link port: its EPMD is not
		 * asked, its daemon finds the node (session_link.c). */
		session_connect_leg(s->peer, peer_sa(s), s->peer_addrlen);
		return;
	}
	set_port(&s->peer_addr, s->conf->remote_epmd_port);
	/* Only an egress session that asks an EPMD holds a lookup. */
	if (s->hs->lookup == NULL) {
		if ((s->hs->lookup = calloc(1, sizeof(*s->hs->lookup))) == NULL) {
			session_close(s, "out of memory");
			return;
		}
		s->hs->lookup->fd = -1;
	}
	if (lookup_start(s->hs->lookup, d->loop, peer_sa(s), s->peer_addrlen,
	    alive, on_lookup, s) == -1)
		session_close(s, "cannot reach the remote's EPMD");
}
