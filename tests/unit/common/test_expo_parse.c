// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/expo_parse.h"

static const char *kind_name(enum expo_sample_kind k)
{
	static const char *const n[] = {"value", "quantile", "bucket", "sum", "count", "ignored"};
	return n[k];
}

/* Render every sample as "family|name{a=\"b\",...}|value|ts|kind" lines. */
static int dump_sample(void *ctx, const struct expo_parse_sample *s)
{
	struct buf *b = ctx;
	char v[EXPO_DOUBLE_MAX];
	expo_format_double(v, s->value, 'g');
	buf_printf(b, "%s|%s{", s->family->name, s->name);
	for (size_t i = 0; i < s->nlabels; i++)
		buf_printf(b, "%s%s=\"%s\"", i ? "," : "", s->labels[i].name, s->labels[i].value);
	buf_printf(b, "}|%s|", v);
	if (s->ts_ms != EXPO_NO_TS)
		buf_printf(b, "%lld", (long long)s->ts_ms);
	buf_printf(b, "|%s\n", kind_name(s->kind));
	return 0;
}

static struct expo_parser *parser;
static struct buf got;
static struct expo_parse_error perr;

static void setup(void)
{
	parser = expo_parser_new();
	cr_assert(parser);
	memset(&got, 0, sizeof(got));
}

static void teardown(void)
{
	expo_parser_free(parser);
	buf_free(&got);
}

/* Parse a copy of text (the parser writes into it). */
static int parse(const char *text)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	memcpy(copy, text, len + 1);
	buf_reset(&got);
	buf_puts(&got, "");
	struct expo_parse_opts o = {.sample = dump_sample, .ctx = &got};
	int rc = expo_parse(parser, copy, len, &o, &perr);
	/* keep the copy alive for family lookups: leak into a static list */
	static char *keep[64];
	static int nkeep;
	free(keep[nkeep % 64]);
	keep[nkeep++ % 64] = copy;
	return rc;
}

static void ok(const char *text, const char *want)
{
	int rc = parse(text);
	cr_assert_eq(rc, 0, "parse of %s failed: %s", text, perr.msg);
	cr_assert_str_eq(got.data, want, "parse of:\n%s", text);
}

static void bad(const char *text, const char *want_msg)
{
	int rc = parse(text);
	cr_assert_eq(rc, -EINVAL, "parse of %s: rc %d, want -EINVAL", text, rc);
	cr_assert_str_eq(perr.msg, want_msg, "parse of:\n%s", text);
}

TestSuite(expo_parse, .init = setup, .fini = teardown);

Test(expo_parse, simple_and_help_type)
{
	ok("# HELP x_total Some \\\\ help\\nwith newline\n# TYPE x_total counter\n"
	   "x_total{a=\"1\",b=\"two\"} 3.5\nx_total 4\n",
	   "x_total|x_total{a=\"1\",b=\"two\"}|3.5||value\n"
	   "x_total|x_total{}|4||value\n");
	cr_assert_eq(expo_parser_nfamilies(parser), 1);
	const struct expo_parse_family *f = expo_parser_family(parser, 0);
	cr_assert_str_eq(f->help, "Some \\ help\nwith newline");
	cr_assert_eq(f->type, EXPO_COUNTER);
	cr_assert(f->has_type);
	cr_assert_eq(f->nsamples, 2);
}

Test(expo_parse, empty_input_comments_blank_lines)
{
	ok("", "");
	ok("\n\n   \n\t\n", "");
	ok("# just a comment\n#\n#   \n# HELP\n# HELP only_name\n# TYPE\n", "");
	ok("   \t", ""); /* blanks without newline at the end are fine */
	ok("  # indented comment\n  a 1\n", "a|a{}|1||value\n");
	ok("#HELP a hi\na 1\n", "a|a{}|1||value\n");
	cr_assert_str_eq(expo_parser_family(parser, 0)->help, "hi");
}

Test(expo_parse, label_escapes_and_spacing)
{
	ok("m{a=\"q\\\"uote\",b=\"back\\\\slash\",c=\"new\\nline\"} 1\n",
	   "m|m{a=\"q\"uote\",b=\"back\\slash\",c=\"new\nline\"}|1||value\n");
	ok("m { a = \"1\" , b=\"2\" , } 2\n", "m|m{a=\"1\",b=\"2\"}|2||value\n");
	ok("m{} 3\n", "m|m{}|3||value\n");
	ok("m{a=\"\"} 3\n", "m|m{a=\"\"}|3||value\n");
	ok("m{a=\"日本\"} 3\n", "m|m{a=\"日本\"}|3||value\n");
	ok("m\t{a=\"1\"}\t7\t100\n", "m|m{a=\"1\"}|7|100|value\n");
	ok("ns:sub_name 1\n", "ns:sub_name|ns:sub_name{}|1||value\n");
}

Test(expo_parse, values_like_go)
{
	ok("a +Inf\nb -Inf\nc NaN\nd inf\ne -infinity\nf nan\ng 1e3\nh -0.5\ni .5\nj 5.\n"
	   "k 1E-3\nl +7\nm 1e-400\n",
	   "a|a{}|+Inf||value\nb|b{}|-Inf||value\nc|c{}|NaN||value\nd|d{}|+Inf||value\n"
	   "e|e{}|-Inf||value\nf|f{}|NaN||value\ng|g{}|1000||value\nh|h{}|-0.5||value\n"
	   "i|i{}|0.5||value\nj|j{}|5||value\nk|k{}|0.001||value\nl|l{}|7||value\n"
	   "m|m{}|0||value\n");
	bad("a 0x10\n",
	    "text format parsing error in line 1: expected float as value, got \"0x10\"");
	bad("a 1_000\n",
	    "text format parsing error in line 1: expected float as value, got \"1_000\"");
	bad("a 1e400\n",
	    "text format parsing error in line 1: expected float as value, got \"1e400\"");
	bad("a +nan\n",
	    "text format parsing error in line 1: expected float as value, got \"+nan\"");
	bad("a abc\n", "text format parsing error in line 1: expected float as value, got \"abc\"");
	bad("a\n", "text format parsing error in line 1: expected float as value, got \"\"");
	bad("a{b=\"c\"}\n",
	    "text format parsing error in line 1: expected float as value, got \"\"");
	bad("a .\n", "text format parsing error in line 1: expected float as value, got \".\"");
	bad("a 1e\n", "text format parsing error in line 1: expected float as value, got \"1e\"");
}

Test(expo_parse, float_helper)
{
	double v;
	cr_assert_eq(expo_parse_float("Infinity", 8, &v), 0);
	cr_assert(isinf(v) && v > 0);
	cr_assert_eq(expo_parse_float("1.5", 3, &v), 0);
	cr_assert_eq(v, 1.5);
	cr_assert_eq(expo_parse_float("", 0, &v), -EINVAL);
	cr_assert_eq(expo_parse_float(" 1", 2, &v), -EINVAL);
	cr_assert_eq(expo_parse_float("1 ", 2, &v), -EINVAL);
	cr_assert_eq(expo_parse_float("-1e999", 6, &v), -ERANGE);
	cr_assert_eq(expo_parse_float("0x1p3", 5, &v), -EINVAL);
	/* a long but valid number */
	char longnum[300];
	memset(longnum, '0', sizeof(longnum));
	longnum[0] = '0';
	longnum[1] = '.';
	longnum[298] = '1';
	cr_assert_eq(expo_parse_float(longnum, 299, &v), 0);
	cr_assert(v > 0 && v < 1e-290);
}

Test(expo_parse, timestamps)
{
	ok("a 1 1441205977284\nb 2 -5\n", "a|a{}|1|1441205977284|value\nb|b{}|2|-5|value\n");
	bad("a 1 1.5\n",
	    "text format parsing error in line 1: expected integer as timestamp, got \"1.5\"");
	bad("a 1 99999999999999999999\n", "text format parsing error in line 1: expected integer "
					  "as timestamp, got \"99999999999999999999\"");
	bad("a 1 \n",
	    "text format parsing error in line 1: expected integer as timestamp, got \"\"");
	bad("a 1 2 3\n",
	    "text format parsing error in line 1: spurious string after timestamp: \" 3\"");
	bad("a 1 2 \n",
	    "text format parsing error in line 1: spurious string after timestamp: \" \"");
}

Test(expo_parse, line_endings)
{
	bad("a 1", "text format parsing error in line 1: unexpected end of input stream");
	bad("a 1\nb 2", "text format parsing error in line 2: unexpected end of input stream");
	bad("# comment", "text format parsing error in line 1: unexpected end of input stream");
	bad("# HELP a b", "text format parsing error in line 1: unexpected end of input stream");
	bad("a{b=\"c", "text format parsing error in line 1: unexpected end of input stream");
	/* an error before the end of an unterminated line is reported as such */
	bad("a{1=\"c\"} 1",
	    "text format parsing error in line 1: invalid label name for metric \"a\"");
	bad("a abc  ", "text format parsing error in line 1: expected float as value, got \"abc\"");
	/* CRLF is not accepted, as in Go */
	bad("a 1\r\n",
	    "text format parsing error in line 1: expected float as value, got \"1\\r\"");
}

Test(expo_parse, label_errors)
{
	bad("a{b=\"1\",b=\"2\"} 1\n",
	    "text format parsing error in line 1: duplicate label names for metric \"a\"");
	bad("a{__name__=\"x\"} 1\n",
	    "text format parsing error in line 1: label name \"__name__\" is reserved");
	bad("a{b=1} 1\n", "text format parsing error in line 1: expected '\"' at start of label "
			  "value, found '1'");
	bad("a{b} 1\n",
	    "text format parsing error in line 1: expected '=' after label name, found '}'");
	bad("a{b=\"x\\q\"} 1\n",
	    "text format parsing error in line 1: invalid escape sequence '\\q'");
	bad("a{b=\"x\" c=\"y\"} 1\n",
	    "text format parsing error in line 1: unexpected end of label value \"x\"");
	bad("a{b=\"x\n\"} 1\n",
	    "text format parsing error in line 1: label value \"x\" contains unescaped new-line");
	bad("a{b=\"\xff\"} 1\n",
	    "text format parsing error in line 1: invalid label value \"\xff\"");
	bad("a{,} 1\n", "text format parsing error in line 1: invalid label name for metric \"a\"");
	bad("{b=\"x\"} 1\n", "text format parsing error in line 1: invalid metric name");
	bad("1a 1\n", "text format parsing error in line 1: invalid metric name");
	bad("ok 1\n\nbad-name 1\n",
	    "text format parsing error in line 3: expected float as value, got \"-name\"");
}

Test(expo_parse, help_type_errors)
{
	bad("# HELP a x\n# HELP a y\n",
	    "text format parsing error in line 2: second HELP line for metric name \"a\"");
	bad("# TYPE a gauge\n# TYPE a counter\n",
	    "text format parsing error in line 2: second TYPE line for metric name \"a\", or TYPE "
	    "reported after samples");
	bad("a 1\n# TYPE a gauge\n", "text format parsing error in line 2: second TYPE line for "
				     "metric name \"a\", or TYPE reported after samples");
	bad("# TYPE a gauges\n",
	    "text format parsing error in line 1: unknown metric type \"gauges\"");
	bad("# TYPE a gauge \n",
	    "text format parsing error in line 1: unknown metric type \"gauge \"");
	bad("# HELP 9a x\n", "text format parsing error in line 1: invalid metric name in comment");
	bad("# HELP a\\b x\n",
	    "text format parsing error in line 1: invalid metric name in comment");
	bad("# HELP a bad \\t escape\n",
	    "text format parsing error in line 1: invalid escape sequence '\\t'");
	/* any case of the type keyword, HELP after samples */
	ok("# TYPE a GaUgE\na 1\n# HELP a late\n", "a|a{}|1||value\n");
	cr_assert_eq(expo_parser_family(parser, 0)->type, EXPO_GAUGE);
	cr_assert_str_eq(expo_parser_family(parser, 0)->help, "late");
	/* "# HELP a " (nothing after the name) gives no help */
	ok("# HELP a \na 1\n", "a|a{}|1||value\n");
	cr_assert_null(expo_parser_family(parser, 0)->help);
}

Test(expo_parse, summary_and_histogram)
{
	ok("# TYPE s summary\ns{q=\"x\",quantile=\"0.5\"} 1\ns_sum{q=\"x\"} 10\ns_count{q=\"x\"} "
	   "4\n"
	   "s{q=\"y\"} 9\n",
	   "s|s{q=\"x\",quantile=\"0.5\"}|1||quantile\ns|s_sum{q=\"x\"}|10||sum\n"
	   "s|s_count{q=\"x\"}|4||count\ns|s{q=\"y\"}|9||ignored\n");
	ok("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
	   "h_bucket 5\n",
	   "h|h_bucket{le=\"1\"}|1||bucket\nh|h_bucket{le=\"+Inf\"}|2||bucket\n"
	   "h|h_sum{}|3||sum\nh|h_count{}|2||count\nh|h_bucket{}|5||ignored\n");
	cr_assert_eq(expo_parser_nfamilies(parser), 1);
	/* without TYPE, _sum and _count are families of their own */
	ok("x_sum 1\nx_count 2\n", "x_sum|x_sum{}|1||value\nx_count|x_count{}|2||value\n");
	cr_assert_eq(expo_parser_nfamilies(parser), 2);
	/* _bucket belongs to histograms only */
	ok("# TYPE s summary\ns_bucket 1\n", "s_bucket|s_bucket{}|1||value\n");
	bad("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n",
	    "text format parsing error in line 2: expected float as value for 'le' label, got "
	    "\"x\"");
	bad("# TYPE s summary\ns{quantile=\"x\"} 1\n",
	    "text format parsing error in line 2: expected float as value for 'quantile' label, "
	    "got \"x\"");
	bad("# TYPE h histogram\nh_count -1\n",
	    "text format parsing error in line 2: negative count for histogram \"h\"");
	/* le on a gauge is an ordinary label */
	ok("# TYPE g gauge\ng{le=\"x\"} 1\n", "g|g{le=\"x\"}|1||value\n");
}

Test(expo_parse, names_terminated_after_errors)
{
	bad("foo{1=\"c\"} 1\n",
	    "text format parsing error in line 1: invalid label name for metric \"foo\"");
	cr_assert_eq(expo_parser_nfamilies(parser), 1);
	cr_assert_str_eq(expo_parser_family(parser, 0)->name, "foo");
	/* Go would read "a-1 2" as a=-1 at 2 ms; we refuse it */
	bad("a-1 2\n", "text format parsing error in line 1: expected float as value, got \"-1\"");
}

Test(expo_parse, families_without_samples_and_order)
{
	ok("# HELP a x\n# TYPE b gauge\nc 1\n", "c|c{}|1||value\n");
	cr_assert_eq(expo_parser_nfamilies(parser), 3);
	cr_assert_eq(expo_parser_family(parser, 0)->nsamples, 0);
	cr_assert_str_eq(expo_parser_family(parser, 2)->name, "c");
	/* a family may come back after another one */
	ok("a 1\nb 2\na 3\n", "a|a{}|1||value\nb|b{}|2||value\na|a{}|3||value\n");
	cr_assert_eq(expo_parser_nfamilies(parser), 2);
}

static int stop_at_second(void *ctx, const struct expo_parse_sample *s)
{
	int *n = ctx;
	(void)s;
	return ++*n == 2 ? -ECANCELED : 0;
}

Test(expo_parse, callback_stops_and_null_callback)
{
	char text[] = "a 1\nb 2\nc 3\n";
	int n = 0;
	struct expo_parse_opts o = {.sample = stop_at_second, .ctx = &n};
	cr_assert_eq(expo_parse(parser, text, strlen(text), &o, NULL), -ECANCELED);
	char text2[] = "a 1\nb 2\nc 3\n";
	cr_assert_eq(expo_parse(parser, text2, strlen(text2), NULL, NULL), 0);
	cr_assert_eq(expo_parser_nfamilies(parser), 3);
	char text3[] = "a 1\n";
	struct expo_parse_opts om = {.format = EXPO_PARSE_OPENMETRICS_1_0};
	cr_assert_eq(expo_parse(parser, text3, strlen(text3), &om, NULL), -ENOTSUP);
}

Test(expo_parse, huge_input)
{
	/* a 1 MiB label value, 64 labels, 20000 families */
	size_t big = 1 << 20;
	struct buf t = BUF_INIT;
	buf_puts(&t, "m{v=\"");
	for (size_t i = 0; i < big; i++)
		buf_putc(&t, 'x');
	buf_puts(&t, "\"} 1\nn{");
	for (int i = 0; i < 64; i++)
		buf_printf(&t, "l%d=\"%d\",", i, i);
	buf_puts(&t, "} 2\n");
	for (int i = 0; i < 20000; i++)
		buf_printf(&t, "# TYPE f%d counter\nf%d{a=\"b\"} %d\n", i, i, i);
	struct buf out = BUF_INIT;
	buf_puts(&out, "");
	struct expo_parse_opts o = {.sample = dump_sample, .ctx = &out};
	cr_assert_eq(expo_parse(parser, t.data, t.len, &o, &perr), 0, "%s", perr.msg);
	cr_assert_eq(expo_parser_nfamilies(parser), 20002);
	const struct expo_parse_family *f = expo_parser_family(parser, 20001);
	cr_assert_str_eq(f->name, "f19999");
	cr_assert_eq(f->type, EXPO_COUNTER);
	cr_assert(strstr(out.data, "n|n{l0=\"0\",l1=\"1\","));
	cr_assert(strstr(out.data, "f19999|f19999{a=\"b\"}|19999||value\n"));
	buf_free(&t);
	buf_free(&out);
}

Test(expo_parse, garbage_never_crashes)
{
	/* pseudo-random bytes, and mutations of a valid text: must not crash */
	unsigned seed = 12345;
	static const char alpha[] = "ab{}=\",# \n\\01.eE+-_:HELPTYPE\t";
	const char *valid = "# HELP a h\\n\n# TYPE a summary\na{b=\"c\",quantile=\"0.5\"} 1 2\n"
			    "a_sum 3\na_count 4\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n";
	for (int round = 0; round < 3000; round++) {
		char text[200];
		size_t len;
		if (round % 2) {
			len = strlen(valid);
			memcpy(text, valid, len);
			for (int k = 0; k < 3; k++) {
				seed = seed * 1103515245 + 12345;
				text[(seed >> 8) % len] = (char)(seed >> 16);
			}
		} else {
			seed = seed * 1103515245 + 12345;
			len = (seed >> 8) % sizeof(text);
			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245 + 12345;
				text[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
			}
		}
		int rc = expo_parse(parser, text, len, NULL, &perr);
		cr_assert(rc == 0 || rc == -EINVAL, "rc %d", rc);
		if (rc)
			cr_assert(strncmp(perr.msg, "text format parsing error in line ", 34) == 0);
	}
}
