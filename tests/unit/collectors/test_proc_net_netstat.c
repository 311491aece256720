// SPDX-License-Identifier: Apache-2.0
/*
 * netstat collector: the default field filter over netstat, snmp and snmp6,
 * a custom filter, missing files, mismatched and bad lines (which fail
 * before anything is emitted), and the per-position cache when the kernel
 * changes its list of fields.  Trees are generated in a temp dir; the procfs
 * root points at it.
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

extern const struct collector collector_netstat;
#define COLLECTOR collector_netstat

HARNESS_SUITE(netstat, "netstat", HARNESS_PROCFS | HARNESS_SYSFS);

static void default_fields(void)
{
	cr_assert_eq(harness_flag_setup(&COLLECTOR, "collector.netstat.fields",
					collector_netstat.flags[0].defval),
		     0);
}

Test(netstat, default_fields)
{
	default_fields();
	harness_put("net/netstat",
		    "TcpExt: SyncookiesSent SyncookiesRecv ListenDrops TCPOFOQueue PruneCalled\n"
		    "TcpExt: 1 2 3 4 5\n"
		    "IpExt: InNoRoutes InOctets OutOctets\n"
		    "IpExt: 0 6286396970 18446744073709551615\n");
	harness_put("net/snmp", "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
				"Tcp: RtoAlgorithm MaxConn ActiveOpens InErrs\nTcp: 1 -1 3556 5\n");
	harness_put("net/snmp6",
		    "Ip6InReceives                   \t1\n"
		    "Ip6InOctets 460\nIcmp6InMsgs 7\nUdpLite6InErrors 0\nweird\nnosix 5\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data,
		      "# HELP node_netstat_TcpExt_SyncookiesSent Statistic TcpExtSyncookiesSent.\n"
		      "# TYPE node_netstat_TcpExt_SyncookiesSent untyped\n"
		      "node_netstat_TcpExt_SyncookiesSent 1\n");
	assert_substr(out.data, "node_netstat_TcpExt_ListenDrops 3\n");
	assert_substr(out.data, "node_netstat_TcpExt_TCPOFOQueue 4\n");
	assert_substr(out.data, "node_netstat_IpExt_InOctets 6.28639697e+09\n");
	assert_substr(out.data, "node_netstat_IpExt_OutOctets 1.8446744073709552e+19\n");
	assert_substr(out.data, "node_netstat_Ip_Forwarding 1\n");
	assert_substr(out.data, "node_netstat_Tcp_ActiveOpens 3556\n");
	assert_substr(out.data, "node_netstat_Tcp_InErrs 5\n");
	assert_substr(out.data, "# HELP node_netstat_Ip6_InOctets Statistic Ip6InOctets.\n");
	assert_substr(out.data, "node_netstat_Icmp6_InMsgs 7\n");
	assert_substr(out.data, "node_netstat_UdpLite6_InErrors 0\n");
	assert_no_substr(out.data, "PruneCalled");
	assert_no_substr(out.data, "DefaultTTL");
	assert_no_substr(out.data, "MaxConn");
	assert_no_substr(out.data, "InReceives");
	assert_no_substr(out.data, "InNoRoutes");
	buf_free(&out);
}

Test(netstat, custom_fields_and_negative_values)
{
	cr_assert_eq(harness_flag_setup(&COLLECTOR, "collector.netstat.fields", "^Tcp_"), 0);
	harness_put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\n");
	harness_put("net/snmp", "Tcp: RtoAlgorithm MaxConn\nTcp: 1 -1\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data, "node_netstat_Tcp_MaxConn -1\n");
	assert_substr(out.data, "node_netstat_Tcp_RtoAlgorithm 1\n");
	assert_no_substr(out.data, "ListenDrops");
	cr_assert_neq(harness_flag_setup(&COLLECTOR, "collector.netstat.fields", "(["), 0);
	default_fields();
	buf_free(&out);
}

Test(netstat, missing_files)
{
	default_fields();
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -ENOENT);
	harness_put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -ENOENT); /* snmp is required */
	assert_no_substr(out.data, "node_netstat");
	harness_put("net/snmp", "Tcp: InErrs\nTcp: 2\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0); /* snmp6 is not (IPv6 disabled) */
	assert_substr(out.data, "node_netstat_TcpExt_ListenDrops 3\n");
	assert_substr(out.data, "node_netstat_Tcp_InErrs 2\n");
	buf_free(&out);
}

Test(netstat, garbage_fails_before_emitting)
{
	default_fields();
	struct buf out = BUF_INIT;
	harness_put("net/snmp", "Tcp: InErrs\nTcp: 2\n");
	/* a truncated value line */
	harness_put("net/netstat", "TcpExt: ListenDrops ListenOverflows\nTcpExt: 3\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -EINVAL);
	assert_no_substr(out.data, "node_netstat");
	/* a names line without its values */
	harness_put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\nIpExt: InOctets\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -EINVAL);
	/* a bad value, even in a field that is not selected */
	harness_put("net/netstat", "TcpExt: ListenDrops PruneCalled\nTcpExt: 3 x1\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -EINVAL);
	assert_no_substr(out.data, "node_netstat");
	harness_put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\n");
	harness_put("net/snmp6", "Ip6InOctets 12abc\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -EINVAL);
	assert_no_substr(out.data, "node_netstat");
	harness_put("net/netstat", "\n\n");
	harness_put("net/snmp6", "");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -EINVAL);
	buf_free(&out);
}

Test(netstat, cache_follows_changed_layout)
{
	default_fields();
	void *st = calloc(1, collector_netstat.state_size);
	struct buf out = BUF_INIT;
	harness_put("net/snmp", "Tcp: InErrs\nTcp: 2\n");
	harness_put("net/netstat", "TcpExt: ListenDrops PruneCalled\nTcpExt: 3 4\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
	assert_substr(out.data, "node_netstat_TcpExt_ListenDrops 3\n");
	/* a kernel update inserts a field: positions shift */
	harness_put("net/netstat",
		    "TcpExt: PruneCalled ListenOverflows ListenDrops\nTcpExt: 4 5 6\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
	assert_substr(out.data, "node_netstat_TcpExt_ListenDrops 6\n");
	assert_substr(out.data, "node_netstat_TcpExt_ListenOverflows 5\n");
	assert_no_substr(out.data, "PruneCalled");
	/* fewer fields than before, then the same again */
	harness_put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 7\n");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
		assert_substr(out.data, "node_netstat_TcpExt_ListenDrops 7\n");
		assert_no_substr(out.data, "ListenOverflows");
		assert_substr(out.data, "node_netstat_Tcp_InErrs 2\n");
	}
	/* a protocol twice keeps one series */
	harness_put("net/netstat",
		    "TcpExt: ListenDrops\nTcpExt: 7\nTcpExt: ListenDrops\nTcpExt: 8\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
	assert_substr(out.data, "node_netstat_TcpExt_ListenDrops 7\n");
	assert_no_substr(out.data, "node_netstat_TcpExt_ListenDrops 8\n");
	collector_netstat.cleanup(st);
	free(st);
	buf_free(&out);
}
