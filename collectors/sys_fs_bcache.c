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

/* stats_total of a backing device */
struct bcache_period {
	uint64_t bypassed, hits, misses, bypass_hits, bypass_misses, miss_collisions, readaheads;
};

struct bcache_bdev {
	char name[NAME_MAX + 1];
	uint64_t dirty_data, rate, target;
	int64_t proportional, integral, change;
	struct bcache_period total;
};

struct bcache_cache {
	char name[NAME_MAX + 1];
	uint64_t io_errors, metadata_written, written, unused_pct, metadata_pct;
};

struct bcache_set {
	char name[NAME_MAX + 1];
	uint64_t avg_key_size, btree_cache_size, cache_available_pct, congested, root_usage_pct,
		tree_depth, active_journal_entries, btree_nodes, btree_read_avg, cache_read_races;
	size_t bdev0, nbdevs, cache0, ncaches; /* ranges of the state's arrays */
};

struct bcache_state {
	struct dir_list sets, entries;
	struct buf text;
	struct bcache_set *setv;
	struct bcache_bdev *bdevv;
	struct bcache_cache *cachev;
	size_t capsets, capbdevs, capcaches;
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

static int bcache_wrd_line(char *line, size_t len, void *arg)
{
	struct bcache_bdev *b = arg;
	size_t fl;
	const char *f = bcache_last_field(line, len, &fl);
	if (bcache_prefix(line, "rate:"))
		return bcache_dehumanize(f, bcache_trim_suffix(f, fl, "/sec"), &b->rate);
	if (bcache_prefix(line, "dirty:")) {
		uint64_t dirty;
		return bcache_dehumanize(f, fl, &dirty);
	}
	if (bcache_prefix(line, "target:"))
		return bcache_dehumanize(f, fl, &b->target);
	if (bcache_prefix(line, "proportional:"))
		return bcache_dehumanize_signed(f, fl, &b->proportional);
	if (bcache_prefix(line, "integral:"))
		return bcache_dehumanize_signed(f, fl, &b->integral);
	if (bcache_prefix(line, "change:"))
		return bcache_dehumanize_signed(f, bcache_trim_suffix(f, fl, "/sec"), &b->change);
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

static int bcache_prio_line(char *line, size_t len, void *arg)
{
	struct bcache_cache *c = arg;
	uint64_t *dst = bcache_prefix(line, "Unused:")	   ? &c->unused_pct
			: bcache_prefix(line, "Metadata:") ? &c->metadata_pct
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
	return parse_go_uint(num, 10, 64, dst);
}

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

static void bcache_period(struct bcache_reader *r, struct bcache_period *p)
{
	p->bypassed = bcache_value(r, "bypassed");
	p->bypass_hits = bcache_value(r, "cache_bypass_hits");
	p->bypass_misses = bcache_value(r, "cache_bypass_misses");
	p->hits = bcache_value(r, "cache_hits");
	p->miss_collisions = bcache_value(r, "cache_miss_collisions");
	p->misses = bcache_value(r, "cache_misses");
	p->readaheads = bcache_value(r, "cache_readaheads");
}

/* Point r at set/sub (sub "" for the set's own directory). */
static void bcache_cd(struct bcache_reader *r, const char *set, const char *sub)
{
	int n = snprintf(r->dir, sizeof(r->dir), "%s%s%s", set, *sub ? "/" : "", sub);
	if (n < 0 || (size_t)n >= sizeof(r->dir))
		r->err = r->err ? r->err : -ENAMETOOLONG;
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

/* Read one cache set into the state's arrays; 0 or the first error. */
static int bcache_read_set(struct bcache_state *st, const char *root, struct bcache_set *s,
			   size_t *nbdevs, size_t *ncaches)
{
	struct bcache_reader r = {.err = 0};
	char setdir[PATH_MAX];
	if (path_join(setdir, root, s->name))
		return -ENAMETOOLONG;
	bcache_cd(&r, setdir, "");
	s->avg_key_size = bcache_value(&r, "average_key_size");
	s->btree_cache_size = bcache_value(&r, "btree_cache_size");
	s->cache_available_pct = bcache_value(&r, "cache_available_percent");
	s->congested = bcache_value(&r, "congested");
	s->root_usage_pct = bcache_value(&r, "root_usage_percent");
	s->tree_depth = bcache_value(&r, "tree_depth");
	bcache_cd(&r, setdir, "internal");
	s->active_journal_entries = bcache_value(&r, "active_journal_entries");
	s->btree_nodes = bcache_value(&r, "btree_nodes");
	s->btree_read_avg = bcache_value(&r, "btree_read_average_duration_us");
	s->cache_read_races = bcache_value(&r, "cache_read_races");
	if (r.err)
		return r.err;

	/* the set's entries: bdev<N> and cache<N> (glob ignores a listing error) */
	if (dir_list_read(&st->entries, setdir, NULL))
		st->entries.n = 0;
	s->bdev0 = *nbdevs;
	s->cache0 = *ncaches;
	for (size_t i = 0; i < st->entries.n; i++) {
		const char *e = st->entries.v[i];
		if (!bcache_numbered(e, "bdev"))
			continue;
		st->bdevv = bcache_grow(st->bdevv, &st->capbdevs, *nbdevs + 1, sizeof(*st->bdevv));
		struct bcache_bdev *b = &st->bdevv[(*nbdevs)++];
		memset(b, 0, sizeof(*b));
		snprintf(b->name, sizeof(b->name), "%s", e);
		bcache_cd(&r, setdir, e);
		b->dirty_data = bcache_value(&r, "dirty_data");
		bcache_parse_file(st, &r, "writeback_rate_debug", bcache_wrd_line, b);
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s/stats_total", e);
		bcache_cd(&r, setdir, sub);
		bcache_period(&r, &b->total);
	}
	if (r.err)
		return r.err;
	for (size_t i = 0; i < st->entries.n; i++) {
		const char *e = st->entries.v[i];
		if (!bcache_numbered(e, "cache"))
			continue;
		st->cachev =
			bcache_grow(st->cachev, &st->capcaches, *ncaches + 1, sizeof(*st->cachev));
		struct bcache_cache *c = &st->cachev[(*ncaches)++];
		memset(c, 0, sizeof(*c));
		snprintf(c->name, sizeof(c->name), "%s", e);
		bcache_cd(&r, setdir, e);
		c->io_errors = bcache_value(&r, "io_errors");
		c->metadata_written = bcache_value(&r, "metadata_written");
		c->written = bcache_value(&r, "written");
		if (bcache_priority_stats)
			bcache_parse_file(st, &r, "priority_stats", bcache_prio_line, c);
	}
	s->nbdevs = *nbdevs - s->bdev0;
	s->ncaches = *ncaches - s->cache0;
	return r.err;
}

static void bcache_gauge(struct expo_set *out, const char *name, const char *help,
			 enum expo_type type, double v, const char *uuid, const char *label,
			 const char *dev)
{
	struct expo_label l[2] = {{"uuid", uuid}, {label, dev}};
	expo_add(expo_family(out, name, help, type), l, label ? 2 : 1, v);
}

static void bcache_emit_set(const struct bcache_state *st, const struct bcache_set *s,
			    struct expo_set *out)
{
	const char *u = s->name;
	bcache_gauge(out, "node_bcache_average_key_size_sectors",
		     "Average data per key in the btree (sectors).", EXPO_GAUGE,
		     (double)s->avg_key_size, u, NULL, NULL);
	bcache_gauge(out, "node_bcache_btree_cache_size_bytes",
		     "Amount of memory currently used by the btree cache.", EXPO_GAUGE,
		     (double)s->btree_cache_size, u, NULL, NULL);
	bcache_gauge(out, "node_bcache_cache_available_percent",
		     "Percentage of cache device without dirty data, usable for writeback (may "
		     "contain clean cached data).",
		     EXPO_GAUGE, (double)s->cache_available_pct, u, NULL, NULL);
	bcache_gauge(out, "node_bcache_congested", "Congestion.", EXPO_GAUGE, (double)s->congested,
		     u, NULL, NULL);
	bcache_gauge(out, "node_bcache_root_usage_percent",
		     "Percentage of the root btree node in use (tree depth increases if too high).",
		     EXPO_GAUGE, (double)s->root_usage_pct, u, NULL, NULL);
	bcache_gauge(out, "node_bcache_tree_depth", "Depth of the btree.", EXPO_GAUGE,
		     (double)s->tree_depth, u, NULL, NULL);
	bcache_gauge(out, "node_bcache_active_journal_entries",
		     "Number of journal entries that are newer than the index.", EXPO_GAUGE,
		     (double)s->active_journal_entries, u, NULL, NULL);
	bcache_gauge(out, "node_bcache_btree_nodes", "Total nodes in the btree.", EXPO_GAUGE,
		     (double)s->btree_nodes, u, NULL, NULL);
	/* the file is in microseconds; node_exporter scales it as if nanoseconds */
	bcache_gauge(out, "node_bcache_btree_read_average_duration_seconds",
		     "Average btree read duration.", EXPO_GAUGE, (double)s->btree_read_avg * 1e-9,
		     u, NULL, NULL);
	bcache_gauge(out, "node_bcache_cache_read_races_total",
		     "Counts instances where while data was being read from the cache, the bucket "
		     "was reused and invalidated - i.e. where the pointer was stale after the read "
		     "completed.",
		     EXPO_COUNTER, (double)s->cache_read_races, u, NULL, NULL);

	for (size_t i = 0; i < s->nbdevs; i++) {
		const struct bcache_bdev *b = &st->bdevv[s->bdev0 + i];
		const char *bd = "backing_device";
		bcache_gauge(out, "node_bcache_dirty_data_bytes",
			     "Amount of dirty data for this backing device in the cache.",
			     EXPO_GAUGE, (double)b->dirty_data, u, bd, b->name);
		bcache_gauge(
			out, "node_bcache_dirty_target_bytes",
			"Current dirty data target threshold for this backing device in bytes.",
			EXPO_GAUGE, (double)b->target, u, bd, b->name);
		bcache_gauge(out, "node_bcache_writeback_rate",
			     "Current writeback rate for this backing device in bytes.", EXPO_GAUGE,
			     (double)b->rate, u, bd, b->name);
		bcache_gauge(out, "node_bcache_writeback_rate_proportional_term",
			     "Current result of proportional controller, part of writeback rate",
			     EXPO_GAUGE, (double)b->proportional, u, bd, b->name);
		bcache_gauge(out, "node_bcache_writeback_rate_integral_term",
			     "Current result of integral controller, part of writeback rate",
			     EXPO_GAUGE, (double)b->integral, u, bd, b->name);
		bcache_gauge(out, "node_bcache_writeback_change",
			     "Last writeback rate change step for this backing device.", EXPO_GAUGE,
			     (double)b->change, u, bd, b->name);
		const struct bcache_period *p = &b->total;
		bcache_gauge(out, "node_bcache_bypassed_bytes_total",
			     "Amount of IO (both reads and writes) that has bypassed the cache.",
			     EXPO_COUNTER, (double)p->bypassed, u, bd, b->name);
		bcache_gauge(out, "node_bcache_cache_hits_total",
			     "Hits counted per individual IO as bcache sees them.", EXPO_COUNTER,
			     (double)p->hits, u, bd, b->name);
		bcache_gauge(out, "node_bcache_cache_misses_total",
			     "Misses counted per individual IO as bcache sees them.", EXPO_COUNTER,
			     (double)p->misses, u, bd, b->name);
		bcache_gauge(out, "node_bcache_cache_bypass_hits_total",
			     "Hits for IO intended to skip the cache.", EXPO_COUNTER,
			     (double)p->bypass_hits, u, bd, b->name);
		bcache_gauge(out, "node_bcache_cache_bypass_misses_total",
			     "Misses for IO intended to skip the cache.", EXPO_COUNTER,
			     (double)p->bypass_misses, u, bd, b->name);
		bcache_gauge(
			out, "node_bcache_cache_miss_collisions_total",
			"Instances where data insertion from cache miss raced with write (data "
			"already present).",
			EXPO_COUNTER, (double)p->miss_collisions, u, bd, b->name);
		/* 1.5 reports it always; upstream since 1.6 only when not 0 */
		bcache_gauge(out, "node_bcache_cache_readaheads_total",
			     "Count of times readahead occurred.", EXPO_COUNTER,
			     (double)p->readaheads, u, bd, b->name);
	}
	for (size_t i = 0; i < s->ncaches; i++) {
		const struct bcache_cache *c = &st->cachev[s->cache0 + i];
		const char *cd = "cache_device";
		bcache_gauge(out, "node_bcache_io_errors",
			     "Number of errors that have occurred, decayed by io_error_halflife.",
			     EXPO_GAUGE, (double)c->io_errors, u, cd, c->name);
		bcache_gauge(out, "node_bcache_metadata_written_bytes_total",
			     "Sum of all non data writes (btree writes and all other metadata).",
			     EXPO_COUNTER, (double)c->metadata_written, u, cd, c->name);
		bcache_gauge(out, "node_bcache_written_bytes_total",
			     "Sum of all data that has been written to the cache.", EXPO_COUNTER,
			     (double)c->written, u, cd, c->name);
		if (!bcache_priority_stats)
			continue;
		bcache_gauge(out, "node_bcache_priority_stats_unused_percent",
			     "The percentage of the cache that doesn't contain any data.",
			     EXPO_GAUGE, (double)c->unused_pct, u, cd, c->name);
		bcache_gauge(out, "node_bcache_priority_stats_metadata_percent",
			     "Bcache's metadata overhead.", EXPO_GAUGE, (double)c->metadata_pct, u,
			     cd, c->name);
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
	size_t nbdevs = 0, ncaches = 0;
	/* every set is read before anything is reported: one failure fails all */
	for (size_t i = 0; i < st->sets.n; i++) {
		struct bcache_set *s = &st->setv[i];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", st->sets.v[i]);
		int rc = bcache_read_set(st, root, s, &nbdevs, &ncaches);
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
	free(st->bdevv);
	free(st->cachev);
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
