/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PromQL lexer: turns a query string into tokens exactly as Prometheus 2.42
 * splits it, because the parser's error messages quote those tokens.
 *
 * Tokens (byte positions into the input, no copies):
 *   identifiers   [a-zA-Z_][a-zA-Z0-9_]*, with ':' allowed outside braces
 *                 (then a METRIC_IDENTIFIER); keywords match case-insensitively
 *                 ("SUM", "And") and "inf"/"nan" are numbers
 *   numbers       decimal, 0x hex, leading-0 octal, floats with exponent
 *   durations     <int><unit>... with units y w d h m s ms ("1h30m")
 *   strings       "..." and '...' with Go escapes, `raw`
 *   operators     + - * / % ^ == != < <= > >= =~ !~ and or unless atan2 @
 *   punctuation   ( ) { } [ ] , = and ':' inside brackets
 *   comments      '#' to the end of the line
 * Inside braces keywords are plain identifiers; inside brackets a duration
 * is expected right after '['.  A lexing error is returned as a
 * PROMQL_T_ERROR token whose message the lexer owns; every token after it is
 * PROMQL_T_EOF.
 */
#ifndef VIGIL_SERVER_PROMQL_LEXER_H
#define VIGIL_SERVER_PROMQL_LEXER_H

#include <stdbool.h>
#include <stddef.h>

enum promql_tok {
	PROMQL_T_EOF,
	PROMQL_T_ERROR,
	PROMQL_T_COMMENT,
	PROMQL_T_IDENTIFIER,
	PROMQL_T_METRIC_IDENTIFIER,
	PROMQL_T_NUMBER,
	PROMQL_T_STRING,
	PROMQL_T_DURATION,
	PROMQL_T_LEFT_PAREN,
	PROMQL_T_RIGHT_PAREN,
	PROMQL_T_LEFT_BRACE,
	PROMQL_T_RIGHT_BRACE,
	PROMQL_T_LEFT_BRACKET,
	PROMQL_T_RIGHT_BRACKET,
	PROMQL_T_COMMA,
	PROMQL_T_EQL,
	PROMQL_T_COLON,
	/* operators */
	PROMQL_T_OPERATORS_START,
	PROMQL_T_ADD,
	PROMQL_T_DIV,
	PROMQL_T_EQLC,
	PROMQL_T_EQL_REGEX,
	PROMQL_T_GTE,
	PROMQL_T_GTR,
	PROMQL_T_LAND,
	PROMQL_T_LOR,
	PROMQL_T_LSS,
	PROMQL_T_LTE,
	PROMQL_T_LUNLESS,
	PROMQL_T_MOD,
	PROMQL_T_MUL,
	PROMQL_T_NEQ,
	PROMQL_T_NEQ_REGEX,
	PROMQL_T_POW,
	PROMQL_T_SUB,
	PROMQL_T_AT,
	PROMQL_T_ATAN2,
	PROMQL_T_OPERATORS_END,
	/* aggregators */
	PROMQL_T_AGGREGATORS_START,
	PROMQL_T_AVG,
	PROMQL_T_BOTTOMK,
	PROMQL_T_COUNT,
	PROMQL_T_COUNT_VALUES,
	PROMQL_T_GROUP,
	PROMQL_T_MAX,
	PROMQL_T_MIN,
	PROMQL_T_QUANTILE,
	PROMQL_T_STDDEV,
	PROMQL_T_STDVAR,
	PROMQL_T_SUM,
	PROMQL_T_TOPK,
	PROMQL_T_AGGREGATORS_END,
	/* keywords */
	PROMQL_T_KEYWORDS_START,
	PROMQL_T_BOOL,
	PROMQL_T_BY,
	PROMQL_T_GROUP_LEFT,
	PROMQL_T_GROUP_RIGHT,
	PROMQL_T_IGNORING,
	PROMQL_T_OFFSET,
	PROMQL_T_ON,
	PROMQL_T_WITHOUT,
	PROMQL_T_KEYWORDS_END,
	/* @ modifier preprocessors */
	PROMQL_T_START,
	PROMQL_T_END,
};

struct promql_token {
	enum promql_tok type;
	int pos;	 /* byte offset of the first character */
	int len;	 /* bytes of input covered */
	const char *msg; /* PROMQL_T_ERROR only: the lexer's message */
};

struct promql_lexer {
	const char *in;
	int n;
	int pos, start, width;
	int paren_depth;
	bool brace_open, bracket_open, got_colon, done;
	int string_open;
	int state;
	char msg[1024];
};

/* Start lexing in (n bytes, need not be NUL-terminated). */
void promql_lexer_init(struct promql_lexer *lx, const char *in, size_t n);
/* The next token, comments included. */
void promql_lexer_next(struct promql_lexer *lx, struct promql_token *tok);

/* Binary operators, "@" and atan2 (Prometheus's ItemType.IsOperator). */
bool promql_tok_is_operator(enum promql_tok t);
/* sum, avg, ..., quantile. */
bool promql_tok_is_aggregator(enum promql_tok t);
/* == != < <= > >=. */
bool promql_tok_is_comparison(enum promql_tok t);
/* and, or, unless. */
bool promql_tok_is_set_operator(enum promql_tok t);
/* The canonical text of a token type ("+", "sum", "group_left", "("). */
const char *promql_tok_str(enum promql_tok t);

/*
 * Append to out (size cap, always NUL-terminated) the token as Prometheus's
 * parser describes it in "unexpected ..." errors: `end of input`,
 * `identifier "foo"`, `<op:+>`, `<aggr:sum>`, `<by>`, `"("`, `number "1"`.
 */
void promql_tok_describe(const char *in, const struct promql_token *tok, char *out, size_t cap);

/*
 * Go-style quoting helpers (strconv.Quote / QuoteRune and fmt's %#U), shared
 * with the printer.  max_runes < 0 quotes everything, otherwise only the
 * first max_runes runes (fmt's %.Nq).  Return the length written.
 */
size_t promql_go_quote(const char *s, size_t n, long max_runes, char *out, size_t cap);
size_t promql_go_quote_rune(int r, char *out, size_t cap);
size_t promql_go_unicode(int r, char *out, size_t cap);
/* Decode one UTF-8 rune as Go does (0xFFFD, width 1 on invalid input). */
int promql_utf8_decode(const char *s, size_t n, int *width);
/* The character Go's one-letter escape \c stands for (\a \b \f \n \r \t \v \\), else -1. */
int promql_go_escape(int c);

#endif
