/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigil-server's HTTP routing, as Prometheus 2.42's web package answers:
 *   /metrics                 self metrics (process_*, prometheus_tsdb_*,
 *                            prometheus_target_*, prometheus_config_*)
 *   /-/healthy, /-/ready     "Prometheus Server is Healthy." / "... Ready."
 *   /-/reload, /-/quit       POST or PUT, only with --web.enable-lifecycle
 *                            (else 403 "Lifecycle API is not enabled.")
 *   /api/v1/targets          active and dropped targets (state= filter)
 *   /api/v1/status/config|flags|runtimeinfo|buildinfo
 *   /api/v1/...              everything else: the query API (api.h)
 * A --web.route-prefix (or the path of --web.external-url) is stripped
 * first.
 */
#ifndef VIGIL_SERVER_WEB_H
#define VIGIL_SERVER_WEB_H

#include <stddef.h>

#include "common/httpd.h"

struct server;

/* The httpd handler; ctx is the struct server. */
void web_handle(void *ctx, const struct http_request *req, struct http_response *resp);

/*
 * Reload the configuration (from --config.file, or the embedded default
 * when the server runs without one): a config that fails to load is
 * rejected, logged and returned as -EINVAL with "file:line: problem" in
 * err, and the running one stays.  Serialised by a lock of its own.
 */
int web_reload(struct server *srv, char *err, size_t errlen);

/*
 * Install a loaded configuration and its text (both taken over): the scrape
 * manager (srv->scrape, which must exist) applies it, srv->config and
 * srv->config_yaml point at it; logs "Completed loading of configuration file".
 */
struct scrape_config;
void web_set_config(struct server *srv, struct scrape_config *cfg, char *text);

/*
 * Load the configuration web_reload() would: --config.file, or the embedded
 * default when it is empty.  0 with *cfg and its text in *text (NULL when
 * the file could not be read again; both the caller's), or a negative errno
 * with "file:line: problem" in err and *text (possibly NULL) to free.
 */
int web_load_config(const struct server *srv, struct scrape_config **cfg, char **text, char *err,
		    size_t errlen);

/*
 * The embedded default configuration for a server listening on
 * listen_address: scrape every 15s vigil-agent on localhost:9100,
 * vigil-containers on localhost:8080 and the server itself.  Caller frees.
 */
char *web_default_config(const char *listen_address);

/* The version reported by /api/v1/status/buildinfo (what Grafana checks). */
#define WEB_PROMETHEUS_VERSION "2.42.0"

#endif
