// SPDX-License-Identifier: Apache-2.0
/*
 * common/strutil: duration_format() prints what Prometheus's
 * model.Duration.String() prints (used by the PromQL printer, the scrape
 * targets API and the server's flags page), and str_concat() concatenates
 * and truncates.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/strutil.h"

Test(strutil, duration_format)
{
	static const struct {
		int64_t ms;
		const char *s;
	} cases[] = {{0, "0s"},
		     {15000, "15s"},
		     {90000, "1m30s"},
		     {3600000, "1h"},
		     {86400000, "1d"},
		     {8 * 86400000LL, "8d"},
		     {14 * 86400000LL, "2w"},
		     {90 * 86400000LL, "90d"},
		     {365 * 86400000LL, "1y"},
		     {1500, "1s500ms"},
		     {3723004, "1h2m3s4ms"},
		     {-5, ""}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[32];
		size_t n = duration_format(cases[i].ms, out, sizeof(out));
		cr_assert_str_eq(out, cases[i].s, "%lld ms", (long long)cases[i].ms);
		cr_assert_eq(n, strlen(cases[i].s));
	}
	char small[4];
	size_t n = duration_format(3723004, small, sizeof(small));
	cr_assert_str_eq(small, "1h2", "truncated, terminated");
	cr_assert_eq(n, 3);
}

Test(strutil, str_concat)
{
	char out[8];
	cr_assert_eq(str_concat(out, sizeof(out), "ab", "cd", NULL), 4);
	cr_assert_str_eq(out, "abcd");
	cr_assert_eq(str_concat(out, sizeof(out), "abcd", "efgh", "ij", NULL), 7);
	cr_assert_str_eq(out, "abcdefg");
	cr_assert_eq(str_concat(out, sizeof(out), NULL), 0);
	cr_assert_str_eq(out, "");
}
