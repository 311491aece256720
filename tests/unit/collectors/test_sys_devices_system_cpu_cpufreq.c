// SPDX-License-Identifier: Apache-2.0
/*
 * cpufreq collector over generated sysfs trees: all frequency families,
 * governors, offline cpus (and a missing offline file), bad and huge
 * numbers, missing required attributes, sparse optional files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/buf.h"
#include "common/expo.h"

extern const struct collector collector_cpufreq;

static char root[64];

/* Write root/rel (creating its directories) with content. */
static __attribute__((unused)) void put(const char *rel, const char *content)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	FILE *f = fopen(path, "w");
	cr_assert(f, "create %s", path);
	fputs(content, f);
	fclose(f);
}

static __attribute__((unused)) void rm(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
}

static __attribute__((unused)) void setup_tree(void)
{
	snprintf(root, sizeof(root), "/tmp/vigil-cpu-XXXXXX");
	cr_assert(mkdtemp(root));
	host_roots.procfs = root;
	host_roots.sysfs = root;
}

static __attribute__((unused)) void teardown_tree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

static __attribute__((unused)) int set_flag(const char *name, const char *value)
{
	struct flag_table t = {collector_cpufreq.name, collector_cpufreq.flags,
			       collector_cpufreq.nflags};
	char err[256];
	return flags_set(&t, 1, name, value, err, sizeof(err));
}

/* One scrape on a fresh zeroed state (init, collect, cleanup); returns collect's code. */
static __attribute__((unused)) int scrape_once(struct buf *out)
{
	void *st = calloc(1, collector_cpufreq.state_size ? collector_cpufreq.state_size : 1);
	struct expo_set *set = expo_set_new();
	int rc = collector_cpufreq.init ? collector_cpufreq.init(st) : 0;
	if (rc == 0)
		rc = collector_cpufreq.collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	if (!out->data)
		buf_puts(out, "");
	if (collector_cpufreq.cleanup)
		collector_cpufreq.cleanup(st);
	expo_set_free(set);
	free(st);
	return rc;
}

/* Collect on a long-lived state st. */
static __attribute__((unused)) int scrape_state(void *st, struct buf *out)
{
	struct expo_set *set = expo_set_new();
	int rc = collector_cpufreq.collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	if (!out->data)
		buf_puts(out, "");
	expo_set_free(set);
	return rc;
}

static __attribute__((unused)) bool has(const struct buf *out, const char *line)
{
	char want[1024];
	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strncmp(out->data, want + 1, strlen(want + 1)) == 0)
		return true;
	return strstr(out->data, want) != NULL;
}

#define assert_has(out, line) cr_assert(has(out, line), "missing %s in:\n%s", line, (out)->data)
#define assert_lacks(out, s)                                                                       \
	cr_assert_null(strstr((out)->data, s), "unexpected %s in:\n%s", s, (out)->data)

#define CF "devices/system/cpu/cpu%d/cpufreq/"

/* A complete cpufreq directory for cpu n. */
static void cpufreq_put_cpu(int n, const char *cur)
{
	static const char *const files[][2] = {
		{"scaling_min_freq", "800000\n"},
		{"scaling_max_freq", "3700000\n"},
		{"cpuinfo_min_freq", "400000\n"},
		{"cpuinfo_max_freq", "4200000\n"},
		{"cpuinfo_transition_latency", "0\n"},
		{"scaling_available_governors", "performance powersave\n"},
		{"scaling_governor", "powersave\n"},
		{"scaling_driver", "intel_pstate\n"},
		{"related_cpus", "0\n"},
		{"scaling_setspeed", "<unsupported>\n"},
	};
	char rel[256];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(rel, sizeof(rel), CF "%s", n, files[i][0]);
		put(rel, files[i][1]);
	}
	snprintf(rel, sizeof(rel), CF "scaling_cur_freq", n);
	put(rel, cur);
}

static void cpufreq_init_tree(void)
{
	setup_tree();
	char err[64];
	cr_assert_eq(collector_cpufreq.setup(err, sizeof(err)), 0);
	cr_assert(cpufreq_collector_enabled);
}

TestSuite(cpufreq, .init = cpufreq_init_tree, .fini = teardown_tree);

Test(cpufreq, happy)
{
	struct buf out = BUF_INIT;
	cpufreq_put_cpu(0, "1699981\n");
	cpufreq_put_cpu(1, "8000\n");
	put("devices/system/cpu/cpu1/cpufreq/cpuinfo_cur_freq", "1200000\n");
	put("devices/system/cpu/cpu2/topology/core_id", "0\n"); /* no cpufreq directory: skipped */
	put("devices/system/cpu/offline", "\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "# HELP node_cpu_scaling_frequency_hertz Current scaled CPU thread "
			 "frequency in hertz.");
	assert_has(&out, "# TYPE node_cpu_scaling_frequency_hertz gauge");
	assert_has(&out, "node_cpu_scaling_frequency_hertz{cpu=\"0\"} 1.699981e+09");
	assert_has(&out, "node_cpu_scaling_frequency_hertz{cpu=\"1\"} 8e+06");
	assert_has(&out, "node_cpu_scaling_frequency_min_hertz{cpu=\"0\"} 8e+08");
	assert_has(&out, "node_cpu_scaling_frequency_max_hertz{cpu=\"1\"} 3.7e+09");
	assert_has(&out, "node_cpu_frequency_min_hertz{cpu=\"0\"} 4e+08");
	assert_has(&out, "node_cpu_frequency_max_hertz{cpu=\"0\"} 4.2e+09");
	assert_has(&out, "# HELP node_cpu_frequency_hertz Current CPU thread frequency in hertz.");
	assert_has(&out, "node_cpu_frequency_hertz{cpu=\"1\"} 1.2e+09");
	assert_lacks(&out, "node_cpu_frequency_hertz{cpu=\"0\"}");
	assert_lacks(&out, "node_cpu_frequency_avg_hertz");
	assert_has(&out, "node_cpu_scaling_governor{cpu=\"0\",governor=\"performance\"} 0");
	assert_has(&out, "node_cpu_scaling_governor{cpu=\"0\",governor=\"powersave\"} 1");
	assert_lacks(&out, "cpu=\"2\"");
	buf_free(&out);
}

/* Offline cpus are skipped; a missing offline file means none (node_exporter 1.5.0). */
Test(cpufreq, offline)
{
	struct buf out = BUF_INIT;
	cpufreq_put_cpu(0, "1\n");
	cpufreq_put_cpu(1, "2\n");
	cpufreq_put_cpu(2, "3\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "node_cpu_scaling_frequency_hertz{cpu=\"1\"} 2000");
	put("devices/system/cpu/offline", "1-2\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "node_cpu_scaling_frequency_hertz{cpu=\"0\"} 1000");
	assert_lacks(&out, "cpu=\"1\"");
	assert_lacks(&out, "cpu=\"2\"");
	put("devices/system/cpu/offline", "1-x\n");
	cr_assert_eq(scrape_once(&out), -EINVAL);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}

/* Bad numbers and missing required attributes fail the collector; nothing is exported. */
Test(cpufreq, garbage)
{
	struct buf out = BUF_INIT;
	cpufreq_put_cpu(0, "1000\n");
	cpufreq_put_cpu(1, "1000\n");
	put("devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "12 kHz\n");
	cr_assert_eq(scrape_once(&out), -EINVAL);
	cr_assert_str_empty(out.data);
	put("devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "18446744073709551616\n");
	cr_assert_eq(scrape_once(&out), -EINVAL);
	put("devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "18446744073709551615\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "node_cpu_scaling_frequency_max_hertz{cpu=\"1\"} 1.8446744073709552e+22");
	rm("devices/system/cpu/cpu1/cpufreq/scaling_driver");
	cr_assert_eq(scrape_once(&out), -ENOENT);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}

/* Optional frequency files may be missing; an empty governor exports no governor series. */
Test(cpufreq, sparse)
{
	struct buf out = BUF_INIT;
	cpufreq_put_cpu(0, "1000\n");
	rm("devices/system/cpu/cpu0/cpufreq/scaling_cur_freq");
	rm("devices/system/cpu/cpu0/cpufreq/cpuinfo_min_freq");
	put("devices/system/cpu/cpu0/cpufreq/scaling_governor", "\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_lacks(&out, "node_cpu_scaling_frequency_hertz");
	assert_lacks(&out, "node_cpu_frequency_min_hertz");
	assert_lacks(&out, "node_cpu_scaling_governor");
	assert_has(&out, "node_cpu_frequency_max_hertz{cpu=\"0\"} 4.2e+09");
	buf_free(&out);
}

Test(cpufreq, no_cpus)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape_once(&out), -ENOENT);
	buf_free(&out);
}
