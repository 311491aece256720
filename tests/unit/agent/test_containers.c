// SPDX-License-Identifier: Apache-2.0
/*
 * The container engine end to end, without the HTTP listener: rounds over
 * the real hybrid v1 capture (../shared/fixtures/docker-hybrid-v1) with a
 * Docker API stand-in naming the containers, checked against cAdvisor's own
 * golden output (../shared/fixtures/cadvisor/prometheus_metrics): each
 * family we emit has cAdvisor's HELP, TYPE and label names.  Also: a
 * container that vanishes between rounds leaves the output, Docker being
 * unreachable only drops the names, the history JSON, and scrapes racing
 * the housekeeping thread.  Tests on the capture skip when
 * ../shared/fixtures is absent.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../collectors/docker_standin.h"
#include "../shared_fixtures.h"
#include "agent/containers.h"
#include "collectors/hostpath.h"
#include "common/expo.h"
#include "common/pfile.h"

#define HYBRID VIGIL_SHARED_FIXTURES "/docker-hybrid-v1/sysfs"
#define GOLDEN VIGIL_SHARED_FIXTURES "/cadvisor/"
#define CPU_ID "c4eda9d8a04bf547abe57895647609f8f0ec82559081c9ae43a85f26014a4f96"
#define MEM_ID "012af3729db64c10ea39cc0f29b037914e3cb75f14c55822e7fe7b4b8eef38ad"

/* ---- a tiny exposition reader for the checks ---- */

#define MAXFAM 160

struct fam {
	char name[96];
	char help[256];
	char type[16];
	char labels[512]; /* sorted, comma-joined label names of the first sample */
	bool label_mismatch;
	int samples;
	int with_ts;
};

struct expo {
	struct fam f[MAXFAM];
	int n;
};

static struct fam *fam_get(struct expo *e, const char *name, size_t len)
{
	for (int i = 0; i < e->n; i++)
		if (strlen(e->f[i].name) == len && strncmp(e->f[i].name, name, len) == 0)
			return &e->f[i];
	cr_assert_lt(e->n, MAXFAM);
	struct fam *f = &e->f[e->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%.*s", (int)len, name);
	return f;
}

/* Label names of a sample line, minus those that depend on the data. */
static void label_names(const char *line, char *out, size_t size)
{
	out[0] = '\0';
	const char *p = strchr(line, '{');
	if (!p)
		return;
	p++;
	while (*p && *p != '}') {
		const char *eq = strchr(p, '=');
		if (!eq)
			break;
		size_t n = (size_t)(eq - p);
		bool skip = strncmp(p, "container_label_", 16) == 0 ||
			    strncmp(p, "container_env_", 14) == 0 ||
			    (n == 9 && !strncmp(p, "zone_name", 9));
		if (!skip) {
			if (out[0])
				strncat(out, ",", size - strlen(out) - 1);
			strncat(out, p, n < size - strlen(out) - 1 ? n : size - strlen(out) - 1);
		}
		/* skip the quoted value */
		const char *q = eq + 2;
		while (*q && *q != '"') {
			if (*q == '\\' && q[1])
				q++;
			q++;
		}
		p = *q ? q + 1 : q;
		if (*p == ',')
			p++;
	}
}

static void parse_expo(const char *text, struct expo *e)
{
	char *copy = strdup(text);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			char *sp = strchr(line + 7, ' ');
			struct fam *f = fam_get(e, line + 7,
						sp ? (size_t)(sp - line - 7) : strlen(line + 7));
			snprintf(f->help, sizeof(f->help), "%s", sp ? sp + 1 : "");
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			char *sp = strchr(line + 7, ' ');
			struct fam *f = fam_get(e, line + 7, (size_t)(sp - line - 7));
			snprintf(f->type, sizeof(f->type), "%s", sp + 1);
		} else if (line[0] != '#') {
			size_t n = strcspn(line, "{ ");
			struct fam *f = fam_get(e, line, n);
			char names[512];
			label_names(line, names, sizeof(names));
			if (f->samples == 0)
				snprintf(f->labels, sizeof(f->labels), "%s", names);
			else if (strcmp(f->labels, names) != 0)
				f->label_mismatch = true;
			f->samples++;
			/* a timestamp is a third field after the closing brace */
			const char *rest = strrchr(line, '}');
			rest = rest ? rest + 1 : line + n;
			int fields = 0;
			for (const char *t = rest; *t;) {
				while (*t == ' ')
					t++;
				if (!*t)
					break;
				fields++;
				while (*t && *t != ' ')
					t++;
			}
			if (fields >= 2)
				f->with_ts++;
		}
	}
	free(copy);
}

static const struct fam *fam_find(const struct expo *e, const char *name)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->f[i].name, name) == 0)
			return &e->f[i];
	return NULL;
}

/* ---- fixtures ---- */

static struct standin sd;
static const char *saved_cgroupfs, *saved_procfs, *saved_sysfs, *saved_rootfs;

static void use_hybrid(void)
{
	shared_fixtures_or_skip();
	saved_cgroupfs = host_roots.cgroupfs;
	saved_procfs = host_roots.procfs;
	saved_sysfs = host_roots.sysfs;
	saved_rootfs = host_roots.rootfs;
	host_roots.cgroupfs = HYBRID "/fs/cgroup";
	host_roots.procfs = HYBRID "/proc";
	host_roots.sysfs = "/nonexistent";
	host_roots.rootfs = "/nonexistent";
	cr_assert_eq(standin_start(&sd), 0);
}

static void restore(void)
{
	standin_stop(&sd);
	host_roots.cgroupfs = saved_cgroupfs;
	host_roots.procfs = saved_procfs;
	host_roots.sysfs = saved_sysfs;
	host_roots.rootfs = saved_rootfs;
}

static char *scrape_hybrid(bool docker)
{
	char url[160];
	snprintf(url, sizeof(url), "unix://%s", sd.path);
	struct ctr_opts o = {docker ? url : "unix:///nonexistent/docker.sock", 10, 120, false,
			     NULL};
	struct ctr_engine *e = ctr_engine_new(&o);
	cr_assert_eq(ctr_engine_round(e), 0);
	cr_assert_eq(ctr_engine_count(e), 5, "/, /docker and three containers: %u",
		     ctr_engine_count(e));
	struct buf out = BUF_INIT;
	ctr_engine_scrape(e, &out);
	ctr_engine_free(e);
	return buf_detach(&out, NULL);
}

/* The line of family fam whose text contains every needle, or NULL. */
static const char *find_line(const char *text, const char *fam, const char *n1, const char *n2)
{
	size_t fl = strlen(fam);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (strncmp(p, fam, fl) != 0 || p[fl] != '{')
			continue;
		char line[2048];
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if ((!n1 || strstr(line, n1)) && (!n2 || strstr(line, n2)))
			return p;
	}
	return NULL;
}

static double line_value(const char *line)
{
	const char *p = strchr(line, '}');
	cr_assert_not_null(p);
	return strtod(p + 1, NULL);
}

/* ---- tests ---- */

Test(containers, families_match_cadvisor_golden, .init = use_hybrid, .fini = restore)
{
	char *text = scrape_hybrid(true);
	struct expo *ours = calloc(1, sizeof(*ours)), *gold = calloc(1, sizeof(*gold));
	struct buf g = BUF_INIT;
	cr_assert_eq(read_file_buf(GOLDEN "prometheus_metrics", &g), 0);
	parse_expo(g.data, gold);
	cr_assert_eq(read_file_buf(GOLDEN "prometheus_machine_metrics", &g), 0);
	parse_expo(g.data, gold);
	buf_free(&g);
	parse_expo(text, ours);

	/* families cAdvisor has but the golden file lacks (its fake has no memory spec) */
	static const struct {
		const char *name, *help;
	} extra[] = {
		{"container_spec_memory_limit_bytes", "Memory limit for the container."},
		{"container_spec_memory_reservation_limit_bytes",
		 "Memory reservation limit for the container."},
		{"container_spec_memory_swap_limit_bytes", "Memory swap limit for the container."},
	};
	static const char *const no_ts[] = {"cadvisor_version_info", "container_scrape_error",
					    "container_start_time_seconds"};
	cr_assert_geq(ours->n, 40, "only %d families", ours->n);
	for (int i = 0; i < ours->n; i++) {
		const struct fam *f = &ours->f[i];
		cr_assert_gt(f->samples, 0, "%s has no sample", f->name);
		cr_assert(!f->label_mismatch, "%s: samples with different label names", f->name);
		const struct fam *want = fam_find(gold, f->name);
		if (!want) {
			bool known = false;
			for (size_t k = 0; k < sizeof(extra) / sizeof(extra[0]); k++)
				if (strcmp(extra[k].name, f->name) == 0) {
					known = true;
					cr_assert_str_eq(f->help, extra[k].help);
					cr_assert_str_eq(f->type, "gauge");
					cr_assert_str_eq(f->labels, "id,image,name");
				}
			cr_assert(known, "%s is not a cAdvisor family", f->name);
			continue;
		}
		cr_assert_str_eq(f->help, want->help, "HELP of %s", f->name);
		cr_assert_str_eq(f->type, want->type, "TYPE of %s", f->name);
		if (strcmp(f->name, "cadvisor_version_info") &&
		    strcmp(f->name, "container_scrape_error"))
			cr_assert_str_eq(f->labels, want->labels, "label names of %s", f->name);
		bool stamped = strncmp(f->name, "container_spec_", 15) != 0;
		for (size_t k = 0; k < sizeof(no_ts) / sizeof(no_ts[0]); k++)
			stamped &= strcmp(f->name, no_ts[k]) != 0;
		cr_assert_eq(f->with_ts, stamped ? f->samples : 0, "timestamps of %s", f->name);
	}
	/* what the issue asks for is all there */
	static const char *const must[] = {
		"container_cpu_usage_seconds_total",
		"container_cpu_user_seconds_total",
		"container_cpu_system_seconds_total",
		"container_cpu_cfs_periods_total",
		"container_cpu_cfs_throttled_periods_total",
		"container_cpu_cfs_throttled_seconds_total",
		"container_memory_usage_bytes",
		"container_memory_working_set_bytes",
		"container_memory_rss",
		"container_memory_cache",
		"container_memory_swap",
		"container_memory_mapped_file",
		"container_memory_failcnt",
		"container_memory_max_usage_bytes",
		"container_memory_failures_total",
		"container_oom_events_total",
		"container_network_receive_bytes_total",
		"container_network_transmit_packets_dropped_total",
		"container_fs_reads_bytes_total",
		"container_fs_writes_total",
		"container_processes",
		"container_threads",
		"container_spec_cpu_shares",
		"container_spec_cpu_quota",
		"container_spec_cpu_period",
		"container_spec_memory_limit_bytes",
		"container_spec_memory_reservation_limit_bytes",
		"container_start_time_seconds",
		"container_last_seen",
		"machine_cpu_cores",
		"machine_memory_bytes",
		"cadvisor_version_info",
	};
	for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++)
		cr_assert_not_null(fam_find(ours, must[k]), "%s missing", must[k]);
	free(ours);
	free(gold);
	free(text);
}

Test(containers, values_and_names_from_capture, .init = use_hybrid, .fini = restore)
{
	char *t = scrape_hybrid(true);
	const char *l;
	l = find_line(t, "container_spec_cpu_quota", "name=\"ctr-cpu\"", NULL);
	cr_assert_not_null(l);
	cr_assert_eq(line_value(l), 50000);
	cr_assert_not_null(strstr(l, "container_label_app=\"cpu\""));
	cr_assert_not_null(strstr(l, "container_label_ctr_anchor=\"1\""), "key sanitized");
	cr_assert_not_null(strstr(l, "image=\"ctr-anchor/busybox:local\""));
	cr_assert_not_null(strstr(l, "id=\"/docker/" CPU_ID "\""));
	l = find_line(t, "container_cpu_cfs_throttled_periods_total", "ctr-cpu", NULL);
	cr_assert_not_null(l);
	cr_assert_eq(line_value(l), 1402);
	l = find_line(t, "container_cpu_usage_seconds_total", "ctr-cpu", "cpu=\"total\"");
	cr_assert_not_null(l);
	cr_assert_float_eq(line_value(l), 70.438569178, 1e-9);
	/* the root cgroup has every base label, empty */
	l = find_line(t, "container_cpu_usage_seconds_total", "id=\"/\"", NULL);
	cr_assert_not_null(l);
	cr_assert_not_null(strstr(l, "container_label_app=\"\""));
	cr_assert_not_null(strstr(l, "name=\"\""));
	/* working set = usage - total_inactive_file */
	const char *u = find_line(t, "container_memory_usage_bytes", "ctr-mem", NULL);
	const char *w = find_line(t, "container_memory_working_set_bytes", "ctr-mem", NULL);
	cr_assert(u && w);
	cr_assert_eq(line_value(u) - line_value(w), 47185920);
	cr_assert_not_null(
		find_line(t, "container_fs_reads_bytes_total", "ctr-mem", "device=\"/dev/vda\""));
	l = find_line(t, "container_network_receive_bytes_total", "ctr-mem", "interface=\"eth0\"");
	cr_assert_not_null(l);
	cr_assert_eq(line_value(l), 1196);
	cr_assert_null(find_line(t, "container_network_receive_bytes_total", "ctr-mem",
				 "interface=\"lo\""));
	/* /docker is a plain cgroup: no network */
	cr_assert_null(
		find_line(t, "container_network_receive_bytes_total", "id=\"/docker\"", NULL));
	free(t);
}

Test(containers, docker_unreachable_keeps_metrics, .init = use_hybrid, .fini = restore)
{
	char *t = scrape_hybrid(false);
	const char *l = find_line(t, "container_spec_cpu_quota", "id=\"/docker/" CPU_ID "\"", NULL);
	cr_assert_not_null(l);
	cr_assert_not_null(strstr(l, "name=\"\""));
	cr_assert_null(strstr(t, "container_label_"));
	free(t);
}

Test(containers, docker_only, .init = use_hybrid, .fini = restore)
{
	char url[160];
	snprintf(url, sizeof(url), "unix://%s", sd.path);
	struct ctr_opts o = {url, 10, 120, true, NULL};
	struct ctr_engine *e = ctr_engine_new(&o);
	cr_assert_eq(ctr_engine_round(e), 0);
	cr_assert_eq(ctr_engine_count(e), 4, "/ and the three Docker containers");
	ctr_engine_free(e);
}

static char tmp[64];

static void put(const char *rel, const char *content)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	for (char *s = p + strlen(tmp) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(content, f);
	fclose(f);
}

static void v2_ctr(const char *name, const char *usage_usec)
{
	char rel[256], body[128];
	snprintf(rel, sizeof(rel), "%s/cgroup.procs", name);
	put(rel, "");
	snprintf(rel, sizeof(rel), "%s/cpu.stat", name);
	snprintf(body, sizeof(body), "usage_usec %s\nuser_usec 1\nsystem_usec 1\n", usage_usec);
	put(rel, body);
	snprintf(rel, sizeof(rel), "%s/memory.current", name);
	put(rel, "4096\n");
}

static void mk_v2(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/vigil-ctr-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	saved_cgroupfs = host_roots.cgroupfs;
	host_roots.cgroupfs = tmp;
	put("cgroup.controllers", "cpu memory\n");
	put("cgroup.procs", "1\n");
	v2_ctr("a.slice", "1000000");
	v2_ctr("b.slice", "2000000");
}

/* mk_v2() for tests that also talk to the Docker stand-in (the shared captures). */
static void mk_v2_docker(void)
{
	shared_fixtures_or_skip();
	mk_v2();
}

static void rm_v2(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
	host_roots.cgroupfs = saved_cgroupfs;
}

Test(containers, vanished_container_leaves_output, .init = mk_v2, .fini = rm_v2)
{
	struct ctr_opts o = {NULL, 10, 30, false, NULL};
	struct ctr_engine *e = ctr_engine_new(&o);
	struct buf out = BUF_INIT;
	cr_assert_eq(ctr_engine_round(e), 0);
	ctr_engine_scrape(e, &out);
	cr_assert_not_null(strstr(out.data, "id=\"/b.slice\""));
	cr_assert_eq(ctr_engine_count(e), 3);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/b.slice'", tmp);
	cr_assert_eq(system(cmd), 0);
	v2_ctr("c.slice", "5");
	for (int i = 0; i < 4; i++)
		cr_assert_eq(ctr_engine_round(e), 0);
	buf_reset(&out);
	ctr_engine_scrape(e, &out);
	cr_assert_null(strstr(out.data, "id=\"/b.slice\""));
	cr_assert_not_null(strstr(out.data, "id=\"/c.slice\""));

	/* history: a.slice has a ring of storage/interval = 3 samples, c.slice 4 rounds -> 3 */
	buf_reset(&out);
	ctr_engine_history_json(e, &out);
	cr_assert_not_null(strstr(out.data, "{\"status\":\"success\",\"data\":[{\"id\":\"/\""));
	cr_assert_null(strstr(out.data, "/b.slice"));
	const char *a = strstr(out.data, "\"id\":\"/a.slice\"");
	cr_assert_not_null(a);
	int n = 0;
	const char *end = strstr(a, "]}");
	for (const char *p = a; (p = strstr(p, "\"timestamp\":")) && p < end; p++)
		n++;
	cr_assert_eq(n, 3);
	cr_assert_not_null(strstr(a, "\"cpu_usage_seconds_total\":1,"));
	buf_free(&out);
	ctr_engine_free(e);
}

Test(containers, scrapes_race_housekeeping, .init = mk_v2, .fini = rm_v2)
{
	struct ctr_opts o = {NULL, 0.005, 0.05, false, NULL};
	struct ctr_engine *e = ctr_engine_new(&o);
	cr_assert_eq(ctr_engine_start(e), 0);
	struct buf out = BUF_INIT;
	for (int i = 0; i < 200; i++) {
		buf_reset(&out);
		ctr_engine_scrape(e, &out);
		cr_assert_not_null(strstr(out.data, "machine_cpu_cores"));
		if (i % 20 == 0) {
			buf_reset(&out);
			ctr_engine_history_json(e, &out);
		}
		usleep(500);
	}
	ctr_engine_stop(e);
	buf_free(&out);
	ctr_engine_free(e);
}

Test(containers, handler_routes)
{
	struct ctr_opts o = {NULL, 10, 120, false, NULL};
	const char *saved = host_roots.cgroupfs;
	host_roots.cgroupfs = "/nonexistent";
	struct ctr_engine *e = ctr_engine_new(&o);
	host_roots.cgroupfs = saved;
	cr_assert_lt(ctr_engine_round(e), 0, "no cgroups: the round says so");
	const char *urls[] = {"/metrics", "/api/v1/containers", "/", "/nope"};
	int want[] = {200, 200, 200, 404};
	for (int i = 0; i < 4; i++) {
		struct http_request req = {"GET", urls[i], NULL, 0, NULL};
		struct http_response resp = {.status = 200};
		containers_handle(e, &req, &resp);
		cr_assert_eq(resp.status, want[i], "%s", urls[i]);
		if (i == 0)
			cr_assert_not_null(strstr(resp.body.data, "machine_memory_bytes"));
		buf_free(&resp.body);
	}
	ctr_engine_free(e);
}

Test(containers, docker_comes_back_after_backoff, .init = use_hybrid, .fini = restore)
{
	char url[160], off[160];
	snprintf(url, sizeof(url), "unix://%s", sd.path);
	snprintf(off, sizeof(off), "%s.off", sd.path);
	cr_assert_eq(rename(sd.path, off), 0);
	struct ctr_opts o = {url, 10, 120, false, NULL};
	struct ctr_engine *e = ctr_engine_new(&o);
	struct buf out = BUF_INIT;
	cr_assert_eq(ctr_engine_round(e), 0);
	ctr_engine_scrape(e, &out);
	cr_assert_null(strstr(out.data, "name=\"ctr-cpu\""), "Docker is away");
	cr_assert_eq(rename(off, sd.path), 0);
	/* within the first backoff (1 s) the engine does not retry */
	cr_assert_eq(ctr_engine_round(e), 0);
	buf_reset(&out);
	ctr_engine_scrape(e, &out);
	cr_assert_null(strstr(out.data, "name=\"ctr-cpu\""));
	usleep(1100 * 1000);
	cr_assert_eq(ctr_engine_round(e), 0);
	buf_reset(&out);
	ctr_engine_scrape(e, &out);
	cr_assert_not_null(strstr(out.data, "name=\"ctr-cpu\""), "named once Docker is back");
	cr_assert_not_null(strstr(out.data, "dockerVersion=\"20.10.24+dfsg1\""));
	buf_free(&out);
	ctr_engine_free(e);
}

/* Re-render text through common/expo's set (client_golang's ordering) and return it. */
static char *rerender(const char *text)
{
	struct expo_set *set = expo_set_new();
	char *copy = strdup(text), *help = NULL, *type = NULL;
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			help = strchr(line + 7, ' ') + 1;
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			type = strchr(line + 7, ' ') + 1;
			continue;
		}
		char *brace = strchr(line, '{');
		char *sp = brace ? strrchr(line, '}') : strchr(line, ' ') - 1;
		struct expo_label lab[EXPO_MAX_LABELS];
		size_t n = 0;
		if (brace)
			*brace = '\0';
		else
			sp[1] = '\0';
		*sp = brace ? '\0' : *sp;
		for (char *p = brace ? brace + 1 : sp + 1; brace && *p;) {
			char *eq = strchr(p, '=');
			*eq = '\0';
			char *v = eq + 2, *q = v;
			while (*q != '"')
				q++; /* the fixtures have no escaped quotes */
			*q = '\0';
			lab[n++] = (struct expo_label){p, v};
			p = q[1] == ',' ? q + 2 : q + 1;
		}
		char *end;
		double v = strtod(sp + 2, &end);
		int64_t ts = *end == ' ' ? strtoll(end + 1, NULL, 10) : EXPO_NO_TS;
		enum expo_type t;
		cr_assert_eq(expo_parse_type(type, &t), 0);
		expo_add_ts(expo_family(set, line, help, t), lab, n, v, ts);
	}
	struct buf out = BUF_INIT;
	expo_set_render(set, &out);
	expo_set_free(set);
	free(copy);
	return buf_detach(&out, NULL);
}

Test(containers, rendering_matches_expo_set_order, .init = use_hybrid, .fini = restore)
{
	char *ours = scrape_hybrid(true);
	char *ref = rerender(ours);
	if (strcmp(ours, ref) != 0) {
		size_t i = 0;
		while (ours[i] == ref[i])
			i++;
		size_t from = i > 200 ? i - 200 : 0;
		cr_assert_fail("first difference at %zu:\nours: %.300s\nref:  %.300s", i,
			       ours + from, ref + from);
	}
	free(ours);
	free(ref);
}

Test(containers, systemd_driver_scope_is_named, .init = mk_v2_docker, .fini = rm_v2)
{
	/* Docker with the systemd cgroup driver: system.slice/docker-<id>.scope */
	v2_ctr("system.slice/docker-" CPU_ID ".scope", "3000000");
	v2_ctr("system.slice/docker-" CPU_ID ".scope.bak", "1");
	struct standin s2;
	cr_assert_eq(standin_start(&s2), 0);
	char url[160];
	snprintf(url, sizeof(url), "unix://%s", s2.path);
	struct ctr_opts o = {url, 10, 120, true, NULL};
	struct ctr_engine *e = ctr_engine_new(&o);
	cr_assert_eq(ctr_engine_round(e), 0);
	cr_assert_eq(ctr_engine_count(e), 2, "docker-only: / and the scope");
	struct buf out = BUF_INIT;
	ctr_engine_scrape(e, &out);
	const char *l = find_line(out.data, "container_cpu_usage_seconds_total", "name=\"ctr-cpu\"",
				  "id=\"/system.slice/docker-" CPU_ID ".scope\"");
	cr_assert_not_null(l);
	cr_assert_eq(line_value(l), 3);
	buf_free(&out);
	ctr_engine_free(e);
	standin_stop(&s2);
}
