/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eterm.c - reads a text file of Erlang terms (see eterm.h): a hand-written
 * lexer with one token of lookahead and a recursive-descent parser whose
 * depth is bounded by ET_MAX_DEPTH.
 *
 * The text is untrusted: every byte is checked against the end of the
 * input before it is read, decoded tokens go to one fixed buffer of
 * ET_MAX_TOKEN bytes, and after a syntax error the parser discards tokens
 * up to the next '.' terminator (as a yacc "error" rule would) so that the
 * following terms are still read and their errors reported.  All nodes
 * live in one arena that et_free releases at once.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg.h"
#include "dg_log.h"
#include "eterm.h"

/* Arena: nodes and texts are never freed one by one. */
#define ARENA_CHUNK	(16 * 1024)

struct et_chunk {
	struct et_chunk	*next;
	size_t		 used;
	size_t		 cap;
	_Alignas(16) unsigned char data[];
};

enum tok {
	T_EOF,
	T_DOT,		/* '.' followed by white space, '%' or the end */
	T_ATOM,
	T_INT,
	T_STRING,
	T_BINOPEN,	/* << */
	T_BINCLOSE,	/* >> */
	T_LBRACE,
	T_RBRACE,
	T_LBRACK,
	T_RBRACK,
	T_COMMA,
	T_BAR,
	T_ERROR		/* a lexical error; why says which */
};

struct parser {
	const char	*p;		/* next unread byte */
	const char	*end;
	int		 line;		/* line of *p */
	et_err_fn	 err;
	void		*arg;
	struct et_doc	*doc;
	int		 failed;	/* this term already has its error */

	/* the current token */
	enum tok	 tok;
	int		 tline;
	int64_t		 ival;
	char		*buf;		/* decoded text of ATOM and STRING */
	size_t		 blen;
	const char	*why;		/* T_ERROR */
	char		 whybuf[96];
};

static void	*arena_alloc(struct et_doc *, size_t);
static void	 perr(struct parser *, int, const char *, ...) DG_PRINTF(3, 4);
static void	 lex(struct parser *);
static struct et_node *parse_term(struct parser *, int);

static void *
arena_alloc(struct et_doc *doc, size_t n)
{
	struct et_chunk *c = doc->arena;
	size_t cap;
	void *v;

	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* A big one-off block goes behind the current chunk so the
		 * rest of the current chunk stays usable. */
		if (doc->arena != NULL && n > ARENA_CHUNK) {
			c->next = doc->arena->next;
			doc->arena->next = c;
		} else {
			c->next = doc->arena;
			doc->arena = c;
		}
	}
	v = c->data + c->used;
	c->used += n;
	memset(v, 0, n);
	return v;
}

/*
 * Reports the first error of the current term; later ones in the same
 * term are consequences of the first and would only confuse.
 */
static void
perr(struct parser *P, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (P->failed)
		return;
	P->failed = 1;
	P->doc->nerrors++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (P->err != NULL)
		P->err(P->arg, line, msg);
}

static void
lex_error(struct parser *P, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(P->whybuf, sizeof(P->whybuf), fmt, ap);
	va_end(ap);
	P->why = P->whybuf;
	P->tok = T_ERROR;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_ident(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || c == '_' || c == '@';
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
skip_blanks(struct parser *P)
{
	while (P->p < P->end) {
		if (*P->p == '\n') {
			P->line++;
			P->p++;
		} else if (is_space((unsigned char)*P->p)) {
			P->p++;
		} else if (*P->p == '%') {
			while (P->p < P->end && *P->p != '\n')
				P->p++;
		} else {
			break;
		}
	}
}

/*
 * Decimal integer with an optional sign, in int64 range.  Forms consult
 * would accept but we do not (floats, 16#ff, 1_000) get their own error
 * rather than a confusing one on the next token.
 */
static void
lex_number(struct parser *P)
{
	uint64_t v = 0, limit = INT64_MAX;
	int neg = 0, over = 0;
	const char *q;

	if (*P->p == '-' || *P->p == '+') {
		neg = *P->p == '-';
		P->p++;
	}
	if (neg)
		limit = (uint64_t)INT64_MAX + 1;
	while (P->p < P->end && is_digit((unsigned char)*P->p)) {
		unsigned d = (unsigned)(*P->p++ - '0');

		if (v > (limit - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
	}
	q = P->p;
	if (q < P->end && (*q == '#' || *q == '_' || (*q == '.' &&
	    q + 1 < P->end && is_digit((unsigned char)q[1])) || is_ident(*q))) {
		int isfloat = *q == '.';

		/* Swallow the whole malformed number, exponent included. */
		while (P->p < P->end && (is_ident((unsigned char)*P->p) ||
		    *P->p == '#' || (*P->p == '.' && P->p + 1 < P->end &&
		    is_digit((unsigned char)P->p[1])) ||
		    ((*P->p == '-' || *P->p == '+') &&
		    (P->p[-1] == 'e' || P->p[-1] == 'E'))))
			P->p++;
		if (isfloat)
			lex_error(P, "floats are not supported; write an "
			    "integer");
		else
			lex_error(P, "malformed integer; only decimal integers "
			    "are supported");
		return;
	}
	if (over) {
		lex_error(P, "integer out of range (%" PRId64 "..%" PRId64 ")",
		    INT64_MIN, INT64_MAX);
		return;
	}
	P->tok = T_INT;
	P->ival = neg ? (int64_t)(0 - v) : (int64_t)v;
}

/* Appends code point cp as UTF-8, unless the token is already too long. */
static void
put_utf8(struct parser *P, uint32_t cp, int *toolong)
{
	char *b = P->buf + P->blen;

	if (P->blen + 4 > ET_MAX_TOKEN) {
		*toolong = 1;
		return;
	}
	if (cp < 0x80) {
		b[0] = (char)cp;
		P->blen += 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		P->blen += 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		P->blen += 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		P->blen += 4;
	}
}

/*
 * One escape after a backslash: \n \t \r \b \d \e \f \s \v \\ \' \",
 * \^X (control), 1 to 3 octal digits, \xHH and \x{H...}.  Returns the
 * code point, or -1 with *bad set.
 */
static int32_t
lex_escape(struct parser *P, const char **bad)
{
	int c, d, n;
	uint32_t v;

	if (P->p == P->end)
		return -1;	/* the caller reports the missing quote */
	c = (unsigned char)*P->p++;
	switch (c) {
	case 'n':	return '\n';
	case 't':	return '\t';
	case 'r':	return '\r';
	case 'b':	return '\b';
	case 'd':	return 0x7f;
	case 'e':	return 0x1b;
	case 'f':	return '\f';
	case 's':	return ' ';
	case 'v':	return '\v';
	case '\\':
	case '\'':
	case '"':
		return c;
	case '^':
		if (P->p < P->end && ((*P->p >= 'a' && *P->p <= 'z') ||
		    (*P->p >= 'A' && *P->p <= 'Z')))
			return *P->p++ & 0x1f;
		*bad = "\\^ must be followed by a letter";
		return -1;
	case 'x':
		if (P->p < P->end && *P->p == '{') {
			P->p++;
			v = 0;
			n = 0;
			while (P->p < P->end && (d = hexval(*P->p)) >= 0) {
				P->p++;
				if (v <= 0x10ffff)
					v = v * 16 + (uint32_t)d;
				n++;
			}
			if (P->p == P->end || *P->p != '}' || n == 0) {
				*bad = "\\x{ must hold hex digits and end "
				    "with }";
				return -1;
			}
			P->p++;
		} else {
			if (P->end - P->p < 2 || hexval(P->p[0]) < 0 ||
			    hexval(P->p[1]) < 0) {
				*bad = "\\x needs two hex digits or {hex}";
				return -1;
			}
			v = (uint32_t)(hexval(P->p[0]) * 16 + hexval(P->p[1]));
			P->p += 2;
		}
		if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
			*bad = "\\x{...} is not a Unicode code point";
			return -1;
		}
		return (int32_t)v;
	default:
		if (c >= '0' && c <= '7') {
			v = (uint32_t)(c - '0');
			for (n = 1; n < 3 && P->p < P->end &&
			    *P->p >= '0' && *P->p <= '7'; n++)
				v = v * 8 + (uint32_t)(*P->p++ - '0');
			return (int32_t)v;
		}
		if (c == '\n')
			P->line++;
		*bad = "unknown escape sequence";
		return -1;
	}
}

/* Length of the UTF-8 sequence led by c, 0 when c cannot lead one. */
static size_t
utf8_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/*
 * The text between quotes q (P->p is just past the opening one), decoded
 * into P->buf.  Raw bytes must be UTF-8 (consult's default encoding); the
 * whole text is scanned even past an error so that lexing resumes after
 * the closing quote.
 */
static void
lex_quoted(struct parser *P, char q)
{
	const char *bad = NULL, *what = q == '"' ? "string" : "quoted atom";
	int toolong = 0;
	int32_t cp;
	size_t k, i, nchars;

	P->blen = 0;
	for (;;) {
		unsigned char c;

		if (P->p == P->end) {
			lex_error(P, "unterminated %s", what);
			return;
		}
		c = (unsigned char)*P->p++;
		if (c == (unsigned char)q)
			break;
		if (c == '\n')
			P->line++;
		if (c == '\\') {
			if ((cp = lex_escape(P, &bad)) >= 0)
				put_utf8(P, (uint32_t)cp, &toolong);
			continue;
		}
		if (c < 0x80) {
			put_utf8(P, c, &toolong);
			continue;
		}
		k = utf8_len(c);
		if (k == 0 || (size_t)(P->end - P->p) < k - 1 ||
		    !dg_utf8_valid((const uint8_t *)P->p - 1, k, NULL)) {
			if (bad == NULL)
				bad = "invalid UTF-8";
			continue;
		}
		if (P->blen + k > ET_MAX_TOKEN)
			toolong = 1;
		else {
			memcpy(P->buf + P->blen, P->p - 1, k);
			P->blen += k;
		}
		P->p += k - 1;
	}
	P->buf[P->blen] = '\0';
	if (bad != NULL) {
		lex_error(P, "%s in %s", bad, what);
		return;
	}
	if (toolong) {
		lex_error(P, "%s longer than %d bytes", what, ET_MAX_TOKEN);
		return;
	}
	if (q == '"') {
		P->tok = T_STRING;
		return;
	}
	for (i = 0, nchars = 0; i < P->blen; i++) {
		if (P->buf[i] == '\0') {
			lex_error(P, "atom contains a NUL character");
			return;
		}
		if (((unsigned char)P->buf[i] & 0xc0) != 0x80)
			nchars++;
	}
	if (nchars > ET_MAX_ATOM) {
		lex_error(P, "atom longer than %d characters", ET_MAX_ATOM);
		return;
	}
	P->tok = T_ATOM;
}

static void
lex_word(struct parser *P)
{
	const char *s = P->p;

	while (P->p < P->end && is_ident((unsigned char)*P->p))
		P->p++;
	if (*s >= 'A' && *s <= 'Z') {
		lex_error(P, "variables are not allowed (quote the atom: "
		    "'%.*s')",
		    (int)(P->p - s > 32 ? 32 : P->p - s), s);
		return;
	}
	if (*s == '_') {
		lex_error(P, "variables are not allowed (write the wildcard "
		    "quoted: '_')");
		return;
	}
	if ((size_t)(P->p - s) > ET_MAX_ATOM) {
		lex_error(P, "atom longer than %d characters", ET_MAX_ATOM);
		return;
	}
	memcpy(P->buf, s, (size_t)(P->p - s));
	P->blen = (size_t)(P->p - s);
	P->buf[P->blen] = '\0';
	P->tok = T_ATOM;
}

/* Reads the next token into P; always consumes at least one byte unless
 * at the end, so the resync loop terminates. */
static void
lex(struct parser *P)
{
	unsigned char c, n;

	skip_blanks(P);
	P->tline = P->line;
	if (P->p == P->end) {
		P->tok = T_EOF;
		return;
	}
	c = (unsigned char)*P->p;
	n = P->p + 1 < P->end ? (unsigned char)P->p[1] : 0;
	if (is_digit(c) || ((c == '-' || c == '+') && is_digit(n))) {
		lex_number(P);
		return;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
		lex_word(P);
		return;
	}
	P->p++;
	switch (c) {
	case '.':
		/* consult's end token: a '.' before white space, a comment
		 * or the end of the text. */
		if (P->p == P->end || is_space(n) || n == '%')
			P->tok = T_DOT;
		else
			lex_error(P, "unexpected '.'");
		return;
	case '{':	P->tok = T_LBRACE; return;
	case '}':	P->tok = T_RBRACE; return;
	case '[':	P->tok = T_LBRACK; return;
	case ']':	P->tok = T_RBRACK; return;
	case ',':	P->tok = T_COMMA; return;
	case '|':	P->tok = T_BAR; return;
	case '"':
	case '\'':
		lex_quoted(P, (char)c);
		return;
	case '<':
	case '>':
		if (n == c) {
			P->p++;
			P->tok = c == '<' ? T_BINOPEN : T_BINCLOSE;
			return;
		}
		break;
	case '#':
		lex_error(P, "maps and records are not supported");
		return;
	case '$':
		lex_error(P, "character literals ($c) are not supported");
		return;
	}
	if (c >= 0x21 && c < 0x7f)
		lex_error(P, "unexpected character '%c'", c);
	else
		lex_error(P, "unexpected byte 0x%02x", c);
}

/* The current token, for "expected X, found Y". */
static const char *
tok_show(struct parser *P, char *buf, size_t len)
{
	char esc[48];

	switch (P->tok) {
	case T_EOF:	return "end of file";
	case T_DOT:	return "'.'";
	case T_ATOM:
		log_escape(esc, sizeof(esc), P->buf, P->blen);
		snprintf(buf, len, "atom '%s'", esc);
		return buf;
	case T_INT:
		snprintf(buf, len, "integer %" PRId64, P->ival);
		return buf;
	case T_STRING:	return "a string";
	case T_BINOPEN:	return "'<<'";
	case T_BINCLOSE: return "'>>'";
	case T_LBRACE:	return "'{'";
	case T_RBRACE:	return "'}'";
	case T_LBRACK:	return "'['";
	case T_RBRACK:	return "']'";
	case T_COMMA:	return "','";
	case T_BAR:	return "'|'";
	case T_ERROR:	return P->why;
	}
	return "?";
}

/* An error at the current token: the lexer's own reason if it has one. */
static void
unexpected(struct parser *P, const char *expected)
{
	char buf[80];

	if (P->tok == T_ERROR)
		perr(P, P->tline, "%s", P->why);
	else
		perr(P, P->tline, "syntax error: expected %s, found %s",
		    expected, tok_show(P, buf, sizeof(buf)));
}

static struct et_node *
new_node(struct parser *P, enum et_kind kind, int line)
{
	struct et_node *n;

	if ((n = arena_alloc(P->doc, sizeof(*n))) == NULL) {
		perr(P, line, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->line = line;
	return n;
}

/* A node holding a copy of the current token's decoded text. */
static struct et_node *
text_node(struct parser *P, enum et_kind kind, int line)
{
	struct et_node *n;

	if ((n = new_node(P, kind, line)) == NULL)
		return NULL;
	if ((n->text = arena_alloc(P->doc, P->blen + 1)) == NULL) {
		perr(P, line, "out of memory");
		return NULL;
	}
	memcpy(n->text, P->buf, P->blen);
	n->text[P->blen] = '\0';
	n->len = P->blen;
	return n;
}

/* <<>> or <<"text">>: the only binaries a configuration needs. */
static struct et_node *
parse_binary(struct parser *P)
{
	struct et_node *n;
	int line = P->tline;

	lex(P);
	if (P->tok == T_BINCLOSE) {
		P->blen = 0;
		n = text_node(P, ET_BINARY, line);
	} else if (P->tok == T_STRING) {
		if ((n = text_node(P, ET_BINARY, line)) == NULL)
			return NULL;
		lex(P);
		if (P->tok != T_BINCLOSE) {
			unexpected(P, "'>>' (only <<\"text\">> binaries are "
			    "supported)");
			return NULL;
		}
	} else {
		unexpected(P, "a string (only <<\"text\">> binaries are "
		    "supported)");
		return NULL;
	}
	lex(P);
	return n;
}

/*
 * A tuple or a list; the current token is its opening bracket.  A list
 * tail "| T" is spliced in when T is a list, so [a | [b]] reads as [a, b];
 * any other tail would make an improper list, which no entry takes.
 */
static struct et_node *
parse_seq(struct parser *P, int depth, enum et_kind kind)
{
	enum tok close = kind == ET_TUPLE ? T_RBRACE : T_RBRACK;
	const char *want = kind == ET_TUPLE ? "',' or '}'" : "',', '|' or ']'";
	struct et_node *n, *k, **tail;

	if (depth >= ET_MAX_DEPTH) {
		perr(P, P->tline, "terms nested deeper than %d levels",
		    ET_MAX_DEPTH);
		return NULL;
	}
	if ((n = new_node(P, kind, P->tline)) == NULL)
		return NULL;
	tail = &n->kids;
	lex(P);
	if (P->tok == close) {
		lex(P);
		return n;
	}
	for (;;) {
		if ((k = parse_term(P, depth + 1)) == NULL)
			return NULL;
		*tail = k;
		tail = &k->next;
		n->nkids++;
		if (P->tok == T_COMMA) {
			lex(P);
			continue;
		}
		if (P->tok == close)
			break;
		if (kind == ET_LIST && P->tok == T_BAR) {
			int line = P->tline;

			lex(P);
			if ((k = parse_term(P, depth + 1)) == NULL)
				return NULL;
			if (k->kind != ET_LIST) {
				perr(P, line, "improper lists are not "
				    "supported: the tail after '|' must be "
				    "a list");
				return NULL;
			}
			*tail = k->kids;
			n->nkids += k->nkids;
			if (P->tok != close) {
				unexpected(P, "']'");
				return NULL;
			}
			break;
		}
		unexpected(P, want);
		return NULL;
	}
	lex(P);
	return n;
}

/* One term starting at the current token; leaves the token after it. */
static struct et_node *
parse_term(struct parser *P, int depth)
{
	struct et_node *n;

	switch (P->tok) {
	case T_ATOM:
		n = text_node(P, ET_ATOM, P->tline);
		break;
	case T_STRING:
		n = text_node(P, ET_STRING, P->tline);
		break;
	case T_INT:
		if ((n = new_node(P, ET_INT, P->tline)) != NULL)
			n->ival = P->ival;
		break;
	case T_LBRACE:
		return parse_seq(P, depth, ET_TUPLE);
	case T_LBRACK:
		return parse_seq(P, depth, ET_LIST);
	case T_BINOPEN:
		return parse_binary(P);
	default:
		unexpected(P, "a term");
		return NULL;
	}
	if (n != NULL)
		lex(P);
	return n;
}

struct et_doc *
et_parse(const char *text, size_t len, et_err_fn err, void *arg)
{
	struct parser P;
	struct et_node *n, **tail;
	struct et_doc *doc;

	if ((doc = calloc(1, sizeof(*doc))) == NULL) {
		if (err != NULL)
			err(arg, 1, "out of memory");
		return NULL;
	}
	memset(&P, 0, sizeof(P));
	P.doc = doc;
	P.err = err;
	P.arg = arg;
	P.line = 1;
	if (len > ET_MAX_FILE) {
		perr(&P, 1, "file is larger than %d bytes", ET_MAX_FILE);
		doc->lines = 1;
		return doc;
	}
	if ((P.buf = malloc(ET_MAX_TOKEN + 1)) == NULL) {
		perr(&P, 1, "out of memory");
		return doc;
	}
	P.p = text;
	P.end = text + len;
	tail = &doc->terms;
	lex(&P);
	while (P.tok != T_EOF) {
		P.failed = 0;
		n = parse_term(&P, 0);
		if (n != NULL && P.tok != T_DOT) {
			unexpected(&P, "'.' after the term");
			n = NULL;
		}
		if (n != NULL) {
			*tail = n;
			tail = &n->next;
			doc->nterms++;
			lex(&P);
			continue;
		}
		/* Resync: drop the rest of the broken term. */
		while (P.tok != T_DOT && P.tok != T_EOF)
			lex(&P);
		if (P.tok == T_DOT)
			lex(&P);
	}
	doc->lines = P.line;
	free(P.buf);
	return doc;
}

void
et_free(struct et_doc *doc)
{
	struct et_chunk *c, *next;

	if (doc == NULL)
		return;
	for (c = doc->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(doc);
}

const struct et_node *
et_elem(const struct et_node *n, int i)
{
	const struct et_node *k;

	if (n == NULL || (n->kind != ET_TUPLE && n->kind != ET_LIST) || i < 0)
		return NULL;
	for (k = n->kids; k != NULL && i > 0; k = k->next)
		i--;
	return k;
}

int
et_is_atom(const struct et_node *n, const char *name)
{
	return n != NULL && n->kind == ET_ATOM && strcmp(n->text, name) == 0;
}

int
et_is_tagged(const struct et_node *n, const char *tag, int nelem)
{
	return n != NULL && n->kind == ET_TUPLE && n->nkids == nelem &&
	    et_is_atom(n->kids, tag);
}

const char *
et_kind_name(enum et_kind k)
{
	switch (k) {
	case ET_ATOM:	return "atom";
	case ET_INT:	return "integer";
	case ET_STRING:	return "string";
	case ET_BINARY:	return "binary";
	case ET_TUPLE:	return "tuple";
	case ET_LIST:	return "list";
	}
	return "term";
}

char *
et_show(const struct et_node *n, char *buf, size_t len)
{
	char esc[48];

	if (len == 0)
		return buf;
	if (n == NULL) {
		snprintf(buf, len, "nothing");
		return buf;
	}
	switch (n->kind) {
	case ET_ATOM:
		log_escape(esc, sizeof(esc), n->text, n->len);
		snprintf(buf, len, "'%s'", esc);
		break;
	case ET_INT:
		snprintf(buf, len, "%" PRId64, n->ival);
		break;
	case ET_STRING:
		log_escape(esc, sizeof(esc), n->text, n->len);
		snprintf(buf, len, "\"%s\"", esc);
		break;
	case ET_BINARY:
		log_escape(esc, sizeof(esc), n->text, n->len);
		snprintf(buf, len, "<<\"%s\">>", esc);
		break;
	case ET_TUPLE:
	case ET_LIST:
		snprintf(buf, len, "a %s of %d element%s",
		    et_kind_name(n->kind), n->nkids, n->nkids == 1 ? "" : "s");
		break;
	}
	return buf;
}

/* ---- writing a term back ------------------------------------------------ */

struct et_out {
	char	*p;
	size_t	 len, used;
	int	 full;
};

static void
out_put(struct et_out *o, const char *s, size_t n)
{
	if (o->full || o->used + n + 4 > o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->used, s, n);
	o->used += n;
}

/* An atom that needs no quotes: a lower-case letter, then letters,
 * digits, _ and @. */
static int
bare_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 1; i < n; i++)
		if (!is_ident((unsigned char)s[i]) && s[i] != '@')
			return 0;
	return 1;
}

/* Quoted text: q, and \\ escaped, other controls as \xNN. */
static void
out_quoted(struct et_out *o, char q, const char *s, size_t n)
{
	char esc[8];
	size_t i;

	out_put(o, &q, 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == (unsigned char)q || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			out_put(o, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			out_put(o, esc, 4);
		} else {
			out_put(o, (const char *)&s[i], 1);
		}
	}
	out_put(o, &q, 1);
}

static void
out_term(struct et_out *o, const struct et_node *n, int depth)
{
	const struct et_node *k;
	char num[32];

	if (depth > 32) {
		o->full = 1;
		return;
	}
	switch (n->kind) {
	case ET_ATOM:
		if (bare_atom(n->text, n->len))
			out_put(o, n->text, n->len);
		else
			out_quoted(o, '\'', n->text, n->len);
		break;
	case ET_INT:
		snprintf(num, sizeof(num), "%" PRId64, n->ival);
		out_put(o, num, strlen(num));
		break;
	case ET_STRING:
		out_quoted(o, '"', n->text, n->len);
		break;
	case ET_BINARY:
		out_put(o, "<<", 2);
		out_quoted(o, '"', n->text, n->len);
		out_put(o, ">>", 2);
		break;
	case ET_TUPLE:
	case ET_LIST:
		out_put(o, n->kind == ET_TUPLE ? "{" : "[", 1);
		for (k = n->kids; k != NULL; k = k->next) {
			out_term(o, k, depth + 1);
			if (k->next != NULL)
				out_put(o, ", ", 2);
		}
		out_put(o, n->kind == ET_TUPLE ? "}" : "]", 1);
		break;
	}
}

char *
et_write(const struct et_node *n, char *buf, size_t len)
{
	struct et_out o = { buf, len, 0, 0 };

	if (len < 4) {
		if (len > 0)
			buf[0] = '\0';
		return buf;
	}
	if (n != NULL)
		out_term(&o, n, 0);
	if (o.full) {
		memcpy(buf + o.used, "...", 3);
		o.used += 3;
	}
	buf[o.used] = '\0';
	return buf;
}
