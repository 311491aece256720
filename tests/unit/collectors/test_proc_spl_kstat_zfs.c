// SPDX-License-Identifier: Apache-2.0
/*
 * zfs collector: node_exporter's fixture kstats (read in place) against
 * upstream's expected output at HEAD and v1.5.0, kstat parsing (types,
 * names, the header), pool io/objset/state files, no ZFS, garbage and
 * vanishing files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "harness.h"
#include "../shared_fixtures.h"

extern const struct collector collector_zfs;

HARNESS_SUITE(zfs, "zfs", HARNESS_PROCFS);
HARNESS_FIXTURE_SUITE(zfs_fixture, "zfs", HARNESS_PROCFS);

#define NE  VIGIL_SHARED_FIXTURES "/node_exporter"
#define K   "spl/kstat/zfs/"
#define HDR "6 1 0x01 3 144 8626523018 27281290396744\nname                            type data\n"

Test(zfs_fixture, head)
{
	struct buf out = BUF_INIT;
	host_roots.procfs = NE "/proc";
	harness_assert_fixture_series(&collector_zfs, NE "/e2e-output.txt", "node_zfs_", NULL,
				      &out);
	assert_has(&out, "# HELP node_zfs_dbuf_hash_hits kstat.zfs.misc.dbufstats.hash_hits");
	assert_has(&out, "# TYPE node_zfs_arc_hits untyped");
	assert_has(&out, "# TYPE node_zfs_zpool_state gauge");
	buf_free(&out);
}

Test(zfs_fixture, v1_5_0)
{
	struct buf out = BUF_INIT;
	host_roots.procfs = NE "/v1.5.0/proc";
	/* all of 1.5's series, and the "suspended" state it did not know */
	harness_assert_fixture_series(&collector_zfs, NE "/v1.5.0/e2e-output.txt", "node_zfs_",
				      "state=\"suspended\"", &out);
	assert_has(&out, "node_zfs_zpool_state{state=\"suspended\",zpool=\"pool1\"} 0");
	/* 1.5's file name for the dbuf statistics, named in the HELP */
	assert_has(&out, "# HELP node_zfs_dbuf_hash_hits kstat.zfs.misc.dbuf_stats.hash_hits");
	buf_free(&out);
}

Test(zfs, no_zfs)
{
	/* no module: "no data" */
	harness_assert_scrape(&collector_zfs, -ENODATA, "");
	/* the module without any statistics file or pool: success, nothing */
	harness_mkdirs(K);
	harness_assert_scrape(&collector_zfs, 0, "");
}

Test(zfs, kstat_parsing)
{
	struct buf out = BUF_INIT;
	harness_put(K "arcstats", HDR "hits                            4    8772612\n"
				      "memory_available_bytes          3    -922337203685477580\n"
				      "some_string                     7    hello world\n"
				      "l2-hits                         4    5\n"
				      "dotted.name                     4    6\n"
				      "short 4\n"
				      "bad!name                        4    7\n");
	harness_put(K "zil", "name type data\nzil_commit_count 4 13\n"); /* no kstat header line */
	harness_put(K "dbuf_stats", HDR "hash_hits 4 1\n");		 /* 1.5's name */
	harness_put(K "fletcher_4_bench", "implementation native byteswap\nscalar 1 2\n");
	cr_assert_eq(harness_scrape(&collector_zfs, NULL, &out), 0);
	assert_has(&out, "# HELP node_zfs_arc_hits kstat.zfs.misc.arcstats.hits");
	assert_has(&out, "# TYPE node_zfs_arc_hits untyped");
	assert_has(&out, "node_zfs_arc_hits 8.772612e+06");
	assert_has(&out, "node_zfs_arc_memory_available_bytes -9.223372036854776e+17");
	assert_has(&out, "node_zfs_arc_l2_hits 5");
	assert_has(&out, "# HELP node_zfs_arc_l2_hits kstat.zfs.misc.arcstats.l2-hits");
	assert_has(&out, "node_zfs_arc_name 6");
	assert_lacks(&out, "some_string");
	assert_lacks(&out, "short");
	assert_lacks(&out, "bad");
	assert_has(&out, "node_zfs_zil_zil_commit_count 13");
	assert_has(&out, "# HELP node_zfs_dbuf_hash_hits kstat.zfs.misc.dbuf_stats.hash_hits");
	assert_lacks(&out, "fletcher");
	/* dbufstats, OpenZFS's name, wins over dbuf_stats */
	harness_put(K "dbufstats", HDR "hash_hits 4 2\n");
	cr_assert_eq(harness_scrape(&collector_zfs, NULL, &out), 0);
	assert_has(&out, "# HELP node_zfs_dbuf_hash_hits kstat.zfs.misc.dbufstats.hash_hits");
	assert_has(&out, "node_zfs_dbuf_hash_hits 2");
	buf_free(&out);
}

Test(zfs, kstat_garbage)
{
	static const char *const bad[] = {
		"6 1 0x01\nnothing here\n",	     /* no "name type data" line */
		"",				     /* empty */
		HDR "hits 4 12x\n",		     /* not a number */
		HDR "hits 4 -1\n",		     /* unsigned */
		HDR "hits 3 9223372036854775808\n",  /* int64 overflow */
		HDR "hits 4 18446744073709551616\n", /* uint64 overflow */
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* abdstats comes first: what it reported stays, as in node_exporter */
		harness_put(K "abdstats", HDR "struct_size 4 2\n");
		harness_put(K "arcstats", bad[i]);
		cr_assert_eq(harness_scrape(&collector_zfs, NULL, &out), -EINVAL, "accepted '%s'",
			     bad[i]);
		assert_has(&out, "node_zfs_abd_struct_size 2");
		assert_lacks(&out, "node_zfs_arc_");
	}
	/* a kstat file that cannot be read (a directory) is an error, not a missing file */
	harness_rm(K "arcstats");
	harness_mkdirs(K "arcstats");
	cr_assert_lt(harness_scrape(&collector_zfs, NULL, &out), 0);
	buf_free(&out);
}

Test(zfs, pools)
{
	struct buf out = BUF_INIT;
	harness_put(
		K "pool1/io",
		"12 3 0x00 1 80 79205351707403 395818011156865\n"
		"nread    nwritten reads    writes   wtime    wlentime wupdate  rtime    "
		"rlentime rupdate  wcnt     rcnt\n"
		"1884160  3206144  22       132      7155162  104112268 79210489694949 24168078 "
		"104112268 79210489849220 0        1\n");
	harness_put(K "pool1/objset-0x36",
		    "49 1 0x01 7 2160 5214787391 74985931356512\n"
		    "name                            type data\n"
		    "dataset_name                    7    pool1/my  data set\n"
		    "writes                          4    4\n"
		    "nwritten                        4    12302\n"
		    "nunlinks                        4    3\n");
	harness_put(K "pool1/objset-0x1", "name type data\n"
					  "nread 4 7\n" /* before dataset_name: no names yet */
					  "dataset_name 7 pool1\n"
					  "nread 4 8\n");
	harness_put(K "pool1/state", "ONLINE\n");
	harness_put(K "pool2/state", "Suspended\n");
	harness_put(K "pool3/state", "");
	harness_put(K "pool4/io", "no header\n1 2 3\n");
	harness_mkdirs(K "pool5");
	cr_assert_eq(harness_scrape(&collector_zfs, NULL, &out), 0);
	assert_has(&out, "# HELP node_zfs_zpool_nread kstat.zfs.misc.io.nread");
	assert_has(&out, "node_zfs_zpool_nread{zpool=\"pool1\"} 1.88416e+06");
	assert_has(&out, "node_zfs_zpool_rcnt{zpool=\"pool1\"} 1");
	assert_lacks(&out, "zpool=\"pool4\"");
	assert_has(&out, "# HELP node_zfs_zpool_dataset_writes kstat.zfs.misc.objset.writes");
	assert_has(&out, "node_zfs_zpool_dataset_writes{dataset=\"pool1/my  data set\","
			 "zpool=\"pool1\"} 4");
	assert_has(&out, "node_zfs_zpool_dataset_nunlinks{dataset=\"pool1/my  data set\","
			 "zpool=\"pool1\"} 3");
	assert_has(&out, "node_zfs_zpool_dataset_nread{dataset=\"\",zpool=\"\"} 7");
	assert_has(&out, "node_zfs_zpool_dataset_nread{dataset=\"pool1\",zpool=\"pool1\"} 8");
	assert_has(&out, "node_zfs_zpool_state{state=\"online\",zpool=\"pool1\"} 1");
	assert_has(&out, "node_zfs_zpool_state{state=\"degraded\",zpool=\"pool1\"} 0");
	assert_has(&out, "node_zfs_zpool_state{state=\"suspended\",zpool=\"pool2\"} 1");
	assert_has(&out, "node_zfs_zpool_state{state=\"online\",zpool=\"pool3\"} 0");
	assert_has(&out, "node_zfs_zpool_state{state=\"unavail\",zpool=\"pool3\"} 0");
	assert_lacks(&out, "pool5");
	buf_free(&out);
}

Test(zfs, pool_garbage)
{
	static const char *const bad[][2] = {
		{"io", "nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate "
		       "wcnt rcnt\n1 2 3\n"}, /* a short values line */
		{"io", "nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate "
		       "wcnt rcnt\n1 2 3 4 5 6 7 8 9 10 11 x\n"},
		{"objset-0x1", "dataset_name 7 p\nwrites 4 1\n"}, /* no header line */
		{"objset-0x1", "name type data\nwrites 4 -1\n"},
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cmd[PATH_MAX + 16], path[PATH_MAX], rel[256];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, "spl"));
		cr_assert_eq(system(cmd), 0);
		harness_put(K "arcstats", HDR "hits 4 1\n");
		snprintf(rel, sizeof(rel), K "pool1/%s", bad[i][0]);
		harness_put(rel, bad[i][1]);
		cr_assert_eq(harness_scrape(&collector_zfs, NULL, &out), -EINVAL,
			     "accepted %s '%s'", bad[i][0], bad[i][1]);
		assert_has(&out, "node_zfs_arc_hits 1");
	}
	buf_free(&out);
}

Test(zfs, vanishing_files)
{
	struct buf out = BUF_INIT;
	void *st = calloc(1, collector_zfs.state_size);
	char path[PATH_MAX], cmd[PATH_MAX + 16];
	harness_put(K "arcstats", HDR "hits 4 1\n");
	harness_put(K "zil", HDR "zil_commit_count 4 2\n");
	harness_put(K "tank/state", "ONLINE\n");
	harness_put(K "tank/io",
		    "nread nwritten reads writes wtime wlentime wupdate rtime rlentime "
		    "rupdate wcnt rcnt\n1 2 3 4 5 6 7 8 9 10 11 12\n");
	cr_assert_eq(harness_scrape(&collector_zfs, st, &out), 0);
	assert_has(&out, "node_zfs_arc_hits 1");
	assert_has(&out, "node_zfs_zpool_nread{zpool=\"tank\"} 1");
	/* a statistics file gone (a module without that feature): skipped */
	harness_rm(K "arcstats");
	cr_assert_eq(harness_scrape(&collector_zfs, st, &out), 0);
	assert_lacks(&out, "node_zfs_arc_");
	assert_has(&out, "node_zfs_zil_zil_commit_count 2");
	/* a pool file listed but gone when opened (a pool being exported): a failure */
	harness_rm(K "tank/io");
	harness_link("/nonexistent/io", K "tank/io");
	cr_assert_lt(harness_scrape(&collector_zfs, st, &out), 0);
	/* the pool exported */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, K "tank"));
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(harness_scrape(&collector_zfs, st, &out), 0);
	assert_lacks(&out, "tank");
	/* the module unloaded, then loaded again */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, "spl"));
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(harness_scrape(&collector_zfs, st, &out), -ENODATA);
	harness_put(K "arcstats", HDR "hits 4 3\n");
	cr_assert_eq(harness_scrape(&collector_zfs, st, &out), 0);
	assert_has(&out, "node_zfs_arc_hits 3");
	collector_zfs.cleanup(st);
	free(st);
	buf_free(&out);
}
