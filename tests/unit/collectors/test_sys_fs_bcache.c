// SPDX-License-Identifier: Apache-2.0
/*
 * bcache collector: node_exporter's fixture set (its sysfs entries linked
 * into a temp tree, bdev0 and cache0 as the symlinks into sys/devices that
 * the shared copy lost) against upstream's expected output, bch_hprint
 * values, the priority stats flag, no bcache module, garbage and vanishing
 * files.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"
#include "../shared_fixtures.h"

extern const struct collector collector_bcache;

/* Each test starts on a fresh tree with the flag at its default. */
static void bcache_init(void)
{
	harness_flag_ok(&collector_bcache, "collector.bcache.priorityStats", "false");
	harness_tree_new("bcache", HARNESS_SYSFS);
}

TestSuite(bcache, .init = bcache_init, .fini = harness_tree_free);

/* The same over the shared fixtures: skipped (before any tree is made) without them. */
static void bcache_fixture_init(void)
{
	shared_fixtures_or_skip();
	bcache_init();
}

TestSuite(bcache_fixture, .init = bcache_fixture_init, .fini = harness_tree_free);

#define NE   VIGIL_SHARED_FIXTURES "/node_exporter"
#define UUID "deaddd54-c735-46d5-868e-f331c5fd7c74"
#define SET  "fs/bcache/" UUID "/"
#define BLK  "/sys/devices/pci0000:00/0000:00:0d.0"

/* The fixture's set in the tree: its entries linked, bdev0 and cache0 as symlinks. */
static void link_fixture_set(const char *tree)
{
	char dir[512], target[1024], rel[512];
	snprintf(dir, sizeof(dir), "%s/sys/" SET, tree);
	DIR *d = opendir(dir);
	cr_assert(d, "opendir %s", dir);
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "bdev0") ||
		    !strcmp(e->d_name, "cache0"))
			continue;
		snprintf(target, sizeof(target), "%s%s", dir, e->d_name);
		snprintf(rel, sizeof(rel), SET "%s", e->d_name);
		harness_link(target, rel);
	}
	closedir(d);
	snprintf(target, sizeof(target),
		 "%s" BLK "/ata4/host3/target3:0:0/3:0:0:0/block/sdb/bcache", tree);
	harness_link(target, SET "bdev0");
	snprintf(target, sizeof(target),
		 "%s" BLK "/ata5/host4/target4:0:0/4:0:0:0/block/sdc/bcache", tree);
	harness_link(target, SET "cache0");
}

Test(bcache_fixture, head)
{
	struct buf out = BUF_INIT;
	link_fixture_set(NE);
	harness_flag_ok(&collector_bcache, "collector.bcache.priorityStats", "true");
	harness_assert_fixture_series(&collector_bcache, NE "/e2e-output.txt", "node_bcache_", NULL,
				      &out);
	assert_has(&out, "# TYPE node_bcache_cache_hits_total counter");
	assert_has(&out, "# HELP node_bcache_congested Congestion.");
	buf_free(&out);
}

Test(bcache_fixture, v1_5_0)
{
	struct buf out = BUF_INIT;
	link_fixture_set(NE "/v1.5.0");
	harness_flag_ok(&collector_bcache, "collector.bcache.priorityStats", "true");
	/* 1.5 reports a readahead count of 0, which upstream now leaves out: we keep it */
	harness_assert_fixture_series(&collector_bcache, NE "/v1.5.0/e2e-output.txt",
				      "node_bcache_", NULL, &out);
	buf_free(&out);
}

/* A set with one backing and one cache device, values in bch_hprint's forms. */
static void put_set(void)
{
	static const char *const top[][2] = {
		{"average_key_size", "12\n"},
		{"btree_cache_size", "1.5M\n"},
		{"cache_available_percent", "97\n"},
		{"congested", "0\n"},
		{"root_usage_percent", "3\n"},
		{"tree_depth", "1\n"},
		{"internal/active_journal_entries", "2\n"},
		{"internal/btree_nodes", "1.2.3k\n"},
		{"internal/btree_read_average_duration_us", "2000\n"},
		{"internal/cache_read_races", "7\n"},
		{"bdev0/dirty_data", "2.5G\n"},
		{"bdev0/stats_total/bypassed", "1.0k\n"},
		{"bdev0/stats_total/cache_hits", "100\n"},
		{"bdev0/stats_total/cache_misses", "4\n"},
		{"bdev0/stats_total/cache_bypass_hits", "1\n"},
		{"bdev0/stats_total/cache_bypass_misses", "2\n"},
		{"bdev0/stats_total/cache_miss_collisions", "3\n"},
		{"cache0/io_errors", "5\n"},
		{"cache0/metadata_written", "20.4G\n"},
		{"cache0/written", "3x\n"},
		{"cache0/priority_stats", "Unused:\t\t12%\nMetadata:\t3%\nAverage:\t5\n"},
		{"register", "x\n"},
	};
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		char rel[256];
		snprintf(rel, sizeof(rel), "%s%s", SET, top[i][0]);
		harness_put(rel, top[i][1]);
	}
	harness_put(SET "bdev0/writeback_rate_debug",
		    "rate:\t\t1.1M/sec\ndirty:\t\t20.4G\ntarget:\t\t20.4G\n"
		    "proportional:\t-427.5k\nintegral:\t790.0k\nchange:\t\t-321.5k/sec\n"
		    "next io:\t-17ms\n");
	harness_put("fs/bcache/register", "");
}

Test(bcache, values)
{
	struct buf out = BUF_INIT;
	put_set();
	cr_assert_eq(harness_scrape(&collector_bcache, NULL, &out), 0);
	const char *u = "{uuid=\"" UUID "\"}";
	char line[256];
#define HAS(metric, value)                                                                         \
	snprintf(line, sizeof(line), "%s%s %s", metric, u, value);                                 \
	assert_has(&out, line)
	HAS("node_bcache_average_key_size_sectors", "12");
	HAS("node_bcache_btree_cache_size_bytes", "1.560576e+06"); /* (1 + 5/10.24) MiB */
	HAS("node_bcache_btree_nodes", "1224"); /* "1.2.3k": the third part ignored */
	/* 2000 * 1e-9 in float64, as Go computes and prints it */
	HAS("node_bcache_btree_read_average_duration_seconds", "2.0000000000000003e-06");
	HAS("node_bcache_cache_read_races_total", "7");
#undef HAS
	const char *b = "{backing_device=\"bdev0\",uuid=\"" UUID "\"}";
	const char *c = "{cache_device=\"cache0\",uuid=\"" UUID "\"}";
#define HAS(metric, lab, value)                                                                    \
	snprintf(line, sizeof(line), "%s%s %s", metric, lab, value);                               \
	assert_has(&out, line)
	HAS("node_bcache_dirty_data_bytes", b, "2.671771648e+09");
	HAS("node_bcache_writeback_rate", b, "1.150976e+06");
	HAS("node_bcache_dirty_target_bytes", b, "2.189426688e+10");
	HAS("node_bcache_writeback_rate_proportional_term", b, "-437748");
	HAS("node_bcache_writeback_rate_integral_term", b, "808960");
	HAS("node_bcache_writeback_change", b, "-329204");
	HAS("node_bcache_bypassed_bytes_total", b, "1024");
	HAS("node_bcache_cache_hits_total", b, "100");
	HAS("node_bcache_cache_misses_total", b, "4");
	HAS("node_bcache_cache_bypass_hits_total", b, "1");
	HAS("node_bcache_cache_bypass_misses_total", b, "2");
	HAS("node_bcache_cache_miss_collisions_total", b, "3");
	HAS("node_bcache_cache_readaheads_total", b, "0"); /* no such file: 0 */
	HAS("node_bcache_io_errors", c, "5");
	HAS("node_bcache_metadata_written_bytes_total", c, "2.189426688e+10");
	HAS("node_bcache_written_bytes_total", c, "0"); /* an unknown suffix multiplies by 0 */
#undef HAS
	/* the flag is off: no priority families, and the file is not even read */
	assert_lacks(&out, "priority_stats");
	harness_put(SET "cache0/priority_stats", "Unused:\tgarbage%\n");
	cr_assert_eq(harness_scrape(&collector_bcache, NULL, &out), 0);
	harness_put(SET "cache0/priority_stats", "Unused:\t\t12%\nMetadata:\t3%\n");
	harness_flag_ok(&collector_bcache, "collector.bcache.priorityStats", "true");
	cr_assert_eq(harness_scrape(&collector_bcache, NULL, &out), 0);
	assert_has(&out,
		   "node_bcache_priority_stats_unused_percent{cache_device=\"cache0\",uuid=\"" UUID
		   "\"} 12");
	assert_has(
		&out,
		"node_bcache_priority_stats_metadata_percent{cache_device=\"cache0\",uuid=\"" UUID
		"\"} 3");
	buf_free(&out);
}

Test(bcache, no_module)
{
	/* no /sys/fs/bcache at all, then the module loaded without any set */
	harness_assert_scrape(&collector_bcache, 0, "");
	harness_put("fs/bcache/register", "");
	harness_put("fs/bcache/register_quiet", "");
	harness_assert_scrape(&collector_bcache, 0, "");
}

Test(bcache, garbage)
{
	static const char *const bad[][2] = {
		{"average_key_size", "abc\n"}, /* not a number */
		{"average_key_size", ""},      /* empty: procfs would panic */
		{"average_key_size", "\n"},    /* zero-length value */
		{"congested", "k\n"},	       /* a suffix without a number */
		{"tree_depth", "1.x\n"},       /* a bad fraction */
		{"bdev0/dirty_data", "--1\n"},
		{"bdev0/stats_total/cache_hits", "1e999\n"}, /* out of range */
		{"cache0/written", "1.5.\n"},
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char rel[256];
		put_set();
		snprintf(rel, sizeof(rel), "%s%s", SET, bad[i][0]);
		harness_put(rel, bad[i][1]);
		cr_assert_lt(harness_scrape(&collector_bcache, NULL, &out), 0, "accepted %s='%s'",
			     bad[i][0], bad[i][1]);
		/* one bad value fails the whole collector: nothing is reported */
		cr_assert_str_empty(out.data, "after %s: %s", bad[i][0], out.data);
	}
	static const char *const bad_wrd[] = {
		"rate:\t\tfast/sec\n",
		"next io:\tsoonms\n",
		"proportional:\t-\n",
		"change:\n",
	};
	for (size_t i = 0; i < sizeof(bad_wrd) / sizeof(bad_wrd[0]); i++) {
		put_set();
		harness_put(SET "bdev0/writeback_rate_debug", bad_wrd[i]);
		cr_assert_lt(harness_scrape(&collector_bcache, NULL, &out), 0, "accepted '%s'",
			     bad_wrd[i]);
		cr_assert_str_empty(out.data);
	}
	/* a directory where a value should be: a read error, not a missing file */
	put_set();
	harness_rm(SET "congested");
	harness_mkdirs(SET "congested");
	cr_assert_lt(harness_scrape(&collector_bcache, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	/* with the flag, priority_stats must be there and parse */
	char path[PATH_MAX];
	cr_assert_eq(rmdir(harness_path(path, SET "congested")), 0);
	put_set();
	harness_flag_ok(&collector_bcache, "collector.bcache.priorityStats", "true");
	harness_put(SET "cache0/priority_stats", "Unused:\t\tmost%\n");
	cr_assert_lt(harness_scrape(&collector_bcache, NULL, &out), 0);
	harness_rm(SET "cache0/priority_stats");
	cr_assert_lt(harness_scrape(&collector_bcache, NULL, &out), 0);
	buf_free(&out);
}

Test(bcache, vanishing_files)
{
	struct buf out = BUF_INIT;
	void *st = calloc(1, collector_bcache.state_size);
	put_set();
	cr_assert_eq(harness_scrape(&collector_bcache, st, &out), 0);
	assert_has(&out,
		   "node_bcache_cache_hits_total{backing_device=\"bdev0\",uuid=\"" UUID "\"} 100");
	/* a missing value file reads as 0 */
	harness_rm(SET "bdev0/stats_total/cache_hits");
	harness_rm(SET "congested");
	cr_assert_eq(harness_scrape(&collector_bcache, st, &out), 0);
	assert_has(&out,
		   "node_bcache_cache_hits_total{backing_device=\"bdev0\",uuid=\"" UUID "\"} 0");
	assert_has(&out, "node_bcache_congested{uuid=\"" UUID "\"} 0");
	/* writeback_rate_debug must be there */
	harness_rm(SET "bdev0/writeback_rate_debug");
	cr_assert_lt(harness_scrape(&collector_bcache, st, &out), 0);
	cr_assert_str_empty(out.data);
	/* back again */
	put_set();
	cr_assert_eq(harness_scrape(&collector_bcache, st, &out), 0);
	assert_has(&out,
		   "node_bcache_cache_hits_total{backing_device=\"bdev0\",uuid=\"" UUID "\"} 100");
	/* the set unregistered: nothing left to report */
	char cmd[PATH_MAX + 16], path[PATH_MAX];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, "fs/bcache/" UUID));
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(harness_scrape(&collector_bcache, st, &out), 0);
	cr_assert_str_empty(out.data);
	collector_bcache.cleanup(st);
	free(st);
	buf_free(&out);
}
