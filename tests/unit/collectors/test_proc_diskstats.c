// SPDX-License-Identifier: Apache-2.0
/*
 * diskstats collector on generated trees: 14/18/20-field lines, short
 * lines, garbage and overflowing numbers, the device filters and their
 * mutual exclusion, udev properties (serial fallbacks, ATA values, an
 * unparsable one, no udev directory), the rotational label, a missing
 * /proc/diskstats.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_diskstats;

static char procdir[PATH_MAX], sysdir[PATH_MAX], udevdir[PATH_MAX];

static void setup_tree(void)
{
	harness_tree_new("disk", 0);
	harness_mkdirs("proc");
	harness_mkdirs("sys/block/sda/queue");
	harness_mkdirs("udev");
	host_roots.procfs = harness_path(procdir, "proc");
	host_roots.sysfs = harness_path(sysdir, "sys");
	host_roots.udev = harness_path(udevdir, "udev");
}

TestSuite(diskstats, .init = setup_tree, .fini = harness_tree_free);

Test(diskstats, field_counts_and_units)
{
	cr_assert_eq(harness_setup(&collector_diskstats), 0);
	harness_put("proc/diskstats", "   8       0 sda 25354637 34367663 1003346126 18492372 "
				      "28444756 11134226 505697032 "
				      "63877960 0 9653880 82621804\n"
				      "   8       1 sda1 250 0 2000 36 0 0 0 0 0 36 36\n"
				      "   8      16 sdb 326552 841 9657779 84 41822 2895 1972905 "
				      "5007 0 60730 67070 68851 0 "
				      "1925173784 11130\n"
				      "   8      32 sdc 126552 141 1657779 14 11822 1895 172905 "
				      "1007 0 10730 17070 18851 0 "
				      "125173784 11130 1555 1944 99 98\n"
				      " 252       0 dm-0 1 2 3\n"
				      "\n"
				      " 259       0 nvme0n1 18446744073709551615 0 "
				      "18446744073709551615 0 0 0 0 0 0 0 0\n");
	harness_put("sys/block/sda/queue/rotational", "1\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), 0);
	cr_assert(strstr(out.data,
			 "# HELP node_disk_read_bytes_total The total number of bytes read "
			 "successfully.\n# TYPE node_disk_read_bytes_total counter\n"));
	cr_assert(
		strstr(out.data, "node_disk_read_bytes_total{device=\"sda\"} 5.13713216512e+11\n"));
	cr_assert(strstr(out.data,
			 "node_disk_io_time_seconds_total{device=\"sda\"} 9653.880000000001\n"));
	cr_assert(
		strstr(out.data,
		       "# TYPE node_disk_io_now gauge\nnode_disk_io_now{device=\"nvme0n1\"} 0\n"));
	/* 11 stats: no discard family for sda; 15 for sdb; 17 (more ignored) for sdc */
	cr_assert_null(strstr(out.data, "node_disk_discards_completed_total{device=\"sda\"}"));
	cr_assert(strstr(out.data,
			 "node_disk_discarded_sectors_total{device=\"sdb\"} 1.925173784e+09\n"));
	cr_assert(strstr(out.data, "node_disk_discard_time_seconds_total{device=\"sdb\"} 11.13\n"));
	cr_assert_null(strstr(out.data, "node_disk_flush_requests_total{device=\"sdb\"}"));
	cr_assert(strstr(out.data, "node_disk_flush_requests_total{device=\"sdc\"} 1555\n"));
	cr_assert(strstr(out.data,
			 "node_disk_flush_requests_time_seconds_total{device=\"sdc\"} 1.944\n"));
	/* partition excluded by the default filter, short line skipped */
	cr_assert_null(strstr(out.data, "sda1"));
	cr_assert_null(strstr(out.data, "dm-0"));
	/* huge values */
	cr_assert(strstr(out.data, "node_disk_reads_completed_total{device=\"nvme0n1\"} "
				   "1.8446744073709552e+19\n"));
	cr_assert(strstr(out.data, "node_disk_read_bytes_total{device=\"nvme0n1\"} "
				   "9.44473296573929e+21\n"));
	/* no udev file: empty labels; rotational from sysfs, "0" when absent */
	cr_assert(strstr(out.data,
			 "node_disk_info{device=\"sda\",major=\"8\",minor=\"0\",model=\"\","
			 "path=\"\",revision=\"\",rotational=\"1\",serial=\"\",wwn=\"\"} 1\n"));
	cr_assert(strstr(out.data,
			 "node_disk_info{device=\"sdb\",major=\"8\",minor=\"16\",model=\"\","
			 "path=\"\",revision=\"\",rotational=\"0\",serial=\"\",wwn=\"\"} 1\n"));
	buf_free(&out);
}

Test(diskstats, garbage_fails)
{
	cr_assert_eq(harness_setup(&collector_diskstats), 0);
	struct buf out = BUF_INIT;
	harness_put("proc/diskstats", "   8 0 sda 1 2 3 4 5 6 7 8 9 10 x1\n");
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), -EINVAL);
	cr_assert_null(strstr(out.data, "node_disk_"));
	/* 2^64 does not fit */
	harness_put("proc/diskstats", "   8 0 sda 18446744073709551616 2 3 4 5 6 7 8 9 10 11\n");
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), -EINVAL);
	/* major beyond 32 bits */
	harness_put("proc/diskstats", "   4294967296 0 sda 1 2 3 4 5 6 7 8 9 10 11\n");
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), -EINVAL);
	harness_put("proc/diskstats", "   8 0 sda 1 2 -3 4 5 6 7 8 9 10 11\n");
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), -EINVAL);
	/* an empty file is no devices, not an error */
	harness_put("proc/diskstats", "");
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), 0);
	buf_free(&out);
}

Test(diskstats, missing_file)
{
	cr_assert_eq(harness_setup(&collector_diskstats), 0);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), -ENOENT);
	buf_free(&out);
}

Test(diskstats, udev_properties)
{
	cr_assert_eq(harness_setup(&collector_diskstats), 0);
	harness_put("proc/diskstats", "   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
				      " 252 1 dm-1 1 2 3 4 5 6 7 8 9 10 11\n"
				      " 179 0 mmcblk0 1 2 3 4 5 6 7 8 9 10 11\n"
				      "   8 16 sdb 1 2 3 4 5 6 7 8 9 10 11\n");
	harness_put("udev/b8:0",
		    "S:disk/by-id/foo\nE:ID_ATA=1\nE:ID_MODEL=TOSHIBA_X\nE:ID_REVISION=0102\n"
		    "E:ID_SERIAL=LONG_SERIAL\nE:ID_SERIAL_SHORT=SHORT1\n"
		    "E:SCSI_IDENT_SERIAL=IDENT1\nE:ID_WWN=0x7c72\nE:ID_PATH=pci-0000:3b:00.0\n"
		    "E:ID_ATA_WRITE_CACHE=1\nE:ID_ATA_WRITE_CACHE_ENABLED=0\n"
		    "E:ID_ATA_ROTATION_RATE_RPM=7200\nE:ID_FS_TYPE=LVM2_member\n"
		    "E:ID_FS_USAGE=raid\nE:ID_FS_UUID=abc\nE:ID_FS_VERSION=LVM2 001\n"
		    "E:NO_EQUALS\ngarbage line\n");
	harness_put("udev/b252:1", "E:DM_NAME=system-swap_1\nE:DM_UUID=LVM-x\nE:DM_VG_NAME=system\n"
				   "E:DM_LV_NAME=swap_1\n");
	harness_put("udev/b179:0", "E:ID_SERIAL=0x83e36d93\r\nE:ID_PATH=platform-mmc\r\n");
	/* ATA disk with an unparsable value and a missing one */
	harness_put("udev/b8:16",
		    "E:ID_ATA=1\nE:ID_ATA_WRITE_CACHE=yes\nE:ID_ATA_ROTATION_RATE_RPM=0\n"
		    "E:ID_SERIAL_SHORT=SHORT2\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), 0);
	cr_assert(strstr(out.data,
			 "node_disk_info{device=\"sda\",major=\"8\",minor=\"0\","
			 "model=\"TOSHIBA_X\",path=\"pci-0000:3b:00.0\",revision=\"0102\","
			 "rotational=\"0\",serial=\"IDENT1\",wwn=\"0x7c72\"} 1\n"),
		  "%s", out.data);
	cr_assert(strstr(out.data, "serial=\"0x83e36d93\""));
	cr_assert(strstr(out.data, "path=\"platform-mmc\""));
	cr_assert(strstr(out.data, "serial=\"SHORT2\""));
	cr_assert(strstr(out.data, "node_disk_ata_write_cache{device=\"sda\"} 1\n"));
	cr_assert(strstr(out.data, "node_disk_ata_write_cache_enabled{device=\"sda\"} 0\n"));
	cr_assert(strstr(out.data, "node_disk_ata_rotation_rate_rpm{device=\"sda\"} 7200\n"));
	cr_assert(strstr(out.data, "node_disk_ata_rotation_rate_rpm{device=\"sdb\"} 0\n"));
	cr_assert_null(strstr(out.data, "node_disk_ata_write_cache{device=\"sdb\"}"));
	cr_assert_null(strstr(out.data, "node_disk_ata_write_cache_enabled{device=\"sdb\"}"));
	cr_assert(strstr(out.data, "node_disk_filesystem_info{device=\"sda\",type=\"LVM2_member\","
				   "usage=\"raid\",uuid=\"abc\",version=\"LVM2 001\"} 1\n"));
	cr_assert(strstr(out.data, "node_disk_device_mapper_info{device=\"dm-1\",lv_layer=\"\","
				   "lv_name=\"swap_1\",name=\"system-swap_1\",uuid=\"LVM-x\","
				   "vg_name=\"system\"} 1\n"));
	cr_assert_null(strstr(out.data, "node_disk_device_mapper_info{device=\"sda\""));
	buf_free(&out);
}

Test(diskstats, no_udev_directory)
{
	host_roots.udev = "/nonexistent/udev/data";
	cr_assert_eq(harness_setup(&collector_diskstats), 0);
	harness_put("proc/diskstats", "   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), 0);
	cr_assert(strstr(out.data, "serial=\"\""));
	buf_free(&out);
}

Test(diskstats, include_filter)
{
	cr_assert_eq(harness_set_flag(&collector_diskstats, "collector.diskstats.device-include",
				      "^sd[a-z]+$"),
		     0);
	cr_assert_eq(harness_setup(&collector_diskstats), 0);
	harness_put("proc/diskstats", "   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
				      "   8 1 sda1 1 2 3 4 5 6 7 8 9 10 11\n"
				      "   7 0 loop0 1 2 3 4 5 6 7 8 9 10 11\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), 0);
	cr_assert(strstr(out.data, "{device=\"sda\"}"));
	cr_assert_null(strstr(out.data, "sda1"));
	cr_assert_null(strstr(out.data, "loop0"));
	buf_free(&out);
}

Test(diskstats, include_and_exclude_are_exclusive)
{
	cr_assert_eq(
		harness_set_flag(&collector_diskstats, "collector.diskstats.device-include", "^sd"),
		0);
	cr_assert_eq(harness_set_flag(&collector_diskstats, "collector.diskstats.device-exclude",
				      "^loop"),
		     0);
	cr_assert_lt(harness_setup(&collector_diskstats), 0);
}

Test(diskstats, bad_regex)
{
	cr_assert_eq(
		harness_set_flag(&collector_diskstats, "collector.diskstats.device-exclude", "(["),
		0);
	cr_assert_lt(harness_setup(&collector_diskstats), 0);
}

Test(diskstats, exclude_filter_and_old_name)
{
	cr_assert_eq(harness_set_flag(&collector_diskstats, "collector.diskstats.ignored-devices",
				      "^sdb$"),
		     0);
	cr_assert_eq(harness_setup(&collector_diskstats), 0);
	harness_put("proc/diskstats", "   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
				      "   8 16 sdb 1 2 3 4 5 6 7 8 9 10 11\n"
				      "   8 1 sda1 1 2 3 4 5 6 7 8 9 10 11\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_diskstats, NULL, &out), 0);
	cr_assert(strstr(out.data, "{device=\"sda\"}"));
	cr_assert(strstr(out.data, "{device=\"sda1\"}"));
	cr_assert_null(strstr(out.data, "sdb"));
	buf_free(&out);
}
