// SPDX-License-Identifier: Apache-2.0
/*
 * rapl collector over generated /sys/class/powercap trees: zone names and
 * indexes, the zone-label form, name sanitising, missing and bad files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_rapl;

HARNESS_SUITE(rapl, "rapl", HARNESS_SYSFS);

static void put_zone(const char *dir, const char *name, const char *uj)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "class/powercap/%s/name", dir);
	harness_put(rel, name);
	snprintf(rel, sizeof(rel), "class/powercap/%s/max_energy_range_uj", dir);
	harness_put(rel, "262143328850\n");
	snprintf(rel, sizeof(rel), "class/powercap/%s/energy_uj", dir);
	harness_put(rel, uj);
}

Test(rapl, happy)
{
	struct buf out = BUF_INIT;
	char line[PATH_MAX + 128], root[PATH_MAX];
	put_zone("intel-rapl:0", "package-0\n", "240422366267\n");
	put_zone("intel-rapl:0:0", "core\n", "118821284256\n");
	put_zone("intel-rapl:0:1", "core\n", "1000000\n");
	put_zone("intel-rapl:1", "psys-x.y\n", "5\n");
	harness_put("class/powercap/intel-rapl/enabled", "1\n"); /* no name: not a zone */
	cr_assert_eq(harness_flag_setup(&collector_rapl, "collector.rapl.enable-zone-label", "false"), 0);
	cr_assert_eq(harness_scrape(&collector_rapl, NULL, &out), 0);
	harness_path(root, "class/powercap");
	assert_has(&out, "# HELP node_rapl_package_joules_total Current RAPL package value in joules");
	assert_has(&out, "# TYPE node_rapl_package_joules_total counter");
	snprintf(line, sizeof(line),
		 "node_rapl_package_joules_total{index=\"0\",path=\"%s/intel-rapl:0\"} 240422.366267", root);
	assert_has(&out, line);
	snprintf(line, sizeof(line),
		 "node_rapl_core_joules_total{index=\"0\",path=\"%s/intel-rapl:0:0\"} 118821.284256", root);
	assert_has(&out, line);
	snprintf(line, sizeof(line), "node_rapl_core_joules_total{index=\"1\",path=\"%s/intel-rapl:0:1\"} 1",
		 root);
	assert_has(&out, line);
	/* "psys-x.y" has no integer suffix: the whole name, sanitised */
	assert_has(&out, "# HELP node_rapl_psys_x_y_joules_total Current RAPL psys-x.y value in joules");

	cr_assert_eq(harness_flag_setup(&collector_rapl, "collector.rapl.enable-zone-label", "true"), 0);
	cr_assert_eq(harness_scrape(&collector_rapl, NULL, &out), 0);
	snprintf(line, sizeof(line),
		 "node_rapl_joules_total{index=\"1\",path=\"%s/intel-rapl:0:1\",rapl_zone=\"core\"} 1", root);
	assert_has(&out, line);
	assert_lacks(&out, "node_rapl_core_joules_total");
	cr_assert_eq(harness_flag_setup(&collector_rapl, "collector.rapl.enable-zone-label", "false"), 0);
	buf_free(&out);
}

Test(rapl, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_rapl, NULL, &out), -ENODATA);
	/* no max_energy_range_uj: no data as well */
	harness_put("class/powercap/intel-rapl:0/name", "package-0\n");
	cr_assert_eq(harness_scrape(&collector_rapl, NULL, &out), -ENODATA);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}

Test(rapl, garbage)
{
	struct buf out = BUF_INIT;
	put_zone("intel-rapl:0", "package-0\n", "12x\n");
	cr_assert_eq(harness_scrape(&collector_rapl, NULL, &out), -EINVAL);
	put_zone("intel-rapl:0", "package-0\n", "-1\n");
	cr_assert_eq(harness_scrape(&collector_rapl, NULL, &out), -EINVAL);
	put_zone("intel-rapl:0", "package-0\n", "1\n");
	harness_put("class/powercap/intel-rapl:0/max_energy_range_uj", "max\n");
	cr_assert_eq(harness_scrape(&collector_rapl, NULL, &out), -EINVAL);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}
