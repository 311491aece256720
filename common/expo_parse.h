/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict, allocation-free (in the steady state) parser of the Prometheus
 * text exposition format, version 0.0.4, with the semantics of
 * prometheus/common's expfmt.TextParser (what node_exporter's textfile
 * collector and Prometheus's scraper of that era accept):
 *
 *   # HELP <family> <text, with \\, \n (and \") escapes>
 *   # TYPE <family> counter|gauge|untyped|summary|histogram   (any case)
 *   # any other comment
 *   <name>[{<label>="<value>",...[,]}] <value> [<int64 ms timestamp>]
 *
 * Every line, the last one included, ends with '\n' (no CR: a CRLF file is
 * an error, as in Go).  Blanks and tabs separate tokens; a trailing blank
 * after the value or the timestamp is an error, as in Go.  Values follow Go's
 * strconv.ParseFloat without '_', 'p' or hex forms: decimal, "Inf",
 * "+Inf", "-Inf", "Infinity" and "NaN" in any case; an overflowing value
 * ("1e400") is an error.  A sample named <family>_sum / _count (summary or
 * histogram) or <family>_bucket (histogram) belongs to that family when the
 * family was declared with that TYPE before.  A family gets at most one HELP
 * and one TYPE, and the TYPE must come before its first sample.  Label names
 * may not repeat within a sample and "__name__" is reserved; label values
 * must be valid UTF-8.
 *
 * The parser works in place on a caller-owned, writable buffer: names, label
 * values and help texts are unescaped and NUL-terminated inside it, so every
 * pointer handed out stays valid as long as the buffer does and until the
 * next expo_parse() on the same parser.  The first malformed line fails the
 * whole parse with the line number and a message worded as Go's parser
 * words it; what the callbacks received before stays with the caller, who
 * decides what to keep.
 *
 * OpenMetrics (# EOF, # UNIT, _created/_total, exemplars after " # ") is
 * the planned extension: expo_parse_opts.format selects it, and the line
 * parser has one hook per construct (see parse_comment() and
 * parse_sample() in expo_parse.c).  It is not implemented yet: asking for it
 * returns -ENOTSUP.
 */
#ifndef VIGIL_COMMON_EXPO_PARSE_H
#define VIGIL_COMMON_EXPO_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/expo.h"

enum expo_parse_format {
	EXPO_PARSE_TEXT_0_0_4 = 0,
	EXPO_PARSE_OPENMETRICS_1_0, /* reserved, not implemented */
};

/* What a sample line is within its family. */
enum expo_sample_kind {
	EXPO_SAMPLE_VALUE,    /* counter, gauge, untyped */
	EXPO_SAMPLE_QUANTILE, /* summary line with a quantile label */
	EXPO_SAMPLE_BUCKET,   /* histogram _bucket line with an le label */
	EXPO_SAMPLE_SUM,      /* summary or histogram _sum */
	EXPO_SAMPLE_COUNT,    /* summary or histogram _count */
	EXPO_SAMPLE_IGNORED,  /* summary/histogram line Go's parser drops
				 (no quantile / le label): kept for the caller */
};

/* A family as declared so far.  Valid until the next expo_parse(). */
struct expo_parse_family {
	const char *name;
	const char *help; /* NULL without a HELP line (an empty HELP is NULL too) */
	enum expo_type type;
	bool has_type;	 /* a TYPE line was seen (else the type is untyped) */
	size_t nsamples; /* sample lines seen so far */
};

struct expo_parse_sample {
	const struct expo_parse_family *family;
	size_t family_index; /* index for expo_parser_family() */
	const char *name;    /* as written: "x_bucket" for family "x" */
	enum expo_sample_kind kind;
	/* labels in written order, le/quantile included */
	const struct expo_label *labels;
	size_t nlabels;
	/* index of the le/quantile label in labels, or -1 */
	int bound_label;
	double bound; /* its value parsed as a float, NaN without one */
	double value;
	int64_t ts_ms; /* EXPO_NO_TS when absent */
	size_t line;
	/*
	 * With opts.raw_series, for a sample of a family that is no summary or
	 * histogram: the line as written from the metric name up to the value
	 * (labels and the blanks before the value included), which
	 * expo_parser_expect() takes.  A copy valid during the callback; NULL
	 * otherwise.
	 */
	const char *raw;
	size_t rawlen;
	/*
	 * The line started with the text given to expo_parser_expect(): the
	 * series is the one that text was the raw of, its labels were not
	 * parsed (labels NULL, nlabels 0, no raw).
	 */
	bool expected;
};

struct expo_parse_error {
	size_t line;
	char msg[256]; /* "text format parsing error in line 3: ..." */
};

struct expo_parse_opts {
	enum expo_parse_format format;
	/*
	 * Called for every sample, in file order; a negative return stops the
	 * parse and is returned.  May be NULL (validation only).
	 */
	int (*sample)(void *ctx, const struct expo_parse_sample *s);
	void *ctx;
	bool raw_series; /* hand samples their raw series text (costs a copy per line) */
};

struct expo_parser;

/* A parser; reuse it across parses.  NULL on out-of-memory. */
struct expo_parser *expo_parser_new(void);
void expo_parser_free(struct expo_parser *p);

/*
 * Parse len bytes of text (modified in place; text[len] need not be
 * anything special).  Returns 0, -EINVAL with err filled in for malformed
 * input, -ENOMEM, -ENOTSUP for an unimplemented format, or the negative
 * value a callback returned.  err may be NULL.
 */
int expo_parse(struct expo_parser *p, char *text, size_t len, const struct expo_parse_opts *opts,
	       struct expo_parse_error *err);

/*
 * Series cache support (the scraper's, as Prometheus's scrape cache keyed
 * by the series bytes as exposed): raw (len bytes) is the raw text of a
 * sample from an earlier parse, the series the caller expects on the next
 * sample line.  When that line starts with exactly these bytes and its
 * value follows them (no blank, no '{' next), and its family is still no
 * summary or histogram, the parser reads only the name (for the family) and
 * the value: the sample comes with expected set and no labels.  Any other
 * line is parsed as usual.  The text must stay valid until that line is
 * parsed; the expectation holds for the next sample line only (set it from
 * the sample callback, or before expo_parse() for the first line).  NULL
 * clears it.  Any other text than a raw from this parser's samples is a
 * caller bug: only a raw is known to end where a series part ends.
 */
void expo_parser_expect(struct expo_parser *p, const char *raw, size_t len);

/*
 * The families of the last parse, in order of first appearance, those
 * without samples included (Go drops them; check nsamples).
 */
size_t expo_parser_nfamilies(const struct expo_parser *p);
const struct expo_parse_family *expo_parser_family(const struct expo_parser *p, size_t i);

/*
 * Parse a float as the text format does (see above): the whole of s must
 * be the number.  Returns 0 or -EINVAL (-ERANGE on overflow).
 */
int expo_parse_float(const char *s, size_t len, double *out);

#endif
