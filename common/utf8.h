/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 checks with Go's rules (unicode/utf8): a sequence is valid when it
 * is the shortest encoding of a code point up to U+10FFFF that is not a
 * surrogate (U+D800..U+DFFF).  Used where Go code validates or repairs
 * strings: label values of the exposition parser, JSON strings, sysfs
 * labels.
 */
#ifndef VIGIL_COMMON_UTF8_H
#define VIGIL_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the valid sequence at s, of at most n > 0 bytes; 0 when invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* Go's utf8.Valid over len bytes. */
bool utf8_valid(const char *s, size_t len);
/*
 * Go's strings.ToValidUTF8(s, "\uFFFD") into out (size bytes, at least 1):
 * each run of invalid bytes becomes one U+FFFD.  Output that would not fit
 * is cut at a whole character.
 */
void utf8_sanitize(const char *s, char *out, size_t size);
/*
 * Go's utf8.EncodeRune: write code point cp as 1-4 bytes into out (room
 * for 4) and return the count; surrogates and values past U+10FFFF are
 * written as U+FFFD.
 */
size_t utf8_encode(uint32_t cp, char *out);

#endif
