// SPDX-License-Identifier: Apache-2.0
/*
 * xfs: per-filesystem XFS statistics from /sys/fs/xfs/<device>/stats/stats
 * (the same format as the global /proc/fs/xfs/stat): lines of a section
 * name and numbers, e.g. "extent_alloc 4 4 1 1" or "vnodes 62578 ...".
 * node_xfs_*_total{device} come from the extent_alloc, abt, blk_map, bmbt,
 * dir, ig, rw and vnodes sections.  As procfs checks the file: every line
 * of two or more fields must hold unsigned 32-bit numbers (64-bit for xpc,
 * defer_relog and "gc xpc"), and each known section its exact number of
 * values (vnodes 7 or 8, qm 8 or 9, zoned at least 3, metafile at least
 * 1); anything else fails the collector.  No XFS filesystem is success
 * with nothing, as in node_exporter.
 * Format: https://www.kernel.org/doc/html/latest/admin-guide/xfs.html
 * (sysfs and procfs statistics) and fs/xfs/xfs_stats.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/fdcache.h"
#include "common/log.h"
#include "common/pfile.h"

/* Sections and the number of values procfs requires (max -1: at least min). */
static const struct xfs_section {
	const char *name;
	int min, max;
} xfs_sections[] = {
	{"extent_alloc", 4, 4}, {"abt", 4, 4},	     {"blk_map", 7, 7},	      {"bmbt", 4, 4},
	{"dir", 4, 4},		{"trans", 3, 3},     {"ig", 7, 7},	      {"log", 5, 5},
	{"push_ail", 10, 10},	{"xstrat", 2, 2},    {"rw", 2, 2},	      {"attr", 4, 4},
	{"icluster", 3, 3},	{"vnodes", 7, 8},    {"buf", 9, 9},	      {"qm", 8, 9},
	{"debug", 1, 1},	{"abtb2", 15, 15},   {"abtc2", 15, 15},	      {"bmbt2", 15, 15},
	{"ibt2", 15, 15},	{"fibt2", 15, 15},   {"rmapbt", 15, 15},      {"refcntbt", 15, 15},
	{"rmapbt_mem", 15, 15}, {"rcbagbt", 15, 15}, {"rtrmapbt", 15, 15},    {"rtrmapbt_mem", 15, 15},
	{"rtrefcntbt", 15, 15}, {"zoned", 3, -1},    {"metafile", 1, -1},
};
#define XFS_NSECTIONS (sizeof(xfs_sections) / sizeof(xfs_sections[0]))

/* Exported values: section, index in it, family, help. */
static const struct xfs_metric {
	const char *section;
	int idx;
	const char *name, *help;
} xfs_metrics[] = {
	{"extent_alloc", 0, "node_xfs_extent_allocation_extents_allocated_total",
	 "Number of extents allocated for a filesystem."},
	{"extent_alloc", 1, "node_xfs_extent_allocation_blocks_allocated_total",
	 "Number of blocks allocated for a filesystem."},
	{"extent_alloc", 2, "node_xfs_extent_allocation_extents_freed_total",
	 "Number of extents freed for a filesystem."},
	{"extent_alloc", 3, "node_xfs_extent_allocation_blocks_freed_total",
	 "Number of blocks freed for a filesystem."},
	{"abt", 0, "node_xfs_allocation_btree_lookups_total",
	 "Number of allocation B-tree lookups for a filesystem."},
	{"abt", 1, "node_xfs_allocation_btree_compares_total",
	 "Number of allocation B-tree compares for a filesystem."},
	{"abt", 2, "node_xfs_allocation_btree_records_inserted_total",
	 "Number of allocation B-tree records inserted for a filesystem."},
	{"abt", 3, "node_xfs_allocation_btree_records_deleted_total",
	 "Number of allocation B-tree records deleted for a filesystem."},
	{"blk_map", 0, "node_xfs_block_mapping_reads_total",
	 "Number of block map for read operations for a filesystem."},
	{"blk_map", 1, "node_xfs_block_mapping_writes_total",
	 "Number of block map for write operations for a filesystem."},
	{"blk_map", 2, "node_xfs_block_mapping_unmaps_total",
	 "Number of block unmaps (deletes) for a filesystem."},
	{"blk_map", 3, "node_xfs_block_mapping_extent_list_insertions_total",
	 "Number of extent list insertions for a filesystem."},
	{"blk_map", 4, "node_xfs_block_mapping_extent_list_deletions_total",
	 "Number of extent list deletions for a filesystem."},
	{"blk_map", 5, "node_xfs_block_mapping_extent_list_lookups_total",
	 "Number of extent list lookups for a filesystem."},
	{"blk_map", 6, "node_xfs_block_mapping_extent_list_compares_total",
	 "Number of extent list compares for a filesystem."},
	{"bmbt", 0, "node_xfs_block_map_btree_lookups_total",
	 "Number of block map B-tree lookups for a filesystem."},
	{"bmbt", 1, "node_xfs_block_map_btree_compares_total",
	 "Number of block map B-tree compares for a filesystem."},
	{"bmbt", 2, "node_xfs_block_map_btree_records_inserted_total",
	 "Number of block map B-tree records inserted for a filesystem."},
	{"bmbt", 3, "node_xfs_block_map_btree_records_deleted_total",
	 "Number of block map B-tree records deleted for a filesystem."},
	{"dir", 0, "node_xfs_directory_operation_lookup_total",
	 "Number of file name directory lookups which miss the operating systems directory name lookup cache."},
	{"dir", 1, "node_xfs_directory_operation_create_total",
	 "Number of times a new directory entry was created for a filesystem."},
	{"dir", 2, "node_xfs_directory_operation_remove_total",
	 "Number of times an existing directory entry was created for a filesystem."},
	{"dir", 3, "node_xfs_directory_operation_getdents_total",
	 "Number of times the directory getdents operation was performed for a filesystem."},
	{"ig", 0, "node_xfs_inode_operation_attempts_total",
	 "Number of times the OS looked for an XFS inode in the inode cache."},
	{"ig", 1, "node_xfs_inode_operation_found_total",
	 "Number of times the OS looked for and found an XFS inode in the inode cache."},
	{"ig", 2, "node_xfs_inode_operation_recycled_total",
	 "Number of times the OS found an XFS inode in the cache, but could not use it as it was being recycled."},
	{"ig", 3, "node_xfs_inode_operation_missed_total",
	 "Number of times the OS looked for an XFS inode in the cache, but did not find it."},
	{"ig", 4, "node_xfs_inode_operation_duplicates_total",
	 "Number of times the OS tried to add a missing XFS inode to the inode cache, but found it had already been added by another process."},
	{"ig", 5, "node_xfs_inode_operation_reclaims_total",
	 "Number of times the OS reclaimed an XFS inode from the inode cache to free memory for another purpose."},
	{"ig", 6, "node_xfs_inode_operation_attribute_changes_total",
	 "Number of times the OS explicitly changed the attributes of an XFS inode."},
	/* the rw line holds the write calls first, then the read calls */
	{"rw", 1, "node_xfs_read_calls_total",
	 "Number of read(2) system calls made to files in a filesystem."},
	{"rw", 0, "node_xfs_write_calls_total",
	 "Number of write(2) system calls made to files in a filesystem."},
	{"vnodes", 0, "node_xfs_vnode_active_total",
	 "Number of vnodes not on free lists for a filesystem."},
	{"vnodes", 1, "node_xfs_vnode_allocate_total",
	 "Number of times vn_alloc called for a filesystem."},
	{"vnodes", 2, "node_xfs_vnode_get_total",
	 "Number of times vn_get called for a filesystem."},
	{"vnodes", 3, "node_xfs_vnode_hold_total",
	 "Number of times vn_hold called for a filesystem."},
	{"vnodes", 4, "node_xfs_vnode_release_total",
	 "Number of times vn_rele called for a filesystem."},
	{"vnodes", 5, "node_xfs_vnode_reclaim_total",
	 "Number of times vn_reclaim called for a filesystem."},
	{"vnodes", 6, "node_xfs_vnode_remove_total",
	 "Number of times vn_remove called for a filesystem."},
};
#define XFS_NMETRICS (sizeof(xfs_metrics) / sizeof(xfs_metrics[0]))

struct xfs_state {
	struct dir_list devs;
};

/* Check one line of a stats file; keep the exported values in v. */
static int xfs_line(const struct pfile *pf, size_t l, uint64_t v[XFS_NMETRICS])
{
	size_t nw = pfile_words(pf, l);
	if (nw < 2)
		return 0;
	const char *label = pfile_word(pf, l, 0);
	size_t first = 1, bits = 32;
	if (strcmp(label, "gc") == 0 && nw >= 3 && strcmp(pfile_word(pf, l, 1), "xpc") == 0) {
		first = 2;
		bits = 64;
	} else if (strcmp(label, "xpc") == 0 || strcmp(label, "defer_relog") == 0) {
		bits = 64;
	}
	size_t n = nw - first;
	uint64_t x;
	for (size_t w = first; w < nw; w++)
		if (parse_go_uint(pfile_word(pf, l, w), 10, (int)bits, &x))
			return -EINVAL;
	if (first == 2 || strcmp(label, "defer_relog") == 0)
		return n == 1 ? 0 : -EINVAL;
	if (strcmp(label, "xpc") == 0)
		return n == 3 ? 0 : -EINVAL;
	for (size_t s = 0; s < XFS_NSECTIONS; s++) {
		const struct xfs_section *sec = &xfs_sections[s];
		if (strcmp(sec->name, label) != 0)
			continue;
		if ((int)n < sec->min || (sec->max >= 0 && (int)n > sec->max))
			return -EINVAL;
		break;
	}
	for (size_t m = 0; m < XFS_NMETRICS; m++)
		if (strcmp(xfs_metrics[m].section, label) == 0)
			parse_go_uint(pfile_word(pf, l, first + (size_t)xfs_metrics[m].idx), 10, 32,
				      &v[m]);
	return 0;
}

/* One device's stats file, then its families. */
static int xfs_device(const char *root, const char *dev, struct expo_set *out)
{
	char dir[PATH_MAX], sdir[PATH_MAX], path[PATH_MAX];
	if (path_join(dir, root, dev) || path_join(sdir, dir, "stats") ||
	    path_join(path, sdir, "stats"))
		return -ENAMETOOLONG;
	struct stat sb;
	if (fdcache_stat(path, &sb))
		return 1; /* not matched by the glob (/sys/fs/xfs/stats/stats is a file) */
	struct pfile *pf = pfile_open(path, PFILE_SEP_DEFAULT "\r\v\f");
	if (!pf)
		return -errno;
	uint64_t v[XFS_NMETRICS] = {0};
	int rc = pfile_read(pf);
	for (size_t l = 0; !rc && l < pfile_lines(pf); l++)
		rc = xfs_line(pf, l, v);
	pfile_close(pf);
	if (rc)
		return log_err(rc, "xfs: failed to retrieve XFS stats from %s", path);
	for (size_t m = 0; m < XFS_NMETRICS; m++)
		expo_addl(expo_family(out, xfs_metrics[m].name, xfs_metrics[m].help, EXPO_COUNTER),
			  (double)v[m], "device", dev, NULL);
	return 0;
}

static int xfs_collect(void *state, struct expo_set *out)
{
	struct xfs_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "fs/xfs");
	if (dir_list_read(&st->devs, root, NULL))
		return 0; /* no XFS: the glob finds nothing */
	for (size_t i = 0; i < st->devs.n; i++) {
		int rc = xfs_device(root, st->devs.v[i], out);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void xfs_cleanup(void *state)
{
	struct xfs_state *st = state;
	dir_list_free(&st->devs);
}

const struct collector collector_xfs = {
	.name = "xfs",
	.default_on = true,
	.state_size = sizeof(struct xfs_state),
	.collect = xfs_collect,
	.cleanup = xfs_cleanup,
};
