// SPDX-License-Identifier: Apache-2.0
/*
 * The append path of one scrape and the per-target series cache: see
 * loop.h.  Sample label semantics follow Prometheus 2.42's
 * mutateSampleLabels and resolveConflictingExposedLabels (scrape/scrape.go),
 * read for semantics: with honor_labels a target label is only added where
 * the sample lacks it; otherwise target labels win and the sample's
 * conflicting value moves to exported_<name> (exported_exported_<name>... while
 * that name is taken).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/expo_parse.h"
#include "common/log.h"
#include "server/scrape/loop.h"
#include "server/scrape/relabel.h"
#include "server/tsdb/tsdb.h"

struct cache_entry {
	uint64_t hash;
	/*
	 * The series text (name \xff (lname \xff lvalue \xff)*, keylen
	 * bytes), the entry's identity; then the raw text of its last
	 * fully parsed line (rawlen bytes, 0: none), the parser's
	 * expectation for the line after the previous entry's.
	 */
	char *key;
	size_t keylen;
	struct tsdb_label *ls;	       /* final labels; strings in the same allocation */
	struct tsdb_series_handle *sh; /* pinned TSDB series, NULL until staged once */
	uint64_t seen;		       /* iteration last seen in */
	uint32_t n;
	uint32_t rawlen;
	bool dropped; /* metric relabeling dropped it */
	bool tracked; /* seen without a timestamp in that iteration */
	bool in_last; /* part of the last successful scrape (staleness) */
};

struct cache_slot {
	uint32_t hash; /* low bits of the entry's hash */
	uint32_t ent;  /* entry index + 1; 0: empty */
};

enum report_series {
	REPORT_UP,
	REPORT_DURATION,
	REPORT_SCRAPED,
	REPORT_POST_RELABEL,
	REPORT_ADDED,
	REPORT_N,
};

static const char *const report_names[REPORT_N] = {
	"up",
	"scrape_duration_seconds",
	"scrape_samples_scraped",
	"scrape_samples_post_metric_relabeling",
	"scrape_series_added",
};

struct scrape_loop {
	const struct scrape_job *job;
	struct lset tlabels; /* target labels without the "__" ones */
	/*
	 * Entries in the order first seen (so a steady scrape walks them in
	 * memory order and the next line is predicted as the next entry), and
	 * an open-addressing index over them: slots of (hash bits, entry + 1).
	 */
	struct cache_entry *ents;
	size_t count, ents_cap;
	struct cache_slot *idx;
	size_t cap;		    /* index slots: a power of two, or 0 */
	size_t cursor;		    /* the entry expected for the next line */
	size_t expect;		    /* the entry whose raw text the parser expects next */
	struct expo_parser *parser; /* during one append */
	uint64_t iter;
	struct tsdb_label *report[REPORT_N];
	struct tsdb_series_handle *report_sh[REPORT_N];
	size_t nreport;
	/* during one append */
	struct tsdb_appender *app;
	int64_t ts;
	struct scrape_counts *counts;
	char *err;
	size_t errlen;
};

double scrape_stale_nan(void)
{
	uint64_t bits = SCRAPE_STALE_NAN_BITS;
	double v;
	memcpy(&v, &bits, sizeof(v));
	return v;
}

bool scrape_is_stale_nan(double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	return bits == SCRAPE_STALE_NAN_BITS;
}

/*
 * Mix one piece of a series' text (its name, a label name or value) into h:
 * 8 bytes per multiply-xorshift round, then the tail and the length, so
 * the pieces are hashed where the parser left them, without a copy.
 */
static uint64_t hash_piece(uint64_t h, const char *s, size_t n)
{
	const uint64_t m = 0x9e3779b97f4a7c15ULL;
	h ^= (n + 1) * m;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ (w * m)) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	h = (h ^ (w * m)) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h;
}

/* Copy a label set into one allocation: the array, then the strings. */
static struct tsdb_label *labels_pack(const struct lset *ls, const char *extra_name,
				      const char *extra_value, size_t *n)
{
	size_t cnt = ls->n + (extra_name ? 1 : 0), bytes = cnt * sizeof(struct tsdb_label);
	for (size_t i = 0; i < ls->n; i++)
		bytes += strlen(ls->v[i].name) + strlen(ls->v[i].value) + 2;
	if (extra_name)
		bytes += strlen(extra_name) + strlen(extra_value) + 2;
	struct tsdb_label *out = xmalloc(bytes ? bytes : 1);
	char *p = (char *)(out + cnt);
	size_t k = 0;
	if (extra_name) {
		size_t a = strlen(extra_name) + 1, b = strlen(extra_value) + 1;
		out[k].name = memcpy(p, extra_name, a);
		out[k].value = memcpy(p + a, extra_value, b);
		p += a + b;
		k++;
	}
	for (size_t i = 0; i < ls->n; i++, k++) {
		size_t a = strlen(ls->v[i].name) + 1, b = strlen(ls->v[i].value) + 1;
		out[k].name = memcpy(p, ls->v[i].name, a);
		out[k].value = memcpy(p + a, ls->v[i].value, b);
		p += a + b;
	}
	*n = cnt;
	return out;
}

struct scrape_loop *scrape_loop_new(const struct scrape_job *job, const struct lset *target)
{
	struct scrape_loop *l = xcalloc(1, sizeof(*l));
	l->job = job;
	for (size_t i = 0; i < target->n; i++)
		if (strncmp(target->v[i].name, "__", 2) != 0)
			lset_set(&l->tlabels, target->v[i].name, target->v[i].value);
	for (int i = 0; i < REPORT_N; i++)
		l->report[i] = labels_pack(&l->tlabels, "__name__", report_names[i], &l->nreport);
	l->iter = 1;
	return l;
}

/* Free what an entry owns and drop its series handle. */
static void cache_entry_free(struct cache_entry *e)
{
	free(e->key);
	free(e->ls);
	tsdb_series_handle_release(e->sh);
	e->sh = NULL;
	e->hash = 0;
}

void scrape_loop_free(struct scrape_loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		cache_entry_free(&l->ents[i]);
	free(l->ents);
	free(l->idx);
	for (int i = 0; i < REPORT_N; i++) {
		free(l->report[i]);
		tsdb_series_handle_release(l->report_sh[i]);
	}
	lset_free(&l->tlabels);
	free(l);
}

size_t scrape_loop_cache_size(const struct scrape_loop *l)
{
	return l->count;
}

static void cache_index_slot(struct scrape_loop *l, size_t ent)
{
	uint64_t h = l->ents[ent].hash;
	size_t i = h & (l->cap - 1);
	while (l->idx[i].ent)
		i = (i + 1) & (l->cap - 1);
	l->idx[i] = (struct cache_slot){(uint32_t)h, (uint32_t)(ent + 1)};
}

/* Rebuild the index with room for want entries. */
static void cache_reindex(struct scrape_loop *l, size_t want)
{
	size_t cap = 64;
	while (cap < want * 2)
		cap *= 2;
	free(l->idx);
	l->idx = xcalloc(cap, sizeof(*l->idx));
	l->cap = cap;
	for (size_t i = 0; i < l->count; i++)
		cache_index_slot(l, i);
}

/* A sample's series text as pieces: name, then label names and values. */
struct series_text {
	const char *p[2 * EXPO_MAX_LABELS + 1];
	size_t len[2 * EXPO_MAX_LABELS + 1];
	size_t n, total; /* total: key length, one \xff after each piece */
	uint64_t hash;
};

/* True when entry e holds exactly the series text t. */
static bool cache_key_equal(const struct cache_entry *e, const struct series_text *t)
{
	if (e->keylen != t->total)
		return false;
	const char *k = e->key;
	for (size_t i = 0; i < t->n; i++) {
		if (memcmp(k, t->p[i], t->len[i]) != 0 || k[t->len[i]] != '\xff')
			return false;
		k += t->len[i] + 1;
	}
	return true;
}

/* Match one NUL-terminated piece p at *k (before end), followed by \xff. */
static bool piece_equal(const char **k, const char *end, const char *p)
{
	const char *q = *k;
	while (q < end && *p && *p == *q) {
		p++;
		q++;
	}
	if (*p || q == end || *q != '\xff')
		return false;
	*k = q + 1;
	return true;
}

/* True when entry e holds the series text of s: no strlen, no hash. */
static bool cache_sample_equal(const struct cache_entry *e, const struct expo_parse_sample *s)
{
	const char *k = e->key, *end = e->key + e->keylen;
	if (!piece_equal(&k, end, s->name))
		return false;
	for (size_t i = 0; i < s->nlabels; i++)
		if (!piece_equal(&k, end, s->labels[i].name) ||
		    !piece_equal(&k, end, s->labels[i].value))
			return false;
	return k == end;
}

static struct cache_entry *cache_find(struct scrape_loop *l, const struct series_text *t)
{
	if (!l->cap)
		return NULL;
	for (size_t i = t->hash & (l->cap - 1); l->idx[i].ent; i = (i + 1) & (l->cap - 1)) {
		if (l->idx[i].hash != (uint32_t)t->hash)
			continue;
		struct cache_entry *e = &l->ents[l->idx[i].ent - 1];
		if (e->hash == t->hash && cache_key_equal(e, t))
			return e;
	}
	return NULL;
}

/* Prometheus's resolveConflictingExposedLabels for one label: the free exported_ name. */
static void exported_name(struct buf *out, const char *name, const struct lset *exposed,
			  const struct lset *target)
{
	buf_reset(out);
	buf_puts(out, name);
	do {
		struct buf tmp = BUF_INIT;
		buf_puts(&tmp, "exported_");
		buf_append(&tmp, out->data, out->len);
		buf_reset(out);
		buf_append(out, tmp.data, tmp.len);
		buf_free(&tmp);
	} while (lset_get(exposed, out->data) || lset_get(target, out->data));
}

/*
 * The final labels of a sample on a cache miss: exposed labels, target
 * labels, metric relabeling, limits.  Returns 1 kept, 0 dropped, or -EINVAL
 * with err set.
 */
static int sample_labels(struct scrape_loop *l, const struct expo_parse_sample *s, struct lset *out)
{
	const struct scrape_job *job = l->job;
	struct lset exposed = LSET_INIT;
	int rc = 1;
	lset_set(&exposed, "__name__", s->name);
	for (size_t i = 0; i < s->nlabels; i++)
		lset_set(&exposed, s->labels[i].name, s->labels[i].value);
	lset_copy(out, &exposed);
	if (job->honor_labels) {
		for (size_t i = 0; i < l->tlabels.n; i++)
			if (!lset_get(&exposed, l->tlabels.v[i].name))
				lset_set(out, l->tlabels.v[i].name, l->tlabels.v[i].value);
	} else {
		struct buf nm = BUF_INIT;
		for (size_t i = 0; i < l->tlabels.n; i++) {
			const char *name = l->tlabels.v[i].name;
			const char *old = lset_get(&exposed, name);
			if (old) {
				exported_name(&nm, name, &exposed, &l->tlabels);
				lset_set(out, nm.data, old);
			}
			lset_set(out, name, l->tlabels.v[i].value);
		}
		buf_free(&nm);
	}
	if (job->n_metric_relabel_configs &&
	    !relabel_process(out, job->metric_relabel_configs, job->n_metric_relabel_configs)) {
		rc = 0;
		goto out;
	}
	if (out->n == 0) {
		rc = 0;
		goto out;
	}
	if (!lset_get(out, "__name__")) {
		snprintf(l->err, l->errlen, "missing metric name (__name__ label)");
		rc = -EINVAL;
		goto out;
	}
	if (job->label_limit && out->n > job->label_limit) {
		snprintf(l->err, l->errlen,
			 "label_limit exceeded (metric: %.50s, number of labels: %zu, limit: %llu)",
			 s->name, out->n, (unsigned long long)job->label_limit);
		rc = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < out->n; i++) {
		size_t nl = strlen(out->v[i].name), vl = strlen(out->v[i].value);
		if (job->label_name_length_limit && nl > job->label_name_length_limit) {
			snprintf(l->err, l->errlen,
				 "label_name_length_limit exceeded (metric: %.50s, label name: "
				 "%.50s, "
				 "length: %zu, limit: %llu)",
				 s->name, out->v[i].name, nl,
				 (unsigned long long)job->label_name_length_limit);
			rc = -EINVAL;
			goto out;
		}
		if (job->label_value_length_limit && vl > job->label_value_length_limit) {
			snprintf(l->err, l->errlen,
				 "label_value_length_limit exceeded (metric: %.50s, label name: "
				 "%.50s, "
				 "value: \"%.50s\", length: %zu, limit: %llu)",
				 s->name, out->v[i].name, out->v[i].value, vl,
				 (unsigned long long)job->label_value_length_limit);
			rc = -EINVAL;
			goto out;
		}
	}
out:
	lset_free(&exposed);
	return rc;
}

/*
 * Stage one sample; per-sample TSDB rejections are counted, other errors
 * returned.  A cached series keeps a pinned TSDB series handle, so the
 * TSDB neither sorts, hashes nor looks up the labels (Prometheus's scrape
 * cache hands series refs to its appender; a handle also skips the ref
 * lookup).
 */
static int stage(struct scrape_loop *l, struct scrape_counts *c, const struct tsdb_label *ls,
		 size_t n, struct tsdb_series_handle **sh, int64_t t, double v)
{
	int rc = tsdb_appender_add_handle(l->app, sh, ls, n, t, v);
	switch (rc) {
	case 0:
		if (c)
			c->appended++;
		return 0;
	case -EDOM:
		if (c)
			c->out_of_order++;
		return 0;
	case -EEXIST:
		if (c)
			c->duplicate++;
		return 0;
	case -ERANGE:
		if (c)
			c->out_of_bounds++;
		return 0;
	default:
		return rc;
	}
}

/* How many lines ahead expect_entry() starts loading an entry's memory. */
#define EXPECT_AHEAD 2

/*
 * Tell the parser the raw text of entry i (when it has one) as the next
 * line's, and start loading what the line after that will touch: the raw
 * text it is compared with and the TSDB series it is appended to, cache
 * misses otherwise (a steady scrape walks entries in order, but their keys
 * and series are all over the heap).  The line after next: the next one's
 * parse alone is too short to hide a miss.
 */
static void entry_prefetch(const struct scrape_loop *l, size_t i)
{
	if (i >= l->count)
		return;
	const struct cache_entry *e = &l->ents[i];
	const char *raw = e->key + e->keylen;
	uintptr_t p = (uintptr_t)raw & ~(uintptr_t)63, end = (uintptr_t)raw + e->rawlen;
	for (; p < end; p += 64)
		__builtin_prefetch((const void *)p);
	tsdb_series_handle_prefetch(e->sh);
}

static void expect_entry(struct scrape_loop *l, size_t i)
{
	if (i < l->count && l->ents[i].rawlen) {
		const struct cache_entry *e = &l->ents[i];
		expo_parser_expect(l->parser, e->key + e->keylen, e->rawlen);
		l->expect = i;
	}
	entry_prefetch(l, i + EXPECT_AHEAD);
}

static int on_sample(void *ctx, const struct expo_parse_sample *s)
{
	struct scrape_loop *l = ctx;
	struct scrape_counts *c = l->counts;
	c->scraped++;
	struct series_text t;
	struct cache_entry *e = NULL;
	bool fresh = false; /* e is new: its key has room for the raw text */
	/* steady state: the line began with the raw text of the entry after the last one */
	if (s->expected)
		e = &l->ents[l->expect];
	else if (s->nlabels > EXPO_MAX_LABELS) {
		snprintf(l->err, l->errlen, "too many labels on %s", s->name);
		return -EINVAL;
	}
	/* or holds its series text written differently (or of a histogram, without a raw) */
	if (!e && l->cursor < l->count && cache_sample_equal(&l->ents[l->cursor], s))
		e = &l->ents[l->cursor];
	if (!e) {
		t.p[0] = s->name;
		t.len[0] = strlen(s->name);
		t.n = 1;
		for (size_t i = 0; i < s->nlabels; i++) {
			t.p[t.n] = s->labels[i].name;
			t.len[t.n] = strlen(s->labels[i].name);
			t.n++;
			t.p[t.n] = s->labels[i].value;
			t.len[t.n] = strlen(s->labels[i].value);
			t.n++;
		}
		uint64_t h = 0;
		t.total = 0;
		for (size_t i = 0; i < t.n; i++) {
			h = hash_piece(h, t.p[i], t.len[i]);
			t.total += t.len[i] + 1;
		}
		t.hash = h ? h : 1;
		e = cache_find(l, &t);
		if (!e) {
			struct lset ls = LSET_INIT;
			int rc = sample_labels(l, s, &ls);
			if (rc < 0) {
				lset_free(&ls);
				return rc;
			}
			if (l->count == l->ents_cap) {
				l->ents_cap = l->ents_cap ? l->ents_cap * 2 : 64;
				l->ents = xrealloc(l->ents, l->ents_cap * sizeof(*l->ents));
			}
			struct cache_entry ne = {
				.hash = t.hash, .keylen = t.total, .dropped = rc == 0};
			/* room for the raw text that follows (set below) */
			ne.key = xmalloc(t.total +
					 (s->raw && s->rawlen <= UINT32_MAX ? s->rawlen : 0));
			char *k = ne.key;
			for (size_t i = 0; i < t.n; i++) {
				memcpy(k, t.p[i], t.len[i]);
				k[t.len[i]] = '\xff';
				k += t.len[i] + 1;
			}
			if (!ne.dropped) {
				size_t nl;
				ne.ls = labels_pack(&ls, NULL, NULL, &nl);
				ne.n = (uint32_t)nl;
			}
			lset_free(&ls);
			l->ents[l->count++] = ne;
			if (l->count * 2 > l->cap)
				cache_reindex(l, l->count);
			else
				cache_index_slot(l, l->count - 1);
			e = &l->ents[l->count - 1];
			if (!ne.dropped)
				c->added++;
			fresh = true;
		}
	}
	/* the line's raw text, for the parser to compare the next scrape's line with */
	if (s->raw && s->rawlen <= UINT32_MAX &&
	    (e->rawlen != s->rawlen || memcmp(e->key + e->keylen, s->raw, s->rawlen) != 0)) {
		if (e->rawlen != s->rawlen && !fresh)
			e->key = xrealloc(e->key, e->keylen + s->rawlen);
		memcpy(e->key + e->keylen, s->raw, s->rawlen);
		e->rawlen = (uint32_t)s->rawlen;
	}
	l->cursor = (size_t)(e - l->ents) + 1;
	expect_entry(l, l->cursor);
	bool has_ts = l->job->honor_timestamps && s->ts_ms != EXPO_NO_TS;
	e->seen = l->iter;
	e->tracked = !has_ts;
	if (e->dropped)
		return 0;
	c->post_relabel++;
	return stage(l, c, e->ls, e->n, &e->sh, has_ts ? s->ts_ms : l->ts, s->value);
}

static pthread_key_t parser_key;
static pthread_once_t parser_once = PTHREAD_ONCE_INIT;

static void parser_destroy(void *p)
{
	expo_parser_free(p);
}

static void parser_key_init(void)
{
	pthread_key_create(&parser_key, parser_destroy);
}

/* One reusable parser per thread, freed when the thread exits. */
static struct expo_parser *thread_parser(void)
{
	pthread_once(&parser_once, parser_key_init);
	struct expo_parser *p = pthread_getspecific(parser_key);
	if (!p && (p = expo_parser_new()))
		pthread_setspecific(parser_key, p);
	return p;
}

/*
 * After a successful scrape: note which entries it had (for the next one's
 * stale markers), and evict entries not seen for two iterations (they
 * already got their stale marker), keeping the others in order.
 */
static void cache_sweep(struct scrape_loop *l)
{
	size_t keep = 0;
	for (size_t i = 0; i < l->count; i++) {
		struct cache_entry *e = &l->ents[i];
		e->in_last = e->seen == l->iter && e->tracked && !e->dropped;
		if (e->seen + 2 <= l->iter && !e->in_last)
			cache_entry_free(e);
		else {
			if (keep != i)
				l->ents[keep] = *e;
			keep++;
		}
	}
	if (keep != l->count) {
		l->count = keep;
		cache_reindex(l, keep); /* linear probing has no tombstones */
	}
}

int scrape_loop_append(struct scrape_loop *l, struct tsdb_appender *a, char *body, size_t len,
		       int64_t ts, struct scrape_counts *c, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	l->iter++;
	l->cursor = 0;
	l->app = a;
	l->ts = ts;
	l->counts = c;
	l->err = err;
	l->errlen = errlen;
	err[0] = '\0';
	struct expo_parser *p = thread_parser();
	if (!p) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	struct expo_parse_opts opts = {
		.format = EXPO_PARSE_TEXT_0_0_4, .sample = on_sample, .ctx = l, .raw_series = true};
	struct expo_parse_error perr = {0, ""};
	l->parser = p;
	for (size_t i = 0; i < EXPECT_AHEAD; i++)
		entry_prefetch(l, i);
	expect_entry(l, 0);
	rc = expo_parse(p, body, len, &opts, &perr); /* clears the expectation */
	l->parser = NULL;
	if (rc == -EINVAL && !err[0])
		snprintf(err, errlen, "%s", perr.msg);
	else if (rc < 0 && !err[0])
		snprintf(err, errlen, "%s", strerror(-rc));
	if (rc < 0)
		goto out;
	if (l->job->sample_limit && c->post_relabel > l->job->sample_limit) {
		c->sample_limit_exceeded = true;
		snprintf(err, errlen, "sample limit exceeded");
		rc = -ERANGE;
		goto out;
	}
	/* series of the last scrape that are gone get a stale marker */
	for (size_t i = 0; i < l->count; i++) {
		struct cache_entry *e = &l->ents[i];
		if (e->in_last && e->seen != l->iter && !e->dropped) {
			rc = stage(l, NULL, e->ls, e->n, &e->sh, ts, scrape_stale_nan());
			if (rc < 0)
				goto out;
		}
	}
	cache_sweep(l);
out:
	l->app = NULL;
	return rc;
}

void scrape_loop_append_stale(struct scrape_loop *l, struct tsdb_appender *a, int64_t ts)
{
	l->app = a;
	for (size_t i = 0; i < l->count; i++) {
		struct cache_entry *e = &l->ents[i];
		if (!e->in_last)
			continue;
		stage(l, NULL, e->ls, e->n, &e->sh, ts, scrape_stale_nan());
		e->in_last = false;
	}
	l->app = NULL;
}

void scrape_loop_append_report(struct scrape_loop *l, struct tsdb_appender *a, int64_t ts, bool up,
			       double duration_s, const struct scrape_counts *c)
{
	double v[REPORT_N] = {up ? 1 : 0, duration_s, (double)c->scraped, (double)c->post_relabel,
			      (double)c->added};
	l->app = a;
	for (int i = 0; i < REPORT_N; i++)
		stage(l, NULL, l->report[i], l->nreport, &l->report_sh[i], ts, v[i]);
	l->app = NULL;
}

void scrape_loop_append_report_stale(struct scrape_loop *l, struct tsdb_appender *a, int64_t ts)
{
	l->app = a;
	for (int i = 0; i < REPORT_N; i++)
		stage(l, NULL, l->report[i], l->nreport, &l->report_sh[i], ts, scrape_stale_nan());
	l->app = NULL;
}
