// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/tsdb/chunkenc.h"
#include "server/tsdb/encoding.h"

static uint64_t bits_of(double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	return u;
}

static double from_bits(uint64_t u)
{
	double v;
	memcpy(&v, &u, 8);
	return v;
}

static void round_trip(const int64_t *ts, const double *vs, size_t n)
{
	struct xor_app a;
	cr_assert_eq(xor_app_init(&a), 0);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(xor_app_append(&a, ts[i], vs[i]), 0);
	size_t len;
	const uint8_t *b = xor_app_bytes(&a, &len);
	cr_assert_eq(xor_chunk_num(b, len), n);
	struct xor_iter it;
	xor_iter_init(&it, b, len);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(xor_iter_next(&it), 1, "sample %zu", i);
		cr_assert_eq(it.t, ts[i], "ts %zu: %lld != %lld", i, (long long)it.t, (long long)ts[i]);
		cr_assert_eq(bits_of(it.v), bits_of(vs[i]), "value %zu", i);
	}
	cr_assert_eq(xor_iter_next(&it), 0);
	xor_app_free(&a);
}

Test(chunkenc, empty_chunk_is_two_zero_bytes)
{
	struct xor_app a;
	cr_assert_eq(xor_app_init(&a), 0);
	size_t len;
	const uint8_t *b = xor_app_bytes(&a, &len);
	cr_assert_eq(len, 2);
	cr_assert_eq(b[0] | b[1], 0);
	struct xor_iter it;
	xor_iter_init(&it, b, len);
	cr_assert_eq(xor_iter_next(&it), 0);
	xor_app_free(&a);
}

/* Bytes worked out by hand from the format: t=1000 v=1, then t=2000 v=1. */
Test(chunkenc, known_bytes)
{
	struct xor_app a;
	cr_assert_eq(xor_app_init(&a), 0);
	xor_app_append(&a, 1000, 1.0);
	xor_app_append(&a, 2000, 1.0);
	xor_app_append(&a, 3000, 1.0);
	size_t len;
	const uint8_t *b = xor_app_bytes(&a, &len);
	/* count 3; varint(1000)=zigzag 2000 = d0 0f; 1.0 = 3f f0 00..; uvarint(1000) = e8 07;
	 * then bit 0 (same value), bit 0 (dod 0), bit 0 (same value) -> 0x00 */
	const uint8_t want[] = { 0x00, 0x03, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xe8, 0x07, 0x00 };
	cr_assert_eq(len, sizeof(want));
	cr_assert_eq(memcmp(b, want, len), 0);
	xor_app_free(&a);
}

Test(chunkenc, regular_scrape)
{
	int64_t ts[120];
	double vs[120];
	for (int i = 0; i < 120; i++) {
		ts[i] = 1600000000000 + i * 15000 + (i % 7 == 3 ? 3 : 0);
		vs[i] = i * 1.5 + (i % 5);
	}
	round_trip(ts, vs, 120);
}

Test(chunkenc, edge_values)
{
	double stale = from_bits(0x7ff0000000000002ULL);
	double vs[] = { NAN, INFINITY, -INFINITY, stale, 0.0, -0.0, 1e308, -1e-308, 5e-324,
			stale, 42, 42, NAN, 1, (double)UINT64_MAX };
	int64_t ts[sizeof(vs) / sizeof(vs[0])];
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		ts[i] = (int64_t)i * 1000;
	round_trip(ts, vs, sizeof(vs) / sizeof(vs[0]));
}

Test(chunkenc, timestamp_deltas_of_every_width)
{
	/* deltas chosen so that the dod hits each bucket boundary and beyond */
	int64_t deltas[] = { 1, 1, 8193, 1, -8190, 65537, 0, 65536, 524289, 1, -524286,
			     1LL << 40, 1, 1LL << 50, 7 };
	size_t n = sizeof(deltas) / sizeof(deltas[0]) + 1;
	int64_t ts[32];
	double vs[32];
	ts[0] = -9000000000000LL;
	vs[0] = 0;
	int64_t d = 0;
	for (size_t i = 1; i < n; i++) {
		d += deltas[i - 1] > 0 ? deltas[i - 1] : 1;
		ts[i] = ts[i - 1] + d;
		vs[i] = (double)i;
	}
	round_trip(ts, vs, n);
}

Test(chunkenc, negative_and_huge_timestamps)
{
	int64_t ts[] = { INT64_MIN / 4, -1, 0, INT64_MAX / 4, INT64_MAX / 2 };
	double vs[] = { 1, 2, 3, 4, 5 };
	round_trip(ts, vs, 5);
}

Test(chunkenc, random_values)
{
	srand(42);
	int64_t ts[240];
	double vs[240];
	int64_t t = 1000;
	for (int i = 0; i < 240; i++) {
		t += 1 + rand() % 100000;
		ts[i] = t;
		uint64_t u = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 10) ^ (uint64_t)rand();
		vs[i] = (i % 3) ? from_bits(u) : (double)(rand() % 1000);
	}
	round_trip(ts, vs, 240);
}

Test(chunkenc, truncated_chunk_errors)
{
	struct xor_app a;
	cr_assert_eq(xor_app_init(&a), 0);
	for (int i = 0; i < 10; i++)
		xor_app_append(&a, i * 1000, i * 3.3);
	size_t len;
	const uint8_t *b = xor_app_bytes(&a, &len);
	struct xor_iter it;
	xor_iter_init(&it, b, len / 2);
	int rc;
	while ((rc = xor_iter_next(&it)) == 1)
		;
	cr_assert_lt(rc, 0);
	xor_app_free(&a);
}

Test(encoding, crc32c_known_vector)
{
	/* RFC 3720 test vector: 32 bytes of zeros -> 0x8a9136aa; "123456789" -> 0xe3069283 */
	uint8_t zeros[32] = { 0 };
	cr_assert_eq(tsdb_crc32c(0, zeros, 32), 0x8a9136aau);
	cr_assert_eq(tsdb_crc32c(0, "123456789", 9), 0xe3069283u);
	cr_assert_eq(tsdb_crc32c(tsdb_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}

Test(encoding, varints)
{
	struct tbuf b = { 0 };
	int64_t vals[] = { 0, 1, -1, 63, -64, 64, INT64_MAX, INT64_MIN };
	for (size_t i = 0; i < 8; i++)
		tbuf_put_varint(&b, vals[i]);
	tbuf_put_uvarint(&b, UINT64_MAX);
	struct tdec d;
	tdec_init(&d, b.data, b.len);
	for (size_t i = 0; i < 8; i++)
		cr_assert_eq(tdec_varint(&d), vals[i]);
	cr_assert_eq(tdec_uvarint(&d), UINT64_MAX);
	cr_assert_eq(d.err, 0);
	tdec_uvarint(&d);
	cr_assert_neq(d.err, 0);
	tbuf_free(&b);
}
