// SPDX-License-Identifier: Apache-2.0
/*
 * filefd collector over generated /proc/sys/fs/file-nr files: the two
 * families, extra fields, huge values, malformed content, a missing file.
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

extern const struct collector collector_filefd;

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
	struct flag_table t = {collector_filefd.name, collector_filefd.flags,
			       collector_filefd.nflags};
	char err[256];
	return flags_set(&t, 1, name, value, err, sizeof(err));
}

/* One scrape on a fresh zeroed state (init, collect, cleanup); returns collect's code. */
static __attribute__((unused)) int scrape_once(struct buf *out)
{
	void *st = calloc(1, collector_filefd.state_size ? collector_filefd.state_size : 1);
	struct expo_set *set = expo_set_new();
	int rc = collector_filefd.init ? collector_filefd.init(st) : 0;
	if (rc == 0)
		rc = collector_filefd.collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	if (!out->data)
		buf_puts(out, "");
	if (collector_filefd.cleanup)
		collector_filefd.cleanup(st);
	expo_set_free(set);
	free(st);
	return rc;
}

/* Collect on a long-lived state st. */
static __attribute__((unused)) int scrape_state(void *st, struct buf *out)
{
	struct expo_set *set = expo_set_new();
	int rc = collector_filefd.collect(st, set);
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

TestSuite(filefd, .init = setup_tree, .fini = teardown_tree);

Test(filefd, happy)
{
	struct buf out = BUF_INIT;
	put("sys/fs/file-nr", "1024\t0\t1631329\n");
	cr_assert_eq(scrape_once(&out), 0);
	cr_assert_str_eq(out.data,
			 "# HELP node_filefd_allocated File descriptor statistics: allocated.\n"
			 "# TYPE node_filefd_allocated gauge\n"
			 "node_filefd_allocated 1024\n"
			 "# HELP node_filefd_maximum File descriptor statistics: maximum.\n"
			 "# TYPE node_filefd_maximum gauge\n"
			 "node_filefd_maximum 1.631329e+06\n");
	/* a fourth field is ignored, huge values are floats */
	put("sys/fs/file-nr", "  7\t0\t9223372036854775807\textra\n");
	cr_assert_eq(scrape_once(&out), 0);
	assert_has(&out, "node_filefd_allocated 7");
	assert_has(&out, "node_filefd_maximum 9.223372036854776e+18");
	buf_free(&out);
}

Test(filefd, garbage)
{
	static const char *const bad[] = {
		"",	     "1024\t0\n", "1024 0 1631329\n", /* spaces are not separators */
		"x\t0\t1\n", "1\t0\t\n",  "1\t0\t12abc\n",
	};
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("sys/fs/file-nr", bad[i]);
		cr_assert_eq(scrape_once(&out), -EINVAL, "accepted '%s'", bad[i]);
		cr_assert_str_empty(out.data);
	}
	buf_free(&out);
}

Test(filefd, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(scrape_once(&out), -ENOENT);
	buf_free(&out);
}
