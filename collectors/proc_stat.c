// SPDX-License-Identifier: Apache-2.0
/*
 * stat: kernel activity counters from /proc/stat, as node_exporter's stat
 * collector names them: node_intr_total, node_context_switches_total,
 * node_forks_total, node_boot_time_seconds, node_procs_running,
 * node_procs_blocked, and with --collector.stat.softirq
 * node_softirqs_total{vector} from the "softirq" line.
 * Format: https://www.kernel.org/doc/html/latest/filesystems/proc.html
 * ("1.8 Miscellaneous kernel statistics in /proc/stat"); the parser is
 * shared with the cpu collector (collectors/proc_stat_common.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/pfile.h"

static bool stat_softirq;

static const struct flag_def stat_flags[] = {
	{"collector.stat.softirq", FLAG_BOOL, &stat_softirq, "false",
	 "Export softirq calls per vector", NULL, NULL},
};

struct stat_state {
	struct pfile *pf;
	struct proc_stat_info info;
};

/*
 * /proc/stat, read once per scrape for the cpu and stat collectors: the
 * kernel sums every CPU's and every interrupt's counters for it, the
 * dearest text a scrape reads.  Each scrape thread holds its handle (freed
 * at thread exit); outside a scrape (collector_scrape_id() 0) the caller's
 * own handle *own is read, as before.
 */
struct stat_memo {
	unsigned long id; /* collector_scrape_id() of the read held */
	int rc;
	struct pfile *pf;
};

bool cpu_dir_name(const char *name)
{
	return strncmp(name, "cpu", 3) == 0 && name[3] >= '0' && name[3] <= '9' &&
	       strlen(name) < 32;
}

static void stat_memo_free(void *p)
{
	struct stat_memo *m = p;
	pfile_close(m->pf);
	free(m);
}

static struct collector_thread_cache stat_cache = COLLECTOR_THREAD_CACHE(stat_memo_free);

/* Open (if needed) and read *pf; 0 or a negative errno. */
static int stat_read_into(struct pfile **pf)
{
	if (!*pf) {
		char path[PATH_MAX];
		*pf = pfile_open(proc_path(path, "stat"), " \t\r\v\f");
		if (!*pf)
			return -errno;
	}
	return pfile_read(*pf);
}

int proc_stat_scrape_read(struct pfile **own, struct pfile **out)
{
	unsigned long id = collector_scrape_id();
	if (!id) {
		int rc = stat_read_into(own);
		*out = *own;
		return rc;
	}
	struct stat_memo *m = collector_thread_cache(&stat_cache, sizeof(*m));
	if (m->id != id) {
		m->rc = stat_read_into(&m->pf);
		m->id = id;
	}
	*out = m->pf;
	return m->rc;
}

static int stat_collect(void *state, struct expo_set *out)
{
	static const char *const vectors[PROC_STAT_NSOFTIRQ] = {
		"hi",		"timer",   "net_tx", "net_rx",	"block",
		"block_iopoll", "tasklet", "sched",  "hrtimer", "rcu",
	};
	struct stat_state *st = state;
	struct pfile *pf;
	int rc = proc_stat_scrape_read(&st->pf, &pf);
	if (rc)
		return rc;
	rc = proc_stat_parse(pf, &st->info, false);
	if (rc)
		return rc;

	const struct proc_stat_info *in = &st->info;
	expo_add(expo_family(out, "node_intr_total", "Total number of interrupts serviced.",
			     EXPO_COUNTER),
		 NULL, 0, (double)in->intr);
	expo_add(expo_family(out, "node_context_switches_total",
			     "Total number of context switches.", EXPO_COUNTER),
		 NULL, 0, (double)in->ctxt);
	expo_add(expo_family(out, "node_forks_total", "Total number of forks.", EXPO_COUNTER), NULL,
		 0, (double)in->processes);
	expo_add(expo_family(out, "node_boot_time_seconds", "Node boot time, in unixtime.",
			     EXPO_GAUGE),
		 NULL, 0, (double)in->btime);
	expo_add(expo_family(out, "node_procs_running", "Number of processes in runnable state.",
			     EXPO_GAUGE),
		 NULL, 0, (double)in->procs_running);
	expo_add(expo_family(out, "node_procs_blocked",
			     "Number of processes blocked waiting for I/O to complete.",
			     EXPO_GAUGE),
		 NULL, 0, (double)in->procs_blocked);
	if (stat_softirq) {
		struct expo_family *f = expo_family(out, "node_softirqs_total",
						    "Number of softirq calls.", EXPO_COUNTER);
		for (size_t i = 0; i < PROC_STAT_NSOFTIRQ; i++)
			expo_addl(f, (double)in->softirq[i], "vector", vectors[i], NULL);
	}
	return 0;
}

static void stat_cleanup(void *state)
{
	struct stat_state *st = state;
	pfile_close(st->pf);
	proc_stat_info_free(&st->info);
}

const struct collector collector_stat = {
	.name = "stat",
	.default_on = true,
	.state_size = sizeof(struct stat_state),
	.flags = stat_flags,
	.nflags = ARRAY_SIZE(stat_flags),
	.collect = stat_collect,
	.cleanup = stat_cleanup,
};
