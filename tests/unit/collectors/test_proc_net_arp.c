// SPDX-License-Identifier: Apache-2.0
/*
 * arp collector: counts per device, include/exclude filters, blank and
 * short lines, a missing file, many devices on a reused state.  Trees are
 * generated in a temp dir; the procfs root points at it.
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

extern const struct collector collector_arp;
#define COLLECTOR collector_arp

HARNESS_SUITE(arp, "arp", HARNESS_PROCFS | HARNESS_SYSFS);

#define ARP_HDR "IP address       HW type     Flags       HW address            Mask     Device\n"

Test(arp, counts_per_device)
{
	harness_flag_ok(&COLLECTOR, "collector.arp.device-exclude", "nope");
	harness_put("net/arp", ARP_HDR
		    "192.168.1.1    0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0\n"
		    "192.168.1.2    0x1         0x0         00:00:00:00:00:00     *        eth0\n"
		    "\n"
		    "192.168.1.4    0x1         0x2         dd:ee:ff:aa:bb:cc     *        eth1\n"
		    "10.0.0.1       0x1         0x2         de:ad:be:ef:00:00     *        nope\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(
		out.data,
		"# HELP node_arp_entries ARP entries by device\n# TYPE node_arp_entries gauge\n"
		"node_arp_entries{device=\"eth0\"} 2\nnode_arp_entries{device=\"eth1\"} 1\n");
	assert_no_substr(out.data, "nope");
	harness_flag_ok(&COLLECTOR, "collector.arp.device-exclude", "");
	harness_flag_ok(&COLLECTOR, "collector.arp.device-include", "^eth1$");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data, "node_arp_entries{device=\"eth1\"} 1\n");
	assert_no_substr(out.data, "eth0");
	harness_flag_ok(&COLLECTOR, "collector.arp.device-include", "");
	buf_free(&out);
}

Test(arp, empty_table_and_errors)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -ENOENT);
	harness_put("net/arp", ARP_HDR);
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_no_substr(out.data, "node_arp_entries");
	harness_put("net/arp", ARP_HDR "192.168.1.1 0x1 0x2 cc:aa:dd:ee:aa:bb\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -EINVAL);
	assert_no_substr(out.data, "node_arp_entries");
	cr_assert_neq(harness_flag_setup(&COLLECTOR, "collector.arp.device-include", "("), 0);
	harness_flag_ok(&COLLECTOR, "collector.arp.device-include", "");
	buf_free(&out);
}

Test(arp, many_devices)
{
	struct buf table = BUF_INIT;
	buf_puts(&table, ARP_HDR);
	for (int i = 0; i < 100; i++)
		buf_printf(&table, "10.0.%d.1 0x1 0x2 00:00:00:00:00:01 * veth%d\n", i, i % 40);
	harness_put("net/arp", table.data);
	struct buf out = BUF_INIT;
	void *st = calloc(1, collector_arp.state_size);
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
		assert_substr(out.data, "node_arp_entries{device=\"veth0\"} 3\n");
		assert_substr(out.data, "node_arp_entries{device=\"veth39\"} 2\n");
	}
	collector_arp.cleanup(st);
	free(st);
	buf_free(&out);
	buf_free(&table);
}
