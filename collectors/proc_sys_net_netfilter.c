// SPDX-License-Identifier: Apache-2.0
/*
 * conntrack: node_nf_conntrack_entries and _entries_limit from
 * /proc/sys/net/netfilter/nf_conntrack_{count,max} (one decimal each), and
 * node_nf_conntrack_stat_* from /proc/net/stat/nf_conntrack: a header line,
 * then one line per CPU of 16 or 17 hexadecimal fields
 *   entries searched found new invalid ignore delete delete_list insert
 *   insert_failed drop early_drop icmp_error expect_new expect_create
 *   expect_delete [search_restart]
 * summed over the CPUs.  As node_exporter: a missing file means the module is
 * not loaded (the collector reports no data: success 0, what was read before
 * is still served), a malformed file is a failure.
 * Kernel: https://www.kernel.org/doc/html/latest/networking/nf_conntrack-sysctl.html
 * and net/netfilter/nf_conntrack_standalone.c (ct_cpu_seq_show).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/pfile.h"

struct conntrack_state {
	struct pfile *stat;
};

/* The stat_* families: column of /proc/net/stat/nf_conntrack, name, help. */
static const struct {
	unsigned col;
	const char *name;
	const char *help;
} conntrack_stats[] = {
	{2, "node_nf_conntrack_stat_found", "Number of searched entries which were successful."},
	{4, "node_nf_conntrack_stat_invalid", "Number of packets seen which can not be tracked."},
	{5, "node_nf_conntrack_stat_ignore",
	 "Number of packets seen which are already connected to a conntrack entry."},
	{8, "node_nf_conntrack_stat_insert", "Number of entries inserted into the list."},
	{9, "node_nf_conntrack_stat_insert_failed",
	 "Number of entries for which list insertion was attempted but failed."},
	{10, "node_nf_conntrack_stat_drop", "Number of packets dropped due to conntrack failure."},
	{11, "node_nf_conntrack_stat_early_drop",
	 "Number of dropped conntrack entries to make room for new ones, if maximum table size "
	 "was reached."},
	{16, "node_nf_conntrack_stat_search_restart",
	 "Number of conntrack table lookups which had to be restarted due to hashtable resizes."},
};

/* A file of one decimal (surrounding blanks allowed), as readUintFromFile. */
static int conntrack_read_uint(const char *rel, double *out)
{
	char path[PATH_MAX];
	uint64_t v;
	int rc = read_u64_file(proc_path(path, "%s", rel), &v);
	if (rc == 0)
		*out = (double)v;
	return rc;
}

/* A missing file means no data (node_exporter's ErrNoData): success 0. */
static int conntrack_no_data(int rc)
{
	return rc == -ENOENT ? -ENODATA : rc;
}

static int conntrack_collect(void *state, struct expo_set *out)
{
	struct conntrack_state *st = state;
	double v;
	int rc = conntrack_read_uint("sys/net/netfilter/nf_conntrack_count", &v);
	if (rc)
		return conntrack_no_data(rc);
	expo_add(expo_family(out, "node_nf_conntrack_entries",
			     "Number of currently allocated flow entries for connection tracking.",
			     EXPO_GAUGE),
		 NULL, 0, v);
	rc = conntrack_read_uint("sys/net/netfilter/nf_conntrack_max", &v);
	if (rc)
		return conntrack_no_data(rc);
	expo_add(expo_family(out, "node_nf_conntrack_entries_limit",
			     "Maximum size of connection tracking table.", EXPO_GAUGE),
		 NULL, 0, v);

	if (!st->stat) {
		char path[PATH_MAX];
		st->stat = pfile_open(proc_path(path, "net/stat/nf_conntrack"), NULL);
		if (!st->stat)
			return conntrack_no_data(-errno);
	}
	rc = pfile_read(st->stat);
	if (rc)
		return conntrack_no_data(rc);
	uint64_t sum[ARRAY_SIZE(conntrack_stats)] = {0};
	/* line 0 is the header */
	for (size_t l = 1; l < pfile_lines(st->stat); l++) {
		size_t nw = pfile_words(st->stat, l);
		uint64_t f[17] = {0};
		if (nw < 16 || nw > 17)
			return -EINVAL;
		for (size_t w = 0; w < nw; w++) {
			rc = parse_go_uint(pfile_word(st->stat, l, w), 16, 64, &f[w]);
			if (rc)
				return rc;
		}
		for (size_t i = 0; i < ARRAY_SIZE(conntrack_stats); i++)
			sum[i] += f[conntrack_stats[i].col];
	}
	for (size_t i = 0; i < ARRAY_SIZE(conntrack_stats); i++)
		expo_add(expo_family(out, conntrack_stats[i].name, conntrack_stats[i].help,
				     EXPO_GAUGE),
			 NULL, 0, (double)sum[i]);
	return 0;
}

static void conntrack_cleanup(void *state)
{
	struct conntrack_state *st = state;
	pfile_close(st->stat);
}

const struct collector collector_conntrack = {
	.name = "conntrack",
	.default_on = true,
	.state_size = sizeof(struct conntrack_state),
	.collect = conntrack_collect,
	.cleanup = conntrack_cleanup,
};
