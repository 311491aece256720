// SPDX-License-Identifier: Apache-2.0
/*
 * The node scrape's context pool: one context for scrapes one after the
 * other whichever thread runs them, one more for each scrape that runs
 * while the others are busy, and the extra ones freed once they stay idle
 * while IDLE_TAKES (64) scrapes run.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "agent/node_scrape.h"

static atomic_int inits, cleanups;
static pthread_barrier_t meet;
static atomic_bool concurrent;

struct probe_state {
	int scrapes;
};

static int probe_init(void *state)
{
	atomic_fetch_add(&inits, 1);
	return 0;
}

static int probe_collect(void *state, struct expo_set *out)
{
	struct probe_state *st = state;
	st->scrapes++;
	if (atomic_load(&concurrent))
		pthread_barrier_wait(&meet); /* both scrapes inside at once */
	expo_add(expo_family(out, "probe_scrapes", "Scrapes seen by this context.", EXPO_GAUGE),
		 NULL, 0, st->scrapes);
	return 0;
}

static void probe_cleanup(void *state)
{
	atomic_fetch_add(&cleanups, 1);
}

static const struct collector probe = {
	.name = "probe",
	.default_on = true,
	.state_size = sizeof(struct probe_state),
	.init = probe_init,
	.collect = probe_collect,
	.cleanup = probe_cleanup,
};
static const struct collector *const list[] = {&probe, NULL};

static void scrape_once(void)
{
	struct buf b = BUF_INIT;
	node_scrape(&b);
	cr_assert(strstr(b.data, "probe_scrapes ") != NULL);
	cr_assert(strstr(b.data, "node_scrape_collector_success{collector=\"probe\"} 1") != NULL);
	buf_free(&b);
}

static void *scrape_thread(void *arg)
{
	scrape_once();
	return NULL;
}

Test(node_scrape, contexts_follow_concurrency)
{
	node_scrape_setup(list, false);
	for (int i = 0; i < 5; i++) {
		pthread_t t;
		pthread_create(&t, NULL, scrape_thread, NULL); /* a new thread each time */
		pthread_join(t, NULL);
	}
	cr_assert_eq(atomic_load(&inits), 1, "sequential scrapes share one context");

	pthread_barrier_init(&meet, NULL, 2);
	atomic_store(&concurrent, true);
	pthread_t a, b;
	pthread_create(&a, NULL, scrape_thread, NULL);
	pthread_create(&b, NULL, scrape_thread, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	atomic_store(&concurrent, false);
	pthread_barrier_destroy(&meet);
	cr_assert_eq(atomic_load(&inits), 2, "two scrapes at once need two contexts");
	cr_assert_eq(atomic_load(&cleanups), 0);

	for (int i = 0; i < 60; i++)
		scrape_once();
	cr_assert_eq(atomic_load(&cleanups), 0, "an idle context is kept a while");
	for (int i = 0; i < 10; i++)
		scrape_once();
	cr_assert_eq(atomic_load(&cleanups), 1, "the idle one is freed after 64 scrapes");
	cr_assert_eq(atomic_load(&inits), 2);

	node_scrape_free();
	cr_assert_eq(atomic_load(&cleanups), 2);
}
