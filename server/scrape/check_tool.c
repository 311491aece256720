// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-scrape-check: a stand-alone `check config` for tests and for the
 * promtool differential check.
 *
 *   vigil-scrape-check FILE...            check each file, printing as promtool
 *                                          does ("Checking FILE", " SUCCESS: ..."
 *                                          or "  FAILED: ..."); exit 0 when all
 *                                          are valid, 1 otherwise
 *   vigil-scrape-check --targets FILE     print the targets of every job (static
 *                                          and file SD) as JSON in the shape of
 *                                          Prometheus's /api/v1/targets data:
 *                                          {"activeTargets": [{"scrapePool",
 *                                          "discoveredLabels", "labels",
 *                                          "scrapeUrl"}], "droppedTargets":
 *                                          [{"discoveredLabels"}]}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "server/scrape/check.h"
#include "server/scrape/config.h"
#include "server/scrape/targets.h"

static void labels_json(struct json *j, const char *key, const struct lset *ls, bool public_only)
{
	json_key(j, key);
	json_obj(j);
	for (size_t i = 0; i < ls->n; i++) {
		if (public_only && !strncmp(ls->v[i].name, "__", 2))
			continue;
		json_key(j, ls->v[i].name);
		json_str(j, ls->v[i].value);
	}
	json_end(j);
}

static int dump_targets(const char *path)
{
	struct scrape_config *cfg = NULL;
	char err[1024];
	if (scrape_config_load_file(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* the two lists are written side by side, then joined */
	struct buf active_buf = BUF_INIT, dropped_buf = BUF_INIT, out = BUF_INIT;
	struct json active, dropped, root;
	json_init(&active, &active_buf);
	json_init(&dropped, &dropped_buf);
	json_arr(&active);
	json_arr(&dropped);
	for (size_t j = 0; j < cfg->n_jobs; j++) {
		const struct scrape_job *job = &cfg->jobs[j];
		struct file_sd *sds = calloc(job->n_file_sd_configs + 1, sizeof(*sds));
		struct scrape_target_group *all = NULL;
		size_t n_all = 0;
		for (size_t f = 0; f < job->n_file_sd_configs; f++) {
			bool changed;
			struct scrape_target_group *g;
			file_sd_init(&sds[f], &job->file_sd_configs[f]);
			file_sd_poll(&sds[f], 0, &changed);
			size_t n = file_sd_groups(&sds[f], &g);
			all = realloc(all, (n_all + n + 1) * sizeof(*all));
			memcpy(all + n_all, g, n * sizeof(*g));
			n_all += n;
			free(g);
		}
		struct scrape_targets ts = {0};
		scrape_targets_build(job, all, n_all, &ts, err, sizeof(err));
		for (size_t i = 0; i < ts.n; i++) {
			struct json *t = ts.v[i].dropped ? &dropped : &active;
			json_obj(t);
			labels_json(t, "discoveredLabels", &ts.v[i].discovered, false);
			if (!ts.v[i].dropped) {
				json_key(t, "scrapePool");
				json_str(t, job->job_name);
				labels_json(t, "labels", &ts.v[i].labels, true);
				json_key(t, "scrapeUrl");
				json_str(t, ts.v[i].url);
			}
			json_end(t);
		}
		scrape_targets_free(&ts);
		for (size_t f = 0; f < job->n_file_sd_configs; f++)
			file_sd_free(&sds[f]);
		free(sds);
		free(all);
	}
	json_end(&active);
	json_end(&dropped);
	json_init(&root, &out);
	json_obj(&root);
	json_key(&root, "activeTargets");
	json_raw(&root, active_buf.data);
	json_key(&root, "droppedTargets");
	json_raw(&root, dropped_buf.data);
	json_end(&root);
	printf("%s\n", out.data);
	buf_free(&active_buf);
	buf_free(&dropped_buf);
	buf_free(&out);
	scrape_config_free(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE... | --targets FILE\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "--targets"))
		return argc == 3 ? dump_targets(argv[2]) : 2;
	return scrape_check_config_report(argv + 1, argc - 1);
}
