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

extern const struct collector collector_thermal_zone;

static char root[256];

static void put(const char *rel, const char *text)
{
	char cmd[1200], path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	cr_assert_eq(system(cmd), 0);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/vigil-thermal-XXXXXX");
	cr_assert(mkdtemp(root));
	host_roots.sysfs = root;
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", root);
}

static char *scrape(int *rc)
{
	struct expo_set *set = expo_set_new();
	*rc = collector_thermal_zone.collect(NULL, set);
	struct buf out = BUF_INIT;
	expo_set_render(set, &out);
	buf_puts(&out, "");
	expo_set_free(set);
	return buf_detach(&out, NULL);
}

TestSuite(thermal, .init = setup, .fini = teardown);

Test(thermal, zones_and_cooling_devices)
{
	put("class/thermal/thermal_zone0/type", "x86_pkg_temp\n");
	put("class/thermal/thermal_zone0/policy", "step_wise\n");
	put("class/thermal/thermal_zone0/temp", "-12376\n");
	put("class/thermal/thermal_zone10/type", "acpitz\n");
	put("class/thermal/thermal_zone10/policy", "step_wise\n");
	put("class/thermal/thermal_zone10/temp", "9223372036854775807\n");
	put("class/thermal/cooling_device0/type", "intel_powerclamp\n");
	put("class/thermal/cooling_device0/cur_state", "-1\n");
	put("class/thermal/cooling_device0/max_state", "50\n");
	int rc;
	char *t = scrape(&rc);
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
	char *t = scrape(&rc);
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(t, "");
	free(t);
}

Test(thermal, garbage_and_missing_attributes_fail)
{
	put("class/thermal/thermal_zone0/type", "a\n");
	put("class/thermal/thermal_zone0/policy", "b\n");
	put("class/thermal/thermal_zone0/temp", "12a\n");
	int rc;
	char *t = scrape(&rc);
	cr_assert_eq(rc, -EBADMSG);
	free(t);
	put("class/thermal/thermal_zone0/temp", "1000\n");
	put("class/thermal/cooling_device0/type", "fan\n");
	put("class/thermal/cooling_device0/max_state", "3\n");
	t = scrape(&rc);
	cr_assert_eq(rc, -ENOENT, "cur_state missing: rc %d", rc);
	cr_assert(strstr(t, "node_thermal_zone_temp{type=\"a\",zone=\"0\"} 1\n"));
	free(t);
	put("class/thermal/cooling_device0/cur_state", "\n");
	t = scrape(&rc);
	cr_assert_eq(rc, -EBADMSG);
	free(t);
}
