/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sockdiag.c - the sock_diag requests and the reply parser
 * (epmd/sockdiag.c), the /proc/<pid>/fd link parser (epmd/lgscan.c) and
 * which listeners a registration is judged on (epmd/kview.c).
 * Replies are built here as the kernel lays them out (nlmsghdr, then
 * inet_diag_msg), then cut, padded, mislabelled; every input sits at the
 * end of a guard page.  The last cases ask the live kernel about sockets
 * this test opens itself: uid and inode must be what fstat says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dg_test.h"
#include "dg.h"
#include "kview.h"
#include "lgscan.h"
#include "sockdiag.h"

static uint8_t msgbuf[8192];
static size_t msglen;

/* Appends one message: header, then body of blen bytes (padded to 4). */
static void
put(uint16_t type, uint32_t seq, const void *body, size_t blen)
{
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)(sizeof(h) + blen),
	    .nlmsg_type = type, .nlmsg_seq = seq };

	memcpy(msgbuf + msglen, &h, sizeof(h));
	memcpy(msgbuf + msglen + sizeof(h), body, blen);
	msglen += NLMSG_ALIGN(sizeof(h) + blen);
}

static void
put_sock(uint32_t seq, int family, uint8_t state, uint16_t sport,
    uint32_t uid, uint32_t inode)
{
	struct inet_diag_msg m;

	memset(&m, 0, sizeof(m));
	m.idiag_family = (uint8_t)family;
	m.idiag_state = state;
	m.id.idiag_sport = htons(sport);
	m.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
	m.idiag_uid = uid;
	m.idiag_inode = inode;
	put(SOCK_DIAG_BY_FAMILY, seq, &m, sizeof(m));
}

static void
put_done(uint32_t seq)
{
	int32_t z = 0;

	put(NLMSG_DONE, seq, &z, sizeof(z));
}

static struct sockdiag_reply r;
static const char *why;

static int
parse_as(uint32_t seq, int dump, uint16_t port)
{
	memset(&r, 0, sizeof(r));
	r.seq = seq;
	r.dump = dump;
	r.port = port;
	why = NULL;
	return sockdiag_parse(guard_copy(msgbuf, msglen), msglen, &r, &why);
}

static void
t_requests(void)
{
	uint8_t buf[256], a[4] = { 127, 0, 0, 1 }, b[4] = { 127, 0, 0, 2 };
	struct nlmsghdr h;
	struct inet_diag_req_v2 q;
	int n;

	n = sockdiag_req_conn(buf, sizeof(buf), 9, AF_INET, a, 1000, b, 4369);
	CHECK_EQ(n, (int)(sizeof(h) + sizeof(q)));
	memcpy(&h, buf, sizeof(h));
	memcpy(&q, buf + sizeof(h), sizeof(q));
	CHECK(h.nlmsg_type == SOCK_DIAG_BY_FAMILY && h.nlmsg_seq == 9 &&
	    h.nlmsg_flags == NLM_F_REQUEST && h.nlmsg_len == (uint32_t)n);
	CHECK(q.sdiag_family == AF_INET && q.sdiag_protocol == IPPROTO_TCP);
	CHECK(ntohs(q.id.idiag_sport) == 1000 && ntohs(q.id.idiag_dport) == 4369);
	CHECK(memcmp(q.id.idiag_src, a, 4) == 0 &&
	    memcmp(q.id.idiag_dst, b, 4) == 0);
	CHECK(q.id.idiag_cookie[0] == INET_DIAG_NOCOOKIE &&
	    q.id.idiag_cookie[1] == INET_DIAG_NOCOOKIE);

	n = sockdiag_req_listen(buf, sizeof(buf), 3, AF_INET6, 21000);
	CHECK(n > 0);
	memcpy(&h, buf, sizeof(h));
	memcpy(&q, buf + sizeof(h), sizeof(q));
	CHECK(h.nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
	CHECK(q.idiag_states == 1U << TCP_LISTEN && q.sdiag_family == AF_INET6);
	CHECK_EQ(ntohs(q.id.idiag_sport), 21000);

	CHECK_EQ(sockdiag_req_listen(buf, 10, 3, AF_INET, 1), -1);
	CHECK_EQ(sockdiag_req_listen(buf, sizeof(buf), 3, AF_UNIX, 1), -1);
	CHECK_EQ(sockdiag_req_conn(buf, sizeof(buf), 3, AF_UNIX, a, 1, b, 2),
	    -1);
}

/* A dump: two listeners on the port, one elsewhere, one established. */
static void
t_dump(void)
{
	msglen = 0;
	put_sock(5, AF_INET, TCP_LISTEN, 21000, 1000, 77);
	put_sock(5, AF_INET, TCP_LISTEN, 21001, 1000, 78);
	put_sock(5, AF_INET, TCP_ESTABLISHED, 21000, 1000, 79);
	put_sock(5, AF_INET6, TCP_LISTEN, 21000, 0, 80);
	put_done(5);
	CHECK_EQ(parse_as(5, 1, 21000), 1);
	CHECK_EQ(r.n, 2);
	CHECK(r.socks[0].uid == 1000 && r.socks[0].inode == 77 &&
	    r.socks[0].family == AF_INET && r.socks[0].lport == 21000);
	CHECK(sockdiag_is_loopback(&r.socks[0]) == 1);
	CHECK(r.socks[1].family == AF_INET6 && r.socks[1].inode == 80);
	CHECK(sockdiag_is_loopback(&r.socks[1]) == 0);	/* :: */
	/* Without a port, every socket counts. */
	CHECK_EQ(parse_as(5, 1, 0), 1);
	CHECK_EQ(r.n, 4);
}

/* Every strict prefix that ends between messages: not done yet; one
 * cut inside a message: malformed. */
static void
t_prefixes(void)
{
	size_t full, cut;
	int rc;

	msglen = 0;
	put_sock(5, AF_INET, TCP_LISTEN, 21000, 1000, 77);
	put_done(5);
	full = msglen;
	for (cut = 0; cut < full; cut++) {
		msglen = cut;
		rc = parse_as(5, 1, 21000);
		if (cut == 0 || cut == NLMSG_ALIGN(NLMSG_HDRLEN +
		    sizeof(struct inet_diag_msg)))
			CHECK_EQ(rc, 0);
		else
			CHECK(rc == DG_EINVAL && why != NULL);
	}
}

static void
t_errors(void)
{
	int32_t e = -ENOENT;
	uint8_t small[8] = { 0 };

	/* A lookup that finds nothing. */
	msglen = 0;
	put(NLMSG_ERROR, 2, &e, sizeof(e));
	CHECK_EQ(parse_as(2, 0, 0), 1);
	CHECK_EQ(r.error, ENOENT);
	/* An acknowledgement is not an end. */
	e = 0;
	msglen = 0;
	put(NLMSG_ERROR, 2, &e, sizeof(e));
	CHECK_EQ(parse_as(2, 0, 0), 0);
	/* A code that is no errno. */
	e = -70000;
	msglen = 0;
	put(NLMSG_ERROR, 2, &e, sizeof(e));
	CHECK_EQ(parse_as(2, 0, 0), 1);
	CHECK_EQ(r.error, EPROTO);
	/* An error without its code. */
	msglen = 0;
	put(NLMSG_ERROR, 2, small, 2);
	CHECK_EQ(parse_as(2, 0, 0), DG_EINVAL);
	/* A socket message too short. */
	msglen = 0;
	put(SOCK_DIAG_BY_FAMILY, 2, small, sizeof(small));
	CHECK_EQ(parse_as(2, 0, 0), DG_EINVAL);
	/* Overrun. */
	msglen = 0;
	put(NLMSG_OVERRUN, 2, small, 4);
	CHECK_EQ(parse_as(2, 1, 0), DG_EINVAL);
	/* A family that is not inet. */
	msglen = 0;
	put_sock(2, AF_UNIX, TCP_LISTEN, 1, 0, 1);
	CHECK_EQ(parse_as(2, 1, 0), DG_EINVAL);
}

static void
t_lengths(void)
{
	struct nlmsghdr h;

	/* A length beyond the datagram, and one below the header. */
	msglen = 0;
	put_done(4);
	memcpy(&h, msgbuf, sizeof(h));
	h.nlmsg_len = 4096;
	memcpy(msgbuf, &h, sizeof(h));
	CHECK_EQ(parse_as(4, 1, 0), DG_EINVAL);
	h.nlmsg_len = 3;
	memcpy(msgbuf, &h, sizeof(h));
	CHECK_EQ(parse_as(4, 1, 0), DG_EINVAL);
	/* The last message unpadded is whole. */
	msglen = 0;
	put_sock(4, AF_INET, TCP_LISTEN, 9, 1, 2);
	h.nlmsg_len = NLMSG_HDRLEN + 1;
	h.nlmsg_type = NLMSG_NOOP;
	h.nlmsg_seq = 4;
	memcpy(msgbuf + msglen, &h, sizeof(h));
	msgbuf[msglen + sizeof(h)] = 0;
	msglen += sizeof(h) + 1;
	CHECK_EQ(parse_as(4, 1, 0), 0);
	CHECK_EQ(r.n, 1);
}

/* Replies to another request are skipped; a lookup ends at its socket;
 * past SOCKDIAG_MAX_LISTENERS the reply says so. */
static void
t_seq_and_overflow(void)
{
	int i;

	msglen = 0;
	put_sock(1, AF_INET, TCP_LISTEN, 9, 1, 2);	/* stale */
	put_done(1);
	put_sock(7, AF_INET, TCP_ESTABLISHED, 9, 3, 4);
	put_sock(7, AF_INET, TCP_ESTABLISHED, 9, 5, 6);	/* after the end */
	CHECK_EQ(parse_as(7, 0, 0), 1);
	CHECK(r.n == 1 && r.socks[0].uid == 3);

	msglen = 0;
	for (i = 0; i < SOCKDIAG_MAX_LISTENERS + 2; i++)
		put_sock(8, AF_INET, TCP_LISTEN, 9, 1, (uint32_t)i + 1);
	put_done(8);
	CHECK_EQ(parse_as(8, 1, 9), 1);
	CHECK(r.n == SOCKDIAG_MAX_LISTENERS && r.overflow == 1);
}

static void
t_fd_links(void)
{
	uint32_t ino = 0;

	CHECK_EQ(lgscan_socket_inode("socket:[12345]", 14, &ino), 0);
	CHECK_EQ(ino, 12345u);
	CHECK_EQ(lgscan_socket_inode("socket:[4294967295]", 19, &ino), 0);
	CHECK_EQ(lgscan_socket_inode("socket:[4294967296]", 19, &ino), -1);
	CHECK_EQ(lgscan_socket_inode("socket:[0]", 10, &ino), -1);
	CHECK_EQ(lgscan_socket_inode("socket:[]", 9, &ino), -1);
	CHECK_EQ(lgscan_socket_inode("socket:[12a]", 12, &ino), -1);
	CHECK_EQ(lgscan_socket_inode("socket:[12345", 13, &ino), -1);
	CHECK_EQ(lgscan_socket_inode("pipe:[12345]", 12, &ino), -1);
	CHECK_EQ(lgscan_socket_inode("/dev/null", 9, &ino), -1);
	CHECK_EQ(lgscan_socket_inode("socket:[12345678901]", 20, &ino), -1);
}

static struct sockdiag_sock
lsock(int family, const char *addr)
{
	struct sockdiag_sock l;

	memset(&l, 0, sizeof(l));
	l.family = family;
	l.state = TCP_LISTEN;
	CHECK_EQ(inet_pton(family, addr, l.laddr), 1);
	return l;
}

/* Which listeners distguard's connection to a node can reach: 127.0.0.1
 * or ::1 by the registration's family, and the wildcards. */
static void
t_relevant(void)
{
	struct sockdiag_sock l;

	l = lsock(AF_INET, "127.0.0.1");
	CHECK(kview_relevant_listener(&l, AF_INET) == 1 &&
	    kview_relevant_listener(&l, AF_INET6) == 0);
	l = lsock(AF_INET, "0.0.0.0");
	CHECK(kview_relevant_listener(&l, AF_INET) == 1 &&
	    kview_relevant_listener(&l, AF_INET6) == 0);
	l = lsock(AF_INET, "127.0.0.2");
	CHECK_EQ(kview_relevant_listener(&l, AF_INET), 0);
	l = lsock(AF_INET6, "::1");
	CHECK(kview_relevant_listener(&l, AF_INET) == 0 &&
	    kview_relevant_listener(&l, AF_INET6) == 1);
	l = lsock(AF_INET6, "::");
	CHECK(kview_relevant_listener(&l, AF_INET) == 1 &&
	    kview_relevant_listener(&l, AF_INET6) == 1);
	l = lsock(AF_INET6, "::ffff:127.0.0.1");
	CHECK(kview_relevant_listener(&l, AF_INET) == 1 &&
	    kview_relevant_listener(&l, AF_INET6) == 0);
	l = lsock(AF_INET6, "fe80::1");
	CHECK(kview_relevant_listener(&l, AF_INET) == 0 &&
	    kview_relevant_listener(&l, AF_INET6) == 0);
}

static uint32_t
inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint32_t)st.st_ino : 0;
}

/* The live kernel: a listener and a connection of this process. */
static void
t_live(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, me, peer;
	socklen_t len = sizeof(a);
	struct sockdiag_sock s;
	struct lgscan_result res;
	char err[SOCKDIAG_WHY_MAX];
	int l, c, acc, rc;
	uint32_t lis;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(l != -1 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    listen(l, 4) == 0 && getsockname(l, (struct sockaddr *)&a,
	    &len) == 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
	acc = accept(l, NULL, NULL);
	CHECK(acc != -1);

	rc = sockdiag_listeners(ntohs(a.sin_port), &r, err);
	if (rc == -1 && strstr(err, "socket:") != NULL) {
		printf("# t_live not run: %s\n", err);	/* said, not passed */
		goto out;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(r.n, 1);
	CHECK(r.socks[0].uid == geteuid() && r.socks[0].inode == inode_of(l));

	/* The client's socket by its 4-tuple, as the daemon asks. */
	len = sizeof(me);
	CHECK(getsockname(c, (struct sockaddr *)&me, &len) == 0);
	len = sizeof(peer);
	CHECK(getpeername(c, (struct sockaddr *)&peer, &len) == 0);
	CHECK_EQ(sockdiag_conn(AF_INET, (uint8_t *)&me.sin_addr,
	    ntohs(me.sin_port), (uint8_t *)&peer.sin_addr, ntohs(peer.sin_port),
	    &s, err), 1);
	CHECK(s.inode == inode_of(c) && s.uid == geteuid());
	/* The other end of the pair is the accepted socket. */
	CHECK_EQ(sockdiag_conn(AF_INET, (uint8_t *)&peer.sin_addr,
	    ntohs(peer.sin_port), (uint8_t *)&me.sin_addr, ntohs(me.sin_port),
	    &s, err), 1);
	CHECK(s.inode == inode_of(acc));
	/* No such connection. */
	CHECK_EQ(sockdiag_conn(AF_INET, (uint8_t *)&me.sin_addr, 1,
	    (uint8_t *)&peer.sin_addr, ntohs(peer.sin_port), &s, err), 0);

	/* And the scan of /proc, for this uid: this process holds both. */
	lis = inode_of(l);
	CHECK_EQ(lgscan_owner("/proc", geteuid(), inode_of(c), &lis, 1, &res),
	    0);
	CHECK(res.conn_pid == getpid() && res.held == 1);
	CHECK_EQ(lgscan_owner("/nonexistent", geteuid(), 1, &lis, 1, &res), -1);
out:
	close(acc);
	close(c);
	close(l);
}

int
main(void)
{
	RUN(t_requests);
	RUN(t_dump);
	RUN(t_prefixes);
	RUN(t_errors);
	RUN(t_lengths);
	RUN(t_seq_and_overflow);
	RUN(t_fd_links);
	RUN(t_relevant);
	RUN(t_live);
	return TEST_DONE();
}
