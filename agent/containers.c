// SPDX-License-Identifier: Apache-2.0
/*
 * The container engine (see containers.h): housekeeping rounds over the
 * cgroup tree, Docker naming, the per-container history, the thread, and
 * the HTTP handler of the container listener.  The exposition itself is
 * written by container_render.c, the history JSON by container_api.c.
 *
 * A round: refresh the Docker container list when the event stream shows a
 * change (or every minute; after a failure, retry with backoff from 1 s to
 * 60 s), walk the cgroups, read each one's stats (files kept open between
 * rounds, limits re-read every SPEC_ROUNDS rounds), name Docker containers
 * by the 64-hex id their cgroup ends in, push a sample into each ring, drop
 * the cgroups not seen, render, and swap the rendering in.
 */
#include "agent/containers.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/container_store.h"
#include "collectors/hostpath.h"
#include "common/fdcache.h"
#include "common/log.h"
#include "common/pfile.h"
#include "version.h"

#define DOCKER_TIMEOUT_MS     5000
#define DOCKER_BACKOFF_MAX_MS 60000
#define SPEC_ROUNDS	      6
#define METRICS_CONTENT_TYPE  "text/plain; version=0.0.4; charset=utf-8"

static int64_t realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- machine facts, read once ---- */

static void read_trimmed(const char *path, char *out, size_t size)
{
	if (read_small_file(path, out, size) < 0)
		out[0] = '\0';
}

static void read_machine(struct ctr_engine *e)
{
	char path[PATH_MAX];
	struct pfile *pf = pfile_open(proc_path(path, "stat"), NULL);
	if (pf && pfile_read(pf) == 0) {
		for (size_t l = 0; l < pfile_lines(pf); l++) {
			const char *w = pfile_word(pf, l, 0);
			if (strncmp(w, "cpu", 3) == 0 && w[3] >= '0' && w[3] <= '9')
				e->cpu_cores++;
		}
	}
	pfile_close(pf);
	pf = pfile_open(proc_path(path, "meminfo"), " \t:");
	if (pf && pfile_read(pf) == 0) {
		for (size_t l = 0; l < pfile_lines(pf); l++)
			if (strcmp(pfile_word(pf, l, 0), "MemTotal") == 0)
				e->mem_bytes = (double)str2u64(pfile_word(pf, l, 1), NULL) * 1024;
	}
	pfile_close(pf);
	read_trimmed(proc_path(path, "sys/kernel/random/boot_id"), e->boot_id, sizeof(e->boot_id));
	read_trimmed(proc_path(path, "sys/kernel/osrelease"), e->kernel, sizeof(e->kernel));
	read_trimmed(root_path(path, "etc/machine-id"), e->machine_id, sizeof(e->machine_id));
	read_trimmed(sys_path(path, "class/dmi/id/product_uuid"), e->system_uuid,
		     sizeof(e->system_uuid));
	/* PRETTY_NAME="Debian GNU/Linux 12 (bookworm)" */
	struct buf os = BUF_INIT;
	if (read_file_buf(root_path(path, "etc/os-release"), &os) == 0 && os.data) {
		const char *p = strstr(os.data, "PRETTY_NAME=");
		if (p) {
			p += 12;
			if (*p == '"')
				p++;
			size_t n = strcspn(p, "\"\n");
			snprintf(e->os, sizeof(e->os), "%.*s", (int)n, p);
		}
	}
	buf_free(&os);
}

/* major:minor -> "/dev/<name>" from <procfs>/diskstats, as cAdvisor labels devices. */
static void read_devices(struct ctr_engine *e)
{
	char path[PATH_MAX];
	struct pfile *pf = pfile_open(proc_path(path, "diskstats"), NULL);
	e->ndevs = 0;
	if (!pf)
		return;
	if (pfile_read(pf) == 0) {
		e->devs = xrealloc(e->devs, (pfile_lines(pf) + 1) * sizeof(*e->devs));
		for (size_t l = 0; l < pfile_lines(pf); l++) {
			if (pfile_words(pf, l) < 3)
				continue;
			struct ctr_dev *d = &e->devs[e->ndevs++];
			d->major = (uint32_t)str2u64(pfile_word(pf, l, 0), NULL);
			d->minor = (uint32_t)str2u64(pfile_word(pf, l, 1), NULL);
			snprintf(d->name, sizeof(d->name), "/dev/%s", pfile_word(pf, l, 2));
		}
	}
	pfile_close(pf);
}

const char *ctr_device_name(const struct ctr_engine *e, uint32_t major, uint32_t minor, char *tmp,
			    size_t size)
{
	for (size_t i = 0; i < e->ndevs; i++)
		if (e->devs[i].major == major && e->devs[i].minor == minor)
			return e->devs[i].name;
	snprintf(tmp, size, "%u:%u", major, minor);
	return tmp;
}

/* ---- the store ---- */

static void ctr_free(struct ctr_engine *e, struct ctr *c)
{
	if (!c)
		return;
	cgroup_fds_close(&c->fds, &e->reader);
	free(c->cgroup);
	free(c->name);
	free(c->image);
	for (size_t i = 0; i < 2 * c->nlabels; i++)
		free(c->labels[i]);
	free(c->labels);
	free(c->ring);
	free(c);
}

/* Index of cgroup in the sorted store, or the insertion point with *found false. */
static size_t ctr_find(const struct ctr_engine *e, const char *cgroup, bool *found)
{
	size_t lo = 0, hi = e->nctrs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(e->ctrs[mid]->cgroup, cgroup);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct ctr *ctr_get(struct ctr_engine *e, const char *cgroup)
{
	bool found;
	size_t i = ctr_find(e, cgroup, &found);
	if (found)
		return e->ctrs[i];
	if (e->nctrs == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 64;
		e->ctrs = xrealloc(e->ctrs, e->cap * sizeof(*e->ctrs));
	}
	memmove(e->ctrs + i + 1, e->ctrs + i, (e->nctrs - i) * sizeof(*e->ctrs));
	struct ctr *c = xcalloc(1, sizeof(*c));
	c->cgroup = xstrdup(cgroup);
	c->name = xstrdup("");
	c->image = xstrdup("");
	c->ring_cap = e->ring_cap;
	c->ring = xcalloc(c->ring_cap, sizeof(*c->ring));
	e->ctrs[i] = c;
	e->nctrs++;
	return c;
}

/* The 64-hex Docker id a cgroup name ends in ("/docker/<id>", ".../docker-<id>.scope"), or NULL. */
static const char *docker_id_of(const char *cgroup, char *out)
{
	const char *last = strrchr(cgroup, '/');
	last = last ? last + 1 : cgroup;
	if (strncmp(last, "docker-", 7) == 0)
		last += 7;
	size_t n = strspn(last, "0123456789abcdef");
	if (n != 64 || (last[64] != '\0' && strcmp(last + 64, ".scope") != 0))
		return NULL;
	memcpy(out, last, 64);
	out[64] = '\0';
	return out;
}

static void set_str(char **dst, const char *s)
{
	if (strcmp(*dst, s) == 0)
		return;
	free(*dst);
	*dst = xstrdup(s);
}

/* Docker metadata onto c (name, image, sanitized labels), or clear it. */
static void name_ctr(struct ctr *c, const struct docker_container *d)
{
	for (size_t i = 0; i < 2 * c->nlabels; i++)
		free(c->labels[i]);
	free(c->labels);
	c->labels = NULL;
	c->nlabels = 0;
	set_str(&c->name, d ? d->name : "");
	set_str(&c->image, d ? d->image : "");
	if (!d)
		return;
	if (d->created > 0)
		c->start_time = d->created;
	c->labels = d->nlabels ? xcalloc(2 * d->nlabels, sizeof(char *)) : NULL;
	for (size_t i = 0; i < d->nlabels; i++) {
		const char *k = d->labels[2 * i];
		char *key = xmalloc(strlen(k) + 17);
		char *p = key + sprintf(key, "container_label_");
		for (; *k; k++)
			*p++ = ((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
				(*k >= '0' && *k <= '9') || *k == '_')
				       ? *k
				       : '_';
		*p = '\0';
		bool dup = false;
		for (size_t j = 0; j < c->nlabels; j++)
			dup |= strcmp(c->labels[2 * j], key) == 0;
		if (dup) {
			free(key);
			continue;
		}
		c->labels[2 * c->nlabels] = key;
		c->labels[2 * c->nlabels + 1] = xstrdup(d->labels[2 * i + 1]);
		c->nlabels++;
	}
}

/* ---- Docker ---- */

struct event_seen {
	int n;
};

static void on_event(void *ctx, const struct docker_event *ev)
{
	(void)ev;
	((struct event_seen *)ctx)->n++;
}

/* Refresh the container list when Docker reports changes (or every minute); backoff on failure. */
static void docker_refresh(struct ctr_engine *e)
{
	if (!e->docker_on)
		return;
	int64_t now = monotonic_ms();
	if (!e->docker_ok && now < e->docker_next_try_ms)
		return;
	int64_t wall = realtime_ms() / 1000;
	int rc = 0;
	if (e->docker_ok && wall - e->docker_listed_s < 60) {
		/* events since the last list (one second of overlap): anything new? */
		struct event_seen seen = {0};
		rc = docker_events(e->docker_socket, e->docker_listed_s - 1, wall,
				   DOCKER_TIMEOUT_MS, on_event, &seen);
		if (rc == 0)
			return;
	}
	if (rc >= 0) {
		struct docker_list fresh;
		rc = docker_list_containers(e->docker_socket, DOCKER_TIMEOUT_MS, &fresh);
		if (rc == 0) {
			docker_list_free(&e->docker);
			e->docker = fresh;
			e->docker_listed_s = wall;
		}
	}
	if (rc >= 0) {
		if (!e->docker_ok && e->docker_logged)
			log_info("Docker reachable again\tsocket=%s", e->docker_socket);
		if (!e->docker_ok && !e->docker_version[0])
			docker_version(e->docker_socket, DOCKER_TIMEOUT_MS, e->docker_version,
				       sizeof(e->docker_version));
		e->docker_ok = true;
		e->docker_backoff_ms = 0;
		return;
	}
	if (e->docker_ok || !e->docker_logged)
		log_warn_code(rc,
			      "Docker unreachable, containers unnamed until it is back\tsocket=%s",
			      e->docker_socket);
	e->docker_logged = true;
	e->docker_ok = false;
	docker_list_free(&e->docker);
	e->docker_backoff_ms = e->docker_backoff_ms ? e->docker_backoff_ms * 2 : 1000;
	if (e->docker_backoff_ms > DOCKER_BACKOFF_MAX_MS)
		e->docker_backoff_ms = DOCKER_BACKOFF_MAX_MS;
	e->docker_next_try_ms = now + e->docker_backoff_ms;
}

/* ---- the round ---- */

static void push_sample(struct ctr *c, int64_t ts)
{
	const struct cgroup_stats *st = &c->st;
	struct ctr_sample *s = &c->ring[c->ring_head];
	memset(s, 0, sizeof(*s));
	s->ts_ms = ts;
	s->cpu_usage = (double)st->cpu_usage_ns / 1e9;
	s->cpu_user = (double)st->cpu_user_ns / 1e9;
	s->cpu_system = (double)st->cpu_system_ns / 1e9;
	s->cfs_periods = (double)st->nr_periods;
	s->cfs_throttled_periods = (double)st->nr_throttled;
	s->cfs_throttled_seconds = (double)st->throttled_ns / 1e9;
	s->mem_usage = (double)st->mem_usage;
	s->mem_working_set = (double)st->mem_working_set;
	s->mem_rss = (double)st->mem_rss;
	s->mem_cache = (double)st->mem_cache;
	s->mem_swap = (double)st->mem_swap;
	s->processes = (double)st->processes;
	s->threads = (double)st->threads;
	for (size_t i = 0; i < st->nnet; i++) {
		s->net_rx_bytes += (double)st->net[i].rx_bytes;
		s->net_tx_bytes += (double)st->net[i].tx_bytes;
	}
	for (size_t i = 0; i < st->nio; i++) {
		s->fs_read_bytes += (double)st->io[i].rbytes;
		s->fs_write_bytes += (double)st->io[i].wbytes;
	}
	c->ring_head = (c->ring_head + 1) % c->ring_cap;
	if (c->ring_len < c->ring_cap)
		c->ring_len++;
}

struct walk_ctx {
	struct ctr_engine *e;
	int64_t ts;
};

static bool visit(void *arg, const char *cgroup)
{
	struct walk_ctx *w = arg;
	struct ctr_engine *e = w->e;
	char idbuf[65];
	const char *did = docker_id_of(cgroup, idbuf);
	const struct docker_container *d = did ? docker_list_find(&e->docker, did) : NULL;
	bool root = strcmp(cgroup, "/") == 0;
	if (e->opts.docker_only && !root && !d)
		return true;

	bool found;
	size_t at = ctr_find(e, cgroup, &found);
	struct ctr *c = found ? e->ctrs[at] : NULL;
	struct cgroup_stats *st = c ? &c->st : xmalloc(sizeof(*st));
	e->reader.fds = c ? &c->fds : NULL; /* a new cgroup keeps files from its 2nd round */
	/* limits change rarely (docker update): read them every SPEC_ROUNDS rounds */
	e->reader.skip_spec = c && e->round - c->spec_round < SPEC_ROUNDS;
	int rc = cgroup_read_stats(&e->layout, cgroup, &e->reader, st);
	bool spec_read = !e->reader.skip_spec;
	e->reader.fds = NULL;
	e->reader.skip_spec = false;
	if (rc < 0) {
		if (!c)
			free(st);
		return true; /* vanished mid-walk: left out (and dropped) */
	}
	if (!c) {
		c = ctr_get(e, cgroup);
		memcpy(&c->st, st, sizeof(*st));
		free(st);
		c->start_time = cgroup_start_time(&e->layout, cgroup);
	}
	if (spec_read)
		c->spec_round = e->round;
	if (strcmp(c->docker_id, d ? d->id : "") != 0 || (d && strcmp(c->name, d->name) != 0) ||
	    (!d && c->name[0])) {
		snprintf(c->docker_id, sizeof(c->docker_id), "%s", d ? d->id : "");
		name_ctr(c, d);
	}
	/* network: the host's for "/", a Docker container's own namespace */
	int pid = root ? 1 : (d ? c->st.first_pid : 0);
	if (pid > 0)
		cgroup_read_netdev(pid, &e->reader, &c->st);
	c->seen_round = e->round;
	push_sample(c, w->ts);
	return true;
}

/* ---- rendering ---- */

static void render(struct ctr_engine *e, int64_t ts)
{
	buf_reset(&e->scratch);
	/* the last rendering's size, so the buffer grows at most once */
	buf_reserve(&e->scratch, e->rendered.len + e->rendered.len / 8);
	ctr_render(e, ts, &e->scratch);
	pthread_mutex_lock(&e->render_lock);
	struct buf old = e->rendered;
	e->rendered = e->scratch;
	e->scratch = (struct buf)BUF_INIT;
	pthread_mutex_unlock(&e->render_lock);
	/* not kept for the next round: between rounds only one rendering is resident */
	buf_free(&old);
}

int ctr_engine_round(struct ctr_engine *e)
{
	int64_t ts = realtime_ms();
	docker_refresh(e);
	read_devices(e);
	pthread_mutex_lock(&e->store_lock);
	e->round++;
	struct walk_ctx w = {e, ts};
	int rc = e->layout.mode == CGROUP_NONE ? -ENOENT : cgroup_walk(&e->layout, visit, &w);
	/* containers not seen this round have vanished */
	size_t kept = 0;
	for (size_t i = 0; i < e->nctrs; i++) {
		if (e->ctrs[i]->seen_round == e->round)
			e->ctrs[kept++] = e->ctrs[i];
		else
			ctr_free(e, e->ctrs[i]);
	}
	e->nctrs = kept;
	render(e, ts);
	pthread_mutex_unlock(&e->store_lock);
	return rc < 0 ? rc : 0;
}

/*
 * How many cgroup files may stay open: the soft RLIMIT_NOFILE is raised to
 * the hard one (as Go programs do), and half of it, or all but 2048, is
 * given to kept-open files.
 */
static long fd_budget(void)
{
	long soft = fdcache_raise_limit();
	if (soft > (1 << 20))
		soft = 1 << 20;
	return soft <= 4096 ? soft / 2 : soft - 2048;
}

struct ctr_engine *ctr_engine_new(const struct ctr_opts *opts)
{
	struct ctr_engine *e = xcalloc(1, sizeof(*e));
	e->opts = *opts;
	e->opts.docker_socket = NULL;
	e->opts.mountinfo = NULL;
	if (e->opts.interval <= 0)
		e->opts.interval = 10;
	if (e->opts.storage < e->opts.interval)
		e->opts.storage = e->opts.interval;
	e->ring_cap = (size_t)(e->opts.storage / e->opts.interval + 0.5);
	if (e->ring_cap < 1)
		e->ring_cap = 1;
	if (opts->docker_socket && opts->docker_socket[0]) {
		if (docker_socket_path(opts->docker_socket, e->docker_socket,
				       sizeof(e->docker_socket)) == 0)
			e->docker_on = true;
		else
			log_warn("unsupported Docker endpoint, Docker naming off\tsocket=%s",
				 opts->docker_socket);
	}
	e->reader.fd_budget = fd_budget();
	pthread_mutex_init(&e->store_lock, NULL);
	pthread_mutex_init(&e->render_lock, NULL);
	pthread_mutex_init(&e->wake_lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	read_machine(e);
	int rc = cgroup_layout_detect(host_roots.cgroupfs, opts->mountinfo, &e->layout);
	if (rc < 0)
		log_warn_code(rc, "no cgroup hierarchy found, only machine metrics\tpath=%s",
			      host_roots.cgroupfs);
	else
		log_info("cgroup layout\tmode=%s walk=%s", cgroup_mode_name(e->layout.mode),
			 cgroup_walk_root(&e->layout));
	return e;
}

void ctr_engine_scrape(struct ctr_engine *e, struct buf *out)
{
	pthread_mutex_lock(&e->render_lock);
	if (e->rendered.len) {
		buf_reserve(out, e->rendered.len);
		buf_append(out, e->rendered.data, e->rendered.len);
	}
	pthread_mutex_unlock(&e->render_lock);
}

unsigned ctr_engine_count(struct ctr_engine *e)
{
	pthread_mutex_lock(&e->store_lock);
	unsigned n = (unsigned)e->nctrs;
	pthread_mutex_unlock(&e->store_lock);
	return n;
}

static void *housekeeping(void *arg)
{
	struct ctr_engine *e = arg;
	int64_t period = (int64_t)(e->opts.interval * 1000);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&e->wake_lock);
	while (!e->stopping) {
		next.tv_sec += period / 1000;
		next.tv_nsec += (period % 1000) * 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		while (!e->stopping && pthread_cond_timedwait(&e->wake, &e->wake_lock, &next) == 0)
			;
		if (e->stopping)
			break;
		pthread_mutex_unlock(&e->wake_lock);
		ctr_engine_round(e);
		pthread_mutex_lock(&e->wake_lock);
		/* a round longer than the interval: start the next one from now */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + period / 1000 + 1)
			next = now;
	}
	pthread_mutex_unlock(&e->wake_lock);
	return NULL;
}

int ctr_engine_start(struct ctr_engine *e)
{
	ctr_engine_round(e);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&e->wake);
	pthread_cond_init(&e->wake, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&e->thread, NULL, housekeeping, e);
	if (rc)
		return log_err(-rc, "containers: start housekeeping");
	e->running = true;
	return 0;
}

void ctr_engine_stop(struct ctr_engine *e)
{
	if (!e->running)
		return;
	pthread_mutex_lock(&e->wake_lock);
	e->stopping = true;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->wake_lock);
	pthread_join(e->thread, NULL);
	e->running = false;
}

void ctr_engine_free(struct ctr_engine *e)
{
	if (!e)
		return;
	ctr_engine_stop(e);
	for (size_t i = 0; i < e->nctrs; i++)
		ctr_free(e, e->ctrs[i]);
	free(e->ctrs);
	free(e->devs);
	docker_list_free(&e->docker);
	cgroup_layout_free(&e->layout);
	buf_free(&e->reader.data);
	buf_free(&e->scratch);
	buf_free(&e->rendered);
	pthread_mutex_destroy(&e->store_lock);
	pthread_mutex_destroy(&e->render_lock);
	pthread_mutex_destroy(&e->wake_lock);
	pthread_cond_destroy(&e->wake);
	free(e);
}

/* ---- the agent's engine ---- */

static struct ctr_engine *agent_engine;

int containers_start(const struct ctr_opts *opts)
{
	/*
	 * Renderings and scrape copies are megabytes each: a fixed mmap
	 * threshold keeps glibc from raising it after the first free, so they
	 * stay mmap'd and go back to the system when freed instead of staying
	 * in a thread's arena.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	agent_engine = ctr_engine_new(opts);
	int rc = ctr_engine_start(agent_engine);
	if (rc < 0) {
		ctr_engine_free(agent_engine);
		agent_engine = NULL;
		return rc;
	}
	log_info("Container housekeeping started\tcontainers=%u interval=%gs",
		 ctr_engine_count(agent_engine), agent_engine->opts.interval);
	return 0;
}

void containers_stop(void)
{
	ctr_engine_free(agent_engine);
	agent_engine = NULL;
}

static const char container_landing[] =
	"<html>\n<head><title>Vigil Agent: containers</title></head>\n<body>\n"
	"<h1>Vigil Agent: containers</h1>\n"
	"<p>Container metrics compatible with cAdvisor.</p>\n"
	"<ul><li><a href=\"/metrics\">Metrics</a></li>\n"
	"<li><a href=\"/api/v1/containers\">Stored history (JSON)</a></li></ul>\n"
	"</body>\n</html>\n";

void containers_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct ctr_engine *e = ctx ? ctx : agent_engine;
	if (e && strcmp(req->url, "/metrics") == 0) {
		resp->content_type = METRICS_CONTENT_TYPE;
		ctr_engine_scrape(e, &resp->body);
		return;
	}
	if (e && strcmp(req->url, "/api/v1/containers") == 0) {
		resp->content_type = "application/json";
		ctr_engine_history_json(e, &resp->body);
		return;
	}
	if (strcmp(req->url, "/") == 0) {
		resp->content_type = "text/html; charset=utf-8";
		buf_puts(&resp->body, container_landing);
		return;
	}
	resp->status = 404;
	buf_puts(&resp->body, "404 page not found\n");
}
