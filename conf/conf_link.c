/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_link.c - the configuration entries of encrypted links between
 * distguard hosts (link/link_conf.h, docs/CONFIG.md "Links"):
 *
 *   {host_key, {file, Path}}  and  {host_key, {file, Path}, [Option]}
 *   {link, HostOrCIDR, PublicKey}  and  {link, HostOrCIDR, PublicKey, [Option]}
 *   {trust, PublicKey}
 *   {revoked, [PublicKey | "cert:" ++ Hex]}
 *   {plaintext, allow | deny}
 *
 * Checked as every entry is (FILE:LINE errors, ranges, duplicates); the
 * host key is read with the same secrecy rules as a cookie file and kept
 * in sodium_malloc'd memory, wiped when the configuration is freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dg.h"
#include "conf/conf.h"
#include "eterm.h"
#include "conf_int.h"
#include "link/link_conf.h"

#define MAX_LINKS	4096
#define MAX_ANCHORS	64
#define MAX_REVOKED	65536

static struct lk_conf *
lc(struct loader *L)
{
	if (L->c->link == NULL &&
	    (L->c->link = conf_calloc(L, 1, sizeof(*L->c->link), 0)) != NULL)
		L->c->link->plaintext = LK_PLAINTEXT_ALLOW;
	return L->c->link;
}

/* "dg1:..." as operators paste it. */
static int
get_pubkey(struct loader *L, const struct et_node *v, const char *what,
    uint8_t *pk)
{
	const char *why;

	if (v->kind != ET_STRING && v->kind != ET_ATOM) {
		conf_err(L, v->line, "%s must be a public key string \"dg1:...\" "
		    "(`distguard pubkey FILE` prints it)", what);
		return -1;
	}
	if (lk_pubkey_parse(v->text, v->len, pk, &why) == -1) {
		conf_err(L, v->line, "%s: %s", what, why);
		return -1;
	}
	return 0;
}

/* {file, Path} */
static const char *
get_file(struct loader *L, const struct et_node *v, const char *what)
{
	if (!et_is_tagged(v, "file", 2)) {
		conf_err(L, v->line, "%s must be {file, Path}", what);
		return NULL;
	}
	return conf_get_text(L, et_elem(v, 1), what, CONF_MAX_PATH);
}

/* A certificate file: its text form, "dgc1:...", and a final newline. */
static void
read_cert(struct loader *L, struct lk_conf *k, const char *path, int line)
{
	char buf[LK_CERT_TEXT_MAX + 16];
	const char *why;
	size_t n;
	int len;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		conf_err(L, line, "certificate file %s: %s", path, strerror(errno));
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if ((len = lk_cert_from_text(buf, n, k->cert, sizeof(k->cert))) < 0) {
		conf_err(L, line, "certificate file %s does not hold one "
		    "\"dgc1:...\" certificate (as `distguard sign` writes it)",
		    path);
		return;
	}
	if (lk_cert_parse(k->cert, (size_t)len, &k->cert_parsed, &why) == -1) {
		conf_err(L, line, "certificate file %s: %s", path, why);
		return;
	}
	k->cert_len = (size_t)len;
}

/* {listen, {Address, Port}}: where this daemon accepts links. */
static int
link_listen(struct loader *L, const struct et_node *v, struct dg_sockaddr *sa)
{
	int64_t port;

	if (v->kind != ET_TUPLE || v->nkids != 2) {
		conf_err(L, v->line, "host_key: listen is {Address, Port}");
		return -1;
	}
	if (conf_get_int(L, et_elem(v, 1), "host_key: listen port", 1, 65535, "",
	    &port) != 0)
		return -1;
	return conf_get_sockaddr(L, et_elem(v, 0), "host_key: listen address",
	    (uint16_t)port, sa);
}

void
conf_entry_host_key(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct lk_conf *k = lc(L);
	const struct et_node *o, *v;
	const char *path, *cpath = NULL;
	int cline = 0;

	if (k == NULL)
		return;
	if (t->nkids != 2 && t->nkids != 3) {
		conf_err(L, t->line, "host_key takes {host_key, {file, Path}} or "
		    "{host_key, {file, Path}, [{certificate, {file, Path}}]}");
		return;
	}
	if ((path = get_file(L, et_elem(t, 1), "host_key")) == NULL)
		return;
	if (t->nkids == 3) {
		if ((v = et_elem(t, 2))->kind != ET_LIST) {
			conf_err(L, v->line, "host_key options must be a list");
			return;
		}
		for (o = v->kids; o != NULL; o = o->next) {
			if (et_is_tagged(o, "certificate", 2) && cpath == NULL) {
				if ((cpath = get_file(L, et_elem(o, 1),
				    "host_key: certificate")) == NULL)
					return;
				cline = o->line;
			} else if (et_is_tagged(o, "listen", 2) &&
			    k->listen.len == 0) {
				if (link_listen(L, et_elem(o, 1), &k->listen) != 0)
					return;
			} else {
				conf_err(L, o->line, "host_key: unknown or repeated "
				    "option (known: {certificate, {file, Path}}, "
				    "{listen, {Address, Port}})");
				return;
			}
		}
	}
	/* Read at the end (conf_link_finish): {user, Name} may come later
	 * in the file, and the key may belong to that user. */
	k->key_line = t->line;
	if ((k->key_path = conf_strdup(L, path, t->line)) == NULL)
		return;
	if (cpath != NULL) {
		k->cert_line = cline;
		k->cert_path = conf_strdup(L, cpath, cline);
	}
}

/* The key file, then the certificate, which must be for that key. */
static void
read_host_key(struct loader *L, struct lk_conf *k)
{
	char err[512];

	if (lk_sodium_ready() == -1 ||
	    (k->key = sodium_malloc(sizeof(*k->key))) == NULL) {
		conf_err(L, k->key_line, "host_key: cannot allocate protected "
		    "memory");
		return;
	}
	if (lk_hostkey_read(k->key_path, k->key, L->c->run_user != NULL ?
	    L->c->run_uid : (uid_t)-1, err, sizeof(err)) == -1) {
		conf_err(L, k->key_line, "%s", err);
		sodium_free(k->key);
		k->key = NULL;
		return;
	}
	if (k->cert_path == NULL)
		return;
	read_cert(L, k, k->cert_path, k->cert_line);
	if (k->cert_len > 0 && memcmp(k->cert_parsed.host_pk, k->key->pk,
	    LK_PK_BYTES) != 0) {
		conf_err(L, k->cert_line, "host_key: the certificate in %s is for "
		    "another key than %s", k->cert_path, k->key_path);
		k->cert_len = 0;
	}
}

/* {names, [Pattern]}: 1..LK_MAX_NAMES node-name patterns with an '@'. */
static int
link_names(struct loader *L, const struct et_node *v, struct lk_link *l)
{
	const struct et_node *k;
	const char *p;

	if (v->kind != ET_LIST || v->nkids < 1 || v->nkids > LK_MAX_NAMES) {
		conf_err(L, v->line, "link: names must be a list of 1..%d node-name "
		    "patterns", LK_MAX_NAMES);
		return -1;
	}
	for (k = v->kids; k != NULL; k = k->next) {
		if ((p = conf_get_text(L, k, "link: names pattern", LK_NAME_MAX)) ==
		    NULL)
			return -1;
		if (strchr(p, '@') == NULL) {
			conf_err(L, k->line, "link: names pattern \"%s\" must match "
			    "full node names (alive@host), e.g. \"*@%s\"", p,
			    l->host != NULL ? l->host : "host");
			return -1;
		}
		if ((l->names[l->nnames] = conf_strdup(L, p, k->line)) == NULL)
			return -1;
		l->nnames++;
	}
	return 0;
}

static int
host_name(struct loader *L, const struct et_node *v, const char *what,
    char **out)
{
	const char *h;

	if ((h = conf_get_text(L, v, what, LK_NAME_MAX)) == NULL)
		return -1;
	if (!lk_name_ok((const uint8_t *)h, strlen(h)) || strpbrk(h, "@*?/")) {
		conf_err(L, v->line, "%s \"%s\" is not a host name", what, h);
		return -1;
	}
	return (*out = conf_strdup(L, h, v->line)) != NULL ? 0 : -1;
}

static int
link_options(struct loader *L, const struct et_node *v, struct lk_link *l)
{
	const struct et_node *o;
	int64_t port;
	int seen_names = 0, seen_host = 0, seen_port = 0;

	if (v->kind != ET_LIST) {
		conf_err(L, v->line, "link options must be a list");
		return -1;
	}
	for (o = v->kids; o != NULL; o = o->next) {
		if (et_is_tagged(o, "names", 2) && !seen_names++) {
			if (link_names(L, et_elem(o, 1), l) == -1)
				return -1;
		} else if (et_is_tagged(o, "host", 2) && !seen_host++) {
			if (!l->is_cidr) {
				conf_err(L, o->line, "link: {host, Name} is for "
				    "entries by network; this entry names its "
				    "host already");
				return -1;
			}
			if (host_name(L, et_elem(o, 1), "link: host",
			    &l->host) == -1)
				return -1;
		} else if (et_is_tagged(o, "port", 2) && !seen_port++) {
			if (conf_get_int(L, et_elem(o, 1), "link: port", 1, 65535,
			    "", &port) == -1)
				return -1;
			l->port = (uint16_t)port;
		} else {
			conf_err(L, o->line, "link: unknown or repeated option "
			    "(known: {names, [Pattern]}, {host, Name}, "
			    "{port, P})");
			return -1;
		}
	}
	return 0;
}

static void
free_link(struct lk_link *l)
{
	int i;

	free(l->host);
	for (i = 0; i < l->nnames; i++)
		free(l->names[i]);
	memset(l, 0, sizeof(*l));
}

/* Another entry for the same host or key would make the answer to "who
 * is this" depend on the order of the file. */
static int
link_duplicate(struct loader *L, const struct lk_conf *k,
    const struct lk_link *l)
{
	int i;

	for (i = 0; i < k->nlinks; i++) {
		const struct lk_link *o = &k->links[i];

		if (memcmp(o->pk, l->pk, LK_PK_BYTES) == 0) {
			conf_err(L, l->line, "link: this key is already the key of "
			    "the entry on line %d", o->line);
			return 1;
		}
		if (o->host != NULL && l->host != NULL &&
		    strcmp(o->host, l->host) == 0) {
			conf_err(L, l->line, "link: host %s already has an entry "
			    "(line %d)", l->host, o->line);
			return 1;
		}
	}
	return 0;
}

void
conf_entry_link(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct lk_conf *k = lc(L);
	const struct et_node *where;
	struct lk_link l, *grown;

	if (k == NULL)
		return;
	if (t->nkids != 3 && t->nkids != 4) {
		conf_err(L, t->line, "link takes {link, HostOrCIDR, PublicKey} or "
		    "{link, HostOrCIDR, PublicKey, [Option]}");
		return;
	}
	if (k->nlinks >= MAX_LINKS) {
		conf_err(L, t->line, "link: at most %d entries", MAX_LINKS);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.line = t->line;
	l.port = LK_DEFAULT_PORT;
	where = et_elem(t, 1);
	if ((where->kind == ET_STRING || where->kind == ET_ATOM) &&
	    where->len > 0 && (strchr(where->text, '/') != NULL ||
	    strchr(where->text, ':') != NULL ||
	    strspn(where->text, "0123456789.") == where->len)) {
		if (conf_get_cidr(L, where, "link", &l.cidr) == -1)
			return;
		l.is_cidr = 1;
	} else if (host_name(L, where, "link", &l.host) == -1)
		return;
	if (get_pubkey(L, et_elem(t, 2), "link: public key", l.pk) == -1 ||
	    (t->nkids == 4 && link_options(L, et_elem(t, 3), &l) == -1))
		goto bad;
	if (l.is_cidr && l.host == NULL && l.nnames == 0) {
		conf_err(L, t->line, "link: an entry by network needs {host, Name} "
		    "or {names, [Pattern]}: which node names may it carry?");
		goto bad;
	}
	if (link_duplicate(L, k, &l))
		goto bad;
	if ((grown = realloc(k->links, (size_t)(k->nlinks + 1) *
	    sizeof(*grown))) == NULL) {
		conf_err(L, t->line, "out of memory");
		goto bad;
	}
	k->links = grown;
	k->links[k->nlinks++] = l;
	return;
bad:
	free_link(&l);
}

void
conf_entry_trust(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct lk_conf *k = lc(L);
	uint8_t pk[LK_PK_BYTES], (*grown)[LK_PK_BYTES];
	int i;

	if (k == NULL)
		return;
	if (t->nkids != 2) {
		conf_err(L, t->line, "trust takes {trust, PublicKey}");
		return;
	}
	if (get_pubkey(L, et_elem(t, 1), "trust", pk) == -1)
		return;
	for (i = 0; i < k->nanchors; i++) {
		if (memcmp(k->anchors[i], pk, sizeof(pk)) == 0) {
			conf_err(L, t->line, "trust: this key is trusted already");
			return;
		}
	}
	if (k->nanchors >= MAX_ANCHORS) {
		conf_err(L, t->line, "trust: at most %d keys", MAX_ANCHORS);
		return;
	}
	if ((grown = realloc(k->anchors, (size_t)(k->nanchors + 1) *
	    sizeof(*grown))) == NULL) {
		conf_err(L, t->line, "out of memory");
		return;
	}
	k->anchors = grown;
	memcpy(k->anchors[k->nanchors++], pk, sizeof(pk));
}

/* "dg1:..." (a host key) or "cert:" and 32 hex digits (a certificate). */
static int
revoked_item(struct loader *L, const struct et_node *v, struct lk_revoked *r)
{
	size_t got;
	const char *end;

	memset(r, 0, sizeof(*r));
	if ((v->kind == ET_STRING || v->kind == ET_ATOM) && v->len == 5 +
	    2 * LK_CERT_ID_BYTES && strncmp(v->text, "cert:", 5) == 0 &&
	    sodium_hex2bin(r->v, LK_CERT_ID_BYTES, v->text + 5, v->len - 5,
	    NULL, &got, &end) == 0 && got == LK_CERT_ID_BYTES &&
	    end == v->text + v->len) {
		r->kind = LK_REVOKED_CERT;
		return 0;
	}
	if ((v->kind == ET_STRING || v->kind == ET_ATOM) &&
	    strncmp(v->text, "cert:", 5) == 0) {
		conf_err(L, v->line, "revoked: a certificate id is \"cert:\" and "
		    "%d hex digits (as `distguard sign` prints it)",
		    2 * LK_CERT_ID_BYTES);
		return -1;
	}
	r->kind = LK_REVOKED_KEY;
	return get_pubkey(L, v, "revoked", r->v);
}

void
conf_entry_revoked(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct lk_conf *k = lc(L);
	const struct et_node *v, *e;
	int n = 0;

	if (k == NULL)
		return;
	if (t->nkids != 2 || (v = et_elem(t, 1))->kind != ET_LIST) {
		conf_err(L, t->line, "revoked takes {revoked, [PublicKey | "
		    "\"cert:Id\"]}");
		return;
	}
	if (v->nkids > MAX_REVOKED) {
		conf_err(L, v->line, "revoked: at most %d entries", MAX_REVOKED);
		return;
	}
	if (v->nkids > 0 && (k->revoked = conf_calloc(L, (size_t)v->nkids,
	    sizeof(*k->revoked), t->line)) == NULL)
		return;
	for (e = v->kids; e != NULL; e = e->next)
		if (revoked_item(L, e, &k->revoked[n]) == 0)
			n++;
	k->nrevoked = n;
}

void
conf_entry_plaintext(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct lk_conf *k = lc(L);
	const struct et_node *v;

	if (k == NULL)
		return;
	if (t->nkids != 2) {
		conf_err(L, t->line, "plaintext takes {plaintext, allow | deny}");
		return;
	}
	v = et_elem(t, 1);
	if (et_is_atom(v, "allow"))
		k->plaintext = LK_PLAINTEXT_ALLOW;
	else if (et_is_atom(v, "deny"))
		k->plaintext = LK_PLAINTEXT_DENY;
	else
		conf_err(L, v->line, "plaintext must be allow or deny");
}

/* After every entry: a link needs this host's key, and this host's key
 * is nobody's {link} entry. */
void
conf_link_finish(struct loader *L)
{
	struct lk_conf *k = lc(L);
	int i;

	if (k == NULL)
		return;
	if (k->key_path != NULL)
		read_host_key(L, k);
	if (k->key_path == NULL && (k->nlinks > 0 || k->nanchors > 0)) {
		conf_err(L, k->nlinks > 0 ? k->links[0].line : L->lines, "%s "
		    "entries need {host_key, {file, Path}}: this host must "
		    "prove who it is", k->nlinks > 0 ? "link" : "trust");
	}
	for (i = 0; k->key != NULL && i < k->nlinks; i++)
		if (memcmp(k->links[i].pk, k->key->pk, LK_PK_BYTES) == 0)
			conf_err(L, k->links[i].line, "link: this is the key of "
			    "this host (%s), not of a remote one", k->key_path);
	k->trust.links = k->links;
	k->trust.nlinks = k->nlinks;
	k->trust.anchors = (const uint8_t (*)[LK_PK_BYTES])k->anchors;
	k->trust.nanchors = k->nanchors;
	k->trust.revoked = k->revoked;
	k->trust.nrevoked = k->nrevoked;
}

void
conf_link_free(struct lk_conf *k)
{
	int i;

	if (k == NULL)
		return;
	if (k->key != NULL)
		sodium_free(k->key);	/* wipes it */
	free(k->key_path);
	free(k->cert_path);
	for (i = 0; i < k->nlinks; i++)
		free_link(&k->links[i]);
	free(k->links);
	free(k->anchors);
	free(k->revoked);
	sodium_memzero(k, sizeof(*k));
	free(k);
}
