/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests over the shared fixtures: the node_exporter, cAdvisor, Docker
 * and Grafana captures kept beside the clone in ../shared/fixtures (the
 * VIGIL_SHARED_FIXTURES compile definition, from the CMake cache variable of
 * the same name).  CI has that directory; a user's clone usually does not,
 * and there the tests that read it are skipped, not failed:
 *
 *   Test(suite, name, .init = need_shared)   or   shared_fixtures_or_skip();
 *
 * as the first thing a test (or its .init) does.  Criterion runs neither the
 * body nor the .fini of a test skipped in its .init, and no .fini after a
 * skip in the body, so skip before creating anything that needs cleaning.
 * Criterion lists skipped tests only under --verbose; the report hook below
 * prints one line at the end of the run so a plain ctest log shows them.
 * Header-only (static functions) so any test file can include it; include
 * it from one translation unit per test binary (the hook is a global).
 */
#ifndef VIGIL_TESTS_SHARED_FIXTURES_H
#define VIGIL_TESTS_SHARED_FIXTURES_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#define SHARED_FIXTURES_SKIP_WHY "tests on node_exporter/cAdvisor/Docker fixtures skipped"

/* Whether the shared fixture directory is there. */
static inline bool shared_fixtures_present(void)
{
	struct stat st;
	return stat(VIGIL_SHARED_FIXTURES, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Skip the running test (from its body or .init) when the shared fixtures are absent. */
static inline void shared_fixtures_or_skip(void)
{
	if (!shared_fixtures_present())
		cr_skip_test("../shared/fixtures not found at %s: " SHARED_FIXTURES_SKIP_WHY,
			     VIGIL_SHARED_FIXTURES);
}

/* An .init for tests that need the shared fixtures and nothing else set up. */
static inline void need_shared(void)
{
	shared_fixtures_or_skip();
}

/* At the end of the run: say how many tests were skipped and why. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	if (stats->tests_skipped > 0 && !shared_fixtures_present())
		fprintf(stderr,
			"[SKIP] %zu of %zu tests: ../shared/fixtures not found at "
			"%s: " SHARED_FIXTURES_SKIP_WHY "\n",
			stats->tests_skipped, stats->nb_tests, VIGIL_SHARED_FIXTURES);
}

#endif
