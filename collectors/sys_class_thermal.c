// SPDX-License-Identifier: Apache-2.0
/*
 * thermal_zone: /sys/class/thermal/thermal_zone<N>/{type,policy,temp} as
 * node_thermal_zone_temp{zone,type} (millidegrees Celsius / 1000), and
 * /sys/class/thermal/cooling_device<N>/{type,cur_state,max_state} as
 * node_cooling_device_{cur,max}_state{name,type}.
 * Documentation: https://www.kernel.org/doc/html/latest/driver-api/thermal/sysfs-api.html
 *
 * As node_exporter (procfs): a zone whose temp read fails with ENODATA,
 * EINVAL or EAGAIN (a sensor that is off or not ready) is skipped; any
 * other failure to read a required attribute, or a temperature that is not
 * an integer, fails the collector.  No thermal class: nothing, success.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

/* glob(3)'s "<prefix>[0-9]*": the name goes on with a digit after prefix. */
static bool numbered(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(name, prefix, n) && name[n] >= '0' && name[n] <= '9';
}

static bool is_zone(const char *name)
{
	return numbered(name, "thermal_zone");
}

static bool is_cooling(const char *name)
{
	return numbered(name, "cooling_device");
}

static int zones_collect(struct expo_set *out)
{
	char base[PATH_MAX], dir[PATH_MAX];
	struct dir_list g = {0};
	int rc = dir_list_read(&g, sys_path(base, "class/thermal"), is_zone);
	if (rc < 0 || !g.n) {
		dir_list_free(&g);
		return 0;
	}
	struct expo_family *f = expo_family(out, "node_thermal_zone_temp",
					    "Zone temperature in Celsius", EXPO_GAUGE);
	rc = 0;
	for (size_t i = 0; i < g.n; i++) {
		path_join(dir, base, g.v[i]);
		char type[256], policy[256], temp[64], *tv = NULL, *pv, *sv = NULL;
		int64_t t = 0;
		rc = read_dir_attr(dir, "type", type, sizeof(type), &tv);
		if (rc == 0)
			rc = read_dir_attr(dir, "policy", policy, sizeof(policy), &pv);
		if (rc == 0) {
			rc = read_dir_attr(dir, "temp", temp, sizeof(temp), &sv);
			/* a sensor that is off or not ready: skip the zone */
			if (rc == -ENODATA || rc == -EINVAL || rc == -EAGAIN) {
				rc = 0;
				continue;
			}
		}
		if (rc == 0 && parse_go_int(sv, 10, 64, &t) < 0)
			rc = -EBADMSG;
		if (rc < 0) {
			log_debug("thermal_zone: reading %s failed", dir);
			goto out;
		}
		const char *zone = strrchr(dir, '/');
		zone = zone ? zone + 1 + strlen("thermal_zone") : dir;
		expo_addl(f, (double)t / 1000.0, "zone", zone, "type", tv, NULL);
	}
out:
	dir_list_free(&g);
	return rc;
}

static int cooling_collect(struct expo_set *out)
{
	char base[PATH_MAX], dir[PATH_MAX];
	struct dir_list g = {0};
	int rc = dir_list_read(&g, sys_path(base, "class/thermal"), is_cooling);
	if (rc < 0 || !g.n) {
		dir_list_free(&g);
		return 0;
	}
	struct expo_family *cur =
		expo_family(out, "node_cooling_device_cur_state",
			    "Current throttle state of the cooling device", EXPO_GAUGE);
	struct expo_family *max =
		expo_family(out, "node_cooling_device_max_state",
			    "Maximum throttle state of the cooling device", EXPO_GAUGE);
	rc = 0;
	for (size_t i = 0; i < g.n; i++) {
		path_join(dir, base, g.v[i]);
		char type[256], maxs[64], curs[64], *tv = NULL, *mv = NULL, *cv = NULL;
		int64_t vmax = 0, vcur = 0;
		rc = read_dir_attr(dir, "type", type, sizeof(type), &tv);
		if (rc == 0)
			rc = read_dir_attr(dir, "max_state", maxs, sizeof(maxs), &mv);
		if (rc == 0 && parse_go_int(mv, 10, 64, &vmax) < 0)
			rc = -EBADMSG;
		if (rc == 0)
			rc = read_dir_attr(dir, "cur_state", curs, sizeof(curs), &cv);
		/* cur_state may be -1 (intel powerclamp) */
		if (rc == 0 && parse_go_int(cv, 10, 64, &vcur) < 0)
			rc = -EBADMSG;
		if (rc < 0) {
			log_debug("thermal_zone: reading %s failed", dir);
			goto out;
		}
		const char *name = strrchr(dir, '/');
		name = name ? name + 1 + strlen("cooling_device") : dir;
		expo_addl(cur, (double)vcur, "name", name, "type", tv, NULL);
		expo_addl(max, (double)vmax, "name", name, "type", tv, NULL);
	}
out:
	dir_list_free(&g);
	return rc;
}

static int thermal_collect(void *state, struct expo_set *out)
{
	(void)state;
	int rc = zones_collect(out);
	if (rc < 0)
		return rc;
	return cooling_collect(out);
}

const struct collector collector_thermal_zone = {
	.name = "thermal_zone",
	.default_on = true,
	.collect = thermal_collect,
};
