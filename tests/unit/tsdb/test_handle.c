// SPDX-License-Identifier: Apache-2.0
/*
 * Appending by series ref and through pinned series handles: same series
 * as the label path, rejections counted, WAL replay of what went through
 * them, and a handle whose series head GC removed (it stays readable, the
 * next append gets a fresh series with a new ref and series record).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/tsdb/block.h"
#include "server/tsdb/db.h"
#include "server/tsdb/head.h"
#include "server/tsdb/tsdb.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-handle-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	block_remove_dir(dir);
}

TestSuite(handle, .init = setup, .fini = teardown);

#define H (3600 * 1000LL)
#define T0 (1700000000000LL - 1700000000000LL % (2 * H))

static struct tsdb *open_db(void)
{
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = dir;
	o.background_compaction = false;
	struct tsdb *db;
	cr_assert_eq(tsdb_open(&o, &db), 0);
	return db;
}

/* Samples of {__name__="up",job=job} in [mint, maxt]. */
static size_t count_samples(struct tsdb *db, const char *job, int64_t mint, int64_t maxt,
			    size_t *nseries)
{
	struct tsdb_matcher m[2];
	char err[64];
	cr_assert_eq(tsdb_matcher_init(&m[0], TSDB_MATCH_EQ, "__name__", "up", err, sizeof(err)), 0);
	cr_assert_eq(tsdb_matcher_init(&m[1], TSDB_MATCH_EQ, "job", job, err, sizeof(err)), 0);
	struct tsdb_querier *q;
	cr_assert_eq(tsdb_querier_new(db, mint, maxt, &q), 0);
	struct tsdb_series_set *set;
	cr_assert_eq(tsdb_querier_select(q, m, 2, &set), 0);
	size_t samples = 0;
	*nseries = tsdb_series_set_len(set);
	for (size_t i = 0; i < *nseries; i++) {
		struct tsdb_iter *it;
		int64_t t;
		double v;
		cr_assert_eq(tsdb_series_iter(set, i, &it), 0);
		while (tsdb_iter_next(it, &t, &v) == 1)
			samples++;
		tsdb_iter_free(it);
	}
	tsdb_series_set_free(set);
	tsdb_querier_free(q);
	tsdb_matcher_free(&m[0]);
	tsdb_matcher_free(&m[1]);
	return samples;
}

static const struct tsdb_label up_a[] = { { "job", "a" }, { "__name__", "up" } };

Test(handle, ref_handle_and_labels_share_a_series)
{
	struct tsdb *db = open_db();
	struct tsdb_appender *a = tsdb_appender_new(db);
	struct tsdb_series_handle *sh = NULL;
	uint64_t ref = 0;
	cr_assert_eq(tsdb_appender_add_handle(a, &sh, up_a, 2, T0 + 1000, 1), 0);
	cr_assert_not_null(sh);
	cr_assert_eq(tsdb_appender_add_ref(a, &ref, up_a, 2, T0 + 2000, 2), 0);
	cr_assert_neq(ref, 0);
	cr_assert_eq(ref, ((struct head_series *)(void *)sh)->ref);
	cr_assert_eq(tsdb_appender_add(a, up_a, 2, T0 + 3000, 3), 0);
	cr_assert_eq(tsdb_appender_commit(a), 0);
	cr_assert_eq(atomic_load(&db->head->nseries), 1);

	/* steady state: the handle and the ref stay as they are */
	struct tsdb_series_handle *before = sh;
	uint64_t ref_before = ref;
	for (int i = 4; i < 100; i += 2) {
		cr_assert_eq(tsdb_appender_add_handle(a, &sh, up_a, 2, T0 + i * 1000, i), 0);
		cr_assert_eq(tsdb_appender_add_ref(a, &ref, up_a, 2, T0 + (i + 1) * 1000, i + 1), 0);
	}
	cr_assert_eq(sh, before);
	cr_assert_eq(ref, ref_before);
	/* rejections are reported and counted as on the label path */
	cr_assert_eq(tsdb_appender_commit(a), 0);
	uint64_t ooo = atomic_load(&db->head->stats.out_of_order);
	cr_assert_eq(tsdb_appender_add_handle(a, &sh, up_a, 2, T0 + 5000, 1), -EDOM);
	cr_assert_eq(tsdb_appender_add_ref(a, &ref, up_a, 2, T0 + 5000, 1), -EDOM);
	cr_assert_eq(tsdb_appender_add_handle(a, &sh, up_a, 2, T0 + 99000, 7), -EEXIST);
	cr_assert_eq(atomic_load(&db->head->stats.out_of_order), ooo + 2);
	cr_assert_eq(tsdb_appender_commit(a), 0);
	/* a rolled-back sample through a handle leaves nothing behind */
	cr_assert_eq(tsdb_appender_add_handle(a, &sh, up_a, 2, T0 + 200000, 1), 0);
	tsdb_appender_rollback(a);
	tsdb_appender_free(a);

	size_t n;
	cr_assert_eq(count_samples(db, "a", T0, T0 + H, &n), 99);
	cr_assert_eq(n, 1);
	tsdb_close(db);
	/* the pin outlives the database */
	tsdb_series_handle_release(sh);

	db = open_db();
	cr_assert_eq(count_samples(db, "a", T0, T0 + H, &n), 99, "all of it replayed from the WAL");
	cr_assert_eq(n, 1);
	tsdb_close(db);
}

Test(handle, series_removed_by_gc_while_pinned)
{
	struct tsdb *db = open_db();
	struct tsdb_appender *a = tsdb_appender_new(db);
	struct tsdb_series_handle *sh = NULL, *other = NULL;
	const struct tsdb_label up_b[] = { { "__name__", "up" }, { "job", "b" } };
	uint64_t ref = 0;
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(tsdb_appender_add_handle(a, &sh, up_a, 2, T0 + i * 60000, i), 0);
		cr_assert_eq(tsdb_appender_add_ref(a, &ref, up_b, 2, T0 + i * 60000, i), 0);
		cr_assert_eq(tsdb_appender_commit(a), 0);
	}
	/* a second handle on the same series */
	cr_assert_eq(tsdb_appender_add_handle(a, &other, up_a, 2, T0 + 10 * 60000, 10), 0);
	cr_assert_eq(tsdb_appender_commit(a), 0);
	cr_assert_eq(other, sh);
	struct head_series *old = (struct head_series *)(void *)sh;
	uint64_t old_ref = old->ref;

	/* cut everything into a block: the head drops both series, pinned or not */
	cr_assert_eq(tsdb_compact(db, true), 0);
	cr_assert_eq(atomic_load(&db->head->nseries), 0);
	cr_assert(old->dead, "the pinned struct stays readable, marked dead");
	tsdb_series_handle_release(other);

	/* the next append through the stale handle re-creates the series */
	int64_t t1 = T0 + 2 * H + 60000;
	cr_assert_eq(tsdb_appender_add_handle(a, &sh, up_a, 2, t1, 100), 0);
	cr_assert_eq(tsdb_appender_add_ref(a, &ref, up_b, 2, t1, 100), 0);
	cr_assert_eq(tsdb_appender_commit(a), 0);
	struct head_series *now = (struct head_series *)(void *)sh;
	cr_assert_not(now->dead);
	cr_assert_gt(now->ref, old_ref, "a fresh series gets a fresh ref");
	cr_assert_neq(ref, now->ref);
	cr_assert_eq(atomic_load(&db->head->nseries), 2);
	cr_assert_eq(tsdb_appender_add_handle(a, &sh, up_a, 2, t1 + 60000, 101), 0);
	cr_assert_eq(tsdb_appender_commit(a), 0);
	cr_assert_eq((struct head_series *)(void *)sh, now);
	tsdb_appender_free(a);

	size_t n;
	cr_assert_eq(count_samples(db, "a", T0, T0 + 3 * H, &n), 13);
	cr_assert_eq(n, 1, "block and head series merge by labels");
	tsdb_series_handle_release(sh);
	tsdb_close(db);

	/* the WAL has the re-created series' record: its samples come back */
	db = open_db();
	cr_assert_eq(count_samples(db, "a", T0, T0 + 3 * H, &n), 13);
	cr_assert_eq(count_samples(db, "b", T0, T0 + 3 * H, &n), 11);
	cr_assert_eq(n, 1);
	tsdb_close(db);
}
