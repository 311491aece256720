// SPDX-License-Identifier: Apache-2.0
/*
 * Varints, big-endian integers and CRC-32C for the TSDB formats; see
 * encoding.h for the byte layouts.  CRC-32C is computed by slicing-by-8
 * over tables built once at first use.
 */
#include "server/tsdb/encoding.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
					  crc_table[0][crc_table[t - 1][i] & 0xff];
}

uint32_t tsdb_crc32c(uint32_t crc, const void *data, size_t n)
{
	const uint8_t *p = data;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (n >= 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
			      (uint32_t)p[7] << 24;
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

int tbuf_reserve(struct tbuf *b, size_t n)
{
	if (b->err)
		return b->err;
	if (b->cap - b->len >= n)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->err = -ENOMEM;
			return b->err;
		}
		cap *= 2;
	}
	uint8_t *p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void tbuf_free(struct tbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

void tbuf_put(struct tbuf *b, const void *p, size_t n)
{
	if (n == 0 || tbuf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void tbuf_put_byte(struct tbuf *b, uint8_t c)
{
	tbuf_put(b, &c, 1);
}

void tbuf_put_be16(struct tbuf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	tbuf_put(b, x, 2);
}

void tbuf_put_be32(struct tbuf *b, uint32_t v)
{
	uint8_t x[4];
	be32_put(x, v);
	tbuf_put(b, x, 4);
}

void tbuf_put_be64(struct tbuf *b, uint64_t v)
{
	uint8_t x[8];
	be64_put(x, v);
	tbuf_put(b, x, 8);
}

size_t uvarint_encode(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t uvarint_decode(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;
	for (size_t i = 0; p + i < end && i < 10; i++) {
		uint8_t c = p[i];
		if (c < 0x80) {
			if (i == 9 && c > 1)
				return 0;
			*v = x | (uint64_t)c << shift;
			return i + 1;
		}
		x |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	return 0;
}

void tbuf_put_uvarint(struct tbuf *b, uint64_t v)
{
	uint8_t x[10];
	tbuf_put(b, x, uvarint_encode(x, v));
}

void tbuf_put_varint(struct tbuf *b, int64_t v)
{
	uint64_t u = (uint64_t)v << 1;
	if (v < 0)
		u = ~u;
	tbuf_put_uvarint(b, u);
}

void tbuf_put_uvstr(struct tbuf *b, const char *s, size_t n)
{
	tbuf_put_uvarint(b, n);
	tbuf_put(b, s, n);
}

void tbuf_puts(struct tbuf *b, const char *s)
{
	tbuf_put(b, s, strlen(s));
}

void tbuf_printf(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || tbuf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *tbuf_cstr(struct tbuf *b)
{
	if (tbuf_reserve(b, 1))
		return "";
	b->data[b->len] = '\0';
	return (const char *)b->data;
}

void tbuf_pad(struct tbuf *b, size_t align)
{
	static const uint8_t zeros[64];
	size_t r = b->len % align;
	if (r)
		tbuf_put(b, zeros, align - r);
}

static int tdec_need(struct tdec *d, size_t n)
{
	if (d->err || tdec_left(d) < n) {
		d->err = -EBADMSG;
		return -1;
	}
	return 0;
}

/* The next n bytes, consumed; NULL (and d->err set) when fewer are left. */
static const uint8_t *tdec_take(struct tdec *d, size_t n)
{
	if (tdec_need(d, n))
		return NULL;
	const uint8_t *p = d->p;
	d->p += n;
	return p;
}

uint8_t tdec_byte(struct tdec *d)
{
	const uint8_t *p = tdec_take(d, 1);
	return p ? p[0] : 0;
}

uint16_t tdec_be16(struct tdec *d)
{
	const uint8_t *p = tdec_take(d, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

uint32_t tdec_be32(struct tdec *d)
{
	const uint8_t *p = tdec_take(d, 4);
	return p ? be32_get(p) : 0;
}

uint64_t tdec_be64(struct tdec *d)
{
	const uint8_t *p = tdec_take(d, 8);
	return p ? be64_get(p) : 0;
}

uint64_t tdec_uvarint(struct tdec *d)
{
	uint64_t v = 0;
	if (d->err)
		return 0;
	size_t n = uvarint_decode(d->p, d->end, &v);
	if (!n) {
		d->err = -EBADMSG;
		return 0;
	}
	d->p += n;
	return v;
}

int64_t tdec_varint(struct tdec *d)
{
	uint64_t u = tdec_uvarint(d);
	int64_t x = (int64_t)(u >> 1);
	if (u & 1)
		x = ~x;
	return x;
}

const char *tdec_uvstr(struct tdec *d, size_t *n)
{
	uint64_t len = tdec_uvarint(d);
	const uint8_t *s = tdec_take(d, (size_t)len);
	*n = s ? (size_t)len : 0;
	return s ? (const char *)s : "";
}

void tdec_skip(struct tdec *d, size_t n)
{
	tdec_take(d, n);
}
