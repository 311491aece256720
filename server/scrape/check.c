// SPDX-License-Identifier: Apache-2.0
/*
 * Config checking beyond loading, after promtool's checkConfig (2.42):
 * file existence and target population.  See check.h.
 */
#include "server/scrape/check.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/pfile.h"
#include "server/scrape/config.h"
#include "server/scrape/targets.h"

static int check_exists(const char *what, const char *file, char *err, size_t errlen)
{
	struct stat st;
	if (!file || !*file || stat(file, &st) == 0)
		return 0;
	int rc = -errno;
	snprintf(err, errlen, "error checking %s \"%s\": %s", what, file, strerror(-rc));
	return rc;
}

/* Populate every target of n groups; the first failure is the error. */
static int check_groups(const struct scrape_job *job, const struct scrape_target_group *g, size_t n,
			char *err, size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct scrape_targets ts = {0};
		rc = scrape_targets_from_group(job, &g[i], &ts, err, errlen);
		scrape_targets_free(&ts);
	}
	return rc;
}

static int check_file_sd(const struct scrape_job *job, const char *pattern, struct buf *warnings,
			 char *err, size_t errlen)
{
	glob_t gl;
	int rc = 0;
	memset(&gl, 0, sizeof(gl));
	int g = glob(pattern, 0, NULL, &gl);
	if (g != 0 || gl.gl_pathc == 0) {
		if (warnings)
			buf_printf(warnings,
				   "WARNING: file \"%s\" for file_sd in scrape job \"%s\" does not "
				   "exist\n",
				   pattern, job->job_name);
		goto out;
	}
	for (size_t i = 0; i < gl.gl_pathc && rc == 0; i++) {
		struct buf text = BUF_INIT;
		struct scrape_target_group *groups = NULL;
		size_t n = 0;
		char why[768];
		rc = read_file_buf(gl.gl_pathv[i], &text);
		if (rc < 0) {
			snprintf(err, errlen, "checking SD file \"%s\": %s", pattern,
				 strerror(-rc));
		} else {
			rc = scrape_file_sd_parse(gl.gl_pathv[i], text.data ? text.data : "",
						  text.len, &groups, &n, why, sizeof(why));
			if (rc < 0)
				snprintf(err, errlen, "checking SD file \"%s\": %s", pattern, why);
			else
				rc = check_groups(job, groups, n, err, errlen);
		}
		scrape_target_groups_free(groups, n);
		buf_free(&text);
	}
out:
	globfree(&gl);
	return rc;
}

static int check_job(const struct scrape_job *j, struct buf *warnings, char *err, size_t errlen)
{
	const struct scrape_tls *tls = &j->http.tls;
	int rc = 0;
	if (j->http.has_authorization) {
		rc = check_exists("authorization credentials or bearer token file",
				  j->http.authorization_credentials_file, err, errlen);
		if (rc < 0)
			return rc;
	}
	bool cert = tls->cert_file && *tls->cert_file, key = tls->key_file && *tls->key_file;
	if (cert && !key) {
		snprintf(err, errlen, "client cert file \"%s\" specified without client key file",
			 tls->cert_file);
		return -EINVAL;
	}
	if (key && !cert) {
		snprintf(err, errlen, "client key file \"%s\" specified without client cert file",
			 tls->key_file);
		return -EINVAL;
	}
	rc = check_exists("client cert file", tls->cert_file, err, errlen);
	if (rc == 0)
		rc = check_exists("client key file", tls->key_file, err, errlen);
	for (size_t f = 0; rc == 0 && f < j->n_file_sd_configs; f++)
		for (size_t i = 0; rc == 0 && i < j->file_sd_configs[f].files.n; i++)
			rc = check_file_sd(j, j->file_sd_configs[f].files.items[i], warnings, err,
					   errlen);
	if (rc == 0)
		rc = check_groups(j, j->static_configs, j->n_static_configs, err, errlen);
	return rc;
}

int scrape_check_config(const char *path, struct buf *warnings, char *err, size_t errlen)
{
	struct scrape_config *cfg = NULL;
	int rc = scrape_config_load_file(path, &cfg, err, errlen);
	if (rc < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < cfg->rule_files.n; i++) {
		const char *rf = cfg->rule_files.items[i];
		if (strchr(rf, '*'))
			continue;
		struct stat st;
		if (stat(rf, &st) < 0) {
			snprintf(err, errlen, "\"%s\" does not point to an existing file", rf);
			rc = -ENOENT;
		}
	}
	for (size_t i = 0; rc == 0 && i < cfg->n_jobs; i++)
		rc = check_job(&cfg->jobs[i], warnings, err, errlen);
	scrape_config_free(cfg);
	return rc < 0 ? rc : 0;
}

int scrape_check_config_report(char **paths, int n)
{
	int status = 0;
	for (int i = 0; i < n; i++) {
		struct buf warnings = BUF_INIT;
		char err[1024];
		printf("Checking %s\n", paths[i]);
		if (scrape_check_config(paths[i], &warnings, err, sizeof(err)) < 0) {
			printf("  FAILED: %s\n\n", err);
			status = 1;
		} else {
			if (warnings.len)
				printf("  %s", warnings.data);
			printf(" SUCCESS: %s is valid prometheus config file syntax\n\n", paths[i]);
		}
		buf_free(&warnings);
	}
	return status;
}
