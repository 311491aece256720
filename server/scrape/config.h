/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigil-server's configuration: a Prometheus prometheus.yml, parsed with
 * libyaml into the structs below with Prometheus 2.42's defaults and
 * validation (config/config.go, model/relabel, discovery/file,
 * prometheus/common's HTTP client config, read for semantics).
 *
 * The file format is YAML.  Top level: global, scrape_configs, rule_files,
 * alerting, remote_write, remote_read, storage, tracing.  global,
 * scrape_configs and rule_files are interpreted; alerting, remote_write,
 * remote_read, storage and tracing are validated as Prometheus validates
 * them (keys, types, required fields, HTTP client rules) but only the remote
 * URLs and the number of Alertmanagers are kept for now.  Service discovery
 * other than static_configs and file_sd_configs is accepted with a warning
 * and ignored.  Scalars are typed as gopkg.in/yaml.v2 types them (YAML 1.1
 * booleans, floats truncated into integers); anchors, aliases and merge keys
 * (<<: *defaults) work.  Regexes must be valid RE2 (Go) syntax.
 *
 * Strictness: an unknown key, a duplicate key or a value of the wrong type is
 * an error; every error is one line "FILE:LINE: message", LINE being the
 * line libyaml reports for the offending node, e.g.
 *   prometheus.yml:12: unknown key "scrape_intervall" in scrape_config
 * Messages reuse Prometheus's wording where Prometheus has one.
 *
 * Durations are kept in milliseconds (Prometheus's model.Duration has
 * millisecond resolution).  Relative file names (rule files, file_sd files,
 * credential and TLS files) are resolved against the config file's
 * directory, as Prometheus does.
 *
 * Ownership: a struct scrape_config owns every string, array and compiled
 * regex under it; scrape_config_free() releases the whole tree.
 */
#ifndef VIGIL_SCRAPE_CONFIG_H
#define VIGIL_SCRAPE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strutil.h"
#include "server/scrape/labels.h"
#include "server/scrape/relabel.h"

/* A group of targets sharing labels (static_configs entry or file_sd entry). */
struct scrape_target_group {
	struct strlist targets; /* __address__ of each target */
	struct lset labels;
	char *source; /* "0", "1", ... for static; "FILE:INDEX" for file_sd */
};

struct scrape_file_sd {
	struct strlist files;	     /* patterns, resolved against the config directory */
	int64_t refresh_interval_ms; /* default 5m */
};

struct scrape_param {
	char *name;
	struct strlist values;
};

struct scrape_tls {
	char *ca_file, *cert_file, *key_file, *server_name;
	bool insecure_skip_verify;
	char *min_version, *max_version; /* "TLS10".."TLS13" or NULL */
};

struct scrape_http_client {
	bool has_basic_auth;
	char *basic_auth_username, *basic_auth_password, *basic_auth_password_file;
	/* bearer_token(_file) are folded into authorization, as Prometheus does */
	bool has_authorization;
	char *authorization_type; /* "Bearer" by default */
	char *authorization_credentials, *authorization_credentials_file;
	bool has_oauth2; /* accepted and validated, not acted on */
	char *proxy_url;
	struct scrape_tls tls;
	bool follow_redirects; /* default true */
	bool enable_http2;     /* default true */
};

/* One scrape_configs entry with the global defaults already applied. */
struct scrape_job {
	char *job_name;
	bool honor_labels;
	bool honor_timestamps; /* default true */
	struct scrape_param *params;
	size_t n_params;
	int64_t scrape_interval_ms;
	int64_t scrape_timeout_ms;
	char *metrics_path;	  /* default "/metrics" */
	char *scheme;		  /* default "http" */
	uint64_t body_size_limit; /* bytes, 0 = none */
	uint64_t sample_limit, target_limit, label_limit;
	uint64_t label_name_length_limit, label_value_length_limit;
	struct scrape_http_client http;
	struct scrape_target_group *static_configs;
	size_t n_static_configs;
	struct scrape_file_sd *file_sd_configs;
	size_t n_file_sd_configs;
	struct relabel_rule *relabel_configs;
	size_t n_relabel_configs;
	struct relabel_rule *metric_relabel_configs;
	size_t n_metric_relabel_configs;
	int line;	   /* where the entry starts in the file */
	char *fingerprint; /* canonical form of the entry's YAML, for scrape_job_equal() */
};

struct scrape_config {
	char *path; /* the file it was loaded from */
	struct {
		int64_t scrape_interval_ms;	/* default 1m */
		int64_t scrape_timeout_ms;	/* default 10s */
		int64_t evaluation_interval_ms; /* default 1m */
		char *query_log_file;
		struct lset external_labels;
	} global;
	struct strlist rule_files;
	struct scrape_job *jobs;
	size_t n_jobs;
	/* sections kept for later modules, not acted on yet */
	struct strlist remote_write_urls;
	struct strlist remote_read_urls;
	size_t n_alertmanagers;
};

/*
 * Load and validate the config file at path.  On success *out is a new
 * config (free with scrape_config_free()); on failure returns a negative
 * errno and writes one line "FILE:LINE: message" (or "FILE: message") to err.
 */
int scrape_config_load_file(const char *path, struct scrape_config **out, char *err, size_t errlen);
/* Same from text in memory; name stands for the file in messages and relative paths. */
int scrape_config_load_string(const char *text, size_t len, const char *name,
			      struct scrape_config **out, char *err, size_t errlen);
/* Free a config and everything it owns; NULL is fine. */
void scrape_config_free(struct scrape_config *cfg);

/*
 * Reload: load path into a separate config and, only if it is valid, swap it
 * into *current and free the old one.  On failure *current is untouched (the
 * running config keeps working) and err says why.
 */
int scrape_config_reload(const char *path, struct scrape_config **current, char *err,
			 size_t errlen);

/*
 * True when two jobs (typically from the old and the new config of a reload)
 * are configured identically, including the intervals they inherit, so
 * their scrape loops can keep running, as Prometheus keeps a scrape pool
 * whose config is deep-equal.
 */
bool scrape_job_equal(const struct scrape_job *a, const struct scrape_job *b);

/*
 * Prometheus's --enable-feature=expand-external-labels: replace $NAME and
 * ${NAME} in external label values with environment variables, as Go's
 * os.Expand ($$ stays "$", unset variables give "" with a warning).
 */
void scrape_config_expand_external_labels(struct scrape_config *cfg);

/* The job named name, or NULL. */
const struct scrape_job *scrape_config_job(const struct scrape_config *cfg, const char *name);

/* Parse a duration as Prometheus's model.ParseDuration ("1h30m", "15s", "0"); 0 or -EINVAL. */
int scrape_duration_parse(const char *s, int64_t *ms);

/*
 * Parse a file_sd YAML file's content (a list of {targets, labels}) strictly.
 * On success *groups is a new array of *n groups (free each with
 * scrape_target_group_free() and the array with free()).  Errors as above.
 */
int scrape_target_groups_parse_yaml(const char *text, size_t len, const char *name,
				    struct scrape_target_group **groups, size_t *n, char *err,
				    size_t errlen);
void scrape_target_group_free(struct scrape_target_group *g);

#endif
