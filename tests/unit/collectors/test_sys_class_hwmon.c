// SPDX-License-Identifier: Apache-2.0
/*
 * hwmon over small sysfs trees generated in a temp dir: chip naming and
 * disambiguation, units, garbage and huge values, unreadable entries,
 * filters, and a missing class directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_hwmon;

#define HAS(text, line) cr_assert(strstr(text, line "\n"), "missing line %s in:\n%s", line, text)
#define HASNT(text, s)	cr_assert(!strstr(text, s), "unexpected %s in:\n%s", s, text)

/* A platform device with two hwmon nodes (they collide), plus a bare one. */
static void build_tree(void)
{
	harness_mkdirs("devices/platform/coretemp.0/hwmon/hwmon0/power");
	harness_mkdirs("devices/platform/coretemp.0/hwmon/hwmon1");
	harness_mkdirs("devices/virtual/hwmon/hwmon2");
	harness_mkdirs("class/hwmon");
	harness_link("../../devices/platform/coretemp.0/hwmon/hwmon0", "class/hwmon/hwmon0");
	harness_link("../../devices/platform/coretemp.0/hwmon/hwmon1", "class/hwmon/hwmon1");
	harness_link("../../devices/virtual/hwmon/hwmon2", "class/hwmon/hwmon2");
	harness_link("../../../coretemp.0", "devices/platform/coretemp.0/hwmon/hwmon0/device");
	harness_link("../../../coretemp.0", "devices/platform/coretemp.0/hwmon/hwmon1/device");

	const char *h0 = "devices/platform/coretemp.0/hwmon/hwmon0/";
	char p[256];
#define H0(f, v) (snprintf(p, sizeof(p), "%s%s", h0, f), harness_put(p, v))
	H0("name", "coretemp\n");
	H0("temp1_input", "55000\n");
	H0("temp1_label", "Core 0\n");
	H0("temp1_crit_alarm", "0\n");
	H0("temp1_type", "4\n");
	H0("temp2_input", "garbage\n");		   /* skipped */
	H0("temp3_input", "");			   /* empty: skipped */
	H0("in0_input", "99999999999999999999\n"); /* huge: fine as a float */
	H0("in0_max", "1744\n");
	H0("fan01_input", "1200\n"); /* fan01 is sensor fan1 */
	H0("fan1_beep", "1\n");
	H0("curr1_input", "1500\n");
	H0("power1_input", "2500000\n");
	H0("power1_average_interval", "1000\n");
	H0("energy1_input", "3000000\n");
	H0("humidity1_input", "450000\n");
	H0("update_interval", "1000\n");
	H0("beep_enable", "1\n");
	H0("pwm1", "128\n");
	H0("pwm1_auto_point1_pwm", "64\n");
	H0("temp_foo", "1\n"); /* type "temp_foo": ignored */
	H0("uevent", "x\n");
	harness_put("devices/platform/coretemp.0/hwmon/hwmon1/name", "coretemp\n");
	harness_put("devices/platform/coretemp.0/hwmon/hwmon1/temp1_input", "-5000\n");
	harness_put("devices/virtual/hwmon/hwmon2/name", "ACPI Thermal\n");
	harness_put("devices/virtual/hwmon/hwmon2/temp1_input", "30000\n");
	harness_put("devices/virtual/hwmon/hwmon2/temp1_label", "bad \xff label\n");
#undef H0
}

HARNESS_SUITE(hwmon, "hwmon", HARNESS_SYSFS);

Test(hwmon, names_units_and_garbage)
{
	build_tree();
	int rc;
	char *t = harness_scrape_text(&collector_hwmon, NULL, &rc);
	cr_assert_eq(rc, 0, "rc %d\n%s", rc, t);
	/* two nodes of one device: disambiguated with the hwmonN name (the
	 * name files are equal) */
	HAS(t,
	    "node_hwmon_chip_names{chip=\"platform_coretemp_0_hwmon0\",chip_name=\"coretemp\"} 1");
	HAS(t,
	    "node_hwmon_chip_names{chip=\"platform_coretemp_0_hwmon1\",chip_name=\"coretemp\"} 1");
	HAS(t, "node_hwmon_chip_names{chip=\"acpi_thermal\",chip_name=\"acpi_thermal\"} 1");
	HAS(t, "node_hwmon_temp_celsius{chip=\"platform_coretemp_0_hwmon0\",sensor=\"temp1\"} 55");
	HAS(t, "node_hwmon_temp_celsius{chip=\"platform_coretemp_0_hwmon1\",sensor=\"temp1\"} -5");
	HAS(t, "node_hwmon_temp_crit_alarm_celsius{chip=\"platform_coretemp_0_hwmon0\",sensor="
	       "\"temp1\"} 0");
	HAS(t, "# HELP node_hwmon_temp_type Hardware monitor temp element type");
	HAS(t, "node_hwmon_temp_type{chip=\"platform_coretemp_0_hwmon0\",sensor=\"temp1\"} 4");
	HASNT(t, "sensor=\"temp2\"");
	HASNT(t, "sensor=\"temp3\"");
	HASNT(t, "temp_foo");
	HAS(t, "node_hwmon_sensor_label{chip=\"platform_coretemp_0_hwmon0\",label=\"Core "
	       "0\",sensor=\"temp1\"} 1");
	HAS(t, "node_hwmon_sensor_label{chip=\"acpi_thermal\",label=\"bad \xef\xbf\xbd "
	       "label\",sensor=\"temp1\"} 1");
	HAS(t, "node_hwmon_in_volts{chip=\"platform_coretemp_0_hwmon0\",sensor=\"in0\"} 1e+17");
	HAS(t, "node_hwmon_in_max_volts{chip=\"platform_coretemp_0_hwmon0\",sensor=\"in0\"} 1.744");
	HAS(t, "node_hwmon_fan_rpm{chip=\"platform_coretemp_0_hwmon0\",sensor=\"fan1\"} 1200");
	HAS(t,
	    "node_hwmon_fan_beep_enabled{chip=\"platform_coretemp_0_hwmon0\",sensor=\"fan1\"} 1");
	HAS(t, "node_hwmon_curr_amps{chip=\"platform_coretemp_0_hwmon0\",sensor=\"curr1\"} 1.5");
	HAS(t, "node_hwmon_power_watt{chip=\"platform_coretemp_0_hwmon0\",sensor=\"power1\"} 2.5");
	HAS(t, "node_hwmon_power_average_interval_seconds{chip=\"platform_coretemp_0_hwmon0\","
	       "sensor=\"power1\"} 1");
	HAS(t, "# TYPE node_hwmon_energy_joule_total counter");
	HAS(t, "node_hwmon_energy_joule_total{chip=\"platform_coretemp_0_hwmon0\",sensor="
	       "\"energy1\"} 3");
	HAS(t,
	    "node_hwmon_humidity{chip=\"platform_coretemp_0_hwmon0\",sensor=\"humidity1\"} 0.45");
	HAS(t, "node_hwmon_update_interval_seconds{chip=\"platform_coretemp_0_hwmon0\",sensor="
	       "\"update_interval0\"} 1");
	HAS(t, "node_hwmon_beep_enabled{chip=\"platform_coretemp_0_hwmon0\",sensor=\"beep_"
	       "enable0\"} 1");
	HAS(t, "# HELP node_hwmon_pwm Hardware monitor pwm element ");
	HAS(t, "node_hwmon_pwm{chip=\"platform_coretemp_0_hwmon0\",sensor=\"pwm1\"} 128");
	HAS(t, "node_hwmon_pwm_auto_point1_pwm{chip=\"platform_coretemp_0_hwmon0\",sensor=\"pwm1\"}"
	       " 64");
	free(t);
}

Test(hwmon, chip_filter)
{
	build_tree();
	struct flag_table tab = {"hwmon", collector_hwmon.flags, collector_hwmon.nflags};
	char err[256];
	cr_assert_eq(
		flags_set(&tab, 1, "collector.hwmon.chip-exclude", "^platform_", err, sizeof(err)),
		0, "%s", err);
	cr_assert_eq(collector_hwmon.setup(err, sizeof(err)), 0, "%s", err);
	int rc;
	char *t = harness_scrape_text(&collector_hwmon, NULL, &rc);
	cr_assert_eq(rc, 0);
	HASNT(t, "platform_coretemp");
	HAS(t, "node_hwmon_temp_celsius{chip=\"acpi_thermal\",sensor=\"temp1\"} 30");
	free(t);
	/* include and exclude together are refused, a bad regex too */
	cr_assert_eq(flags_set(&tab, 1, "collector.hwmon.chip-include", "x", err, sizeof(err)), 0);
	cr_assert_lt(collector_hwmon.setup(err, sizeof(err)), 0);
	cr_assert_eq(flags_set(&tab, 1, "collector.hwmon.chip-exclude", "", err, sizeof(err)), 0);
	cr_assert_eq(flags_set(&tab, 1, "collector.hwmon.chip-include", "(", err, sizeof(err)), 0);
	cr_assert_lt(collector_hwmon.setup(err, sizeof(err)), 0);
	cr_assert_eq(flags_set(&tab, 1, "collector.hwmon.chip-include", "", err, sizeof(err)), 0);
}

Test(hwmon, missing_class_is_no_data)
{
	int rc;
	char *t = harness_scrape_text(&collector_hwmon, NULL, &rc);
	cr_assert_eq(rc, -ENODATA); /* ErrNoData: success 0, debug log */
	cr_assert_str_eq(t, "");
	free(t);
}

Test(hwmon, entries_that_are_not_directories_are_skipped)
{
	harness_mkdirs("class/hwmon/hwmon0");
	harness_put("class/hwmon/hwmon0/name", "chip\n");
	harness_put("class/hwmon/hwmon0/temp1_input", "1000\n");
	harness_put("class/hwmon/hwmon1", "not a directory\n");
	harness_link("/nonexistent/target", "class/hwmon/hwmon2");
	int rc;
	char *t = harness_scrape_text(&collector_hwmon, NULL, &rc);
	cr_assert_eq(rc, 0);
	HAS(t, "node_hwmon_temp_celsius{chip=\"chip\",sensor=\"temp1\"} 1");
	HASNT(t, "hwmon1");
	free(t);
}
