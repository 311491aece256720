// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/expo.h"
#include "server/tsdb/block.h"
#include "server/tsdb/db.h"
#include "server/tsdb/index.h"
#include "server/tsdb/tsdb.h"
#include "server/tsdb/tsdb_flags.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-db-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	block_remove_dir(dir);
}

TestSuite(db, .init = setup, .fini = teardown);

static struct tsdb *open_db(int64_t retention_ms)
{
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = dir;
	o.background_compaction = false;
	if (retention_ms)
		o.retention_ms = retention_ms;
	struct tsdb *db;
	cr_assert_eq(tsdb_open(&o, &db), 0);
	return db;
}

#define H (3600 * 1000LL)
#define T0 (1700000000000LL - 1700000000000LL % (2 * H))

/* job in {api, web, db} x instance 0..3, one sample per minute over hours. */
static void fill(struct tsdb *db, int64_t from, int64_t to)
{
	static const char *jobs[] = { "api", "web", "db" };
	struct tsdb_appender *a = tsdb_appender_new(db);
	char inst[8];
	for (int64_t t = from; t < to; t += 60000) {
		for (int j = 0; j < 3; j++)
			for (int i = 0; i < 4; i++) {
				snprintf(inst, sizeof(inst), "%d", i);
				struct tsdb_label ls[] = { { "__name__", "req" },
							   { "job", jobs[j] },
							   { "instance", inst } };
				cr_assert_eq(tsdb_appender_add(a, ls, 3, t, (double)(t / 60000) + j),
					     0);
			}
		cr_assert_eq(tsdb_appender_commit(a), 0);
	}
	tsdb_appender_free(a);
}

static size_t count_select(struct tsdb *db, const char *sel, int64_t mint, int64_t maxt,
			   size_t *samples)
{
	struct tsdb_matcher *ms;
	size_t nm;
	char err[128];
	cr_assert_eq(tsdb_parse_selector(sel, &ms, &nm, err, sizeof(err)), 0, "%s", err);
	struct tsdb_querier *q;
	cr_assert_eq(tsdb_querier_new(db, mint, maxt, &q), 0);
	struct tsdb_series_set *set;
	cr_assert_eq(tsdb_querier_select(q, ms, nm, &set), 0);
	size_t n = tsdb_series_set_len(set);
	*samples = 0;
	for (size_t i = 0; i < n; i++) {
		struct tsdb_iter *it;
		cr_assert_eq(tsdb_series_iter(set, i, &it), 0);
		int64_t t, last = INT64_MIN;
		double v;
		while (tsdb_iter_next(it, &t, &v) == 1) {
			cr_assert_gt(t, last, "samples in time order");
			cr_assert_geq(t, mint);
			cr_assert_leq(t, maxt);
			last = t;
			(*samples)++;
		}
		tsdb_iter_free(it);
	}
	tsdb_series_set_free(set);
	tsdb_querier_free(q);
	for (size_t i = 0; i < nm; i++)
		tsdb_matcher_free(&ms[i]);
	free(ms);
	return n;
}

static size_t count_blocks(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(d)))
		n += strlen(e->d_name) == 26;
	closedir(d);
	return n;
}

Test(db, matchers)
{
	struct tsdb *db = open_db(0);
	fill(db, T0, T0 + 10 * 60000);
	size_t s;
	cr_assert_eq(count_select(db, "req", INT64_MIN, INT64_MAX, &s), 12);
	cr_assert_eq(s, 120);
	cr_assert_eq(count_select(db, "{job=\"api\"}", INT64_MIN, INT64_MAX, &s), 4);
	cr_assert_eq(count_select(db, "{job!=\"api\"}", INT64_MIN, INT64_MAX, &s), 8);
	cr_assert_eq(count_select(db, "{job=~\"a.*|w.b\"}", INT64_MIN, INT64_MAX, &s), 8);
	/* fully anchored: "pi" does not match "api" */
	cr_assert_eq(count_select(db, "{job=~\"pi\"}", INT64_MIN, INT64_MAX, &s), 0);
	cr_assert_eq(count_select(db, "{job!~\"a.*\",instance=\"1\"}", INT64_MIN, INT64_MAX, &s), 2);
	/* a label that is absent matches "" */
	cr_assert_eq(count_select(db, "{job=\"db\",nope=\"\"}", INT64_MIN, INT64_MAX, &s), 4);
	cr_assert_eq(count_select(db, "{job=\"db\",nope!=\"\"}", INT64_MIN, INT64_MAX, &s), 0);
	/* time range */
	cr_assert_eq(count_select(db, "{job=\"db\"}", T0 + 60000, T0 + 3 * 60000, &s), 4);
	cr_assert_eq(s, 12);

	struct tsdb_querier *q;
	cr_assert_eq(tsdb_querier_new(db, INT64_MIN, INT64_MAX, &q), 0);
	char **v;
	size_t n;
	cr_assert_eq(tsdb_querier_label_names(q, NULL, 0, &v, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0], "__name__");
	cr_assert_str_eq(v[1], "instance");
	tsdb_strings_free(v, n);
	cr_assert_eq(tsdb_querier_label_values(q, "job", NULL, 0, &v, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(v[0], "api");
	tsdb_strings_free(v, n);
	struct tsdb_matcher m;
	char err[64];
	cr_assert_eq(tsdb_matcher_init(&m, TSDB_MATCH_EQ, "instance", "2", err, sizeof(err)), 0);
	cr_assert_eq(tsdb_querier_label_values(q, "job", &m, 1, &v, &n), 0);
	cr_assert_eq(n, 3);
	tsdb_strings_free(v, n);
	tsdb_matcher_free(&m);
	tsdb_querier_free(q);
	tsdb_close(db);
}

Test(db, append_errors)
{
	struct tsdb *db = open_db(0);
	struct tsdb_appender *a = tsdb_appender_new(db);
	struct tsdb_label ls[] = { { "job", "x" }, { "__name__", "m" } };
	struct tsdb_label empty[] = { { "__name__", "m" }, { "a", "" } };
	cr_assert_eq(tsdb_appender_add(a, ls, 2, 1000, 1), 0);
	cr_assert_eq(tsdb_appender_commit(a), 0);
	cr_assert_eq(tsdb_appender_add(a, ls, 2, 500, 1), -EDOM);
	cr_assert_eq(tsdb_appender_add(a, ls, 2, 1000, 2), -EEXIST);
	cr_assert_eq(tsdb_appender_add(a, empty, 2, 1000, 2), -EINVAL);
	tsdb_appender_free(a);
	struct expo_set *set = expo_set_new();
	struct buf out = BUF_INIT;
	tsdb_add_metrics(db, set);
	expo_set_render(set, &out);
	cr_assert(strstr(out.data, "prometheus_tsdb_head_series 1\n"));
	cr_assert(strstr(out.data, "prometheus_tsdb_head_samples_appended_total{type=\"float\"} 1\n"));
	cr_assert(strstr(out.data, "prometheus_tsdb_out_of_order_samples_total{type=\"float\"} 1\n"));
	cr_assert(strstr(out.data, "prometheus_tsdb_wal_corruptions_total 0\n"));
	buf_free(&out);
	expo_set_free(set);
	tsdb_close(db);
}

Test(db, replay_compaction_and_queries_across_blocks)
{
	struct tsdb *db = open_db(0);
	fill(db, T0, T0 + 7 * H); /* 7h: more than 1.5 x 2h beyond the start */
	size_t s;
	cr_assert_eq(count_select(db, "req", INT64_MIN, INT64_MAX, &s), 12);
	cr_assert_eq(s, 12 * 7 * 60);
	tsdb_close(db);

	/* reopen: everything comes back from the WAL */
	db = open_db(0);
	cr_assert_eq(count_select(db, "req", INT64_MIN, INT64_MAX, &s), 12);
	cr_assert_eq(s, 12 * 7 * 60);
	cr_assert_eq(tsdb_compact(db, false), 0);
	/* head spanned 7h: blocks [0,2h) [2,4h) cut (then 2h+2h wait for a 6h range) */
	cr_assert_geq(count_blocks(), 2);
	cr_assert_eq(count_select(db, "req", INT64_MIN, INT64_MAX, &s), 12);
	cr_assert_eq(s, 12 * 7 * 60, "head and blocks merged: %zu", s);
	cr_assert_eq(count_select(db, "{job=\"web\"}", T0 + H, T0 + 5 * H - 1, &s), 4);
	cr_assert_eq(s, 4 * 4 * 60);
	tsdb_close(db);

	/* reopen after checkpoint + head truncation */
	db = open_db(0);
	cr_assert_eq(count_select(db, "req", INT64_MIN, INT64_MAX, &s), 12);
	cr_assert_eq(s, 12 * 7 * 60);
	/* appending into a range already in a block is out of bounds */
	struct tsdb_appender *a = tsdb_appender_new(db);
	struct tsdb_label ls[] = { { "__name__", "late" } };
	cr_assert_eq(tsdb_appender_add(a, ls, 1, T0 + 10, 1), -ERANGE);
	tsdb_appender_free(a);
	/* force: everything into blocks; 2h blocks compacted into larger ones
	 * (with T0 not 6h-aligned the planner ends with an 18h-range block) */
	cr_assert_eq(tsdb_compact(db, true), 0);
	cr_assert_eq(atomic_load(&db->head->nseries), 0);
	cr_assert_eq(count_select(db, "req", INT64_MIN, INT64_MAX, &s), 12);
	cr_assert_eq(s, 12 * 7 * 60);
	struct block **bs;
	size_t nb, sources = 0;
	int level = 0;
	cr_assert_eq(db_blocks_get(db, &bs, &nb), 0);
	cr_assert_eq(nb, 2, "blocks: %zu", nb);
	for (size_t i = 0; i < nb; i++) {
		if (bs[i]->meta.level > level) {
			level = bs[i]->meta.level;
			sources = bs[i]->meta.nsources;
		}
		cr_assert_eq(bs[i]->meta.num_series, 12);
	}
	db_blocks_put(bs, nb);
	cr_assert_eq(level, 3);
	cr_assert_eq(sources, 3, "a compacted block lists its level-1 sources");
	tsdb_close(db);
}

Test(db, delete_and_tombstones_applied_at_compaction)
{
	struct tsdb *db = open_db(0);
	fill(db, T0, T0 + 5 * H);
	cr_assert_eq(tsdb_compact(db, false), 0);
	cr_assert_geq(count_blocks(), 1);
	struct tsdb_matcher *ms;
	size_t nm, s;
	char err[64];
	cr_assert_eq(tsdb_parse_selector("{job=\"api\",instance=~\"0|1\"}", &ms, &nm, err,
					 sizeof(err)), 0);
	/* delete one hour in the first block and one hour in the head */
	cr_assert_eq(tsdb_delete(db, ms, nm, T0 + H, T0 + 2 * H - 1), 0);
	cr_assert_eq(tsdb_delete(db, ms, nm, T0 + 4 * H, T0 + 5 * H), 0);
	cr_assert_eq(count_select(db, "{job=\"api\"}", INT64_MIN, INT64_MAX, &s), 4);
	cr_assert_eq(s, 4 * 5 * 60 - 2 * 2 * 60);
	tsdb_close(db);
	/* the head tombstone survives a restart (WAL record) */
	db = open_db(0);
	cr_assert_eq(count_select(db, "{job=\"api\"}", INT64_MIN, INT64_MAX, &s), 4);
	cr_assert_eq(s, 4 * 5 * 60 - 2 * 2 * 60);
	/* force compaction rewrites: samples gone for good, no tombstones left */
	cr_assert_eq(tsdb_compact(db, true), 0);
	cr_assert_eq(count_select(db, "{job=\"api\"}", INT64_MIN, INT64_MAX, &s), 4);
	cr_assert_eq(s, 4 * 5 * 60 - 2 * 2 * 60);
	struct block **bs;
	size_t nb, stones = 0;
	cr_assert_eq(db_blocks_get(db, &bs, &nb), 0);
	for (size_t i = 0; i < nb; i++)
		stones += bs[i]->nstones;
	db_blocks_put(bs, nb);
	cr_assert_eq(stones, 0, "tombstones applied by compaction");
	for (size_t i = 0; i < nm; i++)
		tsdb_matcher_free(&ms[i]);
	free(ms);
	tsdb_close(db);
}

Test(db, retention_by_time)
{
	struct tsdb *db = open_db(4 * H); /* blocks up to 24min; ranges 2h only */
	fill(db, T0, T0 + 12 * H);
	cr_assert_eq(tsdb_compact(db, true), 0);
	struct block **bs;
	size_t nb;
	cr_assert_eq(db_blocks_get(db, &bs, &nb), 0);
	cr_assert_gt(nb, 0);
	int64_t newest = bs[nb - 1]->meta.maxt;
	for (size_t i = 0; i < nb; i++)
		cr_assert_leq(newest - bs[i]->meta.maxt, 4 * H, "block %zu beyond retention", i);
	db_blocks_put(bs, nb);
	size_t s;
	count_select(db, "req", INT64_MIN, INT64_MAX, &s);
	cr_assert_lt(s, 12 * 12 * 60);
	cr_assert_geq(s, 12 * 4 * 60);
	tsdb_close(db);
}

Test(db, index_round_trip)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/index", dir);
	struct tsdb_label a[] = { { "__name__", "up" }, { "job", "a" } };
	struct tsdb_label b[] = { { "__name__", "up" }, { "job", "b" }, { "zone", "z" } };
	struct index_chunk_meta ca[] = { { 0, 100, 8 }, { 101, 200, 40 } };
	struct index_chunk_meta cb[] = { { -50, 10, (1ULL << 32) | 8 } };
	struct index_series_in in[] = { { a, 2, ca, 2 }, { b, 3, cb, 1 } };
	cr_assert_eq(index_write(path, in, 2), 0);
	struct index_reader *r;
	cr_assert_eq(index_open(path, &r), 0);
	cr_assert_eq(index_num_series(r), 2);
	uint64_t *ids;
	size_t n;
	cr_assert_eq(index_postings(r, "job", "b", &ids, &n), 0);
	cr_assert_eq(n, 1);
	struct tsdb_label *ls;
	size_t nl, nc;
	struct index_chunk_meta *cm;
	cr_assert_eq(index_series(r, ids[0], &ls, &nl, &cm, &nc), 0);
	cr_assert_eq(nl, 3);
	cr_assert_str_eq(ls[2].value, "z");
	cr_assert_eq(nc, 1);
	cr_assert_eq(cm[0].mint, -50);
	cr_assert_eq(cm[0].ref, (1ULL << 32) | 8);
	free(ls);
	free(cm);
	free(ids);
	cr_assert_eq(index_postings(r, "", "", &ids, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(index_series(r, ids[0], &ls, &nl, &cm, &nc), 0);
	cr_assert_eq(nc, 2);
	cr_assert_eq(cm[1].mint, 101);
	cr_assert_eq(cm[1].maxt, 200);
	cr_assert_eq(cm[1].ref, 40);
	free(ls);
	free(cm);
	free(ids);
	char **v;
	cr_assert_eq(index_label_values(r, "job", &v, &n), 0);
	cr_assert_eq(n, 2);
	tsdb_strings_free(v, n);
	index_close(r);
	/* a flipped byte in the TOC is caught */
	FILE *f = fopen(path, "r+");
	fseek(f, -10, SEEK_END);
	fputc(0x55, f);
	fclose(f);
	cr_assert_eq(index_open(path, &r), -EBADMSG);
}

Test(db, retention_by_size)
{
	uint64_t v;
	cr_assert_eq(tsdb_parse_size("512MB", &v), 0);
	cr_assert_eq(v, 512ULL << 20);
	cr_assert_eq(tsdb_parse_size("1GB512MB", &v), 0);
	cr_assert_eq(v, (1ULL << 30) + (512ULL << 20));
	cr_assert_eq(tsdb_parse_size("100B", &v), 0);
	cr_assert_eq(v, 100);
	cr_assert_eq(tsdb_parse_size("12XB", &v), -EINVAL);
	cr_assert_eq(tsdb_parse_size("", &v), -EINVAL);

	struct tsdb *db = open_db(0);
	fill(db, T0, T0 + 12 * H);
	cr_assert_eq(tsdb_compact(db, true), 0);
	struct block **bs;
	size_t nb;
	cr_assert_eq(db_blocks_get(db, &bs, &nb), 0);
	size_t before = nb;
	uint64_t newest = bs[nb - 1]->size_bytes;
	db_blocks_put(bs, nb);
	tsdb_close(db);
	/* room for the WAL and the newest block only */
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = dir;
	o.background_compaction = false;
	o.retention_ms = 0;
	char wal[300];
	snprintf(wal, sizeof(wal), "%s/wal", dir);
	o.retention_bytes = newest + tsdb_dir_size(wal) + 8192;
	cr_assert_eq(tsdb_open(&o, &db), 0);
	cr_assert_eq(tsdb_compact(db, false), 0);
	cr_assert_eq(db_blocks_get(db, &bs, &nb), 0);
	cr_assert_lt(nb, before);
	cr_assert_eq(nb, 1, "blocks left: %zu of %zu", nb, before);
	db_blocks_put(bs, nb);
	struct expo_set *set = expo_set_new();
	struct buf out = BUF_INIT;
	tsdb_add_metrics(db, set);
	expo_set_render(set, &out);
	cr_assert(strstr(out.data, "prometheus_tsdb_size_retentions_total ") != NULL);
	cr_assert(strstr(out.data, "prometheus_tsdb_size_retentions_total 0\n") == NULL);
	buf_free(&out);
	expo_set_free(set);
	tsdb_close(db);
}

Test(db, flags)
{
	struct tsdb_flag_values v;
	memset(&v, 0, sizeof(v));
	struct flag_table t = tsdb_flag_table(&v);
	char *argv[] = { "vigil-server", "--storage.tsdb.path=/x/y", "--storage.tsdb.retention.size",
			 "1GB" };
	char asked = 0, err[128];
	cr_assert_eq(flags_parse(4, argv, &t, 1, NULL, &asked, err, sizeof(err)), 0, "%s", err);
	struct tsdb_options o;
	tsdb_options_from_flags(&v, &o);
	cr_assert_str_eq(o.path, "/x/y");
	cr_assert_eq(o.retention_bytes, 1ULL << 30);
	cr_assert_eq(o.retention_ms, 0, "size alone disables the 15d default");
	cr_assert_eq(o.block_range_ms, 2 * H);
	flags_free(&t, 1);

	memset(&v, 0, sizeof(v));
	t = tsdb_flag_table(&v);
	char *argv2[] = { "vigil-server" };
	cr_assert_eq(flags_parse(1, argv2, &t, 1, NULL, &asked, err, sizeof(err)), 0, "%s", err);
	tsdb_options_from_flags(&v, &o);
	cr_assert_str_eq(o.path, "data/");
	cr_assert_eq(o.retention_ms, 15 * 24 * H);
	flags_free(&t, 1);
}

/* seek/next over a series whose samples sit in blocks and in the head */
Test(db, iterator_seek_across_blocks_and_head)
{
	struct tsdb *db = open_db(0);
	fill(db, T0, T0 + 7 * H);
	cr_assert_eq(tsdb_compact(db, false), 0);
	cr_assert_geq(count_blocks(), 2);
	struct tsdb_matcher *ms;
	size_t nm;
	char err[64];
	cr_assert_eq(tsdb_parse_selector("req{job=\"web\",instance=\"3\"}", &ms, &nm, err,
					 sizeof(err)), 0);
	struct tsdb_querier *q;
	cr_assert_eq(tsdb_querier_new(db, T0 + 30 * 60000, T0 + 6 * H, &q), 0);
	struct tsdb_series_set *set;
	cr_assert_eq(tsdb_querier_select(q, ms, nm, &set), 0);
	cr_assert_eq(tsdb_series_set_len(set), 1);
	struct tsdb_iter *it;
	cr_assert_eq(tsdb_series_iter(set, 0, &it), 0);
	int64_t t;
	double v;
	cr_assert_eq(tsdb_iter_next(it, &t, &v), 1);
	cr_assert_eq(t, T0 + 30 * 60000, "first sample at the querier's mint");
	/* into the second block, between samples: lands on the next one */
	cr_assert_eq(tsdb_iter_seek(it, T0 + 3 * H + 30000, &t, &v), 1);
	cr_assert_eq(t, T0 + 3 * H + 60000);
	cr_assert_eq(v, (double)(t / 60000) + 1);
	/* into the head */
	cr_assert_eq(tsdb_iter_seek(it, T0 + 5 * H, &t, &v), 1);
	cr_assert_eq(t, T0 + 5 * H);
	size_t rest = 0;
	while (tsdb_iter_next(it, &t, &v) == 1)
		rest++;
	cr_assert_eq(rest, 60, "samples after 5h up to the querier's maxt: %zu", rest);
	cr_assert_eq(tsdb_iter_seek(it, T0 + 9 * H, &t, &v), 0);
	tsdb_iter_free(it);
	tsdb_series_set_free(set);
	tsdb_querier_free(q);
	for (size_t i = 0; i < nm; i++)
		tsdb_matcher_free(&ms[i]);
	free(ms);
	tsdb_close(db);
}
