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

#include "dg_log.h"
#include "session_int.h"

/* ---- egress: a node of ours dials out ------------------------------------ */

const char *
session_direction(const struct session *s)
{
	return s->egress ? "egress" : "inbound";
}

void
session_start_egress(struct dg_daemon *d, int fd,
    const struct sockaddr_storage *ss, const char *target)
{
	/* The remote may be a node of this host: then both legs are ours,
	 * and each direction is judged by the node that receives it. */
	int ours = d->is_local_node != NULL && d->is_local_node(d, target);
	struct session *s = session_new(d, fd, ss, "?", LEG_NODE,
	    ours ? LEG_NODE : LEG_REMOTE);

	if (s == NULL)
		return;
	s->egress = 1;
	s->peer_ours = ours;
	s->node = &s->leg[HS_ACC];
	s->peer = &s->leg[HS_INI];
	snprintf(s->peer->name, sizeof(s->peer->name), "%s", target);
	/* Until the remote's address is known, the source stands in. */
	s->peer_addr = *ss;
	s->local = ours;
	snprintf(s->peertext, sizeof(s->peertext), "egress");
	hs_fsm_init(&s->hs->fsm, HS_EGRESS, s->conf->hs_withhold,
	    s->conf->hs_require, target);
	log_debug("conn %llu: egress to %s accepted", (unsigned long long)s->id,
	    target);
}

/* The cookie for the dialled leg: a node of ours has its node cookie, a
 * remote the {cookie, Pattern, ...} entry for it. */
static const struct dg_cookie *
egress_cookie(const struct session *s)
{
	return s->peer_ours ? conf_node_cookie(s->conf, s->peer->name) :
	    conf_peer_cookie(s->conf, s->peer->name);
}

/* B's send_name: only a node registered here dials out, under its own
 * name, to a remote its policy admits. */
enum hs_event
admit_egress(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	struct dg_daemon *d = s->d;
	const struct dg_cookie *bc;
	char *at, *alive;
	int family;
	uint16_t port;

	snprintf(s->node->name, sizeof(s->node->name), "%s",
	    hs_fsm_name(h, HS_ACC));
	/* The alive part must be registered here (the host part is the
	 * node's own business: it may name any address of this host). */
	if ((at = strchr(s->node->name, '@')) == NULL)
		return hs_fsm_refuse(h, "not_allowed", "handshake.bad_name",
		    "egress from a name without a host part", HS_NOBODY);
	if ((alive = strndup(s->node->name, (size_t)(at - s->node->name))) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "out of memory", HS_NOBODY);
	free(s->alive);
	s->alive = alive;
	if (d->node_port == NULL || d->node_port(d, alive, &family, &port) != 0)
		return hs_fsm_refuse(h, "not_allowed", "handshake.bad_name",
		    "egress from a name not registered on this host", HS_NOBODY);
	/* The remote's name is final already (the engine holds it to it). */
	if (!guard_admits(s, s->node, s->node->name))
		return HS_EV_FAIL;
	if ((bc = conf_node_cookie(s->conf, s->node->name)) == NULL ||
	    egress_cookie(s) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured",
		    HS_NOBODY);
	return hs_fsm_admit(h, bc->secret, bc->len);
}

/* The remote named itself as asked: a remote of this host must admit B
 * by its own policy too; then the cookie for its leg. */
enum hs_event
resolve_egress(struct session *s)
{
	struct hs_fsm *h = &s->hs->fsm;
	const struct dg_cookie *rc;

	if (s->peer_ours && !guard_admits(s, s->peer, s->peer->name))
		return HS_EV_FAIL;
	if ((rc = egress_cookie(s)) == NULL)
		return hs_fsm_refuse(h, NULL, NULL, "no cookie configured",
		    HS_NOBODY);
	return hs_fsm_resolved(h, rc->secret, rc->len);
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
	connect_leg(s->peer, peer_sa(s), s->peer_addrlen);
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

/* B was admitted: reach the remote, on this host or through its host's
 * EPMD. */
void
connect_egress(struct session *s)
{
	struct dg_daemon *d = s->d;
	char alive[DG_MAX_ALIVE_BYTES + 1];
	const char *at = strchr(s->peer->name, '@');
	int family;
	uint16_t port;

	snprintf(alive, sizeof(alive), "%.*s", (int)(at - s->peer->name),
	    s->peer->name);
	if (s->peer_ours) {
		if (d->node_port == NULL || d->node_port(d, alive, &family, &port)) {
			session_close(s, "the node asked for is gone");
			return;
		}
		s->b_family = family;
		s->b_port = port;
		connect_node(s);
		return;
	}
	if (remote_address(s) != 0) {
		session_close(s, "the remote's host name does not resolve");
		return;
	}
	dg_addr_text(peer_sa(s), s->peertext, sizeof(s->peertext));
	s->local = dg_local_source(s->conf->reg_from, s->conf->nreg_from,
	    peer_sa(s));
	if (!s->local && bans_check(d->bans, peer_sa(s), NULL, dg_now()) > 0) {
		session_close(s, "the remote's address is banned");
		return;
	}
	set_port(&s->peer_addr, s->conf->remote_epmd_port);
	if (lookup_start(&s->hs->lookup, d->loop, peer_sa(s), s->peer_addrlen,
	    alive, on_lookup, s) == -1)
		session_close(s, "cannot reach the remote's EPMD");
}
