/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test hooks of the filesystem collector (proc_mounts_statfs.c): the
 * statfs(2) it calls, so a test can inject one that blocks like a dead NFS
 * server, and a view of its worker threads, so a test can check they do
 * not pile up.  The agent never touches these.
 */
#ifndef VIGIL_COLLECTORS_PROC_MOUNTS_STATFS_H
#define VIGIL_COLLECTORS_PROC_MOUNTS_STATFS_H

struct statfs;

/* The statfs the collector's workers call; statfs(2) unless a test replaced it. */
extern int (*mounts_statfs_fn)(const char *path, struct statfs *buf);

/* Override --collector.filesystem.mount-timeout (seconds) for a test. */
void mounts_statfs_set_timeout(double seconds);

/* Worker threads alive now (idle ones and ones blocked in statfs). */
int mounts_statfs_workers(void);

/* Mount points currently marked stuck (a statfs past its deadline has not returned). */
int mounts_statfs_stuck(void);

#endif
