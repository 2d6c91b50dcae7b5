/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_policy.c - the decision on a peer's proven identity (entries pin
 * keys, certificates vouch for keys) and the name binding of a link.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/addr.h"
#include "dg.h"
#include "link_policy.h"

static int
revoked(const struct lk_trust *t, enum lk_revoked_kind kind,
    const uint8_t *v, size_t len)
{
	int i;

	for (i = 0; i < t->nrevoked; i++)
		if (t->revoked[i].kind == kind &&
		    memcmp(t->revoked[i].v, v, len) == 0)
			return 1;
	return 0;
}

static int
anchored(const struct lk_trust *t, const uint8_t *pk)
{
	int i;

	for (i = 0; i < t->nanchors; i++)
		if (memcmp(t->anchors[i], pk, LK_PK_BYTES) == 0)
			return 1;
	return 0;
}

const char *
lk_cert_check(const struct lk_trust *t, const struct lk_cert *c,
    uint64_t now, char *detail, size_t dlen)
{
	if (!anchored(t, c->signer_pk)) {
		snprintf(detail, dlen, "certificate of host %s is signed by a "
		    "key that no {trust, Key} entry names", c->host);
		return LK_ALERT_UNKNOWN_HOST;
	}
	if (revoked(t, LK_REVOKED_KEY, c->host_pk, LK_PK_BYTES) ||
	    revoked(t, LK_REVOKED_CERT, c->id, LK_CERT_ID_BYTES)) {
		snprintf(detail, dlen, "certificate of host %s is revoked",
		    c->host);
		return LK_ALERT_BAD_KEY;
	}
	if (c->not_before > now + LK_CLOCK_SKEW) {
		snprintf(detail, dlen, "certificate of host %s is not valid "
		    "yet", c->host);
		return LK_ALERT_BAD_KEY;
	}
	if (now >= c->not_after) {
		snprintf(detail, dlen, "certificate of host %s has expired",
		    c->host);
		return LK_ALERT_BAD_KEY;
	}
	return NULL;
}

static int
entry_matches_from(const struct lk_link *l, const struct sockaddr *from)
{
	return !l->is_cidr || from == NULL || dg_cidr_match(&l->cidr, 1, from);
}

/* The entry holding this key (reachable from `from`), or NULL. */
static const struct lk_link *
entry_by_key(const struct lk_trust *t, const uint8_t *pk,
    const struct sockaddr *from)
{
	int i;

	for (i = 0; i < t->nlinks; i++)
		if (sodium_memcmp(t->links[i].pk, pk, LK_PK_BYTES) == 0 &&
		    entry_matches_from(&t->links[i], from))
			return &t->links[i];
	return NULL;
}

/* An entry that pins a key for this host name, or for this address. */
static const struct lk_link *
entry_pinning(const struct lk_trust *t, const char *host,
    const struct sockaddr *from)
{
	int i;

	for (i = 0; i < t->nlinks; i++) {
		const struct lk_link *l = &t->links[i];

		if (host != NULL && l->host != NULL && strcmp(l->host, host) == 0)
			return l;
		if (l->is_cidr && from != NULL && dg_cidr_match(&l->cidr, 1, from))
			return l;
	}
	return NULL;
}

static void
bind_names(struct lk_binding *b, const char *host, char *const *names,
    int nnames, const char (*cnames)[LK_NAME_MAX + 1], int ncnames)
{
	int i;

	memset(b, 0, sizeof(*b));
	snprintf(b->host, sizeof(b->host), "%s", host != NULL ? host : "");
	if (nnames > 0) {
		for (i = 0; i < nnames && i < LK_MAX_NAMES; i++)
			snprintf(b->names[i], sizeof(b->names[i]), "%s",
			    names[i]);
		b->nnames = i;
	} else if (ncnames > 0) {
		for (i = 0; i < ncnames && i < LK_MAX_NAMES; i++)
			snprintf(b->names[i], sizeof(b->names[i]), "%s",
			    cnames[i]);
		b->nnames = i;
	} else if (host != NULL) {
		snprintf(b->names[0], sizeof(b->names[0]), "*@%s", host);
		b->nnames = 1;
	}
}

const char *
lk_authorize(const struct lk_trust *t, const struct lk_identity *id,
    const char *expect_host, const struct sockaddr *from, uint64_t now,
    struct lk_binding *out, char *detail, size_t dlen)
{
	const struct lk_link *l;
	const char *alert, *host;
	char pk[LK_PK_TEXT_MAX];

	lk_pubkey_text(id->pk, pk);
	if (revoked(t, LK_REVOKED_KEY, id->pk, LK_PK_BYTES)) {
		snprintf(detail, dlen, "key %s is revoked", pk);
		return LK_ALERT_BAD_KEY;
	}
	if ((l = entry_by_key(t, id->pk, from)) != NULL) {
		/*
		 * An entry by network without {host, Name} has no host to
		 * compare with the one dialled: its key is the identity, and
		 * its {names, [...]} (which the loader requires then) say
		 * which nodes the link carries, checked on the node's real
		 * name in the hello (lk_hello_check).
		 */
		if (expect_host != NULL && l->host != NULL &&
		    strcmp(l->host, expect_host) != 0) {
			snprintf(detail, dlen, "dialled host %s but the peer "
			    "proved the key of the entry on line %d",
			    expect_host, l->line);
			return LK_ALERT_BAD_KEY;
		}
		bind_names(out, l->host != NULL ? l->host : expect_host,
		    l->names, l->nnames, NULL, 0);
		return NULL;
	}
	host = expect_host != NULL ? expect_host :
	    id->has_cert ? id->cert.host : NULL;
	if ((l = entry_pinning(t, host, from)) != NULL) {
		snprintf(detail, dlen, "%s%s presented key %s, not the key of "
		    "its {link} entry (line %d)", host ? "host " : "the peer",
		    host ? host : "", pk, l->line);
		return LK_ALERT_BAD_KEY;
	}
	if (!id->has_cert) {
		snprintf(detail, dlen, "key %s%s%s is in no {link} entry and "
		    "came without a certificate", pk, host ? " of host " : "",
		    host ? host : "");
		return LK_ALERT_UNKNOWN_HOST;
	}
	if (sodium_memcmp(id->cert.host_pk, id->pk, LK_PK_BYTES) != 0) {
		snprintf(detail, dlen, "certificate of host %s is for another "
		    "key", id->cert.host);
		return LK_ALERT_BAD_KEY;
	}
	if (expect_host != NULL && strcmp(id->cert.host, expect_host) != 0) {
		snprintf(detail, dlen, "dialled host %s but the certificate "
		    "is for host %s", expect_host, id->cert.host);
		return LK_ALERT_BAD_KEY;
	}
	if ((alert = lk_cert_check(t, &id->cert, now, detail, dlen)) != NULL)
		return alert;
	bind_names(out, id->cert.host, NULL, 0, id->cert.names,
	    id->cert.nnames);
	out->by_cert = 1;
	return NULL;
}

int
lk_name_bound(const struct lk_binding *b, const char *node)
{
	int i;

	for (i = 0; i < b->nnames; i++)
		if (dg_glob_match(b->names[i], node))
			return 1;
	return 0;
}
