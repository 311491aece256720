// SPDX-License-Identifier: Apache-2.0
/*
 * The scraper's HTTP client over libcurl's multi interface: see fetch.h.
 * Submissions go through a mutex-protected list and curl_multi_wakeup();
 * only the fetcher thread touches the multi handle.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "server/scrape/fetch.h"

#define FETCH_MAX_FDS 64

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
};

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
	return r;
}

void fetch_req_free(struct fetch_req *r)
{
	if (!r)
		return;
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	buf_free(&r->body);
	free(r);
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
		r->done(r, r->ctx);
	}
}

static void *fetch_thread(void *arg)
{
	struct fetcher *f = arg;
	int running = 0;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		bool stop = f->stop;
		struct fetch_req *q = f->queue;
		f->queue = NULL;
		struct curl_waitfd wfds[FETCH_MAX_FDS];
		int nw = f->nfds;
		for (int i = 0; i < nw; i++)
			wfds[i] = (struct curl_waitfd){f->fds[i], CURL_WAIT_POLLIN, 0};
		pthread_mutex_unlock(&f->mu);
		if (stop)
			break;
		while (q) {
			struct fetch_req *next = q->next;
			buf_reset(&q->body);
			q->too_big = false;
			q->status = 0;
			q->status_text[0] = q->content_type[0] = '\0';
			q->errbuf[0] = '\0';
			CURLMcode mc = curl_multi_add_handle(f->multi, q->easy);
			if (mc != CURLM_OK) {
				q->result = CURLE_FAILED_INIT;
				snprintf(q->errbuf, sizeof(q->errbuf), "%s",
					 curl_multi_strerror(mc));
				q->done(q, q->ctx);
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
		int64_t wait = f->tick(f->ctx, fetch_mono_ms());
		if (wait < 0)
			wait = 0;
		if (wait > 1000)
			wait = 1000;
		pthread_mutex_lock(&f->mu);
		bool pending = f->queue != NULL || f->stop;
		pthread_mutex_unlock(&f->mu);
		if (pending)
			continue;
		curl_multi_poll(f->multi, wfds, (unsigned)nw, (int)wait, NULL);
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
	pthread_mutex_unlock(&f->mu);
	curl_multi_wakeup(f->multi);
}

void fetcher_submit(struct fetcher *f, struct fetch_req *r)
{
	pthread_mutex_lock(&f->mu);
	r->next = f->queue;
	f->queue = r;
	pthread_mutex_unlock(&f->mu);
	curl_multi_wakeup(f->multi);
}

void fetcher_wake(struct fetcher *f)
{
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
	curl_multi_cleanup(f->multi);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
