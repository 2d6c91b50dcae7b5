/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_value.c - the value checks of the configuration loader: integers,
 * booleans, texts, patterns, socket addresses, CIDRs; every error as
 * FILE:LINE through conf_err.
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
#include "eterm.h"
#include "conf_int.h"

void
conf_err(struct loader *L, int line, const char *fmt, ...)
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
void
conf_syntax_err(void *arg, int line, const char *msg)
{
	struct loader *L = arg;

	if (L->err != NULL)
		L->err(L->arg, L->file, line, msg);
}

void *
conf_calloc(struct loader *L, size_t n, size_t size, int line)
{
	void *p;

	if ((p = calloc(n ? n : 1, size)) == NULL)
		conf_err(L, line, "out of memory");
	return p;
}

char *
conf_strdup(struct loader *L, const char *s, int line)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		conf_err(L, line, "out of memory");
	return p;
}

/*
 * Value checkers.  Each returns 0 and stores the value, or reports an
 * error naming `what` and the accepted range and returns -1.
 */
int
conf_get_int(struct loader *L, const struct et_node *v, const char *what,
    int64_t min, int64_t max, const char *unit, int64_t *out)
{
	if (v->kind != ET_INT || v->ival < min || v->ival > max) {
		conf_err(L, v->line, "%s must be %" PRId64 "..%" PRId64 "%s%s",
		    what, min, max, unit[0] ? " " : "", unit);
		return -1;
	}
	*out = v->ival;
	return 0;
}

int
conf_get_bool(struct loader *L, const struct et_node *v, const char *what,
    int *out)
{
	if (et_is_atom(v, "true"))
		*out = 1;
	else if (et_is_atom(v, "false"))
		*out = 0;
	else {
		conf_err(L, v->line, "%s must be true or false", what);
		return -1;
	}
	return 0;
}

/* A non-empty string (or atom) of at most max bytes with no NUL. */
const char *
conf_get_text(struct loader *L, const struct et_node *v, const char *what,
    size_t max)
{
	if ((v->kind != ET_STRING && v->kind != ET_ATOM) || v->len == 0 ||
	    v->len > max) {
		conf_err(L, v->line, "%s must be a non-empty string of at most "
		    "%zu bytes", what, max);
		return NULL;
	}
	if (strlen(v->text) != v->len) {
		conf_err(L, v->line, "%s contains a NUL character", what);
		return NULL;
	}
	return v->text;
}

/* A node-name glob ("web@*"). */
const char *
conf_get_pattern(struct loader *L, const struct et_node *v, const char *what)
{
	return conf_get_text(L, v, what, DG_MAX_NODE_BYTES);
}

/* Numeric address, v4 or v6, into a sockaddr with the given port. */
int
conf_get_sockaddr(struct loader *L, const struct et_node *v, const char *what,
    uint16_t port, struct dg_sockaddr *sa)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&sa->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sa->ss;
	const char *s;

	if ((s = conf_get_text(L, v, what, sizeof(sa->text) - 1)) == NULL)
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
		conf_err(L, v->line, "%s: \"%s\" is not a numeric IPv4 or IPv6 "
		    "address", what, s);
		return -1;
	}
	snprintf(sa->text, sizeof(sa->text), "%s", s);
	return 0;
}

/* "10.0.0.0/8", "::1", "fd00::/8"; host bits must be clear, so that a
 * typo such as 10.0.0.1/8 is not silently widened. */
int
conf_get_cidr(struct loader *L, const struct et_node *v, const char *what,
    struct dg_cidr *c)
{
	char buf[64], *slash;
	const char *s;
	int bits, i, maxbits;

	if ((s = conf_get_text(L, v, what, sizeof(buf) - 1)) == NULL)
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
		conf_err(L, v->line, "%s: \"%s\" is not a numeric address or "
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
			conf_err(L, v->line, "%s: prefix of \"%s\" must be 0..%d",
			    what, s, maxbits);
			return -1;
		}
		c->prefix = bits;
	}
	for (i = c->prefix; i < maxbits; i++) {
		if (c->addr[i / 8] & (0x80 >> (i % 8))) {
			conf_err(L, v->line, "%s: \"%s\" has bits set past the "
			    "/%d prefix", what, s, c->prefix);
			return -1;
		}
	}
	return 0;
}
