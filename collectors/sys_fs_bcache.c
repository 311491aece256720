// SPDX-License-Identifier: Apache-2.0
/*
 * bcache: the Linux block cache, from /sys/fs/bcache/<set-uuid>/ (every
 * entry whose name holds a '-'), as node_exporter 1.5 (procfs 0.8) reads
 * it.  Per cache set, labelled uuid:
 *
 *   average_key_size, btree_cache_size, cache_available_percent, congested,
 *   root_usage_percent, tree_depth, internal/{active_journal_entries,
 *   btree_nodes, btree_read_average_duration_us, cache_read_races}
 *
 * per backing device bdev<N> (labelled backing_device): dirty_data,
 * writeback_rate_debug ("rate:  1.1M/sec", "target:  20.4G",
 * "proportional:  427.5k", "integral:", "change:  321.5k/sec",
 * "next io:  17ms" lines) and stats_total/{bypassed, cache_hits,
 * cache_misses, cache_bypass_hits, cache_bypass_misses,
 * cache_miss_collisions, cache_readaheads}; per cache device cache<N>
 * (labelled cache_device): io_errors, metadata_written, written and, with
 * --collector.bcache.priorityStats, the "Unused:" and "Metadata:"
 * percentages of priority_stats (expensive: the kernel walks every bucket).
 *
 * Values are printed by the kernel's bch_hprint(): an integer, or a
 * "pseudo-float" with a binary-unit suffix, "20.4G" meaning 20 GiB plus
 * 4/10.24 GiB (the fraction is in 1024ths scaled to 0..99); procfs drops
 * the file's last byte (the newline) and decodes them so, converting to an
 * unsigned integer as Go does on amd64.  A missing attribute is 0; any
 * other read error or an undecodable value fails the whole collector
 * before anything is reported, as procfs fails Stats().  The five-minute
 * statistics procfs also reads but node_exporter never exports are not
 * read.  No /sys/fs/bcache (no bcache module) reports nothing, with
 * success 1, as node_exporter's empty glob does: one failed opendir per
 * scrape.
 *
 * Format: https://www.kernel.org/doc/html/latest/admin-guide/bcache.html
 * ("SYSFS - BACKING DEVICE", "SYSFS - CACHE SET", "SYSFS - CACHE DEVICE")
 * and drivers/md/bcache/sysfs.c, util.c (bch_hprint).
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

static bool bcache_priority_stats;

static const struct flag_def bcache_flags[] = {
	{"collector.bcache.priorityStats", FLAG_BOOL, &bcache_priority_stats, "false",
	 "Expose expensive priority stats.", NULL, NULL},
};

/* The values of a backing device, in the order they are read (bcache_bdev_metrics[]). */
enum bcache_bdev_value {
	BDEV_DIRTY_DATA,
	BDEV_RATE_DEBUG, /* writeback_rate_debug, parsed into the five values below */
	BDEV_TARGET,
	BDEV_RATE,
	BDEV_PROPORTIONAL,
	BDEV_INTEGRAL,
	BDEV_CHANGE,
	BDEV_BYPASSED, /* stats_total/ */
	BDEV_BYPASS_HITS,
	BDEV_BYPASS_MISSES,
	BDEV_HITS,
	BDEV_MISS_COLLISIONS,
	BDEV_MISSES,
	BDEV_READAHEADS,
	BDEV_NVALUES
};

/* The values of a cache device, in the order they are read (bcache_cache_metrics[]). */
enum bcache_cache_value {
	CACHE_IO_ERRORS,
	CACHE_METADATA_WRITTEN,
	CACHE_WRITTEN,
	CACHE_PRIORITY_STATS, /* priority_stats, parsed into the two values below */
	CACHE_UNUSED_PCT,
	CACHE_METADATA_PCT,
	CACHE_NVALUES
};

/* The devices of a set, bdev<N> and cache<N> entries of its directory (bcache_kinds[]). */
enum { BCACHE_BDEV, BCACHE_CACHE, BCACHE_NKINDS };

#define BCACHE_SET_NVALUES 10
#define BCACHE_DEV_NVALUES BDEV_NVALUES
_Static_assert((int)CACHE_NVALUES <= (int)BCACHE_DEV_NVALUES,
	       "a cache device's values fit a device");

/* A backing or cache device. */
struct bcache_dev {
	char name[NAME_MAX + 1];
	double v[BCACHE_DEV_NVALUES];
};

struct bcache_set {
	char name[NAME_MAX + 1];
	double v[BCACHE_SET_NVALUES];
	/* its devices of each kind: ndevs[k] of the state's devv[k] from dev0[k] on */
	size_t dev0[BCACHE_NKINDS], ndevs[BCACHE_NKINDS];
};

struct bcache_state {
	struct dir_list sets, entries;
	struct buf text;
	struct bcache_set *setv;
	struct bcache_dev *devv[BCACHE_NKINDS];
	size_t capsets, capdevs[BCACHE_NKINDS];
};

/*
 * The reader of one directory: the first error sticks and makes every
 * later value 0, as procfs's parser does.
 */
struct bcache_reader {
	char dir[PATH_MAX];
	int err;
};

/* Go's float64 -> uint64 conversion as compiled for amd64 (CVTTSD2SQ twice). */
static uint64_t go_f2u64(double x)
{
	const double two63 = 9223372036854775808.0;
	if (x < two63)
		return x >= -two63 ? (uint64_t)(int64_t)x : UINT64_C(1) << 63;
	double y = x - two63;
	uint64_t z = y < two63 ? (uint64_t)(int64_t)y : UINT64_C(1) << 63; /* NaN too */
	return z | UINT64_C(1) << 63;
}

/* A bch_hprint "pseudo-float": integer part, '.', tenths scaled from 1024ths. */
static int bcache_pseudo_float(const char *s, size_t len, double *out)
{
	const char *dot = memchr(s, '.', len);
	double ip, fp;
	int rc = parse_go_float(s, dot ? (size_t)(dot - s) : len, &ip);
	if (rc || !dot) {
		*out = ip;
		return rc;
	}
	const char *f = dot + 1, *end = s + len;
	const char *dot2 = memchr(f, '.', (size_t)(end - f));
	rc = parse_go_float(f, (size_t)((dot2 ? dot2 : end) - f), &fp);
	if (rc)
		return rc;
	*out = ip + fp / 10.24;
	return 0;
}

/* procfs's dehumanize(): a plain number, or a pseudo-float with a unit suffix. */
static int bcache_dehumanize(const char *s, size_t len, uint64_t *out)
{
	static const char units[] = "kMGTPEZY";
	double mant, mul = 1;
	int rc;
	if (len == 0)
		return -EINVAL;
	unsigned char last = (unsigned char)s[len - 1];
	if (last > '9') {
		const char *u = strchr(units, (char)last);
		mul = 0; /* an unknown suffix multiplies by zero */
		if (u) {
			mul = 1;
			for (const char *p = units; p <= u; p++)
				mul *= 1024;
		}
		rc = bcache_pseudo_float(s, len - 1, &mant);
	} else {
		rc = parse_go_float(s, len, &mant);
	}
	if (rc)
		return rc;
	*out = go_f2u64(mant * mul);
	return 0;
}

/* Signed: a leading '-' negates the unsigned value. */
static int bcache_dehumanize_signed(const char *s, size_t len, int64_t *out)
{
	bool neg = len && s[0] == '-';
	uint64_t v;
	int rc = bcache_dehumanize(s + neg, len - neg, &v);
	if (rc)
		return rc;
	*out = (int64_t)(neg ? 0 - v : v);
	return 0;
}

/* An attribute of the reader's directory, as procfs's readValue(). */
static uint64_t bcache_value(struct bcache_reader *r, const char *name)
{
	char path[PATH_MAX], buf[512];
	uint64_t v = 0;
	if (r->err)
		return 0;
	if (path_join(path, r->dir, name)) {
		r->err = -ENAMETOOLONG;
		return 0;
	}
	int n = read_attr_once(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0) {
		if (n != -ENOENT)
			r->err = log_err(n, "bcache: failed to read %s", path);
		return 0;
	}
	/* procfs cuts the last byte, a newline or not (an empty file would panic it) */
	if (n == 0 || bcache_dehumanize(buf, (size_t)n - 1, &v)) {
		r->err = log_err(-EINVAL, "bcache: cannot parse %s", path);
		return 0;
	}
	return v;
}

/*
 * The lines of a file as bufio.Scanner gives them: split at '\n', a '\r'
 * before it dropped, no empty last line.  Calls fn(line, len, arg) until it
 * returns non-zero.
 */
static int bcache_lines(char *text, size_t len, int (*fn)(char *line, size_t len, void *arg),
			void *arg)
{
	for (size_t i = 0; i < len;) {
		char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - i;
		if (n && text[i + n - 1] == '\r')
			n--;
		text[i + n] = '\0';
		int rc = fn(text + i, n, arg);
		if (rc)
			return rc;
		i = end + 1;
	}
	return 0;
}

/* The last blank-separated field of line (strings.Fields), and its length. */
static const char *bcache_last_field(const char *line, size_t len, size_t *flen)
{
	size_t e = len;
	while (e && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\v' ||
		     line[e - 1] == '\f' || line[e - 1] == '\r'))
		e--;
	size_t b = e;
	while (b && !(line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\v' ||
		      line[b - 1] == '\f' || line[b - 1] == '\r'))
		b--;
	*flen = e - b;
	return line + b;
}

/* Field f without suffix (when it ends so). */
static size_t bcache_trim_suffix(const char *f, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);
	return len >= sl && memcmp(f + len - sl, suffix, sl) == 0 ? len - sl : len;
}

static bool bcache_prefix(const char *line, const char *p)
{
	return strncmp(line, p, strlen(p)) == 0;
}

/* An unsigned pseudo-float of f (len bytes) into *v. */
static int bcache_put(const char *f, size_t len, double *v)
{
	uint64_t u;
	int rc = bcache_dehumanize(f, len, &u);
	if (!rc)
		*v = (double)u;
	return rc;
}

/* A signed pseudo-float of f (len bytes) into *v. */
static int bcache_put_signed(const char *f, size_t len, double *v)
{
	int64_t i;
	int rc = bcache_dehumanize_signed(f, len, &i);
	if (!rc)
		*v = (double)i;
	return rc;
}

/* A line of writeback_rate_debug into a backing device's values (arg). */
static int bcache_wrd_line(char *line, size_t len, void *arg)
{
	double *v = arg;
	size_t fl;
	const char *f = bcache_last_field(line, len, &fl);
	if (bcache_prefix(line, "rate:"))
		return bcache_put(f, bcache_trim_suffix(f, fl, "/sec"), &v[BDEV_RATE]);
	if (bcache_prefix(line, "dirty:")) {
		double dirty;
		return bcache_put(f, fl, &dirty);
	}
	if (bcache_prefix(line, "target:"))
		return bcache_put(f, fl, &v[BDEV_TARGET]);
	if (bcache_prefix(line, "proportional:"))
		return bcache_put_signed(f, fl, &v[BDEV_PROPORTIONAL]);
	if (bcache_prefix(line, "integral:"))
		return bcache_put_signed(f, fl, &v[BDEV_INTEGRAL]);
	if (bcache_prefix(line, "change:"))
		return bcache_put_signed(f, bcache_trim_suffix(f, fl, "/sec"), &v[BDEV_CHANGE]);
	if (bcache_prefix(line, "next io:")) {
		char num[64];
		int64_t next;
		size_t n = bcache_trim_suffix(f, fl, "ms");
		if (n >= sizeof(num))
			return -ERANGE;
		memcpy(num, f, n);
		num[n] = '\0';
		return parse_go_int(num, 10, 64, &next);
	}
	return 0;
}

/* A line of priority_stats into a cache device's values (arg). */
static int bcache_prio_line(char *line, size_t len, void *arg)
{
	double *v = arg;
	double *dst = bcache_prefix(line, "Unused:")	 ? &v[CACHE_UNUSED_PCT]
		      : bcache_prefix(line, "Metadata:") ? &v[CACHE_METADATA_PCT]
							 : NULL;
	if (!dst)
		return 0;
	char num[64];
	size_t fl;
	const char *f = bcache_last_field(line, len, &fl);
	size_t n = bcache_trim_suffix(f, fl, "%");
	if (n >= sizeof(num))
		return -ERANGE;
	memcpy(num, f, n);
	num[n] = '\0';
	uint64_t pct;
	int rc = parse_go_uint(num, 10, 64, &pct);
	if (!rc)
		*dst = (double)pct;
	return rc;
}

/*
 * One value of a cache set, backing device or cache device, and the family
 * it is reported as (labelled uuid, and backing_device or cache_device).
 * An entry with a file reads it from the subdirectory sub ("" for the
 * directory itself): a one-value attribute with bcache_value(), or, with
 * parse, a multi-line attribute whose parser fills the values of the
 * entries without a file that follow it.  An entry without a name reports
 * nothing.  only_if: read and reported only when that flag is set (NULL:
 * always).  The family's value is the value read times scale.
 */
struct bcache_metric {
	const char *sub, *file;
	int (*parse)(char *line, size_t len, void *values);
	const char *name, *help;
	enum expo_type type;
	double scale;
	const bool *only_if;
};

/* A value of a one-value attribute. */
#define BCACHE_FILE(sub_, file_, name_, type_, help_)                                              \
	{                                                                                          \
		.sub = sub_, .file = file_, .name = name_, .help = help_, .type = type_,           \
		.scale = 1                                                                         \
	}
/* A multi-line attribute, read when only_if_ (NULL: always) is set. */
#define BCACHE_PARSED_FILE(file_, parse_, only_if_)                                                \
	{                                                                                          \
		.sub = "", .file = file_, .parse = parse_, .only_if = only_if_                     \
	}
/* A value filled by the parser of the multi-line attribute above it. */
#define BCACHE_PARSED(name_, type_, help_, only_if_)                                               \
	{                                                                                          \
		.name = name_, .help = help_, .type = type_, .scale = 1, .only_if = only_if_       \
	}

/* A cache set, in reading order. */
static const struct bcache_metric bcache_set_metrics[BCACHE_SET_NVALUES] = {
	BCACHE_FILE("", "average_key_size", "node_bcache_average_key_size_sectors", EXPO_GAUGE,
		    "Average data per key in the btree (sectors)."),
	BCACHE_FILE("", "btree_cache_size", "node_bcache_btree_cache_size_bytes", EXPO_GAUGE,
		    "Amount of memory currently used by the btree cache."),
	BCACHE_FILE("", "cache_available_percent", "node_bcache_cache_available_percent",
		    EXPO_GAUGE,
		    "Percentage of cache device without dirty data, usable for writeback (may "
		    "contain clean cached data)."),
	BCACHE_FILE("", "congested", "node_bcache_congested", EXPO_GAUGE, "Congestion."),
	BCACHE_FILE("", "root_usage_percent", "node_bcache_root_usage_percent", EXPO_GAUGE,
		    "Percentage of the root btree node in use (tree depth increases if too high)."),
	BCACHE_FILE("", "tree_depth", "node_bcache_tree_depth", EXPO_GAUGE, "Depth of the btree."),
	BCACHE_FILE("internal", "active_journal_entries", "node_bcache_active_journal_entries",
		    EXPO_GAUGE, "Number of journal entries that are newer than the index."),
	BCACHE_FILE("internal", "btree_nodes", "node_bcache_btree_nodes", EXPO_GAUGE,
		    "Total nodes in the btree."),
	/* the file is in microseconds; node_exporter scales it as if nanoseconds */
	{.sub = "internal",
	 .file = "btree_read_average_duration_us",
	 .name = "node_bcache_btree_read_average_duration_seconds",
	 .help = "Average btree read duration.",
	 .type = EXPO_GAUGE,
	 .scale = 1e-9},
	BCACHE_FILE("internal", "cache_read_races", "node_bcache_cache_read_races_total",
		    EXPO_COUNTER,
		    "Counts instances where while data was being read from the cache, the bucket "
		    "was reused and invalidated - i.e. where the pointer was stale after the read "
		    "completed."),
};

static const struct bcache_metric bcache_bdev_metrics[BDEV_NVALUES] = {
	[BDEV_DIRTY_DATA] =
		BCACHE_FILE("", "dirty_data", "node_bcache_dirty_data_bytes", EXPO_GAUGE,
			    "Amount of dirty data for this backing device in the cache."),
	[BDEV_RATE_DEBUG] = BCACHE_PARSED_FILE("writeback_rate_debug", bcache_wrd_line, NULL),
	[BDEV_TARGET] = BCACHE_PARSED(
		"node_bcache_dirty_target_bytes", EXPO_GAUGE,
		"Current dirty data target threshold for this backing device in bytes.", NULL),
	[BDEV_RATE] =
		BCACHE_PARSED("node_bcache_writeback_rate", EXPO_GAUGE,
			      "Current writeback rate for this backing device in bytes.", NULL),
	[BDEV_PROPORTIONAL] = BCACHE_PARSED(
		"node_bcache_writeback_rate_proportional_term", EXPO_GAUGE,
		"Current result of proportional controller, part of writeback rate", NULL),
	[BDEV_INTEGRAL] = BCACHE_PARSED(
		"node_bcache_writeback_rate_integral_term", EXPO_GAUGE,
		"Current result of integral controller, part of writeback rate", NULL),
	[BDEV_CHANGE] =
		BCACHE_PARSED("node_bcache_writeback_change", EXPO_GAUGE,
			      "Last writeback rate change step for this backing device.", NULL),
	[BDEV_BYPASSED] = BCACHE_FILE(
		"stats_total", "bypassed", "node_bcache_bypassed_bytes_total", EXPO_COUNTER,
		"Amount of IO (both reads and writes) that has bypassed the cache."),
	[BDEV_BYPASS_HITS] = BCACHE_FILE("stats_total", "cache_bypass_hits",
					 "node_bcache_cache_bypass_hits_total", EXPO_COUNTER,
					 "Hits for IO intended to skip the cache."),
	[BDEV_BYPASS_MISSES] = BCACHE_FILE("stats_total", "cache_bypass_misses",
					   "node_bcache_cache_bypass_misses_total", EXPO_COUNTER,
					   "Misses for IO intended to skip the cache."),
	[BDEV_HITS] =
		BCACHE_FILE("stats_total", "cache_hits", "node_bcache_cache_hits_total",
			    EXPO_COUNTER, "Hits counted per individual IO as bcache sees them."),
	[BDEV_MISS_COLLISIONS] =
		BCACHE_FILE("stats_total", "cache_miss_collisions",
			    "node_bcache_cache_miss_collisions_total", EXPO_COUNTER,
			    "Instances where data insertion from cache miss raced "
			    "with write (data already present)."),
	[BDEV_MISSES] =
		BCACHE_FILE("stats_total", "cache_misses", "node_bcache_cache_misses_total",
			    EXPO_COUNTER, "Misses counted per individual IO as bcache sees them."),
	/* 1.5 reports it always; upstream since 1.6 only when not 0 */
	[BDEV_READAHEADS] =
		BCACHE_FILE("stats_total", "cache_readaheads", "node_bcache_cache_readaheads_total",
			    EXPO_COUNTER, "Count of times readahead occurred."),
};

static const struct bcache_metric bcache_cache_metrics[CACHE_NVALUES] = {
	[CACHE_IO_ERRORS] =
		BCACHE_FILE("", "io_errors", "node_bcache_io_errors", EXPO_GAUGE,
			    "Number of errors that have occurred, decayed by io_error_halflife."),
	[CACHE_METADATA_WRITTEN] = BCACHE_FILE(
		"", "metadata_written", "node_bcache_metadata_written_bytes_total", EXPO_COUNTER,
		"Sum of all non data writes (btree writes and all other metadata)."),
	[CACHE_WRITTEN] =
		BCACHE_FILE("", "written", "node_bcache_written_bytes_total", EXPO_COUNTER,
			    "Sum of all data that has been written to the cache."),
	/* expensive (the kernel walks every bucket): only with the flag */
	[CACHE_PRIORITY_STATS] =
		BCACHE_PARSED_FILE("priority_stats", bcache_prio_line, &bcache_priority_stats),
	[CACHE_UNUSED_PCT] =
		BCACHE_PARSED("node_bcache_priority_stats_unused_percent", EXPO_GAUGE,
			      "The percentage of the cache that doesn't contain any data.",
			      &bcache_priority_stats),
	[CACHE_METADATA_PCT] =
		BCACHE_PARSED("node_bcache_priority_stats_metadata_percent", EXPO_GAUGE,
			      "Bcache's metadata overhead.", &bcache_priority_stats),
};

/* The devices of a set: the entries prefix<N> of its directory, labelled label=<entry>. */
static const struct bcache_kind {
	const char *prefix, *label;
	const struct bcache_metric *m;
	size_t n;
} bcache_kinds[BCACHE_NKINDS] = {
	[BCACHE_BDEV] = {"bdev", "backing_device", bcache_bdev_metrics, BDEV_NVALUES},
	[BCACHE_CACHE] = {"cache", "cache_device", bcache_cache_metrics, CACHE_NVALUES},
};

/* A multi-line attribute (writeback_rate_debug, priority_stats), which must exist. */
static void bcache_parse_file(struct bcache_state *st, struct bcache_reader *r, const char *name,
			      int (*fn)(char *line, size_t len, void *arg), void *arg)
{
	char path[PATH_MAX];
	if (r->err)
		return;
	int rc = path_join(path, r->dir, name);
	if (!rc)
		rc = read_file_buf(path, &st->text);
	if (rc) {
		r->err = log_err(rc, "bcache: failed to read %s", path);
		return;
	}
	rc = bcache_lines(st->text.data, st->text.len, fn, arg);
	if (rc)
		r->err = log_err(rc < 0 ? rc : -EINVAL, "bcache: failed to parse %s", path);
}

/* Point r at set/dev/sub (dev, sub: "" to leave them out). */
static void bcache_cd(struct bcache_reader *r, const char *set, const char *dev, const char *sub)
{
	int n = snprintf(r->dir, sizeof(r->dir), "%s%s%s%s%s", set, *dev ? "/" : "", dev,
			 *sub ? "/" : "", sub);
	if (n < 0 || (size_t)n >= sizeof(r->dir))
		r->err = r->err ? r->err : -ENAMETOOLONG;
}

/* Whether an entry is read and reported: its flag, when it has one, is set. */
static bool bcache_enabled(const struct bcache_metric *m)
{
	return !m->only_if || *m->only_if;
}

/*
 * Read the values of the n entries of m, in order, into v: the attributes
 * of set/dev (dev "" for the set itself).
 */
static void bcache_read_values(struct bcache_state *st, struct bcache_reader *r, const char *set,
			       const char *dev, const struct bcache_metric *m, size_t n, double *v)
{
	for (size_t i = 0; i < n; i++) {
		if (!m[i].file || !bcache_enabled(&m[i]))
			continue;
		bcache_cd(r, set, dev, m[i].sub);
		if (m[i].parse)
			bcache_parse_file(st, r, m[i].file, m[i].parse, v);
		else
			v[i] = (double)bcache_value(r, m[i].file);
	}
}

static bool bcache_is_set(const char *name)
{
	return strchr(name, '-') != NULL;
}

/* name matches prefix[0-9]* (filepath.Match) */
static bool bcache_numbered(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(name, prefix, n) == 0 && name[n] >= '0' && name[n] <= '9';
}

static void *bcache_grow(void *v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return v;
	*cap = need + 4;
	return xrealloc(v, *cap * size);
}

/*
 * Read the devices of kind k of set s (the prefix<N> entries of its
 * directory setdir, listed in st->entries) into the state's array of that
 * kind, from ndevs[k] on.
 */
static void bcache_read_devs(struct bcache_state *st, struct bcache_reader *r, const char *setdir,
			     int k, struct bcache_set *s, size_t ndevs[BCACHE_NKINDS])
{
	const struct bcache_kind *kind = &bcache_kinds[k];
	s->dev0[k] = ndevs[k];
	for (size_t i = 0; i < st->entries.n; i++) {
		const char *e = st->entries.v[i];
		if (!bcache_numbered(e, kind->prefix))
			continue;
		st->devv[k] = bcache_grow(st->devv[k], &st->capdevs[k], ndevs[k] + 1,
					  sizeof(*st->devv[k]));
		struct bcache_dev *d = &st->devv[k][ndevs[k]++];
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", e);
		bcache_read_values(st, r, setdir, e, kind->m, kind->n, d->v);
	}
	s->ndevs[k] = ndevs[k] - s->dev0[k];
}

/* Read one cache set into the state's arrays; 0 or the first error. */
static int bcache_read_set(struct bcache_state *st, const char *root, struct bcache_set *s,
			   size_t ndevs[BCACHE_NKINDS])
{
	struct bcache_reader r = {.err = 0};
	char setdir[PATH_MAX];
	if (path_join(setdir, root, s->name))
		return -ENAMETOOLONG;
	bcache_read_values(st, &r, setdir, "", bcache_set_metrics, BCACHE_SET_NVALUES, s->v);
	if (r.err)
		return r.err;

	/* the set's entries: bdev<N> and cache<N> (glob ignores a listing error) */
	if (dir_list_read(&st->entries, setdir, NULL))
		st->entries.n = 0;
	for (int k = 0; k < BCACHE_NKINDS; k++) {
		bcache_read_devs(st, &r, setdir, k, s, ndevs);
		if (r.err)
			return r.err;
	}
	return 0;
}

/* Report the n values v of m, labelled uuid, and label=dev unless label is NULL. */
static void bcache_emit(struct expo_set *out, const struct bcache_metric *m, size_t n,
			const double *v, const char *uuid, const char *label, const char *dev)
{
	struct expo_label l[2] = {{"uuid", uuid}, {label, dev}};
	for (size_t i = 0; i < n; i++)
		if (m[i].name && bcache_enabled(&m[i]))
			expo_add(expo_family(out, m[i].name, m[i].help, m[i].type), l,
				 label ? 2 : 1, v[i] * m[i].scale);
}

static void bcache_emit_set(const struct bcache_state *st, const struct bcache_set *s,
			    struct expo_set *out)
{
	bcache_emit(out, bcache_set_metrics, BCACHE_SET_NVALUES, s->v, s->name, NULL, NULL);
	for (int k = 0; k < BCACHE_NKINDS; k++) {
		const struct bcache_kind *kind = &bcache_kinds[k];
		for (size_t i = 0; i < s->ndevs[k]; i++) {
			const struct bcache_dev *d = &st->devv[k][s->dev0[k] + i];
			bcache_emit(out, kind->m, kind->n, d->v, s->name, kind->label, d->name);
		}
	}
}

static int bcache_collect(void *state, struct expo_set *out)
{
	struct bcache_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "fs/bcache");
	/* no bcache module: nothing to report, as an empty glob */
	if (dir_list_read(&st->sets, root, bcache_is_set) || st->sets.n == 0)
		return 0;
	st->setv = bcache_grow(st->setv, &st->capsets, st->sets.n, sizeof(*st->setv));
	size_t ndevs[BCACHE_NKINDS] = {0};
	/* every set is read before anything is reported: one failure fails all */
	for (size_t i = 0; i < st->sets.n; i++) {
		struct bcache_set *s = &st->setv[i];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", st->sets.v[i]);
		int rc = bcache_read_set(st, root, s, ndevs);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < st->sets.n; i++)
		bcache_emit_set(st, &st->setv[i], out);
	return 0;
}

static void bcache_cleanup(void *state)
{
	struct bcache_state *st = state;
	dir_list_free(&st->sets);
	dir_list_free(&st->entries);
	buf_free(&st->text);
	free(st->setv);
	for (int k = 0; k < BCACHE_NKINDS; k++)
		free(st->devv[k]);
}

const struct collector collector_bcache = {
	.name = "bcache",
	.default_on = true,
	.state_size = sizeof(struct bcache_state),
	.flags = bcache_flags,
	.nflags = ARRAY_SIZE(bcache_flags),
	.collect = bcache_collect,
	.cleanup = bcache_cleanup,
};
