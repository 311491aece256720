/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public API of vigil-server's time-series database: open a data
 * directory laid out as Prometheus 2.x lays it out (wal/, blocks named by
 * ULID, see wal.h and block.h), append samples, query them, delete series,
 * compact and apply retention, and report self metrics under Prometheus's
 * names.
 *
 * Threads: any number of appenders and queriers at once.  An appender or
 * querier object belongs to one thread at a time.  Compaction runs in a
 * background thread started by tsdb_open() (unless disabled) or on demand
 * through tsdb_compact(); queriers pin the blocks they read, so a block
 * compacted away is deleted only when its last querier is freed.
 *
 * Errors are negative errnos; nothing here aborts on out-of-memory.
 * Append errors per sample: -EDOM out of order, -EEXIST duplicate sample
 * for a timestamp (different value), -ERANGE out of bounds (too old for the
 * head), -EINVAL bad label set.
 */
#ifndef VIGIL_TSDB_TSDB_H
#define VIGIL_TSDB_TSDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/tsdb/labels.h"

struct expo_set;
struct tsdb;

struct tsdb_options {
	const char *path;          /* --storage.tsdb.path, default "data/" */
	int64_t retention_ms;      /* --storage.tsdb.retention.time, default 15d; 0 = none */
	uint64_t retention_bytes;  /* --storage.tsdb.retention.size, 0 = none */
	int64_t block_range_ms;    /* smallest block, default 2h */
	int64_t max_block_ms;      /* largest compacted block, default retention/10 (<= 31d) */
	bool background_compaction; /* start the compaction thread (default true) */
	bool verify_chunks;        /* CRC-check every block chunk at open (default true) */
	bool read_only;            /* open without a WAL writer (tools) */
};

void tsdb_options_default(struct tsdb_options *o);
/*
 * Parse a --storage.tsdb.retention.size value as Prometheus does (base-2
 * units B, KB, MB, GB, TB, PB, EB: "512MB" = 512 MiB).  0 or -EINVAL.
 */
int tsdb_parse_size(const char *s, uint64_t *out);

/*
 * Open (creating) the data directory: load blocks (a block that fails to
 * open is skipped with a log line), replay checkpoint and WAL into the head
 * (a corrupted tail is truncated, logged and counted), open the WAL for
 * appending.  0 or a negative errno.
 */
int tsdb_open(const struct tsdb_options *o, struct tsdb **out);
/* Stop compaction, sync the WAL, free everything. */
void tsdb_close(struct tsdb *db);

/* ---- appending ---- */

struct tsdb_appender;

/* A new appender (NULL on -ENOMEM). */
struct tsdb_appender *tsdb_appender_new(struct tsdb *db);
/*
 * Stage one sample for labels ls (need not be sorted; no empty values).
 * Returns 0 or a per-sample error (see above), counted as Prometheus does.
 */
int tsdb_appender_add(struct tsdb_appender *a, const struct tsdb_label *ls, size_t n, int64_t t,
		      double v);

/*
 * Appending by series ref, as Prometheus's Appender.Append(ref, ...): when
 * *ref names a series still in the head, ls is not looked at; otherwise
 * (0, or the series was garbage collected) the series is found or created
 * from ls and *ref set to it.  Returns as tsdb_appender_add().
 */
#define TSDB_HAVE_APPENDER_ADD_REF 1
int tsdb_appender_add_ref(struct tsdb_appender *a, uint64_t *ref, const struct tsdb_label *ls,
			  size_t n, int64_t t, double v);

/*
 * A pinned series handle: appending through it costs no lookup at all (one
 * uncontended series mutex).  The handle keeps the series' memory, not the
 * series: head GC may still remove a series whose samples are all
 * truncated away, and the next append through the handle then finds or
 * creates the series from ls again (a new ref and WAL series record, as
 * for any new series) and stores a fresh handle in *hp.
 */
#define TSDB_HAVE_SERIES_HANDLE 1
struct tsdb_series_handle;

/*
 * Stage one sample through *hp (NULL at first: set from ls then).  Returns
 * as tsdb_appender_add(); *hp may be replaced even when the sample is
 * rejected.  Release the handle with tsdb_series_handle_release().
 */
int tsdb_appender_add_handle(struct tsdb_appender *a, struct tsdb_series_handle **hp,
			     const struct tsdb_label *ls, size_t n, int64_t t, double v);
/* Drop a handle (NULL is fine); allowed after tsdb_close(). */
void tsdb_series_handle_release(struct tsdb_series_handle *h);
/*
 * Hint that h (NULL is fine) is appended to soon: start loading the memory
 * tsdb_appender_add_handle() touches first.  Reads nothing, changes nothing.
 */
void tsdb_series_handle_prefetch(const struct tsdb_series_handle *h);

/*
 * Write the staged samples to the WAL (write(2) done before returning),
 * then into the head.  After commit the appender is empty and reusable.
 */
int tsdb_appender_commit(struct tsdb_appender *a);
/* Drop the staged samples. */
void tsdb_appender_rollback(struct tsdb_appender *a);
void tsdb_appender_free(struct tsdb_appender *a);

/* ---- maintenance ---- */

/*
 * Cut blocks from the head while it spans more than 1.5 block ranges,
 * truncate the head and checkpoint the WAL, compact blocks, apply
 * retention.  With force, cut the whole head into blocks (tools, tests).
 */
int tsdb_compact(struct tsdb *db, bool force);

/* ---- querying ---- */

enum tsdb_match_type { TSDB_MATCH_EQ, TSDB_MATCH_NEQ, TSDB_MATCH_RE, TSDB_MATCH_NRE };

struct vregex;

struct tsdb_matcher {
	enum tsdb_match_type type;
	char *name, *value;
	struct vregex *re;
};

/* Build a matcher (copies name and value; regexes fully anchored). */
int tsdb_matcher_init(struct tsdb_matcher *m, enum tsdb_match_type type, const char *name,
		      const char *value, char *err, size_t errlen);
void tsdb_matcher_free(struct tsdb_matcher *m);
bool tsdb_matcher_matches(const struct tsdb_matcher *m, const char *value);
/*
 * Parse a selector as promtool takes it: {a="b",c=~"d"} or name{...};
 * *ms malloc'd (free each with tsdb_matcher_free, then free(*ms)).
 */
int tsdb_parse_selector(const char *s, struct tsdb_matcher **ms, size_t *n, char *err,
			size_t errlen);

/*
 * Delete the samples in [mint, maxt] of every series matching ms:
 * tombstones in the WAL and blocks, applied at compaction.
 */
int tsdb_delete(struct tsdb *db, const struct tsdb_matcher *ms, size_t n, int64_t mint,
		int64_t maxt);

struct tsdb_querier;

/* A querier over [mint, maxt] (inclusive, milliseconds). */
int tsdb_querier_new(struct tsdb *db, int64_t mint, int64_t maxt, struct tsdb_querier **out);
void tsdb_querier_free(struct tsdb_querier *q);
/* Sorted label names (of series matching ms when n > 0). */
int tsdb_querier_label_names(struct tsdb_querier *q, const struct tsdb_matcher *ms, size_t n,
			     char ***names, size_t *count);
/* Sorted values of name (on series matching ms when n > 0). */
int tsdb_querier_label_values(struct tsdb_querier *q, const char *name,
			      const struct tsdb_matcher *ms, size_t n, char ***vals,
			      size_t *count);
void tsdb_strings_free(char **s, size_t n);

struct tsdb_series_set;

/*
 * The series matching all of ms (at least one matcher that does not match
 * the empty string is not required), sorted by label set, with samples in
 * the querier's range.
 */
int tsdb_querier_select(struct tsdb_querier *q, const struct tsdb_matcher *ms, size_t n,
			struct tsdb_series_set **out);
size_t tsdb_series_set_len(const struct tsdb_series_set *s);
/* Labels of series i (owned by the set). */
const struct tsdb_label *tsdb_series_labels(const struct tsdb_series_set *s, size_t i,
					    size_t *n);
void tsdb_series_set_free(struct tsdb_series_set *s);

/* A sample iterator over series i: head and blocks merged in time order. */
struct tsdb_iter;

int tsdb_series_iter(struct tsdb_series_set *s, size_t i, struct tsdb_iter **out);
/* Advance: 1 with *t, *v set, 0 at the end, negative on a read error. */
int tsdb_iter_next(struct tsdb_iter *it, int64_t *t, double *v);
/* Advance to the first sample at or after t (same returns as next). */
int tsdb_iter_seek(struct tsdb_iter *it, int64_t t, int64_t *ts, double *v);
void tsdb_iter_free(struct tsdb_iter *it);

/* ---- observability ---- */

/* Add prometheus_tsdb_* self metrics to set. */
void tsdb_add_metrics(struct tsdb *db, struct expo_set *set);
/* Oldest and newest sample time over head and blocks (INT64_MAX/MIN when empty). */
void tsdb_time_range(struct tsdb *db, int64_t *mint, int64_t *maxt);

/* ---- tools ---- */

struct tsdb_backfill_options {
	int64_t max_block_ms; /* --max-block-duration, default 2h */
	bool quiet;
};

/*
 * promtool tsdb create-blocks-from openmetrics: read OpenMetrics text from
 * input and write blocks into outdir, one per aligned block range.
 */
int tsdb_backfill_openmetrics(const char *input, const char *outdir,
			      const struct tsdb_backfill_options *o);

#endif
