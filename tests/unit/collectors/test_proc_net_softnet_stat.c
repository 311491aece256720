// SPDX-License-Identifier: Apache-2.0
/*
 * softnet collector over generated /proc/net/softnet_stat files: 13-column
 * lines with the cpu index, older 9..12-column lines, malformed lines that
 * fail the collector, a missing file.
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

extern const struct collector collector_softnet;

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
	struct flag_table t = {collector_softnet.name, collector_softnet.flags,
			       collector_softnet.nflags};
	char err[256];
	return flags_set(&t, 1, name, value, err, sizeof(err));
}

/* One scrape on a fresh zeroed state (init, collect, cleanup); returns collect's code. */
static __attribute__((unused)) int scrape_once(struct buf *out)
{
	void *st = calloc(1, collector_softnet.state_size ? collector_softnet.state_size : 1);
	struct expo_set *set = expo_set_new();
	int rc = collector_softnet.init ? collector_softnet.init(st) : 0;
	if (rc == 0)
		rc = collector_softnet.collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	if (!out->data)
		buf_puts(out, "");
	if (collector_softnet.cleanup)
		collector_softnet.cleanup(st);
	expo_set_free(set);
	free(st);
	return rc;
}

/* Collect on a long-lived state st. */
static __attribute__((unused)) int scrape_state(void *st, struct buf *out)
{
	struct expo_set *set = expo_set_new();
	int rc = collector_softnet.collect(st, set);
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

TestSuite(softnet, .init = setup_tree, .fini = teardown_tree);

Test(softnet, modern_kernel)
{
	struct buf out = BUF_INIT;
	put("net/softnet_stat", "00049279 00000000 00000001 00000000 00000000 00000000 00000000 "
				"00000000 00000000 00000002 00000003 00000004 00000000\n"
				"000dfb82 00000029 0000000a 00000000 00000000 00000000 00000000 "
				"00000000 00000005 00000000 00000000 00000000 00000007\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "# HELP node_softnet_processed_total Number of processed packets");
	assert_has(&out, "# TYPE node_softnet_backlog_len gauge");
	assert_has(&out, "node_softnet_processed_total{cpu=\"0\"} 299641");
	assert_has(&out, "node_softnet_received_rps_total{cpu=\"0\"} 2");
	assert_has(&out, "node_softnet_flow_limit_count_total{cpu=\"0\"} 3");
	assert_has(&out, "node_softnet_backlog_len{cpu=\"0\"} 4");
	/* the index column names the cpu (offline cpus leave gaps) */
	assert_has(&out, "node_softnet_processed_total{cpu=\"7\"} 916354");
	assert_has(&out, "node_softnet_dropped_total{cpu=\"7\"} 41");
	assert_has(&out, "node_softnet_times_squeezed_total{cpu=\"7\"} 10");
	assert_has(&out, "node_softnet_cpu_collision_total{cpu=\"7\"} 5");
	buf_free(&out);
}

/* Older kernels: fewer columns, the cpu is the line number, absent columns are 0. */
Test(softnet, old_kernel)
{
	struct buf out = BUF_INIT;
	put("net/softnet_stat",
	    "00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 00000004\n"
	    "ffffffff 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
	    "00000009 0000000a 0000000b\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "node_softnet_processed_total{cpu=\"0\"} 1");
	assert_has(&out, "node_softnet_cpu_collision_total{cpu=\"0\"} 4");
	assert_has(&out, "node_softnet_received_rps_total{cpu=\"0\"} 0");
	assert_has(&out, "node_softnet_processed_total{cpu=\"1\"} 4.294967295e+09");
	assert_has(&out, "node_softnet_received_rps_total{cpu=\"1\"} 9");
	assert_has(&out, "node_softnet_flow_limit_count_total{cpu=\"1\"} 10");
	/* twelve columns: backlog and index come in pairs, so both are ignored */
	assert_has(&out, "node_softnet_backlog_len{cpu=\"1\"} 0");
	buf_free(&out);
}

Test(softnet, garbage)
{
	static const char *const bad[] = {
		"00000001 00000002 00000003\n",
		"00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 "
		"0000000g\n",
		"100000000 00000002 00000003 00000000 00000000 00000000 00000000 00000000 "
		"00000000\n",
		"00000001 00000002 00000003 00000000 00000000 00000000 00000000 00000000 "
		"00000000\n\n",
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("net/softnet_stat", bad[i]);
		cr_assert_eq(scrape_once(&out), -EINVAL, "accepted %s", bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}

Test(softnet, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape_once(&out), -ENOENT);
	buf_free(&out);
}
