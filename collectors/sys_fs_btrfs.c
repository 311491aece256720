// SPDX-License-Identifier: Apache-2.0
/*
 * btrfs: mounted Btrfs filesystems, from /sys/fs/btrfs/<uuid>/ (every entry
 * whose name holds a '-'), as node_exporter reads them with procfs, labelled
 * uuid (metadata_uuid, or the directory's name when that is empty):
 *
 *   node_btrfs_info{label}                 label
 *   node_btrfs_global_rsv_size_bytes       allocation/global_rsv_size
 *   node_btrfs_reserved_bytes{block_group_type}
 *                                          allocation/<type>/bytes_reserved
 *   node_btrfs_{used,size}_bytes, node_btrfs_allocation_ratio
 *     {block_group_type,mode}              allocation/<type>/<mode>/{used,total}_bytes
 *   node_btrfs_commits_total, node_btrfs_{last,max}_commit_seconds,
 *   node_btrfs_commit_seconds_total        commit_stats ("commits 258051",
 *                                          "last_commit_ms 1000", ...; Linux 6.0+)
 *   node_btrfs_device_size_bytes{device}   devices/<dev>/size (512-byte sectors)
 *
 * for <type> data, metadata and system, <mode> each directory below it
 * (single, dup, raid0...; the ratio is the mode's copies, devices/(devices-1)
 * for raid5 and devices/(devices-2) for raid6, 0 for others).  The commit
 * families (node_exporter 1.9) and the raid1c3/raid1c4 ratios (1.10; 1.5
 * gives 0) came after 1.5; we follow upstream.
 *
 * procfs's reader quirks decide what a broken tree gives, and are kept: a
 * missing attribute reads as 0 (or ""), a value that is not a number as 0;
 * any other read error, or an unlistable devices/ or features/ directory,
 * makes the rest of the filesystem's top-level values 0; an unlistable
 * allocation directory, or a read error below it, fails the whole
 * collector only for "system" (each allocation type's error replaces the
 * previous one), as does a malformed commit_stats line.  One failing
 * filesystem fails them all, before anything is reported.  Attributes
 * procfs reads but node_exporter never exports (nodesize, bytes_pinned...)
 * are not read.
 *
 * When the filesystem is mounted (<procfs>/1/mounts, or <procfs>/mounts),
 * its devices come instead from the BTRFS_IOC_FS_INFO, BTRFS_IOC_DEV_INFO
 * and BTRFS_IOC_GET_DEV_STATS ioctls on the mount point (the first one per
 * device whose root is a subvolume): node_btrfs_device_size_bytes and
 * node_btrfs_device_unused_bytes labelled device (the base name of the
 * device path) and btrfs_dev_uuid, and node_btrfs_device_errors_total by
 * type (write, read, flush, corruption, generation).  A mount point that
 * cannot be queried is skipped (logged at debug level), as in node_exporter.
 *
 * No /sys/fs/btrfs, or no filesystem in it, reports nothing with success 1
 * (node_exporter's empty glob) and costs one opendir per scrape.
 *
 * Format: https://www.kernel.org/doc/html/latest/filesystems/btrfs.html,
 * Documentation/ABI/testing/sysfs-fs-btrfs, fs/btrfs/sysfs.c and the ioctls
 * of include/uapi/linux/btrfs.h
 * (https://btrfs.readthedocs.io/en/latest/btrfs-ioctl.html).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"

#define BTRFS_MAGIC_NUMBER 0x9123683E
/* the inode number of a subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID) */
#define BTRFS_SUBVOL_ROOT_INO 256

static const char *const btrfs_types[3] = {"data", "metadata", "system"};

struct btrfs_layout {
	char mode[NAME_MAX + 1];
	int type; /* index into btrfs_types */
	uint64_t used, total;
	double ratio;
};

struct btrfs_sysdev {
	char name[NAME_MAX + 1];
	uint64_t size;
};

/* A device as the ioctls describe it. */
struct btrfs_iodev {
	char name[BTRFS_DEVICE_PATH_NAME_MAX + 1];
	char uuid[40];
	uint64_t used, total, errs[5];
};

struct btrfs_fs {
	char uuid[NAME_MAX + 1];
	char label[SYSFS_ATTR_SIZE];
	uint64_t global_rsv, reserved[3], commits, last_ms, max_ms, total_ms;
	size_t lay0, nlays, dev0, ndevs;
};

/* One filesystem found through a mount point: its fsid and devices. */
struct btrfs_iofs {
	char fsid[33];
	size_t dev0, ndevs;
};

/* A btrfs mount of the mount table. */
struct btrfs_mount {
	char *device, *path;
};

struct btrfs_state {
	struct dir_list fss, list;
	struct buf names, text;
	struct btrfs_fs *fsv;
	struct btrfs_layout *layv;
	struct btrfs_sysdev *devv;
	size_t capfs, caplay, capdev, nlay, ndev;
	/* the ioctl side */
	struct pfile *mounts;
	bool mounts_parsed, mounts_bad;
	struct buf mount_text; /* device and path strings of mountv */
	struct btrfs_mount *mountv;
	size_t nmounts, capmounts;
	struct btrfs_iofs *iofsv;
	struct btrfs_iodev *iodevv;
	size_t niofs, capiofs, niodev, capiodev;
};

/*
 * procfs's reader of one directory: err is the last error recorded (a
 * later error replaces an earlier one), and values read while it is set
 * are 0.
 */
struct btrfs_reader {
	const char *dir;
	int err;
};

static void *btrfs_grow(void *v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return v;
	*cap = need + 8;
	return xrealloc(v, *cap * size);
}

/* readFile(): the trimmed attribute into buf ("" on error; ENOENT is no error). */
static const char *btrfs_file(struct btrfs_reader *r, const char *rel, char *buf)
{
	char path[PATH_MAX], *v;
	int rc = path_join(path, r->dir, rel);
	if (!rc)
		rc = read_attr_trimmed(AT_FDCWD, path, buf, SYSFS_ATTR_SIZE, &v);
	if (rc) {
		if (rc != -ENOENT)
			r->err = rc;
		return "";
	}
	return v;
}

/* readValue(): an unsigned decimal attribute, 0 when unparsable or after an error. */
static uint64_t btrfs_value(struct btrfs_reader *r, const char *rel)
{
	char buf[SYSFS_ATTR_SIZE];
	uint64_t v;
	const char *s = btrfs_file(r, rel, buf);
	if (r->err || parse_go_uint(s, 10, 64, &v))
		return 0;
	return v;
}

/* listFiles(): the names of a directory into l; any error is recorded. */
static void btrfs_list(struct btrfs_reader *r, const char *rel, struct dir_list *l)
{
	char path[PATH_MAX];
	int rc = path_join(path, r->dir, rel);
	if (!rc)
		rc = dir_list_read(l, path, NULL);
	if (rc) {
		l->n = 0;
		r->err = rc;
	}
}

/*
 * The subdirectories (not symlinks: os.DirEntry.IsDir) of dir into names,
 * NUL-separated; their count, or a negative errno.
 */
static int btrfs_subdirs(const char *dir, struct buf *names)
{
	char dents[4096] __attribute__((aligned(8)));
	int n = 0, fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	buf_reset(names);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t len = getdents64(fd, dents, sizeof(dents));
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			n = -errno;
			break;
		}
		if (len == 0)
			break;
		for (ssize_t off = 0; off < len;) {
			const struct dirent64 *e = (const struct dirent64 *)(dents + off);
			off += e->d_reclen;
			const char *name = e->d_name;
			struct stat sb;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			bool is_dir = e->d_type == DT_DIR;
			if (e->d_type == DT_UNKNOWN)
				is_dir = !fstatat(fd, name, &sb, AT_SYMLINK_NOFOLLOW) &&
					 S_ISDIR(sb.st_mode);
			if (!is_dir)
				continue;
			buf_append(names, name, strlen(name) + 1);
			n++;
		}
	}
	close(fd);
	return n;
}

static double btrfs_ratio(const char *mode, size_t ndevs)
{
	double n = (double)ndevs;
	if (!strcmp(mode, "single") || !strcmp(mode, "raid0"))
		return 1;
	if (!strcmp(mode, "dup") || !strcmp(mode, "raid1") || !strcmp(mode, "raid10"))
		return 2;
	if (!strcmp(mode, "raid1c3"))
		return 3;
	if (!strcmp(mode, "raid1c4"))
		return 4;
	if (!strcmp(mode, "raid5"))
		return n / (n - 1);
	if (!strcmp(mode, "raid6"))
		return n / (n - 2);
	return 0;
}

/* readAllocationStats() of allocation/<type>: the error of its own reader. */
static int btrfs_allocation(struct btrfs_state *st, const char *fsdir, struct btrfs_fs *fs,
			    int type, size_t ndevs)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s/allocation/%s", fsdir, btrfs_types[type]) >=
	    (int)sizeof(dir))
		return -ENAMETOOLONG;
	struct btrfs_reader sr = {.dir = dir};
	fs->reserved[type] = btrfs_value(&sr, "bytes_reserved");
	int n = btrfs_subdirs(dir, &st->names);
	if (n < 0)
		return n;
	const char *name = st->names.data;
	for (int i = 0; i < n; i++, name += strlen(name) + 1) {
		char rel[PATH_MAX];
		st->layv = btrfs_grow(st->layv, &st->caplay, st->nlay + 1, sizeof(*st->layv));
		struct btrfs_layout *l = &st->layv[st->nlay++];
		fs->nlays++;
		snprintf(l->mode, sizeof(l->mode), "%s", name);
		l->type = type;
		if (path_join(rel, name, "total_bytes"))
			return -ENAMETOOLONG;
		l->total = btrfs_value(&sr, rel);
		if (path_join(rel, name, "used_bytes"))
			return -ENAMETOOLONG;
		l->used = btrfs_value(&sr, rel);
		l->ratio = btrfs_ratio(name, ndevs);
	}
	return sr.err;
}

/* readCommitStats(): "<key> <value>" lines; an error is recorded in r. */
static void btrfs_commit_stats(struct btrfs_state *st, struct btrfs_reader *r, struct btrfs_fs *fs)
{
	char path[PATH_MAX];
	int rc = path_join(path, r->dir, "commit_stats");
	if (!rc)
		rc = read_file_buf(path, &st->text);
	if (rc) {
		if (rc != -ENOENT) /* before Linux 6.0 */
			r->err = rc;
		return;
	}
	char *text = st->text.data, *end = text + st->text.len;
	for (char *line = text, *nl; line < end; line = nl + 1) {
		/* bufio.Scanner's lines: no empty line after the last newline */
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		*nl = '\0';
		char *f[3], *s2 = NULL;
		size_t nf = 0;
		for (char *w = strtok_r(line, " \t\r\v\f", &s2); w && nf < 3;
		     w = strtok_r(NULL, " \t\r\v\f", &s2))
			f[nf++] = w;
		uint64_t v;
		if (nf != 2 || parse_go_uint(f[1], 10, 64, &v)) {
			r->err = -EINVAL; /* "invalid commit_stats line" */
			return;
		}
		if (!strcmp(f[0], "commits"))
			fs->commits = v;
		else if (!strcmp(f[0], "last_commit_ms"))
			fs->last_ms = v;
		else if (!strcmp(f[0], "max_commit_ms"))
			fs->max_ms = v;
		else if (!strcmp(f[0], "total_commit_ms"))
			fs->total_ms = v;
	}
}

/* readFilesystemStats() of one filesystem directory; 0 or the error that fails it. */
static int btrfs_read_fs(struct btrfs_state *st, const char *root, struct btrfs_fs *fs)
{
	char dir[PATH_MAX], buf[SYSFS_ATTR_SIZE];
	if (path_join(dir, root, fs->uuid))
		return -ENAMETOOLONG;
	struct btrfs_reader r = {.dir = dir};

	btrfs_list(&r, "devices", &st->list);
	size_t ndevs = st->list.n;
	fs->dev0 = st->ndev;
	fs->ndevs = ndevs;
	st->devv = btrfs_grow(st->devv, &st->capdev, st->ndev + ndevs, sizeof(*st->devv));
	for (size_t i = 0; i < ndevs; i++) {
		char rel[PATH_MAX];
		struct btrfs_sysdev *d = &st->devv[st->ndev++];
		snprintf(d->name, sizeof(d->name), "%s", st->list.v[i]);
		if (snprintf(rel, sizeof(rel), "devices/%s/size", d->name) >= (int)sizeof(rel))
			return -ENAMETOOLONG;
		d->size = 512 * btrfs_value(&r, rel);
	}
	snprintf(fs->label, sizeof(fs->label), "%s", btrfs_file(&r, "label", buf));
	const char *uuid = btrfs_file(&r, "metadata_uuid", buf);
	if (*uuid)
		snprintf(fs->uuid, sizeof(fs->uuid), "%s", uuid);
	btrfs_list(&r, "features", &st->list);
	fs->global_rsv = btrfs_value(&r, "allocation/global_rsv_size");
	fs->lay0 = st->nlay;
	for (int t = 0; t < 3; t++)
		r.err = btrfs_allocation(st, dir, fs, t, ndevs);
	btrfs_commit_stats(st, &r, fs);
	if (r.err)
		return log_err(r.err, "btrfs: failed to read statistics of %s", dir);
	return 0;
}

/* 16 bytes as lower-case hex, with dashes after bytes 4, 6, 8 and 10 when dashed. */
static void btrfs_hex(char *out, const uint8_t *b, bool dashed)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		if (dashed && (i == 4 || i == 6 || i == 8 || i == 10))
			*out++ = '-';
		*out++ = hex[b[i] >> 4];
		*out++ = hex[b[i] & 15];
	}
	*out = '\0';
}

/* The btrfs mounts of the mount table, re-parsed when it changed; 0 or an error. */
static int btrfs_read_mounts(struct btrfs_state *st)
{
	char path[PATH_MAX];
	if (!st->mounts) {
		st->mounts = pfile_open(proc_path(path, "1/mounts"), NULL);
		if (!st->mounts && errno == ENOENT) {
			log_debug("Reading root mounts failed, falling back to system mounts");
			st->mounts = pfile_open(proc_path(path, "mounts"), NULL);
		}
		if (!st->mounts)
			return -errno;
	}
	if (st->mounts_parsed && !pfile_mounts_changed(st->mounts))
		return st->mounts_bad ? -EINVAL : 0;
	st->mounts_parsed = false;
	int rc = pfile_read(st->mounts);
	if (rc)
		return rc;
	st->nmounts = 0;
	st->mounts_bad = false;
	buf_reset(&st->mount_text);
	size_t nlines = pfile_lines(st->mounts);
	/* offsets first: mount_text may move while it grows */
	size_t *offs = xcalloc(2 * nlines + 1, sizeof(*offs));
	for (size_t l = 0; l < nlines && !st->mounts_bad; l++) {
		if (pfile_words(st->mounts, l) < 4) {
			st->mounts_bad = true;
			break;
		}
		if (strcmp(pfile_word(st->mounts, l, 2), "btrfs") != 0)
			continue;
		offs[2 * st->nmounts] = st->mount_text.len;
		buf_puts(&st->mount_text, pfile_word(st->mounts, l, 0));
		buf_putc(&st->mount_text, '\0');
		offs[2 * st->nmounts + 1] = st->mount_text.len;
		/* \040 and \011 as fstab(5) escapes them */
		for (const char *p = pfile_word(st->mounts, l, 1); *p; p++) {
			if (!strncmp(p, "\\040", 4) || !strncmp(p, "\\011", 4)) {
				buf_putc(&st->mount_text, p[3] == '0' ? ' ' : '\t');
				p += 3;
			} else {
				buf_putc(&st->mount_text, *p);
			}
		}
		buf_putc(&st->mount_text, '\0');
		st->nmounts++;
	}
	if (st->mounts_bad)
		st->nmounts = 0;
	st->mountv = btrfs_grow(st->mountv, &st->capmounts, st->nmounts, sizeof(*st->mountv));
	for (size_t i = 0; i < st->nmounts; i++) {
		st->mountv[i].device = st->mount_text.data + offs[2 * i];
		st->mountv[i].path = st->mount_text.data + offs[2 * i + 1];
	}
	free(offs);
	st->mounts_parsed = true;
	return st->mounts_bad ? -EINVAL : 0;
}

/* The devices of the filesystem open at fd, appended to iodevv; 0 or an ioctl's errno. */
static int btrfs_ioctl_devices(struct btrfs_state *st, int fd,
			       const struct btrfs_ioctl_fs_info_args *fi)
{
	size_t found = 0;
	for (uint64_t id = 0; id <= fi->max_id; id++) {
		struct btrfs_ioctl_dev_info_args di;
		memset(&di, 0, sizeof(di));
		di.devid = id;
		if (ioctl(fd, BTRFS_IOC_DEV_INFO, &di) < 0) {
			if (errno == ENODEV) /* ids need not be contiguous */
				continue;
			return -errno;
		}
		struct btrfs_ioctl_get_dev_stats ds;
		memset(&ds, 0, sizeof(ds));
		ds.devid = id;
		ds.nr_items = BTRFS_DEV_STAT_VALUES_MAX;
		if (ioctl(fd, BTRFS_IOC_GET_DEV_STATS, &ds) < 0)
			return -errno;
		st->iodevv = btrfs_grow(st->iodevv, &st->capiodev, st->niodev + found + 1,
					sizeof(*st->iodevv));
		struct btrfs_iodev *d = &st->iodevv[st->niodev + found++];
		char devpath[sizeof(di.path) + 1];
		memcpy(devpath, di.path, sizeof(di.path));
		devpath[sizeof(di.path)] = '\0';
		const char *slash = strrchr(devpath, '/');
		snprintf(d->name, sizeof(d->name), "%s", slash ? slash + 1 : devpath);
		static const uint8_t zero[BTRFS_UUID_SIZE];
		if (memcmp(di.uuid, zero, sizeof(zero)) == 0)
			snprintf(d->uuid, sizeof(d->uuid), "<zero>");
		else
			btrfs_hex(d->uuid, di.uuid, true);
		d->used = di.bytes_used;
		d->total = di.total_bytes;
		for (int i = 0; i < 5; i++)
			d->errs[i] = ds.values[i];
		if (found == fi->num_devices)
			break;
		if (id == UINT64_MAX)
			break;
	}
	st->niodev += found;
	return (int)found;
}

static bool btrfs_seen_fsid(const struct btrfs_state *st, const char *fsid)
{
	for (size_t i = 0; i < st->niofs; i++)
		if (!strcmp(st->iofsv[i].fsid, fsid))
			return true;
	return false;
}

/*
 * One mount point: its filesystem's devices into iofsv.  0 when added, 1
 * when skipped (not queryable, or a filesystem already seen; logged at
 * debug level as node_exporter does).
 */
static int btrfs_query_mount(struct btrfs_state *st, const char *mp)
{
	char path[PATH_MAX];
	struct stat sb;
	struct statfs sfs;
	int fd = -1, rc = 0;
	root_path(path, "%s", mp);
	if (stat(path, &sb) < 0 || statfs(path, &sfs) < 0) {
		rc = -errno;
	} else if (sb.st_ino != BTRFS_SUBVOL_ROOT_INO || !S_ISDIR(sb.st_mode) ||
		   (uint32_t)sfs.f_type != BTRFS_MAGIC_NUMBER) {
		rc = -ENOTTY; /* not the root of a btrfs subvolume */
	} else if ((fd = open(path, O_RDONLY | O_NOATIME | O_CLOEXEC)) < 0) {
		rc = -errno;
	}
	if (rc) {
		log_debug("Error inspecting btrfs mountpoint\tmountPoint=%s err=\"%s\"", path,
			  strerror(-rc));
		return 1;
	}
	struct btrfs_ioctl_fs_info_args fi;
	memset(&fi, 0, sizeof(fi));
	if (ioctl(fd, BTRFS_IOC_FS_INFO, &fi) < 0) {
		log_debug("Error querying btrfs filesystem\tmountPoint=%s err=\"%s\"", path,
			  strerror(errno));
		rc = 1;
		goto out;
	}
	char fsid[33];
	btrfs_hex(fsid, fi.fsid, false);
	if (btrfs_seen_fsid(st, fsid)) {
		rc = 1;
		goto out;
	}
	size_t dev0 = st->niodev;
	rc = btrfs_ioctl_devices(st, fd, &fi);
	if (rc < 0) {
		st->niodev = dev0;
		log_debug("Error querying btrfs device stats\tmountPoint=%s err=\"%s\"", path,
			  strerror(-rc));
		rc = 1;
		goto out;
	}
	st->iofsv = btrfs_grow(st->iofsv, &st->capiofs, st->niofs + 1, sizeof(*st->iofsv));
	struct btrfs_iofs *f = &st->iofsv[st->niofs++];
	memcpy(f->fsid, fsid, sizeof(fsid));
	f->dev0 = dev0;
	f->ndevs = st->niodev - dev0;
	rc = 0;
out:
	close(fd);
	return rc;
}

/* getIoctlStats(): every btrfs filesystem reachable through a mount point. */
static void btrfs_ioctl_stats(struct btrfs_state *st)
{
	st->niofs = st->niodev = 0;
	int rc = btrfs_read_mounts(st);
	if (rc) {
		log_debug("Error querying btrfs device stats with ioctl\terr=\"%s\"",
			  strerror(-rc));
		return;
	}
	/* devices already scanned through another mount point, by device path */
	bool *done = xcalloc(st->nmounts + 1, sizeof(*done));
	for (size_t i = 0; i < st->nmounts; i++) {
		const struct btrfs_mount *m = &st->mountv[i];
		bool skip = false;
		for (size_t j = 0; j < i && !skip; j++)
			skip = done[j] && !strcmp(st->mountv[j].device, m->device);
		if (skip)
			continue;
		rc = btrfs_query_mount(st, rootfs_strip(m->path));
		done[i] = rc == 0;
	}
	free(done);
}

static const struct btrfs_iofs *btrfs_iofs_of(const struct btrfs_state *st, const char *uuid)
{
	char id[NAME_MAX + 1];
	size_t n = 0;
	for (const char *p = uuid; *p && n < sizeof(id) - 1; p++)
		if (*p != '-')
			id[n++] = *p;
	id[n] = '\0';
	for (size_t i = 0; i < st->niofs; i++)
		if (!strcmp(st->iofsv[i].fsid, id))
			return &st->iofsv[i];
	return NULL;
}

static void btrfs_emit(const struct btrfs_state *st, const struct btrfs_fs *fs,
		       struct expo_set *out)
{
	const char *u = fs->uuid;
	expo_addl(expo_family(out, "node_btrfs_info", "Filesystem information", EXPO_GAUGE), 1,
		  "uuid", u, "label", fs->label, NULL);
	expo_addl(expo_family(out, "node_btrfs_global_rsv_size_bytes", "Size of global reserve.",
			      EXPO_GAUGE),
		  (double)fs->global_rsv, "uuid", u, NULL);
	expo_addl(expo_family(out, "node_btrfs_commits_total",
			      "The total number of commits that have occurred.", EXPO_COUNTER),
		  (double)fs->commits, "uuid", u, NULL);
	expo_addl(expo_family(out, "node_btrfs_last_commit_seconds",
			      "Duration of the most recent commit, in seconds.", EXPO_GAUGE),
		  (double)fs->last_ms / 1000, "uuid", u, NULL);
	expo_addl(expo_family(out, "node_btrfs_max_commit_seconds",
			      "Duration of the slowest commit, in seconds.", EXPO_GAUGE),
		  (double)fs->max_ms / 1000, "uuid", u, NULL);
	expo_addl(expo_family(out, "node_btrfs_commit_seconds_total",
			      "Sum of the duration of all commits, in seconds.", EXPO_COUNTER),
		  (double)fs->total_ms / 1000, "uuid", u, NULL);
	for (int t = 0; t < 3; t++)
		expo_addl(expo_family(out, "node_btrfs_reserved_bytes",
				      "Amount of space reserved for a data type", EXPO_GAUGE),
			  (double)fs->reserved[t], "uuid", u, "block_group_type", btrfs_types[t],
			  NULL);
	for (size_t i = 0; i < fs->nlays; i++) {
		const struct btrfs_layout *l = &st->layv[fs->lay0 + i];
		const char *t = btrfs_types[l->type];
		expo_addl(expo_family(out, "node_btrfs_used_bytes",
				      "Amount of used space by a layout/data type", EXPO_GAUGE),
			  (double)l->used, "uuid", u, "block_group_type", t, "mode", l->mode, NULL);
		expo_addl(
			expo_family(out, "node_btrfs_size_bytes",
				    "Amount of space allocated for a layout/data type", EXPO_GAUGE),
			(double)l->total, "uuid", u, "block_group_type", t, "mode", l->mode, NULL);
		expo_addl(expo_family(out, "node_btrfs_allocation_ratio",
				      "Data allocation ratio for a layout/data type", EXPO_GAUGE),
			  l->ratio, "uuid", u, "block_group_type", t, "mode", l->mode, NULL);
	}
	const char *size_help = "Size of a device that is part of the filesystem.";
	const struct btrfs_iofs *io = btrfs_iofs_of(st, u);
	if (!io) {
		for (size_t i = 0; i < fs->ndevs; i++) {
			const struct btrfs_sysdev *d = &st->devv[fs->dev0 + i];
			expo_addl(expo_family(out, "node_btrfs_device_size_bytes", size_help,
					      EXPO_GAUGE),
				  (double)d->size, "uuid", u, "device", d->name, NULL);
		}
		return;
	}
	static const char *const err_types[5] = {"write", "read", "flush", "corruption",
						 "generation"};
	for (size_t i = 0; i < io->ndevs; i++) {
		const struct btrfs_iodev *d = &st->iodevv[io->dev0 + i];
		expo_addl(expo_family(out, "node_btrfs_device_size_bytes", size_help, EXPO_GAUGE),
			  (double)d->total, "uuid", u, "device", d->name, "btrfs_dev_uuid", d->uuid,
			  NULL);
		expo_addl(expo_family(out, "node_btrfs_device_unused_bytes",
				      "Unused bytes unused on a device that is part of the "
				      "filesystem.",
				      EXPO_GAUGE),
			  (double)(d->total - d->used), "uuid", u, "device", d->name,
			  "btrfs_dev_uuid", d->uuid, NULL);
		for (int e = 0; e < 5; e++)
			expo_addl(expo_family(out, "node_btrfs_device_errors_total",
					      "Errors reported for the device", EXPO_COUNTER),
				  (double)d->errs[e], "uuid", u, "type", err_types[e], "device",
				  d->name, "btrfs_dev_uuid", d->uuid, NULL);
	}
}

static bool btrfs_is_fs(const char *name)
{
	return strchr(name, '-') != NULL;
}

static int btrfs_collect(void *state, struct expo_set *out)
{
	struct btrfs_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "fs/btrfs");
	/* no btrfs module, or nothing mounted: nothing to report, as an empty glob */
	if (dir_list_read(&st->fss, root, btrfs_is_fs) || st->fss.n == 0)
		return 0;
	size_t nfs = st->fss.n;
	st->fsv = btrfs_grow(st->fsv, &st->capfs, nfs, sizeof(*st->fsv));
	st->nlay = st->ndev = 0;
	/* every filesystem is read before anything is reported: one failure fails all */
	for (size_t i = 0; i < nfs; i++) {
		struct btrfs_fs *fs = &st->fsv[i];
		memset(fs, 0, sizeof(*fs));
		snprintf(fs->uuid, sizeof(fs->uuid), "%s", st->fss.v[i]);
		int rc = btrfs_read_fs(st, root, fs);
		if (rc)
			return rc;
	}
	btrfs_ioctl_stats(st);
	for (size_t i = 0; i < nfs; i++)
		btrfs_emit(st, &st->fsv[i], out);
	return 0;
}

static void btrfs_cleanup(void *state)
{
	struct btrfs_state *st = state;
	dir_list_free(&st->fss);
	dir_list_free(&st->list);
	buf_free(&st->names);
	buf_free(&st->text);
	buf_free(&st->mount_text);
	pfile_close(st->mounts);
	free(st->fsv);
	free(st->layv);
	free(st->devv);
	free(st->mountv);
	free(st->iofsv);
	free(st->iodevv);
}

const struct collector collector_btrfs = {
	.name = "btrfs",
	.default_on = true,
	.state_size = sizeof(struct btrfs_state),
	.collect = btrfs_collect,
	.cleanup = btrfs_cleanup,
};
