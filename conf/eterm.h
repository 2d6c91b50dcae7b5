/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eterm.h - a reader for text files of Erlang terms, as file:consult/1
 * reads them: each term ends with '.', '%' starts a comment that runs to
 * the end of the line.
 *
 * Accepted: atoms (plain and 'quoted'), decimal integers with an optional
 * sign (int64 range), "strings", <<"binaries">>, tuples and proper lists
 * ("[H | T]" is accepted when T is itself a list).  Not accepted, each with
 * a clear error: floats, based integers, $c character literals, variables,
 * maps, funs, pids and anything else consult would evaluate.
 *
 * The input is untrusted configuration text: the file size, every token
 * and the nesting depth are bounded (ET_MAX_*), nothing recurses deeper
 * than ET_MAX_DEPTH, and an error never stops the reader: it is reported
 * with its line, the reader skips to the next '.' terminator and carries
 * on, so one pass reports every syntax error of a file.
 */
#ifndef ETERM_H
#define ETERM_H

#include <stddef.h>
#include <stdint.h>

#define ET_MAX_FILE	(1024 * 1024)	/* a config file, bytes */
#define ET_MAX_TOKEN	(64 * 1024)	/* one string or binary, decoded bytes */
#define ET_MAX_DEPTH	64		/* nested tuples and lists */
#define ET_MAX_ATOM	255		/* characters; Erlang's own atom limit */

enum et_kind {
	ET_ATOM,	/* text: UTF-8, no NUL */
	ET_INT,		/* ival */
	ET_STRING,	/* text: UTF-8, may hold NUL (see len) */
	ET_BINARY,	/* text: as written between the quotes, UTF-8 */
	ET_TUPLE,	/* kids */
	ET_LIST		/* kids; "" is an ET_STRING, [] an empty ET_LIST */
};

struct et_node {
	enum et_kind	 kind;
	int		 line;		/* where the term starts */
	int64_t		 ival;		/* ET_INT */
	char		*text;		/* ATOM, STRING, BINARY; NUL-terminated */
	size_t		 len;		/* bytes in text, without the NUL */
	struct et_node	*kids;		/* TUPLE, LIST: first element */
	int		 nkids;
	struct et_node	*next;		/* next element of the parent */
};

/* What et_parse returns: the well-formed terms, in file order. */
struct et_doc {
	struct et_node	*terms;		/* linked through ->next */
	int		 nterms;
	int		 nerrors;	/* syntax errors reported */
	int		 lines;		/* lines in the input, for errors at EOF */
	struct et_chunk	*arena;		/* private: everything above lives here */
};

/* Receives one syntax error: the line it is on and a sentence. */
typedef void (*et_err_fn)(void *arg, int line, const char *msg);

/*
 * Reads every term of text[0..len).  Each syntax error goes to err (which
 * may be NULL) and is counted in nerrors; the terms that did parse are
 * returned all the same, so the caller can check them too.  Returns NULL
 * only when memory runs out (after reporting it).  The caller frees the
 * result with et_free; text need not be NUL-terminated and is not kept.
 */
struct et_doc	*et_parse(const char *text, size_t len, et_err_fn err, void *arg);
void		 et_free(struct et_doc *);

/* Element i (0-based) of a tuple or list, or NULL past the end. */
const struct et_node	*et_elem(const struct et_node *, int i);
/* 1 when the node is the atom `name`. */
int			 et_is_atom(const struct et_node *, const char *name);
/* 1 when the node is a tuple of n elements whose first is the atom tag. */
int			 et_is_tagged(const struct et_node *, const char *tag, int n);
/* "atom", "integer", "string", ...: for error messages. */
const char		*et_kind_name(enum et_kind);
/*
 * Writes a short, printable rendering of the node ("'web'", "\"x@y\"",
 * "42", "a tuple of 3 elements") into buf, truncated to fit; returns buf.
 */
char			*et_show(const struct et_node *, char *buf, size_t len);
/*
 * Writes the node back as Erlang text, as the file wrote it up to layout
 * and quoting ("[ping, {allow, reg_send, [gateway]}]"), into buf; a text
 * that does not fit ends in "...".  Returns buf.
 */
char			*et_write(const struct et_node *, char *buf, size_t len);

#endif
