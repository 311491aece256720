/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PromQL parser: a query string to a type-checked syntax tree (ast.h), with
 * Prometheus 2.42's grammar and, where practical, its error messages:
 *   "1:5: parse error: unexpected <op:*>"
 *   "1:1: parse error: unknown function with name \"foo\""
 * Positions are line:column of the offending token, columns in bytes from 1.
 *
 * A recursive-descent parser with precedence climbing stands in for
 * Prometheus's yacc grammar (or < and/unless < comparisons < + - <
 * * / % atan2 < ^, all left-associative except ^; unary +/- bind like *;
 * [range], [sub:query], offset and @ bind tightest).  Syntax errors name the
 * innermost construct yacc's error rules would name ("in aggregation",
 * "in grouping opts", "in label matching", "in subquery selector", ...).
 * Only the first error is reported, as Prometheus reports only its first.
 * Nesting deeper than PROMQL_MAX_DEPTH fails cleanly instead of exhausting
 * the stack: at the limit parsing needs under 128 KB of stack in an -O2
 * build, under 256 KB at -O0 and about 1 MB with AddressSanitizer.
 */
#ifndef VIGIL_SERVER_PROMQL_PARSER_H
#define VIGIL_SERVER_PROMQL_PARSER_H

#include <stddef.h>

#include "server/promql/ast.h"

/* Deepest nesting of expressions a query may have. */
#define PROMQL_MAX_DEPTH 400

/*
 * Parse and type-check query (len bytes).  On success returns 0 and a tree
 * in *out that the caller frees with promql_expr_free().  On a syntax or
 * type error returns -EINVAL and writes the message (as above, without
 * Prometheus's "invalid parameter" prefix) to err; -ENOMEM when memory ran
 * out.
 */
int promql_parse(const char *query, size_t len, struct promql_expr **out, char *err, size_t errlen);

/*
 * Parse a duration as Prometheus's PromQL does (model.ParseDuration, which
 * must be > 0): "5m", "1h30m", "1y2w", "500ms".  Returns 0 and
 * milliseconds in *ms, or -EINVAL with a reason in err.
 */
int promql_parse_duration(const char *s, size_t len, int64_t *ms, char *err, size_t errlen);

#endif
