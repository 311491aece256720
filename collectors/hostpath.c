// SPDX-License-Identifier: Apache-2.0
#include "collectors/hostpath.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct host_roots host_roots = {
	.procfs = "/proc",
	.sysfs = "/sys",
	.rootfs = "/",
	.udev = "/run/udev/data",
	.cgroupfs = "/sys/fs/cgroup",
};

/*
 * vsnprintf(out, room, fmt, ap), with literal text and %s (nearly every
 * path) copied by hand: a scrape builds a few hundred paths, and printf's
 * machinery was 2 % of its CPU.  Anything else hands the rest of fmt, and
 * the arguments not yet taken, to vsnprintf.
 */
static void format_path(char *out, size_t room, const char *fmt, va_list ap)
{
	char *w = out, *end = out + room - 1;
	for (const char *f = fmt; *f;) {
		if (f[0] != '%') {
			if (w < end)
				*w++ = *f;
			f++;
		} else if (f[1] == 's') {
			for (const char *a = va_arg(ap, const char *); *a && w < end;)
				*w++ = *a++;
			f += 2;
		} else if (f[1] == '%') {
			if (w < end)
				*w++ = '%';
			f += 2;
		} else {
			vsnprintf(w, (size_t)(end - w) + 1, f, ap);
			return;
		}
	}
	*w = '\0';
}

static char *join(char *out, const char *root, const char *fmt, va_list ap)
{
	size_t n = strlen(root);
	if (n >= PATH_MAX - 2)
		n = PATH_MAX - 2;
	memcpy(out, root, n);
	if (n == 0 || out[n - 1] != '/')
		out[n++] = '/';
	format_path(out + n, PATH_MAX - n, fmt, ap);
	return out;
}

#define DEFINE_BUILDER(fn, field)                                   \
	char *fn(char *out, const char *fmt, ...)                   \
	{                                                           \
		va_list ap;                                         \
		va_start(ap, fmt);                                  \
		join(out, host_roots.field, fmt, ap);               \
		va_end(ap);                                         \
		return out;                                         \
	}

DEFINE_BUILDER(proc_path, procfs)
DEFINE_BUILDER(sys_path, sysfs)
DEFINE_BUILDER(root_path, rootfs)
DEFINE_BUILDER(udev_path, udev)
DEFINE_BUILDER(cgroup_path, cgroupfs)

const char *rootfs_strip(const char *path)
{
	const char *root = host_roots.rootfs;
	size_t n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	if (n == 0 || strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return path;
	return path[n] ? path + n : "/";
}
