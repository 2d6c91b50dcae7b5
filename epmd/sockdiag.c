/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockdiag.c - socket owners from NETLINK_SOCK_DIAG (sockdiag.h).
 *
 * The parser trusts nothing of the datagram: it comes from the kernel,
 * but it is read as if it came from anyone (the fuzz harness feeds it
 * anything).  Headers are copied out with memcpy, never cast in place,
 * so the bytes may sit at any alignment.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockdiag.h"

#define SD_WAIT_MS	1000	/* the kernel answers at once */
#define SD_DATAGRAMS	256	/* a dump longer than this is refused */
#define SD_BUF		32768	/* one datagram (the kernel sends <= 32 KiB) */

struct sd_request {
	struct nlmsghdr		h;
	struct inet_diag_req_v2	r;
};

static int
build(uint8_t *buf, size_t cap, uint32_t seq, int family, int dump,
    struct inet_diag_req_v2 *body)
{
	struct sd_request q;

	if (cap < sizeof(q) || (family != AF_INET && family != AF_INET6))
		return -1;
	memset(&q, 0, sizeof(q));
	q.h.nlmsg_len = sizeof(q);
	q.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.h.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	q.h.nlmsg_seq = seq;
	q.r = *body;
	q.r.sdiag_family = (uint8_t)family;
	q.r.sdiag_protocol = IPPROTO_TCP;
	/* No cookie: the lookup is by addresses and ports alone. */
	q.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	q.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	memcpy(buf, &q, sizeof(q));
	return (int)sizeof(q);
}

int
sockdiag_req_conn(uint8_t *buf, size_t cap, uint32_t seq, int family,
    const uint8_t *laddr, uint16_t lport, const uint8_t *raddr,
    uint16_t rport)
{
	struct inet_diag_req_v2 b;
	size_t alen = family == AF_INET ? 4 : 16;

	memset(&b, 0, sizeof(b));
	b.idiag_states = ~0U;
	b.id.idiag_sport = htons(lport);
	b.id.idiag_dport = htons(rport);
	if (family == AF_INET || family == AF_INET6) {
		memcpy(b.id.idiag_src, laddr, alen);
		memcpy(b.id.idiag_dst, raddr, alen);
	}
	return build(buf, cap, seq, family, 0, &b);
}

int
sockdiag_req_listen(uint8_t *buf, size_t cap, uint32_t seq, int family,
    uint16_t lport)
{
	struct inet_diag_req_v2 b;

	memset(&b, 0, sizeof(b));
	b.idiag_states = 1U << TCP_LISTEN;
	/* Listeners are matched on the source port by the kernel too; the
	 * parser checks it again (sockdiag_reply.n counts only these). */
	b.id.idiag_sport = htons(lport);
	return build(buf, cap, seq, family, 1, &b);
}

/* One SOCK_DIAG_BY_FAMILY message's body into the reply. */
static int
take_sock(const uint8_t *p, size_t len, struct sockdiag_reply *r,
    uint16_t port, const char **why)
{
	struct inet_diag_msg m;
	struct sockdiag_sock s;
	size_t alen;

	if (len < sizeof(m)) {
		*why = "sock_diag: a socket message shorter than inet_diag_msg";
		return DG_EINVAL;
	}
	memcpy(&m, p, sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6) {
		*why = "sock_diag: a socket of a family that is not inet";
		return DG_EINVAL;
	}
	memset(&s, 0, sizeof(s));
	alen = m.idiag_family == AF_INET ? 4 : 16;
	s.family = m.idiag_family;
	s.state = m.idiag_state;
	memcpy(s.laddr, m.id.idiag_src, alen);
	memcpy(s.raddr, m.id.idiag_dst, alen);
	s.lport = ntohs(m.id.idiag_sport);
	s.rport = ntohs(m.id.idiag_dport);
	s.uid = m.idiag_uid;
	s.inode = m.idiag_inode;
	if (port != 0 && (s.lport != port || s.state != TCP_LISTEN))
		return 0;
	if (r->n == SOCKDIAG_MAX_LISTENERS)
		r->overflow = 1;
	else
		r->socks[r->n++] = s;
	if (!r->dump)
		r->done = 1;
	return 0;
}

/* NLMSG_ERROR: 0 is an acknowledgement, anything else ends the answer. */
static int
take_error(const uint8_t *p, size_t len, struct sockdiag_reply *r,
    const char **why)
{
	int32_t e;

	if (len < sizeof(e)) {
		*why = "sock_diag: an error message without its code";
		return DG_EINVAL;
	}
	memcpy(&e, p, sizeof(e));
	if (e == 0)
		return 0;
	/* The kernel's codes are -1..-4095; anything else is not one. */
	r->error = e < 0 && e >= -4095 ? -e : EPROTO;
	r->done = 1;
	return 0;
}

int
sockdiag_parse(const uint8_t *buf, size_t len, struct sockdiag_reply *r,
    const char **why)
{
	struct nlmsghdr h;
	size_t off = 0, body, step;
	int rc;

	while (off < len && !r->done) {
		if (len - off < sizeof(h)) {
			*why = "sock_diag: a message cut inside its header";
			return DG_EINVAL;
		}
		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off) {
			*why = "sock_diag: a message length beyond the datagram";
			return DG_EINVAL;
		}
		body = h.nlmsg_len - sizeof(h);
		rc = 0;
		/* A reply to an earlier request that timed out is not ours. */
		if (h.nlmsg_seq != r->seq)
			;
		else if (h.nlmsg_type == NLMSG_DONE)
			r->done = 1;
		else if (h.nlmsg_type == NLMSG_ERROR)
			rc = take_error(buf + off + sizeof(h), body, r, why);
		else if (h.nlmsg_type == NLMSG_OVERRUN) {
			*why = "sock_diag: the kernel dropped part of the answer";
			return DG_EINVAL;
		} else if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY)
			rc = take_sock(buf + off + sizeof(h), body, r,
			    r->port, why);
		if (rc != 0)
			return rc;
		/* Messages are padded to 4 bytes; the last one may not be. */
		step = NLMSG_ALIGN(h.nlmsg_len);
		off += step < len - off ? step : len - off;
	}
	return r->done ? 1 : 0;
}

/* One request, then datagrams until the answer is complete. */
static int
ask(const uint8_t *req, size_t reqlen, struct sockdiag_reply *r, char *why)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK }, from;
	static uint8_t buf[SD_BUF];	/* one caller at a time: the loop */
	const char *perr = NULL;
	socklen_t flen;
	ssize_t n;
	int fd, i, rc = -1;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1) {
		snprintf(why, SOCKDIAG_WHY_MAX, "sock_diag: socket: %s",
		    strerror(errno));
		return -1;
	}
	if (sendto(fd, req, reqlen, 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) != (ssize_t)reqlen) {
		snprintf(why, SOCKDIAG_WHY_MAX, "sock_diag: send: %s",
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < SD_DATAGRAMS; i++) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, SD_WAIT_MS) <= 0) {
			snprintf(why, SOCKDIAG_WHY_MAX, "sock_diag: the kernel "
			    "did not answer");
			goto out;
		}
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &flen);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			snprintf(why, SOCKDIAG_WHY_MAX, "sock_diag: recv: %s",
			    n == 0 ? "empty" : strerror(errno));
			goto out;
		}
		if (flen < sizeof(from) || from.nl_pid != 0)
			continue;	/* only the kernel speaks here */
		if ((rc = sockdiag_parse(buf, (size_t)n, r, &perr)) < 0) {
			snprintf(why, SOCKDIAG_WHY_MAX, "%s", perr);
			rc = -1;
			goto out;
		}
		if (rc == 1) {
			rc = 0;
			goto out;
		}
	}
	snprintf(why, SOCKDIAG_WHY_MAX, "sock_diag: more than %d datagrams",
	    SD_DATAGRAMS);
	rc = -1;
out:
	close(fd);
	return rc;
}

int
sockdiag_conn(int family, const uint8_t *laddr, uint16_t lport,
    const uint8_t *raddr, uint16_t rport, struct sockdiag_sock *out,
    char *why)
{
	struct sockdiag_reply r;
	uint8_t req[sizeof(struct sd_request)];
	int len;

	memset(&r, 0, sizeof(r));
	r.seq = 1;
	if ((len = sockdiag_req_conn(req, sizeof(req), r.seq, family, laddr,
	    lport, raddr, rport)) < 0) {
		snprintf(why, SOCKDIAG_WHY_MAX, "sock_diag: not an inet socket");
		return -1;
	}
	if (ask(req, (size_t)len, &r, why) == -1)
		return -1;
	if (r.error == ENOENT || (r.error == 0 && r.n == 0))
		return 0;
	if (r.error != 0) {
		snprintf(why, SOCKDIAG_WHY_MAX, "sock_diag: %s",
		    strerror(r.error));
		return -1;
	}
	*out = r.socks[0];
	return 1;
}

int
sockdiag_listeners(uint16_t port, struct sockdiag_reply *r, char *why)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	uint8_t req[sizeof(struct sd_request)];
	int i, len, n = 0, overflow = 0;
	struct sockdiag_reply one;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 2; i++) {
		memset(&one, 0, sizeof(one));
		one.seq = (uint32_t)i + 1;
		one.dump = 1;
		one.port = port;
		len = sockdiag_req_listen(req, sizeof(req), one.seq, fams[i],
		    port);
		if (ask(req, (size_t)len, &one, why) == -1)
			return -1;
		/* A host without IPv6 answers the second dump with an error. */
		if (one.error != 0 && !(fams[i] == AF_INET6 &&
		    (one.error == ENOENT || one.error == EAFNOSUPPORT))) {
			snprintf(why, SOCKDIAG_WHY_MAX, "sock_diag: %s",
			    strerror(one.error));
			return -1;
		}
		overflow |= one.overflow;
		for (int k = 0; k < one.n; k++)
			if (n < SOCKDIAG_MAX_LISTENERS)
				r->socks[n++] = one.socks[k];
			else
				overflow = 1;
	}
	r->n = n;
	r->overflow = overflow;
	r->done = 1;
	if (overflow) {
		snprintf(why, SOCKDIAG_WHY_MAX, "more than %d sockets listen "
		    "on port %u", SOCKDIAG_MAX_LISTENERS, port);
		return -1;
	}
	return 0;
}

int
sockdiag_is_loopback(const struct sockdiag_sock *s)
{
	static const uint8_t v6_loop[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (s->family == AF_INET)
		return s->laddr[0] == 127;
	if (memcmp(s->laddr, v6_loop, 16) == 0)
		return 1;
	return memcmp(s->laddr, v4_mapped, 12) == 0 && s->laddr[12] == 127;
}
