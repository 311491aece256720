// SPDX-License-Identifier: Apache-2.0
/*
 * Shortest round-trip double-to-decimal conversion: Raffaello Giulietti's
 * Schubfach algorithm (paper "The Schubfach way to render doubles", 2020,
 * revised 2021; also the basis of Java 19's Double.toString), written here
 * from the paper's description.
 *
 * A positive double is v = c * 2^q (c the 53-bit significand with the hidden
 * bit, q the unbiased exponent).  Every decimal in the rounding interval
 * R = [v - half an ulp below, v + half an ulp above] (closed when c is even,
 * open when odd; the ulp below is half as large when c = 2^52) reads back
 * to v.  Schubfach picks k so that 10^k is at most the width of R, scales
 * the interval ends 4c-2, 4c, 4c+2 (times 2^q / 10^k) by one 128-bit
 * approximation g of 10^-k, rounded to odd so that comparisons with
 * integers stay exact, then looks at most at four candidates: the multiples
 * of 10^(k+1) around v (one digit shorter) and the multiples of 10^k around
 * v, taking the closest when several qualify.  The table of g for every k a
 * double needs (-292..324 as powers 10^-k) is built on first use with exact
 * big-integer arithmetic: g = floor(10^e * 2^r) + 1 with r such that
 * 2^127 <= g < 2^128.
 */
#include "common/dtoa.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define POW10_MIN (-292)
#define POW10_MAX 324

struct dtoa_u128 {
	uint64_t hi, lo;
};

static struct dtoa_u128 pow10_tab[POW10_MAX - POW10_MIN + 1];
static pthread_once_t pow10_once = PTHREAD_ONCE_INIT;

/* 42 little-endian 32-bit limbs: 2^1343 and 10^324 (1077 bits) both fit */
#define BIG_LIMBS 42

/* The top 128 bits of the big number w (zeros shifted in when shorter), plus 1. */
static struct dtoa_u128 big_top128_plus1(const uint32_t *w)
{
	int n = BIG_LIMBS;
	while (n > 1 && w[n - 1] == 0)
		n--;
	int bits = (n - 1) * 32 + (32 - __builtin_clz(w[n - 1]));
	struct dtoa_u128 r = {0, 0};
	for (int i = 0; i < 128; i++) {
		int b = bits - 1 - i;
		uint64_t bit = b >= 0 ? (w[b / 32] >> (b % 32)) & 1 : 0;
		r.hi = r.hi << 1 | r.lo >> 63;
		r.lo = r.lo << 1 | bit;
	}
	r.lo++;
	if (r.lo == 0)
		r.hi++;
	return r;
}

static void pow10_build(void)
{
	uint32_t w[BIG_LIMBS];

	/* 10^e for e >= 0: multiply up from 1 */
	memset(w, 0, sizeof(w));
	w[0] = 1;
	for (int e = 0; e <= POW10_MAX; e++) {
		pow10_tab[e - POW10_MIN] = big_top128_plus1(w);
		uint64_t carry = 0;
		for (int i = 0; i < BIG_LIMBS; i++) {
			uint64_t t = (uint64_t)w[i] * 10 + carry;
			w[i] = (uint32_t)t;
			carry = t >> 32;
		}
	}
	/*
	 * 10^-e for e > 0: floor(2^1343 / 10^e), divided down by 10 one step
	 * at a time (floor(floor(x / a) / b) = floor(x / ab)); its top 128 bits
	 * are floor(10^-e * 2^r) for the r that normalises them.
	 */
	memset(w, 0, sizeof(w));
	w[BIG_LIMBS - 1] = 0x80000000u;
	for (int e = 1; e <= -POW10_MIN; e++) {
		uint64_t rem = 0;
		for (int i = BIG_LIMBS - 1; i >= 0; i--) {
			uint64_t t = rem << 32 | w[i];
			w[i] = (uint32_t)(t / 10);
			rem = t % 10;
		}
		pow10_tab[-e - POW10_MIN] = big_top128_plus1(w);
	}
}

/* floor(e * log10(2)) for |e| <= 1650 */
static inline int flog10_pow2(int e)
{
	return (int)(((int64_t)e * 315653) >> 20);
}

/* floor(e * log10(2) - log10(4/3)) for |e| <= 1650 */
static inline int flog10_three_quarters_pow2(int e)
{
	return (int)(((int64_t)e * 631305 - 261663) >> 21);
}

/* floor(e * log2(10)) for |e| <= 1233 */
static inline int flog2_pow10(int e)
{
	return (int)(((int64_t)e * 1741647) >> 19);
}

/*
 * The integer part of g * cp / 2^128, its lowest bit set when the dropped
 * fraction is not (within g's overestimate) zero: "round to odd".
 */
static inline uint64_t round_to_odd(struct dtoa_u128 g, uint64_t cp)
{
	unsigned __int128 x = ((unsigned __int128)g.lo * cp) >> 64;
	unsigned __int128 y = (unsigned __int128)g.hi * cp + x;
	return (uint64_t)(y >> 64) | ((uint64_t)y > 1);
}

/* Schubfach proper: v = c * 2^q ~ *dec * 10^*exp10, shortest and closest. */
static void schubfach(uint64_t c, int q, bool closer_below, uint64_t *dec, int *exp10)
{
	bool even = (c & 1) == 0;
	uint64_t cbl = 4 * c - 2 + closer_below, cb = 4 * c, cbr = 4 * c + 2;
	int k = closer_below ? flog10_three_quarters_pow2(q) : flog10_pow2(q);
	int h = q + flog2_pow10(-k) + 1;
	struct dtoa_u128 g = pow10_tab[-k - POW10_MIN];
	uint64_t vbl = round_to_odd(g, cbl << h);
	uint64_t vb = round_to_odd(g, cb << h);
	uint64_t vbr = round_to_odd(g, cbr << h);
	uint64_t lower = vbl + !even, upper = vbr - !even;
	uint64_t s = vb >> 2;

	/* one digit shorter: the multiples of 10^(k+1) below and above */
	uint64_t sp = s / 10;
	bool up_in = lower <= 40 * sp, wp_in = 40 * sp + 40 <= upper;
	if (up_in != wp_in) {
		*dec = sp + wp_in;
		*exp10 = k + 1;
		return;
	}
	/* the multiples of 10^k below and above; the closer when both are in */
	bool u_in = lower <= 4 * s, w_in = 4 * s + 4 <= upper;
	if (u_in != w_in) {
		*dec = s + w_in;
		*exp10 = k;
		return;
	}
	uint64_t mid = 4 * s + 2;
	*dec = s + (vb > mid || (vb == mid && (s & 1)));
	*exp10 = k;
}

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Exactly eight decimal digits of v < 10^8, leading zeros included. */
static inline void put_digits8(char *p, uint32_t v)
{
	uint32_t hi = v / 10000, lo = v % 10000;
	memcpy(p, digit_pairs + 2 * (hi / 100), 2);
	memcpy(p + 2, digit_pairs + 2 * (hi % 100), 2);
	memcpy(p + 4, digit_pairs + 2 * (lo / 100), 2);
	memcpy(p + 6, digit_pairs + 2 * (lo % 100), 2);
}

int dtoa_shortest(double v, char digits[17], int *point)
{
	pthread_once(&pow10_once, pow10_build);

	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	uint64_t frac = bits & ((UINT64_C(1) << 52) - 1);
	int bexp = (int)(bits >> 52 & 0x7ff);
	uint64_t c = bexp ? frac | UINT64_C(1) << 52 : frac;
	int q = bexp ? bexp - 1075 : -1074;

	uint64_t dec;
	int exp10;
	if (q <= 0 && q >= -52 && (c & ((UINT64_C(1) << -q) - 1)) == 0) {
		/* an integer below 2^53: its own digits */
		dec = c >> -q;
		exp10 = 0;
	} else {
		schubfach(c, q, frac == 0 && bexp > 1, &dec, &exp10);
	}

	/* dec <= 10^17: 18 digits with leading zeros, then drop both ends' zeros */
	char tmp[18];
	put_digits8(tmp + 10, (uint32_t)(dec % 100000000));
	dec /= 100000000;
	put_digits8(tmp + 2, (uint32_t)(dec % 100000000));
	memcpy(tmp, digit_pairs + 2 * (dec / 100000000), 2);
	int first = 0;
	while (tmp[first] == '0')
		first++;
	int n = 18 - first;
	*point = n + exp10;
	while (tmp[first + n - 1] == '0')
		n--;
	memcpy(digits, tmp + first, (size_t)n);
	return n;
}
