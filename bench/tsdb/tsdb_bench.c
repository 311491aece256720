// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-tsdb-bench: ingest N series x R rounds ("scrapes" at a fixed
 * interval) through the TSDB appender API on T threads, then report, as one
 * JSON object on stdout:
 *   samples, series, wall and CPU seconds of the ingest, samples/s,
 *   CPU seconds per million samples, resident memory added per series,
 *   and (with --compact) bytes per sample of the blocks on disk.
 * Values follow a formula shared with run_bench.py, which feeds Prometheus
 * the very same samples:
 *   v(i, r) = r * (i % 17 + 1)                    for i % 4 != 0 (counters)
 *   v(i, r) = ((i * 7919 + r * 104729) % 1000) / 10  for i % 4 == 0 (gauges)
 *   series i: {__name__="bench_metric_<i%50>", job="bench",
 *              instance="host-<i/50>", shard="<i%7>"}
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "server/tsdb/db.h"
#include "server/tsdb/tsdb.h"

struct cfg {
	const char *dir;
	long series, rounds, threads;
	int64_t interval, start;
	int compact;
};

static struct cfg cfg = { "bench-data", 100000, 60, 2, 15000, 0, 0 };
static struct tsdb *db;
static char **names, **instances;
static const char *shards[7] = { "0", "1", "2", "3", "4", "5", "6" };
static pthread_barrier_t barrier;
static int failures;

static double value(long i, long r)
{
	if (i % 4 == 0)
		return (double)((i * 7919 + r * 104729) % 1000) / 10.0;
	return (double)(r * (i % 17 + 1));
}

static long rss_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	struct tsdb_appender *a = tsdb_appender_new(db);
	for (long r = 0; r < cfg.rounds; r++) {
		int64_t t = cfg.start + r * cfg.interval;
		for (long i = id; i < cfg.series; i += cfg.threads) {
			struct tsdb_label ls[] = { { "__name__", names[i % 50] },
						   { "instance", instances[i / 50] },
						   { "job", "bench" },
						   { "shard", shards[i % 7] } };
			if (tsdb_appender_add(a, ls, 4, t, value(i, r)))
				__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			/* commit in scrape-sized batches */
			if ((i / cfg.threads) % 1000 == 999 && tsdb_appender_commit(a))
				__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		}
		if (tsdb_appender_commit(a))
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&barrier);
	}
	tsdb_appender_free(a);
	return NULL;
}

static uint64_t blocks_bytes(void)
{
	struct block **bs;
	size_t n;
	uint64_t total = 0;
	if (db_blocks_get(db, &bs, &n))
		return 0;
	for (size_t i = 0; i < n; i++)
		total += bs[i]->size_bytes;
	db_blocks_put(bs, n);
	return total;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
		if (!strcmp(a, "--dir"))
			cfg.dir = v, i++;
		else if (!strcmp(a, "--series"))
			cfg.series = atol(v), i++;
		else if (!strcmp(a, "--rounds"))
			cfg.rounds = atol(v), i++;
		else if (!strcmp(a, "--threads"))
			cfg.threads = atol(v), i++;
		else if (!strcmp(a, "--interval-ms"))
			cfg.interval = atoll(v), i++;
		else if (!strcmp(a, "--start-ms"))
			cfg.start = atoll(v), i++;
		else if (!strcmp(a, "--compact"))
			cfg.compact = 1;
		else {
			fprintf(stderr, "usage: vigil-tsdb-bench [--dir D] [--series N] [--rounds R] "
					"[--threads T] [--interval-ms I] [--start-ms T0] [--compact]\n");
			return 2;
		}
	}
	if (!cfg.start)
		cfg.start = ((int64_t)time(NULL) * 1000 - cfg.rounds * cfg.interval) / 1000 * 1000;
	names = calloc(50, sizeof(*names));
	instances = calloc((size_t)cfg.series / 50 + 1, sizeof(*instances));
	for (int i = 0; i < 50; i++) {
		names[i] = malloc(32);
		snprintf(names[i], 32, "bench_metric_%d", i);
	}
	for (long i = 0; i <= cfg.series / 50; i++) {
		instances[i] = malloc(32);
		snprintf(instances[i], 32, "host-%ld", i);
	}
	long rss0 = rss_kb("VmRSS:");
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = cfg.dir;
	o.background_compaction = false;
	o.retention_ms = 0;
	if (tsdb_open(&o, &db)) {
		fprintf(stderr, "cannot open %s\n", cfg.dir);
		return 1;
	}
	pthread_barrier_init(&barrier, NULL, (unsigned)cfg.threads);
	pthread_t *th = calloc((size_t)cfg.threads, sizeof(*th));
	double c0 = cpu_seconds(), w0 = wall_seconds();
	for (long i = 0; i < cfg.threads; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (long i = 0; i < cfg.threads; i++)
		pthread_join(th[i], NULL);
	double c1 = cpu_seconds(), w1 = wall_seconds();
	long rss1 = rss_kb("VmRSS:");
	double samples = (double)cfg.series * (double)cfg.rounds;
	printf("{\"series\": %ld, \"rounds\": %ld, \"samples\": %.0f, \"failures\": %d, "
	       "\"wall_s\": %.3f, \"cpu_s\": %.3f, \"samples_per_s\": %.0f, "
	       "\"cpu_s_per_million\": %.4f, \"rss_before_kb\": %ld, \"rss_after_kb\": %ld, "
	       "\"bytes_per_series\": %.1f",
	       cfg.series, cfg.rounds, samples, failures, w1 - w0, c1 - c0, samples / (w1 - w0),
	       (c1 - c0) / samples * 1e6, rss0, rss1,
	       (double)(rss1 - rss0) * 1024.0 / (double)cfg.series);
	if (cfg.compact) {
		double c2 = cpu_seconds();
		int rc = tsdb_compact(db, true);
		double c3 = cpu_seconds();
		uint64_t bytes = blocks_bytes();
		printf(", \"compact_rc\": %d, \"compact_cpu_s\": %.3f, \"block_bytes\": %" PRIu64
		       ", \"bytes_per_sample\": %.3f",
		       rc, c3 - c2, bytes, (double)bytes / samples);
	}
	printf("}\n");
	tsdb_close(db);
	return failures ? 1 : 0;
}
