// SPDX-License-Identifier: Apache-2.0
/*
 * nfsd collector over generated /proc/net/rpc/nfsd files: the fixed
 * lines, v2/v3 procedures and v4 operations, absent lines as zeros,
 * malformed lines, a missing file.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_nfsd;

HARNESS_SUITE(nfsd, "nfsd", HARNESS_PROCFS);

#define NFSD_HEAD                                                                                  \
	"rc 0 6 18622\nfh 0 0 0 0 0\nio 157286400 72864\n"                                         \
	"th 8 0 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000\n"                     \
	"ra 32 0 0 0 0 0 0 0 0 0 0 7\nnet 972 55 917 1\nrpc 18628 3 1 2 0\n"

Test(nfsd, happy)
{
	struct buf out = BUF_INIT;
	char ops[512];
	int n = snprintf(ops, sizeof(ops), "proc4ops 40");
	for (int i = 0; i < 40; i++)
		n += snprintf(ops + n, sizeof(ops) - (size_t)n, " %d", i * 10);
	snprintf(ops + n, sizeof(ops) - (size_t)n, "\n");
	char text[2048];
	snprintf(text, sizeof(text),
		 NFSD_HEAD "proc2 18 2 69 0 0 4410 0 0 0 0 0 0 0 0 0 0 0 99 2\n"
			   "proc4 2 2 10853\n%swdeleg_getattr 15\n",
		 ops);
	harness_put("net/rpc/nfsd", text);
	cr_assert_eq(harness_scrape(&collector_nfsd, NULL, &out), 0);
	assert_has(&out, "node_nfsd_reply_cache_nocache_total 18622");
	assert_has(&out, "node_nfsd_disk_bytes_read_total 1.572864e+08");
	assert_has(&out, "node_nfsd_server_threads 8");
	assert_has(&out, "node_nfsd_read_ahead_cache_size_blocks 32");
	assert_has(&out, "node_nfsd_read_ahead_cache_not_found_total 7");
	assert_has(&out, "node_nfsd_packets_total{proto=\"tcp\"} 917");
	assert_has(&out, "node_nfsd_connections_total 1");
	assert_has(&out, "node_nfsd_rpc_errors_total{error=\"fmt\"} 1");
	assert_has(&out, "node_nfsd_rpc_errors_total{error=\"auth\"} 2");
	assert_has(&out, "node_nfsd_server_rpcs_total 18628");
	assert_has(&out, "node_nfsd_requests_total{method=\"GetAttr\",proto=\"2\"} 69");
	assert_has(&out, "node_nfsd_requests_total{method=\"ReadDir\",proto=\"2\"} 99");
	assert_has(&out, "node_nfsd_requests_total{method=\"Commit\",proto=\"3\"} 0");
	/* op numbers: ACCESS is op 3, READ op 25, RELEASE_LOCKOWNER op 39 */
	assert_has(&out, "node_nfsd_requests_total{method=\"Access\",proto=\"4\"} 30");
	assert_has(&out, "node_nfsd_requests_total{method=\"Read\",proto=\"4\"} 250");
	assert_has(&out, "node_nfsd_requests_total{method=\"RelLockOwner\",proto=\"4\"} 390");
	assert_has(&out, "node_nfsd_requests_total{method=\"WdelegGetattr\",proto=\"4\"} 15");
	assert_lacks(&out, "method=\"Null\"");
	buf_free(&out);
}

Test(nfsd, garbage)
{
	static const char *const bad[] = {
		"rc 0 6\n",	  "th 8\n",	    "ra 1 2 3\n",	"rpc 1 2 3 4\n",
		"proc4 3 1 2 3\n", "proc4ops 2 1 2\n", "io 1 x\n",	"bogus 1\n",
		"wdeleg_getattr x\n",
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("net/rpc/nfsd", bad[i]);
		cr_assert_eq(harness_scrape(&collector_nfsd, NULL, &out), -EINVAL, "accepted '%s'",
			     bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}

Test(nfsd, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_nfsd, NULL, &out), -ENODATA);
	buf_free(&out);
}
