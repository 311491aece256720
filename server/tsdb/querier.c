// SPDX-License-Identifier: Apache-2.0
/*
 * The query side: matchers, postings evaluation over each source (blocks
 * and the head), series sets merged across sources by label set, and
 * sample iterators merging chunks in time order.  A series set borrows
 * chunk bytes from the blocks its querier pins, so it must be freed before
 * the querier.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strutil.h"
#include "server/tsdb/chunkenc.h"
#include "server/tsdb/db.h"

/* ---- matchers ---- */

int tsdb_matcher_init(struct tsdb_matcher *m, enum tsdb_match_type type, const char *name,
		      const char *value, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->name = strdup(name);
	m->value = strdup(value);
	if (!m->name || !m->value) {
		tsdb_matcher_free(m);
		return -ENOMEM;
	}
	if (type == TSDB_MATCH_RE || type == TSDB_MATCH_NRE) {
		m->re = vregex_compile(value, true, err, errlen);
		if (!m->re) {
			tsdb_matcher_free(m);
			return -EINVAL;
		}
	}
	return 0;
}

void tsdb_matcher_free(struct tsdb_matcher *m)
{
	free(m->name);
	free(m->value);
	if (m->re)
		vregex_free(m->re);
	memset(m, 0, sizeof(*m));
}

bool tsdb_matcher_matches(const struct tsdb_matcher *m, const char *value)
{
	switch (m->type) {
	case TSDB_MATCH_EQ: return strcmp(m->value, value) == 0;
	case TSDB_MATCH_NEQ: return strcmp(m->value, value) != 0;
	case TSDB_MATCH_RE: return vregex_match(m->re, value);
	case TSDB_MATCH_NRE: return !vregex_match(m->re, value);
	}
	return false;
}

static bool sel_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

int tsdb_parse_selector(const char *s, struct tsdb_matcher **ms, size_t *n, char *err,
			size_t errlen)
{
	struct tsdb_matcher *v = calloc(TSDB_MAX_LABELS + 1, sizeof(*v));
	char name[256], *val = NULL;
	size_t cnt = 0;
	int rc = 0;
	if (!v)
		return -ENOMEM;
	val = malloc(strlen(s) + 1);
	if (!val) {
		free(v);
		return -ENOMEM;
	}
	while (*s == ' ')
		s++;
	if (sel_name_char(*s, true)) {
		size_t k = 0;
		while (sel_name_char(*s, false) && k < sizeof(name) - 1)
			name[k++] = *s++;
		name[k] = '\0';
		if ((rc = tsdb_matcher_init(&v[cnt], TSDB_MATCH_EQ, "__name__", name, err, errlen)))
			goto out;
		cnt++;
	}
	while (*s == ' ')
		s++;
	if (*s == '{') {
		s++;
		for (;;) {
			while (*s == ' ' || *s == ',')
				s++;
			if (*s == '}') {
				s++;
				break;
			}
			size_t k = 0;
			if (!sel_name_char(*s, true))
				goto bad;
			while (sel_name_char(*s, false) && k < sizeof(name) - 1)
				name[k++] = *s++;
			name[k] = '\0';
			while (*s == ' ')
				s++;
			enum tsdb_match_type t;
			if (s[0] == '=' && s[1] == '~') {
				t = TSDB_MATCH_RE;
				s += 2;
			} else if (s[0] == '!' && s[1] == '~') {
				t = TSDB_MATCH_NRE;
				s += 2;
			} else if (s[0] == '!' && s[1] == '=') {
				t = TSDB_MATCH_NEQ;
				s += 2;
			} else if (s[0] == '=') {
				t = TSDB_MATCH_EQ;
				s += 1;
			} else {
				goto bad;
			}
			while (*s == ' ')
				s++;
			char q = *s;
			if (q != '"' && q != '\'' && q != '`')
				goto bad;
			s++;
			size_t w = 0;
			while (*s && *s != q) {
				if (*s == '\\' && q != '`' && s[1]) {
					s++;
					switch (*s) {
					case 'n': val[w++] = '\n'; break;
					case 't': val[w++] = '\t'; break;
					default: val[w++] = *s;
					}
					s++;
				} else {
					val[w++] = *s++;
				}
			}
			if (*s != q)
				goto bad;
			s++;
			val[w] = '\0';
			if (cnt >= TSDB_MAX_LABELS)
				goto bad;
			if ((rc = tsdb_matcher_init(&v[cnt], t, name, val, err, errlen)))
				goto out;
			cnt++;
		}
	}
	while (*s == ' ')
		s++;
	if (*s || cnt == 0)
		goto bad;
	*ms = v;
	*n = cnt;
	free(val);
	return 0;
bad:
	snprintf(err, errlen, "invalid selector");
	rc = -EINVAL;
out:
	for (size_t i = 0; i < cnt; i++)
		tsdb_matcher_free(&v[i]);
	free(v);
	free(val);
	return rc;
}

/* ---- sorted id sets ---- */

struct idset {
	uint64_t *v;
	size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void ids_intersect(struct idset *a, const struct idset *b)
{
	size_t i = 0, j = 0, w = 0;
	while (i < a->n && j < b->n) {
		if (a->v[i] < b->v[j])
			i++;
		else if (a->v[i] > b->v[j])
			j++;
		else {
			a->v[w++] = a->v[i];
			i++;
			j++;
		}
	}
	a->n = w;
}

static void ids_subtract(struct idset *a, const struct idset *b)
{
	size_t i = 0, j = 0, w = 0;
	while (i < a->n) {
		while (j < b->n && b->v[j] < a->v[i])
			j++;
		if (j < b->n && b->v[j] == a->v[i]) {
			i++;
			continue;
		}
		a->v[w++] = a->v[i++];
	}
	a->n = w;
}

/* Append src to dst (unsorted; sorted and deduplicated by ids_normalize). */
static int ids_append(struct idset *dst, size_t *cap, const uint64_t *src, size_t n)
{
	if (dst->n + n > *cap) {
		size_t c = (dst->n + n) * 2;
		uint64_t *p = realloc(dst->v, (c + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		dst->v = p;
		*cap = c;
	}
	if (n)
		memcpy(dst->v + dst->n, src, n * sizeof(*src));
	dst->n += n;
	return 0;
}

static void ids_normalize(struct idset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++)
		if (w == 0 || s->v[w - 1] != s->v[i])
			s->v[w++] = s->v[i];
	s->n = w;
}

/* ---- sources: a block or the head ---- */

struct source {
	struct block *b; /* NULL: the head */
	struct head *h;
};

static int src_postings(const struct source *s, const char *name, const char *value,
			uint64_t **ids, size_t *n)
{
	if (s->b)
		return index_postings(s->b->index, name, value, ids, n);
	return head_postings(s->h, name, value, ids, n);
}

static int src_all(const struct source *s, uint64_t **ids, size_t *n)
{
	if (s->b)
		return index_postings(s->b->index, "", "", ids, n);
	return head_all_refs(s->h, ids, n);
}

static int src_values(const struct source *s, const char *name, char ***v, size_t *n)
{
	if (s->b)
		return index_label_values(s->b->index, name, v, n);
	return head_label_values(s->h, name, v, n);
}

static int src_names(const struct source *s, char ***v, size_t *n)
{
	if (s->b)
		return index_label_names(s->b->index, v, n);
	return head_label_names(s->h, v, n);
}

/* Series ids of source s matching every matcher. */
static int src_select(const struct source *s, const struct tsdb_matcher *ms, size_t nm,
		      struct idset *out)
{
	struct idset res = { 0 };
	int rc;
	/* start from the postings of an equality matcher when there is one,
	 * not from every series */
	size_t first = nm;
	for (size_t i = 0; i < nm && first == nm; i++)
		if (ms[i].type == TSDB_MATCH_EQ && ms[i].value[0])
			first = i;
	if (first < nm)
		rc = src_postings(s, ms[first].name, ms[first].value, &res.v, &res.n);
	else
		rc = src_all(s, &res.v, &res.n);
	if (rc)
		return rc;
	for (size_t i = 0; i < nm && res.n; i++) {
		const struct tsdb_matcher *m = &ms[i];
		if (i == first)
			continue;
		struct idset u = { 0 };
		size_t ucap = 0;
		bool empty_ok = tsdb_matcher_matches(m, "");
		if (m->type == TSDB_MATCH_EQ && !empty_ok) {
			rc = src_postings(s, m->name, m->value, &u.v, &u.n);
			if (rc)
				goto fail;
			ids_intersect(&res, &u);
			free(u.v);
			continue;
		}
		char **vals = NULL;
		size_t nv = 0;
		rc = src_values(s, m->name, &vals, &nv);
		if (rc)
			goto fail;
		for (size_t k = 0; k < nv && !rc; k++) {
			/* empty_ok: collect the values that fail; else those that match */
			if (tsdb_matcher_matches(m, vals[k]) == empty_ok)
				continue;
			uint64_t *p;
			size_t pn;
			rc = src_postings(s, m->name, vals[k], &p, &pn);
			if (!rc)
				rc = ids_append(&u, &ucap, p, pn);
			free(p);
		}
		tsdb_strings_free(vals, nv);
		if (rc) {
			free(u.v);
			goto fail;
		}
		ids_normalize(&u);
		if (empty_ok)
			ids_subtract(&res, &u);
		else
			ids_intersect(&res, &u);
		free(u.v);
	}
	*out = res;
	return 0;
fail:
	free(res.v);
	return rc;
}

/* ---- querier ---- */

struct tsdb_querier {
	struct tsdb *db;
	int64_t mint, maxt;
	struct block **blocks;
	size_t nblocks;
	struct source *src;
	size_t nsrc;
};

int tsdb_querier_new(struct tsdb *db, int64_t mint, int64_t maxt, struct tsdb_querier **out)
{
	struct tsdb_querier *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->db = db;
	q->mint = mint;
	q->maxt = maxt;
	int rc = db_blocks_get(db, &q->blocks, &q->nblocks);
	if (rc) {
		free(q);
		return rc;
	}
	q->src = calloc(q->nblocks + 1, sizeof(*q->src));
	if (!q->src) {
		db_blocks_put(q->blocks, q->nblocks);
		free(q);
		return -ENOMEM;
	}
	for (size_t i = 0; i < q->nblocks; i++) {
		struct block *b = q->blocks[i];
		/* block maxTime is exclusive */
		if (b->meta.mint > maxt || b->meta.maxt <= mint)
			continue;
		q->src[q->nsrc++].b = b;
	}
	/* the head, unless it holds nothing in range */
	int64_t hmin = atomic_load(&db->head->mint), hmax = atomic_load(&db->head->maxt);
	if (hmin <= maxt && hmax >= mint) {
		q->src[q->nsrc].h = db->head;
		q->src[q->nsrc].b = NULL;
		q->nsrc++;
	}
	*out = q;
	return 0;
}

void tsdb_querier_free(struct tsdb_querier *q)
{
	if (!q)
		return;
	db_blocks_put(q->blocks, q->nblocks);
	free(q->src);
	free(q);
}

/* ---- series sets ---- */

struct qchunk {
	int64_t mint, maxt;
	uint8_t *b;
	uint32_t len;
	bool owned;
	bool stones; /* source has tombstones for this series */
	const struct source *src;
	uint64_t ref;
};

struct qseries {
	struct tsdb_label *labels;
	size_t n;
	struct qchunk *chunks;
	size_t nchunks;
};

struct tsdb_series_set {
	struct tsdb_querier *q;
	struct qseries *s;
	size_t n, cap;
};

static void qseries_free(struct qseries *s)
{
	free(s->labels);
	for (size_t i = 0; i < s->nchunks; i++)
		if (s->chunks[i].owned)
			free(s->chunks[i].b);
	free(s->chunks);
}

void tsdb_series_set_free(struct tsdb_series_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		qseries_free(&s->s[i]);
	free(s->s);
	free(s);
}

size_t tsdb_series_set_len(const struct tsdb_series_set *s)
{
	return s->n;
}

const struct tsdb_label *tsdb_series_labels(const struct tsdb_series_set *s, size_t i, size_t *n)
{
	*n = s->s[i].n;
	return s->s[i].labels;
}

static bool src_has_stones(const struct source *s, uint64_t ref)
{
	bool any = false;
	if (s->b) {
		pthread_mutex_lock(&s->b->stones_mu);
		for (size_t i = 0; i < s->b->nstones && !any; i++)
			any = s->b->stones[i].ref == ref;
		pthread_mutex_unlock(&s->b->stones_mu);
	} else {
		pthread_mutex_lock(&s->h->stones_mu);
		for (size_t i = 0; i < s->h->nstones && !any; i++)
			any = s->h->stones[i].ref == ref;
		pthread_mutex_unlock(&s->h->stones_mu);
	}
	return any;
}

/* Load series id of src into a qseries (no chunks in range: n = 0). */
static int load_series(struct tsdb_querier *q, const struct source *src, uint64_t id,
		       struct qseries *out, bool want_chunks)
{
	memset(out, 0, sizeof(*out));
	int rc;
	if (src->b) {
		struct index_chunk_meta *cm;
		size_t ncm;
		rc = index_series(src->b->index, id, &out->labels, &out->n, &cm, &ncm);
		if (rc)
			return rc;
		out->chunks = calloc(ncm + 1, sizeof(*out->chunks));
		if (!out->chunks) {
			free(cm);
			return -ENOMEM;
		}
		bool stones = src_has_stones(src, id);
		for (size_t i = 0; i < ncm; i++) {
			if (cm[i].maxt < q->mint || cm[i].mint > q->maxt)
				continue;
			struct qchunk *c = &out->chunks[out->nchunks];
			uint8_t enc;
			const uint8_t *data;
			size_t len;
			if (want_chunks) {
				rc = chunks_reader_get(src->b->chunks, cm[i].ref, &enc, &data, &len);
				if (rc) {
					free(cm);
					return rc;
				}
				if (enc != CHUNKENC_XOR)
					continue; /* native histograms: not supported yet */
				c->b = (uint8_t *)data;
				c->len = (uint32_t)len;
			}
			c->mint = cm[i].mint;
			c->maxt = cm[i].maxt;
			c->src = src;
			c->ref = id;
			c->stones = stones;
			out->nchunks++;
		}
		free(cm);
		return 0;
	}
	struct tsdb_chunk *cs;
	size_t nc;
	rc = head_series_copy(src->h, id, q->mint, q->maxt, &out->labels, &out->n, &cs, &nc);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	out->chunks = calloc(nc + 1, sizeof(*out->chunks));
	if (!out->chunks) {
		tsdb_chunks_free(cs, nc);
		return -ENOMEM;
	}
	bool stones = src_has_stones(src, id);
	for (size_t i = 0; i < nc; i++) {
		out->chunks[i] = (struct qchunk){ cs[i].mint, cs[i].maxt, cs[i].b, cs[i].len,
						  true, stones, src, id };
	}
	out->nchunks = nc;
	free(cs);
	return 0;
}

static int cmp_qseries(const void *a, const void *b)
{
	const struct qseries *x = a, *y = b;
	return labels_cmp(x->labels, x->n, y->labels, y->n);
}

static int cmp_qchunk(const void *a, const void *b)
{
	const struct qchunk *x = a, *y = b;
	return x->mint < y->mint ? -1 : x->mint > y->mint;
}

/* Merge series with equal labels (adjacent after sorting). */
static int merge_equal(struct tsdb_series_set *set)
{
	if (set->n > 1)
		qsort(set->s, set->n, sizeof(*set->s), cmp_qseries);
	size_t w = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct qseries *cur = &set->s[i];
		if (w && labels_equal(set->s[w - 1].labels, set->s[w - 1].n, cur->labels, cur->n)) {
			struct qseries *dst = &set->s[w - 1];
			struct qchunk *p = realloc(dst->chunks,
						   (dst->nchunks + cur->nchunks + 1) * sizeof(*p));
			if (!p)
				return -ENOMEM;
			if (cur->nchunks)
				memcpy(p + dst->nchunks, cur->chunks, cur->nchunks * sizeof(*p));
			dst->chunks = p;
			dst->nchunks += cur->nchunks;
			free(cur->chunks);
			free(cur->labels);
			continue;
		}
		set->s[w++] = *cur;
	}
	set->n = w;
	for (size_t i = 0; i < set->n; i++)
		if (set->s[i].nchunks > 1)
			qsort(set->s[i].chunks, set->s[i].nchunks, sizeof(struct qchunk), cmp_qchunk);
	return 0;
}

static int select_all(struct tsdb_querier *q, const struct tsdb_matcher *ms, size_t nm,
		      bool want_chunks, struct tsdb_series_set **out)
{
	struct tsdb_series_set *set = calloc(1, sizeof(*set));
	int rc = 0;
	if (!set)
		return -ENOMEM;
	set->q = q;
	for (size_t si = 0; si < q->nsrc && !rc; si++) {
		struct idset ids = { 0 };
		rc = src_select(&q->src[si], ms, nm, &ids);
		if (rc)
			break;
		for (size_t k = 0; k < ids.n && !rc; k++) {
			if (set->n == set->cap) {
				size_t cap = set->cap ? set->cap * 2 : 64;
				struct qseries *p = realloc(set->s, cap * sizeof(*p));
				if (!p) {
					rc = -ENOMEM;
					break;
				}
				set->s = p;
				set->cap = cap;
			}
			struct qseries *qs = &set->s[set->n];
			rc = load_series(q, &q->src[si], ids.v[k], qs, want_chunks);
			if (rc)
				break;
			if (qs->nchunks == 0) {
				qseries_free(qs);
				continue;
			}
			set->n++;
		}
		free(ids.v);
	}
	if (!rc)
		rc = merge_equal(set);
	if (rc) {
		tsdb_series_set_free(set);
		return rc;
	}
	*out = set;
	return 0;
}

int tsdb_querier_select(struct tsdb_querier *q, const struct tsdb_matcher *ms, size_t n,
			struct tsdb_series_set **out)
{
	return select_all(q, ms, n, true, out);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and deduplicate a malloc'd string array in place. */
static void strs_uniq(char **v, size_t *n)
{
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_strp);
	size_t w = 0;
	for (size_t i = 0; i < *n; i++) {
		if (w && strcmp(v[w - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[w++] = v[i];
	}
	*n = w;
}

static int strs_push(char ***v, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		char **p = realloc(*v, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[*n] = strdup(s);
	if (!(*v)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Whether series id of src has a chunk in the querier's range (tombstones aside). */
static int series_in_range(struct tsdb_querier *q, const struct source *src, uint64_t id, bool *in)
{
	struct qseries qs;
	int rc = load_series(q, src, id, &qs, false);
	if (rc)
		return rc;
	*in = qs.nchunks > 0;
	qseries_free(&qs);
	return 0;
}

/*
 * Values of name among the series ids of src: the postings of each value
 * intersected with ids, stopping at the first series with data in range, so
 * that only a few series are read instead of every selected one.
 */
static int values_by_postings(struct tsdb_querier *q, const struct source *src, const char *name,
			      char **vals, size_t nv, const struct idset *ids, char ***v, size_t *n,
			      size_t *cap)
{
	int rc = 0;
	for (size_t k = 0; k < nv && !rc; k++) {
		struct idset p = { 0 };
		rc = src_postings(src, name, vals[k], &p.v, &p.n);
		if (rc)
			break;
		ids_intersect(&p, ids);
		bool in = false;
		for (size_t i = 0; i < p.n && !in && !rc; i++)
			rc = series_in_range(q, src, p.v[i], &in);
		free(p.v);
		if (!rc && in)
			rc = strs_push(v, n, cap, vals[k]);
	}
	return rc;
}

/* Label names (name NULL) or values of name of the series ids of src, series by series. */
static int labels_by_series(struct tsdb_querier *q, const struct source *src, const char *name,
			    const struct idset *ids, char ***v, size_t *n, size_t *cap)
{
	int rc = 0;
	for (size_t i = 0; i < ids->n && !rc; i++) {
		struct qseries qs;
		rc = load_series(q, src, ids->v[i], &qs, false);
		if (rc)
			break;
		for (size_t k = 0; k < qs.n && qs.nchunks && !rc; k++) {
			if (name && strcmp(qs.labels[k].name, name))
				continue;
			rc = strs_push(v, n, cap, name ? qs.labels[k].value : qs.labels[k].name);
		}
		qseries_free(&qs);
	}
	return rc;
}

/* Label names (name NULL) or values of name, of series matching ms. */
static int labels_query(struct tsdb_querier *q, const char *name, const struct tsdb_matcher *ms,
			size_t nm, char ***out, size_t *count)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (size_t si = 0; si < q->nsrc && !rc; si++) {
		const struct source *src = &q->src[si];
		char **sv = NULL;
		size_t sn = 0;
		if (nm == 0) {
			rc = name ? src_values(src, name, &sv, &sn) : src_names(src, &sv, &sn);
			for (size_t k = 0; k < sn && !rc; k++)
				rc = strs_push(&v, &n, &cap, sv[k]);
			tsdb_strings_free(sv, sn);
			continue;
		}
		struct idset ids = { 0 };
		rc = src_select(src, ms, nm, &ids);
		if (rc)
			break;
		if (ids.n && name)
			rc = src_values(src, name, &sv, &sn);
		/* fewer values than series: read the postings of each value
		 * rather than every series */
		if (!rc && ids.n && name && sn <= ids.n)
			rc = values_by_postings(q, src, name, sv, sn, &ids, &v, &n, &cap);
		else if (!rc && ids.n)
			rc = labels_by_series(q, src, name, &ids, &v, &n, &cap);
		tsdb_strings_free(sv, sn);
		free(ids.v);
	}
	if (rc) {
		tsdb_strings_free(v, n);
		return rc;
	}
	strs_uniq(v, &n);
	*out = v;
	*count = n;
	return 0;
}

int tsdb_querier_label_names(struct tsdb_querier *q, const struct tsdb_matcher *ms, size_t n,
			     char ***names, size_t *count)
{
	return labels_query(q, NULL, ms, n, names, count);
}

int tsdb_querier_label_values(struct tsdb_querier *q, const char *name,
			      const struct tsdb_matcher *ms, size_t n, char ***vals,
			      size_t *count)
{
	return labels_query(q, name, ms, n, vals, count);
}

/* ---- iterators ---- */

struct sample {
	int64_t t;
	double v;
};

struct tsdb_iter {
	struct tsdb_querier *q;
	struct qseries *s;
	int64_t mint, maxt;
	/* sequential mode: chunks do not overlap */
	size_t ci;
	struct xor_iter xi;
	bool in_chunk;
	/* merged mode */
	struct sample *buf;
	size_t n, pos;
	bool merged;
	int64_t last_t;
};

static bool deleted(const struct qchunk *c, int64_t t)
{
	if (!c->stones)
		return false;
	return c->src->b ? block_is_deleted(c->src->b, c->ref, t)
			 : head_is_deleted(c->src->h, c->ref, t);
}

static int cmp_sample(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

static int materialize(struct tsdb_iter *it)
{
	size_t total = 0, cap = 0;
	for (size_t i = 0; i < it->s->nchunks; i++)
		cap += xor_chunk_num(it->s->chunks[i].b, it->s->chunks[i].len);
	it->buf = malloc((cap + 1) * sizeof(*it->buf));
	if (!it->buf)
		return -ENOMEM;
	for (size_t i = 0; i < it->s->nchunks; i++) {
		const struct qchunk *c = &it->s->chunks[i];
		struct xor_iter xi;
		xor_iter_init(&xi, c->b, c->len);
		int rc;
		while ((rc = xor_iter_next(&xi)) == 1) {
			if (xi.t < it->mint || xi.t > it->maxt || deleted(c, xi.t))
				continue;
			if (total < cap)
				it->buf[total++] = (struct sample){ xi.t, xi.v };
		}
		if (rc < 0)
			return rc;
	}
	/* stable order for equal timestamps: mergesort semantics via index */
	if (total > 1)
		qsort(it->buf, total, sizeof(*it->buf), cmp_sample);
	size_t w = 0;
	for (size_t i = 0; i < total; i++)
		if (w == 0 || it->buf[w - 1].t != it->buf[i].t)
			it->buf[w++] = it->buf[i];
	it->n = w;
	return 0;
}

int tsdb_series_iter(struct tsdb_series_set *s, size_t i, struct tsdb_iter **out)
{
	struct tsdb_iter *it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->q = s->q;
	it->s = &s->s[i];
	it->mint = s->q->mint;
	it->maxt = s->q->maxt;
	it->last_t = INT64_MIN;
	for (size_t k = 1; k < it->s->nchunks; k++)
		if (it->s->chunks[k].mint <= it->s->chunks[k - 1].maxt)
			it->merged = true;
	if (it->merged) {
		int rc = materialize(it);
		if (rc) {
			tsdb_iter_free(it);
			return rc;
		}
	}
	*out = it;
	return 0;
}

int tsdb_iter_next(struct tsdb_iter *it, int64_t *t, double *v)
{
	if (it->merged) {
		if (it->pos >= it->n)
			return 0;
		*t = it->buf[it->pos].t;
		*v = it->buf[it->pos].v;
		it->pos++;
		return 1;
	}
	for (;;) {
		if (!it->in_chunk) {
			if (it->ci >= it->s->nchunks)
				return 0;
			const struct qchunk *c = &it->s->chunks[it->ci];
			xor_iter_init(&it->xi, c->b, c->len);
			it->in_chunk = true;
		}
		int rc = xor_iter_next(&it->xi);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			it->in_chunk = false;
			it->ci++;
			continue;
		}
		const struct qchunk *c = &it->s->chunks[it->ci];
		if (it->xi.t < it->mint || it->xi.t <= it->last_t || deleted(c, it->xi.t))
			continue;
		if (it->xi.t > it->maxt) {
			it->ci = it->s->nchunks;
			it->in_chunk = false;
			return 0;
		}
		it->last_t = it->xi.t;
		*t = it->xi.t;
		*v = it->xi.v;
		return 1;
	}
}

int tsdb_iter_seek(struct tsdb_iter *it, int64_t t, int64_t *ts, double *v)
{
	if (it->merged) {
		while (it->pos < it->n && it->buf[it->pos].t < t)
			it->pos++;
		return tsdb_iter_next(it, ts, v);
	}
	/* skip whole chunks that end before t */
	if (!it->in_chunk)
		while (it->ci < it->s->nchunks && it->s->chunks[it->ci].maxt < t)
			it->ci++;
	int rc;
	while ((rc = tsdb_iter_next(it, ts, v)) == 1 && *ts < t)
		;
	return rc;
}

void tsdb_iter_free(struct tsdb_iter *it)
{
	if (!it)
		return;
	free(it->buf);
	free(it);
}
