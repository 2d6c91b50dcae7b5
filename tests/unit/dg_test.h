/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dg_test.h - the unit-test harness: one binary per module, one "ok" or
 * "not ok" line per case (tests/run.sh counts them), a guard page behind
 * parser input so a read past the end faults at once, and fixture loading.
 */
#ifndef DG_TEST_H
#define DG_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int dg_t_failed;		/* checks failed in the current case */
static int dg_t_cases_ok, dg_t_cases_bad;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		dg_t_failed++;						\
		fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		dg_t_failed++;						\
		fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n", \
		    __FILE__, __LINE__, #a, #b, _a, _b);		\
	}								\
} while (0)

#define RUN(fn) do {							\
	dg_t_failed = 0;						\
	fn();								\
	if (dg_t_failed) {						\
		dg_t_cases_bad++;					\
		printf("not ok - %s\n", #fn);				\
	} else {							\
		dg_t_cases_ok++;					\
		printf("ok - %s\n", #fn);				\
	}								\
	fflush(stdout);							\
} while (0)

#define TEST_DONE() (dg_t_cases_bad != 0)

/*
 * Copies len bytes so that they end exactly at a PROT_NONE page: a parser
 * that reads one byte too far crashes instead of passing by luck.  The
 * copy is leaked on purpose (tests are short-lived).
 */
static inline const uint8_t *
guard_copy(const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = ((len + pg - 1) / pg) * pg;
	uint8_t *m;

	m = mmap(NULL, span + pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		abort();
	if (mprotect(m + span, pg, PROT_NONE) == -1)
		abort();
	if (len)
		memcpy(m + span - len, src, len);
	return m + span - len;
}

/* Reads tests/vectors/<rel> (or $DG_VECTORS/<rel>); NULL if absent. */
static inline uint8_t *
load_vector(const char *rel, size_t *len)
{
	char path[1024];
	const char *dir = getenv("DG_VECTORS");
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/vectors", rel);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * Offset of the first post-handshake byte in a captured direction (the
 * vectors start with the u16-framed handshake: 'N' send_name and 'r' reply
 * from the initiator, a2b; 's' status, 'N' challenge and 'a' ack from the
 * acceptor).  Returns len if the capture does not hold a whole handshake.
 */
static inline size_t
skip_handshake(const uint8_t *b, size_t len, int a2b)
{
	const char *tags = a2b ? "Nr" : "sNa";
	size_t off = 0, n;

	for (; *tags; tags++) {
		if (len - off < 3)
			return len;
		n = (size_t)(b[off] << 8 | b[off + 1]);
		if (b[off + 2] != (uint8_t)*tags || len - off - 2 < n)
			return len;
		off += 2 + n;
	}
	return off;
}

#endif
