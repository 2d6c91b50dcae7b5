/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kview.h - what the kernel says at a registration (issue 20): the
 * sockets listening on the registered port, and the registering
 * connection's other end (its own address is the peer distguard
 * accepted, its remote one distguard's socket).  From sock_diag
 * (sockdiag.h); from /proc/net/tcp{,6} (procnet.h) where netlink is not
 * available (a sandbox without AF_NETLINK): source says which, and why
 * what sock_diag answered when it fell back.  Used by the EPMD service's
 * exposed and ownership checks, once per registration.
 */
#ifndef KVIEW_H
#define KVIEW_H

#include <stdint.h>
#include <sys/socket.h>

#include "sockdiag.h"

struct kview {
	const char		*source;	/* NULL: the kernel was not read */
	char			 why[SOCKDIAG_WHY_MAX];	/* ... and why */
	struct sockdiag_reply	 lis;
	int			 have_conn;	/* the connection is inet */
	int			 conn_found;
	struct sockdiag_sock	 conn;
	/* The listeners distguard's connections to the node can reach
	 * (kview_relevant_listener), indexes into lis.socks. */
	int			 rel[SOCKDIAG_MAX_LISTENERS];
	int			 nrel;
	int			 dial_family;	/* what distguard dials the node on */
	/* The connection as its owner sees it, for the lookup. */
	int			 family;
	uint8_t			 laddr[16], raddr[16];
	uint16_t		 lport, rport;
};

/*
 * Reads it for the connection fd, accepted from peer, registering port.
 * Never fails: k->source NULL says the kernel could not be read (k->why).
 */
void	kview_read(int fd, const struct sockaddr_storage *peer, uint16_t port,
	    struct kview *k);

/*
 * 1 when a connection from distguard to the node can reach listener l
 * (pure, for the tests).  The node is dialled on the loopback address of the family it registered
 * over (proxy/session_hs.c connect_node): 127.0.0.1 or ::1.  Those are what
 * ownership is judged on; another node may listen on the same port number
 * at another address (an inet6 node on ::1, an inet one on 127.0.0.1).
 * "::" counts for both families: dual-stack unless IPV6_V6ONLY, which the
 * kernel's answer does not say, so the stricter reading.
 */
int	kview_relevant_listener(const struct sockdiag_sock *l,
	    int dial_family);

#endif
