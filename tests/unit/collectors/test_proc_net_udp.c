// SPDX-License-Identifier: Apache-2.0
/*
 * udp_queues collector over generated /proc/net/udp{,6}: sums of the hex
 * queue columns, one family missing, both missing, malformed lines.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_udp_queues;

HARNESS_SUITE(udp_queues, "udp", HARNESS_PROCFS);

#define UDP_HEADER                                                                                 \
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "        \
	"timeout inode ref pointer drops\n"
#define UDP_LINE(q)                                                                                \
	"   0: 00000000:0016 00000000:0000 0A " q " 00:00000000 00000000     0        0 2740 1 "   \
	"ffff88003d3af3c0 100 0 0 10 0\n"
#define UDP6_LINE(q)                                                                               \
	"  1: 00000000000000000000000000000000:0222 00000000000000000000000000000000:0000 07 " q      \
	" 00:00000000 00000000   101        0 34 2 0000000000000000 0\n"

Test(udp_queues, happy)
{
	struct buf out = BUF_INIT;
	harness_put("net/udp", UDP_HEADER UDP_LINE("00000015:00000000") UDP_LINE("00000001:00000100"));
	harness_put("net/udp6", UDP_HEADER UDP6_LINE("0000000A:FFFFFFFF"));
	cr_assert_eq(harness_scrape(&collector_udp_queues, NULL, &out), 0);
	cr_assert_str_eq(out.data,
			 "# HELP node_udp_queues Number of allocated memory in the kernel for UDP "
			 "datagrams in bytes.\n"
			 "# TYPE node_udp_queues gauge\n"
			 "node_udp_queues{ip=\"v4\",queue=\"rx\"} 256\n"
			 "node_udp_queues{ip=\"v4\",queue=\"tx\"} 22\n"
			 "node_udp_queues{ip=\"v6\",queue=\"rx\"} 4.294967295e+09\n"
			 "node_udp_queues{ip=\"v6\",queue=\"tx\"} 10\n");
	buf_free(&out);
}

Test(udp_queues, header_only_and_one_missing)
{
	struct buf out = BUF_INIT;
	harness_put("net/udp6", UDP_HEADER);
	cr_assert_eq(harness_scrape(&collector_udp_queues, NULL, &out), 0);
	assert_has(&out, "node_udp_queues{ip=\"v6\",queue=\"rx\"} 0");
	assert_has(&out, "node_udp_queues{ip=\"v6\",queue=\"tx\"} 0");
	assert_lacks(&out, "v4");
	buf_free(&out);
}

Test(udp_queues, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_udp_queues, NULL, &out), -ENODATA);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}

Test(udp_queues, garbage)
{
	static const char *const bad[] = {
		UDP_LINE("00000015"),		/* no colon in the queues */
		UDP_LINE("0000001G:00000000"),	/* not hex */
		UDP_LINE("1:2:3"),		/* two colons */
		"   0: 00000000:0016 00000000:0000 0A 00000015:00000000 00:00000000 00000000 0 0 2740\n",
		"   0: 000000:0016 00000000:0000 0A 00000015:00000000 00:00000000 00000000     0        0 "
		"2740 1 ffff88003d3af3c0 100 0 0 10 0\n", /* 3-byte address */
		"   0: 00000000:0016 00000000:0000 0A 00000015:00000000 00:00000000 00000000     0        0 "
		"2740 1 ffff88003d3af3c0 x\n", /* drops not a number */
		"\n",				/* a blank line */
	};
	struct buf out = BUF_INIT;
	harness_put("net/udp6", UDP_HEADER UDP6_LINE("00000001:00000001"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), "%s%s", UDP_HEADER, bad[i]);
		harness_put("net/udp", text);
		cr_assert_eq(harness_scrape(&collector_udp_queues, NULL, &out), -EINVAL,
			     "accepted '%s'", bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}
