// SPDX-License-Identifier: Apache-2.0
/*
 * dmi collector over generated /sys/class/dmi/id trees: labels of the
 * attributes present, sys_vendor as system_vendor, invalid UTF-8, skipped
 * files, a missing directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_dmi;

HARNESS_SUITE(dmi, "dmi", HARNESS_SYSFS);

Test(dmi, happy)
{
	struct buf out = BUF_INIT;
	harness_put("class/dmi/id/bios_vendor", "Dell Inc.\n");
	harness_put("class/dmi/id/sys_vendor", "  ACME  \n");
	harness_put("class/dmi/id/product_version", "\xff[\xfe\xfd\n");
	harness_put("class/dmi/id/chassis_asset_tag", "\n");
	harness_put("class/dmi/id/chassis_type", "23\n");
	harness_put("class/dmi/id/modalias", "dmi:bvnDell\n");
	harness_mkdirs("class/dmi/id/power");
	harness_link("bios_vendor", "class/dmi/id/board_name"); /* not a regular file */
	cr_assert_eq(harness_setup(&collector_dmi), 0);
	cr_assert_eq(harness_scrape(&collector_dmi, NULL, &out), 0);
	assert_has(&out, "node_dmi_info{bios_vendor=\"Dell Inc.\",chassis_asset_tag=\"\","
			 "product_version=\"\xef\xbf\xbd[\xef\xbf\xbd\",system_vendor=\"ACME\"} 1");
	assert_has(&out, "# TYPE node_dmi_info gauge");
	buf_free(&out);
}

Test(dmi, unreadable_skipped)
{
	struct buf out = BUF_INIT;
	char path[PATH_MAX];
	harness_put("class/dmi/id/product_name", "Box\n");
	harness_put("class/dmi/id/product_uuid", "secret\n");
	chmod(harness_path(path, "class/dmi/id/product_uuid"), 0);
	if (geteuid() == 0)
		cr_skip_test("root reads mode-0 files");
	cr_assert_eq(harness_setup(&collector_dmi), 0);
	cr_assert_eq(harness_scrape(&collector_dmi, NULL, &out), 0);
	assert_has(&out, "node_dmi_info{product_name=\"Box\"} 1");
	buf_free(&out);
}

Test(dmi, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_dmi), 0);
	cr_assert_eq(harness_scrape(&collector_dmi, NULL, &out), -ENODATA);
	cr_assert_str_empty(out.data);
	/* only files we do not label: no data either */
	harness_put("class/dmi/id/chassis_type", "23\n");
	cr_assert_eq(harness_setup(&collector_dmi), 0);
	cr_assert_eq(harness_scrape(&collector_dmi, NULL, &out), -ENODATA);
	buf_free(&out);
}

Test(dmi, directories_skipped)
{
	struct buf out = BUF_INIT;
	harness_put("class/dmi/id/bios_vendor", "x\n");
	harness_mkdirs("class/dmi/id/bios_date");
	cr_assert_eq(harness_setup(&collector_dmi), 0);
	cr_assert_eq(harness_scrape(&collector_dmi, NULL, &out), 0);
	assert_has(&out, "node_dmi_info{bios_vendor=\"x\"} 1");
	buf_free(&out);
}
