/* SPDX-License-Identifier: Apache-2.0 */
/*
 * term_lit.c - literal term text -> external term format (term_lit.h).
 * The text is the operator's; eterm bounds its size and depth, and every
 * write goes through the bounded dg_wire.h writer.
 */
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "dg_wire.h"
#include "conf/eterm.h"
#include "term_lit.h"

#define LIT_MAX	(64 * 1024)

/* One UTF-8 code point at s (valid: eterm checked), its length in *n. */
static uint32_t
utf8_next(const uint8_t *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*n = 2;
		return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	}
	if ((s[0] & 0xf0) == 0xe0) {
		*n = 3;
		return ((uint32_t)(s[0] & 0x0f) << 12) |
		    ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	}
	*n = 4;
	return ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
	    ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

static void
enc_int(struct dg_wr *w, int64_t v)
{
	uint64_t mag;
	uint8_t d[8];
	int n = 0;

	if (v >= 0 && v <= 255) {
		wr_u8(w, 97);
		wr_u8(w, (uint8_t)v);
	} else if (v >= INT32_MIN && v <= INT32_MAX) {
		wr_u8(w, 98);
		wr_u32(w, (uint32_t)(int32_t)v);
	} else {
		mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		while (mag > 0) {
			d[n++] = (uint8_t)mag;
			mag >>= 8;
		}
		wr_u8(w, 110);
		wr_u8(w, (uint8_t)n);
		wr_u8(w, v < 0);
		wr_bytes(w, d, (size_t)n);
	}
}

/* A string is a list of code points: STRING_EXT when they are bytes. */
static void
enc_string(struct dg_wr *w, const struct et_node *t)
{
	const uint8_t *s = (const uint8_t *)t->text;
	size_t i, k, count = 0;
	int bytes = 1;

	for (i = 0; i < t->len; i += k, count++)
		if (utf8_next(s + i, &k) > 255)
			bytes = 0;
	if (count == 0) {
		wr_u8(w, 106);
		return;
	}
	if (bytes && count <= 0xffff) {
		wr_u8(w, 107);
		wr_u16(w, (uint16_t)count);
		for (i = 0; i < t->len; i += k)
			wr_u8(w, (uint8_t)utf8_next(s + i, &k));
		return;
	}
	wr_u8(w, 108);
	wr_u32(w, (uint32_t)count);
	for (i = 0; i < t->len; i += k)
		enc_int(w, utf8_next(s + i, &k));
	wr_u8(w, 106);
}

/* Recursive: eterm bounds the nesting at ET_MAX_DEPTH. */
static void
enc(struct dg_wr *w, const struct et_node *t)
{
	const struct et_node *k;

	switch (t->kind) {
	case ET_ATOM:
		if (t->len < 256) {
			wr_u8(w, 119);
			wr_u8(w, (uint8_t)t->len);
		} else {
			wr_u8(w, 118);
			wr_u16(w, (uint16_t)t->len);
		}
		wr_bytes(w, t->text, t->len);
		break;
	case ET_INT:
		enc_int(w, t->ival);
		break;
	case ET_STRING:
		enc_string(w, t);
		break;
	case ET_BINARY:
		wr_u8(w, 109);
		wr_u32(w, (uint32_t)t->len);
		wr_bytes(w, t->text, t->len);
		break;
	case ET_TUPLE:
		if (t->nkids < 256) {
			wr_u8(w, 104);
			wr_u8(w, (uint8_t)t->nkids);
		} else {
			wr_u8(w, 105);
			wr_u32(w, (uint32_t)t->nkids);
		}
		for (k = t->kids; k != NULL; k = k->next)
			enc(w, k);
		break;
	case ET_LIST:
		if (t->nkids > 0) {
			wr_u8(w, 108);
			wr_u32(w, (uint32_t)t->nkids);
			for (k = t->kids; k != NULL; k = k->next)
				enc(w, k);
		}
		wr_u8(w, 106);
		break;
	}
}

/* eterm's own errors are counted in nerrors; one sentence says it all. */
static void
note_err(void *arg, int line, const char *msg)
{
	(void)arg;
	(void)line;
	(void)msg;
}

int
term_from_text(const char *text, uint8_t *out, size_t cap, const char **why)
{
	struct et_doc *doc;
	struct dg_wr w;
	char *buf;
	size_t n = strlen(text);
	int rc = -1;

	if (n > LIT_MAX) {
		*why = "term text too long";
		return -1;
	}
	/* eterm reads terms that end with '.' */
	if ((buf = malloc(n + 2)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	memcpy(buf, text, n);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\n'))
		n--;
	if (n == 0 || buf[n - 1] != '.')
		buf[n++] = '.';
	doc = et_parse(buf, n, note_err, NULL);
	free(buf);
	if (doc == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (doc->nerrors > 0 || doc->nterms != 1) {
		*why = doc->nterms != 1 && doc->nerrors == 0 ?
		    "give exactly one term" : "not a term distguard can read "
		    "(atoms, integers, strings, binaries, tuples, lists)";
	} else {
		w = wr_init(out, cap);
		enc(&w, doc->terms);
		if (w.overflow)
			*why = "term too large";
		else
			rc = (int)(w.p - out);
	}
	et_free(doc);
	return rc;
}
