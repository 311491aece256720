// SPDX-License-Identifier: Apache-2.0
/*
 * PromQL evaluation kernels (see functions.h), following the arithmetic of
 * Prometheus 2.42's promql/functions.go, quantile.go and the aggregations
 * of engine.go step by step, because the differential tests compare
 * results to the last bit: the same order of operations, Kahan-Neumaier
 * compensation where Prometheus uses it, the same special cases for
 * infinities, NaN and counter resets.
 */
#include "server/promql/functions.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double promql_kahan_inc(double inc, double sum, double *c)
{
	double t = sum + inc;
	/* Neumaier: compensate with whichever term lost its low bits */
	if (fabs(sum) >= fabs(inc))
		*c += (sum - t) + inc;
	else
		*c += (inc - t) + sum;
	return t;
}

bool promql_extrapolated_rate(const struct promql_sample *s, size_t n, int64_t range_start_ms,
			      int64_t range_end_ms, bool is_counter, bool is_rate, double *out)
{
	if (n < 2)
		return false;
	double result = s[n - 1].v - s[0].v;
	if (is_counter) {
		double prev = s[0].v;
		for (size_t i = 1; i < n; i++) {
			if (s[i].v < prev)
				result += prev; /* a reset: the counter restarted from 0 */
			prev = s[i].v;
		}
	}
	double to_start = (double)(s[0].t - range_start_ms) / 1000;
	double to_end = (double)(range_end_ms - s[n - 1].t) / 1000;
	double sampled = (double)(s[n - 1].t - s[0].t) / 1000;
	double avg_step = sampled / (double)(n - 1);

	if (is_counter && result > 0 && s[0].v >= 0) {
		/* a counter is never negative: do not extrapolate below zero */
		double to_zero = sampled * (s[0].v / result);
		if (to_zero < to_start)
			to_start = to_zero;
	}
	/* extrapolate to the range ends when the samples come close to them */
	double threshold = avg_step * 1.1;
	double interval = sampled;
	interval += to_start < threshold ? to_start : avg_step / 2;
	interval += to_end < threshold ? to_end : avg_step / 2;
	double factor = interval / sampled;
	if (is_rate) {
		/* as Go's Duration.Seconds(): whole seconds plus the nanosecond rest */
		int64_t range = range_end_ms - range_start_ms;
		factor /= (double)(range / 1000) + (double)(range % 1000 * 1000000) / 1e9;
	}
	*out = result * factor;
	return true;
}

bool promql_instant_value(const struct promql_sample *s, size_t n, bool is_rate, double *out)
{
	if (n < 2)
		return false;
	const struct promql_sample *last = &s[n - 1], *prev = &s[n - 2];
	double result;
	if (is_rate && last->v < prev->v)
		result = last->v; /* counter reset */
	else
		result = last->v - prev->v;
	int64_t dt = last->t - prev->t;
	if (dt == 0)
		return false;
	if (is_rate)
		result /= (double)dt / 1000;
	*out = result;
	return true;
}

void promql_linear_regression(const struct promql_sample *s, size_t n, int64_t intercept_ms,
			      double *slope, double *intercept)
{
	double cnt = 0, sum_x = 0, c_x = 0, sum_y = 0, c_y = 0, sum_xy = 0, c_xy = 0, sum_x2 = 0,
	       c_x2 = 0;
	double init_y = s[0].v;
	bool const_y = true;
	for (size_t i = 0; i < n; i++) {
		if (const_y && i > 0 && s[i].v != init_y)
			const_y = false;
		cnt += 1.0;
		double x = (double)(s[i].t - intercept_ms) / 1e3;
		sum_x = promql_kahan_inc(x, sum_x, &c_x);
		sum_y = promql_kahan_inc(s[i].v, sum_y, &c_y);
		sum_xy = promql_kahan_inc(x * s[i].v, sum_xy, &c_xy);
		sum_x2 = promql_kahan_inc(x * x, sum_x2, &c_x2);
	}
	if (const_y) {
		if (isinf(init_y)) {
			*slope = NAN;
			*intercept = NAN;
		} else {
			*slope = 0;
			*intercept = init_y;
		}
		return;
	}
	sum_x += c_x;
	sum_y += c_y;
	sum_xy += c_xy;
	sum_x2 += c_x2;
	double cov_xy = sum_xy - sum_x * sum_y / cnt;
	double var_x = sum_x2 - sum_x * sum_x / cnt;
	*slope = cov_xy / var_x;
	*intercept = sum_y / cnt - *slope * sum_x / cnt;
}

bool promql_deriv(const struct promql_sample *s, size_t n, double *out)
{
	double slope, intercept;
	if (n < 2)
		return false;
	/* relative to the first sample, to keep x small and exact */
	promql_linear_regression(s, n, s[0].t, &slope, &intercept);
	*out = slope;
	return true;
}

bool promql_predict_linear(const struct promql_sample *s, size_t n, int64_t eval_ms, double seconds,
			   double *out)
{
	double slope, intercept;
	if (n < 2)
		return false;
	promql_linear_regression(s, n, eval_ms, &slope, &intercept);
	*out = slope * seconds + intercept;
	return true;
}

double promql_resets(const struct promql_sample *s, size_t n)
{
	size_t resets = 0;
	for (size_t i = 1; i < n; i++)
		if (s[i].v < s[i - 1].v)
			resets++;
	return (double)resets;
}

double promql_changes(const struct promql_sample *s, size_t n)
{
	size_t changes = 0;
	for (size_t i = 1; i < n; i++) {
		double cur = s[i].v, prev = s[i - 1].v;
		if (cur != prev && !(isnan(cur) && isnan(prev)))
			changes++;
	}
	return (double)changes;
}

double promql_avg_over_time(const struct promql_sample *s, size_t n)
{
	double mean = 0, c = 0, count = 0;
	for (size_t i = 0; i < n; i++) {
		double v = s[i].v;
		count++;
		if (isinf(mean)) {
			/* an infinite mean stays unless an opposite infinity or NaN comes */
			if (isinf(v) && (mean > 0) == (v > 0))
				continue;
			if (!isinf(v) && !isnan(v))
				continue;
		}
		mean = promql_kahan_inc(v / count - mean / count, mean, &c);
	}
	return isinf(mean) ? mean : mean + c;
}

double promql_sum_over_time(const struct promql_sample *s, size_t n)
{
	double sum = 0, c = 0;
	for (size_t i = 0; i < n; i++)
		sum = promql_kahan_inc(s[i].v, sum, &c);
	return isinf(sum) ? sum : sum + c;
}

double promql_min_over_time(const struct promql_sample *s, size_t n)
{
	double min = s[0].v;
	for (size_t i = 0; i < n; i++)
		if (s[i].v < min || isnan(min))
			min = s[i].v;
	return min;
}

double promql_max_over_time(const struct promql_sample *s, size_t n)
{
	double max = s[0].v;
	for (size_t i = 0; i < n; i++)
		if (s[i].v > max || isnan(max))
			max = s[i].v;
	return max;
}

/* Welford's running variance with compensated sums; returns the variance. */
static double variance_over_time(const struct promql_sample *s, size_t n)
{
	double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
	for (size_t i = 0; i < n; i++) {
		double v = s[i].v;
		count++;
		double delta = v - (mean + c_mean);
		mean = promql_kahan_inc(delta / count, mean, &c_mean);
		aux = promql_kahan_inc(delta * (v - (mean + c_mean)), aux, &c_aux);
	}
	return (aux + c_aux) / count;
}

double promql_stddev_over_time(const struct promql_sample *s, size_t n)
{
	return sqrt(variance_over_time(s, n));
}

double promql_stdvar_over_time(const struct promql_sample *s, size_t n)
{
	return variance_over_time(s, n);
}

static int cmp_nan_first(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	if (isnan(x))
		return isnan(y) ? 0 : -1;
	if (isnan(y))
		return 1;
	return x < y ? -1 : x > y ? 1 : 0;
}

double promql_quantile(double q, double *values, size_t n)
{
	if (n == 0 || isnan(q))
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	qsort(values, n, sizeof(double), cmp_nan_first);
	double cnt = (double)n;
	double rank = q * (cnt - 1);
	double lower = fmax(0, floor(rank));
	double upper = fmin(cnt - 1, lower + 1);
	double weight = rank - floor(rank);
	return values[(size_t)lower] * (1 - weight) + values[(size_t)upper] * weight;
}

double promql_quantile_over_time(double q, const struct promql_sample *s, size_t n, double *scratch)
{
	for (size_t i = 0; i < n; i++)
		scratch[i] = s[i].v;
	return promql_quantile(q, scratch, n);
}

void promql_go_format_f(double v, char *out, size_t cap)
{
	if (isnan(v))
		snprintf(out, cap, "NaN");
	else if (isinf(v))
		snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
	else
		snprintf(out, cap, "%f", v);
}

int promql_holt_winters(const struct promql_sample *s, size_t n, double sf, double tf, double *out,
			char *err, size_t errlen)
{
	char f[400];
	if (sf <= 0 || sf >= 1) {
		promql_go_format_f(sf, f, sizeof(f));
		snprintf(err, errlen, "invalid smoothing factor. Expected: 0 < sf < 1, got: %s", f);
		return -EINVAL;
	}
	if (tf <= 0 || tf >= 1) {
		promql_go_format_f(tf, f, sizeof(f));
		snprintf(err, errlen, "invalid trend factor. Expected: 0 < tf < 1, got: %s", f);
		return -EINVAL;
	}
	if (n < 2)
		return -ENODATA;
	double s0 = 0, s1 = s[0].v, b = s[1].v - s[0].v;
	for (size_t i = 1; i < n; i++) {
		double x = sf * s[i].v;
		/* the trend at this point; the first step keeps the initial trend */
		if (i > 1)
			b = tf * (s1 - s0) + (1 - tf) * b;
		double y = (1 - sf) * (s1 + b);
		s0 = s1;
		s1 = x + y;
	}
	*out = s1;
	return 0;
}

static int cmp_bucket(const void *a, const void *b)
{
	double x = ((const struct promql_bucket *)a)->upper;
	double y = ((const struct promql_bucket *)b)->upper;
	return x < y ? -1 : x > y ? 1 : 0;
}

double promql_bucket_quantile(double q, struct promql_bucket *b, size_t n)
{
	if (isnan(q))
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	if (n == 0)
		return NAN;
	qsort(b, n, sizeof(*b), cmp_bucket);
	if (!(isinf(b[n - 1].upper) && b[n - 1].upper > 0))
		return NAN;
	/* merge buckets with the same bound (e.g. from differently labelled series) */
	size_t m = 0;
	for (size_t i = 1; i < n; i++) {
		if (b[i].upper == b[m].upper)
			b[m].count += b[i].count;
		else
			b[++m] = b[i];
	}
	n = m + 1;
	/* cumulative counts must not decrease; scrapes racing updates can break that */
	double max = b[0].count;
	for (size_t i = 1; i < n; i++) {
		if (b[i].count > max)
			max = b[i].count;
		else if (b[i].count < max)
			b[i].count = max;
	}
	if (n < 2)
		return NAN;
	double observations = b[n - 1].count;
	if (observations == 0)
		return NAN;
	double rank = q * observations;
	/* first bucket (not counting +Inf) whose count reaches the rank */
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b[mid].count >= rank)
			hi = mid;
		else
			lo = mid + 1;
	}
	size_t i = lo;
	if (i == n - 1)
		return b[n - 2].upper;
	if (i == 0 && b[0].upper <= 0)
		return b[0].upper;
	double start = 0, end = b[i].upper, count = b[i].count;
	if (i > 0) {
		start = b[i - 1].upper;
		count -= b[i - 1].count;
		rank -= b[i - 1].count;
	}
	return start + (end - start) * (rank / count);
}

void promql_agg_init(struct promql_agg *a, enum promql_agg_op op, double first)
{
	a->op = op;
	a->value = first;
	a->mean = first;
	a->count = 1;
	switch (op) {
	case PROMQL_AGG_STDDEV:
	case PROMQL_AGG_STDVAR:
		a->value = 0;
		break;
	case PROMQL_AGG_COUNT:
	case PROMQL_AGG_GROUP:
		a->value = 1;
		break;
	default:
		break;
	}
}

void promql_agg_add(struct promql_agg *a, double v)
{
	switch (a->op) {
	case PROMQL_AGG_SUM:
		a->value += v;
		break;
	case PROMQL_AGG_AVG:
		a->count++;
		if (isinf(a->mean)) {
			if (isinf(v) && (a->mean > 0) == (v > 0))
				break;
			if (!isinf(v) && !isnan(v))
				break;
		}
		/* divide both terms to keep the sum from overflowing */
		a->mean += v / (double)a->count - a->mean / (double)a->count;
		break;
	case PROMQL_AGG_MAX:
		if (a->value < v || isnan(a->value))
			a->value = v;
		break;
	case PROMQL_AGG_MIN:
		if (a->value > v || isnan(a->value))
			a->value = v;
		break;
	case PROMQL_AGG_COUNT:
		a->count++;
		break;
	case PROMQL_AGG_GROUP:
		break;
	case PROMQL_AGG_STDDEV:
	case PROMQL_AGG_STDVAR: {
		a->count++;
		double delta = v - a->mean;
		a->mean += delta / (double)a->count;
		a->value += delta * (v - a->mean);
		break;
	}
	}
}

double promql_agg_result(const struct promql_agg *a)
{
	switch (a->op) {
	case PROMQL_AGG_AVG:
		return a->mean;
	case PROMQL_AGG_COUNT:
		return (double)a->count;
	case PROMQL_AGG_GROUP:
		return 1;
	case PROMQL_AGG_STDVAR:
		return a->value / (double)a->count;
	case PROMQL_AGG_STDDEV:
		return sqrt(a->value / (double)a->count);
	default:
		return a->value;
	}
}

static double fn_deg(double v)
{
	return v * 180 / M_PI;
}

static double fn_rad(double v)
{
	return v * M_PI / 180;
}

/* Go's math.Log10: the natural log scaled, not C's log10. */
static double fn_log10(double v)
{
	return log(v) * M_LOG10E; /* Go folds 1/Ln10 exactly: log10(e) */
}

/* Go's math.Log2: exact for powers of two, else the scaled log of the fraction. */
static double fn_log2(double v)
{
	int e;
	double frac = frexp(v, &e);
	if (frac == 0.5)
		return (double)(e - 1);
	return log(frac) * M_LOG2E + (double)e; /* 1/Ln2 = log2(e) */
}

static double fn_sgn(double v)
{
	if (v < 0)
		return -1;
	if (v > 0)
		return 1;
	return v;
}

static const struct {
	const char *name;
	double (*fn)(double);
} math_fns[] = {
	{"abs", fabs},	 {"ceil", ceil},    {"floor", floor},	 {"exp", exp},	   {"sqrt", sqrt},
	{"ln", log},	 {"log2", fn_log2}, {"log10", fn_log10}, {"sin", sin},	   {"cos", cos},
	{"tan", tan},	 {"asin", asin},    {"acos", acos},	 {"atan", atan},   {"sinh", sinh},
	{"cosh", cosh},	 {"tanh", tanh},    {"asinh", asinh},	 {"acosh", acosh}, {"atanh", atanh},
	{"deg", fn_deg}, {"rad", fn_rad},   {"sgn", fn_sgn},
};

bool promql_math_lookup(const char *name, double (**fn)(double))
{
	for (size_t i = 0; i < sizeof(math_fns) / sizeof(math_fns[0]); i++) {
		if (strcmp(math_fns[i].name, name) == 0) {
			*fn = math_fns[i].fn;
			return true;
		}
	}
	return false;
}

double promql_round(double v, double to_nearest)
{
	/* the inverse causes fewer floating point surprises (as Prometheus) */
	double inverse = 1.0 / to_nearest;
	return floor(v * inverse + 0.5) / inverse;
}

bool promql_clamp(double v, double min, double max, double *out)
{
	if (max < min)
		return false;
	*out = fmax(min, fmin(max, v));
	return true;
}

bool promql_date_lookup(const char *name, enum promql_date_part *part)
{
	static const char *const names[] = {
		[PROMQL_DATE_YEAR] = "year",
		[PROMQL_DATE_MONTH] = "month",
		[PROMQL_DATE_DAY_OF_MONTH] = "day_of_month",
		[PROMQL_DATE_DAY_OF_YEAR] = "day_of_year",
		[PROMQL_DATE_DAY_OF_WEEK] = "day_of_week",
		[PROMQL_DATE_DAYS_IN_MONTH] = "days_in_month",
		[PROMQL_DATE_HOUR] = "hour",
		[PROMQL_DATE_MINUTE] = "minute",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i], name) == 0) {
			*part = (enum promql_date_part)i;
			return true;
		}
	}
	return false;
}

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

double promql_date(enum promql_date_part part, double unix_seconds)
{
	static const unsigned days_before[12] = {0,   31,  59,	90,  120, 151,
						 181, 212, 243, 273, 304, 334};
	static const unsigned month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	/* Go's int64(float) truncates; out-of-range values become INT64_MIN on amd64 */
	int64_t secs = (isnan(unix_seconds) || unix_seconds >= 9223372036854775807.0 ||
			unix_seconds < -9223372036854775808.0)
			       ? INT64_MIN
			       : (int64_t)unix_seconds;
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	switch (part) {
	case PROMQL_DATE_YEAR:
		return (double)y;
	case PROMQL_DATE_MONTH:
		return m;
	case PROMQL_DATE_DAY_OF_MONTH:
		return d;
	case PROMQL_DATE_DAY_OF_YEAR:
		return days_before[m - 1] + d + (m > 2 && is_leap(y));
	case PROMQL_DATE_DAY_OF_WEEK: {
		/* 1970-01-01 was a Thursday (4) */
		int64_t w = (days + 4) % 7;
		return (double)(w < 0 ? w + 7 : w);
	}
	case PROMQL_DATE_DAYS_IN_MONTH:
		return month_days[m - 1] + (m == 2 && is_leap(y));
	case PROMQL_DATE_HOUR:
		return (double)(rem / 3600);
	case PROMQL_DATE_MINUTE:
		return (double)(rem % 3600 / 60);
	}
	return NAN;
}
