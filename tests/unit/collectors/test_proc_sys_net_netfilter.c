// SPDX-License-Identifier: Apache-2.0
/*
 * conntrack collector: per-CPU sums, 16-field lines of old kernels, the
 * module not loaded (no data), garbage and huge values.  Trees are generated
 * in a temp dir; the procfs root points at it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "common/flags.h"
#include "harness.h"

extern const struct collector collector_conntrack;
#define COLLECTOR collector_conntrack

HARNESS_SUITE(conntrack, "conntrack", HARNESS_PROCFS | HARNESS_SYSFS);

#define HDR                                                                                        \
	"entries  searched found new invalid ignore delete delete_list insert insert_failed "      \
	"drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"

Test(conntrack, sums_cpus)
{
	harness_put("sys/net/netfilter/nf_conntrack_count", "123\n");
	harness_put("sys/net/netfilter/nf_conntrack_max", "65536\n");
	harness_put("net/stat/nf_conntrack",
		    HDR "00000021  00000000 00000001 00000000 00000003 0000588a 00000000 00000000 "
			"00000002 00000000 00000000 00000000 00000000  00000000 00000000 00000000 "
			"00000001\n"
			"00000021  00000000 0000000A 00000000 0000002f 00005688 00000000 00000000 "
			"00000000 00000005 00000007 00000009 00000000  00000000 00000000 00000000 "
			"ffffffff\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(
		out.data,
		"# HELP node_nf_conntrack_entries Number of currently allocated flow entries for "
		"connection tracking.\n# TYPE node_nf_conntrack_entries gauge\n"
		"node_nf_conntrack_entries 123\n");
	assert_substr(out.data, "node_nf_conntrack_entries_limit 65536\n");
	assert_substr(out.data, "node_nf_conntrack_stat_found 11\n");
	assert_substr(out.data, "node_nf_conntrack_stat_invalid 50\n");
	assert_substr(out.data, "node_nf_conntrack_stat_ignore 44818\n");
	assert_substr(out.data, "node_nf_conntrack_stat_insert 2\n");
	assert_substr(out.data, "node_nf_conntrack_stat_insert_failed 5\n");
	assert_substr(out.data, "node_nf_conntrack_stat_drop 7\n");
	assert_substr(out.data, "node_nf_conntrack_stat_early_drop 9\n");
	assert_substr(out.data, "node_nf_conntrack_stat_search_restart 4.294967296e+09\n");
	buf_free(&out);
}

Test(conntrack, old_kernel_without_search_restart)
{
	harness_put("sys/net/netfilter/nf_conntrack_count", "1");
	harness_put("sys/net/netfilter/nf_conntrack_max", " 2 \n");
	harness_put("net/stat/nf_conntrack", "header\n0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data, "node_nf_conntrack_entries_limit 2\n");
	assert_substr(out.data, "node_nf_conntrack_stat_ignore 1\n");
	assert_substr(out.data, "node_nf_conntrack_stat_search_restart 0\n");
	buf_free(&out);
}

Test(conntrack, module_not_loaded)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -ENODATA);
	assert_no_substr(out.data, "node_nf_conntrack");
	/* no per-CPU statistics: the two gauges are still served */
	harness_put("sys/net/netfilter/nf_conntrack_count", "7\n");
	harness_put("sys/net/netfilter/nf_conntrack_max", "8\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -ENODATA);
	assert_substr(out.data, "node_nf_conntrack_entries 7\n");
	assert_substr(out.data, "node_nf_conntrack_entries_limit 8\n");
	assert_no_substr(out.data, "node_nf_conntrack_stat");
	buf_free(&out);
}

Test(conntrack, garbage)
{
	static const char *const bad_count[] = {"12x\n", "18446744073709551616\n"};
	harness_put("sys/net/netfilter/nf_conntrack_max", "8\n");
	harness_assert_rejects(&COLLECTOR, "sys/net/netfilter/nf_conntrack_count", bad_count,
			       ARRAY_SIZE(bad_count), -EINVAL);
	struct buf out = BUF_INIT;
	harness_put("sys/net/netfilter/nf_conntrack_count", "18446744073709551615\n");
	harness_put("net/stat/nf_conntrack", HDR "0 0 0 0 0 zz 0 0 0 0 0 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -EINVAL);
	assert_substr(out.data, "node_nf_conntrack_entries 1.8446744073709552e+19\n");
	assert_no_substr(out.data, "node_nf_conntrack_stat");
	/* truncated line */
	harness_put("net/stat/nf_conntrack", HDR "0 0 0 0 0 1 0 0\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -EINVAL);
	/* a value beyond 64 bits */
	harness_put("net/stat/nf_conntrack",
		    HDR "0 0 0 0 0 10000000000000000 0 0 0 0 0 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -ERANGE);
	buf_free(&out);
}
