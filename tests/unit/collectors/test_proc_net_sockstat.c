// SPDX-License-Identifier: Apache-2.0
/*
 * sockstat collector: both files, missing files (IPv4/IPv6 disabled),
 * malformed lines, Go-style integers, huge values.  Trees are generated in a
 * temp dir; the procfs root points at it.
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

extern const struct collector collector_sockstat;
#define COLLECTOR collector_sockstat

HARNESS_SUITE(sockstat, "sockstat", HARNESS_PROCFS | HARNESS_SYSFS);

Test(sockstat, both_files)
{
	harness_put("net/sockstat", "sockets: used 229\n"
				    "TCP: inuse 4 orphan 0 tw 4 alloc 17 mem 1\n"
				    "UDP: inuse 0 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\n"
				    "FRAG: inuse 0 memory 0\n");
	harness_put("net/sockstat6", "TCP6: inuse 17\nUDP6: inuse 9\nFRAG6: inuse 0 memory 0\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data,
		      "# HELP node_sockstat_sockets_used Number of IPv4 sockets in use.\n"
		      "# TYPE node_sockstat_sockets_used gauge\nnode_sockstat_sockets_used 229\n");
	assert_substr(out.data,
		      "# HELP node_sockstat_TCP_alloc Number of TCP sockets in state alloc.\n");
	assert_substr(out.data, "node_sockstat_TCP_tw 4\n");
	char want[64];
	snprintf(want, sizeof(want), "node_sockstat_TCP_mem_bytes %ld\n", sysconf(_SC_PAGESIZE));
	assert_substr(out.data, want);
	assert_substr(out.data, "node_sockstat_FRAG_memory 0\n");
	assert_substr(out.data, "node_sockstat_TCP6_inuse 17\n");
	assert_substr(out.data, "node_sockstat_FRAG6_memory 0\n");
	assert_no_substr(out.data, "FRAG_mem_bytes");
	assert_no_substr(out.data, "UDP6_mem");
	buf_free(&out);
}

Test(sockstat, missing_files_are_skipped)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_no_substr(out.data, "node_sockstat");
	/* IPv6 disabled: only the IPv4 file */
	harness_put("net/sockstat", "sockets: used 3\nTCP: inuse 1\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data, "node_sockstat_sockets_used 3\n");
	assert_substr(out.data, "node_sockstat_TCP_inuse 1\n");
	buf_free(&out);
}

Test(sockstat, garbage_fails_before_emitting)
{
	static const char *const bad[] = {
		"sockets: used 3\nTCP: inuse 1 orphan\n",
		"sockets: used 3\nTCP: inuse x\n",
		"sockets: used 3\nTCP:\n",
		"sockets: used 3\n\nTCP: inuse 1\n",
	};
	harness_assert_rejects(&COLLECTOR, "net/sockstat", bad, ARRAY_SIZE(bad), -EINVAL);
	/* an error in the IPv6 file fails the whole collector too */
	harness_put("net/sockstat", "sockets: used 3\nTCP: inuse 1\n");
	harness_put("net/sockstat6", "TCP6: inuse 1 tw\n");
	harness_assert_scrape(&COLLECTOR, -EINVAL, "");
}

Test(sockstat, numbers_as_go_parses_them)
{
	struct buf out = BUF_INIT;
	harness_put("net/sockstat",
		    "sockets: used 9223372036854775807\nTCP: inuse 0x10 tw 010 alloc 1_000\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data, "node_sockstat_sockets_used 9.223372036854776e+18\n");
	assert_substr(out.data, "node_sockstat_TCP_inuse 16\n");
	assert_substr(out.data, "node_sockstat_TCP_tw 8\n");
	assert_substr(out.data, "node_sockstat_TCP_alloc 1000\n");
	buf_free(&out);
	static const char *const bad[] = {"sockets: used 9223372036854775808\n",
					  "sockets: used 1__0\n"};
	harness_assert_rejects(&COLLECTOR, "net/sockstat", bad, ARRAY_SIZE(bad), -EINVAL);
}

Test(sockstat, reuses_state_and_sees_new_files)
{
	void *st = calloc(1, collector_sockstat.state_size);
	struct buf out = BUF_INIT;
	harness_put("net/sockstat", "sockets: used 1\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
	assert_no_substr(out.data, "TCP6");
	harness_put("net/sockstat6", "TCP6: inuse 2\n");
	harness_put("net/sockstat", "sockets: used 5\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
	assert_substr(out.data, "node_sockstat_sockets_used 5\n");
	assert_substr(out.data, "node_sockstat_TCP6_inuse 2\n");
	collector_sockstat.cleanup(st);
	free(st);
	buf_free(&out);
}
