// SPDX-License-Identifier: Apache-2.0
/*
 * The text exposition format parser; the format and the rules it enforces
 * are described in expo_parse.h.
 *
 * One pass over the buffer, one line at a time: the line is split into
 * tokens in place (unescaping shrinks, so it can write over its own input)
 * and every token is NUL-terminated where it ends.  The families seen so far
 * live in a reused array with an open-addressing index keyed by name, so the
 * _sum/_count/_bucket lookups and the duplicate HELP/TYPE checks cost a hash
 * each.  Labels of the current sample go into a reused array.
 */
#include "common/expo_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pfile.h"
#include "common/utf8.h"

struct pfam {
	struct expo_parse_family pub;
	size_t namelen;
};

struct expo_parser {
	struct pfam *fams;
	size_t nfams, capfams;
	uint32_t *slots; /* family index + 1, 0 = empty; size a power of two */
	size_t nslots;
	struct expo_label *labels;
	size_t caplabels;
	char *tail; /* copy of an unterminated last line, with '\n' added */
	size_t captail;
	/* the family (index + 1, 0 = none) and kind the last sample line
	 * resolved to: the next sample is most likely of the same one */
	size_t last_fam;
	enum expo_sample_kind last_kind;
	/* expo_parser_expect(): series text the next sample line may start with */
	const char *expect;
	size_t expect_len;
	char *raw; /* opts.raw_series: the sample line as written, before parsing */
	size_t capraw;
};

/* State of one parse. */
struct pstate {
	struct expo_parser *p;
	const struct expo_parse_opts *opts;
	struct expo_parse_error *err;
	size_t line;
	const char *eol;   /* end of the current line (its '\n') */
	bool unterminated; /* the line had no '\n' in the input */
	bool want_raw;	   /* opts.raw_series */
	const char *errpos;
};

/* ---- small helpers --------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static bool is_label_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_label_char(char c)
{
	return is_label_start(c) || (c >= '0' && c <= '9');
}

/* Append s quoted as Go's %q quotes a string. */
static size_t go_quote(char *out, size_t size, const char *s, size_t len)
{
	size_t n = 0;
#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (n + 1 < size)                                                                  \
			out[n] = (c);                                                              \
		n++;                                                                               \
	} while (0)
	PUT('"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			break;
		}
		if (esc) {
			for (; *esc; esc++)
				PUT(*esc);
		} else if (c < 0x20 || c == 0x7f) {
			static const char hex[] = "0123456789abcdef";
			PUT('\\');
			PUT('x');
			PUT(hex[c >> 4]);
			PUT(hex[c & 15]);
		} else {
			PUT((char)c);
		}
	}
	PUT('"');
#undef PUT
	if (size)
		out[n < size ? n : size - 1] = '\0';
	return n;
}

/* A byte quoted as Go's %q quotes a byte (a rune literal). */
static void go_quote_byte(char *out, size_t size, char c)
{
	switch (c) {
	case '\n':
		snprintf(out, size, "'\\n'");
		break;
	case '\t':
		snprintf(out, size, "'\\t'");
		break;
	case '\r':
		snprintf(out, size, "'\\r'");
		break;
	case '\'':
		snprintf(out, size, "'\\''");
		break;
	case '\\':
		snprintf(out, size, "'\\\\'");
		break;
	default:
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			snprintf(out, size, "'\\x%02x'", (unsigned char)c);
		else
			snprintf(out, size, "'%c'", c);
	}
}

static int parse_error(struct pstate *ps, const char *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_error(struct pstate *ps, const char *pos, const char *fmt, ...)
{
	ps->errpos = pos;
	if (!ps->err)
		return -EINVAL;
	ps->err->line = ps->line;
	int n = snprintf(ps->err->msg, sizeof(ps->err->msg),
			 "text format parsing error in line %zu: ", ps->line);
	if (n < 0 || (size_t)n >= sizeof(ps->err->msg))
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg + n, sizeof(ps->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int expo_parse_float(const char *s, size_t len, double *out)
{
	/* the common value first: a sign and at most 15 digits, an exact double
	 * (what Go's ParseFloat makes of it, -0 included) */
	size_t i = len && (s[0] == '-' || s[0] == '+');
	if (len > i && len - i <= 15) {
		uint64_t v = 0;
		size_t k = i;
		while (k < len && s[k] >= '0' && s[k] <= '9')
			v = v * 10 + (uint64_t)(s[k++] - '0');
		if (k == len) {
			*out = s[0] == '-' ? -(double)v : (double)v;
			return 0;
		}
	}
	return parse_go_float(s, len, out);
}

/* strconv.ParseInt(s, 10, 64) */
static int parse_i64(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (len && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return -EINVAL;
	uint64_t v = 0;
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* ---- families ----------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct pfam *fam_find(struct expo_parser *p, const char *name, size_t len)
{
	if (!p->nslots)
		return NULL;
	size_t mask = p->nslots - 1;
	for (size_t i = hash_bytes(name, len) & mask;; i = (i + 1) & mask) {
		uint32_t v = p->slots[i];
		if (!v)
			return NULL;
		struct pfam *f = &p->fams[v - 1];
		if (f->namelen == len && memcmp(f->pub.name, name, len) == 0)
			return f;
	}
}

static int fam_index_grow(struct expo_parser *p)
{
	size_t n = p->nslots ? p->nslots * 2 : 64;
	uint32_t *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(p->slots);
	p->slots = slots;
	p->nslots = n;
	for (size_t k = 0; k < p->nfams; k++) {
		size_t i = hash_bytes(p->fams[k].pub.name, p->fams[k].namelen) & (n - 1);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = (uint32_t)(k + 1);
	}
	return 0;
}

/* name must already be NUL-terminated at len. */
static struct pfam *fam_add(struct expo_parser *p, const char *name, size_t len)
{
	if ((p->nfams + 1) * 2 > p->nslots && fam_index_grow(p) < 0)
		return NULL;
	if (p->nfams == p->capfams) {
		size_t cap = p->capfams ? p->capfams * 2 : 32;
		struct pfam *f = realloc(p->fams, cap * sizeof(*f));
		if (!f)
			return NULL;
		p->fams = f;
		p->capfams = cap;
	}
	struct pfam *f = &p->fams[p->nfams];
	p->last_fam = 0; /* an exact name may now shadow a suffix match */
	memset(f, 0, sizeof(*f));
	f->pub.name = name;
	f->pub.type = EXPO_UNTYPED;
	f->namelen = len;
	size_t mask = p->nslots - 1;
	size_t i = hash_bytes(name, len) & mask;
	while (p->slots[i])
		i = (i + 1) & mask;
	p->slots[i] = (uint32_t)(++p->nfams);
	return f;
}

static bool has_suffix(const char *name, size_t len, const char *suf, size_t *base)
{
	size_t sl = strlen(suf);
	if (len <= sl || memcmp(name + len - sl, suf, sl) != 0)
		return false;
	*base = len - sl;
	return true;
}

/*
 * The family a name belongs to, created if needed, as Go's
 * setOrCreateCurrentMF: the exact name first, then <base> of <base>_sum /
 * _count when it is a summary, of _sum / _count / _bucket when it is a
 * histogram.  *kind tells which suffix matched.
 */
static struct pfam *fam_resolve(struct expo_parser *p, const char *name, size_t len,
				enum expo_sample_kind *kind)
{
	*kind = EXPO_SAMPLE_VALUE;
	struct pfam *f = fam_find(p, name, len);
	if (f)
		return f;
	size_t base;
	if (has_suffix(name, len, "_sum", &base) || has_suffix(name, len, "_count", &base)) {
		f = fam_find(p, name, base);
		if (f && f->pub.has_type &&
		    (f->pub.type == EXPO_SUMMARY || f->pub.type == EXPO_HISTOGRAM)) {
			*kind = name[len - 1] == 'm' ? EXPO_SAMPLE_SUM : EXPO_SAMPLE_COUNT;
			return f;
		}
	}
	if (has_suffix(name, len, "_bucket", &base)) {
		f = fam_find(p, name, base);
		if (f && f->pub.has_type && f->pub.type == EXPO_HISTOGRAM) {
			*kind = EXPO_SAMPLE_BUCKET;
			return f;
		}
	}
	return fam_add(p, name, len);
}

static const char *kind_suffix(enum expo_sample_kind kind, size_t *len)
{
	static const char *const suf[] = {[EXPO_SAMPLE_SUM] = "_sum",
					  [EXPO_SAMPLE_COUNT] = "_count",
					  [EXPO_SAMPLE_BUCKET] = "_bucket"};
	const char *r =
		kind == EXPO_SAMPLE_SUM || kind == EXPO_SAMPLE_COUNT || kind == EXPO_SAMPLE_BUCKET
			? suf[kind]
			: "";
	*len = strlen(r);
	return r;
}

/*
 * fam_resolve() for a sample line, trying the family of the previous sample
 * line first: it gives the same answer as long as no family was added and no
 * TYPE line was read since (both drop the memory).
 */
static struct pfam *fam_resolve_sample(struct expo_parser *p, const char *name, size_t len,
				       enum expo_sample_kind *kind)
{
	if (p->last_fam) {
		struct pfam *c = &p->fams[p->last_fam - 1];
		size_t sl;
		const char *suf = kind_suffix(p->last_kind, &sl);
		if (len == c->namelen + sl && memcmp(name, c->pub.name, c->namelen) == 0 &&
		    memcmp(name + c->namelen, suf, sl) == 0) {
			*kind = p->last_kind;
			return c;
		}
	}
	struct pfam *f = fam_resolve(p, name, len, kind);
	if (f) {
		p->last_fam = (size_t)(f - p->fams) + 1;
		p->last_kind = *kind;
	}
	return f;
}

/* ---- lines ---------------------------------------------------------------- */

static char *skip_blanks(char *s, const char *eol)
{
	while (s < eol && is_blank(*s))
		s++;
	return s;
}

/*
 * Unescape [s, eol) in place (\\, \n, \"), NUL-terminate; returns the
 * length or -EINVAL.
 */
static int unescape_to_eol(struct pstate *ps, char *s, const char *eol, size_t *outlen)
{
	char *w = s;
	for (char *r = s; r < eol; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		char c = r + 1 < eol ? r[1] : '\n';
		if (c == '\\' || c == '"')
			*w++ = c;
		else if (c == 'n')
			*w++ = '\n';
		else
			return parse_error(ps, r + 1, "invalid escape sequence '\\%c'", c);
		r++;
	}
	*w = '\0';
	*outlen = (size_t)(w - s);
	return 0;
}

static int parse_type_word(const char *s, size_t len, enum expo_type *t)
{
	static const struct {
		const char *word;
		enum expo_type type;
	} types[] = {
		{"counter", EXPO_COUNTER}, {"gauge", EXPO_GAUGE},	  {"untyped", EXPO_UNTYPED},
		{"summary", EXPO_SUMMARY}, {"histogram", EXPO_HISTOGRAM},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (ascii_eq_nocase(s, len, types[i].word)) {
			*t = types[i].type;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_comment(struct pstate *ps, char *s)
{
	const char *eol = ps->eol;
	char q[300];
	ps->p->last_fam = 0; /* a TYPE line changes what a suffix resolves to */
	s = skip_blanks(s + 1, eol);
	char *kw = s;
	while (s < eol && !is_blank(*s))
		s++;
	if (s == eol)
		return 0;
	size_t kwlen = (size_t)(s - kw);
	bool help = kwlen == 4 && memcmp(kw, "HELP", 4) == 0;
	bool type = kwlen == 4 && memcmp(kw, "TYPE", 4) == 0;
	/* OpenMetrics hook: "# EOF", "# UNIT" would be recognised here. */
	if (!help && !type)
		return 0;
	s = skip_blanks(s, eol);
	char *name = s;
	if (s < eol && is_name_start(*s)) {
		while (s < eol && is_name_char(*s))
			s++;
	}
	if (s == eol)
		return 0;
	if (!is_blank(*s))
		return parse_error(ps, s, "invalid metric name in comment");
	size_t len = (size_t)(s - name);
	*s++ = '\0';
	enum expo_sample_kind kind;
	struct pfam *f = fam_resolve(ps->p, name, len, &kind);
	if (!f)
		return -ENOMEM;
	s = skip_blanks(s, eol);
	if (s == eol)
		return 0;
	if (help) {
		if (f->pub.help) {
			go_quote(q, sizeof(q), f->pub.name, f->namelen);
			return parse_error(ps, s, "second HELP line for metric name %s", q);
		}
		size_t hl;
		int rc = unescape_to_eol(ps, s, eol, &hl);
		if (rc < 0)
			return rc;
		f->pub.help = s;
		return 0;
	}
	if (f->pub.has_type || f->pub.nsamples) {
		go_quote(q, sizeof(q), f->pub.name, f->namelen);
		return parse_error(
			ps, s,
			"second TYPE line for metric name %s, or TYPE reported after samples", q);
	}
	size_t tl = (size_t)(eol - s);
	enum expo_type t;
	if (parse_type_word(s, tl, &t) < 0) {
		go_quote(q, sizeof(q), s, tl);
		return parse_error(ps, eol, "unknown metric type %s", q);
	}
	f->pub.type = t;
	f->pub.has_type = true;
	return 0;
}

static int labels_reserve(struct expo_parser *p, size_t n)
{
	if (n <= p->caplabels)
		return 0;
	size_t cap = p->caplabels ? p->caplabels * 2 : 16;
	while (cap < n)
		cap *= 2;
	struct expo_label *l = realloc(p->labels, cap * sizeof(*l));
	if (!l)
		return -ENOMEM;
	p->labels = l;
	p->caplabels = cap;
	return 0;
}

/*
 * Read a label value starting after its opening quote; unescape in place
 * and NUL-terminate.  *next gets the position after the closing quote.
 */
static int read_label_value(struct pstate *ps, char *s, char **next, bool *ascii, size_t *vlen)
{
	const char *eol = ps->eol;
	char *w = s;
	char q[300];
	unsigned char high = 0;
	bool nul = false;
	for (char *r = s;; r++) {
		if (r >= eol) {
			go_quote(q, sizeof(q), s, (size_t)(w - s));
			return parse_error(ps, eol, "label value %s contains unescaped new-line",
					   q);
		}
		if (*r == '"') {
			*w = '\0';
			*next = r + 1;
			*ascii = !(high & 0x80);
			/* a NUL byte ends the value, as it always did */
			*vlen = nul ? strlen(s) : (size_t)(w - s);
			return 0;
		}
		if (*r != '\\') {
			high |= (unsigned char)*r;
			nul |= *r == '\0';
			*w++ = *r;
			continue;
		}
		char c = r + 1 < eol ? r[1] : '\n';
		if (c == '\\' || c == '"')
			*w++ = c;
		else if (c == 'n')
			*w++ = '\n';
		else
			return parse_error(ps, r + 1, "invalid escape sequence '\\%c'", c);
		r++;
	}
}

/*
 * The rest of a sample line from its value at s: value, timestamp, the
 * checks that need them, then the callback.  line is where the sample line
 * starts (for the raw series text, see expo_parse_sample.raw); expected:
 * parse_expected() took the line, without its labels.
 */
static int sample_finish(struct pstate *ps, struct pfam *f, const char *name,
			 enum expo_sample_kind kind, size_t n, int bound_label, double bound,
			 const char *line, char *s, bool expected)
{
	struct expo_parser *p = ps->p;
	const char *eol = ps->eol;
	char q[300];
	int rc;
	bool histo = f->pub.type == EXPO_HISTOGRAM, summ = f->pub.type == EXPO_SUMMARY;
	size_t rawlen = (size_t)(s - line);

	char *vs = s;
	while (s < eol && !is_blank(*s))
		s++;
	double v;
	rc = expo_parse_float(vs, (size_t)(s - vs), &v);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		go_quote(q, sizeof(q), vs, (size_t)(s - vs));
		return parse_error(ps, s, "expected float as value, got %s", q);
	}
	int64_t ts = EXPO_NO_TS;
	if (s < eol) {
		/* OpenMetrics hook: an exemplar (" # {...} v [ts]") would start here. */
		s = skip_blanks(s, eol);
		char *ts_s = s;
		while (s < eol && !is_blank(*s))
			s++;
		if (parse_i64(ts_s, (size_t)(s - ts_s), &ts) < 0) {
			go_quote(q, sizeof(q), ts_s, (size_t)(s - ts_s));
			return parse_error(ps, s, "expected integer as timestamp, got %s", q);
		}
		if (s < eol) {
			go_quote(q, sizeof(q), s, (size_t)(eol - s));
			return parse_error(ps, eol, "spurious string after timestamp: %s", q);
		}
	}
	if (ps->unterminated)
		return parse_error(ps, eol, "unexpected end of input stream");

	if (histo || summ) {
		/* as Go: a line of the family with le/quantile is a bucket/quantile,
		 * whatever its suffix; _sum and _count win over the label */
		if (kind != EXPO_SAMPLE_SUM && kind != EXPO_SAMPLE_COUNT)
			kind = bound_label < 0 ? EXPO_SAMPLE_IGNORED
			       : histo	       ? EXPO_SAMPLE_BUCKET
					       : EXPO_SAMPLE_QUANTILE;
		if (histo && v < 0 && (kind == EXPO_SAMPLE_COUNT || kind == EXPO_SAMPLE_BUCKET)) {
			go_quote(q, sizeof(q), f->pub.name, f->namelen);
			return parse_error(
				ps, eol, "negative %s for histogram %s",
				kind == EXPO_SAMPLE_COUNT ? "count" : "bucket population", q);
		}
	} else {
		bound_label = -1;
		bound = NAN;
	}

	f->pub.nsamples++;
	if (!ps->opts || !ps->opts->sample)
		return 0;
	struct expo_parse_sample smp = {
		.family = &f->pub,
		.family_index = (size_t)(f - p->fams),
		.name = name,
		.kind = kind,
		.labels = n ? p->labels : NULL,
		.nlabels = n,
		.bound_label = bound_label,
		.bound = bound,
		.value = v,
		.ts_ms = ts,
		.line = ps->line,
		.expected = expected,
	};
	/* the copy taken before the line was parsed in place (see parse_sample()) */
	if (ps->want_raw && !histo && !summ && !smp.expected) {
		smp.raw = p->raw;
		smp.rawlen = rawlen;
	}
	return ps->opts->sample(ps->opts->ctx, &smp);
}

/*
 * The line at s starts with the expected series text (expo_parser_expect()),
 * of el bytes, followed by neither a blank nor '{'.  That text is the series
 * part of an earlier line that parsed, in a family that was no summary or
 * histogram, up to its value: the same bytes tokenize the same way (the
 * only state a series part's parse depends on is the family type: the
 * bound label a summary or histogram takes and its duplicate rule), and
 * the byte after it is where a full parse starts the value too.  So when
 * the family is no summary or histogram now either, only the name is
 * looked at (for the family) and the value parsed.  Returns 1 when the
 * family is a summary or histogram: the line was not modified, parse it
 * fully.
 */
static int parse_expected(struct pstate *ps, char *s, size_t el)
{
	struct expo_parser *p = ps->p;
	char *name = s, *end = s + el;
	while (s < end && is_name_char(*s))
		s++;
	size_t namelen = (size_t)(s - name);
	enum expo_sample_kind kind;
	struct pfam *f = fam_resolve_sample(p, name, namelen, &kind);
	if (!f)
		return -ENOMEM;
	if (f->pub.type == EXPO_HISTOGRAM || f->pub.type == EXPO_SUMMARY)
		return 1;
	*s = '\0'; /* the name's terminator, as in parse_sample() */
	return sample_finish(ps, f, name, kind, 0, -1, NAN, name, end, true);
}

static int parse_sample(struct pstate *ps, char *s)
{
	struct expo_parser *p = ps->p;
	const char *eol = ps->eol;
	char q[300], qb[16];
	int rc;

	size_t el = p->expect_len;
	p->expect_len = 0; /* an expectation holds for one sample line */
	if (el && (size_t)(eol - s) > el && !is_blank(s[el]) && s[el] != '{' &&
	    memcmp(s, p->expect, el) == 0) {
		rc = parse_expected(ps, s, el);
		if (rc <= 0)
			return rc;
	}
	char *line = s;
	if (ps->want_raw) {
		/* keep the line as written: parsing unescapes and terminates in place */
		size_t ll = (size_t)(eol - s);
		if (ll > p->capraw) {
			char *r = realloc(p->raw, ll);
			if (!r)
				return -ENOMEM;
			p->raw = r;
			p->capraw = ll;
		}
		memcpy(p->raw, s, ll);
	}
	if (!is_name_start(*s))
		return parse_error(ps, s, "invalid metric name");
	char *name = s;
	while (s < eol && is_name_char(*s))
		s++;
	size_t namelen = (size_t)(s - name);
	char term = s < eol ? *s : '\n';
	if (term != ' ' && term != '\t' && term != '{' && term != '\n') {
		/* Go reads on into the value ("a-1" is a, then "-1"): no name
		 * terminator to write here, so such lines are refused */
		char *tok = s;
		while (s < eol && !is_blank(*s))
			s++;
		go_quote(q, sizeof(q), tok, (size_t)(s - tok));
		return parse_error(ps, s, "expected float as value, got %s", q);
	}
	enum expo_sample_kind kind;
	struct pfam *f = fam_resolve_sample(p, name, namelen, &kind);
	if (!f)
		return -ENOMEM;
	*s = '\0'; /* the terminator (blank, '{' or the newline) is consumed */
	bool histo = f->pub.type == EXPO_HISTOGRAM, summ = f->pub.type == EXPO_SUMMARY;
	const char *bound_name = histo ? "le" : summ ? "quantile" : NULL;
	if (term != '{') {
		s = skip_blanks(s < eol ? s + 1 : s, eol);
		term = s < eol ? *s : '\n';
	}

	size_t n = 0;
	int bound_label = -1;
	double bound = NAN;
	if (term == '{') {
		s++;
		for (;;) {
			s = skip_blanks(s, eol);
			if (s < eol && *s == '}') {
				s++;
				break;
			}
			char *ln = s;
			if (s < eol && is_label_start(*s)) {
				while (s < eol && is_label_char(*s))
					s++;
			}
			size_t ll = (size_t)(s - ln);
			if (!ll) {
				go_quote(q, sizeof(q), name, namelen);
				return parse_error(ps, s, "invalid label name for metric %s", q);
			}
			char *lend = s;
			s = skip_blanks(s, eol);
			if (s >= eol || *s != '=') {
				go_quote_byte(qb, sizeof(qb), s < eol ? *s : '\n');
				return parse_error(ps, s, "expected '=' after label name, found %s",
						   qb);
			}
			s++;
			*lend = '\0';
			if (ll == 8 && memcmp(ln, "__name__", 8) == 0)
				return parse_error(ps, s, "label name \"__name__\" is reserved");
			bool is_bound = bound_name && strcmp(ln, bound_name) == 0;
			for (size_t k = 0; k < n && !is_bound; k++) {
				if ((int)k != bound_label && p->labels[k].name[0] == ln[0] &&
				    strcmp(p->labels[k].name, ln) == 0) {
					go_quote(q, sizeof(q), name, namelen);
					return parse_error(
						ps, s, "duplicate label names for metric %s", q);
				}
			}
			s = skip_blanks(s, eol);
			if (s >= eol || *s != '"') {
				go_quote_byte(qb, sizeof(qb), s < eol ? *s : '\n');
				return parse_error(
					ps, s, "expected '\"' at start of label value, found %s",
					qb);
			}
			char *lv = s + 1;
			bool ascii = false;
			size_t vl = 0;
			rc = read_label_value(ps, lv, &s, &ascii, &vl);
			if (rc < 0)
				return rc;
			if (!ascii && !utf8_valid(lv, vl)) {
				go_quote(q, sizeof(q), lv, vl);
				return parse_error(ps, s, "invalid label value %s", q);
			}
			if (is_bound) {
				if (expo_parse_float(lv, vl, &bound) < 0) {
					go_quote(q, sizeof(q), lv, vl);
					return parse_error(
						ps, s,
						"expected float as value for '%s' label, got %s",
						bound_name, q);
				}
				bound_label = (int)n;
			}
			rc = labels_reserve(p, n + 1);
			if (rc < 0)
				return rc;
			p->labels[n].name = ln;
			p->labels[n].value = lv;
			n++;
			s = skip_blanks(s, eol);
			if (s < eol && *s == ',') {
				s++;
				continue;
			}
			if (s < eol && *s == '}') {
				s++;
				break;
			}
			go_quote(q, sizeof(q), lv, vl);
			return parse_error(ps, s, "unexpected end of label value %s", q);
		}
		s = skip_blanks(s, eol);
	}

	return sample_finish(ps, f, name, kind, n, bound_label, bound, line, s, false);
}

/* ---- public ---------------------------------------------------------------- */

struct expo_parser *expo_parser_new(void)
{
	return calloc(1, sizeof(struct expo_parser));
}

void expo_parser_free(struct expo_parser *p)
{
	if (!p)
		return;
	free(p->fams);
	free(p->slots);
	free(p->labels);
	free(p->tail);
	free(p->raw);
	free(p);
}

void expo_parser_expect(struct expo_parser *p, const char *raw, size_t len)
{
	p->expect = raw;
	p->expect_len = raw ? len : 0;
}

size_t expo_parser_nfamilies(const struct expo_parser *p)
{
	return p->nfams;
}

const struct expo_parse_family *expo_parser_family(const struct expo_parser *p, size_t i)
{
	return i < p->nfams ? &p->fams[i].pub : NULL;
}

static int parse_text(struct expo_parser *p, char *text, size_t len,
		      const struct expo_parse_opts *opts, struct expo_parse_error *err);

int expo_parse(struct expo_parser *p, char *text, size_t len, const struct expo_parse_opts *opts,
	       struct expo_parse_error *err)
{
	int rc = parse_text(p, text, len, opts, err);
	expo_parser_expect(p, NULL, 0); /* never carried into another parse */
	return rc;
}

static int parse_text(struct expo_parser *p, char *text, size_t len,
		      const struct expo_parse_opts *opts, struct expo_parse_error *err)
{
	struct pstate ps = {.p = p, .opts = opts, .err = err, .want_raw = opts && opts->raw_series};
	if (opts && opts->format != EXPO_PARSE_TEXT_0_0_4)
		return -ENOTSUP;
	p->nfams = 0;
	p->last_fam = 0;
	if (p->nslots)
		memset(p->slots, 0, p->nslots * sizeof(*p->slots));
	if (err) {
		err->line = 0;
		err->msg[0] = '\0';
	}

	char *s = text, *end = text + len;
	while (s < end) {
		ps.line++;
		char *nl = memchr(s, '\n', (size_t)(end - s));
		char *line = s;
		if (nl) {
			s = nl + 1;
		} else {
			/* The last line has no newline: Go fails with "unexpected end
			 * of input stream" unless the line is blank, or an error comes
			 * before the end of the line.  Parse a copy with '\n' added. */
			size_t ll = (size_t)(end - line);
			char *b = skip_blanks(line, end);
			if (b == end)
				break;
			if (ll + 1 > p->captail) {
				char *t = realloc(p->tail, ll + 1);
				if (!t)
					return -ENOMEM;
				p->tail = t;
				p->captail = ll + 1;
			}
			memcpy(p->tail, line, ll);
			p->tail[ll] = '\n';
			line = p->tail;
			nl = p->tail + ll;
			ps.unterminated = true;
			s = end;
		}
		ps.eol = nl;
		char *b = skip_blanks(line, nl);
		int rc = 0;
		if (b == nl)
			rc = 0;
		else if (*b == '#')
			rc = parse_comment(&ps, b);
		else
			rc = parse_sample(&ps, b);
		if (ps.unterminated && (rc == 0 || (rc == -EINVAL && ps.errpos >= nl)))
			rc = parse_error(&ps, nl, "unexpected end of input stream");
		if (rc < 0)
			return rc;
		/* NUL-terminate the line's last token where the '\n' was */
		if (!ps.unterminated)
			*nl = '\0';
	}
	return 0;
}
