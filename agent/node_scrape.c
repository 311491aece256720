// SPDX-License-Identifier: Apache-2.0
#include "agent/node_scrape.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fdcache.h"
#include "common/log.h"
#include "common/procself.h"
#include "version.h"

/* Each collector's last outcome, so a failure is logged once, not per scrape. */
enum { OUTCOME_UNKNOWN = 0, OUTCOME_OK, OUTCOME_FAILED };

/*
 * What a scrape needs besides the collector table: the collectors' states,
 * a reusable exposition set and the kept kernel-file descriptors.  Contexts
 * live in a pool: a scrape takes the one used last (its caches are warm),
 * or builds one when all are busy, and puts it back.  There are never more
 * contexts than scrapes ran at once, so a host scraped by one Prometheus
 * keeps one, whichever pool thread serves it; a context left idle while
 * IDLE_TAKES scrapes ran (a burst of concurrent scrapes is over) is freed
 * and its memory given back.
 */
#define IDLE_TAKES 64
struct scrape_ctx {
	struct scrape_ctx *next; /* in the pool */
	unsigned long taken;	 /* the value of takes when it was last taken */
	void **states;
	bool *inited;
	struct expo_set *set;
	struct fdcache *fds;
};

static const struct collector *const *enabled;
static size_t nenabled;
static bool with_exporter_metrics;
static atomic_int *outcomes;
static atomic_ulong requests_total;
static atomic_int in_flight;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct scrape_ctx *pool;
static unsigned long takes; /* under pool_lock */

static void ctx_free(struct scrape_ctx *ctx)
{
	if (!ctx)
		return;
	fdcache_bind(ctx->fds);
	for (size_t i = 0; i < nenabled; i++) {
		if (ctx->inited[i] && enabled[i]->cleanup)
			enabled[i]->cleanup(ctx->states[i]);
		free(ctx->states[i]);
	}
	fdcache_bind(NULL);
	fdcache_free(ctx->fds);
	free(ctx->states);
	free(ctx->inited);
	expo_set_free(ctx->set);
	free(ctx);
}

void node_scrape_setup(const struct collector *const *list, bool exporter_metrics)
{
	node_scrape_free();
	enabled = list;
	for (nenabled = 0; list[nenabled]; nenabled++)
		;
	with_exporter_metrics = exporter_metrics;
	free(outcomes);
	outcomes = xcalloc(nenabled ? nenabled : 1, sizeof(*outcomes));
}

static struct scrape_ctx *ctx_take(void)
{
	pthread_mutex_lock(&pool_lock);
	unsigned long now = ++takes;
	struct scrape_ctx *ctx = pool;
	if (ctx) {
		pool = ctx->next;
		ctx->taken = now;
	}
	pthread_mutex_unlock(&pool_lock);
	if (ctx)
		return ctx;
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->taken = now;
	ctx->states = xcalloc(nenabled ? nenabled : 1, sizeof(*ctx->states));
	ctx->inited = xcalloc(nenabled ? nenabled : 1, sizeof(*ctx->inited));
	for (size_t i = 0; i < nenabled; i++)
		ctx->states[i] = xcalloc(1, enabled[i]->state_size ? enabled[i]->state_size : 1);
	ctx->set = expo_set_new();
	ctx->fds = fdcache_new();
	return ctx;
}

static void ctx_put(struct scrape_ctx *ctx)
{
	struct scrape_ctx *idle = NULL;
	pthread_mutex_lock(&pool_lock);
	ctx->next = pool;
	pool = ctx;
	/* the pool is in last-used order: cut off the tail nobody took lately */
	for (struct scrape_ctx **pp = &pool->next; *pp; pp = &(*pp)->next) {
		if (takes - (*pp)->taken > IDLE_TAKES) {
			idle = *pp;
			*pp = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&pool_lock);
	if (!idle)
		return;
	while (idle) {
		struct scrape_ctx *next = idle->next;
		ctx_free(idle);
		idle = next;
	}
	malloc_trim(0);
}

void node_scrape_free(void)
{
	pthread_mutex_lock(&pool_lock);
	struct scrape_ctx *ctx = pool;
	pool = NULL;
	pthread_mutex_unlock(&pool_lock);
	while (ctx) {
		struct scrape_ctx *next = ctx->next;
		ctx_free(ctx);
		ctx = next;
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void note_outcome(size_t i, int rc)
{
	int now = rc < 0 ? OUTCOME_FAILED : OUTCOME_OK;
	int before = atomic_exchange(&outcomes[i], now);
	if (now == before)
		return;
	if (now == OUTCOME_FAILED && rc == -ENODATA)
		/* "no data" (e.g. no PSI on this kernel): node_exporter logs it at debug */
		log_debug("collector returned no data\tname=%s", enabled[i]->name);
	else if (now == OUTCOME_FAILED)
		log_err(rc, "collector failed\tname=%s", enabled[i]->name);
	else if (before == OUTCOME_FAILED)
		log_info("collector recovered\tname=%s", enabled[i]->name);
}

void node_scrape(struct buf *out)
{
	struct scrape_ctx *ctx = ctx_take();
	struct expo_set *set = ctx->set;
	fdcache_bind(ctx->fds);
	collector_scrape_begin();
	int flying = atomic_fetch_add(&in_flight, 1) + 1;
	unsigned long served = atomic_fetch_add(&requests_total, 1);

	expo_set_reset(set);
	struct expo_family *dur = expo_family(set, "node_scrape_collector_duration_seconds",
					      "node_exporter: Duration of a collector scrape.",
					      EXPO_GAUGE);
	struct expo_family *ok = expo_family(set, "node_scrape_collector_success",
					     "node_exporter: Whether a collector succeeded.",
					     EXPO_GAUGE);
	for (size_t i = 0; i < nenabled; i++) {
		const struct collector *c = enabled[i];
		int64_t t0 = now_ns();
		int rc = 0;
		if (!ctx->inited[i]) {
			rc = c->init ? c->init(ctx->states[i]) : 0;
			ctx->inited[i] = rc >= 0;
		}
		if (rc >= 0)
			rc = c->collect(ctx->states[i], set);
		note_outcome(i, rc);
		/* whole nanoseconds over 1e9 format without printf */
		expo_addl(dur, (double)(now_ns() - t0) / 1e9, "collector", c->name, NULL);
		expo_addl(ok, rc < 0 ? 0 : 1, "collector", c->name, NULL);
	}

	expo_addl(expo_family(set, "node_exporter_build_info",
			      "A metric with a constant '1' value labeled by version, revision, "
			      "branch, goversion from which node_exporter was built, and the goos "
			      "and goarch for the build.",
			      EXPO_GAUGE),
		  1, "branch", "", "goarch", "amd64", "goos", "linux", "goversion", "none",
		  "revision", "", "tags", "vigil", "version", VIGIL_VERSION, NULL);

	if (with_exporter_metrics) {
		procself_collect(set);
		expo_addl(expo_family(set, "promhttp_metric_handler_errors_total",
				      "Total number of internal errors encountered by the promhttp "
				      "metric handler.",
				      EXPO_COUNTER),
			  0, "cause", "encoding", NULL);
		expo_addl(expo_family(set, "promhttp_metric_handler_errors_total", NULL, EXPO_COUNTER),
			  0, "cause", "gathering", NULL);
		expo_add(expo_family(set, "promhttp_metric_handler_requests_in_flight",
				     "Current number of scrapes being served.", EXPO_GAUGE),
			 NULL, 0, flying);
		/* the current scrape is counted once it is served, as promhttp does */
		struct expo_family *req = expo_family(set, "promhttp_metric_handler_requests_total",
						      "Total number of scrapes by HTTP status code.",
						      EXPO_COUNTER);
		expo_addl(req, (double)served, "code", "200", NULL);
		expo_addl(req, 0, "code", "500", NULL);
		expo_addl(req, 0, "code", "503", NULL);
	}
	expo_set_render(set, out);
	collector_scrape_end();
	fdcache_bind(NULL);
	ctx_put(ctx);
	atomic_fetch_sub(&in_flight, 1);
}
