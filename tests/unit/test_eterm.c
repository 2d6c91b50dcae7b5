/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_eterm.c - the Erlang term reader (conf/eterm.c): values, escapes,
 * line numbers, bounds, and resynchronisation after errors.  Inputs sit
 * against a guard page, so a read past the end faults.
 */
#include "dg_test.h"
#include "eterm.h"

struct errs {
	int	 n;
	int	 line[32];
	char	 msg[32][256];
};

static void
collect(void *arg, int line, const char *msg)
{
	struct errs *e = arg;

	if (e->n < 32) {
		e->line[e->n] = line;
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	}
	e->n++;
}

static struct et_doc *
parse(const char *text, struct errs *e)
{
	size_t len = strlen(text);

	memset(e, 0, sizeof(*e));
	return et_parse((const char *)guard_copy(text, len), len, collect, e);
}

static void
test_values(void)
{
	struct errs e;
	struct et_doc *d = parse(
	    "% comment\n"
	    "{atom, 'Quoted atom', -42, +7, \"str\", <<\"bin\">>, <<>>,\n"
	    " [1, 2 | [3]], {}, [], \"\", 9223372036854775807,\n"
	    " -9223372036854775808, a@b_C1}.\n"
	    "x. % trailing\n", &e);
	const struct et_node *t, *l;

	CHECK(d != NULL);
	CHECK_EQ(e.n, 0);
	CHECK_EQ(d->nterms, 2);
	t = d->terms;
	CHECK_EQ(t->kind, ET_TUPLE);
	CHECK_EQ(t->nkids, 14);
	CHECK_EQ(t->line, 2);
	CHECK(et_is_atom(et_elem(t, 0), "atom"));
	CHECK(et_is_atom(et_elem(t, 1), "Quoted atom"));
	CHECK_EQ(et_elem(t, 2)->ival, -42);
	CHECK_EQ(et_elem(t, 3)->ival, 7);
	CHECK(et_elem(t, 4)->kind == ET_STRING &&
	    strcmp(et_elem(t, 4)->text, "str") == 0);
	CHECK(et_elem(t, 5)->kind == ET_BINARY && et_elem(t, 5)->len == 3);
	CHECK(et_elem(t, 6)->kind == ET_BINARY && et_elem(t, 6)->len == 0);
	l = et_elem(t, 7);
	CHECK(l->kind == ET_LIST && l->nkids == 3);
	CHECK_EQ(et_elem(l, 2)->ival, 3);
	CHECK_EQ(et_elem(l, 2)->line, 3);
	CHECK(et_elem(l, 3) == NULL);
	CHECK(et_elem(t, 8)->kind == ET_TUPLE && et_elem(t, 8)->nkids == 0);
	CHECK(et_elem(t, 9)->kind == ET_LIST && et_elem(t, 9)->nkids == 0);
	CHECK(et_elem(t, 10)->kind == ET_STRING && et_elem(t, 10)->len == 0);
	CHECK_EQ(et_elem(t, 11)->ival, INT64_MAX);
	CHECK_EQ(et_elem(t, 12)->ival, INT64_MIN);
	CHECK(et_is_atom(et_elem(t, 13), "a@b_C1"));
	CHECK(et_is_atom(t->next, "x"));
	CHECK_EQ(t->next->line, 5);
	CHECK(et_is_tagged(t, "atom", 14));
	CHECK(!et_is_tagged(t, "atom", 2));
	et_free(d);
}

static void
test_escapes(void)
{
	struct errs e;
	struct et_doc *d = parse(
	    "\"\\n\\t\\r\\b\\d\\e\\f\\s\\v\\\\\\\"\\'\\^a\\101\\7\\x41"
	    "\\x{20AC}\\x{1F600}\\0\".\n", &e);
	static const char want[] = "\n\t\r\b\x7f\x1b\f \v\\\"'\x01" "A\x07"
	    "A\xe2\x82\xac\xf0\x9f\x98\x80";

	CHECK(d != NULL && e.n == 0);
	if (d == NULL || e.n != 0)
		return;
	CHECK_EQ(d->terms->len, sizeof(want));	/* with the \0 at the end */
	CHECK(memcmp(d->terms->text, want, sizeof(want)) == 0);
	et_free(d);
}

/* Every error reported once with its line; the terms around it survive. */
static void
test_resync(void)
{
	struct errs e;
	struct et_doc *d = parse(
	    "good1.\n"
	    "{bad bad bad}.\n"
	    "good2.\n"
	    "{also, \"\\q\", Bad}.\n"
	    "{nested, [[[\n"
	    "  ]]]]}.\n"
	    "good3.\n"
	    "{unterminated, \"\n", &e);

	CHECK(d != NULL);
	CHECK_EQ(d->nterms, 3);
	CHECK_EQ(d->nerrors, 4);
	CHECK_EQ(e.n, 4);
	CHECK_EQ(e.line[0], 2);
	CHECK_EQ(e.line[1], 4);
	CHECK(strstr(e.msg[1], "unknown escape") != NULL);
	CHECK_EQ(e.line[2], 6);
	CHECK_EQ(e.line[3], 8);
	CHECK(strstr(e.msg[3], "unterminated string") != NULL);
	CHECK(et_is_atom(d->terms->next->next, "good3"));
	CHECK_EQ(d->lines, 9);
	et_free(d);
}

static void
test_bounds(void)
{
	struct errs e;
	struct et_doc *d;
	char *s = malloc(ET_MAX_TOKEN + 16);
	int i;

	/* A string of exactly ET_MAX_TOKEN - 4 bytes fits; more does not. */
	s[0] = '"';
	memset(s + 1, 'a', ET_MAX_TOKEN);
	memcpy(s + 1 + ET_MAX_TOKEN, "\".\n", 4);
	d = parse(s, &e);
	CHECK(d->nterms == 0 && e.n == 1 && strstr(e.msg[0], "longer than"));
	et_free(d);
	memcpy(s + 1 + ET_MAX_TOKEN - 4, "\".\n", 4);
	d = parse(s, &e);
	CHECK(d->nterms == 1 && e.n == 0);
	et_free(d);

	/* atoms: 255 characters */
	memset(s, 'a', 256);
	memcpy(s + 256, ".\n", 3);
	d = parse(s, &e);
	CHECK(d->nterms == 0 && e.n == 1);
	et_free(d);
	memcpy(s + 255, ".\n", 3);
	d = parse(s, &e);
	CHECK(d->nterms == 1 && e.n == 0);
	et_free(d);

	/* depth: 64 levels is the limit */
	for (i = 0; i < 64; i++) {
		s[i] = '[';
		s[64 + i] = ']';
	}
	memcpy(s + 128, ".\n", 3);
	d = parse(s, &e);
	CHECK(d->nterms == 1 && e.n == 0);
	et_free(d);
	for (i = 0; i < 65; i++) {
		s[i] = '{';
		s[65 + i] = '}';
	}
	memcpy(s + 130, ".\n", 3);
	d = parse(s, &e);
	CHECK(d->nterms == 0 && e.n == 1 && strstr(e.msg[0], "nested"));
	et_free(d);
	free(s);
}

/* Each prefix of a valid file parses without reading past its end. */
static void
test_prefixes(void)
{
	static const char text[] = "{a, 'b c', \"d\\x{41}\", -5, [1 | [2]], "
	    "<<\"z\">>}. % c\n";
	struct errs e;
	struct et_doc *d;
	size_t i;

	for (i = 0; i <= sizeof(text) - 1; i++) {
		memset(&e, 0, sizeof(e));
		d = et_parse((const char *)guard_copy(text, i), i, collect, &e);
		CHECK(d != NULL);
		if (i < sizeof(text) - 8)
			CHECK(d->nterms == 0);
		et_free(d);
	}
}

/* et_write: a term back as Erlang text (the connection log shows a
 * {default, [Rule]} this way), cut with "..." when it does not fit. */
static void
test_write(void)
{
	struct errs e;
	struct et_doc *d;
	char buf[128], small[16];

	d = parse("{default, [ping,  replies,\n {allow, reg_send, [gw, 'Odd n']},"
	    " {allow, spawn_request, [{erlang, node, 0}]}, \"s\\\"q\", <<\"b\">>,"
	    " -7]}.", &e);
	CHECK(d != NULL && e.n == 0);
	if (d == NULL)
		return;
	et_write(et_elem(d->terms, 1), buf, sizeof(buf));
	CHECK(strcmp(buf, "[ping, replies, {allow, reg_send, [gw, 'Odd n']}, "
	    "{allow, spawn_request, [{erlang, node, 0}]}, \"s\\\"q\", "
	    "<<\"b\">>, -7]") == 0);
	et_write(et_elem(d->terms, 1), small, sizeof(small));
	CHECK(strcmp(small, "[ping, repl...") == 0 ||
	    (strlen(small) < sizeof(small) &&
	    strcmp(small + strlen(small) - 3, "...") == 0));
	et_free(d);
}

int
main(void)
{
	RUN(test_values);
	RUN(test_escapes);
	RUN(test_resync);
	RUN(test_bounds);
	RUN(test_prefixes);
	RUN(test_write);
	return TEST_DONE();
}
