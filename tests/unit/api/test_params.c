// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>

#include "server/api/params.h"

Test(params, times)
{
	int64_t ms;
	char err[128];
	cr_assert_eq(api_parse_time("1435781451.781", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 1435781451781LL);
	cr_assert_eq(api_parse_time("1435781451", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 1435781451000LL);
	cr_assert_eq(api_parse_time("2015-07-01T20:10:51.781Z", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 1435781451781LL);
	cr_assert_eq(api_parse_time("2015-07-01T22:10:51+02:00", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 1435781451000LL);
	cr_assert_eq(api_parse_time("1970-01-01T00:00:00.5Z", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 500);
	cr_assert_eq(api_parse_time("-1.5", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, -1500);
	cr_assert_eq(api_parse_time("-292273086-05-16T16:47:06Z", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, API_MIN_TIME_MS);
	cr_assert_eq(api_parse_time("292277025-08-18T07:12:54.999999999Z", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, API_MAX_TIME_MS);
	cr_assert_eq(api_parse_time("yesterday", &ms, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "cannot parse \"yesterday\" to a valid timestamp");
	cr_assert_eq(api_parse_time("2015-02-29T00:00:00Z", &ms, err, sizeof(err)), -EINVAL);
	cr_assert_eq(api_parse_time("", &ms, err, sizeof(err)), -EINVAL);
}

Test(params, durations)
{
	int64_t ms;
	char err[128];
	cr_assert_eq(api_parse_duration("15", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 15000);
	cr_assert_eq(api_parse_duration("0.5", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 500);
	cr_assert_eq(api_parse_duration("1m30s", &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 90000);
	cr_assert_eq(api_parse_duration("1e30", &ms, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "cannot parse \"1e30\" to a valid duration. It overflows int64");
	cr_assert_eq(api_parse_duration("abc", &ms, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "cannot parse \"abc\" to a valid duration");
}
