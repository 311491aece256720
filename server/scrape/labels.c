// SPDX-License-Identifier: Apache-2.0
/*
 * Sorted label sets for relabeling and target discovery: binary search on
 * names, insertion by memmove.  Sets are small (tens of labels), so this
 * beats hashing.
 */
#include "server/scrape/labels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

void lset_clear(struct lset *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].name);
		free(ls->v[i].value);
	}
	ls->n = 0;
}

void lset_free(struct lset *ls)
{
	lset_clear(ls);
	free(ls->v);
	ls->v = NULL;
	ls->cap = 0;
}

/* Index of name, or -(insertion point) - 1. */
static long lset_find(const struct lset *ls, const char *name)
{
	size_t lo = 0, hi = ls->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ls->v[mid].name, name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

const char *lset_get(const struct lset *ls, const char *name)
{
	long i = lset_find(ls, name);
	return i >= 0 ? ls->v[i].value : NULL;
}

const char *lset_get_or_empty(const struct lset *ls, const char *name)
{
	const char *v = lset_get(ls, name);
	return v ? v : "";
}

void lset_del(struct lset *ls, const char *name)
{
	long i = lset_find(ls, name);
	if (i < 0)
		return;
	free(ls->v[i].name);
	free(ls->v[i].value);
	memmove(&ls->v[i], &ls->v[i + 1], (ls->n - (size_t)i - 1) * sizeof(ls->v[0]));
	ls->n--;
}

void lset_setn(struct lset *ls, const char *name, const char *value, size_t value_len)
{
	if (value_len == 0) {
		lset_del(ls, name);
		return;
	}
	long i = lset_find(ls, name);
	if (i >= 0) {
		char *nv = xstrndup(value, value_len);
		free(ls->v[i].value);
		ls->v[i].value = nv;
		return;
	}
	size_t at = (size_t)(-i - 1);
	if (ls->n == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 8;
		ls->v = xrealloc(ls->v, ls->cap * sizeof(ls->v[0]));
	}
	memmove(&ls->v[at + 1], &ls->v[at], (ls->n - at) * sizeof(ls->v[0]));
	ls->v[at].name = xstrdup(name);
	ls->v[at].value = xstrndup(value, value_len);
	ls->n++;
}

void lset_set(struct lset *ls, const char *name, const char *value)
{
	lset_setn(ls, name, value, strlen(value));
}

void lset_copy(struct lset *dst, const struct lset *src)
{
	if (dst == src)
		return;
	lset_clear(dst);
	if (dst->cap < src->n) {
		dst->cap = src->n;
		dst->v = xrealloc(dst->v, dst->cap * sizeof(dst->v[0]));
	}
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i].name = xstrdup(src->v[i].name);
		dst->v[i].value = xstrdup(src->v[i].value);
	}
	dst->n = src->n;
}

bool lset_equal(const struct lset *a, const struct lset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) || strcmp(a->v[i].value, b->v[i].value))
			return false;
	return true;
}

void lset_format(const struct lset *ls, struct buf *out)
{
	buf_putc(out, '{');
	for (size_t i = 0; i < ls->n; i++) {
		if (i)
			buf_puts(out, ", ");
		buf_puts(out, ls->v[i].name);
		buf_puts(out, "=\"");
		for (const char *p = ls->v[i].value; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(out, '\\');
			if (*p == '\n')
				buf_puts(out, "\\n");
			else
				buf_putc(out, *p);
		}
		buf_putc(out, '"');
	}
	buf_putc(out, '}');
}

bool label_name_valid(const char *s)
{
	if (!*s)
		return false;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (c >= '0' && c <= '9' && i > 0)))
			return false;
	}
	return true;
}

bool label_value_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* overlong forms, surrogates and values past U+10FFFF are invalid, as in Go */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += n + 1;
	}
	return true;
}
