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
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "server/scrape/check.h"
#include "server/scrape/config.h"
#include "server/scrape/targets.h"

static cJSON *labels_json(const struct lset *ls, bool public_only)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < ls->n; i++)
		if (!public_only || strncmp(ls->v[i].name, "__", 2))
			cJSON_AddStringToObject(o, ls->v[i].name, ls->v[i].value);
	return o;
}

static int dump_targets(const char *path)
{
	struct scrape_config *cfg = NULL;
	char err[1024];
	if (scrape_config_load_file(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cJSON *root = cJSON_CreateObject();
	cJSON *active = cJSON_AddArrayToObject(root, "activeTargets");
	cJSON *dropped = cJSON_AddArrayToObject(root, "droppedTargets");
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
			cJSON *t = cJSON_CreateObject();
			cJSON_AddItemToObject(t, "discoveredLabels",
					      labels_json(&ts.v[i].discovered, false));
			if (ts.v[i].dropped) {
				cJSON_AddItemToArray(dropped, t);
				continue;
			}
			cJSON_AddStringToObject(t, "scrapePool", job->job_name);
			cJSON_AddItemToObject(t, "labels", labels_json(&ts.v[i].labels, true));
			cJSON_AddStringToObject(t, "scrapeUrl", ts.v[i].url);
			cJSON_AddItemToArray(active, t);
		}
		scrape_targets_free(&ts);
		for (size_t f = 0; f < job->n_file_sd_configs; f++)
			file_sd_free(&sds[f]);
		free(sds);
		free(all);
	}
	char *out = cJSON_Print(root);
	printf("%s\n", out);
	free(out);
	cJSON_Delete(root);
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
