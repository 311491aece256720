// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON reader (see jsonread.h for the accepted language, RFC 8259 read
 * as Go's encoding/json reads it, and for who owns what).
 *
 * Parsing is one left-to-right pass without recursion: an explicit stack
 * holds the open arrays and objects, each node is linked to its parent's
 * child list as soon as it starts.  Error reasons follow the wording of
 * Go's scanner ("invalid character 'x' after array element", "unexpected
 * end of JSON input") so messages read like Prometheus's own.
 *
 * Memory: a document is an arena, a chain of blocks, newest first.  The
 * first block starts with struct jsonr_doc, which holds the chain and the
 * root node, so jsonr_free() finds the chain from the root.  A string is
 * decoded into room for its longest possible decoding (escapes only shrink;
 * each byte of invalid UTF-8 grows to the three bytes of U+FFFD), then the
 * unused tail is given back to the block.
 */
#include "common/jsonread.h"

#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pfile.h"
#include "common/strutil.h"
#include "common/utf8.h"

/* Growth of the arena: the first block, the most a block doubles to. */
#define JSONR_BLOCK_MIN ((size_t)2048)
#define JSONR_BLOCK_MAX ((size_t)16 << 20)

struct jsonr_block {
	struct jsonr_block *next; /* older block */
	size_t used;
	size_t cap; /* bytes of data after the header */
};

/* Where a block's data starts: after the header, aligned for anything. */
#define JSONR_BLOCK_HDR                                                                            \
	((sizeof(struct jsonr_block) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

struct jsonr_doc {
	struct jsonr_block *blocks; /* newest first; the last one holds this doc */
	struct jsonr_value root;
};

struct jsonr_parser {
	const unsigned char *s;
	size_t len;
	size_t pos;
	struct jsonr_doc *doc;
	struct jsonr_error *err;
	const char *key; /* the member name waiting for its value */
	size_t key_len;
};

static char *block_data(struct jsonr_block *b)
{
	return (char *)b + JSONR_BLOCK_HDR;
}

/* Go's quoteChar: the byte c as it appears in an "invalid character" message. */
static void quote_char(unsigned char c, char *out, size_t size)
{
	static const char esc[] = "\a\b\f\n\r\t\v";
	static const char name[] = "abfnrtv";
	const char *e = c ? strchr(esc, c) : NULL;
	if (c == '\'')
		snprintf(out, size, "'\\''");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(out, size, "'%c'", c);
	else if (e)
		snprintf(out, size, "'\\%c'", name[e - esc]);
	else if (c < 0x20 || c == 0x7f)
		snprintf(out, size, "'\\x%02x'", c);
	else if (c < 0xa0 || c == 0xad) /* C1 controls and the soft hyphen: not printable */
		snprintf(out, size, "'\\u%04x'", c);
	else /* Go reads the byte as the rune U+00XX */
		snprintf(out, size, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
}

static int fail(struct jsonr_parser *p, int code, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct jsonr_parser *p, int code, size_t offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->reason, sizeof(p->err->reason), fmt, ap);
	va_end(ap);
	p->err->code = code;
	p->err->offset = offset;
	return code;
}

/*
 * "invalid character 'x' <where>" for the byte at offset.  At the end of
 * the input the byte is a blank: Go's checker feeds one space after the
 * last byte, so a token cut short ("tru", "1e", "\u12") is reported
 * against ' ' rather than as an unexpected end.
 */
static int fail_char(struct jsonr_parser *p, size_t offset, const char *where)
{
	char q[16];
	if (offset >= p->len)
		offset = p->len;
	quote_char(offset < p->len ? p->s[offset] : ' ', q, sizeof(q));
	return fail(p, -EINVAL, offset, "invalid character %s %s", q, where);
}

static int fail_eof(struct jsonr_parser *p)
{
	return fail(p, -EINVAL, p->len, "unexpected end of JSON input");
}

static int fail_nomem(struct jsonr_parser *p)
{
	return fail(p, -ENOMEM, p->pos, "out of memory");
}

/* size bytes aligned to align (a power of two) from the arena; NULL when out of memory. */
static void *arena_alloc(struct jsonr_parser *p, size_t size, size_t align)
{
	struct jsonr_block *b = p->doc->blocks;
	size_t off = (b->used + align - 1) & ~(align - 1);
	if (off > b->cap || size > b->cap - off) {
		size_t cap = b->cap < JSONR_BLOCK_MAX / 2 ? b->cap * 2 : JSONR_BLOCK_MAX;
		if (cap < size)
			cap = size;
		if (cap > SIZE_MAX - JSONR_BLOCK_HDR)
			return NULL;
		struct jsonr_block *nb = malloc(JSONR_BLOCK_HDR + cap);
		if (!nb)
			return NULL;
		nb->next = b;
		nb->used = 0;
		nb->cap = cap;
		p->doc->blocks = nb;
		b = nb;
		off = 0;
	}
	b->used = off + size;
	return block_data(b) + off;
}

/* Shrink the newest allocation, at ptr, to size bytes. */
static void arena_trim(struct jsonr_parser *p, const char *ptr, size_t size)
{
	struct jsonr_block *b = p->doc->blocks;
	b->used = (size_t)(ptr - block_data(b)) + size;
}

/* The first block with the document header in it; NULL when out of memory. */
static struct jsonr_doc *doc_new(size_t input_len)
{
	size_t cap = input_len < JSONR_BLOCK_MAX / 4 ? input_len * 2 : JSONR_BLOCK_MAX / 2;
	if (cap < JSONR_BLOCK_MIN)
		cap = JSONR_BLOCK_MIN;
	cap += sizeof(struct jsonr_doc);
	struct jsonr_block *b = malloc(JSONR_BLOCK_HDR + cap);
	if (!b)
		return NULL;
	b->next = NULL;
	b->cap = cap;
	b->used = sizeof(struct jsonr_doc);
	struct jsonr_doc *doc = (struct jsonr_doc *)block_data(b);
	memset(doc, 0, sizeof(*doc));
	doc->blocks = b;
	return doc;
}

/*
 * A new node, linked as the last child of parent (the root when parent is
 * NULL) and given the pending member name.
 */
static struct jsonr_value *node_new(struct jsonr_parser *p, struct jsonr_value *parent)
{
	struct jsonr_value *v = &p->doc->root;
	if (parent) {
		v = arena_alloc(p, sizeof(*v), alignof(struct jsonr_value));
		if (!v)
			return NULL;
	}
	memset(v, 0, sizeof(*v));
	if (!parent)
		return v;
	v->key = p->key;
	v->key_len = p->key_len;
	p->key = NULL;
	p->key_len = 0;
	if (parent->u.kids.last)
		parent->u.kids.last->next = v;
	else
		parent->u.kids.first = v;
	parent->u.kids.last = v;
	parent->u.kids.n++;
	return v;
}

static void skip_blanks(struct jsonr_parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* The four hex digits at s, already checked. */
static uint32_t hex4(const unsigned char *s)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 4) | (uint32_t)hex_digit(s[i]);
	return v;
}

/*
 * Decode the body of a checked string literal, s[from..to), into dst (room
 * for its longest decoding); returns the length written.
 */
static size_t decode_string(const unsigned char *s, size_t from, size_t to, char *dst)
{
	size_t n = 0, i = from;
	while (i < to) {
		/* copy the run of plain ASCII in one go */
		size_t run = i;
		while (run < to && s[run] < 0x80 && s[run] != '\\')
			run++;
		memcpy(dst + n, s + i, run - i);
		n += run - i;
		i = run;
		if (i == to)
			break;
		if (s[i] >= 0x80) {
			size_t k = utf8_seq_len(s + i, to - i);
			if (k) {
				memcpy(dst + n, s + i, k);
				n += k;
				i += k;
			} else { /* Go: each invalid byte becomes U+FFFD */
				memcpy(dst + n, "\xef\xbf\xbd", 3);
				n += 3;
				i++;
			}
			continue;
		}
		unsigned char e = s[i + 1];
		if (e != 'u') {
			static const char from_c[] = "\"\\/bfnrt";
			static const char to_c[] = "\"\\/\b\f\n\r\t";
			dst[n++] = to_c[strchr(from_c, e) - from_c];
			i += 2;
			continue;
		}
		uint32_t cp = hex4(s + i + 2);
		i += 6;
		if (cp >= 0xd800 && cp < 0xe000) {
			/* a high surrogate followed by an escaped low one is a pair;
			 * anything else is U+FFFD and the next escape stands alone */
			uint32_t lo = 0;
			if (cp < 0xdc00 && i < to && s[i] == '\\' && s[i + 1] == 'u')
				lo = hex4(s + i + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else {
				cp = 0xfffd;
			}
		}
		n += utf8_encode(cp, dst + n);
	}
	return n;
}

/* The string literal at p->pos (its opening quote), decoded into the arena. */
static int parse_string(struct jsonr_parser *p, const char **out, size_t *out_len)
{
	const unsigned char *s = p->s;
	size_t from = p->pos + 1, i = from, high = 0;
	for (;;) {
		if (i >= p->len)
			return fail_eof(p);
		unsigned char c = s[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail_char(p, i, "in string literal");
		if (c >= 0x80)
			high++;
		if (c != '\\') {
			i++;
			continue;
		}
		if (++i >= p->len)
			return fail_char(p, i, "in string escape code");
		c = s[i];
		if (c == 'u') {
			for (size_t k = 1; k <= 4; k++) {
				if (i + k >= p->len || hex_digit(s[i + k]) < 0)
					return fail_char(p, i + k,
							 "in \\u hexadecimal character escape");
			}
			i += 5;
		} else if (c && strchr("\"\\/bfnrt", c)) {
			i++;
		} else {
			return fail_char(p, i, "in string escape code");
		}
	}
	/* escapes never grow; an invalid byte grows to three */
	size_t room = (i - from) + 2 * high + 1;
	char *dst = arena_alloc(p, room, 1);
	if (!dst)
		return fail_nomem(p);
	size_t n = decode_string(s, from, i, dst);
	dst[n] = '\0';
	arena_trim(p, dst, n + 1);
	*out = dst;
	*out_len = n;
	p->pos = i + 1;
	return 0;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* The digits s[from..to) of an integer with optional '-', when they fit an int64. */
static bool exact_int64(const unsigned char *s, size_t from, size_t to, int64_t *out)
{
	bool neg = s[from] == '-';
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
	for (size_t i = from + neg; i < to; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* The number at p->pos into v. */
static int parse_number(struct jsonr_parser *p, struct jsonr_value *v)
{
	const unsigned char *s = p->s;
	size_t from = p->pos, i = from;
	bool integral = true;
	if (s[i] == '-') {
		if (++i >= p->len || !is_digit(s[i]))
			return fail_char(p, i, "in numeric literal");
	}
	if (s[i] == '0')
		i++;
	else
		while (i < p->len && is_digit(s[i]))
			i++;
	if (i < p->len && s[i] == '.') {
		integral = false;
		if (++i >= p->len || !is_digit(s[i]))
			return fail_char(p, i, "after decimal point in numeric literal");
		while (i < p->len && is_digit(s[i]))
			i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		integral = false;
		if (++i < p->len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(s[i]))
			return fail_char(p, i, "in exponent of numeric literal");
		while (i < p->len && is_digit(s[i]))
			i++;
	}
	int len = i - from > 40 ? 40 : (int)(i - from);
	int rc = parse_go_float((const char *)s + from, i - from, &v->u.num.real);
	if (rc == -ENOMEM)
		return fail_nomem(p);
	if (rc < 0)
		return fail(p, -EINVAL, from, "number %.*s%s out of range of float64", len,
			    (const char *)s + from, i - from > 40 ? "..." : "");
	v->type = JSONR_NUMBER;
	v->is_int = integral && exact_int64(s, from, i, &v->u.num.integer);
	p->pos = i;
	return 0;
}

/* true, false or null at p->pos. */
static int parse_literal(struct jsonr_parser *p, struct jsonr_value *v, const char *word)
{
	for (size_t k = 1; word[k]; k++) {
		size_t i = p->pos + k;
		if (i >= p->len || p->s[i] != (unsigned char)word[k]) {
			char where[40];
			snprintf(where, sizeof(where), "in literal %s (expecting '%c')", word,
				 word[k]);
			return fail_char(p, i, where);
		}
	}
	v->type = word[0] == 'n' ? JSONR_NULL : JSONR_BOOL;
	v->boolean = word[0] == 't';
	p->pos += strlen(word);
	return 0;
}

/* An object member's name and colon, blanks before each; the name becomes p->key. */
static int parse_member_name(struct jsonr_parser *p)
{
	skip_blanks(p);
	if (p->pos >= p->len)
		return fail_eof(p);
	if (p->s[p->pos] != '"')
		return fail_char(p, p->pos, "looking for beginning of object key string");
	int rc = parse_string(p, &p->key, &p->key_len);
	if (rc < 0)
		return rc;
	skip_blanks(p);
	if (p->pos >= p->len)
		return fail_eof(p);
	if (p->s[p->pos] != ':')
		return fail_char(p, p->pos, "after object key");
	p->pos++;
	return 0;
}

/*
 * One value at p->pos (blanks first) as the next child of parent (the root
 * when NULL).  Returns 1 when it opened an array or object (pushed on
 * stack), 0 for a complete scalar, or a negative errno.
 */
static int parse_value(struct jsonr_parser *p, struct jsonr_value **stack, size_t *depth)
{
	skip_blanks(p);
	if (p->pos >= p->len)
		return fail_eof(p);
	unsigned char c = p->s[p->pos];
	struct jsonr_value *v = node_new(p, *depth ? stack[*depth - 1] : NULL);
	if (!v)
		return fail_nomem(p);
	switch (c) {
	case '{':
	case '[':
		if (*depth == JSONR_MAX_DEPTH)
			return fail_char(p, p->pos, "exceeded max depth");
		v->type = c == '{' ? JSONR_OBJECT : JSONR_ARRAY;
		stack[(*depth)++] = v;
		p->pos++;
		return 1;
	case '"':
		v->type = JSONR_STRING;
		return parse_string(p, &v->u.str.s, &v->u.str.len);
	case 't':
		return parse_literal(p, v, "true");
	case 'f':
		return parse_literal(p, v, "false");
	case 'n':
		return parse_literal(p, v, "null");
	default:
		if (c == '-' || is_digit(c))
			return parse_number(p, v);
		return fail_char(p, p->pos, "looking for beginning of value");
	}
}

/*
 * After a value: close the arrays and objects that end here, then either
 * stop at the end of the document (1) or step past the ',' (and the next
 * member's name) to where the next value starts (0).
 */
static int parse_after_value(struct jsonr_parser *p, struct jsonr_value **stack, size_t *depth)
{
	for (;;) {
		skip_blanks(p);
		if (*depth == 0) {
			if (p->pos < p->len)
				return fail_char(p, p->pos, "after top-level value");
			return 1;
		}
		if (p->pos >= p->len)
			return fail_eof(p);
		bool object = stack[*depth - 1]->type == JSONR_OBJECT;
		unsigned char c = p->s[p->pos];
		if (c == ',') {
			p->pos++;
			return object ? parse_member_name(p) : 0;
		}
		if (c != (object ? '}' : ']'))
			return fail_char(p, p->pos,
					 object ? "after object key:value pair"
						: "after array element");
		p->pos++;
		(*depth)--;
	}
}

static int parse_document(struct jsonr_parser *p)
{
	struct jsonr_value *stack[JSONR_MAX_DEPTH];
	size_t depth = 0;
	for (;;) {
		int rc = parse_value(p, stack, &depth);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			/* just opened: empty, or the first member's name */
			bool object = stack[depth - 1]->type == JSONR_OBJECT;
			skip_blanks(p);
			if (p->pos < p->len && p->s[p->pos] == (object ? '}' : ']')) {
				p->pos++;
				depth--;
			} else {
				if (object && (rc = parse_member_name(p)) < 0)
					return rc;
				continue;
			}
		}
		rc = parse_after_value(p, stack, &depth);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
}

struct jsonr_value *jsonr_parse(const char *s, size_t len, struct jsonr_error *err)
{
	struct jsonr_error scratch;
	struct jsonr_parser p = {
		.s = (const unsigned char *)s,
		.len = len,
		.err = err ? err : &scratch,
	};
	memset(p.err, 0, sizeof(*p.err));
	p.doc = doc_new(len);
	if (!p.doc) {
		fail_nomem(&p);
		return NULL;
	}
	if (parse_document(&p) < 0) {
		jsonr_free(&p.doc->root);
		return NULL;
	}
	return &p.doc->root;
}

void jsonr_free(struct jsonr_value *root)
{
	if (!root)
		return;
	struct jsonr_doc *doc =
		(struct jsonr_doc *)((char *)root - offsetof(struct jsonr_doc, root));
	struct jsonr_block *b = doc->blocks; /* read before the block holding doc goes */
	while (b) {
		struct jsonr_block *older = b->next;
		free(b);
		b = older;
	}
}

const struct jsonr_value *jsonr_get(const struct jsonr_value *o, const char *key)
{
	const struct jsonr_value *found = NULL;
	if (!jsonr_is_object(o))
		return NULL;
	size_t n = strlen(key);
	for (const struct jsonr_value *m = o->u.kids.first; m; m = m->next)
		if (m->key_len == n && memcmp(m->key, key, n) == 0)
			found = m;
	return found;
}

const struct jsonr_value *jsonr_first(const struct jsonr_value *v)
{
	return jsonr_is_array(v) || jsonr_is_object(v) ? v->u.kids.first : NULL;
}

const struct jsonr_value *jsonr_next(const struct jsonr_value *v)
{
	return v ? v->next : NULL;
}

size_t jsonr_array_size(const struct jsonr_value *v)
{
	return jsonr_is_array(v) ? v->u.kids.n : 0;
}

const struct jsonr_value *jsonr_array_at(const struct jsonr_value *v, size_t i)
{
	if (!jsonr_is_array(v) || i >= v->u.kids.n)
		return NULL;
	const struct jsonr_value *e = v->u.kids.first;
	while (i--)
		e = e->next;
	return e;
}

const char *jsonr_string(const struct jsonr_value *v)
{
	return jsonr_is_string(v) ? v->u.str.s : NULL;
}

double jsonr_number(const struct jsonr_value *v)
{
	return jsonr_is_number(v) ? v->u.num.real : 0;
}
