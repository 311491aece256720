// SPDX-License-Identifier: Apache-2.0
/*
 * btrfs collector: node_exporter's fixture filesystems (read in place)
 * against upstream's expected output at HEAD and v1.5.0, allocation ratios,
 * procfs's reader quirks (which errors zero values, which fail), no btrfs,
 * garbage and vanishing files, and the mount table side (no usable mount:
 * devices from sysfs).
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

extern const struct collector collector_btrfs;

#define ROOTS (HARNESS_SYSFS | HARNESS_PROCFS | HARNESS_ROOTFS)
HARNESS_SUITE(btrfs, "btrfs", ROOTS);
HARNESS_FIXTURE_SUITE(btrfs_fixture, "btrfs", ROOTS);

#define NE VIGIL_SHARED_FIXTURES "/node_exporter"
#define FS "fs/btrfs/11111111-2222-3333-4444-555555555555/"
#define U  "uuid=\"11111111-2222-3333-4444-555555555555\""

Test(btrfs_fixture, head)
{
	struct buf out = BUF_INIT;
	/* the fixture's proc has no mount table: devices come from sysfs */
	host_roots.sysfs = NE "/sys";
	harness_assert_fixture_series(&collector_btrfs, NE "/e2e-output.txt", "node_btrfs_", NULL,
				      &out);
	assert_has(&out, "# HELP node_btrfs_info Filesystem information");
	assert_has(&out, "# TYPE node_btrfs_commits_total counter");
	buf_free(&out);
}

Test(btrfs_fixture, v1_5_0)
{
	struct buf out = BUF_INIT;
	host_roots.sysfs = NE "/v1.5.0/sys";
	/* and the four commit families (no commit_stats there: 0), which came after 1.5 */
	harness_assert_fixture_series(&collector_btrfs, NE "/v1.5.0/e2e-output.txt", "node_btrfs_",
				      "commit", &out);
	assert_has(&out,
		   "node_btrfs_commits_total{uuid=\"0abb23a9-579b-43e6-ad30-227ef47fcb9d\"} 0");
	buf_free(&out);
}

/* A filesystem of n devices with one layout per allocation type. */
static void put_fs(int ndevs, const char *data_mode)
{
	char rel[256];
	for (int i = 0; i < ndevs; i++) {
		snprintf(rel, sizeof(rel), FS "devices/loop%d/size", i);
		harness_put(rel, "20971520\n");
	}
	harness_put(FS "label", "  my label \n");
	harness_put(FS "metadata_uuid", "11111111-2222-3333-4444-555555555555\n");
	harness_mkdirs(FS "features");
	harness_put(FS "allocation/global_rsv_size", "16777216\n");
	static const char *const types[3] = {"data", "metadata", "system"};
	for (int t = 0; t < 3; t++) {
		const char *mode = t == 0 ? data_mode : "dup";
		snprintf(rel, sizeof(rel), FS "allocation/%s/bytes_reserved", types[t]);
		harness_put(rel, t == 0 ? "4096\n" : "0\n");
		snprintf(rel, sizeof(rel), FS "allocation/%s/%s/total_bytes", types[t], mode);
		harness_put(rel, "1073741824\n");
		snprintf(rel, sizeof(rel), FS "allocation/%s/%s/used_bytes", types[t], mode);
		harness_put(rel, "65536\n");
		/* a plain file beside the layouts is no layout */
		snprintf(rel, sizeof(rel), FS "allocation/%s/flags", types[t]);
		harness_put(rel, "1\n");
	}
	harness_put(FS "commit_stats",
		    "commits 12\nlast_commit_ms 1500\nmax_commit_ms 2500\ntotal_commit_ms 9000\n");
}

Test(btrfs, values)
{
	struct buf out = BUF_INIT;
	put_fs(3, "raid5");
	harness_mkdirs("fs/btrfs/features");
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_info{label=\"my label\"," U "} 1");
	assert_has(&out, "node_btrfs_global_rsv_size_bytes{" U "} 1.6777216e+07");
	assert_has(&out, "node_btrfs_reserved_bytes{block_group_type=\"data\"," U "} 4096");
	assert_has(&out,
		   "node_btrfs_used_bytes{block_group_type=\"data\",mode=\"raid5\"," U "} 65536");
	assert_has(&out, "node_btrfs_size_bytes{block_group_type=\"system\",mode=\"dup\"," U
			 "} 1.073741824e+09");
	assert_has(&out, "node_btrfs_allocation_ratio{block_group_type=\"data\",mode=\"raid5\"," U
			 "} 1.5");
	assert_has(&out, "node_btrfs_allocation_ratio{block_group_type=\"metadata\",mode=\"dup\"," U
			 "} 2");
	assert_has(&out, "node_btrfs_device_size_bytes{device=\"loop2\"," U "} 1.073741824e+10");
	assert_has(&out, "node_btrfs_commits_total{" U "} 12");
	assert_has(&out, "node_btrfs_last_commit_seconds{" U "} 1.5");
	assert_has(&out, "node_btrfs_max_commit_seconds{" U "} 2.5");
	assert_has(&out, "node_btrfs_commit_seconds_total{" U "} 9");
	assert_lacks(&out, "mode=\"flags\"");
	assert_lacks(&out, "features");
	buf_free(&out);
}

Test(btrfs, ratios)
{
	static const struct {
		const char *mode;
		int ndevs;
		const char *want;
	} cases[] = {
		{"single", 1, "1"},   {"raid0", 2, "1"},   {"raid10", 4, "2"},
		{"raid1c3", 3, "3"},  {"raid1c4", 4, "4"}, {"raid6", 4, "2"},
		{"raid5", 1, "+Inf"}, {"raid6", 1, "-1"},  {"weird", 2, "0"},
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[PATH_MAX + 16], path[PATH_MAX], line[256];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, "fs"));
		cr_assert_eq(system(cmd), 0);
		put_fs(cases[i].ndevs, cases[i].mode);
		cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
		snprintf(line, sizeof(line),
			 "node_btrfs_allocation_ratio{block_group_type=\"data\",mode=\"%s\"," U
			 "} %s",
			 cases[i].mode, cases[i].want);
		assert_has(&out, line);
	}
	buf_free(&out);
}

Test(btrfs, no_btrfs)
{
	/* no module, then the module loaded with nothing mounted: success, no series */
	harness_assert_scrape(&collector_btrfs, 0, "");
	harness_put("fs/btrfs/features/raid1c34", "0\n");
	harness_assert_scrape(&collector_btrfs, 0, "");
}

Test(btrfs, reader_quirks)
{
	struct buf out = BUF_INIT;
	char path[PATH_MAX];
	/* no metadata_uuid: the directory's name; values that are not numbers: 0 */
	put_fs(1, "single");
	harness_rm(FS "metadata_uuid");
	harness_put(FS "allocation/data/single/used_bytes", "lots\n");
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_info{label=\"my label\"," U "} 1");
	assert_has(&out,
		   "node_btrfs_used_bytes{block_group_type=\"data\",mode=\"single\"," U "} 0");

	/* no features/ directory: the values after it read as 0, yet no failure */
	cr_assert_eq(rmdir(harness_path(path, FS "features")), 0);
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_global_rsv_size_bytes{" U "} 0");
	assert_has(&out, "node_btrfs_size_bytes{block_group_type=\"data\",mode=\"single\"," U
			 "} 1.073741824e+09");
	harness_mkdirs(FS "features");

	/* a label that cannot be read (a directory) is "", and zeroes what follows */
	harness_rm(FS "label");
	harness_mkdirs(FS "label");
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_info{label=\"\"," U "} 1");
	assert_has(&out, "node_btrfs_global_rsv_size_bytes{" U "} 0");
	cr_assert_eq(rmdir(harness_path(path, FS "label")), 0);

	/* an unlistable data or metadata allocation is forgiven (the next type's reader
	 * replaces its error); system's is not */
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, FS "allocation/data"));
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_reserved_bytes{block_group_type=\"data\"," U "} 0");
	assert_lacks(&out, "block_group_type=\"data\",mode");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, FS "allocation/system"));
	cr_assert_eq(system(cmd), 0);
	cr_assert_lt(harness_scrape(&collector_btrfs, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}

Test(btrfs, commit_stats)
{
	static const char *const bad[] = {
		"commits\n",
		"commits 1 2\n",
		"commits -1\n",
		"commits 1\n\nmax_commit_ms 2\n",
	};
	struct buf out = BUF_INIT;
	put_fs(1, "single");
	/* before Linux 6.0: no file, zeros */
	harness_rm(FS "commit_stats");
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_commits_total{" U "} 0");
	/* unknown keys are fine, a malformed line fails the collector */
	harness_put(FS "commit_stats", "commits 7\nnew_key 3\n");
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_commits_total{" U "} 7");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put(FS "commit_stats", bad[i]);
		cr_assert_lt(harness_scrape(&collector_btrfs, NULL, &out), 0, "accepted '%s'",
			     bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}

Test(btrfs, vanishing_files)
{
	struct buf out = BUF_INIT;
	void *st = calloc(1, collector_btrfs.state_size);
	char cmd[PATH_MAX + 16], path[PATH_MAX];
	put_fs(2, "raid1");
	cr_assert_eq(harness_scrape(&collector_btrfs, st, &out), 0);
	assert_has(&out, "node_btrfs_device_size_bytes{device=\"loop1\"," U "} 1.073741824e+10");
	/* a device removed */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, FS "devices/loop1"));
	cr_assert_eq(system(cmd), 0);
	harness_rm(FS "allocation/global_rsv_size");
	cr_assert_eq(harness_scrape(&collector_btrfs, st, &out), 0);
	assert_lacks(&out, "loop1");
	assert_has(&out, "node_btrfs_global_rsv_size_bytes{" U "} 0");
	/* the filesystem unmounted under us: its allocation directories gone */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, FS "allocation"));
	cr_assert_eq(system(cmd), 0);
	cr_assert_lt(harness_scrape(&collector_btrfs, st, &out), 0);
	/* and gone entirely */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_path(path, "fs/btrfs"));
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(harness_scrape(&collector_btrfs, st, &out), 0);
	cr_assert_str_empty(out.data);
	/* mounted again */
	put_fs(2, "raid1");
	cr_assert_eq(harness_scrape(&collector_btrfs, st, &out), 0);
	assert_has(&out, "node_btrfs_device_size_bytes{device=\"loop1\"," U "} 1.073741824e+10");
	collector_btrfs.cleanup(st);
	free(st);
	buf_free(&out);
}

Test(btrfs, mount_table)
{
	struct buf out = BUF_INIT;
	put_fs(1, "single");
	/* btrfs mounts that are no btrfs subvolume roots here (a plain directory, a
	 * missing one, an escaped blank): skipped, devices from sysfs */
	harness_mkdirs("mnt/data dir");
	harness_put("1/mounts", "/dev/sda1 / ext4 rw 0 0\n"
				"/dev/loop0 /mnt/data\\040dir btrfs rw 0 0\n"
				"/dev/loop0 /mnt/gone btrfs rw 0 0\n");
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_device_size_bytes{device=\"loop0\"," U "} 1.073741824e+10");
	assert_lacks(&out, "btrfs_dev_uuid");
	/* a malformed mount table: the same */
	harness_put("1/mounts", "/dev/loop0 /mnt btrfs\n");
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_device_size_bytes{device=\"loop0\"," U "} 1.073741824e+10");
	/* no 1/mounts (hidepid): <procfs>/mounts */
	harness_rm("1/mounts");
	harness_put("mounts", "/dev/loop0 /mnt btrfs rw 0 0\n");
	cr_assert_eq(harness_scrape(&collector_btrfs, NULL, &out), 0);
	assert_has(&out, "node_btrfs_device_size_bytes{device=\"loop0\"," U "} 1.073741824e+10");
	buf_free(&out);
}
