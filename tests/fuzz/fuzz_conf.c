/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_conf.c - libFuzzer harness for the configuration loader: arbitrary
 * bytes through conf_load_text (the term reader and every entry checker).
 * Errors are discarded; a configuration that loads is released again, so
 * leaks on either path show up under LeakSanitizer.
 */
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
ignore(void *arg, const char *file, int line, const char *msg)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dg_conf *c;

	c = conf_load_text("fuzz.conf", (const char *)data, len, ignore, NULL);
	if (c != NULL)
		conf_unref(c);
	return 0;
}
