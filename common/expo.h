/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Prometheus text exposition format, version 0.0.4.
 *
 *   # HELP <family> <help, with \\ and \n escaped>
 *   # TYPE <family> counter|gauge|untyped|histogram|summary
 *   <name>{<label>="<value, with \\ \" \n escaped>",...} <value> [<timestamp ms>]
 *
 * Values are written as Go's strconv.FormatFloat(v, 'g', -1, 64) writes them
 * (what client_golang emits): the shortest decimal that reads back to the
 * same double, exponent form when the decimal exponent is < -4 or >= 6
 * ("1.6042172416e+10", "2e-09", "100000"), and "+Inf", "-Inf", "NaN".
 *
 * An expo_set gathers the families of one scrape and renders them as
 * client_golang's registry does: families sorted by name, the metrics of a
 * family sorted by their label values, label names sorted within a metric,
 * empty families left out.  A set is meant to be reused: expo_set_reset()
 * forgets the samples but keeps families and buffers, so a steady-state
 * scrape allocates nothing.  The set owns every family; one expo_set_free()
 * frees the tree.  A set is not thread-safe; use one per thread.
 */
#ifndef VIGIL_COMMON_EXPO_H
#define VIGIL_COMMON_EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum expo_type {
	EXPO_COUNTER,
	EXPO_GAUGE,
	EXPO_UNTYPED,
	EXPO_HISTOGRAM,
	EXPO_SUMMARY,
};

/* A sample without an explicit timestamp. */
#define EXPO_NO_TS INT64_MIN
/* Most labels a single sample may carry. */
#define EXPO_MAX_LABELS 64

struct expo_label {
	const char *name;
	const char *value;
};

struct expo_set;
struct expo_family;

/* Room expo_format_double() needs, including the NUL. */
#define EXPO_DOUBLE_MAX 32

/*
 * Format v as Go's strconv.FormatFloat(v, fmt, -1, 64): fmt 'g' for the
 * exposition format, 'f' for Prometheus's JSON API, which (as its JSON
 * writer does) uses the exponent form for magnitudes below 1e-6 and from
 * 1e21 on.  Infinities and NaN are "+Inf", "-Inf", "NaN".  Writes at most
 * EXPO_DOUBLE_MAX bytes; returns the length.
 */
size_t expo_format_double(char *out, double v, char fmt);

/* Append v formatted with expo_format_double(.., 'g'). */
void expo_put_double(struct buf *b, double v);
/* Append a label value with \\, \" and \n escaped. */
void expo_put_label_value(struct buf *b, const char *v);
/* Append HELP text with \\ and \n escaped. */
void expo_put_help(struct buf *b, const char *help);
/* The TYPE keyword of t ("counter", ...). */
const char *expo_type_name(enum expo_type t);
/* Parse a TYPE keyword; returns 0 or -EINVAL. */
int expo_parse_type(const char *s, enum expo_type *out);

struct expo_set *expo_set_new(void);
/* Forget all samples; families and buffers are kept for reuse. */
void expo_set_reset(struct expo_set *s);
void expo_set_free(struct expo_set *s);

/*
 * The family called name, created on first use.  help and type are taken
 * the first time; a later call with a different help replaces it.  The
 * returned pointer stays valid until expo_set_free().
 */
struct expo_family *expo_family(struct expo_set *s, const char *name, const char *help,
				enum expo_type type);
/* Look a family up without creating it; NULL if absent. */
struct expo_family *expo_family_find(struct expo_set *s, const char *name);
enum expo_type expo_family_type(const struct expo_family *f);
/* Number of metrics added since the last reset. */
size_t expo_family_count(const struct expo_family *f);

/*
 * Add one sample to f under the family's own name.  labels need not be
 * sorted.  ts_ms is EXPO_NO_TS or a timestamp in milliseconds.
 */
void expo_add(struct expo_family *f, const struct expo_label *labels, size_t n, double v);
void expo_add_ts(struct expo_family *f, const struct expo_label *labels, size_t n, double v,
		 int64_t ts_ms);
/*
 * Add one sample with labels given as NULL-terminated name, value pairs:
 *   expo_addl(f, 12.5, "cpu", "0", "mode", "idle", NULL);
 */
void expo_addl(struct expo_family *f, double v, ...) __attribute__((sentinel));

/*
 * A metric of several lines that sorts as one unit (a histogram's buckets,
 * sum and count; a summary's quantiles): begin, lines, end.  suffix is
 * appended to the family name ("_bucket", "_sum", "" ...).
 */
void expo_metric_begin(struct expo_family *f);
void expo_metric_line(struct expo_family *f, const char *suffix, const struct expo_label *labels,
		      size_t n, double v, int64_t ts_ms);
void expo_metric_end(struct expo_family *f);

/*
 * Add a whole histogram: nb buckets with upper bounds and cumulative counts
 * (the +Inf bucket is added from count), then _sum and _count.
 */
void expo_add_histogram(struct expo_family *f, const struct expo_label *labels, size_t n,
			const double *bounds, const uint64_t *cumulative, size_t nb, double sum,
			uint64_t count);

/* Render every non-empty family of s, sorted, appending to out. */
void expo_set_render(struct expo_set *s, struct buf *out);

#endif
