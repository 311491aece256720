// SPDX-License-Identifier: Apache-2.0
/*
 * The in-process runner behind tests/tsan/criterion/criterion.h: tests
 * registered by constructors run in registration order on the main thread,
 * each as suite init, test init, body, test fini, suite fini.  A fatal
 * assertion or cr_skip_test() jumps back here; an assertion on another
 * thread ends the process.  Arguments starting with '-' (Criterion's, such
 * as --jobs=1) are ignored; other arguments select tests by "suite/name".
 * Exit status 0 when every selected test passed (or was skipped), 1 if not.
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_TESTS 256

struct shim_test {
	const char *suite, *name;
	void (*fn)(void);
	const struct shim_test_opts *opts;
};

struct shim_suite {
	const char *name;
	const struct shim_suite_opts *opts;
};

static struct shim_test tests[MAX_TESTS];
static size_t ntests;
static struct shim_suite suites[MAX_TESTS];
static size_t nsuites;

static pthread_t runner;
static jmp_buf test_jmp;
static bool in_test, failed, skipped;

void shim_register_test(const char *suite, const char *name, void (*fn)(void),
			const struct shim_test_opts *opts)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "criterion shim: more than %d tests\n", MAX_TESTS);
		exit(1);
	}
	tests[ntests++] = (struct shim_test){ suite, name, fn, opts };
}

void shim_register_suite(const char *name, const struct shim_suite_opts *opts)
{
	if (nsuites < MAX_TESTS)
		suites[nsuites++] = (struct shim_suite){ name, opts };
}

/* Leave the running test: back to the runner, or out of the process. */
static void leave_test(void)
{
	if (in_test && pthread_equal(pthread_self(), runner))
		longjmp(test_jmp, 1);
	fflush(NULL);
	exit(1);
}

void shim_check(bool ok, bool fatal, const char *file, int line, const char *expr,
		const char *fmt, ...)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: %s failed: %s", file, line, fatal ? "assertion" : "expectation",
		expr);
	if (fmt[0]) {
		va_list ap;
		va_start(ap, fmt);
		fputs(": ", stderr);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	failed = true;
	if (fatal)
		leave_test();
}

void shim_log(const char *level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "[%s] ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void shim_skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("skipped: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	skipped = true;
	leave_test();
}

static const struct shim_suite_opts *suite_opts(const char *name)
{
	for (size_t i = 0; i < nsuites; i++)
		if (strcmp(suites[i].name, name) == 0)
			return suites[i].opts;
	return NULL;
}

static bool selected(const struct shim_test *t, int argc, char **argv)
{
	bool any = false;
	char full[256];
	snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = true;
		if (strcmp(argv[i], full) == 0)
			return true;
	}
	return !any;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Init, body and fini of t; a fatal assertion in init or body skips to fini. */
static void run_one(const struct shim_test *t, const struct shim_suite_opts *so)
{
	in_test = true;
	if (setjmp(test_jmp) == 0) {
		if (so && so->init)
			so->init();
		if (t->opts->init)
			t->opts->init();
		t->fn();
	}
	in_test = false;
	if (t->opts->fini)
		t->opts->fini();
	if (so && so->fini)
		so->fini();
}

int main(int argc, char **argv)
{
	size_t run = 0, bad = 0;
	runner = pthread_self();
	for (size_t i = 0; i < ntests; i++) {
		const struct shim_test *t = &tests[i];
		const struct shim_suite_opts *so = suite_opts(t->suite);
		if (!selected(t, argc, argv))
			continue;
		if (t->opts->disabled || (so && so->disabled)) {
			fprintf(stderr, "[SKIP] %s::%s (disabled)\n", t->suite, t->name);
			continue;
		}
		fprintf(stderr, "[RUN ] %s::%s\n", t->suite, t->name);
		double start = now_seconds();
		failed = skipped = false;
		run_one(t, so);
		run++;
		if (failed)
			bad++;
		fprintf(stderr, "[%s] %s::%s (%.2fs)\n",
			failed ? "FAIL" : skipped ? "SKIP" : "PASS", t->suite, t->name,
			now_seconds() - start);
	}
	fprintf(stderr, "Synthesis: Tested: %zu | Passing: %zu | Failing: %zu\n", run, run - bad,
		bad);
	return bad || !run ? 1 : 0;
}
