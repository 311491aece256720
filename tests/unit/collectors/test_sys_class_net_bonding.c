// SPDX-License-Identifier: Apache-2.0
/*
 * bonding collector over generated /sys/class/net trees: slave counts,
 * lower_ and slave_ layouts, a master without slaves, missing files.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_bonding;

HARNESS_SUITE(bonding, "bonding", HARNESS_SYSFS);

Test(bonding, happy)
{
	harness_put("class/net/bonding_masters", "bond0 dmz\tint\n");
	harness_put("class/net/bond0/bonding/slaves", "\n");
	harness_put("class/net/dmz/bonding/slaves", "eth0 eth4\n");
	harness_put("class/net/dmz/lower_eth0/bonding_slave/mii_status", "up\n");
	harness_put("class/net/dmz/lower_eth4/bonding_slave/mii_status", " up \n");
	harness_put("class/net/int/bonding/slaves", "eth5 eth1\n");
	harness_put("class/net/int/slave_eth5/bonding_slave/mii_status", "down\n");
	harness_put("class/net/int/slave_eth1/bonding_slave/mii_status", "up\n");
	harness_assert_scrape(
		&collector_bonding, 0,
		"# HELP node_bonding_active Number of active slaves per bonding interface.\n"
		"# TYPE node_bonding_active gauge\n"
		"node_bonding_active{master=\"bond0\"} 0\n"
		"node_bonding_active{master=\"dmz\"} 2\n"
		"node_bonding_active{master=\"int\"} 1\n"
		"# HELP node_bonding_slaves Number of configured slaves per bonding interface.\n"
		"# TYPE node_bonding_slaves gauge\n"
		"node_bonding_slaves{master=\"bond0\"} 0\n"
		"node_bonding_slaves{master=\"dmz\"} 2\n"
		"node_bonding_slaves{master=\"int\"} 2\n");
}

Test(bonding, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_bonding, NULL, &out), -ENODATA);
	harness_put("class/net/bonding_masters", "bond0\n");
	cr_assert_eq(harness_scrape(&collector_bonding, NULL, &out), -ENODATA);
	harness_put("class/net/bond0/bonding/slaves", "eth0\n");
	cr_assert_eq(harness_scrape(&collector_bonding, NULL, &out), -ENODATA);
	cr_assert_str_empty(out.data);
	/* a status that is a directory is an error, not "no data" */
	harness_mkdirs("class/net/bond0/lower_eth0/bonding_slave/mii_status");
	cr_assert_eq(harness_scrape(&collector_bonding, NULL, &out), -EISDIR);
	/* no masters: success with empty families */
	harness_put("class/net/bonding_masters", "\n");
	cr_assert_eq(harness_scrape(&collector_bonding, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}
