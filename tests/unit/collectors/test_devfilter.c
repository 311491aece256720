// SPDX-License-Identifier: Apache-2.0
/* collectors/devfilter: include/exclude semantics, conflicts, error texts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "collectors/devfilter.h"

static const struct devfilter_opts plain = {
	.include_flag = "collector.x.device-include",
	.exclude_flag = "collector.x.device-exclude",
};

Test(devfilter, include_exclude_and_none)
{
	struct devfilter f = {0};
	char err[256];
	cr_assert_eq(devfilter_setup(&f, NULL, "", &plain, err, sizeof(err)), 0);
	cr_assert_not(devfilter_ignored(&f, "eth0"));
	cr_assert_eq(devfilter_setup(&f, "^eth", NULL, &plain, err, sizeof(err)), 0);
	cr_assert_not(devfilter_ignored(&f, "eth0"));
	cr_assert(devfilter_ignored(&f, "lo"));
	/* unanchored, as Go's MatchString */
	cr_assert_eq(devfilter_setup(&f, NULL, "th", &plain, err, sizeof(err)), 0);
	cr_assert(devfilter_ignored(&f, "eth0"));
	cr_assert_not(devfilter_ignored(&f, "lo"));
	/* both, without a conflict message: exclude wins, then include */
	cr_assert_eq(devfilter_setup(&f, "^e", "1$", &plain, err, sizeof(err)), 0);
	cr_assert_not(devfilter_ignored(&f, "eth0"));
	cr_assert(devfilter_ignored(&f, "eth1"));
	cr_assert(devfilter_ignored(&f, "lo"));
	devfilter_free(&f);
}

Test(devfilter, errors)
{
	struct devfilter f = {0};
	char err[256];
	const struct devfilter_opts strict = {
		.include_flag = "collector.x.chip-include",
		.exclude_flag = "collector.x.chip-exclude",
		.conflict = "mutually exclusive",
		.prefix_errors = true,
	};
	cr_assert_eq(devfilter_setup(&f, "a", "b", &strict, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "mutually exclusive");
	cr_assert_eq(devfilter_setup(&f, "(", NULL, &strict, err, sizeof(err)), -EINVAL);
	cr_assert_eq(strncmp(err, "--collector.x.chip-include: ", 28), 0, "%s", err);
	cr_assert_null(f.include);
	cr_assert_eq(devfilter_setup(&f, NULL, "(", &plain, err, sizeof(err)), -EINVAL);
	cr_assert_eq(strncmp(err, "error parsing regexp", 20), 0, "%s", err);
	devfilter_free(&f);
}
