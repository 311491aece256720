/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stand-in for <criterion/criterion.h> in ThreadSanitizer builds.
 *
 * Criterion's runner cannot start under TSan: it maps its inheritable arena
 * at random fixed addresses in the range TSan reserves for its shadow memory
 * and gives up ("Could not initialize inheritable arena", Snaipe/Criterion
 * issue 274).  tests/cmake/tsan.cmake therefore compiles chosen unit test
 * sources, unchanged, with this directory first on the include path: the
 * same Test()/TestSuite() and cr_assert_*() spellings, registered by
 * constructors and run in order inside one process by
 * tests/tsan/criterion_shim.c (no fork, so TSan sees every thread).
 *
 * A failed cr_assert*() prints where and why and ends the process with
 * status 1; cr_expect*() prints and marks the test failed.  Only the subset
 * of the API our tests use is here: anything else fails to compile.
 */
#ifndef VIGIL_TSAN_CRITERION_SHIM_H
#define VIGIL_TSAN_CRITERION_SHIM_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct shim_suite_opts {
	int reserved; /* keeps the initialiser non-empty */
	void (*init)(void);
	void (*fini)(void);
	double timeout;
	bool disabled;
	const char *description;
};

struct shim_test_opts {
	int reserved;
	void (*init)(void);
	void (*fini)(void);
	double timeout;
	bool disabled;
	const char *description;
	int exit_code;
	int signal;
};

/* Register a test or a suite's options (from constructors, see below). */
void shim_register_test(const char *suite, const char *name, void (*fn)(void),
			const struct shim_test_opts *opts);
void shim_register_suite(const char *name, const struct shim_suite_opts *opts);
/*
 * The check behind every assertion: when ok is false, print file:line, the
 * expression and the optional printf-style message fmt; fatal ends the
 * process, otherwise the current test is marked failed.
 */
void shim_check(bool ok, bool fatal, const char *file, int line, const char *expr,
		const char *fmt, ...);
/* cr_log_*() and cr_skip_test(). */
void shim_log(const char *level, const char *fmt, ...);
void shim_skip(const char *fmt, ...);

#define Test(suite, name, ...)                                                          \
	static void shim_fn_##suite##_##name(void);                                    \
	static const struct shim_test_opts shim_opts_##suite##_##name = { .reserved = 0, \
									  __VA_ARGS__ };  \
	__attribute__((constructor)) static void shim_reg_##suite##_##name(void)       \
	{                                                                               \
		shim_register_test(#suite, #name, shim_fn_##suite##_##name,             \
				   &shim_opts_##suite##_##name);                        \
	}                                                                               \
	static void shim_fn_##suite##_##name(void)

#define TestSuite(name, ...)                                                            \
	static const struct shim_suite_opts shim_suite_##name = { .reserved = 0,        \
								  __VA_ARGS__ };         \
	__attribute__((constructor)) static void shim_sreg_##name(void)                 \
	{                                                                               \
		shim_register_suite(#name, &shim_suite_##name);                         \
	}

/* The message, when given, is a string literal format and its arguments. */
#define SHIM_CHECK(fatal, ok, expr, ...) \
	shim_check((ok), (fatal), __FILE__, __LINE__, (expr), "" __VA_ARGS__)

#define cr_assert(c, ...) SHIM_CHECK(true, !!(c), #c, __VA_ARGS__)
#define cr_assert_not(c, ...) SHIM_CHECK(true, !(c), "!(" #c ")", __VA_ARGS__)
#define cr_assert_fail(...) SHIM_CHECK(true, false, "cr_assert_fail", __VA_ARGS__)
#define cr_assert_eq(a, b, ...) SHIM_CHECK(true, (a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) SHIM_CHECK(true, (a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) SHIM_CHECK(true, (a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) SHIM_CHECK(true, (a) <= (b), #a " <= " #b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) SHIM_CHECK(true, (a) > (b), #a " > " #b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) SHIM_CHECK(true, (a) >= (b), #a " >= " #b, __VA_ARGS__)
#define cr_assert_null(p, ...) SHIM_CHECK(true, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) SHIM_CHECK(true, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) \
	SHIM_CHECK(true, strcmp((a), (b)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) \
	SHIM_CHECK(true, strcmp((a), (b)) != 0, #a " differs from " #b, __VA_ARGS__)
#define cr_assert_str_empty(s, ...) SHIM_CHECK(true, (s)[0] == '\0', #s " is empty", __VA_ARGS__)
#define cr_assert_str_not_empty(s, ...) \
	SHIM_CHECK(true, (s)[0] != '\0', #s " is not empty", __VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...) \
	SHIM_CHECK(true, fabs((double)(a) - (double)(b)) <= (eps), #a " ~= " #b, __VA_ARGS__)

#define cr_expect(c, ...) SHIM_CHECK(false, !!(c), #c, __VA_ARGS__)
#define cr_expect_not(c, ...) SHIM_CHECK(false, !(c), "!(" #c ")", __VA_ARGS__)
#define cr_expect_eq(a, b, ...) SHIM_CHECK(false, (a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) SHIM_CHECK(false, (a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) SHIM_CHECK(false, (a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_expect_null(p, ...) SHIM_CHECK(false, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) \
	SHIM_CHECK(false, strcmp((a), (b)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_expect_float_eq(a, b, eps, ...) \
	SHIM_CHECK(false, fabs((double)(a) - (double)(b)) <= (eps), #a " ~= " #b, __VA_ARGS__)

#define cr_log_info(...) shim_log("info", __VA_ARGS__)
#define cr_log_warn(...) shim_log("warn", __VA_ARGS__)
#define cr_log_error(...) shim_log("error", __VA_ARGS__)
#define cr_skip_test(...) shim_skip("" __VA_ARGS__)

#endif
