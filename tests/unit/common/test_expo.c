// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/expo.h"

static void check_g(double v, const char *want)
{
	char out[EXPO_DOUBLE_MAX];
	expo_format_double(out, v, 'g');
	cr_assert_str_eq(out, want, "format %.17g: got %s want %s", v, out, want);
}

Test(expo, format_like_go)
{
	check_g(0, "0");
	check_g(1, "1");
	check_g(-1, "-1");
	check_g(100000, "100000");
	check_g(1000000, "1e+06");
	check_g(1234567, "1.234567e+06");
	check_g(1.257894e9, "1.257894e+09");
	check_g(2e-9, "2e-09");
	check_g(1.724314, "1.724314");
	check_g(0.0001, "0.0001");
	check_g(0.00001, "1e-05");
	check_g(0.1 + 0.2, "0.30000000000000004");
	check_g(16042172416.0, "1.6042172416e+10");
	check_g(1e21, "1e+21");
	check_g(18446744073709551615.0, "1.8446744073709552e+19");
	check_g(INFINITY, "+Inf");
	check_g(-INFINITY, "-Inf");
	check_g(NAN, "NaN");
	check_g(5e-324, "5e-324");
	check_g(1.7976931348623157e308, "1.7976931348623157e+308");
}

Test(expo, format_round_trips)
{
	char out[EXPO_DOUBLE_MAX];
	srand(42);
	for (int i = 0; i < 100000; i++) {
		double v = ((double)rand() / RAND_MAX) * pow(10, rand() % 40 - 20);
		expo_format_double(out, v, 'g');
		cr_assert_eq(strtod(out, NULL), v, "%s does not read back", out);
	}
}

/* The definition of Go's shortest form: fewest %.*e digits that read back. */
static void reference_g(double v, char *out)
{
	char tmp[40];
	int prec;
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* reformat through our own layout rules by parsing back */
	expo_format_double(out, strtod(tmp, NULL), 'g');
}

Test(expo, fast_decimal_path_matches_shortest)
{
	char got[EXPO_DOUBLE_MAX], want[EXPO_DOUBLE_MAX];
	srand(7);
	for (int i = 0; i < 200000; i++) {
		/* decimal-looking values: k / 10^d, and products like jiffies * 0.01 */
		long long k = ((long long)rand() << 16 | rand()) % 100000000000LL;
		int d = rand() % 7;
		double v = i % 2 ? (double)k / pow(10, d) : (double)k * 0.01;
		expo_format_double(got, v, 'g');
		char tmp[40];
		int prec;
		for (prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
		/* same significant digits as the shortest %.*e form */
		char digits_got[40] = "", digits_want[40] = "";
		size_t ng = 0, nw = 0;
		for (const char *p = got; *p && *p != 'e'; p++)
			if (*p >= '0' && *p <= '9' && !(ng == 0 && *p == '0'))
				digits_got[ng++] = *p;
		for (const char *p = tmp; *p && *p != 'e'; p++)
			if (*p >= '0' && *p <= '9')
				digits_want[nw++] = *p;
		while (ng > 1 && digits_got[ng - 1] == '0')
			digits_got[--ng] = 0;
		while (nw > 1 && digits_want[nw - 1] == '0')
			digits_want[--nw] = 0;
		cr_assert_str_eq(digits_got, digits_want, "%.17g: %s vs %s", v, got, tmp);
		cr_assert_eq(strtod(got, NULL), v);
	}
	reference_g(0.21, want);
	cr_assert_str_eq(want, "0.21");
}

Test(expo, format_f)
{
	char out[EXPO_DOUBLE_MAX];
	expo_format_double(out, 1e6, 'f');
	cr_assert_str_eq(out, "1000000");
	expo_format_double(out, 0.000123, 'f');
	cr_assert_str_eq(out, "0.000123");
	expo_format_double(out, 1.5, 'f');
	cr_assert_str_eq(out, "1.5");
}

Test(expo, renders_sorted_and_escaped)
{
	struct expo_set *s = expo_set_new();
	struct buf out = BUF_INIT;
	struct expo_family *b = expo_family(s, "b_total", "B help \\ with\nnewline", EXPO_COUNTER);
	expo_addl(b, 2, "x", "10", NULL);
	expo_addl(b, 1, "x", "2", NULL);
	expo_addl(b, 3, "x", "1", NULL);
	struct expo_family *a = expo_family(s, "a", "A", EXPO_GAUGE);
	expo_addl(a, 1.5, "z", "q\"uote\\\n", "a", "first", NULL);
	expo_family(s, "empty", "never printed", EXPO_GAUGE);
	expo_set_render(s, &out);
	cr_assert_str_eq(out.data,
			 "# HELP a A\n# TYPE a gauge\n"
			 "a{a=\"first\",z=\"q\\\"uote\\\\\\n\"} 1.5\n"
			 "# HELP b_total B help \\\\ with\\nnewline\n# TYPE b_total counter\n"
			 "b_total{x=\"1\"} 3\nb_total{x=\"10\"} 2\nb_total{x=\"2\"} 1\n");

	/* a reset set renders nothing until new samples arrive, and reuses families */
	expo_set_reset(s);
	buf_reset(&out);
	expo_set_render(s, &out);
	cr_assert_eq(out.len, 0);
	cr_assert_eq(expo_family(s, "a", "A", EXPO_GAUGE), a);
	buf_free(&out);
	expo_set_free(s);
}

/*
 * Families are found by the name's text, whatever pointer carries it: one
 * buffer reused for several names finds each family (the lookup remembers
 * pointers), and the same name in another buffer finds the same family.
 */
Test(expo, family_lookup_by_text_not_pointer)
{
	struct expo_set *s = expo_set_new();
	char name[32];
	struct expo_family *f[300];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 300; i++) {
			snprintf(name, sizeof(name), "fam_%d", i);
			struct expo_family *got = expo_family(s, name, "h", EXPO_GAUGE);
			if (round == 0)
				f[i] = got;
			cr_assert_eq(got, f[i], "round %d, %s", round, name);
			cr_assert_eq(expo_family_find(s, name), f[i]);
		}
	}
	char other[32];
	strcpy(other, "fam_7");
	cr_assert_eq(expo_family(s, other, "h", EXPO_GAUGE), f[7]);
	strcpy(other, "fam_8");
	cr_assert_eq(expo_family_find(s, other), f[8], "same pointer, new text");
	strcpy(other, "fam_none");
	cr_assert_null(expo_family_find(s, other));
	expo_set_free(s);
}

/*
 * Samples that come out of label order render sorted whatever order they
 * come in, scrape after scrape: the same order again (the remembered sort
 * applies), another order with as many samples (it does not: sorted anew),
 * and a different count.
 */
Test(expo, sorted_again_when_the_order_changes)
{
	static const char *const orders[][5] = {
		{"c", "a", "e", "b", "d"}, {"c", "a", "e", "b", "d"}, {"e", "d", "c", "b", "a"},
		{"b", "a", "c", "e", "d"}, {"b", "a", "c", "e", "d"}, {"d", "a", "b", NULL},
	};
	struct expo_set *s = expo_set_new();
	struct buf out = BUF_INIT;
	for (size_t round = 0; round < sizeof(orders) / sizeof(orders[0]); round++) {
		expo_set_reset(s);
		buf_reset(&out);
		struct expo_family *f = expo_family(s, "m", "h", EXPO_GAUGE);
		for (size_t i = 0; i < 5 && orders[round][i]; i++)
			expo_addl(f, (double)i, "x", orders[round][i], NULL);
		expo_set_render(s, &out);
		const char *prev = NULL;
		size_t n = 0;
		for (const char *p = strstr(out.data, "m{x=\""); p; p = strstr(p + 1, "m{x=\"")) {
			if (prev)
				cr_assert_lt(prev[5], p[5], "round %zu:\n%s", round, out.data);
			prev = p;
			n++;
		}
		cr_assert_eq(n, orders[round][4] ? 5u : 3u, "round %zu:\n%s", round, out.data);
	}
	buf_free(&out);
	expo_set_free(s);
}

Test(expo, prefix_values_sort_first)
{
	struct expo_set *s = expo_set_new();
	struct buf out = BUF_INIT;
	struct expo_family *f = expo_family(s, "m", "h", EXPO_GAUGE);
	expo_addl(f, 1, "dev", "sda1", NULL);
	expo_addl(f, 2, "dev", "sda", NULL);
	expo_set_render(s, &out);
	cr_assert_str_eq(out.data, "# HELP m h\n# TYPE m gauge\nm{dev=\"sda\"} 2\nm{dev=\"sda1\"} 1\n");
	buf_free(&out);
	expo_set_free(s);
}

Test(expo, histogram_and_timestamp)
{
	struct expo_set *s = expo_set_new();
	struct buf out = BUF_INIT;
	struct expo_family *h = expo_family(s, "lat_seconds", "Latency.", EXPO_HISTOGRAM);
	double bounds[] = { 0.1, 1 };
	uint64_t cum[] = { 1, 3 };
	struct expo_label l = { "op", "read" };
	expo_add_histogram(h, &l, 1, bounds, cum, 2, 2.5, 4);
	struct expo_family *t = expo_family(s, "ts", "T", EXPO_UNTYPED);
	expo_add_ts(t, NULL, 0, 7, 1395066363000LL);
	expo_set_render(s, &out);
	cr_assert_str_eq(out.data,
			 "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
			 "lat_seconds_bucket{op=\"read\",le=\"0.1\"} 1\n"
			 "lat_seconds_bucket{op=\"read\",le=\"1\"} 3\n"
			 "lat_seconds_bucket{op=\"read\",le=\"+Inf\"} 4\n"
			 "lat_seconds_sum{op=\"read\"} 2.5\n"
			 "lat_seconds_count{op=\"read\"} 4\n"
			 "# HELP ts T\n# TYPE ts untyped\nts 7 1395066363000\n");
	buf_free(&out);
	expo_set_free(s);
}
