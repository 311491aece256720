// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_thermal_zone;

HARNESS_SUITE(thermal, "thermal", HARNESS_SYSFS);

Test(thermal, zones_and_cooling_devices)
{
	harness_put("class/thermal/thermal_zone0/type", "x86_pkg_temp\n");
	harness_put("class/thermal/thermal_zone0/policy", "step_wise\n");
	harness_put("class/thermal/thermal_zone0/temp", "-12376\n");
	harness_put("class/thermal/thermal_zone10/type", "acpitz\n");
	harness_put("class/thermal/thermal_zone10/policy", "step_wise\n");
	harness_put("class/thermal/thermal_zone10/temp", "9223372036854775807\n");
	harness_put("class/thermal/cooling_device0/type", "intel_powerclamp\n");
	harness_put("class/thermal/cooling_device0/cur_state", "-1\n");
	harness_put("class/thermal/cooling_device0/max_state", "50\n");
	int rc;
	char *t = harness_scrape_text(&collector_thermal_zone, NULL, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(
		t, "# HELP node_cooling_device_cur_state Current throttle state of the cooling "
		   "device\n"
		   "# TYPE node_cooling_device_cur_state gauge\n"
		   "node_cooling_device_cur_state{name=\"0\",type=\"intel_powerclamp\"} -1\n"
		   "# HELP node_cooling_device_max_state Maximum throttle state of the cooling "
		   "device\n"
		   "# TYPE node_cooling_device_max_state gauge\n"
		   "node_cooling_device_max_state{name=\"0\",type=\"intel_powerclamp\"} 50\n"
		   "# HELP node_thermal_zone_temp Zone temperature in Celsius\n"
		   "# TYPE node_thermal_zone_temp gauge\n"
		   "node_thermal_zone_temp{type=\"acpitz\",zone=\"10\"} 9.223372036854776e+15\n"
		   "node_thermal_zone_temp{type=\"x86_pkg_temp\",zone=\"0\"} -12.376\n");
	free(t);
}

Test(thermal, nothing_there_is_success)
{
	int rc;
	char *t = harness_scrape_text(&collector_thermal_zone, NULL, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(t, "");
	free(t);
}

Test(thermal, garbage_and_missing_attributes_fail)
{
	harness_put("class/thermal/thermal_zone0/type", "a\n");
	harness_put("class/thermal/thermal_zone0/policy", "b\n");
	harness_put("class/thermal/thermal_zone0/temp", "12a\n");
	int rc;
	char *t = harness_scrape_text(&collector_thermal_zone, NULL, &rc);
	cr_assert_eq(rc, -EBADMSG);
	free(t);
	harness_put("class/thermal/thermal_zone0/temp", "1000\n");
	harness_put("class/thermal/cooling_device0/type", "fan\n");
	harness_put("class/thermal/cooling_device0/max_state", "3\n");
	t = harness_scrape_text(&collector_thermal_zone, NULL, &rc);
	cr_assert_eq(rc, -ENOENT, "cur_state missing: rc %d", rc);
	cr_assert(strstr(t, "node_thermal_zone_temp{type=\"a\",zone=\"0\"} 1\n"));
	free(t);
	harness_put("class/thermal/cooling_device0/cur_state", "\n");
	t = harness_scrape_text(&collector_thermal_zone, NULL, &rc);
	cr_assert_eq(rc, -EBADMSG);
	free(t);
}
