// SPDX-License-Identifier: Apache-2.0
/*
 * PromQL evaluation with Prometheus 2.42's semantics (promql/engine.go and
 * functions.go of that release, read for behaviour only).
 *
 * Every node is evaluated over all steps of its evaluator at once and yields
 * a "step matrix": series, each with one optional value per step.  Steps
 * are start, start + step, ..., end (one step for an instant query).
 *
 *  - An instant vector selector takes, per step, the newest sample at or
 *    before t - offset (t is the @ time when there is one) that is no older
 *    than the lookback delta; a staleness marker there means no value.
 *  - A range vector selector (only as a function argument, or as the whole
 *    of an instant query) covers [t - offset - range, t - offset], both ends
 *    included, without staleness markers.
 *  - A subquery evaluates its inner expression once over steps aligned to
 *    absolute multiples of its step, then is windowed like a range selector.
 *
 * Storage is read once per selector per evaluation: a querier over the
 * whole window, each series' samples read into one reusable buffer and
 * walked with cursors that only move forward as the steps advance.
 *
 * All memory of one evaluation comes from an arena freed at the end (or
 * handed to the result).  Allocation failure, the deadline and the sample
 * limit are errors that unwind through return codes.
 */
#include "server/promql/engine.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/expo.h"
#include "common/strutil.h"
#include "server/promql/parser.h"
#include "server/tsdb/tsdb.h"

#define STALE_NAN_BITS 0x7ff0000000000002ULL
#define MAX_LABELS     (TSDB_MAX_LABELS + 4)
#define SLOT_FACTOR    3

/* ---------------------------------------------------------------- arena */

struct promql_arena_mem {
	struct mem_block *head;
	size_t bytes;
};

struct mem_block {
	struct mem_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

#define MEM_BLOCK 65536

static void *mem_alloc(struct promql_arena_mem *m, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct mem_block *b = m->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > MEM_BLOCK / 4 ? n : MEM_BLOCK;
		struct mem_block *nb = malloc(sizeof(*nb) + cap);
		if (!nb)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		if (b && cap != MEM_BLOCK) {
			/* big allocation: keep filling the current block */
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			m->head = nb;
		}
		m->bytes += cap;
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static void mem_free(struct promql_arena_mem *m)
{
	if (!m)
		return;
	struct mem_block *b = m->head;
	while (b) {
		struct mem_block *next = b->next;
		free(b);
		b = next;
	}
	free(m);
}

/* ---------------------------------------------------------------- values */

struct lset {
	const struct tsdb_label *l;
	size_t n;
};

/* A series of a step matrix: a value per step where ok[i]. */
struct vseries {
	struct lset ls;
	uint64_t hash;
	double *v;
	uint8_t *ok;
	size_t cnt;
};

struct vmat {
	struct vseries *s;
	size_t n, cap;
	/* label hash -> series index + 1, open addressing */
	uint32_t *idx;
	size_t idx_cap;
};

/* A series of a range vector: its samples over the whole window. */
struct rseries {
	struct lset ls;
	struct promql_sample *p;
	size_t np;
};

struct val {
	enum promql_type type;
	struct vmat m;	 /* VECTOR */
	double *sc;	 /* SCALAR: a value per step */
	const char *str; /* STRING */
	size_t slen;
	struct rseries *rs; /* MATRIX (top-level of an instant query) */
	size_t nrs;
};

struct query {
	struct tsdb *db;
	const struct promql_engine_opts *o;
	struct promql_arena_mem *mem;
	int64_t qstart, qend; /* for @ start() and end() */
	struct timespec deadline;
	bool has_deadline;
	int64_t samples; /* samples held, against o->max_samples */
	int64_t slots;	 /* step slots of series held (dense storage), same limit */
	unsigned tick;
	int err;
	enum promql_errkind kind;
	char *errbuf;
	size_t errlen;
	struct promql_sample *buf; /* reusable per-series sample buffer */
	size_t buf_cap;
	char **warnings;
	size_t nwarnings;
};

/* One evaluator: the steps a node is evaluated at. */
struct ev {
	struct query *q;
	int64_t start, end, step;
	size_t nsteps;
};

static int fail(struct query *q, int code, enum promql_errkind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct query *q, int code, enum promql_errkind kind, const char *fmt, ...)
{
	if (q->err)
		return q->err;
	q->err = code;
	q->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q->errbuf, q->errlen, fmt, ap);
	va_end(ap);
	return code;
}

static int fail_nomem(struct query *q)
{
	return fail(q, -ENOMEM, PROMQL_ERR_INTERNAL, "out of memory in query execution");
}

static void *qalloc(struct query *q, size_t n)
{
	void *p = mem_alloc(q->mem, n ? n : 1);
	if (!p)
		fail_nomem(q);
	return p;
}

static void *qcalloc(struct query *q, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		fail_nomem(q);
		return NULL;
	}
	void *p = qalloc(q, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static char *qstrndup(struct query *q, const char *s, size_t n)
{
	char *p = qalloc(q, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* A copy of s in the query's arena (NULL with the error recorded). */
static char *qstrdup(struct query *q, const char *s)
{
	return qstrndup(q, s, strlen(s));
}

/* The deadline, checked every few hundred calls. */
static int check_deadline(struct query *q)
{
	if (q->err)
		return q->err;
	if (!q->has_deadline || (++q->tick & 255))
		return 0;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > q->deadline.tv_sec ||
	    (now.tv_sec == q->deadline.tv_sec && now.tv_nsec >= q->deadline.tv_nsec))
		return fail(q, -ETIMEDOUT, PROMQL_ERR_TIMEOUT,
			    "query timed out in expression evaluation");
	return 0;
}

static int add_samples(struct query *q, int64_t n)
{
	q->samples += n;
	if (q->o->max_samples > 0 && q->samples > q->o->max_samples)
		return fail(q, -E2BIG, PROMQL_ERR_EXECUTION,
			    "query processing would load too many samples into memory in query "
			    "execution");
	return 0;
}

static bool is_stale(double v)
{
	uint64_t b;
	memcpy(&b, &v, sizeof(b));
	return b == STALE_NAN_BITS;
}

static int64_t step_time(const struct ev *ev, size_t i)
{
	return ev->start + (int64_t)i * ev->step;
}

/* ---------------------------------------------------------------- labels */

struct lbuild {
	struct tsdb_label l[MAX_LABELS];
	size_t n;
};

static void lb_init(struct lbuild *b, struct lset ls)
{
	b->n = ls.n < MAX_LABELS ? ls.n : MAX_LABELS;
	if (b->n)
		memcpy(b->l, ls.l, b->n * sizeof(*b->l));
}

static void lb_del(struct lbuild *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++) {
		if (!strcmp(b->l[i].name, name)) {
			memmove(&b->l[i], &b->l[i + 1], (b->n - i - 1) * sizeof(*b->l));
			b->n--;
			return;
		}
	}
}

/* Set name to value (an empty value deletes it); strings must outlive the set. */
static void lb_set(struct lbuild *b, const char *name, const char *value)
{
	if (!*value) {
		lb_del(b, name);
		return;
	}
	for (size_t i = 0; i < b->n; i++) {
		if (!strcmp(b->l[i].name, name)) {
			b->l[i].value = value;
			return;
		}
	}
	if (b->n < MAX_LABELS) {
		b->l[b->n].name = name;
		b->l[b->n].value = value;
		b->n++;
	}
}

static bool names_has(const struct promql_labels *names, const char *name)
{
	for (size_t i = 0; i < names->n; i++)
		if (!strcmp(names->names[i], name))
			return true;
	return false;
}

static void lb_keep(struct lbuild *b, const struct promql_labels *names)
{
	size_t o = 0;
	for (size_t i = 0; i < b->n; i++)
		if (names_has(names, b->l[i].name))
			b->l[o++] = b->l[i];
	b->n = o;
}

static int lb_finish(struct query *q, struct lbuild *b, struct lset *out)
{
	labels_sort(b->l, b->n);
	struct tsdb_label *l = qalloc(q, b->n * sizeof(*l));
	if (!l)
		return q->err;
	memcpy(l, b->l, b->n * sizeof(*l));
	out->l = l;
	out->n = b->n;
	return 0;
}

static struct lset drop_name(struct lset ls)
{
	/* label sets are sorted: drop __name__ without copying when it is first */
	for (size_t i = 0; i < ls.n; i++) {
		if (!strcmp(ls.l[i].name, "__name__")) {
			if (i == 0) {
				ls.l++;
				ls.n--;
			}
			return ls;
		}
	}
	return ls;
}

static int drop_name_copy(struct query *q, struct lset in, struct lset *out)
{
	*out = drop_name(in);
	if (out->n != in.n || !labels_get(in.l, in.n, "__name__"))
		return 0;
	struct lbuild b;
	lb_init(&b, in);
	lb_del(&b, "__name__");
	return lb_finish(q, &b, out);
}

static bool valid_label_name(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (p != s && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* Prometheus's Labels.String() of ls into out (truncated to cap). */
static void lset_string(struct lset ls, char *out, size_t cap)
{
	size_t o = 0;
	o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "{");
	for (size_t i = 0; i < ls.n && o < cap; i++) {
		o += (size_t)snprintf(out + o, cap - o, "%s%s=\"", i ? ", " : "", ls.l[i].name);
		for (const char *p = ls.l[i].value; *p && o + 3 < cap; p++) {
			if (*p == '"' || *p == '\\')
				out[o++] = '\\';
			if (*p == '\n') {
				out[o++] = '\\';
				out[o++] = 'n';
				continue;
			}
			out[o++] = *p;
		}
		if (o < cap)
			o += (size_t)snprintf(out + o, cap - o, "\"");
	}
	if (o < cap)
		snprintf(out + o, cap - o, "}");
	else if (cap)
		out[cap - 1] = '\0';
}

/* ---------------------------------------------------------------- step matrices */

static uint64_t lset_hash(struct lset ls)
{
	return labels_hash(ls.l, ls.n);
}

/*
 * The index lives in the arena like everything else (an error anywhere
 * unwinds without freeing); growth doubles, so the dropped tables cost at
 * most as much as the live one.
 */
static int vmat_rehash(struct query *q, struct vmat *m, size_t cap)
{
	uint32_t *idx = qcalloc(q, cap, sizeof(*idx));
	if (!idx)
		return q->err;
	for (size_t i = 0; i < m->n; i++) {
		size_t h = (size_t)m->s[i].hash & (cap - 1);
		while (idx[h])
			h = (h + 1) & (cap - 1);
		idx[h] = (uint32_t)(i + 1);
	}
	m->idx = idx;
	m->idx_cap = cap;
	return 0;
}

/* Forget the index once a matrix is complete (its memory stays in the arena). */
static void vmat_release(struct vmat *m)
{
	m->idx = NULL;
	m->idx_cap = 0;
}

/*
 * The series of m with labels ls (created, with nsteps empty slots, when
 * new).  Returns its index or -1 with the error recorded.
 */
static long vmat_series(struct query *q, struct vmat *m, struct lset ls, size_t nsteps)
{
	uint64_t h = lset_hash(ls);
	if (m->idx_cap) {
		size_t p = (size_t)h & (m->idx_cap - 1);
		while (m->idx[p]) {
			struct vseries *s = &m->s[m->idx[p] - 1];
			if (s->hash == h && labels_equal(s->ls.l, s->ls.n, ls.l, ls.n))
				return (long)(m->idx[p] - 1);
			p = (p + 1) & (m->idx_cap - 1);
		}
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct vseries *ns = qalloc(q, cap * sizeof(*ns));
		if (!ns)
			return -1;
		if (m->n)
			memcpy(ns, m->s, m->n * sizeof(*ns));
		m->s = ns;
		m->cap = cap;
	}
	if ((m->n + 1) * 2 > m->idx_cap) {
		if (vmat_rehash(q, m, m->idx_cap ? m->idx_cap * 2 : 16))
			return -1;
	}
	/*
	 * Every series keeps a slot (9 bytes) per step, and results of inner
	 * nodes stay in the arena until the query ends: bound the slots too,
	 * so sparse results over many steps (count_values of counters) and
	 * deep nesting fail cleanly instead of exhausting memory.  The bound,
	 * SLOT_FACTOR times the sample limit, is below what Prometheus holds
	 * at its limit (24-byte points).
	 */
	q->slots += (int64_t)nsteps;
	if (q->o->max_samples > 0 && q->slots / SLOT_FACTOR > q->o->max_samples) {
		fail(q, -E2BIG, PROMQL_ERR_EXECUTION,
		     "query processing would load too many samples into memory in query execution");
		return -1;
	}
	struct vseries *s = &m->s[m->n];
	s->ls = ls;
	s->hash = h;
	s->cnt = 0;
	s->v = qalloc(q, nsteps * sizeof(double));
	s->ok = qcalloc(q, nsteps, 1);
	if (!s->v || !s->ok)
		return -1;
	size_t p = (size_t)h & (m->idx_cap - 1);
	while (m->idx[p])
		p = (p + 1) & (m->idx_cap - 1);
	m->idx[p] = (uint32_t)(m->n + 1);
	return (long)m->n++;
}

/* Append a new series (labels known distinct) with all slots empty. */
static struct vseries *vmat_add(struct ev *ev, struct vmat *m, struct lset ls)
{
	long si = vmat_series(ev->q, m, ls, ev->nsteps);
	return si < 0 ? NULL : &m->s[si];
}

/* Set the value at step i of series s; a second value is a duplicate. */
static inline int vseries_put(struct query *q, struct vseries *s, size_t i, double v)
{
	if (s->ok[i])
		return fail(q, -EINVAL, PROMQL_ERR_EXECUTION,
			    "vector cannot contain metrics with the same labelset");
	s->ok[i] = 1;
	s->v[i] = v;
	s->cnt++;
	return add_samples(q, 1);
}

/* Add the value at step i of the series with labels ls; a second value is a duplicate. */
static int vmat_put(struct ev *ev, struct vmat *m, struct lset ls, size_t i, double v)
{
	struct query *q = ev->q;
	long si = vmat_series(q, m, ls, ev->nsteps);
	if (si < 0)
		return q->err;
	return vseries_put(q, &m->s[si], i, v);
}

/* Add every value of s (negated when negate) to the series of m with labels ls. */
static inline int vmat_put_series(struct ev *ev, struct vmat *m, struct lset ls,
				  const struct vseries *s, bool negate)
{
	for (size_t i = 0; i < ev->nsteps; i++)
		if (s->ok[i] && vmat_put(ev, m, ls, i, negate ? -s->v[i] : s->v[i]))
			return ev->q->err;
	return 0;
}

/* The end of a node with a vector result: its index goes unless it failed; q->err. */
static int vector_done(struct query *q, struct val *out)
{
	if (!q->err)
		vmat_release(&out->m);
	return q->err;
}

/*
 * out becomes a vector of one series without labels that has a value at
 * every step (vector(), year() ...): the caller fills in v.
 */
static struct vseries *full_series(struct ev *ev, struct val *out)
{
	out->type = PROMQL_TYPE_VECTOR;
	struct vseries *s = vmat_add(ev, &out->m, (struct lset){0});
	if (!s)
		return NULL;
	memset(s->ok, 1, ev->nsteps);
	s->cnt = ev->nsteps;
	vmat_release(&out->m);
	return s;
}

/* out becomes a scalar: a value per step the caller fills in, or NULL on error. */
static double *scalar_out(struct ev *ev, struct val *out)
{
	out->type = PROMQL_TYPE_SCALAR;
	out->sc = qalloc(ev->q, ev->nsteps * sizeof(double));
	return out->sc;
}

/* Drop series without any value (Prometheus never keeps empty series). */
static void vmat_compact(struct vmat *m)
{
	size_t o = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->s[i].cnt)
			m->s[o++] = m->s[i];
	m->n = o;
	vmat_release(m);
}

/* ---------------------------------------------------------------- storage */

static int to_tsdb_matchers(struct query *q, const struct promql_node *vs,
			    struct tsdb_matcher **out)
{
	size_t n = vs->vs.nmatchers;
	struct tsdb_matcher *ms = calloc(n ? n : 1, sizeof(*ms));
	if (!ms)
		return fail_nomem(q);
	for (size_t i = 0; i < n; i++) {
		const struct promql_matcher *pm = &vs->vs.matchers[i];
		enum tsdb_match_type t = pm->type == PROMQL_MATCH_EQUAL	      ? TSDB_MATCH_EQ
					 : pm->type == PROMQL_MATCH_NOT_EQUAL ? TSDB_MATCH_NEQ
					 : pm->type == PROMQL_MATCH_REGEXP    ? TSDB_MATCH_RE
									      : TSDB_MATCH_NRE;
		char err[256];
		int rc = tsdb_matcher_init(&ms[i], t, pm->name, pm->value, err, sizeof(err));
		if (rc) {
			for (size_t j = 0; j < i; j++)
				tsdb_matcher_free(&ms[j]);
			free(ms);
			return fail(q, rc, PROMQL_ERR_BAD_DATA, "%s", err);
		}
	}
	*out = ms;
	return 0;
}

static void free_matchers(struct tsdb_matcher *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tsdb_matcher_free(&ms[i]);
	free(ms);
}

/* A selection: the querier and series set of one selector over [mint, maxt]. */
struct selection {
	struct tsdb_querier *qr;
	struct tsdb_series_set *set;
	size_t n;
	int64_t mint, maxt;
};

static void selection_free(struct selection *s)
{
	if (s->set)
		tsdb_series_set_free(s->set);
	if (s->qr)
		tsdb_querier_free(s->qr);
	memset(s, 0, sizeof(*s));
}

static int select_series(struct query *q, const struct promql_node *vs, int64_t mint, int64_t maxt,
			 struct selection *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->mint = mint;
	sel->maxt = maxt;
	if (!q->db)
		return 0;
	struct tsdb_matcher *ms = NULL;
	int rc = to_tsdb_matchers(q, vs, &ms);
	if (rc)
		return rc;
	rc = tsdb_querier_new(q->db, mint, maxt, &sel->qr);
	if (rc)
		goto out;
	rc = tsdb_querier_select(sel->qr, ms, vs->vs.nmatchers, &sel->set);
	if (rc)
		goto out;
	sel->n = tsdb_series_set_len(sel->set);
out:
	free_matchers(ms, vs->vs.nmatchers);
	if (rc) {
		selection_free(sel);
		return fail(q, rc, PROMQL_ERR_INTERNAL, "expanding series: %s", strerror(-rc));
	}
	return 0;
}

static int own_labels(struct query *q, struct lset in, struct lset *out);

/*
 * Copy the labels of series i into the arena (the result outlives the
 * series set).
 */
static int series_labels(struct query *q, struct selection *sel, size_t i, struct lset *out)
{
	struct lset ls;
	ls.l = tsdb_series_labels(sel->set, i, &ls.n);
	return own_labels(q, ls, out);
}

/*
 * Read the samples of series i in [mint, maxt] into q->buf; drop_stale
 * leaves staleness markers out (range vectors).  Returns the count or -1.
 */
static long read_samples(struct query *q, struct selection *sel, size_t i, bool drop_stale)
{
	struct tsdb_iter *it = NULL;
	int rc = tsdb_series_iter(sel->set, i, &it);
	if (rc) {
		fail(q, rc, PROMQL_ERR_INTERNAL, "reading series: %s", strerror(-rc));
		return -1;
	}
	size_t n = 0;
	int64_t t;
	double v;
	for (rc = tsdb_iter_seek(it, sel->mint, &t, &v); rc == 1; rc = tsdb_iter_next(it, &t, &v)) {
		if (t > sel->maxt)
			break;
		if (t < sel->mint || (drop_stale && is_stale(v)))
			continue;
		if (n == q->buf_cap) {
			size_t cap = q->buf_cap ? q->buf_cap * 2 : 1024;
			struct promql_sample *nb = realloc(q->buf, cap * sizeof(*nb));
			if (!nb) {
				tsdb_iter_free(it);
				fail_nomem(q);
				return -1;
			}
			q->buf = nb;
			q->buf_cap = cap;
		}
		q->buf[n].t = t;
		q->buf[n].v = v;
		n++;
		if (check_deadline(q)) {
			tsdb_iter_free(it);
			return -1;
		}
	}
	tsdb_iter_free(it);
	if (rc < 0) {
		fail(q, rc, PROMQL_ERR_INTERNAL, "reading series: %s", strerror(-rc));
		return -1;
	}
	return (long)n;
}

/* ---------------------------------------------------------------- times */

/*
 * a - b in milliseconds with Go's wrapping int64 arithmetic: extreme @ and
 * offset values (foo @ 1e16 is past int64 milliseconds) wrap as they do in
 * Prometheus instead of being undefined behaviour.
 */
static inline int64_t t_sub(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

/* The evaluation time of step i after @ and offset. */
static int64_t eff_time(const struct ev *ev, const struct promql_at_offset *at, size_t i)
{
	int64_t t = step_time(ev, i);
	if (at->start_or_end == PROMQL_T_START)
		t = ev->q->qstart;
	else if (at->start_or_end == PROMQL_T_END)
		t = ev->q->qend;
	else if (at->has_timestamp)
		t = at->timestamp_ms;
	return t_sub(t, at->offset_ms);
}

static void eff_bounds(const struct ev *ev, const struct promql_at_offset *at, int64_t *lo,
		       int64_t *hi)
{
	int64_t a = eff_time(ev, at, 0), b = eff_time(ev, at, ev->nsteps - 1);
	*lo = a < b ? a : b;
	*hi = a < b ? b : a;
}

/* ---------------------------------------------------------------- evaluation */

static int eval(struct ev *ev, const struct promql_node *n, struct val *out);

static const struct promql_node *unparen(const struct promql_node *n)
{
	while (n && n->kind == PROMQL_PAREN)
		n = n->paren.expr;
	return n;
}

/*
 * An instant vector selector.  want_ts: values are the sample timestamps
 * in seconds (timestamp()).
 */
static int eval_vector_selector(struct ev *ev, const struct promql_node *n, bool want_ts,
				struct val *out)
{
	struct query *q = ev->q;
	int64_t lb = q->o->lookback_ms;
	int64_t lo, hi;
	eff_bounds(ev, &n->vs.at, &lo, &hi);
	struct selection sel;
	int rc = select_series(q, n, t_sub(lo, lb), hi, &sel);
	if (rc)
		return rc;
	out->type = PROMQL_TYPE_VECTOR;
	for (size_t si = 0; si < sel.n; si++) {
		long np = read_samples(q, &sel, si, false);
		if (np < 0)
			goto out;
		if (!np)
			continue;
		struct vseries *s = NULL;
		size_t j = 0; /* first sample after the step's time */
		for (size_t i = 0; i < ev->nsteps; i++) {
			int64_t te = eff_time(ev, &n->vs.at, i);
			if (i && te < eff_time(ev, &n->vs.at, i - 1))
				j = 0;
			while (j < (size_t)np && q->buf[j].t <= te)
				j++;
			if (!j)
				continue;
			const struct promql_sample *p = &q->buf[j - 1];
			if (p->t < t_sub(te, lb) || is_stale(p->v))
				continue;
			if (!s) {
				struct lset ls;
				if (series_labels(q, &sel, si, &ls))
					goto out;
				s = vmat_add(ev, &out->m, ls);
				if (!s)
					goto out;
			}
			s->v[i] = want_ts ? (double)p->t / 1000.0 : p->v;
			s->ok[i] = 1;
			s->cnt++;
			if (add_samples(q, 1) || check_deadline(q))
				goto out;
		}
	}
out:
	selection_free(&sel);
	return vector_done(q, out);
}

/* A range argument: its series and how to window them per step. */
struct rangearg {
	struct rseries *s;
	size_t n;
	int64_t range;
	const struct promql_at_offset *at;
	/* storage-backed: series read one at a time */
	struct selection sel;
	bool from_storage;
	const struct promql_node *vs;
};

/* Subquery: evaluate the inner expression over aligned steps into range series. */
static int eval_subquery(struct ev *ev, const struct promql_node *n, struct rangearg *ra)
{
	struct query *q = ev->q;
	int64_t lo, hi;
	eff_bounds(ev, &n->subquery.at, &lo, &hi);
	struct ev sub = {.q = q};
	sub.step = n->subquery.step_ms ? n->subquery.step_ms : q->o->sub_step_ms;
	if (sub.step <= 0)
		sub.step = 60000;
	int64_t first = t_sub(lo, n->subquery.range_ms);
	sub.start = sub.step * (first / sub.step);
	if (sub.start < first) /* wrapping, as t_sub() */
		sub.start = (int64_t)((uint64_t)sub.start + (uint64_t)sub.step);
	sub.end = hi;
	if (sub.end < sub.start) {
		ra->n = 0;
		ra->range = n->subquery.range_ms;
		ra->at = &n->subquery.at;
		return 0;
	}
	uint64_t steps = ((uint64_t)sub.end - (uint64_t)sub.start) / (uint64_t)sub.step + 1;
	if (q->o->max_samples > 0 && steps > (uint64_t)q->o->max_samples)
		return fail(q, -E2BIG, PROMQL_ERR_EXECUTION,
			    "query processing would load too many samples into memory in query "
			    "execution");
	sub.nsteps = (size_t)steps;
	struct val v = {0};
	int rc = eval(&sub, n->subquery.expr, &v);
	if (rc)
		return rc;
	ra->range = n->subquery.range_ms;
	ra->at = &n->subquery.at;
	if (v.type == PROMQL_TYPE_SCALAR) {
		ra->s = qcalloc(q, 1, sizeof(*ra->s));
		if (!ra->s)
			return q->err;
		ra->n = 1;
		ra->s->p = qalloc(q, sub.nsteps * sizeof(*ra->s->p));
		if (!ra->s->p)
			return q->err;
		for (size_t i = 0; i < sub.nsteps; i++) {
			ra->s->p[i].t = step_time(&sub, i);
			ra->s->p[i].v = v.sc[i];
		}
		ra->s->np = sub.nsteps;
		return 0;
	}
	ra->s = qcalloc(q, v.m.n, sizeof(*ra->s));
	if (v.m.n && !ra->s)
		return q->err;
	ra->n = v.m.n;
	for (size_t k = 0; k < v.m.n; k++) {
		struct vseries *s = &v.m.s[k];
		struct rseries *r = &ra->s[k];
		r->ls = s->ls;
		r->p = qalloc(q, s->cnt * sizeof(*r->p));
		if (!r->p)
			return q->err;
		for (size_t i = 0; i < sub.nsteps; i++) {
			if (s->ok[i]) {
				r->p[r->np].t = step_time(&sub, i);
				r->p[r->np].v = s->v[i];
				r->np++;
			}
		}
	}
	return 0;
}

static int range_arg_open(struct ev *ev, const struct promql_node *n, struct rangearg *ra)
{
	memset(ra, 0, sizeof(*ra));
	n = unparen(n);
	if (n->kind == PROMQL_SUBQUERY)
		return eval_subquery(ev, n, ra);
	const struct promql_node *vs = n->matrix.vs;
	int64_t lo, hi;
	eff_bounds(ev, &vs->vs.at, &lo, &hi);
	ra->range = n->matrix.range_ms;
	ra->at = &vs->vs.at;
	ra->from_storage = true;
	ra->vs = vs;
	int rc = select_series(ev->q, vs, t_sub(lo, ra->range), hi, &ra->sel);
	if (rc)
		return rc;
	ra->n = ra->sel.n;
	return 0;
}

/* The samples of series k (read now when storage-backed). */
static int range_arg_series(struct ev *ev, struct rangearg *ra, size_t k, struct rseries *out)
{
	struct query *q = ev->q;
	if (!ra->from_storage) {
		*out = ra->s[k];
		return 0;
	}
	long np = read_samples(q, &ra->sel, k, true);
	if (np < 0)
		return q->err;
	out->p = q->buf;
	out->np = (size_t)np;
	size_t nl;
	out->ls.l = tsdb_series_labels(ra->sel.set, k, &nl);
	out->ls.n = nl;
	return 0;
}

static void range_arg_close(struct rangearg *ra)
{
	selection_free(&ra->sel);
}

/* Copy storage-owned labels into the arena. */
static int own_labels(struct query *q, struct lset in, struct lset *out)
{
	struct tsdb_label *c = qalloc(q, in.n * sizeof(*c));
	if (!c)
		return q->err;
	for (size_t j = 0; j < in.n; j++) {
		c[j].name = qstrdup(q, in.l[j].name);
		c[j].value = qstrdup(q, in.l[j].value);
		if (!c[j].name || !c[j].value)
			return q->err;
	}
	out->l = c;
	out->n = in.n;
	return 0;
}

/* A top-level range selector or subquery of an instant query: a matrix value. */
static int eval_matrix_value(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	struct rangearg ra;
	int rc = range_arg_open(ev, n, &ra);
	if (rc)
		goto out;
	out->type = PROMQL_TYPE_MATRIX;
	out->rs = qcalloc(q, ra.n, sizeof(*out->rs));
	if (ra.n && !out->rs)
		goto out;
	int64_t te = eff_time(ev, ra.at, 0);
	for (size_t k = 0; k < ra.n; k++) {
		struct rseries s;
		if (range_arg_series(ev, &ra, k, &s))
			goto out;
		size_t lo = 0, hi = 0;
		while (lo < s.np && s.p[lo].t < t_sub(te, ra.range))
			lo++;
		hi = lo;
		while (hi < s.np && s.p[hi].t <= te)
			hi++;
		if (hi == lo)
			continue;
		struct rseries *r = &out->rs[out->nrs++];
		if (own_labels(q, s.ls, &r->ls))
			goto out;
		r->p = qalloc(q, (hi - lo) * sizeof(*r->p));
		if (!r->p)
			goto out;
		memcpy(r->p, s.p + lo, (hi - lo) * sizeof(*r->p));
		r->np = hi - lo;
		if (add_samples(q, (int64_t)r->np))
			goto out;
	}
out:
	range_arg_close(&ra);
	return q->err;
}

/* ---------------------------------------------------------------- functions */

enum fkind {
	F_RATE,
	F_INCREASE,
	F_DELTA,
	F_IRATE,
	F_IDELTA,
	F_DERIV,
	F_PREDICT_LINEAR,
	F_RESETS,
	F_CHANGES,
	F_AVG_OT,
	F_SUM_OT,
	F_MIN_OT,
	F_MAX_OT,
	F_COUNT_OT,
	F_LAST_OT,
	F_PRESENT_OT,
	F_STDDEV_OT,
	F_STDVAR_OT,
	F_QUANTILE_OT,
	F_HOLT_WINTERS,
	F_ABSENT_OT,
	F_UNKNOWN,
};

static const struct {
	const char *name;
	enum fkind k;
} range_funcs[] = {
	{"rate", F_RATE},
	{"increase", F_INCREASE},
	{"delta", F_DELTA},
	{"irate", F_IRATE},
	{"idelta", F_IDELTA},
	{"deriv", F_DERIV},
	{"predict_linear", F_PREDICT_LINEAR},
	{"resets", F_RESETS},
	{"changes", F_CHANGES},
	{"avg_over_time", F_AVG_OT},
	{"sum_over_time", F_SUM_OT},
	{"min_over_time", F_MIN_OT},
	{"max_over_time", F_MAX_OT},
	{"count_over_time", F_COUNT_OT},
	{"last_over_time", F_LAST_OT},
	{"present_over_time", F_PRESENT_OT},
	{"stddev_over_time", F_STDDEV_OT},
	{"stdvar_over_time", F_STDVAR_OT},
	{"quantile_over_time", F_QUANTILE_OT},
	{"holt_winters", F_HOLT_WINTERS},
	{"absent_over_time", F_ABSENT_OT},
};

static enum fkind range_func_kind(const char *name)
{
	for (size_t i = 0; i < sizeof(range_funcs) / sizeof(range_funcs[0]); i++)
		if (!strcmp(range_funcs[i].name, name))
			return range_funcs[i].k;
	return F_UNKNOWN;
}

/* Apply a range function to a window; false when there is no result. */
static int range_kernel(struct query *q, enum fkind k, const struct promql_sample *p, size_t n,
			int64_t rstart, int64_t rend, int64_t ts, double a1, double a2,
			double *scratch, bool *have, double *out)
{
	*have = true;
	switch (k) {
	case F_RATE:
		*have = promql_extrapolated_rate(p, n, rstart, rend, true, true, out);
		break;
	case F_INCREASE:
		*have = promql_extrapolated_rate(p, n, rstart, rend, true, false, out);
		break;
	case F_DELTA:
		*have = promql_extrapolated_rate(p, n, rstart, rend, false, false, out);
		break;
	case F_IRATE:
		*have = promql_instant_value(p, n, true, out);
		break;
	case F_IDELTA:
		*have = promql_instant_value(p, n, false, out);
		break;
	case F_DERIV:
		*have = promql_deriv(p, n, out);
		break;
	case F_PREDICT_LINEAR:
		*have = promql_predict_linear(p, n, ts, a1, out);
		break;
	case F_RESETS:
		*out = promql_resets(p, n);
		break;
	case F_CHANGES:
		*out = promql_changes(p, n);
		break;
	case F_AVG_OT:
		*out = promql_avg_over_time(p, n);
		break;
	case F_SUM_OT:
		*out = promql_sum_over_time(p, n);
		break;
	case F_MIN_OT:
		*out = promql_min_over_time(p, n);
		break;
	case F_MAX_OT:
		*out = promql_max_over_time(p, n);
		break;
	case F_COUNT_OT:
		*out = (double)n;
		break;
	case F_LAST_OT:
		*out = p[n - 1].v;
		break;
	case F_PRESENT_OT:
	case F_ABSENT_OT:
		*out = 1;
		break;
	case F_STDDEV_OT:
		*out = promql_stddev_over_time(p, n);
		break;
	case F_STDVAR_OT:
		*out = promql_stdvar_over_time(p, n);
		break;
	case F_QUANTILE_OT:
		*out = promql_quantile_over_time(a1, p, n, scratch);
		break;
	case F_HOLT_WINTERS: {
		char err[256];
		int rc = promql_holt_winters(p, n, a1, a2, out, err, sizeof(err));
		if (rc == -ENODATA)
			*have = false;
		else if (rc)
			return fail(q, rc, PROMQL_ERR_EXECUTION, "%s", err);
		break;
	}
	case F_UNKNOWN:
		*have = false;
		break;
	}
	return 0;
}

/* Labels of absent()/absent_over_time(): equality matchers of a selector argument. */
static int absent_labels(struct query *q, const struct promql_node *arg, struct lset *out)
{
	out->l = NULL;
	out->n = 0;
	arg = unparen(arg);
	if (arg->kind == PROMQL_MATRIX_SELECTOR)
		arg = arg->matrix.vs;
	else if (arg->kind == PROMQL_SUBQUERY)
		return 0;
	if (arg->kind != PROMQL_VECTOR_SELECTOR)
		return 0;
	struct lbuild b = {.n = 0};
	const char *dup[MAX_LABELS];
	size_t ndup = 0;
	for (size_t i = 0; i < arg->vs.nmatchers; i++) {
		const struct promql_matcher *m = &arg->vs.matchers[i];
		if (!strcmp(m->name, "__name__"))
			continue;
		bool has = false;
		for (size_t j = 0; j < b.n; j++)
			if (!strcmp(b.l[j].name, m->name))
				has = true;
		if (m->type == PROMQL_MATCH_EQUAL && !has) {
			const char *nm = qstrdup(q, m->name);
			const char *vl = qstrdup(q, m->value);
			if (!nm || !vl)
				return q->err;
			lb_set(&b, nm, vl);
		} else if (ndup < MAX_LABELS) {
			dup[ndup++] = m->name;
		}
	}
	for (size_t i = 0; i < ndup; i++)
		lb_del(&b, dup[i]);
	return lb_finish(q, &b, out);
}

/* absent(): ls with the value 1 at the steps where no series of in has a value. */
static int absent_steps(struct ev *ev, const struct vmat *in, struct lset ls, struct vmat *out)
{
	struct vseries *r = NULL;
	for (size_t i = 0; i < ev->nsteps; i++) {
		bool any = false;
		for (size_t k = 0; k < in->n && !any; k++)
			any = in->s[k].ok[i];
		if (any)
			continue;
		if (!r && !(r = vmat_add(ev, out, ls)))
			return ev->q->err;
		r->ok[i] = 1;
		r->v[i] = 1;
		r->cnt++;
	}
	vmat_release(out);
	return 0;
}

/* Scalar arguments: a value per step (NULL node: def). */
static int eval_scalar_arg(struct ev *ev, const struct promql_node *n, double **out)
{
	struct val v = {0};
	int rc = eval(ev, n, &v);
	if (rc)
		return rc;
	*out = v.sc;
	return 0;
}

static int eval_range_call(struct ev *ev, const struct promql_node *n, enum fkind k,
			   struct val *out)
{
	struct query *q = ev->q;
	size_t mi = k == F_QUANTILE_OT ? 1 : 0;
	double *a1 = NULL, *a2 = NULL, *scratch = NULL;
	struct rangearg ra;
	memset(&ra, 0, sizeof(ra));
	if (k == F_QUANTILE_OT && eval_scalar_arg(ev, n->call.args[0], &a1))
		return q->err;
	if ((k == F_PREDICT_LINEAR || k == F_HOLT_WINTERS) &&
	    eval_scalar_arg(ev, n->call.args[1], &a1))
		return q->err;
	if (k == F_HOLT_WINTERS && eval_scalar_arg(ev, n->call.args[2], &a2))
		return q->err;
	int rc = range_arg_open(ev, n->call.args[mi], &ra);
	if (rc)
		goto out;
	out->type = PROMQL_TYPE_VECTOR;
	for (size_t si = 0; si < ra.n; si++) {
		struct rseries s;
		if (range_arg_series(ev, &ra, si, &s))
			goto out;
		if (!s.np)
			continue;
		if (k == F_QUANTILE_OT) {
			free(scratch);
			scratch = malloc(s.np * sizeof(double));
			if (!scratch) {
				fail_nomem(q);
				goto out;
			}
		}
		struct vseries *os = NULL;
		size_t lo = 0, hi = 0;
		for (size_t i = 0; i < ev->nsteps; i++) {
			int64_t te = eff_time(ev, ra.at, i);
			int64_t ws = t_sub(te, ra.range);
			if (i && te < eff_time(ev, ra.at, i - 1))
				lo = hi = 0;
			while (lo < s.np && s.p[lo].t < ws)
				lo++;
			if (hi < lo)
				hi = lo;
			while (hi < s.np && s.p[hi].t <= te)
				hi++;
			if (hi == lo)
				continue;
			bool have;
			double v;
			if (range_kernel(q, k, s.p + lo, hi - lo, ws, te, step_time(ev, i),
					 a1 ? a1[i] : 0, a2 ? a2[i] : 0, scratch, &have, &v))
				goto out;
			if (!have)
				continue;
			if (!os) {
				struct lset ls = s.ls;
				if (k != F_LAST_OT)
					ls = drop_name(ls);
				if (ra.from_storage) {
					if (k != F_LAST_OT && ls.n == s.ls.n) {
						/* __name__ not first: copy without it */
						struct lset tmp;
						if (own_labels(q, s.ls, &tmp) ||
						    drop_name_copy(q, tmp, &ls))
							goto out;
					} else if (own_labels(q, ls, &ls)) {
						goto out;
					}
				} else if (k != F_LAST_OT && drop_name_copy(q, s.ls, &ls)) {
					goto out;
				}
				if (k == F_ABSENT_OT)
					ls = (struct lset){0};
				long idx = vmat_series(q, &out->m, ls, ev->nsteps);
				if (idx < 0)
					goto out;
				os = &out->m.s[idx];
			}
			if (k == F_ABSENT_OT) {
				if (!os->ok[i]) {
					os->ok[i] = 1;
					os->cnt++;
				}
				os->v[i] = 1;
				continue;
			}
			if (vseries_put(q, os, i, v) || check_deadline(q))
				goto out;
		}
	}
	if (k == F_ABSENT_OT) {
		/* 1 where no series had samples */
		struct vmat m = {0};
		struct lset ls;
		if (absent_labels(q, n->call.args[0], &ls) || absent_steps(ev, &out->m, ls, &m))
			goto out;
		vmat_release(&out->m);
		out->m = m;
	}
out:
	free(scratch);
	range_arg_close(&ra);
	return vector_done(q, out);
}

static double go_max(double a, double b)
{
	if (isinf(a) && a > 0)
		return a;
	if (isinf(b) && b > 0)
		return b;
	if (isnan(a) || isnan(b))
		return NAN;
	if (a == 0 && b == 0)
		return signbit(a) ? b : a;
	return a > b ? a : b;
}

static double go_min(double a, double b)
{
	if (isinf(a) && a < 0)
		return a;
	if (isinf(b) && b < 0)
		return b;
	if (isnan(a) || isnan(b))
		return NAN;
	if (a == 0 && b == 0)
		return signbit(a) ? a : b;
	return a < b ? a : b;
}

/* Expand $1, ${1}, $name, ${name}, $$ in tmpl as Go's Regexp.Expand does. */
static int expand_template(struct query *q, const struct vregex *re, const char *tmpl,
			   const char *subj, const size_t *ov, int ngroups, char **out)
{
	size_t cap = strlen(tmpl) + 64, n = 0;
	char *o = malloc(cap);
	if (!o)
		return fail_nomem(q);
	for (const char *p = tmpl; *p;) {
		const char *add = p;
		size_t addn = 1;
		const char *next = p + 1;
		if (*p == '$') {
			const char *nm = p + 1;
			size_t nl = 0;
			bool brace = false;
			if (*nm == '$') {
				add = "$";
				addn = 1;
				next = nm + 1;
				goto append;
			}
			if (*nm == '{') {
				brace = true;
				nm++;
			}
			while ((nm[nl] >= 'a' && nm[nl] <= 'z') ||
			       (nm[nl] >= 'A' && nm[nl] <= 'Z') ||
			       (nm[nl] >= '0' && nm[nl] <= '9') || nm[nl] == '_')
				nl++;
			if (!nl || (brace && nm[nl] != '}')) {
				/* not a valid reference: copied literally */
				goto append;
			}
			next = nm + nl + (brace ? 1 : 0);
			int g = -1;
			bool num = true;
			for (size_t i = 0; i < nl; i++)
				if (nm[i] < '0' || nm[i] > '9')
					num = false;
			if (num) {
				long gv = 0;
				for (size_t i = 0; i < nl && gv < 100000; i++)
					gv = gv * 10 + (nm[i] - '0');
				g = (int)gv;
			} else {
				g = vregex_group_index(re, nm, nl);
			}
			addn = 0;
			if (g >= 0 && g < ngroups && g < 32 && ov[2 * g] != VREGEX_UNSET) {
				add = subj + ov[2 * g];
				addn = ov[2 * g + 1] - ov[2 * g];
			}
		}
	append:
		if (n + addn + 1 > cap) {
			cap = (n + addn + 1) * 2;
			char *no = realloc(o, cap);
			if (!no) {
				free(o);
				return fail_nomem(q);
			}
			o = no;
		}
		memcpy(o + n, add, addn);
		n += addn;
		p = next;
	}
	o[n] = '\0';
	*out = o;
	return 0;
}

static const char *string_arg(const struct promql_node *n)
{
	n = unparen(n);
	return n && n->kind == PROMQL_STRING ? n->string.s : "";
}

static int eval_label_replace(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	const char *dst = qstrdup(q, string_arg(n->call.args[1]));
	const char *repl = string_arg(n->call.args[2]);
	if (!dst)
		return q->err;
	const char *src = string_arg(n->call.args[3]);
	const char *regex = string_arg(n->call.args[4]);
	char err[256];
	size_t rl = strlen(regex);
	char *anch = malloc(rl + 8);
	if (!anch)
		return fail_nomem(q);
	snprintf(anch, rl + 8, "^(?:%s)$", regex);
	struct vregex *re = vregex_compile(anch, false, err, sizeof(err));
	free(anch);
	if (!re)
		return fail(q, -EINVAL, PROMQL_ERR_EXECUTION,
			    "invalid regular expression in label_replace(): %s", regex);
	struct val in = {0};
	if (!valid_label_name(dst)) {
		fail(q, -EINVAL, PROMQL_ERR_EXECUTION,
		     "invalid destination label name in label_replace(): %s", dst);
		goto out;
	}
	if (eval(ev, n->call.args[0], &in))
		goto out;
	out->type = PROMQL_TYPE_VECTOR;
	for (size_t k = 0; k < in.m.n; k++) {
		struct vseries *s = &in.m.s[k];
		const char *sv = labels_get(s->ls.l, s->ls.n, src);
		if (!sv)
			sv = "";
		size_t ov[64];
		int ng = vregex_exec(re, sv, strlen(sv), ov, 32);
		struct lset ls = s->ls;
		if (ng >= 0) {
			char *res = NULL;
			if (expand_template(q, re, repl, sv, ov, ng, &res))
				goto out;
			char *val = qstrdup(q, res);
			free(res);
			if (!val)
				goto out;
			struct lbuild b;
			lb_init(&b, s->ls);
			lb_set(&b, dst, val);
			if (lb_finish(q, &b, &ls))
				goto out;
		}
		if (vmat_put_series(ev, &out->m, ls, s, false))
			goto out;
	}
out:
	vregex_free(re);
	return vector_done(q, out);
}

static int eval_label_join(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	const char *dst = qstrdup(q, string_arg(n->call.args[1]));
	const char *sep = string_arg(n->call.args[2]);
	if (!dst)
		return q->err;
	if (!valid_label_name(dst))
		return fail(q, -EINVAL, PROMQL_ERR_EXECUTION,
			    "invalid destination label name in label_join(): %s", dst);
	for (size_t a = 3; a < n->call.nargs; a++) {
		const char *src = string_arg(n->call.args[a]);
		if (!valid_label_name(src))
			return fail(q, -EINVAL, PROMQL_ERR_EXECUTION,
				    "invalid source label name in label_join(): %s", src);
	}
	struct val in = {0};
	if (eval(ev, n->call.args[0], &in))
		return q->err;
	out->type = PROMQL_TYPE_VECTOR;
	for (size_t k = 0; k < in.m.n; k++) {
		struct vseries *s = &in.m.s[k];
		size_t len = 0;
		for (size_t a = 3; a < n->call.nargs; a++) {
			const char *v = labels_get(s->ls.l, s->ls.n, string_arg(n->call.args[a]));
			len += (v ? strlen(v) : 0) + strlen(sep);
		}
		char *val = qalloc(q, len + 1);
		if (!val)
			return q->err;
		size_t o = 0;
		for (size_t a = 3; a < n->call.nargs; a++) {
			const char *v = labels_get(s->ls.l, s->ls.n, string_arg(n->call.args[a]));
			if (a > 3) {
				memcpy(val + o, sep, strlen(sep));
				o += strlen(sep);
			}
			if (v) {
				memcpy(val + o, v, strlen(v));
				o += strlen(v);
			}
		}
		val[o] = '\0';
		struct lbuild b;
		struct lset ls;
		lb_init(&b, s->ls);
		lb_set(&b, dst, val);
		if (lb_finish(q, &b, &ls))
			return q->err;
		if (vmat_put_series(ev, &out->m, ls, s, false))
			return q->err;
	}
	vmat_release(&out->m);
	return 0;
}

struct hq_group {
	struct lset ls;
	uint64_t hash;
};

static int eval_histogram_quantile(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	double *qs = NULL;
	struct val in = {0};
	struct promql_bucket *b = NULL;
	size_t *grp = NULL, *order = NULL, *first = NULL;
	double *le = NULL;
	if (eval_scalar_arg(ev, n->call.args[0], &qs) || eval(ev, n->call.args[1], &in))
		return q->err;
	out->type = PROMQL_TYPE_VECTOR;
	size_t ns = in.m.n;
	struct vmat groups = {0};
	grp = malloc((ns ? ns : 1) * sizeof(*grp));
	le = malloc((ns ? ns : 1) * sizeof(*le));
	b = malloc((ns ? ns : 1) * sizeof(*b));
	order = malloc((ns ? ns : 1) * sizeof(*order));
	if (!grp || !le || !b || !order) {
		fail_nomem(q);
		goto out;
	}
	/* group series by their labels without le and __name__ */
	size_t ng = 0;
	for (size_t k = 0; k < ns; k++) {
		struct vseries *s = &in.m.s[k];
		const char *lv = labels_get(s->ls.l, s->ls.n, "le");
		char *end = NULL;
		grp[k] = SIZE_MAX;
		if (!lv)
			continue;
		le[k] = strtod(lv, &end);
		if (end == lv || *end) {
			/* Go's ParseFloat also takes "+Inf", "Inf", "inf" */
			continue;
		}
		struct lbuild lbd;
		struct lset ls;
		lb_init(&lbd, s->ls);
		lb_del(&lbd, "le");
		lb_del(&lbd, "__name__");
		if (lb_finish(q, &lbd, &ls))
			goto out;
		long gi = vmat_series(q, &groups, ls, 1);
		if (gi < 0)
			goto out;
		grp[k] = (size_t)gi;
		if ((size_t)gi + 1 > ng)
			ng = (size_t)gi + 1;
	}
	/* members of each group, contiguous in order[] (a counting sort) */
	first = calloc(ng + 1, sizeof(*first));
	if (!first) {
		fail_nomem(q);
		goto out;
	}
	for (size_t k = 0; k < ns; k++)
		if (grp[k] != SIZE_MAX)
			first[grp[k] + 1]++;
	for (size_t g = 0; g < ng; g++)
		first[g + 1] += first[g];
	{
		size_t *pos = calloc(ng + 1, sizeof(*pos));
		if (!pos) {
			fail_nomem(q);
			goto out;
		}
		memcpy(pos, first, (ng + 1) * sizeof(*pos));
		for (size_t k = 0; k < ns; k++)
			if (grp[k] != SIZE_MAX)
				order[pos[grp[k]]++] = k;
		free(pos);
	}
	for (size_t i = 0; i < ev->nsteps; i++) {
		for (size_t g = 0; g < ng; g++) {
			size_t nb = 0;
			for (size_t m = first[g]; m < first[g + 1]; m++) {
				size_t k = order[m];
				if (!in.m.s[k].ok[i])
					continue;
				b[nb].upper = le[k];
				b[nb].count = in.m.s[k].v[i];
				nb++;
			}
			if (!nb)
				continue;
			double v = promql_bucket_quantile(qs[i], b, nb);
			if (vmat_put(ev, &out->m, groups.s[g].ls, i, v))
				goto out;
		}
		if (check_deadline(q))
			goto out;
	}
out:
	free(first);
	vmat_release(&groups);
	free(grp);
	free(le);
	free(b);
	free(order);
	return vector_done(q, out);
}

/* Per-element functions of a vector (name dropped), with optional scalar args. */
static int eval_elementwise(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	const char *name = n->call.func->name;
	double (*mathfn)(double) = NULL;
	enum promql_date_part part = PROMQL_DATE_YEAR;
	bool date = promql_date_lookup(name, &part);
	if (!date && !promql_math_lookup(name, &mathfn) && strcmp(name, "clamp") &&
	    strcmp(name, "clamp_min") && strcmp(name, "clamp_max") && strcmp(name, "round") &&
	    strcmp(name, "timestamp"))
		return fail(q, -ENOSYS, PROMQL_ERR_EXECUTION, "function %s is not supported", name);
	double *a1 = NULL, *a2 = NULL;
	if (n->call.nargs > 1 && eval_scalar_arg(ev, n->call.args[1], &a1))
		return q->err;
	if (n->call.nargs > 2 && eval_scalar_arg(ev, n->call.args[2], &a2))
		return q->err;
	struct val in = {0};
	if (date && n->call.nargs == 0) {
		/* date functions default to vector(time()) */
		struct vseries *s = full_series(ev, out);
		if (!s)
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++)
			s->v[i] = promql_date(part, (double)step_time(ev, i) / 1000.0);
		return add_samples(q, (int64_t)ev->nsteps);
	}
	const struct promql_node *arg = unparen(n->call.args[0]);
	bool ts = !strcmp(name, "timestamp");
	if (ts && arg->kind == PROMQL_VECTOR_SELECTOR) {
		if (eval_vector_selector(ev, arg, true, &in))
			return q->err;
	} else if (eval(ev, n->call.args[0], &in)) {
		return q->err;
	}
	out->type = PROMQL_TYPE_VECTOR;
	for (size_t k = 0; k < in.m.n; k++) {
		struct vseries *s = &in.m.s[k];
		struct lset ls;
		if (drop_name_copy(q, s->ls, &ls))
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++) {
			if (!s->ok[i])
				continue;
			double v = s->v[i], r;
			if (mathfn) {
				r = mathfn(v);
			} else if (date) {
				r = promql_date(part, v);
			} else if (ts) {
				r = arg->kind == PROMQL_VECTOR_SELECTOR
					    ? v
					    : (double)step_time(ev, i) / 1000.0;
			} else if (!strcmp(name, "clamp")) {
				if (!promql_clamp(v, a1[i], a2[i], &r))
					continue;
				/* Go's math.Max(min, math.Min(max, NaN)) is NaN;
				 * promql_clamp() gives a bound instead */
				if (isnan(v))
					r = v;
			} else if (!strcmp(name, "clamp_min")) {
				r = go_max(a1[i], v);
			} else if (!strcmp(name, "clamp_max")) {
				r = go_min(a1[i], v);
			} else { /* round */
				r = promql_round(v, a1 ? a1[i] : 1);
			}
			if (vmat_put(ev, &out->m, ls, i, r))
				return q->err;
		}
	}
	vmat_release(&out->m);
	return 0;
}

/*
 * sort()/sort_desc(): Prometheus sorts with sort.Sort(sort.Reverse(heap)),
 * NaN last.  Go sorts up to 12 elements by insertion with this Less, which
 * is what go_less() is (NaNs end up last, in reverse input order); larger
 * vectors are sorted stably here (Go's pdqsort is not stable, so equal
 * values may come in another order there).
 */
static bool go_less(const struct vseries *a, const struct vseries *b, bool desc)
{
	double x = a->v[0], y = b->v[0];
	return isnan(y) || (desc ? y < x : y > x);
}

static int cmp_sort(const struct vseries *a, const struct vseries *b, bool desc)
{
	double x = a->v[0], y = b->v[0];
	if (isnan(x))
		return isnan(y) ? 0 : 1;
	if (isnan(y))
		return -1;
	if (desc)
		return x > y ? -1 : x < y ? 1 : 0;
	return x < y ? -1 : x > y ? 1 : 0;
}

static int sort_by_value(struct query *q, struct vseries *s, size_t n, bool desc)
{
	if (n < 2)
		return 0;
	if (n <= 12) {
		for (size_t a = 1; a < n; a++) {
			for (size_t b = a; b > 0 && go_less(&s[b], &s[b - 1], desc); b--) {
				struct vseries t = s[b];
				s[b] = s[b - 1];
				s[b - 1] = t;
			}
		}
		return 0;
	}
	struct vseries *tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return fail_nomem(q);
	/* bottom-up merge sort: stable, O(n log n) */
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t a = lo, b = mid, o = lo;
			while (a < mid && b < hi)
				tmp[o++] = cmp_sort(&s[b], &s[a], desc) < 0 ? s[b++] : s[a++];
			while (a < mid)
				tmp[o++] = s[a++];
			while (b < hi)
				tmp[o++] = s[b++];
		}
		memcpy(s, tmp, n * sizeof(*s));
	}
	free(tmp);
	return 0;
}

static int eval_call(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	const char *name = n->call.func->name;
	enum fkind k = range_func_kind(name);
	if (k != F_UNKNOWN)
		return eval_range_call(ev, n, k, out);
	if (!strcmp(name, "time")) {
		if (!scalar_out(ev, out))
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++)
			out->sc[i] = (double)step_time(ev, i) / 1000.0;
		return 0;
	}
	if (!strcmp(name, "pi")) {
		if (!scalar_out(ev, out))
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++)
			out->sc[i] = M_PI;
		return 0;
	}
	if (!strcmp(name, "vector")) {
		double *sc;
		if (eval_scalar_arg(ev, n->call.args[0], &sc))
			return q->err;
		struct vseries *s = full_series(ev, out);
		if (!s)
			return q->err;
		memcpy(s->v, sc, ev->nsteps * sizeof(double));
		return add_samples(q, (int64_t)ev->nsteps);
	}
	if (!strcmp(name, "scalar")) {
		struct val in = {0};
		if (eval(ev, n->call.args[0], &in) || !scalar_out(ev, out))
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++) {
			size_t cnt = 0;
			double v = NAN;
			for (size_t k2 = 0; k2 < in.m.n && cnt < 2; k2++) {
				if (in.m.s[k2].ok[i]) {
					cnt++;
					v = in.m.s[k2].v[i];
				}
			}
			out->sc[i] = cnt == 1 ? v : NAN;
		}
		return 0;
	}
	if (!strcmp(name, "absent")) {
		struct val in = {0};
		if (eval(ev, n->call.args[0], &in))
			return q->err;
		out->type = PROMQL_TYPE_VECTOR;
		struct lset ls;
		if (absent_labels(q, n->call.args[0], &ls) || absent_steps(ev, &in.m, ls, &out->m))
			return q->err;
		return 0;
	}
	if (!strcmp(name, "sort") || !strcmp(name, "sort_desc")) {
		if (eval(ev, n->call.args[0], out))
			return q->err;
		if (ev->nsteps == 1) {
			/* instant query: order by value, a stable merge sort */
			if (sort_by_value(q, out->m.s, out->m.n, name[4] == '_'))
				return q->err;
		}
		return 0;
	}
	if (!strcmp(name, "label_replace"))
		return eval_label_replace(ev, n, out);
	if (!strcmp(name, "label_join"))
		return eval_label_join(ev, n, out);
	if (!strcmp(name, "histogram_quantile"))
		return eval_histogram_quantile(ev, n, out);
	if (!strcmp(name, "histogram_count") || !strcmp(name, "histogram_sum") ||
	    !strcmp(name, "histogram_fraction")) {
		/* native histograms are not stored: the result is always empty */
		out->type = PROMQL_TYPE_VECTOR;
		return 0;
	}
	return eval_elementwise(ev, n, out);
}

/* ---------------------------------------------------------------- aggregation */

struct agg_group {
	struct lset ls;
	struct promql_agg a;
	size_t step;  /* the step a was last initialised at, +1 */
	double *vals; /* quantile values at this step */
	size_t nvals;
	/* topk/bottomk: chosen input series and values */
	size_t *top;
	double *topv;
	size_t ntop;
	size_t size; /* input series in the group */
};

static enum promql_agg_op agg_op(enum promql_tok t)
{
	switch (t) {
	case PROMQL_T_SUM:
		return PROMQL_AGG_SUM;
	case PROMQL_T_AVG:
		return PROMQL_AGG_AVG;
	case PROMQL_T_MIN:
		return PROMQL_AGG_MIN;
	case PROMQL_T_MAX:
		return PROMQL_AGG_MAX;
	case PROMQL_T_COUNT:
		return PROMQL_AGG_COUNT;
	case PROMQL_T_GROUP:
		return PROMQL_AGG_GROUP;
	case PROMQL_T_STDDEV:
		return PROMQL_AGG_STDDEV;
	default:
		return PROMQL_AGG_STDVAR;
	}
}

/* The group labels of ls: by keeps the listed names, without drops them and __name__. */
static int group_labels(struct query *q, struct lset ls, const struct promql_labels *g,
			bool without, struct lset *out)
{
	struct lbuild b;
	lb_init(&b, ls);
	if (without) {
		for (size_t i = 0; i < g->n; i++)
			lb_del(&b, g->names[i]);
		lb_del(&b, "__name__");
	} else {
		lb_keep(&b, g);
	}
	return lb_finish(q, &b, out);
}

/*
 * topk/bottomk keep the k best of a group in a binary heap whose root is
 * the worst kept (with NaN below everything), as Prometheus's
 * vectorByValueHeap with Go's container/heap: the same sequence of pushes
 * and pops picks the same series among equal values.
 */
static bool heap_less(bool bottom, double a, double b)
{
	if (isnan(a))
		return true;
	return bottom ? a > b : a < b;
}

static void heap_swap(struct agg_group *g, size_t i, size_t j)
{
	size_t tk = g->top[i];
	double tv = g->topv[i];
	g->top[i] = g->top[j];
	g->topv[i] = g->topv[j];
	g->top[j] = tk;
	g->topv[j] = tv;
}

static void heap_up(struct agg_group *g, bool bottom, size_t j)
{
	while (j > 0) {
		size_t i = (j - 1) / 2;
		if (!heap_less(bottom, g->topv[j], g->topv[i]))
			break;
		heap_swap(g, i, j);
		j = i;
	}
}

static void heap_down(struct agg_group *g, bool bottom, size_t i, size_t n)
{
	for (;;) {
		size_t j1 = 2 * i + 1;
		if (j1 >= n)
			break;
		size_t j = j1;
		if (j1 + 1 < n && heap_less(bottom, g->topv[j1 + 1], g->topv[j1]))
			j = j1 + 1;
		if (!heap_less(bottom, g->topv[j], g->topv[i]))
			break;
		heap_swap(g, i, j);
		i = j;
	}
}

/* Offer series k with value v to the group's heap of at most kk entries. */
static void heap_offer(struct agg_group *g, bool bottom, int64_t kk, size_t k, double v)
{
	double root = g->topv[0];
	bool better = bottom ? root > v : root < v;
	if (!((int64_t)g->ntop < kk || better || isnan(root)))
		return;
	if ((int64_t)g->ntop == kk) {
		if (kk == 1) {
			g->top[0] = k;
			g->topv[0] = v;
			return;
		}
		/* pop the root */
		size_t n = g->ntop - 1;
		heap_swap(g, 0, n);
		heap_down(g, bottom, 0, n);
		g->ntop = n;
	}
	g->top[g->ntop] = k;
	g->topv[g->ntop] = v;
	heap_up(g, bottom, g->ntop);
	g->ntop++;
}

static int eval_aggregate(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	enum promql_tok op = n->agg.op;
	struct val in = {0};
	double *param = NULL;
	const char *vlabel = NULL;
	struct vmat gm = {0};
	struct agg_group *groups = NULL;
	size_t *gidx = NULL;
	size_t *order = NULL; /* groups in order of first appearance at a step */
	size_t ngroups = 0;
	out->type = PROMQL_TYPE_VECTOR;
	if (op == PROMQL_T_COUNT_VALUES) {
		vlabel = qstrdup(q, string_arg(n->agg.param));
		if (!vlabel)
			return q->err;
		if (!valid_label_name(vlabel))
			return fail(q, -EINVAL, PROMQL_ERR_EXECUTION, "invalid label name \"%s\"",
				    vlabel);
	} else if (n->agg.param && eval_scalar_arg(ev, n->agg.param, &param)) {
		return q->err;
	}
	if (eval(ev, n->agg.expr, &in))
		return q->err;
	size_t ns = in.m.n;
	if (op == PROMQL_T_COUNT_VALUES) {
		/* groups depend on the value: labels per (series, step) */
		for (size_t i = 0; i < ev->nsteps; i++) {
			struct vmat cm = {0};
			for (size_t k = 0; k < ns; k++) {
				struct vseries *s = &in.m.s[k];
				if (!s->ok[i])
					continue;
				char num[EXPO_DOUBLE_MAX + 8];
				expo_format_double(num, s->v[i], 'f');
				char *val = qstrdup(q, num);
				if (!val)
					goto out;
				struct lbuild b;
				lb_init(&b, s->ls);
				lb_set(&b, vlabel, val);
				struct lset full, gl;
				if (lb_finish(q, &b, &full))
					goto out;
				if (n->agg.without) {
					if (group_labels(q, full, &n->agg.grouping, true, &gl))
						goto out;
				} else {
					struct lbuild kb;
					lb_init(&kb, full);
					size_t o = 0;
					for (size_t j = 0; j < kb.n; j++)
						if (names_has(&n->agg.grouping, kb.l[j].name) ||
						    !strcmp(kb.l[j].name, vlabel))
							kb.l[o++] = kb.l[j];
					kb.n = o;
					if (lb_finish(q, &kb, &gl))
						goto out;
				}
				long ci = vmat_series(q, &cm, gl, 1);
				if (ci < 0)
					goto out;
				cm.s[ci].v[0] = cm.s[ci].ok[0] ? cm.s[ci].v[0] + 1 : 1;
				cm.s[ci].ok[0] = 1;
			}
			for (size_t c = 0; c < cm.n; c++) {
				if (vmat_put(ev, &out->m, cm.s[c].ls, i, cm.s[c].v[0])) {
					vmat_release(&cm);
					goto out;
				}
			}
			vmat_release(&cm);
			if (check_deadline(q))
				goto out;
		}
		goto out;
	}
	/* the group of each input series, computed once */
	gidx = malloc((ns ? ns : 1) * sizeof(*gidx));
	if (!gidx) {
		fail_nomem(q);
		goto out;
	}
	for (size_t k = 0; k < ns; k++) {
		struct lset gl;
		if (group_labels(q, in.m.s[k].ls, &n->agg.grouping, n->agg.without, &gl))
			goto out;
		long gi = vmat_series(q, &gm, gl, 1);
		if (gi < 0)
			goto out;
		gidx[k] = (size_t)gi;
	}
	ngroups = gm.n;
	groups = calloc(ngroups ? ngroups : 1, sizeof(*groups));
	if (!groups) {
		fail_nomem(q);
		goto out;
	}
	bool topk = op == PROMQL_T_TOPK || op == PROMQL_T_BOTTOMK;
	bool quant = op == PROMQL_T_QUANTILE;
	for (size_t k = 0; k < ns; k++)
		groups[gidx[k]].size++;
	for (size_t g = 0; g < ngroups; g++) {
		groups[g].ls = gm.s[g].ls;
		if (quant) {
			groups[g].vals = malloc(groups[g].size * sizeof(double));
			if (!groups[g].vals) {
				fail_nomem(q);
				goto out;
			}
		}
	}
	order = malloc((ngroups ? ngroups : 1) * sizeof(*order));
	if (!order) {
		fail_nomem(q);
		goto out;
	}
	for (size_t i = 0; i < ev->nsteps; i++) {
		size_t norder = 0;
		int64_t kk = 0;
		if (topk) {
			double f = param[i];
			if (!(f >= -9.2233720368547758e18 && f <= 9.2233720368547758e18)) {
				char num[EXPO_DOUBLE_MAX + 8];
				expo_format_double(num, f, 'g');
				fail(q, -ERANGE, PROMQL_ERR_EXECUTION,
				     "Scalar value %s overflows int64", num);
				goto out;
			}
			kk = (int64_t)f;
			if (kk < 1)
				continue;
			if ((size_t)kk > ns)
				kk = (int64_t)ns;
		}
		for (size_t k = 0; k < ns; k++) {
			struct vseries *s = &in.m.s[k];
			if (!s->ok[i])
				continue;
			struct agg_group *g = &groups[gidx[k]];
			double v = s->v[i];
			if (g->step != i + 1) {
				g->step = i + 1;
				order[norder++] = gidx[k];
				g->nvals = 0;
				g->ntop = 0;
				if (topk) {
					if (!g->top) {
						/* a heap never holds more than the group's members
						 */
						g->top = malloc(g->size * sizeof(*g->top));
						g->topv = malloc(g->size * sizeof(*g->topv));
						if (!g->top || !g->topv) {
							fail_nomem(q);
							goto out;
						}
					}
				} else if (!quant) {
					promql_agg_init(&g->a, agg_op(op), v);
				}
			} else if (!topk && !quant) {
				promql_agg_add(&g->a, v);
			}
			if (quant) {
				g->vals[g->nvals++] = v;
			} else if (topk) {
				bool bottom = op == PROMQL_T_BOTTOMK;
				if (!g->ntop) {
					g->top[0] = k;
					g->topv[0] = v;
					g->ntop = 1;
				} else {
					heap_offer(g, bottom, kk, k, v);
				}
			}
		}
		for (size_t oi = 0; oi < norder; oi++) {
			struct agg_group *g = &groups[order[oi]];
			if (topk) {
				/*
				 * best first: Go's sort.Sort(sort.Reverse(heap)), an
				 * insertion sort for the small sizes topk has
				 */
				bool bottom = op == PROMQL_T_BOTTOMK;
				for (size_t a = 1; a < g->ntop; a++)
					for (size_t b = a;
					     b > 0 && heap_less(bottom, g->topv[b - 1], g->topv[b]);
					     b--)
						heap_swap(g, b, b - 1);
				for (size_t j = 0; j < g->ntop; j++) {
					struct vseries *s = &in.m.s[g->top[j]];
					if (vmat_put(ev, &out->m, s->ls, i, g->topv[j]))
						goto out;
				}
				continue;
			}
			double v = quant ? promql_quantile(param[i], g->vals, g->nvals)
					 : promql_agg_result(&g->a);
			if (vmat_put(ev, &out->m, g->ls, i, v))
				goto out;
		}
		if (check_deadline(q))
			goto out;
	}
out:
	free(order);
	if (groups) {
		for (size_t g = 0; g < ngroups; g++) {
			free(groups[g].vals);
			free(groups[g].top);
			free(groups[g].topv);
		}
	}
	free(groups);
	free(gidx);
	vmat_release(&gm);
	return vector_done(q, out);
}

/* ---------------------------------------------------------------- binary operators */

static bool is_comparison(enum promql_tok op)
{
	return op == PROMQL_T_EQLC || op == PROMQL_T_NEQ || op == PROMQL_T_GTR ||
	       op == PROMQL_T_LSS || op == PROMQL_T_GTE || op == PROMQL_T_LTE;
}

static bool drops_name(enum promql_tok op)
{
	return op == PROMQL_T_ADD || op == PROMQL_T_SUB || op == PROMQL_T_MUL ||
	       op == PROMQL_T_DIV || op == PROMQL_T_POW || op == PROMQL_T_MOD;
}

/* Go's math.Mod: the result has the sign of x. */
static double go_mod(double x, double y)
{
	return fmod(x, y);
}

static double arith(enum promql_tok op, double l, double r)
{
	switch (op) {
	case PROMQL_T_ADD:
		return l + r;
	case PROMQL_T_SUB:
		return l - r;
	case PROMQL_T_MUL:
		return l * r;
	case PROMQL_T_DIV:
		return l / r;
	case PROMQL_T_POW:
		return pow(l, r);
	case PROMQL_T_MOD:
		return go_mod(l, r);
	case PROMQL_T_ATAN2:
		return atan2(l, r);
	default:
		return NAN;
	}
}

static bool compare(enum promql_tok op, double l, double r)
{
	switch (op) {
	case PROMQL_T_EQLC:
		return l == r;
	case PROMQL_T_NEQ:
		return l != r;
	case PROMQL_T_GTR:
		return l > r;
	case PROMQL_T_LSS:
		return l < r;
	case PROMQL_T_GTE:
		return l >= r;
	case PROMQL_T_LTE:
		return l <= r;
	default:
		return false;
	}
}

/* vectorElemBinop: the value and whether the element is kept. */
static double elem_binop(enum promql_tok op, double l, double r, bool *keep)
{
	*keep = true;
	if (is_comparison(op)) {
		*keep = compare(op, l, r);
		return l;
	}
	return arith(op, l, r);
}

static double scalar_binop(enum promql_tok op, double l, double r)
{
	if (is_comparison(op))
		return compare(op, l, r) ? 1 : 0;
	return arith(op, l, r);
}

static int eval_vector_scalar(struct ev *ev, const struct promql_node *n, struct val *vec,
			      const double *sc, bool swap, struct val *out)
{
	struct query *q = ev->q;
	enum promql_tok op = n->bin.op;
	bool rb = n->bin.return_bool;
	out->type = PROMQL_TYPE_VECTOR;
	for (size_t k = 0; k < vec->m.n; k++) {
		struct vseries *s = &vec->m.s[k];
		struct lset ls = s->ls;
		if (drops_name(op) || rb) {
			if (drop_name_copy(q, s->ls, &ls))
				return q->err;
		}
		for (size_t i = 0; i < ev->nsteps; i++) {
			if (!s->ok[i])
				continue;
			double l = s->v[i], r = sc[i];
			if (swap) {
				l = sc[i];
				r = s->v[i];
			}
			bool keep;
			double v = elem_binop(op, l, r, &keep);
			if (is_comparison(op) && swap)
				v = r;
			if (rb) {
				v = keep ? 1 : 0;
				keep = true;
			}
			if (!keep)
				continue;
			if (vmat_put(ev, &out->m, ls, i, v))
				return q->err;
		}
	}
	vmat_release(&out->m);
	return 0;
}

/* The matching signature of a series: a hash of the on/ignoring labels. */
struct sig {
	uint64_t h;
	struct lset ls; /* the labels the signature covers */
};

static int signature(struct query *q, struct lset ls, const struct promql_node *n, struct sig *out)
{
	struct lbuild b;
	lb_init(&b, ls);
	if (n->bin.on) {
		lb_keep(&b, &n->bin.matching);
	} else {
		for (size_t i = 0; i < n->bin.matching.n; i++)
			lb_del(&b, n->bin.matching.names[i]);
		lb_del(&b, "__name__");
	}
	if (lb_finish(q, &b, &out->ls))
		return q->err;
	out->h = labels_hash(out->ls.l, out->ls.n);
	return 0;
}

static bool sig_eq(const struct sig *a, const struct sig *b)
{
	return a->h == b->h && labels_equal(a->ls.l, a->ls.n, b->ls.l, b->ls.n);
}

/* A small open-addressing map from signature to an index, rebuilt per step. */
struct sigmap {
	size_t *slot; /* index + 1 */
	size_t cap;
};

static int sigmap_init(struct query *q, struct sigmap *m, size_t n)
{
	m->cap = 16;
	while (m->cap < n * 2 + 2)
		m->cap *= 2;
	m->slot = calloc(m->cap, sizeof(*m->slot));
	return m->slot ? 0 : fail_nomem(q);
}

static void sigmap_clear(struct sigmap *m)
{
	memset(m->slot, 0, m->cap * sizeof(*m->slot));
}

/* Find sig; when absent and ins != SIZE_MAX insert it.  Returns the index or SIZE_MAX. */
static size_t sigmap_get(struct sigmap *m, const struct sig *sigs, const struct sig *s, size_t ins)
{
	size_t p = (size_t)s->h & (m->cap - 1);
	while (m->slot[p]) {
		if (sig_eq(&sigs[m->slot[p] - 1], s))
			return m->slot[p] - 1;
		p = (p + 1) & (m->cap - 1);
	}
	if (ins != SIZE_MAX)
		m->slot[p] = ins + 1;
	return SIZE_MAX;
}

static int eval_set_op(struct ev *ev, const struct promql_node *n, struct val *l, struct val *r,
		       struct sig *ls, struct sig *rs, struct val *out)
{
	struct query *q = ev->q;
	enum promql_tok op = n->bin.op;
	struct sigmap m = {0};
	out->type = PROMQL_TYPE_VECTOR;
	if (sigmap_init(q, &m, r->m.n + l->m.n))
		return q->err;
	for (size_t i = 0; i < ev->nsteps; i++) {
		sigmap_clear(&m);
		if (op == PROMQL_T_LOR) {
			for (size_t k = 0; k < l->m.n; k++) {
				if (!l->m.s[k].ok[i])
					continue;
				sigmap_get(&m, ls, &ls[k], k);
				if (vmat_put(ev, &out->m, l->m.s[k].ls, i, l->m.s[k].v[i]))
					goto out;
			}
			for (size_t k = 0; k < r->m.n; k++) {
				if (!r->m.s[k].ok[i] ||
				    sigmap_get(&m, ls, &rs[k], SIZE_MAX) != SIZE_MAX)
					continue;
				if (vmat_put(ev, &out->m, r->m.s[k].ls, i, r->m.s[k].v[i]))
					goto out;
			}
		} else {
			for (size_t k = 0; k < r->m.n; k++)
				if (r->m.s[k].ok[i])
					sigmap_get(&m, rs, &rs[k], k);
			for (size_t k = 0; k < l->m.n; k++) {
				if (!l->m.s[k].ok[i])
					continue;
				bool found = sigmap_get(&m, rs, &ls[k], SIZE_MAX) != SIZE_MAX;
				if (found != (op == PROMQL_T_LAND))
					continue;
				if (vmat_put(ev, &out->m, l->m.s[k].ls, i, l->m.s[k].v[i]))
					goto out;
			}
		}
		if (check_deadline(q))
			goto out;
	}
out:
	free(m.slot);
	return vector_done(q, out);
}

/* resultMetric: the labels of a matched pair (many side first). */
static int result_labels(struct query *q, const struct promql_node *n, struct lset many,
			 struct lset one, struct lset *out)
{
	struct lbuild b;
	lb_init(&b, many);
	if (drops_name(n->bin.op) || n->bin.return_bool)
		lb_del(&b, "__name__");
	if (n->bin.card == PROMQL_CARD_ONE_TO_ONE) {
		if (n->bin.on)
			lb_keep(&b, &n->bin.matching);
		else
			for (size_t i = 0; i < n->bin.matching.n; i++)
				lb_del(&b, n->bin.matching.names[i]);
	}
	for (size_t i = 0; i < n->bin.include.n; i++) {
		const char *name = n->bin.include.names[i];
		const char *v = labels_get(one.l, one.n, name);
		if (v && *v) {
			/* the name outlives the syntax tree: take the result's copy */
			const char *own = NULL;
			for (size_t k = 0; k < one.n && !own; k++)
				if (!strcmp(one.l[k].name, name))
					own = one.l[k].name;
			lb_set(&b, own, v);
		} else {
			lb_del(&b, name);
		}
	}
	return lb_finish(q, &b, out);
}

/* Cache of result labels per (many series, one series) pair. */
struct pair_cache {
	size_t *a, *b;
	struct lset *ls;
	size_t cap, n;
};

static int pair_labels(struct query *q, struct pair_cache *c, const struct promql_node *n,
		       size_t mi, struct lset many, size_t oi, struct lset one, struct lset *out)
{
	size_t h = (mi * 1000003u + oi) & (c->cap - 1);
	while (c->a[h] != SIZE_MAX) {
		if (c->a[h] == mi && c->b[h] == oi) {
			*out = c->ls[h];
			return 0;
		}
		h = (h + 1) & (c->cap - 1);
	}
	if (result_labels(q, n, many, one, out))
		return q->err;
	if ((c->n + 1) * 2 > c->cap) {
		/* full enough: compute without caching */
		return 0;
	}
	c->a[h] = mi;
	c->b[h] = oi;
	c->ls[h] = *out;
	c->n++;
	return 0;
}

static int eval_vector_binop(struct ev *ev, const struct promql_node *n, struct val *l,
			     struct val *r, struct sig *lsig, struct sig *rsig, struct val *out)
{
	struct query *q = ev->q;
	enum promql_tok op = n->bin.op;
	bool swap = n->bin.card == PROMQL_CARD_ONE_TO_MANY;
	struct val *many = swap ? r : l, *one = swap ? l : r;
	struct sig *msig = swap ? rsig : lsig, *osig = swap ? lsig : rsig;
	struct sigmap m = {0};
	size_t *matched = NULL; /* per one-side series: step it was matched at + 1 */
	struct pair_cache pc = {0};
	struct sigmap outseen = {0};
	struct sig *outsigs = NULL; /* many-to-one: (match group, result labels) seen at a step */
	size_t noutsigs = 0;
	out->type = PROMQL_TYPE_VECTOR;
	if (sigmap_init(q, &m, one->m.n))
		goto out;
	matched = calloc(one->m.n ? one->m.n : 1, sizeof(*matched));
	pc.cap = 1024;
	while (pc.cap < (many->m.n + 1) * 4 && pc.cap < (1u << 22))
		pc.cap *= 2;
	pc.a = malloc(pc.cap * sizeof(size_t));
	pc.b = malloc(pc.cap * sizeof(size_t));
	pc.ls = malloc(pc.cap * sizeof(struct lset));
	if (!matched || !pc.a || !pc.b || !pc.ls) {
		fail_nomem(q);
		goto out;
	}
	memset(pc.a, 0xff, pc.cap * sizeof(size_t));
	if (n->bin.card != PROMQL_CARD_ONE_TO_ONE) {
		outsigs = malloc((many->m.n ? many->m.n : 1) * sizeof(*outsigs));
		if (!outsigs || sigmap_init(q, &outseen, many->m.n)) {
			fail_nomem(q);
			goto out;
		}
	}
	for (size_t i = 0; i < ev->nsteps; i++) {
		sigmap_clear(&m);
		bool lany = false, rany = false;
		for (size_t k = 0; k < l->m.n && !lany; k++)
			lany = l->m.s[k].ok[i];
		for (size_t k = 0; k < r->m.n && !rany; k++)
			rany = r->m.s[k].ok[i];
		if (!lany || !rany)
			continue;
		for (size_t k = 0; k < one->m.n; k++) {
			if (!one->m.s[k].ok[i])
				continue;
			size_t prev = sigmap_get(&m, osig, &osig[k], k);
			if (prev != SIZE_MAX) {
				char a[512], b[512], g[512];
				lset_string(osig[k].ls, g, sizeof(g));
				lset_string(one->m.s[k].ls, a, sizeof(a));
				lset_string(one->m.s[prev].ls, b, sizeof(b));
				fail(q, -EINVAL, PROMQL_ERR_EXECUTION,
				     "found duplicate series for the match group %s on the %s "
				     "hand-side of the operation: [%s, %s];many-to-many matching "
				     "not allowed: matching labels must be unique on one side",
				     g, swap ? "left" : "right", a, b);
				goto out;
			}
		}
		if (outsigs) {
			sigmap_clear(&outseen);
			noutsigs = 0;
		}
		for (size_t k = 0; k < many->m.n; k++) {
			struct vseries *ms = &many->m.s[k];
			if (!ms->ok[i])
				continue;
			size_t oi = sigmap_get(&m, osig, &msig[k], SIZE_MAX);
			if (oi == SIZE_MAX)
				continue;
			struct vseries *os = &one->m.s[oi];
			double vl = ms->v[i], vr = os->v[i];
			if (swap) {
				vl = os->v[i];
				vr = ms->v[i];
			}
			bool keep;
			double v = elem_binop(op, vl, vr, &keep);
			if (n->bin.return_bool) {
				v = keep ? 1 : 0;
			} else if (!keep) {
				continue;
			}
			struct lset rl;
			if (pair_labels(q, &pc, n, k, ms->ls, oi, os->ls, &rl))
				goto out;
			if (n->bin.card == PROMQL_CARD_ONE_TO_ONE) {
				if (matched[oi] == i + 1) {
					fail(q, -EINVAL, PROMQL_ERR_EXECUTION,
					     "multiple matches for labels: many-to-one matching "
					     "must be explicit (group_left/group_right)");
					goto out;
				}
				matched[oi] = i + 1;
			} else {
				/* (match group, result labels) must be unique */
				struct lbuild kb;
				struct lset kl;
				lb_init(&kb, rl);
				char idx[32];
				snprintf(idx, sizeof(idx), "%zu", oi);
				const char *idx_copy = qstrdup(q, idx);
				if (!idx_copy)
					goto out;
				lb_set(&kb, "\x01grp", idx_copy);
				if (lb_finish(q, &kb, &kl))
					goto out;
				outsigs[noutsigs].ls = kl;
				outsigs[noutsigs].h = labels_hash(kl.l, kl.n);
				if (sigmap_get(&outseen, outsigs, &outsigs[noutsigs], noutsigs) !=
				    SIZE_MAX) {
					fail(q, -EINVAL, PROMQL_ERR_EXECUTION,
					     "multiple matches for labels: grouping labels must "
					     "ensure unique matches");
					goto out;
				}
				noutsigs++;
			}
			if (vmat_put(ev, &out->m, rl, i, v))
				goto out;
		}
		if (check_deadline(q))
			goto out;
	}
out:
	free(outsigs);
	free(m.slot);
	free(outseen.slot);
	free(matched);
	free(pc.a);
	free(pc.b);
	free(pc.ls);
	return vector_done(q, out);
}

static int eval_binary(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	struct val l = {0}, r = {0};
	if (eval(ev, n->bin.lhs, &l) || eval(ev, n->bin.rhs, &r))
		return q->err;
	if (l.type == PROMQL_TYPE_SCALAR && r.type == PROMQL_TYPE_SCALAR) {
		if (!scalar_out(ev, out))
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++)
			out->sc[i] = scalar_binop(n->bin.op, l.sc[i], r.sc[i]);
		return 0;
	}
	if (l.type == PROMQL_TYPE_VECTOR && r.type == PROMQL_TYPE_SCALAR)
		return eval_vector_scalar(ev, n, &l, r.sc, false, out);
	if (l.type == PROMQL_TYPE_SCALAR && r.type == PROMQL_TYPE_VECTOR)
		return eval_vector_scalar(ev, n, &r, l.sc, true, out);
	struct sig *ls = malloc((l.m.n ? l.m.n : 1) * sizeof(*ls));
	struct sig *rs = malloc((r.m.n ? r.m.n : 1) * sizeof(*rs));
	if (!ls || !rs) {
		fail_nomem(q);
		goto out;
	}
	for (size_t k = 0; k < l.m.n; k++)
		if (signature(q, l.m.s[k].ls, n, &ls[k]))
			goto out;
	for (size_t k = 0; k < r.m.n; k++)
		if (signature(q, r.m.s[k].ls, n, &rs[k]))
			goto out;
	if (n->bin.op == PROMQL_T_LAND || n->bin.op == PROMQL_T_LOR ||
	    n->bin.op == PROMQL_T_LUNLESS)
		eval_set_op(ev, n, &l, &r, ls, rs, out);
	else
		eval_vector_binop(ev, n, &l, &r, ls, rs, out);
out:
	free(ls);
	free(rs);
	return q->err;
}

/* ---------------------------------------------------------------- dispatch */

static int eval_node(struct ev *ev, const struct promql_node *n, struct val *out);

/* Points a value holds (Prometheus counts those of live results). */
static int64_t val_points(const struct val *v)
{
	int64_t n = 0;
	if (v->type == PROMQL_TYPE_VECTOR)
		for (size_t k = 0; k < v->m.n; k++)
			n += (int64_t)v->m.s[k].cnt;
	else if (v->type == PROMQL_TYPE_MATRIX)
		for (size_t k = 0; k < v->nrs; k++)
			n += (int64_t)v->rs[k].np;
	return n;
}

/*
 * Evaluate n.  As Prometheus's evaluator, once a node is done the samples
 * of its inputs no longer count against the limit, only its result.
 */
static int eval(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	int64_t base = q->samples;
	int rc = eval_node(ev, n, out);
	if (!rc)
		q->samples = base + val_points(out);
	return rc;
}

static int eval_node(struct ev *ev, const struct promql_node *n, struct val *out)
{
	struct query *q = ev->q;
	memset(out, 0, sizeof(*out));
	if (check_deadline(q))
		return q->err;
	switch (n->kind) {
	case PROMQL_PAREN:
		return eval(ev, n->paren.expr, out);
	case PROMQL_NUMBER:
		if (!scalar_out(ev, out))
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++)
			out->sc[i] = n->number;
		return 0;
	case PROMQL_STRING:
		out->type = PROMQL_TYPE_STRING;
		out->str = n->string.s;
		out->slen = n->string.len;
		return 0;
	case PROMQL_VECTOR_SELECTOR:
		return eval_vector_selector(ev, n, false, out);
	case PROMQL_MATRIX_SELECTOR:
	case PROMQL_SUBQUERY:
		if (ev->nsteps != 1)
			return fail(q, -EINVAL, PROMQL_ERR_BAD_DATA,
				    "invalid expression type \"range vector\" for range query, "
				    "must be Scalar or instant Vector");
		return eval_matrix_value(ev, n, out);
	case PROMQL_UNARY: {
		if (eval(ev, n->unary.expr, out))
			return q->err;
		if (n->unary.op != PROMQL_T_SUB)
			return 0;
		if (out->type == PROMQL_TYPE_SCALAR) {
			for (size_t i = 0; i < ev->nsteps; i++)
				out->sc[i] = -out->sc[i];
			return 0;
		}
		struct val in = *out;
		memset(out, 0, sizeof(*out));
		out->type = PROMQL_TYPE_VECTOR;
		for (size_t k = 0; k < in.m.n; k++) {
			struct lset ls;
			if (drop_name_copy(q, in.m.s[k].ls, &ls) ||
			    vmat_put_series(ev, &out->m, ls, &in.m.s[k], true))
				return q->err;
		}
		vmat_release(&out->m);
		return 0;
	}
	case PROMQL_BINARY:
		return eval_binary(ev, n, out);
	case PROMQL_AGGREGATE:
		return eval_aggregate(ev, n, out);
	case PROMQL_CALL:
		return eval_call(ev, n, out);
	}
	return fail(q, -EINVAL, PROMQL_ERR_INTERNAL, "unknown expression node");
}

/* ---------------------------------------------------------------- results */

static int cmp_result_series(const void *a, const void *b)
{
	const struct promql_result_series *x = a, *y = b;
	return labels_cmp(x->labels, x->nlabels, y->labels, y->nlabels);
}

static int build_result(struct ev *ev, struct val *v, bool range, struct promql_result *r)
{
	struct query *q = ev->q;
	r->t = ev->start;
	switch (v->type) {
	case PROMQL_TYPE_SCALAR:
		if (!range) {
			r->type = PROMQL_TYPE_SCALAR;
			r->scalar = v->sc[0];
			return 0;
		}
		/* a range query of a scalar: one series without labels */
		r->type = PROMQL_TYPE_MATRIX;
		r->series = qcalloc(q, 1, sizeof(*r->series));
		if (!r->series)
			return q->err;
		r->nseries = 1;
		r->series->points = qalloc(q, ev->nsteps * sizeof(struct promql_sample));
		if (!r->series->points)
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++) {
			r->series->points[i].t = step_time(ev, i);
			r->series->points[i].v = v->sc[i];
		}
		r->series->npoints = ev->nsteps;
		return 0;
	case PROMQL_TYPE_STRING:
		if (range)
			return fail(q, -EINVAL, PROMQL_ERR_BAD_DATA,
				    "invalid expression type \"string\" for range query, must be "
				    "Scalar or instant Vector");
		r->type = PROMQL_TYPE_STRING;
		r->string = qstrndup(q, v->str, v->slen);
		return r->string ? 0 : q->err;
	case PROMQL_TYPE_MATRIX:
		r->type = PROMQL_TYPE_MATRIX;
		r->series = qcalloc(q, v->nrs, sizeof(*r->series));
		if (v->nrs && !r->series)
			return q->err;
		for (size_t k = 0; k < v->nrs; k++) {
			r->series[k].labels = (struct tsdb_label *)v->rs[k].ls.l;
			r->series[k].nlabels = v->rs[k].ls.n;
			r->series[k].points = v->rs[k].p;
			r->series[k].npoints = v->rs[k].np;
		}
		r->nseries = v->nrs;
		return 0;
	case PROMQL_TYPE_VECTOR:
	default:
		break;
	}
	vmat_compact(&v->m);
	r->type = range ? PROMQL_TYPE_MATRIX : PROMQL_TYPE_VECTOR;
	r->series = qcalloc(q, v->m.n, sizeof(*r->series));
	if (v->m.n && !r->series)
		return q->err;
	r->nseries = v->m.n;
	for (size_t k = 0; k < v->m.n; k++) {
		struct vseries *s = &v->m.s[k];
		struct promql_result_series *o = &r->series[k];
		o->labels = (struct tsdb_label *)s->ls.l;
		o->nlabels = s->ls.n;
		o->points = qalloc(q, s->cnt * sizeof(*o->points));
		if (!o->points)
			return q->err;
		for (size_t i = 0; i < ev->nsteps; i++) {
			if (!s->ok[i])
				continue;
			o->points[o->npoints].t = step_time(ev, i);
			o->points[o->npoints].v = s->v[i];
			o->npoints++;
		}
	}
	if (range && r->nseries > 1)
		qsort(r->series, r->nseries, sizeof(*r->series), cmp_result_series);
	return 0;
}

void promql_engine_opts_default(struct promql_engine_opts *o)
{
	o->lookback_ms = 5 * 60 * 1000;
	o->timeout_ms = 2 * 60 * 1000;
	o->max_samples = 50000000;
	o->sub_step_ms = 60 * 1000;
}

int promql_exec_expr(struct tsdb *db, const struct promql_engine_opts *o,
		     const struct promql_expr *e, bool range, int64_t start, int64_t end,
		     int64_t step, struct promql_result **out, enum promql_errkind *kind, char *err,
		     size_t errlen)
{
	struct query q = {.db = db, .o = o, .errbuf = err, .errlen = errlen};
	struct promql_result *r = NULL;
	*out = NULL;
	*kind = PROMQL_ERR_NONE;
	if (errlen)
		err[0] = '\0';
	q.mem = calloc(1, sizeof(*q.mem));
	if (!q.mem) {
		*kind = PROMQL_ERR_INTERNAL;
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (o->timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &q.deadline);
		q.deadline.tv_sec += o->timeout_ms / 1000;
		q.deadline.tv_nsec += (o->timeout_ms % 1000) * 1000000L;
		if (q.deadline.tv_nsec >= 1000000000L) {
			q.deadline.tv_sec++;
			q.deadline.tv_nsec -= 1000000000L;
		}
		q.has_deadline = true;
	}
	struct ev ev = {.q = &q, .start = start, .end = range ? end : start};
	ev.step = range ? step : 1;
	if (ev.step <= 0)
		ev.step = 1;
	ev.nsteps = range ? (size_t)((end - start) / ev.step) + 1 : 1;
	q.qstart = start;
	q.qend = range ? end : start;
	if (range && end < start) {
		fail(&q, -EINVAL, PROMQL_ERR_BAD_DATA,
		     "end timestamp must not be before start time");
		goto done;
	}
	if (range && promql_node_type(e->root) != PROMQL_TYPE_SCALAR &&
	    promql_node_type(e->root) != PROMQL_TYPE_VECTOR) {
		fail(&q, -EINVAL, PROMQL_ERR_BAD_DATA,
		     "invalid expression type \"%s\" for range query, must be Scalar or instant "
		     "Vector",
		     promql_type_documented(promql_node_type(e->root)));
		goto done;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		fail_nomem(&q);
		goto done;
	}
	struct val v;
	q.tick = 255; /* check the deadline at once */
	if (eval(&ev, e->root, &v))
		goto done;
	if (build_result(&ev, &v, range, r))
		goto done;
done:
	free(q.buf);
	if (q.err) {
		free(r);
		mem_free(q.mem);
		*kind = q.kind;
		return q.err;
	}
	r->mem = q.mem;
	*out = r;
	return 0;
}

int promql_exec(struct tsdb *db, const struct promql_engine_opts *o, const char *query, bool range,
		int64_t start, int64_t end, int64_t step, struct promql_result **out,
		enum promql_errkind *kind, char *err, size_t errlen)
{
	struct promql_expr *e = NULL;
	*out = NULL;
	int rc = promql_parse(query, strlen(query), &e, err, errlen);
	if (rc) {
		*kind = rc == -ENOMEM ? PROMQL_ERR_INTERNAL : PROMQL_ERR_BAD_DATA;
		return rc;
	}
	rc = promql_exec_expr(db, o, e, range, start, end, step, out, kind, err, errlen);
	promql_expr_free(e);
	return rc;
}

void promql_result_free(struct promql_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	mem_free(r->mem);
	free(r);
}
