// SPDX-License-Identifier: Apache-2.0
/*
 * textfile: metrics from *.prom files in the directories named by
 * --collector.textfile.directory (repeatable, glob patterns allowed), in
 * the text exposition format (common/expo_parse.h), with node_exporter's
 * semantics (HEAD, a superset of 1.5's single directory):
 *
 *  - Directories are read in order, files in name order.  A file that does
 *    not parse, or that carries client-side timestamps, is skipped whole and
 *    sets node_textfile_scrape_error to 1; the other files are served.  An
 *    unreadable directory sets the error too, except the empty default
 *    path (collector effectively off, still successful).
 *  - Families of the same name are merged across files.  The first HELP
 *    wins: a later file giving another HELP for the family has that family
 *    dropped (error 1).  A family without HELP gets "Metric read from
 *    <file>, <file>...".  What client_golang's registry then refuses is
 *    dropped quietly as node_exporter's ContinueOnError handler does: a
 *    family of another type or another HELP than its first appearance, and
 *    series already collected with the same labels, and families another
 *    collector filled earlier in the scrape.
 *  - Within one family of one file, the union of the label names is taken
 *    and missing labels are added with empty values.
 *  - node_textfile_mtime_seconds{file} for every file parsed successfully
 *    (whole seconds), node_textfile_scrape_error always.
 *
 * Each file is parsed twice from one read: a validating pass over a copy
 * (errors, timestamps, label-name unions), then the emitting pass over the
 * original.  Buffers, groups and tables live in the per-thread state and
 * are reused, so a steady-state scrape allocates little beyond readdir.
 */
#include <errno.h>
#include <limits.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "common/expo_parse.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"

static struct strlist opt_dirs;

static const struct flag_def textfile_flags[] = {
	{"collector.textfile.directory", FLAG_STRLIST, &opt_dirs, NULL,
	 "Directory to read text files with metrics from, supports glob matching. (repeatable)",
	 NULL, NULL},
};

/* A family name across the files of one scrape. */
struct tf_name {
	char *name;    /* kept across scrapes with the buffers below */
	bool used;     /* seen in the current scrape */
	bool has_help; /* a HELP was seen (the first one is in help) */
	struct buf help;
	bool conflict;	  /* a second, different HELP was seen */
	struct buf files; /* "a.prom, b.prom" of the files that contributed */
	/* the first family instance emitted decides help kind and type */
	bool emitted;
	bool foreign; /* the name belongs to another collector's family */
	bool emitted_nil_help;
	struct buf emitted_help;
	enum expo_type emitted_type;
};

/* Per parser family of the current file. */
struct tf_fam {
	size_t name;	     /* index into names, or SIZE_MAX: dropped */
	const char **labels; /* union of label names (pass 1, into the copy) */
	size_t nlabels, caplabels;
	bool nil_help;
	const char *help;
};

/* A summary or histogram metric of the current file being assembled. */
struct tf_group {
	size_t fam;
	size_t lab_off, nlab; /* into labels */
	int32_t head, tail;   /* points list */
	double sum, count;
	bool count_int; /* histogram count stored as integer (Go) */
};

struct tf_point {
	double bound, value;
	int32_t next;
};

struct textfile_state {
	struct expo_parser *parser;
	struct buf text, copy, path_scratch;
	struct dir_list files; /* *.prom of the directory being read */
	struct tf_name *names;
	size_t nnames, capnames;
	uint32_t *name_slots;
	size_t nname_slots;
	struct tf_fam *fams;
	size_t capfams, nfams;
	struct tf_group *groups;
	size_t ngroups, capgroups;
	struct expo_label *glabels;
	size_t nglabels, capglabels;
	struct tf_point *points;
	size_t npoints, cappoints;
	uint64_t *series; /* hashes of the series emitted this scrape */
	size_t nseries, capseries;
	/* files that parsed: path and mtime, in order */
	struct buf mtime_paths;
	double *mtimes;
	size_t nmtimes, capmtimes;
	bool ts_seen;
	bool errored; /* node_textfile_scrape_error */
	struct expo_set *out;
};

/* ---- small tables ------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

#define FNV_INIT 1469598103934665603ULL

static size_t name_lookup(struct textfile_state *st, const char *name, bool create)
{
	if ((st->nnames + 1) * 2 > st->nname_slots) {
		size_t n = st->nname_slots ? st->nname_slots * 2 : 64;
		free(st->name_slots);
		st->name_slots = xcalloc(n, sizeof(*st->name_slots));
		st->nname_slots = n;
		for (size_t k = 0; k < st->nnames; k++) {
			size_t i = fnv(FNV_INIT, st->names[k].name, strlen(st->names[k].name)) &
				   (n - 1);
			while (st->name_slots[i])
				i = (i + 1) & (n - 1);
			st->name_slots[i] = (uint32_t)(k + 1);
		}
	}
	size_t mask = st->nname_slots - 1;
	size_t i = fnv(FNV_INIT, name, strlen(name)) & mask;
	for (; st->name_slots[i]; i = (i + 1) & mask) {
		if (strcmp(st->names[st->name_slots[i] - 1].name, name) == 0)
			return st->name_slots[i] - 1;
	}
	if (!create)
		return SIZE_MAX;
	if (st->nnames == st->capnames) {
		st->capnames = st->capnames ? st->capnames * 2 : 32;
		st->names = xrealloc(st->names, st->capnames * sizeof(*st->names));
	}
	struct tf_name *n = &st->names[st->nnames];
	memset(n, 0, sizeof(*n));
	n->name = xstrdup(name);
	st->name_slots[i] = (uint32_t)(++st->nnames);
	return st->nnames - 1;
}

/* Forget every name and its buffers. */
static void names_free(struct textfile_state *st)
{
	for (size_t i = 0; i < st->nnames; i++) {
		free(st->names[i].name);
		buf_free(&st->names[i].help);
		buf_free(&st->names[i].emitted_help);
		buf_free(&st->names[i].files);
	}
	st->nnames = 0;
	if (st->nname_slots)
		memset(st->name_slots, 0, st->nname_slots * sizeof(*st->name_slots));
}

/*
 * Start a scrape: names and their buffers are kept, so a steady set of
 * files allocates nothing here; the table is rebuilt when it has grown
 * well beyond what the last scrape used (files come and go).
 */
static void names_start_scrape(struct textfile_state *st)
{
	size_t used = 0;
	for (size_t i = 0; i < st->nnames; i++)
		used += st->names[i].used;
	if (st->nnames > 256 && st->nnames > 4 * used) {
		names_free(st);
		return;
	}
	for (size_t i = 0; i < st->nnames; i++) {
		struct tf_name *n = &st->names[i];
		n->used = n->has_help = n->conflict = false;
		n->emitted = n->foreign = n->emitted_nil_help = false;
		buf_reset(&n->help);
		buf_reset(&n->files);
		buf_reset(&n->emitted_help);
	}
}

/* Record a series; false when it was already collected this scrape. */
static bool series_add(struct textfile_state *st, uint64_t h)
{
	if (h == 0)
		h = 1;
	if ((st->nseries + 1) * 2 > st->capseries) {
		size_t n = st->capseries ? st->capseries * 2 : 256;
		uint64_t *t = xcalloc(n, sizeof(*t));
		for (size_t k = 0; k < st->capseries; k++) {
			if (!st->series[k])
				continue;
			size_t i = st->series[k] & (n - 1);
			while (t[i])
				i = (i + 1) & (n - 1);
			t[i] = st->series[k];
		}
		free(st->series);
		st->series = t;
		st->capseries = n;
	}
	size_t mask = st->capseries - 1;
	size_t i = h & mask;
	for (; st->series[i]; i = (i + 1) & mask) {
		if (st->series[i] == h)
			return false;
	}
	st->series[i] = h;
	st->nseries++;
	return true;
}

/* Hash of a series: name and labels in label-name order. */
static uint64_t series_hash(const char *name, const struct expo_label *l, size_t n)
{
	const struct expo_label *sorted[EXPO_MAX_LABELS];
	if (n > EXPO_MAX_LABELS)
		n = EXPO_MAX_LABELS;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && strcmp(sorted[j - 1]->name, l[i].name) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = &l[i];
	}
	uint64_t h = fnv(FNV_INIT, name, strlen(name) + 1);
	for (size_t i = 0; i < n; i++) {
		h = fnv(h, sorted[i]->name, strlen(sorted[i]->name) + 1);
		h = fnv(h, sorted[i]->value, strlen(sorted[i]->value) + 1);
	}
	return h;
}

/* ---- paths --------------------------------------------------------------- */

/* Go's filepath.Join(dir, name): joined and cleaned. */
static void path_join_clean(const char *dir, const char *name, struct buf *out)
{
	char tmp[PATH_MAX * 2];
	snprintf(tmp, sizeof(tmp), "%s%s%s", dir, *dir && *name ? "/" : "", name);
	buf_reset(out);
	bool rooted = tmp[0] == '/';
	const char *segs[PATH_MAX / 2];
	size_t lens[PATH_MAX / 2], n = 0;
	for (char *s = tmp; *s;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		char *e = s;
		while (*e && *e != '/')
			e++;
		size_t l = (size_t)(e - s);
		if (l == 1 && s[0] == '.') {
			/* drop */
		} else if (l == 2 && s[0] == '.' && s[1] == '.' && n > 0 &&
			   !(lens[n - 1] == 2 && memcmp(segs[n - 1], "..", 2) == 0)) {
			n--;
		} else if (l == 2 && s[0] == '.' && s[1] == '.' && rooted && n == 0) {
			/* "/.." is "/" */
		} else if (n < PATH_MAX / 2) {
			segs[n] = s;
			lens[n++] = l;
		}
		s = e;
	}
	if (rooted)
		buf_putc(out, '/');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(out, '/');
		buf_append(out, segs[i], lens[i]);
	}
	if (!out->len)
		buf_putc(out, '.');
}

/* ---- pass 1: validate, collect label-name unions ------------------------- */

static struct tf_fam *fam_slot(struct textfile_state *st, size_t i)
{
	while (i >= st->capfams) {
		size_t cap = st->capfams ? st->capfams * 2 : 32;
		st->fams = xrealloc(st->fams, cap * sizeof(*st->fams));
		memset(st->fams + st->capfams, 0, (cap - st->capfams) * sizeof(*st->fams));
		st->capfams = cap;
	}
	if (i >= st->nfams) {
		for (size_t k = st->nfams; k <= i; k++)
			st->fams[k].nlabels = 0;
		st->nfams = i + 1;
	}
	return &st->fams[i];
}

static int pass1_sample(void *ctx, const struct expo_parse_sample *s)
{
	struct textfile_state *st = ctx;
	if (s->ts_ms != EXPO_NO_TS)
		st->ts_seen = true;
	struct tf_fam *f = fam_slot(st, s->family_index);
	for (size_t i = 0; i < s->nlabels; i++) {
		if ((int)i == s->bound_label)
			continue;
		bool have = false;
		for (size_t k = 0; k < f->nlabels && !have; k++)
			have = strcmp(f->labels[k], s->labels[i].name) == 0;
		if (have)
			continue;
		if (f->nlabels == f->caplabels) {
			f->caplabels = f->caplabels ? f->caplabels * 2 : 8;
			f->labels = xrealloc(f->labels, f->caplabels * sizeof(*f->labels));
		}
		f->labels[f->nlabels++] = s->labels[i].name;
	}
	return 0;
}

/* ---- pass 2: emit ------------------------------------------------------- */

/*
 * The expo family for parser family f of the current file, or NULL when
 * the registry would refuse it (other type or help than its first use).
 */
static struct expo_family *out_family(struct textfile_state *st, const struct tf_fam *f,
				      enum expo_type type)
{
	struct tf_name *n = &st->names[f->name];
	if (n->foreign)
		return NULL;
	if (!n->emitted) {
		/* a family another collector already filled in this scrape:
		 * client_golang would refuse one side; keep the collector's */
		struct expo_family *ex = expo_family_find(st->out, n->name);
		if (ex && expo_family_count(ex) > 0) {
			log_debug("textfile: metric %s collides with another collector's", n->name);
			n->foreign = true;
			return NULL;
		}
		n->emitted = true;
		n->emitted_nil_help = f->nil_help;
		buf_reset(&n->emitted_help);
		buf_puts(&n->emitted_help, f->nil_help ? "" : f->help);
		n->emitted_type = type;
	} else if (n->emitted_type != type || n->emitted_nil_help != f->nil_help ||
		   (!f->nil_help && strcmp(n->emitted_help.data, f->help) != 0)) {
		return NULL;
	}
	return expo_family(st->out, n->name, f->nil_help ? "" : f->help, type);
}

/* labels of s (without le/quantile) plus the missing union names as "". */
static size_t fill_labels(const struct tf_fam *f, const struct expo_parse_sample *s,
			  struct expo_label *l)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nlabels && n < EXPO_MAX_LABELS; i++) {
		if ((int)i != s->bound_label)
			l[n++] = s->labels[i];
	}
	size_t own = n;
	for (size_t k = 0; k < f->nlabels && n < EXPO_MAX_LABELS; k++) {
		bool have = false;
		for (size_t i = 0; i < own && !have; i++)
			have = strcmp(l[i].name, f->labels[k]) == 0;
		if (!have) {
			l[n].name = f->labels[k];
			l[n++].value = "";
		}
	}
	return n;
}

static bool same_labels(const struct expo_label *a, size_t na, const struct expo_label *b,
			size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = strcmp(a[i].name, b[j].name) == 0 &&
				strcmp(a[i].value, b[j].value) == 0;
		if (!found)
			return false;
	}
	return true;
}

static int pass2_sample(void *ctx, const struct expo_parse_sample *s)
{
	struct textfile_state *st = ctx;
	struct tf_fam *f = &st->fams[s->family_index];
	if (f->name == SIZE_MAX)
		return 0;
	struct expo_label l[EXPO_MAX_LABELS];
	size_t n = fill_labels(f, s, l);
	enum expo_type type = s->family->type;

	if (type != EXPO_SUMMARY && type != EXPO_HISTOGRAM) {
		struct expo_family *ef = out_family(st, f, type);
		if (ef && series_add(st, series_hash(s->family->name, l, n)))
			expo_add(ef, l, n, s->value);
		return 0;
	}

	/* summary / histogram: find or start the group of these labels */
	size_t g;
	for (g = 0; g < st->ngroups; g++) {
		struct tf_group *gr = &st->groups[g];
		if (gr->fam == s->family_index &&
		    same_labels(st->glabels + gr->lab_off, gr->nlab, l, n))
			break;
	}
	if (g == st->ngroups) {
		if (st->ngroups == st->capgroups) {
			st->capgroups = st->capgroups ? st->capgroups * 2 : 16;
			st->groups = xrealloc(st->groups, st->capgroups * sizeof(*st->groups));
		}
		if (!st->glabels || st->nglabels + n > st->capglabels) {
			while (!st->capglabels || st->nglabels + n > st->capglabels)
				st->capglabels = st->capglabels ? st->capglabels * 2 : 64;
			st->glabels = xrealloc(st->glabels, st->capglabels * sizeof(*st->glabels));
		}
		if (n)
			memcpy(st->glabels + st->nglabels, l, n * sizeof(*l));
		st->groups[g] = (struct tf_group){.fam = s->family_index,
						  .lab_off = st->nglabels,
						  .nlab = n,
						  .head = -1,
						  .tail = -1};
		st->nglabels += n;
		st->ngroups++;
	}
	struct tf_group *gr = &st->groups[g];
	switch (s->kind) {
	case EXPO_SAMPLE_SUM:
		gr->sum = s->value;
		break;
	case EXPO_SAMPLE_COUNT:
		gr->count = s->value;
		break;
	case EXPO_SAMPLE_QUANTILE:
	case EXPO_SAMPLE_BUCKET: {
		/* the same bound again replaces the value (Go keeps a map) */
		for (int32_t p = gr->head; p >= 0; p = st->points[p].next) {
			if (st->points[p].bound == s->bound) {
				st->points[p].value = s->value;
				return 0;
			}
		}
		if (st->npoints == st->cappoints) {
			st->cappoints = st->cappoints ? st->cappoints * 2 : 64;
			st->points = xrealloc(st->points, st->cappoints * sizeof(*st->points));
		}
		int32_t p = (int32_t)st->npoints++;
		st->points[p] = (struct tf_point){s->bound, s->value, -1};
		if (gr->tail >= 0)
			st->points[gr->tail].next = p;
		else
			gr->head = p;
		gr->tail = p;
		break;
	}
	default:
		break;
	}
	return 0;
}

static int cmp_point(const void *a, const void *b)
{
	double x = ((const struct tf_point *)a)->bound, y = ((const struct tf_point *)b)->bound;
	return x < y ? -1 : x > y;
}

/* Go's uint64 of a bucket or count kept as an integer by the parser, else 0. */
static double as_count(double v)
{
	return (v >= 0 && v == floor(v) && v < 18446744073709551616.0) ? v : 0;
}

static void emit_groups(struct textfile_state *st, const struct expo_parser *p)
{
	struct tf_point pts[256];
	for (size_t g = 0; g < st->ngroups; g++) {
		struct tf_group *gr = &st->groups[g];
		struct tf_fam *f = &st->fams[gr->fam];
		const struct expo_parse_family *pf = expo_parser_family(p, gr->fam);
		struct expo_family *ef = out_family(st, f, pf->type);
		struct expo_label *gl = st->glabels + gr->lab_off;
		if (!ef || !series_add(st, series_hash(pf->name, gl, gr->nlab)))
			continue;
		size_t np = 0;
		for (int32_t i = gr->head; i >= 0 && np < ARRAY_SIZE(pts); i = st->points[i].next)
			pts[np++] = st->points[i];
		qsort(pts, np, sizeof(*pts), cmp_point);

		struct expo_label l[EXPO_MAX_LABELS + 1];
		size_t n = gr->nlab < EXPO_MAX_LABELS ? gr->nlab : EXPO_MAX_LABELS;
		memcpy(l, gl, n * sizeof(*l));
		char bound[EXPO_DOUBLE_MAX];
		l[n].value = bound;
		bool histo = pf->type == EXPO_HISTOGRAM;
		l[n].name = histo ? "le" : "quantile";
		double count = histo ? as_count(gr->count)
				     : (gr->count >= 0 && gr->count < 18446744073709551616.0
						? floor(gr->count)
						: 0);
		expo_metric_begin(ef);
		bool inf_seen = false;
		for (size_t i = 0; i < np; i++) {
			expo_format_double(bound, pts[i].bound, 'g');
			if (histo) {
				inf_seen |= isinf(pts[i].bound) && pts[i].bound > 0;
				expo_metric_line(ef, "_bucket", l, n + 1, as_count(pts[i].value),
						 EXPO_NO_TS);
			} else {
				expo_metric_line(ef, NULL, l, n + 1, pts[i].value, EXPO_NO_TS);
			}
		}
		if (histo && !inf_seen) {
			strcpy(bound, "+Inf");
			expo_metric_line(ef, "_bucket", l, n + 1, count, EXPO_NO_TS);
		}
		expo_metric_line(ef, "_sum", l, n, gr->sum, EXPO_NO_TS);
		expo_metric_line(ef, "_count", l, n, count, EXPO_NO_TS);
		expo_metric_end(ef);
	}
}

/* ---- files ---------------------------------------------------------------- */

/* Parse and emit one file; false when it failed (scrape error). */
static bool process_file(struct textfile_state *st, const char *path)
{
	struct expo_parse_error perr;
	int rc = read_file_buf(path, &st->text);
	if (rc < 0) {
		log_err(rc, "textfile: failed to open textfile data file\tfile=%s", path);
		return false;
	}
	buf_reset(&st->copy);
	buf_append(&st->copy, st->text.data ? st->text.data : "", st->text.len);

	/* pass 1 */
	st->ts_seen = false;
	st->nfams = 0;
	struct expo_parse_opts o1 = {.sample = pass1_sample, .ctx = st};
	rc = expo_parse(st->parser, st->copy.data, st->copy.len, &o1, &perr);
	if (rc < 0) {
		log_error("failed to collect textfile data\tfile=%s err=\"failed to parse textfile "
			  "data from %s: %s\"",
			  path, path, rc == -EINVAL ? perr.msg : strerror(-rc));
		return false;
	}
	if (st->ts_seen) {
		log_error("failed to collect textfile data\tfile=%s err=\"textfile %s contains "
			  "unsupported client-side timestamps, skipping entire file\"",
			  path, path);
		return false;
	}
	struct stat sb;
	if (stat(path, &sb) < 0) {
		log_err(-errno, "textfile: failed to stat\tfile=%s", path);
		return false;
	}

	/* merge decisions, as node_exporter's Update() takes them */
	size_t nf = expo_parser_nfamilies(st->parser);
	for (size_t i = 0; i < nf; i++) {
		const struct expo_parse_family *pf = expo_parser_family(st->parser, i);
		struct tf_fam *f = fam_slot(st, i);
		f->name = SIZE_MAX;
		if (!pf->nsamples)
			continue; /* Go's parser drops families without samples */
		size_t ni = name_lookup(st, pf->name, true);
		struct tf_name *n = &st->names[ni];
		n->used = true;
		if (n->has_help || n->conflict) {
			if ((pf->help && strcmp(n->help.data, pf->help) != 0) || n->conflict) {
				n->conflict = true;
				log_error("inconsistent metric help text\tmetric=%s file=%s",
					  pf->name, path);
				st->errored = true;
				continue;
			}
		}
		if (pf->help && !n->has_help) {
			n->has_help = true;
			buf_reset(&n->help);
			buf_puts(&n->help, pf->help);
		}
		if (n->files.len)
			buf_puts(&n->files, ", ");
		buf_puts(&n->files, path);
		f->name = ni;
		f->nil_help = pf->help == NULL;
		f->help = pf->help;
	}

	/* pass 2 over the original text: the pointers of pass 1 (label names
	 * of the unions) stay valid in the copy */
	st->ngroups = st->nglabels = st->npoints = 0;
	struct expo_parse_opts o2 = {.sample = pass2_sample, .ctx = st};
	rc = expo_parse(st->parser, st->text.data, st->text.len, &o2, &perr);
	if (rc < 0) /* cannot happen: the same text parsed in pass 1 */
		return false;
	/* pass 2 sees the same families at the same indexes as pass 1 */
	emit_groups(st, st->parser);

	/* a file reached twice (overlapping globs) has one mtime, as in Go's map */
	const char *seen = st->mtime_paths.data;
	for (size_t i = 0; i < st->nmtimes; i++, seen += strlen(seen) + 1) {
		if (strcmp(seen, path) == 0)
			return true;
	}
	if (st->nmtimes == st->capmtimes) {
		st->capmtimes = st->capmtimes ? st->capmtimes * 2 : 16;
		st->mtimes = xrealloc(st->mtimes, st->capmtimes * sizeof(*st->mtimes));
	}
	st->mtimes[st->nmtimes++] = (double)sb.st_mtim.tv_sec;
	buf_append(&st->mtime_paths, path, strlen(path) + 1);
	return true;
}

static bool is_prom(const char *name)
{
	size_t l = strlen(name);
	return l >= 5 && strcmp(name + l - 5, ".prom") == 0;
}

/* The *.prom files of one directory, in name order. */
static void process_dir(struct textfile_state *st, const char *dir)
{
	/* the empty default: node_exporter's os.ReadDir("") fails quietly */
	if (!*dir)
		return;
	int rc = dir_list_read(&st->files, dir, is_prom);
	if (rc < 0) {
		st->errored = true;
		log_err(rc, "failed to read textfile collector directory\tpath=%s", dir);
		return;
	}
	for (size_t i = 0; i < st->files.n; i++) {
		path_join_clean(dir, st->files.v[i], &st->path_scratch);
		if (!process_file(st, st->path_scratch.data))
			st->errored = true;
	}
}

static int textfile_init(void *state)
{
	struct textfile_state *st = state;
	st->parser = expo_parser_new();
	return st->parser ? 0 : -ENOMEM;
}

static int textfile_collect(void *state, struct expo_set *out)
{
	struct textfile_state *st = state;
	st->out = out;
	st->errored = false;
	st->nmtimes = 0;
	st->nseries = 0;
	if (st->capseries)
		memset(st->series, 0, st->capseries * sizeof(*st->series));
	buf_reset(&st->mtime_paths);
	names_start_scrape(st);

	size_t ndirs = opt_dirs.n ? opt_dirs.n : 1;
	for (size_t i = 0; i < ndirs; i++) {
		const char *pattern = opt_dirs.n ? opt_dirs.items[i] : "";
		glob_t g;
		if (*pattern && glob(pattern, 0, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc; k++)
				process_dir(st, g.gl_pathv[k]);
			globfree(&g);
		} else {
			process_dir(st, pattern);
		}
	}

	/* families without HELP: "Metric read from <files>" */
	for (size_t i = 0; i < st->nnames; i++) {
		struct tf_name *n = &st->names[i];
		if (n->emitted && n->emitted_nil_help) {
			buf_reset(&st->path_scratch);
			buf_printf(&st->path_scratch, "Metric read from %s",
				   n->files.data ? n->files.data : "");
			expo_family(out, n->name, st->path_scratch.data, n->emitted_type);
		}
	}

	if (st->nmtimes) {
		struct expo_family *mf =
			expo_family(out, "node_textfile_mtime_seconds",
				    "Unixtime mtime of textfiles successfully read.", EXPO_GAUGE);
		const char *p = st->mtime_paths.data;
		for (size_t i = 0; i < st->nmtimes; i++) {
			expo_addl(mf, st->mtimes[i], "file", p, NULL);
			p += strlen(p) + 1;
		}
	}
	expo_add(expo_family(out, "node_textfile_scrape_error",
			     "1 if there was an error opening or reading a file, 0 otherwise",
			     EXPO_GAUGE),
		 NULL, 0, st->errored ? 1 : 0);
	return 0;
}

static void textfile_cleanup(void *state)
{
	struct textfile_state *st = state;
	names_free(st);
	free(st->names);
	free(st->name_slots);
	for (size_t i = 0; i < st->capfams; i++)
		free(st->fams[i].labels);
	free(st->fams);
	free(st->groups);
	free(st->glabels);
	free(st->points);
	free(st->series);
	free(st->mtimes);
	buf_free(&st->mtime_paths);
	buf_free(&st->text);
	buf_free(&st->copy);
	buf_free(&st->path_scratch);
	dir_list_free(&st->files);
	expo_parser_free(st->parser);
}

const struct collector collector_textfile = {
	.name = "textfile",
	.default_on = true,
	.state_size = sizeof(struct textfile_state),
	.flags = textfile_flags,
	.nflags = ARRAY_SIZE(textfile_flags),
	.init = textfile_init,
	.collect = textfile_collect,
	.cleanup = textfile_cleanup,
};
