// SPDX-License-Identifier: Apache-2.0
/*
 * PromQL syntax tree: arena, function table, types and the printer.
 *
 * The printer reproduces Prometheus 2.42's String() methods: binary
 * operators with single spaces, "sum by (a, b) (x)", matchers sorted with
 * the metric name outside the braces, durations as model.Duration prints
 * them, numbers as Go's %v, strings as Go's %q, "@ 123.000", "offset -5m".
 */
#include "server/promql/ast.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/expo.h"
#include "common/strutil.h"

/* ---- arena ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct promql_arena {
	struct arena_chunk *chunks;
	struct vregex **regexes;
	size_t nregex, capregex;
};

struct promql_arena *promql_arena_new(void)
{
	return calloc(1, sizeof(struct promql_arena));
}

void promql_arena_free(struct promql_arena *a)
{
	if (!a)
		return;
	struct arena_chunk *c = a->chunks;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	for (size_t i = 0; i < a->nregex; i++)
		vregex_free(a->regexes[i]);
	free(a->regexes);
	free(a);
}

void *promql_arena_alloc(struct promql_arena *a, size_t n)
{
	const size_t align = sizeof(max_align_t);
	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	struct arena_chunk *c = a->chunks;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 8192 ? n : 8192;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		/* a big one-off allocation goes behind the current chunk */
		if (a->chunks && n > 4096) {
			c->next = a->chunks->next;
			a->chunks->next = c;
		} else {
			c->next = a->chunks;
			a->chunks = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *promql_arena_strndup(struct promql_arena *a, const char *s, size_t n)
{
	char *p = promql_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int promql_arena_own_regex(struct promql_arena *a, struct vregex *re)
{
	if (a->nregex == a->capregex) {
		size_t cap = a->capregex ? a->capregex * 2 : 8;
		struct vregex **r = realloc(a->regexes, cap * sizeof(*r));
		if (!r) {
			vregex_free(re);
			return -ENOMEM;
		}
		a->regexes = r;
		a->capregex = cap;
	}
	a->regexes[a->nregex++] = re;
	return 0;
}

void promql_expr_free(struct promql_expr *e)
{
	if (!e)
		return;
	promql_arena_free(e->arena);
	free(e);
}

/* ---- functions of Prometheus 2.42 ---- */

#define V   PROMQL_TYPE_VECTOR
#define S   PROMQL_TYPE_SCALAR
#define M   PROMQL_TYPE_MATRIX
#define STR PROMQL_TYPE_STRING

static const struct promql_function functions[] = {
	{"abs", {V}, 1, 0, V},
	{"absent", {V}, 1, 0, V},
	{"absent_over_time", {M}, 1, 0, V},
	{"acos", {V}, 1, 0, V},
	{"acosh", {V}, 1, 0, V},
	{"asin", {V}, 1, 0, V},
	{"asinh", {V}, 1, 0, V},
	{"atan", {V}, 1, 0, V},
	{"atanh", {V}, 1, 0, V},
	{"avg_over_time", {M}, 1, 0, V},
	{"ceil", {V}, 1, 0, V},
	{"changes", {M}, 1, 0, V},
	{"clamp", {V, S, S}, 3, 0, V},
	{"clamp_max", {V, S}, 2, 0, V},
	{"clamp_min", {V, S}, 2, 0, V},
	{"cos", {V}, 1, 0, V},
	{"cosh", {V}, 1, 0, V},
	{"count_over_time", {M}, 1, 0, V},
	{"days_in_month", {V}, 1, 1, V},
	{"day_of_month", {V}, 1, 1, V},
	{"day_of_week", {V}, 1, 1, V},
	{"day_of_year", {V}, 1, 1, V},
	{"deg", {V}, 1, 0, V},
	{"delta", {M}, 1, 0, V},
	{"deriv", {M}, 1, 0, V},
	{"exp", {V}, 1, 0, V},
	{"floor", {V}, 1, 0, V},
	{"histogram_count", {V}, 1, 0, V},
	{"histogram_sum", {V}, 1, 0, V},
	{"histogram_fraction", {S, S, V}, 3, 0, V},
	{"histogram_quantile", {S, V}, 2, 0, V},
	{"holt_winters", {M, S, S}, 3, 0, V},
	{"hour", {V}, 1, 1, V},
	{"idelta", {M}, 1, 0, V},
	{"increase", {M}, 1, 0, V},
	{"irate", {M}, 1, 0, V},
	{"label_replace", {V, STR, STR, STR, STR}, 5, 0, V},
	{"label_join", {V, STR, STR, STR}, 4, -1, V},
	{"last_over_time", {M}, 1, 0, V},
	{"ln", {V}, 1, 0, V},
	{"log10", {V}, 1, 0, V},
	{"log2", {V}, 1, 0, V},
	{"max_over_time", {M}, 1, 0, V},
	{"min_over_time", {M}, 1, 0, V},
	{"minute", {V}, 1, 1, V},
	{"month", {V}, 1, 1, V},
	{"pi", {0}, 0, 0, S},
	{"predict_linear", {M, S}, 2, 0, V},
	{"present_over_time", {M}, 1, 0, V},
	{"quantile_over_time", {S, M}, 2, 0, V},
	{"rad", {V}, 1, 0, V},
	{"rate", {M}, 1, 0, V},
	{"resets", {M}, 1, 0, V},
	{"round", {V, S}, 2, 1, V},
	{"scalar", {V}, 1, 0, S},
	{"sgn", {V}, 1, 0, V},
	{"sin", {V}, 1, 0, V},
	{"sinh", {V}, 1, 0, V},
	{"sort", {V}, 1, 0, V},
	{"sort_desc", {V}, 1, 0, V},
	{"sqrt", {V}, 1, 0, V},
	{"stddev_over_time", {M}, 1, 0, V},
	{"stdvar_over_time", {M}, 1, 0, V},
	{"sum_over_time", {M}, 1, 0, V},
	{"tan", {V}, 1, 0, V},
	{"tanh", {V}, 1, 0, V},
	{"time", {0}, 0, 0, S},
	{"timestamp", {V}, 1, 0, V},
	{"vector", {S}, 1, 0, V},
	{"year", {V}, 1, 1, V},
};

#undef V
#undef S
#undef M
#undef STR

const struct promql_function *promql_function_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
		if (strlen(functions[i].name) == len && memcmp(functions[i].name, name, len) == 0)
			return &functions[i];
	return NULL;
}

/* ---- types ---- */

enum promql_type promql_node_type(const struct promql_node *n)
{
	switch (n->kind) {
	case PROMQL_AGGREGATE:
	case PROMQL_VECTOR_SELECTOR:
		return PROMQL_TYPE_VECTOR;
	case PROMQL_CALL:
		return n->call.func ? n->call.func->return_type : PROMQL_TYPE_NONE;
	case PROMQL_MATRIX_SELECTOR:
	case PROMQL_SUBQUERY:
		return PROMQL_TYPE_MATRIX;
	case PROMQL_NUMBER:
		return PROMQL_TYPE_SCALAR;
	case PROMQL_STRING:
		return PROMQL_TYPE_STRING;
	case PROMQL_PAREN:
		return promql_node_type(n->paren.expr);
	case PROMQL_UNARY:
		return promql_node_type(n->unary.expr);
	case PROMQL_BINARY:
		if (promql_node_type(n->bin.lhs) == PROMQL_TYPE_SCALAR &&
		    promql_node_type(n->bin.rhs) == PROMQL_TYPE_SCALAR)
			return PROMQL_TYPE_SCALAR;
		return PROMQL_TYPE_VECTOR;
	}
	return PROMQL_TYPE_NONE;
}

const char *promql_type_name(enum promql_type t)
{
	switch (t) {
	case PROMQL_TYPE_VECTOR:
		return "vector";
	case PROMQL_TYPE_SCALAR:
		return "scalar";
	case PROMQL_TYPE_MATRIX:
		return "matrix";
	case PROMQL_TYPE_STRING:
		return "string";
	default:
		return "none";
	}
}

const char *promql_type_documented(enum promql_type t)
{
	switch (t) {
	case PROMQL_TYPE_VECTOR:
		return "instant vector";
	case PROMQL_TYPE_MATRIX:
		return "range vector";
	default:
		return promql_type_name(t);
	}
}

/* ---- printer ---- */

/* A growable string that records out-of-memory instead of aborting. */
struct sb {
	char *d;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->d, cap);
		if (!d) {
			b->oom = true;
			return;
		}
		b->d = d;
		b->cap = cap;
	}
	memcpy(b->d + b->len, s, n);
	b->len += n;
	b->d[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_quote(struct sb *b, const char *s, size_t n)
{
	size_t cap = 4 * n + 3;
	char small[256];
	char *tmp = cap <= sizeof(small) ? small : malloc(cap);
	if (!tmp) {
		b->oom = true;
		return;
	}
	size_t len = promql_go_quote(s, n, -1, tmp, cap);
	sb_put(b, tmp, len < cap ? len : cap - 1);
	if (tmp != small)
		free(tmp);
}

static void put_duration(struct sb *b, int64_t ms)
{
	char d[64];
	duration_format(ms, d, sizeof(d));
	sb_puts(b, d);
}

static void put_labels(struct sb *b, const struct promql_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sb_puts(b, ", ");
		sb_puts(b, l->names[i]);
	}
}

static void put_at_offset(struct sb *b, const struct promql_at_offset *at)
{
	char tmp[64];
	if (at->has_timestamp) {
		snprintf(tmp, sizeof(tmp), " @ %.3f", (double)at->timestamp_ms / 1000.0);
		sb_puts(b, tmp);
	} else if (at->start_or_end == PROMQL_T_START) {
		sb_puts(b, " @ start()");
	} else if (at->start_or_end == PROMQL_T_END) {
		sb_puts(b, " @ end()");
	}
	if (at->offset_ms > 0) {
		sb_puts(b, " offset ");
		put_duration(b, at->offset_ms);
	} else if (at->offset_ms < 0) {
		sb_puts(b, " offset -");
		put_duration(b, -at->offset_ms);
	}
}

static const char *match_op_str(enum promql_match_type t)
{
	switch (t) {
	case PROMQL_MATCH_EQUAL:
		return "=";
	case PROMQL_MATCH_NOT_EQUAL:
		return "!=";
	case PROMQL_MATCH_REGEXP:
		return "=~";
	default:
		return "!~";
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The selector without its @ and offset (the matrix printer adds them after the range). */
static void put_selector(struct sb *b, const struct promql_node *n)
{
	size_t cnt = 0;
	char **strs = calloc(n->vs.nmatchers ? n->vs.nmatchers : 1, sizeof(char *));
	if (!strs) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < n->vs.nmatchers; i++) {
		const struct promql_matcher *m = &n->vs.matchers[i];
		if (strcmp(m->name, "__name__") == 0 && m->type == PROMQL_MATCH_EQUAL &&
		    m->value_len == strlen(n->vs.name) && strcmp(m->value, n->vs.name) == 0)
			continue;
		struct sb one = {0};
		sb_puts(&one, m->name);
		sb_puts(&one, match_op_str(m->type));
		sb_quote(&one, m->value, m->value_len);
		if (one.oom) {
			free(one.d);
			b->oom = true;
			break;
		}
		strs[cnt++] = one.d;
	}
	sb_puts(b, n->vs.name);
	if (cnt) {
		qsort(strs, cnt, sizeof(char *), cmp_str);
		sb_puts(b, "{");
		for (size_t i = 0; i < cnt; i++) {
			if (i)
				sb_puts(b, ",");
			sb_puts(b, strs[i]);
		}
		sb_puts(b, "}");
	}
	for (size_t i = 0; i < cnt; i++)
		free(strs[i]);
	free(strs);
}

static void put_node(struct sb *b, const struct promql_node *n)
{
	char tmp[64];
	if (b->oom)
		return;
	switch (n->kind) {
	case PROMQL_AGGREGATE:
		sb_puts(b, promql_tok_str(n->agg.op));
		if (n->agg.without) {
			sb_puts(b, " without (");
			put_labels(b, &n->agg.grouping);
			sb_puts(b, ") ");
		} else if (n->agg.grouping.n > 0) {
			sb_puts(b, " by (");
			put_labels(b, &n->agg.grouping);
			sb_puts(b, ") ");
		}
		sb_puts(b, "(");
		if (n->agg.param) {
			put_node(b, n->agg.param);
			sb_puts(b, ", ");
		}
		if (n->agg.expr)
			put_node(b, n->agg.expr);
		sb_puts(b, ")");
		break;
	case PROMQL_BINARY:
		put_node(b, n->bin.lhs);
		sb_puts(b, " ");
		sb_puts(b, promql_tok_str(n->bin.op));
		if (n->bin.return_bool)
			sb_puts(b, " bool");
		if (n->bin.has_matching && (n->bin.matching.n > 0 || n->bin.on)) {
			sb_puts(b, n->bin.on ? " on (" : " ignoring (");
			put_labels(b, &n->bin.matching);
			sb_puts(b, ")");
			if (n->bin.card == PROMQL_CARD_MANY_TO_ONE ||
			    n->bin.card == PROMQL_CARD_ONE_TO_MANY) {
				sb_puts(b, n->bin.card == PROMQL_CARD_MANY_TO_ONE
						   ? " group_left ("
						   : " group_right (");
				put_labels(b, &n->bin.include);
				sb_puts(b, ")");
			}
		}
		sb_puts(b, " ");
		put_node(b, n->bin.rhs);
		break;
	case PROMQL_CALL:
		sb_puts(b, n->call.func ? n->call.func->name : "");
		sb_puts(b, "(");
		for (size_t i = 0; i < n->call.nargs; i++) {
			if (i)
				sb_puts(b, ", ");
			put_node(b, n->call.args[i]);
		}
		sb_puts(b, ")");
		break;
	case PROMQL_MATRIX_SELECTOR:
		put_selector(b, n->matrix.vs);
		sb_puts(b, "[");
		put_duration(b, n->matrix.range_ms);
		sb_puts(b, "]");
		put_at_offset(b, &n->matrix.vs->vs.at);
		break;
	case PROMQL_SUBQUERY:
		put_node(b, n->subquery.expr);
		sb_puts(b, "[");
		put_duration(b, n->subquery.range_ms);
		sb_puts(b, ":");
		if (n->subquery.step_ms)
			put_duration(b, n->subquery.step_ms);
		sb_puts(b, "]");
		put_at_offset(b, &n->subquery.at);
		break;
	case PROMQL_NUMBER:
		expo_format_double(tmp, n->number, 'g');
		sb_puts(b, tmp);
		break;
	case PROMQL_PAREN:
		sb_puts(b, "(");
		put_node(b, n->paren.expr);
		sb_puts(b, ")");
		break;
	case PROMQL_STRING:
		sb_quote(b, n->string.s, n->string.len);
		break;
	case PROMQL_UNARY:
		sb_puts(b, promql_tok_str(n->unary.op));
		put_node(b, n->unary.expr);
		break;
	case PROMQL_VECTOR_SELECTOR:
		put_selector(b, n);
		put_at_offset(b, &n->vs.at);
		break;
	}
}

char *promql_node_string(const struct promql_node *n)
{
	struct sb b = {0};
	sb_puts(&b, "");
	put_node(&b, n);
	if (b.oom) {
		free(b.d);
		return NULL;
	}
	return b.d;
}
