/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Byte-level encodings shared by every TSDB file format, as Prometheus's
 * tsdb/encoding package defines them:
 *
 *   <uvarint>   unsigned LEB128, 1 to 10 bytes (Go's binary.PutUvarint)
 *   <varint>    zig-zag signed LEB128 (Go's binary.PutVarint)
 *   <4b>, <8b>  big-endian fixed-width integers
 *   CRC32       CRC-32C (Castagnoli, reflected polynomial 0x82F63B78),
 *               stored big-endian
 *
 * struct tbuf is a growable byte buffer that reports allocation failure
 * (the server's storage never aborts on out-of-memory): after a failed
 * grow, tbuf.err is set, further puts are ignored, and the caller checks
 * tbuf.err once at the end.  struct tdec reads with bounds checks the same
 * way: a read past the end sets tdec.err and returns zeros.
 */
#ifndef VIGIL_TSDB_ENCODING_H
#define VIGIL_TSDB_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of data, continuing from crc (0 to start). Slicing-by-8. */
uint32_t tsdb_crc32c(uint32_t crc, const void *data, size_t n);

/* A growable byte buffer; owns data. */
struct tbuf {
	uint8_t *data;
	size_t len, cap;
	int err; /* 0 or -ENOMEM after a failed grow */
};

/* Make room for n more bytes; 0 or -ENOMEM (also latched in b->err). */
int tbuf_reserve(struct tbuf *b, size_t n);
void tbuf_free(struct tbuf *b);
void tbuf_put(struct tbuf *b, const void *p, size_t n);
void tbuf_put_byte(struct tbuf *b, uint8_t c);
void tbuf_put_be16(struct tbuf *b, uint16_t v);
void tbuf_put_be32(struct tbuf *b, uint32_t v);
void tbuf_put_be64(struct tbuf *b, uint64_t v);
void tbuf_put_uvarint(struct tbuf *b, uint64_t v);
void tbuf_put_varint(struct tbuf *b, int64_t v);
/* A string as <uvarint len><bytes>. */
void tbuf_put_uvstr(struct tbuf *b, const char *s, size_t n);
/* Append a C string (no NUL). */
void tbuf_puts(struct tbuf *b, const char *s);
/* Append printf-style text (no NUL). */
void tbuf_printf(struct tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The content as a NUL-terminated string (the NUL is not counted in len). */
const char *tbuf_cstr(struct tbuf *b);
/* Append zero bytes until len is a multiple of align. */
void tbuf_pad(struct tbuf *b, size_t align);

/* A bounds-checked reader over borrowed bytes. */
struct tdec {
	const uint8_t *p, *end;
	int err; /* 0 or -EBADMSG after a short or malformed read */
};

static inline void tdec_init(struct tdec *d, const void *p, size_t n)
{
	d->p = p;
	d->end = d->p + n;
	d->err = 0;
}

static inline size_t tdec_left(const struct tdec *d)
{
	return (size_t)(d->end - d->p);
}

uint8_t tdec_byte(struct tdec *d);
uint16_t tdec_be16(struct tdec *d);
uint32_t tdec_be32(struct tdec *d);
uint64_t tdec_be64(struct tdec *d);
uint64_t tdec_uvarint(struct tdec *d);
int64_t tdec_varint(struct tdec *d);
/* A <uvarint len><bytes> string, borrowed; *n gets its length. */
const char *tdec_uvstr(struct tdec *d, size_t *n);
/* Skip n bytes. */
void tdec_skip(struct tdec *d, size_t n);

/* Fixed-width big-endian helpers on raw memory. */
static inline uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t be64_get(const uint8_t *p)
{
	return (uint64_t)be32_get(p) << 32 | be32_get(p + 4);
}

static inline void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

/* Encode v as a uvarint into out (room for 10 bytes); returns the length. */
size_t uvarint_encode(uint8_t *out, uint64_t v);
/* Decode a uvarint from [p, end); returns bytes used, 0 on error. */
size_t uvarint_decode(const uint8_t *p, const uint8_t *end, uint64_t *v);

#endif
