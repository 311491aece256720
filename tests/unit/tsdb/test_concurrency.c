// SPDX-License-Identifier: Apache-2.0
/*
 * Appenders on several threads, queriers and compaction at the same time:
 * no sample acknowledged by a commit goes missing, queries see samples in
 * order, and the result survives a restart.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/tsdb/block.h"
#include "server/tsdb/db.h"
#include "server/tsdb/tsdb.h"

#define THREADS 4
#define SERIES_PER_THREAD 50
#define ROUNDS 600
#define STEP 30000LL /* 600 x 30s = 5h: compaction has work to do */
#define T0 1700006400000LL

static char dir[256];
static struct tsdb *db;
static atomic_bool done;
static atomic_int failures;
static pthread_barrier_t round_barrier;

/* Criterion asserts must stay on the test's thread: count failures here. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "check failed: %s (line %d)\n", #cond, \
				__LINE__);                                     \
			atomic_fetch_add(&failures, 1);                        \
		}                                                              \
	} while (0)

static void *appender(void *arg)
{
	long id = (long)arg;
	struct tsdb_appender *a = tsdb_appender_new(db);
	char name[32];
	for (int r = 0; r < ROUNDS; r++) {
		for (int s = 0; s < SERIES_PER_THREAD; s++) {
			snprintf(name, sizeof(name), "t%ld_s%d", id, s);
			struct tsdb_label ls[] = { { "__name__", "stress" }, { "series", name } };
			CHECK(tsdb_appender_add(a, ls, 2, T0 + r * STEP, r) == 0);
		}
		CHECK(tsdb_appender_commit(a) == 0);
		/* scrapes advance together in wall-clock time; the head only
		 * accepts samples within an hour of its newest one */
		pthread_barrier_wait(&round_barrier);
	}
	tsdb_appender_free(a);
	return NULL;
}

static void *querier(void *arg)
{
	struct tsdb_matcher m;
	char err[64];
	CHECK(tsdb_matcher_init(&m, TSDB_MATCH_RE, "series", "t[0-9]_s1.*", err,
				sizeof(err)) == 0);
	while (!atomic_load(&done)) {
		struct tsdb_querier *q;
		struct tsdb_series_set *set;
		if (tsdb_querier_new(db, INT64_MIN, INT64_MAX, &q)) {
			CHECK(0);
			break;
		}
		if (tsdb_querier_select(q, &m, 1, &set)) {
			CHECK(0);
			tsdb_querier_free(q);
			break;
		}
		for (size_t i = 0; i < tsdb_series_set_len(set); i++) {
			struct tsdb_iter *it;
			if (tsdb_series_iter(set, i, &it)) {
				CHECK(0);
				continue;
			}
			int64_t t, last = INT64_MIN;
			double v;
			while (tsdb_iter_next(it, &t, &v) == 1) {
				CHECK(t > last);
				CHECK((double)((t - T0) / STEP) == v);
				last = t;
			}
			tsdb_iter_free(it);
		}
		tsdb_series_set_free(set);
		tsdb_querier_free(q);
	}
	tsdb_matcher_free(&m);
	return NULL;
}

static void *compactor(void *arg)
{
	while (!atomic_load(&done))
		CHECK(tsdb_compact(db, false) == 0);
	return NULL;
}

static size_t total_samples(void)
{
	struct tsdb_matcher m;
	char err[64];
	size_t n = 0;
	tsdb_matcher_init(&m, TSDB_MATCH_EQ, "__name__", "stress", err, sizeof(err));
	struct tsdb_querier *q;
	struct tsdb_series_set *set;
	cr_assert_eq(tsdb_querier_new(db, INT64_MIN, INT64_MAX, &q), 0);
	cr_assert_eq(tsdb_querier_select(q, &m, 1, &set), 0);
	cr_assert_eq(tsdb_series_set_len(set), THREADS * SERIES_PER_THREAD);
	for (size_t i = 0; i < tsdb_series_set_len(set); i++) {
		struct tsdb_iter *it;
		tsdb_series_iter(set, i, &it);
		int64_t t;
		double v;
		while (tsdb_iter_next(it, &t, &v) == 1)
			n++;
		tsdb_iter_free(it);
	}
	tsdb_series_set_free(set);
	tsdb_querier_free(q);
	tsdb_matcher_free(&m);
	return n;
}

Test(concurrency, append_query_compact)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-conc-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = dir;
	o.background_compaction = false;
	cr_assert_eq(tsdb_open(&o, &db), 0);
	pthread_t app[THREADS], qt, ct;
	pthread_barrier_init(&round_barrier, NULL, THREADS);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&app[i], NULL, appender, (void *)i);
	pthread_create(&qt, NULL, querier, NULL);
	pthread_create(&ct, NULL, compactor, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(app[i], NULL);
	atomic_store(&done, true);
	pthread_join(qt, NULL);
	pthread_join(ct, NULL);
	pthread_barrier_destroy(&round_barrier);
	cr_assert_eq(atomic_load(&failures), 0);
	cr_assert_eq(total_samples(), (size_t)THREADS * SERIES_PER_THREAD * ROUNDS);
	tsdb_close(db);
	cr_assert_eq(tsdb_open(&o, &db), 0);
	cr_assert_eq(total_samples(), (size_t)THREADS * SERIES_PER_THREAD * ROUNDS);
	cr_assert_eq(tsdb_compact(db, true), 0);
	cr_assert_eq(total_samples(), (size_t)THREADS * SERIES_PER_THREAD * ROUNDS);
	tsdb_close(db);
	block_remove_dir(dir);
}
