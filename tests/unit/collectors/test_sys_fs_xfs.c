// SPDX-License-Identifier: Apache-2.0
/*
 * xfs collector over generated /sys/fs/xfs/<dev>/stats/stats files: the
 * exported sections, rw order, section length checks, 32-bit limits,
 * 64-bit xpc, no XFS at all.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_xfs;

HARNESS_SUITE(xfs, "xfs", HARNESS_SYSFS);

#define STATS                                                                                      \
	"extent_alloc 1 872 0 0\nabt 0 0 0 0\nblk_map 61 29 1 1 1 91 0\nbmbt 0 0 0 0\n"             \
	"dir 3 2 1 52\ntrans 4 40 0\nig 5 1 0 4 0 0 2\nlog 8 21 0 5 4\n"                             \
	"rw 28 7\nattr 0 0 0 0\nvnodes 62578 0 0 1 2 3 4\nbuf 1 2 3 4 5 6 7 8 9\n"                  \
	"xpc 399724544 92823103 86219234\ndefer_relog 5\ngc xpc 9\ndebug 0\n"

Test(xfs, happy)
{
	struct buf out = BUF_INIT;
	harness_put("fs/xfs/sda1/stats/stats", STATS);
	harness_mkdirs("fs/xfs/features");
	/* the global statistics: /sys/fs/xfs/stats/stats is a file, not a device */
	harness_put("fs/xfs/stats/stats", STATS);
	cr_assert_eq(harness_scrape(&collector_xfs, NULL, &out), 0);
	assert_has(&out, "node_xfs_extent_allocation_blocks_allocated_total{device=\"sda1\"} 872");
	assert_has(&out, "# TYPE node_xfs_extent_allocation_blocks_allocated_total counter");
	assert_has(&out, "node_xfs_block_mapping_extent_list_lookups_total{device=\"sda1\"} 91");
	assert_has(&out, "node_xfs_directory_operation_getdents_total{device=\"sda1\"} 52");
	assert_has(&out, "node_xfs_inode_operation_attribute_changes_total{device=\"sda1\"} 2");
	assert_has(&out, "node_xfs_write_calls_total{device=\"sda1\"} 28");
	assert_has(&out, "node_xfs_read_calls_total{device=\"sda1\"} 7");
	assert_has(&out, "node_xfs_vnode_active_total{device=\"sda1\"} 62578");
	assert_has(&out, "node_xfs_vnode_remove_total{device=\"sda1\"} 4");
	assert_lacks(&out, "features");
	assert_lacks(&out, "device=\"stats\"");
	buf_free(&out);
}

Test(xfs, garbage_and_missing)
{
	static const char *const bad[] = {
		"extent_alloc 1 2 3\n", "vnodes 1 2 3 4 5 6 7 8 9\n", "rw 4294967296 0\n",
		"xpc 1 2\n",		"abtb2 1 2\n",		       "bogus x\n",
		"zoned 1 2\n",		"defer_relog 1 2\n",
	};
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_xfs, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("fs/xfs/sda1/stats/stats", bad[i]);
		cr_assert_eq(harness_scrape(&collector_xfs, NULL, &out), -EINVAL, "accepted '%s'",
			     bad[i]);
		cr_assert_str_empty(out.data);
	}
	/* 64-bit where procfs reads 64 bits; unknown sections and lone words are fine */
	harness_put("fs/xfs/sda1/stats/stats", "xpc 4294967296 0 0\nnewsection 1 2\nlonely\n");
	cr_assert_eq(harness_scrape(&collector_xfs, NULL, &out), 0);
	buf_free(&out);
}
