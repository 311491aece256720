/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the cpu, cpufreq, stat, schedstat, softnet, entropy and filefd
 * collectors share: strict number parsers with Go's strconv semantics (a
 * value node_exporter rejects is rejected here too, so the same files make
 * the same collectors fail), and the parser of /proc/stat used by both the
 * cpu and the stat collector (each keeps its own pfile handle).
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

#include <dirent.h>
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

/* Go's strconv.ParseUint(s, 10, 64): digits only, no sign, no overflow. */
static inline bool cpu_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Go's strconv.ParseUint(s, 16, 32), for /proc/net/softnet_stat. */
static inline bool cpu_parse_hex32(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		v = v * 16 + (uint64_t)d;
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* Go's strconv.ParseFloat(s, 64): the whole string, no surrounding blanks. */
static inline bool cpu_parse_double(const char *s, double *out)
{
	if (!*s || *s == ' ' || *s == '\t' || *s == '\n')
		return false;
	const char *end;
	double v = str2d(s, &end);
	if (end == s || *end)
		return false;
	*out = v;
	return true;
}

/* Go's strings.TrimSpace in place: returns the first non-blank byte, cuts the tail. */
static inline char *cpu_trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r' ||
		     s[n - 1] == '\v' || s[n - 1] == '\f'))
		s[--n] = '\0';
	return s;
}

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
			if (!cpu_parse_u64(q, &v) || v > (uint64_t)INT32_MAX)
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

/* The cpu<N> entries of a sysfs directory, as Go's filepath.Glob("cpu[0-9]*") lists them. */
struct cpu_dirs {
	char (*names)[32];
	size_t n, cap;
};

static inline int cpu_dirs_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/*
 * Fill dirs with the names matching cpu[0-9]* in dir, sorted bytewise.
 * Returns 0 (a missing directory is an empty list, as for a glob) or a
 * negative errno.
 */
static inline int cpu_dirs_list(const char *dir, struct cpu_dirs *dirs)
{
	dirs->n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (strncmp(name, "cpu", 3) != 0 || name[3] < '0' || name[3] > '9' ||
		    strlen(name) >= sizeof(dirs->names[0]))
			continue;
		if (dirs->n == dirs->cap) {
			dirs->cap = dirs->cap ? dirs->cap * 2 : 64;
			dirs->names = xrealloc(dirs->names, dirs->cap * sizeof(dirs->names[0]));
		}
		memcpy(dirs->names[dirs->n++], name, strlen(name) + 1);
	}
	closedir(d);
	if (dirs->n > 1)
		qsort(dirs->names, dirs->n, sizeof(dirs->names[0]), cpu_dirs_cmp);
	return 0;
}

/*
 * Read a sysfs attribute as procfs's SysReadFile does: one read(2) of at
 * most 128 bytes, blanks trimmed.  buf must hold 129 bytes.  Returns 0 or a
 * negative errno.
 */
static inline int cpu_sys_read(const char *path, char buf[129], char **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n;
	do
		n = read(fd, buf, 128);
	while (n < 0 && errno == EINTR);
	int rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	buf[n] = '\0';
	*out = cpu_trim(buf);
	return 0;
}

/*
 * Read a file holding one unsigned integer, as procfs's ReadUintFromFile
 * and node_exporter's readUintFromFile do (trimmed, then strict).  Returns
 * 0, a negative errno from open/read, or -EINVAL.
 */
static inline int cpu_read_uint(const char *path, uint64_t *out)
{
	char buf[64];
	int n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	return cpu_parse_u64(cpu_trim(buf), out) ? 0 : -EINVAL;
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
		if (!cpu_parse_double(pfile_word(pf, l, i), &v[i - 1]))
			return -EINVAL;
		v[i - 1] /= PROC_STAT_USER_HZ;
	}
	if (!key[3])
		return 0; /* the total line; node_exporter does not export it */
	/* strconv.ParseInt(key[3:], 10, 64) */
	const char *p = key + 3;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	uint64_t id;
	if (!cpu_parse_u64(p, &id) || id > (uint64_t)INT64_MAX + neg)
		return -EINVAL;
	int64_t sid = neg ? (int64_t)(0 - id) : (int64_t)id;
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
			if (!cpu_parse_u64(pfile_word(pf, l, 1), scalars[i].dst))
				return -EINVAL;
			next = i + 1;
		} else if (strcmp(key, "intr") == 0) {
			if (!cpu_parse_u64(pfile_word(pf, l, 1), &out->intr))
				return -EINVAL;
			for (size_t w = 2; w < nw; w++) {
				uint64_t ignored;
				if (!cpu_parse_u64(pfile_word(pf, l, w), &ignored))
					return -EINVAL;
			}
		} else if (strcmp(key, "softirq") == 0) {
			uint64_t total;
			if (nw < 2 + PROC_STAT_NSOFTIRQ ||
			    !cpu_parse_u64(pfile_word(pf, l, 1), &total))
				return -EINVAL;
			for (size_t w = 0; w < PROC_STAT_NSOFTIRQ; w++)
				if (!cpu_parse_u64(pfile_word(pf, l, w + 2), &out->softirq[w]))
					return -EINVAL;
		}
	}
	return 0;
}

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
