// SPDX-License-Identifier: Apache-2.0
/* UTF-8 validity with Go's rules; see utf8.h. */
#include "common/utf8.h"

#include <stdint.h>
#include <string.h>

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq_len(u + i, len - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

void utf8_sanitize(const char *s, char *out, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0, len = strlen(s);
	bool in_bad = false;
	for (size_t i = 0; i < len && n + 4 < size;) {
		size_t k = utf8_seq_len(u + i, len - i);
		if (k) {
			memcpy(out + n, s + i, k);
			n += k;
			i += k;
			in_bad = false;
		} else {
			if (!in_bad) {
				memcpy(out + n, "\xef\xbf\xbd", 3);
				n += 3;
			}
			in_bad = true;
			i++;
		}
	}
	out[n] = '\0';
}

size_t utf8_encode(uint32_t r, char *o)
{
	if ((r >= 0xD800 && r < 0xE000) || r > 0x10FFFF)
		r = 0xFFFD;
	if (r < 0x80) {
		o[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (char)(0xC0 | (r >> 6));
		o[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (char)(0xE0 | (r >> 12));
		o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		o[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (r >> 18));
	o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((r >> 6) & 0x3F));
	o[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}
