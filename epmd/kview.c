/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kview.c - the kernel's word on a registration (kview.h): sock_diag
 * first, /proc/net/tcp{,6} where netlink is not available.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kview.h"
#include "procnet.h"

/* A v4-mapped IPv6 address (::ffff:a.b.c.d) to its 4 bytes. */
static int
unmap_v4(const uint8_t *a16, uint8_t *a4)
{
	static const uint8_t pre[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(a16, pre, sizeof(pre)) != 0)
		return 0;
	memcpy(a4, a16 + 12, 4);
	return 1;
}

/* Fills the connection part of k; -1 when the addresses are not IP ones. */
static int
kview_conn_init(int fd, const struct sockaddr_storage *peer, struct kview *k)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me);

	if (getsockname(fd, (struct sockaddr *)&me, &len) == -1 ||
	    me.ss_family != peer->ss_family)
		return -1;
	k->family = peer->ss_family;
	if (k->family == AF_INET) {
		const struct sockaddr_in *p = (const void *)peer,
		    *m = (const void *)&me;

		memcpy(k->laddr, &p->sin_addr, 4);
		memcpy(k->raddr, &m->sin_addr, 4);
		k->lport = ntohs(p->sin_port);
		k->rport = ntohs(m->sin_port);
	} else if (k->family == AF_INET6) {
		const struct sockaddr_in6 *p = (const void *)peer,
		    *m = (const void *)&me;

		memcpy(k->laddr, &p->sin6_addr, 16);
		memcpy(k->raddr, &m->sin6_addr, 16);
		k->lport = ntohs(p->sin6_port);
		k->rport = ntohs(m->sin6_port);
		/* An IPv4 client of a dual-stack socket is an IPv4 socket
		 * in the kernel's tables. */
		if (unmap_v4(k->laddr, k->laddr) && unmap_v4(k->raddr,
		    k->raddr))
			k->family = AF_INET;
	} else
		return -1;
	return 0;
}

/* One /proc/net line into k (the fallback). */
static void
kview_line(struct kview *k, const char *line, size_t n, uint16_t port)
{
	struct procnet_sock p;
	struct sockdiag_sock s;

	if (procnet_parse_line(line, n, &p) == -1 || !p.has_owner)
		return;
	memset(&s, 0, sizeof(s));
	s.family = p.family;
	s.state = p.state;
	memcpy(s.laddr, p.addr, 16);
	memcpy(s.raddr, p.raddr, 16);
	s.lport = p.port;
	s.rport = p.rport;
	s.uid = p.uid;
	s.inode = p.inode > UINT32_MAX ? 0 : (uint32_t)p.inode;
	if (p.state == PROCNET_LISTEN && p.port == port) {
		if (k->lis.n < SOCKDIAG_MAX_LISTENERS)
			k->lis.socks[k->lis.n++] = s;
		else
			k->lis.overflow = 1;
	} else if (k->have_conn && !k->conn_found &&
	    procnet_is_conn(line, n, k->family, k->laddr, k->lport, k->raddr,
	    k->rport, &p))
		k->conn = s, k->conn_found = 1;
}

static int
kview_procnet(struct kview *k, uint16_t port)
{
	static const char *const files[2] = { "/proc/net/tcp",
	    "/proc/net/tcp6" };
	char line[512];
	int i, read = 0;
	FILE *f;

	for (i = 0; i < 2; i++) {
		if ((f = fopen(files[i], "re")) == NULL)
			continue;
		read++;
		while (fgets(line, sizeof(line), f) != NULL)
			kview_line(k, line, strlen(line), port);
		fclose(f);
	}
	return read > 0 ? 0 : -1;
}

static void
kview_read_socks(int fd, const struct sockaddr_storage *peer, uint16_t port,
    struct kview *k)
{
	char why[SOCKDIAG_WHY_MAX];
	int r = 0;

	k->have_conn = kview_conn_init(fd, peer, k) == 0;
	if (sockdiag_listeners(port, &k->lis, why) == 0 && (!k->have_conn ||
	    (r = sockdiag_conn(k->family, k->laddr, k->lport, k->raddr,
	    k->rport, &k->conn, why)) >= 0)) {
		k->conn_found = k->have_conn && r == 1;
		k->source = "sock_diag";
		return;
	}
	snprintf(k->why, sizeof(k->why), "%s", why);
	if (k->lis.overflow)
		return;		/* too many listeners: no fallback either */
	memset(&k->lis, 0, sizeof(k->lis));
	k->conn_found = 0;
	if (kview_procnet(k, port) == 0 && !k->lis.overflow) {
		k->source = "/proc/net/tcp";
		return;
	}
	snprintf(k->why, sizeof(k->why), "%.100s; /proc/net/tcp{,6}: %s", why,
	    k->lis.overflow ? "too many listeners" : "unreadable");
}

int
kview_relevant_listener(const struct sockdiag_sock *l, int dial_family)
{
	static const uint8_t any[16], v6_loop[16] = { [15] = 1 };
	static const uint8_t v4_loop[4] = { 127, 0, 0, 1 };
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff,
	    [12] = 127, [15] = 1 };

	if (l->family == AF_INET6 && memcmp(l->laddr, any, 16) == 0)
		return 1;
	if (dial_family == AF_INET6)
		return l->family == AF_INET6 &&
		    memcmp(l->laddr, v6_loop, 16) == 0;
	if (l->family == AF_INET)
		return memcmp(l->laddr, v4_loop, 4) == 0 ||
		    memcmp(l->laddr, any, 4) == 0;
	return memcmp(l->laddr, mapped, 16) == 0;
}

static void
kview_relevant(struct kview *k)
{
	int i;

	k->nrel = 0;
	for (i = 0; i < k->lis.n; i++)
		if (kview_relevant_listener(&k->lis.socks[i], k->dial_family))
			k->rel[k->nrel++] = i;
}

void
kview_read(int fd, const struct sockaddr_storage *peer, uint16_t port,
    struct kview *k)
{
	memset(k, 0, sizeof(*k));
	k->dial_family = peer->ss_family;
	kview_read_socks(fd, peer, port, k);
	kview_relevant(k);
}

