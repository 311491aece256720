/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small JSON reader: strict RFC 8259 (https://www.rfc-editor.org/rfc/rfc8259)
 * parsing of a buffer with a length (it need not be NUL-terminated) into a
 * read-only tree.  It reads what Go's encoding/json reads, because the
 * documents come from Go programs or are written for them (Docker Engine
 * API replies, Prometheus file_sd target files):
 *   - one value, with optional blanks (space, tab, CR, LF) around it;
 *     anything else after it is an error, as is empty input;
 *   - numbers -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: no leading
 *     zeros, '+', hex, NaN or Infinity; a number beyond the range of a
 *     double (1e400) is an error as when Go decodes it into a float64;
 *     underflow (1e-400) gives 0;
 *   - strings: raw control bytes (< 0x20) are errors; escapes \" \\ \/ \b
 *     \f \n \r \t \uXXXX; a \u surrogate pair becomes one UTF-8 character,
 *     a lone or mismatched surrogate becomes U+FFFD, and so does each byte
 *     of invalid UTF-8 (Go's decoder does both);
 *   - object members keep document order; duplicate keys are all kept, and
 *     jsonr_get() returns the last one, as Go's decoder ends up with;
 *   - nesting deeper than JSONR_MAX_DEPTH arrays and objects is an error
 *     (the parser does not recurse, so the limit only bounds the work).
 * Errors carry the byte offset and a reason worded as Go's (e.g. "invalid
 * character '}' looking for beginning of value").
 *
 * Names are prefixed jsonr_ ("JSON reader") because common/json.h, the
 * streaming writer, owns the json_ prefix.
 *
 * Ownership: jsonr_parse() returns the root of a tree that lives in one
 * arena (a few large blocks, the nodes and the decoded strings); every
 * pointer reached from the root stays valid until jsonr_free(root), which
 * frees the whole document.  Nothing points into the input buffer.  The
 * reader allocates with malloc and returns NULL on failure (it is used by
 * the server, which must not abort).  A tree is read-only and may be read
 * from several threads.
 *
 *   struct jsonr_error err;
 *   struct jsonr_value *root = jsonr_parse(text, len, &err);
 *   if (!root)
 *           return log_err(err.code, "bad JSON at %zu: %s", err.offset, err.reason);
 *   for (const struct jsonr_value *m = jsonr_first(root); m; m = jsonr_next(m))
 *           use(m->key, jsonr_string(m));
 *   jsonr_free(root);
 */
#ifndef VIGIL_COMMON_JSONREAD_H
#define VIGIL_COMMON_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Arrays and objects nested deeper than this are an error. */
#define JSONR_MAX_DEPTH 512

enum jsonr_type {
	JSONR_NULL,
	JSONR_BOOL,
	JSONR_NUMBER,
	JSONR_STRING,
	JSONR_ARRAY,
	JSONR_OBJECT,
};

/*
 * One node.  Read the fields or use the accessors below (which also take
 * NULL); never modify a tree.
 */
struct jsonr_value {
	enum jsonr_type type;
	bool boolean;		  /* JSONR_BOOL */
	bool is_int;		  /* JSONR_NUMBER written without fraction or
				   * exponent and within int64: integer is exact */
	const char *key;	  /* member name (NUL-terminated) in an object, else NULL */
	size_t key_len;		  /* bytes of key without the NUL (may hold NULs) */
	struct jsonr_value *next; /* next element or member of the parent */
	union {
		struct {
			double real;	 /* every number */
			int64_t integer; /* when is_int */
		} num;
		struct {
			const char *s; /* decoded, valid UTF-8, NUL-terminated */
			size_t len;    /* bytes without the NUL (may hold NULs) */
		} str;
		struct {
			struct jsonr_value *first; /* in document order */
			struct jsonr_value *last;
			size_t n;
		} kids; /* JSONR_ARRAY and JSONR_OBJECT */
	} u;
};

struct jsonr_error {
	int code;	  /* -EINVAL (syntax, range, depth) or -ENOMEM */
	size_t offset;	  /* byte offset in the input where parsing stopped */
	char reason[112]; /* short text without the offset */
};

/*
 * Parse the len bytes at s.  Returns the root, to be released with
 * jsonr_free(), or NULL with *err filled in (err may be NULL).
 */
struct jsonr_value *jsonr_parse(const char *s, size_t len, struct jsonr_error *err);
/* Free the document of root (a value jsonr_parse() returned); NULL is ignored. */
void jsonr_free(struct jsonr_value *root);

/* The last member of object o named key (exact bytes), or NULL (also when o is not an object). */
const struct jsonr_value *jsonr_get(const struct jsonr_value *o, const char *key);

/* The first element of an array or member of an object; NULL when empty or not one. */
const struct jsonr_value *jsonr_first(const struct jsonr_value *v);
/* The element or member after v in its parent, or NULL. */
const struct jsonr_value *jsonr_next(const struct jsonr_value *v);
/* Elements of an array; 0 when v is not an array. */
size_t jsonr_array_size(const struct jsonr_value *v);
/* Element i of an array (a walk of i steps), or NULL. */
const struct jsonr_value *jsonr_array_at(const struct jsonr_value *v, size_t i);

/* The string of v, or NULL unless v is a string. */
const char *jsonr_string(const struct jsonr_value *v);
/* The number of v, or 0 unless v is a number. */
double jsonr_number(const struct jsonr_value *v);

/* Type tests; false for NULL. */
static inline bool jsonr_is(const struct jsonr_value *v, enum jsonr_type t)
{
	return v && v->type == t;
}

static inline bool jsonr_is_null(const struct jsonr_value *v)
{
	return jsonr_is(v, JSONR_NULL);
}

static inline bool jsonr_is_bool(const struct jsonr_value *v)
{
	return jsonr_is(v, JSONR_BOOL);
}

static inline bool jsonr_is_number(const struct jsonr_value *v)
{
	return jsonr_is(v, JSONR_NUMBER);
}

static inline bool jsonr_is_string(const struct jsonr_value *v)
{
	return jsonr_is(v, JSONR_STRING);
}

static inline bool jsonr_is_array(const struct jsonr_value *v)
{
	return jsonr_is(v, JSONR_ARRAY);
}

static inline bool jsonr_is_object(const struct jsonr_value *v)
{
	return jsonr_is(v, JSONR_OBJECT);
}

#endif
