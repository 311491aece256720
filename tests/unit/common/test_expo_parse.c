// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/expo_parse.h"
#include "common/pfile.h"

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
	/* integers (the shortcut) as the general path reads them */
	static const char *const ints[] = {"0",
					   "-0",
					   "+0",
					   "7",
					   "007",
					   "-15",
					   "+15",
					   "123456789012345",
					   "-999999999999999",
					   "1234567890123456",
					   "+",
					   "-",
					   "1-",
					   "12a",
					   "1_000"};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		double want = 0;
		int wrc = parse_go_float(ints[i], strlen(ints[i]), &want);
		v = 42;
		cr_assert_eq(expo_parse_float(ints[i], strlen(ints[i]), &v), wrc, "%s", ints[i]);
		if (wrc == 0)
			cr_assert(memcmp(&v, &want, sizeof(v)) == 0, "%s: %g, want %g", ints[i], v,
				  want);
	}
	cr_assert_eq(expo_parse_float("-0", 2, &v), 0);
	cr_assert(v == 0 && signbit(v));
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

/* ---- expo_parser_expect(): the series cache's fast path ---- */

#define MAX_RAWS 64

/* Raw series texts of one parse, and the expectations of the next. */
struct raw_ctx {
	struct expo_parser *p;
	char *raw[MAX_RAWS];
	size_t rawlen[MAX_RAWS];
	size_t n;		      /* raws recorded */
	const struct raw_ctx *expect; /* expect its raws in order, or NULL */
	size_t next;		      /* next raw of expect to announce */
	size_t hits;		      /* samples that came as expected */
	struct buf *out;
	bool labels; /* dump labels (off: the fast path has none) */
};

static void raw_ctx_free(struct raw_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->raw[i]);
	memset(c, 0, sizeof(*c));
}

static void announce(struct raw_ctx *c)
{
	if (c->expect && c->next < c->expect->n && c->expect->raw[c->next])
		expo_parser_expect(c->p, c->expect->raw[c->next], c->expect->rawlen[c->next]);
	c->next++;
}

static int raw_sample(void *ctx, const struct expo_parse_sample *s)
{
	struct raw_ctx *c = ctx;
	cr_assert(!s->expected || (s->nlabels == 0 && !s->labels && !s->raw));
	c->hits += s->expected;
	if (c->n < MAX_RAWS) {
		c->raw[c->n] = s->raw ? strndup(s->raw, s->rawlen) : NULL;
		c->rawlen[c->n] = s->rawlen;
		c->n++;
	}
	char v[EXPO_DOUBLE_MAX];
	expo_format_double(v, s->value, 'g');
	buf_printf(c->out, "%s|%s|%zu|", s->family->name, s->name, s->family_index);
	if (c->labels)
		for (size_t i = 0; i < s->nlabels; i++)
			buf_printf(c->out, "%s=\"%s\",", s->labels[i].name, s->labels[i].value);
	buf_printf(c->out, "|%s|%lld|%s|%d|line %zu\n", v, (long long)s->ts_ms, kind_name(s->kind),
		   s->bound_label, s->line);
	announce(c);
	return 0;
}

/* Parse a copy of text with c's expectations; the dump goes to c->out, rc and error appended. */
static void parse_raw(struct raw_ctx *c, const char *text)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	memcpy(copy, text, len + 1);
	struct expo_parse_opts o = {.sample = raw_sample, .ctx = c, .raw_series = true};
	c->p = parser;
	c->next = 0;
	announce(c);
	int rc = expo_parse(parser, copy, len, &o, &perr);
	buf_printf(c->out, "rc %d %s\n", rc, rc ? perr.msg : "");
	free(copy);
}

/*
 * Parse second with the raws of first announced line by line, and without
 * any: the same samples (labels aside), the same result; returns the hits.
 */
static size_t expect_same(const char *first, const char *second)
{
	struct buf d0 = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT;
	struct raw_ctx a = {.out = &d0, .labels = true};
	parse_raw(&a, first);
	struct raw_ctx plain = {.out = &d1};
	parse_raw(&plain, second);
	struct raw_ctx fast = {.out = &d2, .expect = &a};
	parse_raw(&fast, second);
	cr_assert_str_eq(d2.data, d1.data, "first:\n%s\nsecond:\n%s", first, second);
	size_t hits = fast.hits;
	raw_ctx_free(&a);
	raw_ctx_free(&plain);
	raw_ctx_free(&fast);
	buf_free(&d0);
	buf_free(&d1);
	buf_free(&d2);
	return hits;
}

/* The raw text is the line from the name up to the value, as written. */
Test(expo_parse, raw_series_text)
{
	struct buf d = BUF_INIT;
	struct raw_ctx c = {.out = &d, .labels = true};
	parse_raw(&c, "a 1\n  b{x=\"1\",y=\"q\\\"\\n\"}\t 2 3\nc{} 4\nd {k=\"v\"} 5\n"
		      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 2\n"
		      "# TYPE s summary\ns{quantile=\"0.5\"} 1\ne{k=\"v\"}6\n");
	cr_assert_eq(c.n, 8);
	cr_assert_str_eq(c.raw[0], "a ");
	cr_assert_str_eq(c.raw[1], "b{x=\"1\",y=\"q\\\"\\n\"}\t ");
	cr_assert_str_eq(c.raw[2], "c{} ");
	cr_assert_str_eq(c.raw[3], "d {k=\"v\"} ");
	cr_assert_null(c.raw[4], "histogram samples have no raw text");
	cr_assert_null(c.raw[5]);
	cr_assert_null(c.raw[6], "summary samples have no raw text");
	cr_assert_str_eq(c.raw[7], "e{k=\"v\"}");
	cr_assert_eq(c.hits, 0);
	raw_ctx_free(&c);
	buf_free(&d);
}

/* The same lines again: every sample takes the fast path and reads the same. */
Test(expo_parse, expected_lines_read_as_parsed)
{
	const char *body = "# HELP a A.\n# TYPE a counter\na 1\n"
			   "b{x=\"1\",y=\"q\\\"\\n\"}\t 2 3\nc{} 4\nd {k=\"v\"} 5\n"
			   "e{k=\"v\"}6\nf{é=\"x\"} 1\n";
	const char *again = "# HELP a A.\n# TYPE a counter\na 7\n"
			    "b{x=\"1\",y=\"q\\\"\\n\"}\t 8 9\nc{} +Inf\nd {k=\"v\"} NaN\n"
			    "e{k=\"v\"}-1e3\nf{é=\"x\"} 1\n";
	/* f is no valid line: an error both ways, after five expected lines */
	cr_assert_eq(expect_same(body, again), 5);
	body = "# HELP a A.\n# TYPE a counter\na 1\n"
	       "b{x=\"1\",y=\"q\\\"\\n\"}\t 2 3\nc{} 4\nd {k=\"v\"} 5\ne{k=\"v\"}6\n";
	again = "# HELP a A.\n# TYPE a counter\na 7\n"
		"b{x=\"1\",y=\"q\\\"\\n\"}\t 8 9\nc{} +Inf\nd {k=\"v\"} NaN\ne{k=\"v\"}-1e3\n";
	cr_assert_eq(expect_same(body, again), 5);
	/* comments and blank lines in between do not use up the expectation */
	cr_assert_eq(expect_same("a 1\nb 2\n", "a 1\n# hello\n\n   \nb 3\n"), 2);
}

/* A line that differs from the expected text anywhere is parsed in full. */
Test(expo_parse, expected_text_must_match_every_byte)
{
	const char *first = "m{a=\"1\",b=\"22\"} 1\n";
	const char *variants[] = {
		"n{a=\"1\",b=\"22\"} 1\n",  "m{c=\"1\",b=\"22\"} 1\n",	"m{a=\"1\",b=\"23\"} 1\n",
		"m{a=\"1\",b=\"2\"} 1\n",   "m{a=\"1\",b=\"222\"} 1\n", "m{a=\"1\" ,b=\"22\"} 1\n",
		"m{a=\"1\",b=\"22\",} 1\n", "m{b=\"22\",a=\"1\"} 1\n",	"m {a=\"1\",b=\"22\"} 1\n",
		"mm{a=\"1\",b=\"22\"} 1\n", "m{a=\"1\",b=\"22\"}  1\n",
	};
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		cr_assert_eq(expect_same(first, variants[i]), 0, "%s", variants[i]);
	cr_assert_eq(expect_same(first, "m{a=\"1\",b=\"22\"} 2\n"), 1);
}

/*
 * Where the raw text ends is where a full parse starts the value: a name
 * without labels followed by labels, more blanks or more name characters
 * is no match; what follows the text is parsed (and refused) as a full
 * parse would.
 */
Test(expo_parse, expected_text_boundaries)
{
	cr_assert_eq(expect_same("m 1\n", "m {a=\"1\"} 1\n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m  1\n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m\t1\n"), 0);
	cr_assert_eq(expect_same("m 1\n", "mx 1\n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m \n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m "), 0);
	cr_assert_eq(expect_same("m{a=\"1\"}1\n", "m{a=\"1\"} 1\n"), 0);
	cr_assert_eq(expect_same("m{a=\"1\"}1\n", "m{a=\"1\"}{ 1\n"), 0);
	/* value errors, timestamps and the unterminated last line as in full */
	cr_assert_eq(expect_same("m{a=\"1\"}1\n", "m{a=\"1\"}x 1\n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m 1x\n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m 1 2 3\n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m 1 2 \n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m 1 -5\n"), 1);
	cr_assert_eq(expect_same("m 1\n", "m 1e400\n"), 0);
	cr_assert_eq(expect_same("m 1\n", "m 2"), 0);
	cr_assert_eq(expect_same("m 1\n", "m 2\r\n"), 0);
}

/*
 * Whether labels parse depends on the family type (a summary's or a
 * histogram's bound label may repeat): a raw text from an untyped family is
 * not taken once the family is a histogram, and a histogram has no raw.
 */
Test(expo_parse, expected_text_and_family_types)
{
	cr_assert_eq(
		expect_same("h_bucket{le=\"1\"} 1\n", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"),
		0);
	cr_assert_eq(expect_same("h_bucket{le=\"1\"} 1\n",
				 "# TYPE h histogram\nh_bucket{le=\"1\",le=\"2\"} 1\n"),
		     0);
	cr_assert_eq(
		expect_same("s{quantile=\"1\"} 1\n", "# TYPE s summary\ns{quantile=\"1\"} -1\n"),
		0);
	cr_assert_eq(expect_same("h_count 1\n", "# TYPE h histogram\nh_count -1\n"), 0);
	cr_assert_eq(expect_same("h_sum 1\n", "# TYPE h_sum gauge\nh_sum -1\n"), 1);
	/* the family still counts its samples: TYPE after them is refused */
	cr_assert_eq(expect_same("m 1\n", "m 1\n# TYPE m counter\n"), 1);
	cr_assert_eq(expect_same("m_sum 1\nm 2\n", "# TYPE m summary\nm_sum 1\nm 2\n"), 0);
	/* the same sample twice, and a new family the expected line creates */
	cr_assert_eq(expect_same("a 1\na 2\n", "a 1\na 2\n"), 2);
	cr_assert_eq(expect_same("a 1\nb 2\n", "b 1\na 2\n"), 0);
}

/* An expectation holds for one sample line and never outlives the parse. */
Test(expo_parse, expectation_is_used_once)
{
	struct buf d = BUF_INIT;
	struct raw_ctx first = {.out = &d};
	parse_raw(&first, "m{a=\"1\"} 1\n");
	cr_assert_eq(first.n, 1);
	char text[] = "m{a=\"1\"} 2\nm{a=\"1\"} 3\n";
	struct raw_ctx c = {.out = &d};
	struct expo_parse_opts o = {.sample = raw_sample, .ctx = &c};
	c.p = parser;
	expo_parser_expect(parser, first.raw[0], first.rawlen[0]);
	cr_assert_eq(expo_parse(parser, text, strlen(text), &o, &perr), 0);
	cr_assert_eq(c.hits, 1, "only the first line");
	raw_ctx_free(&c);
	c.out = &d;
	c.p = parser;
	/* set, then a parse without sample lines: the next parse has none */
	char empty[] = "# nothing\n";
	expo_parser_expect(parser, first.raw[0], first.rawlen[0]);
	cr_assert_eq(expo_parse(parser, empty, strlen(empty), &o, &perr), 0);
	char text2[] = "m{a=\"1\"} 2\n";
	cr_assert_eq(expo_parse(parser, text2, strlen(text2), &o, &perr), 0);
	cr_assert_eq(c.hits, 0);
	cr_assert_null(c.raw[0], "no raw_series: no raw text");
	raw_ctx_free(&c);
	raw_ctx_free(&first);
	buf_free(&d);
}

/*
 * Random few-byte mutations of a body parsed against the raw texts of the
 * original: whatever the mutation, the fast path reads what a full parse
 * reads (or fails the same way).
 */
Test(expo_parse, expected_text_random_mutations)
{
	static const char base[] =
		"# HELP a A counter.\n# TYPE a counter\na{x=\"1\",y=\"two\"} 1\n"
		"a{x=\"2\",y=\"t\\\\w\\\"o\\n\"} 2 1700000000000\nb 3\nb{} 4\n"
		"c { k = \"v\" , } 5\nd{k=\"v\"}6\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
		"h_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\nh_total 1\n"
		"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\ne_sum 1\n";
	static const char bytes[] = " \t{}\"\\,=a1#\n-_:e.";
	char buf[sizeof(base)];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	size_t hits = 0;
	for (int iter = 0; iter < 4000; iter++) {
		memcpy(buf, base, sizeof(base));
		int nmut = 1 + iter % 3;
		for (int k = 0; k < nmut; k++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			size_t pos = (size_t)(rng % (sizeof(base) - 1));
			buf[pos] = bytes[(rng >> 32) % (sizeof(bytes) - 1)];
		}
		hits += expect_same(base, buf);
	}
	cr_assert_gt(hits, 4000, "the fast path was taken (%zu)", hits);
}
