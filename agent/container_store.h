/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the container engine: what containers.c keeps per container and
 * what container_api.c reads to render the history.  Private to those two
 * files.
 *
 * Each container has a ring of fixed-size samples, enough for
 * --container.storage-duration at the housekeeping interval; the latest
 * full stats (with per-device and per-interface counters) are kept
 * beside it for rendering.  The store is changed only by the housekeeping
 * round, under store_lock; readers of the store take the same lock.
 */
#ifndef VIGIL_AGENT_CONTAINER_STORE_H
#define VIGIL_AGENT_CONTAINER_STORE_H

#include <pthread.h>
#include <stdint.h>

#include "agent/containers.h"
#include "collectors/cgroup.h"
#include "collectors/docker_api.h"
#include "common/expo.h"

/* One stored sample: what /api/v1/containers shows per timestamp. */
struct ctr_sample {
	int64_t ts_ms;
	double cpu_usage, cpu_user, cpu_system; /* seconds */
	double cfs_periods, cfs_throttled_periods, cfs_throttled_seconds;
	double mem_usage, mem_working_set, mem_rss, mem_cache, mem_swap;
	double processes, threads;
	double net_rx_bytes, net_tx_bytes;    /* summed over interfaces */
	double fs_read_bytes, fs_write_bytes; /* summed over devices */
};

struct ctr {
	char *cgroup; /* "id" label: "/", "/docker/<id>" */
	char docker_id[65];
	char *name, *image; /* from Docker, "" otherwise */
	char **labels;	    /* sanitized "container_label_<k>", value, ... */
	size_t nlabels;	    /* pairs */
	double start_time;  /* seconds since the epoch */
	uint64_t seen_round;
	uint64_t spec_round;	/* last round that read its limits */
	struct cgroup_stats st; /* latest */
	struct cgroup_fds fds;	/* its files kept open */
	struct ctr_sample *ring;
	size_t ring_cap, ring_len, ring_head; /* head: next slot to write */
};

struct ctr_engine {
	struct ctr_opts opts;
	char docker_socket[108];
	bool docker_on;
	struct cgroup_layout layout;
	struct cgroup_reader reader;

	pthread_mutex_t store_lock; /* guards ctrs */
	struct ctr **ctrs;	    /* sorted by cgroup */
	size_t nctrs, cap;
	uint64_t round;
	size_t ring_cap;

	/* Docker naming */
	struct docker_list docker;
	bool docker_ok, docker_logged;
	int64_t docker_next_try_ms, docker_backoff_ms, docker_listed_s;
	char docker_version[64];

	/* rendering */
	struct buf scratch;
	pthread_mutex_t render_lock; /* guards rendered */
	struct buf rendered;

	/* block devices: major:minor -> "/dev/<name>" from diskstats, per round */
	struct ctr_dev {
		uint32_t major, minor;
		char name[40];
	} * devs;
	size_t ndevs;

	/* machine */
	double cpu_cores, mem_bytes;
	char boot_id[64], machine_id[64], system_uuid[64], kernel[128], os[128];

	/* thread */
	pthread_t thread;
	bool running, stopping;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
};

/*
 * Render the cAdvisor exposition of every stored container (and the
 * machine and version families) to out, samples stamped ts (ms).  Called
 * by the round with store_lock held.  In container_render.c.
 */
void ctr_render(struct ctr_engine *e, int64_t ts, struct buf *out);
/* "/dev/<name>" of a block device, or "MAJ:MIN" into tmp when unknown. */
const char *ctr_device_name(const struct ctr_engine *e, uint32_t major, uint32_t minor, char *tmp,
			    size_t size);

#endif
