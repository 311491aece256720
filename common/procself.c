// SPDX-License-Identifier: Apache-2.0
/*
 * Sources: /proc/self/stat (utime, stime, starttime, vsize, rss; see
 * proc(5)), /proc/stat btime, the soft RLIMIT_NOFILE and RLIMIT_AS (what
 * /proc/self/limits prints as "Max open files" and "Max address space",
 * without having the kernel format all sixteen limits), and the entries of
 * /proc/self/fd.
 */
#include "common/procself.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/pfile.h"

static double btime;
static pthread_once_t btime_once = PTHREAD_ONCE_INIT;

static void read_btime(void)
{
	char buf[8192];
	if (read_small_file("/proc/stat", buf, sizeof(buf)) < 0)
		return;
	const char *p = strstr(buf, "\nbtime ");
	btime = p ? (double)str2u64(p + 7, NULL) : 0;
}

/*
 * The boot time, read once: the process's start time does not change, and
 * /proc/stat (every CPU's and interrupt's counters) is the dearest file a
 * scrape reads.  Only a step of the wall clock would move it in the
 * kernel's answer.
 */
static double boot_time(void)
{
	pthread_once(&btime_once, read_btime);
	return btime;
}

/* A soft resource limit, +Inf for "unlimited"; NaN when it cannot be read. */
static double limit_of(int resource)
{
	struct rlimit rl;
	if (getrlimit(resource, &rl) < 0)
		return NAN;
	return rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur;
}

static int count_fds(void)
{
	/* since Linux 6.2 the size of /proc/self/fd is its number of entries:
	 * one stat instead of a directory listing */
	struct stat st;
	if (stat("/proc/self/fd", &st) == 0 && st.st_size > 0)
		return (int)st.st_size;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory stream's own fd */
}

int procself_collect(struct expo_set *out)
{
	char stat[1024];
	int rc = read_small_file("/proc/self/stat", stat, sizeof(stat));
	if (rc < 0)
		return rc;
	/* fields after the command name, which may contain spaces */
	const char *p = strrchr(stat, ')');
	if (!p)
		return -EINVAL;
	p += 2;
	/* p is at field 3 (state); fields are 1-based in proc(5) */
	double f[64] = { 0 };
	for (int i = 3; i < 64 && *p; i++) {
		while (*p == ' ')
			p++;
		const char *q = p;
		f[i] = (double)str2i64(p, &q);
		while (*q && *q != ' ')
			q++;
		p = q;
	}
	double tck = (double)sysconf(_SC_CLK_TCK);
	double page = (double)sysconf(_SC_PAGESIZE);

	expo_add(expo_family(out, "process_cpu_seconds_total",
			     "Total user and system CPU time spent in seconds.", EXPO_COUNTER),
		 NULL, 0, (f[14] + f[15]) / tck);
	expo_add(expo_family(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
			     EXPO_GAUGE),
		 NULL, 0, f[24] * page);
	expo_add(expo_family(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
			     EXPO_GAUGE),
		 NULL, 0, f[23]);
	expo_add(expo_family(out, "process_start_time_seconds",
			     "Start time of the process since unix epoch in seconds.", EXPO_GAUGE),
		 NULL, 0, boot_time() + f[22] / tck);
	int fds = count_fds();
	if (fds >= 0)
		expo_add(expo_family(out, "process_open_fds", "Number of open file descriptors.",
				     EXPO_GAUGE),
			 NULL, 0, fds);
	double fmax = limit_of(RLIMIT_NOFILE), vmax = limit_of(RLIMIT_AS);
	if (!isnan(fmax) && !isnan(vmax)) {
		expo_add(expo_family(out, "process_max_fds", "Maximum number of open file descriptors.",
				     EXPO_GAUGE),
			 NULL, 0, fmax);
		/* client_golang reports unlimited as 2^64-1 */
		expo_add(expo_family(out, "process_virtual_memory_max_bytes",
				     "Maximum amount of virtual memory available in bytes.", EXPO_GAUGE),
			 NULL, 0, isinf(vmax) ? 18446744073709551615.0 : vmax);
	}
	return 0;
}
