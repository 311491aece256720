// SPDX-License-Identifier: Apache-2.0
/*
 * The PromQL engine over a real TSDB opened in a temporary directory.
 *
 * Most cases live in tests/promql/testdata/ (files named .test), a small script format
 * modelled on the one Prometheus's promql tests use (cases transcribed by
 * hand from Prometheus 2.42's promql/testdata, plus our own):
 *
 *   load <interval>                 samples at 0, interval, 2*interval, ...
 *     <series> <values>             values: 1 2 _ stale NaN Inf 0+10x5 5-1x3 _x2 3x2
 *   eval instant at <duration> <query>
 *     <series> <value>              expected result (any order), or a bare
 *     <value>                       number for a scalar result
 *   eval_ordered instant at ...     the same, in this order
 *   eval_fail instant at ...        the query must fail
 *   clear                           a fresh database
 *
 * "a+bxn" is n+1 values a, a+b, ..., "axn" is a repeated n+1 times, "_"
 * is a missing sample, "_xn" n missing samples, "stale" a staleness marker.
 * Values compare within a relative 1e-6 (as Prometheus's tests), NaN equal
 * to NaN.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/promql/engine.h"
#include "server/promql/parser.h"
#include "server/tsdb/tsdb.h"

#define TESTDATA VIGIL_TEST_FIXTURES "/../promql/testdata"

static char dir[256];
static int ncases, nfailed;

static void rm_rf(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", path);
}

static struct tsdb *open_fresh(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-engine-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = dir;
	o.background_compaction = false;
	struct tsdb *db = NULL;
	cr_assert_eq(tsdb_open(&o, &db), 0);
	return db;
}

static void close_db(struct tsdb *db)
{
	tsdb_close(db);
	rm_rf(dir);
}

static int64_t parse_dur(const char *s)
{
	int64_t ms;
	char err[128];
	if (!strcmp(s, "0") || !strcmp(s, "0s"))
		return 0;
	cr_assert_eq(promql_parse_duration(s, strlen(s), &ms, err, sizeof(err)), 0,
		     "bad duration %s: %s", s, err);
	return ms;
}

static double parse_num(const char *s)
{
	if (!strcasecmp(s, "NaN"))
		return NAN;
	if (!strcasecmp(s, "Inf") || !strcasecmp(s, "+Inf"))
		return INFINITY;
	if (!strcasecmp(s, "-Inf"))
		return -INFINITY;
	char *end;
	double v = strtod(s, &end);
	cr_assert(end != s && !*end, "bad number '%s'", s);
	return v;
}

static double stale_nan(void)
{
	uint64_t b = 0x7ff0000000000002ULL;
	double v;
	memcpy(&v, &b, sizeof(v));
	return v;
}

/* One series line of a load block: append its samples. */
static void load_series(struct tsdb *db, char *line, int64_t interval)
{
	struct tsdb_label ls[TSDB_MAX_LABELS];
	char *rest;
	int n = labels_parse(line, ls, TSDB_MAX_LABELS, &rest);
	cr_assert(n >= 0, "bad series '%s'", line);
	struct tsdb_appender *a = tsdb_appender_new(db);
	cr_assert_not_null(a);
	int64_t i = 0;
	for (char *tok = strtok(rest, " \t"); tok; tok = strtok(NULL, " \t")) {
		char *x = strchr(tok, 'x');
		if (!strcmp(tok, "_")) {
			i++;
			continue;
		}
		if (!strcmp(tok, "stale")) {
			cr_assert_eq(tsdb_appender_add(a, ls, (size_t)n, i * interval, stale_nan()),
				     0);
			i++;
			continue;
		}
		if (x && strncasecmp(tok, "-Inf", 4) && strncasecmp(tok, "Inf", 3)) {
			*x = '\0';
			long times = atol(x + 1);
			if (!strcmp(tok, "_")) {
				i += times;
				continue;
			}
			/* a+b or a-b (the sign of a may lead) */
			char *op = NULL;
			for (char *p = tok + 1; *p; p++)
				if ((*p == '+' || *p == '-') && p[-1] != 'e' && p[-1] != 'E')
					op = p;
			double start, step = 0;
			if (op) {
				char c = *op;
				*op = '\0';
				start = parse_num(tok);
				step = parse_num(op + 1) * (c == '-' ? -1 : 1);
			} else {
				start = parse_num(tok);
			}
			for (long k = 0; k <= times; k++) {
				cr_assert_eq(tsdb_appender_add(a, ls, (size_t)n, i * interval,
							       start + step * (double)k),
					     0);
				i++;
			}
			continue;
		}
		cr_assert_eq(tsdb_appender_add(a, ls, (size_t)n, i * interval, parse_num(tok)), 0,
			     "append '%s'", tok);
		i++;
	}
	cr_assert_eq(tsdb_appender_commit(a), 0);
	tsdb_appender_free(a);
}

struct expect {
	char *labels; /* canonical {a="b", ...} form, or NULL for a scalar */
	double v;
	bool used;
};

static bool close_enough(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	if (a == b)
		return true;
	return fabs(a - b) <= 1e-6 * fmax(fabs(a), fabs(b));
}

static void canonical_labels(const struct tsdb_label *l, size_t n, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "{");
	for (size_t i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s=\"%s\"", i ? ", " : "", l[i].name,
				      l[i].value);
	if (o < cap)
		snprintf(out + o, cap - o, "}");
}

/* Run one eval and compare; logs and counts failures instead of aborting. */
static void run_eval(struct tsdb *db, const char *file, int lineno, const char *kind,
		     const char *query, int64_t t, struct expect *ex, size_t nex)
{
	struct promql_engine_opts o;
	promql_engine_opts_default(&o);
	struct promql_result *r = NULL;
	enum promql_errkind k;
	char err[512];
	ncases++;
	int rc = promql_exec(db, &o, query, false, t, t, 0, &r, &k, err, sizeof(err));
	bool want_fail = !strcmp(kind, "eval_fail");
	if (want_fail) {
		if (!rc) {
			cr_log_error("%s:%d: %s: expected an error", file, lineno, query);
			nfailed++;
		}
		promql_result_free(r);
		return;
	}
	if (rc) {
		cr_log_error("%s:%d: %s: error %s", file, lineno, query, err);
		nfailed++;
		return;
	}
	bool ok = true;
	if (r->type == PROMQL_TYPE_SCALAR) {
		ok = nex == 1 && !ex[0].labels && close_enough(ex[0].v, r->scalar);
		if (!ok)
			cr_log_error("%s:%d: %s: scalar %g", file, lineno, query, r->scalar);
	} else if (r->type == PROMQL_TYPE_VECTOR) {
		if (r->nseries != nex) {
			cr_log_error("%s:%d: %s: %zu series, expected %zu", file, lineno, query,
				     r->nseries, nex);
			ok = false;
		}
		for (size_t i = 0; ok && i < r->nseries; i++) {
			char got[2048];
			canonical_labels(r->series[i].labels, r->series[i].nlabels, got,
					 sizeof(got));
			bool found = false;
			for (size_t j = 0; j < nex && !found; j++) {
				if (ex[j].used || !ex[j].labels || strcmp(ex[j].labels, got))
					continue;
				if (!strcmp(kind, "eval_ordered") && j != i)
					continue;
				if (!close_enough(ex[j].v, r->series[i].points[0].v))
					continue;
				ex[j].used = true;
				found = true;
			}
			if (!found) {
				cr_log_error("%s:%d: %s: unexpected %s %.17g", file, lineno, query,
					     got, r->series[i].points[0].v);
				ok = false;
			}
		}
	} else {
		cr_log_error("%s:%d: %s: unexpected result type", file, lineno, query);
		ok = false;
	}
	if (!ok)
		nfailed++;
	promql_result_free(r);
}

/* Parse an expected line "{a="b"} 1" or "name{...} 1" or "1". */
static void parse_expect(char *line, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	bool scalar = isdigit((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.' ||
		      !strncasecmp(p, "NaN", 3) || !strncasecmp(p, "Inf", 3);
	if (scalar && !strchr(p, '{')) {
		char *end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		e->v = parse_num(p);
		return;
	}
	struct tsdb_label ls[TSDB_MAX_LABELS];
	char *rest;
	char *copy = strdup(p);
	int n = labels_parse(copy, ls, TSDB_MAX_LABELS, &rest);
	cr_assert(n >= 0, "bad expected line '%s'", line);
	char buf[2048];
	canonical_labels(ls, (size_t)n, buf, sizeof(buf));
	e->labels = strdup(buf);
	while (isspace((unsigned char)*rest))
		rest++;
	char *end = rest + strlen(rest);
	while (end > rest && isspace((unsigned char)end[-1]))
		*--end = '\0';
	e->v = parse_num(rest);
	free(copy);
}

static void run_file(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "open %s", path);
	struct tsdb *db = open_fresh();
	char line[8192];
	int lineno = 0;
	enum { NONE, LOAD, EVAL } mode = NONE;
	int64_t interval = 0, at = 0;
	char query[4096], kind[32];
	int eval_line = 0;
	struct expect ex[256];
	size_t nex = 0;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	for (;;) {
		char *got = fgets(line, sizeof(line), f);
		if (got) {
			lineno++;
			line[strcspn(line, "\n")] = '\0';
		}
		bool indented = got && (line[0] == ' ' || line[0] == '\t');
		if (mode == EVAL && (!got || !indented)) {
			run_eval(db, base, eval_line, kind, query, at, ex, nex);
			for (size_t i = 0; i < nex; i++)
				free(ex[i].labels);
			nex = 0;
			mode = NONE;
		}
		if (!got)
			break;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (indented) {
			if (mode == LOAD)
				load_series(db, p, interval);
			else if (mode == EVAL && nex < 256)
				parse_expect(p, &ex[nex++]);
			continue;
		}
		if (!strncmp(p, "load ", 5)) {
			interval = parse_dur(p + 5);
			mode = LOAD;
		} else if (!strcmp(p, "clear")) {
			close_db(db);
			db = open_fresh();
			mode = NONE;
		} else if (!strncmp(p, "eval", 4)) {
			char when[64];
			int used = 0;
			cr_assert(sscanf(p, "%31s instant at %63s %n", kind, when, &used) == 2 &&
					  used,
				  "%s:%d: bad eval line", base, lineno);
			at = parse_dur(when);
			snprintf(query, sizeof(query), "%s", p + used);
			eval_line = lineno;
			mode = EVAL;
		} else {
			cr_assert_fail("%s:%d: unknown command '%s'", base, lineno, p);
		}
	}
	fclose(f);
	close_db(db);
}

Test(engine, testdata_files)
{
	DIR *d = opendir(TESTDATA);
	cr_assert_not_null(d, "open %s", TESTDATA);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".test"))
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", TESTDATA, e->d_name);
		run_file(path);
		files++;
	}
	closedir(d);
	cr_log_info("%d files, %d cases, %d failed", files, ncases, nfailed);
	cr_expect(files > 0);
	cr_expect(ncases > 50, "only %d cases ran", ncases);
	cr_expect_eq(nfailed, 0, "%d of %d cases failed", nfailed, ncases);
}

/* Range queries step by step, and the limits. */
Test(engine, range_and_limits)
{
	struct tsdb *db = open_fresh();
	char series[] = "m{a=\"1\"} 0+1x100";
	load_series(db, series, 10000);
	char series2[] = "m{a=\"2\"} 0+2x50 stale";
	load_series(db, series2, 10000);
	struct promql_engine_opts o;
	promql_engine_opts_default(&o);
	struct promql_result *r = NULL;
	enum promql_errkind k;
	char err[512];

	cr_assert_eq(
		promql_exec(db, &o, "sum(m)", true, 0, 1000000, 100000, &r, &k, err, sizeof(err)),
		0, "%s", err);
	cr_assert_eq(r->type, PROMQL_TYPE_MATRIX);
	cr_assert_eq(r->nseries, 1);
	cr_assert_eq(r->series[0].npoints, 11);
	/* at 500s m{a="1"} = 50, m{a="2"} = 100 */
	cr_expect_float_eq(r->series[0].points[5].v, 150, 1e-9);
	/* after 510s the second series is stale */
	cr_expect_float_eq(r->series[0].points[6].v, 60, 1e-9);
	promql_result_free(r);

	/* a series that ends with a staleness marker vanishes at once */
	cr_assert_eq(
		promql_exec(db, &o, "m{a=\"2\"}", false, 515000, 0, 0, &r, &k, err, sizeof(err)),
		0);
	cr_expect_eq(r->nseries, 0);
	promql_result_free(r);

	/* the sample limit */
	o.max_samples = 50;
	cr_expect_neq(promql_exec(db, &o, "m", true, 0, 1000000, 10000, &r, &k, err, sizeof(err)),
		      0);
	cr_expect_eq(k, PROMQL_ERR_EXECUTION);
	cr_expect_str_eq(
		err, "query processing would load too many samples into memory in query execution");

	/* the deadline */
	promql_engine_opts_default(&o);
	o.timeout_ms = 1;
	/* half a million subquery steps take well over a millisecond */
	int rc = promql_exec(db, &o, "count_over_time(m[1h:10ms])", true, 0, 1000000, 1000, &r, &k,
			     err, sizeof(err));
	cr_expect_neq(rc, 0);
	cr_expect_eq(k, PROMQL_ERR_TIMEOUT);
	cr_expect_str_eq(err, "query timed out in expression evaluation");
	if (!rc)
		promql_result_free(r);

	/* range query of a range vector */
	promql_engine_opts_default(&o);
	cr_expect_neq(promql_exec(db, &o, "m[5m]", true, 0, 1000, 10, &r, &k, err, sizeof(err)), 0);
	cr_expect_eq(k, PROMQL_ERR_BAD_DATA);
	close_db(db);
}
