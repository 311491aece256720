// SPDX-License-Identifier: Apache-2.0
/*
 * stat collector over generated /proc/stat files: the six scalars, the
 * softirq flag, a missing file, bad values on any known line (which fail
 * the whole file, as in node_exporter), truncated lines and huge values.
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

extern const struct collector collector_stat;

#define STAT_HAPPY                                                                                 \
	"cpu  100 0 50 1000 0 0 0 0 0 0\n"                                                         \
	"cpu0 100 0 50 1000 0 0 0 0 0 0\n"                                                         \
	"intr 8885917 17 0 0 1\n"                                                                  \
	"ctxt 38014093\n"                                                                          \
	"btime 1418183276\n"                                                                       \
	"processes 26442\n"                                                                        \
	"procs_running 2\n"                                                                        \
	"procs_blocked 1\n"                                                                        \
	"softirq 5057579 250191 1481983 1647 211099 186066 0 1783454 622196 12499 508444\n"

HARNESS_SUITE(proc_stat, "cpu", HARNESS_PROCFS | HARNESS_SYSFS);

Test(proc_stat, happy)
{
	struct buf out = BUF_INIT;
	harness_put("stat", STAT_HAPPY);
	cr_assert_eq(harness_set_flag(&collector_stat, "collector.stat.softirq", "false"), 0);
	cr_assert_eq(harness_scrape(&collector_stat, NULL, &out), 0);
	assert_has(&out, "# HELP node_boot_time_seconds Node boot time, in unixtime.");
	assert_has(&out, "# TYPE node_boot_time_seconds gauge");
	assert_has(&out, "node_boot_time_seconds 1.418183276e+09");
	assert_has(&out, "# TYPE node_context_switches_total counter");
	assert_has(&out, "node_context_switches_total 3.8014093e+07");
	assert_has(&out, "node_forks_total 26442");
	assert_has(&out, "node_intr_total 8.885917e+06");
	assert_has(&out, "node_procs_running 2");
	assert_has(&out, "node_procs_blocked 1");
	assert_lacks(&out, "node_softirqs_total");
	assert_lacks(&out, "node_cpu");
	buf_free(&out);
}

Test(proc_stat, softirq_flag)
{
	struct buf out = BUF_INIT;
	harness_put("stat", STAT_HAPPY);
	cr_assert_eq(harness_set_flag(&collector_stat, "collector.stat.softirq", "true"), 0);
	cr_assert_eq(harness_scrape(&collector_stat, NULL, &out), 0);
	assert_has(&out, "# TYPE node_softirqs_total counter");
	assert_has(&out, "node_softirqs_total{vector=\"hi\"} 250191");
	assert_has(&out, "node_softirqs_total{vector=\"block_iopoll\"} 0");
	assert_has(&out, "node_softirqs_total{vector=\"rcu\"} 508444");
	cr_assert_eq(harness_set_flag(&collector_stat, "collector.stat.softirq", "false"), 0);
	buf_free(&out);
}

Test(proc_stat, missing_file)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_stat, NULL, &out), -ENOENT);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}

/* A bad value on any known line fails the whole file, as procfs does. */
Test(proc_stat, garbage_values)
{
	static const char *const bad[] = {
		"btime 14x\n",	      "ctxt -1\n",
		"intr 10 1 2 x 4\n",  "processes 18446744073709551616\n", /* 2^64 */
		"softirq 1 2 3\n",					  /* too short */
		"cpu0 1 2 three 4\n", "cpuX 1 2 3\n",
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), "%s%s", STAT_HAPPY, bad[i]);
		harness_put("stat", text);
		cr_assert_eq(harness_scrape(&collector_stat, NULL, &out), -EINVAL, "accepted %s",
			     bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}

/* Lines with a key only, unknown keys and blank lines are skipped; huge values stay exact enough.
 */
Test(proc_stat, truncated_and_huge)
{
	struct buf out = BUF_INIT;
	harness_put("stat", "btime\n\nweird 1 2\nctxt 18446744073709551615\nprocesses 7\ncpu\n");
	cr_assert_eq(harness_scrape(&collector_stat, NULL, &out), 0);
	assert_has(&out, "node_boot_time_seconds 0");
	assert_has(&out, "node_context_switches_total 1.8446744073709552e+19");
	assert_has(&out, "node_forks_total 7");
	buf_free(&out);
}

/* Keys out of the usual order are still found. */
Test(proc_stat, reordered)
{
	struct buf out = BUF_INIT;
	harness_put("stat", "procs_blocked 3\nbtime 5\nctxt 6\nprocs_running 4\nprocesses 9\n");
	cr_assert_eq(harness_scrape(&collector_stat, NULL, &out), 0);
	assert_has(&out, "node_procs_blocked 3");
	assert_has(&out, "node_boot_time_seconds 5");
	assert_has(&out, "node_context_switches_total 6");
	assert_has(&out, "node_procs_running 4");
	assert_has(&out, "node_forks_total 9");
	buf_free(&out);
}
