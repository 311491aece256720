/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the cpu, cpufreq and stat collectors share: the cpu-list parser,
 * the listing of the cpu<N> directories, and the parser of /proc/stat used
 * by both the cpu and the stat collector (each keeps its own pfile handle).
 * Numbers are parsed with Go's strconv semantics (common/pfile.h), so a
 * value node_exporter rejects is rejected here too.
 *
 * /proc/stat format (https://www.kernel.org/doc/html/latest/filesystems/proc.html,
 * "1.8 Miscellaneous kernel statistics in /proc/stat"):
 *
 *   cpu  <user> <nice> <system> <idle> <iowait> <irq> <softirq> <steal> <guest> <guest_nice>
 *   cpu<N> ...same ten columns, in USER_HZ ticks...
 *   intr <total> <irq 0> <irq 1> ...
 *   ctxt <n>
 *   btime <unix seconds>
 *   processes <forks>
 *   procs_running <n>
 *   procs_blocked <n>
 *   softirq <total> <hi> <timer> <net_tx> <net_rx> <block> <block_iopoll> <tasklet> <sched>
 * <hrtimer> <rcu>
 *
 * As node_exporter (prometheus/procfs) does, ticks are divided by a fixed
 * USER_HZ of 100, a cpu line may have fewer than ten columns (the rest are
 * 0), and a malformed value on any known line fails the whole file, for
 * both collectors.
 */
#ifndef VIGIL_COLLECTORS_PROC_STAT_COMMON_H
#define VIGIL_COLLECTORS_PROC_STAT_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "common/pfile.h"

/*
 * Parse a cpu list as sysfs writes it ("0-3,8,10-11\n"), as procfs's
 * parseCPURange does: items split at ',', empty items skipped, each a
 * number or a "<a>-<b>" range (Go's strconv.Atoi, so an optional '+'),
 * every cpu truncated to 16 bits.  The numbers are appended to *list
 * (grown with xrealloc; *n counts them).  Returns 0 or -EINVAL; ranges of
 * more than 65536 cpus are refused rather than expanded.
 */
static inline int cpu_parse_range(const char *text, uint16_t **list, size_t *n, size_t *cap)
{
	size_t len = strlen(text);
	if (len && text[len - 1] == '\n')
		len--;
	const char *p = text, *end = text + len;
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *item_end = comma ? comma : end;
		char item[64];
		size_t ilen = (size_t)(item_end - p);
		if (ilen >= sizeof(item))
			return -EINVAL;
		memcpy(item, p, ilen);
		item[ilen] = '\0';
		p = item_end + 1;
		if (!ilen)
			continue;
		/* procfs splits at every '-': "a-b" is a range, any other dash is an error */
		long bounds[2];
		char *dash = strchr(item, '-');
		if (dash) {
			*dash = '\0';
			if (strchr(dash + 1, '-'))
				return -EINVAL;
		}
		for (int i = 0; i < 2; i++) {
			const char *q = i == 0 ? item : dash ? dash + 1 : item;
			uint64_t v;
			if (*q == '+')
				q++;
			if (parse_go_uint(q, 10, 64, &v) || v > (uint64_t)INT32_MAX)
				return -EINVAL;
			bounds[i] = (long)v;
		}
		long lo = bounds[0], hi = bounds[1];
		if (hi - lo >= 65536)
			return -EINVAL;
		for (long c = lo; c <= hi; c++) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 64;
				*list = xrealloc(*list, *cap * sizeof(**list));
			}
			(*list)[(*n)++] = (uint16_t)c;
		}
	}
	return 0;
}

/*
 * A cpu<N> entry of a sysfs directory, as Go's filepath.Glob("cpu[0-9]*")
 * matches it (in proc_stat.c: one copy, not one per includer, as it is passed
 * by address).
 */
bool cpu_dir_name(const char *name);

/*
 * Fill dirs with the names matching cpu[0-9]* in dir, sorted bytewise.
 * Returns 0 (a missing directory is an empty list, as for a glob) or a
 * negative errno.
 */
static inline int cpu_dirs_list(const char *dir, struct dir_list *dirs)
{
	int rc = dir_list_read(dirs, dir, cpu_dir_name);
	return rc == -ENOENT || rc == -ENOTDIR ? 0 : rc;
}

/* Columns of a cpu line, in this order. */
enum proc_stat_cpu_field {
	PROC_STAT_USER,
	PROC_STAT_NICE,
	PROC_STAT_SYSTEM,
	PROC_STAT_IDLE,
	PROC_STAT_IOWAIT,
	PROC_STAT_IRQ,
	PROC_STAT_SOFTIRQ,
	PROC_STAT_STEAL,
	PROC_STAT_GUEST,
	PROC_STAT_GUEST_NICE,
	PROC_STAT_NFIELDS,
};

/* USER_HZ as prometheus/procfs assumes it. */
#define PROC_STAT_USER_HZ 100.0

/* One cpu<N> line, in seconds. */
struct proc_stat_cpu {
	int64_t id;
	double v[PROC_STAT_NFIELDS];
};

/* Softirq vectors of the "softirq" line, in file order. */
#define PROC_STAT_NSOFTIRQ 10

struct proc_stat_info {
	uint64_t btime, intr, ctxt, processes, procs_running, procs_blocked;
	uint64_t softirq[PROC_STAT_NSOFTIRQ];
	/* the cpu<N> lines, filled only when asked for; grows, never shrinks */
	struct proc_stat_cpu *cpus;
	size_t ncpus, capcpus;
};

/* A "cpu" or "cpu<N>" line; 0 or -EINVAL. */
static inline int proc_stat_cpu_line(const struct pfile *pf, size_t l, struct proc_stat_info *out,
				     bool want_cpus)
{
	const char *key = pfile_word(pf, l, 0);
	double v[PROC_STAT_NFIELDS] = {0};
	size_t nw = pfile_words(pf, l);
	for (size_t i = 1; i < nw && i <= PROC_STAT_NFIELDS; i++) {
		const char *w = pfile_word(pf, l, i);
		if (parse_go_float(w, strlen(w), &v[i - 1]))
			return -EINVAL;
		v[i - 1] /= PROC_STAT_USER_HZ;
	}
	if (!key[3])
		return 0; /* the total line; node_exporter does not export it */
	/* strconv.ParseInt(key[3:], 10, 64) */
	int64_t sid;
	if (parse_go_int(key + 3, 10, 64, &sid))
		return -EINVAL;
	if (sid == -1 || !want_cpus)
		return 0; /* "cpu-1" is the total line to procfs */
	if (out->ncpus == out->capcpus) {
		out->capcpus = out->capcpus ? out->capcpus * 2 : 16;
		out->cpus = xrealloc(out->cpus, out->capcpus * sizeof(*out->cpus));
	}
	struct proc_stat_cpu *c = &out->cpus[out->ncpus++];
	c->id = sid;
	memcpy(c->v, v, sizeof(v));
	return 0;
}

/*
 * Parse a freshly read /proc/stat into out (the cpu<N> lines too when
 * want_cpus).  Returns 0 or -EINVAL when a known line holds a bad value.
 */
static inline int proc_stat_parse(const struct pfile *pf, struct proc_stat_info *out,
				  bool want_cpus)
{
	struct {
		const char *key;
		uint64_t *dst;
	} scalars[] = {
		{"ctxt", &out->ctxt},
		{"btime", &out->btime},
		{"processes", &out->processes},
		{"procs_running", &out->procs_running},
		{"procs_blocked", &out->procs_blocked},
	};
	size_t next = 0; /* expected position in scalars[]: one compare per line in file order */

	out->btime = out->intr = out->ctxt = out->processes = 0;
	out->procs_running = out->procs_blocked = 0;
	memset(out->softirq, 0, sizeof(out->softirq));
	out->ncpus = 0;
	for (size_t l = 0; l < pfile_lines(pf); l++) {
		size_t nw = pfile_words(pf, l);
		if (nw < 2)
			continue;
		const char *key = pfile_word(pf, l, 0);
		if (strncmp(key, "cpu", 3) == 0) {
			if (proc_stat_cpu_line(pf, l, out, want_cpus))
				return -EINVAL;
			continue;
		}
		size_t i = next;
		if (i >= ARRAY_SIZE(scalars) || strcmp(key, scalars[i].key) != 0) {
			for (i = 0; i < ARRAY_SIZE(scalars); i++)
				if (strcmp(key, scalars[i].key) == 0)
					break;
		}
		if (i < ARRAY_SIZE(scalars)) {
			if (parse_go_uint(pfile_word(pf, l, 1), 10, 64, scalars[i].dst))
				return -EINVAL;
			next = i + 1;
		} else if (strcmp(key, "intr") == 0) {
			if (parse_go_uint(pfile_word(pf, l, 1), 10, 64, &out->intr))
				return -EINVAL;
			for (size_t w = 2; w < nw; w++) {
				uint64_t ignored;
				if (parse_go_uint(pfile_word(pf, l, w), 10, 64, &ignored))
					return -EINVAL;
			}
		} else if (strcmp(key, "softirq") == 0) {
			uint64_t total;
			if (nw < 2 + PROC_STAT_NSOFTIRQ ||
			    parse_go_uint(pfile_word(pf, l, 1), 10, 64, &total))
				return -EINVAL;
			for (size_t w = 0; w < PROC_STAT_NSOFTIRQ; w++)
				if (parse_go_uint(pfile_word(pf, l, w + 2), 10, 64,
						  &out->softirq[w]))
					return -EINVAL;
		}
	}
	return 0;
}

/*
 * /proc/stat for the cpu and stat collectors (collectors/proc_stat.c): read
 * once per scrape and shared by both; outside a scrape, *own (opened on
 * first use) is read.  *out gets the handle read; 0 or a negative errno.
 */
int proc_stat_scrape_read(struct pfile **own, struct pfile **out);

/* Free what proc_stat_parse() allocated. */
static inline void proc_stat_info_free(struct proc_stat_info *info)
{
	free(info->cpus);
	info->cpus = NULL;
	info->ncpus = info->capcpus = 0;
}

/*
 * Set by the cpufreq collector's setup when it is enabled: the cpu
 * collector then adds node_cpu_frequency_hertz from /proc/cpuinfo, as
 * node_exporter does when both are on.
 */
extern bool cpufreq_collector_enabled;

/*
 * Forget the cpu collector's backwards-jump guard (the last value of each
 * cpu/mode, shared by all scrape threads); for tests.
 */
void cpu_guard_reset(void);

/*
 * Parse /proc/cpuinfo in the arm layout (true) or the x86 one (false)
 * instead of this architecture's; for tests.
 */
void cpu_cpuinfo_layout_arm(bool arm);

#endif
