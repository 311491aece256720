// SPDX-License-Identifier: Apache-2.0
/*
 * zfs: OpenZFS kernel statistics from /proc/spl/kstat/zfs, as node_exporter
 * reads them.  A kstat file is a header line, a "name type data" line, then
 * one "<name> <type> <value>" line per statistic:
 *
 *   6 1 0x01 123 33456 8626523018 27281290396744
 *   name                            type data
 *   hits                            4    8772612
 *   memory_available_bytes          3    -922337203685477580
 *
 * From abdstats, arcstats, dbufstats, dmu_tx, dnodestats, fm,
 * vdev_cache_stats, vdev_mirror_stats, xuio_stats, zfetchstats and zil,
 * every statistic of type 4 (KSTAT_DATA_UINT64) or 3 (INT64) is an untyped
 * node_zfs_<subsystem>_<name> (zfs_abd, zfs_arc, zfs_dbuf, zfs_dmu_tx,
 * zfs_dnode, zfs_fm, zfs_vdev_cache, zfs_vdev_mirror, zfs_xuio,
 * zfs_zfetch, zfs_zil; '-' in a name becomes '_') with HELP
 * "kstat.zfs.misc.<file>.<name>".  A missing file is skipped (ZFS adds and
 * drops them between versions); a file without the "name type data" line,
 * or a value that does not parse, fails the collector, keeping what it
 * reported before.
 *
 * Per pool directory <pool>/: io (a "nread nwritten reads writes wtime
 * wlentime wupdate rtime rlentime rupdate wcnt rcnt" header line and a line
 * of values) gives node_zfs_zpool_<field>{zpool}; each objset-<id> (a
 * kstat file whose dataset_name line, a string of type 7, names the
 * dataset) gives node_zfs_zpool_dataset_<name>{zpool,dataset} for its
 * type-4 statistics; state (ONLINE, DEGRADED, FAULTED, OFFLINE, REMOVED,
 * UNAVAIL or SUSPENDED) gives node_zfs_zpool_state{zpool,state}, 1 for
 * the current state and 0 for the others.  A pool file that cannot be
 * read fails the collector.
 *
 * node_exporter 1.5 differs in ways fixed upstream since, which we follow:
 * it read only type 4 (1.6 added type 3: memory_available_bytes), read
 * dbuf statistics from "dbuf_stats" where OpenZFS writes "dbufstats" (we
 * read dbufstats, and dbuf_stats when there is no dbufstats; the HELP
 * names the file read), had no "suspended" state (1.6), and cut a dataset
 * name at its first blank (1.9 keeps it whole; we take the rest of the
 * line from the third field on).
 *
 * No /proc/spl/kstat/zfs (no zfs module) is "no data", success 0, logged
 * at debug level, as node_exporter does: one failed opendir per scrape.
 *
 * Format: https://openzfs.github.io/openzfs-docs/man/master/4/zfs.4.html,
 * module/os/linux/spl/spl-kstat.c (the text layout), module/zfs/arc.c
 * (arcstats), module/zfs/spa_stats.c (<pool>/io and state) and
 * module/zfs/dataset_kstats.c (objset-*).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"

/* The kstat files of node_exporter's table, by subsystem. */
static const struct zfs_kstat {
	const char *subsystem, *file, *alt;
} zfs_kstats[] = {
	{"zfs_abd", "abdstats", NULL},
	{"zfs_arc", "arcstats", NULL},
	{"zfs_dbuf", "dbufstats", "dbuf_stats"},
	{"zfs_dmu_tx", "dmu_tx", NULL},
	{"zfs_dnode", "dnodestats", NULL},
	{"zfs_fm", "fm", NULL},
	{"zfs_vdev_cache", "vdev_cache_stats", NULL},
	{"zfs_vdev_mirror", "vdev_mirror_stats", NULL},
	{"zfs_xuio", "xuio_stats", NULL},
	{"zfs_zfetch", "zfetchstats", NULL},
	{"zfs_zil", "zil", NULL},
};
#define ZFS_NKSTATS (sizeof(zfs_kstats) / sizeof(zfs_kstats[0]))

static const char *const zfs_pool_states[] = {"online",	 "degraded", "faulted",	 "offline",
					      "removed", "unavail",  "suspended"};

/* bufio.Scanner's longest line (MaxScanTokenSize, less the newline). */
#define ZFS_MAX_LINE 65535
/* Fields of an io header kept (OpenZFS has 12). */
#define ZFS_MAX_IO_FIELDS 64

struct zfs_state {
	struct dir_list base, sub;
	struct buf text;
	size_t *pools; /* indices into base.v of the pool directories */
	bool *has_state;
	size_t cappools;
	const char *read_ok[ZFS_NKSTATS]; /* kstat files read this scrape */
};

/* A line of a file being split as bufio.Scanner does. */
struct zfs_lines {
	char *p, *end;
};

/* The next line (NUL-terminated, '\r' before the newline dropped); false at the end. */
static bool zfs_next_line(struct zfs_lines *it, char **line, size_t *len)
{
	if (it->p >= it->end)
		return false;
	char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	char *e = nl ? nl : it->end;
	*line = it->p;
	*len = (size_t)(e - it->p);
	if (*len && e[-1] == '\r')
		(*len)--;
	(*line)[*len] = '\0';
	it->p = nl ? nl + 1 : it->end;
	return true;
}

static bool zfs_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * strings.Fields: the start and length of the first max fields of line in
 * f and flen; the number of fields in the line.
 */
static size_t zfs_fields(const char *line, size_t len, const char **f, size_t *flen, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		while (i < len && zfs_blank(line[i]))
			i++;
		if (i >= len)
			break;
		size_t b = i;
		while (i < len && !zfs_blank(line[i]))
			i++;
		if (n < max) {
			f[n] = line + b;
			flen[n] = i - b;
		}
		n++;
	}
	return n;
}

static bool zfs_is(const char *f, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(f, word, len) == 0;
}

/* f (len bytes) as a NUL-terminated string in buf; false when it does not fit. */
static bool zfs_copy(char *buf, size_t size, const char *f, size_t len)
{
	if (len >= size)
		return false;
	memcpy(buf, f, len);
	buf[len] = '\0';
	return true;
}

/*
 * Add one untyped sample: the family is prefix + the statistic's metric
 * name (the key's last '.'-part, '-' made '_'), HELP help_prefix + the
 * statistic's name.  A name Prometheus cannot take is skipped (client_golang
 * would panic on it).
 */
static void zfs_emit(struct expo_set *out, const char *prefix, const char *help_prefix,
		     const char *stat, size_t len, const struct expo_label *l, size_t nl, double v)
{
	char name[512], help[512];
	const char *m = stat;
	for (size_t i = 0; i < len; i++)
		if (stat[i] == '.')
			m = stat + i + 1;
	size_t mlen = len - (size_t)(m - stat), pl = strlen(prefix);
	if (mlen == 0 || pl + mlen >= sizeof(name) || strlen(help_prefix) + len >= sizeof(help)) {
		log_debug("zfs: skipping statistic %.*s", (int)len, stat);
		return;
	}
	memcpy(name, prefix, pl);
	for (size_t i = 0; i < mlen; i++) {
		char c = m[i] == '-' ? '_' : m[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == ':')) {
			log_debug("zfs: skipping statistic %.*s", (int)len, stat);
			return;
		}
		name[pl + i] = c;
	}
	name[pl + mlen] = '\0';
	snprintf(help, sizeof(help), "%s%.*s", help_prefix, (int)len, stat);
	expo_add(expo_family(out, name, help, EXPO_UNTYPED), l, nl, v);
}

/*
 * The value of a type-4 (or, when signed_ok, type-3) statistic: 1 and *v
 * set, 0 for another type, or a negative errno when it does not parse.
 */
static int zfs_value(const char *type, size_t tlen, const char *val, size_t vlen, bool signed_ok,
		     double *v)
{
	char num[64];
	bool u = zfs_is(type, tlen, "4"), s = signed_ok && zfs_is(type, tlen, "3");
	if (!u && !s)
		return 0;
	if (!zfs_copy(num, sizeof(num), val, vlen))
		return -ERANGE;
	if (u) {
		uint64_t x;
		if (parse_go_uint(num, 10, 64, &x))
			return -EINVAL;
		*v = (double)x;
	} else {
		int64_t x;
		if (parse_go_int(num, 10, 64, &x))
			return -EINVAL;
		*v = (double)x;
	}
	return 1;
}

/*
 * The next data row of a kstat table (the lines after its "name type data"
 * header) split into its first three fields: 1, 0 at the end, or -EINVAL
 * for a line too long (logged, naming path).  *started tells whether the
 * header was seen.
 */
static int zfs_next_row(struct zfs_lines *it, const char *path, bool *started, const char *f[3],
			size_t fl[3])
{
	char *line;
	size_t len;
	while (zfs_next_line(it, &line, &len)) {
		if (len > ZFS_MAX_LINE)
			return log_err(-EINVAL, "zfs: line too long in %s", path);
		size_t n = zfs_fields(line, len, f, fl, 3);
		if (!*started) {
			*started = n == 3 && zfs_is(f[0], fl[0], "name") &&
				   zfs_is(f[1], fl[1], "type") && zfs_is(f[2], fl[2], "data");
			continue;
		}
		if (n >= 3)
			return 1;
	}
	return 0;
}

/* One kstat file of the table, read into st->text: its statistics. */
static int zfs_parse_kstat(struct zfs_state *st, const struct zfs_kstat *k, const char *file,
			   struct expo_set *out)
{
	char prefix[64], help[64];
	snprintf(prefix, sizeof(prefix), "node_%s_", k->subsystem);
	snprintf(help, sizeof(help), "kstat.zfs.misc.%s.", file);
	struct zfs_lines it = {st->text.data, st->text.data + st->text.len};
	bool started = false;
	const char *f[3];
	size_t fl[3];
	int more;
	while ((more = zfs_next_row(&it, file, &started, f, fl)) > 0) {
		double v;
		int rc = zfs_value(f[1], fl[1], f[2], fl[2], true, &v);
		if (rc < 0)
			return log_err(rc, "zfs: could not parse expected integer value for %s%.*s",
				       help, (int)fl[0], f[0]);
		if (rc)
			zfs_emit(out, prefix, help, f[0], fl[0], NULL, 0, v);
	}
	if (more < 0)
		return more;
	if (!started)
		return log_err(-EINVAL, "zfs: did not parse a single \"%s\" metric", file);
	return 0;
}

/* Whether a read error means the file could not be opened (skipped), not read. */
static bool zfs_open_error(int rc)
{
	return rc != -EISDIR && rc != -EIO && rc != -EINVAL && rc != -EAGAIN;
}

/* The kstat files of the table; 0 or the error that fails the collector. */
static int zfs_kstats_collect(struct zfs_state *st, const char *base, struct expo_set *out)
{
	for (size_t i = 0; i < ZFS_NKSTATS; i++) {
		const struct zfs_kstat *k = &zfs_kstats[i];
		const char *file = k->file;
		char path[PATH_MAX];
		st->read_ok[i] = NULL;
		int rc = path_join(path, base, file);
		if (!rc)
			rc = read_file_buf(path, &st->text);
		if (rc && k->alt && zfs_open_error(rc)) {
			file = k->alt;
			rc = path_join(path, base, file);
			if (!rc)
				rc = read_file_buf(path, &st->text);
		}
		if (rc && zfs_open_error(rc)) {
			/* the module lacks this feature: fine */
			log_debug("Cannot open file for reading\tpath=%s", path);
			continue;
		}
		if (rc)
			return log_err(rc, "zfs: read %s", path);
		st->read_ok[i] = file;
		rc = zfs_parse_kstat(st, k, file, out);
		if (rc)
			return rc;
	}
	return 0;
}

/* <pool>/io: the values line under the "nread ..." header. */
static int zfs_parse_io(struct zfs_state *st, const char *pool, const char *path,
			struct expo_set *out)
{
	struct zfs_lines it = {st->text.data, st->text.data + st->text.len};
	const char *hf[ZFS_MAX_IO_FIELDS];
	size_t hl[ZFS_MAX_IO_FIELDS], nh = 0;
	struct expo_label l = {"zpool", pool};
	char *line;
	size_t len;
	while (zfs_next_line(&it, &line, &len)) {
		if (len > ZFS_MAX_LINE)
			return log_err(-EINVAL, "zfs: line too long in %s", path);
		if (!nh) {
			size_t n = zfs_fields(line, len, hf, hl, ZFS_MAX_IO_FIELDS);
			if (n >= 12 && zfs_is(hf[0], hl[0], "nread"))
				nh = n < ZFS_MAX_IO_FIELDS ? n : ZFS_MAX_IO_FIELDS;
			continue;
		}
		const char *vf[ZFS_MAX_IO_FIELDS];
		size_t vl[ZFS_MAX_IO_FIELDS];
		size_t nv = zfs_fields(line, len, vf, vl, ZFS_MAX_IO_FIELDS);
		if (nv < nh) /* node_exporter would index past the line and panic */
			return log_err(-EINVAL, "zfs: short values line in %s", path);
		for (size_t i = 0; i < nh; i++) {
			char num[64];
			uint64_t v;
			if (!zfs_copy(num, sizeof(num), vf[i], vl[i]) ||
			    parse_go_uint(num, 10, 64, &v))
				return log_err(-EINVAL,
					       "zfs: could not parse expected integer value for "
					       "kstat.zfs.misc.io.%.*s",
					       (int)hl[i], hf[i]);
			zfs_emit(out, "node_zfs_zpool_", "kstat.zfs.misc.io.", hf[i], hl[i], &l, 1,
				 (double)v);
		}
	}
	return 0;
}

/* <pool>/objset-<id>: the dataset's type-4 statistics. */
static int zfs_parse_objset(struct zfs_state *st, const char *pool, const char *path,
			    struct expo_set *out)
{
	struct zfs_lines it = {st->text.data, st->text.data + st->text.len};
	struct expo_label l[2] = {{"zpool", ""}, {"dataset", ""}};
	bool started = false;
	const char *f[3];
	size_t fl[3];
	int more;
	while ((more = zfs_next_row(&it, path, &started, f, fl)) > 0) {
		if (zfs_is(f[0], fl[0], "dataset_name")) {
			/* the whole rest of the line: dataset names may hold blanks */
			l[0].value = pool;
			l[1].value = f[2];
			continue;
		}
		double v;
		int rc = zfs_value(f[1], fl[1], f[2], fl[2], false, &v);
		if (rc < 0)
			return log_err(rc,
				       "zfs: could not parse expected integer value for "
				       "kstat.zfs.misc.objset.%.*s",
				       (int)fl[0], f[0]);
		if (rc)
			zfs_emit(out, "node_zfs_zpool_dataset_", "kstat.zfs.misc.objset.", f[0],
				 fl[0], l, 2, v);
	}
	if (more < 0)
		return more;
	if (!started)
		return log_err(-EINVAL, "zfs: did not parse a single metric of %s", path);
	return 0;
}

/* <pool>/state: one sample per known state, 1 for the current one. */
static int zfs_parse_state(struct zfs_state *st, const char *pool, const char *path,
			   struct expo_set *out)
{
	struct zfs_lines it = {st->text.data, st->text.data + st->text.len};
	char *line = "";
	size_t len = 0;
	if (zfs_next_line(&it, &line, &len) && len > ZFS_MAX_LINE)
		return log_err(-EINVAL, "zfs: line too long in %s", path);
	for (size_t i = 0; i < len; i++)
		if (line[i] >= 'A' && line[i] <= 'Z')
			line[i] = (char)(line[i] - 'A' + 'a');
	struct expo_family *f =
		expo_family(out, "node_zfs_zpool_state", "kstat.zfs.misc.state", EXPO_GAUGE);
	for (size_t i = 0; i < sizeof(zfs_pool_states) / sizeof(zfs_pool_states[0]); i++)
		expo_addl(f, strcmp(line, zfs_pool_states[i]) == 0 ? 1 : 0, "zpool", pool, "state",
			  zfs_pool_states[i], NULL);
	return 0;
}

/* Read dir/name into st->text and parse it with fn; any failure fails the collector. */
static int zfs_pool_file(struct zfs_state *st, const char *dir, const char *pool, const char *name,
			 int (*fn)(struct zfs_state *, const char *, const char *,
				   struct expo_set *),
			 struct expo_set *out)
{
	char path[PATH_MAX];
	int rc = path_join(path, dir, name);
	if (!rc)
		rc = read_file_buf(path, &st->text);
	if (rc) {
		/* an exporting pool removes its files: node_exporter fails the scrape too */
		log_debug("Cannot open file for reading\tpath=%s", path);
		return rc;
	}
	return fn(st, pool, path, out);
}

static bool zfs_listed(const struct dir_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], name))
			return true;
	return false;
}

/* The pools: every io, then every objset, then every state, as node_exporter globs them. */
static int zfs_pools_collect(struct zfs_state *st, const char *base, struct expo_set *out)
{
	char dir[PATH_MAX];
	size_t npools = 0;
	if (st->base.n > st->cappools) {
		st->cappools = st->base.n + 8;
		st->pools = xrealloc(st->pools, st->cappools * sizeof(*st->pools));
		st->has_state = xrealloc(st->has_state, st->cappools * sizeof(*st->has_state));
	}
	for (size_t i = 0; i < st->base.n; i++) {
		const char *name = st->base.v[i];
		bool kstat = false;
		for (size_t k = 0; k < ZFS_NKSTATS && !kstat; k++)
			kstat = st->read_ok[k] && !strcmp(st->read_ok[k], name);
		/* a pool is a directory; the kstat files just read are not */
		if (kstat || path_join(dir, base, name) || dir_list_read(&st->sub, dir, NULL))
			continue;
		st->pools[npools++] = i;
		if (!zfs_listed(&st->sub, "io"))
			continue;
		int rc = zfs_pool_file(st, dir, name, "io", zfs_parse_io, out);
		if (rc)
			return rc;
	}
	for (size_t p = 0; p < npools; p++) {
		const char *name = st->base.v[st->pools[p]];
		st->has_state[p] = false;
		if (path_join(dir, base, name) || dir_list_read(&st->sub, dir, NULL))
			continue;
		st->has_state[p] = zfs_listed(&st->sub, "state");
		for (size_t j = 0; j < st->sub.n; j++) {
			if (strncmp(st->sub.v[j], "objset-", 7) != 0)
				continue;
			int rc = zfs_pool_file(st, dir, name, st->sub.v[j], zfs_parse_objset, out);
			if (rc)
				return rc;
		}
	}
	for (size_t p = 0; p < npools; p++) {
		const char *name = st->base.v[st->pools[p]];
		if (!st->has_state[p] || path_join(dir, base, name))
			continue;
		int rc = zfs_pool_file(st, dir, name, "state", zfs_parse_state, out);
		if (rc)
			return rc;
	}
	return 0;
}

static int zfs_collect(void *state, struct expo_set *out)
{
	struct zfs_state *st = state;
	char base[PATH_MAX];
	proc_path(base, "spl/kstat/zfs");
	int rc = dir_list_read(&st->base, base, NULL);
	if (rc == -ENOTDIR) /* node_exporter opens it as a file, then finds nothing in it */
		return 0;
	if (rc) {
		log_debug("Cannot open file for reading\tpath=%s", base);
		log_debug("ZFS / ZFS statistics are not available");
		return -ENODATA;
	}
	rc = zfs_kstats_collect(st, base, out);
	if (!rc)
		rc = zfs_pools_collect(st, base, out);
	return rc;
}

static void zfs_cleanup(void *state)
{
	struct zfs_state *st = state;
	dir_list_free(&st->base);
	dir_list_free(&st->sub);
	buf_free(&st->text);
	free(st->pools);
	free(st->has_state);
}

const struct collector collector_zfs = {
	.name = "zfs",
	.default_on = true,
	.state_size = sizeof(struct zfs_state),
	.collect = zfs_collect,
	.cleanup = zfs_cleanup,
};
