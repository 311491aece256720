// SPDX-License-Identifier: Apache-2.0
/*
 * prometheus.yml loading: every key of tests/fixtures/scrape/configs/good/full.yml,
 * defaults and inheritance, and the bad corpus in configs/bad/, whose files
 * each start with the exact expected error:
 *   # want: LINE: message        loading fails with "FILE:LINE: message"
 *   # want: error                loading fails (message from libyaml or PCRE2)
 *   # want-check: message        loading succeeds, scrape_check_config() fails with message
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "server/scrape/check.h"
#include "server/scrape/config.h"

#define CONFIGS VIGIL_TEST_FIXTURES "/scrape/configs"

static struct scrape_config *load_ok(const char *path)
{
	struct scrape_config *cfg = NULL;
	char err[1024] = "";
	int rc = scrape_config_load_file(path, &cfg, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: %s", path, err);
	cr_assert_not_null(cfg);
	return cfg;
}

static struct scrape_config *load_str(const char *text, char *err, size_t errlen)
{
	struct scrape_config *cfg = NULL;
	scrape_config_load_string(text, strlen(text), "test.yml", &cfg, err, errlen);
	return cfg;
}

Test(config, full_every_key)
{
	struct scrape_config *c = load_ok(CONFIGS "/good/full.yml");
	cr_assert_eq(c->global.scrape_interval_ms, 30000);
	cr_assert_eq(c->global.scrape_timeout_ms, 20000);
	cr_assert_eq(c->global.evaluation_interval_ms, 45000);
	cr_assert_str_eq(c->global.query_log_file, CONFIGS "/good/query.log");
	cr_assert_str_eq(lset_get(&c->global.external_labels, "region"), "eu-west");
	cr_assert_str_eq(lset_get(&c->global.external_labels, "replica"), "1");
	cr_assert_eq(c->rule_files.n, 1);
	cr_assert_str_eq(c->rule_files.items[0], CONFIGS "/good/../rules/*.yml");
	cr_assert_eq(c->n_alertmanagers, 1);
	cr_assert_eq(c->remote_write_urls.n, 1);
	cr_assert_str_eq(c->remote_read_urls.items[0], "http://127.0.0.1:9201/read");
	cr_assert_eq(c->n_jobs, 2);

	const struct scrape_job *j = scrape_config_job(c, "node");
	cr_assert_not_null(j);
	cr_assert(j->honor_labels);
	cr_assert_not(j->honor_timestamps);
	cr_assert_eq(j->n_params, 2);
	cr_assert_str_eq(j->params[0].name, "collect[]");
	cr_assert_eq(j->params[0].values.n, 2);
	cr_assert_str_eq(j->params[0].values.items[1], "meminfo");
	cr_assert_eq(j->scrape_interval_ms, 10000);
	cr_assert_eq(j->scrape_timeout_ms, 5000);
	cr_assert_str_eq(j->metrics_path, "/custom/metrics");
	cr_assert_str_eq(j->scheme, "https");
	cr_assert_eq(j->body_size_limit, 10 * 1024 * 1024);
	cr_assert_eq(j->sample_limit, 5000);
	cr_assert_eq(j->target_limit, 100);
	cr_assert_eq(j->label_limit, 30);
	cr_assert_eq(j->label_name_length_limit, 200);
	cr_assert_eq(j->label_value_length_limit, 1000);
	cr_assert(j->http.has_basic_auth);
	cr_assert_str_eq(j->http.basic_auth_username, "admin");
	cr_assert_str_eq(j->http.basic_auth_password, "s3cret");
	cr_assert_str_eq(j->http.tls.ca_file, CONFIGS "/good/../../secrets/ca.pem");
	cr_assert_str_eq(j->http.tls.server_name, "node.example");
	cr_assert(j->http.tls.insecure_skip_verify);
	cr_assert_str_eq(j->http.tls.min_version, "TLS12");
	cr_assert_not(j->http.follow_redirects);
	cr_assert_not(j->http.enable_http2);
	cr_assert_eq(j->n_static_configs, 2);
	cr_assert_eq(j->static_configs[0].targets.n, 2);
	cr_assert_str_eq(j->static_configs[0].targets.items[1], "localhost");
	cr_assert_str_eq(lset_get(&j->static_configs[0].labels, "team"), "infra");
	cr_assert_str_eq(j->static_configs[1].targets.items[0], "[::1]:9100");
	cr_assert_str_eq(j->static_configs[1].source, "1");
	cr_assert_eq(j->n_file_sd_configs, 1);
	cr_assert_eq(j->file_sd_configs[0].refresh_interval_ms, 60000);
	cr_assert_str_eq(j->file_sd_configs[0].files.items[0], CONFIGS "/good/../../sd/*.json");
	cr_assert_eq(j->n_relabel_configs, 4);
	cr_assert_eq(j->relabel_configs[0].action, RELABEL_REPLACE);
	cr_assert_str_eq(j->relabel_configs[0].replacement, "${1}");
	cr_assert_str_eq(j->relabel_configs[1].separator, "-");
	cr_assert_eq(j->relabel_configs[2].action, RELABEL_HASHMOD);
	cr_assert_eq(j->relabel_configs[2].modulus, 4);
	cr_assert_eq(j->relabel_configs[3].action, RELABEL_KEEP);
	cr_assert_eq(j->n_metric_relabel_configs, 3);
	cr_assert_eq(j->metric_relabel_configs[1].action, RELABEL_LABELMAP);
	cr_assert_eq(j->metric_relabel_configs[2].action, RELABEL_LABELDROP);

	const struct scrape_job *s = scrape_config_job(c, "self");
	cr_assert(s->http.has_authorization);
	cr_assert_str_eq(s->http.authorization_type, "Bearer");
	cr_assert_str_eq(s->http.authorization_credentials_file,
			 CONFIGS "/good/../../secrets/token");
	/* inherited from global */
	cr_assert_eq(s->scrape_interval_ms, 30000);
	cr_assert_eq(s->scrape_timeout_ms, 20000);
	cr_assert(s->honor_timestamps);
	cr_assert_str_eq(s->metrics_path, "/metrics");
	cr_assert_str_eq(s->scheme, "http");
	cr_assert(s->http.follow_redirects);
	cr_assert(s->http.enable_http2);
	scrape_config_free(c);
}

Test(config, defaults)
{
	char err[512];
	struct scrape_config *c = load_str("", err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->global.scrape_interval_ms, 60000);
	cr_assert_eq(c->global.scrape_timeout_ms, 10000);
	cr_assert_eq(c->global.evaluation_interval_ms, 60000);
	cr_assert_eq(c->n_jobs, 0);
	scrape_config_free(c);

	c = load_str("scrape_configs:\n  - job_name: x\n", err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->jobs[0].scrape_interval_ms, 60000);
	cr_assert_eq(c->jobs[0].scrape_timeout_ms, 10000);
	cr_assert_eq(c->jobs[0].sample_limit, 0);
	scrape_config_free(c);
}

Test(config, inheritance)
{
	struct scrape_config *c = load_ok(CONFIGS "/good/inherit.yml");
	cr_assert_eq(c->global.scrape_interval_ms, 5000);
	cr_assert_eq(c->global.scrape_timeout_ms, 5000); /* min(10s, interval) */
	cr_assert_eq(scrape_config_job(c, "a")->scrape_interval_ms, 5000);
	cr_assert_eq(scrape_config_job(c, "a")->scrape_timeout_ms, 5000);
	cr_assert_eq(scrape_config_job(c, "b")->scrape_interval_ms, 2000);
	cr_assert_eq(scrape_config_job(c, "b")->scrape_timeout_ms, 2000);
	cr_assert_eq(scrape_config_job(c, "c")->scrape_timeout_ms, 60000);
	scrape_config_free(c);
}

Test(config, yaml_forms)
{
	struct scrape_config *c = load_ok(CONFIGS "/good/yaml_forms.yml");
	const struct scrape_job *j = scrape_config_job(c, "123");
	cr_assert_not_null(j);
	cr_assert(j->honor_labels);
	cr_assert_not(j->honor_timestamps);
	cr_assert_eq(j->sample_limit, 16);
	cr_assert_str_eq(lset_get(&j->static_configs[0].labels, "k"), "12");
	const struct scrape_job *a = scrape_config_job(c, "again");
	cr_assert_eq(a->n_static_configs, 1);
	cr_assert_str_eq(a->static_configs[0].targets.items[1], "b:2");
	scrape_config_free(c);
}

Test(config, durations)
{
	static const struct {
		const char *s;
		int64_t ms;
	} ok[] = {{"0", 0},	   {"15s", 15000},    {"1m30s", 90000},
		  {"1h", 3600000}, {"2d", 172800000}, {"1w", 604800000},
		  {"100ms", 100},  {"1m1ms", 60001},  {"1y", 31536000000LL}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ms = -1;
		cr_assert_eq(scrape_duration_parse(ok[i].s, &ms), 0, "%s", ok[i].s);
		cr_assert_eq(ms, ok[i].ms, "%s", ok[i].s);
	}
	static const char *const bad[] = {"",	 "1.5s", "1m1h", "s",	 "10",
					  "-1s", "1sm",	 "1 s",	 "1ms1s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms;
		cr_assert_lt(scrape_duration_parse(bad[i], &ms), 0, "%s", bad[i]);
	}
	/* printing durations: tests/unit/common/test_strutil.c */
}

Test(config, good_corpus_loads_and_checks)
{
	cr_assert_eq(chdir(CONFIGS "/good"), 0);
	DIR *d = opendir(".");
	cr_assert_not_null(d);
	int seen = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strstr(e->d_name, ".yml"))
			continue;
		char err[1024] = "";
		int rc = scrape_check_config(e->d_name, NULL, err, sizeof(err));
		cr_expect_eq(rc, 0, "%s: %s", e->d_name, err);
		seen++;
	}
	closedir(d);
	cr_assert_geq(seen, 8);
}

Test(config, bad_corpus_exact_errors)
{
	cr_assert_eq(chdir(CONFIGS "/bad"), 0);
	DIR *d = opendir(".");
	cr_assert_not_null(d);
	int seen = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strstr(e->d_name, ".yml"))
			continue;
		FILE *f = fopen(e->d_name, "r");
		char first[512] = "";
		cr_assert(fgets(first, sizeof(first), f));
		fclose(f);
		first[strcspn(first, "\n")] = 0;
		struct scrape_config *c = NULL;
		char err[1024] = "";
		int rc = scrape_config_load_file(e->d_name, &c, err, sizeof(err));
		seen++;
		if (!strncmp(first, "# want-check: ", 14)) {
			cr_expect_eq(rc, 0, "%s should load: %s", e->d_name, err);
			scrape_config_free(c);
			rc = scrape_check_config(e->d_name, NULL, err, sizeof(err));
			cr_expect_lt(rc, 0, "%s should fail the check", e->d_name);
			cr_expect_str_eq(err, first + 14, "%s", e->d_name);
			continue;
		}
		cr_assert(!strncmp(first, "# want: ", 8), "%s: no want line", e->d_name);
		cr_expect_eq(rc, -EINVAL, "%s should fail", e->d_name);
		cr_expect_null(c);
		if (strcmp(first + 8, "error") != 0) {
			char want[1024];
			snprintf(want, sizeof(want), "%s:%s", e->d_name, first + 8);
			cr_expect_str_eq(err, want);
		} else {
			cr_expect(!strncmp(err, e->d_name, strlen(e->d_name)), "%s", err);
		}
		cr_expect_null(strchr(err, '\n'), "one line: %s", err);
	}
	closedir(d);
	cr_assert_geq(seen, 50);
}

Test(config, yaml_syntax_error_has_line)
{
	char err[512];
	struct scrape_config *c =
		load_str("global:\n  scrape_interval: 15s\n   bad: [\n", err, sizeof(err));
	cr_assert_null(c);
	cr_assert(!strncmp(err, "test.yml:3: yaml: ", 18) ||
			  !strncmp(err, "test.yml:4: yaml: ", 18),
		  "%s", err);
}

Test(config, reload_keeps_old_on_failure)
{
	char dir[] = "/tmp/vigil-scrapecfg-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/prometheus.yml", dir);
	FILE *f = fopen(path, "w");
	fputs("scrape_configs:\n  - job_name: one\n", f);
	fclose(f);

	struct scrape_config *cur = NULL;
	char err[512];
	cr_assert_eq(scrape_config_load_file(path, &cur, err, sizeof(err)), 0, "%s", err);

	f = fopen(path, "w");
	fputs("scrape_configs:\n  - job_name: two\n    scrape_intervall: 1s\n", f);
	fclose(f);
	struct scrape_config *before = cur;
	cr_assert_eq(scrape_config_reload(path, &cur, err, sizeof(err)), -EINVAL);
	cr_assert_eq(cur, before);
	cr_assert_str_eq(cur->jobs[0].job_name, "one");
	cr_assert(
		strstr(err, "prometheus.yml:3: unknown key \"scrape_intervall\" in scrape_config"),
		"%s", err);

	f = fopen(path, "w");
	fputs("scrape_configs:\n  - job_name: two\n", f);
	fclose(f);
	cr_assert_eq(scrape_config_reload(path, &cur, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cur->jobs[0].job_name, "two");
	scrape_config_free(cur);

	cr_assert_lt(scrape_config_reload("/nonexistent/vigil.yml", &cur, err, sizeof(err)), 0);
	unlink(path);
	rmdir(dir);
}

Test(config, merge_keys)
{
	struct scrape_config *c = load_ok(CONFIGS "/good/merge_keys.yml");
	const struct scrape_job *m = scrape_config_job(c, "merged");
	cr_assert_not_null(m);
	cr_assert_eq(m->scrape_interval_ms, 20000);
	cr_assert(m->honor_labels);
	cr_assert_eq(m->n_static_configs, 1);
	cr_assert_str_eq(m->relabel_configs[0].replacement, "base");
	const struct scrape_job *o = scrape_config_job(c, "overridden");
	cr_assert_eq(o->scrape_interval_ms, 25000);
	cr_assert_eq(o->n_relabel_configs, 1);
	cr_assert_str_eq(o->relabel_configs[0].replacement, "own");
	scrape_config_free(c);
}

/* Garbage: every truncation of full.yml and single-byte damage at every offset either
 * loads or fails with a one-line "FILE:..." message; never crashes (run under ASan). */
Test(config, garbage_never_crashes, .timeout = 120)
{
	FILE *f = fopen(CONFIGS "/good/full.yml", "r");
	cr_assert_not_null(f);
	char text[8192];
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = 0;
	static const char damage[] = {':', '-', '[', '{', '"', '\'', '&', '*', '\t', '\n', 'x'};
	char copy[8192];
	size_t failures = 0, loads = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		for (size_t d = 0; d <= sizeof(damage); d++) {
			memcpy(copy, text, len + 1);
			size_t n = cut;
			if (d < sizeof(damage)) {
				if (cut == len)
					continue;
				copy[cut] = damage[d];
				n = len;
			}
			copy[n] = 0;
			struct scrape_config *c = NULL;
			char err[1024] = "";
			int rc = scrape_config_load_string(copy, n, "g.yml", &c, err, sizeof(err));
			if (rc < 0) {
				failures++;
				cr_assert(!strncmp(err, "g.yml:", 6), "cut %zu damage %zu: %s", cut,
					  d, err);
				cr_assert_null(strchr(err, '\n'), "%s", err);
			} else {
				loads++;
			}
			scrape_config_free(c);
		}
	}
	cr_assert_gt(failures, 100);
	cr_assert_gt(loads, 100);
}

Test(config, job_equal_for_reload)
{
	char err[512];
	struct scrape_config *a = load_str("global: {scrape_interval: 15s}\n"
					   "scrape_configs:\n"
					   "  - job_name: same\n"
					   "    scrape_interval: 10s\n"
					   "    static_configs: [{targets: ['a:1']}]\n"
					   "  - job_name: changed\n"
					   "    static_configs: [{targets: ['a:1']}]\n"
					   "  - job_name: inherits\n",
					   err, sizeof(err));
	cr_assert_not_null(a, "%s", err);
	struct scrape_config *b = load_str("global: {scrape_interval: 30s}\n"
					   "scrape_configs:\n"
					   "  - job_name: changed\n"
					   "    static_configs: [{targets: ['a:2']}]\n"
					   "  - {job_name: same, scrape_interval: 10s,\n"
					   "     static_configs:\n"
					   "      [{targets: [a:1]}]}\n"
					   "  - job_name: inherits\n",
					   err, sizeof(err));
	cr_assert_not_null(b, "%s", err);
	/* flow or block style, key order of the jobs and quoting do not matter */
	cr_assert(scrape_job_equal(scrape_config_job(a, "same"), scrape_config_job(b, "same")));
	cr_assert_not(
		scrape_job_equal(scrape_config_job(a, "changed"), scrape_config_job(b, "changed")));
	cr_assert_not(scrape_job_equal(scrape_config_job(a, "inherits"),
				       scrape_config_job(b, "inherits")));
	cr_assert(scrape_job_equal(scrape_config_job(a, "same"), scrape_config_job(a, "same")));
	scrape_config_free(a);
	scrape_config_free(b);
}

Test(config, expand_external_labels)
{
	char err[512];
	setenv("VIGIL_TEST_REGION", "eu-west", 1);
	unsetenv("VIGIL_TEST_UNSET");
	struct scrape_config *c = load_str("global:\n"
					   "  external_labels:\n"
					   "    a: '$VIGIL_TEST_REGION'\n"
					   "    b: 'x-${VIGIL_TEST_REGION}-y'\n"
					   "    c: 'cost $$5'\n"
					   "    d: 'no ${VIGIL_TEST_UNSET} var'\n"
					   "    e: 'bad ${ syntax'\n"
					   "    f: 'dollar $ alone'\n"
					   "    g: '$VIGIL_TEST_UNSET'\n",
					   err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	scrape_config_expand_external_labels(c);
	struct lset *l = &c->global.external_labels;
	cr_assert_str_eq(lset_get(l, "a"), "eu-west");
	cr_assert_str_eq(lset_get(l, "b"), "x-eu-west-y");
	cr_assert_str_eq(lset_get(l, "c"), "cost $5");
	cr_assert_str_eq(lset_get(l, "d"), "no  var");
	cr_assert_str_eq(lset_get(l, "e"), "bad  syntax");
	cr_assert_str_eq(lset_get(l, "f"), "dollar $ alone");
	cr_assert_null(lset_get(l, "g")); /* empty value: no label */
	scrape_config_free(c);
}
