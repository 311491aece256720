// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-server's HTTP routing and the lifecycle endpoints: see web.h.
 * Texts and JSON shapes follow Prometheus 2.42's web/web.go and
 * web/api/v1/api.go (read for semantics).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/expo.h"
#include "common/flags.h"
#include "common/json.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/procself.h"
#include "common/strutil.h"
#include "server/scrape/config.h"
#include "server/scrape/manager.h"
#include "server/server.h"
#include "server/tsdb/tsdb.h"
#include "server/web.h"
#include "version.h"
#ifdef VIGIL_HAVE_API_V1
#include "server/api/api.h"
#endif

#define JSON_TYPE    "application/json"
#define TEXT_TYPE    "text/plain; charset=utf-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

static pthread_mutex_t reload_mu = PTHREAD_MUTEX_INITIALIZER;

char *web_default_config(const char *listen_address)
{
	const char *colon = strrchr(listen_address, ':');
	const char *port = colon && colon[1] ? colon + 1 : "9090";
	struct buf b = BUF_INIT;
	buf_printf(&b,
		   "# vigil-server's embedded default configuration (no --config.file given\n"
		   "# and no ./prometheus.yml): the agent, its container listener and the server.\n"
		   "global:\n"
		   "  scrape_interval: 15s\n"
		   "  evaluation_interval: 15s\n"
		   "scrape_configs:\n"
		   "  - job_name: vigil-agent\n"
		   "    static_configs:\n"
		   "      - targets: ['localhost:9100']\n"
		   "  - job_name: vigil-containers\n"
		   "    static_configs:\n"
		   "      - targets: ['localhost:8080']\n"
		   "  - job_name: vigil-server\n"
		   "    static_configs:\n"
		   "      - targets: ['localhost:%s']\n",
		   port);
	return buf_detach(&b, NULL);
}

/* Read a whole file (NUL-terminated); NULL on failure. */
static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	int rc = read_file_buf(path, &b);
	if (rc < 0) {
		log_warn_code(rc, "read %s", path);
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void web_set_config(struct server *srv, struct scrape_config *cfg, char *text)
{
	pthread_rwlock_wrlock(&srv->config_lock);
	free(srv->config_yaml);
	srv->config_yaml = text ? text : xstrdup("");
	srv->config = cfg;
	srv->config_loaded_ms = wall_ms();
	srv->config_reload_ok = true;
	scrape_manager_apply(srv->scrape, cfg); /* takes ownership */
	pthread_rwlock_unlock(&srv->config_lock);
	log_info("Completed loading of configuration file\tfilename=%s",
		 srv->opt.config_file && srv->opt.config_file[0] ? srv->opt.config_file
								 : "(embedded default)");
}

int web_load_config(const struct server *srv, struct scrape_config **cfg, char **text, char *err,
		    size_t errlen)
{
	const char *file = srv->opt.config_file;
	*cfg = NULL;
	*text = NULL;
	if (file && file[0]) {
		int rc = scrape_config_load_file(file, cfg, err, errlen);
		if (rc == 0)
			*text = slurp(file);
		return rc;
	}
	*text = web_default_config(srv->opt.listen_address);
	return scrape_config_load_string(*text, strlen(*text), "embedded default config", cfg, err,
					 errlen);
}

int web_reload(struct server *srv, char *err, size_t errlen)
{
	struct scrape_config *cfg;
	char *text;
	pthread_mutex_lock(&reload_mu);
	int rc = web_load_config(srv, &cfg, &text, err, errlen);
	if (rc < 0) {
		log_error("Error reloading config\terr=\"%s\"", err);
		pthread_rwlock_wrlock(&srv->config_lock);
		srv->config_reload_ok = false;
		pthread_rwlock_unlock(&srv->config_lock);
		free(text);
		goto out;
	}
	web_set_config(srv, cfg, text);
out:
	pthread_mutex_unlock(&reload_mu);
	return rc;
}

/* ---- helpers ---- */

static void text_answer(struct http_response *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = TEXT_TYPE;
	buf_puts(&resp->body, text);
}

static void api_error(struct http_response *resp, int status, const char *type, const char *msg)
{
	struct json j;
	resp->status = status;
	resp->content_type = JSON_TYPE;
	json_init(&j, &resp->body);
	json_obj(&j);
	json_key(&j, "status");
	json_str(&j, "error");
	json_key(&j, "errorType");
	json_str(&j, type);
	json_key(&j, "error");
	json_str(&j, msg);
	json_end(&j);
}

/* Start {"status":"success","data": ...; the caller writes data and calls json_end twice... once.
 */
static void api_begin(struct http_response *resp, struct json *j)
{
	resp->content_type = JSON_TYPE;
	json_init(j, &resp->body);
	json_obj(j);
	json_key(j, "status");
	json_str(j, "success");
	json_key(j, "data");
}

static bool is_post_or_put(const struct http_request *req)
{
	return strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0;
}

static bool is_get(const struct http_request *req)
{
	return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

/* Go's time.Time JSON form in UTC from milliseconds. */
static void json_time_rfc3339(struct json *j, int64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
	json_rfc3339(j, &ts);
}

/* ---- /metrics ---- */

static void handle_metrics(struct server *srv, struct http_response *resp)
{
	struct expo_set *set = expo_set_new();
	procself_collect(set);
	if (srv->db)
		tsdb_add_metrics(srv->db, set);
	if (srv->scrape)
		scrape_manager_add_metrics(srv->scrape, set);
	expo_addl(expo_family(set, "prometheus_build_info",
			      "A metric with a constant '1' value labeled by version, revision, "
			      "branch, goversion from which prometheus was built, and the goos and "
			      "goarch for the build.",
			      EXPO_GAUGE),
		  1, "branch", "vigil", "goversion", "none", "revision", VIGIL_VERSION, "version",
		  WEB_PROMETHEUS_VERSION, NULL);
	pthread_rwlock_rdlock(&srv->config_lock);
	double ok = srv->config_reload_ok ? 1 : 0;
	double last = (double)srv->config_loaded_ms / 1000.0;
	pthread_rwlock_unlock(&srv->config_lock);
	expo_addl(expo_family(set, "prometheus_config_last_reload_successful",
			      "Whether the last configuration reload attempt was successful.",
			      EXPO_GAUGE),
		  ok, NULL);
	expo_addl(expo_family(set, "prometheus_config_last_reload_success_timestamp_seconds",
			      "Timestamp of the last successful configuration reload.", EXPO_GAUGE),
		  last, NULL);
	expo_addl(expo_family(set, "prometheus_ready",
			      "Whether Prometheus startup was fully completed and the server is "
			      "ready for normal operation.",
			      EXPO_GAUGE),
		  srv->ready ? 1 : 0, NULL);
	resp->content_type = METRICS_TYPE;
	expo_set_render(set, &resp->body);
	expo_set_free(set);
}

/* ---- /api/v1/status/... ---- */

static void flag_value(const struct flag_def *d, struct buf *out)
{
	switch (d->kind) {
	case FLAG_BOOL:
		buf_puts(out, *(bool *)d->dst ? "true" : "false");
		break;
	case FLAG_STRING: {
		const char *s = *(char **)d->dst;
		buf_puts(out, s ? s : "");
		break;
	}
	case FLAG_STRLIST: {
		const struct strlist *l = d->dst;
		for (size_t i = 0; i < l->n; i++) {
			if (i)
				buf_putc(out, ',');
			buf_puts(out, l->items[i]);
		}
		break;
	}
	case FLAG_DURATION: {
		char dur[32];
		duration_format((int64_t)llround(*(double *)d->dst * 1000.0), dur,
				       sizeof(dur));
		buf_puts(out, dur);
		break;
	}
	case FLAG_INT:
		buf_printf(out, "%ld", *(long *)d->dst);
		break;
	case FLAG_BYTES:
		buf_printf(out, "%.0fB", *(double *)d->dst);
		break;
	}
}

static void handle_status(struct server *srv, const char *what, struct http_response *resp)
{
	struct json j;
	if (strcmp(what, "config") == 0) {
		api_begin(resp, &j);
		json_obj(&j);
		json_key(&j, "yaml");
		pthread_rwlock_rdlock(&srv->config_lock);
		json_str(&j, srv->config_yaml ? srv->config_yaml : "");
		pthread_rwlock_unlock(&srv->config_lock);
		json_end(&j);
	} else if (strcmp(what, "flags") == 0) {
		/* a Go map: keys sorted */
		size_t n = 0;
		for (size_t t = 0; t < srv->nflag_tables; t++)
			n += srv->flag_tables[t].n;
		const struct flag_def **defs = xcalloc(n + 1, sizeof(*defs));
		n = 0;
		for (size_t t = 0; t < srv->nflag_tables; t++)
			for (size_t i = 0; i < srv->flag_tables[t].n; i++)
				defs[n++] = &srv->flag_tables[t].defs[i];
		for (size_t a = 1; a < n; a++)
			for (size_t b = a; b > 0 && strcmp(defs[b - 1]->name, defs[b]->name) > 0;
			     b--) {
				const struct flag_def *tmp = defs[b];
				defs[b] = defs[b - 1];
				defs[b - 1] = tmp;
			}
		api_begin(resp, &j);
		json_obj(&j);
		struct buf v = BUF_INIT;
		for (size_t i = 0; i < n; i++) {
			buf_reset(&v);
			buf_puts(&v, "");
			flag_value(defs[i], &v);
			json_key(&j, defs[i]->name);
			json_str(&j, v.data);
		}
		buf_free(&v);
		json_end(&j);
		free(defs);
	} else if (strcmp(what, "runtimeinfo") == 0) {
		char cwd[4096] = "";
		if (!getcwd(cwd, sizeof(cwd)))
			cwd[0] = '\0';
		api_begin(resp, &j);
		json_obj(&j);
		json_key(&j, "startTime");
		json_time_rfc3339(&j, srv->start_time_ms);
		json_key(&j, "CWD");
		json_str(&j, cwd);
		pthread_rwlock_rdlock(&srv->config_lock);
		json_key(&j, "reloadConfigSuccess");
		json_bool(&j, srv->config_reload_ok);
		json_key(&j, "lastConfigTime");
		json_time_rfc3339(&j, srv->config_loaded_ms);
		pthread_rwlock_unlock(&srv->config_lock);
		json_key(&j, "corruptionCount");
		json_int(&j, 0);
		json_key(&j, "goroutineCount");
		json_int(&j, 0);
		json_key(&j, "GOMAXPROCS");
		json_int(&j, sysconf(_SC_NPROCESSORS_ONLN));
		json_key(&j, "GOGC");
		json_str(&j, "");
		json_key(&j, "GODEBUG");
		json_str(&j, "");
		json_key(&j, "storageRetention");
		struct buf r = BUF_INIT;
		char dur[32];
		if (srv->opt.retention_time_s > 0) {
			duration_format((int64_t)llround(srv->opt.retention_time_s * 1000.0),
					       dur, sizeof(dur));
			buf_puts(&r, dur);
		}
		if (srv->opt.retention_size_bytes > 0)
			buf_printf(&r, "%s%.0fB", r.len ? " or " : "",
				   srv->opt.retention_size_bytes);
		json_str(&j, r.len ? r.data : "15d");
		buf_free(&r);
		json_end(&j);
	} else if (strcmp(what, "buildinfo") == 0) {
		api_begin(resp, &j);
		json_obj(&j);
		json_key(&j, "version");
		json_str(&j, WEB_PROMETHEUS_VERSION);
		json_key(&j, "revision");
		json_str(&j, "vigil-" VIGIL_VERSION);
		json_key(&j, "branch");
		json_str(&j, "vigil");
		json_key(&j, "buildUser");
		json_str(&j, "vigil");
		json_key(&j, "buildDate");
		json_str(&j, __DATE__);
		json_key(&j, "goVersion");
		json_str(&j, "none (C11, vigil-server " VIGIL_VERSION ")");
		json_end(&j);
	} else {
		api_error(resp, 404, "not_found", "unknown status endpoint");
		return;
	}
	json_end(&j);
}

/* ---- routing ---- */

static void handle_lifecycle(struct server *srv, const struct http_request *req,
			     struct http_response *resp, bool quit)
{
	if (!is_post_or_put(req)) {
		text_answer(resp, 405, "Only POST or PUT requests allowed");
		return;
	}
	if (!srv->opt.enable_lifecycle) {
		text_answer(resp, 403, "Lifecycle API is not enabled.");
		return;
	}
	if (quit) {
		text_answer(resp, 200, "Requesting termination... Goodbye!");
		kill(getpid(), SIGTERM);
		return;
	}
	char err[1024];
	if (web_reload(srv, err, sizeof(err)) < 0) {
		resp->status = 500;
		resp->content_type = TEXT_TYPE;
		buf_printf(&resp->body, "failed to reload config: %s\n", err);
	}
}

/* The path without the route prefix, or NULL when it is outside it. */
static const char *strip_prefix(const struct server *srv, const char *url)
{
	const char *p = srv->opt.route_prefix;
	if (!p || !p[0] || strcmp(p, "/") == 0)
		return url;
	size_t n = strlen(p);
	while (n && p[n - 1] == '/')
		n--;
	if (strncmp(url, p, n) != 0 || (url[n] && url[n] != '/'))
		return NULL;
	return url[n] ? url + n : "/";
}

void web_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct server *srv = ctx;
	const char *path = strip_prefix(srv, req->url);
	if (!path) {
		text_answer(resp, 404, "404 page not found\n");
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		handle_metrics(srv, resp);
	} else if (strcmp(path, "/-/healthy") == 0) {
		text_answer(resp, 200, "Prometheus Server is Healthy.\n");
	} else if (strcmp(path, "/-/ready") == 0) {
		if (srv->ready)
			text_answer(resp, 200, "Prometheus Server is Ready.\n");
		else
			text_answer(resp, 503, "Service Unavailable");
	} else if (strcmp(path, "/-/reload") == 0) {
		handle_lifecycle(srv, req, resp, false);
	} else if (strcmp(path, "/-/quit") == 0) {
		handle_lifecycle(srv, req, resp, true);
	} else if (strcmp(path, "/api/v1/targets") == 0) {
		if (!is_get(req)) {
			text_answer(resp, 405, "Method Not Allowed");
			return;
		}
		struct json j;
		api_begin(resp, &j);
		scrape_manager_targets_json(srv->scrape, &j, http_query_arg(req, "state"));
		json_end(&j);
	} else if (strncmp(path, "/api/v1/status/", 15) == 0 &&
		   (strcmp(path + 15, "config") == 0 || strcmp(path + 15, "flags") == 0 ||
		    strcmp(path + 15, "runtimeinfo") == 0 || strcmp(path + 15, "buildinfo") == 0)) {
		if (!is_get(req)) {
			text_answer(resp, 405, "Method Not Allowed");
			return;
		}
		handle_status(srv, path + 15, resp);
	} else if (strncmp(path, "/api/v1/", 8) == 0 || strcmp(path, "/api/v1") == 0) {
#ifdef VIGIL_HAVE_API_V1
		struct http_request sub = *req;
		sub.url = path;
		api_v1_handle(srv, &sub, resp);
#else
		text_answer(resp, 404, "404 page not found\n");
#endif
	} else if (strcmp(path, "/") == 0) {
		resp->content_type = "text/html; charset=utf-8";
		buf_puts(&resp->body,
			 "<html>\n<head><title>Vigil Server</title></head>\n<body>\n"
			 "<h1>Vigil Server</h1>\n<p>A Prometheus-compatible server.</p>\n<ul>"
			 "<li><a href=\"api/v1/targets\">Targets</a></li>"
			 "<li><a href=\"metrics\">Metrics</a></li></ul>\n</body>\n</html>\n");
	} else {
		text_answer(resp, 404, "404 page not found\n");
	}
}
