// SPDX-License-Identifier: Apache-2.0
/*
 * The scraper's HTTP client over libcurl's multi interface: see fetch.h.
 * Submissions go through a mutex-protected list and curl_multi_wakeup();
 * only the fetcher thread touches the multi handle.
 *
 * Connections: idle connections wait in the multi handle's cache between
 * scrapes.  curl sizes that cache by default at 4 times the transfers
 * attached at the moment a connection is returned, a handful when targets
 * are scraped one after the other, so with many targets most connections
 * were closed and every scrape paid a TCP connect (and left a TIME_WAIT
 * socket).  The cache is sized instead by the requests that exist, one
 * idle connection each, as Prometheus keeps one per target, up to a quarter
 * of the descriptor limit per fetcher (so that idle connections never take
 * the descriptors new ones need; the systemd unit raises the limit).
 *
 * Bodies: a request borrows a buffer from its fetcher's pool when its
 * transfer starts; done() gets it, and it goes back to the pool after
 * done() (the request may be gone by then).  An aborted transfer's buffer
 * stays with its request.  The most recently
 * returned buffer goes out first, so a thread whose transfers mostly run one
 * at a time writes every body into the same buffer, still in its cache, and
 * keeps a few buffers instead of one per target.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#include "common/log.h"
#include "server/scrape/fetch.h"

#define FETCH_MAX_FDS 64
/* Idle connections kept beyond one per request (redirects, a reload's overlap). */
#define FETCH_SPARE_CONNS 16
/* Body buffers a fetcher keeps for reuse, and the largest one it keeps. */
#define FETCH_POOL_BUFS	 4
#define FETCH_POOL_BYTES (4u << 20)

struct fetcher {
	CURLM *multi;
	pthread_t thread;
	pthread_mutex_t mu;
	struct fetch_req *queue; /* submitted, not yet added to multi */
	bool stop;
	int fds[FETCH_MAX_FDS];
	int nfds;
	int64_t (*tick)(void *ctx, int64_t now_ms);
	void *ctx;
	struct fetch_req **active; /* attached to multi (fetcher thread only) */
	size_t nactive, capactive;
	long maxconnects;  /* the connection cache size set last (fetcher thread only) */
	long conn_limit;   /* the most it may be: RLIMIT_NOFILE / 4 */
	int64_t next_tick; /* when tick() asked to run again (fetcher thread only) */
	bool woken;	   /* fetcher_wake() asked for a tick (under mu) */
	struct buf pool[FETCH_POOL_BUFS]; /* body buffers (fetcher thread only) */
	size_t npool;
};

/* fetch_req objects alive in the process: the connection cache's size. */
static long live_reqs;
/* The fetcher whose thread this is (NULL elsewhere). */
static __thread struct fetcher *fetch_self;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
}

int64_t fetch_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t fetch_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t fetch_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct fetch_req *r = ud;
	size_t n = size * nmemb;
	if (r->body_limit && r->body.len + n > r->body_limit) {
		r->too_big = true;
		return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
	}
	buf_append(&r->body, data, n);
	return n;
}

/* Keep the status line and Content-Type: Go reports the server's own reason phrase. */
static size_t fetch_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct fetch_req *r = ud;
	size_t n = size * nmemb, len = n;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', len);
		if (sp) {
			size_t k = len - (size_t)(sp + 1 - data);
			if (k >= sizeof(r->status_text))
				k = sizeof(r->status_text) - 1;
			memcpy(r->status_text, sp + 1, k);
			r->status_text[k] = '\0';
		}
		r->content_type[0] = '\0';
	} else if (len > 13 && strncasecmp(data, "content-type:", 13) == 0) {
		const char *v = data + 13;
		size_t k = len - 13;
		while (k && (*v == ' ' || *v == '\t'))
			v++, k--;
		if (k >= sizeof(r->content_type))
			k = sizeof(r->content_type) - 1;
		memcpy(r->content_type, v, k);
		r->content_type[k] = '\0';
	}
	return n;
}

struct fetch_req *fetch_req_new(void)
{
	pthread_once(&curl_once, curl_init_once);
	struct fetch_req *r = xcalloc(1, sizeof(*r));
	r->easy = curl_easy_init();
	if (!r->easy) {
		free(r);
		return NULL;
	}
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, fetch_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "gzip");
	__atomic_add_fetch(&live_reqs, 1, __ATOMIC_RELAXED);
	return r;
}

void fetch_req_free(struct fetch_req *r)
{
	if (!r)
		return;
	__atomic_sub_fetch(&live_reqs, 1, __ATOMIC_RELAXED);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	buf_free(&r->body);
	free(r);
}

/* A body buffer for a transfer that starts: the one returned last, or a new one. */
static void body_take(struct fetcher *f, struct fetch_req *r)
{
	if (!r->body.data && f->npool)
		r->body = f->pool[--f->npool];
	buf_reset(&r->body);
}

/* Call r's done() with its body, then keep the body's buffer for another transfer. */
static void fetch_done(struct fetcher *f, struct fetch_req *r)
{
	struct buf body = r->body;
	r->body = (struct buf)BUF_INIT; /* done() may free r */
	r->done(r, &body, r->ctx);
	if (!body.data)
		return; /* done() kept it */
	if (f->npool < FETCH_POOL_BUFS && body.cap <= FETCH_POOL_BYTES)
		f->pool[f->npool++] = body;
	else
		buf_free(&body);
}

static void fetch_forget(struct fetcher *f, struct fetch_req *r)
{
	for (size_t i = 0; i < f->nactive; i++)
		if (f->active[i] == r) {
			f->active[i] = f->active[--f->nactive];
			return;
		}
}

static void fetch_finish(struct fetcher *f, CURLM *multi)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode res = msg->data.result;
		struct fetch_req *r = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
		curl_multi_remove_handle(multi, easy);
		fetch_forget(f, r);
		r->result = res;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
		fetch_done(f, r);
	}
}

static void *fetch_thread(void *arg)
{
	struct fetcher *f = arg;
	int running = 0;
	fetch_self = f;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		bool stop = f->stop, woken = f->woken;
		struct fetch_req *q = f->queue;
		f->queue = NULL;
		f->woken = false;
		struct curl_waitfd wfds[FETCH_MAX_FDS];
		int nw = f->nfds;
		for (int i = 0; i < nw; i++)
			wfds[i] = (struct curl_waitfd){f->fds[i], CURL_WAIT_POLLIN, 0};
		pthread_mutex_unlock(&f->mu);
		if (stop)
			break;
		long want = __atomic_load_n(&live_reqs, __ATOMIC_RELAXED) + FETCH_SPARE_CONNS;
		if (want > f->conn_limit)
			want = f->conn_limit;
		if (want != f->maxconnects) {
			curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, want);
			f->maxconnects = want;
		}
		while (q) {
			struct fetch_req *next = q->next;
			body_take(f, q);
			q->too_big = false;
			q->status = 0;
			q->status_text[0] = q->content_type[0] = '\0';
			q->errbuf[0] = '\0';
			CURLMcode mc = curl_multi_add_handle(f->multi, q->easy);
			if (mc != CURLM_OK) {
				q->result = CURLE_FAILED_INIT;
				snprintf(q->errbuf, sizeof(q->errbuf), "%s",
					 curl_multi_strerror(mc));
				fetch_done(f, q);
			} else {
				if (f->nactive == f->capactive) {
					f->capactive = f->capactive ? 2 * f->capactive : 64;
					f->active = xrealloc(f->active,
							     f->capactive * sizeof(*f->active));
				}
				f->active[f->nactive++] = q;
			}
			q = next;
		}
		curl_multi_perform(f->multi, &running);
		fetch_finish(f, f->multi);
		/*
		 * tick() only when it asked to be, was asked to by fetcher_wake(),
		 * or an extra descriptor is readable: most rounds are transfers
		 * progressing, and tick() looks at every target.
		 */
		int64_t now = fetch_mono_ms();
		if (woken || now >= f->next_tick) {
			int64_t w = f->tick(f->ctx, now);
			f->next_tick = now + (w < 0 ? 0 : w > 1000 ? 1000 : w);
		}
		int64_t wait = f->next_tick > now ? f->next_tick - now : 0;
		pthread_mutex_lock(&f->mu);
		bool pending = f->queue != NULL || f->stop;
		pthread_mutex_unlock(&f->mu);
		if (pending)
			continue;
		for (int i = 0; i < nw; i++)
			wfds[i].revents = 0;
		curl_multi_poll(f->multi, wfds, (unsigned)nw, (int)wait, NULL);
		for (int i = 0; i < nw; i++)
			if (wfds[i].revents)
				f->next_tick = 0;
	}
	return NULL;
}

struct fetcher *fetcher_start(int64_t (*tick)(void *ctx, int64_t now_ms), void *ctx)
{
	pthread_once(&curl_once, curl_init_once);
	struct fetcher *f = xcalloc(1, sizeof(*f));
	f->multi = curl_multi_init();
	if (!f->multi) {
		free(f);
		log_err(-ENOMEM, "scrape: curl_multi_init");
		return NULL;
	}
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	struct rlimit rl;
	f->conn_limit = LONG_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < (rlim_t)LONG_MAX)
		f->conn_limit = (long)(rl.rlim_cur / 4);
	if (f->conn_limit < FETCH_SPARE_CONNS)
		f->conn_limit = FETCH_SPARE_CONNS;
	pthread_mutex_init(&f->mu, NULL);
	f->tick = tick;
	f->ctx = ctx;
	int rc = pthread_create(&f->thread, NULL, fetch_thread, f);
	if (rc) {
		curl_multi_cleanup(f->multi);
		pthread_mutex_destroy(&f->mu);
		free(f);
		log_err(-rc, "scrape: start fetcher thread");
		return NULL;
	}
	return f;
}

void fetcher_set_fds(struct fetcher *f, const int *fds, int n)
{
	if (n > FETCH_MAX_FDS)
		n = FETCH_MAX_FDS;
	pthread_mutex_lock(&f->mu);
	memcpy(f->fds, fds, (size_t)n * sizeof(*fds));
	f->nfds = n;
	f->woken = true;
	pthread_mutex_unlock(&f->mu);
	curl_multi_wakeup(f->multi);
}

void fetcher_submit(struct fetcher *f, struct fetch_req *r)
{
	pthread_mutex_lock(&f->mu);
	r->next = f->queue;
	f->queue = r;
	pthread_mutex_unlock(&f->mu);
	/* from tick() the thread looks at its queue before it polls again */
	if (fetch_self != f)
		curl_multi_wakeup(f->multi);
}

void fetcher_wake(struct fetcher *f)
{
	pthread_mutex_lock(&f->mu);
	f->woken = true;
	pthread_mutex_unlock(&f->mu);
	curl_multi_wakeup(f->multi);
}

void fetcher_stop(struct fetcher *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_mutex_unlock(&f->mu);
	curl_multi_wakeup(f->multi);
	pthread_join(f->thread, NULL);
	/* transfers still attached are detached without done(): their owners free them */
	for (size_t i = 0; i < f->nactive; i++)
		curl_multi_remove_handle(f->multi, f->active[i]->easy);
	free(f->active);
	for (size_t i = 0; i < f->npool; i++)
		buf_free(&f->pool[i]);
	curl_multi_cleanup(f->multi);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
