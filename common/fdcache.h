/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Descriptors of kernel files kept open between scrapes.
 *
 * Most of a node scrape's kernel time used to go into opening and closing
 * the same few hundred /proc and /sys files (path walk, dentry lookups,
 * file setup and teardown) around one read each.  procfs and sysfs build a
 * file's content again on every read at offset 0 (seq_file restarts its
 * walk when the position goes back; kernfs calls the attribute's show()
 * again), so a descriptor kept open and re-read with pread(fd, .., 0) sees
 * exactly what a fresh open would.  When the object behind it goes away the
 * read fails (ENODEV for a removed sysfs node, ESRCH for a dead process):
 * the cache then closes it and opens the path again, so a removed and
 * re-created device or process is picked up at once.
 *
 * Only files on procfs and sysfs are kept (checked with fstatfs(2) at the
 * first open): a regular file (a fixture tree, a textfile) can be replaced
 * by rename(2), which a kept descriptor would not see.  Paths through
 * /class/net/ and /class/infiniband/ are never kept: network and RDMA
 * devices can be renamed, and the old descriptor would then read another
 * device's attribute under this name (netclass has its own cache, which
 * checks the directory entry's inode).
 *
 * A cache belongs to one scrape context and is used by one thread at a
 * time: fdcache_bind() makes it the calling thread's current cache, and the
 * pfile.h readers (read_small_file, read_attr_once with an absolute path,
 * dir_list_read, pfile_open) consult it.  With no cache bound they open
 * and close as before.  A cache holds at most FDCACHE_MAX descriptors; past
 * that, files are read the old way.  Each kept sysfs or seq_file
 * descriptor also pins one kernel page for its read buffer.
 */
#ifndef VIGIL_COMMON_FDCACHE_H
#define VIGIL_COMMON_FDCACHE_H

#include <stdbool.h>

/* Most descriptors one cache keeps open. */
#define FDCACHE_MAX 512

struct fdcache;

struct fdcache *fdcache_new(void);
/* Close every kept descriptor and free the cache. */
void fdcache_free(struct fdcache *c);
/* Make c (or NULL: none) the calling thread's current cache. */
void fdcache_bind(struct fdcache *c);
/* The calling thread's current cache, or NULL. */
struct fdcache *fdcache_current(void);
/* Number of descriptors c keeps open. */
unsigned fdcache_size(const struct fdcache *c);

/*
 * A descriptor for path (absolute), opened O_RDONLY|O_CLOEXEC: the kept one
 * when there is one (*kept true; the caller must not close it, and on a
 * read error calls fdcache_drop() and opens again), else a fresh one the
 * caller closes (*kept false), which the cache keeps instead when it may
 * (*kept true).  Returns the descriptor or a negative errno from open(2).
 */
int fdcache_open(const char *path, bool *kept);
/* Forget and close the kept descriptor (file or directory) of path, if any. */
void fdcache_drop(const char *path);

/*
 * A directory descriptor for path (O_DIRECTORY), positioned at its start:
 * the kept one (*kept true; do not close it; fdcache_drop() it when it
 * reads as removed), or a fresh one the cache keeps or the caller closes
 * (*kept false).  A negative errno when it cannot be opened.
 */
int fdcache_opendir(const char *path, bool *kept);

/*
 * Raise the soft RLIMIT_NOFILE to the hard one, as Go programs (and so
 * node_exporter and cAdvisor) do at start.  Returns the soft limit now in
 * force, or 0 when it cannot be read.
 */
long fdcache_raise_limit(void);

#endif
