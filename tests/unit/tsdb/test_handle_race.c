// SPDX-License-Identifier: Apache-2.0
/*
 * Pinned series handles racing head garbage collection, meant to run under
 * ThreadSanitizer (scripts/vigil-dev test builds it with -DVIGIL_TSAN=ON).
 *
 * Four appender threads each keep their own handle on every series of one
 * shared set and append through tsdb_appender_add_handle() + commit, with
 * timestamps from one shared round counter (so every timestamp is unique and
 * the threads move forward together).  A compactor thread calls
 * tsdb_compact() in a loop: it cuts blocks, truncates the head and lets head
 * GC remove series left without samples, pinned or not.  Most series are
 * idle at the start of each block range and resume just as the head is
 * truncated (see series_active()), so their handles meet GC: the next append
 * finds the series dead (-ESTALE inside add_handle) and re-creates it, or
 * holds it first and GC leaves it.  A reader thread queries all along.
 * The lock-free part under test: head_acquire() raising pending and reading
 * dead against head_truncate() setting dead and reading pending, and the
 * seqlock-published newest sample read against head_append() publishing it.
 *
 * Afterwards: every sample the head accepted is readable exactly once (in
 * a block or the head), in order, with the value written for its timestamp,
 * and was staged by an appender; every add_handle call is either accepted or
 * counted as rejected exactly once; handles were really re-created.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/tsdb/block.h"
#include "server/tsdb/db.h"
#include "server/tsdb/head.h"
#include "server/tsdb/tsdb.h"

#define APPENDERS 4
#define NSERIES 32
#define RANGE 60000LL  /* block (and head chunk) range: 1 min of data time */
#define STEP 1000LL    /* one round = 1 s of data time */
#define T0 1700006400000LL /* a multiple of RANGE */
#define RANGE_ROUNDS (RANGE / STEP)
#define MAX_ROUNDS (1u << 19)

/* Wall-clock run time: TSan is the point; under ASan and plain a shorter run. */
#if defined(__SANITIZE_THREAD__)
#define RUN_MS 2500
#elif defined(__SANITIZE_ADDRESS__)
#define RUN_MS 800
#else
#define RUN_MS 1000
#endif
/* Keep going past RUN_MS until a handle was re-created, but not forever. */
#define HARD_MS (RUN_MS * 8)

static char dir[256];
static struct tsdb *db;
static atomic_uint_fast64_t next_round;
static atomic_bool stop;
static atomic_int failures;
static atomic_uint_fast64_t recreated_total;
/* bit s of staged[r]: series s was staged in round r (written by the round's owner) */
static uint64_t staged[MAX_ROUNDS];

/* Criterion asserts must stay on the test's thread: count failures here. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "check failed: %s (line %d)\n", #cond, \
				__LINE__);                                     \
			atomic_fetch_add(&failures, 1);                        \
		}                                                              \
	} while (0)

struct appender_stats {
	uint64_t calls, staged, edom, erange, eexist, recreated;
};

static char series_names[NSERIES][8];
static struct tsdb_label series_labels[NSERIES][2];

static void labels_init(void)
{
	for (int s = 0; s < NSERIES; s++) {
		snprintf(series_names[s], sizeof(series_names[s]), "s%02d", s);
		series_labels[s][0] = (struct tsdb_label){ "__name__", "race" };
		series_labels[s][1] = (struct tsdb_label){ "series", series_names[s] };
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The schedule that makes pinned handles meet head GC.  Series 0 and 1 are
 * always active: after each truncation at a block boundary X the head's
 * oldest sample is at X, so compaction cuts the block [X, X + range) once
 * data time passes X + 1.5 ranges, and truncates the head at X + range.
 * The appenders stop LEAD_ROUNDS after X until that truncation starts (it
 * raises min_valid first, then walks the series: wait_for_truncation()).
 * The other series are idle in each block range until just after that stop
 * point (X + 1.5 ranges + 5 rounds is half a range + 5 into the next
 * block), then active to the end of the range.  So at each truncation they
 * have no samples left, and their resuming appends, let go by the
 * truncation itself, race its GC walk: either head_acquire() raised pending
 * first and the series stays, or GC marked it dead and the handles
 * re-create it.
 */
#define KEEPERS 2
#define LEAD_ROUNDS (RANGE_ROUNDS * 3 / 2 + 5)

static bool series_active(int s, uint64_t r)
{
	return s < KEEPERS || r % RANGE_ROUNDS > LEAD_ROUNDS % RANGE_ROUNDS + (uint64_t)(s % 8);
}

/*
 * Wait while round t is more than LEAD_ROUNDS past the last truncation
 * point (T0 before the first), but never long: a schedule gone wrong makes
 * the test slower, not stuck.
 */
static void wait_for_truncation(int64_t t)
{
	int64_t start = now_ms();
	while (!atomic_load(&stop) && now_ms() - start < 500) {
		int64_t mv = atomic_load(&db->head->min_valid);
		if (t - (mv == INT64_MIN ? T0 : mv) <= LEAD_ROUNDS * STEP)
			return;
		usleep(50);
	}
}

/* The series a handle pins (its ref never changes; we hold the pin). */
static uint64_t handle_ref(struct tsdb_series_handle *h)
{
	return ((struct head_series *)(void *)h)->ref;
}

static void *appender(void *arg)
{
	struct appender_stats *st = arg;
	struct tsdb_appender *a = tsdb_appender_new(db);
	struct tsdb_series_handle *h[NSERIES] = { 0 };

	CHECK(a != NULL);
	while (a && !atomic_load(&stop)) {
		uint64_t r = atomic_fetch_add(&next_round, 1);
		if (r >= MAX_ROUNDS)
			break;
		int64_t t = T0 + (int64_t)r * STEP;
		uint64_t mask = 0;
		wait_for_truncation(t);
		for (int s = 0; s < NSERIES; s++) {
			if (!series_active(s, r))
				continue;
			uint64_t before = h[s] ? handle_ref(h[s]) : 0;
			int rc = tsdb_appender_add_handle(a, &h[s], series_labels[s], 2, t, (double)r);
			st->calls++;
			CHECK(h[s] != NULL);
			if (before && h[s] && handle_ref(h[s]) != before) {
				st->recreated++;
				atomic_fetch_add(&recreated_total, 1);
			}
			if (rc == 0) {
				mask |= 1ULL << s;
				st->staged++;
			} else if (rc == -EDOM) {
				st->edom++;
			} else if (rc == -ERANGE) {
				st->erange++;
			} else if (rc == -EEXIST) {
				st->eexist++;
			} else {
				fprintf(stderr, "add_handle: unexpected %d\n", rc);
				CHECK(0);
			}
		}
		CHECK(tsdb_appender_commit(a) == 0);
		staged[r] = mask;
	}
	for (int s = 0; s < NSERIES; s++)
		tsdb_series_handle_release(h[s]);
	tsdb_appender_free(a);
	return NULL;
}

static const char *label_value(const struct tsdb_label *ls, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ls[i].name, name) == 0)
			return ls[i].value;
	return NULL;
}

/*
 * Query {__name__="race"} over [mint, max]: distinct label sets, each
 * series' samples strictly increasing with the value written for their
 * timestamp.  With want (after the run): each sample staged by an appender.
 * Returns the number of samples, or -1 when the query itself failed.
 */
static long query_check(int64_t mint, const uint64_t *want)
{
	struct tsdb_matcher m;
	struct tsdb_querier *q = NULL;
	struct tsdb_series_set *set = NULL;
	char err[64];
	long total = -1;

	if (tsdb_matcher_init(&m, TSDB_MATCH_EQ, "__name__", "race", err, sizeof(err)))
		return -1;
	if (tsdb_querier_new(db, mint, INT64_MAX, &q))
		goto out;
	if (tsdb_querier_select(q, &m, 1, &set))
		goto out;
	total = 0;
	size_t n = tsdb_series_set_len(set);
	CHECK(n <= NSERIES);
	const char *prev = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t nl;
		const struct tsdb_label *ls = tsdb_series_labels(set, i, &nl);
		const char *name = label_value(ls, nl, "series");
		CHECK(name != NULL && name[0] == 's');
		if (!name)
			continue;
		CHECK(!prev || strcmp(prev, name) < 0); /* sorted, no label set twice */
		prev = name;
		int s = atoi(name + 1);
		CHECK(s >= 0 && s < NSERIES);
		struct tsdb_iter *it;
		if (tsdb_series_iter(set, i, &it)) {
			CHECK(0);
			continue;
		}
		int64_t t, last = INT64_MIN;
		double v;
		int rc;
		while ((rc = tsdb_iter_next(it, &t, &v)) == 1) {
			CHECK(t > last);
			CHECK(t >= T0 && (t - T0) % STEP == 0);
			uint64_t r = (uint64_t)((t - T0) / STEP);
			CHECK(v == (double)r);
			if (want && r < MAX_ROUNDS && s >= 0 && s < NSERIES)
				CHECK(want[r] & (1ULL << s));
			last = t;
			total++;
		}
		CHECK(rc == 0);
		tsdb_iter_free(it);
	}
out:
	tsdb_series_set_free(set);
	tsdb_querier_free(q);
	tsdb_matcher_free(&m);
	return total;
}

static void *reader(void *arg)
{
	uint64_t *queries = arg;
	while (!atomic_load(&stop)) {
		/* alternately everything and the last three block ranges */
		int64_t mint = INT64_MIN;
		if (*queries % 2)
			mint = T0 + (int64_t)atomic_load(&next_round) * STEP - 3 * RANGE;
		CHECK(query_check(mint, NULL) >= 0);
		(*queries)++;
	}
	return NULL;
}

static void *compactor(void *arg)
{
	uint64_t *runs = arg;
	while (!atomic_load(&stop)) {
		CHECK(tsdb_compact(db, false) == 0);
		(*runs)++;
		usleep(200);
	}
	return NULL;
}

/* Close and remove the database also after a failed assertion. */
static void cleanup(void)
{
	if (db)
		tsdb_close(db);
	db = NULL;
	if (dir[0])
		block_remove_dir(dir);
}

Test(handle_race, appenders_against_head_gc, .fini = cleanup)
{
	struct tsdb_options o;
	struct appender_stats st[APPENDERS] = { 0 };
	pthread_t app[APPENDERS], rt, ct;
	uint64_t queries = 0, compactions = 0;

	labels_init();
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-hrace-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	tsdb_options_default(&o);
	o.path = dir;
	o.background_compaction = false;
	o.block_range_ms = RANGE;
	cr_assert_eq(tsdb_open(&o, &db), 0);

	int64_t start = now_ms();
	for (int i = 0; i < APPENDERS; i++)
		cr_assert_eq(pthread_create(&app[i], NULL, appender, &st[i]), 0);
	cr_assert_eq(pthread_create(&rt, NULL, reader, &queries), 0);
	cr_assert_eq(pthread_create(&ct, NULL, compactor, &compactions), 0);
	for (;;) {
		int64_t el = now_ms() - start;
		if (el >= HARD_MS || atomic_load(&next_round) >= MAX_ROUNDS)
			break;
		if (el >= RUN_MS && atomic_load(&recreated_total) > 0)
			break;
		usleep(10000);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < APPENDERS; i++)
		pthread_join(app[i], NULL);
	pthread_join(rt, NULL);
	pthread_join(ct, NULL);
	int64_t elapsed = now_ms() - start;

	struct appender_stats sum = { 0 };
	for (int i = 0; i < APPENDERS; i++) {
		sum.calls += st[i].calls;
		sum.staged += st[i].staged;
		sum.edom += st[i].edom;
		sum.erange += st[i].erange;
		sum.eexist += st[i].eexist;
		sum.recreated += st[i].recreated;
	}
	struct head_stats *hs = &db->head->stats;
	uint64_t appended = atomic_load(&hs->samples_appended);
	uint64_t ooo = atomic_load(&hs->out_of_order), oob = atomic_load(&hs->out_of_bound);
	uint64_t dup = atomic_load(&hs->duplicates);
	uint64_t created = atomic_load(&hs->series_created);
	uint64_t removed = atomic_load(&hs->series_removed);
	uint64_t truncations = atomic_load(&db->head_truncations);
	uint64_t rounds = atomic_load(&next_round);
	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	long readable = query_check(INT64_MIN, staged);
	fprintf(stderr,
		"handle_race: %" PRId64 " ms, %" PRIu64 " rounds, %" PRIu64 " add_handle calls, "
		"%" PRIu64 " staged, %" PRIu64 " appended, rejected %" PRIu64 " out of order / %"
		PRIu64 " out of bounds / %" PRIu64 " duplicate, %" PRIu64 " handles re-created, "
		"series %" PRIu64 " created / %" PRIu64 " removed, %" PRIu64 " compaction calls, %"
		PRIu64 " head truncations, %" PRIu64 " queries, %ld samples readable\n",
		elapsed, rounds, sum.calls, sum.staged, appended, ooo, oob, dup, sum.recreated,
		created, removed, compactions, truncations, queries, readable);

	cr_assert_eq(atomic_load(&failures), 0, "checks failed on the worker threads (see stderr)");
	cr_assert_geq(readable, 0);
	cr_assert_gt(appended, 0);
	/* every accepted sample readable exactly once (in order: query_check) */
	cr_assert_eq((uint64_t)readable, appended, "%ld samples readable, %" PRIu64 " accepted",
		     readable, appended);
	/* every call accepted or counted as rejected exactly once */
	cr_assert_eq(sum.calls, appended + ooo + oob + dup,
		     "%" PRIu64 " calls, %" PRIu64 " appended + %" PRIu64 " rejected", sum.calls,
		     appended, ooo + oob + dup);
	/* rejections at add time are part of the counters; the rest came at commit */
	cr_assert_leq(sum.edom, ooo);
	cr_assert_leq(sum.erange, oob);
	/* timestamps are unique per round: never a duplicate */
	cr_assert_eq(dup, 0);
	cr_assert_eq(sum.eexist, 0);
	/* the dead/re-create path really ran */
	cr_assert_gt(removed, 0, "head GC removed no series");
	cr_assert_gt(sum.recreated, 0, "no handle was re-created after GC");
	cr_assert_gt(created, NSERIES);
	cr_assert_gt(queries, 0);
	cr_assert_gt(compactions, 0);
	cr_assert_gt(truncations, 1);
}
