// SPDX-License-Identifier: Apache-2.0
#include "common/expo.h"

#include "common/dtoa.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One metric: a run of lines in the family's text that sorts as a unit. */
struct expo_unit {
	uint32_t off;	  /* first byte of the first line */
	uint32_t len;	  /* bytes of all its lines */
	uint32_t key_off; /* first byte after the name of the first line */
	uint32_t seq;	  /* its place in the order the samples came, while sorting */
};

#define EXPO_RECENT 256 /* a power of two */

struct expo_family {
	char *name;
	size_t namelen;
	char *help;
	size_t helplen;
	bool help_plain; /* no byte of help needs escaping */
	enum expo_type type;
	struct buf text;
	struct expo_unit *units;
	size_t nunits, capunits;
	/* where the last sort took each unit from (units[i] = came[perm[i]]) */
	uint32_t *perm;
	size_t nperm, capperm;
	bool open; /* between expo_metric_begin() and _end() */
};

struct expo_set {
	struct expo_family **fams; /* sorted by name once render sorts them */
	size_t nfams, capfams;
	bool sorted;
	/* open-addressing index name -> family, size a power of two */
	struct expo_family **slots;
	size_t nslots;
	/*
	 * The family last found for a name pointer, by the pointer's bits:
	 * collectors name their families with string literals, so a lookup is
	 * one compare of the name instead of hashing it.  The name is compared
	 * all the same (a buffer reused for another name misses).  Families
	 * live as long as the set, so an entry never dangles.
	 */
	struct {
		const char *name;
		struct expo_family *f;
	} recent[EXPO_RECENT];
	struct expo_unit *scratch; /* for sort_units() */
	size_t capscratch;
};

/* ---- numbers ---------------------------------------------------------- */

/*
 * Shortest decimal digits of v > 0 (finite) that read back to v, the closest
 * to v among equally short ones, as Go's strconv picks them.  Writes the
 * digits (no dot, no trailing zeros) and returns their count; *dp is the
 * position of the decimal point relative to the first digit (v = 0.d1d2.. *
 * 10^dp).  Schubfach in common/dtoa.c: about 30 ns for any double, where
 * printf plus strtod took 1-2 us.
 */
static int shortest_digits(double v, char *digits, int *dp)
{
	return dtoa_shortest(v, digits, dp);
}

/* Copy the literal s (with its NUL) to out; its length. */
static size_t put_literal(char *out, const char *s)
{
	size_t n = strlen(s);
	memcpy(out, s, n + 1);
	return n;
}

size_t expo_format_double(char *out, double v, char fmt)
{
	/* no printf here: zeros and exponents are most of a scrape's values */
	if (isnan(v))
		return put_literal(out, "NaN");
	if (isinf(v))
		return put_literal(out, v > 0 ? "+Inf" : "-Inf");
	if (v == 0)
		return put_literal(out, signbit(v) ? "-0" : "0");

	char digits[24] = { 0 };
	int dp = 0;
	size_t pos = 0;
	if (v < 0) {
		out[pos++] = '-';
		v = -v;
	}
	int nd = shortest_digits(v, digits, &dp);
	int exp = dp - 1;
	/* 'f': Prometheus's JSON writer switches to exponents below 1e-6 and from 1e21 on */
	bool eform = fmt == 'g' ? (exp < -4 || exp >= 6) : (exp >= 21 || exp < -6);
	if (eform) {
		out[pos++] = digits[0];
		if (nd > 1) {
			out[pos++] = '.';
			memcpy(out + pos, digits + 1, (size_t)nd - 1);
			pos += (size_t)nd - 1;
		}
		/* Go's 'e' form: sign and at least two exponent digits */
		unsigned e = (unsigned)(exp < 0 ? -exp : exp);
		out[pos++] = 'e';
		out[pos++] = exp < 0 ? '-' : '+';
		if (e >= 100)
			out[pos++] = (char)('0' + e / 100);
		out[pos++] = (char)('0' + e / 10 % 10);
		out[pos++] = (char)('0' + e % 10);
	} else if (dp <= 0) {
		out[pos++] = '0';
		out[pos++] = '.';
		for (int i = 0; i < -dp; i++)
			out[pos++] = '0';
		memcpy(out + pos, digits, (size_t)nd);
		pos += (size_t)nd;
	} else {
		for (int i = 0; i < dp; i++)
			out[pos++] = i < nd ? digits[i] : '0';
		if (nd > dp) {
			out[pos++] = '.';
			memcpy(out + pos, digits + dp, (size_t)(nd - dp));
			pos += (size_t)(nd - dp);
		}
	}
	out[pos] = '\0';
	return pos;
}

void expo_put_double(struct buf *b, double v)
{
	char tmp[EXPO_DOUBLE_MAX];
	size_t n = expo_format_double(tmp, v, 'g');
	buf_append(b, tmp, n);
}

static void put_escaped(struct buf *b, const char *s, bool quote)
{
	const char *stop = quote ? "\\\n\"" : "\\\n";
	for (;;) {
		size_t run = strcspn(s, stop);
		buf_append(b, s, run);
		s += run;
		if (!*s)
			return;
		buf_putc(b, '\\');
		buf_putc(b, *s == '\n' ? 'n' : *s);
		s++;
	}
}

void expo_put_label_value(struct buf *b, const char *v)
{
	put_escaped(b, v, true);
}

void expo_put_help(struct buf *b, const char *help)
{
	put_escaped(b, help, false);
}

static const char *const type_names[] = {
	[EXPO_COUNTER] = "counter", [EXPO_GAUGE] = "gauge",	  [EXPO_UNTYPED] = "untyped",
	[EXPO_HISTOGRAM] = "histogram", [EXPO_SUMMARY] = "summary",
};

const char *expo_type_name(enum expo_type t)
{
	return type_names[t];
}

int expo_parse_type(const char *s, enum expo_type *out)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcmp(s, type_names[i]) == 0) {
			*out = (enum expo_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- sets and families ------------------------------------------------ */

struct expo_set *expo_set_new(void)
{
	struct expo_set *s = xcalloc(1, sizeof(*s));
	s->nslots = 64;
	s->slots = xcalloc(s->nslots, sizeof(*s->slots));
	s->sorted = true;
	return s;
}

void expo_set_reset(struct expo_set *s)
{
	for (size_t i = 0; i < s->nfams; i++) {
		buf_reset(&s->fams[i]->text);
		s->fams[i]->nunits = 0;
		s->fams[i]->open = false;
	}
}

void expo_set_free(struct expo_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfams; i++) {
		struct expo_family *f = s->fams[i];
		free(f->name);
		free(f->help);
		buf_free(&f->text);
		free(f->units);
		free(f->perm);
		free(f);
	}
	free(s->fams);
	free(s->slots);
	free(s->scratch);
	free(s);
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t slot_of(const struct expo_set *s, const char *name)
{
	size_t mask = s->nslots - 1;
	size_t i = (size_t)hash_name(name) & mask;
	while (s->slots[i] && strcmp(s->slots[i]->name, name) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Give f a copy of help, and what rendering it needs. */
static void set_help(struct expo_family *f, const char *help)
{
	f->help = xstrdup(help);
	f->helplen = strlen(help);
	f->help_plain = strcspn(help, "\\\n") == f->helplen;
}

/* The family called name, or NULL and *slot (when slot is not NULL) the index slot it goes to. */
static struct expo_family *family_lookup(struct expo_set *s, const char *name, size_t *slot)
{
	size_t r = (size_t)(((uint64_t)(uintptr_t)name >> 3) * 0x9e3779b97f4a7c15u >> 56) &
		   (EXPO_RECENT - 1);
	if (s->recent[r].name == name && strcmp(s->recent[r].f->name, name) == 0)
		return s->recent[r].f;
	size_t i = slot_of(s, name);
	if (slot)
		*slot = i;
	if (s->slots[i]) {
		s->recent[r].name = name;
		s->recent[r].f = s->slots[i];
	}
	return s->slots[i];
}

struct expo_family *expo_family_find(struct expo_set *s, const char *name)
{
	return family_lookup(s, name, NULL);
}

static void grow_index(struct expo_set *s)
{
	free(s->slots);
	s->nslots *= 2;
	s->slots = xcalloc(s->nslots, sizeof(*s->slots));
	for (size_t i = 0; i < s->nfams; i++)
		s->slots[slot_of(s, s->fams[i]->name)] = s->fams[i];
}

struct expo_family *expo_family(struct expo_set *s, const char *name, const char *help,
				enum expo_type type)
{
	size_t i = 0;
	struct expo_family *f = family_lookup(s, name, &i);
	if (f) {
		/* a family re-declared with another type (a text file changed) takes
		 * the new one once its old samples are gone */
		if (f->type != type && f->nunits == 0)
			f->type = type;
		if (help && strcmp(f->help, help) != 0) {
			free(f->help);
			set_help(f, help);
		}
		return f;
	}
	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(name);
	f->namelen = strlen(name);
	set_help(f, help ? help : "");
	f->type = type;
	if (s->nfams == s->capfams) {
		s->capfams = s->capfams ? s->capfams * 2 : 64;
		s->fams = xrealloc(s->fams, s->capfams * sizeof(*s->fams));
	}
	s->fams[s->nfams++] = f;
	s->slots[i] = f;
	s->sorted = false;
	if (s->nfams * 2 > s->nslots)
		grow_index(s);
	return f;
}

enum expo_type expo_family_type(const struct expo_family *f)
{
	return f->type;
}

size_t expo_family_count(const struct expo_family *f)
{
	return f->nunits;
}

void expo_metric_begin(struct expo_family *f)
{
	if (f->nunits == f->capunits) {
		f->capunits = f->capunits ? f->capunits * 2 : 4;
		f->units = xrealloc(f->units, f->capunits * sizeof(*f->units));
	}
	struct expo_unit *u = &f->units[f->nunits];
	u->off = (uint32_t)f->text.len;
	u->key_off = UINT32_MAX;
	f->open = true;
}

/* Whether label a goes after label b; last (NULL: none) goes after every other. */
static inline bool label_after(const char *a, const char *b, const char *last)
{
	if (last) {
		if (strcmp(b, last) == 0)
			return false;
		if (strcmp(a, last) == 0)
			return true;
	}
	return strcmp(a, b) > 0;
}

void expo_metric_line(struct expo_family *f, const char *suffix, const struct expo_label *labels,
		      size_t n, double v, int64_t ts_ms)
{
	struct expo_unit *u = &f->units[f->nunits];
	const struct expo_label *sorted[EXPO_MAX_LABELS];

	if (n > EXPO_MAX_LABELS)
		n = EXPO_MAX_LABELS;
	/*
	 * insertion sort by label name (n is small); a histogram's le and a
	 * summary's quantile go last, as client_golang writes them
	 */
	const char *last = f->type == EXPO_HISTOGRAM ? "le" : f->type == EXPO_SUMMARY ? "quantile" : NULL;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && label_after(sorted[j - 1]->name, labels[i].name, last)) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = &labels[i];
	}

	struct buf *b = &f->text;
	buf_append(b, f->name, f->namelen);
	if (suffix)
		buf_puts(b, suffix);
	if (u->key_off == UINT32_MAX)
		u->key_off = (uint32_t)b->len;
	if (n) {
		buf_putc(b, '{');
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_putc(b, ',');
			buf_puts(b, sorted[i]->name);
			buf_append(b, "=\"", 2);
			expo_put_label_value(b, sorted[i]->value);
			buf_putc(b, '"');
		}
		buf_putc(b, '}');
	}
	buf_putc(b, ' ');
	expo_put_double(b, v);
	if (ts_ms != EXPO_NO_TS)
		buf_printf(b, " %lld", (long long)ts_ms);
	buf_putc(b, '\n');
}

void expo_metric_end(struct expo_family *f)
{
	struct expo_unit *u = &f->units[f->nunits];
	u->len = (uint32_t)(f->text.len - u->off);
	if (u->key_off == UINT32_MAX)
		u->key_off = u->off;
	f->nunits++;
	f->open = false;
}

void expo_add_ts(struct expo_family *f, const struct expo_label *labels, size_t n, double v,
		 int64_t ts_ms)
{
	expo_metric_begin(f);
	expo_metric_line(f, NULL, labels, n, v, ts_ms);
	expo_metric_end(f);
}

void expo_add(struct expo_family *f, const struct expo_label *labels, size_t n, double v)
{
	expo_add_ts(f, labels, n, v, EXPO_NO_TS);
}

void expo_addl(struct expo_family *f, double v, ...)
{
	struct expo_label labels[EXPO_MAX_LABELS];
	size_t n = 0;
	va_list ap;
	va_start(ap, v);
	for (;;) {
		const char *name = va_arg(ap, const char *);
		if (!name)
			break;
		const char *value = va_arg(ap, const char *);
		if (n < EXPO_MAX_LABELS) {
			labels[n].name = name;
			labels[n].value = value ? value : "";
			n++;
		}
	}
	va_end(ap);
	expo_add(f, labels, n, v);
}

void expo_add_histogram(struct expo_family *f, const struct expo_label *labels, size_t n,
			const double *bounds, const uint64_t *cumulative, size_t nb, double sum,
			uint64_t count)
{
	struct expo_label l[EXPO_MAX_LABELS + 1];
	char le[EXPO_DOUBLE_MAX];
	if (n > EXPO_MAX_LABELS)
		n = EXPO_MAX_LABELS;
	memcpy(l, labels, n * sizeof(*l));
	l[n].name = "le";
	l[n].value = le;

	expo_metric_begin(f);
	for (size_t i = 0; i < nb; i++) {
		expo_format_double(le, bounds[i], 'g');
		expo_metric_line(f, "_bucket", l, n + 1, (double)cumulative[i], EXPO_NO_TS);
	}
	strcpy(le, "+Inf");
	expo_metric_line(f, "_bucket", l, n + 1, (double)count, EXPO_NO_TS);
	expo_metric_line(f, "_sum", labels, n, sum, EXPO_NO_TS);
	expo_metric_line(f, "_count", labels, n, (double)count, EXPO_NO_TS);
	expo_metric_end(f);
}

/* ---- rendering -------------------------------------------------------- */

static int cmp_family(const void *a, const void *b)
{
	const struct expo_family *fa = *(const struct expo_family *const *)a;
	const struct expo_family *fb = *(const struct expo_family *const *)b;
	return strcmp(fa->name, fb->name);
}

/*
 * Order two metrics as client_golang does: by their label values in label
 * name order.  Comparing the rendered label text does that when '"', which
 * ends a value, sorts before every other byte.
 */
static int cmp_unit(const void *a, const void *b, void *arg)
{
	const char *text = arg;
	const struct expo_unit *ua = a, *ub = b;
	const unsigned char *pa = (const unsigned char *)text + ua->key_off;
	const unsigned char *pb = (const unsigned char *)text + ub->key_off;
	for (;; pa++, pb++) {
		unsigned ca = *pa == '"' ? 0 : *pa;
		unsigned cb = *pb == '"' ? 0 : *pb;
		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (*pa == '\n')
			return 0;
	}
}

/* Whether units[0..n) are in cmp_unit order. */
static bool units_sorted(const struct expo_unit *units, size_t n, const char *text)
{
	for (size_t j = 1; j < n; j++)
		if (cmp_unit(&units[j - 1], &units[j], (void *)text) > 0)
			return false;
	return true;
}

/*
 * Put f's units in cmp_unit order.  Collectors mostly add samples in the
 * same order every scrape, so the order the last sort found is tried first
 * (and checked): one pass instead of a sort, for the families whose samples
 * come out of label order (per CPU and mode, per device and field...).
 */
static void sort_units(struct expo_set *s, struct expo_family *f)
{
	size_t n = f->nunits;
	const char *text = f->text.data;
	if (units_sorted(f->units, n, text))
		return;
	if (f->nperm == n) {
		if (s->capscratch < n) {
			s->capscratch = n;
			s->scratch = xrealloc(s->scratch, n * sizeof(*s->scratch));
		}
		for (size_t j = 0; j < n; j++)
			s->scratch[j] = f->units[f->perm[j]];
		if (units_sorted(s->scratch, n, text)) {
			memcpy(f->units, s->scratch, n * sizeof(*f->units));
			return;
		}
	}
	for (size_t j = 0; j < n; j++)
		f->units[j].seq = (uint32_t)j;
	qsort_r(f->units, n, sizeof(*f->units), cmp_unit, (void *)text);
	if (f->capperm < n) {
		f->capperm = n;
		f->perm = xrealloc(f->perm, n * sizeof(*f->perm));
	}
	for (size_t j = 0; j < n; j++)
		f->perm[j] = f->units[j].seq;
	f->nperm = n;
}

void expo_set_render(struct expo_set *s, struct buf *out)
{
	if (!s->sorted) {
		qsort(s->fams, s->nfams, sizeof(*s->fams), cmp_family);
		s->sorted = true;
	}
	for (size_t i = 0; i < s->nfams; i++) {
		struct expo_family *f = s->fams[i];
		if (!f->nunits)
			continue;
		buf_reserve(out, f->text.len + f->helplen + 2 * f->namelen + 32);
		buf_append(out, "# HELP ", 7);
		buf_append(out, f->name, f->namelen);
		buf_putc(out, ' ');
		if (f->help_plain)
			buf_append(out, f->help, f->helplen);
		else
			expo_put_help(out, f->help);
		buf_append(out, "\n# TYPE ", 8);
		buf_append(out, f->name, f->namelen);
		buf_putc(out, ' ');
		buf_puts(out, type_names[f->type]);
		buf_putc(out, '\n');
		sort_units(s, f);
		for (size_t j = 0; j < f->nunits; j++)
			buf_append(out, f->text.data + f->units[j].off, f->units[j].len);
	}
}
