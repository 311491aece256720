// SPDX-License-Identifier: Apache-2.0
/*
 * tapestats: SCSI tape drive statistics, node_tape_*{device}, from
 * /sys/class/scsi_tape/st<N>/stats/ (the nst*, st*a, st*l... aliases of
 * the same drive are skipped): in_flight, io_ns, other_cnt, read_byte_cnt,
 * read_cnt, read_ns, resid_cnt, write_byte_cnt, write_cnt, write_ns, one
 * unsigned integer each (strconv.ParseUint base 0); nanoseconds are
 * exported as seconds.  Every entry of stats must be readable and the
 * known ones numbers, or the collector fails (node_exporter panics on a
 * non-number).  --collector.tapestats.ignored-devices drops drives by
 * name before they are read.  No class directory is "no data".
 * Format: https://www.kernel.org/doc/html/latest/scsi/st.html (sysfs
 * statistics) and https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-class-scsi_tape
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"

static char *tape_ignored_flag;
static struct vregex *tape_ignored;

static const struct flag_def tape_flags[] = {
	{"collector.tapestats.ignored-devices", FLAG_STRING, &tape_ignored_flag, "^$",
	 "Regexp of devices to ignore for tapestats.", NULL, NULL},
};

/* The stats files, sorted, with their family, help, type and scale. */
static const struct tape_stat {
	const char *file, *metric, *help;
	enum expo_type type;
	double scale;
} tape_stats[] = {
	{"in_flight", "node_tape_io_now", "The number of I/Os currently outstanding to this device.",
	 EXPO_GAUGE, 1},
	{"io_ns", "node_tape_io_time_seconds_total",
	 "The amount of time spent waiting for all I/O to complete (including read and write). "
	 "This includes tape movement commands such as seeking between file or set marks and "
	 "implicit tape movement such as when rewind on close tape devices are used.",
	 EXPO_COUNTER, 1e-9},
	{"other_cnt", "node_tape_io_others_total",
	 "The number of I/Os issued to the tape drive other than read or write commands. The time "
	 "taken to complete these commands uses the following calculation "
	 "io_time_seconds_total-read_time_seconds_total-write_time_seconds_total",
	 EXPO_COUNTER, 1},
	{"read_byte_cnt", "node_tape_read_bytes_total", "The number of bytes read from the tape drive.",
	 EXPO_COUNTER, 1},
	{"read_cnt", "node_tape_reads_completed_total",
	 "The number of read requests issued to the tape drive.", EXPO_COUNTER, 1},
	{"read_ns", "node_tape_read_time_seconds_total",
	 "The amount of time spent waiting for read requests to complete.", EXPO_COUNTER, 1e-9},
	{"resid_cnt", "node_tape_residual_total",
	 "The number of times during a read or write we found the residual amount to be non-zero. "
	 "This should mean that a program is issuing a read larger thean the block size on tape. "
	 "For write not all data made it to tape.",
	 EXPO_COUNTER, 1},
	{"write_byte_cnt", "node_tape_written_bytes_total",
	 "The number of bytes written to the tape drive.", EXPO_COUNTER, 1},
	{"write_cnt", "node_tape_writes_completed_total",
	 "The number of write requests issued to the tape drive.", EXPO_COUNTER, 1},
	{"write_ns", "node_tape_write_time_seconds_total",
	 "The amount of time spent waiting for write requests to complete.", EXPO_COUNTER, 1e-9},
};
#define TAPE_NSTATS (sizeof(tape_stats) / sizeof(tape_stats[0]))

struct tape_state {
	struct dir_list drives, files;
};

static int tape_setup(char *errbuf, size_t errlen)
{
	vregex_free(tape_ignored);
	tape_ignored = vregex_compile(tape_ignored_flag ? tape_ignored_flag : "^$", false, errbuf,
				      errlen);
	return tape_ignored ? 0 : -EINVAL;
}

/* ^st\d+$ */
static bool tape_is_drive(const char *n)
{
	return strncmp(n, "st", 2) == 0 && n[2] && strspn(n + 2, "0123456789") == strlen(n + 2);
}

/* Read one drive's stats into v; 0 or a negative errno. */
static int tape_read(struct tape_state *st, const char *dir, uint64_t v[TAPE_NSTATS])
{
	int rc = dir_list_read(&st->files, dir, NULL);
	if (rc)
		return log_err(rc, "tapestats: read directory %s", dir);
	memset(v, 0, TAPE_NSTATS * sizeof(*v));
	for (size_t i = 0; i < st->files.n; i++) {
		char buf[SYSFS_ATTR_SIZE], *val;
		rc = read_dir_attr(dir, st->files.v[i], buf, sizeof(buf), &val);
		if (rc)
			return log_err(rc, "tapestats: failed to read file %s/%s", dir,
				       st->files.v[i]);
		for (size_t k = 0; k < TAPE_NSTATS; k++) {
			if (strcmp(st->files.v[i], tape_stats[k].file) != 0)
				continue;
			rc = parse_go_uint(val, 0, 64, &v[k]);
			if (rc)
				return log_err(rc, "tapestats: %s/%s: not a number: %s", dir,
					       st->files.v[i], val);
			break;
		}
	}
	return 0;
}

static int tape_collect(void *state, struct expo_set *out)
{
	struct tape_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "class/scsi_tape");
	int rc = dir_list_read(&st->drives, root, tape_is_drive);
	if (rc == -ENOENT) {
		log_debug("tapestats: scsi_tape stats not found, skipping");
		return -ENODATA;
	}
	if (rc)
		return log_err(rc, "tapestats: error obtaining SCSITape class info");
	/* all drives are read before any is reported, as procfs does */
	uint64_t(*vals)[TAPE_NSTATS] = xcalloc(st->drives.n ? st->drives.n : 1, sizeof(*vals));
	bool *skip = xcalloc(st->drives.n ? st->drives.n : 1, sizeof(*skip));
	for (size_t i = 0; i < st->drives.n && !rc; i++) {
		char drive[PATH_MAX], dir[PATH_MAX];
		const char *name = st->drives.v[i];
		skip[i] = tape_ignored && vregex_match(tape_ignored, name);
		if (skip[i]) {
			log_debug("tapestats: ignoring device\tdevice=%s", name);
			continue;
		}
		rc = path_join(drive, root, name);
		if (!rc)
			rc = path_join(dir, drive, "stats");
		if (!rc)
			rc = tape_read(st, dir, vals[i]);
	}
	for (size_t i = 0; i < st->drives.n && !rc; i++) {
		if (skip[i])
			continue;
		for (size_t k = 0; k < TAPE_NSTATS; k++)
			expo_addl(expo_family(out, tape_stats[k].metric, tape_stats[k].help,
					      tape_stats[k].type),
				  (double)vals[i][k] * tape_stats[k].scale, "device", st->drives.v[i],
				  NULL);
	}
	free(vals);
	free(skip);
	return rc;
}

static void tape_cleanup(void *state)
{
	struct tape_state *st = state;
	dir_list_free(&st->drives);
	dir_list_free(&st->files);
}

const struct collector collector_tapestats = {
	.name = "tapestats",
	.default_on = true,
	.state_size = sizeof(struct tape_state),
	.flags = tape_flags,
	.nflags = ARRAY_SIZE(tape_flags),
	.setup = tape_setup,
	.collect = tape_collect,
	.cleanup = tape_cleanup,
};
