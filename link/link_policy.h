/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_policy.h - who may be at the other end of a link, and which node
 * names a link may carry.  Pure: the trust set is data (built by
 * conf/conf_link.c from {link}, {trust} and {revoked}), the time is given.
 *
 * A peer is known either
 *   - by a {link, Host, Key, Options} entry whose key it proved it holds
 *     (an entry pins the key: the host presenting another key is
 *     link.bad_key), or
 *   - by a certificate for its key, signed by a {trust, Key} cluster key,
 *     valid now, neither it nor the key revoked.
 * Anything else is link.unknown_host.
 *
 * Name binding: what a link may carry is a list of node-name patterns.
 * The entry's {names, [...]} if given, else the certificate's patterns if
 * it has any, else "*@" + the host name.  A node x@h is accepted over the
 * link only if it matches one (lk_name_bound), else link.name_not_bound.
 */
#ifndef LK_POLICY_H
#define LK_POLICY_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "cert.h"

#define LK_ALERT_BAD_KEY	"link.bad_key"
#define LK_ALERT_UNKNOWN_HOST	"link.unknown_host"
#define LK_ALERT_NAME_NOT_BOUND	"link.name_not_bound"
#define LK_ALERT_REPLAY		"link.replay"
#define LK_ALERT_INTEGRITY	"link.integrity"

#define LK_MAX_NAMES		LK_CERT_MAX_NAMES	/* patterns per link */
#define LK_DEFAULT_PORT		4368	/* a remote daemon's link port */
/* A certificate's not_before may be this far in the future: clocks of
 * two hosts differ a little, and refusing a host for it is a false alarm. */
#define LK_CLOCK_SKEW		300

/* One {link, HostOrCIDR, PublicKey, [Options]} entry. */
struct lk_link {
	char		*host;		/* the host's name; NULL: a network
					 * entry without {host, Name} */
	int		 is_cidr;
	struct dg_cidr	 cidr;		/* when is_cidr: where it connects from */
	uint8_t		 pk[LK_PK_BYTES];
	char		*names[LK_MAX_NAMES];	/* {names, [...]}; */
	int		 nnames;		/* 0: the default */
	uint16_t	 port;		/* {port, P}: its link port */
	int		 line;
};

enum lk_revoked_kind { LK_REVOKED_KEY, LK_REVOKED_CERT };

struct lk_revoked {
	enum lk_revoked_kind	kind;
	uint8_t			v[LK_PK_BYTES];	/* a key, or an id (16) */
};

struct lk_trust {
	const struct lk_link	*links;
	int			 nlinks;
	const uint8_t		(*anchors)[LK_PK_BYTES];	/* {trust, Key} */
	int			 nanchors;
	const struct lk_revoked	*revoked;
	int			 nrevoked;
};

/* What the peer proved in the handshake: a key, and maybe a certificate
 * for it (already parsed, its signature checked by its own signer). */
struct lk_identity {
	uint8_t		pk[LK_PK_BYTES];
	int		has_cert;
	struct lk_cert	cert;
};

/* What an authenticated link is: the host, and the names it may carry. */
struct lk_binding {
	char	host[LK_NAME_MAX + 1];
	int	nnames;
	char	names[LK_MAX_NAMES][LK_NAME_MAX + 3];	/* "*@" + host */
	int	by_cert;	/* known by a certificate, not an entry */
};

/*
 * Is this identity acceptable?  `expect_host` is the host the initiator
 * dialled (NULL on the responder, which accepts any host it knows);
 * `from` the peer's address (NULL: not checked) for network entries.
 * Returns NULL and fills *out, or the alert (LK_ALERT_*) with a detail.
 */
const char	*lk_authorize(const struct lk_trust *, const struct lk_identity *,
		    const char *expect_host, const struct sockaddr *from,
		    uint64_t now, struct lk_binding *out, char *detail,
		    size_t dlen);
/* The certificate checks alone: trusted signer, period, revocation. */
const char	*lk_cert_check(const struct lk_trust *, const struct lk_cert *,
		    uint64_t now, char *detail, size_t dlen);
/* 1 when the node name matches one of the link's patterns. */
int		 lk_name_bound(const struct lk_binding *, const char *node);

#endif
