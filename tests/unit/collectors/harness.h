/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test harness of the collectors' unit tests (compiled into every
 * tests/unit/collectors/test_*.c): a temporary host tree that the
 * host_roots point at, writers of files into it, and one scrape of a
 * collector rendered to exposition text.
 *
 * A suite makes the tree in its .init (harness_tree_new) and removes it in
 * its .fini (harness_tree_free).  Paths given to the writers are relative
 * to the tree.  Failures of the harness itself fail the test (cr_assert).
 */
#ifndef VIGIL_TESTS_COLLECTORS_HARNESS_H
#define VIGIL_TESTS_COLLECTORS_HARNESS_H

#include <criterion/criterion.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "collectors/collector.h"
#include "common/buf.h"

/* Which host roots harness_tree_new points at the tree. */
#define HARNESS_PROCFS 0x1u
#define HARNESS_SYSFS  0x2u
#define HARNESS_ROOTFS 0x4u
#define HARNESS_UDEV   0x8u

/* The tree's directory, "" when none. */
extern char harness_root[256];

/* Make /tmp/vigil-<tag>-XXXXXX and point the roots in mask at it. */
void harness_tree_new(const char *tag, unsigned roots);
/* Remove the tree (rm -rf). */
void harness_tree_free(void);
/* out (PATH_MAX bytes) = <tree>/<rel>; returns out. */
char *harness_path(char *out, const char *rel);
/* mkdir -p <tree>/<rel>. */
void harness_mkdirs(const char *rel);
/* Write content to <tree>/<rel>, creating the parent directories. */
void harness_put(const char *rel, const char *content);
/* Remove the file <tree>/<rel>, if there. */
void harness_rm(const char *rel);
/* Symlink <tree>/<rel> -> target (target as given, not moved into the tree). */
void harness_link(const char *target, const char *rel);

/* Set one of c's flags from text; flags_set's code (the error is logged). */
int harness_set_flag(const struct collector *c, const char *name, const char *value);
/* Run c's setup (0 when it has none). */
int harness_setup(const struct collector *c);
/* Set a flag, which must parse, and run c's setup again; setup's code. */
int harness_flag_setup(const struct collector *c, const char *name, const char *value);
/* Set a flag and run c's setup again: both must succeed. */
void harness_flag_ok(const struct collector *c, const char *name, const char *value);

/*
 * One scrape of c rendered into out (replacing its content; out->data is
 * never NULL after).  st NULL: on a fresh zeroed state, with init, collect
 * and cleanup; else only collect on the long-lived state st.  Returns the
 * code of init (when it fails) or collect.
 */
int harness_scrape(const struct collector *c, void *st, struct buf *out);
/* Same, returning the text (free it) and the code in *rc. */
char *harness_scrape_text(const struct collector *c, void *st, int *rc);
/*
 * Write each of the n contents to rel in turn and scrape c on a fresh
 * state: every scrape must return rc and render nothing at all.
 */
void harness_assert_rejects(const struct collector *c, const char *rel, const char *const *contents,
			    size_t n, int rc);
/*
 * One scrape of c on a fresh state: it must return rc and render exactly
 * want ("": nothing at all).
 */
void harness_assert_scrape(const struct collector *c, int rc, const char *want);

/* Whether text holds line as a whole line. */
bool harness_has_line(const char *text, const char *line);
/*
 * Every line of the expected file (an upstream e2e-output.txt) that starts
 * with prefix is a whole line of out, and out has no other such line except
 * those holding except (NULL: none), the series we add on purpose.
 */
void harness_assert_same_series(const char *file, const char *prefix, const struct buf *out,
				const char *except);
/*
 * One scrape of c on a fresh state into out, which must succeed, checked
 * against an upstream expected file with harness_assert_same_series().
 */
void harness_assert_fixture_series(const struct collector *c, const char *file, const char *prefix,
				   const char *except, struct buf *out);

/*
 * A Criterion suite whose tests each run on a fresh tree
 * (harness_tree_new(tag, roots) before, harness_tree_free() after); extra
 * TestSuite options may follow.
 */
#define HARNESS_SUITE(suite, tag, roots, ...)                                                      \
	HARNESS_SUITE_BEFORE(suite, (void)0, tag, roots, ##__VA_ARGS__)
/*
 * The same for tests over the shared fixtures: each is skipped, before any
 * tree is made, when they are absent (the test file includes
 * ../shared_fixtures.h).
 */
#define HARNESS_FIXTURE_SUITE(suite, tag, roots, ...)                                              \
	HARNESS_SUITE_BEFORE(suite, shared_fixtures_or_skip(), tag, roots, ##__VA_ARGS__)
/* Both: before (a statement) runs ahead of harness_tree_new(). */
#define HARNESS_SUITE_BEFORE(suite, before, tag, roots, ...)                                       \
	static void suite##_tree_new(void)                                                         \
	{                                                                                          \
		before;                                                                            \
		harness_tree_new(tag, roots);                                                      \
	}                                                                                          \
	TestSuite(suite, .init = suite##_tree_new, .fini = harness_tree_free, ##__VA_ARGS__)

/* Whole line in the rendered buf *out. */
#define assert_has(out, line)                                                                      \
	cr_assert(harness_has_line((out)->data, line), "missing %s in:\n%s", line, (out)->data)
/* No s anywhere in the rendered buf *out. */
#define assert_lacks(out, s)                                                                       \
	cr_assert_null(strstr((out)->data, s), "unexpected %s in:\n%s", s, (out)->data)
/* s somewhere in text / nowhere in text (NULL text reads as ""). */
#define assert_substr(text, s)                                                                     \
	cr_assert(strstr((text) ? (text) : "", s), "missing %s in:\n%s", s, (text) ? (text) : "")
#define assert_no_substr(text, s)                                                                  \
	cr_assert(!strstr((text) ? (text) : "", s), "unexpected %s in:\n%s", s,                    \
		  (text) ? (text) : "")

#endif
