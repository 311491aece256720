// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "server/promql/lexer.h"

/* Lex q and describe each token as the parser's error messages would. */
static void check_tokens(const char *q, const char *want)
{
	struct promql_lexer lx;
	struct promql_token t;
	char out[1024] = "", d[256];
	promql_lexer_init(&lx, q, strlen(q));
	do {
		promql_lexer_next(&lx, &t);
		promql_tok_describe(q, &t, d, sizeof(d));
		if (out[0])
			strcat(out, " | ");
		strcat(out, d);
	} while (t.type != PROMQL_T_EOF && t.type != PROMQL_T_ERROR);
	cr_assert_str_eq(out, want, "%s", q);
}

Test(lexer, tokens)
{
	check_tokens("sum by (a) (rate(x[5m]))", "<aggr:sum> | <by> | \"(\" | identifier \"a\" | "
						 "\")\" | \"(\" | identifier \"rate\" | "
						 "\"(\" | identifier \"x\" | \"[\" | duration "
						 "\"5m\" | \"]\" | \")\" | \")\" | end of input");
	check_tokens("a:b AND c",
		     "metric identifier \"a:b\" | <op:AND> | identifier \"c\" | end of input");
	check_tokens("x{sum=\"1\",by!~'2'}",
		     "identifier \"x\" | \"{\" | identifier \"sum\" | \"=\" | string \"\\\"1\\\"\" "
		     "| \",\" | "
		     "identifier \"by\" | <op:!~> | string \"'2'\" | \"}\" | end of input");
	check_tokens("Inf nan 0x1f 1e-3 .5", "number \"Inf\" | number \"nan\" | number \"0x1f\" | "
					     "number \"1e-3\" | number \".5\" | end of input");
	check_tokens("x[5m:1m] offset -1h @ start()",
		     "identifier \"x\" | \"[\" | duration \"5m\" | \":\" | duration \"1m\" | \"]\" "
		     "| <offset> | "
		     "<op:-> | duration \"1h\" | \"<Item 57385>\" <op:@> | \"start\" | \"(\" | "
		     "\")\" | end of input");
	check_tokens("a # comment\n+ b", "identifier \"a\" | comment \"# comment\" | <op:+> | "
					 "identifier \"b\" | end of input");
	check_tokens("== != <= >= < > ^ % atan2",
		     "<op:==> | <op:!=> | <op:<=> | <op:>=> | <op:<> | <op:>> | <op:^> | <op:%> | "
		     "<op:atan2> | end of input");
}

Test(lexer, errors)
{
	check_tokens("a $", "identifier \"a\" | unexpected character: '$'");
	check_tokens("(a", "\"(\" | identifier \"a\" | unclosed left parenthesis");
	check_tokens("a)", "identifier \"a\" | unexpected right parenthesis ')'");
	check_tokens("x{a", "identifier \"x\" | \"{\" | identifier \"a\" | unexpected end of input "
			    "inside braces");
	check_tokens("\"abc", "unterminated quoted string");
	check_tokens("`abc", "unterminated raw string");
	check_tokens("\"\\q\"", "unknown escape sequence U+0071 'q'");
	check_tokens("\"\\xZ1\"", "illegal character U+005A 'Z' in escape sequence");
	check_tokens("\"\\uD800\"", "escape sequence is an invalid Unicode code point");
	check_tokens("x[5mx]", "identifier \"x\" | \"[\" | bad duration syntax: \"5mx\"");
	check_tokens("1a", "bad number or duration syntax: \"1\"");
	check_tokens("a =~ b", "identifier \"a\" | unexpected character after '=': '~'");
	check_tokens("a ! b", "identifier \"a\" | unexpected character after '!': ' '");
	check_tokens("\"\xff\"", "invalid UTF-8 rune");
}

Test(lexer, go_quoting)
{
	char out[128];
	promql_go_quote("a\"b\\c\n\x01\xff\xc3\xa9", 10, -1, out, sizeof(out));
	cr_assert_str_eq(out, "\"a\\\"b\\\\c\\n\\x01\\xffé\"");
	promql_go_quote("abcdefghijkl", 12, 10, out, sizeof(out));
	cr_assert_str_eq(out, "\"abcdefghij\"");
	promql_go_quote_rune('\'', out, sizeof(out));
	cr_assert_str_eq(out, "'\\''");
	promql_go_unicode('\\', out, sizeof(out));
	cr_assert_str_eq(out, "U+005C '\\'");
	promql_go_unicode(0, out, sizeof(out));
	cr_assert_str_eq(out, "U+0000");
}
