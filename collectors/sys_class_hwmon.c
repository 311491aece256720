// SPDX-License-Identifier: Apache-2.0
/*
 * hwmon: hardware sensors from /sys/class/hwmon/hwmon<N>/ (and the files of
 * its device/ directory), as node_exporter names them: one family per
 * sensor type and attribute, labelled {chip, sensor}, e.g.
 *   temp1_input  -> node_hwmon_temp_celsius{sensor="temp1"}  (m°C / 1000)
 *   in0_max      -> node_hwmon_in_max_volts                    (mV / 1000)
 *   fan2_alarm   -> node_hwmon_fan_alarm
 *   pwm1_enable  -> node_hwmon_pwm_enable                      (as is)
 * plus node_hwmon_chip_names{chip,chip_name} from the "name" attribute and
 * node_hwmon_sensor_label{chip,sensor,label} from <sensor>_label.
 * Attribute names and units: https://www.kernel.org/doc/html/latest/hwmon/sysfs-interface.html
 *
 * Chip labels follow node_exporter HEAD (1.5 named chips the same way but
 * did not disambiguate, so two hwmon nodes of one device collided): the
 * device's bus type and name ("platform_coretemp_0"), else the cleaned
 * "name" attribute, else the hwmon<N> directory name; when several nodes get
 * the same label, "_<name>" (or "_hwmon<N>" when the names collide too) is
 * appended.  --collector.hwmon.chip-include/-exclude filter on that label,
 * --collector.hwmon.sensor-include/-exclude on "<chip>;<sensor>".
 * A missing /sys/class/hwmon is "no data" (success 0, as node_exporter's
 * ErrNoData); unreadable attributes are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/devfilter.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/utf8.h"

static char *opt_chip_include, *opt_chip_exclude, *opt_sensor_include, *opt_sensor_exclude;
static struct devfilter chip_filter, sensor_filter;

static const struct flag_def hwmon_flags[] = {
	{"collector.hwmon.chip-include", FLAG_STRING, &opt_chip_include, NULL,
	 "Regexp of hwmon chip to include (mutually exclusive to device-exclude).", NULL, NULL},
	{"collector.hwmon.chip-exclude", FLAG_STRING, &opt_chip_exclude, NULL,
	 "Regexp of hwmon chip to exclude (mutually exclusive to device-include).", NULL, NULL},
	{"collector.hwmon.sensor-include", FLAG_STRING, &opt_sensor_include, NULL,
	 "Regexp of hwmon sensor to include (mutually exclusive to sensor-exclude).", NULL, NULL},
	{"collector.hwmon.sensor-exclude", FLAG_STRING, &opt_sensor_exclude, NULL,
	 "Regexp of hwmon sensor to exclude (mutually exclusive to sensor-include).", NULL, NULL},
};

/* One attribute value: data[sensor][prop] in node_exporter's terms. */
struct hwmon_attr {
	char sensor[48]; /* type + number: "temp1" */
	char type[24];	 /* "temp" */
	char prop[64];	 /* "input", "" for a bare "pwm1" */
	char value[132];
};

/* One hwmon directory. */
struct hwmon_chip {
	char dir[PATH_MAX];
	char base[256];
	char name_file[256];
	char label[600];
};

struct hwmon_state {
	struct hwmon_attr *attrs;
	size_t nattrs, capattrs;
	struct hwmon_chip *chips;
	size_t nchips, capchips;
	struct dir_list entries; /* of class/hwmon */
};

static const char *const sensor_types[] = {
	"vrm",	"beep_enable", "update_interval", "in",	    "cpu",	"fan",	     "pwm",
	"temp", "curr",	       "power",		  "energy", "humidity", "intrusion", "freq",
};

static int hwmon_setup(char *errbuf, size_t errlen)
{
	static const struct devfilter_opts chip = {
		.include_flag = "collector.hwmon.chip-include",
		.exclude_flag = "collector.hwmon.chip-exclude",
		.conflict = "--collector.hwmon.chip-include and --collector.hwmon.chip-exclude are "
			    "mutually exclusive",
		.prefix_errors = true,
	};
	static const struct devfilter_opts sensor = {
		.include_flag = "collector.hwmon.sensor-include",
		.exclude_flag = "collector.hwmon.sensor-exclude",
		.conflict = "--collector.hwmon.sensor-include and --collector.hwmon.sensor-exclude "
			    "are mutually exclusive",
		.prefix_errors = true,
	};
	int rc = devfilter_setup(&chip_filter, opt_chip_include, opt_chip_exclude, &chip, errbuf,
				 errlen);
	if (rc == 0)
		rc = devfilter_setup(&sensor_filter, opt_sensor_include, opt_sensor_exclude,
				     &sensor, errbuf, errlen);
	return rc;
}

/*
 * node_exporter's cleanMetricName: lower case, every byte outside
 * [a-z0-9:_] becomes '_', then leading and trailing '_' are trimmed.
 * (Go replaces each invalid rune, not byte: a multi-byte character gives
 * one '_' there and several here; such names do not occur in sysfs.)
 */
static void clean_name(const char *in, size_t len, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < size; i++) {
		char c = in[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '_'))
			c = '_';
		out[n++] = c;
	}
	out[n] = '\0';
	size_t s = 0;
	while (out[s] == '_')
		s++;
	while (n > s && out[n - 1] == '_')
		n--;
	memmove(out, out + s, n - s);
	out[n - s] = '\0';
}

/*
 * Split an attribute file name as ^([^0-9]+)([0-9]*)(_(.+))?$ does:
 * type, number (default 0) and property.  Returns false when it does not
 * match.
 */
static bool explode(const char *fname, char *type, size_t tsize, long *num, const char **prop)
{
	const char *s = fname;
	while (*s && !(*s >= '0' && *s <= '9'))
		s++;
	if (s == fname)
		return false;
	size_t tl = (size_t)(s - fname);
	const char *d = s;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s && !(*s == '_' && s[1]))
		return false;
	if (tl >= tsize)
		return false;
	memcpy(type, fname, tl);
	type[tl] = '\0';
	*num = 0;
	if (s > d) {
		if (s - d > 9)
			return false; /* strconv.Atoi would overflow long before sysfs does */
		*num = strtol(d, NULL, 10);
	}
	*prop = *s ? s + 1 : "";
	return true;
}

static void add_attr(struct hwmon_state *st, const char *sensor, const char *type, const char *prop,
		     const char *value)
{
	for (size_t i = 0; i < st->nattrs; i++) {
		struct hwmon_attr *a = &st->attrs[i];
		if (strcmp(a->sensor, sensor) == 0 && strcmp(a->prop, prop) == 0) {
			snprintf(a->value, sizeof(a->value), "%s", value);
			return;
		}
	}
	if (st->nattrs == st->capattrs) {
		st->capattrs = st->capattrs ? st->capattrs * 2 : 64;
		st->attrs = xrealloc(st->attrs, st->capattrs * sizeof(*st->attrs));
	}
	struct hwmon_attr *a = &st->attrs[st->nattrs++];
	snprintf(a->sensor, sizeof(a->sensor), "%s", sensor);
	snprintf(a->type, sizeof(a->type), "%s", type);
	snprintf(a->prop, sizeof(a->prop), "%s", prop);
	snprintf(a->value, sizeof(a->value), "%s", value);
}

static int collect_sensor_data(struct hwmon_state *st, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		char type[24];
		long num;
		const char *prop;
		if (e->d_name[0] == '.' || !explode(e->d_name, type, sizeof(type), &num, &prop))
			continue;
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(sensor_types) && !known; i++)
			known = strcmp(type, sensor_types[i]) == 0;
		if (!known || strlen(prop) >= sizeof(st->attrs[0].prop))
			continue;
		char path[PATH_MAX], raw[132], sensor[48];
		if (path_join(path, dir, e->d_name))
			continue;
		if (read_attr_once(AT_FDCWD, path, raw, SYSFS_ATTR_SIZE) < 0)
			continue;
		/* strings.Trim(raw, "\n") */
		char *v = raw;
		while (*v == '\n')
			v++;
		size_t vl = strlen(v);
		while (vl && v[vl - 1] == '\n')
			v[--vl] = '\0';
		snprintf(sensor, sizeof(sensor), "%s%ld", type, num);
		add_attr(st, sensor, type, prop, v);
	}
	closedir(d);
	return 0;
}

static int cmp_attr(const void *a, const void *b)
{
	return strcmp(((const struct hwmon_attr *)a)->sensor,
		      ((const struct hwmon_attr *)b)->sensor);
}

static const char *find_prop(const struct hwmon_attr *g, size_t n, const char *prop)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(g[i].prop, prop) == 0)
			return g[i].value;
	}
	return NULL;
}

static bool parse_value(const char *s, double *v)
{
	return parse_go_float(s, strlen(s), v) == 0;
}

static void emit(struct expo_set *out, const char *name, const char *help, enum expo_type t,
		 double v, const char *chip, const char *sensor)
{
	expo_addl(expo_family(out, name, help, t), v, "chip", chip, "sensor", sensor, NULL);
}

/* The metrics of one sensor: n attributes g[] sharing sensor and type. */
static void emit_sensor(struct expo_set *out, const char *chip, const struct hwmon_attr *g,
			size_t n)
{
	const char *sensor = g[0].sensor, *type = g[0].type;
	char name[256], help[320], filt[700];
	snprintf(filt, sizeof(filt), "%s;%s", chip, sensor);
	if (devfilter_ignored(&sensor_filter, filt))
		return;

	const char *label = find_prop(g, n, "label");
	if (label) {
		char lv[512];
		utf8_sanitize(label, lv, sizeof(lv));
		expo_addl(expo_family(out, "node_hwmon_sensor_label",
				      "Label for given chip and sensor", EXPO_GAUGE),
			  1, "chip", chip, "label", lv, "sensor", sensor, NULL);
	}
	const char *bare = find_prop(g, n, "");
	double v;
	if (strcmp(type, "beep_enable") == 0) {
		emit(out, "node_hwmon_beep_enabled", "Hardware beep enabled", EXPO_GAUGE,
		     bare && strcmp(bare, "1") == 0 ? 1 : 0, chip, sensor);
		return;
	}
	if (strcmp(type, "vrm") == 0) {
		if (parse_value(bare ? bare : "", &v))
			emit(out, "node_hwmon_voltage_regulator_version",
			     "Hardware voltage regulator", EXPO_GAUGE, v, chip, sensor);
		return;
	}
	if (strcmp(type, "update_interval") == 0) {
		if (parse_value(bare ? bare : "", &v))
			emit(out, "node_hwmon_update_interval_seconds",
			     "Hardware monitor update interval", EXPO_GAUGE, v * 0.001, chip,
			     sensor);
		return;
	}

	for (size_t i = 0; i < n; i++) {
		const char *el = g[i].prop;
		if (strcmp(el, "label") == 0)
			continue;
		int len = snprintf(name, sizeof(name), "node_hwmon_%s", type);
		if (strcmp(el, "input") == 0) {
			if (bare)
				snprintf(name + len, sizeof(name) - (size_t)len, "_input");
		} else if (*el) {
			char c[128];
			clean_name(el, strlen(el), c, sizeof(c));
			snprintf(name + len, sizeof(name) - (size_t)len, "_%s", c);
		}
		if (!parse_value(g[i].value, &v))
			continue;
		len = (int)strlen(name);
		char *suffix = name + len;
		size_t room = sizeof(name) - (size_t)len;

		if (strcmp(el, "fault") == 0 || strcmp(el, "alarm") == 0) {
			snprintf(help, sizeof(help), "Hardware sensor %s status (%s)", el, type);
			emit(out, name, help, EXPO_GAUGE, v, chip, sensor);
		} else if (strcmp(el, "beep") == 0) {
			snprintf(suffix, room, "_enabled");
			emit(out, name, "Hardware monitor sensor has beeping enabled", EXPO_GAUGE,
			     v, chip, sensor);
		} else if (strcmp(type, "in") == 0 || strcmp(type, "cpu") == 0) {
			snprintf(suffix, room, "_volts");
			snprintf(help, sizeof(help), "Hardware monitor for voltage (%s)", el);
			emit(out, name, help, EXPO_GAUGE, v * 0.001, chip, sensor);
		} else if (strcmp(type, "temp") == 0 && strcmp(el, "type") != 0) {
			snprintf(suffix, room, "_celsius");
			snprintf(help, sizeof(help), "Hardware monitor for temperature (%s)",
				 *el ? el : "input");
			emit(out, name, help, EXPO_GAUGE, v * 0.001, chip, sensor);
		} else if (strcmp(type, "curr") == 0) {
			snprintf(suffix, room, "_amps");
			snprintf(help, sizeof(help), "Hardware monitor for current (%s)", el);
			emit(out, name, help, EXPO_GAUGE, v * 0.001, chip, sensor);
		} else if (strcmp(type, "energy") == 0) {
			snprintf(suffix, room, "_joule_total");
			snprintf(help, sizeof(help), "Hardware monitor for joules used so far (%s)",
				 el);
			emit(out, name, help, EXPO_COUNTER, v / 1000000.0, chip, sensor);
		} else if (strcmp(type, "power") == 0 && strcmp(el, "accuracy") == 0) {
			emit(out, name, "Hardware monitor power meter accuracy, as a ratio",
			     EXPO_GAUGE, v / 1000000.0, chip, sensor);
		} else if (strcmp(type, "power") == 0 && strncmp(el, "average_interval", 16) == 0 &&
			   (!el[16] || !strcmp(el + 16, "_min") || !strcmp(el + 16, "_max"))) {
			snprintf(suffix, room, "_seconds");
			snprintf(help, sizeof(help),
				 "Hardware monitor power usage update interval (%s)", el);
			emit(out, name, help, EXPO_GAUGE, v * 0.001, chip, sensor);
		} else if (strcmp(type, "power") == 0) {
			snprintf(suffix, room, "_watt");
			snprintf(help, sizeof(help),
				 "Hardware monitor for power usage in watts (%s)", el);
			emit(out, name, help, EXPO_GAUGE, v / 1000000.0, chip, sensor);
		} else if (strcmp(type, "humidity") == 0) {
			snprintf(
				help, sizeof(help),
				"Hardware monitor for humidity, as a ratio (multiply with 100.0 to "
				"get the humidity as a percentage) (%s)",
				el);
			emit(out, name, help, EXPO_GAUGE, v / 1000000.0, chip, sensor);
		} else if (strcmp(type, "fan") == 0 &&
			   (!strcmp(el, "input") || !strcmp(el, "min") || !strcmp(el, "max") ||
			    !strcmp(el, "target"))) {
			snprintf(suffix, room, "_rpm");
			snprintf(help, sizeof(help),
				 "Hardware monitor for fan revolutions per minute (%s)", el);
			emit(out, name, help, EXPO_GAUGE, v, chip, sensor);
		} else if (strcmp(type, "freq") == 0 && strcmp(el, "input") == 0) {
			if (label) {
				char cl[256];
				clean_name(label, strlen(label), cl, sizeof(cl));
				snprintf(suffix, room, "_freq_mhz");
				emit(out, name, "Hardware monitor for GPU frequency in MHz",
				     EXPO_GAUGE, v / 1000000.0, chip, cl);
			}
		} else {
			snprintf(help, sizeof(help), "Hardware monitor %s element %s", type, el);
			emit(out, name, help, EXPO_GAUGE, v, chip, sensor);
		}
	}
}

static int update_chip(struct hwmon_state *st, struct expo_set *out, const struct hwmon_chip *c)
{
	st->nattrs = 0;
	int rc = collect_sensor_data(st, c->dir);
	if (rc < 0)
		return rc;
	char dev[PATH_MAX];
	struct stat sb;
	path_join(dev, c->dir, "device");
	if (stat(dev, &sb) == 0) {
		rc = collect_sensor_data(st, dev);
		if (rc < 0)
			return rc;
	}

	char path[PATH_MAX], raw[256], chip_name[256];
	path_join(path, c->dir, "name");
	int n = read_small_file(path, raw, sizeof(raw));
	if (n >= 0) {
		/* os.ReadFile keeps the newline; cleaning trims the '_' it becomes */
		clean_name(raw, (size_t)n, chip_name, sizeof(chip_name));
		if (*chip_name)
			expo_addl(expo_family(out, "node_hwmon_chip_names",
					      "Annotation metric for human-readable chip names",
					      EXPO_GAUGE),
				  1, "chip", c->label, "chip_name", chip_name, NULL);
	}

	qsort(st->attrs, st->nattrs, sizeof(*st->attrs), cmp_attr);
	for (size_t i = 0; i < st->nattrs;) {
		size_t j = i + 1;
		while (j < st->nattrs && strcmp(st->attrs[j].sensor, st->attrs[i].sensor) == 0)
			j++;
		emit_sensor(out, c->label, &st->attrs[i], j - i);
		i = j;
	}
	return 0;
}

/* node_exporter's hwmonName(): the base chip label of one hwmon directory. */
static int chip_base_name(const char *dir, char *out, size_t size)
{
	char dev[PATH_MAX], real[PATH_MAX];
	path_join(dev, dir, "device");
	if (realpath(dev, real)) {
		char *slash = strrchr(real, '/');
		const char *devname = slash ? slash + 1 : real;
		char cname[256] = "", ctype[256] = "";
		clean_name(devname, strlen(devname), cname, sizeof(cname));
		if (slash) {
			*slash = '\0';
			char *s2 = strrchr(real, '/');
			const char *devtype = s2 ? s2 + 1 : real;
			clean_name(devtype, strlen(devtype), ctype, sizeof(ctype));
		}
		if (*ctype && *cname) {
			snprintf(out, size, "%s_%s", ctype, cname);
			return 0;
		}
		if (*cname) {
			snprintf(out, size, "%s", cname);
			return 0;
		}
	}
	char path[PATH_MAX], raw[256];
	path_join(path, dir, "name");
	int n = read_small_file(path, raw, sizeof(raw));
	if (n > 0) {
		clean_name(raw, (size_t)n, out, size);
		if (*out)
			return 0;
	}
	if (!realpath(dir, real))
		return -errno;
	const char *base = strrchr(real, '/');
	base = base ? base + 1 : real;
	clean_name(base, strlen(base), out, size);
	return *out ? 0 : -EINVAL;
}

static bool not_hidden(const char *name)
{
	return name[0] != '.';
}

static int hwmon_collect(void *state, struct expo_set *out)
{
	struct hwmon_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "class/hwmon");
	/* directory entries, sorted as Go's os.ReadDir returns them */
	int rc = dir_list_read(&st->entries, root, not_hidden);
	if (rc < 0) {
		if (rc == -ENOENT) {
			log_debug("hwmon: metrics are not available for this system");
			return -ENODATA; /* node_exporter's ErrNoData: success 0, debug log */
		}
		return rc;
	}
	st->nchips = 0;
	for (size_t i = 0; i < st->entries.n; i++) {
		char dir[PATH_MAX];
		struct stat sb;
		if (path_join(dir, root, st->entries.v[i]))
			continue;
		if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (st->nchips == st->capchips) {
			st->capchips = st->capchips ? st->capchips * 2 : 8;
			st->chips = xrealloc(st->chips, st->capchips * sizeof(*st->chips));
		}
		struct hwmon_chip *c = &st->chips[st->nchips];
		snprintf(c->dir, sizeof(c->dir), "%s", dir);
		if (chip_base_name(dir, c->base, sizeof(c->base)) < 0) {
			log_debug("hwmon: failed to derive chip name\tdir=%s", dir);
			continue;
		}
		char path[PATH_MAX], raw[256];
		path_join(path, dir, "name");
		int n = read_small_file(path, raw, sizeof(raw));
		c->name_file[0] = '\0';
		if (n >= 0)
			snprintf(c->name_file, sizeof(c->name_file), "%s", trim_space(raw));
		st->nchips++;
	}

	int last = 0;
	for (size_t i = 0; i < st->nchips; i++) {
		struct hwmon_chip *c = &st->chips[i];
		size_t same_base = 0, same_name = 0;
		for (size_t j = 0; j < st->nchips; j++) {
			if (strcmp(st->chips[j].base, c->base) != 0)
				continue;
			same_base++;
			if (strcmp(st->chips[j].name_file, c->name_file) == 0)
				same_name++;
		}
		if (same_base > 1) {
			char suffix[256];
			clean_name(c->name_file, strlen(c->name_file), suffix, sizeof(suffix));
			if (!*suffix || same_name > 1) {
				const char *b = strrchr(c->dir, '/');
				b = b ? b + 1 : c->dir;
				clean_name(b, strlen(b), suffix, sizeof(suffix));
			}
			snprintf(c->label, sizeof(c->label), "%s_%s", c->base, suffix);
		} else {
			snprintf(c->label, sizeof(c->label), "%s", c->base);
		}
		if (devfilter_ignored(&chip_filter, c->label)) {
			log_debug("hwmon: ignoring chip\tchip=%s", c->label);
			continue;
		}
		rc = update_chip(st, out, c);
		if (rc < 0)
			last = rc;
	}
	return last;
}

static void hwmon_cleanup(void *state)
{
	struct hwmon_state *st = state;
	free(st->attrs);
	free(st->chips);
	dir_list_free(&st->entries);
}

const struct collector collector_hwmon = {
	.name = "hwmon",
	.default_on = true,
	.state_size = sizeof(struct hwmon_state),
	.flags = hwmon_flags,
	.nflags = ARRAY_SIZE(hwmon_flags),
	.setup = hwmon_setup,
	.collect = hwmon_collect,
	.cleanup = hwmon_cleanup,
};
