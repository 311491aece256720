// SPDX-License-Identifier: Apache-2.0
/*
 * arp: node_arp_entries{device} from /proc/net/arp, the number of IPv4
 * neighbour entries per device.  The file is a header line and one line per
 * entry:
 *   IP address       HW type     Flags       HW address            Mask     Device
 *   192.168.1.1      0x1         0x2         cc:aa:dd:ee:aa:bb     *        eth0
 * As node_exporter 1.5: the header (first word "IP") is skipped, the device
 * is the last column, a line of fewer than 6 columns fails the collector
 * (blank lines are skipped, as newer node_exporter does).  Devices are
 * filtered by --collector.arp.device-include/-exclude (unanchored regexes).
 * --collector.arp.netlink is accepted for command-line compatibility with
 * newer node_exporter; either way the table is read from /proc/net/arp,
 * which holds the same entries (those without NUD_NOARP).
 * Kernel: net/ipv4/arp.c (arp_seq_show); https://man7.org/linux/man-pages/man7/arp.7.html
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/devfilter.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/pfile.h"

static char *arp_include_flag, *arp_exclude_flag;
static bool arp_netlink_flag;
static struct devfilter arp_filter;

static const struct flag_def arp_flags[] = {
	{"collector.arp.device-include", FLAG_STRING, &arp_include_flag, NULL,
	 "Regexp of arp devices to include (mutually exclusive to device-exclude).", NULL, NULL},
	{"collector.arp.device-exclude", FLAG_STRING, &arp_exclude_flag, NULL,
	 "Regexp of arp devices to exclude (mutually exclusive to device-include).", NULL, NULL},
	{"collector.arp.netlink", FLAG_BOOL, &arp_netlink_flag, "false",
	 "Use netlink to gather stats instead of /proc/net/arp (accepted; vigil reads "
	 "/proc/net/arp either way).",
	 NULL, NULL},
};

struct arp_device {
	const char *name; /* points into the pfile buffer, valid for one scrape */
	unsigned count;
};

struct arp_state {
	struct pfile *pf;
	struct arp_device *devs;
	size_t ndevs, cap;
};

static int arp_setup(char *errbuf, size_t errlen)
{
	static const struct devfilter_opts o = {
		.include_flag = "collector.arp.device-include",
		.exclude_flag = "collector.arp.device-exclude",
	};
	return devfilter_setup(&arp_filter, arp_include_flag, arp_exclude_flag, &o, errbuf, errlen);
}

static int arp_collect(void *state, struct expo_set *out)
{
	struct arp_state *st = state;
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "net/arp"), NULL);
		if (!st->pf)
			return -errno;
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;

	st->ndevs = 0;
	for (size_t l = 0; l < pfile_lines(st->pf); l++) {
		size_t nw = pfile_words(st->pf, l);
		if (nw == 0)
			continue;
		if (nw < 6)
			return -EINVAL;
		if (strcmp(pfile_word(st->pf, l, 0), "IP") == 0)
			continue;
		const char *dev = pfile_word(st->pf, l, nw - 1);
		size_t i;
		for (i = 0; i < st->ndevs; i++)
			if (strcmp(st->devs[i].name, dev) == 0)
				break;
		if (i == st->ndevs) {
			if (st->ndevs == st->cap) {
				st->cap = st->cap ? st->cap * 2 : 8;
				st->devs = xrealloc(st->devs, st->cap * sizeof(*st->devs));
			}
			st->devs[st->ndevs++] = (struct arp_device){dev, 0};
		}
		st->devs[i].count++;
	}

	struct expo_family *f =
		expo_family(out, "node_arp_entries", "ARP entries by device", EXPO_GAUGE);
	for (size_t i = 0; i < st->ndevs; i++)
		if (!devfilter_ignored(&arp_filter, st->devs[i].name))
			expo_addl(f, st->devs[i].count, "device", st->devs[i].name, NULL);
	return 0;
}

static void arp_cleanup(void *state)
{
	struct arp_state *st = state;
	pfile_close(st->pf);
	free(st->devs);
}

const struct collector collector_arp = {
	.name = "arp",
	.default_on = true,
	.state_size = sizeof(struct arp_state),
	.flags = arp_flags,
	.nflags = ARRAY_SIZE(arp_flags),
	.setup = arp_setup,
	.collect = arp_collect,
	.cleanup = arp_cleanup,
};
