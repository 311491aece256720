// SPDX-License-Identifier: Apache-2.0
/*
 * schedstat collector over generated /proc/schedstat files: the three
 * families, lines that do not match (short, double spaces, overflow),
 * unanchored matches, a missing and an empty file.
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

extern const struct collector collector_schedstat;

HARNESS_SUITE(schedstat, "cpu", HARNESS_PROCFS | HARNESS_SYSFS);

Test(schedstat, happy)
{
	struct buf out = BUF_INIT;
	harness_put("schedstat", "version 15\ntimestamp 15819019232\n"
				 "cpu0 498494191 0 3533438552 2553969831 3853684107 2465731542 "
				 "2045936778163039 343796328169361 4767485306\n"
				 "domain0 00000000,00000003 212499247 210112015 1861015\n"
				 "cpu1 1 0 0 0 0 0 2000000000 500 7 99\n");
	cr_assert_eq(harness_scrape(&collector_schedstat, NULL, &out), 0);
	assert_has(&out, "# HELP node_schedstat_running_seconds_total Number of seconds CPU spent "
			 "running a process.");
	assert_has(&out, "# TYPE node_schedstat_running_seconds_total counter");
	assert_has(&out, "node_schedstat_running_seconds_total{cpu=\"0\"} 2.045936778163039e+06");
	assert_has(&out, "node_schedstat_waiting_seconds_total{cpu=\"0\"} 343796.328169361");
	assert_has(&out, "node_schedstat_timeslices_total{cpu=\"0\"} 4.767485306e+09");
	assert_has(&out, "node_schedstat_running_seconds_total{cpu=\"1\"} 2");
	assert_has(&out, "node_schedstat_waiting_seconds_total{cpu=\"1\"} 5e-07");
	assert_has(&out, "node_schedstat_timeslices_total{cpu=\"1\"} 7");
	buf_free(&out);
}

/* Short, oddly spaced or overflowing lines are skipped, not fatal. */
Test(schedstat, odd_lines)
{
	struct buf out = BUF_INIT;
	harness_put("schedstat", "cpu0 1 2 3\n"
				 "cpu1  1 2 3 4 5 6 7 8 9\n"
				 "cpu2 1 2 3 4 5 6 18446744073709551616 8 9\n"
				 "cpux 1 2 3 4 5 6 7 8 9\n"
				 "xcpu3 1 2 3 4 5 6 7 8 9\n"
				 "cpu\n\n");
	cr_assert_eq(harness_scrape(&collector_schedstat, NULL, &out), 0);
	assert_lacks(&out, "cpu=\"0\"");
	assert_lacks(&out, "cpu=\"1\"");
	assert_lacks(&out, "cpu=\"2\"");
	/* the match may start anywhere in the line, as an unanchored regexp */
	assert_has(&out, "node_schedstat_timeslices_total{cpu=\"3\"} 9");
	buf_free(&out);
}

Test(schedstat, missing_and_empty)
{
	struct buf out = BUF_INIT;
	/* a missing file is node_exporter's ErrNoData */
	cr_assert_eq(harness_scrape(&collector_schedstat, NULL, &out), -ENODATA);
	harness_put("schedstat", "");
	cr_assert_eq(harness_scrape(&collector_schedstat, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}
