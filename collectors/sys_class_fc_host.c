// SPDX-License-Identifier: Apache-2.0
/*
 * fibrechannel: Fibre Channel host adapters in /sys/class/fc_host/<host>:
 * node_fibrechannel_info labelled by the host attributes (speed,
 * port_state, port_type, port_id, port_name, fabric_name, symbolic_name,
 * supported_classes, supported_speeds, dev_loss_tmo; "" when absent; the
 * "0x" of the ids cut), and one counter per file of statistics/ (hex or
 * decimal, strconv.ParseUint base 0).  A counter reading all ones (the
 * driver does not count it) is left out; a host whose port_state is absent
 * or "Unknown" reports every counter as 0, as node_exporter does.  A
 * counter file that is missing is left out too (node_exporter would
 * crash).  Unreadable attributes other than "gone"/"not supported" and
 * counters that are not numbers fail the collector.  No class directory
 * is "no data".
 * Format: https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-class-fc_host
 * and drivers/scsi/scsi_transport_fc.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

/* Host attributes: file and label, and whether "0x" is cut. */
static const struct fc_attr {
	const char *file, *label;
	bool hex;
} fc_attrs[] = {
	{"speed", "speed", false},
	{"port_state", "port_state", false},
	{"port_type", "port_type", false},
	{"port_id", "port_id", true},
	{"port_name", "port_name", true},
	{"fabric_name", "fabric_name", true},
	{"symbolic_name", "symbolic_name", false},
	{"supported_classes", "supported_classes", false},
	{"supported_speeds", "supported_speeds", false},
	{"dev_loss_tmo", "dev_loss_tmo", false},
};
#define FC_NATTRS (sizeof(fc_attrs) / sizeof(fc_attrs[0]))

/* Statistics files, their family and help. */
static const struct fc_stat {
	const char *file, *metric, *help;
} fc_stats[] = {
	{"dumped_frames", "dumped_frames_total", "Number of dumped frames"},
	{"error_frames", "error_frames_total", "Number of errors in frames"},
	{"invalid_crc_count", "invalid_crc_total", "Invalid Cyclic Redundancy Check count"},
	{"rx_frames", "rx_frames_total", "Number of frames received"},
	{"rx_words", "rx_words_total", "Number of words received by host port"},
	{"tx_frames", "tx_frames_total", "Number of frames transmitted by host port"},
	{"tx_words", "tx_words_total", "Number of words transmitted by host port"},
	{"seconds_since_last_reset", "seconds_since_last_reset_total",
	 "Number of seconds since last host port reset"},
	{"invalid_tx_word_count", "invalid_tx_words_total",
	 "Number of invalid words transmitted by host port"},
	{"link_failure_count", "link_failure_total", "Number of times the host port link has failed"},
	{"loss_of_sync_count", "loss_of_sync_total",
	 "Number of failures on either bit or transmission word boundaries"},
	{"loss_of_signal_count", "loss_of_signal_total", "Number of times signal has been lost"},
	{"nos_count", "nos_total", "Number Not_Operational Primitive Sequence received by host port"},
	{"fcp_packet_aborts", "fcp_packet_aborts_total", "Number of aborted packets"},
};
#define FC_NSTATS (sizeof(fc_stats) / sizeof(fc_stats[0]))

struct fc_state {
	struct dir_list hosts, files;
};

/* The counters of one host's statistics directory. */
static int fc_counters(struct fc_state *st, const char *hostdir, bool has[FC_NSTATS],
		       uint64_t v[FC_NSTATS])
{
	char dir[PATH_MAX];
	memset(has, 0, FC_NSTATS * sizeof(*has));
	if (path_join(dir, hostdir, "statistics"))
		return -ENAMETOOLONG;
	int rc = dir_list_read(&st->files, dir, NULL);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return log_err(rc, "fibrechannel: read directory %s", dir);
	for (size_t i = 0; i < st->files.n; i++) {
		const char *name = st->files.v[i];
		char path[PATH_MAX], buf[SYSFS_ATTR_SIZE], *val;
		struct stat sb;
		if (strcmp(name, "reset_statistics") == 0 || path_join(path, dir, name) ||
		    lstat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		rc = read_attr_trimmed(AT_FDCWD, path, buf, sizeof(buf), &val);
		if (rc == -ENOENT || rc == -EOPNOTSUPP || rc == -EINVAL)
			continue;
		if (rc)
			return log_err(rc, "fibrechannel: failed to read file %s", path);
		for (size_t k = 0; k < FC_NSTATS; k++) {
			if (strcmp(name, fc_stats[k].file) != 0)
				continue;
			rc = parse_go_uint(val, 0, 64, &v[k]);
			if (rc)
				return log_err(rc, "fibrechannel: %s: not a number: %s", path, val);
			has[k] = true;
			break;
		}
	}
	return 0;
}

/* One host: info and counters. */
static int fc_host(struct fc_state *st, const char *root, const char *host, struct expo_set *out)
{
	char dir[PATH_MAX], vals[FC_NATTRS][SYSFS_ATTR_SIZE];
	bool present[FC_NATTRS];
	struct expo_label l[FC_NATTRS + 1];
	if (path_join(dir, root, host))
		return -ENAMETOOLONG;
	l[0] = (struct expo_label){"fc_host", host};
	for (size_t i = 0; i < FC_NATTRS; i++) {
		char buf[SYSFS_ATTR_SIZE], *v;
		int rc = read_dir_attr(dir, fc_attrs[i].file, buf, sizeof(buf), &v);
		present[i] = rc == 0;
		if (rc && rc != -ENOENT)
			return log_err(rc, "fibrechannel: failed to read file %s/%s", dir,
				       fc_attrs[i].file);
		if (rc)
			v = "";
		else if (fc_attrs[i].hex && strlen(v) > 2)
			v += 2;
		snprintf(vals[i], sizeof(vals[i]), "%s", v);
		l[i + 1] = (struct expo_label){fc_attrs[i].label, vals[i]};
	}
	/* node_name is read (its errors count) but not exported */
	char nb[SYSFS_ATTR_SIZE], *nv;
	int rc = read_dir_attr(dir, "node_name", nb, sizeof(nb), &nv);
	if (rc && rc != -ENOENT)
		return log_err(rc, "fibrechannel: failed to read file %s/node_name", dir);

	bool has[FC_NSTATS];
	uint64_t v[FC_NSTATS];
	rc = fc_counters(st, dir, has, v);
	if (rc)
		return rc;
	expo_add(expo_family(out, "node_fibrechannel_info",
			     "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.",
			     EXPO_GAUGE),
		 l, FC_NATTRS + 1, 1);
	bool unknown = !present[1] || strcmp(vals[1], "Unknown") == 0;
	for (size_t k = 0; k < FC_NSTATS; k++) {
		if (unknown) {
			has[k] = true;
			v[k] = 0;
		}
		if (!has[k] || v[k] == UINT64_MAX)
			continue;
		char name[96];
		snprintf(name, sizeof(name), "node_fibrechannel_%s", fc_stats[k].metric);
		expo_addl(expo_family(out, name, fc_stats[k].help, EXPO_COUNTER), (double)v[k],
			  "fc_host", host, NULL);
	}
	return 0;
}

static int fc_collect(void *state, struct expo_set *out)
{
	struct fc_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "class/fc_host");
	int rc = dir_list_read(&st->hosts, root, NULL);
	if (rc == -ENOENT) {
		log_debug("fibrechannel: statistics not found, skipping");
		return -ENODATA;
	}
	if (rc)
		return log_err(rc, "fibrechannel: error obtaining FibreChannel class info");
	for (size_t i = 0; i < st->hosts.n; i++) {
		rc = fc_host(st, root, st->hosts.v[i], out);
		if (rc)
			return rc;
	}
	return 0;
}

static void fc_cleanup(void *state)
{
	struct fc_state *st = state;
	dir_list_free(&st->hosts);
	dir_list_free(&st->files);
}

const struct collector collector_fibrechannel = {
	.name = "fibrechannel",
	.default_on = true,
	.state_size = sizeof(struct fc_state),
	.collect = fc_collect,
	.cleanup = fc_cleanup,
};
