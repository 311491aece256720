/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container metrics compatible with cAdvisor's Prometheus output, served by
 * vigil-agent on a second listener (--container.listen-address, :8080).
 *
 * A housekeeping thread walks the cgroup tree every interval, reads each
 * cgroup's stat files, names Docker containers from the Engine API, keeps
 * the last storage-duration of samples per container in memory, and
 * renders the whole exposition once per round into a buffer that is
 * swapped in under a lock: a scrape only copies the latest rendering.
 *
 * An engine owns everything it hands out; ctr_engine_free() frees the
 * tree.  The ctr_engine_* calls may be used without the thread (tests run
 * rounds by hand); the containers_* calls drive the agent's one engine.
 */
#ifndef VIGIL_AGENT_CONTAINERS_H
#define VIGIL_AGENT_CONTAINERS_H

#include <stdbool.h>

#include "common/buf.h"
#include "common/httpd.h"

struct ctr_opts {
	const char *docker_socket; /* "unix:///var/run/docker.sock"; NULL or "" disables Docker */
	double interval;	   /* housekeeping interval, seconds */
	double storage;		   /* history kept per container, seconds */
	bool docker_only;	   /* only Docker containers (and the root cgroup) */
	const char *mountinfo;	   /* mountinfo to find cgroup mounts; NULL: the tree decides */
};

struct ctr_engine;

/* Create an engine (detects the cgroup layout; logs when none is found). */
struct ctr_engine *ctr_engine_new(const struct ctr_opts *opts);
/* One housekeeping round: walk, read, name, store, render.  0 or a negative errno. */
int ctr_engine_round(struct ctr_engine *e);
/* Append the latest rendering (cAdvisor's /metrics text) to out. */
void ctr_engine_scrape(struct ctr_engine *e, struct buf *out);
/* Append the stored history as JSON (/api/v1/containers) to out. */
void ctr_engine_history_json(struct ctr_engine *e, struct buf *out);
/* Number of containers seen in the last round. */
unsigned ctr_engine_count(struct ctr_engine *e);
/* Start / stop the housekeeping thread (the first round is run by ctr_engine_start itself). */
int ctr_engine_start(struct ctr_engine *e);
void ctr_engine_stop(struct ctr_engine *e);
void ctr_engine_free(struct ctr_engine *e);

/* The agent's engine: start (first round included), serve, stop. */
int containers_start(const struct ctr_opts *opts);
void containers_stop(void);
/* HTTP handler of the container listener: /metrics, /api/v1/containers, /. */
void containers_handle(void *ctx, const struct http_request *req, struct http_response *resp);

#endif
