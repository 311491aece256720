// SPDX-License-Identifier: Apache-2.0
/*
 * pressure collector: all resources, partial support (no irq, as before
 * Linux 6.1), PSI absent (no data, no crash), a resource file without its
 * full line, malformed lines, huge totals.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_pressure;

HARNESS_SUITE(pressure, "psi", HARNESS_PROCFS);

#define LINE(kind, total) kind " avg10=0.18 avg60=0.34 avg300=0.10 total=" total "\n"

Test(pressure, all_resources)
{
	harness_put("pressure/cpu", LINE("some", "14036781") LINE("full", "0"));
	harness_put("pressure/io", LINE("some", "159886802") LINE("full", "159229614"));
	harness_put("pressure/memory", LINE("some", "0") LINE("full", "18446744073709551615"));
	harness_put("pressure/irq", "full avg10=0.00 avg60=0.00 avg300=0.00 total=8494");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_pressure, NULL, &out), 0);
	cr_assert(
		strstr(out.data,
		       "# HELP node_pressure_cpu_waiting_seconds_total Total time in seconds that "
		       "processes have waited for CPU time\n"
		       "# TYPE node_pressure_cpu_waiting_seconds_total counter\n"
		       "node_pressure_cpu_waiting_seconds_total 14.036781000000001\n"));
	cr_assert(strstr(out.data, "node_pressure_io_waiting_seconds_total 159.886802\n"));
	cr_assert(strstr(out.data, "node_pressure_io_stalled_seconds_total 159.229614\n"));
	cr_assert(strstr(out.data, "node_pressure_memory_waiting_seconds_total 0\n"));
	cr_assert(strstr(out.data,
			 "node_pressure_memory_stalled_seconds_total 1.844674407370955e+13\n"));
	cr_assert(strstr(out.data, "node_pressure_irq_stalled_seconds_total 0.008494\n"));
	/* cpu's full line is not exported */
	cr_assert_null(strstr(out.data, "cpu_stalled"));
	buf_free(&out);
}

Test(pressure, no_irq_is_fine)
{
	harness_put("pressure/cpu", LINE("some", "1000000"));
	harness_put("pressure/io", LINE("some", "1") LINE("full", "2"));
	harness_put("pressure/memory", LINE("some", "3") LINE("full", "4"));
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_pressure, NULL, &out), 0);
	cr_assert(strstr(out.data, "node_pressure_cpu_waiting_seconds_total 1\n"));
	cr_assert_null(strstr(out.data, "irq"));
	buf_free(&out);
}

Test(pressure, absent_is_no_data)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_pressure, NULL, &out), -ENODATA);
	cr_assert(!out.data || !strstr(out.data, "node_pressure"));
	buf_free(&out);
}

Test(pressure, missing_full_line_is_no_data)
{
	harness_put("pressure/cpu", LINE("some", "1"));
	harness_put("pressure/io", LINE("some", "1"));
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_pressure, NULL, &out), -ENODATA);
	buf_free(&out);
}

Test(pressure, malformed_fails)
{
	harness_put("pressure/cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=12x\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_pressure, NULL, &out), -EINVAL);
	harness_put("pressure/cpu", "some avg10=0.00 avg60=0.00\n");
	cr_assert_eq(harness_scrape(&collector_pressure, NULL, &out), -EINVAL);
	harness_put("pressure/cpu", "");
	cr_assert_eq(harness_scrape(&collector_pressure, NULL, &out), -ENODATA);
	/* an unknown prefix is ignored, as procfs does */
	harness_put("pressure/cpu", "other stuff\n" LINE("some", "5000000"));
	cr_assert_eq(harness_scrape(&collector_pressure, NULL, &out), 0);
	cr_assert(strstr(out.data, "node_pressure_cpu_waiting_seconds_total 5\n"));
	buf_free(&out);
}
