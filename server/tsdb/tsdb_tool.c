// SPDX-License-Identifier: Apache-2.0
/*
 * vigil-tsdb-tool: the TSDB library from the command line, for tests and
 * for the backfill contract (vigil-server will expose the same commands as
 * "vigil-server tsdb ...").
 *
 *   create-blocks-from openmetrics <input> <outdir> [--max-block-duration=2h] [-q] [-r]
 *   dump <dir> [--min-time=ms] [--max-time=ms] [--match=selector]
 *       prints "<labels> <value> <ts>" per sample as promtool tsdb dump
 *   append <dir> [--batch=N] [--compact]
 *       reads lines "<series> <value> <ts ms>" from stdin; after each
 *       committed batch prints "ack <lines so far>" (flushed), so a caller
 *       knows exactly what was acknowledged
 *   compact <dir> [--force]      cut blocks from the head, compact, retention
 *   delete <dir> --match=selector [--min-time=ms] [--max-time=ms]
 *   list <dir>                   blocks as "ulid mint maxt samples chunks series"
 *   metrics <dir>                self metrics after opening the directory
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/expo.h"
#include "common/log.h"
#include "common/strutil.h"
#include "server/tsdb/db.h"
#include "server/tsdb/tsdb.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: vigil-tsdb-tool create-blocks-from openmetrics <input> <outdir> "
		"[--max-block-duration=2h] [-q]\n"
		"       vigil-tsdb-tool dump <dir> [--min-time=ms] [--max-time=ms] [--match=sel]\n"
		"       vigil-tsdb-tool append <dir> [--batch=N] [--compact]\n"
		"       vigil-tsdb-tool compact <dir> [--force]\n"
		"       vigil-tsdb-tool delete <dir> --match=sel [--min-time=ms] [--max-time=ms]\n"
		"       vigil-tsdb-tool list <dir>\n"
		"       vigil-tsdb-tool metrics <dir>\n");
}

/* Value of --name=v or --name v at argv[*i]; NULL when not this flag. */
static const char *flag(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

struct args {
	const char *pos[4];
	int npos;
	int64_t mint, maxt;
	const char *match;
	long batch;
	bool compact, force, quiet;
	int64_t max_block_ms;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->mint = INT64_MIN;
	a->maxt = INT64_MAX;
	a->batch = 1;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if ((v = flag(argc, argv, &i, "--min-time"))) {
			a->mint = strtoll(v, NULL, 10);
		} else if ((v = flag(argc, argv, &i, "--max-time"))) {
			a->maxt = strtoll(v, NULL, 10);
		} else if ((v = flag(argc, argv, &i, "--match"))) {
			a->match = v;
		} else if ((v = flag(argc, argv, &i, "--batch"))) {
			a->batch = strtol(v, NULL, 10);
			if (a->batch < 1)
				a->batch = 1;
		} else if ((v = flag(argc, argv, &i, "--max-block-duration"))) {
			double s;
			if (parse_duration(v, &s)) {
				fprintf(stderr, "invalid duration %s\n", v);
				return -EINVAL;
			}
			a->max_block_ms = (int64_t)(s * 1000);
		} else if (!strcmp(argv[i], "--compact")) {
			a->compact = true;
		} else if (!strcmp(argv[i], "--force")) {
			a->force = true;
		} else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			a->quiet = true;
		} else if (!strcmp(argv[i], "-r") || !strcmp(argv[i], "--human-readable")) {
			/* accepted for compatibility; we print raw numbers */
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "unknown flag %s\n", argv[i]);
			return -EINVAL;
		} else if (a->npos < 4) {
			a->pos[a->npos++] = argv[i];
		}
	}
	return 0;
}

static int open_db(const char *dir, bool read_only, struct tsdb **db)
{
	struct tsdb_options o;
	tsdb_options_default(&o);
	o.path = dir;
	o.read_only = read_only;
	o.background_compaction = false;
	return tsdb_open(&o, db);
}

/* Open the directory a command names: 0, else its exit code (2: usage, 1: open failed). */
static int open_cmd_db(const struct args *a, bool read_only, struct tsdb **db)
{
	if (a->npos < 1) {
		usage();
		return 2;
	}
	return open_db(a->pos[0], read_only, db) ? 1 : 0;
}

/* Free the n matchers tsdb_parse_selector() made. */
static void matchers_free(struct tsdb_matcher *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tsdb_matcher_free(&ms[i]);
	free(ms);
}

static int cmd_dump(struct args *a)
{
	struct tsdb *db = NULL;
	struct tsdb_querier *q = NULL;
	struct tsdb_series_set *set = NULL;
	struct tsdb_matcher *ms = NULL;
	size_t nm = 0;
	char err[256];
	struct buf out = BUF_INIT;
	int rc;

	if (a->npos < 1) {
		usage();
		return 2;
	}
	rc = tsdb_parse_selector(a->match ? a->match : "{__name__=~'(?s:.*)'}", &ms, &nm, err,
				 sizeof(err));
	if (rc) {
		fprintf(stderr, "bad selector: %s\n", err);
		return 1;
	}
	if ((rc = open_db(a->pos[0], true, &db)))
		goto out;
	if ((rc = tsdb_querier_new(db, a->mint, a->maxt, &q)))
		goto out;
	if ((rc = tsdb_querier_select(q, ms, nm, &set)))
		goto out;
	for (size_t i = 0; i < tsdb_series_set_len(set) && !rc; i++) {
		size_t nl;
		const struct tsdb_label *ls = tsdb_series_labels(set, i, &nl);
		struct tbuf lb = { 0 };
		labels_format(&lb, ls, nl);
		struct tsdb_iter *it;
		if ((rc = tsdb_series_iter(set, i, &it))) {
			tbuf_free(&lb);
			break;
		}
		int64_t t;
		double v;
		int r;
		while ((r = tsdb_iter_next(it, &t, &v)) == 1) {
			char num[EXPO_DOUBLE_MAX];
			expo_format_double(num, v, 'g');
			buf_append(&out, tbuf_cstr(&lb), lb.len);
			buf_printf(&out, " %s %" PRId64 "\n", num, t);
			if (out.len > (1 << 16)) {
				fwrite(out.data, 1, out.len, stdout);
				buf_reset(&out);
			}
		}
		if (r < 0)
			rc = r;
		tsdb_iter_free(it);
		tbuf_free(&lb);
	}
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
out:
	buf_free(&out);
	tsdb_series_set_free(set);
	tsdb_querier_free(q);
	tsdb_close(db);
	matchers_free(ms, nm);
	if (rc)
		log_err(rc, "dump failed");
	return rc ? 1 : 0;
}

static const char *append_err(int rc)
{
	switch (rc) {
	case -EDOM: return "out of order sample";
	case -EEXIST: return "duplicate sample for timestamp";
	case -ERANGE: return "out of bounds";
	case -EINVAL: return "invalid series";
	default: return strerror(-rc);
	}
}

static int cmd_append(struct args *a)
{
	struct tsdb *db;
	int rc = open_cmd_db(a, false, &db);
	if (rc)
		return rc;
	struct tsdb_appender *app = tsdb_appender_new(db);
	char *line = NULL;
	size_t cap = 0, lineno = 0, staged = 0;
	ssize_t len;
	while (app && (len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		struct tsdb_label ls[TSDB_MAX_LABELS];
		char *rest;
		int n = labels_parse(line, ls, TSDB_MAX_LABELS, &rest);
		char *end;
		double v = 0;
		int64_t t = 0;
		if (n > 0) {
			while (*rest == ' ')
				rest++;
			if (!strncmp(rest, "NaN", 3)) {
				uint64_t u = 0x7FF8000000000001ULL; /* Go's math.NaN() */
				memcpy(&v, &u, 8);
				end = rest + 3;
			} else if (!strncmp(rest, "+Inf", 4)) {
				v = INFINITY;
				end = rest + 4;
			} else if (!strncmp(rest, "-Inf", 4)) {
				v = -INFINITY;
				end = rest + 4;
			} else {
				v = strtod(rest, &end);
				if (end == rest)
					n = -1;
			}
			if (n > 0) {
				char *e2;
				t = strtoll(end, &e2, 10);
				if (e2 == end)
					n = -1;
			}
		}
		if (n <= 0) {
			fprintf(stderr, "err %zu parse error\n", lineno);
			continue;
		}
		int arc = tsdb_appender_add(app, ls, (size_t)n, t, v);
		if (arc)
			fprintf(stderr, "err %zu %s\n", lineno, append_err(arc));
		else
			staged++;
		if (staged >= (size_t)a->batch) {
			if ((rc = tsdb_appender_commit(app))) {
				log_err(rc, "commit failed");
				break;
			}
			staged = 0;
			printf("ack %zu\n", lineno);
			fflush(stdout);
		}
	}
	if (app && !rc) {
		rc = tsdb_appender_commit(app);
		if (!rc) {
			printf("ack %zu\n", lineno);
			fflush(stdout);
		}
	}
	free(line);
	tsdb_appender_free(app);
	if (!rc && a->compact)
		rc = tsdb_compact(db, true);
	tsdb_close(db);
	return rc ? 1 : 0;
}

static int cmd_compact(struct args *a)
{
	struct tsdb *db;
	int rc = open_cmd_db(a, false, &db);
	if (rc)
		return rc;
	rc = tsdb_compact(db, a->force);
	tsdb_close(db);
	return rc ? 1 : 0;
}

static int cmd_delete(struct args *a)
{
	struct tsdb *db;
	struct tsdb_matcher *ms;
	size_t nm;
	char err[256];
	if (a->npos < 1 || !a->match) {
		usage();
		return 2;
	}
	if (tsdb_parse_selector(a->match, &ms, &nm, err, sizeof(err))) {
		fprintf(stderr, "bad selector: %s\n", err);
		return 1;
	}
	int rc = open_db(a->pos[0], false, &db);
	if (!rc) {
		rc = tsdb_delete(db, ms, nm, a->mint, a->maxt);
		tsdb_close(db);
	}
	matchers_free(ms, nm);
	return rc ? 1 : 0;
}

static int cmd_list(struct args *a)
{
	struct tsdb *db;
	int rc = open_cmd_db(a, true, &db);
	if (rc)
		return rc;
	struct block **bs;
	size_t n;
	if (db_blocks_get(db, &bs, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct block_meta *m = &bs[i]->meta;
			printf("%s %" PRId64 " %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " level=%d\n",
			       m->ulid, m->mint, m->maxt, m->num_samples, m->num_chunks,
			       m->num_series, m->level);
		}
		db_blocks_put(bs, n);
	}
	tsdb_close(db);
	return 0;
}

static int cmd_metrics(struct args *a)
{
	struct tsdb *db;
	int rc = open_cmd_db(a, true, &db);
	if (rc)
		return rc;
	struct expo_set *set = expo_set_new();
	struct buf out = BUF_INIT;
	tsdb_add_metrics(db, set);
	expo_set_render(set, &out);
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	buf_free(&out);
	expo_set_free(set);
	tsdb_close(db);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	if (argc < 2) {
		usage();
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "create-blocks-from")) {
		if (argc < 3 || strcmp(argv[2], "openmetrics")) {
			usage();
			return 2;
		}
		if (parse_args(argc - 3, argv + 3, &a) || a.npos < 2) {
			usage();
			return 2;
		}
		struct tsdb_backfill_options o = { a.max_block_ms, a.quiet };
		int rc = tsdb_backfill_openmetrics(a.pos[0], a.pos[1], &o);
		if (rc)
			fprintf(stderr, "create-blocks-from: %s\n", strerror(-rc));
		return rc ? 1 : 0;
	}
	static const struct {
		const char *name;
		int (*run)(struct args *a);
	} commands[] = {
		{"dump", cmd_dump},	{"append", cmd_append}, {"compact", cmd_compact},
		{"delete", cmd_delete}, {"list", cmd_list},	{"metrics", cmd_metrics},
	};
	if (parse_args(argc - 2, argv + 2, &a))
		return 2;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(&a);
	usage();
	return 2;
}
