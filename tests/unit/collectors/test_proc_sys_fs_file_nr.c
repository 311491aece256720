// SPDX-License-Identifier: Apache-2.0
/*
 * filefd collector over generated /proc/sys/fs/file-nr files: the two
 * families, extra fields, huge values, malformed content, a missing file.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_filefd;

HARNESS_SUITE(filefd, "cpu", HARNESS_PROCFS | HARNESS_SYSFS);

Test(filefd, happy)
{
	struct buf out = BUF_INIT;
	harness_put("sys/fs/file-nr", "1024\t0\t1631329\n");
	cr_assert_eq(harness_scrape(&collector_filefd, NULL, &out), 0);
	cr_assert_str_eq(out.data,
			 "# HELP node_filefd_allocated File descriptor statistics: allocated.\n"
			 "# TYPE node_filefd_allocated gauge\n"
			 "node_filefd_allocated 1024\n"
			 "# HELP node_filefd_maximum File descriptor statistics: maximum.\n"
			 "# TYPE node_filefd_maximum gauge\n"
			 "node_filefd_maximum 1.631329e+06\n");
	/* a fourth field is ignored, huge values are floats */
	harness_put("sys/fs/file-nr", "  7\t0\t9223372036854775807\textra\n");
	cr_assert_eq(harness_scrape(&collector_filefd, NULL, &out), 0);
	assert_has(&out, "node_filefd_allocated 7");
	assert_has(&out, "node_filefd_maximum 9.223372036854776e+18");
	buf_free(&out);
}

Test(filefd, garbage)
{
	static const char *const bad[] = {
		"",	     "1024\t0\n", "1024 0 1631329\n", /* spaces are not separators */
		"x\t0\t1\n", "1\t0\t\n",  "1\t0\t12abc\n",
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("sys/fs/file-nr", bad[i]);
		cr_assert_eq(harness_scrape(&collector_filefd, NULL, &out), -EINVAL,
			     "accepted '%s'", bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}

Test(filefd, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_filefd, NULL, &out), -ENOENT);
	buf_free(&out);
}
