/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Label sets and interned strings.
 *
 * A label set is an array of (name, value) pairs sorted by name, with no
 * duplicate names, as Prometheus's labels.Labels.  Series in the head keep
 * their label strings in a struct strpool, so each distinct string is
 * stored once however many series carry it; the pool counts references
 * and frees a string when its last series goes away.  A pool is
 * thread-safe (one mutex; interning happens only when a series is
 * created, never per sample).
 */
#ifndef VIGIL_TSDB_LABELS_H
#define VIGIL_TSDB_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tbuf;

struct tsdb_label {
	const char *name;
	const char *value;
};

/* Most labels one series may have. */
#define TSDB_MAX_LABELS 128

/* Sort by name in place (insertion sort; label sets are small). */
void labels_sort(struct tsdb_label *ls, size_t n);
/* Compare two sorted label sets as Prometheus's labels.Compare does. */
int labels_cmp(const struct tsdb_label *a, size_t na, const struct tsdb_label *b, size_t nb);
bool labels_equal(const struct tsdb_label *a, size_t na, const struct tsdb_label *b, size_t nb);
/* A 64-bit hash of a sorted label set (FNV-1a over name\xffvalue\xff...). */
uint64_t labels_hash(const struct tsdb_label *ls, size_t n);
/* The value of name, or NULL. */
const char *labels_get(const struct tsdb_label *ls, size_t n, const char *name);
/*
 * Append ls as Prometheus's Labels.String() prints it:
 * {__name__="up", job="x"} with values quoted as Go's strconv.Quote.
 */
void labels_format(struct tbuf *out, const struct tsdb_label *ls, size_t n);
/* Append s quoted as Go's strconv.Quote (valid UTF-8 passes through). */
void labels_quote(struct tbuf *out, const char *s);

/*
 * Parse a series in text form, name{l="v",...} or {l="v",...}, in place:
 * s is modified (values unescaped, NULs written) and ls points into it.
 * Returns the number of labels (sorted), or -EINVAL; *rest is set after
 * the closing brace (or the name when there are no braces).
 */
int labels_parse(char *s, struct tsdb_label *ls, size_t max, char **rest);

/* A reference-counted string intern pool. */
struct strpool;

struct strpool *strpool_new(void);
/* Free the pool and every string in it. */
void strpool_free(struct strpool *p);
/* The pooled copy of s[0..n), its count raised; NULL on -ENOMEM. */
const char *strpool_intern(struct strpool *p, const char *s, size_t n);
/* Drop one reference to a pooled string. */
void strpool_release(struct strpool *p, const char *s);
/* Distinct strings and their bytes, for the self metrics. */
void strpool_stats(struct strpool *p, size_t *count, size_t *bytes);

#endif
