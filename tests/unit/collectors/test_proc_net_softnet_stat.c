// SPDX-License-Identifier: Apache-2.0
/*
 * softnet collector over generated /proc/net/softnet_stat files: 13-column
 * lines with the cpu index, older 9..12-column lines, malformed lines that
 * fail the collector, a missing file.
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

extern const struct collector collector_softnet;

HARNESS_SUITE(softnet, "cpu", HARNESS_PROCFS | HARNESS_SYSFS);

Test(softnet, modern_kernel)
{
	struct buf out = BUF_INIT;
	harness_put("net/softnet_stat",
		    "00049279 00000000 00000001 00000000 00000000 00000000 00000000 "
		    "00000000 00000000 00000002 00000003 00000004 00000000\n"
		    "000dfb82 00000029 0000000a 00000000 00000000 00000000 00000000 "
		    "00000000 00000005 00000000 00000000 00000000 00000007\n");
	cr_assert_eq(harness_scrape(&collector_softnet, NULL, &out), 0);
	assert_has(&out, "# HELP node_softnet_processed_total Number of processed packets");
	assert_has(&out, "# TYPE node_softnet_backlog_len gauge");
	assert_has(&out, "node_softnet_processed_total{cpu=\"0\"} 299641");
	assert_has(&out, "node_softnet_received_rps_total{cpu=\"0\"} 2");
	assert_has(&out, "node_softnet_flow_limit_count_total{cpu=\"0\"} 3");
	assert_has(&out, "node_softnet_backlog_len{cpu=\"0\"} 4");
	/* the index column names the cpu (offline cpus leave gaps) */
	assert_has(&out, "node_softnet_processed_total{cpu=\"7\"} 916354");
	assert_has(&out, "node_softnet_dropped_total{cpu=\"7\"} 41");
	assert_has(&out, "node_softnet_times_squeezed_total{cpu=\"7\"} 10");
	assert_has(&out, "node_softnet_cpu_collision_total{cpu=\"7\"} 5");
	buf_free(&out);
}

/* Older kernels: fewer columns, the cpu is the line number, absent columns are 0. */
Test(softnet, old_kernel)
{
	struct buf out = BUF_INIT;
	harness_put(
		"net/softnet_stat",
		"00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000004\n"
		"ffffffff 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
		"00000009 0000000a 0000000b\n");
	cr_assert_eq(harness_scrape(&collector_softnet, NULL, &out), 0);
	assert_has(&out, "node_softnet_processed_total{cpu=\"0\"} 1");
	assert_has(&out, "node_softnet_cpu_collision_total{cpu=\"0\"} 4");
	assert_has(&out, "node_softnet_received_rps_total{cpu=\"0\"} 0");
	assert_has(&out, "node_softnet_processed_total{cpu=\"1\"} 4.294967295e+09");
	assert_has(&out, "node_softnet_received_rps_total{cpu=\"1\"} 9");
	assert_has(&out, "node_softnet_flow_limit_count_total{cpu=\"1\"} 10");
	/* twelve columns: backlog and index come in pairs, so both are ignored */
	assert_has(&out, "node_softnet_backlog_len{cpu=\"1\"} 0");
	buf_free(&out);
}

Test(softnet, garbage)
{
	static const char *const bad[] = {
		"00000001 00000002 00000003\n",
		"00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 "
		"0000000g\n",
		"100000000 00000002 00000003 00000000 00000000 00000000 00000000 00000000 "
		"00000000\n",
		"00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 "
		"00000000\n\n",
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("net/softnet_stat", bad[i]);
		cr_assert_eq(harness_scrape(&collector_softnet, NULL, &out), -EINVAL, "accepted %s",
			     bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}

Test(softnet, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_softnet, NULL, &out), -ENOENT);
	buf_free(&out);
}
