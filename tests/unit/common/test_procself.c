// SPDX-License-Identifier: Apache-2.0
/*
 * The agent's own process_* metrics (common/procself.h): the limits come
 * from getrlimit(2) and must read as /proc/self/limits prints them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/buf.h"
#include "common/expo.h"
#include "common/procself.h"

/* The value of the sample line starting with name (and a space) in text. */
static double sample(const char *text, const char *name)
{
	char key[128];
	snprintf(key, sizeof(key), "\n%s ", name);
	const char *p = strstr(text, key);
	cr_assert_not_null(p, "%s missing in:\n%s", name, text);
	double v = 0;
	cr_assert_eq(sscanf(p + strlen(key), "%lf", &v), 1);
	return v;
}

/* The soft value /proc/self/limits prints for the limit called name. */
static double proc_limit(const char *name)
{
	FILE *f = fopen("/proc/self/limits", "r");
	cr_assert_not_null(f);
	char line[256], soft[64] = "";
	double v = -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, strlen(name)) != 0)
			continue;
		cr_assert_eq(sscanf(line + strlen(name), "%63s", soft), 1);
		v = strcmp(soft, "unlimited") == 0 ? 18446744073709551615.0 : strtod(soft, NULL);
	}
	fclose(f);
	return v;
}

Test(procself, limits_as_proc_self_limits_prints_them)
{
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_cur > 777 ? 777 : rl.rlim_cur; /* a value of our own */
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	struct rlimit as = {.rlim_cur = (rlim_t)3 << 40, .rlim_max = RLIM_INFINITY};
	if (setrlimit(RLIMIT_AS, &as) != 0)
		cr_assert_eq(getrlimit(RLIMIT_AS, &as), 0);

	struct expo_set *s = expo_set_new();
	struct buf out = BUF_INIT;
	buf_putc(&out, '\n');
	cr_assert_eq(procself_collect(s), 0);
	expo_set_render(s, &out);
	cr_assert_eq(sample(out.data, "process_max_fds"), (double)rl.rlim_cur);
	cr_assert_eq(sample(out.data, "process_max_fds"), proc_limit("Max open files"));
	cr_assert_eq(sample(out.data, "process_virtual_memory_max_bytes"),
		     proc_limit("Max address space"));
	cr_assert_gt(sample(out.data, "process_resident_memory_bytes"), 0);
	cr_assert_gt(sample(out.data, "process_open_fds"), 2);
	buf_free(&out);
	expo_set_free(s);
}
