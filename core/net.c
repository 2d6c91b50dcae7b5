/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net.c - socket helpers and per-source counting shared by the EPMD
 * service and the filtering listeners.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/ban.h"
#include "core/context.h"
#include "core/net.h"
#include "dg_log.h"

int
net_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

int
net_listen(const struct sockaddr *sa, socklen_t len, int backlog, int v6only)
{
	int fd, one = 1;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (bind(fd, sa, len) == -1 || listen(fd, backlog) == -1) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
net_accept(struct dg_daemon *d, int lfd, struct sockaddr_storage *ss,
    socklen_t *slen)
{
	int fd, one = 1;

	*slen = sizeof(*ss);
	fd = accept4(lfd, (struct sockaddr *)ss, slen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return fd;
	}
	if ((errno == EMFILE || errno == ENFILE) && d->reserve_fd != -1) {
		/* Out of descriptors: use the spare one to take the
		 * connection off the backlog and close it, so the listener
		 * does not spin; the caller pauses accepting for a while. */
		int saved = errno;

		close(d->reserve_fd);
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			close(fd);
		d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		errno = saved;
	}
	return -1;
}

int
net_sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

/* Per-source counts: chained hash, entries freed at zero. */
#define SRC_BUCKETS	1024

struct src_entry {
	struct src_entry	*next;
	struct dg_addr_key	 key;
	int			 count;
};

struct srccount {
	struct src_entry	*b[SRC_BUCKETS];
};

static uint32_t
src_key(const struct sockaddr *sa, struct dg_addr_key *key)
{
	dg_addr_key_of(sa, key);
	return dg_addr_key_hash(key) % SRC_BUCKETS;
}

struct srccount *
srccount_new(void)
{
	struct srccount *s = calloc(1, sizeof(*s));

	if (s == NULL)
		log_fatalx("out of memory");
	return s;
}

void
srccount_free(struct srccount *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < SRC_BUCKETS; i++) {
		while (s->b[i]) {
			struct src_entry *e = s->b[i];
			s->b[i] = e->next;
			free(e);
		}
	}
	free(s);
}

int
srccount_get(struct srccount *s, const struct sockaddr *sa)
{
	struct dg_addr_key key;
	uint32_t h = src_key(sa, &key);
	struct src_entry *e;

	for (e = s->b[h]; e; e = e->next)
		if (dg_addr_key_eq(&e->key, &key))
			return e->count;
	return 0;
}

int
srccount_add(struct srccount *s, const struct sockaddr *sa, int delta)
{
	struct dg_addr_key key;
	uint32_t h = src_key(sa, &key);
	struct src_entry *e, **pp;

	for (pp = &s->b[h]; (e = *pp) != NULL; pp = &e->next) {
		if (!dg_addr_key_eq(&e->key, &key))
			continue;
		e->count += delta;
		if (e->count <= 0) {
			*pp = e->next;
			free(e);
		}
		return 0;
	}
	if (delta <= 0)
		return 0;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	e->key = key;
	e->count = delta;
	e->next = s->b[h];
	s->b[h] = e;
	return 0;
}

/* ---- per-source rates ------------------------------------------------- */

/*
 * A token bucket per source, in a fixed table: a short linear probe, and
 * when the neighbourhood is full the slot whose bucket is fullest (the
 * source heard from least lately) is taken over.  Memory is fixed; a
 * source that keeps coming keeps its slot, as its bucket stays low.
 */
#define RATE_SLOTS	1024
#define RATE_PROBE	8

struct rate_slot {
	struct dg_addr_key	 key;
	int			 used;
	double			 tokens;
	double			 stamp;
};

struct net_rate {
	struct rate_slot	 s[RATE_SLOTS];
};

struct net_rate *
net_rate_new(void)
{
	struct net_rate *r = calloc(1, sizeof(*r));

	if (r == NULL)
		log_fatalx("out of memory");
	return r;
}

void
net_rate_free(struct net_rate *r)
{
	free(r);
}

static void
refill(struct rate_slot *s, double per_s, double burst, double now)
{
	s->tokens += (now - s->stamp) * per_s;
	if (s->tokens > burst)
		s->tokens = burst;
	s->stamp = now;
}

int
net_rate_take(struct net_rate *r, const struct sockaddr *sa, double per_s,
    double burst, double now)
{
	struct dg_addr_key key;
	struct rate_slot *s, *victim = NULL;
	uint32_t h;
	int k;

	dg_addr_key_of(sa, &key);
	h = dg_addr_key_hash(&key);
	for (k = 0; k < RATE_PROBE; k++) {
		s = &r->s[(h + (uint32_t)k) % RATE_SLOTS];
		if (s->used && dg_addr_key_eq(&s->key, &key))
			break;
		if (!s->used) {
			victim = s;
			break;
		}
		refill(s, per_s, burst, now);
		if (victim == NULL || s->tokens > victim->tokens)
			victim = s;
		s = NULL;
	}
	if (k == RATE_PROBE || !s->used) {
		s = victim;
		s->used = 1;
		s->key = key;
		s->tokens = burst;
		s->stamp = now;
	}
	refill(s, per_s, burst, now);
	if (s->tokens < 1.0)
		return 0;
	s->tokens -= 1.0;
	return 1;
}

/* ---- the gate --------------------------------------------------------- */

const char *
net_admit(struct dg_daemon *d, const struct net_gate *g,
    const struct sockaddr *sa, int local, const char **event)
{
	static char why[96];

	*event = NULL;
	/* A banned source is closed without reading a byte, silently: it
	 * was alerted when the ban began. */
	if (g->bans && !local && bans_check(d->bans, sa, NULL, dg_now()) > 0)
		return "banned";
	*event = g->event;
	if (*g->count >= g->max) {
		snprintf(why, sizeof(why), "too many %s (%d in total)",
		    g->what, *g->count);
		return why;
	}
	if (local)
		return NULL;	/* the host's own nodes: one address for all */
	if (srccount_get(g->by_source, sa) >= g->max_per_source) {
		snprintf(why, sizeof(why), "too many %s from this "
		    "source (%d)", g->what, g->max_per_source);
		return why;
	}
	if (g->bans && d->est_sources != NULL &&
	    srccount_get(d->est_sources, sa) >= g->max_established) {
		*event = "peer.too_many_connections";
		snprintf(why, sizeof(why), "%d established connections from "
		    "this source already (limits: max_established_per_source)",
		    g->max_established);
		return why;
	}
	if (g->rate != NULL && !net_rate_take(g->rate, sa, g->per_s,
	    g->burst, dg_now())) {
		*event = g->rate_event;
		snprintf(why, sizeof(why), "more than %g new connections a "
		    "second from this source", g->per_s);
		return why;
	}
	return NULL;
}
