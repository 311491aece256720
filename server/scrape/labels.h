/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A label set as relabeling and target discovery see it: an array of
 * name/value pairs kept sorted by name, names unique, both strings owned by
 * the set.  Setting a label to the empty value removes it, as Prometheus's
 * labels.Builder does.  Small on purpose, so the TSDB's own label type can
 * absorb it later.  Allocation aborts on out-of-memory (x*alloc).
 */
#ifndef VIGIL_SCRAPE_LABELS_H
#define VIGIL_SCRAPE_LABELS_H

#include <stdbool.h>
#include <stddef.h>

struct lset_label {
	char *name;
	char *value;
};

struct lset {
	struct lset_label *v;
	size_t n, cap;
};

/* clang-format off */
#define LSET_INIT { NULL, 0, 0 }
/* clang-format on */

/* Free every pair and the array; the set is left empty and reusable. */
void lset_free(struct lset *ls);
/* Remove every pair, keep the allocation. */
void lset_clear(struct lset *ls);
/* Value of name, or NULL when absent. */
const char *lset_get(const struct lset *ls, const char *name);
/* Value of name, or "" when absent (Prometheus's Labels.Get). */
const char *lset_get_or_empty(const struct lset *ls, const char *name);
/* Set name to value (copied); an empty value deletes the label. */
void lset_set(struct lset *ls, const char *name, const char *value);
/* Same as lset_set() with a value of explicit length. */
void lset_setn(struct lset *ls, const char *name, const char *value, size_t value_len);
/* Delete name if present. */
void lset_del(struct lset *ls, const char *name);
/* Replace dst's content with a deep copy of src. */
void lset_copy(struct lset *dst, const struct lset *src);
/* True when both sets hold the same pairs. */
bool lset_equal(const struct lset *a, const struct lset *b);
/* Append "{a=\"1\", b=\"2\"}" (Prometheus's Labels.String) to a NUL-terminated string buffer. */
struct buf;
void lset_format(const struct lset *ls, struct buf *out);

/* True for a valid Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*. */
bool label_name_valid(const char *s);
/* True for valid UTF-8 (a valid label value). */
bool label_value_valid(const char *s);

#endif
