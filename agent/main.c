// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-agent: host metrics compatible with node_exporter on
 * --web.listen-address (default :9100).
 *
 * Start-up order: parse flags, validate every collector's options, open the
 * listening sockets, then start serving.  Anything wrong before serving is
 * one line on stderr and exit code 2, with nothing half-started.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/containers.h"
#include "agent/node_scrape.h"
#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/fdcache.h"
#include "common/flags.h"
#include "common/httpd.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "common/strutil.h"
#include "version.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static struct {
	char *listen_address;
	char *telemetry_path;
	char *procfs, *sysfs, *rootfs, *udev;
	char *log_level;
	char *log_format;
	bool disable_defaults;
	bool disable_exporter_metrics;
	long max_requests;
	char *cgroupfs;
	bool cgroupfs_seen;
	struct {
		char *listen_address, *docker_socket;
		double interval, storage;
		bool docker_only;
	} ctr;
} opt;

static const struct flag_def container_flags[] = {
	{ "container.listen-address", FLAG_STRING, &opt.ctr.listen_address, ":8080",
	  "Address on which to expose cAdvisor-compatible container metrics (empty disables).",
	  NULL, NULL },
	{ "container.housekeeping-interval", FLAG_DURATION, &opt.ctr.interval, "10s",
	  "Interval between container housekeepings.", "housekeeping_interval", NULL },
	{ "container.docker-only", FLAG_BOOL, &opt.ctr.docker_only, "false",
	  "Only report Docker containers in addition to root stats.", "docker_only", NULL },
	{ "container.docker-socket", FLAG_STRING, &opt.ctr.docker_socket,
	  "unix:///var/run/docker.sock", "Docker endpoint (empty disables Docker naming).",
	  "docker", NULL },
	{ "container.storage-duration", FLAG_DURATION, &opt.ctr.storage, "2m",
	  "How long to keep data stored per container.", "storage_duration", NULL },
	{ "path.cgroupfs", FLAG_STRING, &opt.cgroupfs, "/sys/fs/cgroup", "cgroupfs mountpoint.",
	  NULL, &opt.cgroupfs_seen },
};

static const struct flag_def agent_flags[] = {
	{ "web.listen-address", FLAG_STRING, &opt.listen_address, ":9100",
	  "Address on which to expose metrics and web interface.", NULL, NULL },
	{ "web.telemetry-path", FLAG_STRING, &opt.telemetry_path, "/metrics",
	  "Path under which to expose metrics.", NULL, NULL },
	{ "web.disable-exporter-metrics", FLAG_BOOL, &opt.disable_exporter_metrics, "false",
	  "Exclude metrics about the exporter itself (promhttp_*, process_*).", NULL, NULL },
	{ "web.max-requests", FLAG_INT, &opt.max_requests, "40",
	  "Maximum number of parallel scrape requests (0 disables the limit).", NULL, NULL },
	{ "path.procfs", FLAG_STRING, &opt.procfs, "/proc", "procfs mountpoint.", NULL, NULL },
	{ "path.sysfs", FLAG_STRING, &opt.sysfs, "/sys", "sysfs mountpoint.", NULL, NULL },
	{ "path.rootfs", FLAG_STRING, &opt.rootfs, "/", "rootfs mountpoint.", NULL, NULL },
	{ "path.udev.data", FLAG_STRING, &opt.udev, "/run/udev/data", "udev data path.", NULL,
	  NULL },
	{ "collector.disable-defaults", FLAG_BOOL, &opt.disable_defaults, "false",
	  "Set all collectors to disabled by default.", NULL, NULL },
	{ "log.level", FLAG_STRING, &opt.log_level, "info",
	  "Only log messages with the given severity or above. One of: [debug, info, warn, error]",
	  NULL, NULL },
	{ "log.format", FLAG_STRING, &opt.log_format, "logfmt",
	  "Output format of log messages. One of: [logfmt]", NULL, NULL },
};

static const char landing_page[] =
	"<html>\n<head><title>Vigil Agent</title></head>\n<body>\n<h1>Vigil Agent</h1>\n"
	"<p>Host metrics compatible with node_exporter.</p>\n"
	"<ul><li><a href=\"%s\">Metrics</a></li></ul>\n</body>\n</html>\n";

static void handle_node(void *ctx, const struct http_request *req, struct http_response *resp)
{
	(void)ctx;
	if (strcmp(req->url, opt.telemetry_path) == 0) {
		/* promhttp's MaxRequestsInFlight: beyond the limit, 503 at once */
		static atomic_long in_flight;
		long n = atomic_fetch_add(&in_flight, 1);
		if (opt.max_requests > 0 && n >= opt.max_requests) {
			atomic_fetch_sub(&in_flight, 1);
			resp->status = 503;
			buf_printf(&resp->body,
				   "Limit of concurrent requests reached (%ld), try again later.\n",
				   opt.max_requests);
			return;
		}
		resp->content_type = METRICS_CONTENT_TYPE;
		node_scrape(&resp->body);
		atomic_fetch_sub(&in_flight, 1);
		return;
	}
	if (strcmp(req->url, "/") == 0) {
		resp->content_type = "text/html; charset=utf-8";
		buf_printf(&resp->body, landing_page, opt.telemetry_path);
		return;
	}
	resp->status = 404;
	buf_puts(&resp->body, "404 page not found\n");
}

static _Noreturn void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "vigil-agent: error: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	size_t ncoll = 0;
	while (collector_registry[ncoll])
		ncoll++;
	vregex_set_jit(false); /* see vregex_set_jit() */
	/*
	 * One malloc arena: a scrape allocates little once its context is warm,
	 * and per-thread arenas would each keep their own freed response and
	 * gzip buffers resident.
	 */
	mallopt(M_ARENA_MAX, 1);

	/* one flag table for the agent, one for the collector switches, one per collector */
	bool *on = xcalloc(ncoll, sizeof(*on));
	bool *seen = xcalloc(ncoll, sizeof(*seen));
	struct flag_def *switches = xcalloc(ncoll, sizeof(*switches));
	struct flag_table *tables = xcalloc(ncoll + 3, sizeof(*tables));
	size_t ntables = 0;
	tables[ntables++] = (struct flag_table){ "Flags", agent_flags, ARRAY_SIZE(agent_flags) };
	tables[ntables++] = (struct flag_table){ "Containers", container_flags,
						 ARRAY_SIZE(container_flags) };
	for (size_t i = 0; i < ncoll; i++) {
		const struct collector *c = collector_registry[i];
		char *name = xmalloc(strlen(c->name) + 11);
		char *help = xmalloc(strlen(c->name) + 32);
		sprintf(name, "collector.%s", c->name);
		sprintf(help, "Enable the %s collector.", c->name);
		switches[i] = (struct flag_def){ name, FLAG_BOOL, &on[i], c->default_on ? "true" : "false",
						 help, NULL, &seen[i] };
	}
	tables[ntables++] = (struct flag_table){ "Collectors", switches, ncoll };
	for (size_t i = 0; i < ncoll; i++)
		if (collector_registry[i]->nflags)
			tables[ntables++] = (struct flag_table){ collector_registry[i]->name,
								 collector_registry[i]->flags,
								 collector_registry[i]->nflags };

	char err[512], asked = 0;
	int rc = flags_parse(argc, argv, tables, ntables, NULL, &asked, err, sizeof(err));
	if (rc < 0)
		die_usage("%s, try --help", err);
	if (rc > 0) {
		if (asked == 'v')
			printf("vigil-agent, version %s\n", VIGIL_VERSION);
		else
			flags_usage(stdout, "vigil-agent",
				    "Vigil agent: host metrics compatible with node_exporter.", tables,
				    ntables);
		goto out;
	}
	enum log_level level;
	if (log_parse_level(opt.log_level, &level) < 0)
		die_usage("invalid value '%s' for flag --log.level", opt.log_level);
	log_set_level(level);
	if (strcmp(opt.log_format, "logfmt") != 0)
		die_usage("unsupported --log.format '%s' (only logfmt)", opt.log_format);
	if (opt.telemetry_path[0] != '/')
		die_usage("--web.telemetry-path must start with '/': %s", opt.telemetry_path);

	host_roots.procfs = opt.procfs;
	host_roots.sysfs = opt.sysfs;
	host_roots.rootfs = opt.rootfs;
	host_roots.udev = opt.udev;
	host_roots.cgroupfs = opt.cgroupfs;

	const struct collector **list = xcalloc(ncoll + 1, sizeof(*list));
	size_t nlist = 0;
	for (size_t i = 0; i < ncoll; i++) {
		bool enable = opt.disable_defaults ? (seen[i] && on[i]) : on[i];
		if (!enable)
			continue;
		const struct collector *c = collector_registry[i];
		if (c->setup && c->setup(err, sizeof(err)) < 0)
			die_usage("%s", err);
		list[nlist++] = c;
	}

	int fd = httpd_listen(opt.listen_address, err, sizeof(err));
	if (fd < 0)
		die_usage("%s", err);
	int cfd = -1;
	if (opt.ctr.listen_address[0] && (cfd = httpd_listen(opt.ctr.listen_address, err,
							     sizeof(err))) < 0)
		die_usage("%s", err);

	/* block the stop signals before threads start, so they inherit the mask */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_info("Starting vigil-agent\tversion=%s", VIGIL_VERSION);
	for (size_t i = 0; i < nlist; i++)
		log_info("Enabled collector\tcollector=%s", list[i]->name);
	/* room for the kept kernel files (common/fdcache.h), as Go raises it */
	fdcache_raise_limit();
	node_scrape_setup(list, !opt.disable_exporter_metrics);
	struct httpd *web = httpd_start(fd, 0, 1 << 16, handle_node, NULL);
	if (!web) {
		close(fd);
		return 1;
	}
	log_info("Listening on\taddress=%s", opt.listen_address);
	struct httpd *cweb = NULL;
	if (cfd >= 0) {
		char mountinfo[PATH_MAX];
		struct ctr_opts copts = { opt.ctr.docker_socket, opt.ctr.interval, opt.ctr.storage,
					  opt.ctr.docker_only,
					  opt.cgroupfs_seen ? NULL : proc_path(mountinfo, "self/mountinfo") };
		if (containers_start(&copts) < 0 ||
		    !(cweb = httpd_start(cfd, 2, 1 << 16, containers_handle, NULL))) {
			httpd_stop(web);
			return 1;
		}
		log_info("Listening on\taddress=%s", opt.ctr.listen_address);
	}

	/* Type=notify: systemd learns we serve once both listeners are up */
	sdnotify_ready();
	sdnotify_watchdog_start(NULL, NULL);

	int sig = 0;
	sigwait(&stop, &sig);
	log_info("Received signal, exiting\tsignal=%s", strsignal(sig));
	sdnotify_stopping();
	sdnotify_watchdog_stop();
	httpd_stop(web);
	node_scrape_free();
	if (cweb)
		httpd_stop(cweb);
	containers_stop();
	free(list);

out:
	flags_free(tables, ntables);
	for (size_t i = 0; i < ncoll; i++) {
		free((char *)switches[i].name);
		free((char *)switches[i].help);
	}
	free(switches);
	free(tables);
	free(on);
	free(seen);
	return 0;
}
