// SPDX-License-Identifier: Apache-2.0
/*
 * Per-cgroup statistics from the unified (v2) hierarchy, with cAdvisor's
 * choices:
 *   cpu.stat usage_usec/user_usec/system_usec, nr_periods/nr_throttled/
 *     throttled_usec; cpu.weight (reported as v1 shares:
 *     2 + (weight - 1) * 262142 / 9999); cpu.max "<quota|max> <period>";
 *   memory.current, memory.peak, memory.swap.current, memory.max,
 *     memory.min, memory.swap.max ("max": unlimited, reported as 0),
 *     memory.events (oom_kill), memory.stat (anon, file, file_mapped,
 *     inactive_file, pgfault, pgmajfault; working set = current -
 *     inactive_file, floored at 0);
 *   io.stat "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...";
 *   pids.current, pids.max; cgroup.procs;
 *   cpu/memory/io.pressure "some|full avg10=.. avg60=.. avg300=.. total=<us>".
 * Kernel docs: https://docs.kernel.org/admin-guide/cgroup-v2.html and
 * https://docs.kernel.org/accounting/psi.html
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/cgroup.h"
#include "common/pfile.h"

static double limit_value(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? 0 : (double)v;
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
			if (strcmp(k, "usage_usec") == 0) {
				st->cpu_usage_ns = n * 1000;
				got |= 1;
			} else if (strcmp(k, "user_usec") == 0) {
				st->cpu_user_ns = n * 1000;
			} else if (strcmp(k, "system_usec") == 0) {
				st->cpu_system_ns = n * 1000;
			} else if (strcmp(k, "nr_periods") == 0) {
				st->nr_periods = n;
				got |= 2;
			} else if (strcmp(k, "nr_throttled") == 0) {
				st->nr_throttled = n;
				got |= 4;
			} else if (strcmp(k, "throttled_usec") == 0) {
				st->throttled_ns = n * 1000;
				got |= 8;
			}
		}
		if (got & 1)
			st->have |= CGS_CPU;
		if ((got & 14) == 14)
			st->have |= CGS_CFS;
	}
	uint64_t weight;
	if (r->skip_spec || cgroup_read_u64(r, dir, "cpu.weight", &weight) < 0 || weight == 0 ||
	    weight > 10000)
		return;
	st->cpu_shares = 2 + ((weight - 1) * 262142) / 9999;
	st->cpu_quota = -1;
	if (cgroup_read_file(r, dir, "cpu.max") >= 0) {
		char *p = r->data.data, *sp = strchr(p, ' ');
		uint64_t q, per;
		if (sp) {
			*sp = '\0';
			if (cgroup_parse_u64(p, &q) && q != UINT64_MAX)
				st->cpu_quota = (int64_t)q;
			if (cgroup_parse_u64(sp + 1, &per))
				st->cpu_period = per;
		}
	}
	st->have |= CGS_SPEC_CPU;
}

static void read_memory(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st)
{
	uint64_t usage, n;
	if (cgroup_read_u64(r, dir, "memory.current", &usage) < 0)
		return;
	st->mem_usage = usage;
	if (cgroup_read_u64(r, dir, "memory.peak", &n) == 0)
		st->mem_max_usage = n;
	if (cgroup_read_u64(r, dir, "memory.swap.current", &n) == 0)
		st->mem_swap = n;
	uint64_t limit;
	if (!r->skip_spec && cgroup_read_u64(r, dir, "memory.max", &limit) == 0) {
		st->mem_limit = limit_value(limit);
		if (cgroup_read_u64(r, dir, "memory.min", &n) == 0)
			st->mem_reservation = limit_value(n);
		if (cgroup_read_u64(r, dir, "memory.swap.max", &n) == 0)
			st->mem_swap_limit = limit_value(n);
		st->have |= CGS_SPEC_MEM;
	}
	char *pos, *k, *v;
	if (cgroup_read_file(r, dir, "memory.events") >= 0) {
		pos = r->data.data;
		while (cgroup_kv_next(&pos, &k, &v))
			if (strcmp(k, "oom_kill") == 0 && cgroup_parse_u64(v, &n)) {
				st->oom_kill = n;
				st->have |= CGS_OOM;
			}
	}
	uint64_t inactive_file = 0;
	if (cgroup_read_file(r, dir, "memory.stat") >= 0) {
		pos = r->data.data;
		while (cgroup_kv_next(&pos, &k, &v)) {
			if (!cgroup_parse_u64(v, &n))
				continue;
			if (strcmp(k, "anon") == 0)
				st->mem_rss = n;
			else if (strcmp(k, "file") == 0)
				st->mem_cache = n;
			else if (strcmp(k, "file_mapped") == 0)
				st->mem_mapped = n;
			else if (strcmp(k, "inactive_file") == 0)
				inactive_file = n;
			else if (strcmp(k, "pgfault") == 0)
				st->pgfault = st->h_pgfault = n;
			else if (strcmp(k, "pgmajfault") == 0)
				st->pgmajfault = st->h_pgmajfault = n;
		}
	}
	st->mem_working_set = usage > inactive_file ? usage - inactive_file : 0;
	st->have |= CGS_MEM;
}

static void read_io(struct cgroup_reader *r, const char *dir, struct cgroup_stats *st)
{
	if (cgroup_read_file(r, dir, "io.stat") < 0)
		return;
	for (char *p = r->data.data; *p && st->nio < CGROUP_MAX_IO;) {
		char *eol = strchr(p, '\n');
		if (eol)
			*eol = '\0';
		const char *end;
		uint32_t major = (uint32_t)str2u64(p, &end);
		if (end != p && *end == ':') {
			const char *q = end + 1;
			uint32_t minor = (uint32_t)str2u64(q, &end);
			struct cgroup_io *io = &st->io[st->nio];
			memset(io, 0, sizeof(*io));
			io->major = major;
			io->minor = minor;
			for (const char *w = strchr(end, ' '); w; w = strchr(w, ' ')) {
				w++;
				const char *eq = strchr(w, '=');
				if (!eq)
					break;
				uint64_t n = str2u64(eq + 1, NULL);
				size_t kl = (size_t)(eq - w);
				if (kl == 6 && strncmp(w, "rbytes", 6) == 0)
					io->rbytes = n;
				else if (kl == 6 && strncmp(w, "wbytes", 6) == 0)
					io->wbytes = n;
				else if (kl == 4 && strncmp(w, "rios", 4) == 0)
					io->rios = n;
				else if (kl == 4 && strncmp(w, "wios", 4) == 0)
					io->wios = n;
			}
			st->nio++;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	st->have |= CGS_IO;
}

void cgroup_v2_read_pressure(const char *root, const char *name, struct cgroup_reader *r,
			     struct cgroup_stats *st)
{
	static const char *const files[PSI_N] = {"cpu.pressure", "memory.pressure", "io.pressure"};
	char dir[PATH_MAX];
	if (!root)
		return;
	snprintf(dir, sizeof(dir), "%s%s", root, strcmp(name, "/") == 0 ? "" : name);
	bool any = false;
	for (int i = 0; i < PSI_N; i++) {
		if (cgroup_read_file(r, dir, files[i]) < 0)
			continue;
		char *pos = r->data.data, *k, *v;
		while (cgroup_kv_next(&pos, &k, &v)) {
			const char *t = strstr(v, "total=");
			if (!t)
				continue;
			uint64_t n = str2u64(t + 6, NULL);
			if (strcmp(k, "some") == 0) {
				st->psi_some_us[i] = n;
				any = true;
			} else if (strcmp(k, "full") == 0) {
				st->psi_full_us[i] = n;
			}
		}
	}
	if (any)
		st->have |= CGS_PSI;
}

int cgroup_v2_read(const char *root, const char *name, struct cgroup_reader *r,
		   struct cgroup_stats *st)
{
	char dir[PATH_MAX];
	if (!root)
		return -ENOENT;
	snprintf(dir, sizeof(dir), "%s%s", root, strcmp(name, "/") == 0 ? "" : name);
	/* gone when the folder is: cgroup.procs alone may be unreadable */
	int rc = cgroup_read_procs(r, dir, st);
	if ((rc == -ENOENT || rc == -ENOTDIR) && access(dir, F_OK) < 0)
		return -ENOENT;
	read_cpu(r, dir, st);
	read_memory(r, dir, st);
	read_io(r, dir, st);
	cgroup_read_pids(r, dir, st);
	cgroup_v2_read_pressure(root, name, r, st);
	return 0;
}
