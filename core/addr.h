/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/addr.h - one key for a source address, at the bottom of the module
 * stack: what bans, per-source counts and alert rate limits are keyed by,
 * its text form, and the CIDR match of registration_from.
 *
 * A v4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack "::" socket
 * reports for an IPv4 client) is the IPv4 address it stands for,
 * everywhere: the same key, the same text, the same CIDR match.  One
 * client cannot be counted twice, nor escape a ban or a rate limit, by
 * reaching distguard over the other socket family.
 */
#ifndef DG_ADDR_H
#define DG_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* IPv4 as its v4-mapped form, IPv6 as is; all zero for no address (NULL,
 * or a family that is neither). */
struct dg_addr_key {
	uint8_t		b[16];
};

/* A network: "10.0.0.0/8", "::1" (config/registration_from). */
struct dg_cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network byte order; 4 used for v4 */
	int		prefix;		/* 0..32 or 0..128 */
};

void		dg_addr_key_of(const struct sockaddr *, struct dg_addr_key *);
/* Parses a numeric IPv4 or IPv6 address; 0, or -1 when it is not one. */
int		dg_addr_key_parse(const char *, struct dg_addr_key *);
int		dg_addr_key_eq(const struct dg_addr_key *, const struct dg_addr_key *);
/* FNV-1a over the key, for hash tables whose slots a remote source
 * cannot choose beyond its own address. */
uint32_t	dg_addr_key_hash(const struct dg_addr_key *);
/* "127.0.0.1" (v4 and v4-mapped alike), "::1"; "-" for no address. */
char		*dg_addr_key_text(const struct dg_addr_key *, char *, size_t);
/* 127.0.0.0/8 (v4 or v4-mapped) or ::1. */
int		dg_addr_is_loopback(const struct sockaddr *);
/* Is `host` an address literal of one of this host's interfaces?  Is
 * this source?  (A TCP peer whose address is one of ours is a process of
 * this host: the kernel routes our own addresses to us.) */
int		dg_addr_is_ours(const char *host);
int		dg_sockaddr_is_ours(const struct sockaddr *);
/* A source of this host: in `from` (registration_from), or one of this
 * host's own addresses.  Such sources are banned per node name, not per
 * address, and may carry the names of nodes registered here. */
int		dg_local_source(const struct dg_cidr *from, int n,
		    const struct sockaddr *);
/* Is the source in one of the n networks? */
int		dg_cidr_match(const struct dg_cidr *, int n, const struct sockaddr *);

/* Text of a socket address for logs and alerts: host only, or
 * host:port ("[v6]:port"); "-" for NULL.  As the socket reports it. */
char		*dg_host_text(const struct sockaddr *, char *buf, size_t len);
char		*dg_addr_text(const struct sockaddr *, char *buf, size_t len);

#endif
