// SPDX-License-Identifier: Apache-2.0
/*
 * mdadm collector over generated /proc/mdstat and /sys/block/md*: states,
 * disk counts, sync progress, raid0 member counting, the sysfs raid_disks
 * and degraded gauges, malformed arrays and missing files.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_mdadm;

HARNESS_SUITE(mdadm, "mdadm", HARNESS_PROCFS | HARNESS_SYSFS);

#define MDSTAT_HEAD "Personalities : [linear] [raid0] [raid1] [raid6] [raid5] [raid4] [raid10]\n\n"

Test(mdadm, happy)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_mdadm), 0);
	harness_put("mdstat",
		    MDSTAT_HEAD
		    "md6 : active raid1 sdb2[2](F) sdc[1](S) sda2[0]\n"
		    "      195310144 blocks [2/1] [U_]\n"
		    "      [=>...................]  recovery =  8.5% (16775552/195310144) "
		    "finish=17.0min speed=259783K/sec\n\n"
		    "md7 : active raid6 sdb1[0] sde1[3] sdd1[2] sdc1[1](F)\n"
		    "      7813735424 blocks super 1.2 level 6, 512k chunk, algorithm 2 [4/3] [U_UU]\n"
		    "      bitmap: 0/30 pages [0KB], 65536KB chunk\n\n"
		    "md9 : active raid1 sdc2[2] sdd2[3]\n"
		    "      523968 blocks super 1.2 [4/4] [UUUU]\n"
		    "      resync=DELAYED\n\n"
		    "md10 : active raid0 sda1[0] sdb1[1]\n"
		    "       314159265 blocks 64k chunks\n\n"
		    "md4 : inactive raid1 sda3[0](F) sdb3[1](S)\n"
		    "      4883648 blocks [2/2] [UU]\n\n"
		    "unused devices: <none>\n");
	harness_put("block/md1/md/level", "raid1\n");
	harness_put("block/md1/md/array_state", "clean\n");
	harness_put("block/md1/md/metadata_version", "1.2\n");
	harness_put("block/md1/md/raid_disks", "11 (10)\n");
	harness_put("block/md1/md/uuid", "0fbf5f2c\n");
	harness_put("block/md1/md/dev-sda1/state", "in_sync\n");
	harness_put("block/md1/md/degraded", "1\n");
	harness_put("block/md1/md/sync_action", "idle\n");
	harness_put("block/md1/md/sync_completed", "10 / 20\n");
	harness_put("block/md2/md/level", "container\n");
	harness_put("block/md2/md/array_state", "inactive\n");
	harness_put("block/md2/md/metadata_version", "external:imsm\n");
	harness_put("block/md2/md/uuid", "x\n");
	harness_mkdirs("block/sda");
	cr_assert_eq(harness_scrape(&collector_mdadm, NULL, &out), 0);
	assert_has(&out, "node_md_state{device=\"md6\",state=\"recovering\"} 1");
	assert_has(&out, "node_md_state{device=\"md6\",state=\"active\"} 0");
	assert_has(&out, "node_md_blocks_synced{device=\"md6\"} 1.6775552e+07");
	assert_has(&out, "node_md_disks{device=\"md6\",state=\"failed\"} 1");
	assert_has(&out, "node_md_disks{device=\"md6\",state=\"spare\"} 1");
	assert_has(&out, "node_md_disks{device=\"md6\",state=\"active\"} 1");
	assert_has(&out, "node_md_disks_required{device=\"md6\"} 2");
	assert_has(&out, "node_md_state{device=\"md7\",state=\"active\"} 1");
	assert_has(&out, "node_md_blocks_synced{device=\"md7\"} 7.813735424e+09");
	assert_has(&out, "node_md_state{device=\"md9\",state=\"resync\"} 1");
	assert_has(&out, "node_md_blocks_synced{device=\"md9\"} 0");
	assert_has(&out, "node_md_disks_required{device=\"md10\"} 2");
	assert_has(&out, "node_md_disks{device=\"md10\",state=\"active\"} 2");
	assert_has(&out, "node_md_state{device=\"md4\",state=\"inactive\"} 1");
	assert_has(&out, "node_md_disks_required{device=\"md4\"} 0");
	assert_has(&out, "node_md_raid_disks{device=\"md1\"} 11");
	assert_has(&out, "node_md_degraded{device=\"md1\"} 1");
	assert_has(&out, "node_md_degraded{device=\"md2\"} 0");
	assert_lacks(&out, "node_md_raid_disks{device=\"md2\"}");
	assert_has(&out, "# TYPE node_md_state gauge");
	buf_free(&out);
}

Test(mdadm, garbage)
{
	static const char *const bad[] = {
		MDSTAT_HEAD "md0 : active\n",
		MDSTAT_HEAD "md0 :\n      5 blocks [2/2] [UU]\n\n\n",
		MDSTAT_HEAD "md0 : active raid1 a[0] b[1]\n      x blocks [2/2] [UU]\n\n\n",
		MDSTAT_HEAD "md0 : active raid1 a[0] b[1]\n      5 blocks [2/2]\n\n\n",
		MDSTAT_HEAD "md0 : active raid1 a[0] b[1]\n      5 blocks [2/2] [UU]\n"
			    "      [=>..]  recovery = x% (1/5) finish=1.0min speed=1K/sec\n\n",
		MDSTAT_HEAD "md0 : active raid1 a[99999999999] b[1]\n      5 blocks [2/2] [UU]\n\n\n",
	};
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_mdadm), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("mdstat", bad[i]);
		int rc = harness_scrape(&collector_mdadm, NULL, &out);
		cr_assert(rc == -EINVAL || rc == -ERANGE, "accepted '%s' (%d)", bad[i], rc);
		cr_assert_str_empty(out.data);
	}
	/* a bad sysfs attribute fails after mdstat */
	harness_put("mdstat", MDSTAT_HEAD "unused devices: <none>\n");
	harness_put("block/md1/md/level", "raid1\n");
	harness_put("block/md1/md/array_state", "clean\n");
	harness_put("block/md1/md/metadata_version", "1.2\n");
	harness_put("block/md1/md/raid_disks", "2\n");
	harness_put("block/md1/md/uuid", "u\n");
	harness_put("block/md1/md/degraded", "one\n");
	cr_assert_eq(harness_scrape(&collector_mdadm, NULL, &out), -EINVAL);
	buf_free(&out);
}

Test(mdadm, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_mdadm), 0);
	cr_assert_eq(harness_scrape(&collector_mdadm, NULL, &out), -ENODATA);
	/* no sysfs arrays: fine; a sysfs array without its files: no data */
	harness_put("mdstat", MDSTAT_HEAD "unused devices: <none>\n");
	cr_assert_eq(harness_scrape(&collector_mdadm, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	harness_put("block/md0/md/level", "raid1\n");
	cr_assert_eq(harness_scrape(&collector_mdadm, NULL, &out), -ENODATA);
	buf_free(&out);
}
