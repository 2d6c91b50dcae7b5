/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockdiag.h - who owns a TCP socket, asked of the kernel over
 * NETLINK_SOCK_DIAG (inet_diag, struct inet_diag_req_v2): the uid and
 * the inode of the registering connection's other end, looked up by its
 * exact 4-tuple, and of every socket listening on a port.  The local
 * guard's identity checks stand on these (issue 20, docs/SECURITY.md 2):
 * numbers from the kernel, not the text of /proc/net/tcp.
 *
 * Two halves.  The request builders and the reply parser are pure (no
 * I/O, no allocation) and take the reply as bytes from anyone: every
 * length is checked against what remains (tests/unit/test_sockdiag.c,
 * tests/fuzz/fuzz_sockdiag.c).  sockdiag_conn() and sockdiag_listeners()
 * do the I/O: one netlink socket per call, a bounded wait, a bounded
 * number of datagrams.  Called once per registration, never on the
 * message path.  Unprivileged: any uid may ask (ss(8) does the same).
 */
#ifndef SOCKDIAG_H
#define SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

#include "dg.h"

#define SOCKDIAG_MAX_LISTENERS	16	/* listeners on one port: more is refused */
#define SOCKDIAG_WHY_MAX	160

/* One socket as the kernel describes it (struct inet_diag_msg). */
struct sockdiag_sock {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		state;		/* TCP_LISTEN = 10, ... */
	uint8_t		laddr[16];	/* network order; IPv4 in [0..4) */
	uint16_t	lport;		/* host order */
	uint8_t		raddr[16];
	uint16_t	rport;
	uint32_t	uid;
	uint32_t	inode;		/* 0: no file (a socket being torn down) */
};

/* What the replies to one request said, so far. */
struct sockdiag_reply {
	uint32_t	seq;		/* of the request: other replies are skipped */
	int		dump;		/* a dump ends with NLMSG_DONE; a lookup
					 * with its one answer */
	uint16_t	port;		/* nonzero: only listeners on it count */
	int		done;
	int		error;		/* errno the kernel answered (ENOENT: no
					 * such socket), 0 */
	int		n;
	int		overflow;	/* more sockets than socks[] holds */
	struct sockdiag_sock socks[SOCKDIAG_MAX_LISTENERS];
};

/*
 * Builds the request for one TCP socket by its exact 4-tuple, as seen
 * from that socket's own end (local = its address), or (listen) the dump
 * of the sockets listening on lport of one family.  Returns the request's
 * length, or -1 when cap is too small or the family is neither.
 */
int	sockdiag_req_conn(uint8_t *buf, size_t cap, uint32_t seq, int family,
	    const uint8_t *laddr, uint16_t lport, const uint8_t *raddr,
	    uint16_t rport);
int	sockdiag_req_listen(uint8_t *buf, size_t cap, uint32_t seq, int family,
	    uint16_t lport);

/*
 * Folds one datagram of replies into *r (r->seq, r->dump and r->port set
 * by the caller, the rest zeroed).  Returns 1 when the answer is complete
 * (r->done), 0 when more datagrams are due, DG_EINVAL with *why when the
 * datagram is malformed (a message longer than what remains, shorter
 * than its header, a socket message too short for struct inet_diag_msg,
 * a family that is not an inet one).
 */
int	sockdiag_parse(const uint8_t *buf, size_t len, struct sockdiag_reply *r,
	    const char **why) DG_WUR;

/*
 * The I/O.  sockdiag_conn: 1 and *out when the socket exists, 0 when the
 * kernel knows no such socket, -1 with why[SOCKDIAG_WHY_MAX] when it
 * could not be asked.  sockdiag_listeners: the listeners on port in both
 * families into r (IPv4 then IPv6), 0, or -1 with why (overflow too).
 */
int	sockdiag_conn(int family, const uint8_t *laddr, uint16_t lport,
	    const uint8_t *raddr, uint16_t rport, struct sockdiag_sock *out,
	    char *why);
int	sockdiag_listeners(uint16_t port, struct sockdiag_reply *r, char *why);

/* 1 when the socket's own address is loopback (127/8, ::1, ::ffff:127/104). */
int	sockdiag_is_loopback(const struct sockdiag_sock *s);

#endif
