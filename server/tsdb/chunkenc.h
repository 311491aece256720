/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XOR ("Gorilla") chunks, bit-exact with Prometheus's tsdb/chunkenc.
 *
 * A chunk is a 2-byte big-endian sample count followed by a bit stream
 * (bits written most significant first within each byte, the last byte
 * zero-padded):
 *
 *   sample 0:  t0 <varint>, v0 <64 bits, IEEE-754 bits>
 *   sample 1:  t1-t0 <uvarint>, value xor (below)
 *   sample n:  delta of deltas dod = (tn - tn-1) - (tn-1 - tn-2):
 *                0                       when dod == 0
 *                '10'   + 14 bits        when -8191   <= dod <= 8192
 *                '110'  + 17 bits        when -65535  <= dod <= 65536
 *                '1110' + 20 bits        when -524287 <= dod <= 524288
 *                '1111' + 64 bits        otherwise
 *              (two's complement in the field; a field value above
 *              2^(bits-1) is negative), then the value xor.
 *   value xor: x = bits(v) ^ bits(prev):
 *                '0'                     when x == 0
 *                '10' + significant bits when x's leading zeros >= the
 *                       previous window's and trailing zeros >= its
 *                       trailing: the bits of x within that window
 *                '11' + leading <5 bits> + sigbits <6 bits, 64 as 0>
 *                       + sigbits bits of x >> trailing; opens a new
 *                       window.  Leading zeros are clamped to 31.
 *
 * A chunk file stores the chunk with encoding byte 1 (XOR).
 *
 * A struct xor_app owns its bytes and is not thread-safe; the head's
 * series lock protects it.  An iterator borrows the bytes it reads.
 */
#ifndef VIGIL_TSDB_CHUNKENC_H
#define VIGIL_TSDB_CHUNKENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encoding byte of an XOR chunk in chunk files and the head. */
#define CHUNKENC_XOR 1
/* Samples per chunk Prometheus aims for. */
#define CHUNKENC_SAMPLES_PER_CHUNK 120

/* An XOR chunk being appended to. */
struct xor_app {
	uint8_t *b;      /* header + bit stream */
	uint32_t len;    /* bytes in use */
	uint32_t cap;
	uint8_t free_bits; /* unused low bits of b[len-1] (0..8) */
	uint8_t leading, trailing;
	uint16_t num;
	int64_t t;
	uint64_t tdelta;
	double v;
};

/* Start an empty chunk; 0 or -ENOMEM. */
int xor_app_init(struct xor_app *a);
void xor_app_free(struct xor_app *a);
/* Append a sample; the caller ensures t is after the last one. 0 or -ENOMEM. */
int xor_app_append(struct xor_app *a, int64_t t, double v);
/* The chunk bytes (valid until the next append). */
static inline const uint8_t *xor_app_bytes(const struct xor_app *a, size_t *n)
{
	*n = a->len;
	return a->b;
}

/* Reading an XOR chunk. */
struct xor_iter {
	const uint8_t *b;
	size_t nbits;  /* bits in the stream after the header */
	size_t pos;    /* next bit */
	uint16_t num, read;
	uint8_t leading, trailing;
	int64_t t;
	uint64_t tdelta;
	double v;
	int err;
};

/* Start reading chunk bytes b[0..n) (n >= 2). */
void xor_iter_init(struct xor_iter *it, const uint8_t *b, size_t n);
/*
 * Advance to the next sample: 1 with it->t/it->v set, 0 at the end, or
 * -EBADMSG when the stream is malformed.
 */
int xor_iter_next(struct xor_iter *it);
/* Number of samples in chunk bytes b[0..n). */
static inline uint16_t xor_chunk_num(const uint8_t *b, size_t n)
{
	return n >= 2 ? (uint16_t)(b[0] << 8 | b[1]) : 0;
}

#endif
