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
 * A path found absent (open(2) fails with ENOENT or ENOTDIR) on procfs or
 * sysfs is remembered too, so a probe for a feature this machine lacks
 * (/sys/class/infiniband, /proc/mdstat, ...) costs no path walk on every
 * scrape.  Such paths appear when a module loads or a device is added, and
 * the kernel announces both as uevents: the first fdcache_bind() of a scrape
 * reads the process's NETLINK_KOBJECT_UEVENT socket, and any uevent (or an
 * overflow of its small buffer) makes every cache forget its absences.  They
 * are also forgotten every 60 s, for what appears without a uevent (a
 * sysfs attribute a driver adds after its device's announcement) and where
 * uevents do not reach the process (a network namespace of another user
 * namespace).  Paths with a numeric component (/proc/<pid>/...) and paths
 * outside procfs and sysfs are never remembered as absent; without the
 * uevent socket, nothing is.
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
#include <sys/stat.h>

/* Most descriptors one cache keeps open. */
#define FDCACHE_MAX 512

struct fdcache;

struct fdcache *fdcache_new(void);
/* Close every kept descriptor and free the cache. */
void fdcache_free(struct fdcache *c);
/*
 * Make c (or NULL: none) the calling thread's current cache; binding a
 * cache also reads the pending uevents (above).
 */
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
/*
 * open(path, O_RDONLY|O_CLOEXEC) for a descriptor the caller keeps and
 * closes itself (a pfile), through the bound cache's record of absent
 * paths.  Returns the descriptor or a negative errno.
 */
int fdcache_open_owned(const char *path);
/*
 * stat(2) of path through the bound cache's record of absent paths: 0, or
 * a negative errno (-ENOENT at once for a path remembered absent).
 */
int fdcache_stat(const char *path, struct stat *sb);
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
