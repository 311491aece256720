// SPDX-License-Identifier: Apache-2.0
/*
 * dtoa_shortest() against an independent reference built on glibc's
 * correctly rounded printf and strtod: the fewest significant digits n whose
 * closest n-digit decimal (or, when the rounding interval is lopsided at a
 * power of two, the next n-digit decimal above) reads back to v.  Random
 * bit patterns cover all exponents; VIGIL_DTOA_COUNT=<n> runs more of them
 * (the default keeps the test at a few seconds).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dtoa.h"
#include "common/expo.h"

struct ref_digits {
	char d[24];
	int n, point;
};

/* n-digit candidate in d (n digits, point): bump the last digit up by one */
static void ref_bump(struct ref_digits *r)
{
	int i = r->n - 1;
	while (i >= 0 && r->d[i] == '9')
		r->d[i--] = '0';
	if (i >= 0) {
		r->d[i]++;
	} else {
		memmove(r->d + 1, r->d, (size_t)r->n);
		r->d[0] = '1';
		r->point++; /* 99.9 -> 100.0: keep n digits, drop the last */
	}
}

static double ref_value(const struct ref_digits *r)
{
	char s[64];
	int len = snprintf(s, sizeof(s), "0.%.*se%d", r->n, r->d, r->point);
	cr_assert(len > 0 && (size_t)len < sizeof(s));
	return strtod(s, NULL);
}

/* The closest n-digit decimal to v; 1 when it, or the next one up, reads back. */
static int ref_try(double v, int n, struct ref_digits *r)
{
	char s[40];
	snprintf(s, sizeof(s), "%.*e", n - 1, v);
	r->n = 0;
	const char *p = s;
	for (; *p != 'e'; p++)
		if (*p != '.')
			r->d[r->n++] = *p;
	r->point = atoi(p + 1) + 1;
	if (ref_value(r) == v)
		return 1;
	ref_bump(r);
	return ref_value(r) == v;
}

/* Reference shortest digits (no trailing zeros). */
static void ref_shortest(double v, struct ref_digits *out)
{
	/* validity is monotone in n, so search for the smallest valid n */
	int lo = 1, hi = 17;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		struct ref_digits r;
		if (ref_try(v, mid, &r))
			hi = mid;
		else
			lo = mid + 1;
	}
	int ok = ref_try(v, lo, out);
	cr_assert(ok, "no %d-digit form of %a reads back", lo, v);
	while (out->n > 1 && out->d[out->n - 1] == '0')
		out->n--;
}

static unsigned long long checked;

static void check(double v)
{
	if (!isfinite(v) || v == 0)
		return;
	v = fabs(v);
	struct ref_digits want;
	ref_shortest(v, &want);
	char got[17];
	int point = 0;
	int n = dtoa_shortest(v, got, &point);
	checked++;
	if (n == want.n && point == want.point && memcmp(got, want.d, (size_t)n) == 0)
		return;
	cr_assert_fail("%a (%.17g): got 0.%.*se%d, want 0.%.*se%d", v, v, n, got, point, want.n,
		       want.d, want.point);
}

static double from_bits(uint64_t b)
{
	double v;
	memcpy(&v, &b, sizeof(v));
	return v;
}

/* splitmix64 */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static unsigned long long env_count(unsigned long long dflt)
{
	const char *s = getenv("VIGIL_DTOA_COUNT");
	return s && *s ? strtoull(s, NULL, 10) : dflt;
}

Test(dtoa, known_values)
{
	static const struct {
		double v;
		const char *digits;
		int point;
	} cases[] = {
		{5e-324, "5", -323},
		{1.7976931348623157e308, "17976931348623157", 309},
		{2.2250738585072014e-308, "22250738585072014", -307},
		{0.1, "1", 0},
		{0.3, "3", 0},
		{0.1 + 0.2, "30000000000000004", 0},
		{1e23, "1", 24},
		{9007199254740992.0, "9007199254740992", 16},
		{9007199254740993.0, "9007199254740992", 16},
		{9007199254740994.0, "9007199254740994", 16},
		{123456.0, "123456", 6},
		{1.0, "1", 1},
		{100.0, "1", 3},
		{2.5, "25", 1},
		{1e21, "1", 22},
		{1.5e-7, "15", -6},
		{5e-310, "5", -309},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[17];
		int point = 0;
		int n = dtoa_shortest(cases[i].v, got, &point);
		cr_assert(n == (int)strlen(cases[i].digits) &&
				  memcmp(got, cases[i].digits, (size_t)n) == 0 &&
				  point == cases[i].point,
			  "%.17g: got 0.%.*se%d, want 0.%se%d", cases[i].v, n, got, point,
			  cases[i].digits, cases[i].point);
		check(cases[i].v);
	}
}

/* Every power of two (the lopsided intervals) and its two neighbours. */
Test(dtoa, powers_of_two_and_neighbours)
{
	for (uint64_t e = 0; e < 2047; e++) {
		uint64_t b = e << 52;
		check(from_bits(b));
		check(from_bits(b + 1));
		if (b > 0)
			check(from_bits(b - 1));
		check(from_bits(b | ((UINT64_C(1) << 52) - 1)));
	}
}

/* Small and large subnormals, integers near 2^53, and short decimals. */
Test(dtoa, edges)
{
	for (uint64_t b = 1; b < 5000; b++)
		check(from_bits(b));
	for (uint64_t b = (UINT64_C(1) << 52) - 5000; b < (UINT64_C(1) << 52) + 5000; b++)
		check(from_bits(b));
	for (int64_t i = -5000; i <= 5000; i++)
		check(9007199254740992.0 + (double)i * 2);
	for (int i = 1; i < 100000; i++) {
		check(i / 1000.0);
		check(i * 0.01);
		check(i / 7.0);
	}
	for (int e = -323; e <= 308; e++) {
		char s[32];
		for (int m = 1; m <= 99; m += 7) {
			snprintf(s, sizeof(s), "%de%d", m, e);
			check(strtod(s, NULL));
		}
		snprintf(s, sizeof(s), "1e%d", e);
		double p = strtod(s, NULL);
		check(p);
		check(nextafter(p, 0));
		check(nextafter(p, INFINITY));
	}
}

/* Uniformly random bit patterns: every exponent, mostly 16-17 digit forms. */
Test(dtoa, random_bits, .timeout = 600)
{
	uint64_t seed = UINT64_C(0x5eed0fd70a);
	const char *s = getenv("VIGIL_DTOA_SEED");
	if (s && *s)
		seed = strtoull(s, NULL, 0);
	unsigned long long count = env_count(200000);
	for (unsigned long long i = 0; i < count; i++)
		check(from_bits(rng_next(&seed) & ~(UINT64_C(1) << 63)));
}

/* Random doubles with few significant digits, as counters and gauges have. */
Test(dtoa, random_short_decimals)
{
	uint64_t seed = 42;
	unsigned long long count = env_count(200000) / 2;
	for (unsigned long long i = 0; i < count; i++) {
		uint64_t r = rng_next(&seed);
		int ndig = (int)(r % 17) + 1;
		int e = (int)((r >> 8) % 640) - 330;
		uint64_t m = rng_next(&seed) % 100000000000000000ULL;
		char buf[48];
		snprintf(buf, sizeof(buf), "%llue%d",
			 (unsigned long long)(m % (uint64_t)pow(10, ndig)), e);
		check(strtod(buf, NULL));
	}
}

/* Through the exposition writer: Go's FormatFloat(v, 'g' / 'f' as Prometheus uses it, -1, 64). */
Test(dtoa, expo_format_double_as_go)
{
	static const struct {
		double v;
		char fmt;
		const char *want;
	} cases[] = {
		{0.1, 'g', "0.1"},
		{1e-5, 'g', "1e-05"},
		{123456789.0, 'g', "1.23456789e+08"},
		{0.1 + 0.2, 'g', "0.30000000000000004"},
		{5e-324, 'g', "5e-324"},
		{-1.7976931348623157e308, 'g', "-1.7976931348623157e+308"},
		{0x1p-25, 'g', "2.9802322387695312e-08"}, /* exact tie: even last digit */
		{9007199254740993.0, 'g', "9.007199254740992e+15"},
		{1e23, 'f', "1e+23"},
		{1e20, 'f', "100000000000000000000"},
		{1.5e-7, 'f', "1.5e-07"},
		{0.000001, 'f', "0.000001"},
		{1234.5678, 'f', "1234.5678"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[EXPO_DOUBLE_MAX];
		expo_format_double(out, cases[i].v, cases[i].fmt);
		cr_assert_str_eq(out, cases[i].want, "%a '%c'", cases[i].v, cases[i].fmt);
	}
}
