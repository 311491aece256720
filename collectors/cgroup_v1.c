// SPDX-License-Identifier: Apache-2.0
/*
 * Per-cgroup statistics from the cgroup v1 controllers, one file read whole
 * per stat, parsed in place, with cAdvisor's (libcontainer's) choices:
 *   cpuacct.usage (ns), cpuacct.stat user/system (USER_HZ ticks);
 *   cpu.stat nr_periods/nr_throttled/throttled_time (ns), cpu.shares,
 *     cpu.cfs_quota_us, cpu.cfs_period_us;
 *   memory.usage_in_bytes, memory.max_usage_in_bytes, memory.failcnt,
 *     memory.limit_in_bytes, memory.soft_limit_in_bytes,
 *     memory.memsw.limit_in_bytes, memory.oom_control (oom_kill),
 *     memory.stat (total_* keys: the hierarchy, as cAdvisor reads them;
 *     working set = usage - total_inactive_file, floored at 0);
 *   blkio.throttle.io_service_bytes[_recursive] / io_serviced[_recursive]
 *     ("MAJ:MIN Read|Write N" lines), bfq's files when throttle has none;
 *   pids.current, pids.max; cgroup.procs (process count, a pid for netns).
 * Kernel docs: https://docs.kernel.org/admin-guide/cgroup-v1/cpuacct.html,
 * .../cgroup-v1/memory.html, .../cgroup-v1/blkio-controller.html,
 * .../cgroup-v1/pids.html, https://docs.kernel.org/scheduler/sched-bwc.html
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/cgroup.h"
#include "common/pfile.h"

/* dir of cgroup name under hierarchy root, or false when not mounted */
static bool ctl_dir(const struct cgroup_layout *l, enum cgroup_ctl c, const char *name, char *out)
{
	if (!l->v1[c])
		return false;
	snprintf(out, PATH_MAX, "%s%s", l->v1[c], strcmp(name, "/") == 0 ? "" : name);
	return true;
}

/* A v1 memory limit as cAdvisor reports it (beyond int64: 0, i.e. unlimited). */
static double mem_limit(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? 0 : (double)v;
}

static void read_cpuacct(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st)
{
	uint64_t usage;
	if (cgroup_read_u64(r, dir, "cpuacct.usage", &usage) < 0)
		return;
	st->cpu_usage_ns = usage;
	st->have |= CGS_CPU;
	if (cgroup_read_file(r, dir, "cpuacct.stat") < 0)
		return;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t tick_ns = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
	char *pos = r->data.data, *k, *v;
	uint64_t n;
	while (cgroup_kv_next(&pos, &k, &v)) {
		if (!cgroup_parse_u64(v, &n))
			continue;
		if (strcmp(k, "user") == 0)
			st->cpu_user_ns = n * tick_ns;
		else if (strcmp(k, "system") == 0)
			st->cpu_system_ns = n * tick_ns;
	}
}

static void read_cpu(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st)
{
	char *pos, *k, *v;
	uint64_t n;
	if (cgroup_read_file(r, dir, "cpu.stat") >= 0) {
		pos = r->data.data;
		unsigned got = 0;
		while (cgroup_kv_next(&pos, &k, &v)) {
			if (!cgroup_parse_u64(v, &n))
				continue;
			if (strcmp(k, "nr_periods") == 0) {
				st->nr_periods = n;
				got |= 1;
			} else if (strcmp(k, "nr_throttled") == 0) {
				st->nr_throttled = n;
				got |= 2;
			} else if (strcmp(k, "throttled_time") == 0) {
				st->throttled_ns = n;
				got |= 4;
			}
		}
		if (got == 7)
			st->have |= CGS_CFS;
	}
	uint64_t shares = 0, period = 0;
	int64_t quota = -1;
	if (r->skip_spec || cgroup_read_u64(r, dir, "cpu.shares", &shares) < 0)
		return;
	if (cgroup_read_file(r, dir, "cpu.cfs_quota_us") >= 0) {
		const char *end;
		quota = str2i64(r->data.data, &end);
		if (end == r->data.data)
			quota = -1;
	}
	cgroup_read_u64(r, dir, "cpu.cfs_period_us", &period);
	st->cpu_shares = shares;
	st->cpu_quota = quota;
	st->cpu_period = period;
	st->have |= CGS_SPEC_CPU;
}

static void read_memory(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st)
{
	uint64_t usage, n;
	if (cgroup_read_u64(r, dir, "memory.usage_in_bytes", &usage) < 0)
		return;
	st->mem_usage = usage;
	if (cgroup_read_u64(r, dir, "memory.max_usage_in_bytes", &n) == 0)
		st->mem_max_usage = n;
	if (cgroup_read_u64(r, dir, "memory.failcnt", &n) == 0) {
		st->mem_failcnt = n;
		st->have |= CGS_MEM_FAILCNT;
	}
	uint64_t limit = UINT64_MAX, soft = UINT64_MAX, memsw = UINT64_MAX;
	if (!r->skip_spec && cgroup_read_u64(r, dir, "memory.limit_in_bytes", &limit) == 0) {
		cgroup_read_u64(r, dir, "memory.soft_limit_in_bytes", &soft);
		cgroup_read_u64(r, dir, "memory.memsw.limit_in_bytes", &memsw);
		st->mem_limit = mem_limit(limit);
		st->mem_reservation = mem_limit(soft);
		st->mem_swap_limit = mem_limit(memsw);
		st->have |= CGS_SPEC_MEM;
	}
	char *pos, *k, *v;
	if (cgroup_read_file(r, dir, "memory.oom_control") >= 0) {
		pos = r->data.data;
		while (cgroup_kv_next(&pos, &k, &v))
			if (strcmp(k, "oom_kill") == 0 && cgroup_parse_u64(v, &n)) {
				st->oom_kill = n;
				st->have |= CGS_OOM;
			}
	}
	if (cgroup_read_file(r, dir, "memory.stat") < 0)
		return;
	uint64_t inactive_file = 0;
	pos = r->data.data;
	while (cgroup_kv_next(&pos, &k, &v)) {
		if (!cgroup_parse_u64(v, &n))
			continue;
		if (strcmp(k, "pgfault") == 0)
			st->pgfault = n;
		else if (strcmp(k, "pgmajfault") == 0)
			st->pgmajfault = n;
		else if (strncmp(k, "total_", 6) != 0)
			continue;
		else if (strcmp(k + 6, "cache") == 0)
			st->mem_cache = n;
		else if (strcmp(k + 6, "rss") == 0)
			st->mem_rss = n;
		else if (strcmp(k + 6, "swap") == 0)
			st->mem_swap = n;
		else if (strcmp(k + 6, "mapped_file") == 0)
			st->mem_mapped = n;
		else if (strcmp(k + 6, "inactive_file") == 0)
			inactive_file = n;
		else if (strcmp(k + 6, "pgfault") == 0)
			st->h_pgfault = n;
		else if (strcmp(k + 6, "pgmajfault") == 0)
			st->h_pgmajfault = n;
	}
	st->mem_working_set = usage > inactive_file ? usage - inactive_file : 0;
	st->have |= CGS_MEM;
}

static struct cgroup_io *io_slot(struct cgroup_stats *st, uint32_t major, uint32_t minor)
{
	for (size_t i = 0; i < st->nio; i++)
		if (st->io[i].major == major && st->io[i].minor == minor)
			return &st->io[i];
	if (st->nio == CGROUP_MAX_IO)
		return NULL;
	struct cgroup_io *io = &st->io[st->nio++];
	memset(io, 0, sizeof(*io));
	io->major = major;
	io->minor = minor;
	return io;
}

/* Parse "MAJ:MIN Read N" lines into bytes (ios == false) or counts; returns lines used. */
static int parse_blkio(char *text, struct cgroup_stats *st, bool ios)
{
	int used = 0;
	char *pos = text, *k, *v;
	while (cgroup_kv_next(&pos, &k, &v)) {
		const char *end;
		uint32_t major = (uint32_t)str2u64(k, &end);
		if (end == k || *end != ':')
			continue;
		uint32_t minor = (uint32_t)str2u64(end + 1, &end);
		char *op = v, *num = strchr(v, ' ');
		uint64_t n;
		if (!num)
			continue;
		*num++ = '\0';
		bool rd = strcmp(op, "Read") == 0, wr = strcmp(op, "Write") == 0;
		if ((!rd && !wr) || !cgroup_parse_u64(num, &n))
			continue;
		struct cgroup_io *io = io_slot(st, major, minor);
		if (!io)
			continue;
		if (ios)
			*(rd ? &io->rios : &io->wios) = n;
		else
			*(rd ? &io->rbytes : &io->wbytes) = n;
		used++;
	}
	return used;
}

static bool read_blkio_pair(struct cgroup_reader *r, const char *dir, const char *bytes,
			    const char *ios, struct cgroup_stats *st)
{
	if (cgroup_read_file(r, dir, bytes) < 0)
		return false;
	if (parse_blkio(r->data.data, st, false) == 0)
		return false;
	if (cgroup_read_file(r, dir, ios) >= 0)
		parse_blkio(r->data.data, st, true);
	return true;
}

static void read_blkio(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st)
{
	if (read_blkio_pair(r, dir, "blkio.throttle.io_service_bytes_recursive",
			    "blkio.throttle.io_serviced_recursive", st) ||
	    read_blkio_pair(r, dir, "blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced",
			    st) ||
	    read_blkio_pair(r, dir, "blkio.bfq.io_service_bytes_recursive",
			    "blkio.bfq.io_serviced_recursive", st))
		st->have |= CGS_IO;
}

int cgroup_read_procs(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st)
{
	int rc = cgroup_read_file(r, dir, "cgroup.procs");
	if (rc < 0)
		return rc;
	uint64_t count = 0;
	for (const char *p = r->data.data; *p;) {
		const char *end;
		uint64_t pid = str2u64(p, &end);
		if (end != p) {
			if (!count)
				st->first_pid = (int)pid;
			count++;
		}
		const char *nl = strchr(end, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	st->processes = count;
	st->have |= CGS_PROCS;
	return 0;
}

int cgroup_v1_read(const struct cgroup_layout *l, const char *name, struct cgroup_reader *r,
		   struct cgroup_stats *st)
{
	char dir[PATH_MAX];
	const char *root = cgroup_walk_root(l);
	if (!root)
		return -ENOENT;
	snprintf(dir, sizeof(dir), "%s%s", root, strcmp(name, "/") == 0 ? "" : name);
	/* gone when the folder is: cgroup.procs alone may be unreadable */
	int rc = cgroup_read_procs(r, dir, st);
	if ((rc == -ENOENT || rc == -ENOTDIR) && access(dir, F_OK) < 0)
		return -ENOENT;
	if (ctl_dir(l, CG_CPUACCT, name, dir))
		read_cpuacct(r, dir, st);
	if (ctl_dir(l, CG_CPU, name, dir))
		read_cpu(r, dir, st);
	if (ctl_dir(l, CG_MEMORY, name, dir))
		read_memory(r, dir, st);
	if (ctl_dir(l, CG_BLKIO, name, dir))
		read_blkio(r, dir, st);
	if (ctl_dir(l, CG_PIDS, name, dir))
		cgroup_read_pids(r, dir, st);
	return 0;
}
