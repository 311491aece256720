/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scraper's HTTP client: one thread drives every transfer through
 * libcurl's multi interface, so a slow or hanging target never delays
 * another.  Each scrape loop owns a struct fetch_req with a reusable easy
 * handle (its connection is kept alive between scrapes); the loop fills in
 * the handle's options once, then submits the request for each scrape.
 * When a transfer ends the fetcher calls the request's done() from its own
 * thread; the fetcher's other transfers wait until it returns.  done() gets
 * the body (a buffer the fetcher lends and reuses afterwards, or done()
 * keeps) and may free the request.
 *
 * Between transfers the fetcher thread calls a tick() callback (the scrape
 * scheduler) which may submit requests and returns how long the thread may
 * sleep; extra descriptors (inotify watches of file_sd) wake it too.  tick()
 * runs when that time has come, after fetcher_wake() and when an extra
 * descriptor is readable, not after every round of transfers.
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
	/* results of the last transfer (the body, while it arrives: done()
	 * gets it as an argument) */
	struct buf body;
	bool too_big;		/* the body went past body_limit */
	CURLcode result;	/* CURLE_OK when the transfer completed */
	long status;		/* HTTP status */
	char status_text[96];	/* the status line after the version: "500 Internal Server Error" */
	char content_type[128]; /* Content-Type of the answer, or "" */
	char errbuf[CURL_ERROR_SIZE];
	/* body: valid and writable until done() returns, unless done() keeps
	 * it (copies the struct, then sets *body to BUF_INIT); r may be freed */
	void (*done)(struct fetch_req *r, struct buf *body, void *ctx);
	void *ctx;
	struct fetch_req *next; /* private to the fetcher */
};

/* A new request with a fresh easy handle (write callback and defaults set). */
struct fetch_req *fetch_req_new(void);
void fetch_req_free(struct fetch_req *r);

struct fetcher;

/*
 * Start the fetcher thread.  tick(ctx, now_ms) runs in that thread (see
 * above) and returns the longest time in ms to wait for the next one
 * (at most 1000 is used).
 */
struct fetcher *fetcher_start(int64_t (*tick)(void *ctx, int64_t now_ms), void *ctx);
/* Replace the extra descriptors polled by the thread (copied). */
void fetcher_set_fds(struct fetcher *f, const int *fds, int n);
/* Queue a transfer (any thread); done() follows from the fetcher thread. */
void fetcher_submit(struct fetcher *f, struct fetch_req *r);
/* Wake the thread so tick() runs soon (any thread). */
void fetcher_wake(struct fetcher *f);
/* Abort the transfers in progress (their done() is not called) and stop the thread. */
void fetcher_stop(struct fetcher *f);

/* Milliseconds of CLOCK_MONOTONIC and CLOCK_REALTIME. */
int64_t fetch_mono_ms(void);
int64_t fetch_wall_ms(void);

#endif
