/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_grant_state.c - libFuzzer harness for the grants state file reader
 * (daemon/grant_state.c): arbitrary bytes, as a process of the daemon's
 * user could plant them.  Every entry handed to the callback must satisfy
 * what the reader promises: a valid pattern, reason and rules text, an
 * end no later than max_duration from now.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/grant.h"
#include "daemon/grant_state.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	1700000000
#define MAXDUR	86400.0

static void
check(void *arg, int line, const struct grant_entry *e, const char *problem)
{
	if (e == NULL)
		return;
	if (e->seconds <= 0 || e->seconds > MAXDUR ||
	    e->until > NOW + (time_t)MAXDUR || e->id < 1 ||
	    !grant_pattern_ok(e->pattern) ||
	    !grant_text_ok(e->reason, GRANT_REASON_MAX) ||
	    e->reason[0] == '\0' || !grant_text_ok(e->rules, GRANT_RULES_MAX))
		abort();
	++*(int *)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int taken = 0;

	(void)grant_state_read((const char *)data, len, NOW, MAXDUR, 8, check,
	    &taken);
	if (taken > 8)
		abort();
	return 0;
}
