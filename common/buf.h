/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growable byte buffers and the agent's aborting allocators.
 *
 * A struct buf owns its data; buf_free() releases it.  The data is always
 * NUL-terminated after buf_* appends, so it can be handed to C string APIs.
 * The x*alloc() wrappers abort the process on out-of-memory: the agent uses
 * them freely; the server's storage and query code must not (it returns
 * errors and enforces limits instead).
 */
#ifndef VIGIL_COMMON_BUF_H
#define VIGIL_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow b to hold at least n more bytes plus a NUL (the slow path of buf_reserve). */
void buf_grow(struct buf *b, size_t n);

/* Ensure room for at least n more bytes plus a terminating NUL. */
static inline void buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
}

static inline void buf_append(struct buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

static inline void buf_putc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Forget the content, keep the allocation. */
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hand the data to the caller (who frees it) and leave b empty. */
char *buf_detach(struct buf *b, size_t *len);

#endif
