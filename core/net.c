/*
 * net.c - socket helpers and per-source counting shared by the EPMD
 * service and the filtering listeners.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dg_addr.h"
#include "dg_daemon.h"
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
		fatalx("out of memory");
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

void
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
		return;
	}
	if (delta <= 0)
		return;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatalx("out of memory");
	e->key = key;
	e->count = delta;
	e->next = s->b[h];
	s->b[h] = e;
}
