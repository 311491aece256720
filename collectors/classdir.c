// SPDX-License-Identifier: Apache-2.0
/*
 * The /sys/class/<class> walk (see classdir.h): a listing of the class
 * directory, a loop over its devices, and a reader of every regular file
 * of a directory.
 * Layout: https://www.kernel.org/doc/html/latest/driver-api/driver-model/class.html
 */
#include "collectors/classdir.h"

#include <errno.h>
#include <sys/stat.h>

#include "collectors/hostpath.h"
#include "common/log.h"

int classdir_list(struct classdir *cd, const char *cls)
{
	sys_path(cd->root, "class/%s", cls);
	return dir_list_read(&cd->devices, cd->root, NULL);
}

int classdir_each(const struct classdir *cd, bool (*skip)(const char *dev),
		  int (*fn)(void *ctx, size_t i, const char *dir), void *ctx)
{
	for (size_t i = 0; i < cd->devices.n; i++) {
		char dir[PATH_MAX];
		if (skip && skip(cd->devices.v[i]))
			continue;
		if (path_join(dir, cd->root, cd->devices.v[i]))
			return -ENAMETOOLONG;
		int rc = fn(ctx, i, dir);
		if (rc)
			return rc;
	}
	return 0;
}

/* Whether code (a negative errno) is -e for one e of the 0-terminated list. */
static bool classdir_skipped(int code, const int *skip)
{
	for (; *skip; skip++)
		if (code == -*skip)
			return true;
	return false;
}

int classdir_read_files(const struct dir_list *files, const char *dir, const int *skip,
			const char *who,
			int (*fn)(void *ctx, const char *name, char *value, const char *path),
			void *ctx)
{
	for (size_t i = 0; i < files->n; i++) {
		const char *name = files->v[i];
		char path[PATH_MAX], buf[SYSFS_ATTR_SIZE], *val;
		struct stat sb;
		if (path_join(path, dir, name) || lstat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		int rc = read_attr_trimmed(AT_FDCWD, path, buf, sizeof(buf), &val);
		if (rc && classdir_skipped(rc, skip))
			continue;
		if (rc)
			return log_err(rc, "%s: failed to read file %s", who, path);
		rc = fn(ctx, name, val, path);
		if (rc)
			return rc;
	}
	return 0;
}

void classdir_free(struct classdir *cd)
{
	dir_list_free(&cd->devices);
}
