/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector interface.  Every host collector and container source is a
 * const struct collector listed in collectors/registry.c.  Its name is the
 * --collector.<name> flag key and the "collector" label of
 * node_scrape_collector_{success,duration_seconds}.
 *
 * The agent serves concurrent scrapes on a pool of threads; each thread
 * owns one state block per enabled collector (state_size bytes, zeroed,
 * init() once before the first collect()), so a collector keeps open file
 * handles and buffers in its state without locks.  Shared data (flags) is
 * read-only once the agent has started.  collect() adds families to the
 * scrape's set and returns 0 or a negative errno: a failure reports
 * success 0 for that collector while the rest of the scrape is served;
 * what it added before failing is still served, as in node_exporter.
 */
#ifndef VIGIL_COLLECTORS_COLLECTOR_H
#define VIGIL_COLLECTORS_COLLECTOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/expo.h"
#include "common/flags.h"

struct collector {
	const char *name;
	bool default_on;
	size_t state_size;
	/* flags of this collector (--collector.<name>.<option>); may be NULL */
	const struct flag_def *flags;
	size_t nflags;
	/* runs once after flags are parsed, before any scrape; may be NULL.
	 * Validates flags (compiles regexes): a negative return stops the agent
	 * with exit code 2 and errbuf as the reason. */
	int (*setup)(char *errbuf, size_t errlen);
	/* per-thread state; init and cleanup may be NULL */
	int (*init)(void *state);
	int (*collect)(void *state, struct expo_set *out);
	void (*cleanup)(void *state);
};

/*
 * The scrape running on this thread: a number unique to one node_scrape()
 * run, 0 outside one (a unit test calling collect directly).  Collectors
 * that read the same kernel file use it to read it once per scrape.
 */
unsigned long collector_scrape_id(void);
/* node_scrape() brackets each scrape with these. */
void collector_scrape_begin(void);
void collector_scrape_end(void);

/*
 * A cache kept per scrape thread across its scrapes (a kernel file read
 * once per scrape): collector_thread_cache() returns the calling thread's
 * object of size bytes, zeroed at its first use and handed to free_fn when
 * the thread exits.  Define one with COLLECTOR_THREAD_CACHE(free_fn).
 */
struct collector_thread_cache {
	atomic_bool made;
	pthread_key_t key;
	void (*free_fn)(void *);
};
#define COLLECTOR_THREAD_CACHE(fn) {.made = false, .free_fn = (fn)}
void *collector_thread_cache(struct collector_thread_cache *c, size_t size);

/* Every collector, sorted by name; terminated by NULL. */
extern const struct collector *const collector_registry[];

/* Number of entries of an array, for the flag tables. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
