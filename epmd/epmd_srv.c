/* SPDX-License-Identifier: Apache-2.0 */
/*
 * epmd_srv.c - the hardened EPMD service.
 *
 * Owns the EPMD listening sockets and connections, and through the registry
 * the filtering listener of each registered node.  Trusts nothing it reads:
 * each connection gets one request within an absolute deadline (a slow
 * client cannot hold a slot by trickling bytes), connections are capped in
 * total and per source, replies are queued and written without blocking,
 * and running out of descriptors pauses accepting for a second.
 *
 * Who may do what (spec 1.12, 7.2): ALIVE2 only from registration_from,
 * and under the local guard only from the process holding the port's
 * listening socket (kview.h, lgscan.h); distguard's EGRESS_REQ only on a
 * mediated node's registration connection, and the mediated mark counts
 * only from that process;
 * PORT_PLEASE2 from anyone, answered with the node's *listener* port;
 * NAMES from registration_from (configurable); DUMP, KILL and STOP from
 * nobody - they are refused and logged, so nothing on the network can stop
 * the daemon or unregister a node.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/accept.h"
#include "core/addr.h"
#include "core/alert.h"
#include "conf/conf.h"
#include "core/net.h"
#include "dg_log.h"
#include "core/outq.h"
#include "core/stats.h"
#include "epmd_srv.h"
#include "localguard.h"
#include "kview.h"

#define EPMD_OUT_MAX	(256 * 1024)	/* largest reply we queue (NAMES) */

struct epmd_conn;

struct epmd_lsock {
	struct acceptor		 acc;
	struct epmd_srv		*srv;
	char			 text[64];
};

struct epmd_srv {
	struct dg_daemon	*d;
	struct epmd_lsock	 ls[DG_CONF_MAX_ADDRS];
	int			 nls;
	struct epmd_reg		 reg;
	struct srccount		*per_source;
	struct epmd_conn	*conns;
	int			 nconns;
};

enum epmd_conn_state {
	EC_REQUEST,		/* reading the one request */
	EC_REPLYING,		/* writing a reply, then closing */
	EC_REGISTERED,		/* ALIVE2 answered: lives as the registration */
	EC_REFUSED_REG		/* ALIVE2 refused: open until the client closes */
};

struct epmd_conn {
	ev_io			 rd, wr;
	ev_timer		 deadline;
	struct epmd_srv		*srv;
	struct epmd_conn	*next, *prev;
	enum epmd_conn_state	 state;
	int			 fd;
	uint64_t		 id;
	struct sockaddr_storage	 peer;
	char			 peertext[64];
	uint8_t			 in[2 + DG_MAX_EPMD_REQ];
	size_t			 inlen;
	struct outq		 out;
	int			 close_after_write;
	struct epmd_node	*node;
};

static void	conn_close(struct epmd_conn *, const char *reason);

static const struct sockaddr *
peer_sa(const struct epmd_conn *c)
{
	return (const struct sockaddr *)&c->peer;
}

static int
from_registration_addr(const struct epmd_conn *c)
{
	const struct dg_conf *conf = c->srv->d->conf;

	return dg_cidr_match(conf->reg_from, conf->nreg_from, peer_sa(c));
}

/* One log line and an alert for every refused request. */
static void
refuse(struct epmd_conn *c, const char *what, const char *why)
{
	alert_emit(c->srv->d->alerts, "epmd.refused", peer_sa(c), NULL, NULL,
	    "%s: %s", what, why);
	conn_close(c, why);
}

static void
start_writer(struct epmd_conn *c)
{
	ev_io_start(c->srv->d->loop, &c->wr);
}

/* Queues reply bytes; the writer sends them without blocking the loop. */
static int
queue_reply(struct epmd_conn *c, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (outq_append(&c->out, p, n, EPMD_OUT_MAX) == -1)
		return -1;
	start_writer(c);
	return 0;
}

static void
reply_and_close(struct epmd_conn *c, const uint8_t *p, int n)
{
	c->state = EC_REPLYING;
	c->close_after_write = 1;
	ev_io_stop(c->srv->d->loop, &c->rd);
	if (n < 0 || queue_reply(c, p, (size_t)n) == -1)
		conn_close(c, "reply too large");
}

/*
 * The local guard: the node's own port answers distguard only from now
 * on (epmd/localguard.h).  Where that cannot be done, required refuses
 * the registration and optional accepts it with an alert.  Returns -1
 * when the registration is refused.
 */
static int
guard_port(struct epmd_conn *c, struct epmd_node *n)
{
	struct dg_daemon *d = c->srv->d;
	int mode = d->conf->local_guard;
	char why[LG_WHY_MAX];
	const char *w;

	if (mode == DG_LGUARD_OFF)
		return 0;
	if (!localguard_ready(d->lguard, &w))
		snprintf(why, sizeof(why), "%s", w);
	else if (localguard_add(d->lguard, n->a.port, why) == 0) {
		n->guarded = 1;
		return 0;
	}
	alert_emit(d->alerts, "epmd.unguarded", peer_sa(c), NULL, n->a.name.s,
	    "distribution port %u cannot be kept from local processes: %s "
	    "(%s)", n->a.port, why, mode == DG_LGUARD_REQUIRED ? "refused" :
	    "accepted: local_guard optional");
	if (mode != DG_LGUARD_REQUIRED)
		return 0;
	log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s refused: local guard: "
	    "port %u cannot be kept from other local users: %s; start "
	    "distguard as root with nftables installed, or set {local_guard, "
	    "optional}", (unsigned long long)c->id, c->peertext, n->a.name.s,
	    n->a.port, why);
	return -1;
}

static void
unguard(struct epmd_srv *s, struct epmd_node *n)
{
	const struct epmd_node *o;
	char why[LG_WHY_MAX];

	if (!n->guarded)
		return;
	n->guarded = 0;
	/* One uid may register two names for one port: the port stays
	 * guarded while either is registered. */
	for (o = s->reg.nodes; o != NULL; o = o->next)
		if (o != n && o->guarded && o->a.port == n->a.port)
			return;
	if (localguard_del(s->d->lguard, n->a.port, why) == -1)
		log_warnx("epmd: node %s: local guard: port %u: %s",
		    n->a.name.s, n->a.port, why);
}

static void
unregister(struct epmd_conn *c, const char *why)
{
	struct epmd_node *n = c->node;

	if (n == NULL)
		return;
	log_info("epmd: node %s unregistered (%s); listener port %u closed",
	    n->a.name.s, why, n->listen_port);
	unguard(c->srv, n);
	if (c->srv->d->api_node_gone != NULL)	/* its changes end */
		c->srv->d->api_node_gone(c->srv->d, n->a.name.s);
	if (n->listener)
		c->srv->d->listen_close(n->listener);
	epmd_reg_remove(&c->srv->reg, n);
	c->node = NULL;
}

/* Answers a refused ALIVE2 and keeps the connection until the client
 * closes it, as stock epmd does (the node reads the result, then closes). */
static void
refuse_registration(struct epmd_conn *c, uint16_t highest)
{
	uint8_t out[8];
	int len;

	len = epmd_put_alive2_resp(out, sizeof(out), highest, 1, 99);
	c->state = EC_REFUSED_REG;
	queue_reply(c, out, (size_t)len);
}

/*
 * The mediated check: a node without distguard_epmd dials remote nodes
 * itself, so what they send back on those connections is never judged.
 * Returns -1 when the registration is refused.
 */
static int
check_mediated(struct epmd_conn *c, const struct epmd_alive2 *a, int mediated)
{
	struct epmd_srv *s = c->srv;
	int mode = s->d->conf->egress_mode;

	if (mediated || mode == DG_EGRESS_OFF)
		return 0;
	alert_emit(s->d->alerts, "epmd.unmediated", peer_sa(c), NULL, a->name.s,
	    "ALIVE2_REQ without distguard_epmd: the node's own connections "
	    "bypass distguard (%s)", mode == DG_EGRESS_REQUIRED ? "refused" :
	    "accepted: egress optional");
	if (mode != DG_EGRESS_REQUIRED)
		return 0;
	log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s refused: unmediated; "
	    "start the node with -epmd_module distguard_epmd -pa <ebin of "
	    "distguard_epmd> (OTP 27 and later: -kernel epmd_module "
	    "distguard_epmd), or set {egress, optional}",
	    (unsigned long long)c->id, c->peertext, a->name.s);
	return -1;
}

/*
 * The exposed check: a node whose own port listens beyond loopback can be
 * reached without going through its filtering listener.  The bound address
 * comes from the kernel by the registered port (both families: an inet6
 * node may listen on "::", which takes IPv4 too).  Returns -1 when the
 * registration is refused.
 */
static int
check_exposed(struct epmd_conn *c, const struct epmd_alive2 *a,
    const struct kview *k)
{
	struct epmd_srv *s = c->srv;
	int mode = s->d->conf->exposed_mode, i;
	const struct sockdiag_sock *x = NULL;
	char addr[64];

	if (mode == DG_EXPOSED_OFF)
		return 0;
	for (i = 0; i < k->lis.n && x == NULL; i++)
		if (!sockdiag_is_loopback(&k->lis.socks[i]))
			x = &k->lis.socks[i];
	if (x == NULL) {
		if (k->lis.n == 0)
			log_info("epmd: conn %llu %s: %s: no listening socket on "
			    "port %u found (%s; not judged exposed)",
			    (unsigned long long)c->id, c->peertext, a->name.s,
			    a->port, k->source ? k->source : k->why);
		return 0;
	}
	if (inet_ntop(x->family, x->laddr, addr, sizeof(addr)) == NULL)
		snprintf(addr, sizeof(addr), "?");
	alert_emit(s->d->alerts, "epmd.exposed", peer_sa(c), NULL, a->name.s,
	    "distribution port %u listens on %s, not on loopback only (%s)",
	    a->port, addr, mode == DG_EXPOSED_REFUSE ? "refused" : "accepted");
	if (mode != DG_EXPOSED_REFUSE)
		return 0;
	log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s refused: exposed: port "
	    "%u listens on %s; start the node with -kernel "
	    "inet_dist_use_interface {127,0,0,1} (inet6: {0,0,0,0,0,0,0,1})",
	    (unsigned long long)c->id, c->peertext, a->name.s, a->port, addr);
	return -1;
}

/*
 * The user a name is bound to: {node, Pattern, [{uid, User}]} (the first
 * node scope whose pattern matches and names a uid), else
 * {local_users, ...} (first match).  NULL: not bound.
 */
static const struct dg_local_user *
bound_user(const struct dg_daemon *d, const struct epmd_alive2 *a)
{
	const struct dg_conf *conf = d->conf;
	char full[2 * DG_MAX_NODE_BYTES + 2];
	int i, pass;

	snprintf(full, sizeof(full), "%s@%s", a->name.s, d->hostshort);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < conf->nlocal_users; i++) {
			const struct dg_local_user *u = &conf->local_users[i];

			/* A node scope's pattern is matched as the policy
			 * matches it: against the full name. */
			if ((u->line_node != 0) == (pass == 0) &&
			    dg_glob_match(u->pattern, u->line_node ||
			    strchr(u->pattern, '@') != NULL ? full : a->name.s))
				return u;
		}
	return NULL;
}

/*
 * The same process where the kernel tells: the process holding the
 * registering connection must hold every socket listening on the port
 * distguard can reach (the helper's scan of /proc/<pid>/fd, lgscan.h).
 * Only when the helper runs: without it the guard is not ready and
 * guard_port judges the registration.  0 (*scan: the pid, and what the
 * scan read), or -1 with why.
 */
static int
check_process(struct dg_daemon *d, const struct epmd_alive2 *a,
    const struct kview *k, struct lgscan_result *scan, char *why, size_t cap)
{
	uint32_t lis[SOCKDIAG_MAX_LISTENERS];
	char hwhy[LG_WHY_MAX];
	struct lgscan_result res;
	const char *w;
	int i;

	memset(scan, 0, sizeof(*scan));
	if (!localguard_ready(d->lguard, &w))
		return 0;
	for (i = 0; i < k->nrel; i++)
		if ((lis[i] = k->lis.socks[k->rel[i]].inode) == 0) {
			snprintf(why, cap, "a socket listening on port %u has "
			    "no inode", a->port);
			return -1;
		}
	if (k->conn.inode == 0) {
		snprintf(why, cap, "the registering socket has no inode");
		return -1;
	}
	if (localguard_owner(d->lguard, k->conn.uid, k->conn.inode, lis,
	    k->nrel, &res, hwhy) == -1) {
		snprintf(why, cap, "the process cannot be told: %s", hwhy);
		return -1;
	}
	if (res.incomplete && (res.conn_pid == 0 ||
	    res.held != (1U << k->nrel) - 1)) {
		snprintf(why, cap, "the scan of /proc for uid %u stopped at its "
		    "bound (%u processes, %u descriptors)", k->conn.uid,
		    res.procs, res.fds);
		return -1;
	}
	if (res.conn_pid == 0) {
		snprintf(why, cap, "no process of uid %u holds the registering "
		    "socket", k->conn.uid);
		return -1;
	}
	if (res.held != (1U << k->nrel) - 1) {
		if (res.listen_pid != 0)
			snprintf(why, cap, "port %u is held by pid %d, the "
			    "registration comes from pid %d", a->port,
			    (int)res.listen_pid, (int)res.conn_pid);
		else
			snprintf(why, cap, "the registering process (pid %d) "
			    "does not hold the socket listening on port %u",
			    (int)res.conn_pid, a->port);
		return -1;
	}
	*scan = res;
	return 0;
}

/* The owner's reason, or NULL when the registering process owns the
 * port: same uid as every listener, and (with the helper) same process. */
static const char *
owner_why(struct dg_daemon *d, const struct epmd_alive2 *a,
    const struct kview *k, struct lgscan_result *scan, char *why, size_t cap)
{
	int i;

	if (k->source == NULL)
		snprintf(why, cap, "the kernel's socket tables cannot be read: "
		    "%s", k->why);
	else if (!k->conn_found)
		snprintf(why, cap, "the registering socket is not in the "
		    "kernel's tables: not a local process");
	else if (k->nrel == 0)
		snprintf(why, cap, "no socket of uid %u listens on port %u "
		    "at %s", k->conn.uid, a->port, k->dial_family == AF_INET6 ?
		    "::1" : "127.0.0.1");
	else {
		for (i = 0; i < k->nrel; i++)
			if (k->lis.socks[k->rel[i]].uid != k->conn.uid) {
				snprintf(why, cap, "port %u listens for uid %u, "
				    "the registration comes from uid %u",
				    a->port, k->lis.socks[k->rel[i]].uid,
				    k->conn.uid);
				return why;
			}
		if (check_process(d, a, k, scan, why, cap) == 0)
			return NULL;
	}
	return why;
}

/*
 * Local identity (issue 20), from the kernel (struct kview).  A name bound
 * to a user is registered only by that user (epmd.wrong_user, whatever
 * local_guard says).  Under local_guard the registering process must own
 * the socket listening on the port it registers (epmd.not_owner).
 * Otherwise any local user could register a free name, with the mediated
 * mark, for a port nobody - or someone else - listens on.  Returns -1
 * when refused; *owner is 1 when ownership was proven (the mark counts
 * only then), *scan the registering process where the helper told it.
 */
static int
check_owner(struct epmd_conn *c, const struct epmd_alive2 *a,
    const struct kview *k, int *owner, struct lgscan_result *scan)
{
	struct dg_daemon *d = c->srv->d;
	const struct dg_local_user *u = bound_user(d, a);
	int mode = d->conf->local_guard;
	char why[256];

	*owner = 0;
	memset(scan, 0, sizeof(*scan));
	if (u != NULL && (!k->conn_found || k->conn.uid != u->uid)) {
		alert_emit(d->alerts, "epmd.wrong_user", peer_sa(c), NULL,
		    a->name.s, "ALIVE2_REQ for a name bound to user %s (uid %u) "
		    "from %s%u (refused)", u->user, (unsigned)u->uid,
		    k->conn_found ? "uid " : "no local socket: ",
		    k->conn_found ? k->conn.uid : 0);
		log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s refused: "
		    "wrong user: %s binds it to %s",
		    (unsigned long long)c->id, c->peertext, a->name.s,
		    u->line_node ? "its {node, ...} uid" : "local_users",
		    u->user);
		return -1;
	}
	if (mode == DG_LGUARD_OFF)
		return 0;
	if (owner_why(d, a, k, scan, why, sizeof(why)) == NULL) {
		*owner = 1;
		return 0;
	}
	alert_emit(d->alerts, "epmd.not_owner", peer_sa(c), NULL, a->name.s,
	    "ALIVE2_REQ from a process that does not own the port: %s (%s)",
	    why, mode == DG_LGUARD_REQUIRED ? "refused" :
	    "accepted without the mediated mark: local_guard optional");
	if (mode != DG_LGUARD_REQUIRED)
		return 0;
	log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s refused: not the "
	    "port's owner: %s", (unsigned long long)c->id, c->peertext,
	    a->name.s, why);
	return -1;
}

/* The kernel's word on the port and the registering socket, read once,
 * shared by the exposed and ownership checks. */
static int
check_local(struct epmd_conn *c, const struct epmd_alive2 *a,
    const char **stat, int *owner, struct lgscan_result *scan)
{
	struct kview k;

	kview_read(c->fd, &c->peer, a->port, &k);
	if (k.source != NULL && strcmp(k.source, "sock_diag") != 0)
		log_warnx("epmd: conn %llu %s: %s; read %s{,6} instead",
		    (unsigned long long)c->id, c->peertext, k.why, k.source);
	if (check_exposed(c, a, &k) == -1) {
		*stat = "refused_exposed";
		return -1;
	}
	if (check_owner(c, a, &k, owner, scan) == -1) {
		*stat = "refused_not_owner";
		return -1;
	}
	return 0;
}

static void
handle_alive2(struct epmd_conn *c, const struct epmd_alive2 *req)
{
	struct epmd_srv *s = c->srv;
	struct epmd_alive2 a = *req;
	struct epmd_node *n;
	const char *stat;
	uint8_t out[8];
	int len, mediated, owner = 0;
	struct lgscan_result scan;

	if (!from_registration_addr(c)) {
		refuse(c, "ALIVE2_REQ", "registration from an address outside registration_from");
		return;
	}
	/* From here on the connection is a registration: no deadline. */
	ev_timer_stop(s->d->loop, &c->deadline);
	/* The mark is distguard's, never the node's: peers see the rest. */
	mediated = epmd_alive2_unmark(&a);
	memset(&scan, 0, sizeof(scan));
	if (check_local(c, &a, &stat, &owner, &scan) == -1) {
		stats_registration(s->d->stats, stat);
		refuse_registration(c, a.highest);
		return;
	}
	/* The mark (and with it 'E') counts only from the node itself: from
	 * the process that owns the port, where the guard can tell. */
	if (mediated && !owner && s->d->conf->local_guard != DG_LGUARD_OFF) {
		log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s: the mediated "
		    "mark ignored: not from the port's owner",
		    (unsigned long long)c->id, c->peertext, a.name.s);
		mediated = 0;
	}
	if (check_mediated(c, &a, mediated) == -1) {
		stats_registration(s->d->stats, "refused_unmediated");
		refuse_registration(c, a.highest);
		return;
	}
	if (epmd_reg_find(&s->reg, a.name.s, a.name.len) != NULL) {
		log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s refused: name in use",
		    (unsigned long long)c->id, c->peertext, a.name.s);
		alert_emit(s->d->alerts, "epmd.refused", peer_sa(c), NULL, a.name.s,
		    "ALIVE2_REQ: name already registered");
		refuse_registration(c, a.highest);
		return;
	}
	if ((n = epmd_reg_add(&s->reg, &a, c->peer.ss_family,
	    time(NULL))) == NULL) {
		log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s refused: out of memory",
		    (unsigned long long)c->id, c->peertext, a.name.s);
		refuse_registration(c, a.highest);
		return;
	}
	n->owner = c;
	n->mediated = mediated;
	n->listener = s->d->listen_node(s->d, n->a.name.s, c->peer.ss_family, a.port,
	    a.node_type == EPMD_NODE_EI);
	if (n->listener == NULL) {
		epmd_reg_remove(&s->reg, n);
		log_warnx("epmd: conn %llu %s: ALIVE2_REQ for %s refused: no free listener port",
		    (unsigned long long)c->id, c->peertext, a.name.s);
		refuse_registration(c, a.highest);
		return;
	}
	n->listen_port = s->d->listen_port(n->listener);
	if (guard_port(c, n) == -1) {
		s->d->listen_close(n->listener);
		epmd_reg_remove(&s->reg, n);
		stats_registration(s->d->stats, "refused_unguarded");
		refuse_registration(c, a.highest);
		return;
	}
	stats_registration(s->d->stats, mediated ? "mediated" : "unmediated");
	c->node = n;
	c->state = EC_REGISTERED;
	c->inlen = 0;		/* what follows are distguard_epmd's EGRESS_REQs */
	log_info("epmd: node %s registered from %s: port %u, type %u, versions %u..%u, "
	    "creation %u; listener on port %u; %s%s", n->a.name.s, c->peertext, a.port,
	    a.node_type, a.lowest, a.highest, n->creation, n->listen_port,
	    mediated ? "mediated (distguard_epmd)" : "unmediated (stock EPMD client)",
	    owner ? (scan.conn_pid ? "; owner checked: same uid, same process" :
	    "; owner checked: same uid") : "");
	if (scan.conn_pid != 0)
		log_info("epmd: node %s: registered by pid %d (the scan read "
		    "%u processes, %u descriptors)", n->a.name.s,
		    (int)scan.conn_pid, scan.procs, scan.fds);
	len = epmd_put_alive2_resp(out, sizeof(out), a.highest, 0, n->creation);
	queue_reply(c, out, (size_t)len);
}

/*
 * EGRESS_REQ: where a protected node dials `node`.  Answered only on a
 * mediated node's registration connection (the connection distguard_epmd
 * registered the node on, which only that node holds): any other process
 * of the host could otherwise take egress ports by the dozen, with no
 * cookie and no node (issue 18).  On a fresh connection it is refused.
 * The answer comes from the daemon's egress sessions; without them every
 * request gets "no route", so the node fails to connect rather than
 * dialling the remote node itself.
 */
static int
handle_egress(struct epmd_conn *c, const struct dg_name *node)
{
	struct dg_daemon *d = c->srv->d;
	uint8_t out[EPMD_EGRESS_RESP_LEN];
	uint16_t port = 0;
	int len;

	if (c->state != EC_REGISTERED || c->node == NULL ||
	    !c->node->mediated) {
		refuse(c, "EGRESS_REQ", "egress request not on a mediated "
		    "node's registration connection");
		return -1;
	}
	if (d->egress_port == NULL) {
		log_warnx("epmd: conn %llu %s: EGRESS_REQ for %s: egress sessions "
		    "not available in this daemon: answered no route",
		    (unsigned long long)c->id, c->peertext, node->s);
		len = epmd_put_egress_resp(out, sizeof(out),
		    EPMD_EGRESS_UNAVAILABLE, 0, 0);
	} else if (d->egress_port(d, c->node->a.name.s, node->s, &port) == -1 ||
	    port == 0) {
		log_info("epmd: conn %llu %s: EGRESS_REQ for %s: no route",
		    (unsigned long long)c->id, c->peertext, node->s);
		len = epmd_put_egress_resp(out, sizeof(out), EPMD_EGRESS_REFUSED,
		    0, 0);
	} else {
		log_debug("epmd: conn %llu %s: EGRESS_REQ %s -> %u",
		    (unsigned long long)c->id, c->peertext, node->s, port);
		/* distguard speaks version 6 on both legs (spec 2.2). */
		len = epmd_put_egress_resp(out, sizeof(out), EPMD_EGRESS_OK, port,
		    6);
	}
	if (queue_reply(c, out, (size_t)len) == -1) {
		unregister(c, "reply queue full");
		conn_close(c, "reply queue full");
		return -1;
	}
	return 0;
}

/*
 * API_REQ: the registered node changes or reads its own policy
 * (daemon/api.h, through the context's api_request hook).  Only here, on a mediated node's registration connection:
 * the connection proves which node asks; the request's own words do not.
 * The reply is built in one static buffer and queued.
 */
static int
handle_api(struct epmd_conn *c, const struct epmd_api *req)
{
	static uint8_t out[EPMD_API_REPLY_MAX];
	struct dg_daemon *d = c->srv->d;
	size_t len;

	if (c->state != EC_REGISTERED || c->node == NULL ||
	    !c->node->mediated || d->api_request == NULL) {
		refuse(c, "API_REQ", "API request not on a mediated node's "
		    "registration connection");
		return -1;
	}
	len = d->api_request(d, c->node->a.name.s, peer_sa(c), req, out);
	if (queue_reply(c, out, len) == -1) {
		unregister(c, "reply queue full");
		conn_close(c, "reply queue full");
		return -1;
	}
	return 0;
}

/*
 * Bytes on a registration connection.  A stock node never sends any:
 * a byte ends its registration (spec 1.5).  distguard_epmd sends its
 * EGRESS_REQs and API_REQs there, one after another; anything else ends
 * it too.
 */
static void
registration_bytes(struct epmd_conn *c)
{
	struct epmd_req req;
	const char *why = NULL;
	ssize_t n;
	int used;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || c->node == NULL || !c->node->mediated) {
		unregister(c, n == 0 ? "connection closed" : n > 0 ?
		    "data on the registration connection" : "read error");
		conn_close(c, NULL);
		return;
	}
	c->inlen += (size_t)n;
	while (c->inlen > 0) {
		used = epmd_parse(c->in, c->inlen, &req, &why);
		if (used == DG_AGAIN && c->inlen < sizeof(c->in))
			return;
		if (used <= 0 || (req.code != EPMD_EGRESS_REQ &&
		    req.code != EPMD_API_REQ)) {
			log_warnx("epmd: conn %llu %s: node %s: %s on the "
			    "registration connection", (unsigned long long)c->id,
			    c->peertext, c->node->a.name.s, used <= 0 && why ?
			    why : "a request other than EGRESS_REQ or API_REQ");
			alert_emit(c->srv->d->alerts, "epmd.refused",
			    peer_sa(c), NULL, c->node->a.name.s, "%s on the "
			    "registration connection: registration ended",
			    used <= 0 && why ? why : "a request other than "
			    "EGRESS_REQ or API_REQ");
			unregister(c, "a request other than EGRESS_REQ or "
			    "API_REQ on the registration connection");
			conn_close(c, why);
			return;
		}
		if ((req.code == EPMD_EGRESS_REQ ? handle_egress(c, &req.name) :
		    handle_api(c, &req.api)) == -1)
			return;		/* c is gone */
		memmove(c->in, c->in + used, c->inlen - (size_t)used);
		c->inlen -= (size_t)used;
	}
}

static void
handle_port_please(struct epmd_conn *c, const struct dg_name *name)
{
	struct epmd_node *n = epmd_reg_find(&c->srv->reg, name->s, name->len);
	uint8_t out[EPMD_MAX_PORT2_RESP];
	int len;

	if (n == NULL) {
		log_info("epmd: conn %llu %s: PORT_PLEASE2 for unknown name",
		    (unsigned long long)c->id, c->peertext);
		len = epmd_put_port2_error(out, sizeof(out));
	} else {
		log_debug("epmd: conn %llu %s: PORT_PLEASE2 %s -> %u",
		    (unsigned long long)c->id, c->peertext, n->a.name.s,
		    n->listen_port);
		len = epmd_put_port2_ok(out, sizeof(out), &n->a, n->listen_port);
	}
	reply_and_close(c, out, len);
}

static void
handle_names(struct epmd_conn *c)
{
	const struct dg_conf *conf = c->srv->d->conf;
	struct epmd_node *n;
	uint8_t line[EPMD_MAX_NAMES_LINE];
	int len;

	if (conf->names_from == DG_NAMES_NONE ||
	    (conf->names_from == DG_NAMES_LOCAL && !from_registration_addr(c))) {
		refuse(c, "NAMES_REQ", "names not served to this address");
		return;
	}
	len = epmd_put_names_header(line, sizeof(line), conf->epmd_port);
	if (queue_reply(c, line, (size_t)len) == -1) {
		conn_close(c, "reply too large");
		return;
	}
	for (n = c->srv->reg.nodes; n; n = n->next) {
		len = epmd_put_names_line(line, sizeof(line), &n->a.name,
		    n->listen_port);
		if (len < 0 || queue_reply(c, line, (size_t)len) == -1) {
			conn_close(c, "reply too large");
			return;
		}
	}
	reply_and_close(c, NULL, 0);
}

static void
dispatch(struct epmd_conn *c, const struct epmd_req *req)
{
	switch (req->code) {
	case EPMD_ALIVE2_REQ:
		handle_alive2(c, &req->alive);
		break;
	case EPMD_PORT_PLEASE2_REQ:
		handle_port_please(c, &req->name);
		break;
	case EPMD_NAMES_REQ:
		handle_names(c);
		break;
	case EPMD_EGRESS_REQ:
		(void)handle_egress(c, &req->name);
		break;
	case EPMD_API_REQ:
		(void)handle_api(c, &req->api);
		break;
	case EPMD_DUMP_REQ:
		refuse(c, "DUMP_REQ", "administrative request refused");
		break;
	case EPMD_KILL_REQ:
		refuse(c, "KILL_REQ", "administrative request refused");
		break;
	case EPMD_STOP_REQ:
		refuse(c, "STOP_REQ", "administrative request refused");
		break;
	default:
		refuse(c, "request", "unknown request");
		break;
	}
}

static void
on_request_bytes(struct epmd_conn *c)
{
	struct epmd_req req;
	const char *why = NULL;
	int n;

	n = epmd_parse(c->in, c->inlen, &req, &why);
	if (n == DG_AGAIN) {
		if (c->inlen == sizeof(c->in))
			refuse(c, "request", "request too long");
		return;
	}
	if (n < 0) {
		refuse(c, "request", why ? why : "malformed request");
		return;
	}
	if ((size_t)n != c->inlen) {
		/* One request per connection; trailing bytes are a protocol
		 * violation (stock epmd closes too). */
		refuse(c, "request", "data after the request");
		return;
	}
	dispatch(c, &req);
}

static void
on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct epmd_conn *c = (struct epmd_conn *)w;
	uint8_t junk[256];
	ssize_t n;

	if (c->state == EC_REGISTERED) {
		registration_bytes(c);
		return;
	}
	if (c->state == EC_REFUSED_REG) {
		/* Any byte, or EOF, ends a registration (spec 1.5). */
		n = read(c->fd, junk, sizeof(junk));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		unregister(c, n == 0 ? "connection closed" :
		    n > 0 ? "data on the registration connection" : "read error");
		conn_close(c, NULL);
		return;
	}
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_close(c, "read error");
		return;
	}
	if (n == 0) {
		conn_close(c, c->inlen ? "closed in the middle of a request" : NULL);
		return;
	}
	c->inlen += (size_t)n;
	on_request_bytes(c);
}

static void
on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct epmd_conn *c = (struct epmd_conn *)((char *)w -
	    offsetof(struct epmd_conn, wr));
	int rc;

	if ((rc = outq_flush(&c->out, c->fd)) == 0)
		return;
	if (rc == -1) {
		unregister(c, "write error");
		conn_close(c, "write error");
		return;
	}
	ev_io_stop(loop, &c->wr);
	if (c->close_after_write)
		conn_close(c, NULL);
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct epmd_conn *c = (struct epmd_conn *)((char *)w -
	    offsetof(struct epmd_conn, deadline));

	log_info("epmd: conn %llu %s: closed: no complete request within %gs",
	    (unsigned long long)c->id, c->peertext, c->srv->d->conf->epmd_timeout);
	conn_close(c, NULL);
}

static void
conn_close(struct epmd_conn *c, const char *reason)
{
	struct epmd_srv *s = c->srv;
	struct ev_loop *loop = s->d->loop;

	if (reason)
		log_info("epmd: conn %llu %s: closed: %s", (unsigned long long)c->id,
		    c->peertext, reason);
	unregister(c, "connection closed");
	ev_io_stop(loop, &c->rd);
	ev_io_stop(loop, &c->wr);
	ev_timer_stop(loop, &c->deadline);
	close(c->fd);
	srccount_add(s->per_source, peer_sa(c), -1);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	outq_free(&c->out);
	free(c);
}

/* The acceptor's gate: the service's caps, in total and per source. */
static int
epmd_admit(void *owner, const struct sockaddr *sa)
{
	struct epmd_srv *s = ((struct epmd_lsock *)owner)->srv;
	const struct dg_conf *conf = s->d->conf;
	char text[64];

	if (s->nconns >= conf->epmd_max_conns) {
		log_warnx("epmd: %s: refused: %d connections open (max_connections)",
		    dg_addr_text(sa, text, sizeof(text)), s->nconns);
		return 0;
	}
	if (srccount_get(s->per_source, sa) >= conf->epmd_max_per_source) {
		alert_emit(s->d->alerts, "epmd.refused", sa, NULL, NULL,
		    "too many connections from this address "
		    "(max_per_source %d)", conf->epmd_max_per_source);
		return 0;
	}
	return 1;
}

static void
epmd_conn(void *owner, int fd, const struct sockaddr_storage *ss)
{
	struct epmd_srv *s = ((struct epmd_lsock *)owner)->srv;
	const struct dg_conf *conf = s->d->conf;
	struct ev_loop *loop = s->d->loop;
	struct epmd_conn *c;
	char text[64];

	dg_addr_text((const struct sockaddr *)ss, text, sizeof(text));
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    srccount_add(s->per_source, (const struct sockaddr *)ss, 1) == -1) {
		log_warnx("epmd: %s: refused: out of memory", text);
		free(c);
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->id = ++s->d->next_conn_id;
	c->peer = *ss;
	snprintf(c->peertext, sizeof(c->peertext), "%s", text);
	c->state = EC_REQUEST;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	ev_io_init(&c->rd, on_read, fd, EV_READ);
	ev_io_init(&c->wr, on_write, fd, EV_WRITE);
	/* An absolute deadline for the whole request: resetting it
	 * per byte would let a trickle hold the slot (spec 7.2.4). */
	ev_timer_init(&c->deadline, on_deadline, conf->epmd_timeout, 0.0);
	ev_io_start(loop, &c->rd);
	ev_timer_start(loop, &c->deadline);
}

struct epmd_srv *
epmd_srv_start(struct dg_daemon *d)
{
	const struct dg_conf *conf = d->conf;
	struct epmd_srv *s = calloc(1, sizeof(*s));
	int i;

	if (s == NULL)
		log_fatalx("out of memory");
	s->d = d;
	s->per_source = srccount_new();
	for (i = 0; i < conf->nepmd_addrs; i++) {
		struct dg_sockaddr sa = conf->epmd_addrs[i];
		struct epmd_lsock *l = &s->ls[s->nls];
		int fd;

		if (sa.ss.ss_family == AF_INET)
			((struct sockaddr_in *)&sa.ss)->sin_port = htons(conf->epmd_port);
		else
			((struct sockaddr_in6 *)&sa.ss)->sin6_port = htons(conf->epmd_port);
		l->srv = s;
		accept_init(&l->acc, d, ACCEPT_EPMD, "epmd",
		    conf->listen_backlog, epmd_admit, epmd_conn, l);
		fd = accept_listen(&l->acc, (struct sockaddr *)&sa.ss, sa.len, 1);
		if (fd == -1) {
			/* An IPv6 address on a host without IPv6 is not fatal
			 * while another address could be bound. */
			log_warn("epmd: cannot listen on %s port %u", sa.text,
			    conf->epmd_port);
			continue;
		}
		snprintf(l->text, sizeof(l->text), "%s", sa.text);
		log_info("epmd: listening on %s port %u", sa.text, conf->epmd_port);
		s->nls++;
	}
	if (s->nls == 0) {
		srccount_free(s->per_source);
		free(s);
		return NULL;
	}
	return s;
}

void
epmd_srv_stop(struct epmd_srv *s)
{
	int i;

	if (s == NULL)
		return;
	while (s->conns)
		conn_close(s->conns, NULL);
	for (i = 0; i < s->nls; i++)
		accept_close(&s->ls[i].acc);
	srccount_free(s->per_source);
	free(s);
}

struct epmd_reg *
epmd_srv_registry(struct epmd_srv *s)
{
	return &s->reg;
}

/* Does `node` (alive@host) name a node registered here?  The host part
 * must be one of this host's names, or an address of one of its
 * interfaces, for it to collide. */
int
epmd_srv_is_local_node(struct dg_daemon *d, const char *node)
{
	const char *at = strchr(node, '@'), *host;

	if (at == NULL || d->epmd == NULL)
		return 0;
	host = at + 1;
	if (strcmp(host, d->hostname) != 0 && strcmp(host, d->hostshort) != 0 &&
	    strcmp(host, "localhost") != 0 && strcmp(host, "127.0.0.1") != 0 &&
	    strcmp(host, "::1") != 0 && !dg_addr_is_ours(host))
		return 0;
	return epmd_reg_find(epmd_srv_registry(d->epmd), node,
	    (size_t)(at - node)) != NULL;
}
