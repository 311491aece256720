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

extern const struct collector collector_hwmon;

static char root[256];

static void mkdirs(const char *rel)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	cr_assert_eq(system(cmd), 0);
}

static void put(const char *rel, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(symlink(target, path), 0, "symlink %s", path);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/vigil-hwmon-XXXXXX");
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
	void *state = calloc(1, collector_hwmon.state_size);
	struct expo_set *set = expo_set_new();
	*rc = collector_hwmon.collect(state, set);
	struct buf out = BUF_INIT;
	expo_set_render(set, &out);
	buf_puts(&out, "");
	collector_hwmon.cleanup(state);
	free(state);
	expo_set_free(set);
	return buf_detach(&out, NULL);
}

#define HAS(text, line) cr_assert(strstr(text, line "\n"), "missing line %s in:\n%s", line, text)
#define HASNT(text, s)	cr_assert(!strstr(text, s), "unexpected %s in:\n%s", s, text)

/* A platform device with two hwmon nodes (they collide), plus a bare one. */
static void build_tree(void)
{
	mkdirs("devices/platform/coretemp.0/hwmon/hwmon0/power");
	mkdirs("devices/platform/coretemp.0/hwmon/hwmon1");
	mkdirs("devices/virtual/hwmon/hwmon2");
	mkdirs("class/hwmon");
	link_to("../../devices/platform/coretemp.0/hwmon/hwmon0", "class/hwmon/hwmon0");
	link_to("../../devices/platform/coretemp.0/hwmon/hwmon1", "class/hwmon/hwmon1");
	link_to("../../devices/virtual/hwmon/hwmon2", "class/hwmon/hwmon2");
	link_to("../../../coretemp.0", "devices/platform/coretemp.0/hwmon/hwmon0/device");
	link_to("../../../coretemp.0", "devices/platform/coretemp.0/hwmon/hwmon1/device");

	const char *h0 = "devices/platform/coretemp.0/hwmon/hwmon0/";
	char p[256];
#define H0(f, v) (snprintf(p, sizeof(p), "%s%s", h0, f), put(p, v))
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
	put("devices/platform/coretemp.0/hwmon/hwmon1/name", "coretemp\n");
	put("devices/platform/coretemp.0/hwmon/hwmon1/temp1_input", "-5000\n");
	put("devices/virtual/hwmon/hwmon2/name", "ACPI Thermal\n");
	put("devices/virtual/hwmon/hwmon2/temp1_input", "30000\n");
	put("devices/virtual/hwmon/hwmon2/temp1_label", "bad \xff label\n");
#undef H0
}

TestSuite(hwmon, .init = setup, .fini = teardown);

Test(hwmon, names_units_and_garbage)
{
	build_tree();
	int rc;
	char *t = scrape(&rc);
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
	char *t = scrape(&rc);
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
	char *t = scrape(&rc);
	cr_assert_eq(rc, -ENOENT);
	cr_assert_str_eq(t, "");
	free(t);
}

Test(hwmon, entries_that_are_not_directories_are_skipped)
{
	mkdirs("class/hwmon/hwmon0");
	put("class/hwmon/hwmon0/name", "chip\n");
	put("class/hwmon/hwmon0/temp1_input", "1000\n");
	put("class/hwmon/hwmon1", "not a directory\n");
	link_to("/nonexistent/target", "class/hwmon/hwmon2");
	int rc;
	char *t = scrape(&rc);
	cr_assert_eq(rc, 0);
	HAS(t, "node_hwmon_temp_celsius{chip=\"chip\",sensor=\"temp1\"} 1");
	HASNT(t, "hwmon1");
	free(t);
}
