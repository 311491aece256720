/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scraper's HTTP client: one thread drives every transfer through
 * libcurl's multi interface, so a slow or hanging target never delays
 * another.  Each scrape loop owns a struct fetch_req with a reusable easy
 * handle (its connection is kept alive between scrapes); the loop fills in
 * the handle's options once, then submits the request for each scrape.
 * When a transfer ends the fetcher calls the request's done() from its own
 * thread: done() must be quick (hand the body to a worker).
 *
 * Between transfers the fetcher thread calls a tick() callback (the scrape
 * scheduler) which may submit requests and returns how long the thread may
 * sleep; extra descriptors (inotify watches of file_sd) wake it too.
 *
 * Ownership: the caller owns each fetch_req and must not touch it between
 * fetcher_submit() and its done() call.
 */
#ifndef VIGIL_SCRAPE_FETCH_H
#define VIGIL_SCRAPE_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common/buf.h"

struct fetch_req {
	CURL *easy;
	struct curl_slist *headers;
	uint64_t body_limit; /* bytes, 0 = none */
	/* results of the last transfer */
	struct buf body;
	bool too_big;		/* the body went past body_limit */
	CURLcode result;	/* CURLE_OK when the transfer completed */
	long status;		/* HTTP status */
	char status_text[96];	/* the status line after the version: "500 Internal Server Error" */
	char content_type[128]; /* Content-Type of the answer, or "" */
	char errbuf[CURL_ERROR_SIZE];
	void (*done)(struct fetch_req *r, void *ctx);
	void *ctx;
	struct fetch_req *next; /* private to the fetcher */
};

/* A new request with a fresh easy handle (write callback and defaults set). */
struct fetch_req *fetch_req_new(void);
void fetch_req_free(struct fetch_req *r);

struct fetcher;

/*
 * Start the fetcher thread.  tick(ctx, now_ms) runs in that thread after
 * each round and returns the longest time in ms to wait for the next one;
 * fds (n of them, may be 0) are polled for input as well.
 */
struct fetcher *fetcher_start(int64_t (*tick)(void *ctx, int64_t now_ms), void *ctx);
/* Replace the extra descriptors polled by the thread (copied). */
void fetcher_set_fds(struct fetcher *f, const int *fds, int n);
/* Queue a transfer (any thread); done() follows from the fetcher thread. */
void fetcher_submit(struct fetcher *f, struct fetch_req *r);
/* Wake the thread so tick() runs soon. */
void fetcher_wake(struct fetcher *f);
/* Abort the transfers in progress (their done() is not called) and stop the thread. */
void fetcher_stop(struct fetcher *f);

/* Milliseconds of CLOCK_MONOTONIC and CLOCK_REALTIME. */
int64_t fetch_mono_ms(void);
int64_t fetch_wall_ms(void);

#endif
