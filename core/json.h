/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/json.h - the one JSON string writer every JSON output uses (alerts,
 * `stats --json`, `grants --json`).
 *
 * Valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF) is copied as it is; JSON's own escapes are applied to '"',
 * '\\', the controls below 0x20 and DEL (as \u00XX).  Every byte that is
 * not part of a valid sequence becomes \ufffd (U+REPLACEMENT CHARACTER),
 * written as an escape: in the raw text an invalid byte is always the six
 * characters \ufffd, never raw bytes, while a U+FFFD that was valid in the
 * input stays three raw bytes; once parsed, U+FFFD marks where the input
 * was not UTF-8 (docs/SECURITY.md, "Alert text").
 */
#ifndef DG_JSON_H
#define DG_JSON_H

#include <stddef.h>

/*
 * Writes the escaped body of a JSON string (no quotes) for the n bytes at
 * s into out (outlen bytes, NUL included).  Output is cut only between
 * whole characters or escapes, so it is always valid UTF-8 and a valid
 * JSON string body.  Returns the length written (NUL excluded); *used, if
 * not NULL, gets how many input bytes that covers.
 */
size_t	json_escape(char *out, size_t outlen, const void *s, size_t n,
	    size_t *used);

/* Length of the valid UTF-8 sequence at p (at most n bytes): 1..4, or 0
 * when the byte at p does not start one. */
size_t	json_utf8_len(const unsigned char *p, size_t n);

#endif
