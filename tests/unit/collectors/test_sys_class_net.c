// SPDX-License-Identifier: Apache-2.0
/*
 * netclass collector: a device reached through a symlink as in sysfs,
 * bonding_masters skipped, hex and garbage integers, speed -1 with and
 * without --collector.netclass.ignore-invalid-speed, missing attributes, a
 * missing tree, a broken device link, and devices appearing between scrapes
 * of one state.  Trees are generated in a temp dir; the sysfs root points
 * at it.
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

extern const struct collector collector_netclass;
#define COLLECTOR collector_netclass

HARNESS_SUITE(netclass, "netclass", HARNESS_PROCFS | HARNESS_SYSFS);

#define DEV "devices/pci0000:00/0000:00:03.0/net/eth0/"

static void eth0(void)
{
	static const char *const attrs[][2] = {
		{"addr_assign_type", "3"},
		{"address", "01:01:01:01:01:01"},
		{"broadcast", "ff:ff:ff:ff:ff:ff"},
		{"carrier", "1"},
		{"carrier_changes", "2"},
		{"carrier_up_count", "1"},
		{"carrier_down_count", "1"},
		{"dev_id", "0x20"},
		{"dormant", "1"},
		{"duplex", "full"},
		{"flags", "0x1303"},
		{"ifalias", "  uplink \n"},
		{"ifindex", "2"},
		{"iflink", "2"},
		{"link_mode", "1"},
		{"mtu", "1500"},
		{"name_assign_type", "2"},
		{"netdev_group", "0"},
		{"operstate", "up"},
		{"speed", "1000"},
		{"tx_queue_len", "1000"},
		{"type", "1"},
		{"phys_port_id", "x"},
	};
	char rel[256], val[64];
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(rel, sizeof(rel), DEV "%s", attrs[i][0]);
		snprintf(val, sizeof(val), "%s\n", attrs[i][1]);
		harness_put(rel, val);
	}
	harness_put("class/net/bonding_masters", "bond0\n");
	harness_link("../../" DEV, "class/net/eth0");
}

Test(netclass, symlinked_device)
{
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignored-devices", "^$");
	eth0();
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(
		out.data,
		"# HELP node_network_info Non-numeric data from /sys/class/net/<iface>, value is "
		"always 1.\n# TYPE node_network_info gauge\n"
		"node_network_info{address=\"01:01:01:01:01:01\",adminstate=\"up\","
		"broadcast=\"ff:ff:ff:ff:ff:ff\",device=\"eth0\",duplex=\"full\",ifalias="
		"\"uplink\","
		"operstate=\"up\"} 1\n");
	assert_substr(out.data,
		      "# HELP node_network_up Value is 1 if operstate is 'up', 0 otherwise.\n"
		      "# TYPE node_network_up gauge\nnode_network_up{device=\"eth0\"} 1\n");
	assert_substr(
		out.data,
		"# HELP node_network_flags Network device property: flags\n"
		"# TYPE node_network_flags gauge\nnode_network_flags{device=\"eth0\"} 4867\n");
	assert_substr(out.data, "# TYPE node_network_carrier_changes_total counter\n"
				"node_network_carrier_changes_total{device=\"eth0\"} 2\n");
	assert_substr(out.data, "node_network_carrier_up_changes_total{device=\"eth0\"} 1\n");
	assert_substr(out.data, "node_network_device_id{device=\"eth0\"} 32\n");
	assert_substr(out.data, "node_network_speed_bytes{device=\"eth0\"} 1.25e+08\n");
	assert_substr(out.data, "node_network_iface_id{device=\"eth0\"} 2\n");
	assert_substr(out.data, "node_network_iface_link_mode{device=\"eth0\"} 1\n");
	assert_substr(out.data, "node_network_mtu_bytes{device=\"eth0\"} 1500\n");
	assert_substr(out.data, "node_network_net_dev_group{device=\"eth0\"} 0\n");
	assert_substr(out.data, "node_network_transmit_queue_length{device=\"eth0\"} 1000\n");
	assert_substr(out.data, "node_network_protocol_type{device=\"eth0\"} 1\n");
	assert_no_substr(out.data, "bonding_masters");
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignored-devices", "^eth");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_no_substr(out.data, "eth0");
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignored-devices", "^$");
	buf_free(&out);
}

Test(netclass, odd_values)
{
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignored-devices", "^$");
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignore-invalid-speed", "false");
	eth0();
	harness_put(DEV "speed", "-1\n");
	harness_put(DEV "mtu", "garbage\n");
	harness_put(DEV "flags", "0x1002\n");
	harness_put(DEV "tx_queue_len", "99999999999999999999\n");
	char path[PATH_MAX];
	cr_assert_eq(unlink(harness_path(path, DEV "carrier")), 0);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data, "node_network_speed_bytes{device=\"eth0\"} -125000\n");
	assert_substr(out.data, "node_network_mtu_bytes{device=\"eth0\"} 0\n");
	assert_substr(out.data, "node_network_transmit_queue_length{device=\"eth0\"} 0\n");
	assert_substr(out.data, "adminstate=\"down\"");
	assert_no_substr(out.data, "node_network_carrier{");
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignore-invalid-speed", "true");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_no_substr(out.data, "speed_bytes");
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignore-invalid-speed", "false");
	/* no flags attribute: adminstate unknown; a plain directory is a device too */
	cr_assert_eq(unlink(harness_path(path, DEV "flags")), 0);
	harness_put("class/net/dummy0/operstate", "down\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), 0);
	assert_substr(out.data, "adminstate=\"unknown\"");
	assert_substr(out.data,
		      "node_network_info{address=\"\",adminstate=\"unknown\",broadcast=\"\","
		      "device=\"dummy0\",duplex=\"\",ifalias=\"\",operstate=\"down\"} 1\n");
	assert_substr(out.data, "node_network_up{device=\"dummy0\"} 0\n");
	buf_free(&out);
}

Test(netclass, missing_and_broken)
{
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignored-devices", "^$");
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -ENODATA);
	assert_no_substr(out.data, "node_network");
	eth0();
	/* a device link to something that is not a directory fails the collector */
	harness_link("bonding_masters", "class/net/zz0");
	cr_assert_eq(harness_scrape(&COLLECTOR, NULL, &out), -ENOTDIR);
	assert_no_substr(out.data, "node_network");
	buf_free(&out);
}

Test(netclass, bad_regex)
{
	cr_assert_neq(harness_flag_setup(&COLLECTOR, "collector.netclass.ignored-devices", "(?<"),
		      0);
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignored-devices", "^$");
}

Test(netclass, reused_state_sees_new_devices)
{
	harness_flag_ok(&COLLECTOR, "collector.netclass.ignored-devices", "^$");
	eth0();
	void *st = calloc(1, collector_netclass.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
	assert_substr(out.data, "node_network_up{device=\"eth0\"} 1\n");
	assert_no_substr(out.data, "dummy0");
	harness_put("class/net/dummy0/mtu", "9000\n");
	cr_assert_eq(harness_scrape(&COLLECTOR, st, &out), 0);
	assert_substr(out.data, "node_network_up{device=\"eth0\"} 1\n");
	assert_substr(out.data, "node_network_mtu_bytes{device=\"dummy0\"} 9000\n");
	collector_netclass.cleanup(st);
	free(st);
	buf_free(&out);
}
