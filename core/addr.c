/* SPDX-License-Identifier: Apache-2.0 */
/*
 * addr.c - the source-address key, its text and the CIDR match
 * (core/addr.h).  No state.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "dg.h"
#include "core/addr.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void
dg_addr_key_of(const struct sockaddr *sa, struct dg_addr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		memcpy(k->b, v4_mapped, sizeof(v4_mapped));
		memcpy(k->b + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(k->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

int
dg_addr_key_parse(const char *s, struct dg_addr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (inet_pton(AF_INET, s, k->b + 12) == 1) {
		memcpy(k->b, v4_mapped, sizeof(v4_mapped));
		return 0;
	}
	if (inet_pton(AF_INET6, s, k->b) == 1)
		return 0;
	memset(k, 0, sizeof(*k));
	return -1;
}

int
dg_addr_key_eq(const struct dg_addr_key *a, const struct dg_addr_key *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

uint32_t
dg_addr_key_hash(const struct dg_addr_key *k)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(k->b); i++)
		h = (h ^ k->b[i]) * 16777619u;
	return h;
}

static int
is_v4(const struct dg_addr_key *k)
{
	return memcmp(k->b, v4_mapped, sizeof(v4_mapped)) == 0;
}

static int
is_none(const struct dg_addr_key *k)
{
	static const struct dg_addr_key zero;

	return dg_addr_key_eq(k, &zero);
}

char *
dg_addr_key_text(const struct dg_addr_key *k, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (is_none(k))
		snprintf(buf, len, "-");
	else if (is_v4(k)) {
		if (inet_ntop(AF_INET, k->b + 12, buf, (socklen_t)len) == NULL)
			buf[0] = '\0';
	} else if (inet_ntop(AF_INET6, k->b, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}

int
dg_addr_is_loopback(const struct sockaddr *sa)
{
	struct dg_addr_key k;

	dg_addr_key_of(sa, &k);
	if (is_v4(&k))
		return k.b[12] == 127;
	return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)k.b);
}

static int
prefix_match(const uint8_t *net, const uint8_t *a, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(net, a, (size_t)whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (net[whole] & mask) == (a[whole] & mask);
}

int
dg_cidr_match(const struct dg_cidr *c, int n, const struct sockaddr *sa)
{
	struct dg_addr_key k;
	const uint8_t *a;
	int fam, i;

	dg_addr_key_of(sa, &k);
	if (is_none(&k))
		return 0;
	if (is_v4(&k)) {
		fam = AF_INET;
		a = k.b + 12;
	} else {
		fam = AF_INET6;
		a = k.b;
	}
	for (i = 0; i < n; i++)
		if (c[i].family == fam && prefix_match(c[i].addr, a,
		    c[i].prefix))
			return 1;
	return 0;
}

char *
dg_host_text(const struct sockaddr *sa, char *buf, size_t len)
{
	if (sa == NULL)
		snprintf(buf, len, "-");
	else if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
		    (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    buf, (socklen_t)len);
	else
		snprintf(buf, len, "?");
	return buf;
}

char *
dg_addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	dg_host_text(sa, host, sizeof(host));
	if (sa == NULL)
		snprintf(buf, len, "-");
	else if (sa->sa_family == AF_INET)
		snprintf(buf, len, "%s:%u", host,
		    ntohs(((const struct sockaddr_in *)sa)->sin_port));
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host,
		    ntohs(((const struct sockaddr_in6 *)sa)->sin6_port));
	else
		snprintf(buf, len, "%s", host);
	return buf;
}

/*
 * This host's interface addresses, read again at most once a second:
 * they are asked for on accepts and handshakes from any source that is
 * not in registration_from, and a netlink dump per connection would be
 * work on that path for nothing.  Bounded: past IFADDR_MAX addresses the
 * rest are not seen (they count as not ours, which only refuses more).
 */
#define IFADDR_MAX	256

static struct {
	struct dg_addr_key	key[IFADDR_MAX];
	int			n;
	double			at;	/* when read; 0: never */
} ifaddrs_cache;

static void
read_ifaddrs(void)
{
	struct ifaddrs *ifs, *i;

	ifaddrs_cache.n = 0;
	ifaddrs_cache.at = dg_now();
	if (getifaddrs(&ifs) != 0)
		return;
	for (i = ifs; i != NULL && ifaddrs_cache.n < IFADDR_MAX; i = i->ifa_next)
		if (i->ifa_addr != NULL && (i->ifa_addr->sa_family == AF_INET ||
		    i->ifa_addr->sa_family == AF_INET6))
			dg_addr_key_of(i->ifa_addr,
			    &ifaddrs_cache.key[ifaddrs_cache.n++]);
	freeifaddrs(ifs);
}

/* Is the address (a key) one of this host's interfaces? */
static int
key_is_ours(const struct dg_addr_key *want)
{
	int i;

	if (ifaddrs_cache.at == 0 || dg_now() - ifaddrs_cache.at >= 1.0)
		read_ifaddrs();
	for (i = 0; i < ifaddrs_cache.n; i++)
		if (dg_addr_key_eq(want, &ifaddrs_cache.key[i]))
			return 1;
	return 0;
}

int
dg_addr_is_ours(const char *host)
{
	struct dg_addr_key want;

	return dg_addr_key_parse(host, &want) == 0 && key_is_ours(&want);
}

int
dg_sockaddr_is_ours(const struct sockaddr *sa)
{
	struct dg_addr_key want;

	dg_addr_key_of(sa, &want);
	return key_is_ours(&want);
}

int
dg_local_source(const struct dg_cidr *from, int n, const struct sockaddr *sa)
{
	return dg_cidr_match(from, n, sa) || dg_sockaddr_is_ours(sa);
}
