// SPDX-License-Identifier: Apache-2.0
/*
 * selinux: node_selinux_enabled, and when SELinux is on
 * node_selinux_config_mode (the SELINUX= line of /etc/selinux/config:
 * enforcing 1, permissive 0, else -1) and node_selinux_current_mode (the
 * selinuxfs "enforce" file, -1 when unreadable).
 *
 * As node_exporter (through go-selinux) does, these are the agent's own
 * host paths, not moved by --path.*: SELinux is on when a writable
 * selinuxfs is mounted (at /sys/fs/selinux, else the first one in
 * /proc/self/mountinfo when /proc/filesystems lists selinuxfs) and this
 * thread's context (/proc/thread-self/attr/current) is not "kernel".
 * That verdict is taken once, at start.
 * Format: https://www.kernel.org/doc/html/latest/admin-guide/LSM/SELinux.html
 * and selinux_config(5).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>

#include "collectors/collector.h"
#include "common/log.h"
#include "common/pfile.h"

#define SELINUX_FS_MAGIC 0xf97cff8cu

/* Found once by setup: the root of the paths ("" on the host) and the
 * selinuxfs mount point, "" when SELinux is off. */
static char selinux_root[PATH_MAX / 2];
static char selinux_fs[PATH_MAX];

/* <selinux_root><abs> into out (PATH_MAX bytes). */
static const char *selinux_path(char *out, const char *abs)
{
	snprintf(out, PATH_MAX, "%s%s", selinux_root, abs);
	return out;
}

/* A selinuxfs mounted read-write at dir. */
static bool selinux_fs_ok(const char *dir, bool check_magic)
{
	struct statfs sf;
	struct statvfs sv;
	if (statfs(dir, &sf) || statvfs(dir, &sv))
		return false;
	if (check_magic && (uint32_t)sf.f_type != SELINUX_FS_MAGIC)
		return false;
	return !(sv.f_flag & ST_RDONLY);
}

/* The first selinuxfs mount of mountinfo that is usable, into out. */
static void selinux_find_mount(bool check_magic, char *out, size_t size)
{
	struct buf b = BUF_INIT;
	char path[PATH_MAX];
	out[0] = '\0';
	if (read_file_buf(selinux_path(path, "/proc/filesystems"), &b) ||
	    !strstr(b.data, "\tselinuxfs\n"))
		goto out;
	if (read_file_buf(selinux_path(path, "/proc/self/mountinfo"), &b))
		goto out;
	for (char *line = b.data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strstr(line, " - selinuxfs "))
			continue;
		/* the fifth space-separated field is the mount point */
		char *f = line;
		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (!f)
			continue;
		char *end = strchr(f, ' ');
		if (!end)
			continue;
		*end = '\0';
		if (selinux_fs_ok(f, check_magic)) {
			snprintf(out, size, "%s", f);
			break;
		}
	}
out:
	buf_free(&b);
}

/*
 * Decide whether SELinux is on, reading the host's files under root (""
 * on the host: the agent's setup), and keep the verdict and the selinuxfs
 * mount point for the scrapes.  check_magic false accepts a mount point
 * that is not a selinuxfs (tests on an ordinary directory; mount points
 * found in mountinfo are not moved under root).  Returns whether it is on.
 */
bool selinux_probe(const char *root, bool check_magic)
{
	char found[PATH_MAX], path[PATH_MAX];
	snprintf(selinux_root, sizeof(selinux_root), "%s", root);
	selinux_fs[0] = '\0';
	if (selinux_fs_ok(selinux_path(path, "/sys/fs/selinux"), check_magic))
		snprintf(found, sizeof(found), "%s", path);
	else
		selinux_find_mount(check_magic, found, sizeof(found));
	if (!found[0])
		return false;
	/* the context is the first word, NULs trimmed */
	char con[256];
	int n = read_small_file(selinux_path(path, "/proc/thread-self/attr/current"), con,
				sizeof(con));
	if (n >= 0) {
		con[strcspn(con, " \t\n")] = '\0';
		if (strcmp(con, "kernel") == 0)
			return false;
	}
	snprintf(selinux_fs, sizeof(selinux_fs), "%s", found);
	return true;
}

static int selinux_setup(char *errbuf, size_t errlen)
{
	(void)errbuf;
	(void)errlen;
	selinux_probe("", true);
	return 0;
}

/* SELINUX= of the config file: enforcing 1, permissive 0, anything else -1. */
static int selinux_config_mode(const char *path)
{
	struct buf b = BUF_INIT;
	int mode = -1;
	if (read_file_buf(path, &b))
		goto out;
	for (char *line = b.data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *s = trim_space(line);
		if (!*s || *s == ';' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq || eq == s)
			continue;
		*eq = '\0';
		if (strcmp(trim_space(s), "SELINUX") != 0)
			continue;
		char *v = trim_space(eq + 1);
		size_t len = strlen(v);
		while (len && v[len - 1] == '"')
			v[--len] = '\0';
		while (*v == '"')
			v++;
		mode = strcmp(v, "enforcing") == 0 ? 1 : strcmp(v, "permissive") == 0 ? 0 : -1;
		break;
	}
out:
	buf_free(&b);
	return mode;
}

/* The enforce file as strconv.Atoi reads it whole; -1 when it cannot. */
static int selinux_current_mode(void)
{
	char path[PATH_MAX], text[64];
	int64_t v;
	if (path_join(path, selinux_fs, "enforce"))
		return -1;
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (n == 0 || strlen(text) != n || parse_go_int(text, 10, 64, &v))
		return -1;
	return (int)v;
}

static int selinux_collect(void *state, struct expo_set *out)
{
	(void)state;
	char path[PATH_MAX];
	struct expo_family *en = expo_family(out, "node_selinux_enabled",
					     "SELinux is enabled, 1 is true, 0 is false", EXPO_GAUGE);
	if (!selinux_fs[0]) {
		expo_add(en, NULL, 0, 0);
		return 0;
	}
	expo_add(en, NULL, 0, 1);
	expo_add(expo_family(out, "node_selinux_config_mode", "Configured SELinux enforcement mode",
			     EXPO_GAUGE),
		 NULL, 0, selinux_config_mode(selinux_path(path, "/etc/selinux/config")));
	expo_add(expo_family(out, "node_selinux_current_mode", "Current SELinux enforcement mode",
			     EXPO_GAUGE),
		 NULL, 0, selinux_current_mode());
	return 0;
}

const struct collector collector_selinux = {
	.name = "selinux",
	.default_on = true,
	.setup = selinux_setup,
	.collect = selinux_collect,
};
