/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dg.h - vocabulary shared by every distguard module: parser return codes,
 * limits, and small helpers.  No module state lives here.
 */
#ifndef DG_H
#define DG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parser contract (after picohttpparser): a parser returns the number of
 * bytes it consumed (>= 0), DG_AGAIN when the input is a strict prefix of a
 * valid message, or DG_EINVAL when it can never become valid; on DG_EINVAL
 * it stores a static, human-readable reason in *why.  Outputs are left
 * untouched on failure.
 */
#define DG_AGAIN	(-2)
#define DG_EINVAL	(-1)

#define DG_WUR		__attribute__((warn_unused_result))
#define DG_PRINTF(a, b)	__attribute__((format(printf, a, b)))
#define DG_ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Limits.  Each says where its number comes from; spec = shared
 * dist-protocol.md.
 */
/* Node alive names: <= 255 characters of UTF-8 (spec 1.3), so <= 1020 bytes. */
#define DG_MAX_ALIVE_CHARS	255
#define DG_MAX_ALIVE_BYTES	1020
/* A full node name alive@host; the atom limit is 255 characters (spec 2.6). */
#define DG_MAX_NODE_BYTES	1020
/* EPMD request body: stock epmd accepts 1..3057 (spec 1.1). */
#define DG_MAX_EPMD_REQ		3057
/* EPMD Extra field (spec 1.3). */
#define DG_MAX_EPMD_EXTRA	1020
/* Handshake messages are u16-framed; the largest legal one is a challenge
 * with a 1020-byte name: 1+8+4+4+2+1020.  We allow some slack for the
 * "rest ignored" tail but nothing near 64 KiB. */
#define DG_MAX_HS_MSG		2048
/* Longest atom text in the external format: 255 chars of UTF-8. */
#define DG_MAX_ATOM_BYTES	1020
/* Bytes of one cookie: Erlang takes any length; 1 KiB is plenty. */
#define DG_COOKIE_MAX		1024

/* Text of an atom or name, bounded, NUL-terminated. */
struct dg_name {
	uint16_t	len;
	char		s[DG_MAX_NODE_BYTES + 1];
};

/* Returns 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates,
 * <= U+10FFFF) and contains no NUL; stores the number of code points. */
int	dg_utf8_valid(const uint8_t *s, size_t len, size_t *nchars);

/*
 * How many bytes at the start of s are ASCII other than NUL: the fast
 * path of dg_utf8_valid, inline for the term scanner's atoms (names are
 * nearly always ASCII, most shorter than 16 bytes).  Whole words while
 * they last, then one last word overlapping the previous one (its first
 * bytes are clean already): an 11-byte node name costs two word checks.
 * Below 8 bytes, a byte loop: nothing past s + len is ever read.
 */
static inline int
dg_word_clean(uint64_t word)
{
	return (word & 0x8080808080808080ULL) == 0 &&
	    ((word - 0x0101010101010101ULL) & ~word & 0x8080808080808080ULL) == 0;
}

static inline size_t
dg_ascii_prefix(const uint8_t *s, size_t len)
{
	size_t i = 0;
	uint64_t word;

	if (len >= 8) {
		for (; len - i >= 8; i += 8) {
			__builtin_memcpy(&word, s + i, 8);
			if (!dg_word_clean(word))
				break;
		}
		if (i == len)
			return len;
		if (len - i < 8) {
			__builtin_memcpy(&word, s + len - 8, 8);
			if (dg_word_clean(word))
				return len;
		}
	}
	/* (uint8_t)(c - 1) < 0x7f: c is 1..127 */
	while (i < len && (uint8_t)(s[i] - 1) < 0x7f)
		i++;
	return i;
}

/*
 * Validates a node or alive name as EPMD and the handshake carry it:
 * non-empty, <= 1020 bytes, UTF-8 without NUL, <= 255 characters (it
 * becomes an atom; spec 1.3, 2.6).  Copies it NUL-terminated into *out on
 * success only; returns 0 or DG_EINVAL with *why.
 */
int	dg_name_copy(const uint8_t *p, size_t n, struct dg_name *out,
	    const char **why) DG_WUR;

/* Shell-style glob: '*' any run, '?' one byte.  Returns 1 on match. */
int	dg_glob_match(const char *pattern, const char *s);

/* Monotonic clock in seconds. */
double	dg_now(void);
/* A duration as the CLI takes it, "90", "90s", "15m", "2h", "1d": seconds,
 * or -1. */
long	dg_parse_duration(const char *s);

/* A text that grows as it is written: answers built in one go (stats,
 * metrics).  dg_text_init allocates `cap` bytes; p stays NUL-terminated.
 * When memory runs out p becomes NULL and stays so: the caller checks p
 * once at the end and gives up on that one answer. */
struct dg_text {
	char	*p;
	size_t	 len, cap;
};
void	dg_text_init(struct dg_text *, size_t cap);
void	dg_text_printf(struct dg_text *, const char *fmt, ...) DG_PRINTF(2, 3);

#endif
