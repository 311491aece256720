// SPDX-License-Identifier: Apache-2.0
/*
 * dmi: node_dmi_info, a constant 1 labelled by the firmware's DMI/SMBIOS
 * strings in /sys/class/dmi/id (one attribute file each: bios_vendor,
 * product_name, sys_vendor...).  As node_exporter does, the directory is
 * read once at start: every regular file except modalias and uevent is
 * read (128 bytes, trimmed), unreadable ones (serials and the UUID are
 * root-only) are skipped, and each known attribute present becomes a
 * label, its value made valid UTF-8.  A missing directory or no known
 * attribute is "no data" on every scrape; another read error stops the
 * agent at start, as it stops node_exporter.
 * Format: https://www.kernel.org/doc/html/latest/ABI/testing/sysfs-firmware-dmi-tables
 * (the id attributes: drivers/firmware/dmi-id.c)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/utf8.h"

/* file name -> label name, in label order */
static const char *const dmi_attrs[][2] = {
	{"bios_date", "bios_date"},
	{"bios_release", "bios_release"},
	{"bios_vendor", "bios_vendor"},
	{"bios_version", "bios_version"},
	{"board_asset_tag", "board_asset_tag"},
	{"board_name", "board_name"},
	{"board_serial", "board_serial"},
	{"board_vendor", "board_vendor"},
	{"board_version", "board_version"},
	{"chassis_asset_tag", "chassis_asset_tag"},
	{"chassis_serial", "chassis_serial"},
	{"chassis_vendor", "chassis_vendor"},
	{"chassis_version", "chassis_version"},
	{"product_family", "product_family"},
	{"product_name", "product_name"},
	{"product_serial", "product_serial"},
	{"product_sku", "product_sku"},
	{"product_uuid", "product_uuid"},
	{"product_version", "product_version"},
	{"sys_vendor", "system_vendor"},
};
#define DMI_NATTRS (sizeof(dmi_attrs) / sizeof(dmi_attrs[0]))
/* a 128-byte attribute where every byte may become a 3-byte U+FFFD */
#define DMI_VALUE_SIZE (3 * SYSFS_ATTR_SIZE + 1)

/* Read once by setup, read-only while scrapes run. */
static struct {
	bool present[DMI_NATTRS];
	char value[DMI_NATTRS][DMI_VALUE_SIZE];
	size_t n;
} dmi;

/* Store the attribute called name (if it is one we label) from dir. */
static int dmi_read_attr(const char *dir, const char *name)
{
	size_t i;
	for (i = 0; i < DMI_NATTRS; i++)
		if (strcmp(dmi_attrs[i][0], name) == 0)
			break;
	char buf[SYSFS_ATTR_SIZE], *v;
	int rc = read_dir_attr(dir, name, buf, sizeof(buf), &v);
	if (rc == -EACCES || rc == -EPERM)
		return 0; /* root-only serials and UUID */
	if (rc)
		return rc;
	if (i == DMI_NATTRS)
		return 0;
	utf8_sanitize(v, dmi.value[i], sizeof(dmi.value[i]));
	if (!dmi.present[i])
		dmi.n++;
	dmi.present[i] = true;
	return 0;
}

static int dmi_setup(char *errbuf, size_t errlen)
{
	memset(&dmi, 0, sizeof(dmi));
	char dir[PATH_MAX];
	sys_path(dir, "class/dmi/id");
	struct dir_list l = {0};
	int rc = dir_list_read(&l, dir, NULL);
	if (rc == -ENOENT) {
		log_debug("dmi: platform does not support Desktop Management Interface (DMI) "
			  "information\tpath=%s",
			  dir);
		rc = 0;
		goto out;
	}
	if (rc) {
		snprintf(errbuf, errlen, "dmi: failed to read directory %s: %s", dir, strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *name = l.v[i];
		char path[PATH_MAX];
		struct stat sb;
		if (strcmp(name, "modalias") == 0 || strcmp(name, "uevent") == 0)
			continue;
		if (path_join(path, dir, name) || lstat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		rc = dmi_read_attr(dir, name);
		if (rc) {
			snprintf(errbuf, errlen, "dmi: failed to read file %s: %s", path,
				 strerror(-rc));
			goto out;
		}
	}
out:
	dir_list_free(&l);
	return rc;
}

static int dmi_collect(void *state, struct expo_set *out)
{
	(void)state;
	if (!dmi.n)
		return -ENODATA;
	struct expo_label labels[DMI_NATTRS];
	size_t n = 0;
	for (size_t i = 0; i < DMI_NATTRS; i++)
		if (dmi.present[i])
			labels[n++] = (struct expo_label){dmi_attrs[i][1], dmi.value[i]};
	expo_add(expo_family(out, "node_dmi_info",
			     "A metric with a constant '1' value labeled by bios_date, bios_release, "
			     "bios_vendor, bios_version, board_asset_tag, board_name, board_serial, "
			     "board_vendor, board_version, chassis_asset_tag, chassis_serial, "
			     "chassis_vendor, chassis_version, product_family, product_name, "
			     "product_serial, product_sku, product_uuid, product_version, "
			     "system_vendor if provided by DMI.",
			     EXPO_GAUGE),
		 labels, n, 1);
	return 0;
}

const struct collector collector_dmi = {
	.name = "dmi",
	.default_on = true,
	.setup = dmi_setup,
	.collect = dmi_collect,
};
