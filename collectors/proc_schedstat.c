// SPDX-License-Identifier: Apache-2.0
/*
 * schedstat: per-cpu scheduler statistics from /proc/schedstat:
 * node_schedstat_running_seconds_total, node_schedstat_waiting_seconds_total
 * and node_schedstat_timeslices_total{cpu}.  A "cpu<N>" line carries nine
 * counters; the last three are the time spent running and waiting (in
 * nanoseconds, despite older documentation saying jiffies) and the number
 * of timeslices run.  As node_exporter (prometheus/procfs) does, a line
 * counts when it contains "cpu<N>" followed by nine single-space separated
 * numbers; the cpu label keeps <N> as written; a missing file is "no data"
 * (the collector reports failure without an error log in node_exporter).
 * Format: https://www.kernel.org/doc/html/latest/scheduler/sched-stats.html
 */
#include <errno.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/log.h"
#include "common/pfile.h"

struct schedstat_state {
	struct pfile *pf;
};

/* Skip one or more digits at s; NULL when there is none. */
static const char *schedstat_digits(const char *s)
{
	if (*s < '0' || *s > '9')
		return NULL;
	while (*s >= '0' && *s <= '9')
		s++;
	return s;
}

/*
 * Match "cpu(\d+)( \d+){9}" at s.  On success sets the cpu number span and
 * the spans of the 7th, 8th and 9th counters and returns true.
 */
static bool schedstat_match(const char *s, const char **cpu, size_t *cpulen, const char *num[3],
			    size_t numlen[3])
{
	if (strncmp(s, "cpu", 3) != 0)
		return false;
	const char *p = s + 3, *e = schedstat_digits(p);
	if (!e)
		return false;
	*cpu = p;
	*cpulen = (size_t)(e - p);
	p = e;
	for (int i = 0; i < 9; i++) {
		if (*p != ' ')
			return false;
		e = schedstat_digits(p + 1);
		if (!e)
			return false;
		if (i >= 6) {
			num[i - 6] = p + 1;
			numlen[i - 6] = (size_t)(e - p - 1);
		}
		p = e;
	}
	return true;
}

static int schedstat_collect(void *state, struct expo_set *out)
{
	struct schedstat_state *st = state;
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "schedstat"), "");
		if (!st->pf) {
			int rc = -errno;
			if (rc == -ENOENT) {
				log_debug("schedstat file does not exist");
				return -ENODATA; /* node_exporter's ErrNoData */
			}
			return rc;
		}
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;

	struct expo_family *running = NULL, *waiting = NULL, *slices = NULL;
	for (size_t l = 0; l < pfile_lines(st->pf); l++) {
		if (!pfile_words(st->pf, l))
			continue;
		const char *line = pfile_word(st->pf, l, 0), *cpu = NULL, *num[3];
		size_t cpulen = 0, numlen[3];
		bool found = false;
		for (const char *s = strstr(line, "cpu"); s; s = strstr(s + 1, "cpu")) {
			if (schedstat_match(s, &cpu, &cpulen, num, numlen)) {
				found = true;
				break;
			}
		}
		if (!found)
			continue;
		uint64_t v[3];
		bool ok = true;
		for (int i = 0; i < 3 && ok; i++) {
			char tmp[32];
			ok = numlen[i] < sizeof(tmp);
			if (ok) {
				memcpy(tmp, num[i], numlen[i]);
				tmp[numlen[i]] = '\0';
				ok = parse_go_uint(tmp, 10, 64, &v[i]) == 0;
			}
		}
		if (!ok || cpulen >= 32)
			continue;
		char label[32];
		memcpy(label, cpu, cpulen);
		label[cpulen] = '\0';
		if (!running) {
			running = expo_family(out, "node_schedstat_running_seconds_total",
					      "Number of seconds CPU spent running a process.",
					      EXPO_COUNTER);
			waiting = expo_family(
				out, "node_schedstat_waiting_seconds_total",
				"Number of seconds spent by processing waiting for this CPU.",
				EXPO_COUNTER);
			slices = expo_family(out, "node_schedstat_timeslices_total",
					     "Number of timeslices executed by CPU.", EXPO_COUNTER);
		}
		expo_addl(running, (double)v[0] / 1e9, "cpu", label, NULL);
		expo_addl(waiting, (double)v[1] / 1e9, "cpu", label, NULL);
		expo_addl(slices, (double)v[2], "cpu", label, NULL);
	}
	return 0;
}

static void schedstat_cleanup(void *state)
{
	struct schedstat_state *st = state;
	pfile_close(st->pf);
}

const struct collector collector_schedstat = {
	.name = "schedstat",
	.default_on = true,
	.state_size = sizeof(struct schedstat_state),
	.collect = schedstat_collect,
	.cleanup = schedstat_cleanup,
};
