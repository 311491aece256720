// SPDX-License-Identifier: Apache-2.0
/*
 * nfs collector over generated /proc/net/rpc/nfs files: every family, the
 * v4 padding, absent lines as zeros, malformed lines, a missing file.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_nfs;

HARNESS_SUITE(nfs, "nfs", HARNESS_PROCFS);

Test(nfs, happy)
{
	struct buf out = BUF_INIT;
	harness_put("net/rpc/nfs",
		    "net 70 71 69 45\n"
		    "rpc 1218785755 374636 1218815394\n"
		    "proc3 22 0 1061909262 48906 4077635 117661341 5 29391916 2570425 2993289 590 0 "
		    "0 7815 15 1130 0 3983 92385 13332 2 1 23729\n"
		    "proc4 3 48 98 51\n");
	cr_assert_eq(harness_scrape(&collector_nfs, NULL, &out), 0);
	assert_has(&out, "node_nfs_packets_total{protocol=\"udp\"} 71");
	assert_has(&out, "node_nfs_packets_total{protocol=\"tcp\"} 69");
	assert_has(&out, "node_nfs_connections_total 45");
	assert_has(&out, "node_nfs_rpcs_total 1.218785755e+09");
	assert_has(&out, "node_nfs_rpc_retransmissions_total 374636");
	assert_has(&out, "node_nfs_rpc_authentication_refreshes_total 1.218815394e+09");
	assert_has(&out, "# TYPE node_nfs_requests_total counter");
	assert_has(&out, "node_nfs_requests_total{method=\"GetAttr\",proto=\"3\"} 1.061909262e+09");
	assert_has(&out, "node_nfs_requests_total{method=\"Commit\",proto=\"3\"} 23729");
	assert_has(&out, "node_nfs_requests_total{method=\"ReadDirPlus\",proto=\"3\"} 92385");
	/* v2 absent: zeros; v4 padded */
	assert_has(&out, "node_nfs_requests_total{method=\"FsStat\",proto=\"2\"} 0");
	assert_has(&out, "node_nfs_requests_total{method=\"Null\",proto=\"4\"} 48");
	assert_has(&out, "node_nfs_requests_total{method=\"Write\",proto=\"4\"} 51");
	assert_has(&out, "node_nfs_requests_total{method=\"Clone\",proto=\"4\"} 0");
	buf_free(&out);
}

Test(nfs, garbage)
{
	static const char *const bad[] = {
		"net 1 2 3\n",	   "rpc 1 2 3 4\n", "net 1 2 3 x\n", "proc3 2 1 2\n",
		"proc4 3 1 2\n",   "nfsv9 1 2\n",   "net\n",	     "\n",
		"proc2 18 1 2 3\n",
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("net/rpc/nfs", bad[i]);
		cr_assert_eq(harness_scrape(&collector_nfs, NULL, &out), -EINVAL, "accepted '%s'",
			     bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}

Test(nfs, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_nfs, NULL, &out), -ENODATA);
	buf_free(&out);
}
