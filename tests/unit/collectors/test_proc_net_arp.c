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

extern const struct collector collector_arp;
#define COLLECTOR collector_arp

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
	snprintf(root, sizeof(root), "/tmp/vigil-arp-XXXXXX");
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

TestSuite(arp, .init = setup_tree, .fini = teardown_tree);

#define ARP_HDR "IP address       HW type     Flags       HW address            Mask     Device\n"

Test(arp, counts_per_device)
{
	cr_assert_eq(set_flag("collector.arp.device-exclude", "nope"), 0);
	put("net/arp",
	    ARP_HDR "192.168.1.1    0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0\n"
		    "192.168.1.2    0x1         0x0         00:00:00:00:00:00     *        eth0\n"
		    "\n"
		    "192.168.1.4    0x1         0x2         dd:ee:ff:aa:bb:cc     *        eth1\n"
		    "10.0.0.1       0x1         0x2         de:ad:be:ef:00:00     *        nope\n");
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "# HELP node_arp_entries ARP entries by device\n# TYPE node_arp_entries gauge\n"
		 "node_arp_entries{device=\"eth0\"} 2\nnode_arp_entries{device=\"eth1\"} 1\n");
	HASNT(out, "nope");
	cr_assert_eq(set_flag("collector.arp.device-exclude", ""), 0);
	cr_assert_eq(set_flag("collector.arp.device-include", "^eth1$"), 0);
	cr_assert_eq(scrape(NULL, &out), 0);
	HAS(out, "node_arp_entries{device=\"eth1\"} 1\n");
	HASNT(out, "eth0");
	cr_assert_eq(set_flag("collector.arp.device-include", ""), 0);
	buf_free(&out);
}

Test(arp, empty_table_and_errors)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape(NULL, &out), -ENOENT);
	put("net/arp", ARP_HDR);
	cr_assert_eq(scrape(NULL, &out), 0);
	HASNT(out, "node_arp_entries");
	put("net/arp", ARP_HDR "192.168.1.1 0x1 0x2 cc:aa:dd:ee:aa:bb\n");
	cr_assert_eq(scrape(NULL, &out), -EINVAL);
	HASNT(out, "node_arp_entries");
	cr_assert_neq(set_flag("collector.arp.device-include", "("), 0);
	cr_assert_eq(set_flag("collector.arp.device-include", ""), 0);
	buf_free(&out);
}

Test(arp, many_devices)
{
	struct buf table = BUF_INIT;
	buf_puts(&table, ARP_HDR);
	for (int i = 0; i < 100; i++)
		buf_printf(&table, "10.0.%d.1 0x1 0x2 00:00:00:00:00:01 * veth%d\n", i, i % 40);
	put("net/arp", table.data);
	struct buf out = BUF_INIT;
	void *st = calloc(1, collector_arp.state_size);
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(scrape(st, &out), 0);
		HAS(out, "node_arp_entries{device=\"veth0\"} 3\n");
		HAS(out, "node_arp_entries{device=\"veth39\"} 2\n");
	}
	collector_arp.cleanup(st);
	free(st);
	buf_free(&out);
	buf_free(&table);
}
