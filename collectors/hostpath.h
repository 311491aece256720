/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one builder of host paths.  Every file a collector reads goes through
 * it, so --path.procfs, --path.sysfs, --path.rootfs, --path.udev.data and
 * --path.cgroupfs move the whole agent onto another tree (tests point it at
 * fixture trees).  The roots are set once by the agent at start.
 */
#ifndef VIGIL_COLLECTORS_HOSTPATH_H
#define VIGIL_COLLECTORS_HOSTPATH_H

#include <limits.h>
#include <stddef.h>

struct host_roots {
	const char *procfs;   /* /proc */
	const char *sysfs;    /* /sys */
	const char *rootfs;   /* / */
	const char *udev;     /* /run/udev/data */
	const char *cgroupfs; /* /sys/fs/cgroup */
};

extern struct host_roots host_roots;

/*
 * Join a root with a printf-formatted relative path into out (PATH_MAX
 * bytes) and return out.  "proc_path(buf, "%d/mounts", 1)" gives
 * "<procfs>/1/mounts".  A path that does not fit is truncated (and will
 * fail to open).
 */
char *proc_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sys_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *root_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *udev_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *cgroup_path(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A mount point as seen from the host: path with the rootfs prefix removed
 * (node_exporter's rootfsStripPrefix); "/" when nothing is left.
 */
const char *rootfs_strip(const char *path);

#endif
