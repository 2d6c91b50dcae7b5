/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_link_cert.c - libFuzzer harness for the link parsers that are not
 * the exchange: certificates (binary and text), the link hello, public
 * key text and key files.
 *
 * Input: [which:1][bytes...], `which` % 5 picks the parser.  Invariants:
 * no crash or read past the input; a hello that decodes encodes back to
 * the same bytes; a public key that parses prints back as the same text;
 * a certificate's text that decodes gives back the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "hostkey.h"
#include "link_hello.h"

#define ASSERT(c)	do { if (!(c)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[LK_CERT_TEXT_MAX + 1];
	static uint8_t bin[LK_CERT_MAX], again[LK_HELLO_MAX];
	struct lk_cert c;
	struct lk_hello h;
	struct lk_hostkey k;
	const char *why;
	char pk[LK_PK_TEXT_MAX];
	uint8_t key[32];
	int n;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		(void)lk_cert_parse(data + 1, size - 1, &c, &why);
		break;
	case 1:
		if (lk_hello_decode(data + 1, size - 1, &h, &why) == 0) {
			n = lk_hello_encode(&h, again, sizeof(again));
			ASSERT(n == (int)(size - 1));
			ASSERT(memcmp(again, data + 1, size - 1) == 0);
		}
		break;
	case 2:
		if (lk_pubkey_parse((const char *)data + 1, size - 1, key,
		    &why) == 0) {
			lk_pubkey_text(key, pk);
			ASSERT(size - 1 == LK_PK_TEXT_LEN);
			ASSERT(memcmp(pk, data + 1, size - 1) == 0);
		}
		break;
	case 3:
		(void)lk_hostkey_parse((const char *)data + 1, size - 1, &k,
		    &why);
		lk_hostkey_wipe(&k);
		break;
	default:
		n = lk_cert_from_text((const char *)data + 1, size - 1, bin,
		    sizeof(bin));
		if (n > 0) {
			ASSERT(lk_cert_text(bin, (size_t)n, text,
			    sizeof(text)) == 0);
			ASSERT(strlen(text) == size - 1);
			ASSERT(memcmp(text, data + 1, size - 1) == 0);
			(void)lk_cert_parse(bin, (size_t)n, &c, &why);
		}
		break;
	}
	return 0;
}
