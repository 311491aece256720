// SPDX-License-Identifier: Apache-2.0
#define PCRE2_CODE_UNIT_WIDTH 8
#include "common/strutil.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

int parse_duration(const char *s, double *out)
{
	static const struct {
		const char *unit;
		double secs;
	} units[] = {
		/* longest first so "ms" wins over "m" */
		{ "ns", 1e-9 }, { "us", 1e-6 }, { "\xc2\xb5s", 1e-6 }, { "ms", 1e-3 },
		{ "s", 1 },	{ "m", 60 },	{ "h", 3600 },		{ "d", 86400 },
		{ "w", 604800 }, { "y", 31536000 },
	};
	double total = 0;
	const char *p = s;

	if (!*s)
		return -EINVAL;
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	while (*p) {
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -EINVAL;
		char *end;
		double v = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		size_t i;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);
			if (strncmp(p, units[i].unit, n) == 0) {
				total += v * units[i].secs;
				p += n;
				break;
			}
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
	}
	*out = total;
	return 0;
}

void strlist_push(struct strlist *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	l->items[l->n++] = xstrdup(s);
}

void strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

bool strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

struct vregex {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

/* Thread-local match data, so matching allocates nothing per call. */
static _Thread_local pcre2_match_data *tls_md;

struct vregex *vregex_compile(const char *pattern, bool anchored, char *errbuf, size_t errlen)
{
	struct buf pat = BUF_INIT;
	if (anchored)
		buf_printf(&pat, "^(?:%s)$", pattern);
	else
		buf_puts(&pat, pattern);

	int err;
	PCRE2_SIZE off;
	/* $ must not match before a final newline, as in RE2 */
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat.data, pat.len,
					 PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
					 &err, &off, NULL);
	buf_free(&pat);
	if (!code) {
		char msg[256];
		pcre2_get_error_message(err, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(errbuf, errlen, "error parsing regexp: %s: `%s`", msg, pattern);
		return NULL;
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	struct vregex *re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->mctx = pcre2_match_context_create(NULL);
	/* bound backtracking so a hostile pattern fails instead of spinning */
	pcre2_set_match_limit(re->mctx, 10000000);
	return re;
}

bool vregex_match(const struct vregex *re, const char *subject)
{
	if (!tls_md)
		tls_md = pcre2_match_data_create(1, NULL);
	int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, PCRE2_ZERO_TERMINATED, 0, 0, tls_md,
			     re->mctx);
	return rc >= 0;
}

void vregex_free(struct vregex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	pcre2_match_context_free(re->mctx);
	free(re);
}
