// SPDX-License-Identifier: Apache-2.0
/*
 * softnet: per-cpu packet processing statistics from
 * /proc/net/softnet_stat, one line per online cpu of hexadecimal 32-bit
 * columns: processed, dropped, time_squeeze, five zeros, cpu_collision,
 * received_rps (Linux 2.6.39), flow_limit_count (4.18), backlog length
 * and cpu index (5.14).  As node_exporter (prometheus/procfs) does, a line
 * with fewer than nine columns or a column that is not hexadecimal fails
 * the collector; without the index column the cpu label is the line number;
 * absent columns are exported as 0.
 * Format: net/core/net-procfs.c (softnet_seq_show) in the kernel sources;
 * https://www.kernel.org/doc/html/latest/networking/scaling.html
 */
#include <errno.h>
#include <stdio.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/pfile.h"

enum { SOFTNET_MIN_COLUMNS = 9, SOFTNET_COLUMNS = 13 };

struct softnet_state {
	struct pfile *pf;
};

/* Parse the known columns of line l into v (absent ones 0); 0 or -EINVAL. */
static int softnet_line(const struct pfile *pf, size_t l, uint32_t v[SOFTNET_COLUMNS])
{
	size_t nw = pfile_words(pf, l);
	if (nw < SOFTNET_MIN_COLUMNS)
		return -EINVAL;
	for (size_t i = 0; i < SOFTNET_COLUMNS; i++) {
		v[i] = 0;
		/* columns 11 and 12 go together, as in procfs */
		if (i >= nw || (i >= 11 && nw < 13))
			continue;
		uint64_t x;
		if (parse_go_uint(pfile_word(pf, l, i), 16, 32, &x))
			return -EINVAL;
		v[i] = (uint32_t)x;
	}
	return 0;
}

static int softnet_collect(void *state, struct expo_set *out)
{
	struct softnet_state *st = state;
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "net/softnet_stat"), " \t\r\v\f");
		if (!st->pf)
			return -errno;
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;

	uint32_t v[SOFTNET_COLUMNS];
	/* node_exporter exports nothing when any line is bad: check them all first */
	for (size_t l = 0; l < pfile_lines(st->pf); l++)
		if (softnet_line(st->pf, l, v))
			return -EINVAL;
	if (!pfile_lines(st->pf))
		return 0;

	struct expo_family *processed = expo_family(out, "node_softnet_processed_total",
						    "Number of processed packets", EXPO_COUNTER);
	struct expo_family *dropped = expo_family(out, "node_softnet_dropped_total",
						  "Number of dropped packets", EXPO_COUNTER);
	struct expo_family *squeezed =
		expo_family(out, "node_softnet_times_squeezed_total",
			    "Number of times processing packets ran out of quota", EXPO_COUNTER);
	struct expo_family *collision = expo_family(
		out, "node_softnet_cpu_collision_total",
		"Number of collision occur while obtaining device lock while transmitting",
		EXPO_COUNTER);
	struct expo_family *rps =
		expo_family(out, "node_softnet_received_rps_total",
			    "Number of times cpu woken up received_rps", EXPO_COUNTER);
	struct expo_family *flow =
		expo_family(out, "node_softnet_flow_limit_count_total",
			    "Number of times flow limit has been reached", EXPO_COUNTER);
	struct expo_family *backlog =
		expo_family(out, "node_softnet_backlog_len", "Softnet backlog status", EXPO_GAUGE);
	for (size_t l = 0; l < pfile_lines(st->pf); l++) {
		softnet_line(st->pf, l, v);
		char cpu[24];
		unsigned long index = pfile_words(st->pf, l) >= SOFTNET_COLUMNS ? v[12] : l;
		snprintf(cpu, sizeof(cpu), "%lu", (unsigned long)(uint32_t)index);
		expo_addl(processed, v[0], "cpu", cpu, NULL);
		expo_addl(dropped, v[1], "cpu", cpu, NULL);
		expo_addl(squeezed, v[2], "cpu", cpu, NULL);
		expo_addl(collision, v[8], "cpu", cpu, NULL);
		expo_addl(rps, v[9], "cpu", cpu, NULL);
		expo_addl(flow, v[10], "cpu", cpu, NULL);
		expo_addl(backlog, v[11], "cpu", cpu, NULL);
	}
	return 0;
}

static void softnet_cleanup(void *state)
{
	struct softnet_state *st = state;
	pfile_close(st->pf);
}

const struct collector collector_softnet = {
	.name = "softnet",
	.default_on = true,
	.state_size = sizeof(struct softnet_state),
	.collect = softnet_collect,
	.cleanup = softnet_cleanup,
};
