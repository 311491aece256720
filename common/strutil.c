// SPDX-License-Identifier: Apache-2.0
#define PCRE2_CODE_UNIT_WIDTH 8
#include "common/strutil.h"

#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
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

/*
 * Per-thread match data, so matching allocates nothing per call; a pthread
 * key frees it when the thread ends.
 */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_free(void *md)
{
	pcre2_match_data_free(md);
}

static void md_key_make(void)
{
	pthread_key_create(&md_key, md_free);
}

static pcre2_match_data *thread_match_data(void)
{
	pthread_once(&md_once, md_key_make);
	pcre2_match_data *md = pthread_getspecific(md_key);
	if (!md) {
		md = pcre2_match_data_create(1, NULL);
		pthread_setspecific(md_key, md);
	}
	return md;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t str_concat(char *out, size_t size, ...)
{
	va_list ap;
	va_start(ap, size);
	size_t n = 0;
	for (const char *s; (s = va_arg(ap, const char *));) {
		size_t len = strlen(s);
		if (len > size - 1 - n)
			len = size - 1 - n;
		memcpy(out + n, s, len);
		n += len;
	}
	va_end(ap);
	out[n] = '\0';
	return n;
}

size_t duration_format(int64_t ms, char *out, size_t cap)
{
	static const struct {
		const char *unit;
		int64_t ms;
		bool exact;
	} units[] = {
		{"y", 1000LL * 60 * 60 * 24 * 365, true},
		{"w", 1000LL * 60 * 60 * 24 * 7, true},
		{"d", 1000LL * 60 * 60 * 24, false},
		{"h", 1000LL * 60 * 60, false},
		{"m", 1000LL * 60, false},
		{"s", 1000, false},
		{"ms", 1, false},
	};
	if (ms == 0)
		return (size_t)snprintf(out, cap, "0s");
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].exact && ms % units[i].ms != 0)
			continue;
		int64_t v = ms / units[i].ms;
		if (v > 0 && len < cap) {
			int w = snprintf(out + len, cap - len, "%" PRId64 "%s", v, units[i].unit);
			len += (size_t)w < cap - len ? (size_t)w : cap - len - 1;
			ms -= v * units[i].ms;
		}
	}
	return len;
}

static bool use_jit = true;

void vregex_set_jit(bool on)
{
	use_jit = on;
}

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
	if (use_jit)
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
	int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, PCRE2_ZERO_TERMINATED, 0, 0,
			     thread_match_data(),
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

/* Per-thread match data with room for 32 groups, for vregex_exec(); freed at thread exit. */
static pthread_key_t groups_md_key;
static pthread_once_t groups_md_once = PTHREAD_ONCE_INIT;

static void groups_md_key_make(void)
{
	pthread_key_create(&groups_md_key, md_free);
}

static pcre2_match_data *thread_groups_match_data(void)
{
	pthread_once(&groups_md_once, groups_md_key_make);
	pcre2_match_data *md = pthread_getspecific(groups_md_key);
	if (!md) {
		md = pcre2_match_data_create(32, NULL);
		pthread_setspecific(groups_md_key, md);
	}
	return md;
}

int vregex_exec(const struct vregex *re, const char *subject, size_t len, size_t *ov,
		size_t max_groups)
{
	uint32_t count = 0;
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &count);
	/* a per-thread match block serves the usual small patterns without allocating */
	pcre2_match_data *tls_groups_md = thread_groups_match_data();
	pcre2_match_data *md;
	if (count < 32 && tls_groups_md) {
		md = tls_groups_md;
	} else {
		md = pcre2_match_data_create_from_pattern(re->code, NULL);
	}
	if (!md)
		return -1;
	int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, re->mctx);
	if (rc < 0) {
		if (md != tls_groups_md)
			pcre2_match_data_free(md);
		return -1;
	}
	PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
	uint32_t pairs = pcre2_get_ovector_count(md);
	for (size_t i = 0; i < max_groups; i++) {
		if (i < pairs && i <= count && v[2 * i] != PCRE2_UNSET) {
			ov[2 * i] = v[2 * i];
			ov[2 * i + 1] = v[2 * i + 1];
		} else {
			ov[2 * i] = ov[2 * i + 1] = VREGEX_UNSET;
		}
	}
	if (md != tls_groups_md)
		pcre2_match_data_free(md);
	return (int)count + 1;
}

size_t vregex_group_count(const struct vregex *re)
{
	uint32_t count = 0;
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &count);
	return count;
}

int vregex_group_index(const struct vregex *re, const char *name, size_t name_len)
{
	char tmp[256];
	if (name_len >= sizeof(tmp))
		return -1;
	memcpy(tmp, name, name_len);
	tmp[name_len] = 0;
	int n = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)tmp);
	return n > 0 ? n : -1;
}
