// SPDX-License-Identifier: Apache-2.0
/*
 * The scrape append path alone, on one thread: for T targets (scrape loops
 * of one job, with job and instance labels), R rounds of the bench's body
 * (1000 counters in 10 families, as run_bench.py's targets serve it, values
 * changing each round) copied into a buffer as the fetcher would, then
 * scrape_loop_append(), the report series and a commit into a TSDB in a
 * temporary directory.  Prints the CPU time per scraped sample over the
 * rounds after five warm-up rounds.  No network, no threads: what is left of
 * run_bench.py's figure besides receiving the bodies.
 *
 * Not built by CMake (yet); from the source tree, after building build-rel:
 *   cc -O2 -g -std=gnu11 -I. -Ibuild-rel -o loop-bench bench/scrape/loop_bench.c \
 *      build-rel/server/scrape/libvigil_scrape.a build-rel/server/tsdb/libvigil_tsdb.a \
 *      build-rel/common/libvigil_common.a $(pkg-config --libs yaml-0.1 libcurl libpcre2-8) \
 *      -lsnappy -lpthread -lm
 *   ./loop-bench [targets=100] [rounds=30]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/buf.h"
#include "server/scrape/config.h"
#include "server/scrape/loop.h"
#include "server/tsdb/tsdb.h"

#define WARMUP_ROUNDS 5

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The bench target's body for round r. */
static void make_body(struct buf *b, int r)
{
	buf_reset(b);
	for (int f = 0; f < 10; f++) {
		buf_printf(b,
			   "# HELP bench_metric_%d_total A benchmark counter.\n"
			   "# TYPE bench_metric_%d_total counter\n",
			   f, f);
		for (int i = 0; i < 100; i++)
			buf_printf(b,
				   "bench_metric_%d_total{instance_id=\"%d\",path=\"/api/v1/"
				   "resource/%d\",method=\"GET\",code=\"200\"} %d\n",
				   f, i, i, r + f);
	}
}

int main(int argc, char **argv)
{
	int ntargets = argc > 1 ? atoi(argv[1]) : 100, rounds = argc > 2 ? atoi(argv[2]) : 30;
	char dir[] = "/tmp/vigil-loop-bench-XXXXXX", err[512];
	struct tsdb *db = NULL;
	struct scrape_config *cfg = NULL;
	const char *yaml = "scrape_configs:\n  - job_name: bench\n";
	int rc = 1;

	if (ntargets < 1 || rounds < 1 || !mkdtemp(dir))
		return 2;
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = dir;
	o.background_compaction = false;
	if (tsdb_open(&o, &db) < 0 ||
	    scrape_config_load_string(yaml, strlen(yaml), "bench.yml", &cfg, err, sizeof(err)) < 0)
		goto out;
	struct scrape_loop **loops = xcalloc((size_t)ntargets, sizeof(*loops));
	for (int i = 0; i < ntargets; i++) {
		struct lset t = LSET_INIT;
		char inst[64];
		snprintf(inst, sizeof(inst), "127.0.0.1:%d", 20000 + i);
		lset_set(&t, "job", "bench");
		lset_set(&t, "instance", inst);
		loops[i] = scrape_loop_new(&cfg->jobs[0], &t);
		lset_free(&t);
	}
	struct tsdb_appender *a = tsdb_appender_new(db);
	struct buf body = BUF_INIT, copy = BUF_INIT;
	double c0 = 0;
	long samples = 0;
	int64_t ts = 1700000000000;
	for (int r = 0; a && r < rounds + WARMUP_ROUNDS; r++, ts += 1000) {
		if (r == WARMUP_ROUNDS) {
			c0 = cpu_seconds();
			samples = 0;
		}
		make_body(&body, r);
		for (int t = 0; t < ntargets; t++) {
			struct scrape_counts c;
			buf_reset(&copy);
			buf_append(&copy, body.data, body.len);
			if (scrape_loop_append(loops[t], a, copy.data, copy.len, ts, &c, err,
					       sizeof(err)) < 0) {
				fprintf(stderr, "loop-bench: %s\n", err);
				goto done;
			}
			scrape_loop_append_report(loops[t], a, ts, true, 0.001, &c);
			if (tsdb_appender_commit(a) < 0)
				goto done;
			samples += (long)c.scraped;
		}
	}
	if (a) {
		double cpu = cpu_seconds() - c0;
		printf("%.3f us CPU per sample (%ld samples, %.2f s)\n",
		       1e6 * cpu / (double)samples, samples, cpu);
		rc = 0;
	}
done:
	tsdb_appender_free(a);
	for (int i = 0; i < ntargets; i++)
		scrape_loop_free(loops[i]);
	free(loops);
	buf_free(&body);
	buf_free(&copy);
out:
	scrape_config_free(cfg);
	tsdb_close(db);
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	if (system(err) != 0)
		rc = 1;
	return rc;
}
