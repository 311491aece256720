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
#include "harness.h"

extern const struct collector collector_cpufreq;

static void setup_tree(void)
{
	harness_tree_new("cpu", HARNESS_PROCFS | HARNESS_SYSFS);
}

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
		harness_put(rel, files[i][1]);
	}
	snprintf(rel, sizeof(rel), CF "scaling_cur_freq", n);
	harness_put(rel, cur);
}

static void cpufreq_init_tree(void)
{
	setup_tree();
	char err[64];
	cr_assert_eq(collector_cpufreq.setup(err, sizeof(err)), 0);
	cr_assert(cpufreq_collector_enabled);
}

TestSuite(cpufreq, .init = cpufreq_init_tree, .fini = harness_tree_free);

Test(cpufreq, happy)
{
	struct buf out = BUF_INIT;
	cpufreq_put_cpu(0, "1699981\n");
	cpufreq_put_cpu(1, "8000\n");
	harness_put("devices/system/cpu/cpu1/cpufreq/cpuinfo_cur_freq", "1200000\n");
	harness_put("devices/system/cpu/cpu2/topology/core_id",
		    "0\n"); /* no cpufreq directory: skipped */
	harness_put("devices/system/cpu/offline", "\n");
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), 0);
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
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), 0);
	assert_has(&out, "node_cpu_scaling_frequency_hertz{cpu=\"1\"} 2000");
	harness_put("devices/system/cpu/offline", "1-2\n");
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), 0);
	assert_has(&out, "node_cpu_scaling_frequency_hertz{cpu=\"0\"} 1000");
	assert_lacks(&out, "cpu=\"1\"");
	assert_lacks(&out, "cpu=\"2\"");
	harness_put("devices/system/cpu/offline", "1-x\n");
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), -EINVAL);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}

/* Bad numbers and missing required attributes fail the collector; nothing is exported. */
Test(cpufreq, garbage)
{
	struct buf out = BUF_INIT;
	cpufreq_put_cpu(0, "1000\n");
	cpufreq_put_cpu(1, "1000\n");
	harness_put("devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "12 kHz\n");
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), -EINVAL);
	cr_assert_str_empty(out.data);
	harness_put("devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "18446744073709551616\n");
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), -EINVAL);
	harness_put("devices/system/cpu/cpu1/cpufreq/scaling_max_freq", "18446744073709551615\n");
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), 0);
	assert_has(&out, "node_cpu_scaling_frequency_max_hertz{cpu=\"1\"} 1.8446744073709552e+22");
	harness_rm("devices/system/cpu/cpu1/cpufreq/scaling_driver");
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), -ENOENT);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}

/* Optional frequency files may be missing; an empty governor exports no governor series. */
Test(cpufreq, sparse)
{
	struct buf out = BUF_INIT;
	cpufreq_put_cpu(0, "1000\n");
	harness_rm("devices/system/cpu/cpu0/cpufreq/scaling_cur_freq");
	harness_rm("devices/system/cpu/cpu0/cpufreq/cpuinfo_min_freq");
	harness_put("devices/system/cpu/cpu0/cpufreq/scaling_governor", "\n");
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), 0);
	assert_lacks(&out, "node_cpu_scaling_frequency_hertz");
	assert_lacks(&out, "node_cpu_frequency_min_hertz");
	assert_lacks(&out, "node_cpu_scaling_governor");
	assert_has(&out, "node_cpu_frequency_max_hertz{cpu=\"0\"} 4.2e+09");
	buf_free(&out);
}

Test(cpufreq, no_cpus)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_cpufreq, NULL, &out), -ENOENT);
	buf_free(&out);
}
