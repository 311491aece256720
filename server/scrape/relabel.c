// SPDX-License-Identifier: Apache-2.0
/*
 * Relabeling rules, after Prometheus 2.42's model/relabel/relabel.go (read
 * for semantics, not copied).  Rules run in place on a sorted struct lset;
 * label-wise actions (labelmap, labeldrop, labelkeep) walk a snapshot of the
 * set so their own edits do not disturb the walk, which gives the same
 * result as Prometheus's builder over the unmodified input.
 */
#include "server/scrape/relabel.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "common/buf.h"
#include "common/md5.h"
#include "common/utf8.h"

static const char *const action_names[] = {
	[RELABEL_REPLACE] = "replace",	   [RELABEL_KEEP] = "keep",
	[RELABEL_DROP] = "drop",	   [RELABEL_KEEPEQUAL] = "keepequal",
	[RELABEL_DROPEQUAL] = "dropequal", [RELABEL_HASHMOD] = "hashmod",
	[RELABEL_LABELMAP] = "labelmap",   [RELABEL_LABELDROP] = "labeldrop",
	[RELABEL_LABELKEEP] = "labelkeep", [RELABEL_LOWERCASE] = "lowercase",
	[RELABEL_UPPERCASE] = "uppercase",
};

#define N_ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

void relabel_rule_init(struct relabel_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->action = RELABEL_REPLACE;
	r->separator = xstrdup(";");
	r->regex_src = xstrdup("(.*)");
	r->target_label = xstrdup("");
	r->replacement = xstrdup("$1");
}

void relabel_rule_free(struct relabel_rule *r)
{
	strlist_clear(&r->source_labels);
	free(r->separator);
	free(r->regex_src);
	vregex_free(r->regex);
	free(r->target_label);
	free(r->replacement);
	memset(r, 0, sizeof(*r));
}

int relabel_action_parse(const char *s, enum relabel_action *out)
{
	for (size_t i = 0; i < N_ACTIONS; i++) {
		if (strcasecmp(s, action_names[i]) == 0) {
			*out = (enum relabel_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *relabel_action_name(enum relabel_action a)
{
	return (size_t)a < N_ACTIONS ? action_names[a] : "unknown";
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/*
 * Prometheus's relabelTarget pattern, ^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$:
 * a label name in which $name and ${name} references may stand for parts.
 */
static bool relabel_target_valid(const char *s)
{
	if (!*s)
		return false;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == '$'))
		return false;
	while (*s) {
		if (*s == '$') {
			s++;
			if (*s == '{') {
				s++;
				if (!is_word(*s))
					return false;
				while (is_word(*s))
					s++;
				if (*s != '}')
					return false;
				s++;
			} else {
				if (!is_word(*s))
					return false;
				while (is_word(*s))
					s++;
			}
		} else if (is_word(*s)) {
			s++;
		} else {
			return false;
		}
	}
	return true;
}

/* Bytes of a repetition operator at p ("*", "+", "?", "{n}", "{n,}", "{n,m}"), 0 if none;
 * *count_bad on n, m > 1000 or n > m. */
static size_t re2_repeat_len(const char *p, bool *count_bad)
{
	if (*p == '*' || *p == '+' || *p == '?')
		return 1;
	if (*p != '{')
		return 0;
	const char *q = p + 1;
	long n = 0, m = -1;
	if (*q < '0' || *q > '9')
		return 0;
	for (; *q >= '0' && *q <= '9'; q++)
		if (n < 100000)
			n = n * 10 + (*q - '0');
	if (*q == ',') {
		q++;
		if (*q >= '0' && *q <= '9') {
			m = 0;
			for (; *q >= '0' && *q <= '9'; q++)
				if (m < 100000)
					m = m * 10 + (*q - '0');
		}
	} else {
		m = n;
	}
	if (*q != '}')
		return 0;
	*count_bad = n > 1000 || m > 1000 || (m >= 0 && n > m);
	return (size_t)(q + 1 - p);
}

/*
 * Reject what PCRE2 accepts but Go's RE2 syntax (which Prometheus uses) does
 * not, so both load the same configs: lookaround and other (?X groups but
 * (?P<name>, (?: and flag groups of imsU, backreferences and escapes Go does
 * not know, possessive or nested repetition, repeat counts over 1000.
 * A lexical check, not a full parser.
 */
static int re2_syntax_check(const char *re, char *err, size_t errlen)
{
	static const char known_escapes[] = "aftnrvAbBzdDsSwWpPQEx01234567";
	bool in_class = false, after_repeat = false;
	for (const char *p = re; *p;) {
		if (*p == '\\') {
			char c = p[1];
			if (c == 'Q' && !in_class) {
				const char *e = strstr(p + 2, "\\E");
				p = e ? e + 2 : p + strlen(p);
				after_repeat = false;
				continue;
			}
			bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				     (c >= '0' && c <= '9');
			/* \1..\7 alone is a backreference; followed by octal digits it is octal */
			bool backref =
				c >= '1' && c <= '9' && !(c <= '7' && p[2] >= '0' && p[2] <= '7');
			bool class_bad = in_class && c && strchr("bBAzQE", c);
			if (c && ((alnum && !strchr(known_escapes, c)) || backref || class_bad)) {
				snprintf(err, errlen,
					 "error parsing regexp: invalid escape sequence: `\\%c`",
					 c);
				return -EINVAL;
			}
			p += c ? 2 : 1;
			after_repeat = false;
			continue;
		}
		if (in_class) {
			if (*p == '[' && p[1] == ':') {
				const char *e = strstr(p + 2, ":]");
				p = e ? e + 2 : p + 1;
				continue;
			}
			if (*p == ']')
				in_class = false;
			p++;
			continue;
		}
		if (*p == '[') {
			in_class = true;
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			after_repeat = false;
			continue;
		}
		if (*p == '(' && p[1] == '?') {
			const char *q = p + 2;
			bool ok = false;
			if (*q == 'P' && q[1] == '<') {
				ok = true;
			} else if (*q == ':') {
				ok = true;
			} else {
				while (*q && strchr("imsU-", *q))
					q++;
				ok = q > p + 2 && (*q == ')' || *q == ':');
			}
			if (!ok) {
				snprintf(err, errlen,
					 "error parsing regexp: invalid or unsupported Perl "
					 "syntax: `%.3s`",
					 p);
				return -EINVAL;
			}
			p += 2;
			after_repeat = false;
			continue;
		}
		bool count_bad = false;
		size_t rl = re2_repeat_len(p, &count_bad);
		if (rl) {
			if (after_repeat) {
				snprintf(err, errlen,
					 "error parsing regexp: invalid nested repetition "
					 "operator: `%.*s`",
					 (int)rl + 1, p - 1);
				return -EINVAL;
			}
			if (count_bad) {
				snprintf(err, errlen,
					 "error parsing regexp: invalid repeat count: `%.*s`",
					 (int)rl, p);
				return -EINVAL;
			}
			p += rl;
			if (*p == '?')
				p++; /* lazy */
			after_repeat = true;
			continue;
		}
		after_repeat = false;
		p++;
	}
	return 0;
}

int relabel_rule_prepare(struct relabel_rule *r, char *err, size_t errlen)
{
	enum relabel_action a = r->action;
	const char *an = relabel_action_name(a);
	bool needs_target = a == RELABEL_REPLACE || a == RELABEL_HASHMOD ||
			    a == RELABEL_LOWERCASE || a == RELABEL_UPPERCASE ||
			    a == RELABEL_KEEPEQUAL || a == RELABEL_DROPEQUAL;
	bool templ_target = needs_target && a != RELABEL_HASHMOD;
	bool casing_or_equal = a == RELABEL_LOWERCASE || a == RELABEL_UPPERCASE ||
			       a == RELABEL_KEEPEQUAL || a == RELABEL_DROPEQUAL;

	if (re2_syntax_check(r->regex_src, err, errlen) < 0)
		return -EINVAL;
	if (!r->regex) {
		char rerr[512];
		r->regex = vregex_compile(r->regex_src, true, rerr, sizeof(rerr));
		if (!r->regex) {
			snprintf(err, errlen, "%s", rerr);
			return -EINVAL;
		}
	}
	if (a == RELABEL_HASHMOD && r->modulus == 0) {
		snprintf(err, errlen,
			 "relabel configuration for hashmod requires non-zero modulus");
		return -EINVAL;
	}
	if (needs_target && !*r->target_label) {
		snprintf(err, errlen,
			 "relabel configuration for %s action requires 'target_label' value", an);
		return -EINVAL;
	}
	if (templ_target && !relabel_target_valid(r->target_label)) {
		snprintf(err, errlen, "\"%s\" is invalid 'target_label' for %s action",
			 r->target_label, an);
		return -EINVAL;
	}
	if (casing_or_equal && strcmp(r->replacement, "$1") != 0) {
		snprintf(err, errlen, "'replacement' can not be set for %s action", an);
		return -EINVAL;
	}
	if (a == RELABEL_LABELMAP && !relabel_target_valid(r->replacement)) {
		snprintf(err, errlen, "\"%s\" is invalid 'replacement' for %s action",
			 r->replacement, an);
		return -EINVAL;
	}
	if (a == RELABEL_HASHMOD && !label_name_valid(r->target_label)) {
		snprintf(err, errlen, "\"%s\" is invalid 'target_label' for %s action",
			 r->target_label, an);
		return -EINVAL;
	}
	if ((a == RELABEL_KEEPEQUAL || a == RELABEL_DROPEQUAL) &&
	    (r->regex_set || r->modulus || strcmp(r->separator, ";") ||
	     strcmp(r->replacement, "$1"))) {
		snprintf(err, errlen,
			 "%s action requires only 'source_labels' and `target_label`, and no other "
			 "fields",
			 an);
		return -EINVAL;
	}
	if ((a == RELABEL_LABELDROP || a == RELABEL_LABELKEEP) &&
	    (r->source_labels_set || *r->target_label || r->modulus || strcmp(r->separator, ";") ||
	     strcmp(r->replacement, "$1"))) {
		snprintf(err, errlen, "%s action requires only 'regex', and no other fields", an);
		return -EINVAL;
	}
	return 0;
}

/* Go's extract(): a name of letters, digits and '_' (non-ASCII bytes count as letters). */
static bool is_name_byte(unsigned char c)
{
	return is_word((char)c) || c >= 0x80;
}

void relabel_expand(struct buf *out, const struct vregex *re, const char *tmpl, const char *src,
		    const size_t *ov, size_t ngroups)
{
	const char *p = tmpl;
	while (*p) {
		const char *dollar = strchr(p, '$');
		if (!dollar) {
			buf_puts(out, p);
			return;
		}
		buf_append(out, p, (size_t)(dollar - p));
		p = dollar + 1;
		if (*p == '$') {
			buf_putc(out, '$');
			p++;
			continue;
		}
		bool brace = *p == '{';
		const char *name = brace ? p + 1 : p;
		const char *e = name;
		while (is_name_byte((unsigned char)*e))
			e++;
		if (e == name || (brace && *e != '}')) {
			/* malformed: the $ is literal text */
			buf_putc(out, '$');
			continue;
		}
		size_t nlen = (size_t)(e - name);
		p = brace ? e + 1 : e;

		long num = 0;
		for (size_t i = 0; i < nlen; i++) {
			if (name[i] < '0' || name[i] > '9' || num >= 100000000) {
				num = -1;
				break;
			}
			num = num * 10 + (name[i] - '0');
		}
		if (name[0] == '0' && nlen > 1)
			num = -1;
		if (num < 0)
			num = vregex_group_index(re, name, nlen);
		if (num >= 0 && (size_t)num < ngroups && ov[2 * num] != VREGEX_UNSET)
			buf_append(out, src + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
	}
}

/* Match val against the rule's regex and expand tmpl; false when it does not match. */
static bool relabel_match_expand(const struct vregex *re, const char *val, size_t vlen,
				 const char *tmpl1, struct buf *out1, const char *tmpl2,
				 struct buf *out2)
{
	size_t small[64], *ov = small;
	size_t ngroups = vregex_group_count(re) + 1;
	if (ngroups > 32)
		ov = xmalloc(2 * ngroups * sizeof(*ov));
	bool matched = vregex_exec(re, val, vlen, ov, ngroups) >= 0;
	if (matched) {
		relabel_expand(out1, re, tmpl1, val, ov, ngroups);
		if (tmpl2)
			relabel_expand(out2, re, tmpl2, val, ov, ngroups);
	}
	if (ov != small)
		free(ov);
	return matched;
}

static uint64_t hashmod_value(const char *val, size_t len, uint64_t modulus)
{
	unsigned char sum[MD5_DIGEST_LEN];
	md5_sum(val, len, sum);
	uint64_t s = 0;
	for (int i = 8; i < 16; i++)
		s = s << 8 | sum[i];
	return s % modulus;
}

static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void utf8_locale_make(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/*
 * Go's strings.ToLower/ToUpper: Unicode simple case mapping, through the
 * C.UTF-8 locale's towlower/towupper (ASCII only if that locale is missing).
 * Bytes that are not valid UTF-8 are copied unchanged.
 */
static void change_case(struct buf *out, const char *s, bool upper)
{
	pthread_once(&utf8_locale_once, utf8_locale_make);
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp = *p;
		size_t n = 0;
		if (cp >= 0xc0 && cp < 0xe0)
			n = 1, cp &= 0x1f;
		else if (cp >= 0xe0 && cp < 0xf0)
			n = 2, cp &= 0x0f;
		else if (cp >= 0xf0 && cp < 0xf8)
			n = 3, cp &= 0x07;
		bool ok = cp < 0x80 || n > 0;
		for (size_t i = 1; ok && i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				ok = false;
			else
				cp = cp << 6 | (p[i] & 0x3f);
		}
		if (!ok) {
			buf_putc(out, (char)*p++);
			continue;
		}
		uint32_t m = cp;
		if (cp < 0x80)
			m = upper ? (uint32_t)(cp >= 'a' && cp <= 'z' ? cp - 32 : cp)
				  : (uint32_t)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
		else if (utf8_locale)
			m = (uint32_t)(upper ? towupper_l((wint_t)cp, utf8_locale)
					     : towlower_l((wint_t)cp, utf8_locale));
		char enc[4];
		size_t el = utf8_encode(m, enc);
		buf_append(out, enc, el);
		p += n + 1;
	}
}

/* Apply one rule; false when it drops the set. */
static bool relabel_one(struct lset *ls, const struct relabel_rule *r, struct buf *val,
			struct buf *t1, struct buf *t2)
{
	buf_reset(val);
	buf_puts(val, "");
	for (size_t i = 0; i < r->source_labels.n; i++) {
		if (i)
			buf_puts(val, r->separator);
		buf_puts(val, lset_get_or_empty(ls, r->source_labels.items[i]));
	}
	const char *v = val->data;
	bool keep = true;
	struct lset snap = LSET_INIT;

	switch (r->action) {
	case RELABEL_DROP:
		keep = !vregex_match(r->regex, v);
		break;
	case RELABEL_KEEP:
		keep = vregex_match(r->regex, v);
		break;
	case RELABEL_DROPEQUAL:
		keep = strcmp(lset_get_or_empty(ls, r->target_label), v) != 0;
		break;
	case RELABEL_KEEPEQUAL:
		keep = strcmp(lset_get_or_empty(ls, r->target_label), v) == 0;
		break;
	case RELABEL_REPLACE:
		buf_reset(t1);
		buf_reset(t2);
		buf_puts(t1, "");
		buf_puts(t2, "");
		if (!relabel_match_expand(r->regex, v, val->len, r->target_label, t1,
					  r->replacement, t2))
			break;
		if (!label_name_valid(t1->data) || t2->len == 0) {
			/* Prometheus deletes the unexpanded target name here */
			lset_del(ls, r->target_label);
			break;
		}
		lset_setn(ls, t1->data, t2->data, t2->len);
		break;
	case RELABEL_LOWERCASE:
	case RELABEL_UPPERCASE:
		buf_reset(t1);
		buf_puts(t1, "");
		change_case(t1, val->data, r->action == RELABEL_UPPERCASE);
		lset_setn(ls, r->target_label, t1->data, t1->len);
		break;
	case RELABEL_HASHMOD: {
		char num[32];
		snprintf(num, sizeof(num), "%" PRIu64, hashmod_value(v, val->len, r->modulus));
		lset_set(ls, r->target_label, num);
		break;
	}
	case RELABEL_LABELMAP:
		lset_copy(&snap, ls);
		for (size_t i = 0; i < snap.n; i++) {
			buf_reset(t1);
			buf_puts(t1, "");
			if (relabel_match_expand(r->regex, snap.v[i].name, strlen(snap.v[i].name),
						 r->replacement, t1, NULL, NULL))
				lset_set(ls, t1->data, snap.v[i].value);
		}
		break;
	case RELABEL_LABELDROP:
	case RELABEL_LABELKEEP:
		lset_copy(&snap, ls);
		for (size_t i = 0; i < snap.n; i++) {
			bool m = vregex_match(r->regex, snap.v[i].name);
			if (m == (r->action == RELABEL_LABELDROP))
				lset_del(ls, snap.v[i].name);
		}
		break;
	}
	lset_free(&snap);
	return keep;
}

bool relabel_process(struct lset *ls, const struct relabel_rule *rules, size_t n)
{
	struct buf val = BUF_INIT, t1 = BUF_INIT, t2 = BUF_INIT;
	bool keep = true;
	for (size_t i = 0; i < n && keep; i++)
		keep = relabel_one(ls, &rules[i], &val, &t1, &t2);
	buf_free(&val);
	buf_free(&t1);
	buf_free(&t2);
	return keep;
}
