// SPDX-License-Identifier: Apache-2.0
/*
 * powersupplyclass collector over generated /sys/class/power_supply trees:
 * scaled gauges and the info labels, skipped attributes, the ignore
 * regex, a value that is not a number, a missing class directory.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_powersupplyclass;

HARNESS_SUITE(psu, "psu", HARNESS_SYSFS);

static void put_battery(void)
{
	harness_put("class/power_supply/AC/online", "0\n");
	harness_put("class/power_supply/AC/type", "Mains\n");
	harness_put("class/power_supply/AC/uevent", "POWER_SUPPLY_NAME=AC\n");
	harness_put("class/power_supply/BAT0/capacity", "81\n");
	harness_put("class/power_supply/BAT0/cycle_count", "0x10\n");
	harness_put("class/power_supply/BAT0/energy_now", "36580000\n");
	harness_put("class/power_supply/BAT0/current_now", "-1500000\n");
	harness_put("class/power_supply/BAT0/temp", "255\n");
	harness_put("class/power_supply/BAT0/power_avg", "1\n");
	harness_put("class/power_supply/BAT0/model_name", "LNV-45N1\xff\xfe\n");
	harness_put("class/power_supply/BAT0/status", "Discharging\n");
	harness_put("class/power_supply/BAT0/health", "\n");
	harness_put("class/power_supply/BAT0/alarm", "2369000\n");
	harness_mkdirs("class/power_supply/BAT0/power");
}

Test(psu, happy)
{
	struct buf out = BUF_INIT;
	put_battery();
	cr_assert_eq(harness_flag_setup(&collector_powersupplyclass,
					"collector.powersupply.ignored-supplies", "^$"),
		     0);
	cr_assert_eq(harness_scrape(&collector_powersupplyclass, NULL, &out), 0);
	assert_has(&out, "# HELP node_power_supply_capacity capacity value of "
			 "/sys/class/power_supply/<power_supply>.");
	assert_has(&out, "# TYPE node_power_supply_capacity gauge");
	assert_has(&out, "node_power_supply_capacity{power_supply=\"BAT0\"} 81");
	assert_has(&out, "node_power_supply_cyclecount{power_supply=\"BAT0\"} 16");
	assert_has(&out, "node_power_supply_energy_watthour{power_supply=\"BAT0\"} 36.58");
	assert_has(&out, "node_power_supply_current_ampere{power_supply=\"BAT0\"} -1.5");
	assert_has(&out, "node_power_supply_temp_celsius{power_supply=\"BAT0\"} 25.5");
	assert_has(&out, "node_power_supply_online{power_supply=\"AC\"} 0");
	assert_has(&out, "node_power_supply_info{power_supply=\"AC\",type=\"Mains\"} 1");
	assert_has(&out, "node_power_supply_info{model_name=\"LNV-45N1\xef\xbf\xbd\","
			 "power_supply=\"BAT0\",status=\"Discharging\"} 1");
	assert_lacks(&out, "power_avg");
	assert_lacks(&out, "alarm");
	assert_lacks(&out, "health");
	buf_free(&out);
}

Test(psu, ignored)
{
	struct buf out = BUF_INIT;
	put_battery();
	cr_assert_eq(harness_flag_setup(&collector_powersupplyclass,
					"collector.powersupply.ignored-supplies", "^BAT"),
		     0);
	cr_assert_eq(harness_scrape(&collector_powersupplyclass, NULL, &out), 0);
	assert_lacks(&out, "BAT0");
	assert_has(&out, "node_power_supply_online{power_supply=\"AC\"} 0");
	cr_assert_neq(harness_flag_setup(&collector_powersupplyclass,
					 "collector.powersupply.ignored-supplies", "(["),
		      0);
	cr_assert_eq(harness_flag_setup(&collector_powersupplyclass,
					"collector.powersupply.ignored-supplies", "^$"),
		     0);
	buf_free(&out);
}

Test(psu, garbage)
{
	static const char *const bad[] = {"x\n", "1.5\n", "12abc\n", "99999999999999999999\n"};
	static const int code[] = {-EINVAL, -EINVAL, -EINVAL, -ERANGE};
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_powersupplyclass), 0);
	put_battery();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("class/power_supply/BAT0/voltage_avg", bad[i]);
		cr_assert_eq(harness_scrape(&collector_powersupplyclass, NULL, &out), code[i],
			     "accepted '%s'", bad[i]);
		cr_assert_str_empty(out.data);
	}
	/* a supply that is not a directory fails too */
	harness_rm("class/power_supply/BAT0/voltage_avg");
	harness_put("class/power_supply/zz", "x\n");
	cr_assert_eq(harness_scrape(&collector_powersupplyclass, NULL, &out), -ENOTDIR);
	buf_free(&out);
}

Test(psu, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_setup(&collector_powersupplyclass), 0);
	cr_assert_eq(harness_scrape(&collector_powersupplyclass, NULL, &out), -ENODATA);
	/* an empty class: success, nothing */
	harness_mkdirs("class/power_supply");
	cr_assert_eq(harness_scrape(&collector_powersupplyclass, NULL, &out), 0);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}
