// SPDX-License-Identifier: Apache-2.0
/*
 * The container engine: housekeeping rounds over the cgroup tree, Docker
 * naming, per-container history, and the cAdvisor exposition rendered once
 * per round (see containers.h).
 *
 * cAdvisor's output, which this matches (golden file:
 * ../shared/fixtures/cadvisor/prometheus_metrics): families sorted by name,
 * container samples stamped with the collection time in ms (except
 * container_spec_*, container_start_time_seconds, container_scrape_error,
 * cadvisor_version_info), every container sample labelled with the union of
 * the base label names of all containers (id, image, name,
 * container_label_<key with [^a-zA-Z0-9_] as _>), "" where a container lacks
 * one; container_cpu_usage_seconds_total with cpu="total" (cAdvisor's
 * default, per-CPU usage off).
 */
#include "agent/containers.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/container_store.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"
#include "version.h"

#define DOCKER_TIMEOUT_MS 5000
#define DOCKER_BACKOFF_MAX_MS 60000
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

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
	[F_CADVISOR_VERSION_INFO] = { "cadvisor_version_info", "A metric with a constant '1' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.", EXPO_GAUGE },
	[F_CPU_USAGE_SECONDS_TOTAL] = { "container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", EXPO_COUNTER },
	[F_CPU_USER_SECONDS_TOTAL] = { "container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.", EXPO_COUNTER },
	[F_CPU_SYSTEM_SECONDS_TOTAL] = { "container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.", EXPO_COUNTER },
	[F_CPU_CFS_PERIODS_TOTAL] = { "container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.", EXPO_COUNTER },
	[F_CPU_CFS_THROTTLED_PERIODS_TOTAL] = { "container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.", EXPO_COUNTER },
	[F_CPU_CFS_THROTTLED_SECONDS_TOTAL] = { "container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled.", EXPO_COUNTER },
	[F_MEMORY_USAGE_BYTES] = { "container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed", EXPO_GAUGE },
	[F_MEMORY_WORKING_SET_BYTES] = { "container_memory_working_set_bytes", "Current working set in bytes.", EXPO_GAUGE },
	[F_MEMORY_RSS] = { "container_memory_rss", "Size of RSS in bytes.", EXPO_GAUGE },
	[F_MEMORY_CACHE] = { "container_memory_cache", "Number of bytes of page cache memory.", EXPO_GAUGE },
	[F_MEMORY_SWAP] = { "container_memory_swap", "Container swap usage in bytes.", EXPO_GAUGE },
	[F_MEMORY_MAPPED_FILE] = { "container_memory_mapped_file", "Size of memory mapped files in bytes.", EXPO_GAUGE },
	[F_MEMORY_FAILCNT] = { "container_memory_failcnt", "Number of memory usage hits limits", EXPO_COUNTER },
	[F_MEMORY_MAX_USAGE_BYTES] = { "container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes", EXPO_GAUGE },
	[F_MEMORY_FAILURES_TOTAL] = { "container_memory_failures_total", "Cumulative count of memory allocation failures.", EXPO_COUNTER },
	[F_OOM_EVENTS_TOTAL] = { "container_oom_events_total", "Count of out of memory events observed for the container", EXPO_COUNTER },
	[F_NETWORK_RECEIVE_BYTES_TOTAL] = { "container_network_receive_bytes_total", "Cumulative count of bytes received", EXPO_COUNTER },
	[F_NETWORK_RECEIVE_PACKETS_TOTAL] = { "container_network_receive_packets_total", "Cumulative count of packets received", EXPO_COUNTER },
	[F_NETWORK_RECEIVE_ERRORS_TOTAL] = { "container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", EXPO_COUNTER },
	[F_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL] = { "container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", EXPO_COUNTER },
	[F_NETWORK_TRANSMIT_BYTES_TOTAL] = { "container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", EXPO_COUNTER },
	[F_NETWORK_TRANSMIT_PACKETS_TOTAL] = { "container_network_transmit_packets_total", "Cumulative count of packets transmitted", EXPO_COUNTER },
	[F_NETWORK_TRANSMIT_ERRORS_TOTAL] = { "container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", EXPO_COUNTER },
	[F_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL] = { "container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting", EXPO_COUNTER },
	[F_FS_READS_BYTES_TOTAL] = { "container_fs_reads_bytes_total", "Cumulative count of bytes read", EXPO_COUNTER },
	[F_FS_WRITES_BYTES_TOTAL] = { "container_fs_writes_bytes_total", "Cumulative count of bytes written", EXPO_COUNTER },
	[F_FS_READS_TOTAL] = { "container_fs_reads_total", "Cumulative count of reads completed", EXPO_COUNTER },
	[F_FS_WRITES_TOTAL] = { "container_fs_writes_total", "Cumulative count of writes completed", EXPO_COUNTER },
	[F_PROCESSES] = { "container_processes", "Number of processes running inside the container.", EXPO_GAUGE },
	[F_THREADS] = { "container_threads", "Number of threads running inside the container", EXPO_GAUGE },
	[F_THREADS_MAX] = { "container_threads_max", "Maximum number of threads allowed inside the container, infinity if value is zero", EXPO_GAUGE },
	[F_SPEC_CPU_SHARES] = { "container_spec_cpu_shares", "CPU share of the container.", EXPO_GAUGE },
	[F_SPEC_CPU_QUOTA] = { "container_spec_cpu_quota", "CPU quota of the container.", EXPO_GAUGE },
	[F_SPEC_CPU_PERIOD] = { "container_spec_cpu_period", "CPU period of the container.", EXPO_GAUGE },
	[F_SPEC_MEMORY_LIMIT_BYTES] = { "container_spec_memory_limit_bytes", "Memory limit for the container.", EXPO_GAUGE },
	[F_SPEC_MEMORY_RESERVATION_LIMIT_BYTES] = { "container_spec_memory_reservation_limit_bytes", "Memory reservation limit for the container.", EXPO_GAUGE },
	[F_SPEC_MEMORY_SWAP_LIMIT_BYTES] = { "container_spec_memory_swap_limit_bytes", "Memory swap limit for the container.", EXPO_GAUGE },
	[F_START_TIME_SECONDS] = { "container_start_time_seconds", "Start time of the container since unix epoch in seconds.", EXPO_GAUGE },
	[F_LAST_SEEN] = { "container_last_seen", "Last time a container was seen by the exporter", EXPO_GAUGE },
	[F_SCRAPE_ERROR] = { "container_scrape_error", "1 if there was an error while getting container metrics, 0 otherwise", EXPO_GAUGE },
	[F_PRESSURE_CPU_STALLED_SECONDS_TOTAL] = { "container_pressure_cpu_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to CPU congestion.", EXPO_COUNTER },
	[F_PRESSURE_CPU_WAITING_SECONDS_TOTAL] = { "container_pressure_cpu_waiting_seconds_total", "Total time duration tasks in the container have waited due to CPU congestion.", EXPO_COUNTER },
	[F_PRESSURE_MEMORY_STALLED_SECONDS_TOTAL] = { "container_pressure_memory_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to memory congestion.", EXPO_COUNTER },
	[F_PRESSURE_MEMORY_WAITING_SECONDS_TOTAL] = { "container_pressure_memory_waiting_seconds_total", "Total time duration tasks in the container have waited due to memory congestion.", EXPO_COUNTER },
	[F_PRESSURE_IO_STALLED_SECONDS_TOTAL] = { "container_pressure_io_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to IO congestion.", EXPO_COUNTER },
	[F_PRESSURE_IO_WAITING_SECONDS_TOTAL] = { "container_pressure_io_waiting_seconds_total", "Total time duration tasks in the container have waited due to IO congestion.", EXPO_COUNTER },
	[F_MACHINE_CPU_CORES] = { "machine_cpu_cores", "Number of logical CPU cores.", EXPO_GAUGE },
	[F_MACHINE_MEMORY_BYTES] = { "machine_memory_bytes", "Amount of memory installed on the machine.", EXPO_GAUGE },
};

static int64_t realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- machine facts, read once ---- */

static void read_trimmed(const char *path, char *out, size_t size)
{
	if (read_small_file(path, out, size) < 0)
		out[0] = '\0';
}

static void read_machine(struct ctr_engine *e)
{
	char path[PATH_MAX];
	struct pfile *pf = pfile_open(proc_path(path, "stat"), NULL);
	if (pf && pfile_read(pf) == 0) {
		for (size_t l = 0; l < pfile_lines(pf); l++) {
			const char *w = pfile_word(pf, l, 0);
			if (strncmp(w, "cpu", 3) == 0 && w[3] >= '0' && w[3] <= '9')
				e->cpu_cores++;
		}
	}
	pfile_close(pf);
	pf = pfile_open(proc_path(path, "meminfo"), " \t:");
	if (pf && pfile_read(pf) == 0) {
		for (size_t l = 0; l < pfile_lines(pf); l++)
			if (strcmp(pfile_word(pf, l, 0), "MemTotal") == 0)
				e->mem_bytes = (double)str2u64(pfile_word(pf, l, 1), NULL) * 1024;
	}
	pfile_close(pf);
	read_trimmed(proc_path(path, "sys/kernel/random/boot_id"), e->boot_id, sizeof(e->boot_id));
	read_trimmed(proc_path(path, "sys/kernel/osrelease"), e->kernel, sizeof(e->kernel));
	read_trimmed(root_path(path, "etc/machine-id"), e->machine_id, sizeof(e->machine_id));
	read_trimmed(sys_path(path, "class/dmi/id/product_uuid"), e->system_uuid,
		     sizeof(e->system_uuid));
	/* PRETTY_NAME="Debian GNU/Linux 12 (bookworm)" */
	struct buf os = BUF_INIT;
	if (read_file_buf(root_path(path, "etc/os-release"), &os) == 0 && os.data) {
		const char *p = strstr(os.data, "PRETTY_NAME=");
		if (p) {
			p += 12;
			if (*p == '"')
				p++;
			size_t n = strcspn(p, "\"\n");
			snprintf(e->os, sizeof(e->os), "%.*s", (int)n, p);
		}
	}
	buf_free(&os);
}

/* major:minor -> "/dev/<name>" from <procfs>/diskstats, as cAdvisor labels devices. */
static void read_devices(struct ctr_engine *e)
{
	char path[PATH_MAX];
	struct pfile *pf = pfile_open(proc_path(path, "diskstats"), NULL);
	e->ndevs = 0;
	if (!pf)
		return;
	if (pfile_read(pf) == 0) {
		e->devs = xrealloc(e->devs, (pfile_lines(pf) + 1) * sizeof(*e->devs));
		for (size_t l = 0; l < pfile_lines(pf); l++) {
			if (pfile_words(pf, l) < 3)
				continue;
			struct ctr_dev *d = &e->devs[e->ndevs++];
			d->major = (uint32_t)str2u64(pfile_word(pf, l, 0), NULL);
			d->minor = (uint32_t)str2u64(pfile_word(pf, l, 1), NULL);
			snprintf(d->name, sizeof(d->name), "/dev/%s", pfile_word(pf, l, 2));
		}
	}
	pfile_close(pf);
}

static const char *device_name(const struct ctr_engine *e, uint32_t major, uint32_t minor,
			       char *tmp, size_t size)
{
	for (size_t i = 0; i < e->ndevs; i++)
		if (e->devs[i].major == major && e->devs[i].minor == minor)
			return e->devs[i].name;
	snprintf(tmp, size, "%u:%u", major, minor);
	return tmp;
}

/* ---- the store ---- */

static void ctr_free(struct ctr *c)
{
	if (!c)
		return;
	free(c->cgroup);
	free(c->name);
	free(c->image);
	for (size_t i = 0; i < 2 * c->nlabels; i++)
		free(c->labels[i]);
	free(c->labels);
	free(c->ring);
	free(c);
}

/* Index of cgroup in the sorted store, or the insertion point with *found false. */
static size_t ctr_find(const struct ctr_engine *e, const char *cgroup, bool *found)
{
	size_t lo = 0, hi = e->nctrs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(e->ctrs[mid]->cgroup, cgroup);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct ctr *ctr_get(struct ctr_engine *e, const char *cgroup)
{
	bool found;
	size_t i = ctr_find(e, cgroup, &found);
	if (found)
		return e->ctrs[i];
	if (e->nctrs == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 64;
		e->ctrs = xrealloc(e->ctrs, e->cap * sizeof(*e->ctrs));
	}
	memmove(e->ctrs + i + 1, e->ctrs + i, (e->nctrs - i) * sizeof(*e->ctrs));
	struct ctr *c = xcalloc(1, sizeof(*c));
	c->cgroup = xstrdup(cgroup);
	c->name = xstrdup("");
	c->image = xstrdup("");
	c->ring_cap = e->ring_cap;
	c->ring = xcalloc(c->ring_cap, sizeof(*c->ring));
	e->ctrs[i] = c;
	e->nctrs++;
	return c;
}

/* The 64-hex Docker id a cgroup name ends in ("/docker/<id>", ".../docker-<id>.scope"), or NULL. */
static const char *docker_id_of(const char *cgroup, char *out)
{
	const char *last = strrchr(cgroup, '/');
	last = last ? last + 1 : cgroup;
	if (strncmp(last, "docker-", 7) == 0)
		last += 7;
	size_t n = strspn(last, "0123456789abcdef");
	if (n != 64 || (last[64] != '\0' && strcmp(last + 64, ".scope") != 0))
		return NULL;
	memcpy(out, last, 64);
	out[64] = '\0';
	return out;
}

static void set_str(char **dst, const char *s)
{
	if (strcmp(*dst, s) == 0)
		return;
	free(*dst);
	*dst = xstrdup(s);
}

/* Docker metadata onto c (name, image, sanitized labels), or clear it. */
static void name_ctr(struct ctr *c, const struct docker_container *d)
{
	for (size_t i = 0; i < 2 * c->nlabels; i++)
		free(c->labels[i]);
	free(c->labels);
	c->labels = NULL;
	c->nlabels = 0;
	set_str(&c->name, d ? d->name : "");
	set_str(&c->image, d ? d->image : "");
	if (!d)
		return;
	if (d->created > 0)
		c->start_time = d->created;
	c->labels = d->nlabels ? xcalloc(2 * d->nlabels, sizeof(char *)) : NULL;
	for (size_t i = 0; i < d->nlabels; i++) {
		const char *k = d->labels[2 * i];
		char *key = xmalloc(strlen(k) + 17);
		char *p = key + sprintf(key, "container_label_");
		for (; *k; k++)
			*p++ = ((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
				(*k >= '0' && *k <= '9') || *k == '_')
				       ? *k
				       : '_';
		*p = '\0';
		bool dup = false;
		for (size_t j = 0; j < c->nlabels; j++)
			dup |= strcmp(c->labels[2 * j], key) == 0;
		if (dup) {
			free(key);
			continue;
		}
		c->labels[2 * c->nlabels] = key;
		c->labels[2 * c->nlabels + 1] = xstrdup(d->labels[2 * i + 1]);
		c->nlabels++;
	}
}

/* ---- Docker ---- */

struct event_seen {
	int n;
};

static void on_event(void *ctx, const struct docker_event *ev)
{
	(void)ev;
	((struct event_seen *)ctx)->n++;
}

/* Refresh the container list when Docker reports changes (or every minute); backoff on failure. */
static void docker_refresh(struct ctr_engine *e)
{
	if (!e->docker_on)
		return;
	int64_t now = monotonic_ms();
	if (!e->docker_ok && now < e->docker_next_try_ms)
		return;
	int64_t wall = realtime_ms() / 1000;
	int rc = 0;
	if (e->docker_ok && wall - e->docker_listed_s < 60) {
		/* events since the last list (one second of overlap): anything new? */
		struct event_seen seen = { 0 };
		rc = docker_events(e->docker_socket, e->docker_listed_s - 1, wall, DOCKER_TIMEOUT_MS,
				   on_event, &seen);
		if (rc == 0)
			return;
	}
	if (rc >= 0) {
		struct docker_list fresh;
		rc = docker_list_containers(e->docker_socket, DOCKER_TIMEOUT_MS, &fresh);
		if (rc == 0) {
			docker_list_free(&e->docker);
			e->docker = fresh;
			e->docker_listed_s = wall;
		}
	}
	if (rc >= 0) {
		if (!e->docker_ok && e->docker_logged)
			log_info("Docker reachable again\tsocket=%s", e->docker_socket);
		if (!e->docker_ok && !e->docker_version[0]) {
			struct buf body = BUF_INIT;
			if (docker_get(e->docker_socket, "/version", DOCKER_TIMEOUT_MS, &body) == 200) {
				const char *v = strstr(body.data, "\"Version\":\"");
				if (v)
					snprintf(e->docker_version, sizeof(e->docker_version), "%.*s",
						 (int)strcspn(v + 11, "\""), v + 11);
			}
			buf_free(&body);
		}
		e->docker_ok = true;
		e->docker_backoff_ms = 0;
		return;
	}
	if (e->docker_ok || !e->docker_logged)
		log_warn_code(rc, "Docker unreachable, containers unnamed until it is back\tsocket=%s",
			      e->docker_socket);
	e->docker_logged = true;
	e->docker_ok = false;
	docker_list_free(&e->docker);
	e->docker_backoff_ms = e->docker_backoff_ms ? e->docker_backoff_ms * 2 : 1000;
	if (e->docker_backoff_ms > DOCKER_BACKOFF_MAX_MS)
		e->docker_backoff_ms = DOCKER_BACKOFF_MAX_MS;
	e->docker_next_try_ms = now + e->docker_backoff_ms;
}

/* ---- the round ---- */

static void push_sample(struct ctr *c, int64_t ts)
{
	const struct cgroup_stats *st = &c->st;
	struct ctr_sample *s = &c->ring[c->ring_head];
	memset(s, 0, sizeof(*s));
	s->ts_ms = ts;
	s->cpu_usage = (double)st->cpu_usage_ns / 1e9;
	s->cpu_user = (double)st->cpu_user_ns / 1e9;
	s->cpu_system = (double)st->cpu_system_ns / 1e9;
	s->cfs_periods = (double)st->nr_periods;
	s->cfs_throttled_periods = (double)st->nr_throttled;
	s->cfs_throttled_seconds = (double)st->throttled_ns / 1e9;
	s->mem_usage = (double)st->mem_usage;
	s->mem_working_set = (double)st->mem_working_set;
	s->mem_rss = (double)st->mem_rss;
	s->mem_cache = (double)st->mem_cache;
	s->mem_swap = (double)st->mem_swap;
	s->processes = (double)st->processes;
	s->threads = (double)st->threads;
	for (size_t i = 0; i < st->nnet; i++) {
		s->net_rx_bytes += (double)st->net[i].rx_bytes;
		s->net_tx_bytes += (double)st->net[i].tx_bytes;
	}
	for (size_t i = 0; i < st->nio; i++) {
		s->fs_read_bytes += (double)st->io[i].rbytes;
		s->fs_write_bytes += (double)st->io[i].wbytes;
	}
	c->ring_head = (c->ring_head + 1) % c->ring_cap;
	if (c->ring_len < c->ring_cap)
		c->ring_len++;
}

struct walk_ctx {
	struct ctr_engine *e;
	int64_t ts;
};

static bool visit(void *arg, const char *cgroup)
{
	struct walk_ctx *w = arg;
	struct ctr_engine *e = w->e;
	char idbuf[65];
	const char *did = docker_id_of(cgroup, idbuf);
	const struct docker_container *d = did ? docker_list_find(&e->docker, did) : NULL;
	bool root = strcmp(cgroup, "/") == 0;
	if (e->opts.docker_only && !root && !d)
		return true;

	bool found;
	size_t at = ctr_find(e, cgroup, &found);
	struct ctr *c = found ? e->ctrs[at] : NULL;
	struct cgroup_stats *st = c ? &c->st : xmalloc(sizeof(*st));
	int rc = cgroup_read_stats(&e->layout, cgroup, &e->reader, st);
	if (rc < 0) {
		if (!c)
			free(st);
		return true; /* vanished mid-walk: left out (and dropped) */
	}
	if (!c) {
		c = ctr_get(e, cgroup);
		memcpy(&c->st, st, sizeof(*st));
		free(st);
		c->start_time = cgroup_start_time(&e->layout, cgroup);
	}
	if (strcmp(c->docker_id, d ? d->id : "") != 0 || (d && strcmp(c->name, d->name) != 0) ||
	    (!d && c->name[0])) {
		snprintf(c->docker_id, sizeof(c->docker_id), "%s", d ? d->id : "");
		name_ctr(c, d);
	}
	/* network: the host's for "/", a Docker container's own namespace */
	int pid = root ? 1 : (d ? c->st.first_pid : 0);
	if (pid > 0)
		cgroup_read_netdev(pid, &e->reader, &c->st);
	c->seen_round = e->round;
	push_sample(c, w->ts);
	return true;
}

/* ---- rendering ---- */

struct render {
	struct expo_family *f[F_N];
	struct expo_label lab[EXPO_MAX_LABELS];
	size_t nbase;
	int64_t ts;
};

static void put(struct render *r, enum fam f, double v, bool ts, const char *k1, const char *v1,
		const char *k2, const char *v2)
{
	size_t n = r->nbase;
	if (k1)
		r->lab[n++] = (struct expo_label){ k1, v1 };
	if (k2)
		r->lab[n++] = (struct expo_label){ k2, v2 };
	expo_add_ts(r->f[f], r->lab, n, v, ts ? r->ts : EXPO_NO_TS);
}

#define PUT(f, v) put(r, f, (double)(v), true, NULL, NULL, NULL, NULL)
#define PUT_NOTS(f, v) put(r, f, (double)(v), false, NULL, NULL, NULL, NULL)

static void render_ctr(struct ctr_engine *e, struct render *r, const struct ctr *c)
{
	const struct cgroup_stats *st = &c->st;
	if (st->have & CGS_CPU) {
		put(r, F_CPU_USAGE_SECONDS_TOTAL, (double)st->cpu_usage_ns / 1e9, true, "cpu", "total",
		    NULL, NULL);
		PUT(F_CPU_USER_SECONDS_TOTAL, (double)st->cpu_user_ns / 1e9);
		PUT(F_CPU_SYSTEM_SECONDS_TOTAL, (double)st->cpu_system_ns / 1e9);
	}
	if ((st->have & CGS_CFS) && (st->have & CGS_SPEC_CPU) && st->cpu_quota > 0) {
		PUT(F_CPU_CFS_PERIODS_TOTAL, st->nr_periods);
		PUT(F_CPU_CFS_THROTTLED_PERIODS_TOTAL, st->nr_throttled);
		PUT(F_CPU_CFS_THROTTLED_SECONDS_TOTAL, (double)st->throttled_ns / 1e9);
	}
	if (st->have & CGS_MEM) {
		PUT(F_MEMORY_USAGE_BYTES, st->mem_usage);
		PUT(F_MEMORY_WORKING_SET_BYTES, st->mem_working_set);
		PUT(F_MEMORY_RSS, st->mem_rss);
		PUT(F_MEMORY_CACHE, st->mem_cache);
		PUT(F_MEMORY_SWAP, st->mem_swap);
		PUT(F_MEMORY_MAPPED_FILE, st->mem_mapped);
		PUT(F_MEMORY_FAILCNT, st->mem_failcnt);
		PUT(F_MEMORY_MAX_USAGE_BYTES, st->mem_max_usage);
		put(r, F_MEMORY_FAILURES_TOTAL, (double)st->pgfault, true, "failure_type", "pgfault",
		    "scope", "container");
		put(r, F_MEMORY_FAILURES_TOTAL, (double)st->h_pgfault, true, "failure_type", "pgfault",
		    "scope", "hierarchy");
		put(r, F_MEMORY_FAILURES_TOTAL, (double)st->pgmajfault, true, "failure_type",
		    "pgmajfault", "scope", "container");
		put(r, F_MEMORY_FAILURES_TOTAL, (double)st->h_pgmajfault, true, "failure_type",
		    "pgmajfault", "scope", "hierarchy");
		PUT(F_OOM_EVENTS_TOTAL, st->oom_kill);
	}
	for (size_t i = 0; i < st->nnet; i++) {
		const struct cgroup_net *n = &st->net[i];
		const char *k = "interface", *v = n->name;
		put(r, F_NETWORK_RECEIVE_BYTES_TOTAL, (double)n->rx_bytes, true, k, v, NULL, NULL);
		put(r, F_NETWORK_RECEIVE_PACKETS_TOTAL, (double)n->rx_packets, true, k, v, NULL, NULL);
		put(r, F_NETWORK_RECEIVE_ERRORS_TOTAL, (double)n->rx_errs, true, k, v, NULL, NULL);
		put(r, F_NETWORK_RECEIVE_PACKETS_DROPPED_TOTAL, (double)n->rx_drop, true, k, v, NULL,
		    NULL);
		put(r, F_NETWORK_TRANSMIT_BYTES_TOTAL, (double)n->tx_bytes, true, k, v, NULL, NULL);
		put(r, F_NETWORK_TRANSMIT_PACKETS_TOTAL, (double)n->tx_packets, true, k, v, NULL, NULL);
		put(r, F_NETWORK_TRANSMIT_ERRORS_TOTAL, (double)n->tx_errs, true, k, v, NULL, NULL);
		put(r, F_NETWORK_TRANSMIT_PACKETS_DROPPED_TOTAL, (double)n->tx_drop, true, k, v, NULL,
		    NULL);
	}
	for (size_t i = 0; i < st->nio; i++) {
		const struct cgroup_io *io = &st->io[i];
		char tmp[32];
		const char *dev = device_name(e, io->major, io->minor, tmp, sizeof(tmp));
		put(r, F_FS_READS_BYTES_TOTAL, (double)io->rbytes, true, "device", dev, NULL, NULL);
		put(r, F_FS_WRITES_BYTES_TOTAL, (double)io->wbytes, true, "device", dev, NULL, NULL);
		put(r, F_FS_READS_TOTAL, (double)io->rios, true, "device", dev, NULL, NULL);
		put(r, F_FS_WRITES_TOTAL, (double)io->wios, true, "device", dev, NULL, NULL);
	}
	if (st->have & CGS_PROCS)
		PUT(F_PROCESSES, st->processes);
	if (st->have & CGS_PIDS)
		PUT(F_THREADS, st->threads);
	if (st->have & CGS_THREADS_MAX)
		PUT(F_THREADS_MAX, st->threads_max);
	if (st->have & CGS_SPEC_CPU) {
		PUT_NOTS(F_SPEC_CPU_SHARES, st->cpu_shares);
		if (st->cpu_quota > 0)
			PUT_NOTS(F_SPEC_CPU_QUOTA, st->cpu_quota);
		if (st->cpu_period)
			PUT_NOTS(F_SPEC_CPU_PERIOD, st->cpu_period);
	}
	if (st->have & CGS_SPEC_MEM) {
		PUT_NOTS(F_SPEC_MEMORY_LIMIT_BYTES, st->mem_limit);
		PUT_NOTS(F_SPEC_MEMORY_RESERVATION_LIMIT_BYTES, st->mem_reservation);
		PUT_NOTS(F_SPEC_MEMORY_SWAP_LIMIT_BYTES, st->mem_swap_limit);
	}
	if (st->have & CGS_PSI) {
		static const enum fam stalled[PSI_N] = { F_PRESSURE_CPU_STALLED_SECONDS_TOTAL,
							 F_PRESSURE_MEMORY_STALLED_SECONDS_TOTAL,
							 F_PRESSURE_IO_STALLED_SECONDS_TOTAL };
		static const enum fam waiting[PSI_N] = { F_PRESSURE_CPU_WAITING_SECONDS_TOTAL,
							 F_PRESSURE_MEMORY_WAITING_SECONDS_TOTAL,
							 F_PRESSURE_IO_WAITING_SECONDS_TOTAL };
		for (int i = 0; i < PSI_N; i++) {
			PUT(stalled[i], (double)st->psi_full_us[i] / 1e6);
			PUT(waiting[i], (double)st->psi_some_us[i] / 1e6);
		}
	}
	if (c->start_time > 0)
		PUT_NOTS(F_START_TIME_SECONDS, c->start_time);
	PUT(F_LAST_SEEN, (double)r->ts / 1000);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void render(struct ctr_engine *e, int64_t ts)
{
	struct expo_set *set = e->set;
	struct render *r = xcalloc(1, sizeof(*r));
	expo_set_reset(set);
	for (int i = 0; i < F_N; i++)
		r->f[i] = expo_family(set, fams[i].name, fams[i].help, fams[i].type);
	r->ts = ts;

	expo_addl(r->f[F_CADVISOR_VERSION_INFO], 1, "cadvisorRevision", "vigil", "cadvisorVersion",
		  VIGIL_VERSION, "dockerVersion", e->docker_version, "kernelVersion", e->kernel,
		  "osVersion", e->os, NULL);
	expo_addl(r->f[F_SCRAPE_ERROR], 0, NULL);
	struct expo_label ml[3] = { { "boot_id", e->boot_id },
				    { "machine_id", e->machine_id },
				    { "system_uuid", e->system_uuid } };
	expo_add_ts(r->f[F_MACHINE_CPU_CORES], ml, 3, e->cpu_cores, ts);
	expo_add_ts(r->f[F_MACHINE_MEMORY_BYTES], ml, 3, e->mem_bytes, ts);

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
	/* room for id, image, name and two metric labels */
	size_t maxkeys = EXPO_MAX_LABELS - 5;
	if (nkeys > maxkeys) {
		log_warn("container labels beyond the limit left out\tdistinct=%zu limit=%zu", nkeys,
			 maxkeys);
		nkeys = maxkeys;
	}

	for (size_t i = 0; i < e->nctrs; i++) {
		const struct ctr *c = e->ctrs[i];
		size_t n = 0;
		r->lab[n++] = (struct expo_label){ "id", c->cgroup };
		r->lab[n++] = (struct expo_label){ "image", c->image };
		r->lab[n++] = (struct expo_label){ "name", c->name };
		for (size_t k = 0; k < nkeys; k++) {
			const char *v = "";
			for (size_t j = 0; j < c->nlabels; j++)
				if (strcmp(c->labels[2 * j], keys[k]) == 0)
					v = c->labels[2 * j + 1];
			r->lab[n++] = (struct expo_label){ keys[k], v };
		}
		r->nbase = n;
		render_ctr(e, r, c);
	}
	free(keys);
	free(r);

	buf_reset(&e->scratch);
	expo_set_render(set, &e->scratch);
	pthread_mutex_lock(&e->render_lock);
	struct buf tmp = e->rendered;
	e->rendered = e->scratch;
	e->scratch = tmp;
	pthread_mutex_unlock(&e->render_lock);
}

int ctr_engine_round(struct ctr_engine *e)
{
	int64_t ts = realtime_ms();
	docker_refresh(e);
	read_devices(e);
	pthread_mutex_lock(&e->store_lock);
	e->round++;
	struct walk_ctx w = { e, ts };
	int rc = e->layout.mode == CGROUP_NONE ? -ENOENT : cgroup_walk(&e->layout, visit, &w);
	/* containers not seen this round have vanished */
	size_t kept = 0;
	for (size_t i = 0; i < e->nctrs; i++) {
		if (e->ctrs[i]->seen_round == e->round)
			e->ctrs[kept++] = e->ctrs[i];
		else
			ctr_free(e->ctrs[i]);
	}
	e->nctrs = kept;
	render(e, ts);
	pthread_mutex_unlock(&e->store_lock);
	return rc < 0 ? rc : 0;
}

struct ctr_engine *ctr_engine_new(const struct ctr_opts *opts)
{
	struct ctr_engine *e = xcalloc(1, sizeof(*e));
	e->opts = *opts;
	e->opts.docker_socket = NULL;
	e->opts.mountinfo = NULL;
	if (e->opts.interval <= 0)
		e->opts.interval = 10;
	if (e->opts.storage < e->opts.interval)
		e->opts.storage = e->opts.interval;
	e->ring_cap = (size_t)(e->opts.storage / e->opts.interval + 0.5);
	if (e->ring_cap < 1)
		e->ring_cap = 1;
	if (opts->docker_socket && opts->docker_socket[0]) {
		if (docker_socket_path(opts->docker_socket, e->docker_socket,
				       sizeof(e->docker_socket)) == 0)
			e->docker_on = true;
		else
			log_warn("unsupported Docker endpoint, Docker naming off\tsocket=%s",
				 opts->docker_socket);
	}
	pthread_mutex_init(&e->store_lock, NULL);
	pthread_mutex_init(&e->render_lock, NULL);
	pthread_mutex_init(&e->wake_lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	e->set = expo_set_new();
	read_machine(e);
	int rc = cgroup_layout_detect(host_roots.cgroupfs, opts->mountinfo, &e->layout);
	if (rc < 0)
		log_warn_code(rc, "no cgroup hierarchy found, only machine metrics\tpath=%s",
			      host_roots.cgroupfs);
	else
		log_info("cgroup layout\tmode=%s walk=%s", cgroup_mode_name(e->layout.mode),
			 cgroup_walk_root(&e->layout));
	return e;
}

void ctr_engine_scrape(struct ctr_engine *e, struct buf *out)
{
	pthread_mutex_lock(&e->render_lock);
	if (e->rendered.len)
		buf_append(out, e->rendered.data, e->rendered.len);
	pthread_mutex_unlock(&e->render_lock);
}

unsigned ctr_engine_count(struct ctr_engine *e)
{
	pthread_mutex_lock(&e->store_lock);
	unsigned n = (unsigned)e->nctrs;
	pthread_mutex_unlock(&e->store_lock);
	return n;
}

static void *housekeeping(void *arg)
{
	struct ctr_engine *e = arg;
	int64_t period = (int64_t)(e->opts.interval * 1000);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&e->wake_lock);
	while (!e->stopping) {
		next.tv_sec += period / 1000;
		next.tv_nsec += (period % 1000) * 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		while (!e->stopping && pthread_cond_timedwait(&e->wake, &e->wake_lock, &next) == 0)
			;
		if (e->stopping)
			break;
		pthread_mutex_unlock(&e->wake_lock);
		ctr_engine_round(e);
		pthread_mutex_lock(&e->wake_lock);
		/* a round longer than the interval: start the next one from now */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + period / 1000 + 1)
			next = now;
	}
	pthread_mutex_unlock(&e->wake_lock);
	return NULL;
}

int ctr_engine_start(struct ctr_engine *e)
{
	ctr_engine_round(e);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&e->wake);
	pthread_cond_init(&e->wake, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&e->thread, NULL, housekeeping, e);
	if (rc)
		return log_err(-rc, "containers: start housekeeping");
	e->running = true;
	return 0;
}

void ctr_engine_stop(struct ctr_engine *e)
{
	if (!e->running)
		return;
	pthread_mutex_lock(&e->wake_lock);
	e->stopping = true;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->wake_lock);
	pthread_join(e->thread, NULL);
	e->running = false;
}

void ctr_engine_free(struct ctr_engine *e)
{
	if (!e)
		return;
	ctr_engine_stop(e);
	for (size_t i = 0; i < e->nctrs; i++)
		ctr_free(e->ctrs[i]);
	free(e->ctrs);
	free(e->devs);
	docker_list_free(&e->docker);
	cgroup_layout_free(&e->layout);
	buf_free(&e->reader.data);
	expo_set_free(e->set);
	buf_free(&e->scratch);
	buf_free(&e->rendered);
	pthread_mutex_destroy(&e->store_lock);
	pthread_mutex_destroy(&e->render_lock);
	pthread_mutex_destroy(&e->wake_lock);
	pthread_cond_destroy(&e->wake);
	free(e);
}

/* ---- the agent's engine ---- */

static struct ctr_engine *agent_engine;

int containers_start(const struct ctr_opts *opts)
{
	agent_engine = ctr_engine_new(opts);
	int rc = ctr_engine_start(agent_engine);
	if (rc < 0) {
		ctr_engine_free(agent_engine);
		agent_engine = NULL;
		return rc;
	}
	log_info("Container housekeeping started\tcontainers=%u interval=%gs",
		 ctr_engine_count(agent_engine), agent_engine->opts.interval);
	return 0;
}

void containers_stop(void)
{
	ctr_engine_free(agent_engine);
	agent_engine = NULL;
}

static const char container_landing[] =
	"<html>\n<head><title>Vigil Agent: containers</title></head>\n<body>\n"
	"<h1>Vigil Agent: containers</h1>\n"
	"<p>Container metrics compatible with cAdvisor.</p>\n"
	"<ul><li><a href=\"/metrics\">Metrics</a></li>\n"
	"<li><a href=\"/api/v1/containers\">Stored history (JSON)</a></li></ul>\n"
	"</body>\n</html>\n";

void containers_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct ctr_engine *e = ctx ? ctx : agent_engine;
	if (e && strcmp(req->url, "/metrics") == 0) {
		resp->content_type = METRICS_CONTENT_TYPE;
		ctr_engine_scrape(e, &resp->body);
		return;
	}
	if (e && strcmp(req->url, "/api/v1/containers") == 0) {
		resp->content_type = "application/json";
		ctr_engine_history_json(e, &resp->body);
		return;
	}
	if (strcmp(req->url, "/") == 0) {
		resp->content_type = "text/html; charset=utf-8";
		buf_puts(&resp->body, container_landing);
		return;
	}
	resp->status = 404;
	buf_puts(&resp->body, "404 page not found\n");
}
