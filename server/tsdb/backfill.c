// SPDX-License-Identifier: Apache-2.0
/*
 * Backfill from OpenMetrics text, with the contract of promtool's
 * "tsdb create-blocks-from openmetrics":
 *
 *   input:  OpenMetrics text exposition, every sample with a timestamp
 *           (seconds, possibly fractional; truncated to milliseconds),
 *           ending with "# EOF";
 *   output: one block per aligned block range that holds samples, the
 *           range being the largest of 2h, 6h, 18h, ... not above
 *           --max-block-duration; a block's minTime is its first sample
 *           and maxTime its last sample + 1, level 1;
 *   chunks: cut as a head with a chunk range of twice the block range
 *           cuts them (what promtool's block writer does).
 *
 * A sample out of order within a series fails the whole run, as in
 * promtool.  Unless quiet, prints promtool's table of created blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "server/tsdb/block.h"
#include "server/tsdb/head.h"
#include "server/tsdb/tsdb.h"

/* Go's math.NaN() bits, what Prometheus's parsers store for "NaN". */
static double go_nan(void)
{
	uint64_t u = 0x7FF8000000000001ULL;
	double v;
	memcpy(&v, &u, 8);
	return v;
}

/* Parse one OpenMetrics sample line in place; 1 sample, 0 skip, <0 error. */
static int parse_line(char *line, struct tsdb_label *ls, size_t *nls, int64_t *ts, double *v,
		      bool *has_ts)
{
	char *rest;
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	int n = labels_parse(line, ls, TSDB_MAX_LABELS, &rest);
	if (n < 0)
		return -EINVAL;
	*nls = (size_t)n;
	while (*rest == ' ')
		rest++;
	char *end;
	if (!strncmp(rest, "+Inf", 4) || !strncmp(rest, "Inf", 3)) {
		*v = INFINITY;
		end = rest + (rest[0] == '+' ? 4 : 3);
	} else if (!strncmp(rest, "-Inf", 4)) {
		*v = -INFINITY;
		end = rest + 4;
	} else if (!strncmp(rest, "NaN", 3)) {
		*v = go_nan();
		end = rest + 3;
	} else {
		*v = strtod(rest, &end);
		if (end == rest)
			return -EINVAL;
	}
	while (*end == ' ')
		end++;
	*has_ts = false;
	if (*end && *end != '#') {
		char *e2;
		double t = strtod(end, &e2);
		if (e2 == end)
			return -EINVAL;
		*ts = (int64_t)(t * 1000);
		*has_ts = true;
	}
	return 1;
}

/* Calls fn for every sample of the file; stops on the first error. */
typedef int (*sample_fn)(void *ctx, const struct tsdb_label *ls, size_t n, int64_t t, double v);

static int scan(const char *input, sample_fn fn, void *ctx)
{
	FILE *f = strcmp(input, "-") ? fopen(input, "re") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	bool eof = false;
	size_t lineno = 0;
	if (!f)
		return log_err(-errno, "backfill: open %s", input);
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!strcmp(line, "# EOF")) {
			eof = true;
			break;
		}
		struct tsdb_label ls[TSDB_MAX_LABELS];
		size_t n;
		int64_t t = 0;
		double v;
		bool has_ts;
		int r = parse_line(line, ls, &n, &t, &v, &has_ts);
		if (r < 0) {
			log_error("backfill: parse error\tline=%zu", lineno);
			rc = r;
			break;
		}
		if (r == 0)
			continue;
		if (!has_ts) {
			log_error("backfill: expected timestamp for series, got none\tline=%zu", lineno);
			rc = -EINVAL;
			break;
		}
		if ((rc = fn(ctx, ls, n, t, v)))
			break;
	}
	if (!rc && !eof) {
		log_error("backfill: data does not end with # EOF");
		rc = -EINVAL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

struct minmax {
	int64_t mint, maxt;
};

static int mm_fn(void *ctx, const struct tsdb_label *ls, size_t n, int64_t t, double v)
{
	struct minmax *m = ctx;
	if (t < m->mint)
		m->mint = t;
	if (t > m->maxt)
		m->maxt = t;
	return 0;
}

struct fill {
	struct head *h;
	int64_t lo, hi;
	int64_t next;
};

static int fill_fn(void *ctx, const struct tsdb_label *ls_in, size_t n, int64_t t, double v)
{
	struct fill *f = ctx;
	if (t < f->lo)
		return 0;
	if (t >= f->hi) {
		if (t < f->next)
			f->next = t;
		return 0;
	}
	struct tsdb_label ls[TSDB_MAX_LABELS];
	memcpy(ls, ls_in, n * sizeof(*ls));
	labels_sort(ls, n);
	struct head_series *s;
	bool created;
	int rc = head_get_or_create(f->h, ls, n, 0, &s, &created);
	if (rc)
		return rc;
	rc = head_append(f->h, s, t, v, false);
	head_release(s);
	if (rc == -EDOM || rc == -EEXIST || rc == -ERANGE)
		log_error("backfill: add sample: %s",
			  rc == -EDOM ? "out of order sample" :
			  rc == -EEXIST ? "duplicate sample for timestamp" : "out of bounds");
	return rc;
}

static void format_duration(char *out, size_t n, int64_t ms)
{
	if (ms == 0) {
		snprintf(out, n, "0s");
		return;
	}
	if (ms < 1000) {
		snprintf(out, n, "%" PRId64 "ms", ms);
		return;
	}
	int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, f = ms % 1000;
	char sec[32];
	if (f) {
		snprintf(sec, sizeof(sec), "%" PRId64 ".%03" PRId64, s, f);
		size_t l = strlen(sec);
		while (sec[l - 1] == '0')
			sec[--l] = '\0';
	} else {
		snprintf(sec, sizeof(sec), "%" PRId64, s);
	}
	if (h)
		snprintf(out, n, "%" PRId64 "h%" PRId64 "m%ss", h, m, sec);
	else if (m)
		snprintf(out, n, "%" PRId64 "m%ss", m, sec);
	else
		snprintf(out, n, "%ss", sec);
}

/* Go's tabwriter with minwidth 13, padding 2: pad each cell to its column. */
static void print_row(char cells[8][64], size_t *widths, bool last_flush)
{
	(void)last_flush;
	for (int i = 0; i < 8; i++) {
		if (i < 7)
			printf("%-*s", (int)widths[i], cells[i]);
		else
			printf("%s\n", cells[i]);
	}
}

int tsdb_backfill_openmetrics(const char *input, const char *outdir,
			      const struct tsdb_backfill_options *o)
{
	struct minmax mm = { INT64_MAX, INT64_MIN };
	int rc = scan(input, mm_fn, &mm);
	if (rc)
		return rc;
	if (mm.maxt == INT64_MIN)
		mm.maxt = 0;
	if (mm.mint == INT64_MAX)
		mm.mint = 0;
	int64_t max_block = o && o->max_block_ms > 0 ? o->max_block_ms : TSDB_BLOCK_RANGE_MS;
	int64_t dur = TSDB_BLOCK_RANGE_MS;
	if (max_block > TSDB_BLOCK_RANGE_MS) {
		int64_t r = TSDB_BLOCK_RANGE_MS, best = r;
		for (int i = 0; i < 10; i++, r *= 3) {
			if (r > max_block)
				break;
			best = r;
		}
		dur = best;
	}
	int64_t mint = dur * (mm.mint / dur);
	int64_t next = INT64_MAX;
	char rows[64][8][64];
	size_t nrows = 0;
	if (mkdir(outdir, 0777) && errno != EEXIST)
		return log_err(-errno, "backfill: mkdir %s", outdir);
	for (int64_t t = mint; t <= mm.maxt; t += dur) {
		if (next != INT64_MAX && next >= t + dur)
			continue;
		struct fill f = { NULL, t, t + dur, INT64_MAX };
		if ((rc = head_new(&f.h)))
			return rc;
		f.h->chunk_range = 2 * dur;
		rc = scan(input, fill_fn, &f);
		next = f.next;
		if (!rc) {
			uint64_t *refs;
			size_t nrefs;
			rc = head_all_refs(f.h, &refs, &nrefs);
			struct block_series_src *src = rc ? NULL : calloc(nrefs + 1, sizeof(*src));
			struct tsdb_label **lbl = src ? calloc(nrefs + 1, sizeof(*lbl)) : NULL;
			struct tsdb_chunk **chk = lbl ? calloc(nrefs + 1, sizeof(*chk)) : NULL;
			size_t *nchk = chk ? calloc(nrefs + 1, sizeof(*nchk)) : NULL;
			if (!rc && !nchk)
				rc = -ENOMEM;
			for (size_t i = 0; !rc && i < nrefs; i++) {
				size_t nl;
				rc = head_series_copy(f.h, refs[i], INT64_MIN, INT64_MAX, &lbl[i], &nl,
						      &chk[i], &nchk[i]);
				src[i] = (struct block_series_src){ lbl[i], nl, chk[i], nchk[i] };
			}
			struct block_meta meta = { 0 };
			meta.mint = atomic_load(&f.h->mint);
			meta.maxt = atomic_load(&f.h->maxt) + 1;
			meta.level = 1;
			meta.sources = calloc(1, sizeof(*meta.sources));
			if (!rc && !meta.sources)
				rc = -ENOMEM;
			if (!rc && nrefs)
				rc = block_write(outdir, &meta, src, nrefs);
			if (!rc && nrefs && meta.ulid[0]) {
				char path[4400];
				snprintf(path, sizeof(path), "%s/%s", outdir, meta.ulid);
				memcpy(meta.sources[0], meta.ulid, ULID_LEN + 1);
				meta.nsources = 1;
				rc = block_meta_write(path, &meta);
				struct block *b;
				if (!rc && nrows < 64 && block_open(path, false, &b) == 0) {
					char d[64];
					format_duration(d, sizeof(d), meta.maxt - meta.mint);
					snprintf(rows[nrows][0], 64, "%s", meta.ulid);
					snprintf(rows[nrows][1], 64, "%" PRId64, meta.mint);
					snprintf(rows[nrows][2], 64, "%" PRId64, meta.maxt);
					snprintf(rows[nrows][3], 64, "%s", d);
					snprintf(rows[nrows][4], 64, "%" PRIu64, meta.num_samples);
					snprintf(rows[nrows][5], 64, "%" PRIu64, meta.num_chunks);
					snprintf(rows[nrows][6], 64, "%" PRIu64, meta.num_series);
					snprintf(rows[nrows][7], 64, "%" PRIu64, b->size_bytes);
					nrows++;
					block_unref(b);
				}
			}
			for (size_t i = 0; lbl && i < nrefs; i++) {
				free(lbl[i]);
				if (chk[i])
					tsdb_chunks_free(chk[i], nchk[i]);
			}
			free(src);
			free(lbl);
			free(chk);
			free(nchk);
			free(refs);
			block_meta_free(&meta);
		}
		head_free(f.h);
		if (rc)
			return rc;
	}
	if (!(o && o->quiet) && nrows) {
		static const char *hdr[8] = { "BLOCK ULID", "MIN TIME", "MAX TIME", "DURATION",
					      "NUM SAMPLES", "NUM CHUNKS", "NUM SERIES", "SIZE" };
		char head_row[8][64];
		size_t widths[8];
		for (int i = 0; i < 8; i++) {
			snprintf(head_row[i], 64, "%s", hdr[i]);
			widths[i] = strlen(hdr[i]) + 2;
			for (size_t r = 0; r < nrows; r++)
				if (strlen(rows[r][i]) + 2 > widths[i])
					widths[i] = strlen(rows[r][i]) + 2;
			if (widths[i] < 13)
				widths[i] = 13;
		}
		/* promtool prints one table per block; each starts its own alignment */
		for (size_t r = 0; r < nrows; r++) {
			size_t w[8];
			for (int i = 0; i < 8; i++) {
				w[i] = strlen(rows[r][i]) + 2;
				if (r == 0 && strlen(hdr[i]) + 2 > w[i])
					w[i] = strlen(hdr[i]) + 2;
				if (w[i] < 13)
					w[i] = 13;
			}
			if (r == 0)
				print_row(head_row, w, false);
			print_row(rows[r], w, true);
		}
		(void)widths;
	}
	return 0;
}
