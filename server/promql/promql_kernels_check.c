// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-promql-kernels: run the evaluation kernels of functions.h on
 * samples given on stdin, for the differential test against Prometheus.
 *
 * One request per line, numbers as C's strtod reads them ("NaN", "+Inf"):
 *   R <fn> <start_ms> <end_ms> <eval_ms> <arg1> <arg2> <n> <t> <v> ...
 *        range functions: rate increase delta irate idelta deriv
 *        predict_linear (arg1 seconds) resets changes avg_over_time
 *        sum_over_time min_over_time max_over_time count_over_time
 *        stddev_over_time stdvar_over_time last_over_time
 *        quantile_over_time (arg1 q) holt_winters (arg1 sf, arg2 tf)
 *   H <q> <n> <le> <count> ...           histogram_quantile over buckets
 *   A <op> <param> <n> <v> ...           sum avg min max count group
 *                                        stddev stdvar quantile (param q)
 *   M <fn> <arg> <v>                     abs ... sgn, round (arg), year ...
 * and one answer line: the value as "%.17g" ("NaN", "+Inf", "-Inf"),
 * "none" when the function yields no sample, or "error <message>".
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/promql/functions.h"

static void put(double v)
{
	if (isnan(v))
		puts("NaN");
	else if (isinf(v))
		puts(v > 0 ? "+Inf" : "-Inf");
	else
		printf("%.17g\n", v);
}

static int range_fn(const char *fn, char **p)
{
	int64_t start = strtoll(*p, p, 10), end = strtoll(*p, p, 10), eval = strtoll(*p, p, 10);
	double a1 = strtod(*p, p), a2 = strtod(*p, p);
	size_t n = strtoul(*p, p, 10);
	struct promql_sample *s = calloc(n ? n : 1, sizeof(*s));
	double *scratch = calloc(n ? n : 1, sizeof(double));
	double out = 0;
	bool ok = true;
	int rc = 0;
	if (!s || !scratch) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		s[i].t = strtoll(*p, p, 10);
		s[i].v = strtod(*p, p);
	}
	if (n == 0) {
		puts("none");
		goto out;
	}
	if (!strcmp(fn, "rate"))
		ok = promql_extrapolated_rate(s, n, start, end, true, true, &out);
	else if (!strcmp(fn, "increase"))
		ok = promql_extrapolated_rate(s, n, start, end, true, false, &out);
	else if (!strcmp(fn, "delta"))
		ok = promql_extrapolated_rate(s, n, start, end, false, false, &out);
	else if (!strcmp(fn, "irate"))
		ok = promql_instant_value(s, n, true, &out);
	else if (!strcmp(fn, "idelta"))
		ok = promql_instant_value(s, n, false, &out);
	else if (!strcmp(fn, "deriv"))
		ok = promql_deriv(s, n, &out);
	else if (!strcmp(fn, "predict_linear"))
		ok = promql_predict_linear(s, n, eval, a1, &out);
	else if (!strcmp(fn, "resets"))
		out = promql_resets(s, n);
	else if (!strcmp(fn, "changes"))
		out = promql_changes(s, n);
	else if (!strcmp(fn, "avg_over_time"))
		out = promql_avg_over_time(s, n);
	else if (!strcmp(fn, "sum_over_time"))
		out = promql_sum_over_time(s, n);
	else if (!strcmp(fn, "min_over_time"))
		out = promql_min_over_time(s, n);
	else if (!strcmp(fn, "max_over_time"))
		out = promql_max_over_time(s, n);
	else if (!strcmp(fn, "count_over_time"))
		out = (double)n;
	else if (!strcmp(fn, "last_over_time"))
		out = s[n - 1].v;
	else if (!strcmp(fn, "stddev_over_time"))
		out = promql_stddev_over_time(s, n);
	else if (!strcmp(fn, "stdvar_over_time"))
		out = promql_stdvar_over_time(s, n);
	else if (!strcmp(fn, "quantile_over_time"))
		out = promql_quantile_over_time(a1, s, n, scratch);
	else if (!strcmp(fn, "holt_winters")) {
		char err[256];
		int r = promql_holt_winters(s, n, a1, a2, &out, err, sizeof(err));
		if (r == -EINVAL) {
			printf("error %s\n", err);
			goto out;
		}
		ok = r == 0;
	} else {
		printf("error unknown function %s\n", fn);
		goto out;
	}
	if (ok)
		put(out);
	else
		puts("none");
out:
	free(s);
	free(scratch);
	return rc;
}

static int histogram(char **p)
{
	double q = strtod(*p, p);
	size_t n = strtoul(*p, p, 10);
	struct promql_bucket *b = calloc(n ? n : 1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		b[i].upper = strtod(*p, p);
		b[i].count = strtod(*p, p);
	}
	put(promql_bucket_quantile(q, b, n));
	free(b);
	return 0;
}

static int aggregate(const char *op, char **p)
{
	static const struct {
		const char *name;
		enum promql_agg_op op;
	} ops[] = {
		{"sum", PROMQL_AGG_SUM},       {"avg", PROMQL_AGG_AVG},
		{"min", PROMQL_AGG_MIN},       {"max", PROMQL_AGG_MAX},
		{"count", PROMQL_AGG_COUNT},   {"group", PROMQL_AGG_GROUP},
		{"stddev", PROMQL_AGG_STDDEV}, {"stdvar", PROMQL_AGG_STDVAR},
	};
	double param = strtod(*p, p);
	size_t n = strtoul(*p, p, 10);
	double *v = calloc(n ? n : 1, sizeof(double));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = strtod(*p, p);
	if (!strcmp(op, "quantile")) {
		put(promql_quantile(param, v, n));
		free(v);
		return 0;
	}
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		if (strcmp(ops[k].name, op) != 0)
			continue;
		struct promql_agg a;
		promql_agg_init(&a, ops[k].op, v[0]);
		for (size_t i = 1; i < n; i++)
			promql_agg_add(&a, v[i]);
		put(promql_agg_result(&a));
		free(v);
		return 0;
	}
	printf("error unknown aggregation %s\n", op);
	free(v);
	return 0;
}

static void math_fn(const char *fn, char **p)
{
	double arg = strtod(*p, p), v = strtod(*p, p), (*f)(double);
	enum promql_date_part part;
	if (!strcmp(fn, "round"))
		put(promql_round(v, arg));
	else if (promql_date_lookup(fn, &part))
		put(promql_date(part, v));
	else if (promql_math_lookup(fn, &f))
		put(f(v));
	else
		printf("error unknown function %s\n", fn);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, stdin) >= 0) {
		char kind[8], fn[64];
		int used = 0;
		if (sscanf(line, "%7s %63s %n", kind, fn, &used) < 2) {
			puts("error bad request");
			continue;
		}
		char *p = line + used;
		if (!strcmp(kind, "R")) {
			rc = range_fn(fn, &p);
		} else if (!strcmp(kind, "H")) {
			p = line + 2;
			rc = histogram(&p);
		} else if (!strcmp(kind, "A")) {
			rc = aggregate(fn, &p);
		} else if (!strcmp(kind, "M")) {
			math_fn(fn, &p);
		} else {
			puts("error bad request");
		}
		fflush(stdout);
	}
	free(line);
	return rc < 0 ? 1 : 0;
}
