// SPDX-License-Identifier: Apache-2.0
/*
 * entropy collector over generated /proc/sys/kernel/random trees: both
 * families, missing files, malformed values in any file, huge values, and
 * re-reading through the long-lived handles.
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

extern const struct collector collector_entropy;

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
	struct flag_table t = {collector_entropy.name, collector_entropy.flags,
			       collector_entropy.nflags};
	char err[256];
	return flags_set(&t, 1, name, value, err, sizeof(err));
}

/* One scrape on a fresh zeroed state (init, collect, cleanup); returns collect's code. */
static __attribute__((unused)) int scrape_once(struct buf *out)
{
	void *st = calloc(1, collector_entropy.state_size ? collector_entropy.state_size : 1);
	struct expo_set *set = expo_set_new();
	int rc = collector_entropy.init ? collector_entropy.init(st) : 0;
	if (rc == 0)
		rc = collector_entropy.collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	if (!out->data)
		buf_puts(out, "");
	if (collector_entropy.cleanup)
		collector_entropy.cleanup(st);
	expo_set_free(set);
	free(st);
	return rc;
}

/* Collect on a long-lived state st. */
static __attribute__((unused)) int scrape_state(void *st, struct buf *out)
{
	struct expo_set *set = expo_set_new();
	int rc = collector_entropy.collect(st, set);
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

TestSuite(entropy, .init = setup_tree, .fini = teardown_tree);

Test(entropy, happy)
{
	struct buf out = BUF_INIT;
	put("sys/kernel/random/entropy_avail", "1337\n");
	put("sys/kernel/random/poolsize", " 4096 \n");
	put("sys/kernel/random/urandom_min_reseed_secs", "60\n");
	cr_assert_eq(scrape_once(&out), 0);
	cr_assert_str_eq(out.data, "# HELP node_entropy_available_bits Bits of available entropy.\n"
				   "# TYPE node_entropy_available_bits gauge\n"
				   "node_entropy_available_bits 1337\n"
				   "# HELP node_entropy_pool_size_bits Bits of entropy pool.\n"
				   "# TYPE node_entropy_pool_size_bits gauge\n"
				   "node_entropy_pool_size_bits 4096\n");
	buf_free(&out);
}

/* poolsize missing: the available bits are still served, the collector fails. */
Test(entropy, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape_once(&out), -ENOENT);
	put("sys/kernel/random/entropy_avail", "256\n");
	cr_assert_eq(scrape_once(&out), -ENOENT);
	assert_has(&out, "node_entropy_available_bits 256");
	assert_lacks(&out, "node_entropy_pool_size_bits");
	buf_free(&out);
}

/* A malformed value in any of the files fails, as procfs's KernelRandom does. */
Test(entropy, garbage)
{
	struct buf out = BUF_INIT;
	put("sys/kernel/random/entropy_avail", "256\n");
	put("sys/kernel/random/poolsize", "256\n");
	static const char *const bad[] = {
		"", "-1\n", "12 13\n", "1\n2\n", "18446744073709551616\n", "0x10\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("sys/kernel/random/read_wakeup_threshold", bad[i]);
		cr_assert_eq(scrape_once(&out), -EINVAL, "accepted '%s'", bad[i]);
		cr_assert_str_empty(out.data);
	}
	put("sys/kernel/random/read_wakeup_threshold", "18446744073709551615\n");
	put("sys/kernel/random/poolsize", "18446744073709551615\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "node_entropy_pool_size_bits 1.8446744073709552e+19");
	buf_free(&out);
}

/* The handles stay open: a changing value is re-read each scrape. */
Test(entropy, reread)
{
	struct buf out = BUF_INIT;
	void *st = calloc(1, collector_entropy.state_size);
	put("sys/kernel/random/entropy_avail", "1\n");
	put("sys/kernel/random/poolsize", "256\n");
	cr_assert_eq(scrape_state(st, &out), 0);
	assert_has(&out, "node_entropy_available_bits 1");
	put("sys/kernel/random/entropy_avail", "22\n");
	cr_assert_eq(scrape_state(st, &out), 0);
	assert_has(&out, "node_entropy_available_bits 22");
	collector_entropy.cleanup(st);
	free(st);
	buf_free(&out);
}
