/*
 * conf.c - loads the configuration (dg_conf.h) from a file of Erlang terms
 * read by eterm.c, checks every entry and value, and answers the lookups
 * the handshake needs (cookies, source addresses).
 *
 * The file is trusted to be written by the operator but not to be right:
 * every entry, option and value is checked against the ranges documented
 * in docs/CONFIG.md, each mistake is reported as "file:line: message", the
 * loader carries on so one run shows them all, and any error makes the
 * load fail as a whole.  Secrets (cookies) are only taken from places
 * others cannot read: a cookie file, or the config file itself when it
 * holds a cookie inline, must not be readable by group or others.
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
#include "dg_conf.h"
#include "dg_flags.h"
#include "eterm.h"

#define CONF_MAX_PATH		4095	/* PATH_MAX less the NUL */
#define CONF_MAX_CIDRS		256	/* registration_from entries */
#define CONF_EMBEDDED		"<embedded>"

struct loader {
	const char	*file;
	conf_err_fn	 err;
	void		*arg;
	int		 nerr;
	int		 lines;		/* of the file: where "missing" errors go */
	int		 mode;		/* of the file, -1 when not a file */
	struct dg_conf	*c;
	int		 seen[32];	/* line of each singleton entry */
	int		 hs_line;	/* {handshake, ...}, for flag checks */
	int		 withhold_set;	/* withhold_flags was given */
	int		 require_set;
	int		 ncookie_cap;
	int		 nnode_cookie_cap;
	int		 nnodes_cap;
};

static void	lerr(struct loader *, int, const char *, ...) DG_PRINTF(3, 4);

static void
lerr(struct loader *L, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	L->nerr++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (L->err != NULL)
		L->err(L->arg, L->file, line, msg);
}

/* Routes eterm's syntax errors to the caller with the file name. */
static void
syntax_err(void *arg, int line, const char *msg)
{
	struct loader *L = arg;

	if (L->err != NULL)
		L->err(L->arg, L->file, line, msg);
}

static void *
lcalloc(struct loader *L, size_t n, size_t size, int line)
{
	void *p;

	if ((p = calloc(n ? n : 1, size)) == NULL)
		lerr(L, line, "out of memory");
	return p;
}

static char *
lstrdup(struct loader *L, const char *s, int line)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		lerr(L, line, "out of memory");
	return p;
}

/*
 * Value checkers.  Each returns 0 and stores the value, or reports an
 * error naming `what` and the accepted range and returns -1.
 */
static int
get_int(struct loader *L, const struct et_node *v, const char *what,
    int64_t min, int64_t max, const char *unit, int64_t *out)
{
	if (v->kind != ET_INT || v->ival < min || v->ival > max) {
		lerr(L, v->line, "%s must be %" PRId64 "..%" PRId64 "%s%s",
		    what, min, max, unit[0] ? " " : "", unit);
		return -1;
	}
	*out = v->ival;
	return 0;
}

static int
get_bool(struct loader *L, const struct et_node *v, const char *what,
    int *out)
{
	if (et_is_atom(v, "true"))
		*out = 1;
	else if (et_is_atom(v, "false"))
		*out = 0;
	else {
		lerr(L, v->line, "%s must be true or false", what);
		return -1;
	}
	return 0;
}

/* A non-empty string (or atom) of at most max bytes with no NUL. */
static const char *
get_text(struct loader *L, const struct et_node *v, const char *what,
    size_t max)
{
	if ((v->kind != ET_STRING && v->kind != ET_ATOM) || v->len == 0 ||
	    v->len > max) {
		lerr(L, v->line, "%s must be a non-empty string of at most "
		    "%zu bytes", what, max);
		return NULL;
	}
	if (strlen(v->text) != v->len) {
		lerr(L, v->line, "%s contains a NUL character", what);
		return NULL;
	}
	return v->text;
}

/* A node-name glob ("web@*"). */
static const char *
get_pattern(struct loader *L, const struct et_node *v, const char *what)
{
	return get_text(L, v, what, DG_MAX_NODE_BYTES);
}

/* Numeric address, v4 or v6, into a sockaddr with the given port. */
static int
get_sockaddr(struct loader *L, const struct et_node *v, const char *what,
    uint16_t port, struct dg_sockaddr *sa)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&sa->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sa->ss;
	const char *s;

	if ((s = get_text(L, v, what, sizeof(sa->text) - 1)) == NULL)
		return -1;
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sa->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sa->len = sizeof(*sin6);
	} else {
		lerr(L, v->line, "%s: \"%s\" is not a numeric IPv4 or IPv6 "
		    "address", what, s);
		return -1;
	}
	snprintf(sa->text, sizeof(sa->text), "%s", s);
	return 0;
}

/* "10.0.0.0/8", "::1", "fd00::/8"; host bits must be clear, so that a
 * typo such as 10.0.0.1/8 is not silently widened. */
static int
get_cidr(struct loader *L, const struct et_node *v, const char *what,
    struct dg_cidr *c)
{
	char buf[64], *slash;
	const char *s;
	int bits, i, maxbits;

	if ((s = get_text(L, v, what, sizeof(buf) - 1)) == NULL)
		return -1;
	memset(c, 0, sizeof(*c));
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		maxbits = 128;
	} else {
		lerr(L, v->line, "%s: \"%s\" is not a numeric address or "
		    "address/prefix", what, s);
		return -1;
	}
	c->prefix = maxbits;
	if (slash != NULL) {
		bits = 0;
		for (i = 0; slash[i] != '\0'; i++) {
			if (slash[i] < '0' || slash[i] > '9' || i >= 3) {
				bits = -1;
				break;
			}
			bits = bits * 10 + (slash[i] - '0');
		}
		if (i == 0 || bits < 0 || bits > maxbits) {
			lerr(L, v->line, "%s: prefix of \"%s\" must be 0..%d",
			    what, s, maxbits);
			return -1;
		}
		c->prefix = bits;
	}
	for (i = c->prefix; i < maxbits; i++) {
		if (c->addr[i / 8] & (0x80 >> (i % 8))) {
			lerr(L, v->line, "%s: \"%s\" has bits set past the "
			    "/%d prefix", what, s, c->prefix);
			return -1;
		}
	}
	return 0;
}

/*
 * Option lists: {Section, [{Name, Value}, ...]}.  Each section has a
 * sorted table; a value is either stored generically at `off` in struct
 * dg_conf after a range check, or handed to fn.
 */
enum okind {
	OPT_INT,	/* int */
	OPT_SECS,	/* double, from whole seconds */
	OPT_BOOL,	/* int 0/1 */
	OPT_PORT,	/* uint16_t */
	OPT_U32,
	OPT_U64,
	OPT_PATH,	/* char *, strdup'd */
	OPT_FN		/* fn does it */
};

struct opt;
typedef void (*opt_fn)(struct loader *, const struct opt *,
    const struct et_node *, const char *);

struct opt {
	const char	*name;
	enum okind	 kind;
	size_t		 off;
	int64_t		 min;
	int64_t		 max;
	const char	*unit;
	opt_fn		 fn;
};

#define OFF(f)	offsetof(struct dg_conf, f)

static void
o_epmd_addrs(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	struct dg_conf *c = L->c;
	const struct et_node *k;
	int i;

	if (v->kind != ET_LIST || v->nkids < 1 ||
	    v->nkids > DG_CONF_MAX_ADDRS) {
		lerr(L, v->line, "%s must be a list of 1..%d addresses", what,
		    DG_CONF_MAX_ADDRS);
		return;
	}
	for (k = v->kids; k != NULL; k = k->next) {
		struct dg_sockaddr *sa = &c->epmd_addrs[c->nepmd_addrs];

		if (get_sockaddr(L, k, what, 0, sa) == -1)
			continue;
		for (i = 0; i < c->nepmd_addrs; i++) {
			if (c->epmd_addrs[i].len == sa->len &&
			    memcmp(&c->epmd_addrs[i].ss, &sa->ss,
			    sa->len) == 0)
				break;
		}
		if (i < c->nepmd_addrs) {
			lerr(L, k->line, "%s: \"%s\" is listed twice", what,
			    sa->text);
			continue;
		}
		c->nepmd_addrs++;
	}
}

static void
o_names_from(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	if (et_is_atom(v, "local"))
		L->c->names_from = DG_NAMES_LOCAL;
	else if (et_is_atom(v, "any"))
		L->c->names_from = DG_NAMES_ANY;
	else if (et_is_atom(v, "none"))
		L->c->names_from = DG_NAMES_NONE;
	else
		lerr(L, v->line, "%s must be local, any or none", what);
}

static void
o_listen_addr(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	get_sockaddr(L, v, what, 0, &L->c->listen_addr);
}

/* {ports, {Min, Max}} or {ports, Port}. */
static void
o_ports(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	int64_t lo, hi;

	if (v->kind == ET_INT) {
		if (get_int(L, v, what, 1, 65535, "", &lo) == 0)
			L->c->listen_port_min = L->c->listen_port_max =
			    (uint16_t)lo;
		return;
	}
	if (v->kind != ET_TUPLE || v->nkids != 2) {
		lerr(L, v->line, "%s must be {Min, Max} or a port", what);
		return;
	}
	if (get_int(L, et_elem(v, 0), what, 1, 65535, "", &lo) == -1 ||
	    get_int(L, et_elem(v, 1), what, 1, 65535, "", &hi) == -1)
		return;
	if (lo > hi) {
		lerr(L, v->line, "%s: {%" PRId64 ", %" PRId64 "} is empty: "
		    "Min must be <= Max", what, lo, hi);
		return;
	}
	L->c->listen_port_min = (uint16_t)lo;
	L->c->listen_port_max = (uint16_t)hi;
}

/* withhold_flags / require_flags: a list of flag atoms.  require_flags
 * also takes 'MANDATORY_23' .. 'MANDATORY_28': what that OTP release
 * requires of a peer. */
static void
o_flags(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	uint64_t *dst = (uint64_t *)((char *)L->c + o->off), set = 0, bit;
	const struct et_node *k;
	char buf[64];
	int bad = 0;

	if (v->kind != ET_LIST) {
		lerr(L, v->line, "%s must be a list of flag names", what);
		return;
	}
	for (k = v->kids; k != NULL; k = k->next) {
		if (k->kind == ET_ATOM && o->off == OFF(hs_require) &&
		    dflag_mandatory_from_name(k->text, &bit) == 0) {
			set |= bit;
			continue;
		}
		if (k->kind != ET_ATOM || dflag_from_name(k->text, &bit) != 0) {
			lerr(L, k->line, "%s: unknown flag %s (flags are "
			    "written as in dg_flags.h without DFLAG_, e.g. "
			    "'DIST_HDR_ATOM_CACHE')", what,
			    et_show(k, buf, sizeof(buf)));
			bad = 1;
			continue;
		}
		set |= bit;
	}
	if (bad)
		return;
	*dst = set;
	if (o->off == OFF(hs_require))
		L->c->hs_require_line = L->require_set = v->line;
	else
		L->c->hs_withhold_line = L->withhold_set = v->line;
}

static const struct opt epmd_opts[] = {
	{ "addresses",		OPT_FN, 0, 0, 0, "", o_epmd_addrs },
	{ "max_connections",	OPT_INT, OFF(epmd_max_conns), 1, 65536, "", NULL },
	{ "max_per_source",	OPT_INT, OFF(epmd_max_per_source), 1, 65536, "",
				NULL },
	{ "names_from",		OPT_FN, 0, 0, 0, "", o_names_from },
	{ "port",		OPT_PORT, OFF(epmd_port), 1, 65535, "", NULL },
	{ "timeout",		OPT_SECS, OFF(epmd_timeout), 1, 3600, "seconds",
				NULL },
};

static const struct opt listen_opts[] = {
	{ "address",		OPT_FN, 0, 0, 0, "", o_listen_addr },
	{ "ports",		OPT_FN, 0, 0, 0, "", o_ports },
};

static const struct opt hs_opts[] = {
	{ "check_host",		OPT_BOOL, OFF(hs_check_host), 0, 1, "", NULL },
	{ "max_pending",	OPT_INT, OFF(hs_max_pending), 1, 65536, "", NULL },
	{ "max_per_source",	OPT_INT, OFF(hs_max_per_source), 1, 65536, "",
				NULL },
	{ "require_flags",	OPT_FN, OFF(hs_require), 0, 0, "", o_flags },
	{ "timeout",		OPT_SECS, OFF(hs_timeout), 1, 3600, "seconds",
				NULL },
	{ "withhold_flags",	OPT_FN, OFF(hs_withhold), 0, 0, "", o_flags },
};

static const struct opt ban_opts[] = {
	{ "duration",		OPT_SECS, OFF(ban_duration), 1, 2592000,
				"seconds", NULL },
	{ "failures",		OPT_INT, OFF(ban_failures), 0, 1000, "", NULL },
	{ "window",		OPT_SECS, OFF(ban_window), 1, 86400, "seconds",
				NULL },
};

static const struct opt alert_opts[] = {
	{ "file",		OPT_PATH, OFF(alerts_path), 0, CONF_MAX_PATH, "",
				NULL },
	{ "per_source",		OPT_INT, OFF(alerts_per_source), 1, 100000, "",
				NULL },
	{ "syslog",		OPT_BOOL, OFF(alerts_syslog), 0, 1, "", NULL },
};

/* {atoms, N} (in limits and in peer options): a distinct-atom budget,
 * 1..10,000,000, or infinity for none. */
static int
get_atoms(struct loader *L, const struct et_node *v, const char *what,
    int64_t *out)
{
	if (et_is_atom(v, "infinity")) {
		*out = -1;
		return 0;
	}
	return get_int(L, v, what, 1, 10000000, "(or infinity)", out);
}

static void
o_atoms(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	int64_t n;

	if (get_atoms(L, v, what, &n) == 0)
		L->c->max_atoms = n < 0 ? 0 : n;
}

static const struct opt limit_opts[] = {
	{ "atoms",		OPT_FN, 0, 0, 0, "", o_atoms },
	{ "max_fragment_bytes",	OPT_U64, OFF(max_frag_bytes), 1024,
				INT64_C(1) << 40, "bytes", NULL },
	{ "max_fragment_sequences", OPT_INT, OFF(max_frag_seqs), 1, 1024, "",
				NULL },
	{ "max_frame",		OPT_U32, OFF(max_frame), 1024, INT32_MAX, "bytes",
				NULL },
};


static void	o_metrics_listen(struct loader *, const struct opt *,
		    const struct et_node *, const char *);

static const struct opt metrics_opts[] = {
	{ "listen",		OPT_FN, 0, 0, 0, "", o_metrics_listen },
	{ "max_connections",	OPT_INT, OFF(metrics_max_conns), 1, 1024, "",
				NULL },
	{ "max_peers",		OPT_INT, OFF(metrics_max_peers), 1, 10000, "",
				NULL },
};

static const struct opt grant_opts[] = {
	{ "keep_on_reload",	OPT_BOOL, OFF(grants_keep_on_reload), 0, 1, "",
				NULL },
	{ "max",		OPT_INT, OFF(grants_max), 1, 1024, "", NULL },
	{ "max_duration",	OPT_SECS, OFF(grants_max_duration), 1, 2592000,
				"seconds", NULL },
	{ "state_file",		OPT_PATH, OFF(grants_state_file), 0,
				CONF_MAX_PATH, "", NULL },
};

static int
opt_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct opt *)elem)->name);
}

static void
opt_set(struct loader *L, const struct opt *o, const struct et_node *v,
    const char *what)
{
	char *base = (char *)L->c + o->off, *s;
	const char *t;
	int64_t n;
	int b;

	switch (o->kind) {
	case OPT_FN:
		o->fn(L, o, v, what);
		return;
	case OPT_BOOL:
		if (get_bool(L, v, what, &b) == 0)
			*(int *)base = b;
		return;
	case OPT_PATH:
		if ((t = get_text(L, v, what, (size_t)o->max)) == NULL ||
		    (s = lstrdup(L, t, v->line)) == NULL)
			return;
		free(*(char **)base);
		*(char **)base = s;
		return;
	default:
		break;
	}
	if (get_int(L, v, what, o->min, o->max, o->unit, &n) == -1)
		return;
	switch (o->kind) {
	case OPT_INT:	*(int *)base = (int)n; break;
	case OPT_SECS:	*(double *)base = (double)n; break;
	case OPT_PORT:	*(uint16_t *)base = (uint16_t)n; break;
	case OPT_U32:	*(uint32_t *)base = (uint32_t)n; break;
	case OPT_U64:	*(uint64_t *)base = (uint64_t)n; break;
	default:	break;
	}
}

/* Walks [{Name, Value}]: unknown and repeated options are errors. */
static void
opt_list(struct loader *L, const char *section, const struct et_node *list,
    const struct opt *tab, size_t ntab)
{
	const struct et_node *k;
	const struct opt *o;
	char what[96], buf[64];
	int seen[16] = { 0 };

	if (list->kind != ET_LIST) {
		lerr(L, list->line, "%s takes a list of {Option, Value}, "
		    "found %s", section, et_show(list, buf, sizeof(buf)));
		return;
	}
	for (k = list->kids; k != NULL; k = k->next) {
		if (k->kind != ET_TUPLE || k->nkids != 2 ||
		    k->kids->kind != ET_ATOM) {
			lerr(L, k->line, "%s: options are {Name, Value}, "
			    "found %s", section, et_show(k, buf, sizeof(buf)));
			continue;
		}
		o = bsearch(k->kids->text, tab, ntab, sizeof(*tab), opt_cmp);
		if (o == NULL) {
			lerr(L, k->line, "%s: unknown option %s", section,
			    et_show(k->kids, buf, sizeof(buf)));
			continue;
		}
		if (seen[o - tab]) {
			lerr(L, k->line, "%s: option '%s' given twice (first "
			    "on line %d)", section, o->name, seen[o - tab]);
			continue;
		}
		seen[o - tab] = k->line;
		snprintf(what, sizeof(what), "%s: %s", section, o->name);
		opt_set(L, o, k->kids->next, what);
	}
}

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
static void
access_hint(int err, char *buf, size_t len)
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
		access_hint(errno, hint, sizeof(hint));
		lerr(L, line, "cookie file %s: %s%s", path, strerror(errno),
		    hint);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		lerr(L, line, "cookie file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		lerr(L, line, "cookie file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		lerr(L, line, "cookie file %s has mode %04o: group and others "
		    "must have no access (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			lerr(L, line, "cookie file %s: %s", path,
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
		lerr(L, line, "cookie file %s is empty", path);
	else if (len > DG_COOKIE_MAX)
		lerr(L, line, "cookie file %s: cookie must be 1..%d bytes",
		    path, DG_COOKIE_MAX);
	else if (!cookie_bytes_ok(buf, len))
		lerr(L, line, "cookie file %s holds control characters", path);
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
		lerr(L, v->line, "the cookie is written inline but %s has "
		    "mode %04o: make the file private (chmod 600) or use "
		    "{file, Path}", L->file, (unsigned)(L->mode & 07777));
		return -1;
	}
	for (i = 0; i < v->len; i++) {
		uint8_t b = s[i];

		if (b >= 0x80) {
			/* 2-byte UTF-8 led by C2/C3 is U+0080..U+00FF */
			if ((b != 0xc2 && b != 0xc3) || i + 1 >= v->len) {
				lerr(L, v->line, "cookie characters must be "
				    "Latin-1 (code points 0..255)");
				return -1;
			}
			b = (uint8_t)(((b & 0x1f) << 6) | (s[++i] & 0x3f));
		}
		if (n == DG_COOKIE_MAX) {
			lerr(L, v->line, "cookie must be 1..%d bytes",
			    DG_COOKIE_MAX);
			return -1;
		}
		ck->secret[n++] = b;
	}
	if (n == 0) {
		lerr(L, v->line, "cookie must be 1..%d bytes", DG_COOKIE_MAX);
		return -1;
	}
	if (!cookie_bytes_ok(ck->secret, n)) {
		lerr(L, v->line, "cookie holds control characters");
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
		if ((path = get_text(L, et_elem(v, 1), "cookie file name",
		    CONF_MAX_PATH)) == NULL)
			return -1;
		return cookie_file(L, path, v->line, ck);
	}
	lerr(L, v->line, "%s must be \"secret\" or {file, Path}", what);
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
		lerr(L, t->line, "%s takes {%s, Secret} or {%s, Pattern, "
		    "Secret}", name, name, name);
		return;
	}
	if (t->nkids == 3 && (pat = get_pattern(L, et_elem(t, 1),
	    "cookie pattern")) == NULL)
		return;
	for (i = 0; i < *n; i++) {
		if ((pat == NULL && arr[i].pattern == NULL) ||
		    (pat != NULL && arr[i].pattern != NULL &&
		    strcmp(pat, arr[i].pattern) == 0)) {
			lerr(L, t->line, "%s%s%s given twice (first on line "
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
	if (pat != NULL && (ck->pattern = lstrdup(L, pat, t->line)) == NULL) {
		sodium_memzero(ck, sizeof(*ck));
		return;
	}
	ck->line = t->line;
	(*n)++;
}

/*
 * Policy rules: allow_all | ping | global | replies | {Action, Type} |
 * {Action, reg_send, [Name]} | {Action, spawn_request, [{M, F, A}]} |
 * {allow, Type, disclosed} | {allow, funs} | {allow, funs, [Name | MFA]}.
 */
static const char *const type_names[DG_T_COUNT] = DG_TYPE_NAMES("", "");
static const char *const action_names[] = DG_ACTION_NAMES;

static const char *profile_names[DG_PROFILE_COUNT] = {
	[DG_PROFILE_PING] = "ping",
	[DG_PROFILE_GLOBAL] = "global",
	[DG_PROFILE_REPLIES] = "replies",
};

static int
rule_names(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *k;
	char buf[64];

	if (v->kind != ET_LIST || v->nkids == 0) {
		lerr(L, v->line, "reg_send rule takes a non-empty list of "
		    "registered names (atoms)");
		return -1;
	}
	if ((r->names = lcalloc(L, (size_t)v->nkids, sizeof(char *),
	    v->line)) == NULL)
		return -1;
	for (k = v->kids; k != NULL; k = k->next) {
		if (k->kind != ET_ATOM) {
			lerr(L, k->line, "registered names are atoms, found "
			    "%s", et_show(k, buf, sizeof(buf)));
			return -1;
		}
		if ((r->names[r->nnames] = lstrdup(L, k->text, k->line)) ==
		    NULL)
			return -1;
		r->nnames++;
	}
	return 0;
}

/* M or F of an MFA: an atom, '_' meaning any. */
static int
mfa_atom(struct loader *L, const struct et_node *v, const char *what,
    char **out)
{
	if (v->kind != ET_ATOM) {
		lerr(L, v->line, "%s must be an atom or '_'", what);
		return -1;
	}
	if (strcmp(v->text, "_") == 0) {
		*out = NULL;
		return 0;
	}
	return (*out = lstrdup(L, v->text, v->line)) == NULL ? -1 : 0;
}

static int
rule_mfas(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *k;
	struct dg_mfa *m;
	int64_t a;

	if (v->kind != ET_LIST || v->nkids == 0) {
		lerr(L, v->line, "spawn_request rule takes a non-empty list "
		    "of {Module, Function, Arity}");
		return -1;
	}
	if ((r->mfas = lcalloc(L, (size_t)v->nkids, sizeof(*r->mfas),
	    v->line)) == NULL)
		return -1;
	for (k = v->kids; k != NULL; k = k->next) {
		m = &r->mfas[r->nmfas];
		if (k->kind != ET_TUPLE || k->nkids != 3) {
			lerr(L, k->line, "spawn_request entries are {Module, "
			    "Function, Arity}");
			return -1;
		}
		/* Count it now so that conf_unref frees a partial one. */
		m->arity = -1;
		r->nmfas++;
		if (mfa_atom(L, et_elem(k, 0), "Module", &m->m) == -1 ||
		    mfa_atom(L, et_elem(k, 1), "Function", &m->f) == -1)
			return -1;
		if (et_is_atom(et_elem(k, 2), "_"))
			continue;
		if (get_int(L, et_elem(k, 2), "Arity (or '_')", 0, 255, "",
		    &a) == -1)
			return -1;
		m->arity = (int)a;
	}
	return 0;
}

/* Types whose target is a pid or an alias: {allow, Type, disclosed}. */
static int
takes_disclosed(enum dg_type t)
{
	return t == DG_T_SEND || t == DG_T_LINK || t == DG_T_MONITOR ||
	    t == DG_T_EXIT || t == DG_T_ALIAS_SEND || t == DG_T_GROUP_LEADER;
}

/* {allow, funs} or {allow, funs, [Name | {M, F, A}]}: where funs may
 * pass the code guard (docs/FILTER.md 11). */
static int
rule_funs(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *l, *k;
	struct dg_mfa *m;
	char buf[64];
	int64_t a;

	r->kind = DG_R_FUNS;
	if (r->action != DG_ALLOW) {
		lerr(L, v->line, "funs rules only allow: {allow, funs} or "
		    "{allow, funs, [Name | {M, F, A}]}");
		return -1;
	}
	if (v->nkids == 2)
		return 0;
	l = et_elem(v, 2);
	if (l->kind != ET_LIST || l->nkids == 0) {
		lerr(L, l->line, "funs rule takes a non-empty list of "
		    "registered names and {Module, Function, Arity}");
		return -1;
	}
	if ((r->names = lcalloc(L, (size_t)l->nkids, sizeof(char *),
	    l->line)) == NULL || (r->mfas = lcalloc(L, (size_t)l->nkids,
	    sizeof(*r->mfas), l->line)) == NULL)
		return -1;
	for (k = l->kids; k != NULL; k = k->next) {
		if (k->kind == ET_ATOM) {
			if ((r->names[r->nnames] = lstrdup(L, k->text,
			    k->line)) == NULL)
				return -1;
			r->nnames++;
			continue;
		}
		if (k->kind != ET_TUPLE || k->nkids != 3) {
			lerr(L, k->line, "funs targets are registered names "
			    "or {Module, Function, Arity}, found %s",
			    et_show(k, buf, sizeof(buf)));
			return -1;
		}
		m = &r->mfas[r->nmfas++];
		m->arity = -1;
		if (mfa_atom(L, et_elem(k, 0), "Module", &m->m) == -1 ||
		    mfa_atom(L, et_elem(k, 1), "Function", &m->f) == -1)
			return -1;
		if (et_is_atom(et_elem(k, 2), "_"))
			continue;
		if (get_int(L, et_elem(k, 2), "Arity (or '_')", 0, 255, "",
		    &a) == -1)
			return -1;
		m->arity = (int)a;
	}
	return 0;
}

static int
parse_rule(struct loader *L, const struct et_node *v, struct dg_rule *r)
{
	const struct et_node *a, *t;
	char buf[64];
	int i;

	r->line = v->line;
	r->action = DG_ALLOW;
	if (v->kind == ET_ATOM) {
		if (strcmp(v->text, "allow_all") == 0) {
			r->kind = DG_R_ALLOW_ALL;
			return 0;
		}
		for (i = 0; i < DG_PROFILE_COUNT; i++) {
			if (strcmp(v->text, profile_names[i]) == 0) {
				r->kind = DG_R_PROFILE;
				r->profile = (enum dg_profile)i;
				return 0;
			}
		}
		lerr(L, v->line, "unknown rule %s (atoms: allow_all, ping, "
		    "global, replies)", et_show(v, buf, sizeof(buf)));
		return -1;
	}
	if (v->kind != ET_TUPLE || (v->nkids != 2 && v->nkids != 3)) {
		lerr(L, v->line, "a rule is allow_all, ping, global, replies, "
		    "{Action, Type} or {Action, Type, [...]}; found %s",
		    et_show(v, buf, sizeof(buf)));
		return -1;
	}
	a = et_elem(v, 0);
	t = et_elem(v, 1);
	for (i = 0; i < (int)DG_ARRAY_LEN(action_names); i++)
		if (et_is_atom(a, action_names[i]))
			break;
	if (i == (int)DG_ARRAY_LEN(action_names)) {
		lerr(L, a->line, "rule action must be allow, deny or drop, "
		    "found %s", et_show(a, buf, sizeof(buf)));
		return -1;
	}
	r->action = (enum dg_action)i;
	if (et_is_atom(t, "funs"))
		return rule_funs(L, v, r);
	if (t->kind != ET_ATOM || conf_type_from_name(t->text, &r->type)) {
		lerr(L, t->line, "unknown message type %s (link, exit, "
		    "monitor, send, reg_send, group_leader, spawn_request, "
		    "alias_send, altact)", et_show(t, buf, sizeof(buf)));
		return -1;
	}
	r->kind = DG_R_TYPE;
	if (v->nkids == 2)
		return 0;
	if (et_is_atom(et_elem(v, 2), "disclosed")) {
		if (!takes_disclosed(r->type) || r->action != DG_ALLOW) {
			lerr(L, v->line, "only {allow, Type, disclosed} with "
			    "Type send, link, monitor, exit, alias_send or "
			    "group_leader");
			return -1;
		}
		r->disclosed = 1;
		return 0;
	}
	if (r->type == DG_T_REG_SEND) {
		r->kind = DG_R_NAMES;
		return rule_names(L, et_elem(v, 2), r);
	}
	if (r->type == DG_T_SPAWN_REQUEST) {
		r->kind = DG_R_MFAS;
		return rule_mfas(L, et_elem(v, 2), r);
	}
	lerr(L, v->line, "only reg_send, spawn_request and funs rules take a "
	    "list (and {allow, Type, disclosed} an atom)");
	return -1;
}

/* [Rule]: every rule is checked even after a bad one. */
static void
parse_rules(struct loader *L, const struct et_node *v, const char *what,
    struct dg_ruleset *rs)
{
	const struct et_node *k;
	char buf[64];

	if (v->kind != ET_LIST) {
		lerr(L, v->line, "%s must be a list of rules, found %s", what,
		    et_show(v, buf, sizeof(buf)));
		return;
	}
	if (v->nkids == 0)
		return;
	if ((rs->rules = lcalloc(L, (size_t)v->nkids, sizeof(*rs->rules),
	    v->line)) == NULL)
		return;
	for (k = v->kids; k != NULL; k = k->next) {
		/* Counted before parsing: conf_unref frees what the
		 * rule holds even when it is half built. */
		if (parse_rule(L, k, &rs->rules[rs->nrules++]) == -1)
			continue;
	}
}

/* {default, deny | allow | [Rule]} in a scope. */
static void
e_default(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v;

	if (t->nkids != 2) {
		lerr(L, t->line, "default takes {default, deny | allow | "
		    "[Rule]}");
		return;
	}
	if (s->has_default) {
		lerr(L, t->line, "default given twice in this scope (first "
		    "on line %d)", s->def_line);
		return;
	}
	s->has_default = 1;
	s->def_line = t->line;
	v = et_elem(t, 1);
	if (et_is_atom(v, "deny"))
		s->def = DG_DEF_DENY;
	else if (et_is_atom(v, "allow"))
		s->def = DG_DEF_ALLOW;
	else if (v->kind == ET_LIST) {
		s->def = DG_DEF_RULES;
		parse_rules(L, v, "default", &s->def_rules);
	} else
		lerr(L, v->line, "default must be deny, allow or a list of "
		    "rules");
}

/* {handler, spawn_request, Module}: the seed's spawn handler, a module
 * name (an atom).  Returns 0 and sets *out, or -1. */
static int
get_handler(struct loader *L, const struct et_node *t, char **out)
{
	const struct et_node *k = et_elem(t, 1), *m = et_elem(t, 2);

	if (!et_is_atom(k, "spawn_request")) {
		lerr(L, k->line, "only spawn_request handlers exist: "
		    "{handler, spawn_request, Module}");
		return -1;
	}
	if (m->kind != ET_ATOM || strcmp(m->text, "_") == 0) {
		lerr(L, m->line, "handler module must be an atom");
		return -1;
	}
	free(*out);
	return (*out = lstrdup(L, m->text, m->line)) == NULL ? -1 : 0;
}

/* {handler, spawn_request, Module} as an entry: for the peers of the scope
 * (top level or {node, ...}) whose own entry names no handler. */
static void
e_handler(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (t->nkids != 3) {
		lerr(L, t->line, "handler takes {handler, spawn_request, "
		    "Module}");
		return;
	}
	if (s->handler != NULL) {
		lerr(L, t->line, "handler given twice in this scope (first "
		    "on line %d)", s->handler_line);
		return;
	}
	if (get_handler(L, t, &s->handler) == 0)
		s->handler_line = t->line;
}

/* {peer, Pattern, [Rule]} or {peer, Pattern, [Rule], [{disconnect, B}]}. */
static void
e_peer(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *o;
	struct dg_peer *p;
	const char *pat;
	char buf[64];
	int i;

	if (t->nkids != 3 && t->nkids != 4) {
		lerr(L, t->line, "peer takes {peer, Pattern, [Rule]} or "
		    "{peer, Pattern, [Rule], [Option]}");
		return;
	}
	if ((pat = get_pattern(L, et_elem(t, 1), "peer pattern")) == NULL)
		return;
	for (i = 0; i < s->npeers; i++) {
		if (s->peers[i].pattern != NULL &&
		    strcmp(s->peers[i].pattern, pat) == 0) {
			lerr(L, t->line, "peer \"%s\" given twice in this "
			    "scope (first on line %d)", pat, s->peers[i].line);
			return;
		}
	}
	p = &s->peers[s->npeers++];
	p->line = t->line;
	if ((p->pattern = lstrdup(L, pat, t->line)) == NULL)
		return;
	parse_rules(L, et_elem(t, 2), "peer rules", &p->rules);
	if (t->nkids == 3)
		return;
	o = et_elem(t, 3);
	if (o->kind != ET_LIST) {
		lerr(L, o->line, "peer options must be a list, e.g. "
		    "[{disconnect, true}]");
		return;
	}
	for (o = o->kids; o != NULL; o = o->next) {
		if (et_is_tagged(o, "disconnect", 2))
			get_bool(L, et_elem(o, 1), "peer: disconnect",
			    &p->disconnect);
		else if (et_is_tagged(o, "atoms", 2))
			(void)get_atoms(L, et_elem(o, 1), "peer: atoms",
			    &p->atoms);
		else if (et_is_tagged(o, "handler", 3))
			(void)get_handler(L, o, &p->handler);
		else
			lerr(L, o->line, "unknown peer option %s (known: "
			    "{disconnect, true | false}, {atoms, N}, "
			    "{handler, spawn_request, Module})",
			    et_show(o, buf, sizeof(buf)));
	}
}

/*
 * Top-level entries.  One sorted table, bsearch'd (test_every_entry uses
 * every keyword and option, so a table out of order fails it); a singleton given twice
 * is an error, and only peer and default may appear inside {node, ...}.
 */
struct keyword {
	const char	*name;
	void		(*fn)(struct loader *, const struct et_node *,
			    struct dg_scope *);
	int		 singleton;
	int		 in_node;
};

static void	e_alerts(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_bans(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_control(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_cookie(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_epmd(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_grants(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_metrics(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_group(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_handshake(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_handler(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_limits(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_listen(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_node(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_node_cookie(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_reg_from(struct loader *, const struct et_node *,
		    struct dg_scope *);
static void	e_user(struct loader *, const struct et_node *,
		    struct dg_scope *);

static const struct keyword keywords[] = {
	{ "alerts",		e_alerts,	1, 0 },
	{ "bans",		e_bans,		1, 0 },
	{ "control",		e_control,	1, 0 },
	{ "cookie",		e_cookie,	0, 0 },
	{ "default",		e_default,	0, 1 },
	{ "epmd",		e_epmd,		1, 0 },
	{ "grants",		e_grants,	1, 0 },
	{ "group",		e_group,	1, 0 },
	{ "handler",		e_handler,	0, 1 },
	{ "handshake",		e_handshake,	1, 0 },
	{ "limits",		e_limits,	1, 0 },
	{ "listen",		e_listen,	1, 0 },
	{ "metrics",		e_metrics,	1, 0 },
	{ "node",		e_node,		0, 0 },
	{ "node_cookie",	e_node_cookie,	0, 0 },
	{ "peer",		e_peer,		0, 1 },
	{ "registration_from",	e_reg_from,	1, 0 },
	{ "user",		e_user,		1, 0 },
};

static int
kw_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keyword *)elem)->name);
}

/* The keyword table's index of a singleton, for L->seen. */
static size_t
kw_index(const char *name)
{
	const struct keyword *kw = bsearch(name, keywords,
	    DG_ARRAY_LEN(keywords), sizeof(*keywords), kw_cmp);

	return kw != NULL ? (size_t)(kw - keywords) : 0;
}

_Static_assert(DG_ARRAY_LEN(keywords) <= DG_ARRAY_LEN(((struct loader *)0)->seen),
    "struct loader's seen[] has a slot per keyword");

/* {Name, [Options]} for the option-list sections. */
static int
section_arg(struct loader *L, const struct et_node *t, const char *name)
{
	if (t->nkids != 2) {
		lerr(L, t->line, "%s takes {%s, [{Option, Value}]}", name,
		    name);
		return -1;
	}
	return 0;
}

/* "127.0.0.1:9369" or "[::1]:9369": a numeric address and a port. */
static void
o_metrics_listen(struct loader *L, const struct opt *o,
    const struct et_node *v, const char *what)
{
	struct dg_conf *c = L->c;
	struct et_node host;
	char buf[80], *colon, *end;
	const char *s;
	long port;

	if ((s = get_text(L, v, what, sizeof(buf) - 1)) == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (colon == NULL || colon[1] == '\0') {
		lerr(L, v->line, "%s: \"%s\" must be ADDRESS:PORT, e.g. "
		    "\"127.0.0.1:9369\" or \"[::1]:9369\"", what, s);
		return;
	}
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535) {
		lerr(L, v->line, "%s: port of \"%s\" must be 1..65535", what, s);
		return;
	}
	memset(&host, 0, sizeof(host));
	host.kind = ET_STRING;
	host.line = v->line;
	host.text = buf;
	if (buf[0] == '[' && colon > buf + 1 && colon[-1] == ']') {
		host.text = buf + 1;
		colon[-1] = '\0';
	} else if (strchr(buf, ':') != NULL) {
		lerr(L, v->line, "%s: write an IPv6 address in brackets, "
		    "\"[%s]:%ld\"", what, buf, port);
		return;
	}
	host.len = strlen(host.text);
	if (get_sockaddr(L, &host, what, (uint16_t)port, &c->metrics_addr) == 0)
		c->metrics_on = 1;
}

/* {metrics, "Addr:Port"} or {metrics, [{listen, "Addr:Port"}, ...]}. */
static void
e_metrics(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v;

	if (t->nkids != 2) {
		lerr(L, t->line, "metrics takes {metrics, \"127.0.0.1:9369\"} "
		    "or {metrics, [{Option, Value}]}");
		return;
	}
	v = et_elem(t, 1);
	if (v->kind == ET_LIST) {
		opt_list(L, "metrics", v, metrics_opts,
		    DG_ARRAY_LEN(metrics_opts));
		if (!L->c->metrics_on && L->nerr == 0)
			lerr(L, t->line, "metrics: the listen option is "
			    "required");
		return;
	}
	o_metrics_listen(L, NULL, v, "metrics");
}

static void
e_grants(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "grants") == 0)
		opt_list(L, "grants", et_elem(t, 1), grant_opts,
		    DG_ARRAY_LEN(grant_opts));
}

static void
e_epmd(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "epmd") == 0)
		opt_list(L, "epmd", et_elem(t, 1), epmd_opts,
		    DG_ARRAY_LEN(epmd_opts));
}

static void
e_listen(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "listen") == 0)
		opt_list(L, "listen", et_elem(t, 1), listen_opts,
		    DG_ARRAY_LEN(listen_opts));
}

static void
e_handshake(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	L->hs_line = t->line;
	if (section_arg(L, t, "handshake") == 0)
		opt_list(L, "handshake", et_elem(t, 1), hs_opts,
		    DG_ARRAY_LEN(hs_opts));
}

static void
e_bans(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "bans") == 0)
		opt_list(L, "bans", et_elem(t, 1), ban_opts,
		    DG_ARRAY_LEN(ban_opts));
}

static void
e_limits(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	if (section_arg(L, t, "limits") == 0)
		opt_list(L, "limits", et_elem(t, 1), limit_opts,
		    DG_ARRAY_LEN(limit_opts));
}

/* {alerts, Path} or {alerts, [Option]}. */
static void
e_alerts(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v;
	const char *path;

	if (t->nkids != 2) {
		lerr(L, t->line, "alerts takes {alerts, Path} or {alerts, "
		    "[{Option, Value}]}");
		return;
	}
	v = et_elem(t, 1);
	L->c->alerts_line = t->line;
	if (v->kind == ET_LIST) {
		opt_list(L, "alerts", v, alert_opts, DG_ARRAY_LEN(alert_opts));
		return;
	}
	if ((path = get_text(L, v, "alerts file", CONF_MAX_PATH)) != NULL)
		L->c->alerts_path = lstrdup(L, path, v->line);
}

static void
e_control(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const char *path;

	if (t->nkids != 2) {
		lerr(L, t->line, "control takes {control, "
		    "\"/path/to/socket\"}");
		return;
	}
	/* It becomes a sun_path. */
	path = get_text(L, et_elem(t, 1), "control socket path",
	    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	if (path != NULL)
		L->c->control_path = lstrdup(L, path, t->line);
}

/*
 * {user, Name} and {group, Name}: the account the daemon runs as after
 * the privilege drop.  Looked up now, so that `distguard check` names a
 * missing account or root by FILE:LINE rather than the daemon failing
 * after it has bound its ports.
 */
static void
e_user(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct passwd *pw;
	const char *name;

	if (t->nkids != 2) {
		lerr(L, t->line, "user takes {user, \"name\"}");
		return;
	}
	if ((name = get_text(L, et_elem(t, 1), "user name", 64)) == NULL)
		return;
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		lerr(L, t->line, "user \"%s\": %s", name, errno ?
		    strerror(errno) : "no such user (create it, e.g. "
		    "useradd --system --user-group --no-create-home "
		    "--shell /usr/sbin/nologin NAME)");
		return;
	}
	if (pw->pw_uid == 0) {
		lerr(L, t->line, "user \"%s\" has uid 0: the privilege drop "
		    "needs an unprivileged account", name);
		return;
	}
	L->c->run_uid = pw->pw_uid;
	if (L->c->run_group == NULL)
		L->c->run_gid = pw->pw_gid;
	L->c->run_user = lstrdup(L, name, t->line);
}

static void
e_group(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	struct group *gr;
	const char *name;

	if (t->nkids != 2) {
		lerr(L, t->line, "group takes {group, \"name\"}");
		return;
	}
	if ((name = get_text(L, et_elem(t, 1), "group name", 64)) == NULL)
		return;
	errno = 0;
	if ((gr = getgrnam(name)) == NULL) {
		lerr(L, t->line, "group \"%s\": %s", name, errno ?
		    strerror(errno) : "no such group");
		return;
	}
	if (gr->gr_gid == 0) {
		lerr(L, t->line, "group \"%s\" has gid 0: the privilege drop "
		    "needs an unprivileged group", name);
		return;
	}
	L->c->run_gid = gr->gr_gid;
	L->c->run_group = lstrdup(L, name, t->line);
}

static void
e_reg_from(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	const struct et_node *v, *k;
	struct dg_conf *c = L->c;

	if (t->nkids != 2 || (v = et_elem(t, 1))->kind != ET_LIST ||
	    v->nkids < 1 || v->nkids > CONF_MAX_CIDRS) {
		lerr(L, t->line, "registration_from takes a list of 1..%d "
		    "addresses or address/prefix", CONF_MAX_CIDRS);
		return;
	}
	if ((c->reg_from = lcalloc(L, (size_t)v->nkids, sizeof(*c->reg_from),
	    t->line)) == NULL)
		return;
	for (k = v->kids; k != NULL; k = k->next)
		if (get_cidr(L, k, "registration_from",
		    &c->reg_from[c->nreg_from]) == 0)
			c->nreg_from++;
}

static void
e_cookie(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	cookie_entry(L, t, "cookie", L->c->cookies, &L->c->ncookies,
	    L->ncookie_cap);
}

static void
e_node_cookie(struct loader *L, const struct et_node *t, struct dg_scope *s)
{
	cookie_entry(L, t, "node_cookie", L->c->node_cookies,
	    &L->c->nnode_cookies, L->nnode_cookie_cap);
}

static int
count_tagged(const struct et_node *first, const char *tag)
{
	const struct et_node *k;
	int n = 0;

	for (k = first; k != NULL; k = k->next)
		if (k->kind == ET_TUPLE && k->nkids > 0 &&
		    et_is_atom(k->kids, tag))
			n++;
	return n;
}

/* {node, Pattern, [Entry]}: peers and a default for the local nodes whose
 * names match Pattern. */
static void
e_node(struct loader *L, const struct et_node *t, struct dg_scope *top)
{
	const struct et_node *v, *k;
	const struct keyword *kw;
	struct dg_scope *s;
	const char *pat;
	char buf[64];
	int i;

	if (t->nkids != 3) {
		lerr(L, t->line, "node takes {node, Pattern, [Entry]}");
		return;
	}
	if ((pat = get_pattern(L, et_elem(t, 1), "node pattern")) == NULL)
		return;
	for (i = 0; i < L->c->nnodes; i++) {
		if (L->c->nodes[i].node_pattern != NULL &&
		    strcmp(L->c->nodes[i].node_pattern, pat) == 0) {
			lerr(L, t->line, "node \"%s\" given twice (first on "
			    "line %d)", pat, L->c->nodes[i].line);
			return;
		}
	}
	if ((v = et_elem(t, 2))->kind != ET_LIST) {
		lerr(L, v->line, "node entries must be a list of {peer, ...} "
		    "and {default, ...}");
		return;
	}
	if (L->c->nnodes >= L->nnodes_cap)
		return;		/* cannot happen: counted beforehand */
	s = &L->c->nodes[L->c->nnodes++];
	s->line = t->line;
	if ((s->node_pattern = lstrdup(L, pat, t->line)) == NULL)
		return;
	if ((i = count_tagged(v->kids, "peer")) > 0 &&
	    (s->peers = lcalloc(L, (size_t)i, sizeof(*s->peers),
	    t->line)) == NULL)
		return;
	for (k = v->kids; k != NULL; k = k->next) {
		if (k->kind != ET_TUPLE || k->nkids == 0 ||
		    k->kids->kind != ET_ATOM ||
		    (kw = bsearch(k->kids->text, keywords,
		    DG_ARRAY_LEN(keywords), sizeof(*keywords),
		    kw_cmp)) == NULL || !kw->in_node) {
			lerr(L, k->line, "inside node only {peer, ...}, "
			    "{default, ...} and {handler, ...} are allowed, "
			    "found %s",
			    et_show(k->kind == ET_TUPLE && k->nkids ? k->kids :
			    k, buf, sizeof(buf)));
			continue;
		}
		kw->fn(L, k, s);
	}
}

/* One top-level term. */
static void
entry(struct loader *L, const struct et_node *t)
{
	const struct keyword *kw;
	char buf[64];
	size_t i;

	if (t->kind != ET_TUPLE || t->nkids == 0 || t->kids->kind != ET_ATOM) {
		lerr(L, t->line, "entries are tuples {Name, ...}, found %s",
		    et_show(t, buf, sizeof(buf)));
		return;
	}
	kw = bsearch(t->kids->text, keywords, DG_ARRAY_LEN(keywords),
	    sizeof(*keywords), kw_cmp);
	if (kw == NULL) {
		lerr(L, t->line, "unknown entry %s",
		    et_show(t->kids, buf, sizeof(buf)));
		return;
	}
	i = (size_t)(kw - keywords);
	if (kw->singleton) {
		if (L->seen[i]) {
			lerr(L, t->line, "%s given twice (first on line %d)",
			    kw->name, L->seen[i]);
			return;
		}
		L->seen[i] = t->line;
	}
	kw->fn(L, t, &L->c->top);
}

static void
set_defaults(struct dg_conf *c)
{
	c->epmd_port = 4369;
	c->names_from = DG_NAMES_LOCAL;
	c->epmd_timeout = 5;
	c->epmd_max_conns = 1024;
	c->epmd_max_per_source = 64;
	c->listen_port_min = 4370;
	c->listen_port_max = 4469;
	c->hs_timeout = 7;
	c->hs_max_pending = 512;
	c->hs_max_per_source = 32;
	c->hs_withhold = DFLAG_DEFAULT_WITHHOLD;
	c->hs_require = DFLAG_MANDATORY_25;
	c->hs_check_host = 0;
	c->ban_failures = 5;
	c->ban_window = 60;
	c->ban_duration = 600;
	c->alerts_per_source = 30;
	c->max_frame = 64u << 20;
	c->max_frag_seqs = 64;
	c->max_frag_bytes = (uint64_t)256 << 20;
	c->max_atoms = 10000;
	c->top.def = DG_DEF_DENY;
	c->metrics_max_peers = 100;
	c->metrics_max_conns = 8;
	c->grants_max = 64;
	c->grants_max_duration = 86400;
}

/* Defaults of the list-valued entries, when the file did not give them. */
static void
default_addrs(struct loader *L)
{
	static const char *epmd[] = { "0.0.0.0", "::" };
	static const char *reg[] = { "127.0.0.1", "::1" };
	struct dg_conf *c = L->c;
	struct et_node v;
	size_t i;

	memset(&v, 0, sizeof(v));
	v.kind = ET_STRING;
	if (c->nepmd_addrs == 0) {
		for (i = 0; i < DG_ARRAY_LEN(epmd); i++) {
			v.text = (char *)epmd[i];
			v.len = strlen(epmd[i]);
			if (get_sockaddr(L, &v, "epmd", 0,
			    &c->epmd_addrs[c->nepmd_addrs]) == 0)
				c->nepmd_addrs++;
		}
	}
	/* The epmd sockets carry the port; listen_addr's stays 0 (unset),
	 * its ports come from the range. */
	for (i = 0; i < (size_t)c->nepmd_addrs; i++) {
		struct sockaddr_storage *ss = &c->epmd_addrs[i].ss;

		if (ss->ss_family == AF_INET)
			((struct sockaddr_in *)ss)->sin_port =
			    htons(c->epmd_port);
		else
			((struct sockaddr_in6 *)ss)->sin6_port =
			    htons(c->epmd_port);
	}
	if (c->listen_addr.len == 0) {
		v.text = "0.0.0.0";
		v.len = strlen(v.text);
		get_sockaddr(L, &v, "listen", 0, &c->listen_addr);
	}
	if (c->nreg_from == 0 && c->reg_from == NULL) {
		if ((c->reg_from = lcalloc(L, DG_ARRAY_LEN(reg),
		    sizeof(*c->reg_from), 0)) == NULL)
			return;
		for (i = 0; i < DG_ARRAY_LEN(reg); i++) {
			v.text = (char *)reg[i];
			v.len = strlen(reg[i]);
			if (get_cidr(L, &v, "registration_from",
			    &c->reg_from[c->nreg_from]) == 0)
				c->nreg_from++;
		}
	}
}

/*
 * Without a {cookie, Secret} default, use what `erl` itself would:
 * $HOME/.erlang.cookie (HOME, else the password entry), with the same
 * secrecy rule as any cookie file.
 */
static void
default_cookie(struct loader *L)
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
	if (n < 0 || (size_t)n >= sizeof(path) || access(path, F_OK) == -1) {
		lerr(L, L->lines, "no cookie configured: add {cookie, "
		    "\"secret\"} or {cookie, {file, Path}}, or create "
		    "$HOME/.erlang.cookie");
		return;
	}
	if (c->ncookies >= L->ncookie_cap)
		return;
	if (cookie_file(L, path, L->lines, &c->cookies[c->ncookies]) == 0)
		c->ncookies++;
}

/*
 * Withholding a flag that a supported OTP release requires would make every
 * handshake with nodes of that release fail (they answer not_allowed, or
 * abort), so it is an error naming the releases, one per flag.
 */
static void
withheld_mandatory(struct loader *L, int line)
{
	uint64_t bad = 0, bit;
	char versions[128];
	const char *name;
	int v;

	for (v = DG_OTP_FIRST; v <= DG_OTP_LAST; v++)
		bad |= L->c->hs_withhold & dflag_mandatory(v);
	for (; bad != 0; bad &= ~bit) {
		bit = bad & (~bad + 1);
		name = dflag_name(bit);
		dflag_versions_requiring(bit, versions, sizeof(versions));
		lerr(L, L->withhold_set ? L->withhold_set : line,
		    "handshake: cannot withhold %s: %s nodes require it (every "
		    "handshake with them would fail)",
		    name ? name : "a mandatory flag", versions);
	}
}

/* Cross-entry checks of the handshake flags. */
static void
check_flags(struct loader *L)
{
	struct dg_conf *c = L->c;
	uint64_t bad;
	const char *name;
	int line = L->hs_line;

	withheld_mandatory(L, line);
	if ((bad = c->hs_require & ~DFLAG_SUPPORTED) != 0) {
		name = dflag_name(bad & (~bad + 1));
		lerr(L, L->require_set ? L->require_set : line,
		    "handshake: cannot require %s: distguard does not carry it",
		    name ? name : "an unsupported flag");
	}
	if ((bad = c->hs_require & c->hs_withhold) != 0) {
		name = dflag_name(bad & (~bad + 1));
		lerr(L, L->require_set ? L->require_set : line,
		    "handshake: %s is both withheld and required",
		    name ? name : "a flag");
	}
}

/* A group alone would leave the daemon root: it needs a user. */
static void
check_run_as(struct loader *L)
{
	int gline = L->seen[kw_index("group")];

	if (L->c->run_group != NULL && L->c->run_user == NULL &&
	    L->seen[kw_index("user")] == 0)
		lerr(L, gline, "group \"%s\" is given without {user, Name}: "
		    "distguard changes its group only together with its user",
		    L->c->run_group);
}

static void
free_ruleset(struct dg_ruleset *rs)
{
	int i, j;

	for (i = 0; i < rs->nrules; i++) {
		struct dg_rule *r = &rs->rules[i];

		for (j = 0; j < r->nnames; j++)
			free(r->names[j]);
		free(r->names);
		for (j = 0; j < r->nmfas; j++) {
			free(r->mfas[j].m);
			free(r->mfas[j].f);
		}
		free(r->mfas);
	}
	free(rs->rules);
	rs->rules = NULL;
	rs->nrules = 0;
}

static void
free_scope(struct dg_scope *s)
{
	int i;

	for (i = 0; i < s->npeers; i++) {
		free(s->peers[i].pattern);
		free(s->peers[i].handler);
		free_ruleset(&s->peers[i].rules);
	}
	free(s->peers);
	free(s->handler);
	free_ruleset(&s->def_rules);
	free(s->node_pattern);
}

static void
free_cookies(struct dg_cookie *ck, int n)
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

static void
conf_free(struct dg_conf *c, int ncookie_cap, int nnode_cookie_cap)
{
	int i;

	free(c->path);
	free(c->reg_from);
	free_cookies(c->cookies, ncookie_cap);
	free_cookies(c->node_cookies, nnode_cookie_cap);
	free(c->alerts_path);
	free(c->control_path);
	free(c->grants_state_file);
	free(c->run_user);
	free(c->run_group);
	free_scope(&c->top);
	for (i = 0; i < c->nnodes; i++)
		free_scope(&c->nodes[i]);
	free(c->nodes);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

/* Sizes the arrays from a first pass over the terms, so that no array is
 * grown while entries point into it. */
static int
alloc_arrays(struct loader *L, const struct et_doc *doc)
{
	struct dg_conf *c = L->c;
	int n;

	L->ncookie_cap = count_tagged(doc->terms, "cookie") + 1;
	L->nnode_cookie_cap = count_tagged(doc->terms, "node_cookie");
	L->nnodes_cap = count_tagged(doc->terms, "node");
	n = count_tagged(doc->terms, "peer");
	if ((c->cookies = lcalloc(L, (size_t)L->ncookie_cap,
	    sizeof(*c->cookies), 0)) == NULL ||
	    (c->node_cookies = lcalloc(L, (size_t)L->nnode_cookie_cap,
	    sizeof(*c->node_cookies), 0)) == NULL ||
	    (c->nodes = lcalloc(L, (size_t)L->nnodes_cap,
	    sizeof(*c->nodes), 0)) == NULL ||
	    (c->top.peers = lcalloc(L, (size_t)n, sizeof(*c->top.peers),
	    0)) == NULL)
		return -1;
	return 0;
}

static struct dg_conf *
load(const char *name, const char *text, size_t len, int mode,
    conf_err_fn err, void *arg)
{
	struct loader L;
	struct et_doc *doc;
	const struct et_node *t;
	struct dg_conf *c;

	memset(&L, 0, sizeof(L));
	L.file = name;
	L.err = err;
	L.arg = arg;
	L.mode = mode;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		lerr(&L, 0, "out of memory");
		return NULL;
	}
	L.c = c;
	set_defaults(c);
	c->refcnt = 1;
	if ((doc = et_parse(text, len, syntax_err, &L)) == NULL) {
		conf_free(c, 0, 0);
		return NULL;
	}
	L.nerr += doc->nerrors;
	L.lines = doc->lines;
	if ((c->path = lstrdup(&L, name, 0)) != NULL &&
	    alloc_arrays(&L, doc) == 0) {
		for (t = doc->terms; t != NULL; t = t->next)
			entry(&L, t);
		default_addrs(&L);
		default_cookie(&L);
		check_flags(&L);
		check_run_as(&L);
	}
	et_free(doc);
	if (L.nerr > 0) {
		conf_free(c, L.ncookie_cap, L.nnode_cookie_cap);
		return NULL;
	}
	return c;
}

struct dg_conf *
conf_load_text(const char *name, const char *text, size_t len,
    conf_err_fn err, void *arg)
{
	return load(name != NULL ? name : CONF_EMBEDDED, text, len, -1, err,
	    arg);
}

struct dg_conf *
conf_load(const char *path, conf_err_fn err, void *arg)
{
	struct dg_conf *c = NULL;
	struct loader L;
	struct stat st;
	char *buf = NULL, hint[160];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (path == NULL)
		return conf_load_text(CONF_EMBEDDED, conf_default_text,
		    strlen(conf_default_text), err, arg);
	memset(&L, 0, sizeof(L));
	L.file = path;
	L.err = err;
	L.arg = arg;
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		access_hint(errno, hint, sizeof(hint));
		lerr(&L, 0, "%s%s", strerror(errno), hint);
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		lerr(&L, 0, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		lerr(&L, 0, "not a regular file");
		goto out;
	}
	/* Read one byte past the limit: st_size may lie (procfs, a file
	 * growing under us), the read count does not. */
	if (st.st_size > ET_MAX_FILE) {
		lerr(&L, 0, "file is larger than %d bytes", ET_MAX_FILE);
		goto out;
	}
	if ((buf = malloc(ET_MAX_FILE + 1)) == NULL) {
		lerr(&L, 0, "out of memory");
		goto out;
	}
	while (len <= ET_MAX_FILE) {
		if ((n = read(fd, buf + len, ET_MAX_FILE + 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			lerr(&L, 0, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* et_parse refuses len > ET_MAX_FILE itself. */
	c = load(path, buf, len, (int)(st.st_mode & 07777), err, arg);
out:
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
	close(fd);
	return c;
}

void
conf_ref(struct dg_conf *c)
{
	c->refcnt++;
}

/* The cookie arrays are freed over their used part: capacities are only
 * known while loading, and unused slots were never written. */
static void	overlay_free(struct dg_conf *);

void
conf_unref(struct dg_conf *c)
{
	if (c == NULL || --c->refcnt > 0)
		return;
	if (c->base != NULL)
		overlay_free(c);
	else
		conf_free(c, c->ncookies, c->nnode_cookies);
}

/* ---- rules from the command line, overlays ---------------------------- */

int
conf_parse_rules(const char *name, const char *text, size_t len,
    struct dg_ruleset *out, conf_err_fn err, void *arg)
{
	struct loader L;
	struct et_doc *doc;
	char *buf;

	memset(&L, 0, sizeof(L));
	memset(out, 0, sizeof(*out));
	L.file = name;
	L.err = err;
	L.arg = arg;
	/* The term reader wants a terminator; the command line need not. */
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\n'))
		len--;
	if (len == 0 || len > ET_MAX_FILE - 2) {
		lerr(&L, 1, "rules must be a list such as [allow_all] or "
		    "[{allow, spawn_request, [{erlang, node, 0}]}]");
		return -1;
	}
	if ((buf = malloc(len + 2)) == NULL) {
		lerr(&L, 1, "out of memory");
		return -1;
	}
	memcpy(buf, text, len);
	if (text[len - 1] != '.')
		buf[len++] = '.';
	if ((doc = et_parse(buf, len, syntax_err, &L)) == NULL) {
		free(buf);
		return -1;
	}
	free(buf);
	L.nerr += doc->nerrors;
	if (L.nerr == 0 && doc->nterms != 1)
		lerr(&L, 1, "rules must be one list, found %d terms",
		    doc->nterms);
	else if (L.nerr == 0 && doc->terms->kind == ET_LIST &&
	    doc->terms->nkids == 0)
		lerr(&L, 1, "rules must hold at least one rule");
	else if (L.nerr == 0)
		parse_rules(&L, doc->terms, "rules", out);
	et_free(doc);
	if (L.nerr > 0) {
		free_ruleset(out);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

void
conf_ruleset_free(struct dg_ruleset *rs)
{
	free_ruleset(rs);
	memset(rs, 0, sizeof(*rs));
}

static void
overlay_free(struct dg_conf *c)
{
	int i;

	for (i = 0; i < c->nov; i++) {
		free(c->ov[i].pattern);
		free_ruleset(&c->ov[i].rules);
	}
	free(c->ov);
	free(c->top.peers);
	for (i = 0; i < c->nnodes; i++)
		free(c->nodes[i].peers);
	free(c->nodes);
	conf_unref(c->base);
	free(c);
}

/* The overlays, then the scope's own entries (which stay base's): a new
 * array in place of the scope's, or NULL (and the scope left without
 * peers, so that overlay_free frees nothing of base's). */
static int
overlay_scope(const struct dg_conf *c, struct dg_scope *s)
{
	struct dg_peer *p;

	p = calloc((size_t)(c->nov + s->npeers), sizeof(*p));
	if (p != NULL) {
		memcpy(p, c->ov, (size_t)c->nov * sizeof(*p));
		if (s->npeers > 0)
			memcpy(p + c->nov, s->peers,
			    (size_t)s->npeers * sizeof(*p));
		s->npeers += c->nov;
	}
	s->peers = p;
	return p != NULL ? 0 : -1;
}

struct dg_conf *
conf_overlay(struct dg_conf *base, const struct dg_overlay *ov, int n,
    conf_err_fn err, void *arg)
{
	struct dg_conf *c;
	char name[32];
	int i;

	base = conf_root(base);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	*c = *base;
	c->refcnt = 1;
	c->base = base;
	conf_ref(base);
	c->top.peers = NULL;	/* nothing of base's until replaced */
	c->nodes = NULL;
	c->nnodes = 0;
	c->nov = 0;
	if ((c->ov = calloc((size_t)(n > 0 ? n : 1), sizeof(*c->ov))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		struct dg_peer *p = &c->ov[i];

		snprintf(name, sizeof(name), "grant %d", ov[i].id);
		if ((p->pattern = strdup(ov[i].pattern)) == NULL)
			goto fail;
		c->nov++;
		if (conf_parse_rules(name, ov[i].rules, strlen(ov[i].rules),
		    &p->rules, err, arg) == -1)
			goto fail;
	}
	c->top.peers = base->top.peers;
	if (overlay_scope(c, &c->top) == -1)
		goto fail;
	if (base->nnodes > 0 && (c->nodes = calloc((size_t)base->nnodes,
	    sizeof(*c->nodes))) == NULL)
		goto fail;
	for (i = 0; i < base->nnodes; i++) {
		c->nodes[i] = base->nodes[i];
		c->nnodes = i + 1;
		if (overlay_scope(c, &c->nodes[i]) == -1)
			goto fail;
	}
	return c;
fail:
	overlay_free(c);
	return NULL;
}

struct dg_conf *
conf_root(struct dg_conf *c)
{
	return c->base != NULL ? c->base : c;
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

const char *
conf_type_name(enum dg_type t)
{
	return (unsigned)t < DG_T_COUNT ? type_names[t] : "?";
}

const char *
conf_action_name(enum dg_action a)
{
	return (unsigned)a < DG_ARRAY_LEN(action_names) ? action_names[a] : "?";
}

const char *
conf_profile_name(enum dg_profile p)
{
	return (unsigned)p < DG_PROFILE_COUNT ? profile_names[p] : "?";
}

int
conf_type_from_name(const char *name, enum dg_type *t)
{
	int i;

	for (i = 0; i < DG_T_COUNT; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*t = (enum dg_type)i;
			return 0;
		}
	}
	return -1;
}

void
conf_errs_collect(void *arg, const char *file, int line, const char *msg)
{
	struct conf_errs *e = arg;
	int k;

	e->n++;
	if (e->buf == NULL || e->used >= e->len)
		return;
	k = snprintf(e->buf + e->used, e->len - e->used, "%s:%d: %s\n", file,
	    line, msg);
	if (k > 0)
		e->used += (size_t)k;
}
