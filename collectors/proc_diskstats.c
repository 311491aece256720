// SPDX-License-Identifier: Apache-2.0
/*
 * diskstats: node_disk_* from /proc/diskstats, one line per block device
 *
 *   major minor name  reads merged sectors ms  writes merged sectors ms
 *                     in_flight io_ms weighted_ms
 *                     [discards merged sectors ms  [flushes flush_ms]]
 *
 * 14 fields before Linux 4.18, 18 with the discard fields, 20 with the
 * flush fields (5.5).  As node_exporter (prometheus/procfs): a line with
 * fewer than 14 fields is skipped, a field that is not a number fails the
 * collector, and each device exports as many counters as its line has
 * fields.  Sectors are the standard 512-byte UNIX sectors, times are in
 * milliseconds: bytes = sectors * 512, seconds = ms * 0.001 (node_exporter's
 * float arithmetic, kept exactly).  Discarded sectors stay sectors.
 *
 * Beside the counters: node_disk_info (udev's ID_PATH, ID_WWN, ID_MODEL,
 * the serial from SCSI_IDENT_SERIAL, ID_SERIAL_SHORT or ID_SERIAL,
 * ID_REVISION, and the rotational flag of /sys/block/<dev>/queue), and from
 * the udev database (<udev>/b<major>:<minor>, "E:KEY=value" lines)
 * node_disk_filesystem_info, node_disk_device_mapper_info and the
 * node_disk_ata_* gauges.  Without a udev data directory the udev labels
 * are empty, as node_exporter.
 *
 * Formats: https://www.kernel.org/doc/html/latest/admin-guide/iostats.html
 *          https://www.kernel.org/doc/Documentation/ABI/testing/procfs-diskstats
 *          https://www.kernel.org/doc/Documentation/ABI/stable/sysfs-block
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "collectors/devfilter.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

#define DISK_DEFAULT_EXCLUDE "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$"
#define DISK_NSTATS	     17

static char *disk_exclude_flag, *disk_include_flag;
static bool disk_exclude_seen;
static struct devfilter disk_filter;
static bool disk_udev_ok;

static const struct flag_def disk_flags[] = {
	{"collector.diskstats.device-exclude", FLAG_STRING, &disk_exclude_flag,
	 DISK_DEFAULT_EXCLUDE,
	 "Regexp of diskstats devices to exclude (mutually exclusive to device-include).",
	 "collector.diskstats.ignored-devices", &disk_exclude_seen},
	{"collector.diskstats.device-include", FLAG_STRING, &disk_include_flag, NULL,
	 "Regexp of diskstats devices to include (mutually exclusive to device-exclude).", NULL,
	 NULL},
};

struct disk_stat_desc {
	const char *name, *help;
	enum expo_type type;
	double scale; /* 0: none */
};

#define SEC_PER_TICK (1.0 / 1000.0)
#define SECTOR_BYTES 512.0

static const struct disk_stat_desc disk_stats[DISK_NSTATS] = {
	{"node_disk_reads_completed_total", "The total number of reads completed successfully.",
	 EXPO_COUNTER, 0},
	{"node_disk_reads_merged_total", "The total number of reads merged.", EXPO_COUNTER, 0},
	{"node_disk_read_bytes_total", "The total number of bytes read successfully.", EXPO_COUNTER,
	 SECTOR_BYTES},
	{"node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.",
	 EXPO_COUNTER, SEC_PER_TICK},
	{"node_disk_writes_completed_total", "The total number of writes completed successfully.",
	 EXPO_COUNTER, 0},
	{"node_disk_writes_merged_total", "The number of writes merged.", EXPO_COUNTER, 0},
	{"node_disk_written_bytes_total", "The total number of bytes written successfully.",
	 EXPO_COUNTER, SECTOR_BYTES},
	{"node_disk_write_time_seconds_total",
	 "This is the total number of seconds spent by all writes.", EXPO_COUNTER, SEC_PER_TICK},
	{"node_disk_io_now", "The number of I/Os currently in progress.", EXPO_GAUGE, 0},
	{"node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", EXPO_COUNTER,
	 SEC_PER_TICK},
	{"node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.",
	 EXPO_COUNTER, SEC_PER_TICK},
	{"node_disk_discards_completed_total",
	 "The total number of discards completed successfully.", EXPO_COUNTER, 0},
	{"node_disk_discards_merged_total", "The total number of discards merged.", EXPO_COUNTER,
	 0},
	{"node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.",
	 EXPO_COUNTER, 0},
	{"node_disk_discard_time_seconds_total",
	 "This is the total number of seconds spent by all discards.", EXPO_COUNTER, SEC_PER_TICK},
	{"node_disk_flush_requests_total",
	 "The total number of flush requests completed successfully", EXPO_COUNTER, 0},
	{"node_disk_flush_requests_time_seconds_total",
	 "This is the total number of seconds spent by all flush requests.", EXPO_COUNTER,
	 SEC_PER_TICK},
};

/* The udev properties used, in the order of struct disk_udev. */
enum {
	U_DM_LV_LAYER,
	U_DM_LV_NAME,
	U_DM_NAME,
	U_DM_UUID,
	U_DM_VG_NAME,
	U_ID_ATA,
	U_ID_ATA_ROTATION_RATE_RPM,
	U_ID_ATA_WRITE_CACHE,
	U_ID_ATA_WRITE_CACHE_ENABLED,
	U_ID_FS_TYPE,
	U_ID_FS_USAGE,
	U_ID_FS_UUID,
	U_ID_FS_VERSION,
	U_ID_MODEL,
	U_ID_PATH,
	U_ID_REVISION,
	U_ID_SERIAL,
	U_ID_SERIAL_SHORT,
	U_ID_WWN,
	U_SCSI_IDENT_SERIAL,
	U_NKEYS,
};

static const char *const disk_udev_keys[U_NKEYS] = {
	"DM_LV_LAYER",
	"DM_LV_NAME",
	"DM_NAME",
	"DM_UUID",
	"DM_VG_NAME",
	"ID_ATA",
	"ID_ATA_ROTATION_RATE_RPM",
	"ID_ATA_WRITE_CACHE",
	"ID_ATA_WRITE_CACHE_ENABLED",
	"ID_FS_TYPE",
	"ID_FS_USAGE",
	"ID_FS_UUID",
	"ID_FS_VERSION",
	"ID_MODEL",
	"ID_PATH",
	"ID_REVISION",
	"ID_SERIAL",
	"ID_SERIAL_SHORT",
	"ID_WWN",
	"SCSI_IDENT_SERIAL",
};

/* One parsed /proc/diskstats line. */
struct disk_line {
	uint32_t major, minor;
	const char *name; /* in the pfile buffer */
	size_t nstats;
	uint64_t v[DISK_NSTATS];
};

struct diskstats_state {
	struct pfile *pf;
	struct disk_line *lines;
	size_t caplines;
	struct line_verdicts ignored; /* filter verdict per line index */
	struct buf udev;
	const char *prop[U_NKEYS]; /* into udev, NULL when absent */
};

static int diskstats_setup(char *errbuf, size_t errlen)
{
	const char *exclude = disk_exclude_flag ? disk_exclude_flag : DISK_DEFAULT_EXCLUDE;
	const char *include = disk_include_flag ? disk_include_flag : "";
	if (*include) {
		if (disk_exclude_seen && *exclude) {
			snprintf(errbuf, errlen,
				 "diskstats: device-exclude & device-include are mutually "
				 "exclusive");
			return -EINVAL;
		}
		exclude = "";
	}
	static const struct devfilter_opts o = {
		.include_flag = "collector.diskstats.device-include",
		.exclude_flag = "collector.diskstats.device-exclude",
		.log_parsed = true,
	};
	int rc = devfilter_setup(&disk_filter, include, exclude, &o, errbuf, errlen);
	if (rc)
		return rc;
	struct stat sb;
	disk_udev_ok = stat(host_roots.udev, &sb) == 0 && S_ISDIR(sb.st_mode);
	if (!disk_udev_ok)
		log_error("Failed to open directory, disabling udev device properties\tpath=%s",
			  host_roots.udev);
	return 0;
}

/* The filter verdict for line l named name, cached while the line keeps its name. */
static bool disk_ignored_cached(struct diskstats_state *st, size_t l, const char *name)
{
	int ignored = line_verdict_get(&st->ignored, l, name);
	if (ignored < 0) {
		ignored = devfilter_ignored(&disk_filter, name);
		line_verdict_put(&st->ignored, l, name, ignored);
	}
	return ignored;
}

/*
 * A decimal unsigned integer filling the whole word (an optional '+', as
 * fmt.Sscanf's %d takes it), of bits bits; 0 or -EINVAL.
 */
static int disk_parse_uint(const char *s, int bits, uint64_t *out)
{
	return parse_go_uint(s + (*s == '+'), 10, bits, out) ? -EINVAL : 0;
}

/* Parse line l into *d: 1 when it is a device line, 0 to skip it, -EINVAL when malformed. */
static int disk_parse_line(const struct pfile *pf, size_t l, struct disk_line *d)
{
	size_t nw = pfile_words(pf, l);
	if (nw == 0)
		return 0;
	uint64_t v;
	if (disk_parse_uint(pfile_word(pf, l, 0), 32, &v) < 0)
		return -EINVAL;
	d->major = (uint32_t)v;
	if (nw < 2)
		return 0;
	if (disk_parse_uint(pfile_word(pf, l, 1), 32, &v) < 0)
		return -EINVAL;
	d->minor = (uint32_t)v;
	if (nw < 3)
		return 0;
	d->name = pfile_word(pf, l, 2);
	d->nstats = 0;
	for (size_t w = 3; w < nw && d->nstats < DISK_NSTATS; w++) {
		if (disk_parse_uint(pfile_word(pf, l, w), 64, &d->v[d->nstats]) < 0)
			return -EINVAL;
		d->nstats++;
	}
	return d->nstats >= 11 ? 1 : 0;
}

/* Load the udev properties of a device into st->prop; missing data leaves them NULL. */
static void disk_read_udev(struct diskstats_state *st, uint32_t major, uint32_t minor)
{
	memset(st->prop, 0, sizeof(st->prop));
	if (!disk_udev_ok)
		return;
	char path[PATH_MAX];
	int rc = read_file_buf(udev_path(path, "b%u:%u", major, minor), &st->udev);
	if (rc < 0) {
		log_debug("Failed to parse udev info\terr=\"%s: %s\"", path, strerror(-rc));
		return;
	}
	char *p = st->udev.data, *end = p + st->udev.len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;
		*eol = '\0';
		if (eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		char *eq;
		if (p[0] == 'E' && p[1] == ':' && (eq = strchr(p + 2, '='))) {
			*eq = '\0';
			for (int k = 0; k < U_NKEYS; k++) {
				if (strcmp(p + 2, disk_udev_keys[k]) == 0) {
					st->prop[k] = eq + 1;
					break;
				}
			}
		}
		p = eol + 1;
	}
}

static const char *disk_prop(const struct diskstats_state *st, int k)
{
	return st->prop[k] ? st->prop[k] : "";
}

static const char *disk_rotational(const char *dev)
{
	char path[PATH_MAX];
	uint64_t v;
	if (read_u64_file(sys_path(path, "block/%s/queue/rotational", dev), &v) == 0 && v == 1)
		return "1";
	return "0";
}

static void disk_emit(struct diskstats_state *st, const struct disk_line *d, struct expo_set *out)
{
	const char *dev = d->name;
	char major[16], minor[16];
	snprintf(major, sizeof(major), "%u", d->major);
	snprintf(minor, sizeof(minor), "%u", d->minor);
	disk_read_udev(st, d->major, d->minor);

	const char *serial = disk_prop(st, U_SCSI_IDENT_SERIAL);
	if (!*serial)
		serial = disk_prop(st, U_ID_SERIAL_SHORT);
	if (!*serial)
		serial = disk_prop(st, U_ID_SERIAL);
	expo_addl(expo_family(out, "node_disk_info", "Info of /sys/block/<block_device>.",
			      EXPO_GAUGE),
		  1, "device", dev, "major", major, "minor", minor, "path",
		  disk_prop(st, U_ID_PATH), "wwn", disk_prop(st, U_ID_WWN), "model",
		  disk_prop(st, U_ID_MODEL), "serial", serial, "revision",
		  disk_prop(st, U_ID_REVISION), "rotational", disk_rotational(dev), NULL);

	struct expo_label lbl = {"device", dev};
	for (size_t i = 0; i < d->nstats; i++) {
		const struct disk_stat_desc *sd = &disk_stats[i];
		double v = (double)d->v[i];
		if (sd->scale != 0)
			v *= sd->scale;
		expo_add(expo_family(out, sd->name, sd->help, sd->type), &lbl, 1, v);
	}

	if (*disk_prop(st, U_ID_FS_TYPE))
		expo_addl(expo_family(out, "node_disk_filesystem_info",
				      "Info about disk filesystem.", EXPO_GAUGE),
			  1, "device", dev, "type", disk_prop(st, U_ID_FS_TYPE), "usage",
			  disk_prop(st, U_ID_FS_USAGE), "uuid", disk_prop(st, U_ID_FS_UUID),
			  "version", disk_prop(st, U_ID_FS_VERSION), NULL);
	if (*disk_prop(st, U_DM_NAME))
		expo_addl(expo_family(out, "node_disk_device_mapper_info",
				      "Info about disk device mapper.", EXPO_GAUGE),
			  1, "device", dev, "name", disk_prop(st, U_DM_NAME), "uuid",
			  disk_prop(st, U_DM_UUID), "vg_name", disk_prop(st, U_DM_VG_NAME),
			  "lv_name", disk_prop(st, U_DM_LV_NAME), "lv_layer",
			  disk_prop(st, U_DM_LV_LAYER), NULL);
	if (*disk_prop(st, U_ID_ATA)) {
		static const struct {
			int key;
			const char *name, *help;
		} ata[] = {
			{U_ID_ATA_WRITE_CACHE, "node_disk_ata_write_cache",
			 "ATA disk has a write cache."},
			{U_ID_ATA_WRITE_CACHE_ENABLED, "node_disk_ata_write_cache_enabled",
			 "ATA disk has its write cache enabled."},
			{U_ID_ATA_ROTATION_RATE_RPM, "node_disk_ata_rotation_rate_rpm",
			 "ATA disk rotation rate in RPMs (0 for SSDs)."},
		};
		for (size_t i = 0; i < ARRAY_SIZE(ata); i++) {
			const char *s = st->prop[ata[i].key];
			if (!s) {
				log_debug("Udev attribute does not exist\tattribute=%s",
					  disk_udev_keys[ata[i].key]);
				continue;
			}
			double v;
			if (parse_go_float(s, strlen(s), &v)) {
				log_error("Failed to parse ATA value\tdevice=%s attribute=%s "
					  "value=%s",
					  dev, disk_udev_keys[ata[i].key], s);
				continue;
			}
			expo_add(expo_family(out, ata[i].name, ata[i].help, EXPO_GAUGE), &lbl, 1,
				 v);
		}
	}
}

static int diskstats_collect(void *state, struct expo_set *out)
{
	struct diskstats_state *st = state;
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "diskstats"), NULL);
		if (!st->pf)
			return log_err(-errno, "diskstats: couldn't get diskstats: open %s", path);
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;

	/* parse everything first: a malformed line fails the scrape before any output */
	size_t nlines = pfile_lines(st->pf), ndev = 0;
	if (nlines > st->caplines) {
		st->caplines = nlines + 16;
		st->lines = xrealloc(st->lines, st->caplines * sizeof(*st->lines));
	}
	for (size_t l = 0; l < nlines; l++) {
		rc = disk_parse_line(st->pf, l, &st->lines[ndev]);
		if (rc < 0)
			return log_err(rc, "diskstats: malformed line %zu in %s", l + 1,
				       pfile_path(st->pf));
		if (rc == 0)
			continue;
		if (disk_ignored_cached(st, l, st->lines[ndev].name))
			continue;
		ndev++;
	}
	for (size_t i = 0; i < ndev; i++)
		disk_emit(st, &st->lines[i], out);
	return 0;
}

static void diskstats_cleanup(void *state)
{
	struct diskstats_state *st = state;
	pfile_close(st->pf);
	free(st->lines);
	line_verdicts_free(&st->ignored);
	buf_free(&st->udev);
}

const struct collector collector_diskstats = {
	.name = "diskstats",
	.default_on = true,
	.state_size = sizeof(struct diskstats_state),
	.flags = disk_flags,
	.nflags = ARRAY_SIZE(disk_flags),
	.setup = diskstats_setup,
	.collect = diskstats_collect,
	.cleanup = diskstats_cleanup,
};
