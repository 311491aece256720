// SPDX-License-Identifier: Apache-2.0
/*
 * powersupplyclass: node_power_supply_* from /sys/class/power_supply/<name>/,
 * one attribute file per property (capacity, energy_now, status...).
 * As node_exporter does, every regular file of a supply is read (128
 * bytes, trimmed); files that are gone or that the driver refuses
 * (ENOENT, EOPNOTSUPP, ENODEV, EINVAL) are skipped, other read errors and
 * a numeric property that is not an integer (strconv.ParseInt base 0)
 * fail the collector, before anything is reported.  Numbers are exported
 * as gauges: counts as read, micro-units (µA, µV, µWh, µAh, µW) divided by
 * 1e6, tenths of a degree divided by 10; text properties become labels of
 * node_power_supply_info.  --collector.powersupply.ignored-supplies drops
 * supplies by name (they are not read at all).  No class directory is
 * "no data".
 * Format: https://www.kernel.org/doc/html/latest/ABI/testing/sysfs-class-power
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/classdir.h"
#include "collectors/collector.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"
#include "common/utf8.h"

enum psu_kind {
	PSU_SKIP,  /* parsed (so it must be a number) but not exported */
	PSU_COUNT, /* as read */
	PSU_MICRO, /* / 1e6 */
	PSU_TENTH, /* / 10 */
	PSU_LABEL, /* a label of node_power_supply_info */
};

struct psu_attr {
	const char *file;
	const char *metric; /* after node_power_supply_; the label name for PSU_LABEL */
	enum psu_kind kind;
};

/* Sorted by file name (bsearch). */
static const struct psu_attr psu_attrs[] = {
	{"authentic", "authentic", PSU_COUNT},
	{"calibrate", "calibrate", PSU_COUNT},
	{"capacity", "capacity", PSU_COUNT},
	{"capacity_alert_max", "capacity_alert_max", PSU_COUNT},
	{"capacity_alert_min", "capacity_alert_min", PSU_COUNT},
	{"capacity_level", "capacity_level", PSU_LABEL},
	{"charge_avg", NULL, PSU_SKIP},
	{"charge_control_limit", "charge_control_limit", PSU_MICRO},
	{"charge_control_limit_max", "charge_control_limit_max", PSU_MICRO},
	{"charge_counter", "charge_counter", PSU_MICRO},
	{"charge_empty", "charge_empty", PSU_MICRO},
	{"charge_empty_design", "charge_empty_design", PSU_MICRO},
	{"charge_full", "charge_full", PSU_MICRO},
	{"charge_full_design", "charge_full_design", PSU_MICRO},
	{"charge_now", "charge_ampere", PSU_MICRO},
	{"charge_term_current", "charge_term_current", PSU_MICRO},
	{"charge_type", "charge_type", PSU_LABEL},
	{"constant_charge_current", "constant_charge_current", PSU_MICRO},
	{"constant_charge_current_max", "constant_charge_current_max", PSU_MICRO},
	{"constant_charge_voltage", "constant_charge_voltage", PSU_MICRO},
	{"constant_charge_voltage_max", "constant_charge_voltage_max", PSU_MICRO},
	{"current_avg", NULL, PSU_SKIP},
	{"current_boot", "current_boot", PSU_MICRO},
	{"current_max", "current_max", PSU_MICRO},
	{"current_now", "current_ampere", PSU_MICRO},
	{"cycle_count", "cyclecount", PSU_COUNT},
	{"energy_avg", NULL, PSU_SKIP},
	{"energy_empty", "energy_empty", PSU_MICRO},
	{"energy_empty_design", "energy_empty_design", PSU_MICRO},
	{"energy_full", "energy_full", PSU_MICRO},
	{"energy_full_design", "energy_full_design", PSU_MICRO},
	{"energy_now", "energy_watthour", PSU_MICRO},
	{"health", "health", PSU_LABEL},
	{"input_current_limit", "input_current_limit", PSU_MICRO},
	{"manufacturer", "manufacturer", PSU_LABEL},
	{"model_name", "model_name", PSU_LABEL},
	{"online", "online", PSU_COUNT},
	{"power_avg", NULL, PSU_SKIP},
	{"power_now", "power_watt", PSU_MICRO},
	{"precharge_current", "precharge_current", PSU_MICRO},
	{"present", "present", PSU_COUNT},
	{"scope", "scope", PSU_LABEL},
	{"serial_number", "serial_number", PSU_LABEL},
	{"status", "status", PSU_LABEL},
	{"technology", "technology", PSU_LABEL},
	{"temp", "temp_celsius", PSU_TENTH},
	{"temp_alert_max", "temp_alert_max_celsius", PSU_TENTH},
	{"temp_alert_min", "temp_alert_min_celsius", PSU_TENTH},
	{"temp_ambient", "temp_ambient_celsius", PSU_TENTH},
	{"temp_ambient_max", "temp_ambient_max_celsius", PSU_TENTH},
	{"temp_ambient_min", "temp_ambient_min_celsius", PSU_TENTH},
	{"temp_max", "temp_max_celsius", PSU_TENTH},
	{"temp_min", "temp_min_celsius", PSU_TENTH},
	{"time_to_empty_avg", NULL, PSU_SKIP},
	{"time_to_empty_now", "time_to_empty_seconds", PSU_COUNT},
	{"time_to_full_avg", NULL, PSU_SKIP},
	{"time_to_full_now", "time_to_full_seconds", PSU_COUNT},
	{"type", "type", PSU_LABEL},
	{"usb_type", "usb_type", PSU_LABEL},
	{"voltage_avg", NULL, PSU_SKIP},
	{"voltage_boot", "voltage_boot", PSU_MICRO},
	{"voltage_max", "voltage_max", PSU_MICRO},
	{"voltage_max_design", "voltage_max_design", PSU_MICRO},
	{"voltage_min", "voltage_min", PSU_MICRO},
	{"voltage_min_design", "voltage_min_design", PSU_MICRO},
	{"voltage_now", "voltage_volt", PSU_MICRO},
	{"voltage_ocv", "voltage_ocv", PSU_MICRO},
};
#define PSU_NATTRS (sizeof(psu_attrs) / sizeof(psu_attrs[0]))
/* a 128-byte value where every byte may become a 3-byte U+FFFD */
#define PSU_TEXT_SIZE (3 * SYSFS_ATTR_SIZE + 1)

/* What one supply's files held. */
struct psu_values {
	bool keep; /* not ignored */
	bool has[PSU_NATTRS];
	int64_t num[PSU_NATTRS];
	char text[PSU_NATTRS][PSU_TEXT_SIZE];
};

struct psu_state {
	struct classdir cd; /* the supplies */
	struct dir_list files;
	struct psu_values *v; /* one per supply */
	size_t cap;
};

static char *psu_ignored_flag;
static struct vregex *psu_ignored;

static const struct flag_def psu_flags[] = {
	{"collector.powersupply.ignored-supplies", FLAG_STRING, &psu_ignored_flag, "^$",
	 "Regexp of power supplies to ignore for powersupplyclass collector.", NULL, NULL},
};

static int psu_setup(char *errbuf, size_t errlen)
{
	vregex_free(psu_ignored);
	psu_ignored = vregex_compile(psu_ignored_flag ? psu_ignored_flag : "^$", false, errbuf,
				     errlen);
	return psu_ignored ? 0 : -EINVAL;
}

static int psu_attr_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct psu_attr *)elem)->file);
}

/* One file of a supply directory into the supply's values (ctx), when it is a known property. */
static int psu_file(void *ctx, const char *name, char *val, const char *path)
{
	struct psu_values *v = ctx;
	const struct psu_attr *a =
		bsearch(name, psu_attrs, PSU_NATTRS, sizeof(psu_attrs[0]), psu_attr_cmp);
	if (!a)
		return 0;
	size_t k = (size_t)(a - psu_attrs);
	if (a->kind == PSU_LABEL) {
		utf8_sanitize(val, v->text[k], sizeof(v->text[k]));
		v->has[k] = v->text[k][0] != '\0';
		return 0;
	}
	int rc = parse_go_int(val, 0, 64, &v->num[k]);
	if (rc)
		return log_err(rc, "powersupplyclass: %s: not an integer: %s", path, val);
	v->has[k] = true;
	return 0;
}

/* Supply i of the class directory (ctx: the state), at dir: its regular files into v[i]. */
static int psu_read_supply(void *ctx, size_t i, const char *dir)
{
	/* files that are gone or that the driver refuses are skipped */
	static const int skip[] = {ENOENT, EOPNOTSUPP, ENODEV, EINVAL, 0};
	struct psu_state *st = ctx;
	struct psu_values *v = &st->v[i];
	v->keep = true;
	memset(v->has, 0, sizeof(v->has));
	int rc = dir_list_read(&st->files, dir, NULL);
	if (rc)
		return log_err(rc, "powersupplyclass: read directory %s", dir);
	return classdir_read_files(&st->files, dir, skip, "powersupplyclass", psu_file, v);
}

/* Supplies --collector.powersupply.ignored-supplies leaves out. */
static bool psu_skip(const char *supply)
{
	return psu_ignored && vregex_match(psu_ignored, supply);
}

/* The families of one supply. */
static void psu_emit(struct expo_set *out, const char *supply, const struct psu_values *v)
{
	struct expo_label labels[PSU_NATTRS + 1];
	size_t nl = 0;
	labels[nl++] = (struct expo_label){"power_supply", supply};
	for (size_t k = 0; k < PSU_NATTRS; k++) {
		const struct psu_attr *a = &psu_attrs[k];
		if (!v->has[k] || a->kind == PSU_SKIP)
			continue;
		if (a->kind == PSU_LABEL) {
			labels[nl++] = (struct expo_label){a->metric, v->text[k]};
			continue;
		}
		double x = (double)v->num[k];
		if (a->kind == PSU_MICRO)
			x /= 1e6;
		else if (a->kind == PSU_TENTH)
			x /= 10.0;
		char name[96], help[160];
		snprintf(name, sizeof(name), "node_power_supply_%s", a->metric);
		snprintf(help, sizeof(help), "%s value of /sys/class/power_supply/<power_supply>.",
			 a->metric);
		expo_addl(expo_family(out, name, help, EXPO_GAUGE), x, "power_supply", supply, NULL);
	}
	expo_add(expo_family(out, "node_power_supply_info",
			     "info of /sys/class/power_supply/<power_supply>.", EXPO_GAUGE),
		 labels, nl, 1);
}

static int psu_collect(void *state, struct expo_set *out)
{
	struct psu_state *st = state;
	const struct dir_list *supplies = &st->cd.devices;
	int rc = classdir_list(&st->cd, "power_supply");
	if (rc == -ENOENT)
		return -ENODATA;
	if (rc)
		return log_err(rc, "powersupplyclass: read directory %s", st->cd.root);
	if (supplies->n > st->cap) {
		st->v = xrealloc(st->v, supplies->n * sizeof(*st->v));
		st->cap = supplies->n;
	}
	for (size_t i = 0; i < supplies->n; i++)
		st->v[i].keep = false; /* until read */
	/* read everything first: a failure reports nothing, as upstream */
	rc = classdir_each(&st->cd, psu_skip, psu_read_supply, st);
	if (rc)
		return rc;
	for (size_t i = 0; i < supplies->n; i++)
		if (st->v[i].keep)
			psu_emit(out, supplies->v[i], &st->v[i]);
	return 0;
}

static void psu_cleanup(void *state)
{
	struct psu_state *st = state;
	classdir_free(&st->cd);
	dir_list_free(&st->files);
	free(st->v);
}

const struct collector collector_powersupplyclass = {
	.name = "powersupplyclass",
	.default_on = true,
	.state_size = sizeof(struct psu_state),
	.flags = psu_flags,
	.nflags = ARRAY_SIZE(psu_flags),
	.setup = psu_setup,
	.collect = psu_collect,
	.cleanup = psu_cleanup,
};
