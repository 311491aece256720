// SPDX-License-Identifier: Apache-2.0
/*
 * XOR chunk encoder and decoder; the bit layout is described in chunkenc.h.
 */
#include "server/tsdb/chunkenc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/tsdb/encoding.h"

static inline uint64_t f2u(double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	return u;
}

static inline double u2f(uint64_t u)
{
	double v;
	memcpy(&v, &u, 8);
	return v;
}

static int app_grow(struct xor_app *a, uint32_t need)
{
	if (a->cap - a->len >= need)
		return 0;
	uint32_t cap = a->cap ? a->cap : 32;
	while (cap - a->len < need)
		cap *= 2;
	uint8_t *p = realloc(a->b, cap);
	if (!p)
		return -ENOMEM;
	a->b = p;
	a->cap = cap;
	return 0;
}

int xor_app_init(struct xor_app *a)
{
	memset(a, 0, sizeof(*a));
	if (app_grow(a, 2))
		return -ENOMEM;
	a->b[0] = a->b[1] = 0;
	a->len = 2;
	a->leading = 0xff;
	return 0;
}

void xor_app_free(struct xor_app *a)
{
	free(a->b);
	memset(a, 0, sizeof(*a));
}

/*
 * Bit writing with Prometheus's bstream semantics, which decide the exact
 * bytes: free_bits counts the unused low bits of the last byte (0..8); a
 * whole byte is written by filling those bits and appending a new byte with
 * the rest, so byte writes keep free_bits unchanged and may leave a trailing
 * byte with all 8 bits free.  Room is ensured by the caller.
 */
static void put_byte(struct xor_app *a, uint8_t c)
{
	if (a->free_bits == 0) {
		a->b[a->len++] = 0;
		a->free_bits = 8;
	}
	a->b[a->len - 1] |= (uint8_t)(c >> (8 - a->free_bits));
	a->b[a->len++] = (uint8_t)((unsigned)c << a->free_bits);
}

/* Write the low nbits of v, most significant first. */
static void put_bits(struct xor_app *a, uint64_t v, int nbits)
{
	if (nbits <= 0)
		return;
	v <<= 64 - nbits;
	while (nbits >= 8) {
		put_byte(a, (uint8_t)(v >> 56));
		v <<= 8;
		nbits -= 8;
	}
	if (nbits == 0)
		return;
	/*
	 * The last nbits (< 8) at once, as bit-by-bit writes would leave
	 * them: a new byte only when a bit finds no free one.
	 */
	unsigned bits = (unsigned)(v >> (64 - nbits));
	if (a->free_bits == 0) {
		a->b[a->len++] = 0;
		a->free_bits = 8;
	}
	if (nbits <= a->free_bits) {
		a->free_bits = (uint8_t)(a->free_bits - nbits);
		a->b[a->len - 1] |= (uint8_t)(bits << a->free_bits);
		return;
	}
	int rest = nbits - a->free_bits;
	a->b[a->len - 1] |= (uint8_t)(bits >> rest);
	a->b[a->len++] = (uint8_t)((bits << (8 - rest)) & 0xff);
	a->free_bits = (uint8_t)(8 - rest);
}

static void put_xor(struct xor_app *a, double v)
{
	uint64_t delta = f2u(v) ^ f2u(a->v);

	if (delta == 0) {
		put_bits(a, 0, 1);
		return;
	}
	put_bits(a, 1, 1);
	uint8_t lead = (uint8_t)__builtin_clzll(delta);
	uint8_t trail = (uint8_t)__builtin_ctzll(delta);
	if (lead >= 32)
		lead = 31;
	if (a->leading != 0xff && lead >= a->leading && trail >= a->trailing) {
		put_bits(a, 0, 1);
		put_bits(a, delta >> a->trailing, 64 - a->leading - a->trailing);
		return;
	}
	a->leading = lead;
	a->trailing = trail;
	put_bits(a, 1, 1);
	put_bits(a, lead, 5);
	int sig = 64 - lead - trail;
	put_bits(a, (uint64_t)sig & 63, 6);
	put_bits(a, delta >> trail, sig);
}

static bool bit_range(int64_t x, int nbits)
{
	return -((INT64_C(1) << (nbits - 1)) - 1) <= x && x <= (INT64_C(1) << (nbits - 1));
}

int xor_app_append(struct xor_app *a, int64_t t, double v)
{
	/* worst case: 10 varint bytes + 64 bits, or 68 + 77 bits */
	if (app_grow(a, 24))
		return -ENOMEM;
	uint64_t tdelta = 0;
	uint8_t vb[10];
	if (a->num == 0) {
		uint64_t u = (uint64_t)t << 1;
		if (t < 0)
			u = ~u;
		size_t n = uvarint_encode(vb, u);
		for (size_t i = 0; i < n; i++)
			put_byte(a, vb[i]);
		put_bits(a, f2u(v), 64);
	} else if (a->num == 1) {
		tdelta = (uint64_t)t - (uint64_t)a->t;
		size_t n = uvarint_encode(vb, tdelta);
		for (size_t i = 0; i < n; i++)
			put_byte(a, vb[i]);
		put_xor(a, v);
	} else {
		tdelta = (uint64_t)t - (uint64_t)a->t;
		int64_t dod = (int64_t)(tdelta - a->tdelta);
		if (dod == 0) {
			put_bits(a, 0, 1);
		} else if (bit_range(dod, 14)) {
			put_bits(a, 2, 2);
			put_bits(a, (uint64_t)dod, 14);
		} else if (bit_range(dod, 17)) {
			put_bits(a, 6, 3);
			put_bits(a, (uint64_t)dod, 17);
		} else if (bit_range(dod, 20)) {
			put_bits(a, 14, 4);
			put_bits(a, (uint64_t)dod, 20);
		} else {
			put_bits(a, 15, 4);
			put_bits(a, (uint64_t)dod, 64);
		}
		put_xor(a, v);
	}
	a->t = t;
	a->v = v;
	a->tdelta = tdelta;
	a->num++;
	a->b[0] = (uint8_t)(a->num >> 8);
	a->b[1] = (uint8_t)a->num;
	return 0;
}

void xor_iter_init(struct xor_iter *it, const uint8_t *b, size_t n)
{
	memset(it, 0, sizeof(*it));
	it->b = b + 2;
	it->nbits = n >= 2 ? (n - 2) * 8 : 0;
	it->num = xor_chunk_num(b, n);
	it->leading = 0;
	it->trailing = 0;
}

static uint64_t get_bits(struct xor_iter *it, int nbits)
{
	if (it->pos + (size_t)nbits > it->nbits) {
		it->err = -EBADMSG;
		return 0;
	}
	uint64_t v = 0;
	while (nbits > 0) {
		size_t byte = it->pos >> 3;
		int off = (int)(it->pos & 7);
		int avail = 8 - off;
		int take = nbits < avail ? nbits : avail;
		uint8_t c = (uint8_t)(it->b[byte] << off);
		v = (v << take) | (uint64_t)(c >> (8 - take));
		it->pos += (size_t)take;
		nbits -= take;
	}
	return v;
}

static uint64_t get_uvarint(struct xor_iter *it)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		uint64_t c = get_bits(it, 8);
		if (it->err)
			return 0;
		if (c < 0x80)
			return x | c << shift;
		x |= (c & 0x7f) << shift;
	}
	it->err = -EBADMSG;
	return 0;
}

static void get_xor(struct xor_iter *it)
{
	if (get_bits(it, 1) == 0)
		return;
	if (get_bits(it, 1) == 1) {
		it->leading = (uint8_t)get_bits(it, 5);
		uint8_t sig = (uint8_t)get_bits(it, 6);
		if (sig == 0)
			sig = 64;
		if (it->leading + sig > 64) {
			it->err = -EBADMSG;
			return;
		}
		it->trailing = (uint8_t)(64 - it->leading - sig);
	}
	int sig = 64 - it->leading - it->trailing;
	uint64_t bits = get_bits(it, sig);
	it->v = u2f(f2u(it->v) ^ (bits << it->trailing));
}

int xor_iter_next(struct xor_iter *it)
{
	if (it->err)
		return it->err;
	if (it->read >= it->num)
		return 0;
	if (it->read == 0) {
		uint64_t u = get_uvarint(it);
		int64_t t = (int64_t)(u >> 1);
		if (u & 1)
			t = ~t;
		it->t = t;
		it->v = u2f(get_bits(it, 64));
	} else if (it->read == 1) {
		it->tdelta = get_uvarint(it);
		it->t = (int64_t)((uint64_t)it->t + it->tdelta);
		get_xor(it);
	} else {
		int sz = 0;
		int prefix = 0;
		for (; prefix < 4; prefix++)
			if (get_bits(it, 1) == 0)
				break;
		switch (prefix) {
		case 0: sz = 0; break;
		case 1: sz = 14; break;
		case 2: sz = 17; break;
		case 3: sz = 20; break;
		default: sz = 64; break;
		}
		int64_t dod = 0;
		if (sz) {
			uint64_t bits = get_bits(it, sz);
			if (sz != 64 && bits > (UINT64_C(1) << (sz - 1)))
				dod = (int64_t)bits - (INT64_C(1) << sz);
			else
				dod = (int64_t)bits;
		}
		it->tdelta = it->tdelta + (uint64_t)dod;
		it->t = (int64_t)((uint64_t)it->t + it->tdelta);
		get_xor(it);
	}
	if (it->err)
		return it->err;
	it->read++;
	return 1;
}
