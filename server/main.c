// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-server: a Prometheus-compatible server (TSDB, scraping, PromQL,
 * HTTP API) on --web.listen-address (default 0.0.0.0:9090).
 *
 *   vigil-server [flags]                        run
 *   vigil-server check config FILE...           validate configs as promtool does
 *   vigil-server tsdb create-blocks-from openmetrics INPUT OUTDIR
 *
 * Configuration: --config.file (default prometheus.yml); when that flag is
 * not given and ./prometheus.yml does not exist, an embedded default
 * configuration scrapes the local vigil-agent (localhost:9100), its
 * container listener (localhost:8080) and the server itself.
 *
 * Start-up order: flags, config, listening socket, TSDB, scraping, HTTP.
 * Anything wrong before serving is one line on stderr and exit code 2
 * ("file:line: problem" for a bad config), with nothing started.  SIGHUP
 * reloads the config (a bad one is rejected and the old one keeps running);
 * SIGINT and SIGTERM stop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fdcache.h"
#include "common/flags.h"
#include "common/httpd.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "common/strutil.h"
#include "server/scrape/check.h"
#include "server/scrape/config.h"
#include "server/scrape/manager.h"
#include "server/server.h"
#include "server/tsdb/tsdb.h"
#include "server/web.h"
#include "version.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct server srv;
static bool config_file_seen;

static const struct flag_def server_flags[] = {
	{"config.file", FLAG_STRING, &srv.opt.config_file, "prometheus.yml",
	 "Prometheus configuration file path.", NULL, &config_file_seen},
	{"web.listen-address", FLAG_STRING, &srv.opt.listen_address, "0.0.0.0:9090",
	 "Address to listen on for UI, API, and telemetry.", NULL, NULL},
	{"web.external-url", FLAG_STRING, &srv.opt.external_url, NULL,
	 "The URL under which Prometheus is externally reachable (its path is the default "
	 "route prefix).",
	 NULL, NULL},
	{"web.route-prefix", FLAG_STRING, &srv.opt.route_prefix, NULL,
	 "Prefix for the internal routes of web endpoints. Defaults to path of "
	 "--web.external-url.",
	 NULL, NULL},
	{"web.enable-lifecycle", FLAG_BOOL, &srv.opt.enable_lifecycle, "false",
	 "Enable shutdown and reload via HTTP request.", NULL, NULL},
	{"web.enable-admin-api", FLAG_BOOL, &srv.opt.enable_admin_api, "false",
	 "Enable API endpoints for admin control actions.", NULL, NULL},
	{"storage.tsdb.path", FLAG_STRING, &srv.opt.storage_path, "data/",
	 "Base path for metrics storage.", NULL, NULL},
	{"storage.tsdb.retention.time", FLAG_DURATION, &srv.opt.retention_time_s, "15d",
	 "How long to retain samples in storage.", NULL, NULL},
	{"storage.tsdb.retention.size", FLAG_BYTES, &srv.opt.retention_size_bytes, "0",
	 "Maximum number of bytes that can be stored for blocks (units: B, KB, MB, GB, TB, PB, "
	 "EB; 0 disables).",
	 NULL, NULL},
	{"query.timeout", FLAG_DURATION, &srv.opt.query_timeout_s, "2m",
	 "Maximum time a query may take before being aborted.", NULL, NULL},
	{"query.max-samples", FLAG_INT, &srv.opt.query_max_samples, "50000000",
	 "Maximum number of samples a single query can load into memory.", NULL, NULL},
	{"query.lookback-delta", FLAG_DURATION, &srv.opt.lookback_delta_s, "5m",
	 "The maximum lookback duration for retrieving metrics during expression evaluations.",
	 NULL, NULL},
	{"query.max-concurrency", FLAG_INT, &srv.opt.query_max_concurrency, "20",
	 "Maximum number of queries executed concurrently.", NULL, NULL},
	{"log.level", FLAG_STRING, &srv.opt.log_level, "info",
	 "Only log messages with the given severity or above. One of: [debug, info, warn, error]",
	 NULL, NULL},
};

static const struct flag_table tables[] = {
	{"Flags", server_flags, NELEM(server_flags)},
};

static _Noreturn void die(const char *fmt, const char *arg)
{
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

/* `check config FILE...`: promtool's output and exit codes. */
static int cmd_check_config(int argc, char **argv)
{
	if (argc < 1) {
		fprintf(stderr, "usage: vigil-server check config FILE...\n");
		return 2;
	}
	return scrape_check_config_report(argv, argc);
}

/* `tsdb create-blocks-from openmetrics INPUT OUTDIR`, as promtool. */
static int cmd_tsdb(int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[0], "create-blocks-from") != 0 ||
	    strcmp(argv[1], "openmetrics") != 0) {
		fprintf(stderr,
			"usage: vigil-server tsdb create-blocks-from openmetrics INPUT OUTDIR\n");
		return 2;
	}
	struct tsdb_backfill_options o = {.max_block_ms = 2 * 3600 * 1000, .quiet = false};
	int rc = tsdb_backfill_openmetrics(argv[2], argv[3], &o);
	if (rc < 0) {
		fprintf(stderr, "create-blocks-from openmetrics: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}

/* The path of --web.external-url, the default route prefix. */
static void route_prefix_default(void)
{
	if (srv.opt.route_prefix && srv.opt.route_prefix[0])
		return;
	const char *u = srv.opt.external_url;
	const char *p = u ? strstr(u, "://") : NULL;
	p = p ? strchr(p + 3, '/') : NULL;
	free(srv.opt.route_prefix);
	srv.opt.route_prefix = xstrdup(p ? p : "/");
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "check") == 0 && strcmp(argv[2], "config") == 0)
		return cmd_check_config(argc - 3, argv + 3);
	if (argc >= 2 && strcmp(argv[1], "tsdb") == 0)
		return cmd_tsdb(argc - 2, argv + 2);

	char err[1024], asked = 0;
	int rc = flags_parse(argc, argv, tables, NELEM(tables), NULL, &asked, err, sizeof(err));
	if (rc < 0)
		die("vigil-server: error: %s, try --help", err);
	if (rc > 0) {
		if (asked == 'v')
			printf("vigil-server, version %s (Prometheus %s compatible)\n",
			       VIGIL_VERSION, WEB_PROMETHEUS_VERSION);
		else
			flags_usage(stdout, "vigil-server",
				    "Vigil server: a Prometheus-compatible server.\n\n"
				    "Also: vigil-server check config FILE...\n"
				    "      vigil-server tsdb create-blocks-from openmetrics INPUT "
				    "OUTDIR",
				    tables, NELEM(tables));
		return 0;
	}
	enum log_level level;
	if (log_parse_level(srv.opt.log_level, &level) < 0)
		die("vigil-server: error: invalid value '%s' for flag --log.level",
		    srv.opt.log_level);
	log_set_level(level);
	route_prefix_default();
	srv.nflag_tables = NELEM(tables);
	srv.flag_tables = tables;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	srv.start_time_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	pthread_rwlock_init(&srv.config_lock, NULL);

	/* the config: the flag, ./prometheus.yml, or the embedded default */
	if (!config_file_seen && access(srv.opt.config_file, F_OK) != 0) {
		free(srv.opt.config_file);
		srv.opt.config_file = xstrdup("");
	}
	struct scrape_config *cfg;
	char *cfg_text;
	if (web_load_config(&srv, &cfg, &cfg_text, err, sizeof(err)) < 0)
		die("%s", err);

	/*
	 * block the signals before the socket opens (a client may connect and
	 * signal us while the WAL replays) and before threads start, so they
	 * inherit the mask; a stop signal during start-up is taken afterwards
	 */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	httpd_set_resolver(httpd_resolve_system);
	int fd = httpd_listen(srv.opt.listen_address, err, sizeof(err));
	if (fd < 0)
		die("vigil-server: error: %s", err);

	/*
	 * Kept-alive connections to every target, TSDB blocks and WAL
	 * segments: raise the soft descriptor limit to the hard one, as
	 * Prometheus (a Go program) does at start.
	 */
	fdcache_raise_limit();
	struct tsdb_options to;
	tsdb_options_default(&to);
	to.path = srv.opt.storage_path;
	to.retention_ms = (int64_t)(srv.opt.retention_time_s * 1000.0);
	to.retention_bytes = (uint64_t)srv.opt.retention_size_bytes;
	rc = tsdb_open(&to, &srv.db);
	if (rc < 0) {
		fprintf(stderr, "vigil-server: error: opening storage %s: %s\n", to.path,
			strerror(-rc));
		close(fd);
		return 2;
	}

	log_info("Starting vigil-server\tversion=%s", VIGIL_VERSION);
	srv.scrape = scrape_manager_new(srv.db, 2);
	if (!srv.scrape) {
		tsdb_close(srv.db);
		close(fd);
		return 1;
	}
	web_set_config(&srv, cfg, cfg_text);
	struct httpd *web = httpd_start(fd, 0, 1 << 20, web_handle, &srv);
	if (!web) {
		scrape_manager_free(srv.scrape);
		tsdb_close(srv.db);
		return 1;
	}
	srv.ready = true;
	log_info("Server is ready to receive web requests.\taddress=%s", srv.opt.listen_address);
	/* Type=notify: systemd learns we serve; the watchdog pings while we run */
	sdnotify_ready();
	sdnotify_watchdog_start(NULL, NULL);

	for (;;) {
		int sig = 0;
		sigwait(&sigs, &sig);
		if (sig == SIGHUP) {
			sdnotify_reloading();
			web_reload(&srv, err, sizeof(err));
			/* ready again whatever the outcome: a bad config keeps the old one */
			sdnotify_ready();
			continue;
		}
		log_info("Received signal, exiting gracefully...\tsignal=%s", strsignal(sig));
		break;
	}
	sdnotify_stopping();
	sdnotify_watchdog_stop();
	srv.ready = false;
	httpd_stop(web);
	scrape_manager_free(srv.scrape);
	tsdb_close(srv.db);
	free(srv.config_yaml);
	pthread_rwlock_destroy(&srv.config_lock);
	flags_free(tables, NELEM(tables));
	return 0;
}
