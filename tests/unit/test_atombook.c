/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_atombook.c - filter/atombook.c: the atom budget's book and the
 * cache of texts in front of its keyed hash.  The cache may only ever
 * spare a hash: hits, misses, texts that share a set, eviction past its
 * four ways, the boundary of its text length and the atom forms (Latin-1
 * and UTF-8 of one text are one atom) must all answer as the set does.
 */
#include <stdio.h>
#include <string.h>

#include "atombook.h"
#include "dg_test.h"

/* An atom term of tag `tag` for text s (n bytes), in a ring of buffers. */
static const uint8_t *
atom_n(uint8_t tag, const char *s, size_t n)
{
	static uint8_t ring[16][300];
	static int k;
	uint8_t *b = ring[k++ & 15];
	size_t h = tag == 100 || tag == 118 ? 3 : 2;

	b[0] = tag;
	if (h == 3) {
		b[1] = (uint8_t)(n >> 8);
		b[2] = (uint8_t)n;
	} else
		b[1] = (uint8_t)n;
	memcpy(b + h, s, n);
	/* at a guard page: a compare that reads past the text faults */
	return guard_copy(b, h + n);
}

static const uint8_t *
atom(const char *s)
{
	return atom_n(119, s, strlen(s));
}

/* has, and add when absent (as the relay charges an atom). */
static int
charge(struct atombook *b, const uint8_t *a, int64_t budget)
{
	uint64_t h;

	if (atombook_has(b, a, &h))
		return 0;
	return atombook_add(b, h, a, budget) == -1 ? -1 : 1;
}

static void
test_hit_and_miss(void)
{
	struct atombook b;
	uint64_t h;

	atombook_init(&b);
	CHECK_EQ(atombook_has(&b, atom("alpha"), &h), 0);
	CHECK(h != 0);
	CHECK_EQ(atombook_add(&b, h, atom("alpha"), 0), 0);
	CHECK_EQ(b.count, 1);
	CHECK_EQ(atombook_has(&b, atom("alpha"), &h), 1);	/* cached */
	CHECK_EQ(atombook_has(&b, atom("alphb"), &h), 0);
	CHECK_EQ(atombook_has(&b, atom("alph"), &h), 0);
	CHECK_EQ(atombook_has(&b, atom("alphaa"), &h), 0);
	/* the same set (length, first, middle and last bytes), another
	 * text: a miss, never taken for the cached one */
	CHECK_EQ(charge(&b, atom("aXcde"), 0), 1);
	CHECK_EQ(atombook_has(&b, atom("aYcde"), &h), 0);
	CHECK_EQ(atombook_has(&b, atom("aXcdf"), &h), 0);
	CHECK_EQ(atombook_has(&b, atom("aXcde"), &h), 1);
	/* '' is an atom too */
	CHECK_EQ(charge(&b, atom(""), 0), 1);
	CHECK_EQ(atombook_has(&b, atom(""), &h), 1);
	CHECK_EQ(b.count, 3);
	/* not an atom: nothing to count */
	{
		static const uint8_t i[] = { 97, 1 };

		CHECK_EQ(atombook_has(&b, i, &h), 1);
		CHECK_EQ(h, 0);
	}
	atombook_free(&b);
	atombook_init(&b);
	CHECK_EQ(atombook_has(&b, atom("alpha"), &h), 0);	/* no stale cache */
	atombook_free(&b);
}

/* Nine texts of one set, more than its four ways: each still found
 * (through the set once evicted), none counted twice. */
static void
test_eviction(void)
{
	struct atombook b;
	char t[16];
	uint64_t h;
	int i, round;

	atombook_init(&b);
	for (i = 0; i < 9; i++) {
		snprintf(t, sizeof(t), "a%ccde", 'A' + i);
		CHECK_EQ(charge(&b, atom(t), 0), 1);
	}
	CHECK_EQ(b.count, 9);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 9; i++) {
			snprintf(t, sizeof(t), "a%ccde", 'A' + i);
			CHECK_EQ(atombook_has(&b, atom(t), &h), 1);
			CHECK_EQ(charge(&b, atom(t), 0), 0);
		}
	snprintf(t, sizeof(t), "a%ccde", 'A' + 9);
	CHECK_EQ(atombook_has(&b, atom(t), &h), 0);
	CHECK_EQ(b.count, 9);
	/* many atoms, every set full many times over */
	for (i = 0; i < 2000; i++) {
		snprintf(t, sizeof(t), "x%d", i);
		CHECK_EQ(charge(&b, atom(t), 0), 1);
	}
	for (i = 0; i < 2000; i++) {
		snprintf(t, sizeof(t), "x%d", i);
		CHECK_EQ(atombook_has(&b, atom(t), &h), 1);
	}
	CHECK_EQ(b.count, 2009);
	atombook_free(&b);
}

/* Texts around the longest the cache holds (31 bytes), and past it. */
static void
test_text_lengths(void)
{
	struct atombook b;
	char t[300];
	uint64_t h;
	size_t n;

	atombook_init(&b);
	memset(t, 'k', sizeof(t));
	for (n = 0; n <= 255; n++)
		CHECK_EQ(charge(&b, atom_n(119, t, n), 0), 1);
	for (n = 0; n <= 255; n++) {
		CHECK_EQ(atombook_has(&b, atom_n(119, t, n), &h), 1);
		CHECK_EQ(atombook_has(&b, atom_n(118, t, n), &h), 1);
	}
	/* one byte off, at each position of a text the cache holds: the
	 * word compare reads all of it */
	for (n = 0; n < 31; n++) {
		t[n] = 'j';
		CHECK_EQ(atombook_has(&b, atom_n(119, t, 31), &h), 0);
		t[n] = 'k';
	}
	CHECK_EQ(b.count, 256);
	atombook_free(&b);
}

/* An atom is its text as UTF-8, whatever tag carried it. */
static void
test_forms(void)
{
	struct atombook b;
	uint64_t h;

	atombook_init(&b);
	CHECK_EQ(charge(&b, atom_n(100, "abc", 3), 0), 1);
	CHECK_EQ(atombook_has(&b, atom_n(119, "abc", 3), &h), 1);
	CHECK_EQ(atombook_has(&b, atom_n(118, "abc", 3), &h), 1);
	CHECK_EQ(atombook_has(&b, atom_n(115, "abc", 3), &h), 1);
	/* e acute: Latin-1 0xE9 is UTF-8 C3 A9 */
	CHECK_EQ(charge(&b, atom_n(119, "\xc3\xa9t\xc3\xa9", 5), 0), 1);
	CHECK_EQ(atombook_has(&b, atom_n(100, "\xe9t\xe9", 3), &h), 1);
	CHECK_EQ(atombook_has(&b, atom_n(115, "\xe9t\xe9", 3), &h), 1);
	CHECK_EQ(charge(&b, atom_n(115, "\xe9t\xe9", 3), 0), 0);
	CHECK_EQ(b.count, 2);
	atombook_free(&b);
}

/* The budget: the atom past it is refused and not counted, nor cached. */
static void
test_budget(void)
{
	struct atombook b;
	uint64_t h;

	atombook_init(&b);
	CHECK_EQ(charge(&b, atom("one"), 2), 1);
	CHECK_EQ(charge(&b, atom("two"), 2), 1);
	CHECK_EQ(charge(&b, atom("three"), 2), -1);
	CHECK_EQ(atombook_has(&b, atom("three"), &h), 0);
	CHECK_EQ(charge(&b, atom("one"), 2), 0);
	CHECK_EQ(b.count, 2);
	atombook_free(&b);
}

int
main(void)
{
	RUN(test_hit_and_miss);
	RUN(test_eviction);
	RUN(test_text_lengths);
	RUN(test_forms);
	RUN(test_budget);
	return TEST_DONE();
}
