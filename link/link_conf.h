/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_conf.h - the link entries of the configuration, as conf/conf_link.c
 * loads them: this host's key (and certificate), the {link} entries, the
 * trusted cluster keys, the revocations, the plaintext rule.  Part of a
 * loaded struct dg_conf (conf->link, never NULL once loaded), immutable.
 *
 * proxy/linkleg.c reads it: links are dialled for the remotes a {link}
 * entry names, and accepted at `listen`.
 */
#ifndef LK_CONF_H
#define LK_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "cert.h"
#include "hostkey.h"
#include "link_policy.h"

enum lk_plaintext { LK_PLAINTEXT_ALLOW, LK_PLAINTEXT_DENY };

struct lk_conf {
	struct lk_hostkey	*key;		/* {host_key, ...}: in guarded,
						 * locked memory; NULL: none */
	char			*key_path;
	int			 key_line;
	char			*cert_path;
	int			 cert_line;
	uint8_t			 cert[LK_CERT_MAX];	/* [{certificate, ...}] */
	size_t			 cert_len;		/* 0: none */
	struct lk_cert		 cert_parsed;
	struct dg_sockaddr	 listen;	/* [{listen, {Addr, Port}}]: where
						 * links are accepted (len 0: none) */

	struct lk_link		*links;		/* {link, HostOrCIDR, Key, Opts} */
	int			 nlinks;
	uint8_t			(*anchors)[LK_PK_BYTES];	/* {trust, Key} */
	int			 nanchors;
	struct lk_revoked	*revoked;	/* {revoked, [...]} */
	int			 nrevoked;
	enum lk_plaintext	 plaintext;	/* {plaintext, allow|deny} */

	struct lk_trust		 trust;		/* a view of the three lists,
						 * for lk_hs_params.trust */
};

#endif
