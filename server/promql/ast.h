/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PromQL syntax tree, Prometheus 2.42's function table, and the printer
 * that renders a tree in Prometheus's canonical String() form
 * ("sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m] offset 1h))").
 *
 * Ownership: every node, string, list and compiled regex of a tree lives in
 * the tree's arena; promql_expr_free() releases all of it at once.  Nodes
 * are never shared between trees.  Allocation failures are returned as
 * -ENOMEM, never aborted on: the query engine must survive a hostile query.
 */
#ifndef VIGIL_SERVER_PROMQL_AST_H
#define VIGIL_SERVER_PROMQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/promql/lexer.h"

struct vregex;

enum promql_type {
	PROMQL_TYPE_NONE,
	PROMQL_TYPE_VECTOR,
	PROMQL_TYPE_SCALAR,
	PROMQL_TYPE_MATRIX,
	PROMQL_TYPE_STRING,
};

enum promql_node_kind {
	PROMQL_AGGREGATE,
	PROMQL_BINARY,
	PROMQL_CALL,
	PROMQL_MATRIX_SELECTOR,
	PROMQL_SUBQUERY,
	PROMQL_NUMBER,
	PROMQL_PAREN,
	PROMQL_STRING,
	PROMQL_UNARY,
	PROMQL_VECTOR_SELECTOR,
};

enum promql_match_type {
	PROMQL_MATCH_EQUAL,
	PROMQL_MATCH_NOT_EQUAL,
	PROMQL_MATCH_REGEXP,
	PROMQL_MATCH_NOT_REGEXP,
};

enum promql_card {
	PROMQL_CARD_ONE_TO_ONE,
	PROMQL_CARD_MANY_TO_ONE,
	PROMQL_CARD_ONE_TO_MANY,
	PROMQL_CARD_MANY_TO_MANY,
};

/* One label matcher.  value may contain NUL bytes (value_len counts them). */
struct promql_matcher {
	enum promql_match_type type;
	char *name;
	char *value;
	size_t value_len;
	struct vregex *re; /* regex matchers: the anchored, compiled value */
};

/* A list of label names (grouping, on/ignoring, group_left/right). */
struct promql_labels {
	char **names;
	size_t n;
};

struct promql_function {
	const char *name;
	enum promql_type arg_types[5];
	int nargs;    /* entries of arg_types */
	int variadic; /* 0: exactly nargs; n > 0: up to n extra; -1: unlimited */
	enum promql_type return_type;
};

/* The @ modifier and offset of selectors and subqueries. */
struct promql_at_offset {
	int64_t offset_ms; /* original offset; negative for "offset -5m" */
	bool has_timestamp;
	int64_t timestamp_ms;
	enum promql_tok start_or_end; /* PROMQL_T_START, PROMQL_T_END or 0 */
};

struct promql_node {
	enum promql_node_kind kind;
	int start, end; /* byte range of the node in the query */
	int height;	/* 1 + the height of the tallest child */
	union {
		struct {
			enum promql_tok op;
			struct promql_node *expr, *param;
			struct promql_labels grouping;
			bool without;
		} agg;
		struct {
			enum promql_tok op;
			struct promql_node *lhs, *rhs;
			bool return_bool;
			bool has_matching; /* false: no vector matching (scalar operand) */
			enum promql_card card;
			bool on;
			struct promql_labels matching, include;
		} bin;
		struct {
			const struct promql_function *func;
			struct promql_node **args;
			size_t nargs;
		} call;
		struct {
			struct promql_node *vs;
			int64_t range_ms;
		} matrix;
		struct {
			struct promql_node *expr;
			int64_t range_ms, step_ms;
			struct promql_at_offset at;
		} subquery;
		double number;
		struct {
			char *s;
			size_t len;
		} string;
		struct {
			struct promql_node *expr;
		} paren;
		struct {
			enum promql_tok op;
			struct promql_node *expr;
		} unary;
		struct {
			char *name; /* "" when only braces were given */
			struct promql_matcher *matchers;
			size_t nmatchers;
			struct promql_at_offset at;
		} vs;
	};
};

struct promql_arena;

/* A parsed query: the root node and the arena that owns the whole tree. */
struct promql_expr {
	struct promql_node *root;
	struct promql_arena *arena;
};

/* Free a tree and everything it owns; NULL is fine. */
void promql_expr_free(struct promql_expr *e);

/* The function called name, or NULL. */
const struct promql_function *promql_function_lookup(const char *name, size_t len);

/* The type a node evaluates to (Prometheus's Expr.Type()). */
enum promql_type promql_node_type(const struct promql_node *n);
/* "scalar", "vector", "matrix", "string", "none". */
const char *promql_type_name(enum promql_type t);
/* As Prometheus documents types: "instant vector", "range vector", ... */
const char *promql_type_documented(enum promql_type t);

/*
 * Render n in Prometheus's canonical String() form.  Returns a malloc'd
 * NUL-terminated string the caller frees, or NULL on out-of-memory.
 */
char *promql_node_string(const struct promql_node *n);


/* ---- arena, for the parser ---- */

/* An empty arena, or NULL on out-of-memory. */
struct promql_arena *promql_arena_new(void);
/* Free the arena, all its memory and the regexes it owns; NULL is fine. */
void promql_arena_free(struct promql_arena *a);
/* Zeroed memory owned by the arena, or NULL. */
void *promql_arena_alloc(struct promql_arena *a, size_t n);
/* A NUL-terminated copy of n bytes, or NULL. */
char *promql_arena_strndup(struct promql_arena *a, const char *s, size_t n);
/* Hand a compiled regex to the arena, which frees it with the tree. */
int promql_arena_own_regex(struct promql_arena *a, struct vregex *re);

#endif
