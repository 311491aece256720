// SPDX-License-Identifier: Apache-2.0
/*
 * time: node_time_seconds (the wall clock), node_time_zone_offset_seconds
 * {time_zone} (the local zone's abbreviation and UTC offset, from TZ or
 * /etc/localtime as localtime(3) finds them), and the clock sources of
 * /sys/devices/system/clocksource/clocksource<N>/{available,current}_clocksource
 * as node_time_clocksource_{available,current}_info{device,clocksource}.
 * "device" is the position of the directory in sorted order, as
 * node_exporter numbers it.  No clocksource directory: no such metrics.
 * Documentation:
 * https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-devices-system-clocksource
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

/* glob(3)'s "clocksource[0-9]*". */
static bool is_clocksource(const char *name)
{
	return !strncmp(name, "clocksource", 11) && name[11] >= '0' && name[11] <= '9';
}

static int clocksources_collect(struct expo_set *out)
{
	char base[PATH_MAX], dir[PATH_MAX];
	struct dir_list g = {0};
	int rc = dir_list_read(&g, sys_path(base, "devices/system/clocksource"), is_clocksource);
	if (rc < 0 || !g.n) {
		dir_list_free(&g);
		return 0;
	}
	struct expo_family *avail = expo_family(
		out, "node_time_clocksource_available_info",
		"Available clocksources read from '/sys/devices/system/clocksource'.", EXPO_GAUGE);
	struct expo_family *cur = expo_family(
		out, "node_time_clocksource_current_info",
		"Current clocksource read from '/sys/devices/system/clocksource'.", EXPO_GAUGE);
	rc = 0;
	for (size_t i = 0; i < g.n; i++) {
		char abuf[1024], cbuf[256], *a, *c, dev[24];
		path_join(dir, base, g.v[i]);
		rc = read_dir_attr(dir, "available_clocksource", abuf, sizeof(abuf), &a);
		if (rc == 0)
			rc = read_dir_attr(dir, "current_clocksource", cbuf, sizeof(cbuf), &c);
		if (rc < 0) {
			log_debug("time: reading clocksource %s failed", dir);
			goto out;
		}
		snprintf(dev, sizeof(dev), "%zu", i);
		char *save = NULL;
		for (char *w = strtok_r(a, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
			expo_addl(avail, 1, "device", dev, "clocksource", w, NULL);
		expo_addl(cur, 1, "device", dev, "clocksource", c, NULL);
	}
out:
	dir_list_free(&g);
	return rc;
}

static int time_collect(void *state, struct expo_set *out)
{
	(void)state;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	expo_add(expo_family(out, "node_time_seconds", "System time in seconds since epoch (1970).",
			     EXPO_GAUGE),
		 NULL, 0, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	struct tm tm;
	time_t now = ts.tv_sec;
	if (localtime_r(&now, &tm))
		expo_addl(expo_family(out, "node_time_zone_offset_seconds",
				      "System time zone offset in seconds.", EXPO_GAUGE),
			  (double)tm.tm_gmtoff, "time_zone", tm.tm_zone ? tm.tm_zone : "", NULL);
	return clocksources_collect(out);
}

const struct collector collector_time = {
	.name = "time",
	.default_on = true,
	.collect = time_collect,
};
