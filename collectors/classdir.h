/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The walk shared by the collectors of /sys/class/<class>/<device>/
 * (infiniband, nvme, powersupplyclass), as prometheus/procfs's class
 * readers walk it: list the class directory (entries sorted bytewise, as
 * Go's os.ReadDir gives them), then read each device's directory in turn;
 * and, for classes whose attribute files are not known in advance (power
 * supplies, InfiniBand port counters), every regular file of a directory.
 *
 * Everything goes through common/pfile.h (dir_list_read, read_attr_trimmed,
 * path_join), so the bound descriptor cache serves these reads as it serves
 * any other collector's; the listings are kept in the caller's state and
 * reuse their memory from scrape to scrape.
 * Layout: https://www.kernel.org/doc/html/latest/driver-api/driver-model/class.html
 */
#ifndef VIGIL_COLLECTORS_CLASSDIR_H
#define VIGIL_COLLECTORS_CLASSDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/pfile.h"

/* One class directory; zero-initialise it (in the collector's state), free with classdir_free(). */
struct classdir {
	char root[PATH_MAX];	 /* <sysfs>/class/<class>, set by classdir_list() */
	struct dir_list devices; /* its entries */
};

/*
 * List <sysfs>/class/<cls> into cd.  Returns 0 or the negative errno of
 * opendir(3), not logged: -ENOENT when there is no such class (no such
 * hardware, or its driver is not loaded), which callers report as "no
 * data".
 */
int classdir_list(struct classdir *cd, const char *cls);

/*
 * Call fn(ctx, i, dir) for each device i of cd (its name is
 * cd->devices.v[i], its directory dir) that skip (NULL: none) does not
 * leave out; a device left out is not read at all.  Stops at fn's first
 * non-zero return and returns it; -ENAMETOOLONG when a device's path does
 * not fit; else 0.
 */
int classdir_each(const struct classdir *cd, bool (*skip)(const char *dev),
		  int (*fn)(void *ctx, size_t i, const char *dir), void *ctx);

/*
 * Read the regular files among the entries of dir listed in files (read
 * beforehand with dir_list_read()), as procfs's sysfs readers do: symlinks
 * and subdirectories left out (lstat), each file read once, 128 bytes at
 * most, blanks trimmed; then fn(ctx, name, value, path) for each.  A read
 * failing with one of the errnos of skip (a 0-terminated list: the file
 * vanished, the driver refuses it) leaves the file out; another read error
 * is logged as "<who>: failed to read file <path>" and returned.  Returns 0,
 * such an error, or fn's first non-zero return.
 */
int classdir_read_files(const struct dir_list *files, const char *dir, const int *skip,
			const char *who,
			int (*fn)(void *ctx, const char *name, char *value, const char *path),
			void *ctx);

void classdir_free(struct classdir *cd);

#endif
