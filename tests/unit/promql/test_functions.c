// SPDX-License-Identifier: Apache-2.0
/*
 * Evaluation kernels.  Most expected numbers are those of Prometheus 2.42's
 * promql/testdata/functions.test, histograms.test and aggregators.test, with
 * the series written out as the samples a range selector returns there
 * (selection is inclusive at both ends in 2.x); the rest (round, clamp,
 * leap years, the quantile aggregation) are worked out by hand.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/promql/functions.h"

#define MIN_MS 60000LL

/* Samples start+step*i at t = i*interval for i in [from, to]. */
static size_t series(struct promql_sample *out, double start, double step, int64_t interval_ms,
		     int from, int to)
{
	size_t n = 0;
	for (int i = from; i <= to; i++, n++) {
		out[n].t = (int64_t)i * interval_ms;
		out[n].v = start + step * i;
	}
	return n;
}

/* Samples with the given values at 0, interval, 2*interval, ... */
static size_t values(struct promql_sample *out, int64_t interval_ms, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i].t = (int64_t)i * interval_ms;
		out[i].v = v[i];
	}
	return n;
}

static void assert_close(double got, double want)
{
	if (isnan(want)) {
		cr_assert(isnan(got), "got %.17g, want NaN", got);
		return;
	}
	if (isinf(want) || want == 0) {
		cr_assert_eq(got, want, "got %.17g, want %.17g", got, want);
		return;
	}
	/* Prometheus's test framework allows a relative error of 1e-6 */
	cr_assert(fabs(got - want) <= 1e-6 * fabs(want), "got %.17g, want %.17g", got, want);
}

Test(functions, increase_and_rate)
{
	struct promql_sample s[32];
	double out;
	/* increase(http_requests[50m]) at 50m, 0+10x10 every 5m: 100 */
	size_t n = series(s, 0, 10, 5 * MIN_MS, 0, 10);
	cr_assert(promql_extrapolated_rate(s, n, 0, 50 * MIN_MS, true, false, &out));
	assert_close(out, 100);
	/* 0+10x5 0+10x5: the reset adds the value before it: 90 */
	const double bar[] = {0, 10, 20, 30, 40, 50, 0, 10, 20, 30, 40};
	n = values(s, 5 * MIN_MS, bar, 11);
	cr_assert(promql_extrapolated_rate(s, n, 0, 50 * MIN_MS, true, false, &out));
	assert_close(out, 90);
	/* 0 1 2 3 2 3 4: increase over 30m is 7 */
	const double reset[] = {0, 1, 2, 3, 2, 3, 4};
	n = values(s, 5 * MIN_MS, reset, 7);
	cr_assert(promql_extrapolated_rate(s, n, 0, 30 * MIN_MS, true, false, &out));
	assert_close(out, 7);
	/* rate(testcounter_reset_middle[50m]) at 50m: 0.03 */
	const double middle[] = {0, 10, 20, 30, 40, 0, 10, 20, 30, 40, 50};
	n = values(s, 5 * MIN_MS, middle, 11);
	cr_assert(promql_extrapolated_rate(s, n, 0, 50 * MIN_MS, true, true, &out));
	assert_close(out, 0.03);
	/* rate(testcounter_reset_end[5m]) at 50m: samples 90 (45m) and 0 (50m): 0 */
	s[0] = (struct promql_sample){45 * MIN_MS, 90};
	s[1] = (struct promql_sample){50 * MIN_MS, 0};
	cr_assert(promql_extrapolated_rate(s, 2, 45 * MIN_MS, 50 * MIN_MS, true, true, &out));
	assert_close(out, 0);
	/* rate(calculate_rate_window[50m]): 0.26666666666666666 */
	n = series(s, 0, 80, 5 * MIN_MS, 0, 10);
	cr_assert(promql_extrapolated_rate(s, n, 0, 50 * MIN_MS, true, true, &out));
	assert_close(out, 0.26666666666666666);
	/* rate(calculate_rate_offset[10m] offset 5m) at 50m: window [35m, 45m] */
	n = series(s, 0, 20, 5 * MIN_MS, 7, 9);
	cr_assert(promql_extrapolated_rate(s, n, 35 * MIN_MS, 45 * MIN_MS, true, true, &out));
	assert_close(out, 0.06666666666666667);
	/* a single sample gives no result */
	cr_assert_not(promql_extrapolated_rate(s, 1, 0, 50 * MIN_MS, true, true, &out));
}

Test(functions, rate_zero_cutoff)
{
	/* rate(testcounter_zero_cutoff[20m]) at 10m, samples every 4m from 0 */
	static const double starts[] = {0, 60, 120, 180, 240, 300};
	static const double want[] = {0.5, 0.55, 0.6, 0.65, 0.7, 0.6};
	struct promql_sample s[3];
	for (size_t k = 0; k < 6; k++) {
		double out;
		size_t n = series(s, starts[k], 240, 4 * MIN_MS, 0, 2);
		cr_assert(promql_extrapolated_rate(s, n, -10 * MIN_MS, 10 * MIN_MS, true, true,
						   &out));
		assert_close(out, want[k]);
	}
	/* at 50m every series is far from zero: 0.6 */
	for (size_t k = 0; k < 6; k++) {
		struct promql_sample w[6];
		double out;
		size_t n = series(w, starts[k], 240, 4 * MIN_MS, 8, 10);
		/* samples at 32m..40m, window [30m, 50m] */
		cr_assert(
			promql_extrapolated_rate(w, n, 30 * MIN_MS, 50 * MIN_MS, true, true, &out));
		assert_close(out, 0.6);
	}
}

Test(functions, delta_irate_idelta)
{
	struct promql_sample s[16];
	double out;
	const double up[] = {0, 50, 100, 150, 200}, down[] = {200, 150, 100, 50, 0};
	size_t n = values(s, 5 * MIN_MS, up, 5);
	cr_assert(promql_extrapolated_rate(s, n, 0, 20 * MIN_MS, false, false, &out));
	assert_close(out, 200);
	n = values(s, 5 * MIN_MS, down, 5);
	cr_assert(promql_extrapolated_rate(s, n, 0, 20 * MIN_MS, false, false, &out));
	assert_close(out, -200);

	n = series(s, 0, 10, 5 * MIN_MS, 0, 10);
	cr_assert(promql_instant_value(s, n, true, &out));
	assert_close(out, 0.03333333333333333);
	const double bar[] = {0, 10, 20, 30, 40, 50, 0};
	n = values(s, 5 * MIN_MS, bar, 7);
	cr_assert(promql_instant_value(s, n, true, &out));
	assert_close(out, 0);

	const double a[] = {0, 50, 100, 150}, b[] = {0, 50, 100, 50};
	n = values(s, 5 * MIN_MS, a, 4);
	cr_assert(promql_instant_value(s, n, false, &out));
	assert_close(out, 50);
	n = values(s, 5 * MIN_MS, b, 4);
	cr_assert(promql_instant_value(s, n, false, &out));
	assert_close(out, -50);
	cr_assert_not(promql_instant_value(s, 1, false, &out));
}

Test(functions, deriv_and_predict_linear)
{
	struct promql_sample s[16];
	double out;
	const double middle[] = {0, 10, 20, 30, 40, 0, 10, 20, 30, 40, 50};
	size_t n = values(s, 5 * MIN_MS, middle, 11);
	cr_assert(promql_deriv(s, n, &out));
	assert_close(out, 0.010606060606060607);
	/* predict_linear(testcounter_reset_middle[100m], 3600) at 50m */
	cr_assert(promql_predict_linear(s, n, 50 * MIN_MS, 3600, &out));
	assert_close(out, 76.81818181818181);
	/* the same range pinned with @ 3000 but evaluated at 10m and 70m */
	cr_assert(promql_predict_linear(s, n, 10 * MIN_MS, 3600, &out));
	assert_close(out, 51.36363636363637);
	cr_assert(promql_predict_linear(s, n, 70 * MIN_MS, 3600, &out));
	assert_close(out, 89.54545454545455);
	/* deriv equals rate on a steady counter */
	n = series(s, 0, 80, 5 * MIN_MS, 0, 10);
	cr_assert(promql_deriv(s, n, &out));
	assert_close(out, 0.26666666666666666);
	/* constant series: slope 0; infinite constant: NaN */
	const double c[] = {5, 5, 5}, inf[] = {INFINITY, INFINITY};
	n = values(s, MIN_MS, c, 3);
	cr_assert(promql_deriv(s, n, &out));
	assert_close(out, 0);
	n = values(s, MIN_MS, inf, 2);
	cr_assert(promql_deriv(s, n, &out));
	assert_close(out, NAN);
}

Test(functions, resets_and_changes)
{
	struct promql_sample s[16];
	const double foo[] = {1, 2, 3, 0, 1, 0, 0, 1, 2, 0};
	const double bar[] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5};
	const double biz[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
	/* resets/changes(http_requests[50m]) at 50m: all ten samples */
	size_t n = values(s, 5 * MIN_MS, foo, 10);
	assert_close(promql_resets(s, n), 3);
	assert_close(promql_changes(s, n), 8);
	/* [20m] at 50m: the last five */
	assert_close(promql_resets(s + 5, 5), 1);
	assert_close(promql_changes(s + 5, 5), 3);
	n = values(s, 5 * MIN_MS, bar, 10);
	assert_close(promql_resets(s, n), 1);
	assert_close(promql_changes(s, n), 9);
	n = values(s, 5 * MIN_MS, biz, 10);
	assert_close(promql_resets(s, n), 0);
	assert_close(promql_changes(s, n), 1);
	/* NaN to NaN is no change */
	const double nan3[] = {NAN, NAN, NAN}, mixed[] = {0, NAN, 0};
	n = values(s, 5 * MIN_MS, nan3, 3);
	assert_close(promql_changes(s, n), 0);
	n = values(s, 5 * MIN_MS, mixed, 3);
	assert_close(promql_changes(s, n), 2);
}

Test(functions, over_time)
{
	struct promql_sample s[8];
	double scratch[8];
	const double m[] = {1, 2, 3, 4, 5};
	size_t n = values(s, 10000, m, 5);
	assert_close(promql_avg_over_time(s, n), 3);
	assert_close(promql_sum_over_time(s, n), 15);
	assert_close(promql_min_over_time(s, n), 1);
	assert_close(promql_max_over_time(s, n), 5);

	/* avg_over_time's handling of infinities (metric2 .. metric10) */
	const struct {
		double v[5];
		size_t n;
		double avg;
	} cases[] = {
		{{1, 2, 3, 4, INFINITY}, 5, INFINITY},
		{{1, 2, 3, 4, -INFINITY}, 5, -INFINITY},
		{{1, 2, 3, INFINITY, -INFINITY}, 5, NAN},
		{{INFINITY, 0, INFINITY}, 3, INFINITY},
		{{INFINITY, INFINITY, INFINITY, -INFINITY}, 4, NAN},
		{{1, 2, 3, -INFINITY, -INFINITY}, 5, -INFINITY},
		{{-INFINITY, 0, -INFINITY}, 3, -INFINITY},
		{{1, 2, -INFINITY, -INFINITY, INFINITY}, 5, NAN},
		{{9.988465674311579e+307, 9.988465674311579e+307}, 2, 9.988465674311579e+307},
		{{-9.988465674311579e+307, -9.988465674311579e+307, -9.988465674311579e+307},
		 3,
		 -9.988465674311579e+307},
		{{-9.988465674311579e+307, 9.988465674311579e+307}, 2, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = values(s, 10000, cases[i].v, cases[i].n);
		assert_close(promql_avg_over_time(s, n), cases[i].avg);
	}
	/* sum_over_time overflows where avg does not */
	n = values(s, 10000, cases[8].v, 2);
	assert_close(promql_sum_over_time(s, n), INFINITY);

	const double sd[] = {0, 8, 8, 2, 3};
	n = values(s, 10000, sd, 5);
	assert_close(promql_stdvar_over_time(s, n), 10.56);
	assert_close(promql_stddev_over_time(s, n), 3.249615);
	const double same[] = {1.5990505637277868, 1.5990505637277868, 1.5990505637277868};
	n = values(s, 10000, same, 3);
	cr_assert_eq(promql_stdvar_over_time(s, n), 0);
	cr_assert_eq(promql_stddev_over_time(s, n), 0);

	/* quantile_over_time over "two", "three" and "uneven" samples */
	const double two[] = {0, 1}, three[] = {0, 1, 2}, uneven[] = {0, 1, 4};
	const double qs[] = {0, 0.5, 0.75, 0.8, 1, -1, 2};
	const double want2[] = {0, 0.5, 0.75, 0.8, 1, -INFINITY, INFINITY};
	const double want3[] = {0, 1, 1.5, 1.6, 2, -INFINITY, INFINITY};
	const double wantu[] = {0, 1, 2.5, 2.8, 4, -INFINITY, INFINITY};
	for (size_t i = 0; i < 7; i++) {
		n = values(s, 10000, two, 2);
		assert_close(promql_quantile_over_time(qs[i], s, n, scratch), want2[i]);
		n = values(s, 10000, three, 3);
		assert_close(promql_quantile_over_time(qs[i], s, n, scratch), want3[i]);
		n = values(s, 10000, uneven, 3);
		assert_close(promql_quantile_over_time(qs[i], s, n, scratch), wantu[i]);
	}
}

Test(functions, holt_winters)
{
	/* holt_winters(http_requests[1m], 0.01, 0.1) at 8000s, samples every 10s */
	static const struct {
		double start, step, want;
	} cases[] = {
		{0, 10, 8000},	{0, 20, 16000},	  {0, 30, 24000},   {0, 40, 32000},
		{8000, -10, 0}, {0, -20, -16000}, {0, -40, -32000},
	};
	struct promql_sample s[7];
	char err[128];
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		double out;
		size_t n = series(s, cases[k].start, cases[k].step, 10000, 794, 800);
		cr_assert_eq(promql_holt_winters(s, n, 0.01, 0.1, &out, err, sizeof(err)), 0);
		assert_close(out, cases[k].want);
	}
	double out;
	cr_assert_eq(promql_holt_winters(s, 1, 0.5, 0.5, &out, err, sizeof(err)), -ENODATA);
	cr_assert_eq(promql_holt_winters(s, 7, 1, 0.5, &out, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000");
	cr_assert_eq(promql_holt_winters(s, 7, 0.5, NAN, &out, err, sizeof(err)), 0);
	cr_assert_eq(promql_holt_winters(s, 7, 0.5, 0, &out, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "invalid trend factor. Expected: 0 < tf < 1, got: 0.000000");
}

static double bq(double q, const struct promql_bucket *in, size_t n)
{
	struct promql_bucket b[16];
	memcpy(b, in, n * sizeof(*b));
	return promql_bucket_quantile(q, b, n);
}

Test(functions, histogram_quantile)
{
	/* testhistogram{start="positive"} at 50m: le 0.1, .2, 1e0, +Inf = 50, 70, 110, 120 */
	const struct promql_bucket pos[] = {{0.1, 50}, {0.2, 70}, {1, 110}, {INFINITY, 120}};
	/* start="negative": le -.2, -0.1, 0.3, +Inf = 10, 20, 20, 30 */
	const struct promql_bucket neg[] = {{-0.2, 10}, {-0.1, 20}, {0.3, 20}, {INFINITY, 30}};
	assert_close(bq(-0.1, pos, 4), -INFINITY);
	assert_close(bq(1.01, neg, 4), INFINITY);
	assert_close(bq(NAN, pos, 4), NAN);
	assert_close(bq(0, pos, 4), 0);
	assert_close(bq(0, neg, 4), -0.2);
	assert_close(bq(1, pos, 4), 1);
	assert_close(bq(1, neg, 4), 0.3);
	assert_close(bq(0.2, pos, 4), 0.048);
	assert_close(bq(0.2, neg, 4), -0.2);
	assert_close(bq(0.5, pos, 4), 0.15);
	assert_close(bq(0.5, neg, 4), -0.15);
	assert_close(bq(0.8, pos, 4), 0.72);
	assert_close(bq(0.8, neg, 4), 0.3);
	/* input order does not matter */
	const struct promql_bucket shuffled[] = {{INFINITY, 120}, {1, 110}, {0.2, 70}, {0.1, 50}};
	assert_close(bq(0.8, shuffled, 4), 0.72);
	/* testhistogram2 at 7m: results in the middle of buckets */
	const struct promql_bucket mid[] = {{0, 0}, {2, 1}, {4, 2}, {6, 3}, {INFINITY, 3}};
	assert_close(bq(1. / 6., mid, 5), 1);
	assert_close(bq(0.5, mid, 5), 3);
	assert_close(bq(5. / 6., mid, 5), 5);
	/* nonmonotonic_bucket at 50m */
	const struct promql_bucket nonmono[] = {{0.1, 20}, {1, 10},    {10, 50},
						{100, 40}, {1000, 90}, {INFINITY, 80}};
	assert_close(bq(0.01, nonmono, 6), 0.0045);
	assert_close(bq(0.5, nonmono, 6), 8.5);
	assert_close(bq(0.99, nonmono, 6), 979.75);
	/* mixed_bucket: three spellings of 0.2 merge into one bucket */
	const double r = 1.0 / 300;
	const struct promql_bucket mixed[] = {
		{0.1, r}, {0.2, r}, {0.2, r}, {0.2, r}, {INFINITY, 4 * r}};
	assert_close(bq(0.5, mixed, 5), 0.15);
	assert_close(bq(0.75, mixed, 5), 0.2);
	assert_close(bq(1, mixed, 5), 0.2);
	const struct promql_bucket infs[] = {{INFINITY, 0}, {INFINITY, 0}};
	assert_close(bq(0.5, infs, 2), NAN);
	/* no +Inf bucket: NaN */
	const struct promql_bucket noinf[] = {{0.1, 50}, {0.2, 70}};
	assert_close(bq(0.5, noinf, 2), NAN);
	/* the rank falls in +Inf: the highest finite bound */
	const struct promql_bucket tail[] = {{1, 1}, {INFINITY, 10}};
	assert_close(bq(0.5, tail, 2), 1);
}

Test(functions, quantile_and_aggregations)
{
	double v[] = {8, 1, 4, 2};
	assert_close(promql_quantile(0.5, v, 4), 3);
	double v2[] = {8, 1, 4, 2};
	assert_close(promql_quantile(0.9, v2, 4), 6.8);
	double v3[] = {1};
	assert_close(promql_quantile(0.5, v3, 1), 1);
	assert_close(promql_quantile(0.5, v3, 0), NAN);
	double v4[] = {3, NAN, 1};
	assert_close(promql_quantile(0, v4, 3), NAN); /* NaN sorts first */

	/* sum, avg, count, stddev, stdvar of 0, 100, 200, 300 (aggregators.test) */
	const double in[] = {0, 100, 200, 300};
	static const struct {
		enum promql_agg_op op;
		double want;
	} ops[] = {
		{PROMQL_AGG_SUM, 600},	    {PROMQL_AGG_AVG, 150},
		{PROMQL_AGG_MIN, 0},	    {PROMQL_AGG_MAX, 300},
		{PROMQL_AGG_COUNT, 4},	    {PROMQL_AGG_GROUP, 1},
		{PROMQL_AGG_STDVAR, 12500}, {PROMQL_AGG_STDDEV, 111.80339887498948},
	};
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		struct promql_agg a;
		promql_agg_init(&a, ops[k].op, in[0]);
		for (size_t i = 1; i < 4; i++)
			promql_agg_add(&a, in[i]);
		assert_close(promql_agg_result(&a), ops[k].want);
	}
	/* max/min skip over a NaN first value */
	struct promql_agg a;
	promql_agg_init(&a, PROMQL_AGG_MAX, NAN);
	promql_agg_add(&a, 3);
	promql_agg_add(&a, NAN);
	assert_close(promql_agg_result(&a), 3);
	/* avg keeps an infinite mean unless the opposite infinity arrives */
	promql_agg_init(&a, PROMQL_AGG_AVG, INFINITY);
	promql_agg_add(&a, 1);
	assert_close(promql_agg_result(&a), INFINITY);
	promql_agg_add(&a, -INFINITY);
	assert_close(promql_agg_result(&a), NAN);
}

Test(functions, math_and_dates)
{
	double (*fn)(double);
	cr_assert(promql_math_lookup("sgn", &fn));
	assert_close(fn(-3), -1);
	assert_close(fn(0), 0);
	cr_assert(promql_math_lookup("deg", &fn));
	assert_close(fn(M_PI), 180);
	cr_assert(promql_math_lookup("rad", &fn));
	assert_close(fn(180), M_PI);
	cr_assert(promql_math_lookup("ln", &fn));
	assert_close(fn(-1), NAN);
	cr_assert_not(promql_math_lookup("nope", &fn));

	assert_close(promql_round(1.5, 1), 2);
	assert_close(promql_round(-1.5, 1), -1);
	assert_close(promql_round(123.456, 0.1), 123.5);
	assert_close(promql_round(15, 10), 20);
	double out;
	cr_assert(promql_clamp(5, 0, 1, &out));
	assert_close(out, 1);
	cr_assert(promql_clamp(-5, 0, 1, &out));
	assert_close(out, 0);
	cr_assert_not(promql_clamp(5, 1, 0, &out));

	/* functions.test: time 0 and 1136239445 (2006-01-02T22:04:05Z) */
	assert_close(promql_date(PROMQL_DATE_YEAR, 0), 1970);
	assert_close(promql_date(PROMQL_DATE_MONTH, 0), 1);
	assert_close(promql_date(PROMQL_DATE_DAY_OF_MONTH, 0), 1);
	assert_close(promql_date(PROMQL_DATE_DAY_OF_YEAR, 0), 1);
	assert_close(promql_date(PROMQL_DATE_DAY_OF_WEEK, 0), 4);
	assert_close(promql_date(PROMQL_DATE_HOUR, 0), 0);
	assert_close(promql_date(PROMQL_DATE_MINUTE, 0), 0);
	assert_close(promql_date(PROMQL_DATE_DAYS_IN_MONTH, 0), 31);
	assert_close(promql_date(PROMQL_DATE_YEAR, 1136239445), 2006);
	assert_close(promql_date(PROMQL_DATE_MONTH, 1136239445), 1);
	assert_close(promql_date(PROMQL_DATE_DAY_OF_MONTH, 1136239445), 2);
	assert_close(promql_date(PROMQL_DATE_DAY_OF_YEAR, 1136239445), 2);
	assert_close(promql_date(PROMQL_DATE_DAY_OF_WEEK, 1136239445), 1);
	assert_close(promql_date(PROMQL_DATE_HOUR, 1136239445), 22);
	assert_close(promql_date(PROMQL_DATE_MINUTE, 1136239445), 4);
	/* leap years: 2020-02 has 29 days, 2100-02 has 28; 2016-12-31 is day 366 */
	assert_close(promql_date(PROMQL_DATE_DAYS_IN_MONTH, 1580515200), 29);
	assert_close(promql_date(PROMQL_DATE_DAYS_IN_MONTH, 4105123200.0), 28);
	assert_close(promql_date(PROMQL_DATE_DAY_OF_YEAR, 1483142400), 366);
	/* before 1970 and fractional seconds truncate toward zero, as Go's int64() */
	assert_close(promql_date(PROMQL_DATE_YEAR, -1), 1969);
	assert_close(promql_date(PROMQL_DATE_DAY_OF_WEEK, -86400), 3);
	assert_close(promql_date(PROMQL_DATE_MINUTE, 59.9), 0);
}
