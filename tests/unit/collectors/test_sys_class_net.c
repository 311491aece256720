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

extern const struct collector collector_netclass;
#define COLLECTOR collector_netclass

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
	snprintf(root, sizeof(root), "/tmp/vigil-netclass-XXXXXX");
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

TestSuite(netclass, .init = setup_tree, .fini = teardown_tree);

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
		put(rel, val);
	}
	put("class/net/bonding_masters", "bond0\n");
	char link[512];
	snprintf(link, sizeof(link), "%s/class/net/eth0", root);
	cr_assert_eq(symlink("../../" DEV, link), 0);
}

Test(netclass, symlinked_device)
{
	cr_assert_eq(set_flag("collector.netclass.ignored-devices", "^$"), 0);
	eth0();
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out,
	    "# HELP node_network_info Non-numeric data from /sys/class/net/<iface>, value is "
	    "always 1.\n# TYPE node_network_info gauge\n"
	    "node_network_info{address=\"01:01:01:01:01:01\",adminstate=\"up\","
	    "broadcast=\"ff:ff:ff:ff:ff:ff\",device=\"eth0\",duplex=\"full\",ifalias=\"uplink\","
	    "operstate=\"up\"} 1\n");
	HAS(out, "# HELP node_network_up Value is 1 if operstate is 'up', 0 otherwise.\n"
		 "# TYPE node_network_up gauge\nnode_network_up{device=\"eth0\"} 1\n");
	HAS(out, "# HELP node_network_flags Network device property: flags\n"
		 "# TYPE node_network_flags gauge\nnode_network_flags{device=\"eth0\"} 4867\n");
	HAS(out, "# TYPE node_network_carrier_changes_total counter\n"
		 "node_network_carrier_changes_total{device=\"eth0\"} 2\n");
	HAS(out, "node_network_carrier_up_changes_total{device=\"eth0\"} 1\n");
	HAS(out, "node_network_device_id{device=\"eth0\"} 32\n");
	HAS(out, "node_network_speed_bytes{device=\"eth0\"} 1.25e+08\n");
	HAS(out, "node_network_iface_id{device=\"eth0\"} 2\n");
	HAS(out, "node_network_iface_link_mode{device=\"eth0\"} 1\n");
	HAS(out, "node_network_mtu_bytes{device=\"eth0\"} 1500\n");
	HAS(out, "node_network_net_dev_group{device=\"eth0\"} 0\n");
	HAS(out, "node_network_transmit_queue_length{device=\"eth0\"} 1000\n");
	HAS(out, "node_network_protocol_type{device=\"eth0\"} 1\n");
	HASNT(out, "bonding_masters");
	cr_assert_eq(set_flag("collector.netclass.ignored-devices", "^eth"), 0);
	cr_assert_eq(scrape(NULL, &out), 0);
	HASNT(out, "eth0");
	cr_assert_eq(set_flag("collector.netclass.ignored-devices", "^$"), 0);
	buf_free(&out);
}

Test(netclass, odd_values)
{
	cr_assert_eq(set_flag("collector.netclass.ignored-devices", "^$"), 0);
	cr_assert_eq(set_flag("collector.netclass.ignore-invalid-speed", "false"), 0);
	eth0();
	put(DEV "speed", "-1\n");
	put(DEV "mtu", "garbage\n");
	put(DEV "flags", "0x1002\n");
	put(DEV "tx_queue_len", "99999999999999999999\n");
	char path[512];
	snprintf(path, sizeof(path), "%s/" DEV "carrier", root);
	cr_assert_eq(unlink(path), 0);
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "node_network_speed_bytes{device=\"eth0\"} -125000\n");
	HAS(out, "node_network_mtu_bytes{device=\"eth0\"} 0\n");
	HAS(out, "node_network_transmit_queue_length{device=\"eth0\"} 0\n");
	HAS(out, "adminstate=\"down\"");
	HASNT(out, "node_network_carrier{");
	cr_assert_eq(set_flag("collector.netclass.ignore-invalid-speed", "true"), 0);
	cr_assert_eq(scrape(NULL, &out), 0);
	HASNT(out, "speed_bytes");
	cr_assert_eq(set_flag("collector.netclass.ignore-invalid-speed", "false"), 0);
	/* no flags attribute: adminstate unknown; a plain directory is a device too */
	snprintf(path, sizeof(path), "%s/" DEV "flags", root);
	cr_assert_eq(unlink(path), 0);
	put("class/net/dummy0/operstate", "down\n");
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "adminstate=\"unknown\"");
	HAS(out, "node_network_info{address=\"\",adminstate=\"unknown\",broadcast=\"\","
		 "device=\"dummy0\",duplex=\"\",ifalias=\"\",operstate=\"down\"} 1\n");
	HAS(out, "node_network_up{device=\"dummy0\"} 0\n");
	buf_free(&out);
}

Test(netclass, missing_and_broken)
{
	cr_assert_eq(set_flag("collector.netclass.ignored-devices", "^$"), 0);
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), -ENODATA);
	HASNT(out, "node_network");
	eth0();
	/* a device link to something that is not a directory fails the collector */
	char link[512];
	snprintf(link, sizeof(link), "%s/class/net/zz0", root);
	cr_assert_eq(symlink("bonding_masters", link), 0);
	cr_assert_eq(scrape(NULL, &out), -ENOTDIR);
	HASNT(out, "node_network");
	buf_free(&out);
}

Test(netclass, bad_regex)
{
	cr_assert_neq(set_flag("collector.netclass.ignored-devices", "(?<"), 0);
	cr_assert_eq(set_flag("collector.netclass.ignored-devices", "^$"), 0);
}

Test(netclass, reused_state_sees_new_devices)
{
	cr_assert_eq(set_flag("collector.netclass.ignored-devices", "^$"), 0);
	eth0();
	void *st = calloc(1, collector_netclass.state_size);
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(st, &out), 0);
	HAS(out, "node_network_up{device=\"eth0\"} 1\n");
	HASNT(out, "dummy0");
	put("class/net/dummy0/mtu", "9000\n");
	cr_assert_eq(scrape(st, &out), 0);
	HAS(out, "node_network_up{device=\"eth0\"} 1\n");
	HAS(out, "node_network_mtu_bytes{device=\"dummy0\"} 9000\n");
	collector_netclass.cleanup(st);
	free(st);
	buf_free(&out);
}
