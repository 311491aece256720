// SPDX-License-Identifier: Apache-2.0
/* time, timex and uname: clocksource trees generated in a temp dir, and
 * sanity of the values the kernel gives. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_time;
extern const struct collector collector_timex;
extern const struct collector collector_uname;

HARNESS_SUITE(time, "time", HARNESS_SYSFS);

Test(time, clocksources_numbered_by_position)
{
	harness_put("devices/system/clocksource/clocksource0/available_clocksource",
		    "tsc hpet  acpi_pm \n");
	harness_put("devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
	harness_put("devices/system/clocksource/clocksource7/available_clocksource", "\n");
	harness_put("devices/system/clocksource/clocksource7/current_clocksource", "jiffies\n");
	setenv("TZ", "UTC", 1);
	tzset();
	int rc;
	char *t = harness_scrape_text(&collector_time, NULL, &rc);
	cr_assert_eq(rc, 0);
	cr_assert(
		strstr(t,
		       "node_time_clocksource_available_info{clocksource=\"acpi_pm\",device=\"0\"} "
		       "1\n"
		       "node_time_clocksource_available_info{clocksource=\"hpet\",device=\"0\"} 1\n"
		       "node_time_clocksource_available_info{clocksource=\"tsc\",device=\"0\"} 1\n"
		       "# HELP"),
		"%s", t);
	cr_assert(strstr(
		t, "node_time_clocksource_current_info{clocksource=\"jiffies\",device=\"1\"} 1\n"));
	cr_assert(strstr(t, "node_time_zone_offset_seconds{time_zone=\"UTC\"} 0\n"));
	const char *s = strstr(t, "\nnode_time_seconds ");
	cr_assert(s);
	double v = strtod(s + 19, NULL);
	cr_assert(v > (double)time(NULL) - 5 && v < (double)time(NULL) + 5, "%f", v);
	free(t);
}

Test(time, zone_offset_follows_tz)
{
	setenv("TZ", "JST-9", 1);
	tzset();
	int rc;
	char *t = harness_scrape_text(&collector_time, NULL, &rc);
	cr_assert_eq(rc, 0);
	cr_assert(strstr(t, "node_time_zone_offset_seconds{time_zone=\"JST\"} 32400\n"), "%s", t);
	free(t);
	setenv("TZ", "UTC", 1);
	tzset();
}

Test(time, missing_clocksources_still_gives_time)
{
	int rc;
	char *t = harness_scrape_text(&collector_time, NULL, &rc);
	cr_assert_eq(rc, 0);
	cr_assert(strstr(t, "node_time_seconds "));
	cr_assert_null(strstr(t, "clocksource"));
	free(t);
	/* a clocksource directory without its files fails */
	harness_put("devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
	t = harness_scrape_text(&collector_time, NULL, &rc);
	cr_assert_eq(rc, -ENOENT);
	free(t);
}

Test(time, timex_families)
{
	int rc;
	char *t = harness_scrape_text(&collector_timex, NULL, &rc);
	cr_assert(rc == 0 || rc == -EPERM);
	if (rc == 0) {
		static const char *const fams[] = {
			"node_timex_sync_status",
			"node_timex_offset_seconds",
			"node_timex_frequency_adjustment_ratio",
			"node_timex_maxerror_seconds",
			"node_timex_estimated_error_seconds",
			"node_timex_status",
			"node_timex_loop_time_constant",
			"node_timex_tick_seconds",
			"node_timex_pps_frequency_hertz",
			"node_timex_pps_jitter_seconds",
			"node_timex_pps_shift_seconds",
			"node_timex_pps_stability_hertz",
			"node_timex_pps_jitter_total",
			"node_timex_pps_calibration_total",
			"node_timex_pps_error_total",
			"node_timex_pps_stability_exceeded_total",
			"node_timex_tai_offset_seconds",
		};
		for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
			char line[128];
			snprintf(line, sizeof(line), "\n%s ", fams[i]);
			cr_assert(strstr(t, line), "missing %s", fams[i]);
		}
		cr_assert(strstr(t, "# TYPE node_timex_pps_error_total counter\n"));
		/* USER_HZ ticks: 0.01 s at 100 Hz, never 0 */
		const char *s = strstr(t, "\nnode_timex_tick_seconds ");
		double tick = strtod(s + 25, NULL);
		cr_assert(tick > 0 && tick < 1, "%f", tick);
	}
	free(t);
}

Test(time, uname_labels)
{
	struct utsname u;
	cr_assert_eq(uname(&u), 0);
	int rc;
	char *t = harness_scrape_text(&collector_uname, NULL, &rc);
	cr_assert_eq(rc, 0);
	char want[1024];
	snprintf(want, sizeof(want),
		 "node_uname_info{domainname=\"%s\",machine=\"%s\",nodename=\"%s\",", u.domainname,
		 u.machine, u.nodename);
	cr_assert(strstr(t, want), "%s", t);
	cr_assert(strstr(t, "sysname=\"Linux\""));
	free(t);
}
