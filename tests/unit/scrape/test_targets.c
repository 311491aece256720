// SPDX-License-Identifier: Apache-2.0
/* Target population (Prometheus 2.42 PopulateLabels), scrape URLs and file SD. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "server/scrape/config.h"
#include "server/scrape/targets.h"

static struct scrape_config *load(const char *text)
{
	struct scrape_config *c = NULL;
	char err[1024];
	int rc = scrape_config_load_string(text, strlen(text), "test.yml", &c, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	return c;
}

static char *fmt(const struct lset *ls)
{
	struct buf b = BUF_INIT;
	lset_format(ls, &b);
	return buf_detach(&b, NULL);
}

static void expect_labels(const struct lset *ls, const char *want)
{
	char *got = fmt(ls);
	cr_assert_str_eq(got, want);
	free(got);
}

Test(targets, static_defaults_and_port)
{
	struct scrape_config *c = load("global: {scrape_interval: 15s}\n"
				       "scrape_configs:\n"
				       "  - job_name: node\n"
				       "    static_configs:\n"
				       "      - targets: ['127.0.0.1:9100', 'localhost', '[::1]']\n"
				       "        labels: {env: prod}\n");
	struct scrape_targets ts = {0};
	char err[512] = "";
	cr_assert_eq(scrape_targets_build(&c->jobs[0], NULL, 0, &ts, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(ts.n, 3);
	expect_labels(
		&ts.v[0].labels,
		"{__address__=\"127.0.0.1:9100\", __metrics_path__=\"/metrics\", "
		"__scheme__=\"http\", __scrape_interval__=\"15s\", __scrape_timeout__=\"10s\", "
		"env=\"prod\", instance=\"127.0.0.1:9100\", job=\"node\"}");
	cr_assert_str_eq(ts.v[0].url, "http://127.0.0.1:9100/metrics");
	/* 2.42 adds the scheme's default port */
	cr_assert_str_eq(lset_get(&ts.v[1].labels, "instance"), "localhost:80");
	cr_assert_str_eq(lset_get(&ts.v[2].labels, "__address__"), "[::1]:80");
	expect_labels(
		&ts.v[0].discovered,
		"{__address__=\"127.0.0.1:9100\", __metrics_path__=\"/metrics\", "
		"__scheme__=\"http\", __scrape_interval__=\"15s\", __scrape_timeout__=\"10s\", "
		"env=\"prod\", job=\"node\"}");
	scrape_targets_free(&ts);
	scrape_config_free(c);
}

Test(targets, https_port_params_and_url)
{
	struct scrape_config *c =
		load("scrape_configs:\n"
		     "  - job_name: bb\n"
		     "    scheme: https\n"
		     "    metrics_path: /probe\n"
		     "    params: {module: [http_2xx, x y], a: ['&']}\n"
		     "    static_configs: [{targets: [example.com]}]\n"
		     "    relabel_configs:\n"
		     "      - {source_labels: [__address__], target_label: __param_target}\n");
	struct scrape_targets ts = {0};
	char err[512];
	cr_assert_eq(scrape_targets_build(&c->jobs[0], NULL, 0, &ts, err, sizeof(err)), 0);
	cr_assert_eq(ts.n, 1);
	cr_assert_str_eq(lset_get(&ts.v[0].labels, "__address__"), "example.com:443");
	cr_assert_str_eq(lset_get(&ts.v[0].labels, "__param_module"), "http_2xx");
	cr_assert_str_eq(ts.v[0].url, "https://example.com:443/"
				      "probe?a=%26&module=http_2xx&module=x+y&target=example.com");
	scrape_targets_free(&ts);
	scrape_config_free(c);
}

Test(targets, relabel_drop_keeps_discovered)
{
	struct scrape_config *c =
		load("scrape_configs:\n"
		     "  - job_name: j\n"
		     "    static_configs: [{targets: ['a:1', 'b:2']}]\n"
		     "    relabel_configs:\n"
		     "      - {source_labels: [__address__], regex: 'a:.*', action: drop}\n");
	struct scrape_targets ts = {0};
	char err[512];
	cr_assert_eq(scrape_targets_build(&c->jobs[0], NULL, 0, &ts, err, sizeof(err)), 0);
	cr_assert_eq(ts.n, 2);
	cr_assert(ts.v[0].dropped);
	cr_assert_eq(ts.v[0].labels.n, 0);
	cr_assert_null(ts.v[0].url);
	cr_assert_str_eq(lset_get(&ts.v[0].discovered, "__address__"), "a:1");
	cr_assert_not(ts.v[1].dropped);
	scrape_targets_free(&ts);
	scrape_config_free(c);
}

Test(targets, meta_dropped_instance_kept_and_duplicates_collapse)
{
	struct scrape_config *c = load("scrape_configs:\n"
				       "  - job_name: j\n"
				       "    static_configs:\n"
				       "      - targets: ['a:1', 'a:1']\n"
				       "        labels: {__meta_x: y, instance: custom}\n");
	struct scrape_targets ts = {0};
	char err[512];
	cr_assert_eq(scrape_targets_build(&c->jobs[0], NULL, 0, &ts, err, sizeof(err)), 0);
	cr_assert_eq(ts.n, 1);
	cr_assert_null(lset_get(&ts.v[0].labels, "__meta_x"));
	cr_assert_str_eq(lset_get(&ts.v[0].discovered, "__meta_x"), "y");
	cr_assert_str_eq(lset_get(&ts.v[0].labels, "instance"), "custom");
	scrape_targets_free(&ts);
	scrape_config_free(c);
}

Test(targets, population_errors)
{
	static const struct {
		const char *relabel, *want;
	} cases[] = {
		{"{target_label: __address__, replacement: ''}",
		 "instance 0 in group 0: no address"},
		{"{target_label: __address__, replacement: 'a/b:1'}",
		 "instance 0 in group 0: \"a/b:1\" is not a valid hostname"},
		{"{target_label: __scrape_interval__, replacement: '0'}",
		 "instance 0 in group 0: scrape interval cannot be 0"},
		{"{target_label: __scrape_timeout__, replacement: '0'}",
		 "instance 0 in group 0: scrape timeout cannot be 0"},
		{"{target_label: __scrape_timeout__, replacement: 'x'}",
		 "instance 0 in group 0: error parsing scrape timeout: not a valid duration "
		 "string: \"x\""},
		{"{target_label: __scrape_timeout__, replacement: '5m'}",
		 "instance 0 in group 0: scrape timeout cannot be greater than scrape interval "
		 "(\"5m\" > \"1m\")"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "scrape_configs:\n  - job_name: j\n    static_configs: [{targets: "
			 "['h:1']}]\n"
			 "    relabel_configs: [%s]\n",
			 cases[i].relabel);
		struct scrape_config *c = load(text);
		struct scrape_targets ts = {0};
		char err[512] = "";
		cr_expect_eq(scrape_targets_build(&c->jobs[0], NULL, 0, &ts, err, sizeof(err)), 1);
		cr_expect_str_eq(err, cases[i].want);
		cr_expect_eq(ts.n, 0);
		scrape_targets_free(&ts);
		scrape_config_free(c);
	}
}

Test(targets, file_sd_parse_json_and_yaml)
{
	const char *json = "[{\"targets\": [\"a:1\", \"b:2\"], \"labels\": {\"env\": \"x\"}}, "
			   "{\"targets\": []}]";
	struct scrape_target_group *g;
	size_t n;
	char err[512];
	cr_assert_eq(
		scrape_file_sd_parse("/sd/t.json", json, strlen(json), &g, &n, err, sizeof(err)), 0,
		"%s", err);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(g[0].source, "/sd/t.json:0");
	cr_assert_str_eq(lset_get(&g[0].labels, "__meta_filepath"), "/sd/t.json");
	cr_assert_str_eq(lset_get(&g[0].labels, "env"), "x");
	cr_assert_str_eq(g[0].targets.items[1], "b:2");
	scrape_target_groups_free(g, n);

	const char *yaml = "- targets: ['c:3']\n  labels: {team: t}\n";
	cr_assert_eq(scrape_file_sd_parse("t.YAML", yaml, strlen(yaml), &g, &n, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(g[0].targets.items[0], "c:3");
	scrape_target_groups_free(g, n);

	static const char *const bad_json[] = {
		"{",
		"{\"targets\": []}",
		"[{\"target\": [\"a\"]}]",
		"[{\"targets\": \"a\"}]",
		"[{\"labels\": {\"a-b\": \"x\"}}]",
		"[{\"labels\": {\"a\": 1}}]",
		"[null]",
	};
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++)
		cr_expect_eq(scrape_file_sd_parse("x.json", bad_json[i], strlen(bad_json[i]), &g,
						  &n, err, sizeof(err)),
			     -EINVAL, "%s", bad_json[i]);
	const char *bad_yaml = "- targets: [a]\n  extra: 1\n";
	cr_assert_eq(
		scrape_file_sd_parse("x.yml", bad_yaml, strlen(bad_yaml), &g, &n, err, sizeof(err)),
		-EINVAL);
	cr_assert_str_eq(err, "x.yml:2: unknown key \"extra\" in target group");
	cr_assert_eq(scrape_file_sd_parse("x.txt", "", 0, &g, &n, err, sizeof(err)), -EINVAL);
}

static void write_file(const char *path, const char *text)
{
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	/* rename, as tools that write SD files do: a new inode is a change */
	cr_assert_eq(rename(tmp, path), 0);
}

static size_t count_targets(const struct file_sd *sd)
{
	struct scrape_target_group *g;
	size_t n = file_sd_groups(sd, &g), t = 0;
	for (size_t i = 0; i < n; i++)
		t += g[i].targets.n;
	free(g);
	return t;
}

Test(targets, file_sd_poll_change_broken_and_removed)
{
	char dir[] = "/tmp/vigil-filesd-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char a[256], b[256], pattern[256];
	snprintf(a, sizeof(a), "%s/a.json", dir);
	snprintf(b, sizeof(b), "%s/b.yml", dir);
	snprintf(pattern, sizeof(pattern), "%s/*.json", dir);
	write_file(a, "[{\"targets\": [\"h1:1\", \"h2:2\"]}]");
	write_file(b, "- targets: ['h3:3']\n");

	struct scrape_file_sd cfg = {0};
	strlist_push(&cfg.files, pattern);
	strlist_push(&cfg.files, b);
	cfg.refresh_interval_ms = 300000;
	struct file_sd sd;
	file_sd_init(&sd, &cfg);
	strlist_clear(&cfg.files);

	bool changed;
	cr_assert_eq(file_sd_poll(&sd, 0, &changed), 0);
	cr_assert(changed);
	cr_assert_eq(count_targets(&sd), 3);

	cr_assert_eq(file_sd_poll(&sd, 1000, &changed), 0);
	cr_assert_not(changed);

	/* inotify tells about the rewrite */
	struct pollfd pfd = {.fd = file_sd_watch_fd(&sd), .events = POLLIN};
	cr_assert_geq(pfd.fd, 0);
	cr_assert_eq(poll(&pfd, 1, 0), 0, "no event before the write");
	write_file(a, "[{\"targets\": [\"h1:1\"]}]");
	cr_assert_eq(poll(&pfd, 1, 2000), 1, "an event after the write");
	cr_assert_eq(file_sd_poll(&sd, 2000, &changed), 0);
	cr_assert_eq(poll(&pfd, 1, 0), 0, "events drained by the poll");
	cr_assert(changed);
	cr_assert_eq(count_targets(&sd), 2);

	/* broken content: the last good groups stay */
	write_file(a, "[{\"targets\": [\"h1:1\"]");
	cr_assert_lt(file_sd_poll(&sd, 3000, &changed), 0);
	cr_assert_not(changed);
	cr_assert_eq(count_targets(&sd), 2);
	cr_assert_eq(sd.read_errors, 1);

	/* removed file: its groups go */
	unlink(b);
	cr_assert_eq(file_sd_poll(&sd, 4000, &changed), 0);
	cr_assert(changed);
	cr_assert_eq(count_targets(&sd), 1);

	/* a new file matching the glob */
	char c2[256];
	snprintf(c2, sizeof(c2), "%s/c.json", dir);
	write_file(c2, "[{\"targets\": [\"h4:4\", \"h5:5\"]}]");
	cr_assert_eq(file_sd_poll(&sd, 5000, &changed), 0);
	cr_assert(changed);
	cr_assert_eq(count_targets(&sd), 3);

	file_sd_free(&sd);
	unlink(a);
	unlink(c2);
	rmdir(dir);
}

Test(targets, file_sd_groups_build_targets)
{
	struct scrape_config *c = load("scrape_configs:\n  - job_name: j\n");
	const char *json = "[{\"targets\": [\"a:1\"], \"labels\": {\"env\": \"e\"}}]";
	struct scrape_target_group *g;
	size_t n;
	char err[512];
	cr_assert_eq(
		scrape_file_sd_parse("/x/t.json", json, strlen(json), &g, &n, err, sizeof(err)), 0);
	struct scrape_targets ts = {0};
	cr_assert_eq(scrape_targets_build(&c->jobs[0], g, n, &ts, err, sizeof(err)), 0);
	cr_assert_eq(ts.n, 1);
	cr_assert_str_eq(lset_get(&ts.v[0].discovered, "__meta_filepath"), "/x/t.json");
	cr_assert_null(lset_get(&ts.v[0].labels, "__meta_filepath"));
	cr_assert_str_eq(lset_get(&ts.v[0].labels, "env"), "e");
	scrape_targets_free(&ts);
	scrape_target_groups_free(g, n);
	scrape_config_free(c);
}

/* Many targets with duplicates: deduplication is hashed, not quadratic. */
Test(targets, many_targets_dedup, .timeout = 30)
{
	struct scrape_config *c = load("scrape_configs:\n  - job_name: j\n");
	struct scrape_target_group g = {0};
	char name[64];
	for (int i = 0; i < 40000; i++) {
		snprintf(name, sizeof(name), "10.%d.%d.%d:9100", (i % 20000) / 65536,
			 ((i % 20000) / 256) % 256, (i % 20000) % 256);
		strlist_push(&g.targets, name);
	}
	g.source = strdup("0");
	struct scrape_targets ts = {0};
	char err[512];
	cr_assert_eq(scrape_targets_build(&c->jobs[0], &g, 1, &ts, err, sizeof(err)), 0);
	cr_assert_eq(ts.n, 20000);
	cr_assert_str_eq(ts.v[19999].url, "http://10.0.78.31:9100/metrics");
	scrape_targets_free(&ts);
	scrape_target_group_free(&g);
	scrape_config_free(c);
}
