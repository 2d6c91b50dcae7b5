/* SPDX-License-Identifier: Apache-2.0 */
/*
 * procnet.h - lines of /proc/net/tcp and /proc/net/tcp6, from text to
 * values: which address a listening socket is bound to.  The EPMD service
 * uses it to tell whether a registering node's distribution port can be
 * reached from outside the host (the "exposed" check).
 *
 * Pure: no I/O, no allocation.  The text comes from the kernel, but it is
 * parsed as if it came from anyone: every field is bounded.
 */
#ifndef PROCNET_H
#define PROCNET_H

#include <stddef.h>
#include <stdint.h>

#define PROCNET_LISTEN	0x0A	/* TCP_LISTEN in the st column */

struct procnet_sock {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network order; IPv4 in addr[0..4) */
	uint16_t	port;
	uint8_t		state;
	/* The remote end (0s for a listener), and who owns the socket: the
	 * uid and inode columns, when the line has them (has_owner). */
	uint8_t		raddr[16];
	uint16_t	rport;
	int		has_owner;
	uint32_t	uid;
	uint64_t	inode;
};

/*
 * Parses one line (without its newline, or with it) of either file:
 * "  sl: LOCALADDR:PORT REMADDR:PORT ST ...".  The address is 8 hex
 * digits (IPv4) or 32 (IPv6), each group of 8 being one 32-bit word as the
 * kernel stored it (host order).  Returns 0 and fills *s, or -1 for the
 * header line and anything else that is not a socket line.
 */
int	procnet_parse_line(const char *line, size_t len,
	    struct procnet_sock *s);

/* 1 when the socket is bound to a loopback address (127.0.0.0/8, ::1, or
 * ::ffff:127.x.y.z), 0 otherwise (0.0.0.0 and :: are not). */
int	procnet_is_loopback(const struct procnet_sock *s);

/* What the lines of a file say about listeners on one port. */
struct procnet_verdict {
	int		listeners;	/* LISTEN sockets on the port */
	int		exposed;	/* ... of which not on loopback */
	struct procnet_sock first_exposed;
	/* Who owns them (the local guard's ownership check). */
	int		owners_known;	/* listeners with an owner column */
	int		owners_differ;	/* ... not all of one uid */
	uint32_t	owner_uid;	/* the first one's uid */
};

/* Folds one line into *v (lines that are not sockets are skipped). */
void	procnet_account(struct procnet_verdict *v, const char *line,
	    size_t len, uint16_t port);

/*
 * Does the line describe the TCP connection from `local` to `remote`
 * (addresses and ports as seen from its own end)?  1 and *s filled, or 0.
 * The EPMD service finds a registering client's socket this way: the
 * kernel says which uid owns it.
 */
int	procnet_is_conn(const char *line, size_t len, int family,
	    const uint8_t *laddr, uint16_t lport, const uint8_t *raddr,
	    uint16_t rport, struct procnet_sock *s);

/* The address of a socket as text ("0.0.0.0", "::"), for log lines. */
void	procnet_addr_text(const struct procnet_sock *s, char *buf,
	    size_t cap);

#endif
