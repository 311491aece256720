// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-api-serve: the query API alone over a data directory, for the
 * differential tests and the benchmark while (or where) the full
 * vigil-server is not wanted.  Opens the TSDB read-only, serves every /api/v1/ path
 * through api_v1_handle() and answers /-/ready.
 *
 *   vigil-api-serve <data dir> <listen address> [lookback seconds] [max samples] [timeout s]
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/httpd.h"
#include "common/log.h"
#include "server/api/api.h"
#include "server/server.h"
#include "server/tsdb/tsdb.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct server *srv = ctx;
	if (!strncmp(req->url, "/api/v1/", 8)) {
		api_v1_handle(srv, req, resp);
		return;
	}
	resp->content_type = "text/plain; charset=utf-8";
	if (!strcmp(req->url, "/-/ready") || !strcmp(req->url, "/-/healthy")) {
		buf_puts(&resp->body, "OK\n");
		return;
	}
	resp->status = 404;
	buf_puts(&resp->body, "404 page not found\n");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
			"usage: %s <data dir> <listen address> [lookback s] [max samples] [timeout "
			"s]\n",
			argv[0]);
		return 2;
	}
	struct server srv;
	memset(&srv, 0, sizeof(srv));
	pthread_rwlock_init(&srv.config_lock, NULL);
	srv.opt.lookback_delta_s = argc > 3 ? atof(argv[3]) : 300;
	srv.opt.query_max_samples = argc > 4 ? atol(argv[4]) : 50000000;
	srv.opt.query_timeout_s = argc > 5 ? atof(argv[5]) : 120;
	srv.opt.enable_admin_api = getenv("VIGIL_ADMIN_API") != NULL;
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = argv[1];
	o.background_compaction = false;
	o.read_only = !srv.opt.enable_admin_api;
	int rc = tsdb_open(&o, &srv.db);
	if (rc) {
		fprintf(stderr, "opening %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	char err[256];
	httpd_set_resolver(httpd_resolve_system);
	int fd = httpd_listen(argv[2], err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "%s\n", err);
		tsdb_close(srv.db);
		return 1;
	}
	struct httpd *h = httpd_start(fd, 0, 1 << 20, handle, &srv);
	if (!h) {
		tsdb_close(srv.db);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	httpd_stop(h);
	tsdb_close(srv.db);
	return 0;
}
