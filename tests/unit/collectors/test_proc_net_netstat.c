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

extern const struct collector collector_netstat;
#define COLLECTOR collector_netstat

static char root[64];

/* Write content to root/rel, creating the parent directories. */
static void put(const char *rel, const char *content)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	cr_assert(f, "create %s", path);
	fputs(content, f);
	fclose(f);
}

static void setup_tree(void)
{
	snprintf(root, sizeof(root), "/tmp/vigil-netstat-XXXXXX");
	cr_assert(mkdtemp(root));
	host_roots.procfs = root;
	host_roots.sysfs = root;
}

static void teardown_tree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

__attribute__((unused)) static int set_flag(const char *name, const char *value)
{
	struct flag_table t = {"x", COLLECTOR.flags, COLLECTOR.nflags};
	char err[256];
	int rc = flags_set(&t, 1, name, value, err, sizeof(err));
	cr_assert_eq(rc, 0, "set %s: %s", name, err);
	rc = COLLECTOR.setup(err, sizeof(err));
	return rc;
}

/* Run collect on a fresh state (or st when given) and render into out. */
static int scrape(void *st, struct buf *out)
{
	struct expo_set *set = expo_set_new();
	bool own = !st;
	if (own)
		st = calloc(1, COLLECTOR.state_size);
	int rc = COLLECTOR.init ? COLLECTOR.init(st) : 0;
	if (rc >= 0)
		rc = COLLECTOR.collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	expo_set_free(set);
	if (own) {
		if (COLLECTOR.cleanup)
			COLLECTOR.cleanup(st);
		free(st);
	}
	return rc;
}

#define HAS(out, s)                                                                                \
	cr_assert(strstr((out).data ? (out).data : "", s), "missing %s in:\n%s", s,                \
		  (out).data ? (out).data : "")
#define HASNT(out, s)                                                                              \
	cr_assert(!strstr((out).data ? (out).data : "", s), "unexpected %s in:\n%s", s,            \
		  (out).data ? (out).data : "")

TestSuite(netstat, .init = setup_tree, .fini = teardown_tree);

static void default_fields(void)
{
	cr_assert_eq(set_flag("collector.netstat.fields", collector_netstat.flags[0].defval), 0);
}

Test(netstat, default_fields)
{
	default_fields();
	put("net/netstat",
	    "TcpExt: SyncookiesSent SyncookiesRecv ListenDrops TCPOFOQueue PruneCalled\n"
	    "TcpExt: 1 2 3 4 5\n"
	    "IpExt: InNoRoutes InOctets OutOctets\n"
	    "IpExt: 0 6286396970 18446744073709551615\n");
	put("net/snmp", "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
			"Tcp: RtoAlgorithm MaxConn ActiveOpens InErrs\nTcp: 1 -1 3556 5\n");
	put("net/snmp6", "Ip6InReceives                   \t1\n"
			 "Ip6InOctets 460\nIcmp6InMsgs 7\nUdpLite6InErrors 0\nweird\nnosix 5\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "# HELP node_netstat_TcpExt_SyncookiesSent Statistic TcpExtSyncookiesSent.\n"
		 "# TYPE node_netstat_TcpExt_SyncookiesSent untyped\n"
		 "node_netstat_TcpExt_SyncookiesSent 1\n");
	HAS(out, "node_netstat_TcpExt_ListenDrops 3\n");
	HAS(out, "node_netstat_TcpExt_TCPOFOQueue 4\n");
	HAS(out, "node_netstat_IpExt_InOctets 6.28639697e+09\n");
	HAS(out, "node_netstat_IpExt_OutOctets 1.8446744073709552e+19\n");
	HAS(out, "node_netstat_Ip_Forwarding 1\n");
	HAS(out, "node_netstat_Tcp_ActiveOpens 3556\n");
	HAS(out, "node_netstat_Tcp_InErrs 5\n");
	HAS(out, "# HELP node_netstat_Ip6_InOctets Statistic Ip6InOctets.\n");
	HAS(out, "node_netstat_Icmp6_InMsgs 7\n");
	HAS(out, "node_netstat_UdpLite6_InErrors 0\n");
	HASNT(out, "PruneCalled");
	HASNT(out, "DefaultTTL");
	HASNT(out, "MaxConn");
	HASNT(out, "InReceives");
	HASNT(out, "InNoRoutes");
	buf_free(&out);
}

Test(netstat, custom_fields_and_negative_values)
{
	cr_assert_eq(set_flag("collector.netstat.fields", "^Tcp_"), 0);
	put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\n");
	put("net/snmp", "Tcp: RtoAlgorithm MaxConn\nTcp: 1 -1\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "node_netstat_Tcp_MaxConn -1\n");
	HAS(out, "node_netstat_Tcp_RtoAlgorithm 1\n");
	HASNT(out, "ListenDrops");
	cr_assert_neq(set_flag("collector.netstat.fields", "(["), 0);
	default_fields();
	buf_free(&out);
}

Test(netstat, missing_files)
{
	default_fields();
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), -ENOENT);
	put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\n");
	cr_assert_eq(scrape(NULL, &out), -ENOENT); /* snmp is required */
	HASNT(out, "node_netstat");
	put("net/snmp", "Tcp: InErrs\nTcp: 2\n");
	cr_assert_eq(scrape(NULL, &out), 0); /* snmp6 is not (IPv6 disabled) */
	HAS(out, "node_netstat_TcpExt_ListenDrops 3\n");
	HAS(out, "node_netstat_Tcp_InErrs 2\n");
	buf_free(&out);
}

Test(netstat, garbage_fails_before_emitting)
{
	default_fields();
	struct buf out = BUF_INIT;
	put("net/snmp", "Tcp: InErrs\nTcp: 2\n");
	/* a truncated value line */
	put("net/netstat", "TcpExt: ListenDrops ListenOverflows\nTcpExt: 3\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	HASNT(out, "node_netstat");
	/* a names line without its values */
	put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\nIpExt: InOctets\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	/* a bad value, even in a field that is not selected */
	put("net/netstat", "TcpExt: ListenDrops PruneCalled\nTcpExt: 3 x1\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	HASNT(out, "node_netstat");
	put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\n");
	put("net/snmp6", "Ip6InOctets 12abc\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	HASNT(out, "node_netstat");
	put("net/netstat", "\n\n");
	put("net/snmp6", "");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	buf_free(&out);
}

Test(netstat, cache_follows_changed_layout)
{
	default_fields();
	void *st = calloc(1, collector_netstat.state_size);
	struct buf out = BUF_INIT;
	put("net/snmp", "Tcp: InErrs\nTcp: 2\n");
	put("net/netstat", "TcpExt: ListenDrops PruneCalled\nTcpExt: 3 4\n");
	cr_assert_eq(scrape(st, &out), 0);
	HAS(out, "node_netstat_TcpExt_ListenDrops 3\n");
	/* a kernel update inserts a field: positions shift */
	put("net/netstat", "TcpExt: PruneCalled ListenOverflows ListenDrops\nTcpExt: 4 5 6\n");
	cr_assert_eq(scrape(st, &out), 0);
	HAS(out, "node_netstat_TcpExt_ListenDrops 6\n");
	HAS(out, "node_netstat_TcpExt_ListenOverflows 5\n");
	HASNT(out, "PruneCalled");
	/* fewer fields than before, then the same again */
	put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 7\n");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(scrape(st, &out), 0);
		HAS(out, "node_netstat_TcpExt_ListenDrops 7\n");
		HASNT(out, "ListenOverflows");
		HAS(out, "node_netstat_Tcp_InErrs 2\n");
	}
	/* a protocol twice keeps one series */
	put("net/netstat", "TcpExt: ListenDrops\nTcpExt: 7\nTcpExt: ListenDrops\nTcpExt: 8\n");
	cr_assert_eq(scrape(st, &out), 0);
	HAS(out, "node_netstat_TcpExt_ListenDrops 7\n");
	HASNT(out, "node_netstat_TcpExt_ListenDrops 8\n");
	collector_netstat.cleanup(st);
	free(st);
	buf_free(&out);
}
