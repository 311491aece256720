// SPDX-License-Identifier: Apache-2.0
/*
 * The collectors' test harness: see harness.h.  Trees are plain temp
 * directories; writers use stdio, scrapes go through the collector's
 * descriptor exactly as agent/node_scrape.c drives it.
 */
#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/hostpath.h"
#include "common/expo.h"
#include "common/flags.h"

char harness_root[256];

void harness_tree_new(const char *tag, unsigned roots)
{
	snprintf(harness_root, sizeof(harness_root), "/tmp/vigil-%s-XXXXXX", tag);
	cr_assert(mkdtemp(harness_root), "mkdtemp %s", harness_root);
	if (roots & HARNESS_PROCFS)
		host_roots.procfs = harness_root;
	if (roots & HARNESS_SYSFS)
		host_roots.sysfs = harness_root;
	if (roots & HARNESS_ROOTFS)
		host_roots.rootfs = harness_root;
	if (roots & HARNESS_UDEV)
		host_roots.udev = harness_root;
}

void harness_tree_free(void)
{
	char cmd[512];
	if (!harness_root[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", harness_root);
	cr_assert_eq(system(cmd), 0, "cannot remove %s", harness_root);
	harness_root[0] = '\0';
}

char *harness_path(char *out, const char *rel)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", harness_root, rel);
	cr_assert(n > 0 && n < PATH_MAX, "path too long: %s", rel);
	return out;
}

/* mkdir each directory of path from the tree's root on; all of path when whole. */
static void make_parents(char *path, bool whole)
{
	for (char *p = path + strlen(harness_root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (whole)
		mkdir(path, 0755);
}

void harness_mkdirs(const char *rel)
{
	char path[PATH_MAX];
	make_parents(harness_path(path, rel), true);
}

void harness_put(const char *rel, const char *content)
{
	char path[PATH_MAX];
	make_parents(harness_path(path, rel), false);
	FILE *f = fopen(path, "w");
	cr_assert(f, "create %s", path);
	fputs(content, f);
	cr_assert_eq(fclose(f), 0, "write %s", path);
}

void harness_rm(const char *rel)
{
	char path[PATH_MAX];
	unlink(harness_path(path, rel));
}

void harness_link(const char *target, const char *rel)
{
	char path[PATH_MAX];
	make_parents(harness_path(path, rel), false);
	cr_assert_eq(symlink(target, path), 0, "symlink %s", path);
}

int harness_set_flag(const struct collector *c, const char *name, const char *value)
{
	struct flag_table t = {c->name, c->flags, c->nflags};
	char err[256];
	int rc = flags_set(&t, 1, name, value, err, sizeof(err));
	if (rc)
		cr_log_info("set %s=%s: %s", name, value, err);
	return rc;
}

int harness_setup(const struct collector *c)
{
	char err[256] = "";
	int rc = c->setup ? c->setup(err, sizeof(err)) : 0;
	if (rc)
		cr_log_info("%s setup: %s", c->name, err);
	return rc;
}

int harness_flag_setup(const struct collector *c, const char *name, const char *value)
{
	cr_assert_eq(harness_set_flag(c, name, value), 0, "set %s=%s", name, value);
	return harness_setup(c);
}

void harness_flag_ok(const struct collector *c, const char *name, const char *value)
{
	cr_assert_eq(harness_flag_setup(c, name, value), 0, "%s setup with %s=%s", c->name, name,
		     value);
}

int harness_scrape(const struct collector *c, void *st, struct buf *out)
{
	bool own = !st;
	if (own)
		st = calloc(1, c->state_size ? c->state_size : 1);
	struct expo_set *set = expo_set_new();
	int rc = own && c->init ? c->init(st) : 0;
	if (rc == 0)
		rc = c->collect(st, set);
	buf_reset(out);
	expo_set_render(set, out);
	buf_puts(out, "");
	expo_set_free(set);
	if (own) {
		if (c->cleanup)
			c->cleanup(st);
		free(st);
	}
	return rc;
}

char *harness_scrape_text(const struct collector *c, void *st, int *rc)
{
	struct buf out = BUF_INIT;
	*rc = harness_scrape(c, st, &out);
	return buf_detach(&out, NULL);
}

void harness_assert_rejects(const struct collector *c, const char *rel, const char *const *contents,
			    size_t n, int rc)
{
	struct buf out = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		harness_put(rel, contents[i]);
		int got = harness_scrape(c, NULL, &out);
		cr_assert_eq(got, rc, "%s: '%s' in %s: code %d, want %d", c->name, contents[i], rel,
			     got, rc);
		cr_assert_str_empty(out.data, "%s: '%s' in %s rendered:\n%s", c->name, contents[i],
				    rel, out.data);
	}
	buf_free(&out);
}

void harness_assert_scrape(const struct collector *c, int rc, const char *want)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(c, NULL, &out), rc, "%s: scrape code, want %d", c->name, rc);
	cr_assert_str_eq(out.data, want);
	buf_free(&out);
}

bool harness_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

void harness_assert_same_series(const char *file, const char *prefix, const struct buf *out,
				const char *except)
{
	FILE *f = fopen(file, "r");
	cr_assert(f, "open %s", file);
	char line[4096];
	size_t want = 0, got = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		assert_has(out, line);
		want++;
	}
	fclose(f);
	for (const char *p = out->data; (p = strstr(p, prefix)); p++) {
		if (p != out->data && p[-1] != '\n')
			continue;
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (except && memmem(p, len, except, strlen(except)))
			continue;
		got++;
	}
	cr_assert_eq(got, want, "%zu %s series, want %zu:\n%s", got, prefix, want, out->data);
}

void harness_assert_fixture_series(const struct collector *c, const char *file, const char *prefix,
				   const char *except, struct buf *out)
{
	cr_assert_eq(harness_scrape(c, NULL, out), 0, "%s: scrape over the fixtures", c->name);
	harness_assert_same_series(file, prefix, out, except);
}
