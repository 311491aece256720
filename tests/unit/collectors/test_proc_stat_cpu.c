// SPDX-License-Identifier: Apache-2.0
/*
 * cpu collector over generated trees: /proc/stat seconds and guest seconds,
 * the backwards-jump guard (held counters, hotplug reset, shared between
 * states), /proc/cpuinfo info/flag/bug/frequency families and its failure
 * cases, the isolated list, thermal throttles and online state.
 */
#include <criterion/criterion.h>
#include <pthread.h>
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

extern const struct collector collector_cpu;

static void setup_tree(void)
{
	harness_tree_new("cpu", HARNESS_PROCFS | HARNESS_SYSFS);
}

#define CPUINFO_HAPPY                                                                              \
	"processor\t: 0\n"                                                                         \
	"vendor_id\t: GenuineIntel\n"                                                              \
	"cpu family\t: 6\n"                                                                        \
	"model\t\t: 142\n"                                                                         \
	"model name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz\n"                                 \
	"stepping\t: 10\n"                                                                         \
	"microcode\t: 0xb4\n"                                                                      \
	"cpu MHz\t\t: 799.998\n"                                                                   \
	"cache size\t: 8192 KB\n"                                                                  \
	"physical id\t: 0\n"                                                                       \
	"siblings\t: 2\n"                                                                          \
	"core id\t\t: 0\n"                                                                         \
	"cpu cores\t: 2\n"                                                                         \
	"flags\t\t: fpu vme aes avx avx2 sse constant_tsc\n"                                       \
	"bugs\t\t: cpu_meltdown spectre_v1 mds swapgs\n"                                           \
	"bogomips\t: 4224.00\n"                                                                    \
	"power management:\n"                                                                      \
	"\n"                                                                                       \
	"processor\t: 1\n"                                                                         \
	"vendor_id\t: GenuineIntel\n"                                                              \
	"cpu MHz\t\t: 1200\n"                                                                      \
	"physical id\t: 0\n"                                                                       \
	"core id\t\t: 1\n"                                                                         \
	"flags\t\t: fpu\n"                                                                         \
	"\n"

static void cpu_setup_flags(const char *info, const char *flags, const char *bugs)
{
	cr_assert_eq(harness_set_flag(&collector_cpu, "collector.cpu.info", info), 0);
	cr_assert_eq(harness_set_flag(&collector_cpu, "collector.cpu.info.flags-include", flags),
		     0);
	cr_assert_eq(harness_set_flag(&collector_cpu, "collector.cpu.info.bugs-include", bugs), 0);
	cr_assert_eq(harness_set_flag(&collector_cpu, "collector.cpu.guest", "true"), 0);
	char err[512];
	cr_assert_eq(collector_cpu.setup(err, sizeof(err)), 0, "%s", err);
}

static void cpu_init_tree(void)
{
	setup_tree();
	cpu_guard_reset();
	cpufreq_collector_enabled = false;
	cpu_setup_flags("false", "", "");
}

TestSuite(proc_stat_cpu, .init = cpu_init_tree, .fini = harness_tree_free);

Test(proc_stat_cpu, seconds_and_guest)
{
	struct buf out = BUF_INIT;
	/* cpu2 has only four columns: the rest are 0; ids keep their gaps */
	harness_put("stat", "cpu  1 2 3 4 5 6 7 8 9 10\n"
			    "cpu0 100 200 300 400 500 600 700 800 900 1000\n"
			    "cpu2 1 2 3 4\n"
			    "intr 1\nctxt 2\nbtime 3\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.");
	assert_has(&out, "# TYPE node_cpu_seconds_total counter");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"nice\"} 2");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"system\"} 3");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 4");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"iowait\"} 5");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"irq\"} 6");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"softirq\"} 7");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"steal\"} 8");
	assert_has(&out, "node_cpu_guest_seconds_total{cpu=\"0\",mode=\"user\"} 9");
	assert_has(&out, "node_cpu_guest_seconds_total{cpu=\"0\",mode=\"nice\"} 10");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"2\",mode=\"idle\"} 0.04");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"2\",mode=\"steal\"} 0");
	assert_lacks(&out, "cpu=\"1\"");
	assert_lacks(&out, "node_cpu_info");
	assert_lacks(&out, "node_cpu_online");

	cr_assert_eq(harness_set_flag(&collector_cpu, "collector.cpu.guest", "false"), 0);
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_lacks(&out, "node_cpu_guest_seconds_total");
	buf_free(&out);
}

/* Counters going backwards are held; an idle drop of 3 s or more resets the cpu. */
Test(proc_stat_cpu, backwards_guard)
{
	struct buf out = BUF_INIT;
	harness_put("stat", "cpu0 1000 0 500 100000 0 0 0 0 0 0\ncpu1 10 0 0 100000 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 10");

	/* user drops a little: held at 10; system rises */
	harness_put("stat", "cpu0 990 0 600 100100 0 0 0 0 0 0\ncpu1 10 0 0 100000 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 10");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"system\"} 6");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 1001");

	/* idle drops by 2 s: held; by 1001 s (hotplug): everything starts over */
	harness_put("stat", "cpu0 990 0 600 99900 0 0 0 0 0 0\ncpu1 10 0 0 100000 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 1001");
	harness_put("stat", "cpu0 5 0 6 0 0 0 0 0 0 0\ncpu1 10 0 0 100000 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 0.05");
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 0");

	/* cpu1 goes away and comes back with lower counters: it was forgotten */
	harness_put("stat", "cpu0 5 0 6 0 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_lacks(&out, "cpu=\"1\"");
	harness_put("stat", "cpu0 5 0 6 0 0 0 0 0 0 0\ncpu1 1 0 0 100 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_seconds_total{cpu=\"1\",mode=\"user\"} 0.01");
	buf_free(&out);
}

/* The guard is shared: a second state (another scrape thread) sees the held value. */
Test(proc_stat_cpu, guard_shared_between_states)
{
	struct buf out = BUF_INIT;
	void *a = calloc(1, collector_cpu.state_size), *b = calloc(1, collector_cpu.state_size);
	harness_put("stat", "cpu0 500 0 0 100 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&collector_cpu, a, &out), 0);
	harness_put("stat", "cpu0 400 0 0 100 0 0 0 0 0 0\n");
	cr_assert_eq(harness_scrape(&collector_cpu, b, &out), 0);
	assert_has(&out, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 5");
	collector_cpu.cleanup(a);
	collector_cpu.cleanup(b);
	free(a);
	free(b);
	buf_free(&out);
}

Test(proc_stat_cpu, missing_and_garbage_stat)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), -ENOENT);
	harness_put("stat", "cpu0 1 2 3\nbtime nope\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), -EINVAL);
	assert_lacks(&out, "node_cpu_seconds_total");
	harness_put("stat", "cpu0 1 2 x\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), -EINVAL);
	buf_free(&out);
}

Test(proc_stat_cpu, cpuinfo)
{
	struct buf out = BUF_INIT;
	harness_put("stat", "cpu0 1 2 3 4\n");
	harness_put("cpuinfo", CPUINFO_HAPPY);
	cpu_setup_flags("true", "^(aes|avx.?|constant_tsc)$", "^(cpu_meltdown|spectre_.*|mds)$");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "# HELP node_cpu_info CPU information from /proc/cpuinfo.");
	assert_has(&out,
		   "node_cpu_info{cachesize=\"8192 KB\",core=\"0\",cpu=\"0\",family=\"6\","
		   "microcode=\"0xb4\",model=\"142\",model_name=\"Intel(R) Core(TM) i7-8650U "
		   "CPU @ 1.90GHz\",package=\"0\",stepping=\"10\",vendor=\"GenuineIntel\"} 1");
	assert_has(&out, "node_cpu_info{cachesize=\"\",core=\"1\",cpu=\"1\",family=\"\","
			 "microcode=\"\",model=\"\",model_name=\"\",package=\"0\",stepping=\"\","
			 "vendor=\"GenuineIntel\"} 1");
	assert_has(&out, "node_cpu_flag_info{flag=\"aes\"} 1");
	assert_has(&out, "node_cpu_flag_info{flag=\"avx2\"} 1");
	assert_has(&out, "node_cpu_flag_info{flag=\"constant_tsc\"} 1");
	assert_lacks(&out, "flag=\"fpu\"");
	assert_lacks(&out, "flag=\"sse\"");
	assert_has(&out, "node_cpu_bug_info{bug=\"cpu_meltdown\"} 1");
	assert_has(&out, "node_cpu_bug_info{bug=\"mds\"} 1");
	assert_lacks(&out, "swapgs");
	/* only with the cpufreq collector on */
	assert_lacks(&out, "node_cpu_frequency_hertz");
	cpufreq_collector_enabled = true;
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out,
		   "node_cpu_frequency_hertz{core=\"0\",cpu=\"0\",package=\"0\"} 7.99998e+08");
	assert_has(&out, "node_cpu_frequency_hertz{core=\"1\",cpu=\"1\",package=\"0\"} 1.2e+09");
	buf_free(&out);
}

/* An include regex alone turns cpu.info on; a bad regex is refused at setup. */
Test(proc_stat_cpu, include_flags)
{
	struct buf out = BUF_INIT;
	harness_put("stat", "cpu0 1 2 3 4\n");
	harness_put("cpuinfo", CPUINFO_HAPPY);
	cpu_setup_flags("false", "", "spectre");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_bug_info{bug=\"spectre_v1\"} 1");
	assert_lacks(&out, "node_cpu_flag_info");
	cr_assert_not_null(strstr(out.data, "\nnode_cpu_info{"), "%s", out.data);

	cr_assert_eq(
		harness_set_flag(&collector_cpu, "collector.cpu.info.flags-include", "(unclosed"),
		0);
	char err[512];
	cr_assert_lt(collector_cpu.setup(err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "must be regular expressions"), "%s", err);
	cpu_setup_flags("false", "", "");
	buf_free(&out);
}

/* A malformed /proc/cpuinfo fails the collector before anything is exported. */
Test(proc_stat_cpu, cpuinfo_garbage)
{
	static const char *const bad[] = {
		"",
		"\n\n",
		"vendor_id\t: GenuineIntel\nprocessor\t: 0\n",
		"processor\t: x\n",
		"processor:0\n",
		"processor\t: 0\ncpu MHz\t\t: fast\n",
		"processor\t: 0\nsiblings\t: -1\n",
		"processor\t: 0\nbogomips\t: 1,5\n",
		"processor\t: 0\nprocessor\t: 4294967296\n",
	};
	struct buf out = BUF_INIT;
	harness_put("stat", "cpu0 1 2 3 4\n");
	cpu_setup_flags("true", "", "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("cpuinfo", bad[i]);
		cr_assert_lt(harness_scrape(&collector_cpu, NULL, &out), 0, "accepted %s", bad[i]);
		assert_lacks(&out, "node_cpu_seconds_total");
	}
	harness_rm("cpuinfo");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), -ENOENT);
	/* truncated lines, hex/octal processor numbers and CRLF are fine */
	harness_put("cpuinfo",
		    "\n  \nprocessor\t: 0x10\r\nflags\ncore id\t: 3\r\nprocessor\t: 010\nmodel\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_info{cachesize=\"\",core=\"3\",cpu=\"16\",family=\"\","
			 "microcode=\"\",model=\"\",model_name=\"\",package=\"\",stepping=\"\","
			 "vendor=\"\"} 1");
	assert_has(&out, "node_cpu_info{cachesize=\"\",core=\"\",cpu=\"8\",family=\"\","
			 "microcode=\"\",model=\"\",model_name=\"\",package=\"\",stepping=\"\","
			 "vendor=\"\"} 1");
	cpu_setup_flags("false", "", "");
	buf_free(&out);
}

Test(proc_stat_cpu, isolated)
{
	struct buf out = BUF_INIT;
	harness_put("stat", "cpu0 1 2 3 4\n");
	harness_put("devices/system/cpu/isolated", "1,3-5,9\n");
	cpu_setup_flags("false", "", "");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "# HELP node_cpu_isolated Whether each core is isolated, information from "
			 "/sys/devices/system/cpu/isolated.");
	assert_has(&out, "node_cpu_isolated{cpu=\"1\"} 1");
	assert_has(&out, "node_cpu_isolated{cpu=\"4\"} 1");
	assert_has(&out, "node_cpu_isolated{cpu=\"9\"} 1");
	assert_lacks(&out, "node_cpu_isolated{cpu=\"2\"}");

	harness_put("devices/system/cpu/isolated", "\n");
	cpu_setup_flags("false", "", "");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_lacks(&out, "node_cpu_isolated");

	/* node_exporter refuses to start on a malformed list */
	static const char *const bad[] = {"1-x\n", "-1\n", "1-2-3\n", "0-99999999\n", "a\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("devices/system/cpu/isolated", bad[i]);
		char err[512];
		cr_assert_lt(collector_cpu.setup(err, sizeof(err)), 0, "accepted %s", bad[i]);
		cr_assert_not_null(strstr(err, "isolated"), "%s", err);
	}
	harness_rm("devices/system/cpu/isolated");
	cpu_setup_flags("false", "", "");
	buf_free(&out);
}

Test(proc_stat_cpu, throttles_and_online)
{
	struct buf out = BUF_INIT;
	harness_put("stat", "cpu0 1 2 3 4\n");
	/* cpu0 and cpu1 share core 0 of package 0; cpu2 is package 1; cpu3 lacks topology */
	harness_put("devices/system/cpu/cpu0/topology/physical_package_id", "0\n");
	harness_put("devices/system/cpu/cpu0/topology/core_id", "0\n");
	harness_put("devices/system/cpu/cpu0/thermal_throttle/core_throttle_count", "5\n");
	harness_put("devices/system/cpu/cpu0/thermal_throttle/package_throttle_count", "30\n");
	harness_put("devices/system/cpu/cpu1/topology/physical_package_id", "0\n");
	harness_put("devices/system/cpu/cpu1/topology/core_id", "0\n");
	harness_put("devices/system/cpu/cpu1/thermal_throttle/core_throttle_count", "99\n");
	harness_put("devices/system/cpu/cpu10/topology/physical_package_id", "1\n");
	harness_put("devices/system/cpu/cpu10/topology/core_id", "7\n");
	harness_put("devices/system/cpu/cpu10/thermal_throttle/core_throttle_count", "garbage\n");
	harness_put("devices/system/cpu/cpu2/topology/physical_package_id", "1\n");
	harness_put("devices/system/cpu/cpu2/topology/core_id", "7\n");
	harness_put("devices/system/cpu/cpu2/thermal_throttle/core_throttle_count",
		    " 18446744073709551615 \n");
	harness_put("devices/system/cpu/cpu2/thermal_throttle/package_throttle_count", "6\n");
	harness_put("devices/system/cpu/cpu3/topology/core_id", "1\n");
	harness_put("devices/system/cpu/cpu3/thermal_throttle/core_throttle_count", "1\n");
	harness_put("devices/system/cpu/cpufreq/ignored", "");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_core_throttles_total{core=\"0\",package=\"0\"} 5");
	assert_has(
		&out,
		"node_cpu_core_throttles_total{core=\"7\",package=\"1\"} 1.8446744073709552e+19");
	assert_has(&out, "node_cpu_package_throttles_total{package=\"0\"} 30");
	assert_has(&out, "node_cpu_package_throttles_total{package=\"1\"} 6");
	assert_lacks(&out, "core=\"1\"");
	/* cpu0 (first in glob order) has no online file: no node_cpu_online at all */
	assert_lacks(&out, "node_cpu_online");

	harness_put("devices/system/cpu/cpu0/online", "1\n");
	harness_put("devices/system/cpu/cpu1/online", "0\n");
	harness_put("devices/system/cpu/cpu2/online", "garbage\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "# HELP node_cpu_online CPUs that are online and being scheduled.");
	assert_has(&out, "node_cpu_online{cpu=\"0\"} 1");
	assert_has(&out, "node_cpu_online{cpu=\"1\"} 0");
	assert_has(&out, "node_cpu_online{cpu=\"10\"} 0");
	assert_has(&out, "node_cpu_online{cpu=\"2\"} 0");
	assert_has(&out, "node_cpu_online{cpu=\"3\"} 0");
	buf_free(&out);
}

static void *cpu_scrape_thread(void *arg)
{
	(void)arg;
	struct buf out = BUF_INIT;
	void *st = calloc(1, collector_cpu.state_size);
	long bad = 0;
	for (int i = 0; i < 200; i++) {
		if (harness_scrape(&collector_cpu, st, &out) != 0 ||
		    !harness_has_line(out.data,
				      "node_cpu_seconds_total{cpu=\"3\",mode=\"user\"} 5"))
			bad++;
	}
	collector_cpu.cleanup(st);
	free(st);
	buf_free(&out);
	return (void *)bad;
}

/* Concurrent scrapes (one state per thread, as the agent runs them) share the guard safely. */
Test(proc_stat_cpu, concurrent_scrapes)
{
	harness_put("stat", "cpu0 1 2 3 4\ncpu1 1 2 3 4\ncpu2 1 2 3 4\ncpu3 500 2 3 4\n");
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, cpu_scrape_thread, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;
		pthread_join(t[i], &bad);
		cr_assert_eq((long)bad, 0, "thread %d saw %ld bad scrapes", i, (long)bad);
	}
}

/* The arm layout of /proc/cpuinfo (procfs's parseCPUInfoARM), as on arm64 hosts. */
Test(proc_stat_cpu, cpuinfo_arm)
{
	struct buf out = BUF_INIT;
	harness_put("stat", "cpu0 1 2 3 4\n");
	harness_put("cpuinfo",
		    "processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd aes crc32\n"
		    "CPU implementer\t: 0x41\n\n"
		    "processor\t: 1\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd aes crc32 atomics\n");
	cpu_cpuinfo_layout_arm(true);
	cpu_setup_flags("true", "^(aes|atomics)$", "");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_info{cachesize=\"\",core=\"\",cpu=\"0\",family=\"\","
			 "microcode=\"\",model=\"\",model_name=\"\",package=\"\",stepping=\"\","
			 "vendor=\"\"} 1");
	assert_has(&out, "node_cpu_info{cachesize=\"\",core=\"\",cpu=\"1\",family=\"\","
			 "microcode=\"\",model=\"\",model_name=\"\",package=\"\",stepping=\"\","
			 "vendor=\"\"} 1");
	/* the last Features line counts for every processor */
	assert_has(&out, "node_cpu_flag_info{flag=\"aes\"} 1");
	assert_has(&out, "node_cpu_flag_info{flag=\"atomics\"} 1");

	/* old 32-bit layout: "Processor : <model>" then a single block */
	harness_put("cpuinfo", "Processor\t: ARMv7 Processor rev 4 (v7l)\nBogoMIPS\t: 38.40\n"
			       "Features\t: half thumb aes\nHardware\t: BCM2709\n");
	cr_assert_eq(harness_scrape(&collector_cpu, NULL, &out), 0);
	assert_has(&out, "node_cpu_info{cachesize=\"\",core=\"\",cpu=\"0\",family=\"\","
			 "microcode=\"\",model=\"\",model_name=\"ARMv7 Processor rev 4 (v7l)\","
			 "package=\"\",stepping=\"\",vendor=\"\"} 1");
	assert_has(&out, "node_cpu_flag_info{flag=\"aes\"} 1");

	/* no Features line, a bad BogoMIPS, a model name before any processor: failures */
	static const char *const bad[] = {
		"processor\t: 0\nBogoMIPS\t: 48.00\n",
		"processor\t: 0\nBogoMIPS\t: fast\nFeatures\t: fp\n",
		"Processor\t: ARMv7\nmodel name\t: x\nFeatures\t: fp\n",
		"cpu\t: 0\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		harness_put("cpuinfo", bad[i]);
		cr_assert_lt(harness_scrape(&collector_cpu, NULL, &out), 0, "accepted %s", bad[i]);
	}
	cpu_cpuinfo_layout_arm(false);
	cpu_setup_flags("false", "", "");
	buf_free(&out);
}
