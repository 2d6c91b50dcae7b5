/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hostkey.c - host keys: generation, the private key file (created
 * exclusively with mode 0600; read only when private and ours), the
 * pasteable public key text.  Every buffer that held a seed is wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "hostkey.h"

#define KEYFILE_MAGIC	"distguard-host-key-v1\n"
#define SEED_PREFIX	"dg1s:"
#define B64_43		43	/* base64url, no padding, of 32 bytes */
#define B64_VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING

int
lk_sodium_ready(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int
lk_hostkey_generate(struct lk_hostkey *k)
{
	uint8_t seed[LK_SEED_BYTES];
	int rc;

	if (lk_sodium_ready() == -1)
		return -1;
	randombytes_buf(seed, sizeof(seed));
	rc = lk_hostkey_from_seed(k, seed);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int
lk_hostkey_from_seed(struct lk_hostkey *k, const uint8_t *seed)
{
	if (lk_sodium_ready() == -1)
		return -1;
	return crypto_sign_seed_keypair(k->pk, k->sk, seed) == 0 ? 0 : -1;
}

void
lk_hostkey_wipe(struct lk_hostkey *k)
{
	sodium_memzero(k, sizeof(*k));
}

void
lk_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	sodium_bin2base64(out, cap, in, len, B64_VARIANT);
}

int
lk_b64_decode(const char *text, size_t tlen, uint8_t *out, size_t len)
{
	char again[4096];
	const char *end;
	size_t got;

	if (tlen != sodium_base64_ENCODED_LEN(len, B64_VARIANT) - 1 ||
	    tlen >= sizeof(again))
		return -1;
	if (sodium_base642bin(out, len, text, tlen, NULL, &got, &end,
	    B64_VARIANT) != 0 || got != len || end != text + tlen)
		return -1;
	/* libsodium refuses stray bits; re-encoding makes "canonical"
	 * a property we check rather than one we assume. */
	lk_b64_encode(out, len, again, sizeof(again));
	if (memcmp(again, text, tlen) != 0) {
		sodium_memzero(out, len);
		return -1;
	}
	return 0;
}

void
lk_pubkey_text(const uint8_t *pk, char out[LK_PK_TEXT_MAX])
{
	memcpy(out, LK_PK_PREFIX, 4);
	lk_b64_encode(pk, LK_PK_BYTES, out + 4, LK_PK_TEXT_MAX - 4);
}

int
lk_pubkey_parse(const char *text, size_t len, uint8_t *pk, const char **why)
{
	uint8_t tmp[LK_PK_BYTES];

	if (len != LK_PK_TEXT_LEN || memcmp(text, LK_PK_PREFIX, 4) != 0) {
		*why = "a public key is \"dg1:\" and 43 characters of base64url "
		    "(as `distguard pubkey` prints it)";
		return -1;
	}
	if (lk_b64_decode(text + 4, len - 4, tmp, sizeof(tmp)) == -1) {
		*why = "the public key's base64url is not valid";
		return -1;
	}
	memcpy(pk, tmp, sizeof(tmp));
	return 0;
}

/* The file's text: the magic line, the seed line, the public key line. */
static size_t
keyfile_text(const struct lk_hostkey *k, char *out, size_t cap)
{
	char pk[LK_PK_TEXT_MAX], seed[B64_43 + 1];
	int n;

	lk_pubkey_text(k->pk, pk);
	/* libsodium's sk is seed || pk: the seed is its first half. */
	lk_b64_encode(k->sk, LK_SEED_BYTES, seed, sizeof(seed));
	n = snprintf(out, cap, "%s%s%s\n%s\n", KEYFILE_MAGIC, SEED_PREFIX,
	    seed, pk);
	sodium_memzero(seed, sizeof(seed));
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

int
lk_hostkey_parse(const char *text, size_t len, struct lk_hostkey *k,
    const char **why)
{
	const size_t magic = sizeof(KEYFILE_MAGIC) - 1, sp = 5;
	uint8_t seed[LK_SEED_BYTES], pk[LK_PK_BYTES];
	const char *p = text;
	struct lk_hostkey tmp;
	int rc = -1;

	/* magic, "dg1s:" + 43 + "\n", "dg1:" + 43 + "\n", nothing else */
	if (len != magic + sp + B64_43 + 1 + LK_PK_TEXT_LEN + 1 ||
	    memcmp(p, KEYFILE_MAGIC, magic) != 0) {
		*why = "not a distguard host key file (make one with "
		    "`distguard keygen -o FILE`)";
		return -1;
	}
	p += magic;
	if (memcmp(p, SEED_PREFIX, sp) != 0 || p[sp + B64_43] != '\n' ||
	    lk_b64_decode(p + sp, B64_43, seed, sizeof(seed)) == -1) {
		*why = "the key file's secret line is damaged";
		goto out;
	}
	p += sp + B64_43 + 1;
	if (p[LK_PK_TEXT_LEN] != '\n' ||
	    lk_pubkey_parse(p, LK_PK_TEXT_LEN, pk, why) == -1) {
		*why = "the key file's public key line is damaged";
		goto out;
	}
	if (lk_hostkey_from_seed(&tmp, seed) == -1) {
		*why = "libsodium could not derive the keypair";
		goto out;
	}
	if (sodium_memcmp(tmp.pk, pk, sizeof(pk)) != 0) {
		*why = "the key file's public key does not match its secret "
		    "(the file is corrupt)";
		goto out;
	}
	*k = tmp;
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(&tmp, sizeof(tmp));
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
lk_hostkey_write(const char *path, const struct lk_hostkey *k, char *err,
    size_t errlen)
{
	char text[LK_KEYFILE_MAX];
	size_t n = keyfile_text(k, text, sizeof(text));
	int fd, rc = -1;

	if (n == 0) {
		snprintf(err, errlen, "cannot encode the key");
		return -1;
	}
	/* O_EXCL: never overwrite a key (losing one cuts the host off);
	 * O_NOFOLLOW: nor write through a planted symlink. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (refusing to overwrite a key file)" :
		    "");
		goto out;
	}
	/* The umask may have taken bits away, never added any; still. */
	if (fchmod(fd, 0600) == -1 || write_all(fd, text, n) == -1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	return rc;
}

int
lk_hostkey_read(const char *path, struct lk_hostkey *k, uid_t also_owner,
    char *err, size_t errlen)
{
	char buf[LK_KEYFILE_MAX + 1];
	const char *why;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "key file %s has mode %04o: group and "
		    "others must have no access (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	/* Someone else's private file is not ours to trust: they could
	 * swap the key under us. */
	if (st.st_uid != geteuid() && st.st_uid != 0 &&
	    st.st_uid != also_owner) {
		snprintf(err, errlen, "key file %s is owned by uid %u: it must "
		    "belong to root or to the user distguard runs as (uid %u)",
		    path, (unsigned)st.st_uid, (unsigned)(also_owner !=
		    (uid_t)-1 ? also_owner : geteuid()));
		goto out;
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "key file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (lk_hostkey_parse(buf, len, k, &why) == -1) {
		snprintf(err, errlen, "key file %s: %s", path, why);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}
