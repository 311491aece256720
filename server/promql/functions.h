/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storage-independent PromQL evaluation kernels: the arithmetic of
 * Prometheus 2.42's functions and aggregations over plain arrays, so the
 * evaluator only has to select samples and build label sets.
 *
 * Samples are (timestamp in ms, value) pairs sorted by time, as a range
 * selector yields them: every sample in [t - range - offset, t - offset],
 * both ends inclusive (Prometheus 2.x).  Functions that can yield "no
 * result" (Prometheus drops the series) return false and leave *out alone.
 * Nothing here allocates except where a scratch buffer is documented as
 * caller-provided; nothing aborts.
 */
#ifndef VIGIL_SERVER_PROMQL_FUNCTIONS_H
#define VIGIL_SERVER_PROMQL_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct promql_sample {
	int64_t t; /* milliseconds since the epoch */
	double v;
};

/* One classic-histogram bucket: its le bound and cumulative count. */
struct promql_bucket {
	double upper;
	double count;
};

/* Kahan-Neumaier summation step: returns the new sum, updates *c. */
double promql_kahan_inc(double inc, double sum, double *c);

/*
 * rate(), increase() and delta(): Prometheus's extrapolatedRate.  The range
 * is [range_start_ms, range_end_ms] (evaluation time minus range and
 * offset); is_counter handles resets and the zero floor (rate, increase),
 * is_rate divides by the range (rate).  False with fewer than 2 samples.
 */
bool promql_extrapolated_rate(const struct promql_sample *s, size_t n, int64_t range_start_ms,
			      int64_t range_end_ms, bool is_counter, bool is_rate, double *out);
/* irate() (is_rate) and idelta(): from the last two samples. */
bool promql_instant_value(const struct promql_sample *s, size_t n, bool is_rate, double *out);

/*
 * Least-squares fit of the samples with x in seconds relative to
 * intercept_ms, as Prometheus's linearRegression (constant series: slope 0,
 * or NaN for an infinite constant).  n must be >= 1.
 */
void promql_linear_regression(const struct promql_sample *s, size_t n, int64_t intercept_ms,
			      double *slope, double *intercept);
/* deriv(): the slope; false with fewer than 2 samples. */
bool promql_deriv(const struct promql_sample *s, size_t n, double *out);
/* predict_linear(): the value at eval_ms + seconds; false with fewer than 2 samples. */
bool promql_predict_linear(const struct promql_sample *s, size_t n, int64_t eval_ms, double seconds,
			   double *out);

/* resets() and changes(); n must be >= 1. */
double promql_resets(const struct promql_sample *s, size_t n);
double promql_changes(const struct promql_sample *s, size_t n);

/* The *_over_time functions; n must be >= 1. */
double promql_avg_over_time(const struct promql_sample *s, size_t n);
double promql_sum_over_time(const struct promql_sample *s, size_t n);
double promql_min_over_time(const struct promql_sample *s, size_t n);
double promql_max_over_time(const struct promql_sample *s, size_t n);
double promql_stddev_over_time(const struct promql_sample *s, size_t n);
double promql_stdvar_over_time(const struct promql_sample *s, size_t n);
/* quantile_over_time(); scratch holds n doubles. */
double promql_quantile_over_time(double q, const struct promql_sample *s, size_t n,
				 double *scratch);

/*
 * holt_winters(s, sf, tf): 0 and the smoothed value; -ENODATA with fewer
 * than 2 samples; -EINVAL with Prometheus's message in err when a factor
 * is not in (0, 1).
 */
int promql_holt_winters(const struct promql_sample *s, size_t n, double sf, double tf, double *out,
			char *err, size_t errlen);

/*
 * The q-quantile of values (quantile aggregation, quantile_over_time):
 * sorts values in place, NaN first, and interpolates between neighbours.
 */
double promql_quantile(double q, double *values, size_t n);

/*
 * histogram_quantile() over classic buckets, Prometheus's bucketQuantile:
 * sorts and merges buckets of equal bounds in place, forces cumulative
 * counts to be monotonic, needs a +Inf bucket.
 */
double promql_bucket_quantile(double q, struct promql_bucket *b, size_t n);

/* Aggregation operators that fold values one at a time. */
enum promql_agg_op {
	PROMQL_AGG_SUM,
	PROMQL_AGG_AVG,
	PROMQL_AGG_MIN,
	PROMQL_AGG_MAX,
	PROMQL_AGG_COUNT,
	PROMQL_AGG_GROUP,
	PROMQL_AGG_STDDEV,
	PROMQL_AGG_STDVAR,
};

struct promql_agg {
	enum promql_agg_op op;
	double value, mean;
	uint64_t count;
};

/* Start a group with its first value, then add the others in input order. */
void promql_agg_init(struct promql_agg *a, enum promql_agg_op op, double first);
void promql_agg_add(struct promql_agg *a, double v);
double promql_agg_result(const struct promql_agg *a);

/* Per-element functions (abs, ceil, ..., deg, rad, sgn) by name; false if unknown. */
bool promql_math_lookup(const char *name, double (**fn)(double));
/* round(v, to_nearest) as Prometheus: ties round up. */
double promql_round(double v, double to_nearest);
/* clamp(v, min, max); false (no result) when max < min. */
bool promql_clamp(double v, double min, double max, double *out);

enum promql_date_part {
	PROMQL_DATE_YEAR,
	PROMQL_DATE_MONTH,
	PROMQL_DATE_DAY_OF_MONTH,
	PROMQL_DATE_DAY_OF_YEAR,
	PROMQL_DATE_DAY_OF_WEEK,
	PROMQL_DATE_DAYS_IN_MONTH,
	PROMQL_DATE_HOUR,
	PROMQL_DATE_MINUTE,
};

/* year(), month(), ... of a unix time in seconds (truncated like Go's int64()), UTC. */
double promql_date(enum promql_date_part part, double unix_seconds);
/* The part a date function (year, month, ..., minute) returns, by name; false if unknown. */
bool promql_date_lookup(const char *name, enum promql_date_part *part);

/* Go's %f of v into out (size cap): NaN, +Inf and -Inf spelled as Go spells them. */
void promql_go_format_f(double v, char *out, size_t cap);

#endif
