/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One target's scrape loop state and the append path of a scrape, as
 * Prometheus 2.42's scrapeLoop: parse the exposition body, give each sample
 * the target's labels (honor_labels, exported_ renames), run
 * metric_relabel_configs, enforce sample_limit and label_limit, and stage
 * the samples in a TSDB appender; then stale markers for the series of the
 * previous scrape that are gone, and the synthetic series up,
 * scrape_duration_seconds, scrape_samples_scraped,
 * scrape_samples_post_metric_relabeling and scrape_series_added.
 *
 * The series cache maps the series text of an exposition line (name and
 * labels as written, unsorted) to its final label set, or to "dropped by
 * metric relabeling", so a steady-state scrape neither relabels nor sorts.
 * Entries are kept in the order their lines first came, so in a scrape
 * that repeats the last one's order each line is checked against the entry
 * after the previous line's (no hash); other lines take one hash of the
 * line's bytes and one index probe.  That check is the parser's: each entry
 * keeps the raw text of its line (name and labels as written, up to the
 * value), handed to expo_parser_expect() for the next line, so a line that
 * starts with exactly those bytes is not tokenized at all, as Prometheus's
 * cache is keyed by those bytes; lines written differently (blanks) and
 * summary or histogram lines are compared label by label instead.  Each entry holds a pinned
 * TSDB series handle (tsdb.h), dropped when the entry is evicted or the
 * loop freed, so appending a cached series costs the TSDB no lookup.  Each entry
 * remembers the scrape iteration it was last seen in, which is how series
 * that vanish get their stale marker (series with explicit timestamps are
 * not tracked, as in Prometheus); an entry not seen for two iterations is
 * evicted.
 *
 * A scrape is all-or-nothing: the caller commits the appender only when
 * scrape_loop_append() succeeded, else rolls it back and records the
 * failure with scrape_loop_append_failed() in a fresh batch (stale markers
 * for every series of the last scrape, and up 0).
 *
 * Ownership: a struct scrape_loop owns its cache and label copies; the job
 * it points at must outlive it.  Not thread-safe: one thread at a time.
 */
#ifndef VIGIL_SCRAPE_LOOP_H
#define VIGIL_SCRAPE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/scrape/config.h"
#include "server/scrape/labels.h"

struct tsdb_appender;
struct expo_parser;

/* Prometheus's StaleNaN: a NaN with this exact bit pattern marks a series as gone. */
#define SCRAPE_STALE_NAN_BITS 0x7ff0000000000002ULL

/* A stale marker value. */
double scrape_stale_nan(void);
/* True when v is bit-for-bit a stale marker. */
bool scrape_is_stale_nan(double v);

struct scrape_counts {
	size_t scraped;	     /* sample lines in the body */
	size_t post_relabel; /* samples kept after metric relabeling */
	size_t added;	     /* series new to the cache */
	size_t appended;     /* samples the TSDB accepted */
	size_t out_of_order, duplicate, out_of_bounds;
	bool sample_limit_exceeded;
};

struct scrape_loop;

/*
 * A loop for a target of job with final target labels (those starting with
 * "__" are not put on series).  Allocation aborts on out-of-memory.
 */
struct scrape_loop *scrape_loop_new(const struct scrape_job *job, const struct lset *target);
void scrape_loop_free(struct scrape_loop *l);

/*
 * Stage the samples of one exposition body (modified in place) scraped at
 * ts (ms) into a.  Returns 0, or a negative errno with Prometheus's error
 * text in err (parse error, "sample limit exceeded", label limits...); on
 * failure the caller must roll a back.
 */
int scrape_loop_append(struct scrape_loop *l, struct tsdb_appender *a, char *body, size_t len,
		       int64_t ts, struct scrape_counts *c, char *err, size_t errlen);

/*
 * After a failed scrape (or when the target goes away): stage stale markers
 * at ts for every series the last successful scrape had.
 */
void scrape_loop_append_stale(struct scrape_loop *l, struct tsdb_appender *a, int64_t ts);

/* Stage the five synthetic series of a scrape at ts. */
void scrape_loop_append_report(struct scrape_loop *l, struct tsdb_appender *a, int64_t ts, bool up,
			       double duration_s, const struct scrape_counts *c);
/* Stage stale markers for the synthetic series (the target was removed). */
void scrape_loop_append_report_stale(struct scrape_loop *l, struct tsdb_appender *a, int64_t ts);

/* Series currently in the cache (for tests and self metrics). */
size_t scrape_loop_cache_size(const struct scrape_loop *l);

#endif
