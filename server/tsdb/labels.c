// SPDX-License-Identifier: Apache-2.0
/*
 * Label sets and the string intern pool (see labels.h).  The pool is an
 * open-addressing hash set of entries { refs, len, hash, bytes }; a string
 * handed out points at the bytes, so the entry is found again from the
 * pointer by subtracting the header.
 */
#include "server/tsdb/labels.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/tsdb/encoding.h"

void labels_sort(struct tsdb_label *ls, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct tsdb_label x = ls[i];
		size_t j = i;
		while (j > 0 && strcmp(ls[j - 1].name, x.name) > 0) {
			ls[j] = ls[j - 1];
			j--;
		}
		ls[j] = x;
	}
}

int labels_cmp(const struct tsdb_label *a, size_t na, const struct tsdb_label *b, size_t nb)
{
	size_t n = na < nb ? na : nb;
	for (size_t i = 0; i < n; i++) {
		int c = strcmp(a[i].name, b[i].name);
		if (c)
			return c;
		c = strcmp(a[i].value, b[i].value);
		if (c)
			return c;
	}
	return na < nb ? -1 : na > nb ? 1 : 0;
}

bool labels_equal(const struct tsdb_label *a, size_t na, const struct tsdb_label *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if ((a[i].name != b[i].name && strcmp(a[i].name, b[i].name)) ||
		    (a[i].value != b[i].value && strcmp(a[i].value, b[i].value)))
			return false;
	return true;
}

static uint64_t fnv_add(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff;
	h *= 0x100000001b3ULL;
	return h;
}

uint64_t labels_hash(const struct tsdb_label *ls, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h = fnv_add(h, ls[i].name);
		h = fnv_add(h, ls[i].value);
	}
	return h;
}

const char *labels_get(const struct tsdb_label *ls, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ls[i].name, name) == 0)
			return ls[i].value;
	return NULL;
}

void labels_quote(struct tbuf *out, const char *s)
{
	tbuf_put_byte(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': tbuf_puts(out, "\\\""); break;
		case '\\': tbuf_puts(out, "\\\\"); break;
		case '\a': tbuf_puts(out, "\\a"); break;
		case '\b': tbuf_puts(out, "\\b"); break;
		case '\f': tbuf_puts(out, "\\f"); break;
		case '\n': tbuf_puts(out, "\\n"); break;
		case '\r': tbuf_puts(out, "\\r"); break;
		case '\t': tbuf_puts(out, "\\t"); break;
		case '\v': tbuf_puts(out, "\\v"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				tbuf_printf(out, "\\x%02x", c);
			else
				tbuf_put_byte(out, c);
		}
	}
	tbuf_put_byte(out, '"');
}

void labels_format(struct tbuf *out, const struct tsdb_label *ls, size_t n)
{
	tbuf_put_byte(out, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			tbuf_puts(out, ", ");
		tbuf_puts(out, ls[i].name);
		tbuf_put_byte(out, '=');
		labels_quote(out, ls[i].value);
	}
	tbuf_put_byte(out, '}');
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

int labels_parse(char *s, struct tsdb_label *ls, size_t max, char **rest)
{
	size_t n = 0;
	while (*s == ' ')
		s++;
	if (*s != '{') {
		char *name = s;
		if (!name_char(*s, true))
			return -EINVAL;
		while (name_char(*s, false))
			s++;
		if (n >= max)
			return -EINVAL;
		ls[n].name = "__name__";
		ls[n++].value = name;
		if (*s != '{') {
			*rest = s;
			if (*s) {
				*s = '\0';
				*rest = s + 1;
			}
			return (int)n;
		}
		*s = '\0';
	}
	s++; /* '{' */
	for (;;) {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '}') {
			s++;
			break;
		}
		char *name = s;
		if (!name_char(*s, true))
			return -EINVAL;
		while (name_char(*s, false))
			s++;
		char *name_end = s;
		while (*s == ' ')
			s++;
		if (*s != '=')
			return -EINVAL;
		s++;
		while (*s == ' ')
			s++;
		if (*s != '"')
			return -EINVAL;
		*name_end = '\0';
		s++;
		char *val = s, *w = s;
		while (*s && *s != '"') {
			if (*s == '\\' && s[1]) {
				s++;
				*w++ = *s == 'n' ? '\n' : *s;
				s++;
			} else {
				*w++ = *s++;
			}
		}
		if (*s != '"')
			return -EINVAL;
		s++;
		*w = '\0';
		if (n >= max)
			return -EINVAL;
		ls[n].name = name;
		ls[n++].value = val;
	}
	labels_sort(ls, n);
	for (size_t i = 1; i < n; i++)
		if (strcmp(ls[i - 1].name, ls[i].name) == 0)
			return -EINVAL;
	*rest = s;
	return (int)n;
}

/* ---- intern pool ---- */

struct pool_str {
	uint32_t refs;
	uint32_t len;
	uint64_t hash;
	char s[];
};

struct strpool {
	pthread_mutex_t mu;
	struct pool_str **slots; /* NULL empty, TOMB deleted */
	size_t cap, used, live;
	size_t bytes;
};

static struct pool_str tomb_entry;
#define TOMB (&tomb_entry)

static uint64_t str_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

struct strpool *strpool_new(void)
{
	struct strpool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->cap = 1024;
	p->slots = calloc(p->cap, sizeof(*p->slots));
	if (!p->slots) {
		free(p);
		return NULL;
	}
	return p;
}

void strpool_free(struct strpool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->cap; i++)
		if (p->slots[i] && p->slots[i] != TOMB)
			free(p->slots[i]);
	free(p->slots);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static int pool_grow(struct strpool *p)
{
	size_t cap = p->live * 4 > p->cap ? p->cap * 2 : p->cap;
	struct pool_str **slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < p->cap; i++) {
		struct pool_str *e = p->slots[i];
		if (!e || e == TOMB)
			continue;
		size_t j = e->hash & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = e;
	}
	free(p->slots);
	p->slots = slots;
	p->cap = cap;
	p->used = p->live;
	return 0;
}

const char *strpool_intern(struct strpool *p, const char *s, size_t n)
{
	uint64_t h = str_hash(s, n);
	const char *out = NULL;

	pthread_mutex_lock(&p->mu);
	if ((p->used + 1) * 4 > p->cap * 3 && pool_grow(p))
		goto out;
	size_t i = h & (p->cap - 1), tomb = SIZE_MAX;
	for (;;) {
		struct pool_str *e = p->slots[i];
		if (!e)
			break;
		if (e == TOMB) {
			if (tomb == SIZE_MAX)
				tomb = i;
		} else if (e->hash == h && e->len == n && memcmp(e->s, s, n) == 0) {
			e->refs++;
			out = e->s;
			goto out;
		}
		i = (i + 1) & (p->cap - 1);
	}
	struct pool_str *e = malloc(sizeof(*e) + n + 1);
	if (!e)
		goto out;
	e->refs = 1;
	e->len = (uint32_t)n;
	e->hash = h;
	memcpy(e->s, s, n);
	e->s[n] = '\0';
	if (tomb != SIZE_MAX) {
		i = tomb;
	} else {
		p->used++;
	}
	p->slots[i] = e;
	p->live++;
	p->bytes += n + 1;
	out = e->s;
out:
	pthread_mutex_unlock(&p->mu);
	return out;
}

void strpool_release(struct strpool *p, const char *s)
{
	struct pool_str *e = (struct pool_str *)(void *)(s - offsetof(struct pool_str, s));

	pthread_mutex_lock(&p->mu);
	if (--e->refs == 0) {
		size_t i = e->hash & (p->cap - 1);
		while (p->slots[i] != e)
			i = (i + 1) & (p->cap - 1);
		p->slots[i] = TOMB;
		p->live--;
		p->bytes -= e->len + 1;
		free(e);
	}
	pthread_mutex_unlock(&p->mu);
}

void strpool_stats(struct strpool *p, size_t *count, size_t *bytes)
{
	pthread_mutex_lock(&p->mu);
	*count = p->live;
	*bytes = p->bytes;
	pthread_mutex_unlock(&p->mu);
}
