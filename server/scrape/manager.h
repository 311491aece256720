/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scrape manager: one scrape pool per job of the running config, one
 * scrape loop per active target, as Prometheus 2.42's scrape.Manager.
 *
 * Threads: a few scrape threads, each a fetcher (fetch.h) that runs the
 * transfers and the schedule of the targets assigned to it (round robin)
 * and parses and appends each body on arrival, with a TSDB appender of its
 * own: no handoff between threads per scrape.  A body over 1 MiB goes to a
 * bulk worker instead (as many as scrape threads), so that a huge
 * exposition does not hold up the other targets' transfers.  Thread 0 also
 * watches file_sd files.  Each target is scraped every scrape_interval at a
 * fixed phase inside the interval, derived from a hash of its labels and
 * URL, so the scrapes of many targets spread over the interval and a target
 * keeps its phase across restarts.  One target is never scraped twice at
 * once; a scrape still running when the next one is due delays it.
 *
 * Reload: scrape_manager_apply() compares each job with the running one
 * (scrape_job_equal()): an unchanged job keeps its pool, loops and series
 * caches; a changed or removed job's loops stop and every series they were
 * writing gets a stale marker, and the new job starts afresh.  Targets that
 * disappear from file_sd files get stale markers the same way.
 *
 * Ownership: the manager owns every config applied to it (freed when no
 * pool uses it any more) and the loops; the TSDB must outlive it.
 */
#ifndef VIGIL_SCRAPE_MANAGER_H
#define VIGIL_SCRAPE_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

struct tsdb;
struct scrape_config;
struct json;
struct expo_set;
struct scrape_manager;

/* A manager appending to db with nthreads scrape threads (0: 2).  NULL on failure. */
struct scrape_manager *scrape_manager_new(struct tsdb *db, unsigned nthreads);
/*
 * Run cfg's jobs (the manager takes ownership of cfg and keeps it alive at
 * least until the next apply): see the reload rules above.  The first call
 * starts scraping.
 */
void scrape_manager_apply(struct scrape_manager *m, struct scrape_config *cfg);
/* Stop every loop and thread (no stale markers: a restart carries on) and free. */
void scrape_manager_free(struct scrape_manager *m);

/*
 * Write the data object of /api/v1/targets ({"activeTargets": [...],
 * "droppedTargets": [...]}) as Prometheus does; state is NULL, "", "any",
 * "active" or "dropped".
 */
void scrape_manager_targets_json(struct scrape_manager *m, struct json *j, const char *state);
/* Add the prometheus_target_* and prometheus_sd_* self metrics. */
void scrape_manager_add_metrics(struct scrape_manager *m, struct expo_set *set);

#endif
