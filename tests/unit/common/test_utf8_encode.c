// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>

#include "common/utf8.h"

Test(utf8, encode_like_go)
{
	char b[4];
	cr_assert_eq(utf8_encode('A', b), 1);
	cr_assert_eq(b[0], 'A');
	cr_assert_eq(utf8_encode(0xE9, b), 2);
	cr_assert_eq(memcmp(b, "\xc3\xa9", 2), 0);
	cr_assert_eq(utf8_encode(0x20AC, b), 3);
	cr_assert_eq(memcmp(b, "\xe2\x82\xac", 3), 0);
	cr_assert_eq(utf8_encode(0x1F600, b), 4);
	cr_assert_eq(memcmp(b, "\xf0\x9f\x98\x80", 4), 0);
	/* surrogates and values past U+10FFFF become U+FFFD, as utf8.EncodeRune */
	cr_assert_eq(utf8_encode(0xD800, b), 3);
	cr_assert_eq(memcmp(b, "\xef\xbf\xbd", 3), 0);
	cr_assert_eq(utf8_encode(0x110000, b), 3);
	cr_assert_eq(memcmp(b, "\xef\xbf\xbd", 3), 0);
	/* every valid code point round-trips through the validator */
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp < 0xE000)
			continue;
		size_t n = utf8_encode(cp, b);
		cr_assert(utf8_valid(b, n), "U+%04X", cp);
	}
}
