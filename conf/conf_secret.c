/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_secret.c - the secrets: cookie files (private modes only), inline
 * cookies, the default cookie ($HOME/.erlang.cookie), their lookups by
 * node-name pattern, and wiping them when a configuration is freed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "dg.h"
#include "conf/conf.h"
#include "dg_flags.h"
#include "dg_log.h"
#include "eterm.h"
#include "conf_int.h"

/*
 * Cookies.  An Erlang cookie is an atom whose characters are Latin-1;
 * the handshake digests them as bytes, so the secret is kept as those
 * bytes.  Control characters are refused: a cookie holding one is almost
 * certainly a file read by mistake.
 */
static int
cookie_bytes_ok(const uint8_t *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * A file the daemon cannot open after the privilege drop: say who it is
 * now, so that a reload refused for EACCES points at the file's owner or
 * mode rather than at the daemon.
 */
void
conf_access_hint(int err, char *buf, size_t len)
{
	struct passwd *pw;

	buf[0] = '\0';
	if (err == EACCES && geteuid() != 0) {
		pw = getpwuid(geteuid());
		snprintf(buf, len, " (distguard has run as user %s since it "
		    "started: the file must be readable by that user, see "
		    "docs/SERVICE.md)", pw != NULL ? pw->pw_name : "?");
	}
	errno = err;
}

/* Reads a cookie file: refused unless it is a regular file that neither
 * group nor others can access (as ntpd/relayd check_file_secrecy). */
static int
cookie_file(struct loader *L, const char *path, int line,
    struct dg_cookie *ck)
{
	uint8_t buf[DG_COOKIE_MAX + 256];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;
	char hint[160];

	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		conf_access_hint(errno, hint, sizeof(hint));
		conf_err(L, line, "cookie file %s: %s%s", path, strerror(errno),
		    hint);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		conf_err(L, line, "cookie file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(L, line, "cookie file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		conf_err(L, line, "cookie file %s has mode %04o: group and others "
		    "must have no access (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			conf_err(L, line, "cookie file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len == 0)
		conf_err(L, line, "cookie file %s is empty", path);
	else if (len > DG_COOKIE_MAX)
		conf_err(L, line, "cookie file %s: cookie must be 1..%d bytes",
		    path, DG_COOKIE_MAX);
	else if (!cookie_bytes_ok(buf, len))
		conf_err(L, line, "cookie file %s holds control characters", path);
	else {
		memcpy(ck->secret, buf, len);
		ck->len = len;
		rc = 0;
	}
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* An inline secret, "text" or 'text': UTF-8 from the reader, kept as the
 * Latin-1 bytes Erlang would use. */
static int
cookie_inline(struct loader *L, const struct et_node *v,
    struct dg_cookie *ck)
{
	const uint8_t *s = (const uint8_t *)v->text;
	size_t i, n = 0;

	if (L->mode != -1 && (L->mode & 077)) {
		conf_err(L, v->line, "the cookie is written inline but %s has "
		    "mode %04o: make the file private (chmod 600) or use "
		    "{file, Path}", L->file, (unsigned)(L->mode & 07777));
		return -1;
	}
	for (i = 0; i < v->len; i++) {
		uint8_t b = s[i];

		if (b >= 0x80) {
			/* 2-byte UTF-8 led by C2/C3 is U+0080..U+00FF */
			if ((b != 0xc2 && b != 0xc3) || i + 1 >= v->len) {
				conf_err(L, v->line, "cookie characters must be "
				    "Latin-1 (code points 0..255)");
				return -1;
			}
			b = (uint8_t)(((b & 0x1f) << 6) | (s[++i] & 0x3f));
		}
		if (n == DG_COOKIE_MAX) {
			conf_err(L, v->line, "cookie must be 1..%d bytes",
			    DG_COOKIE_MAX);
			return -1;
		}
		ck->secret[n++] = b;
	}
	if (n == 0) {
		conf_err(L, v->line, "cookie must be 1..%d bytes", DG_COOKIE_MAX);
		return -1;
	}
	if (!cookie_bytes_ok(ck->secret, n)) {
		conf_err(L, v->line, "cookie holds control characters");
		return -1;
	}
	ck->len = n;
	return 0;
}

/* Secret = "text" | 'text' | {file, Path}. */
static int
cookie_secret(struct loader *L, const struct et_node *v, const char *what,
    struct dg_cookie *ck)
{
	const char *path;

	if (v->kind == ET_STRING || v->kind == ET_ATOM)
		return cookie_inline(L, v, ck);
	if (et_is_tagged(v, "file", 2)) {
		if ((path = conf_get_text(L, et_elem(v, 1), "cookie file name",
		    CONF_MAX_PATH)) == NULL)
			return -1;
		return cookie_file(L, path, v->line, ck);
	}
	conf_err(L, v->line, "%s must be \"secret\" or {file, Path}", what);
	return -1;
}

/* {cookie, Secret} and {cookie, Pattern, Secret}; likewise node_cookie. */
static void
cookie_entry(struct loader *L, const struct et_node *t, const char *name,
    struct dg_cookie *arr, int *n, int cap)
{
	struct dg_cookie *ck;
	const char *pat = NULL;
	char what[64];
	int i;

	if (t->nkids != 2 && t->nkids != 3) {
		conf_err(L, t->line, "%s takes {%s, Secret} or {%s, Pattern, "
		    "Secret}", name, name, name);
		return;
	}
	if (t->nkids == 3 && (pat = conf_get_pattern(L, et_elem(t, 1),
	    "cookie pattern")) == NULL)
		return;
	for (i = 0; i < *n; i++) {
		if ((pat == NULL && arr[i].pattern == NULL) ||
		    (pat != NULL && arr[i].pattern != NULL &&
		    strcmp(pat, arr[i].pattern) == 0)) {
			conf_err(L, t->line, "%s%s%s given twice (first on line "
			    "%d)", name, pat ? " for " : "", pat ? pat : "",
			    arr[i].line);
			return;
		}
	}
	if (*n >= cap)
		return;		/* cannot happen: cap counted beforehand */
	ck = &arr[*n];
	snprintf(what, sizeof(what), "%s secret", name);
	if (cookie_secret(L, et_elem(t, t->nkids - 1), what, ck) == -1) {
		sodium_memzero(ck, sizeof(*ck));
		return;
	}
	if (pat != NULL && (ck->pattern = conf_strdup(L, pat, t->line)) == NULL) {
		sodium_memzero(ck, sizeof(*ck));
		return;
	}
	ck->line = t->line;
	(*n)++;
}

void
conf_entry_cookie(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	cookie_entry(L, t, "cookie", L->c->cookies, &L->c->ncookies,
	    L->ncookie_cap);
}

void
conf_entry_node_cookie(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	cookie_entry(L, t, "node_cookie", L->c->node_cookies,
	    &L->c->nnode_cookies, L->nnode_cookie_cap);
}

/*
 * The default cookie as this process last read it.  The daemon reads its
 * configuration first as root, then, on reload, as its {user, ...}; that
 * user may not even reach $HOME (nobody cannot traverse /root, so `make
 * run` then `distguard reload` lost the cookie).  A reload that cannot
 * reach the same file keeps this copy: the cookie then changes at the
 * next restart, as the log says.
 */
static struct {
	char			path[CONF_MAX_PATH + 1];
	struct dg_cookie	ck;
	int			set;
} kept_default;

/* The file could not be reached: the kept copy if it is the same file,
 * else an error that names the path and the permission.  0 or -1. */
static int
default_unreachable(struct loader *L, const char *path, int err,
    struct dg_cookie *ck)
{
	char hint[160];

	if ((err == EACCES || err == EPERM) && kept_default.set &&
	    strcmp(kept_default.path, path) == 0) {
		*ck = kept_default.ck;
		log_info("%s: not readable as uid %ld (%s): the default cookie "
		    "read at start is kept; a new one takes a restart", path,
		    (long)geteuid(), strerror(err));
		return 0;
	}
	if (err == ENOENT) {
		conf_err(L, L->lines, "no cookie configured: add {cookie, "
		    "\"secret\"} or {cookie, {file, Path}}, or create %s",
		    path);
		return -1;
	}
	conf_access_hint(err, hint, sizeof(hint));
	conf_err(L, L->lines, "no cookie configured, and the default cookie file "
	    "%s cannot be reached as uid %ld: %s%s", path, (long)geteuid(),
	    strerror(err), hint);
	return -1;
}

/*
 * Without a {cookie, Secret} default, use what `erl` itself would:
 * $HOME/.erlang.cookie (HOME, else the password entry), with the same
 * secrecy rule as any cookie file.
 */
void
conf_default_cookie(struct loader *L)
{
	struct dg_conf *c = L->c;
	struct passwd *pw;
	const char *home;
	char path[CONF_MAX_PATH + 1];
	int i, n;

	for (i = 0; i < c->ncookies; i++)
		if (c->cookies[i].pattern == NULL)
			return;
	if ((home = getenv("HOME")) == NULL || home[0] == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : NULL;
	}
	n = home != NULL ? snprintf(path, sizeof(path), "%s/.erlang.cookie",
	    home) : -1;
	if (n < 0 || (size_t)n >= sizeof(path)) {
		conf_err(L, L->lines, "no cookie configured: add {cookie, "
		    "\"secret\"} or {cookie, {file, Path}}, or create "
		    "$HOME/.erlang.cookie");
		return;
	}
	if (c->ncookies >= L->ncookie_cap)
		return;
	if (access(path, R_OK) == -1) {
		if (default_unreachable(L, path, errno,
		    &c->cookies[c->ncookies]) == 0)
			c->ncookies++;
		return;
	}
	if (cookie_file(L, path, L->lines, &c->cookies[c->ncookies]) == 0) {
		snprintf(kept_default.path, sizeof(kept_default.path), "%s",
		    path);
		kept_default.ck = c->cookies[c->ncookies];
		kept_default.set = 1;
		c->ncookies++;
	}
}

void
conf_free_cookies(struct dg_cookie *ck, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(ck[i].pattern);
	if (ck != NULL) {
		/* All of the array: failed entries were wiped already, but
		 * a secret must not outlive the config in the heap. */
		sodium_memzero(ck, (size_t)n * sizeof(*ck));
		free(ck);
	}
}

/* First patterned entry matching name, else the default (NULL pattern). */
static const struct dg_cookie *
cookie_find(const struct dg_cookie *ck, int n, const char *name)
{
	const struct dg_cookie *def = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (ck[i].pattern == NULL)
			def = &ck[i];
		else if (name != NULL && dg_glob_match(ck[i].pattern, name))
			return &ck[i];
	}
	return def;
}

const struct dg_cookie *
conf_peer_cookie(const struct dg_conf *c, const char *peer)
{
	return cookie_find(c->cookies, c->ncookies, peer);
}

const struct dg_cookie *
conf_node_cookie(const struct dg_conf *c, const char *local)
{
	const struct dg_cookie *ck;

	if ((ck = cookie_find(c->node_cookies, c->nnode_cookies, local)) !=
	    NULL)
		return ck;
	return cookie_find(c->cookies, c->ncookies, NULL);
}
