// SPDX-License-Identifier: Apache-2.0
/*
 * schedstat collector over generated /proc/schedstat files: the three
 * families, lines that do not match (short, double spaces, overflow),
 * unanchored matches, a missing and an empty file.
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

extern const struct collector collector_schedstat;

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
	struct flag_table t = {collector_schedstat.name, collector_schedstat.flags,
			       collector_schedstat.nflags};
	char err[256];
	return flags_set(&t, 1, name, value, err, sizeof(err));
}

/* One scrape on a fresh zeroed state (init, collect, cleanup); returns collect's code. */
static __attribute__((unused)) int scrape_once(struct buf *out)
{
	void *st = calloc(1, collector_schedstat.state_size ? collector_schedstat.state_size : 1);
	struct expo_set *set = expo_set_new();
	int rc = collector_schedstat.init ? collector_schedstat.init(st) : 0;
	if (rc == 0)
		rc = collector_schedstat.collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	if (!out->data)
		buf_puts(out, "");
	if (collector_schedstat.cleanup)
		collector_schedstat.cleanup(st);
	expo_set_free(set);
	free(st);
	return rc;
}

/* Collect on a long-lived state st. */
static __attribute__((unused)) int scrape_state(void *st, struct buf *out)
{
	struct expo_set *set = expo_set_new();
	int rc = collector_schedstat.collect(st, set);
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

TestSuite(schedstat, .init = setup_tree, .fini = teardown_tree);

Test(schedstat, happy)
{
	struct buf out = BUF_INIT;
	put("schedstat", "version 15\ntimestamp 15819019232\n"
			 "cpu0 498494191 0 3533438552 2553969831 3853684107 2465731542 "
			 "2045936778163039 343796328169361 4767485306\n"
			 "domain0 00000000,00000003 212499247 210112015 1861015\n"
			 "cpu1 1 0 0 0 0 0 2000000000 500 7 99\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "# HELP node_schedstat_running_seconds_total Number of seconds CPU spent "
			 "running a process.");
	assert_has(&out, "# TYPE node_schedstat_running_seconds_total counter");
	assert_has(&out, "node_schedstat_running_seconds_total{cpu=\"0\"} 2.045936778163039e+06");
	assert_has(&out, "node_schedstat_waiting_seconds_total{cpu=\"0\"} 343796.328169361");
	assert_has(&out, "node_schedstat_timeslices_total{cpu=\"0\"} 4.767485306e+09");
	assert_has(&out, "node_schedstat_running_seconds_total{cpu=\"1\"} 2");
	assert_has(&out, "node_schedstat_waiting_seconds_total{cpu=\"1\"} 5e-07");
	assert_has(&out, "node_schedstat_timeslices_total{cpu=\"1\"} 7");
	buf_free(&out);
}

/* Short, oddly spaced or overflowing lines are skipped, not fatal. */
Test(schedstat, odd_lines)
{
	struct buf out = BUF_INIT;
	put("schedstat", "cpu0 1 2 3\n"
			 "cpu1  1 2 3 4 5 6 7 8 9\n"
			 "cpu2 1 2 3 4 5 6 18446744073709551616 8 9\n"
			 "cpux 1 2 3 4 5 6 7 8 9\n"
			 "xcpu3 1 2 3 4 5 6 7 8 9\n"
			 "cpu\n\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_lacks(&out, "cpu=\"0\"");
	assert_lacks(&out, "cpu=\"1\"");
	assert_lacks(&out, "cpu=\"2\"");
	/* the match may start anywhere in the line, as an unanchored regexp */
	assert_has(&out, "node_schedstat_timeslices_total{cpu=\"3\"} 9");
	buf_free(&out);
}

Test(schedstat, missing_and_empty)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape_once(&out), -ENOENT);
	put("schedstat", "");
	cr_assert_eq(scrape_once(&out), 0);
	cr_assert_str_empty(out.data);
	buf_free(&out);
}
