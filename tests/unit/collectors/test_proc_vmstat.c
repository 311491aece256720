// SPDX-License-Identifier: Apache-2.0
/*
 * vmstat collector: field filter, the per-line verdict cache when the
 * kernel's list changes, bad values, huge values, a missing file.  Trees
 * are generated in a temp dir; the procfs root points at it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_vmstat;

HARNESS_SUITE(vmstat, "vmstat", HARNESS_PROCFS);

Test(vmstat, default_fields)
{
	char err[256];
	cr_assert_eq(collector_vmstat.setup(err, sizeof(err)), 0);
	harness_put("vmstat",
		    "nr_free_pages 1234\npgpgin 100\npgpgout 200\npswpin 0\npswpout 0\n"
		    "pgfault 18446744073709551615\npgmajfault 42\noom_kill 3\nthp_fault_alloc 9\n");
	void *st = calloc(1, collector_vmstat.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_vmstat, st, &out), 0);
	cr_assert(strstr(out.data,
			 "# HELP node_vmstat_pgpgin /proc/vmstat information field pgpgin.\n"
			 "# TYPE node_vmstat_pgpgin untyped\nnode_vmstat_pgpgin 100\n"));
	cr_assert(strstr(out.data, "node_vmstat_pgfault 1.8446744073709552e+19\n"));
	cr_assert(strstr(out.data, "node_vmstat_pgmajfault 42\n"));
	cr_assert(strstr(out.data, "node_vmstat_oom_kill 3\n"));
	cr_assert_null(strstr(out.data, "nr_free_pages"));
	cr_assert_null(strstr(out.data, "thp_fault_alloc"));

	/* the kernel's list changes (another kernel, a test): the cache must follow */
	harness_put("vmstat", "oom_kill 4\nnr_free_pages 1\npgmajfault 43\n");
	cr_assert_eq(harness_scrape(&collector_vmstat, st, &out), 0);
	cr_assert(strstr(out.data, "node_vmstat_oom_kill 4\n"));
	cr_assert(strstr(out.data, "node_vmstat_pgmajfault 43\n"));
	cr_assert_null(strstr(out.data, "nr_free_pages"));
	cr_assert_null(strstr(out.data, "pgpgin"));
	collector_vmstat.cleanup(st);
	free(st);
	buf_free(&out);
}

Test(vmstat, custom_fields_and_bad_regex)
{
	char err[256];
	cr_assert_eq(harness_set_flag(&collector_vmstat, "collector.vmstat.fields", "^nr_"), 0);
	cr_assert_eq(collector_vmstat.setup(err, sizeof(err)), 0);
	harness_put("vmstat", "nr_free_pages 1234\npgfault 5\n");
	void *st = calloc(1, collector_vmstat.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_vmstat, st, &out), 0);
	cr_assert(strstr(out.data, "node_vmstat_nr_free_pages 1234\n"));
	cr_assert_null(strstr(out.data, "pgfault"));
	collector_vmstat.cleanup(st);
	free(st);
	buf_free(&out);

	cr_assert_eq(harness_set_flag(&collector_vmstat, "collector.vmstat.fields", "(unclosed"),
		     0);
	cr_assert_lt(collector_vmstat.setup(err, sizeof(err)), 0);
}

Test(vmstat, garbage_fails_like_node_exporter)
{
	char err[256];
	cr_assert_eq(collector_vmstat.setup(err, sizeof(err)), 0);
	void *st = calloc(1, collector_vmstat.state_size);
	struct buf out = BUF_INIT;
	/* a bad value fails even on a field that is not exported */
	harness_put("vmstat", "pgfault 5\nnr_free_pages abc\n");
	cr_assert_eq(harness_scrape(&collector_vmstat, st, &out), -EINVAL);
	/* a truncated line (no value) */
	harness_put("vmstat", "pgfault 5\npgmajfault\n");
	cr_assert_eq(harness_scrape(&collector_vmstat, st, &out), -EINVAL);
	/* blank lines are harmless */
	harness_put("vmstat", "\npgfault 5\n\n");
	cr_assert_eq(harness_scrape(&collector_vmstat, st, &out), 0);
	cr_assert(strstr(out.data, "node_vmstat_pgfault 5\n"));
	collector_vmstat.cleanup(st);
	free(st);
	buf_free(&out);
}

Test(vmstat, missing_file)
{
	char err[256];
	cr_assert_eq(collector_vmstat.setup(err, sizeof(err)), 0);
	void *st = calloc(1, collector_vmstat.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_vmstat, st, &out), -ENOENT);
	collector_vmstat.cleanup(st);
	free(st);
	buf_free(&out);
}
