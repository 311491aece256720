// SPDX-License-Identifier: Apache-2.0
/*
 * The cAdvisor exposition of the container store, written straight into the
 * output buffer (no intermediate metric set): with a thousand containers a
 * round emits some 35,000 samples, and each container's label block is
 * escaped once per round and reused by all its samples.
 *
 * Output as client_golang writes cAdvisor's registry (golden file:
 * ../shared/fixtures/cadvisor/prometheus_metrics):
 *   - families sorted by name, a family without samples left out;
 *   - label names sorted within a sample: the container_label_<key> labels
 *     (the union over all containers, "" where a container lacks one), then
 *     cpu / device / failure_type, id, image, interface, name, scope;
 *   - samples of a family sorted by their label values in that order;
 *   - container samples stamped with the round's time in ms, except
 *     container_spec_*, container_start_time_seconds, container_scrape_error
 *     and cadvisor_version_info;
 *   - container_cpu_usage_seconds_total carries cpu="total" (cAdvisor's
 *     default: per-CPU usage off).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/container_store.h"
#include "version.h"

enum fam {
	F_CADVISOR_VERSION_INFO,
	F_CPU_USAGE_SECONDS_TOTAL,
	F_CPU_USER_SECONDS_TOTAL,
	F_CPU_SYSTEM_SECONDS_TOTAL,
	F_CPU_CFS_PERIODS_TOTAL,
	F_CPU_CFS_THROTTLED_PERIODS_TOTAL,
	F_CPU_CFS_THROTTLED_SECONDS_TOTAL,
	F_MEMORY_USAGE_BYTES,
	F_MEMORY_WORKING_SET_BYTES,
	F_MEMORY_RSS,
	F_MEMORY_CACHE,
	F_MEMORY_SWAP,
	F_MEMORY_MAPPED_FILE,
	F_MEMORY_FAILCNT,
	F_MEMORY_MAX_USAGE_BYTES,
	F_MEMORY_FAILURES_TOTAL,
	F_OOM_EVENTS_TOTAL,
	F_NETWORK_RECEIVE_BYTES_TOTAL,
	F_NETWORK_RECEIVE_PACKETS_TOTAL,
	F_NETWORK_RECEIVE_ERRORS_TOTAL,
	F_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL,
	F_NETWORK_TRANSMIT_BYTES_TOTAL,
	F_NETWORK_TRANSMIT_PACKETS_TOTAL,
	F_NETWORK_TRANSMIT_ERRORS_TOTAL,
	F_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL,
	F_FS_READS_BYTES_TOTAL,
	F_FS_WRITES_BYTES_TOTAL,
	F_FS_READS_TOTAL,
	F_FS_WRITES_TOTAL,
	F_PROCESSES,
	F_THREADS,
	F_THREADS_MAX,
	F_SPEC_CPU_SHARES,
	F_SPEC_CPU_QUOTA,
	F_SPEC_CPU_PERIOD,
	F_SPEC_MEMORY_LIMIT_BYTES,
	F_SPEC_MEMORY_RESERVATION_LIMIT_BYTES,
	F_SPEC_MEMORY_SWAP_LIMIT_BYTES,
	F_START_TIME_SECONDS,
	F_LAST_SEEN,
	F_SCRAPE_ERROR,
	F_PRESSURE_CPU_STALLED_SECONDS_TOTAL,
	F_PRESSURE_CPU_WAITING_SECONDS_TOTAL,
	F_PRESSURE_MEMORY_STALLED_SECONDS_TOTAL,
	F_PRESSURE_MEMORY_WAITING_SECONDS_TOTAL,
	F_PRESSURE_IO_STALLED_SECONDS_TOTAL,
	F_PRESSURE_IO_WAITING_SECONDS_TOTAL,
	F_MACHINE_CPU_CORES,
	F_MACHINE_MEMORY_BYTES,
	F_N
};

static const struct {
	const char *name, *help;
	enum expo_type type;
} fams[F_N] = {
	[F_CADVISOR_VERSION_INFO] =
		{"cadvisor_version_info",
		 "A metric with a constant '1' value labeled by kernel version, OS version, docker "
		 "version, cadvisor version & cadvisor revision.",
		 EXPO_GAUGE},
	[F_CPU_USAGE_SECONDS_TOTAL] = {"container_cpu_usage_seconds_total",
				       "Cumulative cpu time consumed in seconds.", EXPO_COUNTER},
	[F_CPU_USER_SECONDS_TOTAL] = {"container_cpu_user_seconds_total",
				      "Cumulative user cpu time consumed in seconds.",
				      EXPO_COUNTER},
	[F_CPU_SYSTEM_SECONDS_TOTAL] = {"container_cpu_system_seconds_total",
					"Cumulative system cpu time consumed in seconds.",
					EXPO_COUNTER},
	[F_CPU_CFS_PERIODS_TOTAL] = {"container_cpu_cfs_periods_total",
				     "Number of elapsed enforcement period intervals.",
				     EXPO_COUNTER},
	[F_CPU_CFS_THROTTLED_PERIODS_TOTAL] = {"container_cpu_cfs_throttled_periods_total",
					       "Number of throttled period intervals.",
					       EXPO_COUNTER},
	[F_CPU_CFS_THROTTLED_SECONDS_TOTAL] =
		{"container_cpu_cfs_throttled_seconds_total",
		 "Total time duration the container has been throttled.", EXPO_COUNTER},
	[F_MEMORY_USAGE_BYTES] = {"container_memory_usage_bytes",
				  "Current memory usage in bytes, including all memory regardless "
				  "of when it was accessed",
				  EXPO_GAUGE},
	[F_MEMORY_WORKING_SET_BYTES] = {"container_memory_working_set_bytes",
					"Current working set in bytes.", EXPO_GAUGE},
	[F_MEMORY_RSS] = {"container_memory_rss", "Size of RSS in bytes.", EXPO_GAUGE},
	[F_MEMORY_CACHE] = {"container_memory_cache", "Number of bytes of page cache memory.",
			    EXPO_GAUGE},
	[F_MEMORY_SWAP] = {"container_memory_swap", "Container swap usage in bytes.", EXPO_GAUGE},
	[F_MEMORY_MAPPED_FILE] = {"container_memory_mapped_file",
				  "Size of memory mapped files in bytes.", EXPO_GAUGE},
	[F_MEMORY_FAILCNT] = {"container_memory_failcnt", "Number of memory usage hits limits",
			      EXPO_COUNTER},
	[F_MEMORY_MAX_USAGE_BYTES] = {"container_memory_max_usage_bytes",
				      "Maximum memory usage recorded in bytes", EXPO_GAUGE},
	[F_MEMORY_FAILURES_TOTAL] = {"container_memory_failures_total",
				     "Cumulative count of memory allocation failures.",
				     EXPO_COUNTER},
	[F_OOM_EVENTS_TOTAL] = {"container_oom_events_total",
				"Count of out of memory events observed for the container",
				EXPO_COUNTER},
	[F_NETWORK_RECEIVE_BYTES_TOTAL] = {"container_network_receive_bytes_total",
					   "Cumulative count of bytes received", EXPO_COUNTER},
	[F_NETWORK_RECEIVE_PACKETS_TOTAL] = {"container_network_receive_packets_total",
					     "Cumulative count of packets received", EXPO_COUNTER},
	[F_NETWORK_RECEIVE_ERRORS_TOTAL] =
		{"container_network_receive_errors_total",
		 "Cumulative count of errors encountered while receiving", EXPO_COUNTER},
	[F_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL] =
		{"container_network_receive_packets_dropped_total",
		 "Cumulative count of packets dropped while receiving", EXPO_COUNTER},
	[F_NETWORK_TRANSMIT_BYTES_TOTAL] = {"container_network_transmit_bytes_total",
					    "Cumulative count of bytes transmitted", EXPO_COUNTER},
	[F_NETWORK_TRANSMIT_PACKETS_TOTAL] = {"container_network_transmit_packets_total",
					      "Cumulative count of packets transmitted",
					      EXPO_COUNTER},
	[F_NETWORK_TRANSMIT_ERRORS_TOTAL] =
		{"container_network_transmit_errors_total",
		 "Cumulative count of errors encountered while transmitting", EXPO_COUNTER},
	[F_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL] =
		{"container_network_transmit_packets_dropped_total",
		 "Cumulative count of packets dropped while transmitting", EXPO_COUNTER},
	[F_FS_READS_BYTES_TOTAL] = {"container_fs_reads_bytes_total",
				    "Cumulative count of bytes read", EXPO_COUNTER},
	[F_FS_WRITES_BYTES_TOTAL] = {"container_fs_writes_bytes_total",
				     "Cumulative count of bytes written", EXPO_COUNTER},
	[F_FS_READS_TOTAL] = {"container_fs_reads_total", "Cumulative count of reads completed",
			      EXPO_COUNTER},
	[F_FS_WRITES_TOTAL] = {"container_fs_writes_total", "Cumulative count of writes completed",
			       EXPO_COUNTER},
	[F_PROCESSES] = {"container_processes", "Number of processes running inside the container.",
			 EXPO_GAUGE},
	[F_THREADS] = {"container_threads", "Number of threads running inside the container",
		       EXPO_GAUGE},
	[F_THREADS_MAX] = {"container_threads_max",
			   "Maximum number of threads allowed inside the container, infinity if "
			   "value is zero",
			   EXPO_GAUGE},
	[F_SPEC_CPU_SHARES] = {"container_spec_cpu_shares", "CPU share of the container.",
			       EXPO_GAUGE},
	[F_SPEC_CPU_QUOTA] = {"container_spec_cpu_quota", "CPU quota of the container.",
			      EXPO_GAUGE},
	[F_SPEC_CPU_PERIOD] = {"container_spec_cpu_period", "CPU period of the container.",
			       EXPO_GAUGE},
	[F_SPEC_MEMORY_LIMIT_BYTES] = {"container_spec_memory_limit_bytes",
				       "Memory limit for the container.", EXPO_GAUGE},
	[F_SPEC_MEMORY_RESERVATION_LIMIT_BYTES] = {"container_spec_memory_reservation_limit_bytes",
						   "Memory reservation limit for the container.",
						   EXPO_GAUGE},
	[F_SPEC_MEMORY_SWAP_LIMIT_BYTES] = {"container_spec_memory_swap_limit_bytes",
					    "Memory swap limit for the container.", EXPO_GAUGE},
	[F_START_TIME_SECONDS] = {"container_start_time_seconds",
				  "Start time of the container since unix epoch in seconds.",
				  EXPO_GAUGE},
	[F_LAST_SEEN] = {"container_last_seen", "Last time a container was seen by the exporter",
			 EXPO_GAUGE},
	[F_SCRAPE_ERROR] = {"container_scrape_error",
			    "1 if there was an error while getting container metrics, 0 otherwise",
			    EXPO_GAUGE},
	[F_PRESSURE_CPU_STALLED_SECONDS_TOTAL] = {"container_pressure_cpu_stalled_seconds_total",
						  "Total time duration no tasks in the container "
						  "could make progress due to CPU congestion.",
						  EXPO_COUNTER},
	[F_PRESSURE_CPU_WAITING_SECONDS_TOTAL] =
		{"container_pressure_cpu_waiting_seconds_total",
		 "Total time duration tasks in the container have waited due to CPU congestion.",
		 EXPO_COUNTER},
	[F_PRESSURE_MEMORY_STALLED_SECONDS_TOTAL] =
		{"container_pressure_memory_stalled_seconds_total",
		 "Total time duration no tasks in the container could make progress due to memory "
		 "congestion.",
		 EXPO_COUNTER},
	[F_PRESSURE_MEMORY_WAITING_SECONDS_TOTAL] =
		{"container_pressure_memory_waiting_seconds_total",
		 "Total time duration tasks in the container have waited due to memory congestion.",
		 EXPO_COUNTER},
	[F_PRESSURE_IO_STALLED_SECONDS_TOTAL] = {"container_pressure_io_stalled_seconds_total",
						 "Total time duration no tasks in the container "
						 "could make progress due to IO congestion.",
						 EXPO_COUNTER},
	[F_PRESSURE_IO_WAITING_SECONDS_TOTAL] =
		{"container_pressure_io_waiting_seconds_total",
		 "Total time duration tasks in the container have waited due to IO congestion.",
		 EXPO_COUNTER},
	[F_MACHINE_CPU_CORES] = {"machine_cpu_cores", "Number of logical CPU cores.", EXPO_GAUGE},
	[F_MACHINE_MEMORY_BYTES] = {"machine_memory_bytes",
				    "Amount of memory installed on the machine.", EXPO_GAUGE},
};

/* Where a family's extra label goes. */
enum extra { X_NONE, X_CPU, X_FAILURE, X_IFACE, X_DEVICE };

static enum extra family_extra(enum fam f)
{
	switch (f) {
	case F_CPU_USAGE_SECONDS_TOTAL:
		return X_CPU;
	case F_MEMORY_FAILURES_TOTAL:
		return X_FAILURE;
	case F_NETWORK_RECEIVE_BYTES_TOTAL:
	case F_NETWORK_RECEIVE_PACKETS_TOTAL:
	case F_NETWORK_RECEIVE_ERRORS_TOTAL:
	case F_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL:
	case F_NETWORK_TRANSMIT_BYTES_TOTAL:
	case F_NETWORK_TRANSMIT_PACKETS_TOTAL:
	case F_NETWORK_TRANSMIT_ERRORS_TOTAL:
	case F_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL:
		return X_IFACE;
	case F_FS_READS_BYTES_TOTAL:
	case F_FS_WRITES_BYTES_TOTAL:
	case F_FS_READS_TOTAL:
	case F_FS_WRITES_TOTAL:
		return X_DEVICE;
	default:
		return X_NONE;
	}
}

static bool family_stamped(enum fam f)
{
	if (strncmp(fams[f].name, "container_spec_", 15) == 0)
		return false;
	return f != F_START_TIME_SECONDS && f != F_SCRAPE_ERROR && f != F_CADVISOR_VERSION_INFO;
}

/* The value of a family without extra labels for c; false when c has none. */
static bool plain_value(enum fam f, const struct ctr *c, double now, double *v)
{
	const struct cgroup_stats *st = &c->st;
	bool mem = st->have & CGS_MEM;
	bool cfs = (st->have & CGS_CFS) && (st->have & CGS_SPEC_CPU) && st->cpu_quota > 0;
	bool psi = st->have & CGS_PSI;
	switch (f) {
	case F_CPU_USAGE_SECONDS_TOTAL:
		*v = (double)st->cpu_usage_ns / 1e9;
		return st->have & CGS_CPU;
	case F_CPU_USER_SECONDS_TOTAL:
		*v = (double)st->cpu_user_ns / 1e9;
		return st->have & CGS_CPU;
	case F_CPU_SYSTEM_SECONDS_TOTAL:
		*v = (double)st->cpu_system_ns / 1e9;
		return st->have & CGS_CPU;
	case F_CPU_CFS_PERIODS_TOTAL:
		*v = (double)st->nr_periods;
		return cfs;
	case F_CPU_CFS_THROTTLED_PERIODS_TOTAL:
		*v = (double)st->nr_throttled;
		return cfs;
	case F_CPU_CFS_THROTTLED_SECONDS_TOTAL:
		*v = (double)st->throttled_ns / 1e9;
		return cfs;
	case F_MEMORY_USAGE_BYTES:
		*v = (double)st->mem_usage;
		return mem;
	case F_MEMORY_WORKING_SET_BYTES:
		*v = (double)st->mem_working_set;
		return mem;
	case F_MEMORY_RSS:
		*v = (double)st->mem_rss;
		return mem;
	case F_MEMORY_CACHE:
		*v = (double)st->mem_cache;
		return mem;
	case F_MEMORY_SWAP:
		*v = (double)st->mem_swap;
		return mem;
	case F_MEMORY_MAPPED_FILE:
		*v = (double)st->mem_mapped;
		return mem;
	case F_MEMORY_FAILCNT:
		*v = (double)st->mem_failcnt;
		return mem;
	case F_MEMORY_MAX_USAGE_BYTES:
		*v = (double)st->mem_max_usage;
		return mem;
	case F_OOM_EVENTS_TOTAL:
		*v = (double)st->oom_kill;
		return mem;
	case F_PROCESSES:
		*v = (double)st->processes;
		return st->have & CGS_PROCS;
	case F_THREADS:
		*v = (double)st->threads;
		return st->have & CGS_PIDS;
	case F_THREADS_MAX:
		*v = (double)st->threads_max;
		return st->have & CGS_THREADS_MAX;
	case F_SPEC_CPU_SHARES:
		*v = (double)st->cpu_shares;
		return st->have & CGS_SPEC_CPU;
	case F_SPEC_CPU_QUOTA:
		*v = (double)st->cpu_quota;
		return (st->have & CGS_SPEC_CPU) && st->cpu_quota > 0;
	case F_SPEC_CPU_PERIOD:
		*v = (double)st->cpu_period;
		return (st->have & CGS_SPEC_CPU) && st->cpu_period;
	case F_SPEC_MEMORY_LIMIT_BYTES:
		*v = st->mem_limit;
		return st->have & CGS_SPEC_MEM;
	case F_SPEC_MEMORY_RESERVATION_LIMIT_BYTES:
		*v = st->mem_reservation;
		return st->have & CGS_SPEC_MEM;
	case F_SPEC_MEMORY_SWAP_LIMIT_BYTES:
		*v = st->mem_swap_limit;
		return st->have & CGS_SPEC_MEM;
	case F_START_TIME_SECONDS:
		*v = c->start_time;
		return c->start_time > 0;
	case F_LAST_SEEN:
		*v = now;
		return true;
	case F_PRESSURE_CPU_STALLED_SECONDS_TOTAL:
		*v = (double)st->psi_full_us[PSI_CPU] / 1e6;
		return psi;
	case F_PRESSURE_CPU_WAITING_SECONDS_TOTAL:
		*v = (double)st->psi_some_us[PSI_CPU] / 1e6;
		return psi;
	case F_PRESSURE_MEMORY_STALLED_SECONDS_TOTAL:
		*v = (double)st->psi_full_us[PSI_MEMORY] / 1e6;
		return psi;
	case F_PRESSURE_MEMORY_WAITING_SECONDS_TOTAL:
		*v = (double)st->psi_some_us[PSI_MEMORY] / 1e6;
		return psi;
	case F_PRESSURE_IO_STALLED_SECONDS_TOTAL:
		*v = (double)st->psi_full_us[PSI_IO] / 1e6;
		return psi;
	case F_PRESSURE_IO_WAITING_SECONDS_TOTAL:
		*v = (double)st->psi_some_us[PSI_IO] / 1e6;
		return psi;
	default:
		return false;
	}
}

static double net_value(enum fam f, const struct cgroup_net *n)
{
	switch (f) {
	case F_NETWORK_RECEIVE_BYTES_TOTAL:
		return (double)n->rx_bytes;
	case F_NETWORK_RECEIVE_PACKETS_TOTAL:
		return (double)n->rx_packets;
	case F_NETWORK_RECEIVE_ERRORS_TOTAL:
		return (double)n->rx_errs;
	case F_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL:
		return (double)n->rx_drop;
	case F_NETWORK_TRANSMIT_BYTES_TOTAL:
		return (double)n->tx_bytes;
	case F_NETWORK_TRANSMIT_PACKETS_TOTAL:
		return (double)n->tx_packets;
	case F_NETWORK_TRANSMIT_ERRORS_TOTAL:
		return (double)n->tx_errs;
	default:
		return (double)n->tx_drop;
	}
}

static double io_value(enum fam f, const struct cgroup_io *io)
{
	switch (f) {
	case F_FS_READS_BYTES_TOTAL:
		return (double)io->rbytes;
	case F_FS_WRITES_BYTES_TOTAL:
		return (double)io->wbytes;
	case F_FS_READS_TOTAL:
		return (double)io->rios;
	default:
		return (double)io->wios;
	}
}

/* A container as rendered this round. */
struct rctr {
	const struct ctr *c;
	const char **vals; /* value of each union label key, "" if absent */
	uint32_t lrank;	   /* rank of the vals tuple (equal tuples, equal rank) */
	struct buf lab;	   /* pre | idpart | namepart, escaped */
	size_t off1, off2; /* ends of pre and idpart */
};

struct rstate {
	struct rctr *rc;
	size_t n, nkeys;
	char ts[24]; /* " <ms>" */
	size_t tslen;
	double now;
};

static int cmp_vals(const struct rctr *a, const struct rctr *b, size_t nkeys)
{
	for (size_t k = 0; k < nkeys; k++) {
		int c = strcmp(a->vals[k], b->vals[k]);
		if (c)
			return c;
	}
	return 0;
}

static int cmp_rctr(const void *pa, const void *pb, void *arg)
{
	const struct rctr *a = pa, *b = pb;
	int c = cmp_vals(a, b, *(size_t *)arg);
	return c ? c : strcmp(a->c->cgroup, b->c->cgroup);
}

static void line_end(struct buf *o, const struct rstate *s, double v, bool stamped)
{
	buf_puts(o, "} ");
	expo_put_double(o, v);
	if (stamped)
		buf_append(o, s->ts, s->tslen);
	buf_putc(o, '\n');
}

/* name{pre[k="v",]idpart[interface="v",]namepart[,scope="v"]} */
static void line(struct buf *o, const struct rstate *s, const char *name, const struct rctr *r,
		 const char *k1, const char *v1, bool after_image, const char *scope, double v,
		 bool stamped)
{
	buf_puts(o, name);
	buf_putc(o, '{');
	const char *lab = r->lab.data;
	if (k1 && !after_image) {
		buf_append(o, lab, r->off1);
		buf_printf(o, "%s=\"", k1);
		expo_put_label_value(o, v1);
		buf_puts(o, "\",");
		buf_append(o, lab + r->off1, r->lab.len - r->off1);
	} else if (k1) {
		buf_append(o, lab, r->off2);
		buf_printf(o, "%s=\"", k1);
		expo_put_label_value(o, v1);
		buf_puts(o, "\",");
		buf_append(o, lab + r->off2, r->lab.len - r->off2);
	} else {
		buf_append(o, lab, r->lab.len);
	}
	if (scope) {
		buf_puts(o, ",scope=\"");
		buf_puts(o, scope);
		buf_putc(o, '"');
	}
	line_end(o, s, v, stamped);
}

struct dev_entry {
	uint32_t lrank, rank;
	const char *dev;
	const struct cgroup_io *io;
};

static int cmp_dev(const void *pa, const void *pb)
{
	const struct dev_entry *a = pa, *b = pb;
	if (a->lrank != b->lrank)
		return a->lrank < b->lrank ? -1 : 1;
	int c = strcmp(a->dev, b->dev);
	if (c)
		return c;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

static void emit_devices(struct ctr_engine *e, struct buf *o, const struct rstate *s, enum fam f,
			 bool stamped)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->rc[i].c->st.nio;
	if (!n)
		return;
	struct dev_entry *d = xcalloc(n, sizeof(*d));
	char(*tmp)[32] = xcalloc(n, sizeof(*tmp));
	n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct cgroup_stats *st = &s->rc[i].c->st;
		for (size_t j = 0; j < st->nio; j++, n++) {
			d[n].lrank = s->rc[i].lrank;
			d[n].rank = (uint32_t)i;
			d[n].io = &st->io[j];
			d[n].dev = ctr_device_name(e, st->io[j].major, st->io[j].minor, tmp[n],
						   sizeof(tmp[n]));
		}
	}
	qsort(d, n, sizeof(*d), cmp_dev);
	for (size_t i = 0; i < n; i++)
		line(o, s, fams[f].name, &s->rc[d[i].rank], "device", d[i].dev, false, NULL,
		     io_value(f, d[i].io), stamped);
	free(d);
	free(tmp);
}

static void emit_family(struct ctr_engine *e, struct buf *o, const struct rstate *s, enum fam f)
{
	bool stamped = family_stamped(f);
	const char *name = fams[f].name;
	double v;
	switch (family_extra(f)) {
	case X_NONE:
		for (size_t i = 0; i < s->n; i++)
			if (plain_value(f, s->rc[i].c, s->now, &v))
				line(o, s, name, &s->rc[i], NULL, NULL, false, NULL, v, stamped);
		break;
	case X_CPU:
		for (size_t i = 0; i < s->n; i++)
			if (plain_value(f, s->rc[i].c, s->now, &v))
				line(o, s, name, &s->rc[i], "cpu", "total", false, NULL, v,
				     stamped);
		break;
	case X_IFACE:
		for (size_t i = 0; i < s->n; i++) {
			const struct cgroup_stats *st = &s->rc[i].c->st;
			/* interfaces in name order (a handful: selection) */
			bool done[CGROUP_MAX_NET] = {false};
			for (size_t k = 0; k < st->nnet; k++) {
				size_t best = SIZE_MAX;
				for (size_t j = 0; j < st->nnet; j++)
					if (!done[j] &&
					    (best == SIZE_MAX ||
					     strcmp(st->net[j].name, st->net[best].name) < 0))
						best = j;
				done[best] = true;
				line(o, s, name, &s->rc[i], "interface", st->net[best].name, true,
				     NULL, net_value(f, &st->net[best]), stamped);
			}
		}
		break;
	case X_FAILURE:
		for (size_t g = 0; g < s->n;) {
			size_t end = g;
			while (end < s->n && s->rc[end].lrank == s->rc[g].lrank)
				end++;
			for (int ft = 0; ft < 2; ft++) {
				for (size_t i = g; i < end; i++) {
					const struct cgroup_stats *st = &s->rc[i].c->st;
					if (!(st->have & CGS_MEM))
						continue;
					const char *type = ft ? "pgmajfault" : "pgfault";
					line(o, s, name, &s->rc[i], "failure_type", type, false,
					     "container",
					     (double)(ft ? st->pgmajfault : st->pgfault), stamped);
					line(o, s, name, &s->rc[i], "failure_type", type, false,
					     "hierarchy",
					     (double)(ft ? st->h_pgmajfault : st->h_pgfault),
					     stamped);
				}
			}
			g = end;
		}
		break;
	case X_DEVICE:
		emit_devices(e, o, s, f, stamped);
		break;
	}
}

static void header(struct buf *o, enum fam f)
{
	buf_puts(o, "# HELP ");
	buf_puts(o, fams[f].name);
	buf_putc(o, ' ');
	expo_put_help(o, fams[f].help);
	buf_puts(o, "\n# TYPE ");
	buf_puts(o, fams[f].name);
	buf_putc(o, ' ');
	buf_puts(o, expo_type_name(fams[f].type));
	buf_putc(o, '\n');
}

static void put_label(struct buf *b, const char *k, const char *v)
{
	buf_puts(b, k);
	buf_puts(b, "=\"");
	expo_put_label_value(b, v);
	buf_puts(b, "\"");
}

static void emit_singles(struct ctr_engine *e, struct buf *o, const struct rstate *s, enum fam f)
{
	if (f == F_CADVISOR_VERSION_INFO) {
		buf_puts(o, "cadvisor_version_info{");
		put_label(o, "cadvisorRevision", "vigil");
		buf_putc(o, ',');
		put_label(o, "cadvisorVersion", VIGIL_VERSION);
		buf_putc(o, ',');
		put_label(o, "dockerVersion", e->docker_version);
		buf_putc(o, ',');
		put_label(o, "kernelVersion", e->kernel);
		buf_putc(o, ',');
		put_label(o, "osVersion", e->os);
		line_end(o, s, 1, false);
	} else if (f == F_SCRAPE_ERROR) {
		buf_puts(o, "container_scrape_error 0\n");
	} else {
		buf_puts(o, fams[f].name);
		buf_putc(o, '{');
		put_label(o, "boot_id", e->boot_id);
		buf_putc(o, ',');
		put_label(o, "machine_id", e->machine_id);
		buf_putc(o, ',');
		put_label(o, "system_uuid", e->system_uuid);
		line_end(o, s, f == F_MACHINE_CPU_CORES ? e->cpu_cores : e->mem_bytes, true);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_fam(const void *a, const void *b)
{
	return strcmp(fams[*(const int *)a].name, fams[*(const int *)b].name);
}

void ctr_render(struct ctr_engine *e, int64_t ts, struct buf *out)
{
	struct rstate s = {0};
	s.now = (double)ts / 1000;
	s.tslen = (size_t)snprintf(s.ts, sizeof(s.ts), " %lld", (long long)ts);

	/* the union of the container_label_* names over all containers */
	size_t nkeys = 0, capk = 0;
	const char **keys = NULL;
	for (size_t i = 0; i < e->nctrs; i++) {
		for (size_t j = 0; j < e->ctrs[i]->nlabels; j++) {
			if (nkeys == capk) {
				capk = capk ? 2 * capk : 16;
				keys = xrealloc(keys, capk * sizeof(*keys));
			}
			keys[nkeys++] = e->ctrs[i]->labels[2 * j];
		}
	}
	if (nkeys)
		qsort(keys, nkeys, sizeof(*keys), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < nkeys; i++)
		if (u == 0 || strcmp(keys[u - 1], keys[i]) != 0)
			keys[u++] = keys[i];
	nkeys = u;
	s.nkeys = nkeys;

	s.n = e->nctrs;
	s.rc = xcalloc(s.n ? s.n : 1, sizeof(*s.rc));
	const char **vals = xcalloc(s.n * nkeys + 1, sizeof(*vals));
	for (size_t i = 0; i < s.n; i++) {
		struct rctr *r = &s.rc[i];
		r->c = e->ctrs[i];
		r->vals = vals + i * nkeys;
		for (size_t k = 0; k < nkeys; k++) {
			r->vals[k] = "";
			for (size_t j = 0; j < r->c->nlabels; j++)
				if (strcmp(r->c->labels[2 * j], keys[k]) == 0)
					r->vals[k] = r->c->labels[2 * j + 1];
		}
	}
	qsort_r(s.rc, s.n, sizeof(*s.rc), cmp_rctr, &nkeys);
	for (size_t i = 0; i < s.n; i++) {
		struct rctr *r = &s.rc[i];
		r->lrank = i == 0 ? 0 : s.rc[i - 1].lrank + (cmp_vals(&s.rc[i - 1], r, nkeys) != 0);
		for (size_t k = 0; k < nkeys; k++) {
			put_label(&r->lab, keys[k], r->vals[k]);
			buf_putc(&r->lab, ',');
		}
		r->off1 = r->lab.len;
		put_label(&r->lab, "id", r->c->cgroup);
		buf_putc(&r->lab, ',');
		put_label(&r->lab, "image", r->c->image);
		buf_putc(&r->lab, ',');
		r->off2 = r->lab.len;
		put_label(&r->lab, "name", r->c->name);
	}

	int order[F_N];
	for (int i = 0; i < F_N; i++)
		order[i] = i;
	qsort(order, F_N, sizeof(order[0]), cmp_fam);
	for (int i = 0; i < F_N; i++) {
		enum fam f = (enum fam)order[i];
		size_t mark = out->len;
		header(out, f);
		size_t body = out->len;
		if (f == F_CADVISOR_VERSION_INFO || f == F_SCRAPE_ERROR ||
		    f == F_MACHINE_CPU_CORES || f == F_MACHINE_MEMORY_BYTES)
			emit_singles(e, out, &s, f);
		else
			emit_family(e, out, &s, f);
		if (out->len == body) {
			out->len = mark; /* no samples: no family */
			if (out->data)
				out->data[mark] = '\0';
		}
	}

	for (size_t i = 0; i < s.n; i++)
		buf_free(&s.rc[i].lab);
	free(s.rc);
	free(vals);
	free(keys);
}
