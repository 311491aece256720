// SPDX-License-Identifier: Apache-2.0
/*
 * cpufreq: per-cpu frequency scaling from
 * /sys/devices/system/cpu/cpu<N>/cpufreq/: node_cpu_frequency_hertz
 * (cpuinfo_cur_freq), node_cpu_frequency_avg_hertz (cpuinfo_avg_freq),
 * node_cpu_frequency_{min,max}_hertz (cpuinfo_{min,max}_freq),
 * node_cpu_scaling_frequency{,_min,_max}_hertz (scaling_{cur,min,max}_freq),
 * all in kHz in sysfs and exported in Hz, and node_cpu_scaling_governor{cpu,
 * governor} (1 for the active one of scaling_available_governors).
 *
 * As node_exporter (prometheus/procfs SystemCpufreq) does: cpus listed in
 * /sys/devices/system/cpu/offline are skipped, as are cpus without a
 * cpufreq directory; a missing or unreadable frequency file is skipped, a
 * malformed one fails the collector; scaling_available_governors,
 * scaling_driver, scaling_governor, related_cpus and scaling_setspeed must
 * be readable (first 128 bytes).  Unlike node_exporter at HEAD, a missing
 * "offline" file means no offline cpu (as in 1.5.0), and the stats/
 * directory, which nothing is exported from, is not read.
 * Format: https://www.kernel.org/doc/html/latest/admin-guide/pm/cpufreq.html
 * and https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-devices-system-cpu
 */
#include <errno.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/fdcache.h"
#include "common/log.h"

bool cpufreq_collector_enabled;

enum {
	FREQ_CUR,
	FREQ_AVG,
	FREQ_MIN,
	FREQ_MAX,
	FREQ_SCALING_CUR,
	FREQ_SCALING_MIN,
	FREQ_SCALING_MAX,
	FREQ_LATENCY, /* read for its errors only */
	FREQ_NFILES,
};

static const struct {
	const char *file, *family, *help;
} freq_files[FREQ_NFILES] = {
	{"cpuinfo_cur_freq", "node_cpu_frequency_hertz", "Current CPU thread frequency in hertz."},
	{"cpuinfo_avg_freq", "node_cpu_frequency_avg_hertz",
	 "Average CPU thread frequency in hertz."},
	{"cpuinfo_min_freq", "node_cpu_frequency_min_hertz",
	 "Minimum CPU thread frequency in hertz."},
	{"cpuinfo_max_freq", "node_cpu_frequency_max_hertz",
	 "Maximum CPU thread frequency in hertz."},
	{"scaling_cur_freq", "node_cpu_scaling_frequency_hertz",
	 "Current scaled CPU thread frequency in hertz."},
	{"scaling_min_freq", "node_cpu_scaling_frequency_min_hertz",
	 "Minimum scaled CPU thread frequency in hertz."},
	{"scaling_max_freq", "node_cpu_scaling_frequency_max_hertz",
	 "Maximum scaled CPU thread frequency in hertz."},
	{"cpuinfo_transition_latency", NULL, NULL},
};

/* string attributes procfs requires; the first and third are used */
static const char *const str_files[] = {
	"scaling_available_governors",
	"scaling_driver",
	"scaling_governor",
	"related_cpus",
	"scaling_setspeed",
};

/* One cpu's values, collected before anything is exported. */
struct cpufreq_cpu {
	const char *name;
	uint64_t freq[FREQ_NFILES];
	bool have[FREQ_NFILES];
	char governors[SYSFS_ATTR_SIZE], governor[SYSFS_ATTR_SIZE];
	char *governors_p, *governor_p;
};

struct cpufreq_state {
	struct dir_list dirs;
	uint16_t *offline;
	size_t noffline, capoffline;
	struct cpufreq_cpu *cpus; /* grows, never shrinks */
	size_t ncpus, capcpus;
};

static int cpufreq_setup(char *errbuf, size_t errlen)
{
	(void)errbuf;
	(void)errlen;
	cpufreq_collector_enabled = true;
	return 0;
}

/* Read the attributes of one cpufreq directory; 0 or a negative errno. */
static int cpufreq_read_cpu(const char *cpu, struct cpufreq_cpu *c)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < FREQ_NFILES; i++) {
		c->have[i] = false;
		int rc = read_u64_file(
			sys_path(path, "devices/system/cpu/%s/cpufreq/%s", cpu, freq_files[i].file),
			&c->freq[i]);
		if (rc == -ENOENT || rc == -EACCES || rc == -EPERM)
			continue;
		if (rc)
			return log_err(rc, "cpufreq: %s", path);
		c->have[i] = true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(str_files); i++) {
		char tmp[SYSFS_ATTR_SIZE], *val = NULL;
		char *dst = i == 0 ? c->governors : i == 2 ? c->governor : tmp;
		int rc = read_attr_trimmed(
			AT_FDCWD,
			sys_path(path, "devices/system/cpu/%s/cpufreq/%s", cpu, str_files[i]), dst,
			SYSFS_ATTR_SIZE, &val);
		if (rc)
			return log_err(rc, "cpufreq: %s", path);
		if (i == 0)
			c->governors_p = val;
		else if (i == 2)
			c->governor_p = val;
	}
	return 0;
}

/* Export one cpu; label is the number after "cpu". */
static void cpufreq_export(struct expo_set *out, const char *label, struct cpufreq_cpu *c)
{
	for (size_t i = 0; i < FREQ_NFILES; i++) {
		if (!c->have[i] || !freq_files[i].family)
			continue;
		expo_addl(expo_family(out, freq_files[i].family, freq_files[i].help, EXPO_GAUGE),
			  (double)c->freq[i] * 1000.0, "cpu", label, NULL);
	}
	if (!*c->governor_p)
		return;
	struct expo_family *f = expo_family(out, "node_cpu_scaling_governor",
					    "Current enabled CPU frequency governor.", EXPO_GAUGE);
	/* strings.Split at single spaces: empty names are kept, as upstream does */
	char *g = c->governors_p;
	for (;;) {
		char *sp = strchr(g, ' ');
		if (sp)
			*sp = '\0';
		expo_addl(f, strcmp(g, c->governor_p) == 0 ? 1 : 0, "cpu", label, "governor", g,
			  NULL);
		if (!sp)
			break;
		g = sp + 1;
	}
}

static int cpufreq_collect(void *state, struct expo_set *out)
{
	struct cpufreq_state *st = state;
	char path[PATH_MAX];
	int rc = cpu_dirs_list(sys_path(path, "devices/system/cpu"), &st->dirs);
	if (rc)
		return rc;

	st->noffline = 0;
	char buf[4096];
	rc = read_small_file(sys_path(path, "devices/system/cpu/offline"), buf, sizeof(buf));
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc >= 0) {
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", buf);
		if (*trim_space(copy) &&
		    cpu_parse_range(buf, &st->offline, &st->noffline, &st->capoffline))
			return log_err(-EINVAL, "cpufreq: bad cpu list in %s", path);
	}

	/* first read every cpu, as procfs does, so a failure exports nothing */
	st->ncpus = 0;
	for (size_t i = 0; i < st->dirs.n; i++) {
		const char *name = st->dirs.v[i];
		if (st->noffline) {
			uint64_t num;
			if (parse_go_uint(name + 3, 10, 64, &num))
				return -EINVAL;
			bool off = false;
			for (size_t k = 0; k < st->noffline && !off; k++)
				off = st->offline[k] == (uint16_t)num;
			if (off)
				continue;
		}
		struct stat sb;
		/* absent on a VM: remembered as such until a uevent (common/fdcache.h) */
		rc = fdcache_stat(sys_path(path, "devices/system/cpu/%s/cpufreq", name), &sb);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		if (st->ncpus == st->capcpus) {
			st->capcpus = st->capcpus ? st->capcpus * 2 : 8;
			st->cpus = xrealloc(st->cpus, st->capcpus * sizeof(*st->cpus));
		}
		struct cpufreq_cpu *c = &st->cpus[st->ncpus++];
		c->name = name;
		rc = cpufreq_read_cpu(name, c);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < st->ncpus; i++)
		cpufreq_export(out, st->cpus[i].name + 3, &st->cpus[i]);
	if (!st->dirs.n)
		return -ENOENT;
	return 0;
}

static void cpufreq_cleanup(void *state)
{
	struct cpufreq_state *st = state;
	dir_list_free(&st->dirs);
	free(st->offline);
	free(st->cpus);
}

const struct collector collector_cpufreq = {
	.name = "cpufreq",
	.default_on = true,
	.state_size = sizeof(struct cpufreq_state),
	.setup = cpufreq_setup,
	.collect = cpufreq_collect,
	.cleanup = cpufreq_cleanup,
};
