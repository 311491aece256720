/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-metrics scrape (:9100/metrics): runs every enabled collector in
 * table order and adds node_scrape_collector_{success,duration_seconds},
 * the agent's own process_* metrics, build info and the promhttp handler
 * counters, as node_exporter does.
 *
 * Scrapes run on the HTTP pool threads, each with a context of its own
 * (collector states, a reusable exposition set, kept kernel-file
 * descriptors) taken from a pool, so concurrent scrapes share nothing but
 * the read-only collector table and a few atomic counters, and scale with
 * cores; the pool holds as many contexts as scrapes ever ran at once.
 */
#ifndef VIGIL_AGENT_NODE_SCRAPE_H
#define VIGIL_AGENT_NODE_SCRAPE_H

#include <stdbool.h>

#include "collectors/collector.h"
#include "common/buf.h"

/*
 * Fix the set of collectors scrapes will run (a NULL-terminated list that
 * must outlive the agent) and whether the promhttp_* and process_* metrics
 * are included.  Call once before serving.
 */
void node_scrape_setup(const struct collector *const *enabled, bool exporter_metrics);
/* Render one full scrape into out (appending). */
void node_scrape(struct buf *out);
/* Free the pooled contexts (no scrape may be running). */
void node_scrape_free(void);

#endif
