/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the parts of vigil-server share: the parsed command-line options, the
 * open TSDB, the scrape manager, and the loaded configuration.  main.c owns
 * the one struct server; the web layer, the query API and the scrape
 * manager get a pointer to it and never free what it holds.
 *
 * Threads: options are read-only after start.  The configuration can be
 * replaced by a reload: readers take config_lock for reading while they
 * use config_yaml/config; a reload takes it for writing to swap them.
 */
#ifndef VIGIL_SERVER_SERVER_H
#define VIGIL_SERVER_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flag_table;
struct tsdb;
struct scrape_manager;
struct scrape_config;

/* Options with Prometheus's flag names (see server/main.c for the table). */
struct server_options {
	char *config_file;	     /* --config.file */
	char *listen_address;	     /* --web.listen-address */
	char *external_url;	     /* --web.external-url */
	char *route_prefix;	     /* --web.route-prefix */
	bool enable_lifecycle;	     /* --web.enable-lifecycle */
	bool enable_admin_api;	     /* --web.enable-admin-api */
	char *storage_path;	     /* --storage.tsdb.path */
	double retention_time_s;     /* --storage.tsdb.retention.time */
	double retention_size_bytes; /* --storage.tsdb.retention.size */
	double query_timeout_s;	     /* --query.timeout */
	long query_max_samples;	     /* --query.max-samples */
	double lookback_delta_s;     /* --query.lookback-delta */
	long query_max_concurrency;  /* --query.max-concurrency */
	char *log_level;	     /* --log.level */
};

struct server {
	struct server_options opt;
	int64_t start_time_ms;
	/* every flag table, for /api/v1/status/flags */
	const struct flag_table *flag_tables;
	size_t nflag_tables;

	struct tsdb *db;
	struct scrape_manager *scrape;

	pthread_rwlock_t config_lock;
	struct scrape_config *config; /* the running configuration */
	char *config_yaml;	      /* its text, for /api/v1/status/config */
	int64_t config_loaded_ms;     /* last successful (re)load */
	bool config_reload_ok;	      /* outcome of the last reload attempt */

	atomic_bool ready; /* set once the TSDB is open and scraping has started; read by HTTP threads */
};

#endif
