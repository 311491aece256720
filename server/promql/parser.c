// SPDX-License-Identifier: Apache-2.0
/*
 * PromQL parser and type checker (see parser.h).
 *
 * Each parse function returns the node it built, or NULL once an error has
 * been recorded; the first error stops the parse.  Semantic errors that
 * Prometheus raises while reducing a rule (bad durations, numbers, regexes,
 * ranges on non-selectors, offsets set twice, unknown functions) are raised
 * at the same point of the token stream, so the first error agrees with
 * Prometheus's.  Type checking (check_node) runs only on a tree without
 * syntax errors and visits nodes in Prometheus's checkAST order.
 */
#include "server/promql/parser.h"

#include "common/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/strutil.h"
#include "server/promql/functions.h"

enum {
	PREC_NONE = 0,
	PREC_OR = 1,
	PREC_AND = 2,
	PREC_CMP = 3,
	PREC_ADD = 4,
	PREC_MUL = 5,
	PREC_POW = 6,
};

struct parser {
	const char *in;
	int n;
	struct promql_lexer lx;
	struct promql_token tok;
	bool have_tok;
	struct promql_arena *arena;
	bool failed;
	bool oom;
	int err_pos;
	char err[8192];
	int agg_depth; /* open aggregations: syntax errors are "in aggregation" */
	int depth;
	int last_closing; /* end of the last ) } ] number or duration read */
};

/* ---- errors ---- */

static void fail_at(struct parser *p, int pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_at(struct parser *p, int pos, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	p->err_pos = pos;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

static void *fail_oom(struct parser *p)
{
	if (!p->failed) {
		p->failed = true;
		p->oom = true;
		snprintf(p->err, sizeof(p->err), "out of memory");
	}
	return NULL;
}

static void *alloc(struct parser *p, size_t n)
{
	void *m = promql_arena_alloc(p->arena, n);
	if (!m)
		fail_oom(p);
	return m;
}

static char *dup_text(struct parser *p, const char *s, size_t n)
{
	char *d = promql_arena_strndup(p->arena, s, n);
	if (!d)
		fail_oom(p);
	return d;
}

/* ---- tokens ---- */

static const struct promql_token *peek(struct parser *p)
{
	if (p->have_tok)
		return &p->tok;
	do {
		promql_lexer_next(&p->lx, &p->tok);
	} while (p->tok.type == PROMQL_T_COMMENT);
	p->have_tok = true;
	switch (p->tok.type) {
	case PROMQL_T_ERROR:
		fail_at(p, p->tok.pos, "%s", p->tok.msg);
		break;
	case PROMQL_T_RIGHT_PAREN:
	case PROMQL_T_RIGHT_BRACE:
	case PROMQL_T_RIGHT_BRACKET:
	case PROMQL_T_DURATION:
	case PROMQL_T_NUMBER:
		p->last_closing = p->tok.pos + p->tok.len;
		break;
	default:
		break;
	}
	return &p->tok;
}

static struct promql_token consume(struct parser *p)
{
	peek(p);
	p->have_tok = false;
	return p->tok;
}

static bool at(struct parser *p, enum promql_tok t)
{
	return peek(p)->type == t;
}

/* Take the lookahead token when it is of type t. */
static bool accept(struct parser *p, enum promql_tok t)
{
	if (!at(p, t))
		return false;
	consume(p);
	return true;
}

/* Prometheus's parser.unexpected() about token t. */
static __attribute__((noinline)) void *unexpected_tok(struct parser *p,
						      const struct promql_token *t,
						      const char *context, const char *expected)
{
	if (p->failed || t->type == PROMQL_T_ERROR)
		return NULL;
	char desc[1100];
	promql_tok_describe(p->in, t, desc, sizeof(desc));
	char msg[1200];
	int n = snprintf(msg, sizeof(msg), "unexpected %s", desc);
	if (context && *context && n >= 0 && (size_t)n < sizeof(msg))
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, " in %s", context);
	if (expected && *expected && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ", expected %s", expected);
	fail_at(p, t->pos, "%s", msg);
	return NULL;
}

/* Prometheus's parser.unexpected(): complain about the lookahead token. */
static void *unexpected(struct parser *p, const char *context, const char *expected)
{
	return unexpected_tok(p, peek(p), context, expected);
}

/* A syntax error at expression level: yacc recovers in the innermost aggregation. */
static void *unexpected_expr(struct parser *p)
{
	return unexpected(p, p->agg_depth > 0 ? "aggregation" : "", "");
}

/* Take a token of type t into *out (may be NULL), or record "unexpected ...": false. */
static bool expect(struct parser *p, enum promql_tok t, const char *context, const char *expected,
		   struct promql_token *out)
{
	if (!at(p, t)) {
		unexpected(p, context, expected);
		return false;
	}
	struct promql_token tok = consume(p);
	if (out)
		*out = tok;
	return true;
}

/*
 * After an item of a list closed by `close`: 1 when another item follows
 * (a "," not followed by close), 0 when the list ended (close taken), -1
 * on an error (recorded as "unexpected ... in context, expected ...").
 */
static int list_next(struct parser *p, enum promql_tok close, const char *context,
		     const char *expected)
{
	if (accept(p, PROMQL_T_COMMA))
		return accept(p, close) ? 0 : 1;
	if (accept(p, close))
		return 0;
	unexpected(p, context, expected);
	return -1;
}

/* ---- literals ---- */

/*
 * Go's strconv.ParseInt(s, 0, 64) for the forms the lexer produces
 * (decimal, 0x hex, leading-0 octal); false when it would fail.
 */
static bool parse_int_base0(const char *s, size_t n, double *out)
{
	unsigned base = 10;
	size_t i = 0;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16, i = 2;
		if (n == 2)
			return false;
	} else if (n >= 2 && s[0] == '0') {
		base = 8, i = 1;
	}
	if (n == 0)
		return false;
	unsigned long long v = 0;
	for (; i < n; i++) {
		int x = hex_digit((unsigned char)s[i]);
		if (x < 0 || (unsigned)x >= base)
			return false;
		unsigned d = (unsigned)x;
		if (v > (0x7fffffffffffffffULL - d) / base)
			return false;
		v = v * base + d;
	}
	*out = (double)(long long)v;
	return true;
}

/* Go's strconv.ParseFloat for the lexer's forms: 0 ok, 1 syntax error, 2 out of range. */
static int parse_go_float(const char *s, size_t n, double *out)
{
	char buf[400];
	if (n == 3 && strncasecmp(s, "inf", 3) == 0) {
		*out = INFINITY;
		return 0;
	}
	if (n == 3 && strncasecmp(s, "nan", 3) == 0) {
		*out = NAN;
		return 0;
	}
	size_t i = 0, mant = 0;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return 1; /* hex floats need a p exponent the lexer never accepts */
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, mant++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, mant++;
	}
	if (mant == 0)
		return 1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t ed = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, ed++;
		if (ed == 0)
			return 1;
	}
	if (i != n)
		return 1;
	if (n >= sizeof(buf)) {
		/* absurdly long literal: strtod on a heap copy */
		char *h = malloc(n + 1);
		if (!h)
			return 1;
		memcpy(h, s, n);
		h[n] = '\0';
		*out = strtod(h, NULL);
		free(h);
	} else {
		memcpy(buf, s, n);
		buf[n] = '\0';
		*out = strtod(buf, NULL);
	}
	return isinf(*out) ? 2 : 0;
}

/* Prometheus's parser.number(): ParseInt(.., 0, 64), then ParseFloat. */
static __attribute__((noinline)) bool number_value(struct parser *p, const struct promql_token *t,
						   double *v)
{
	const char *s = p->in + t->pos;
	size_t n = (size_t)t->len;
	if (parse_int_base0(s, n, v))
		return true;
	int rc = parse_go_float(s, n, v);
	if (rc == 0)
		return true;
	char q[300];
	promql_go_quote(s, n, -1, q, sizeof(q));
	fail_at(p, t->pos, "error parsing number: strconv.ParseFloat: parsing %s: %s", q,
		rc == 2 ? "value out of range" : "invalid syntax");
	return false;
}

#define DUR_UNITS 7

static const struct {
	const char *unit;
	int64_t mult_ms;
} dur_units[DUR_UNITS] = {
	{"y", 1000LL * 60 * 60 * 24 * 365},
	{"w", 1000LL * 60 * 60 * 24 * 7},
	{"d", 1000LL * 60 * 60 * 24},
	{"h", 1000LL * 60 * 60},
	{"m", 1000LL * 60},
	{"s", 1000},
	{"ms", 1},
};

/*
 * Match s[pos..] against the remaining optional groups of
 * ^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$, preferring to take each
 * group (leftmost-first, as Go's regexp); records each group's digits.
 */
static bool dur_match(const char *s, size_t len, size_t pos, int u, int *dstart, int *dend)
{
	if (u == DUR_UNITS)
		return pos == len;
	size_t d = pos;
	while (d < len && s[d] >= '0' && s[d] <= '9')
		d++;
	size_t ul = strlen(dur_units[u].unit);
	if (d > pos && d + ul <= len && memcmp(s + d, dur_units[u].unit, ul) == 0) {
		dstart[u] = (int)pos;
		dend[u] = (int)d;
		if (dur_match(s, len, d + ul, u + 1, dstart, dend))
			return true;
	}
	dstart[u] = -1;
	return dur_match(s, len, pos, u + 1, dstart, dend);
}

int promql_parse_duration(const char *s, size_t len, int64_t *ms, char *err, size_t errlen)
{
	int dstart[DUR_UNITS], dend[DUR_UNITS];
	if (len == 0) {
		snprintf(err, errlen, "empty duration string");
		return -EINVAL;
	}
	*ms = 0;
	if (!(len == 1 && s[0] == '0')) {
		if (!dur_match(s, len, 0, 0, dstart, dend)) {
			char q[300];
			promql_go_quote(s, len, -1, q, sizeof(q));
			snprintf(err, errlen, "not a valid duration string: %s", q);
			return -EINVAL;
		}
		uint64_t dur = 0; /* nanoseconds, wrapping like Go's time.Duration */
		bool overflow = false;
		for (int u = 0; u < DUR_UNITS; u++) {
			if (dstart[u] < 0)
				continue;
			uint64_t v = 0;
			for (int k = dstart[u]; k < dend[u]; k++) {
				uint64_t digit = (uint64_t)(s[k] - '0');
				if (v > (0x7fffffffffffffffULL - digit) / 10) {
					v = 0x7fffffffffffffffULL; /* Atoi saturates */
					break;
				}
				v = v * 10 + digit;
			}
			uint64_t mult = (uint64_t)dur_units[u].mult_ms;
			if (v > 0x7fffffffffffffffULL / mult / 1000000ULL)
				overflow = true;
			dur += v * 1000000ULL * mult;
			if ((int64_t)dur < 0)
				overflow = true;
		}
		if (overflow) {
			snprintf(err, errlen, "duration out of range");
			return -EINVAL;
		}
		*ms = (int64_t)(dur / 1000000ULL);
	}
	if (*ms == 0) {
		snprintf(err, errlen, "duration must be greater than 0");
		return -EINVAL;
	}
	return 0;
}

/* The DURATION token t as milliseconds; records the error otherwise. */
static __attribute__((noinline)) bool duration_value(struct parser *p, const struct promql_token *t,
						     int64_t *ms)
{
	char err[400];
	if (promql_parse_duration(p->in + t->pos, (size_t)t->len, ms, err, sizeof(err)) == 0)
		return true;
	fail_at(p, t->pos, "%s", err);
	return false;
}

/* Prometheus's strutil.Unquote into arena memory; false on invalid syntax. */
static bool unquote(struct parser *p, const char *s, size_t n, char **out, size_t *outlen)
{
	if (n < 2 || s[0] != s[n - 1])
		return false;
	char quote = s[0];
	const char *b = s + 1;
	size_t len = n - 2;
	char *d = alloc(p, len + 1);
	if (!d)
		return false;
	if (quote == '`') {
		if (memchr(b, '`', len))
			return false;
		memcpy(d, b, len);
		*out = d;
		*outlen = len;
		return true;
	}
	if ((quote != '"' && quote != '\'') || memchr(b, '\n', len))
		return false;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		char c = b[i];
		if (c == quote)
			return false;
		if (c != '\\') {
			d[o++] = c;
			i++;
			continue;
		}
		if (i + 1 >= len)
			return false;
		c = b[i + 1];
		i += 2;
		int esc = promql_go_escape((unsigned char)c);
		if (esc >= 0) {
			d[o++] = (char)esc;
			continue;
		}
		if (c >= '0' && c <= '7') {
			/* \ooo: three octal digits, at most \377 */
			unsigned v = (unsigned)(c - '0');
			if (len - i < 2)
				return false;
			for (int j = 0; j < 2; j++) {
				int x = b[i + (size_t)j] - '0';
				if (x < 0 || x > 7)
					return false;
				v = v << 3 | (unsigned)x;
			}
			i += 2;
			if (v > 255)
				return false;
			d[o++] = (char)v;
			continue;
		}
		switch (c) {
		case '\'':
		case '"':
			if (c != quote)
				return false;
			d[o++] = c;
			break;
		case 'x':
		case 'u':
		case 'U': {
			size_t nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			if (len - i < nd)
				return false;
			unsigned v = 0;
			for (size_t j = 0; j < nd; j++) {
				int x = hex_digit((unsigned char)b[i + j]);
				if (x < 0)
					return false;
				v = v << 4 | (unsigned)x;
			}
			i += nd;
			if (c == 'x') {
				d[o++] = (char)v;
			} else {
				if (v > 0x10FFFF)
					return false;
				/* worst case 4 bytes for 6+ input bytes: fits */
				o += utf8_encode(v, d + o);
			}
			break;
		}
		default:
			return false;
		}
	}
	d[o] = '\0';
	*out = d;
	*outlen = o;
	return true;
}

static __attribute__((noinline)) bool string_value(struct parser *p, const struct promql_token *t,
						   char **out, size_t *len)
{
	if (unquote(p, p->in + t->pos, (size_t)t->len, out, len))
		return true;
	if (!p->failed) {
		char q[600];
		promql_go_quote(p->in + t->pos, (size_t)t->len, -1, q, sizeof(q));
		fail_at(p, t->pos, "error unquoting string %s: invalid syntax", q);
	}
	return false;
}

/* ---- nodes ---- */

static struct promql_node *new_node(struct parser *p, enum promql_node_kind kind, int start)
{
	struct promql_node *n = alloc(p, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->start = start;
	n->height = 1;
	return n;
}

/* Record a child's height; false (error recorded) when the tree gets too deep. */
static bool adopt(struct parser *p, struct promql_node *parent, const struct promql_node *child)
{
	if (child && child->height + 1 > parent->height)
		parent->height = child->height + 1;
	if (parent->height > PROMQL_MAX_DEPTH) {
		fail_at(p, parent->start, "expression nesting too deep (more than %d levels)",
			PROMQL_MAX_DEPTH);
		return false;
	}
	return true;
}

/*
 * An arena array of n items of size bytes with room for one more: items
 * itself while n < *cap, else a copy with twice the room (4 at first) and
 * `spare` items beyond it.  NULL (out of memory recorded) on failure.
 */
static void *grow(struct parser *p, void *items, size_t n, size_t *cap, size_t size, size_t spare)
{
	if (n < *cap)
		return items;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *m = alloc(p, (ncap + spare) * size);
	if (!m)
		return NULL;
	if (n)
		memcpy(m, items, n * size);
	*cap = ncap;
	return m;
}

static bool push_label(struct parser *p, struct promql_labels *l, size_t *cap, const char *s,
		       size_t n)
{
	char **names = grow(p, l->names, l->n, cap, sizeof(*names), 0);
	if (!names)
		return false;
	l->names = names;
	char *d = dup_text(p, s, n);
	if (!d)
		return false;
	l->names[l->n++] = d;
	return true;
}

static bool is_label_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

/* Tokens yacc accepts as a label name in grouping lists. */
static bool is_maybe_label(enum promql_tok t)
{
	switch (t) {
	case PROMQL_T_IDENTIFIER:
	case PROMQL_T_METRIC_IDENTIFIER:
	case PROMQL_T_BOOL:
	case PROMQL_T_BY:
	case PROMQL_T_GROUP_LEFT:
	case PROMQL_T_GROUP_RIGHT:
	case PROMQL_T_IGNORING:
	case PROMQL_T_LAND:
	case PROMQL_T_LOR:
	case PROMQL_T_LUNLESS:
	case PROMQL_T_OFFSET:
	case PROMQL_T_ON:
	case PROMQL_T_START:
	case PROMQL_T_END:
	case PROMQL_T_ATAN2:
		return true;
	default:
		return promql_tok_is_aggregator(t);
	}
}

/* Tokens that may name a metric at the start of an expression. */
static bool is_metric_identifier(enum promql_tok t)
{
	switch (t) {
	case PROMQL_T_IDENTIFIER:
	case PROMQL_T_METRIC_IDENTIFIER:
	case PROMQL_T_BY:
	case PROMQL_T_LAND:
	case PROMQL_T_LOR:
	case PROMQL_T_LUNLESS:
	case PROMQL_T_OFFSET:
	case PROMQL_T_WITHOUT:
	case PROMQL_T_START:
	case PROMQL_T_END:
		return true;
	default:
		return promql_tok_is_aggregator(t);
	}
}

static bool starts_expr(enum promql_tok t)
{
	return is_metric_identifier(t) || t == PROMQL_T_NUMBER || t == PROMQL_T_STRING ||
	       t == PROMQL_T_LEFT_PAREN || t == PROMQL_T_LEFT_BRACE || t == PROMQL_T_ADD ||
	       t == PROMQL_T_SUB;
}

static int binop_prec(enum promql_tok t)
{
	switch (t) {
	case PROMQL_T_LOR:
		return PREC_OR;
	case PROMQL_T_LAND:
	case PROMQL_T_LUNLESS:
		return PREC_AND;
	case PROMQL_T_EQLC:
	case PROMQL_T_NEQ:
	case PROMQL_T_LTE:
	case PROMQL_T_LSS:
	case PROMQL_T_GTE:
	case PROMQL_T_GTR:
		return PREC_CMP;
	case PROMQL_T_ADD:
	case PROMQL_T_SUB:
		return PREC_ADD;
	case PROMQL_T_MUL:
	case PROMQL_T_DIV:
	case PROMQL_T_MOD:
	case PROMQL_T_ATAN2:
		return PREC_MUL;
	case PROMQL_T_POW:
		return PREC_POW;
	default:
		return -1;
	}
}

static struct promql_node *parse_expr(struct parser *p, int min_prec);

/* "(" label, ... ")" of by/without/on/ignoring/group_left/group_right. */
static bool parse_grouping(struct parser *p, struct promql_labels *out)
{
	size_t cap = 0;
	out->names = NULL;
	out->n = 0;
	if (!expect(p, PROMQL_T_LEFT_PAREN, "grouping opts", "\"(\"", NULL))
		return false;
	if (accept(p, PROMQL_T_RIGHT_PAREN))
		return !p->failed;
	for (int more = 1; more;) {
		const struct promql_token *t = peek(p);
		if (p->failed)
			return false;
		if (!is_maybe_label(t->type)) {
			unexpected(p, "grouping opts", "label");
			return false;
		}
		struct promql_token lt = consume(p);
		if (!is_label_name(p->in + lt.pos, (size_t)lt.len)) {
			unexpected_tok(p, &lt, "grouping opts", "label");
			return false;
		}
		if (!push_label(p, out, &cap, p->in + lt.pos, (size_t)lt.len))
			return false;
		more = list_next(p, PROMQL_T_RIGHT_PAREN, "grouping opts", "\",\" or \")\"");
		if (more < 0)
			return false;
	}
	return !p->failed;
}

/* "(" args ")" of a function call or aggregation. */
static bool parse_call_args(struct parser *p, struct promql_node ***args, size_t *nargs)
{
	size_t cap = 0;
	*args = NULL;
	*nargs = 0;
	consume(p); /* ( */
	if (accept(p, PROMQL_T_RIGHT_PAREN))
		return !p->failed;
	for (;;) {
		struct promql_node *arg = parse_expr(p, PREC_NONE);
		if (!arg)
			return false;
		struct promql_node **a = grow(p, *args, *nargs, &cap, sizeof(*a), 0);
		if (!a)
			return false;
		*args = a;
		(*args)[(*nargs)++] = arg;
		const struct promql_token *t = peek(p);
		if (t->type == PROMQL_T_COMMA) {
			struct promql_token comma = consume(p);
			t = peek(p);
			if (p->failed)
				return false;
			if (!starts_expr(t->type)) {
				fail_at(p, comma.pos,
					"trailing commas not allowed in function call args");
				return false;
			}
			continue;
		}
		if (accept(p, PROMQL_T_RIGHT_PAREN))
			break;
		unexpected_expr(p);
		return false;
	}
	return !p->failed;
}

static struct promql_node *parse_aggregation(struct parser *p, struct promql_token op)
{
	struct promql_node *n = new_node(p, PROMQL_AGGREGATE, op.pos);
	struct promql_node **args = NULL;
	size_t nargs = 0;
	if (!n)
		return NULL;
	n->agg.op = op.type;
	p->agg_depth++;
	bool modifier_first = at(p, PROMQL_T_BY) || at(p, PROMQL_T_WITHOUT);
	if (modifier_first) {
		n->agg.without = consume(p).type == PROMQL_T_WITHOUT;
		if (!parse_grouping(p, &n->agg.grouping))
			goto fail;
		if (!at(p, PROMQL_T_LEFT_PAREN)) {
			unexpected(p, "aggregation", "");
			goto fail;
		}
	}
	if (!parse_call_args(p, &args, &nargs))
		goto fail;
	if (!modifier_first && (at(p, PROMQL_T_BY) || at(p, PROMQL_T_WITHOUT))) {
		n->agg.without = consume(p).type == PROMQL_T_WITHOUT;
		if (!parse_grouping(p, &n->agg.grouping))
			goto fail;
	}
	p->agg_depth--;
	n->end = p->last_closing;
	if (nargs == 0) {
		fail_at(p, n->start, "no arguments for aggregate expression provided");
		return NULL;
	}
	bool with_param = op.type == PROMQL_T_TOPK || op.type == PROMQL_T_BOTTOMK ||
			  op.type == PROMQL_T_COUNT_VALUES || op.type == PROMQL_T_QUANTILE;
	size_t want = with_param ? 2 : 1;
	if (nargs != want) {
		fail_at(p, n->start,
			"wrong number of arguments for aggregate expression provided, expected "
			"%zu, got %zu",
			want, nargs);
		return NULL;
	}
	if (with_param)
		n->agg.param = args[0];
	n->agg.expr = args[want - 1];
	if (!adopt(p, n, n->agg.expr) || !adopt(p, n, n->agg.param))
		return NULL;
	return n;
fail:
	p->agg_depth--;
	return NULL;
}

/* Error helpers with big buffers stay out of the recursive functions' frames. */
static __attribute__((noinline)) void *fail_unknown_function(struct parser *p,
							     const struct promql_token *name)
{
	char q[300];
	promql_go_quote(p->in + name->pos, (size_t)name->len, -1, q, sizeof(q));
	fail_at(p, name->pos, "unknown function with name %s", q);
	return NULL;
}

static struct promql_node *parse_call(struct parser *p, struct promql_token name)
{
	struct promql_node *n = new_node(p, PROMQL_CALL, name.pos);
	if (!n)
		return NULL;
	if (!parse_call_args(p, &n->call.args, &n->call.nargs))
		return NULL;
	n->end = p->last_closing;
	n->call.func = promql_function_lookup(p->in + name.pos, (size_t)name.len);
	if (!n->call.func)
		return fail_unknown_function(p, &name);
	for (size_t i = 0; i < n->call.nargs; i++)
		if (!adopt(p, n, n->call.args[i]))
			return NULL;
	return n;
}

/* Go's regexp/syntax parseInt: digits without leading zeros; -1 when too big. */
static size_t re2_int(const char *p, long *v)
{
	size_t i = 0;
	if (p[0] < '0' || p[0] > '9')
		return 0;
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return 0;
	*v = 0;
	for (; p[i] >= '0' && p[i] <= '9'; i++) {
		if (*v >= 100000000)
			*v = -1;
		else if (*v >= 0)
			*v = *v * 10 + (p[i] - '0');
	}
	return i;
}

/* A {n}, {n,} or {n,m} repeat at p: its length, or 0 when "{" is a literal. */
static size_t re2_repeat(const char *p, long *lo, long *hi)
{
	size_t i = 1, k;
	if ((k = re2_int(p + i, lo)) == 0)
		return 0;
	i += k;
	*hi = *lo;
	if (p[i] == ',') {
		i++;
		if (p[i] == '}') {
			*hi = -1;
		} else {
			if ((k = re2_int(p + i, hi)) == 0)
				return 0;
			i += k;
			if (*hi < 0)
				*lo = -1;
		}
	}
	return p[i] == '}' ? i + 1 : 0;
}

static bool re2_posix_class(const char *name, size_t n)
{
	static const char *const names[] = {"alnum", "alpha", "ascii", "blank", "cntrl",
					    "digit", "graph", "lower", "print", "punct",
					    "space", "upper", "word",  "xdigit"};
	if (n && name[0] == '^')
		name++, n--;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return true;
	return false;
}

struct re2_check {
	const char *s; /* the pattern followed by the ")$" Prometheus appends */
	size_t n;
	const char *pat;
	bool anchored; /* checking "^(?:" pat ")$" rather than pat */
	char *err;
	size_t errlen;
};

static bool re2_fail(struct re2_check *c, const char *code, const char *snip, size_t len)
{
	snprintf(c->err, c->errlen, "error parsing regexp: %s: `%.*s`", code, (int)len, snip);
	return true;
}

static bool re2_fail_whole(struct re2_check *c, const char *code)
{
	if (c->anchored)
		snprintf(c->err, c->errlen, "error parsing regexp: %s: `^(?:%s)$`", code, c->pat);
	else
		snprintf(c->err, c->errlen, "error parsing regexp: %s: `%s`", code, c->pat);
	return true;
}

/*
 * An escape at s[*i] (a backslash): Go accepts octal (not a lone \1-\7),
 * \x hex, \a \f \n \r \t \v, class and assertion letters, \p{..}, \Q..\E
 * and escaped punctuation.  On success advances *i and sets *value (-1 for
 * escapes that are not a single character).
 */
/* Unicode class names Go 1.19's regexp knows: categories, "Any", scripts (Unicode 13). */
static bool re2_unicode_class(const char *name, size_t len)
{
	static const char *const names[] = {
		"Any",
		"C",
		"Cc",
		"Cf",
		"Co",
		"Cs",
		"L",
		"Ll",
		"Lm",
		"Lo",
		"Lt",
		"Lu",
		"M",
		"Mc",
		"Me",
		"Mn",
		"N",
		"Nd",
		"Nl",
		"No",
		"P",
		"Pc",
		"Pd",
		"Pe",
		"Pf",
		"Pi",
		"Po",
		"Ps",
		"S",
		"Sc",
		"Sk",
		"Sm",
		"So",
		"Z",
		"Zl",
		"Zp",
		"Zs",
		"Adlam",
		"Ahom",
		"Anatolian_Hieroglyphs",
		"Arabic",
		"Armenian",
		"Avestan",
		"Balinese",
		"Bamum",
		"Bassa_Vah",
		"Batak",
		"Bengali",
		"Bhaiksuki",
		"Bopomofo",
		"Brahmi",
		"Braille",
		"Buginese",
		"Buhid",
		"Canadian_Aboriginal",
		"Carian",
		"Caucasian_Albanian",
		"Chakma",
		"Cham",
		"Cherokee",
		"Chorasmian",
		"Common",
		"Coptic",
		"Cuneiform",
		"Cypriot",
		"Cyrillic",
		"Deseret",
		"Devanagari",
		"Dives_Akuru",
		"Dogra",
		"Duployan",
		"Egyptian_Hieroglyphs",
		"Elbasan",
		"Elymaic",
		"Ethiopic",
		"Georgian",
		"Glagolitic",
		"Gothic",
		"Grantha",
		"Greek",
		"Gujarati",
		"Gunjala_Gondi",
		"Gurmukhi",
		"Han",
		"Hangul",
		"Hanifi_Rohingya",
		"Hanunoo",
		"Hatran",
		"Hebrew",
		"Hiragana",
		"Imperial_Aramaic",
		"Inherited",
		"Inscriptional_Pahlavi",
		"Inscriptional_Parthian",
		"Javanese",
		"Kaithi",
		"Kannada",
		"Katakana",
		"Kayah_Li",
		"Kharoshthi",
		"Khitan_Small_Script",
		"Khmer",
		"Khojki",
		"Khudawadi",
		"Lao",
		"Latin",
		"Lepcha",
		"Limbu",
		"Linear_A",
		"Linear_B",
		"Lisu",
		"Lycian",
		"Lydian",
		"Mahajani",
		"Makasar",
		"Malayalam",
		"Mandaic",
		"Manichaean",
		"Marchen",
		"Masaram_Gondi",
		"Medefaidrin",
		"Meetei_Mayek",
		"Mende_Kikakui",
		"Meroitic_Cursive",
		"Meroitic_Hieroglyphs",
		"Miao",
		"Modi",
		"Mongolian",
		"Mro",
		"Multani",
		"Myanmar",
		"Nabataean",
		"Nandinagari",
		"New_Tai_Lue",
		"Newa",
		"Nko",
		"Nushu",
		"Nyiakeng_Puachue_Hmong",
		"Ogham",
		"Ol_Chiki",
		"Old_Hungarian",
		"Old_Italic",
		"Old_North_Arabian",
		"Old_Permic",
		"Old_Persian",
		"Old_Sogdian",
		"Old_South_Arabian",
		"Old_Turkic",
		"Oriya",
		"Osage",
		"Osmanya",
		"Pahawh_Hmong",
		"Palmyrene",
		"Pau_Cin_Hau",
		"Phags_Pa",
		"Phoenician",
		"Psalter_Pahlavi",
		"Rejang",
		"Runic",
		"Samaritan",
		"Saurashtra",
		"Sharada",
		"Shavian",
		"Siddham",
		"SignWriting",
		"Sinhala",
		"Sogdian",
		"Sora_Sompeng",
		"Soyombo",
		"Sundanese",
		"Syloti_Nagri",
		"Syriac",
		"Tagalog",
		"Tagbanwa",
		"Tai_Le",
		"Tai_Tham",
		"Tai_Viet",
		"Takri",
		"Tamil",
		"Tangut",
		"Telugu",
		"Thaana",
		"Thai",
		"Tibetan",
		"Tifinagh",
		"Tirhuta",
		"Ugaritic",
		"Vai",
		"Wancho",
		"Warang_Citi",
		"Yezidi",
		"Yi",
		"Zanabazar_Square",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return true;
	return false;
}

enum re2_escape_mode {
	RE2_ESC_TOP,	  /* outside classes: everything */
	RE2_ESC_CLASS,	  /* first char of a class item: no assertions or \Q */
	RE2_ESC_RANGE_HI, /* end of a range: single characters only */
};

static bool re2_escape(struct re2_check *c, size_t *i, long *value, bool *failed,
		       enum re2_escape_mode mode)
{
	const char *s = c->s;
	size_t j = *i + 1;
	*value = -1;
	*failed = false;
	if (j >= c->n) {
		*failed = re2_fail(c, "trailing backslash at end of expression", "", 0);
		return false;
	}
	char d = s[j];
	if (d >= '1' && d <= '7' && !(s[j + 1] >= '0' && s[j + 1] <= '7')) {
		*failed = re2_fail(c, "invalid escape sequence", s + *i, 2);
		return false;
	}
	if (d >= '0' && d <= '7') {
		long v = d - '0';
		j++;
		for (int k = 1; k < 3 && s[j] >= '0' && s[j] <= '7'; k++, j++)
			v = v * 8 + (s[j] - '0');
		*value = v;
		*i = j;
		return true;
	}
	if (d == 'x') {
		j++;
		if (s[j] == '{') {
			size_t k = j + 1;
			long v = 0;
			while (hex_digit((unsigned char)s[k]) >= 0 && v <= 0x10FFFF)
				v = v * 16 + hex_digit((unsigned char)s[k++]);
			if (k == j + 1 || s[k] != '}' || v > 0x10FFFF) {
				/* the snippet ends with the offending character */
				*failed = re2_fail(c, "invalid escape sequence", s + *i,
						   k - *i + (k < c->n ? 1 : 0));
				return false;
			}
			*value = v;
			*i = k + 1;
			return true;
		}
		if (hex_digit((unsigned char)s[j]) < 0 || hex_digit((unsigned char)s[j + 1]) < 0) {
			/* Go reads both characters before judging them */
			*failed = re2_fail(c, "invalid escape sequence", s + *i,
					   !s[j]       ? 2
					   : !s[j + 1] ? 3
						       : 4);
			return false;
		}
		*value = hex_digit((unsigned char)s[j]) * 16 + hex_digit((unsigned char)s[j + 1]);
		*i = j + 2;
		return true;
	}
	if (mode == RE2_ESC_RANGE_HI && d && strchr("dDsSwWpPAzbBQ", d)) {
		*failed = re2_fail(c, "invalid escape sequence", s + *i, 2);
		return false;
	}
	if (mode == RE2_ESC_CLASS && d && strchr("AzbBQ", d)) {
		*failed = re2_fail(c, "invalid escape sequence", s + *i, 2);
		return false;
	}
	if (d == 'p' || d == 'P') {
		/* Go knows the categories, "Any" and its scripts, nothing else */
		j++;
		const char *name = s + j;
		size_t len = 0;
		if (s[j] == '{') {
			const char *e = strchr(s + j, '}');
			if (!e) {
				*failed = re2_fail(c, "invalid character class range", s + *i,
						   c->n - *i);
				return false;
			}
			name = s + j + 1;
			len = (size_t)(e - name);
			j = (size_t)(e - s) + 1;
		} else if (j < c->n) {
			int w;
			promql_utf8_decode(s + j, c->n - j, &w);
			len = (size_t)w;
			j += (size_t)w;
		}
		if (len && name[0] == '^')
			name++, len--;
		if (!re2_unicode_class(name, len)) {
			*failed = re2_fail(c, "invalid character class range", s + *i, j - *i);
			return false;
		}
		*i = j;
		return true;
	}
	if (d == 'Q') {
		const char *e = strstr(s + j + 1, "\\E");
		*i = e ? (size_t)(e - s) + 2 : c->n;
		return true;
	}
	static const char simple[] = "afnrtv";
	static const char *const values = "\a\f\n\r\t\v";
	const char *k = strchr(simple, d);
	if (k && d) {
		*value = values[k - simple];
		*i = j + 1;
		return true;
	}
	if (d && strchr("dDsSwWAzbB", d)) {
		*i = j + 1;
		return true;
	}
	if ((unsigned char)d < 0x80 &&
	    !((d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z'))) {
		*value = (unsigned char)d;
		*i = j + 1;
		return true;
	}
	int w;
	if (promql_utf8_decode(s + j, c->n - j, &w) == 0xFFFD && w == 1) {
		*failed = re2_fail(c, "invalid UTF-8", s + j, c->n - j);
		return false;
	}
	*failed = re2_fail(c, "invalid escape sequence", s + *i, 1 + (size_t)w);
	return false;
}

/* A character of a class at s[*i]: its code point, or -1 for \d-like escapes. */
static bool re2_class_char(struct re2_check *c, size_t *i, long *value, bool *failed,
			   enum re2_escape_mode mode)
{
	if (c->s[*i] == '\\')
		return re2_escape(c, i, value, failed, mode);
	int w;
	*value = promql_utf8_decode(c->s + *i, c->n - *i, &w);
	if (*value == 0xFFFD && w == 1) {
		*failed = re2_fail(c, "invalid UTF-8", c->s + *i, c->n - *i);
		return false;
	}
	*i += (size_t)w;
	*failed = false;
	return true;
}

/* A bracketed class starting at s[*i]; true when it has an error (reported). */
static bool re2_class(struct re2_check *c, size_t *i)
{
	const char *s = c->s;
	size_t start = *i, j = *i + 1;
	bool first = true, failed;
	if (s[j] == '^')
		j++;
	while (j < c->n && (s[j] != ']' || first)) {
		first = false;
		if (s[j] == '[' && s[j + 1] == ':') {
			const char *e = strstr(s + j + 2, ":]");
			if (e) {
				size_t end = (size_t)(e - s) + 2;
				if (!re2_posix_class(s + j + 2, (size_t)(e - s) - j - 2))
					return re2_fail(c, "invalid character class range", s + j,
							end - j);
				j = end;
				continue;
			}
		}
		size_t item = j;
		long lo, hi;
		if (!re2_class_char(c, &j, &lo, &failed, RE2_ESC_CLASS))
			return failed;
		if (lo < 0)
			continue;
		if (j + 1 < c->n && s[j] == '-' && s[j + 1] != ']') {
			j++;
			if (!re2_class_char(c, &j, &hi, &failed, RE2_ESC_RANGE_HI))
				return failed;
			if (hi >= 0 && hi < lo)
				return re2_fail(c, "invalid character class range", s + item,
						j - item);
		}
	}
	if (j >= c->n)
		return re2_fail(c, "missing closing ]", s + start, c->n - start);
	*i = j + 1;
	return false;
}

/*
 * Report, in the words of Go's regexp/syntax, the first error Go finds in
 * the label matcher pattern pat, which Prometheus compiles as "^(?:" pat
 * ")$": unbalanced parentheses and brackets, bad repetitions and escapes,
 * bad class ranges and the Perl syntax RE2 lacks.  PCRE2 judges whatever
 * passes here.
 */
static bool re2_check_pattern(const char *pat, bool anchored, char *err, size_t errlen)
{
	size_t plen = strlen(pat);
	char *s = malloc(plen + 3);
	if (!s)
		return false;
	memcpy(s, pat, plen);
	memcpy(s + plen, anchored ? ")$" : "", anchored ? 3 : 1);
	struct re2_check c = {s, plen + (anchored ? 2 : 0), pat, anchored, err, errlen};
	int depth = anchored ? 1 : 0; /* the (?: Prometheus opens */
	bool repeatable = false, failed = false;
	size_t last_rep = (size_t)-1;
	for (size_t i = 0; i < c.n && !failed;) {
		char ch = s[i];
		size_t oplen = 0;
		long lo = 0, hi = 0;
		if (ch == '*' || ch == '+' || ch == '?')
			oplen = 1;
		else if (ch == '{')
			oplen = re2_repeat(s + i, &lo, &hi);
		if (oplen) {
			size_t after = i + oplen;
			if (ch == '{' &&
			    (lo < 0 || lo > 1000 || hi > 1000 || (hi >= 0 && lo > hi))) {
				failed = re2_fail(&c, "invalid repeat count", s + i, oplen);
				break;
			}
			if (after < c.n && s[after] == '?')
				after++; /* non-greedy */
			if (last_rep != (size_t)-1) {
				failed = re2_fail(&c, "invalid nested repetition operator",
						  s + last_rep, after - last_rep);
				break;
			}
			if (!repeatable) {
				failed = re2_fail(&c, "missing argument to repetition operator",
						  s + i, after - i);
				break;
			}
			last_rep = i;
			i = after;
			continue;
		}
		last_rep = (size_t)-1;
		switch (ch) {
		case '\\': {
			long v;
			if (!re2_escape(&c, &i, &v, &failed, RE2_ESC_TOP))
				break; /* re2_escape reported the error */
			repeatable = true;
			continue;
		}
		case '[':
			if (re2_class(&c, &i)) {
				failed = true;
				break;
			}
			repeatable = true;
			continue;
		case '(':
			if (s[i + 1] == '?') {
				size_t j = i + 2;
				if (s[j] == 'P' && s[j + 1] == '<') {
					const char *gt = strchr(s + j, '>');
					if (!gt) {
						failed = re2_fail(&c, "invalid named capture",
								  s + i, c.n - i);
						break;
					}
					size_t e = (size_t)(gt - s);
					bool ok = e > j + 2;
					for (size_t k = j + 2; k < e; k++)
						if (!(s[k] == '_' || (s[k] >= '0' && s[k] <= '9') ||
						      (s[k] >= 'a' && s[k] <= 'z') ||
						      (s[k] >= 'A' && s[k] <= 'Z')))
							ok = false;
					if (!ok) {
						failed = re2_fail(&c, "invalid named capture",
								  s + i, e + 1 - i);
						break;
					}
					depth++;
					repeatable = false;
					i = e + 1;
					continue;
				}
				/* flags as Go reads them: one "-", and a flag after it */
				bool neg = false, saw = false, bad = false;
				for (;; j++) {
					char f = s[j];
					if (f && strchr("imsU", f)) {
						saw = true;
					} else if (f == '-' && !neg) {
						neg = true;
						saw = false;
					} else if ((f == ':' || f == ')') && (!neg || saw)) {
						break;
					} else {
						bad = true;
						break;
					}
				}
				if (bad) {
					failed = re2_fail(&c, "invalid or unsupported Perl syntax",
							  s + i, j - i + (s[j] ? 1 : 0));
					break;
				}
				if (s[j] == ')') {
					/* (?i) sets flags, opens nothing */
					i = j + 1;
					repeatable = false;
					continue;
				}
				i = j + 1;
			} else {
				i++;
			}
			depth++;
			repeatable = false;
			continue;
		case ')':
			if (depth == 0) {
				failed = re2_fail_whole(&c, "unexpected )");
				break;
			}
			depth--;
			repeatable = true;
			break;
		case '|':
			repeatable = false;
			break;
		default:
			repeatable = true;
			break;
		}
		if (failed)
			break;
		int w;
		if (promql_utf8_decode(s + i, c.n - i, &w) == 0xFFFD && w == 1) {
			failed = re2_fail(&c, "invalid UTF-8", s + i, c.n - i);
			break;
		}
		i += (size_t)w;
	}
	if (!failed && depth > 0)
		failed = re2_fail_whole(&c, "missing closing )");
	free(s);
	return failed;
}

/*
 * Prometheus compiles "^(?:" pat ")$" and then parses pat alone (for its
 * fast-path matchers), so a pattern such as "a)(b" passes the first and
 * fails the second.
 */
static bool re2_syntax_error(const char *pat, char *err, size_t errlen)
{
	return re2_check_pattern(pat, true, err, errlen) ||
	       re2_check_pattern(pat, false, err, errlen);
}

/*
 * Rewrite a pattern Go accepts into one PCRE2 reads the same way: a
 * quantified assertion ("^*", "$+", "\b?") becomes "(?:^)*"; a "-" after a
 * class escape ("[\d-z]", a literal "-" in Go) is escaped; a "{" Go takes
 * literally ("a{0,01}": no leading zeros in Go's counts) is escaped.
 * Returns a malloc'd string, or NULL on out-of-memory.
 */
static char *re2_to_pcre(const char *pat)
{
	size_t n = strlen(pat);
	char *o = malloc(n * 5 + 1); /* "^" becomes "(?:^)" */
	if (!o)
		return NULL;
	size_t k = 0;
	bool in_class = false;
	for (size_t i = 0; i < n; i++) {
		char ch = pat[i];
		if (ch == '\\' && i + 1 < n) {
			char d = pat[i + 1];
			bool wrap = !in_class && strchr("bBAz", d) && pat[i + 2] &&
				    strchr("*+?{", pat[i + 2]);
			if (wrap)
				k += (size_t)sprintf(o + k, "(?:");
			o[k++] = ch;
			o[k++] = d;
			if (wrap)
				o[k++] = ')';
			i++;
			if ((d == 'p' || d == 'P' || d == 'x') && pat[i + 1] == '{') {
				/* \p{Greek}, \x{41}: copy through the brace */
				while (i + 1 < n && pat[i] != '}')
					o[k++] = pat[++i];
				continue;
			}
			if (d == 'Q') {
				/* quoted text up to \E is literal in both */
				const char *e = strstr(pat + i + 1, "\\E");
				size_t end = e ? (size_t)(e - pat) + 2 : n;
				memcpy(o + k, pat + i + 1, end - i - 1);
				k += end - i - 1;
				i = end - 1;
				continue;
			}
			if (in_class && strchr("dDsSwW", d) && pat[i + 1] == '-' &&
			    pat[i + 2] != ']') {
				o[k++] = '\\';
				o[k++] = '-';
				i++;
			}
			continue;
		}
		if (!in_class && ch == '[') {
			in_class = true;
			o[k++] = ch;
			if (pat[i + 1] == '^')
				o[k++] = pat[++i];
			if (pat[i + 1] == ']')
				o[k++] = pat[++i];
			continue;
		}
		if (in_class && ch == ']')
			in_class = false;
		if (!in_class && (ch == '^' || ch == '$') && pat[i + 1] &&
		    strchr("*+?{", pat[i + 1])) {
			k += (size_t)sprintf(o + k, "(?:%c)", ch);
			continue;
		}
		if (!in_class && ch == '{') {
			long lo, hi;
			if (re2_repeat(pat + i, &lo, &hi) == 0)
				o[k++] = '\\';
		}
		o[k++] = ch;
	}
	o[k] = '\0';
	return o;
}

static __attribute__((noinline)) bool new_matcher(struct parser *p, struct promql_matcher *m,
						  struct promql_token name, enum promql_tok op,
						  struct promql_token value)
{
	m->name = dup_text(p, p->in + name.pos, (size_t)name.len);
	if (!m->name || !string_value(p, &value, &m->value, &m->value_len))
		return false;
	switch (op) {
	case PROMQL_T_EQL:
		m->type = PROMQL_MATCH_EQUAL;
		return true;
	case PROMQL_T_NEQ:
		m->type = PROMQL_MATCH_NOT_EQUAL;
		return true;
	case PROMQL_T_EQL_REGEX:
		m->type = PROMQL_MATCH_REGEXP;
		break;
	default:
		m->type = PROMQL_MATCH_NOT_REGEXP;
		break;
	}
	char err[4096];
	bool bad = re2_syntax_error(m->value, err, sizeof(err));
	if (!bad) {
		char *pcre = re2_to_pcre(m->value);
		if (!pcre) {
			fail_oom(p);
			return false;
		}
		m->re = vregex_compile(pcre, true, err, sizeof(err));
		free(pcre);
		bad = m->re == NULL;
	}
	if (bad) {
		fail_at(p, name.pos, "%s", err);
		return false;
	}
	if (promql_arena_own_regex(p->arena, m->re) < 0) {
		m->re = NULL;
		fail_oom(p);
		return false;
	}
	return true;
}

/* "{" matchers "}"; appends to the selector node's matcher list. */
static bool parse_matchers(struct parser *p, struct promql_node *vs)
{
	size_t cap = 0;
	consume(p); /* { */
	for (int more = !accept(p, PROMQL_T_RIGHT_BRACE); more;) {
		struct promql_token name, value;
		if (!expect(p, PROMQL_T_IDENTIFIER, "label matching", "identifier or \"}\"", &name))
			return false;
		enum promql_tok op = peek(p)->type;
		if (op != PROMQL_T_EQL && op != PROMQL_T_NEQ && op != PROMQL_T_EQL_REGEX &&
		    op != PROMQL_T_NEQ_REGEX) {
			unexpected(p, "label matching", "label matching operator");
			return false;
		}
		consume(p);
		if (!expect(p, PROMQL_T_STRING, "label matching", "string", &value))
			return false;
		struct promql_matcher *m =
			grow(p, vs->vs.matchers, vs->vs.nmatchers, &cap, sizeof(*m), 1);
		if (!m)
			return false;
		vs->vs.matchers = m;
		if (!new_matcher(p, &vs->vs.matchers[vs->vs.nmatchers], name, op, value))
			return false;
		vs->vs.nmatchers++;
		more = list_next(p, PROMQL_T_RIGHT_BRACE, "label matching", "\",\" or \"}\"");
		if (more < 0)
			return false;
	}
	vs->end = p->last_closing;
	return !p->failed;
}

/* A vector selector; name is NULL for a bare "{...}". */
static struct promql_node *parse_selector(struct parser *p, const struct promql_token *name)
{
	int start = name ? name->pos : peek(p)->pos;
	struct promql_node *n = new_node(p, PROMQL_VECTOR_SELECTOR, start);
	if (!n)
		return NULL;
	n->vs.name = name ? dup_text(p, p->in + name->pos, (size_t)name->len) : dup_text(p, "", 0);
	if (!n->vs.name)
		return NULL;
	n->end = name ? name->pos + name->len : start;
	if (at(p, PROMQL_T_LEFT_BRACE)) {
		if (!parse_matchers(p, n))
			return NULL;
	} else if (!name) {
		return unexpected_expr(p);
	}
	if (name) {
		/* the metric name becomes the last matcher, as in Prometheus */
		size_t k = n->vs.nmatchers;
		struct promql_matcher *m = alloc(p, (k + 1) * sizeof(*m));
		if (!m)
			return NULL;
		if (k)
			memcpy(m, n->vs.matchers, k * sizeof(*m));
		m[k].type = PROMQL_MATCH_EQUAL;
		m[k].name = dup_text(p, "__name__", 8);
		m[k].value = n->vs.name;
		m[k].value_len = strlen(n->vs.name);
		if (!m[k].name)
			return NULL;
		n->vs.matchers = m;
		n->vs.nmatchers = k + 1;
	}
	return n;
}

static struct promql_at_offset *at_offset_of(struct parser *p, struct promql_node *e,
					     const char *what)
{
	switch (e->kind) {
	case PROMQL_VECTOR_SELECTOR:
		return &e->vs.at;
	case PROMQL_MATRIX_SELECTOR:
		return &e->matrix.vs->vs.at;
	case PROMQL_SUBQUERY:
		return &e->subquery.at;
	default:
		fail_at(p, e->start,
			"%s must be preceded by an instant vector selector or range vector "
			"selector or a subquery",
			what);
		return NULL;
	}
}

static __attribute__((noinline)) bool parse_offset(struct parser *p, struct promql_node *e)
{
	consume(p); /* offset */
	bool neg = accept(p, PROMQL_T_SUB);
	struct promql_token d;
	int64_t ms;
	if (!expect(p, PROMQL_T_DURATION, "offset", "duration", &d) || !duration_value(p, &d, &ms))
		return false;
	struct promql_at_offset *ao = at_offset_of(p, e, "offset modifier");
	if (!ao)
		return false;
	if (ao->offset_ms != 0) {
		fail_at(p, e->start, "offset may not be set multiple times");
		return false;
	}
	ao->offset_ms = neg ? -ms : ms;
	e->end = p->last_closing;
	return true;
}

/* The @ of e, or NULL (error recorded) when e cannot take one or has one already. */
static struct promql_at_offset *at_modifier_of(struct parser *p, struct promql_node *e)
{
	struct promql_at_offset *ao = at_offset_of(p, e, "@ modifier");
	if (ao && (ao->has_timestamp || ao->start_or_end)) {
		fail_at(p, e->start, "@ <timestamp> may not be set multiple times");
		return NULL;
	}
	return ao;
}

static __attribute__((noinline)) bool parse_at(struct parser *p, struct promql_node *e)
{
	consume(p); /* @ */
	const struct promql_token *t = peek(p);
	if (t->type == PROMQL_T_START || t->type == PROMQL_T_END) {
		enum promql_tok which = consume(p).type;
		if (!expect(p, PROMQL_T_LEFT_PAREN, "@", "timestamp", NULL) ||
		    !expect(p, PROMQL_T_RIGHT_PAREN, "@", "timestamp", NULL))
			return false;
		struct promql_at_offset *ao = at_modifier_of(p, e);
		if (!ao)
			return false;
		ao->start_or_end = which;
		e->end = p->last_closing;
		return true;
	}
	double sign = 1;
	if (t->type == PROMQL_T_ADD || t->type == PROMQL_T_SUB) {
		sign = consume(p).type == PROMQL_T_SUB ? -1 : 1;
		t = peek(p);
	}
	struct promql_token num;
	double ts;
	if (!expect(p, PROMQL_T_NUMBER, "@", "timestamp", &num) || !number_value(p, &num, &ts))
		return false;
	ts *= sign;
	if (isinf(ts) || isnan(ts) || ts >= 9223372036854775807.0 || ts <= -9223372036854775808.0) {
		char f[400];
		promql_go_format_f(ts, f, sizeof(f));
		fail_at(p, e->start, "timestamp out of bounds for @ modifier: %s", f);
		return false;
	}
	struct promql_at_offset *ao = at_modifier_of(p, e);
	if (!ao)
		return false;
	double r = round(ts * 1000.0);
	ao->has_timestamp = true;
	ao->timestamp_ms =
		(r >= 9223372036854775807.0 || r < -9223372036854775808.0) ? INT64_MIN : (int64_t)r;
	e->end = p->last_closing;
	return true;
}

/* "[" range "]" or "[" range ":" [step] "]" after e. */
static __attribute__((noinline)) struct promql_node *parse_brackets(struct parser *p,
								    struct promql_node *e)
{
	struct promql_token lb = consume(p), d;
	int64_t range;
	if (!expect(p, PROMQL_T_DURATION, "subquery selector", "duration", &d) ||
	    !duration_value(p, &d, &range))
		return NULL;
	const struct promql_token *t = peek(p);
	if (t->type == PROMQL_T_RIGHT_BRACKET) {
		consume(p);
		const char *msg = NULL;
		if (e->kind != PROMQL_VECTOR_SELECTOR)
			msg = "ranges only allowed for vector selectors";
		else if (e->vs.at.offset_ms != 0)
			msg = "no offset modifiers allowed before range";
		else if (e->vs.at.has_timestamp)
			msg = "no @ modifiers allowed before range";
		if (msg) {
			fail_at(p, lb.pos, "%s", msg);
			return NULL;
		}
		struct promql_node *m = new_node(p, PROMQL_MATRIX_SELECTOR, e->start);
		if (!m)
			return NULL;
		m->matrix.vs = e;
		m->matrix.range_ms = range;
		m->end = p->last_closing;
		return adopt(p, m, e) ? m : NULL;
	}
	if (t->type != PROMQL_T_COLON)
		return unexpected(p, "subquery or range", "\":\" or \"]\"");
	consume(p);
	int64_t step = 0;
	t = peek(p);
	if (t->type == PROMQL_T_DURATION) {
		struct promql_token sd = consume(p);
		if (!duration_value(p, &sd, &step))
			return NULL;
		if (!at(p, PROMQL_T_RIGHT_BRACKET))
			return unexpected(p, "subquery selector", "\"]\"");
	} else if (t->type != PROMQL_T_RIGHT_BRACKET) {
		return unexpected(p, "subquery selector", "duration or \"]\"");
	}
	struct promql_token rb = consume(p);
	struct promql_node *s = new_node(p, PROMQL_SUBQUERY, e->start);
	if (!s)
		return NULL;
	s->subquery.expr = e;
	s->subquery.range_ms = range;
	s->subquery.step_ms = step;
	s->end = rb.pos + 1;
	return adopt(p, s, e) ? s : NULL;
}

/* Ranges, subqueries, offset and @ bind to the expression just parsed. */
static struct promql_node *parse_postfix(struct parser *p, struct promql_node *e)
{
	while (e && !p->failed) {
		enum promql_tok t = peek(p)->type;
		if (t == PROMQL_T_LEFT_BRACKET)
			e = parse_brackets(p, e);
		else if (t == PROMQL_T_OFFSET)
			e = parse_offset(p, e) ? e : NULL;
		else if (t == PROMQL_T_AT)
			e = parse_at(p, e) ? e : NULL;
		else
			break;
	}
	return p->failed ? NULL : e;
}

static struct promql_node *parse_primary(struct parser *p)
{
	const struct promql_token *t = peek(p);
	if (p->failed)
		return NULL;
	switch (t->type) {
	case PROMQL_T_NUMBER: {
		struct promql_token num = consume(p);
		struct promql_node *n = new_node(p, PROMQL_NUMBER, num.pos);
		if (!n || !number_value(p, &num, &n->number))
			return NULL;
		n->end = num.pos + num.len;
		return n;
	}
	case PROMQL_T_STRING: {
		struct promql_token s = consume(p);
		struct promql_node *n = new_node(p, PROMQL_STRING, s.pos);
		if (!n || !string_value(p, &s, &n->string.s, &n->string.len))
			return NULL;
		n->end = s.pos + s.len;
		return n;
	}
	case PROMQL_T_LEFT_PAREN: {
		struct promql_token lp = consume(p);
		struct promql_node *n = new_node(p, PROMQL_PAREN, lp.pos);
		if (!n)
			return NULL;
		n->paren.expr = parse_expr(p, PREC_NONE);
		if (!n->paren.expr)
			return NULL;
		if (!at(p, PROMQL_T_RIGHT_PAREN))
			return unexpected_expr(p);
		struct promql_token rp = consume(p);
		n->end = rp.pos + 1;
		return adopt(p, n, n->paren.expr) ? n : NULL;
	}
	case PROMQL_T_LEFT_BRACE:
		return parse_selector(p, NULL);
	default:
		break;
	}
	if (!is_metric_identifier(t->type))
		return unexpected_expr(p);
	struct promql_token name = consume(p);
	enum promql_tok next = peek(p)->type;
	if (p->failed)
		return NULL;
	if (promql_tok_is_aggregator(name.type) &&
	    (next == PROMQL_T_LEFT_PAREN || next == PROMQL_T_BY || next == PROMQL_T_WITHOUT))
		return parse_aggregation(p, name);
	if (name.type == PROMQL_T_IDENTIFIER && next == PROMQL_T_LEFT_PAREN)
		return parse_call(p, name);
	return parse_selector(p, &name);
}

static struct promql_node *parse_unary(struct parser *p)
{
	enum promql_tok t = peek(p)->type;
	if (t == PROMQL_T_ADD || t == PROMQL_T_SUB) {
		struct promql_token op = consume(p);
		struct promql_node *e = parse_expr(p, PREC_POW);
		if (!e)
			return NULL;
		if (e->kind == PROMQL_NUMBER) {
			if (op.type == PROMQL_T_SUB)
				e->number = -e->number;
			e->start = op.pos;
			return e;
		}
		struct promql_node *n = new_node(p, PROMQL_UNARY, op.pos);
		if (!n)
			return NULL;
		n->unary.op = op.type;
		n->unary.expr = e;
		n->end = e->end;
		return adopt(p, n, e) ? n : NULL;
	}
	return parse_postfix(p, parse_primary(p));
}

static struct promql_node *parse_binary_rest(struct parser *p, struct promql_node *lhs,
					     int min_prec)
{
	for (;;) {
		enum promql_tok t = peek(p)->type;
		int prec = binop_prec(t);
		if (p->failed)
			return NULL;
		if (prec < 0 || prec < min_prec)
			return lhs;
		struct promql_token op = consume(p);
		struct promql_node *n = new_node(p, PROMQL_BINARY, lhs->start);
		if (!n)
			return NULL;
		n->bin.op = op.type;
		n->bin.lhs = lhs;
		n->bin.has_matching = true;
		n->bin.card = PROMQL_CARD_ONE_TO_ONE;
		n->bin.return_bool = accept(p, PROMQL_T_BOOL);
		if (at(p, PROMQL_T_ON) || at(p, PROMQL_T_IGNORING)) {
			n->bin.on = consume(p).type == PROMQL_T_ON;
			if (!parse_grouping(p, &n->bin.matching))
				return NULL;
			if (at(p, PROMQL_T_GROUP_LEFT) || at(p, PROMQL_T_GROUP_RIGHT)) {
				n->bin.card = consume(p).type == PROMQL_T_GROUP_LEFT
						      ? PROMQL_CARD_MANY_TO_ONE
						      : PROMQL_CARD_ONE_TO_MANY;
				/* group_left's label list is optional, but yacc only
				 * takes a following token as the right-hand side when
				 * it can start one */
				if (at(p, PROMQL_T_LEFT_PAREN) || !starts_expr(peek(p)->type)) {
					if (!parse_grouping(p, &n->bin.include))
						return NULL;
				}
			}
		}
		n->bin.rhs = parse_expr(p, op.type == PROMQL_T_POW ? prec : prec + 1);
		if (!n->bin.rhs)
			return NULL;
		n->end = n->bin.rhs->end;
		if (!adopt(p, n, lhs) || !adopt(p, n, n->bin.rhs))
			return NULL;
		lhs = n;
	}
}

static struct promql_node *parse_expr(struct parser *p, int min_prec)
{
	if (++p->depth > PROMQL_MAX_DEPTH) {
		fail_at(p, peek(p)->pos, "expression nesting too deep (more than %d levels)",
			PROMQL_MAX_DEPTH);
		p->depth--;
		return NULL;
	}
	struct promql_node *lhs = parse_unary(p);
	struct promql_node *e = lhs ? parse_binary_rest(p, lhs, min_prec) : NULL;
	p->depth--;
	return e;
}

/* ---- type checking (Prometheus's checkAST) ---- */

static enum promql_type check_node(struct parser *p, struct promql_node *n);

/* context: "aggregation ..." text, or a function name for "call to function". */
static void expect_type(struct parser *p, struct promql_node *n, enum promql_type want,
			const char *context)
{
	enum promql_type t = check_node(p, n);
	if (t == want)
		return;
	bool call = strncmp(context, "aggregation", 11) != 0;
	fail_at(p, n->start, "expected type %s in %s%s%s, got %s", promql_type_documented(want),
		call ? "call to function \"" : "", context, call ? "\"" : "",
		promql_type_documented(t));
}

/* Where the operator of a binary expression starts (Prometheus's opRange). */
static int op_pos(struct parser *p, const struct promql_node *n)
{
	int i = n->bin.lhs->end;
	while (i < p->n &&
	       (p->in[i] == ' ' || p->in[i] == '\t' || p->in[i] == '\n' || p->in[i] == '\r'))
		i++;
	return i;
}

static bool matches_empty(const struct promql_matcher *m)
{
	switch (m->type) {
	case PROMQL_MATCH_EQUAL:
		return m->value_len == 0;
	case PROMQL_MATCH_NOT_EQUAL:
		return m->value_len != 0;
	case PROMQL_MATCH_REGEXP:
		return m->re && vregex_match(m->re, "");
	default:
		return !(m->re && vregex_match(m->re, ""));
	}
}

static void check_binary(struct parser *p, struct promql_node *n)
{
	enum promql_type lt = check_node(p, n->bin.lhs);
	enum promql_type rt = check_node(p, n->bin.rhs);
	enum promql_tok op = n->bin.op;
	bool set_op = promql_tok_is_set_operator(op);
	if (n->bin.return_bool && !promql_tok_is_comparison(op))
		fail_at(p, op_pos(p, n), "bool modifier can only be used on comparison operators");
	if (promql_tok_is_comparison(op) && !n->bin.return_bool &&
	    promql_node_type(n->bin.rhs) == PROMQL_TYPE_SCALAR &&
	    promql_node_type(n->bin.lhs) == PROMQL_TYPE_SCALAR)
		fail_at(p, op_pos(p, n), "comparisons between scalars must use BOOL modifier");
	if (set_op && n->bin.card == PROMQL_CARD_ONE_TO_ONE)
		n->bin.card = PROMQL_CARD_MANY_TO_MANY;
	for (size_t i = 0; i < n->bin.matching.n; i++)
		for (size_t j = 0; j < n->bin.include.n; j++)
			if (n->bin.on &&
			    strcmp(n->bin.matching.names[i], n->bin.include.names[j]) == 0)
				fail_at(p, op_pos(p, n),
					"label \"%s\" must not occur in ON and GROUP clause at "
					"once",
					n->bin.matching.names[i]);
	if (lt != PROMQL_TYPE_SCALAR && lt != PROMQL_TYPE_VECTOR)
		fail_at(p, n->bin.lhs->start,
			"binary expression must contain only scalar and instant vector types");
	if (rt != PROMQL_TYPE_SCALAR && rt != PROMQL_TYPE_VECTOR)
		fail_at(p, n->bin.rhs->start,
			"binary expression must contain only scalar and instant vector types");
	if (lt != PROMQL_TYPE_VECTOR || rt != PROMQL_TYPE_VECTOR) {
		if (n->bin.has_matching && n->bin.matching.n > 0)
			fail_at(p, n->start,
				"vector matching only allowed between instant vectors");
		n->bin.has_matching = false;
	} else if (set_op) {
		if (n->bin.card == PROMQL_CARD_ONE_TO_MANY ||
		    n->bin.card == PROMQL_CARD_MANY_TO_ONE)
			fail_at(p, n->start, "no grouping allowed for \"%s\" operation",
				promql_tok_str(op));
		if (n->bin.card != PROMQL_CARD_MANY_TO_MANY)
			fail_at(p, n->start, "set operations must always be many-to-many");
	}
	if ((lt == PROMQL_TYPE_SCALAR || rt == PROMQL_TYPE_SCALAR) && set_op)
		fail_at(p, n->start, "set operator \"%s\" not allowed in binary scalar expression",
			promql_tok_str(op));
}

static void check_call(struct parser *p, struct promql_node *n)
{
	const struct promql_function *f = n->call.func;
	int nargs = f->nargs;
	int got = (int)n->call.nargs;
	if (f->variadic == 0) {
		if (nargs != got)
			fail_at(p, n->start, "expected %d argument(s) in call to \"%s\", got %d",
				nargs, f->name, got);
	} else {
		int na = nargs - 1;
		if (na > got)
			fail_at(p, n->start,
				"expected at least %d argument(s) in call to \"%s\", got %d", na,
				f->name, got);
		else if (f->variadic > 0 && na + f->variadic < got)
			fail_at(p, n->start,
				"expected at most %d argument(s) in call to \"%s\", got %d",
				na + f->variadic, f->name, got);
	}
	for (int i = 0; i < got; i++) {
		int k = i;
		if (k >= nargs) {
			if (f->variadic == 0)
				break;
			k = nargs - 1;
		}
		expect_type(p, n->call.args[i], f->arg_types[k], f->name);
	}
}

static __attribute__((noinline)) void fail_name_twice(struct parser *p, const struct promql_node *n,
						      const struct promql_matcher *m)
{
	char a[300], b[300];
	promql_go_quote(n->vs.name, strlen(n->vs.name), -1, a, sizeof(a));
	promql_go_quote(m->value, m->value_len, -1, b, sizeof(b));
	fail_at(p, n->start, "metric name must not be set twice: %s or %s", a, b);
}

static enum promql_type check_node(struct parser *p, struct promql_node *n)
{
	enum promql_type t = promql_node_type(n);
	switch (n->kind) {
	case PROMQL_AGGREGATE:
		expect_type(p, n->agg.expr, PROMQL_TYPE_VECTOR, "aggregation expression");
		if (n->agg.op == PROMQL_T_TOPK || n->agg.op == PROMQL_T_BOTTOMK ||
		    n->agg.op == PROMQL_T_QUANTILE)
			expect_type(p, n->agg.param, PROMQL_TYPE_SCALAR, "aggregation parameter");
		if (n->agg.op == PROMQL_T_COUNT_VALUES)
			expect_type(p, n->agg.param, PROMQL_TYPE_STRING, "aggregation parameter");
		break;
	case PROMQL_BINARY:
		check_binary(p, n);
		break;
	case PROMQL_CALL:
		check_call(p, n);
		break;
	case PROMQL_PAREN:
		check_node(p, n->paren.expr);
		break;
	case PROMQL_UNARY: {
		enum promql_type et = check_node(p, n->unary.expr);
		if (et != PROMQL_TYPE_SCALAR && et != PROMQL_TYPE_VECTOR)
			fail_at(p, n->start,
				"unary expression only allowed on expressions of type scalar or "
				"instant vector, got \"%s\"",
				promql_type_documented(et));
		break;
	}
	case PROMQL_SUBQUERY: {
		enum promql_type et = check_node(p, n->subquery.expr);
		if (et != PROMQL_TYPE_VECTOR)
			fail_at(p, n->start,
				"subquery is only allowed on instant vector, got %s instead",
				promql_type_name(et));
		break;
	}
	case PROMQL_MATRIX_SELECTOR:
		check_node(p, n->matrix.vs);
		break;
	case PROMQL_VECTOR_SELECTOR:
		if (n->vs.name[0]) {
			for (size_t i = 0; i + 1 < n->vs.nmatchers; i++) {
				const struct promql_matcher *m = &n->vs.matchers[i];
				if (strcmp(m->name, "__name__") == 0)
					fail_name_twice(p, n, m);
			}
			break;
		}
		bool non_empty = false;
		for (size_t i = 0; i < n->vs.nmatchers && !non_empty; i++)
			non_empty = !matches_empty(&n->vs.matchers[i]);
		if (!non_empty)
			fail_at(p, n->start,
				"vector selector must contain at least one non-empty matcher");
		break;
	case PROMQL_NUMBER:
	case PROMQL_STRING:
		break;
	}
	return t;
}

/* ---- entry point ---- */

static void format_error(struct parser *p, char *err, size_t errlen)
{
	int line = 1, last_break = -1;
	int pos = p->err_pos;
	if (pos < 0 || pos > p->n) {
		snprintf(err, errlen, "invalid position: parse error: %s", p->err);
		return;
	}
	for (int i = 0; i < pos; i++) {
		if (p->in[i] == '\n') {
			last_break = i;
			line++;
		}
	}
	snprintf(err, errlen, "%d:%d: parse error: %s", line, pos - last_break, p->err);
}

int promql_parse(const char *query, size_t len, struct promql_expr **out, char *err, size_t errlen)
{
	struct parser p;
	int rc = 0;
	memset(&p, 0, sizeof(p));
	*out = NULL;
	if (len > 0x7fffffff)
		len = 0x7fffffff;
	p.in = query;
	p.n = (int)len;
	promql_lexer_init(&p.lx, query, len);
	p.arena = promql_arena_new();
	struct promql_expr *e = calloc(1, sizeof(*e));
	if (!p.arena || !e) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	e->arena = p.arena;
	if (at(&p, PROMQL_T_EOF)) {
		fail_at(&p, 0, "no expression found in input");
	} else {
		e->root = parse_expr(&p, PREC_NONE);
		if (e->root && !at(&p, PROMQL_T_EOF))
			unexpected_expr(&p);
	}
	if (!p.failed && e->root)
		check_node(&p, e->root);
	if (p.failed) {
		rc = p.oom ? -ENOMEM : -EINVAL;
		if (p.oom)
			snprintf(err, errlen, "out of memory");
		else
			format_error(&p, err, errlen);
		goto out;
	}
	*out = e;
	return 0;
out:
	if (e)
		promql_expr_free(e);
	else
		promql_arena_free(p.arena);
	return rc;
}
