/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_link.c - the commands that make the keys and certificates of links
 * between distguard hosts (docs/LINKS.md):
 *
 *   distguard keygen -o FILE
 *   distguard pubkey FILE
 *   distguard sign --cluster-key FILE --host NAME --pubkey KEY --days N
 *                  [--names PATTERN...] [-o FILE]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon/cmd.h"
#include "link/cert.h"
#include "link/hostkey.h"

static const char help_keygen[] =
    "usage: distguard keygen -o FILE\n"
    "Makes a host key (Ed25519, from libsodium's CSPRNG) and writes it to\n"
    "FILE, created with mode 0600; an existing FILE is never overwritten.\n"
    "Prints the public key, as `distguard pubkey` does.  The same command\n"
    "makes a cluster key for `distguard sign`.\n";
static const char help_pubkey[] =
    "usage: distguard pubkey FILE\n"
    "Prints the public key of the key file FILE as one line, \"dg1:...\",\n"
    "to paste into the other hosts' {link, Host, Key} or {trust, Key}\n"
    "entries.  FILE must be private (mode 0600 or 0400) and belong to the\n"
    "user running the command, or to root.\n";
static const char help_sign[] =
    "usage: distguard sign --cluster-key FILE --host NAME --pubkey KEY\n"
    "                      --days N [--start TIME] [--names PATTERN...]\n"
    "                      [-o FILE]\n"
    "Signs a certificate with the cluster key in FILE: host NAME owns the\n"
    "host key KEY (\"dg1:...\", from `distguard pubkey`) from now (or from\n"
    "TIME, in Unix seconds: for a certificate issued ahead of time) for N\n"
    "days (1..3650), and may carry the node names matching the PATTERNs\n"
    "(at most 16; by default \"*@NAME\").  Prints the certificate, one line\n"
    "\"dgc1:...\", or writes it to FILE (mode 0644; never overwritten), and\n"
    "its id for {revoked, [\"cert:ID\"]} on stderr.  Hosts whose\n"
    "configuration has {trust, ClusterKey} accept a host presenting it.\n";

static int
keygen(int argc, char **argv)
{
	struct lk_hostkey k;
	char err[512], pk[LK_PK_TEXT_MAX];
	const char *out = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && out == NULL)
			out = argv[++i];
		else
			return cmd_usage_error("keygen", "bad argument %s",
			    argv[i]);
	}
	if (out == NULL)
		return cmd_usage_error("keygen", "-o FILE is needed");
	if (lk_hostkey_generate(&k) == -1) {
		fprintf(stderr, "distguard keygen: libsodium cannot start\n");
		return 1;
	}
	if (lk_hostkey_write(out, &k, err, sizeof(err)) == -1) {
		lk_hostkey_wipe(&k);
		fprintf(stderr, "distguard keygen: %s\n", err);
		return 1;
	}
	lk_pubkey_text(k.pk, pk);
	lk_hostkey_wipe(&k);
	printf("%s\n", pk);
	return 0;
}

static int
pubkey(int argc, char **argv)
{
	struct lk_hostkey k;
	char err[512], pk[LK_PK_TEXT_MAX];

	if (argc != 2 || argv[1][0] == '-')
		return cmd_usage_error("pubkey", "%s", argc < 2 ?
		    "the key FILE is needed" : argc > 2 ? "one FILE only" :
		    "bad argument");
	if (lk_hostkey_read(argv[1], &k, (uid_t)-1, err, sizeof(err)) == -1) {
		fprintf(stderr, "distguard pubkey: %s\n", err);
		return 1;
	}
	lk_pubkey_text(k.pk, pk);
	lk_hostkey_wipe(&k);
	printf("%s\n", pk);
	return 0;
}

struct sign_args {
	const char	*cluster, *host, *pubkey, *days, *out, *start;
	const char	*names[LK_CERT_MAX_NAMES];
	int		 nnames;
};

static int
sign_args(int argc, char **argv, struct sign_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--cluster-key") == 0)
			slot = &a->cluster;
		else if (strcmp(argv[i], "--host") == 0)
			slot = &a->host;
		else if (strcmp(argv[i], "--pubkey") == 0)
			slot = &a->pubkey;
		else if (strcmp(argv[i], "--days") == 0)
			slot = &a->days;
		else if (strcmp(argv[i], "-o") == 0)
			slot = &a->out;
		else if (strcmp(argv[i], "--start") == 0)
			slot = &a->start;
		else if (strcmp(argv[i], "--names") == 0) {
			if (i + 1 >= argc || argv[i + 1][0] == '-') {
				fprintf(stderr, "distguard sign: --names needs "
				    "at least one pattern\n");
				return -1;
			}
			while (i + 1 < argc && argv[i + 1][0] != '-') {
				if (a->nnames == LK_CERT_MAX_NAMES) {
					fprintf(stderr, "distguard sign: at "
					    "most %d patterns\n",
					    LK_CERT_MAX_NAMES);
					return -1;
				}
				a->names[a->nnames++] = argv[++i];
			}
			continue;
		} else {
			cmd_usage_error("sign", "bad argument %s", argv[i]);
			return -1;
		}
		if (*slot != NULL || i + 1 >= argc) {
			cmd_usage_error("sign", "%s %s", argv[i],
			    *slot != NULL ? "given twice" : "needs a value");
			return -1;
		}
		*slot = argv[++i];
	}
	if (a->cluster == NULL || a->host == NULL || a->pubkey == NULL ||
	    a->days == NULL) {
		cmd_usage_error("sign", "--cluster-key, --host, --pubkey and "
		    "--days are needed");
		return -1;
	}
	return 0;
}

/* The certificate from the arguments, or -1 with the reason printed. */
static int
sign_fill(const struct sign_args *a, struct lk_cert *c)
{
	const char *why;
	char *end;
	long days;
	int i;

	memset(c, 0, sizeof(*c));
	errno = 0;
	days = strtol(a->days, &end, 10);
	if (errno != 0 || *end != '\0' || days < 1 || days > 3650) {
		fprintf(stderr, "distguard sign: --days must be 1..3650\n");
		return -1;
	}
	if (!lk_name_ok((const uint8_t *)a->host, strlen(a->host)) ||
	    strpbrk(a->host, "@*?/") != NULL) {
		fprintf(stderr, "distguard sign: --host %s is not a host name\n",
		    a->host);
		return -1;
	}
	if (lk_pubkey_parse(a->pubkey, strlen(a->pubkey), c->host_pk,
	    &why) == -1) {
		fprintf(stderr, "distguard sign: --pubkey: %s\n", why);
		return -1;
	}
	for (i = 0; i < a->nnames; i++) {
		if (!lk_name_ok((const uint8_t *)a->names[i],
		    strlen(a->names[i])) || strchr(a->names[i], '@') == NULL) {
			fprintf(stderr, "distguard sign: --names %s: a pattern "
			    "of full node names (alive@host), at most 255 "
			    "bytes, no spaces\n", a->names[i]);
			return -1;
		}
		snprintf(c->names[i], sizeof(c->names[i]), "%s", a->names[i]);
	}
	c->nnames = a->nnames;
	snprintf(c->host, sizeof(c->host), "%s", a->host);
	randombytes_buf(c->id, sizeof(c->id));
	c->not_before = (uint64_t)time(NULL);
	if (a->start != NULL) {
		long long t;

		errno = 0;
		t = strtoll(a->start, &end, 10);
		if (errno != 0 || *end != '\0' || t < 0) {
			fprintf(stderr, "distguard sign: --start is a time in "
			    "Unix seconds\n");
			return -1;
		}
		c->not_before = (uint64_t)t;
	}
	c->not_after = c->not_before + (uint64_t)days * 86400;
	return 0;
}

static int
write_new(const char *path, const char *text)
{
	size_t n = strlen(text);
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1) {
		fprintf(stderr, "distguard sign: %s: %s%s\n", path,
		    strerror(errno), errno == EEXIST ?
		    " (refusing to overwrite)" : "");
		return -1;
	}
	if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
	    close(fd) == -1) {
		fprintf(stderr, "distguard sign: %s: %s\n", path,
		    strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

static int
sign(int argc, char **argv)
{
	static char text[LK_CERT_TEXT_MAX];
	struct sign_args a;
	struct lk_hostkey ck;
	struct lk_cert c;
	uint8_t bin[LK_CERT_MAX];
	char err[512], id[2 * LK_CERT_ID_BYTES + 1], until[32];
	time_t t;
	int n;

	if (sign_args(argc, argv, &a) == -1)
		return 2;
	if (lk_sodium_ready() == -1 || sign_fill(&a, &c) == -1)
		return 2;
	if (lk_hostkey_read(a.cluster, &ck, (uid_t)-1, err, sizeof(err)) == -1) {
		fprintf(stderr, "distguard sign: %s\n", err);
		return 1;
	}
	n = lk_cert_sign(&c, &ck, bin, sizeof(bin));
	lk_hostkey_wipe(&ck);
	if (n < 0 || lk_cert_text(bin, (size_t)n, text, sizeof(text)) == -1) {
		fprintf(stderr, "distguard sign: the certificate does not fit "
		    "in %d bytes\n", LK_CERT_MAX);
		return 1;
	}
	if (a.out != NULL) {
		if (write_new(a.out, text) == -1)
			return 1;
	} else
		printf("%s\n", text);
	sodium_bin2hex(id, sizeof(id), c.id, sizeof(c.id));
	t = (time_t)c.not_after;
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	fprintf(stderr, "certificate cert:%s for host %s, valid until %s\n",
	    id, c.host, until);
	return 0;
}

int
cmd_link_is(const char *cmd)
{
	return strcmp(cmd, "keygen") == 0 || strcmp(cmd, "pubkey") == 0 ||
	    strcmp(cmd, "sign") == 0;
}

int
cmd_link(int argc, char **argv)
{
	const char *help = strcmp(argv[0], "keygen") == 0 ? help_keygen :
	    strcmp(argv[0], "pubkey") == 0 ? help_pubkey : help_sign;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return 0;
		}
	}
	if (strcmp(argv[0], "keygen") == 0)
		return keygen(argc, argv);
	if (strcmp(argv[0], "pubkey") == 0)
		return pubkey(argc, argv);
	return sign(argc, argv);
}
