// SPDX-License-Identifier: Apache-2.0
/*
 * The in-memory head: series tables, chunk cutting, postings, truncation.
 * See head.h for the rules and the lock order.
 */
#include "server/tsdb/head.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/tsdb/spill.h"

/* ---- postings map: open addressing on (name, value) ---- */

struct postings_entry {
	const char *name, *value; /* interned */
	uint64_t hash;
	uint64_t *refs;
	uint32_t n, cap;
};

struct postings_map {
	struct postings_entry *slots; /* name NULL: empty */
	size_t cap, n;
};

static uint64_t pair_hash(const char *name, const char *value)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char *s = name; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (const char *s = value; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h ^ (h >> 31);
}

static struct postings_entry *pm_find(struct postings_map *m, const char *name,
				      const char *value, uint64_t h)
{
	size_t i = h & (m->cap - 1);
	for (;;) {
		struct postings_entry *e = &m->slots[i];
		if (!e->name)
			return e;
		if (e->hash == h && strcmp(e->name, name) == 0 && strcmp(e->value, value) == 0)
			return e;
		i = (i + 1) & (m->cap - 1);
	}
}

static int pm_grow(struct postings_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	struct postings_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct postings_entry *e = &m->slots[i];
		if (!e->name)
			continue;
		size_t j = e->hash & (cap - 1);
		while (slots[j].name)
			j = (j + 1) & (cap - 1);
		slots[j] = *e;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

/* Insert ref keeping the list sorted (refs mostly arrive in order). */
static int pm_add(struct postings_map *m, const char *name, const char *value, uint64_t ref)
{
	if ((m->n + 1) * 4 > m->cap * 3 && pm_grow(m))
		return -ENOMEM;
	uint64_t h = pair_hash(name, value);
	struct postings_entry *e = pm_find(m, name, value, h);
	if (!e->name) {
		e->name = name;
		e->value = value;
		e->hash = h;
		e->refs = NULL;
		e->n = e->cap = 0;
		m->n++;
	}
	if (e->n == e->cap) {
		uint32_t cap = e->cap ? e->cap * 2 : 2;
		uint64_t *p = realloc(e->refs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		e->refs = p;
		e->cap = cap;
	}
	uint32_t i = e->n;
	while (i > 0 && e->refs[i - 1] > ref) {
		e->refs[i] = e->refs[i - 1];
		i--;
	}
	e->refs[i] = ref;
	e->n++;
	return 0;
}

/* Remove slot i and re-place the cluster after it (linear probing delete). */
static void pm_delete_slot(struct postings_map *m, size_t i)
{
	free(m->slots[i].refs);
	memset(&m->slots[i], 0, sizeof(m->slots[i]));
	m->n--;
	size_t j = (i + 1) & (m->cap - 1);
	while (m->slots[j].name) {
		struct postings_entry e = m->slots[j];
		memset(&m->slots[j], 0, sizeof(e));
		size_t k = e.hash & (m->cap - 1);
		while (m->slots[k].name)
			k = (k + 1) & (m->cap - 1);
		m->slots[k] = e;
		j = (j + 1) & (m->cap - 1);
	}
}

static void pm_del(struct postings_map *m, const char *name, const char *value, uint64_t ref)
{
	uint64_t h = pair_hash(name, value);
	struct postings_entry *e = pm_find(m, name, value, h);
	if (!e->name)
		return;
	uint32_t lo = 0, hi = e->n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (e->refs[mid] < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->n && e->refs[lo] == ref) {
		memmove(e->refs + lo, e->refs + lo + 1, (e->n - lo - 1) * sizeof(uint64_t));
		e->n--;
	}
	if (e->n == 0)
		pm_delete_slot(m, (size_t)(e - m->slots));
}

/* ---- head ---- */

int head_new(struct head **out)
{
	struct head *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pool = strpool_new();
	h->postings = calloc(1, sizeof(*h->postings));
	if (!h->pool || !h->postings || pm_grow(h->postings)) {
		strpool_free(h->pool);
		if (h->postings)
			free(h->postings->slots);
		free(h->postings);
		free(h);
		return -ENOMEM;
	}
	for (int i = 0; i < HEAD_STRIPES; i++) {
		pthread_mutex_init(&h->hash[i].mu, NULL);
		pthread_mutex_init(&h->refs[i].mu, NULL);
	}
	pthread_rwlock_init(&h->postings_lock, NULL);
	pthread_mutex_init(&h->stones_mu, NULL);
	atomic_store(&h->mint, INT64_MAX);
	atomic_store(&h->maxt, INT64_MIN);
	atomic_store(&h->min_valid, INT64_MIN);
	h->chunk_range = TSDB_BLOCK_RANGE_MS;
	*out = h;
	return 0;
}

/* Free or release one closed chunk. */
static void chunk_drop(struct head *h, struct head_chunk *c)
{
	if (c->b)
		free(c->b);
	else if (h->spill)
		spill_release(h->spill, c->file);
	c->b = NULL;
}

int head_enable_spill(struct head *h, const char *dir)
{
	return spill_open(dir, &h->spill);
}

/* Drop one reference on s's struct; the last one frees it. */
static void series_put(struct head_series *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/*
 * Free what s holds in the head (chunks, label strings) and drop the
 * head's reference: pinned handles keep the bare struct until they go.
 */
static void series_free(struct head *h, struct head_series *s)
{
	for (uint32_t i = 0; i < s->nchunks; i++)
		chunk_drop(h, &s->chunks[i]);
	free(s->chunks);
	s->chunks = NULL;
	s->nchunks = 0;
	xor_app_free(&s->app);
	for (size_t i = 0; i < s->nlabels; i++) {
		strpool_release(h->pool, s->labels[i].name);
		strpool_release(h->pool, s->labels[i].value);
	}
	s->nlabels = 0;
	if (!s->dead) /* GC set it under the mutex; no write racing pinned readers */
		s->dead = true;
	series_put(s);
}

void head_free(struct head *h)
{
	if (!h)
		return;
	for (int i = 0; i < HEAD_STRIPES; i++) {
		struct head_stripe *st = &h->refs[i];
		for (size_t b = 0; b < st->nbuckets; b++) {
			struct head_series *s = st->buckets[b];
			while (s) {
				struct head_series *next = s->rnext;
				series_free(h, s);
				s = next;
			}
		}
		free(st->buckets);
		free(h->hash[i].buckets);
		pthread_mutex_destroy(&h->hash[i].mu);
		pthread_mutex_destroy(&h->refs[i].mu);
	}
	for (size_t i = 0; i < h->postings->cap; i++)
		free(h->postings->slots[i].refs);
	free(h->postings->slots);
	free(h->postings);
	strpool_free(h->pool);
	pthread_rwlock_destroy(&h->postings_lock);
	pthread_mutex_destroy(&h->stones_mu);
	free(h->stones);
	spill_close(h->spill);
	free(h);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int stripe_grow(struct head_stripe *st, bool by_ref)
{
	size_t nb = st->nbuckets ? st->nbuckets * 2 : 16;
	struct head_series **b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < st->nbuckets; i++) {
		struct head_series *s = st->buckets[i];
		while (s) {
			struct head_series *next = by_ref ? s->rnext : s->hnext;
			uint64_t k = by_ref ? mix(s->ref) : s->hash;
			size_t j = (k / HEAD_STRIPES) & (nb - 1);
			if (by_ref) {
				s->rnext = b[j];
			} else {
				s->hnext = b[j];
			}
			b[j] = s;
			s = next;
		}
	}
	free(st->buckets);
	st->buckets = b;
	st->nbuckets = nb;
	return 0;
}

static struct head_series *ref_lookup(struct head_stripe *st, uint64_t ref)
{
	if (!st->nbuckets)
		return NULL;
	struct head_series *s = st->buckets[(mix(ref) / HEAD_STRIPES) & (st->nbuckets - 1)];
	while (s && s->ref != ref)
		s = s->rnext;
	return s;
}

static void atomic_min64(atomic_int_fast64_t *a, int64_t v)
{
	int64_t cur = atomic_load(a);
	while (v < cur && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

static void atomic_max64(atomic_int_fast64_t *a, int64_t v)
{
	int64_t cur = atomic_load(a);
	while (v > cur && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

int head_get_or_create(struct head *h, const struct tsdb_label *ls, size_t n, uint64_t ref,
		       struct head_series **out, bool *created)
{
	uint64_t hash = labels_hash(ls, n);
	struct head_stripe *st = &h->hash[hash & (HEAD_STRIPES - 1)];
	struct head_series *s = NULL;
	int rc = 0;

	*created = false;
	if (n == 0 || n > TSDB_MAX_LABELS)
		return -EINVAL;
	pthread_mutex_lock(&st->mu);
	if (st->nbuckets) {
		s = st->buckets[(hash / HEAD_STRIPES) & (st->nbuckets - 1)];
		while (s && !(s->hash == hash && labels_equal(s->labels, s->nlabels, ls, n)))
			s = s->hnext;
	}
	if (s) {
		atomic_fetch_add(&s->pending, 1);
		goto out;
	}
	if ((st->n + 1 > st->nbuckets) && (rc = stripe_grow(st, false)))
		goto out;
	s = calloc(1, sizeof(*s) + n * sizeof(struct tsdb_label));
	if (!s) {
		rc = -ENOMEM;
		goto out;
	}
	atomic_init(&s->refs, 1);
	for (size_t i = 0; i < n; i++) {
		s->labels[i].name = strpool_intern(h->pool, ls[i].name, strlen(ls[i].name));
		s->labels[i].value = strpool_intern(h->pool, ls[i].value, strlen(ls[i].value));
		s->nlabels = (uint16_t)(i + 1);
		if (!s->labels[i].name || !s->labels[i].value) {
			if (!s->labels[i].name && s->labels[i].value)
				strpool_release(h->pool, s->labels[i].value);
			if (s->labels[i].name && !s->labels[i].value)
				strpool_release(h->pool, s->labels[i].name);
			s->nlabels = (uint16_t)i;
			series_free(h, s);
			s = NULL;
			rc = -ENOMEM;
			goto out;
		}
	}
	pthread_mutex_init(&s->mu, NULL);
	s->hash = hash;
	s->maxt = INT64_MIN;
	atomic_init(&s->pub_maxt, INT64_MIN);
	atomic_store(&s->pending, 1);
	if (ref) {
		s->ref = ref;
		uint64_t last = atomic_load(&h->last_ref);
		while (ref > last && !atomic_compare_exchange_weak(&h->last_ref, &last, ref))
			;
	} else {
		s->ref = atomic_fetch_add(&h->last_ref, 1) + 1;
	}
	struct head_stripe *rs = &h->refs[s->ref & (HEAD_STRIPES - 1)];
	pthread_mutex_lock(&rs->mu);
	if (rs->n + 1 > rs->nbuckets && (rc = stripe_grow(rs, true))) {
		pthread_mutex_unlock(&rs->mu);
		series_free(h, s);
		s = NULL;
		goto out;
	}
	size_t rb = (mix(s->ref) / HEAD_STRIPES) & (rs->nbuckets - 1);
	s->rnext = rs->buckets[rb];
	rs->buckets[rb] = s;
	rs->n++;
	pthread_mutex_unlock(&rs->mu);

	pthread_rwlock_wrlock(&h->postings_lock);
	for (size_t i = 0; i < n && !rc; i++)
		rc = pm_add(h->postings, s->labels[i].name, s->labels[i].value, s->ref);
	pthread_rwlock_unlock(&h->postings_lock);
	if (rc)
		log_warn("tsdb: postings for a new series are incomplete (out of memory)");
	rc = 0;

	size_t hb = (hash / HEAD_STRIPES) & (st->nbuckets - 1);
	s->hnext = st->buckets[hb];
	st->buckets[hb] = s;
	st->n++;
	atomic_fetch_add(&h->nseries, 1);
	atomic_fetch_add(&h->stats.series_created, 1);
	*created = true;
out:
	pthread_mutex_unlock(&st->mu);
	*out = s;
	return rc;
}

void head_release(struct head_series *s)
{
	atomic_fetch_sub(&s->pending, 1);
}

void head_pin(struct head_series *s)
{
	atomic_fetch_add(&s->refs, 1);
}

void head_unpin(struct head_series *s)
{
	if (s)
		series_put(s);
}

struct head_series *head_get_by_ref(struct head *h, uint64_t ref)
{
	struct head_stripe *rs = &h->refs[ref & (HEAD_STRIPES - 1)];
	pthread_mutex_lock(&rs->mu);
	struct head_series *s = ref_lookup(rs, ref);
	if (s) {
		/* GC marks a series dead under its mutex before unlinking it */
		pthread_mutex_lock(&s->mu);
		bool dead = s->dead;
		if (!dead)
			atomic_fetch_add(&s->pending, 1);
		pthread_mutex_unlock(&s->mu);
		if (dead)
			s = NULL;
	}
	pthread_mutex_unlock(&rs->mu);
	return s;
}

static int64_t min_valid_time(struct head *h, bool replay)
{
	int64_t mv = atomic_load(&h->min_valid);
	if (replay)
		return mv;
	int64_t mx = atomic_load(&h->maxt);
	if (mx != INT64_MIN && mx - h->chunk_range / 2 > mv)
		mv = mx - h->chunk_range / 2;
	return mv;
}

static int appendable_locked(struct head *h, struct head_series *s, int64_t t, double v,
			     bool replay)
{
	if (t < min_valid_time(h, replay))
		return -ERANGE;
	if (s->maxt == INT64_MIN || t > s->maxt)
		return 0;
	if (t < s->maxt)
		return -EDOM;
	uint64_t a, b;
	memcpy(&a, &v, 8);
	memcpy(&b, &s->lastv, 8);
	return a == b ? 1 : -EEXIST;
}

/*
 * appendable_locked() against the newest sample head_append() published,
 * without the series mutex; takes it when an append races the read.
 */
static int appendable_published(struct head *h, struct head_series *s, int64_t t, double v)
{
	unsigned q1 = atomic_load_explicit(&s->pub_seq, memory_order_acquire);
	int64_t mx = atomic_load_explicit(&s->pub_maxt, memory_order_relaxed);
	uint64_t lv = atomic_load_explicit(&s->pub_lastv, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	unsigned q2 = atomic_load_explicit(&s->pub_seq, memory_order_relaxed);
	if ((q1 & 1) || q1 != q2) {
		pthread_mutex_lock(&s->mu);
		int rc = appendable_locked(h, s, t, v, false);
		pthread_mutex_unlock(&s->mu);
		return rc;
	}
	if (t < min_valid_time(h, false))
		return -ERANGE;
	if (mx == INT64_MIN || t > mx)
		return 0;
	if (t < mx)
		return -EDOM;
	uint64_t b;
	memcpy(&b, &v, 8);
	return b == lv ? 1 : -EEXIST;
}

int head_acquire(struct head *h, struct head_series *s, int64_t t, double v)
{
	/* pending before dead: see head.h and head_truncate() */
	atomic_fetch_add(&s->pending, 1);
	int rc = atomic_load(&s->dead) ? -ESTALE : appendable_published(h, s, t, v);
	if (rc < 0) {
		atomic_fetch_sub(&s->pending, 1);
		return rc;
	}
	return 0;
}

int head_appendable(struct head *h, struct head_series *s, int64_t t, double v, bool replay)
{
	pthread_mutex_lock(&s->mu);
	int rc = appendable_locked(h, s, t, v, replay);
	pthread_mutex_unlock(&s->mu);
	return rc < 0 ? rc : 0;
}

static int64_t range_end(int64_t t, int64_t width)
{
	int64_t q = t / width;
	if (t < 0 && t % width)
		q--;
	return q * width + width;
}

/* Close the open chunk into the closed list. */
static int close_chunk(struct head *h, struct head_series *s)
{
	if (!s->app.b)
		return 0;
	if (s->nchunks == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 4;
		struct head_chunk *c = realloc(s->chunks, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		s->chunks = c;
		s->cap = cap;
	}
	struct head_chunk *c = &s->chunks[s->nchunks++];
	*c = (struct head_chunk){ .mint = s->app_mint, .maxt = s->app.t, .len = s->app.len };
	if (h->spill && spill_write(h->spill, s->app.b, s->app.len, &c->file, &c->off) == 0) {
		free(s->app.b);
	} else {
		c->b = realloc(s->app.b, s->app.len);
		if (!c->b)
			c->b = s->app.b;
	}
	s->app.b = NULL;
	return 0;
}

static int cut_chunk(struct head *h, struct head_series *s, int64_t t)
{
	int rc = close_chunk(h, s);
	if (rc)
		return rc;
	rc = xor_app_init(&s->app);
	if (rc)
		return rc;
	s->app_mint = t;
	s->next_at = range_end(t, h->chunk_range);
	atomic_fetch_add(&h->nchunks, 1);
	atomic_fetch_add(&h->stats.chunks_created, 1);
	return 0;
}

static int64_t chunk_end_time(int64_t start, int64_t cur, int64_t max)
{
	int64_t n = (max - start) / ((cur - start + 1) * 4);
	if (n <= 1)
		return max;
	return start + (max - start) / n;
}

int head_append(struct head *h, struct head_series *s, int64_t t, double v, bool replay)
{
	int rc;
	pthread_mutex_lock(&s->mu);
	rc = appendable_locked(h, s, t, v, replay);
	if (rc) {
		if (rc == -EDOM)
			atomic_fetch_add(&h->stats.out_of_order, 1);
		else if (rc == -ERANGE)
			atomic_fetch_add(&h->stats.out_of_bound, 1);
		else if (rc == -EEXIST)
			atomic_fetch_add(&h->stats.duplicates, 1);
		if (rc == 1)
			rc = 0;
		goto out;
	}
	if (!s->app.b) {
		rc = cut_chunk(h, s, t);
	} else {
		uint16_t num = s->app.num;
		if (num == CHUNKENC_SAMPLES_PER_CHUNK / 4)
			s->next_at = chunk_end_time(s->app_mint, s->app.t, s->next_at);
		if (t >= s->next_at || num >= CHUNKENC_SAMPLES_PER_CHUNK * 2)
			rc = cut_chunk(h, s, t);
	}
	if (rc)
		goto out;
	rc = xor_app_append(&s->app, t, v);
	if (rc)
		goto out;
	s->maxt = t;
	s->lastv = v;
	uint64_t bits;
	memcpy(&bits, &v, 8);
	unsigned q = atomic_load_explicit(&s->pub_seq, memory_order_relaxed);
	atomic_store_explicit(&s->pub_seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->pub_maxt, t, memory_order_relaxed);
	atomic_store_explicit(&s->pub_lastv, bits, memory_order_relaxed);
	atomic_store_explicit(&s->pub_seq, q + 2, memory_order_release);
	atomic_min64(&h->mint, t);
	atomic_max64(&h->maxt, t);
	atomic_fetch_add(&h->stats.samples_appended, 1);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int head_postings(struct head *h, const char *name, const char *value, uint64_t **refs,
		  size_t *n)
{
	int rc = 0;
	*refs = NULL;
	*n = 0;
	pthread_rwlock_rdlock(&h->postings_lock);
	struct postings_entry *e = pm_find(h->postings, name, value, pair_hash(name, value));
	if (e->name && e->n) {
		*refs = malloc(e->n * sizeof(uint64_t));
		if (!*refs) {
			rc = -ENOMEM;
		} else {
			memcpy(*refs, e->refs, e->n * sizeof(uint64_t));
			*n = e->n;
		}
	}
	pthread_rwlock_unlock(&h->postings_lock);
	return rc;
}

void tsdb_strings_free(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect names (want NULL) or the values of want, deduplicated and sorted. */
static int collect(struct head *h, const char *want, char ***out, size_t *n)
{
	char **v = NULL;
	size_t len = 0, cap = 0;
	int rc = 0;
	pthread_rwlock_rdlock(&h->postings_lock);
	for (size_t i = 0; i < h->postings->cap; i++) {
		struct postings_entry *e = &h->postings->slots[i];
		if (!e->name || !e->n)
			continue;
		if (want && strcmp(e->name, want))
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			char **p = realloc(v, cap * sizeof(*p));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			v = p;
		}
		v[len] = strdup(want ? e->value : e->name);
		if (!v[len]) {
			rc = -ENOMEM;
			break;
		}
		len++;
	}
	pthread_rwlock_unlock(&h->postings_lock);
	if (rc) {
		tsdb_strings_free(v, len);
		return rc;
	}
	if (len > 1)
		qsort(v, len, sizeof(*v), cmp_str);
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		if (w && strcmp(v[w - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[w++] = v[i];
	}
	*out = v;
	*n = w;
	return 0;
}

int head_label_values(struct head *h, const char *name, char ***vals, size_t *n)
{
	return collect(h, name, vals, n);
}

int head_label_names(struct head *h, char ***names, size_t *n)
{
	return collect(h, NULL, names, n);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int head_all_refs(struct head *h, uint64_t **refs, size_t *n)
{
	size_t len = 0, cap = 0;
	uint64_t *v = NULL;
	for (int i = 0; i < HEAD_STRIPES; i++) {
		struct head_stripe *st = &h->refs[i];
		pthread_mutex_lock(&st->mu);
		if (len + st->n > cap) {
			size_t nc = (len + st->n) * 2 + 64;
			uint64_t *p = realloc(v, nc * sizeof(*p));
			if (!p) {
				pthread_mutex_unlock(&st->mu);
				free(v);
				return -ENOMEM;
			}
			v = p;
			cap = nc;
		}
		for (size_t b = 0; b < st->nbuckets; b++)
			for (struct head_series *s = st->buckets[b]; s; s = s->rnext)
				v[len++] = s->ref;
		pthread_mutex_unlock(&st->mu);
	}
	if (len > 1)
		qsort(v, len, sizeof(*v), cmp_u64);
	*refs = v;
	*n = len;
	return 0;
}

void tsdb_chunks_free(struct tsdb_chunk *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].b);
	free(c);
}

static int copy_labels(const struct head_series *s, struct tsdb_label **out)
{
	size_t bytes = s->nlabels * sizeof(struct tsdb_label);
	for (size_t i = 0; i < s->nlabels; i++)
		bytes += strlen(s->labels[i].name) + strlen(s->labels[i].value) + 2;
	struct tsdb_label *ls = malloc(bytes ? bytes : 1);
	if (!ls)
		return -ENOMEM;
	char *p = (char *)(ls + s->nlabels);
	for (size_t i = 0; i < s->nlabels; i++) {
		size_t a = strlen(s->labels[i].name) + 1, b = strlen(s->labels[i].value) + 1;
		memcpy(p, s->labels[i].name, a);
		ls[i].name = p;
		p += a;
		memcpy(p, s->labels[i].value, b);
		ls[i].value = p;
		p += b;
	}
	*out = ls;
	return 0;
}

int head_series_copy(struct head *h, uint64_t ref, int64_t mint, int64_t maxt,
		     struct tsdb_label **labels, size_t *nlabels, struct tsdb_chunk **chunks,
		     size_t *nchunks)
{
	struct head_stripe *rs = &h->refs[ref & (HEAD_STRIPES - 1)];
	struct tsdb_chunk *cs = NULL;
	size_t n = 0;
	int rc = 0;

	*labels = NULL;
	*chunks = NULL;
	*nchunks = 0;
	*nlabels = 0;
	pthread_mutex_lock(&rs->mu);
	struct head_series *s = ref_lookup(rs, ref);
	if (!s) {
		pthread_mutex_unlock(&rs->mu);
		return -ENOENT;
	}
	pthread_mutex_lock(&s->mu);
	rc = copy_labels(s, labels);
	if (rc)
		goto out;
	*nlabels = s->nlabels;
	cs = calloc(s->nchunks + 1, sizeof(*cs));
	if (!cs) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i <= s->nchunks; i++) {
		struct head_chunk c;
		if (i < s->nchunks)
			c = s->chunks[i];
		else if (s->app.b && s->app.num)
			c = (struct head_chunk){ .mint = s->app_mint, .maxt = s->app.t,
						 .b = s->app.b, .len = s->app.len };
		else
			break;
		if (c.maxt < mint || c.mint > maxt)
			continue;
		cs[n] = (struct tsdb_chunk){ c.mint, c.maxt, malloc(c.len ? c.len : 1), c.len };
		if (!cs[n].b) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
		if (c.b)
			memcpy(cs[n - 1].b, c.b, c.len);
		else if ((rc = spill_read(h->spill, c.file, c.off, cs[n - 1].b, c.len)))
			goto out;
	}
out:
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&rs->mu);
	if (rc) {
		free(*labels);
		*labels = NULL;
		tsdb_chunks_free(cs, n);
		return rc;
	}
	*chunks = cs;
	*nchunks = n;
	return 0;
}

/* Drop s's chunks ending before mint; true when s is left empty. */
static bool truncate_series(struct head *h, struct head_series *s, int64_t mint)
{
	uint32_t drop = 0;
	while (drop < s->nchunks && s->chunks[drop].maxt < mint) {
		chunk_drop(h, &s->chunks[drop]);
		drop++;
	}
	if (drop) {
		memmove(s->chunks, s->chunks + drop, (s->nchunks - drop) * sizeof(*s->chunks));
		s->nchunks -= drop;
		atomic_fetch_sub(&h->nchunks, drop);
		atomic_fetch_add(&h->stats.chunks_removed, drop);
	}
	if (s->app.b && s->app.t < mint && s->nchunks == 0) {
		xor_app_free(&s->app);
		atomic_fetch_sub(&h->nchunks, 1);
		atomic_fetch_add(&h->stats.chunks_removed, 1);
	}
	return s->nchunks == 0 && !s->app.b;
}

static int cmp_ref(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool ref_in(const uint64_t *v, size_t n, uint64_t ref)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] < ref)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == ref;
}

/*
 * Remove the refs in gone (sorted) from every postings list in one pass and
 * rebuild the table without the emptied entries.  Called with the postings
 * write lock held, before the removed series (and their strings) are freed.
 */
static void postings_remove(struct postings_map *m, const uint64_t *gone, size_t ngone)
{
	size_t live = 0;
	for (size_t i = 0; i < m->cap; i++) {
		struct postings_entry *e = &m->slots[i];
		if (!e->name)
			continue;
		uint32_t w = 0;
		for (uint32_t k = 0; k < e->n; k++)
			if (!ref_in(gone, ngone, e->refs[k]))
				e->refs[w++] = e->refs[k];
		e->n = w;
		if (w)
			live++;
	}
	struct postings_entry *slots = calloc(m->cap, sizeof(*slots));
	if (!slots) {
		/* keep the table; empty entries are harmless until the next pass */
		return;
	}
	for (size_t i = 0; i < m->cap; i++) {
		struct postings_entry *e = &m->slots[i];
		if (!e->name)
			continue;
		if (!e->n) {
			free(e->refs);
			continue;
		}
		size_t j = e->hash & (m->cap - 1);
		while (slots[j].name)
			j = (j + 1) & (m->cap - 1);
		slots[j] = *e;
	}
	free(m->slots);
	m->slots = slots;
	m->n = live;
}

/*
 * An append to a series the walk in head_truncate() had already passed
 * lowered mint or raised maxt before the stores that end the walk, which
 * overwrote it.  A second pass, after those stores, puts every series'
 * bounds back: an append that ran before this pass reached its series is
 * seen here; one that runs after it writes mint and maxt itself, after the
 * stores.
 */
static void restore_bounds(struct head *h)
{
	for (int i = 0; i < HEAD_STRIPES; i++) {
		struct head_stripe *st = &h->hash[i];
		pthread_mutex_lock(&st->mu);
		for (size_t b = 0; b < st->nbuckets; b++)
			for (struct head_series *s = st->buckets[b]; s; s = s->hnext) {
				pthread_mutex_lock(&s->mu);
				if (s->nchunks || s->app.b) {
					atomic_min64(&h->mint,
						     s->nchunks ? s->chunks[0].mint : s->app_mint);
					atomic_max64(&h->maxt, s->maxt);
				}
				pthread_mutex_unlock(&s->mu);
			}
		pthread_mutex_unlock(&st->mu);
	}
}

int head_truncate(struct head *h, int64_t mint)
{
	struct head_series **gone = NULL;
	size_t ngone = 0, gcap = 0;
	atomic_max64(&h->min_valid, mint);
	int64_t new_mint = INT64_MAX;
	for (int i = 0; i < HEAD_STRIPES; i++) {
		struct head_stripe *st = &h->hash[i];
		pthread_mutex_lock(&st->mu);
		for (size_t b = 0; b < st->nbuckets; b++) {
			struct head_series **pp = &st->buckets[b];
			while (*pp) {
				struct head_series *s = *pp;
				if (ngone == gcap) {
					size_t c = gcap ? gcap * 2 : 1024;
					struct head_series **g = realloc(gone, c * sizeof(*g));
					if (g) {
						gone = g;
						gcap = c;
					}
				}
				pthread_mutex_lock(&s->mu);
				bool empty = truncate_series(h, s, mint);
				if (!empty) {
					int64_t m = s->nchunks ? s->chunks[0].mint : s->app_mint;
					if (m < new_mint)
						new_mint = m;
				}
				/*
				 * head_acquire() raises pending, then reads dead,
				 * without the mutex; here dead is set, then pending
				 * read (all seq_cst): one of the two sees the other.
				 * A raised pending undoes the flag before the mutex
				 * goes, so readers under it never see it set.
				 * Without room in gone it stays for the next pass.
				 */
				bool remove = empty && ngone < gcap && atomic_load(&s->pending) == 0;
				if (remove) {
					atomic_store(&s->dead, true);
					if (atomic_load(&s->pending) != 0) {
						atomic_store(&s->dead, false);
						remove = false;
					}
				}
				pthread_mutex_unlock(&s->mu);
				if (!remove) {
					pp = &s->hnext;
					continue;
				}
				/* unlink from both tables; postings and memory go below */
				struct head_stripe *rs = &h->refs[s->ref & (HEAD_STRIPES - 1)];
				pthread_mutex_lock(&rs->mu);
				struct head_series **rp =
					&rs->buckets[(mix(s->ref) / HEAD_STRIPES) & (rs->nbuckets - 1)];
				while (*rp && *rp != s)
					rp = &(*rp)->rnext;
				if (*rp)
					*rp = s->rnext;
				rs->n--;
				pthread_mutex_unlock(&rs->mu);
				*pp = s->hnext;
				st->n--;
				gone[ngone++] = s;
			}
		}
		pthread_mutex_unlock(&st->mu);
	}
	if (ngone) {
		uint64_t *refs = malloc(ngone * sizeof(*refs));
		pthread_rwlock_wrlock(&h->postings_lock);
		if (refs) {
			for (size_t k = 0; k < ngone; k++)
				refs[k] = gone[k]->ref;
			qsort(refs, ngone, sizeof(*refs), cmp_ref);
			postings_remove(h->postings, refs, ngone);
		} else {
			for (size_t k = 0; k < ngone; k++)
				for (size_t l = 0; l < gone[k]->nlabels; l++)
					pm_del(h->postings, gone[k]->labels[l].name,
					       gone[k]->labels[l].value, gone[k]->ref);
		}
		pthread_rwlock_unlock(&h->postings_lock);
		free(refs);
		for (size_t k = 0; k < ngone; k++)
			series_free(h, gone[k]);
		atomic_fetch_sub(&h->nseries, ngone);
		atomic_fetch_add(&h->stats.series_removed, ngone);
	}
	free(gone);
	if (new_mint == INT64_MAX) {
		atomic_store(&h->mint, INT64_MAX);
		atomic_store(&h->maxt, INT64_MIN);
	} else {
		atomic_store(&h->mint, new_mint);
	}
	restore_bounds(h);
	/* drop tombstones that only cover truncated data */
	pthread_mutex_lock(&h->stones_mu);
	size_t w = 0;
	for (size_t i = 0; i < h->nstones; i++)
		if (h->stones[i].maxt >= mint)
			h->stones[w++] = h->stones[i];
	h->nstones = w;
	pthread_mutex_unlock(&h->stones_mu);
	return 0;
}

int head_add_stone(struct head *h, uint64_t ref, int64_t mint, int64_t maxt)
{
	int rc = 0;
	pthread_mutex_lock(&h->stones_mu);
	if (h->nstones == h->stones_cap) {
		size_t cap = h->stones_cap ? h->stones_cap * 2 : 16;
		void *p = realloc(h->stones, cap * sizeof(*h->stones));
		if (!p) {
			rc = -ENOMEM;
			goto out;
		}
		h->stones = p;
		h->stones_cap = cap;
	}
	h->stones[h->nstones].ref = ref;
	h->stones[h->nstones].mint = mint;
	h->stones[h->nstones].maxt = maxt;
	h->nstones++;
out:
	pthread_mutex_unlock(&h->stones_mu);
	return rc;
}

bool head_is_deleted(struct head *h, uint64_t ref, int64_t t)
{
	bool del = false;
	pthread_mutex_lock(&h->stones_mu);
	for (size_t i = 0; i < h->nstones && !del; i++)
		del = h->stones[i].ref == ref && t >= h->stones[i].mint && t <= h->stones[i].maxt;
	pthread_mutex_unlock(&h->stones_mu);
	return del;
}
