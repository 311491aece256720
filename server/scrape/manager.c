// SPDX-License-Identifier: Apache-2.0
/*
 * The scrape manager: pools, loops, scheduling, scrape threads and reloads;
 * see manager.h.  Locking: m->mu guards the pools, the loops' scheduling and
 * status fields and the statistics; a loop's series cache is touched only
 * by the scrape thread of its current scrape, or under m->mu when it is
 * idle.  Lock order: m->mu before the fetchers' locks.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/expo.h"
#include "common/json.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"
#include "server/scrape/config.h"
#include "server/scrape/fetch.h"
#include "server/scrape/loop.h"
#include "server/scrape/manager.h"
#include "server/scrape/targets.h"
#include "server/tsdb/tsdb.h"
#include "version.h"

/* What Prometheus 2.42 sends when it prefers the text format. */
#define SCRAPE_ACCEPT	  "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1"
#define SCRAPE_USER_AGENT "Prometheus/2.42.0 (vigil-server " VIGIL_VERSION ")"
#define SD_POLL_MS	  1000
#define INTERVAL_RING	  256
/*
 * Bodies up to this size are parsed on the scrape thread that received
 * them; bigger ones go to a bulk worker, so that a target with a huge
 * exposition does not hold up the transfers of the others (their timeouts
 * run meanwhile).  1 MiB parses in a few milliseconds.
 */
#define SCRAPE_INLINE_BYTES (1u << 20)

struct cfg_holder {
	struct scrape_config *cfg;
	int refs; /* atomic */
};

struct target_loop {
	/* what the scheduler looks at for every target, together */
	int64_t next_ms; /* monotonic time of the next scrape */
	bool in_flight, removed;
	unsigned thread; /* index of the scrape thread that scrapes it */
	struct scrape_manager *m;
	struct cfg_holder *holder;
	const struct scrape_job *job;
	struct scrape_loop *sl;
	struct lset labels, discovered;
	char *url;
	int64_t interval_ms, timeout_ms;
	struct fetch_req *req;
	int64_t start_wall_ms, start_mono_ms, prev_start_mono_ms;
	struct timespec start_mono; /* precise start, for the scrape duration */
	struct timespec end_mono;   /* when the transfer ended (its scrape thread) */
	struct timespec start_wall;
	/* status for the targets API, under m->mu */
	int health; /* 0 unknown, 1 up, 2 down */
	char last_error[512];
	struct timespec last_scrape;
	double last_duration;
	struct target_loop *znext; /* removed while in flight */
	struct target_loop *qnext; /* bulk queue */
	struct buf body;	   /* a big body waiting in the bulk queue */
};

struct scrape_pool {
	const struct scrape_job *job;
	struct cfg_holder *holder;
	struct file_sd *sds;
	size_t nsd;
	int64_t last_sd_poll;
	struct target_loop **loops;
	size_t nloops;
	struct scrape_targets dropped;
};

struct interval_stat {
	int64_t interval_ms;
	double ring[INTERVAL_RING];
	size_t n, pos;
	double sum;
	uint64_t count;
};

/*
 * A scrape thread: a fetcher (its thread runs the transfers of the targets
 * assigned to it, their schedule, and parses and appends each body as it
 * arrives, with its own appender).
 */
/* A target as its thread's scheduler scans it: next_ms copies the loop's. */
struct sched_slot {
	int64_t next_ms;
	struct target_loop *l;
};

struct scrape_thread {
	struct scrape_manager *m;
	unsigned index;
	struct fetcher *fetcher;
	struct tsdb_appender *app;
	struct sched_slot *slots; /* its targets, under m->mu (threads_assign()) */
	size_t nslots, capslots;
};

/* A bulk worker: parses and appends big bodies, with an appender of its own. */
struct bulk_worker {
	struct scrape_manager *m;
	pthread_t thread;
	struct tsdb_appender *app;
	bool started;
};

struct scrape_manager {
	struct tsdb *db;
	pthread_mutex_t mu;
	struct scrape_pool **pools;
	size_t npools;
	struct target_loop *zombies;
	struct scrape_thread *threads;
	unsigned nthreads;
	unsigned next_thread; /* round robin for new loops, under mu */
	bool running;	      /* every thread started, not stopping (under mu) */
	/* bulk workers: big bodies, in a queue under qmu */
	struct bulk_worker *bulk;
	unsigned nbulk;
	pthread_mutex_t qmu;
	pthread_cond_t qcond;
	struct target_loop *qhead, *qtail;
	bool qstop;
	/* statistics, under mu */
	uint64_t exceeded_sample_limit, out_of_order, duplicate, out_of_bounds;
	uint64_t pool_reloads, pool_reload_failures, pools_created;
	struct interval_stat *istats;
	size_t nistats;
	struct cfg_holder *current; /* the last config applied, kept alive for its readers */
};

static void holder_ref(struct cfg_holder *h)
{
	__atomic_add_fetch(&h->refs, 1, __ATOMIC_RELAXED);
}

static void holder_unref(struct cfg_holder *h)
{
	if (h && __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		scrape_config_free(h->cfg);
		free(h);
	}
}

/* ---- loops ---- */

/* Read a credentials file, trimmed of surrounding blanks as Prometheus does. */
static char *read_secret(const char *path)
{
	struct buf b = BUF_INIT;
	int rc = read_file_buf(path, &b);
	if (rc < 0) {
		log_warn_code(rc, "scrape: read %s", path);
		buf_free(&b);
		return xstrdup("");
	}
	char *s = b.data, *e = s + strlen(s);
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	char *out = xstrndup(s, (size_t)(e - s));
	buf_free(&b);
	return out;
}

static void on_fetch_done(struct fetch_req *r, struct buf *body, void *ctx);

/* Set the easy handle's options for a target once: URL, headers, auth, TLS, limits. */
static void loop_prepare_request(struct target_loop *l)
{
	const struct scrape_job *job = l->job;
	struct fetch_req *r = l->req;
	CURL *e = r->easy;
	char hdr[128], secs[EXPO_DOUBLE_MAX];
	curl_easy_setopt(e, CURLOPT_URL, l->url);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)l->timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, SCRAPE_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, job->http.follow_redirects ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	r->headers = curl_slist_append(r->headers, SCRAPE_ACCEPT);
	expo_format_double(secs, (double)l->timeout_ms / 1000.0, 'f');
	snprintf(hdr, sizeof(hdr), "X-Prometheus-Scrape-Timeout-Seconds: %s", secs);
	r->headers = curl_slist_append(r->headers, hdr);
	if (job->http.has_authorization) {
		char *cred = job->http.authorization_credentials_file
				     ? read_secret(job->http.authorization_credentials_file)
				     : xstrdup(job->http.authorization_credentials
						       ? job->http.authorization_credentials
						       : "");
		struct buf h = BUF_INIT;
		buf_printf(&h, "Authorization: %s %s",
			   job->http.authorization_type ? job->http.authorization_type : "Bearer",
			   cred);
		r->headers = curl_slist_append(r->headers, h.data);
		buf_free(&h);
		free(cred);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	if (job->http.has_basic_auth) {
		char *pw = job->http.basic_auth_password_file
				   ? read_secret(job->http.basic_auth_password_file)
				   : xstrdup(job->http.basic_auth_password
						     ? job->http.basic_auth_password
						     : "");
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME,
				 job->http.basic_auth_username ? job->http.basic_auth_username
							       : "");
		curl_easy_setopt(e, CURLOPT_PASSWORD, pw);
		free(pw);
	}
	/* as Prometheus 2.42: proxy_url only, never http_proxy & co. from the
	 * environment ("" turns curl's lookup of those off, per transfer) */
	curl_easy_setopt(e, CURLOPT_PROXY, job->http.proxy_url ? job->http.proxy_url : "");
	const struct scrape_tls *tls = &job->http.tls;
	if (tls->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, tls->ca_file);
	if (tls->cert_file)
		curl_easy_setopt(e, CURLOPT_SSLCERT, tls->cert_file);
	if (tls->key_file)
		curl_easy_setopt(e, CURLOPT_SSLKEY, tls->key_file);
	if (tls->insecure_skip_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	r->body_limit = job->body_size_limit;
	r->done = on_fetch_done;
	r->ctx = l;
}

/* FNV-1a over the target's labels and URL: the scrape phase inside the interval. */
static uint64_t loop_hash(const struct target_loop *l)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < l->labels.n; i++) {
		for (const char *p = l->labels.v[i].name; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
		for (const char *p = l->labels.v[i].value; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
	}
	for (const char *p = l->url; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static struct target_loop *loop_new(struct scrape_manager *m, struct cfg_holder *holder,
				    const struct scrape_job *job, const struct scrape_target *t)
{
	struct target_loop *l = xcalloc(1, sizeof(*l));
	l->m = m;
	l->holder = holder;
	holder_ref(holder);
	l->job = job;
	lset_copy(&l->labels, &t->labels);
	lset_copy(&l->discovered, &t->discovered);
	l->url = xstrdup(t->url);
	l->interval_ms = job->scrape_interval_ms;
	l->timeout_ms = job->scrape_timeout_ms;
	const char *iv = lset_get(&l->labels, "__scrape_interval__");
	const char *to = lset_get(&l->labels, "__scrape_timeout__");
	int64_t ms;
	if (iv && scrape_duration_parse(iv, &ms) == 0 && ms > 0)
		l->interval_ms = ms;
	if (to && scrape_duration_parse(to, &ms) == 0 && ms > 0)
		l->timeout_ms = ms;
	l->sl = scrape_loop_new(job, &l->labels);
	l->thread = m->next_thread++ % m->nthreads;
	l->req = fetch_req_new();
	if (!l->req)
		abort(); /* curl_easy_init fails only on out-of-memory */
	loop_prepare_request(l);
	/* first scrape at the target's phase: wall time % interval == hash % interval */
	int64_t now_wall = fetch_wall_ms(), now_mono = fetch_mono_ms();
	int64_t offset = (int64_t)(loop_hash(l) % (uint64_t)l->interval_ms);
	int64_t wait = (offset - now_wall % l->interval_ms + l->interval_ms) % l->interval_ms;
	l->next_ms = now_mono + wait;
	return l;
}

static void loop_free(struct target_loop *l)
{
	buf_free(&l->body);
	scrape_loop_free(l->sl);
	fetch_req_free(l->req);
	lset_free(&l->labels);
	lset_free(&l->discovered);
	free(l->url);
	holder_unref(l->holder);
	free(l);
}

/* A target went away: stale markers for all its series now, then free it. */
static void loop_retire(struct scrape_manager *m, struct target_loop *l)
{
	struct tsdb_appender *a = tsdb_appender_new(m->db);
	if (a) {
		int64_t now = fetch_wall_ms();
		scrape_loop_append_stale(l->sl, a, now);
		scrape_loop_append_report_stale(l->sl, a, now);
		int rc = tsdb_appender_commit(a);
		if (rc < 0)
			log_err(rc, "scrape: stale markers for %s", l->url);
		tsdb_appender_free(a);
	}
	loop_free(l);
}

/* Under m->mu: take l out of service; idle loops go onto *retire for loop_retire(). */
static void loop_remove_locked(struct scrape_manager *m, struct target_loop *l,
			       struct target_loop **retire)
{
	l->removed = true;
	if (l->in_flight) {
		l->znext = m->zombies;
		m->zombies = l;
	} else {
		l->znext = *retire;
		*retire = l;
	}
}

static void retire_all(struct scrape_manager *m, struct target_loop *list)
{
	while (list) {
		struct target_loop *next = list->znext;
		loop_retire(m, list);
		list = next;
	}
}

/* ---- pools ---- */

/* Under m->mu: rebuild a pool's targets from its static and discovered groups, keeping loops. */
static void pool_sync(struct scrape_manager *m, struct scrape_pool *p, struct target_loop **retire)
{
	struct scrape_target_group *groups = NULL;
	size_t ngroups = 0;
	for (size_t i = 0; i < p->nsd; i++) {
		struct scrape_target_group *g = NULL;
		size_t n = file_sd_groups(&p->sds[i], &g);
		groups = xrealloc(groups, (ngroups + n + 1) * sizeof(*groups));
		if (n)
			memcpy(groups + ngroups, g, n * sizeof(*g));
		ngroups += n;
		free(g);
	}
	struct scrape_targets ts = {NULL, 0, 0};
	char err[512];
	scrape_targets_build(p->job, groups, ngroups, &ts, err, sizeof(err));
	free(groups);

	struct target_loop **loops = xcalloc(ts.n + 1, sizeof(*loops));
	size_t nloops = 0;
	bool *kept = xcalloc(p->nloops + 1, sizeof(*kept));
	scrape_targets_free(&p->dropped);
	for (size_t i = 0; i < ts.n; i++) {
		struct scrape_target *t = &ts.v[i];
		if (t->dropped) {
			if (p->dropped.n == p->dropped.cap) {
				p->dropped.cap = p->dropped.cap ? 2 * p->dropped.cap : 16;
				p->dropped.v = xrealloc(p->dropped.v,
							p->dropped.cap * sizeof(*p->dropped.v));
			}
			struct scrape_target *d = &p->dropped.v[p->dropped.n++];
			memset(d, 0, sizeof(*d));
			d->dropped = true;
			lset_copy(&d->discovered, &t->discovered);
			continue;
		}
		struct target_loop *found = NULL;
		for (size_t k = 0; k < p->nloops && !found; k++)
			if (!kept[k] && strcmp(p->loops[k]->url, t->url) == 0 &&
			    lset_equal(&p->loops[k]->labels, &t->labels)) {
				kept[k] = true;
				found = p->loops[k];
				lset_copy(&found->discovered, &t->discovered);
			}
		loops[nloops++] = found ? found : loop_new(m, p->holder, p->job, t);
	}
	for (size_t k = 0; k < p->nloops; k++)
		if (!kept[k])
			loop_remove_locked(m, p->loops[k], retire);
	free(kept);
	free(p->loops);
	p->loops = loops;
	p->nloops = nloops;
	scrape_targets_free(&ts);
}

static struct scrape_pool *pool_new(struct scrape_manager *m, struct cfg_holder *holder,
				    const struct scrape_job *job, struct target_loop **retire)
{
	struct scrape_pool *p = xcalloc(1, sizeof(*p));
	p->job = job;
	p->holder = holder;
	holder_ref(holder);
	p->nsd = job->n_file_sd_configs;
	p->sds = xcalloc(p->nsd + 1, sizeof(*p->sds));
	int64_t now = fetch_mono_ms();
	for (size_t i = 0; i < p->nsd; i++) {
		bool changed = false;
		file_sd_init(&p->sds[i], &job->file_sd_configs[i]);
		file_sd_poll(&p->sds[i], now, &changed);
	}
	p->last_sd_poll = now;
	pool_sync(m, p, retire);
	m->pools_created++;
	return p;
}

/* Under m->mu: stop every loop of the pool and free it. */
static void pool_free(struct scrape_manager *m, struct scrape_pool *p, struct target_loop **retire)
{
	for (size_t i = 0; i < p->nloops; i++)
		loop_remove_locked(m, p->loops[i], retire);
	free(p->loops);
	for (size_t i = 0; i < p->nsd; i++)
		file_sd_free(&p->sds[i]);
	free(p->sds);
	scrape_targets_free(&p->dropped);
	holder_unref(p->holder);
	free(p);
}

/* Under m->mu: the file_sd watch descriptors of every pool, for scrape thread 0's poll. */
static void update_fds(struct scrape_manager *m)
{
	int fds[64];
	int n = 0;
	for (size_t i = 0; i < m->npools; i++)
		for (size_t k = 0; k < m->pools[i]->nsd && n < 64; k++) {
			int fd = file_sd_watch_fd(&m->pools[i]->sds[k]);
			if (fd >= 0)
				fds[n++] = fd;
		}
	if (m->running)
		fetcher_set_fds(m->threads[0].fetcher, fds, n);
}

/* Under m->mu, after the pools' loops changed: each thread's list of its targets. */
static void threads_assign(struct scrape_manager *m)
{
	for (unsigned i = 0; i < m->nthreads; i++)
		m->threads[i].nslots = 0;
	for (size_t i = 0; i < m->npools; i++)
		for (size_t k = 0; k < m->pools[i]->nloops; k++) {
			struct target_loop *l = m->pools[i]->loops[k];
			struct scrape_thread *t = &m->threads[l->thread];
			if (t->nslots == t->capslots) {
				t->capslots = t->capslots ? 2 * t->capslots : 64;
				t->slots = xrealloc(t->slots, t->capslots * sizeof(*t->slots));
			}
			t->slots[t->nslots++] = (struct sched_slot){l->next_ms, l};
		}
}

/* Under m->mu: have every scrape thread run its scheduler soon. */
static void wake_threads(struct scrape_manager *m)
{
	for (unsigned i = 0; m->running && i < m->nthreads; i++)
		fetcher_wake(m->threads[i].fetcher);
}

/* ---- scheduling (each scrape thread, for its own targets) ---- */

static void observe_interval(struct scrape_manager *m, int64_t interval_ms, double seconds)
{
	struct interval_stat *st = NULL;
	for (size_t i = 0; i < m->nistats && !st; i++)
		if (m->istats[i].interval_ms == interval_ms)
			st = &m->istats[i];
	if (!st) {
		m->istats = xrealloc(m->istats, (m->nistats + 1) * sizeof(*m->istats));
		st = &m->istats[m->nistats++];
		memset(st, 0, sizeof(*st));
		st->interval_ms = interval_ms;
	}
	st->ring[st->pos] = seconds;
	st->pos = (st->pos + 1) % INTERVAL_RING;
	if (st->n < INTERVAL_RING)
		st->n++;
	st->sum += seconds;
	st->count++;
}

static int64_t scheduler_tick(void *ctx, int64_t now)
{
	struct scrape_thread *t = ctx;
	struct scrape_manager *m = t->m;
	struct target_loop *retire = NULL;
	int64_t wait = SD_POLL_MS;
	pthread_mutex_lock(&m->mu);
	if (!m->running) { /* starting or shutting down */
		pthread_mutex_unlock(&m->mu);
		return wait;
	}
	bool synced = false;
	for (size_t i = 0; t->index == 0 && i < m->npools; i++) {
		/* file_sd is thread 0's: its poll has the watch descriptors */
		struct scrape_pool *p = m->pools[i];
		if (p->nsd && now - p->last_sd_poll >= SD_POLL_MS) {
			bool any = false;
			for (size_t k = 0; k < p->nsd; k++) {
				bool changed = false;
				file_sd_poll(&p->sds[k], now, &changed);
				any |= changed;
			}
			p->last_sd_poll = now;
			if (any) {
				pool_sync(m, p, &retire);
				synced = true;
			}
		}
	}
	if (synced) {
		threads_assign(m);
		wake_threads(m); /* new targets of the other threads */
	}
	/* the slots, not the loops: one cache line for several targets */
	for (size_t k = 0; k < t->nslots; k++) {
		struct sched_slot *sl = &t->slots[k];
		if (sl->next_ms > now) {
			/* in flight or not, wake for it (a scrape that ends
			 * late wakes the thread itself) */
			if (sl->next_ms - now < wait)
				wait = sl->next_ms - now;
			continue;
		}
		struct target_loop *l = sl->l;
		if (l->in_flight)
			continue;
		/* due: keep the phase, skipping intervals that were missed */
		int64_t late = now - l->next_ms;
		l->next_ms += l->interval_ms * (1 + late / l->interval_ms);
		sl->next_ms = l->next_ms;
		if (l->next_ms - now < wait)
			wait = l->next_ms - now;
		l->in_flight = true;
		l->start_mono_ms = now;
		clock_gettime(CLOCK_MONOTONIC, &l->start_mono);
		clock_gettime(CLOCK_REALTIME, &l->start_wall);
		l->start_wall_ms =
			(int64_t)l->start_wall.tv_sec * 1000 + l->start_wall.tv_nsec / 1000000;
		if (l->prev_start_mono_ms)
			observe_interval(m, l->interval_ms,
					 (double)(now - l->prev_start_mono_ms) / 1000.0);
		l->prev_start_mono_ms = now;
		fetcher_submit(t->fetcher, l->req);
	}
	pthread_mutex_unlock(&m->mu);
	retire_all(m, retire);
	return wait;
}

/* ---- scrapes ---- */

static void scrape_finish(struct scrape_manager *m, struct tsdb_appender *a, struct target_loop *l,
			  struct buf *body);

/*
 * A transfer ended, on the scrape thread of its target: parse and append
 * the body right there, while it is in this core's cache (handing it to
 * another thread cost a wakeup per scrape and the body's cache misses).
 * The thread's other transfers wait meanwhile, as they would for a core,
 * so a big body goes to a bulk worker instead (it keeps the buffer).
 */
static void on_fetch_done(struct fetch_req *r, struct buf *body, void *ctx)
{
	struct target_loop *l = ctx;
	struct scrape_manager *m = l->m;
	(void)r;
	/* as Prometheus, the scrape duration is the HTTP transfer alone, not the append */
	clock_gettime(CLOCK_MONOTONIC, &l->end_mono);
	if (body->len <= SCRAPE_INLINE_BYTES) {
		scrape_finish(m, m->threads[l->thread].app, l, body);
		return;
	}
	l->body = *body;
	*body = (struct buf)BUF_INIT;
	pthread_mutex_lock(&m->qmu);
	l->qnext = NULL;
	if (m->qtail)
		m->qtail->qnext = l;
	else
		m->qhead = l;
	m->qtail = l;
	pthread_cond_signal(&m->qcond);
	pthread_mutex_unlock(&m->qmu);
}

/* A bulk worker: the scrapes with big bodies, until the queue is empty and stopped. */
static void *bulk_main(void *arg)
{
	struct bulk_worker *w = arg;
	struct scrape_manager *m = w->m;
	for (;;) {
		pthread_mutex_lock(&m->qmu);
		while (!m->qhead && !m->qstop)
			pthread_cond_wait(&m->qcond, &m->qmu);
		struct target_loop *l = m->qhead;
		if (l) {
			m->qhead = l->qnext;
			if (!m->qhead)
				m->qtail = NULL;
		}
		pthread_mutex_unlock(&m->qmu);
		if (!l)
			break;
		struct buf body = l->body; /* scrape_finish() may free l */
		l->body = (struct buf)BUF_INIT;
		scrape_finish(m, w->app, l, &body);
		buf_free(&body);
	}
	return NULL;
}

/* Prometheus's (Go's) wording of a failed transfer. */
static void fetch_error_text(const struct target_loop *l, char *out, size_t len)
{
	const struct fetch_req *r = l->req;
	const char *addr = lset_get_or_empty(&l->labels, "__address__");
	if (r->result == CURLE_OK) {
		snprintf(out, len, "server returned HTTP status %s",
			 r->status_text[0] ? r->status_text : "");
		return;
	}
	switch (r->result) {
	case CURLE_WRITE_ERROR:
		if (r->too_big) {
			snprintf(out, len, "body size limit exceeded");
			return;
		}
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(out, len, "Get \"%s\": context deadline exceeded", l->url);
		return;
	case CURLE_COULDNT_CONNECT: {
		long oserr = 0;
		curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
		char msg[128];
		snprintf(msg, sizeof(msg), "%s", strerror(oserr ? (int)oserr : ECONNREFUSED));
		if (msg[0] >= 'A' && msg[0] <= 'Z')
			msg[0] = (char)(msg[0] - 'A' + 'a');
		snprintf(out, len, "Get \"%s\": dial tcp %s: connect: %s", l->url, addr, msg);
		return;
	}
	case CURLE_COULDNT_RESOLVE_HOST: {
		char host[256];
		snprintf(host, sizeof(host), "%s", addr);
		char *c = strrchr(host, ':');
		if (c)
			*c = '\0';
		snprintf(out, len, "Get \"%s\": dial tcp: lookup %s: no such host", l->url, host);
		return;
	}
	default:
		break;
	}
	snprintf(out, len, "Get \"%s\": %s", l->url,
		 r->errbuf[0] ? r->errbuf : curl_easy_strerror(r->result));
}

static void scrape_finish(struct scrape_manager *m, struct tsdb_appender *a, struct target_loop *l,
			  struct buf *body)
{
	struct fetch_req *r = l->req;
	double dur = (double)(l->end_mono.tv_sec - l->start_mono.tv_sec) +
		     (double)(l->end_mono.tv_nsec - l->start_mono.tv_nsec) / 1e9;
	char err[512] = "";
	struct scrape_counts c;
	memset(&c, 0, sizeof(c));
	bool ok = false;
	if (r->result != CURLE_OK || r->status != 200) {
		fetch_error_text(l, err, sizeof(err));
	} else if (strncmp(r->content_type, "application/openmetrics-text", 28) == 0) {
		/* we asked for text; a target that insists on OpenMetrics is not parsed yet */
		snprintf(err, sizeof(err), "unsupported Content-Type \"%s\"", r->content_type);
	} else {
		int rc = scrape_loop_append(l->sl, a, body->data ? body->data : (char *)"",
					    body->len, l->start_wall_ms, &c, err, sizeof(err));
		if (rc == 0)
			ok = true;
		else
			tsdb_appender_rollback(a);
	}
	if (!ok)
		scrape_loop_append_stale(l->sl, a, l->start_wall_ms);
	scrape_loop_append_report(l->sl, a, l->start_wall_ms, ok, dur, &c);
	int rc = tsdb_appender_commit(a);
	if (rc < 0) {
		log_err(rc, "scrape: append failed\tscrape_pool=%s target=%s", l->job->job_name,
			l->url);
		tsdb_appender_rollback(a);
	}
	if (!ok)
		log_debug("Scrape failed\tscrape_pool=%s target=%s err=\"%s\"", l->job->job_name,
			  l->url, err);

	pthread_mutex_lock(&m->mu);
	l->health = ok ? 1 : 2;
	snprintf(l->last_error, sizeof(l->last_error), "%s", err);
	l->last_scrape = l->start_wall;
	l->last_duration = dur;
	m->exceeded_sample_limit += c.sample_limit_exceeded;
	m->out_of_order += c.out_of_order;
	m->duplicate += c.duplicate;
	m->out_of_bounds += c.out_of_bounds;
	l->in_flight = false;
	bool removed = l->removed;
	if (removed) {
		for (struct target_loop **pp = &m->zombies; *pp; pp = &(*pp)->znext)
			if (*pp == l) {
				*pp = l->znext;
				break;
			}
	}
	/* due again already (the scrape took longer than what was left of the
	 * interval): the scheduler skipped it while it was in flight */
	if (!removed && m->running && l->next_ms <= fetch_mono_ms())
		fetcher_wake(m->threads[l->thread].fetcher);
	pthread_mutex_unlock(&m->mu);
	if (removed)
		loop_retire(m, l);
}

/* ---- the manager ---- */

struct scrape_manager *scrape_manager_new(struct tsdb *db, unsigned nthreads)
{
	struct scrape_manager *m = xcalloc(1, sizeof(*m));
	m->db = db;
	pthread_mutex_init(&m->mu, NULL);
	pthread_mutex_init(&m->qmu, NULL);
	pthread_cond_init(&m->qcond, NULL);
	m->nthreads = nthreads ? nthreads : 2;
	m->threads = xcalloc(m->nthreads, sizeof(*m->threads));
	m->nbulk = m->nthreads;
	m->bulk = xcalloc(m->nbulk, sizeof(*m->bulk));
	for (unsigned i = 0; i < m->nbulk; i++) {
		struct bulk_worker *w = &m->bulk[i];
		w->m = m;
		w->app = tsdb_appender_new(db);
		w->started = w->app && pthread_create(&w->thread, NULL, bulk_main, w) == 0;
		if (!w->started) {
			log_err(-ENOMEM, "scrape: start bulk worker %u", i);
			scrape_manager_free(m);
			return NULL;
		}
	}
	for (unsigned i = 0; i < m->nthreads; i++) {
		struct scrape_thread *t = &m->threads[i];
		t->m = m;
		t->index = i;
		t->app = tsdb_appender_new(db);
		/* its scheduler does nothing until running is set below */
		t->fetcher = t->app ? fetcher_start(scheduler_tick, t) : NULL;
		if (!t->fetcher) {
			log_err(-ENOMEM, "scrape: start scrape thread %u", i);
			scrape_manager_free(m);
			return NULL;
		}
	}
	pthread_mutex_lock(&m->mu);
	m->running = true;
	pthread_mutex_unlock(&m->mu);
	return m;
}

void scrape_manager_apply(struct scrape_manager *m, struct scrape_config *cfg)
{
	struct cfg_holder *h = xcalloc(1, sizeof(*h));
	h->cfg = cfg;
	h->refs = 1;
	struct target_loop *retire = NULL;
	pthread_mutex_lock(&m->mu);
	struct scrape_pool **pools = xcalloc(cfg->n_jobs + 1, sizeof(*pools));
	bool *used = xcalloc(m->npools + 1, sizeof(*used));
	for (size_t i = 0; i < cfg->n_jobs; i++) {
		const struct scrape_job *job = &cfg->jobs[i];
		struct scrape_pool *keep = NULL;
		for (size_t k = 0; k < m->npools && !keep; k++)
			if (!used[k] && strcmp(m->pools[k]->job->job_name, job->job_name) == 0 &&
			    scrape_job_equal(m->pools[k]->job, job)) {
				used[k] = true;
				keep = m->pools[k];
			}
		if (!keep && m->npools)
			m->pool_reloads++;
		pools[i] = keep ? keep : pool_new(m, h, job, &retire);
	}
	for (size_t k = 0; k < m->npools; k++)
		if (!used[k])
			pool_free(m, m->pools[k], &retire);
	free(used);
	free(m->pools);
	m->pools = pools;
	m->npools = cfg->n_jobs;
	update_fds(m);
	threads_assign(m);
	wake_threads(m);
	pthread_mutex_unlock(&m->mu);
	struct cfg_holder *old = m->current;
	m->current = h; /* pools and loops hold references of their own */
	holder_unref(old);
	retire_all(m, retire);
}

void scrape_manager_free(struct scrape_manager *m)
{
	if (!m)
		return;
	/* other threads use the fetchers only under the lock while running */
	pthread_mutex_lock(&m->mu);
	m->running = false;
	pthread_mutex_unlock(&m->mu);
	for (unsigned i = 0; i < m->nthreads; i++)
		fetcher_stop(m->threads[i].fetcher); /* waits for a scrape in progress */
	/* the bulk workers finish what is queued */
	pthread_mutex_lock(&m->qmu);
	m->qstop = true;
	pthread_cond_broadcast(&m->qcond);
	pthread_mutex_unlock(&m->qmu);
	for (unsigned i = 0; i < m->nbulk; i++) {
		if (m->bulk[i].started)
			pthread_join(m->bulk[i].thread, NULL);
		tsdb_appender_free(m->bulk[i].app);
	}
	free(m->bulk);
	for (unsigned i = 0; i < m->nthreads; i++) {
		tsdb_appender_free(m->threads[i].app);
		free(m->threads[i].slots);
	}
	free(m->threads);
	/* no stale markers at shutdown: after a restart the series carry on */
	for (size_t i = 0; i < m->npools; i++) {
		struct scrape_pool *p = m->pools[i];
		for (size_t k = 0; k < p->nloops; k++)
			loop_free(p->loops[k]);
		p->nloops = 0;
		struct target_loop *none = NULL;
		pool_free(m, p, &none);
	}
	free(m->pools);
	while (m->zombies) {
		struct target_loop *next = m->zombies->znext;
		loop_free(m->zombies);
		m->zombies = next;
	}
	free(m->istats);
	holder_unref(m->current);
	pthread_mutex_destroy(&m->mu);
	pthread_mutex_destroy(&m->qmu);
	pthread_cond_destroy(&m->qcond);
	free(m);
}

/* ---- targets API ---- */

static void json_labels(struct json *j, const struct lset *ls)
{
	json_obj(j);
	for (size_t i = 0; i < ls->n; i++) {
		json_key(j, ls->v[i].name);
		json_str(j, ls->v[i].value);
	}
	json_end(j);
}

/* Prometheus's globalUrl: a loopback host is replaced by this machine's name. */
static void json_global_url(struct json *j, const char *url)
{
	const char *h = strstr(url, "://");
	if (!h) {
		json_str(j, url);
		return;
	}
	h += 3;
	size_t hl = 0;
	if (*h == '[') {
		const char *e = strchr(h, ']');
		hl = e ? (size_t)(e - h) + 1 : strlen(h);
	} else {
		hl = strcspn(h, ":/?");
	}
	/* Prometheus's LocalhostRepresentations: exact host names only */
	bool loopback = (hl == 9 && strncmp(h, "localhost", 9) == 0) ||
			(hl == 9 && strncmp(h, "127.0.0.1", 9) == 0) ||
			(hl == 5 && strncmp(h, "[::1]", 5) == 0);
	if (!loopback) {
		json_str(j, url);
		return;
	}
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	struct buf b = BUF_INIT;
	buf_append(&b, url, (size_t)(h - url));
	buf_puts(&b, host);
	buf_puts(&b, h + hl);
	json_str(j, b.data);
	buf_free(&b);
}

static int pool_cmp(const void *a, const void *b)
{
	const struct scrape_pool *const *x = a, *const *y = b;
	return strcmp((*x)->job->job_name, (*y)->job->job_name);
}

void scrape_manager_targets_json(struct scrape_manager *m, struct json *j, const char *state)
{
	bool any = !state || !state[0] || strcmp(state, "any") == 0;
	bool active = any || strcmp(state, "active") == 0;
	bool dropped = any || strcmp(state, "dropped") == 0;
	pthread_mutex_lock(&m->mu);
	struct scrape_pool **pools = xcalloc(m->npools + 1, sizeof(*pools));
	if (m->npools)
		memcpy(pools, m->pools, m->npools * sizeof(*pools));
	qsort(pools, m->npools, sizeof(*pools), pool_cmp);
	json_obj(j);
	json_key(j, "activeTargets");
	json_arr(j);
	for (size_t i = 0; active && i < m->npools; i++) {
		const struct scrape_pool *p = pools[i];
		for (size_t k = 0; k < p->nloops; k++) {
			const struct target_loop *l = p->loops[k];
			json_obj(j);
			json_key(j, "discoveredLabels");
			json_labels(j, &l->discovered);
			json_key(j, "labels");
			struct lset pub = LSET_INIT;
			for (size_t x = 0; x < l->labels.n; x++)
				if (strncmp(l->labels.v[x].name, "__", 2) != 0)
					lset_set(&pub, l->labels.v[x].name, l->labels.v[x].value);
			json_labels(j, &pub);
			lset_free(&pub);
			json_key(j, "scrapePool");
			json_str(j, p->job->job_name);
			json_key(j, "scrapeUrl");
			json_str(j, l->url);
			json_key(j, "globalUrl");
			json_global_url(j, l->url);
			json_key(j, "lastError");
			json_str(j, l->last_error);
			json_key(j, "lastScrape");
			json_rfc3339(j, &l->last_scrape);
			json_key(j, "lastScrapeDuration");
			json_num(j, l->last_duration);
			json_key(j, "health");
			json_str(j, l->health == 1 ? "up" : l->health == 2 ? "down" : "unknown");
			char dur[32];
			json_key(j, "scrapeInterval");
			const char *iv = lset_get(&l->labels, "__scrape_interval__");
			duration_format(l->interval_ms, dur, sizeof(dur));
			json_str(j, iv ? iv : dur);
			json_key(j, "scrapeTimeout");
			const char *to = lset_get(&l->labels, "__scrape_timeout__");
			duration_format(l->timeout_ms, dur, sizeof(dur));
			json_str(j, to ? to : dur);
			json_end(j);
		}
	}
	json_end(j);
	json_key(j, "droppedTargets");
	json_arr(j);
	for (size_t i = 0; dropped && i < m->npools; i++) {
		const struct scrape_pool *p = pools[i];
		for (size_t k = 0; k < p->dropped.n; k++) {
			json_obj(j);
			json_key(j, "discoveredLabels");
			json_labels(j, &p->dropped.v[k].discovered);
			json_end(j);
		}
	}
	json_end(j);
	json_end(j);
	pthread_mutex_unlock(&m->mu);
	free(pools);
}

/* ---- self metrics ---- */

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void scrape_manager_add_metrics(struct scrape_manager *m, struct expo_set *set)
{
	static const double qs[] = {0.01, 0.05, 0.5, 0.9, 0.99};
	pthread_mutex_lock(&m->mu);
	struct expo_family *f = expo_family(set, "prometheus_target_interval_length_seconds",
					    "Actual intervals between scrapes.", EXPO_SUMMARY);
	for (size_t i = 0; i < m->nistats; i++) {
		struct interval_stat *st = &m->istats[i];
		char iv[32], q[32];
		double sorted[INTERVAL_RING];
		memcpy(sorted, st->ring, st->n * sizeof(double));
		qsort(sorted, st->n, sizeof(double), dbl_cmp);
		duration_format(st->interval_ms, iv, sizeof(iv));
		expo_metric_begin(f);
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
			expo_format_double(q, qs[k], 'g');
			struct expo_label ls[2] = {{"interval", iv}, {"quantile", q}};
			double v = st->n ? sorted[(size_t)(qs[k] * (double)(st->n - 1))] : NAN;
			expo_metric_line(f, "", ls, 2, v, EXPO_NO_TS);
		}
		struct expo_label il[1] = {{"interval", iv}};
		expo_metric_line(f, "_sum", il, 1, st->sum, EXPO_NO_TS);
		expo_metric_line(f, "_count", il, 1, (double)st->count, EXPO_NO_TS);
		expo_metric_end(f);
	}
	f = expo_family(set, "prometheus_target_scrape_pool_targets",
			"Current number of targets in this scrape pool.", EXPO_GAUGE);
	for (size_t i = 0; i < m->npools; i++)
		expo_addl(f, (double)m->pools[i]->nloops, "scrape_job", m->pools[i]->job->job_name,
			  NULL);
	f = expo_family(set, "prometheus_sd_discovered_targets",
			"Current number of discovered targets.", EXPO_GAUGE);
	for (size_t i = 0; i < m->npools; i++)
		expo_addl(f, (double)(m->pools[i]->nloops + m->pools[i]->dropped.n), "config",
			  m->pools[i]->job->job_name, "name", "scrape", NULL);
	expo_addl(expo_family(set, "prometheus_target_scrape_pools_total",
			      "Total number of scrape pool creation attempts.", EXPO_COUNTER),
		  (double)m->pools_created, NULL);
	expo_addl(expo_family(set, "prometheus_target_scrape_pool_reloads_total",
			      "Total number of scrape pool reloads.", EXPO_COUNTER),
		  (double)m->pool_reloads, NULL);
	expo_addl(
		expo_family(set, "prometheus_target_scrapes_exceeded_sample_limit_total",
			    "Total number of scrapes that hit the sample limit and were rejected.",
			    EXPO_COUNTER),
		(double)m->exceeded_sample_limit, NULL);
	expo_addl(expo_family(set, "prometheus_target_scrapes_sample_out_of_order_total",
			      "Total number of samples rejected due to not being out of the "
			      "expected order.",
			      EXPO_COUNTER),
		  (double)m->out_of_order, NULL);
	expo_addl(expo_family(set, "prometheus_target_scrapes_sample_duplicate_timestamp_total",
			      "Total number of samples rejected due to duplicate timestamps but "
			      "different values.",
			      EXPO_COUNTER),
		  (double)m->duplicate, NULL);
	expo_addl(expo_family(set, "prometheus_target_scrapes_sample_out_of_bounds_total",
			      "Total number of samples rejected due to timestamp falling outside "
			      "of the time bounds.",
			      EXPO_COUNTER),
		  (double)m->out_of_bounds, NULL);
	pthread_mutex_unlock(&m->mu);
}
