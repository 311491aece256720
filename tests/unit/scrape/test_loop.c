// SPDX-License-Identifier: Apache-2.0
/*
 * The append path of a scrape (server/scrape/loop.c) against a real TSDB in
 * a temporary directory: target labels, honor_labels, exported_ renames,
 * metric relabeling, limits, timestamps, staleness markers, the synthetic
 * series, the series cache, and all-or-nothing appends.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "server/scrape/config.h"
#include "server/scrape/loop.h"
#include "server/tsdb/tsdb.h"

static char dir[64];
static struct tsdb *db;
static struct tsdb_appender *app;
static struct scrape_config *cfg;

static void setup_db(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-loop-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = dir;
	o.background_compaction = false;
	cr_assert_eq(tsdb_open(&o, &db), 0);
	app = tsdb_appender_new(db);
	cr_assert_not_null(app);
}

static void teardown_db(void)
{
	tsdb_appender_free(app);
	tsdb_close(db);
	scrape_config_free(cfg);
	cfg = NULL;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(loop, .init = setup_db, .fini = teardown_db);

/* A loop for the first job of yaml, target labels job/instance plus extra pairs. */
static struct scrape_loop *new_loop(const char *yaml, const char *const *extra)
{
	char err[512];
	cr_assert_eq(scrape_config_load_string(yaml, strlen(yaml), "t.yml", &cfg, err, sizeof(err)),
		     0, "%s", err);
	struct lset t = LSET_INIT;
	lset_set(&t, "job", cfg->jobs[0].job_name);
	lset_set(&t, "instance", "h:1");
	lset_set(&t, "__address__", "h:1");
	for (size_t i = 0; extra && extra[i]; i += 2)
		lset_set(&t, extra[i], extra[i + 1]);
	struct scrape_loop *l = scrape_loop_new(&cfg->jobs[0], &t);
	lset_free(&t);
	return l;
}

static int scrape(struct scrape_loop *l, const char *body, int64_t ts, struct scrape_counts *c,
		  char *err, size_t errlen)
{
	char *copy = strdup(body);
	int rc = scrape_loop_append(l, app, copy, strlen(copy), ts, c, err, errlen);
	if (rc == 0) {
		scrape_loop_append_report(l, app, ts, true, 0.5, c);
		cr_assert_eq(tsdb_appender_commit(app), 0);
	} else {
		tsdb_appender_rollback(app);
		scrape_loop_append_stale(l, app, ts);
		scrape_loop_append_report(l, app, ts, false, 0.5, c);
		cr_assert_eq(tsdb_appender_commit(app), 0);
	}
	free(copy);
	return rc;
}

/* The series matching sel, each formatted "{labels}" with its samples "t=v" appended. */
static char *dump(const char *sel)
{
	struct tsdb_matcher *ms;
	size_t nm;
	char err[256];
	cr_assert_eq(tsdb_parse_selector(sel, &ms, &nm, err, sizeof(err)), 0, "%s", err);
	struct tsdb_querier *q;
	cr_assert_eq(tsdb_querier_new(db, 0, INT64_MAX / 2, &q), 0);
	struct tsdb_series_set *set;
	cr_assert_eq(tsdb_querier_select(q, ms, nm, &set), 0);
	struct buf out = BUF_INIT;
	buf_puts(&out, "");
	for (size_t i = 0; i < tsdb_series_set_len(set); i++) {
		size_t n;
		const struct tsdb_label *ls = tsdb_series_labels(set, i, &n);
		buf_putc(&out, '{');
		for (size_t k = 0; k < n; k++)
			buf_printf(&out, "%s%s=%s", k ? "," : "", ls[k].name, ls[k].value);
		buf_putc(&out, '}');
		struct tsdb_iter *it;
		cr_assert_eq(tsdb_series_iter(set, i, &it), 0);
		int64_t t;
		double v;
		while (tsdb_iter_next(it, &t, &v) == 1) {
			if (scrape_is_stale_nan(v))
				buf_printf(&out, " %lld=stale", (long long)t);
			else
				buf_printf(&out, " %lld=%g", (long long)t, v);
		}
		tsdb_iter_free(it);
		buf_putc(&out, '\n');
	}
	tsdb_series_set_free(set);
	tsdb_querier_free(q);
	for (size_t i = 0; i < nm; i++)
		tsdb_matcher_free(&ms[i]);
	free(ms);
	return buf_detach(&out, NULL);
}

#define EXPECT_DUMP(sel, want)                                                                     \
	do {                                                                                       \
		char *got_ = dump(sel);                                                            \
		cr_assert_str_eq(got_, want);                                                      \
		free(got_);                                                                        \
	} while (0)

static const char *const BASIC = "scrape_configs:\n  - job_name: j\n";

Test(loop, target_labels_and_report_series)
{
	struct scrape_loop *l = new_loop(BASIC, (const char *const[]){"env", "prod", NULL});
	struct scrape_counts c;
	char err[256];
	cr_assert_eq(scrape(l, "# TYPE a counter\na{x=\"1\"} 5\nb 2\n", 1000, &c, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.scraped, 2);
	cr_assert_eq(c.post_relabel, 2);
	cr_assert_eq(c.added, 2);
	EXPECT_DUMP("a", "{__name__=a,env=prod,instance=h:1,job=j,x=1} 1000=5\n");
	EXPECT_DUMP("up", "{__name__=up,env=prod,instance=h:1,job=j} 1000=1\n");
	EXPECT_DUMP("scrape_samples_scraped",
		    "{__name__=scrape_samples_scraped,env=prod,instance=h:1,job=j} 1000=2\n");
	EXPECT_DUMP("scrape_series_added",
		    "{__name__=scrape_series_added,env=prod,instance=h:1,job=j} 1000=2\n");
	EXPECT_DUMP("scrape_duration_seconds",
		    "{__name__=scrape_duration_seconds,env=prod,instance=h:1,job=j} 1000=0.5\n");
	/* steady state: cache hits, nothing added */
	cr_assert_eq(scrape(l, "# TYPE a counter\na{x=\"1\"} 6\nb 2\n", 2000, &c, err, sizeof(err)),
		     0);
	cr_assert_eq(c.added, 0);
	cr_assert_eq(scrape_loop_cache_size(l), 2);
	scrape_loop_free(l);
}

Test(loop, exported_and_honor_labels)
{
	struct scrape_loop *l = new_loop(BASIC, NULL);
	struct scrape_counts c;
	char err[256];
	cr_assert_eq(scrape(l, "m{job=\"in\",exported_job=\"pre\",instance=\"\"} 1\n", 1000, &c,
			    err, sizeof(err)),
		     0, "%s", err);
	/* exported_job is taken by the exposed labels: exported_exported_job; an empty value is
	 * absent */
	EXPECT_DUMP("m", "{__name__=m,exported_exported_job=in,exported_job=pre,instance=h:1,job=j}"
			 " 1000=1\n");
	scrape_loop_free(l);
	scrape_config_free(cfg);
	cfg = NULL;
	l = new_loop("scrape_configs:\n  - job_name: j\n    honor_labels: true\n", NULL);
	cr_assert_eq(scrape(l, "n{job=\"in\"} 1\n", 1000, &c, err, sizeof(err)), 0);
	EXPECT_DUMP("n", "{__name__=n,instance=h:1,job=in} 1000=1\n");
	scrape_loop_free(l);
}

Test(loop, metric_relabeling_drops_and_rewrites)
{
	struct scrape_loop *l = new_loop(
		"scrape_configs:\n  - job_name: j\n    metric_relabel_configs:\n"
		"      - source_labels: [__name__]\n        regex: drop_.*\n        action: drop\n"
		"      - source_labels: [a]\n        target_label: b\n        replacement: x$1\n",
		NULL);
	struct scrape_counts c;
	char err[256];
	cr_assert_eq(scrape(l, "drop_me 1\nkeep{a=\"1\"} 2\n", 1000, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.scraped, 2);
	cr_assert_eq(c.post_relabel, 1);
	EXPECT_DUMP("{__name__=~\"drop_me|keep\"}",
		    "{__name__=keep,a=1,b=x1,instance=h:1,job=j} 1000=2\n");
	EXPECT_DUMP("scrape_samples_post_metric_relabeling",
		    "{__name__=scrape_samples_post_metric_relabeling,instance=h:1,job=j} 1000=1\n");
	scrape_loop_free(l);
}

Test(loop, staleness_for_vanished_series)
{
	struct scrape_loop *l = new_loop(BASIC, NULL);
	struct scrape_counts c;
	char err[256];
	cr_assert_eq(scrape(l, "a 1\nb 1\nc 1 500\n", 1000, &c, err, sizeof(err)), 0);
	cr_assert_eq(scrape(l, "a 2\n", 2000, &c, err, sizeof(err)), 0);
	EXPECT_DUMP("a", "{__name__=a,instance=h:1,job=j} 1000=1 2000=2\n");
	EXPECT_DUMP("b", "{__name__=b,instance=h:1,job=j} 1000=1 2000=stale\n");
	/* a series with an explicit timestamp is not tracked for staleness */
	EXPECT_DUMP("c", "{__name__=c,instance=h:1,job=j} 500=1\n");
	/* one marker only, and a failing scrape marks everything of the last good one */
	cr_assert_eq(scrape(l, "a 3\n", 3000, &c, err, sizeof(err)), 0);
	cr_assert_eq(scrape(l, "a 4\nbad line\n", 4000, &c, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "line 2"), "%s", err);
	EXPECT_DUMP("b", "{__name__=b,instance=h:1,job=j} 1000=1 2000=stale\n");
	/* nothing of the failed scrape (a=4) was appended */
	EXPECT_DUMP("a", "{__name__=a,instance=h:1,job=j} 1000=1 2000=2 3000=3 4000=stale\n");
	EXPECT_DUMP("up", "{__name__=up,instance=h:1,job=j} 1000=1 2000=1 3000=1 4000=0\n");
	/* back up: the series starts again, no second marker */
	cr_assert_eq(scrape(l, "a 5\n", 5000, &c, err, sizeof(err)), 0);
	EXPECT_DUMP("a",
		    "{__name__=a,instance=h:1,job=j} 1000=1 2000=2 3000=3 4000=stale 5000=5\n");
	/* removal: everything of the target, synthetic series included, goes stale */
	scrape_loop_append_stale(l, app, 6000);
	scrape_loop_append_report_stale(l, app, 6000);
	cr_assert_eq(tsdb_appender_commit(app), 0);
	EXPECT_DUMP("a", "{__name__=a,instance=h:1,job=j} 1000=1 2000=2 3000=3 4000=stale 5000=5 "
			 "6000=stale\n");
	EXPECT_DUMP(
		"up",
		"{__name__=up,instance=h:1,job=j} 1000=1 2000=1 3000=1 4000=0 5000=1 6000=stale\n");
	scrape_loop_free(l);
}

Test(loop, timestamps_honoured_or_not)
{
	struct scrape_loop *l =
		new_loop("scrape_configs:\n  - job_name: j\n    honor_timestamps: false\n", NULL);
	struct scrape_counts c;
	char err[256];
	cr_assert_eq(scrape(l, "a 1 500\n", 1000, &c, err, sizeof(err)), 0);
	EXPECT_DUMP("a", "{__name__=a,instance=h:1,job=j} 1000=1\n");
	scrape_loop_free(l);
}

Test(loop, limits)
{
	struct scrape_loop *l = new_loop(
		"scrape_configs:\n  - job_name: j\n    sample_limit: 2\n    label_limit: 4\n",
		NULL);
	struct scrape_counts c;
	char err[256];
	cr_assert_eq(scrape(l, "a 1\nb 1\nc 1\n", 1000, &c, err, sizeof(err)), -ERANGE);
	cr_assert_str_eq(err, "sample limit exceeded");
	cr_assert(c.sample_limit_exceeded);
	EXPECT_DUMP("{__name__=~\"a|b|c\"}", "");
	EXPECT_DUMP("up", "{__name__=up,instance=h:1,job=j} 1000=0\n");
	cr_assert_eq(scrape(l, "a{x=\"1\",y=\"2\"} 1\n", 2000, &c, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "label_limit exceeded (metric: a, number of labels: 5, limit: 4)");
	cr_assert_eq(scrape(l, "a{x=\"1\"} 1\n", 3000, &c, err, sizeof(err)), 0, "%s", err);
	scrape_loop_free(l);
}

Test(loop, garbage_bodies_fail_whole)
{
	static const char *const bad[] = {
		"a 1\nb{ 2\n",
		"a 1\r\n",
		"a one\n",
		"a 1\na{} 2 3 4\n",
		"# TYPE a counter\n# TYPE a gauge\na 1\n",
		"a{__name__=\"x\"} 1\n",
		"a 1\nb 2",
		"a{x=\"\\q\"} 1\n",
		"\xff 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct scrape_loop *l = new_loop(BASIC, NULL);
		struct scrape_counts c;
		char err[256];
		cr_assert_lt(scrape(l, bad[i], 1000 + (int64_t)i, &c, err, sizeof(err)), 0,
			     "body %zu", i);
		cr_assert(err[0], "body %zu has an error text", i);
		scrape_loop_free(l);
		scrape_config_free(cfg);
		cfg = NULL;
	}
	EXPECT_DUMP("{__name__=~\"a|b\"}", "");
}

Test(loop, stale_nan_bits)
{
	double v = scrape_stale_nan();
	cr_assert(isnan(v));
	cr_assert(scrape_is_stale_nan(v));
	cr_assert_not(scrape_is_stale_nan(NAN));
}

/*
 * The series cache: lines in a new order, new lines in between, eviction
 * after two scrapes without a line and its return, and a cache that
 * outgrows its index, all land on the right series (added counts series
 * new to the cache).
 */
Test(loop, series_cache_order_eviction_and_growth)
{
	struct scrape_loop *l = new_loop(BASIC, NULL);
	struct scrape_counts c;
	char err[256];
	cr_assert_eq(scrape(l, "a 1\nb 1\nc 1\n", 1000, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.added, 3);
	cr_assert_eq(scrape(l, "c 2\nb 2\na 2\n", 2000, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.added, 0);
	cr_assert_eq(scrape(l, "a 3\nx{k=\"v\"} 3\nb 3\nc 3\n", 3000, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.added, 1);
	EXPECT_DUMP("a", "{__name__=a,instance=h:1,job=j} 1000=1 2000=2 3000=3\n");
	EXPECT_DUMP("c", "{__name__=c,instance=h:1,job=j} 1000=1 2000=2 3000=3\n");
	EXPECT_DUMP("x", "{__name__=x,instance=h:1,job=j,k=v} 3000=3\n");
	/* b goes away for long enough to be evicted, then comes back */
	for (int i = 4; i <= 7; i++) {
		char body[64];
		snprintf(body, sizeof(body), "a %d\nc %d\nx{k=\"v\"} %d\n", i, i, i);
		cr_assert_eq(scrape(l, body, i * 1000, &c, err, sizeof(err)), 0);
	}
	cr_assert_eq(scrape_loop_cache_size(l), 3, "b evicted");
	cr_assert_eq(scrape(l, "b 8\na 8\nc 8\nx{k=\"v\"} 8\n", 8000, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.added, 1);
	EXPECT_DUMP("b",
		    "{__name__=b,instance=h:1,job=j} 1000=1 2000=2 3000=3 4000=stale 8000=8\n");
	/* many new series at once: the index grows under the entries */
	struct buf body = BUF_INIT;
	for (int i = 0; i < 500; i++)
		buf_printf(&body, "m{i=\"%d\"} %d\n", i, i);
	buf_puts(&body, "a 9\n");
	cr_assert_eq(scrape(l, body.data, 9000, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.added, 500);
	cr_assert_eq(c.appended, 501);
	cr_assert_eq(scrape(l, body.data, 10000, &c, err, sizeof(err)), 0);
	cr_assert_eq(c.added, 0);
	cr_assert_eq(c.appended, 501);
	buf_free(&body);
	EXPECT_DUMP("m{i=\"417\"}", "{__name__=m,i=417,instance=h:1,job=j} 9000=417 10000=417\n");
	EXPECT_DUMP("a", "{__name__=a,instance=h:1,job=j} 1000=1 2000=2 3000=3 4000=4 5000=5 "
			 "6000=6 7000=7 8000=8 9000=9 10000=9\n");
	scrape_loop_free(l);
}

/*
 * The parser's fast path for cached series (each entry's raw line text
 * announced for the line after the previous entry's): a line that differs
 * from the cached text in one byte is another series, a line that writes
 * the same series differently is the same one, and histogram lines (no
 * raw text) still find their entries.
 */
Test(loop, series_cache_raw_text)
{
	struct scrape_loop *l = new_loop(BASIC, NULL);
	struct scrape_counts c;
	char err[256];
	const char *body = "m{a=\"1\",b=\"xy\"} 1\nm{a=\"1\",b=\"xz\"} 1\nn 1\n"
			   "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
			   "h_sum 1\nh_count 1\n";
	cr_assert_eq(scrape(l, body, 1000, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.added, 7);
	/* the same text: all cached */
	body = "m{a=\"1\",b=\"xy\"} 2\nm{a=\"1\",b=\"xz\"} 2\nn 2\n"
	       "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 2\n"
	       "h_sum 2\nh_count 2\n";
	cr_assert_eq(scrape(l, body, 2000, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.added, 0);
	cr_assert_eq(c.appended, 7);
	/* one byte off at the end of a value, of a name, of the name: new series */
	body = "m{a=\"1\",b=\"xw\"} 3\nm{a=\"1\",c=\"xz\"} 3\no 3\n";
	cr_assert_eq(scrape(l, body, 3000, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.added, 3);
	/* the old series written differently (blanks, a trailing comma): not new */
	body = "m { a=\"1\" , b=\"xy\" , }\t4\nm{a=\"1\",b=\"x\\z\"} 4\nn  4\n";
	cr_assert_eq(scrape(l, body, 4000, &c, err, sizeof(err)), -EINVAL);
	body = "m { a=\"1\" , b=\"xy\" , }\t4\nm{a=\"1\",b=\"xz\"}  4\nn  4\n";
	cr_assert_eq(scrape(l, body, 5000, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.added, 0, "added %zu", c.added);
	/* and again in that writing (the entries now hold it), then the first */
	cr_assert_eq(scrape(l, body, 6000, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.added, 0);
	body = "m{a=\"1\",b=\"xy\"} 7\nm{a=\"1\",b=\"xz\"} 7\nn 7\n";
	cr_assert_eq(scrape(l, body, 7000, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.added, 0);
	EXPECT_DUMP("m", "{__name__=m,a=1,b=xw,instance=h:1,job=j} 3000=3 4000=stale\n"
			 "{__name__=m,a=1,b=xy,instance=h:1,job=j} 1000=1 2000=2 3000=stale "
			 "5000=4 6000=4 7000=7\n"
			 "{__name__=m,a=1,b=xz,instance=h:1,job=j} 1000=1 2000=2 3000=stale "
			 "5000=4 6000=4 7000=7\n"
			 "{__name__=m,a=1,c=xz,instance=h:1,job=j} 3000=3 4000=stale\n");
	EXPECT_DUMP("n", "{__name__=n,instance=h:1,job=j} 1000=1 2000=2 3000=stale 5000=4 "
			 "6000=4 7000=7\n");
	EXPECT_DUMP("h_bucket", "{__name__=h_bucket,instance=h:1,job=j,le=+Inf} 1000=1 2000=2 "
				"3000=stale\n"
				"{__name__=h_bucket,instance=h:1,job=j,le=1} 1000=1 2000=2 "
				"3000=stale\n");
	/* a family that changes type: the same text is read in full as a histogram's */
	body = "h_bucket{le=\"x\"} 8\n";
	cr_assert_eq(scrape(l, body, 8000, &c, err, sizeof(err)), 0, "%s", err);
	body = "# TYPE h histogram\nh_bucket{le=\"x\"} 9\n";
	cr_assert_eq(scrape(l, body, 9000, &c, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "text format parsing error in line 2: expected float as value for "
			      "'le' label, got \"x\"");
	scrape_loop_free(l);
}
