// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/promql/parser.h"

static struct promql_expr *parse_ok(const char *q)
{
	char err[512];
	struct promql_expr *e;
	int rc = promql_parse(q, strlen(q), &e, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: %s", q, err);
	return e;
}

/* q parses, and prints as want (NULL: as itself). */
static void check_canon(const char *q, const char *want)
{
	struct promql_expr *e = parse_ok(q);
	char *s = promql_node_string(e->root);
	cr_assert_str_eq(s, want ? want : q, "%s", q);
	free(s);
	promql_expr_free(e);
}

static void check_err(const char *q, const char *want)
{
	char err[512];
	struct promql_expr *e = NULL;
	int rc = promql_parse(q, strlen(q), &e, err, sizeof(err));
	cr_assert_eq(rc, -EINVAL, "%s parsed", q);
	cr_assert_null(e);
	cr_assert_str_eq(err, want, "%s", q);
}

Test(parser, canonical_forms)
{
	/* each form checked against Prometheus 2.42 by the differential test */
	check_canon("sum(foo) by (a, b)", "sum by (a, b) (foo)");
	check_canon("sum without () (foo)", NULL);
	check_canon("sum by () (foo)", "sum(foo)");
	check_canon("foo{b=\"1\", a=~\"x.*\"}", "foo{a=~\"x.*\",b=\"1\"}");
	check_err("foo{__name__=\"foo\"}",
		  "1:1: parse error: metric name must not be set twice: \"foo\" or \"foo\"");
	check_canon("{__name__=~\"foo.*\"}", NULL);
	check_canon("rate(foo[90s] offset 3600s)", "rate(foo[1m30s] offset 1h)");
	check_canon("foo offset 14d", "foo offset 2w");
	check_canon("foo offset 1y52w", "foo offset 729d");
	check_canon("foo[1000ms]", "foo[1s]");
	check_canon("foo @ 1.0005", "foo @ 1.001");
	check_canon("foo @ start()[5m]", "foo[5m] @ start()");
	check_canon("foo[5m:] @ 123 offset -1m", "foo[5m:] @ 123.000 offset -1m");
	check_canon("foo + on(a) group_left bar", "foo + on (a) group_left () bar");
	check_canon("foo + on() 1", "foo + 1");
	check_canon("foo and bar", NULL);
	check_canon("foo AND On(a) bar", "foo and on (a) bar");
	check_canon("SUM(foo)", "sum(foo)");
	check_canon("- -1", "1");
	check_canon("-(1)", "-(1)");
	check_canon("0x1F + 017 + 1e3", "31 + 15 + 1000");
	check_canon("1000000 + 0.00001", "1e+06 + 1e-05");
	check_canon("-Inf + NaN", "-Inf + NaN");
	check_canon("'a\\'b'", "\"a'b\"");
	check_canon("\"\\x41\\u00e9\"", "\"Aé\"");
	check_canon("`\\n`", "\"\\\\n\"");
	check_canon("\"\\x00\\x7f\"", "\"\\x00\\x7f\"");
	check_canon("foo[5m x]", "foo[5m:]");
	check_canon("# lead\nfoo # trail", "foo");
	check_canon("by{a=\"b\"} + offset + sum", "by{a=\"b\"} + offset + sum");
}

/* The shape of the tree, written with explicit parentheses. */
static void shape(const struct promql_node *n, char *out, size_t cap)
{
	size_t l = strlen(out);
	switch (n->kind) {
	case PROMQL_BINARY:
		snprintf(out + l, cap - l, "(");
		shape(n->bin.lhs, out, cap);
		l = strlen(out);
		snprintf(out + l, cap - l, " %s ", promql_tok_str(n->bin.op));
		shape(n->bin.rhs, out, cap);
		l = strlen(out);
		snprintf(out + l, cap - l, ")");
		break;
	case PROMQL_UNARY:
		snprintf(out + l, cap - l, "(%s", promql_tok_str(n->unary.op));
		shape(n->unary.expr, out, cap);
		l = strlen(out);
		snprintf(out + l, cap - l, ")");
		break;
	default: {
		char *s = promql_node_string(n);
		snprintf(out + l, cap - l, "%s", s);
		free(s);
	}
	}
}

static void check_shape(const char *q, const char *want)
{
	char out[512] = "";
	struct promql_expr *e = parse_ok(q);
	shape(e->root, out, sizeof(out));
	cr_assert_str_eq(out, want, "%s", q);
	promql_expr_free(e);
}

Test(parser, precedence_and_associativity)
{
	check_shape("a + b * c", "(a + (b * c))");
	check_shape("a - b - c", "((a - b) - c)");
	check_shape("a ^ b ^ c", "(a ^ (b ^ c))");
	check_shape("a * b ^ c", "(a * (b ^ c))");
	check_shape("-a ^ b", "(-(a ^ b))");
	check_shape("-a * b", "((-a) * b)");
	check_shape("a ^ -b * c", "((a ^ (-b)) * c)");
	check_shape("a or b and c", "(a or (b and c))");
	check_shape("a and b unless c", "((a and b) unless c)");
	check_shape("a > b + c", "(a > (b + c))");
	check_shape("a == b == c", "((a == b) == c)");
	check_shape("a atan2 b * c", "((a atan2 b) * c)");
	check_shape("a + b offset 5m", "(a + b offset 5m)");
	check_shape("-a offset 5m", "(-a offset 5m)");
}

Test(parser, tree_contents)
{
	struct promql_expr *e = parse_ok(
		"sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m] offset -1m @ 10.5))");
	const struct promql_node *agg = e->root;
	cr_assert_eq(agg->kind, PROMQL_AGGREGATE);
	cr_assert_eq(agg->agg.op, PROMQL_T_SUM);
	cr_assert_eq(agg->agg.grouping.n, 1);
	cr_assert_str_eq(agg->agg.grouping.names[0], "job");
	const struct promql_node *call = agg->agg.expr;
	cr_assert_eq(call->kind, PROMQL_CALL);
	cr_assert_str_eq(call->call.func->name, "rate");
	cr_assert_eq(call->call.nargs, 1);
	const struct promql_node *m = call->call.args[0];
	cr_assert_eq(m->kind, PROMQL_MATRIX_SELECTOR);
	cr_assert_eq(m->matrix.range_ms, 300000);
	const struct promql_node *vs = m->matrix.vs;
	cr_assert_str_eq(vs->vs.name, "http_requests_total");
	cr_assert_eq(vs->vs.at.offset_ms, -60000);
	cr_assert(vs->vs.at.has_timestamp);
	cr_assert_eq(vs->vs.at.timestamp_ms, 10500);
	/* the name matcher comes last, after the braces' matchers */
	cr_assert_eq(vs->vs.nmatchers, 2);
	cr_assert_eq(vs->vs.matchers[0].type, PROMQL_MATCH_REGEXP);
	cr_assert_not_null(vs->vs.matchers[0].re);
	cr_assert_str_eq(vs->vs.matchers[1].name, "__name__");
	cr_assert_eq(promql_node_type(agg), PROMQL_TYPE_VECTOR);
	promql_expr_free(e);

	e = parse_ok("foo[1h:5m]");
	cr_assert_eq(e->root->kind, PROMQL_SUBQUERY);
	cr_assert_eq(e->root->subquery.range_ms, 3600000);
	cr_assert_eq(e->root->subquery.step_ms, 300000);
	cr_assert_eq(promql_node_type(e->root), PROMQL_TYPE_MATRIX);
	promql_expr_free(e);

	e = parse_ok("\"a\\x00b\"");
	cr_assert_eq(e->root->kind, PROMQL_STRING);
	cr_assert_eq(e->root->string.len, 3);
	cr_assert_eq(memcmp(e->root->string.s, "a\0b", 3), 0);
	promql_expr_free(e);
}

Test(parser, errors_as_prometheus)
{
	/* messages and positions checked against Prometheus 2.42 */
	check_err("", "1:1: parse error: no expression found in input");
	check_err("foo +", "1:6: parse error: unexpected end of input");
	check_err("sum(foo bar)", "1:9: parse error: unexpected identifier \"bar\" in aggregation");
	check_err("rate(foo bar)", "1:10: parse error: unexpected identifier \"bar\"");
	check_err("foo{a b}", "1:7: parse error: unexpected identifier \"b\" in label matching, "
			      "expected label matching operator");
	check_err("foo[5]", "1:5: parse error: missing unit character in duration");
	check_err("foo[5m", "1:7: parse error: unclosed left bracket");
	check_err(
		"sum by foo (bar)",
		"1:8: parse error: unexpected identifier \"foo\" in grouping opts, expected \"(\"");
	check_err("1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier");
	check_err("rate(foo)", "1:6: parse error: expected type range vector in call to function "
			       "\"rate\", got instant vector");
	check_err("{}",
		  "1:1: parse error: vector selector must contain at least one non-empty matcher");
	check_err("foo offset 5m[1m]",
		  "1:14: parse error: no offset modifiers allowed before range");
	check_err("nonexistent(foo)",
		  "1:1: parse error: unknown function with name \"nonexistent\"");
	check_err("rate(foo[5m],)",
		  "1:13: parse error: trailing commas not allowed in function call args");
	check_err("foo offset 0s", "1:12: parse error: duration must be greater than 0");
	check_err("foo offset 1hs", "1:12: parse error: not a valid duration string: \"1hs\"");
	check_err("1e400", "1:1: parse error: error parsing number: strconv.ParseFloat: parsing "
			   "\"1e400\": value out of range");
	check_err("\"\\'\"", "1:1: parse error: unknown escape sequence U+0027 '''");
	check_err("foo @ Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf");
	check_err("foo{a=~\"(\"}",
		  "1:5: parse error: error parsing regexp: missing closing ): `^(?:()$`");
	check_err(
		"foo{a=~\"a**\"}",
		"1:5: parse error: error parsing regexp: invalid nested repetition operator: `**`");
	check_err("foo and 1",
		  "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
	check_err("foo + on(a) group_left(a) bar",
		  "1:5: parse error: label \"a\" must not occur in ON and GROUP clause at once");
	check_err("foo\n  bar", "2:3: parse error: unexpected identifier \"bar\"");
	check_err("\"abcdefghijklmnop\" foo", "1:20: parse error: unexpected identifier \"foo\"");
	check_err("foo \"abcdefghijklmnop\"",
		  "1:5: parse error: unexpected string \"\\\"abcdefghi\"...");
}

Test(parser, nesting_limit_fails_cleanly)
{
	char err[512];
	struct promql_expr *e;
	size_t deep = 100000;
	char *q = malloc(2 * deep + 2);
	memset(q, '(', deep);
	q[deep] = '1';
	memset(q + deep + 1, ')', deep);
	int rc = promql_parse(q, 2 * deep + 1, &e, err, sizeof(err));
	cr_assert_eq(rc, -EINVAL);
	cr_assert(strstr(err, "nesting too deep"), "%s", err);
	/* a long left-associative chain is as deep as it is long */
	for (size_t i = 0; i < deep; i++)
		q[2 * i] = '1', q[2 * i + 1] = '+';
	q[2 * deep - 1] = '\0';
	rc = promql_parse(q, strlen(q), &e, err, sizeof(err));
	cr_assert_eq(rc, -EINVAL);
	cr_assert(strstr(err, "nesting too deep"), "%s", err);
	free(q);
	/* within the limit is fine */
	check_canon("((((((((((1))))))))))", NULL);
}

Test(parser, durations)
{
	char err[128];
	int64_t ms;
	cr_assert_eq(promql_parse_duration("1h30m", 5, &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 5400000);
	cr_assert_eq(promql_parse_duration("5ms", 3, &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 5);
	cr_assert_eq(promql_parse_duration("1m5ms", 5, &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, 60005);
	cr_assert_eq(promql_parse_duration("1y1w1d", 6, &ms, err, sizeof(err)), 0);
	cr_assert_eq(ms, (365 + 7 + 1) * 86400000LL);
	cr_assert_eq(promql_parse_duration("1s1m", 4, &ms, err, sizeof(err)), -EINVAL);
	cr_assert_eq(promql_parse_duration("0s", 2, &ms, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "duration must be greater than 0");
	cr_assert_eq(promql_parse_duration("300y", 4, &ms, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "duration out of range");
	/* printing durations: tests/unit/common/test_strutil.c */
}
