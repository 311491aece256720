// SPDX-License-Identifier: Apache-2.0
/*
 * PromQL lexer (see lexer.h).  A small state machine: each state consumes
 * input until it has produced one token, then names the state to resume in.
 * The states and their error messages follow Prometheus 2.42's lexer so that
 * "unexpected ..." errors quote the same tokens at the same positions.
 */
#include "server/promql/lexer.h"

#include "common/strutil.h"
#include "common/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum lex_state {
	ST_STATEMENTS,
	ST_INSIDE_BRACES,
	ST_STRING,
	ST_RAW_STRING,
	ST_ESCAPE,
	ST_SPACE,
	ST_COMMENT,
	ST_DURATION,
	ST_NUMBER_OR_DURATION,
	ST_IDENTIFIER,
	ST_KEYWORD_OR_IDENTIFIER,
	ST_STOP,
};

#define LEX_EOF	   (-1)
#define RUNE_ERROR 0xFFFD

static const struct {
	const char *word;
	enum promql_tok tok;
} keywords[] = {
	{"and", PROMQL_T_LAND},
	{"or", PROMQL_T_LOR},
	{"unless", PROMQL_T_LUNLESS},
	{"atan2", PROMQL_T_ATAN2},
	{"sum", PROMQL_T_SUM},
	{"avg", PROMQL_T_AVG},
	{"count", PROMQL_T_COUNT},
	{"min", PROMQL_T_MIN},
	{"max", PROMQL_T_MAX},
	{"group", PROMQL_T_GROUP},
	{"stddev", PROMQL_T_STDDEV},
	{"stdvar", PROMQL_T_STDVAR},
	{"topk", PROMQL_T_TOPK},
	{"bottomk", PROMQL_T_BOTTOMK},
	{"count_values", PROMQL_T_COUNT_VALUES},
	{"quantile", PROMQL_T_QUANTILE},
	{"offset", PROMQL_T_OFFSET},
	{"by", PROMQL_T_BY},
	{"without", PROMQL_T_WITHOUT},
	{"on", PROMQL_T_ON},
	{"ignoring", PROMQL_T_IGNORING},
	{"group_left", PROMQL_T_GROUP_LEFT},
	{"group_right", PROMQL_T_GROUP_RIGHT},
	{"bool", PROMQL_T_BOOL},
	{"start", PROMQL_T_START},
	{"end", PROMQL_T_END},
	{"inf", PROMQL_T_NUMBER},
	{"nan", PROMQL_T_NUMBER},
};

/* The text of the punctuation and operator tokens (keywords[] has the words). */
static const char *const tok_text[] = {
	[PROMQL_T_LEFT_PAREN] = "(",  [PROMQL_T_RIGHT_PAREN] = ")",  [PROMQL_T_LEFT_BRACE] = "{",
	[PROMQL_T_RIGHT_BRACE] = "}", [PROMQL_T_LEFT_BRACKET] = "[", [PROMQL_T_RIGHT_BRACKET] = "]",
	[PROMQL_T_COMMA] = ",",	      [PROMQL_T_EQL] = "=",	     [PROMQL_T_COLON] = ":",
	[PROMQL_T_SUB] = "-",	      [PROMQL_T_ADD] = "+",	     [PROMQL_T_MUL] = "*",
	[PROMQL_T_MOD] = "%",	      [PROMQL_T_DIV] = "/",	     [PROMQL_T_EQLC] = "==",
	[PROMQL_T_NEQ] = "!=",	      [PROMQL_T_LTE] = "<=",	     [PROMQL_T_LSS] = "<",
	[PROMQL_T_GTE] = ">=",	      [PROMQL_T_GTR] = ">",	     [PROMQL_T_EQL_REGEX] = "=~",
	[PROMQL_T_NEQ_REGEX] = "!~",  [PROMQL_T_POW] = "^",	     [PROMQL_T_AT] = "@",
};

const char *promql_tok_str(enum promql_tok t)
{
	if ((size_t)t < sizeof(tok_text) / sizeof(tok_text[0]) && tok_text[t])
		return tok_text[t];
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].tok == t && t != PROMQL_T_NUMBER)
			return keywords[i].word;
	return "";
}

bool promql_tok_is_operator(enum promql_tok t)
{
	return t > PROMQL_T_OPERATORS_START && t < PROMQL_T_OPERATORS_END;
}

bool promql_tok_is_aggregator(enum promql_tok t)
{
	return t > PROMQL_T_AGGREGATORS_START && t < PROMQL_T_AGGREGATORS_END;
}

bool promql_tok_is_comparison(enum promql_tok t)
{
	return t == PROMQL_T_EQLC || t == PROMQL_T_NEQ || t == PROMQL_T_LTE || t == PROMQL_T_LSS ||
	       t == PROMQL_T_GTE || t == PROMQL_T_GTR;
}

bool promql_tok_is_set_operator(enum promql_tok t)
{
	return t == PROMQL_T_LAND || t == PROMQL_T_LOR || t == PROMQL_T_LUNLESS;
}

/* ---- UTF-8 and Go quoting ---- */

int promql_utf8_decode(const char *str, size_t n, int *width)
{
	const unsigned char *s = (const unsigned char *)str;
	*width = 1;
	if (n == 0)
		return RUNE_ERROR;
	unsigned c = s[0];
	if (c < 0x80)
		return (int)c;
	int need;
	unsigned r, min;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1, r = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2, r = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3, r = c & 0x07, min = 0x10000;
	} else {
		return RUNE_ERROR;
	}
	if ((size_t)need >= n)
		return RUNE_ERROR;
	for (int i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return RUNE_ERROR;
		r = (r << 6) | (s[i] & 0x3F);
	}
	if (r < min || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
		return RUNE_ERROR;
	*width = need + 1;
	return (int)r;
}

/* An approximation of Go's unicode.IsPrint good for the ranges queries use. */
static bool go_is_print(int r)
{
	if (r < 0x20 || r == 0x7F)
		return false;
	if (r < 0x7F)
		return true;
	if (r < 0xA1 || r == 0xAD)
		return false;
	/* unassigned planes and the tag characters */
	if ((r > 0x3134A && r < 0xE0100) || r > 0xE01EF)
		return false;
	if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
	    (r >= 0x205F && r <= 0x206F) || r == 0x3000 || r == 0xFEFF ||
	    (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0xD800 && r <= 0xF8FF) || r == 0xFFFE ||
	    r == 0xFFFF || (r >= 0xE0000 && r <= 0xE007F) || r >= 0xF0000)
		return false;
	return true;
}

/* Go's one-letter escapes and the characters they stand for, in the same order. */
static const char go_escape_letters[] = "abfnrtv\\";
static const char go_escape_chars[] = "\a\b\f\n\r\t\v\\";

int promql_go_escape(int c)
{
	const char *p = c > 0 && c < 0x80 ? strchr(go_escape_letters, c) : NULL;
	return p ? go_escape_chars[p - go_escape_letters] : -1;
}

struct qout {
	char *out;
	size_t cap, len;
};

static void qput(struct qout *q, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (q->len + 1 < q->cap)
			q->out[q->len] = s[i];
		q->len++;
	}
}

static void qput_rune_escaped(struct qout *q, int r, int width, const char *raw, int quote)
{
	char tmp[16];
	if (r == RUNE_ERROR && width == 1) {
		snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned char)raw[0]);
		qput(q, tmp, 4);
		return;
	}
	if (r == quote || r == '\\') {
		tmp[0] = '\\', tmp[1] = (char)r;
		qput(q, tmp, 2);
		return;
	}
	if (go_is_print(r)) {
		if (raw) {
			qput(q, raw, (size_t)width);
		} else {
			size_t n = utf8_encode((uint32_t)r, tmp);
			qput(q, tmp, (size_t)n);
		}
		return;
	}
	const char *esc = r > 0 && r < 0x80 ? strchr(go_escape_chars, r) : NULL;
	if (esc) {
		tmp[0] = '\\', tmp[1] = go_escape_letters[esc - go_escape_chars];
		qput(q, tmp, 2);
		return;
	}
	int n;
	if (r < ' ' || r == 0x7F)
		n = snprintf(tmp, sizeof(tmp), "\\x%02x", r);
	else if (r < 0x10000)
		n = snprintf(tmp, sizeof(tmp), "\\u%04x", r);
	else
		n = snprintf(tmp, sizeof(tmp), "\\U%08x", r);
	qput(q, tmp, (size_t)n);
}

static size_t qfinish(struct qout *q)
{
	if (q->cap)
		q->out[q->len < q->cap ? q->len : q->cap - 1] = '\0';
	return q->len;
}

size_t promql_go_quote(const char *s, size_t n, long max_runes, char *out, size_t cap)
{
	struct qout q = {out, cap, 0};
	qput(&q, "\"", 1);
	size_t i = 0;
	long runes = 0;
	while (i < n && (max_runes < 0 || runes < max_runes)) {
		int w;
		int r = promql_utf8_decode(s + i, n - i, &w);
		qput_rune_escaped(&q, r, w, s + i, '"');
		i += (size_t)w;
		runes++;
	}
	qput(&q, "\"", 1);
	return qfinish(&q);
}

size_t promql_go_quote_rune(int r, char *out, size_t cap)
{
	struct qout q = {out, cap, 0};
	if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
		r = RUNE_ERROR;
	qput(&q, "'", 1);
	qput_rune_escaped(&q, r, 3, NULL, '\'');
	qput(&q, "'", 1);
	return qfinish(&q);
}

size_t promql_go_unicode(int r, char *out, size_t cap)
{
	char q[8];
	if (r >= 0 && go_is_print(r)) {
		/* fmt's %#U shows the rune itself between quotes, unescaped */
		struct qout o = {q, sizeof(q), 0};
		if (r < 0x80) {
			q[0] = (char)r;
			q[1] = '\0';
		} else {
			qput_rune_escaped(&o, r, 3, NULL, -1);
			qfinish(&o);
		}
		return (size_t)snprintf(out, cap, "U+%04X '%s'", (unsigned)r, q);
	}
	return (size_t)snprintf(out, cap, "U+%04X", (unsigned)r);
}

/* ---- the scanner ---- */

static bool is_space(int r)
{
	return r == ' ' || r == '\t' || r == '\n' || r == '\r';
}

static bool is_digit(int r)
{
	return r >= '0' && r <= '9';
}

static bool is_alpha(int r)
{
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
}

static bool is_alnum(int r)
{
	return is_alpha(r) || is_digit(r);
}

static int lx_next(struct promql_lexer *lx)
{
	if (lx->pos >= lx->n) {
		lx->width = 0;
		return LEX_EOF;
	}
	int w;
	int r = promql_utf8_decode(lx->in + lx->pos, (size_t)(lx->n - lx->pos), &w);
	lx->width = w;
	lx->pos += w;
	return r;
}

static void lx_backup(struct promql_lexer *lx)
{
	lx->pos -= lx->width;
}

static int lx_peek(struct promql_lexer *lx)
{
	int r = lx_next(lx);
	lx_backup(lx);
	return r;
}

static bool lx_accept(struct promql_lexer *lx, const char *valid)
{
	int r = lx_next(lx);
	if (r > 0 && r < 0x80 && strchr(valid, r))
		return true;
	lx_backup(lx);
	return false;
}

static void lx_accept_run(struct promql_lexer *lx, const char *valid)
{
	for (;;) {
		int r = lx_next(lx);
		if (!(r > 0 && r < 0x80 && strchr(valid, r)))
			break;
	}
	lx_backup(lx);
}

struct emit_ctx {
	struct promql_token *tok;
	bool scanned;
};

static void lx_emit(struct promql_lexer *lx, struct emit_ctx *e, enum promql_tok t)
{
	e->tok->type = t;
	e->tok->pos = lx->start;
	e->tok->len = lx->pos - lx->start;
	e->tok->msg = NULL;
	lx->start = lx->pos;
	e->scanned = true;
}

static int lx_errorf(struct promql_lexer *lx, struct emit_ctx *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int lx_errorf(struct promql_lexer *lx, struct emit_ctx *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lx->msg, sizeof(lx->msg), fmt, ap);
	va_end(ap);
	e->tok->type = PROMQL_T_ERROR;
	e->tok->pos = lx->start;
	e->tok->len = lx->pos - lx->start;
	e->tok->msg = lx->msg;
	e->scanned = true;
	return ST_STOP;
}

/* Go's %q of the input between start and pos. */
static const char *quoted_span(struct promql_lexer *lx, char *buf, size_t cap)
{
	promql_go_quote(lx->in + lx->start, (size_t)(lx->pos - lx->start), -1, buf, cap);
	return buf;
}

static const char *quoted_rune(int r, char *buf, size_t cap)
{
	promql_go_quote_rune(r, buf, cap);
	return buf;
}

/* Scan a number; true when what follows cannot continue it. */
static bool scan_number(struct promql_lexer *lx)
{
	const char *digits = "0123456789";
	if (lx_accept(lx, "0") && lx_accept(lx, "xX"))
		digits = "0123456789abcdefABCDEF";
	lx_accept_run(lx, digits);
	if (lx_accept(lx, "."))
		lx_accept_run(lx, digits);
	if (lx_accept(lx, "eE")) {
		lx_accept(lx, "+-");
		lx_accept_run(lx, "0123456789");
	}
	return !is_alnum(lx_peek(lx));
}

static bool accept_remaining_duration(struct promql_lexer *lx)
{
	if (!lx_accept(lx, "smhdwy"))
		return false;
	lx_accept(lx, "s");
	while (lx_accept(lx, "0123456789")) {
		while (lx_accept(lx, "0123456789"))
			;
		if (!lx_accept(lx, "smhdw"))
			return false;
		lx_accept(lx, "s");
	}
	return !is_alnum(lx_next(lx));
}

/* After a quote character r: the state that scans the string, else ST_STOP. */
static int string_start(struct promql_lexer *lx, int r)
{
	if (r != '"' && r != '\'' && r != '`')
		return ST_STOP;
	lx->string_open = r;
	return r == '`' ? ST_RAW_STRING : ST_STRING;
}

/* Characters that are a whole token by themselves outside braces. */
static const struct {
	char c;
	enum promql_tok tok;
} single_char_toks[] = {
	{',', PROMQL_T_COMMA}, {'*', PROMQL_T_MUL}, {'/', PROMQL_T_DIV}, {'%', PROMQL_T_MOD},
	{'+', PROMQL_T_ADD},   {'-', PROMQL_T_SUB}, {'^', PROMQL_T_POW}, {'@', PROMQL_T_AT},
};

/* The token a single character r makes outside braces, PROMQL_T_EOF for none. */
static enum promql_tok single_char_tok(int r)
{
	for (size_t i = 0; i < sizeof(single_char_toks) / sizeof(single_char_toks[0]); i++)
		if (single_char_toks[i].c == r)
			return single_char_toks[i].tok;
	return PROMQL_T_EOF;
}

/* After "<", ">" or "=": with_eq when an "=" follows (taken), else alone. */
static void lx_emit_maybe_eq(struct promql_lexer *lx, struct emit_ctx *e, enum promql_tok with_eq,
			     enum promql_tok alone)
{
	if (lx_peek(lx) == '=') {
		lx_next(lx);
		lx_emit(lx, e, with_eq);
	} else {
		lx_emit(lx, e, alone);
	}
}

static int st_statements(struct promql_lexer *lx, struct emit_ctx *e)
{
	char q[64];
	if (lx->brace_open)
		return ST_INSIDE_BRACES;
	if (lx->pos < lx->n && lx->in[lx->pos] == '#')
		return ST_COMMENT;
	int r = lx_next(lx);
	enum promql_tok single = single_char_tok(r);
	if (single != PROMQL_T_EOF) {
		lx_emit(lx, e, single);
		return ST_STATEMENTS;
	}
	int str = string_start(lx, r);
	if (str != ST_STOP)
		return str;
	switch (r) {
	case LEX_EOF:
		if (lx->paren_depth != 0)
			return lx_errorf(lx, e, "unclosed left parenthesis");
		if (lx->bracket_open)
			return lx_errorf(lx, e, "unclosed left bracket");
		lx_emit(lx, e, PROMQL_T_EOF);
		lx->done = true;
		return ST_STOP;
	case '=':
		if (lx_peek(lx) == '~')
			return lx_errorf(lx, e, "unexpected character after '=': %s",
					 quoted_rune('~', q, sizeof(q)));
		lx_emit_maybe_eq(lx, e, PROMQL_T_EQLC, PROMQL_T_EQL);
		break;
	case '!': {
		int t = lx_next(lx);
		if (t != '=')
			return lx_errorf(lx, e, "unexpected character after '!': %s",
					 quoted_rune(t, q, sizeof(q)));
		lx_emit(lx, e, PROMQL_T_NEQ);
		break;
	}
	case '<':
		lx_emit_maybe_eq(lx, e, PROMQL_T_LTE, PROMQL_T_LSS);
		break;
	case '>':
		lx_emit_maybe_eq(lx, e, PROMQL_T_GTE, PROMQL_T_GTR);
		break;
	case '(':
		lx_emit(lx, e, PROMQL_T_LEFT_PAREN);
		lx->paren_depth++;
		break;
	case ')':
		lx_emit(lx, e, PROMQL_T_RIGHT_PAREN);
		lx->paren_depth--;
		if (lx->paren_depth < 0)
			return lx_errorf(lx, e, "unexpected right parenthesis %s",
					 quoted_rune(r, q, sizeof(q)));
		break;
	case '{':
		lx_emit(lx, e, PROMQL_T_LEFT_BRACE);
		lx->brace_open = true;
		return ST_INSIDE_BRACES;
	case '[':
		if (lx->bracket_open)
			return lx_errorf(lx, e, "unexpected left bracket %s",
					 quoted_rune(r, q, sizeof(q)));
		lx->got_colon = false;
		lx_emit(lx, e, PROMQL_T_LEFT_BRACKET);
		while (is_space(lx_peek(lx)))
			lx_next(lx);
		lx->start = lx->pos;
		lx->bracket_open = true;
		return ST_DURATION;
	case ']':
		if (!lx->bracket_open)
			return lx_errorf(lx, e, "unexpected right bracket %s",
					 quoted_rune(r, q, sizeof(q)));
		lx_emit(lx, e, PROMQL_T_RIGHT_BRACKET);
		lx->bracket_open = false;
		break;
	default:
		if (is_space(r))
			return ST_SPACE;
		if (is_digit(r) || (r == '.' && is_digit(lx_peek(lx)))) {
			lx_backup(lx);
			return ST_NUMBER_OR_DURATION;
		}
		if (is_alpha(r) || r == ':') {
			if (!lx->bracket_open) {
				lx_backup(lx);
				return ST_KEYWORD_OR_IDENTIFIER;
			}
			if (lx->got_colon)
				return lx_errorf(lx, e, "unexpected colon %s",
						 quoted_rune(r, q, sizeof(q)));
			lx_emit(lx, e, PROMQL_T_COLON);
			lx->got_colon = true;
			break;
		}
		return lx_errorf(lx, e, "unexpected character: %s", quoted_rune(r, q, sizeof(q)));
	}
	return ST_STATEMENTS;
}

static int st_inside_braces(struct promql_lexer *lx, struct emit_ctx *e)
{
	char q[64];
	if (lx->pos < lx->n && lx->in[lx->pos] == '#')
		return ST_COMMENT;
	int r = lx_next(lx);
	int str = string_start(lx, r);
	if (str != ST_STOP)
		return str;
	switch (r) {
	case LEX_EOF:
		return lx_errorf(lx, e, "unexpected end of input inside braces");
	case ',':
		lx_emit(lx, e, PROMQL_T_COMMA);
		break;
	case '=':
		if (lx_next(lx) == '~') {
			lx_emit(lx, e, PROMQL_T_EQL_REGEX);
			break;
		}
		lx_backup(lx);
		lx_emit(lx, e, PROMQL_T_EQL);
		break;
	case '!': {
		int nr = lx_next(lx);
		if (nr == '~')
			lx_emit(lx, e, PROMQL_T_NEQ_REGEX);
		else if (nr == '=')
			lx_emit(lx, e, PROMQL_T_NEQ);
		else
			return lx_errorf(lx, e, "unexpected character after '!' inside braces: %s",
					 quoted_rune(nr, q, sizeof(q)));
		break;
	}
	case '{':
		return lx_errorf(lx, e, "unexpected left brace %s", quoted_rune(r, q, sizeof(q)));
	case '}':
		lx_emit(lx, e, PROMQL_T_RIGHT_BRACE);
		lx->brace_open = false;
		return ST_STATEMENTS;
	default:
		if (is_space(r))
			return ST_SPACE;
		if (is_alpha(r)) {
			lx_backup(lx);
			return ST_IDENTIFIER;
		}
		return lx_errorf(lx, e, "unexpected character inside braces: %s",
				 quoted_rune(r, q, sizeof(q)));
	}
	return ST_INSIDE_BRACES;
}

static int st_escape(struct promql_lexer *lx, struct emit_ctx *e)
{
	char u[64];
	int n;
	unsigned base, max;
	int ch = lx_next(lx);
	if (promql_go_escape(ch) >= 0)
		return ST_STRING;
	if (ch >= '0' && ch <= '7') {
		n = 3, base = 8, max = 255;
	} else if (ch == 'x' || ch == 'u' || ch == 'U') {
		/* \xHH, \uHHHH, \UHHHHHHHH */
		n = ch == 'x' ? 2 : ch == 'u' ? 4 : 8;
		base = 16, max = ch == 'x' ? 255 : 0x10FFFF;
		ch = lx_next(lx);
	} else if (ch == LEX_EOF) {
		return lx_errorf(lx, e, "escape sequence not terminated");
	} else {
		if (ch == lx->string_open)
			return ST_STRING;
		promql_go_unicode(ch, u, sizeof(u));
		return lx_errorf(lx, e, "unknown escape sequence %s", u);
	}
	unsigned x = 0;
	while (n > 0) {
		unsigned d = (unsigned)hex_digit(ch);
		if (d >= base) {
			if (ch == LEX_EOF)
				return lx_errorf(lx, e, "escape sequence not terminated");
			promql_go_unicode(ch, u, sizeof(u));
			return lx_errorf(lx, e, "illegal character %s in escape sequence", u);
		}
		x = x * base + d;
		n--;
		if (n > 0)
			ch = lx_next(lx);
	}
	if (x > max || (x >= 0xD800 && x < 0xE000))
		return lx_errorf(lx, e, "escape sequence is an invalid Unicode code point");
	return ST_STRING;
}

/* The rest of a string up to its closing quote; raw (`...`) has no escapes and may span lines. */
static int scan_string(struct promql_lexer *lx, struct emit_ctx *e, bool raw)
{
	for (;;) {
		int r = lx_next(lx);
		if (!raw && r == '\\')
			return ST_ESCAPE;
		if (r == RUNE_ERROR)
			return lx_errorf(lx, e, "invalid UTF-8 rune");
		if (r == LEX_EOF || (!raw && r == '\n'))
			return lx_errorf(lx, e,
					 raw ? "unterminated raw string"
					     : "unterminated quoted string");
		if (r == lx->string_open)
			break;
	}
	lx_emit(lx, e, PROMQL_T_STRING);
	return ST_STATEMENTS;
}

static int st_string(struct promql_lexer *lx, struct emit_ctx *e)
{
	return scan_string(lx, e, false);
}

static int st_raw_string(struct promql_lexer *lx, struct emit_ctx *e)
{
	return scan_string(lx, e, true);
}

static int st_duration(struct promql_lexer *lx, struct emit_ctx *e)
{
	char q[1000];
	if (scan_number(lx))
		return lx_errorf(lx, e, "missing unit character in duration");
	if (!accept_remaining_duration(lx))
		return lx_errorf(lx, e, "bad duration syntax: %s", quoted_span(lx, q, sizeof(q)));
	lx_backup(lx);
	lx_emit(lx, e, PROMQL_T_DURATION);
	return ST_STATEMENTS;
}

static int st_number_or_duration(struct promql_lexer *lx, struct emit_ctx *e)
{
	char q[1000];
	if (scan_number(lx)) {
		lx_emit(lx, e, PROMQL_T_NUMBER);
		return ST_STATEMENTS;
	}
	if (accept_remaining_duration(lx)) {
		lx_backup(lx);
		lx_emit(lx, e, PROMQL_T_DURATION);
		return ST_STATEMENTS;
	}
	return lx_errorf(lx, e, "bad number or duration syntax: %s", quoted_span(lx, q, sizeof(q)));
}

static int st_identifier(struct promql_lexer *lx, struct emit_ctx *e)
{
	while (is_alnum(lx_next(lx)))
		;
	lx_backup(lx);
	lx_emit(lx, e, PROMQL_T_IDENTIFIER);
	return ST_STATEMENTS;
}

static int st_keyword_or_identifier(struct promql_lexer *lx, struct emit_ctx *e)
{
	for (;;) {
		int r = lx_next(lx);
		if (is_alnum(r) || r == ':')
			continue;
		lx_backup(lx);
		break;
	}
	const char *word = lx->in + lx->start;
	size_t n = (size_t)(lx->pos - lx->start);
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strlen(keywords[i].word) == n && strncasecmp(word, keywords[i].word, n) == 0) {
			lx_emit(lx, e, keywords[i].tok);
			return ST_STATEMENTS;
		}
	}
	lx_emit(lx, e, memchr(word, ':', n) ? PROMQL_T_METRIC_IDENTIFIER : PROMQL_T_IDENTIFIER);
	return ST_STATEMENTS;
}

static int st_space(struct promql_lexer *lx, struct emit_ctx *e)
{
	(void)e;
	while (is_space(lx_peek(lx)))
		lx_next(lx);
	lx->start = lx->pos;
	return lx->brace_open ? ST_INSIDE_BRACES : ST_STATEMENTS;
}

static int st_comment(struct promql_lexer *lx, struct emit_ctx *e)
{
	lx->pos += 1;
	for (;;) {
		int r = lx_next(lx);
		if (r == '\r' || r == '\n' || r == LEX_EOF)
			break;
	}
	lx_backup(lx);
	lx_emit(lx, e, PROMQL_T_COMMENT);
	return lx->brace_open ? ST_INSIDE_BRACES : ST_STATEMENTS;
}

void promql_lexer_init(struct promql_lexer *lx, const char *in, size_t n)
{
	memset(lx, 0, sizeof(*lx));
	lx->in = in;
	lx->n = n > (size_t)0x7fffffff ? 0x7fffffff : (int)n;
	lx->state = ST_STATEMENTS;
}

/* The function of each state but ST_STOP: consumes input, returns the next state. */
static int (*const lex_states[])(struct promql_lexer *lx, struct emit_ctx *e) = {
	[ST_STATEMENTS] = st_statements,
	[ST_INSIDE_BRACES] = st_inside_braces,
	[ST_STRING] = st_string,
	[ST_RAW_STRING] = st_raw_string,
	[ST_ESCAPE] = st_escape,
	[ST_SPACE] = st_space,
	[ST_COMMENT] = st_comment,
	[ST_DURATION] = st_duration,
	[ST_NUMBER_OR_DURATION] = st_number_or_duration,
	[ST_IDENTIFIER] = st_identifier,
	[ST_KEYWORD_OR_IDENTIFIER] = st_keyword_or_identifier,
};

void promql_lexer_next(struct promql_lexer *lx, struct promql_token *tok)
{
	struct emit_ctx e = {tok, false};
	while (!e.scanned) {
		if (lx->state < 0 ||
		    (size_t)lx->state >= sizeof(lex_states) / sizeof(lex_states[0]) ||
		    !lex_states[lx->state]) {
			/* stopped: end of input from now on */
			tok->type = PROMQL_T_EOF;
			tok->pos = lx->start;
			tok->len = 0;
			tok->msg = NULL;
			return;
		}
		lx->state = lex_states[lx->state](lx, &e);
	}
}

void promql_tok_describe(const char *in, const struct promql_token *tok, char *out, size_t cap)
{
	const char *text = in + tok->pos;
	size_t n = (size_t)tok->len;
	char q[512];
	enum promql_tok t = tok->type;
	if (t == PROMQL_T_EOF) {
		snprintf(out, cap, "end of input");
		return;
	}
	if (t == PROMQL_T_ERROR) {
		snprintf(out, cap, "%s", tok->msg ? tok->msg : "error");
		return;
	}
	if (t == PROMQL_T_IDENTIFIER || t == PROMQL_T_METRIC_IDENTIFIER) {
		promql_go_quote(text, n, -1, q, sizeof(q));
		snprintf(out, cap, "%s %s",
			 t == PROMQL_T_IDENTIFIER ? "identifier" : "metric identifier", q);
		return;
	}
	if (t > PROMQL_T_KEYWORDS_START && t < PROMQL_T_KEYWORDS_END) {
		snprintf(out, cap, "<%.*s>", (int)n, text);
		return;
	}
	if (t == PROMQL_T_AT) {
		/* "@" is missing from Prometheus's ItemTypeStr, so its parser
		 * describes it by its yacc token number */
		snprintf(out, cap, "\"<Item 57385>\" <op:@>");
		return;
	}
	if (promql_tok_is_operator(t)) {
		snprintf(out, cap, "<op:%.*s>", (int)n, text);
		return;
	}
	if (promql_tok_is_aggregator(t)) {
		snprintf(out, cap, "<aggr:%.*s>", (int)n, text);
		return;
	}
	/* Item.String() for the rest: %q, or %.10q... when longer than 10 bytes */
	if (n > 10) {
		promql_go_quote(text, n, 10, q, sizeof(q));
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "...");
	} else {
		promql_go_quote(text, n, -1, q, sizeof(q));
	}
	static const char *const kinds[] = {
		[PROMQL_T_STRING] = "string",
		[PROMQL_T_NUMBER] = "number",
		[PROMQL_T_DURATION] = "duration",
		[PROMQL_T_COMMENT] = "comment",
	};
	const char *kind = (size_t)t < sizeof(kinds) / sizeof(kinds[0]) ? kinds[t] : NULL;
	if (kind)
		snprintf(out, cap, "%s %s", kind, q);
	else
		snprintf(out, cap, "%s", q);
}
