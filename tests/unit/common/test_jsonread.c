// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON reader: every type, escapes and surrogates, invalid UTF-8, the
 * number grammar, nesting limit, duplicate keys, and error reasons.  The
 * expected reasons were taken from Prometheus 2.42's promtool (Go's
 * encoding/json) checking a file_sd file holding the same bytes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonread.h"

/* Parse s (a C string, without its NUL) from an exact-size heap copy, so
 * the sanitizers catch any read past the end. */
static struct jsonr_value *parse_n(const char *s, size_t len, struct jsonr_error *err)
{
	char *copy = malloc(len ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, s, len);
	struct jsonr_value *v = jsonr_parse(copy, len, err);
	free(copy); /* the tree must not point into the input */
	return v;
}

static struct jsonr_value *parse(const char *s)
{
	struct jsonr_error err;
	struct jsonr_value *v = parse_n(s, strlen(s), &err);
	cr_assert_not_null(v, "parse %s: %s at %zu", s, err.reason, err.offset);
	return v;
}

/* s must fail with reason at offset. */
static void expect_error(const char *s, size_t len, const char *reason, size_t offset)
{
	struct jsonr_error err;
	struct jsonr_value *v = parse_n(s, len, &err);
	cr_expect_null(v, "accepted: %s", s);
	jsonr_free(v);
	cr_expect_eq(err.code, -EINVAL, "%s", s);
	cr_expect_str_eq(err.reason, reason, "input %s", s);
	cr_expect_eq(err.offset, offset, "input %s: offset %zu, want %zu", s, err.offset, offset);
}

/* s is a string literal: its length includes any NUL inside */
#define EXPECT_ERROR(s, reason, offset) expect_error(s, sizeof(s) - 1, reason, offset)

/* The decoded string of the one-string document s. */
static void expect_string(const char *s, const char *want, size_t want_len)
{
	struct jsonr_value *v = parse(s);
	cr_assert(jsonr_is_string(v), "%s", s);
	cr_expect_eq(v->u.str.len, want_len, "%s: length %zu, want %zu", s, v->u.str.len, want_len);
	cr_expect(memcmp(jsonr_string(v), want, want_len) == 0, "%s", s);
	cr_expect_eq(jsonr_string(v)[want_len], '\0');
	jsonr_free(v);
}

Test(jsonread, scalars)
{
	struct jsonr_value *v = parse("null");
	cr_expect(jsonr_is_null(v));
	cr_expect_null(v->key);
	cr_expect_null(v->next);
	jsonr_free(v);

	v = parse("true");
	cr_expect(jsonr_is_bool(v));
	cr_expect(v->boolean);
	jsonr_free(v);
	v = parse("false");
	cr_expect(jsonr_is_bool(v));
	cr_expect_not(v->boolean);
	jsonr_free(v);

	v = parse("\"hi\"");
	cr_expect(jsonr_is_string(v));
	cr_expect_str_eq(jsonr_string(v), "hi");
	cr_expect_eq(jsonr_number(v), 0);
	jsonr_free(v);

	v = parse("42");
	cr_expect(jsonr_is_number(v));
	cr_expect_eq(jsonr_number(v), 42);
	cr_expect_null(jsonr_string(v));
	jsonr_free(v);
}

Test(jsonread, blanks)
{
	struct jsonr_value *v = parse(" \t\r\n[ 1 ,\n\t2 ] \r\n");
	cr_expect_eq(jsonr_array_size(v), 2);
	jsonr_free(v);
	v = parse("\n{ \"a\" :\t\"b\" }\n");
	cr_expect_str_eq(jsonr_string(jsonr_get(v, "a")), "b");
	jsonr_free(v);
	/* form feed, vertical tab and NBSP are not JSON blanks */
	EXPECT_ERROR("\f1", "invalid character '\\f' looking for beginning of value", 0);
	EXPECT_ERROR("1\v", "invalid character '\\v' after top-level value", 1);
	EXPECT_ERROR("\xc2\xa0"
		     "1",
		     "invalid character '\xc3\x82' looking for beginning of value", 0);
}

Test(jsonread, arrays_and_objects)
{
	struct jsonr_value *v = parse("{\"n\": null, \"list\": [1, \"two\", [], {}, true],"
				      " \"obj\": {\"x\": {\"y\": \"z\"}}}");
	cr_assert(jsonr_is_object(v));
	cr_expect_eq(v->u.kids.n, 3);
	cr_expect_eq(jsonr_array_size(v), 0, "an object is not an array");

	const char *keys[] = {"n", "list", "obj"};
	size_t i = 0;
	for (const struct jsonr_value *m = jsonr_first(v); m; m = jsonr_next(m), i++) {
		cr_assert_lt(i, 3);
		cr_expect_str_eq(m->key, keys[i]);
		cr_expect_eq(m->key_len, strlen(keys[i]));
	}
	cr_expect_eq(i, 3);
	cr_expect(jsonr_is_null(jsonr_get(v, "n")));

	const struct jsonr_value *list = jsonr_get(v, "list");
	cr_assert(jsonr_is_array(list));
	cr_expect_eq(jsonr_array_size(list), 5);
	cr_expect_eq(jsonr_number(jsonr_array_at(list, 0)), 1);
	cr_expect_str_eq(jsonr_string(jsonr_array_at(list, 1)), "two");
	cr_expect(jsonr_is_array(jsonr_array_at(list, 2)));
	cr_expect_eq(jsonr_array_size(jsonr_array_at(list, 2)), 0);
	cr_expect_null(jsonr_first(jsonr_array_at(list, 2)));
	cr_expect(jsonr_is_object(jsonr_array_at(list, 3)));
	cr_expect_null(jsonr_first(jsonr_array_at(list, 3)));
	cr_expect(jsonr_array_at(list, 4)->boolean);
	cr_expect_null(jsonr_array_at(list, 5));
	cr_expect_null(jsonr_array_at(list, 0)->key, "array elements have no key");

	cr_expect_str_eq(jsonr_string(jsonr_get(jsonr_get(jsonr_get(v, "obj"), "x"), "y")), "z");
	cr_expect_null(jsonr_get(v, "missing"));
	cr_expect_null(jsonr_get(v, "N"), "keys are case-sensitive");
	cr_expect_null(jsonr_get(list, "n"), "an array has no members");
	jsonr_free(v);

	v = parse("[]");
	cr_expect(jsonr_is_array(v));
	cr_expect_eq(jsonr_array_size(v), 0);
	jsonr_free(v);
	v = parse("{}");
	cr_expect(jsonr_is_object(v));
	jsonr_free(v);
	v = parse("[[[]],[{}]]");
	cr_expect_eq(jsonr_array_size(v), 2);
	jsonr_free(v);
}

Test(jsonread, null_safe_accessors)
{
	cr_expect_not(jsonr_is_null(NULL));
	cr_expect_not(jsonr_is_object(NULL));
	cr_expect_null(jsonr_get(NULL, "a"));
	cr_expect_null(jsonr_first(NULL));
	cr_expect_null(jsonr_next(NULL));
	cr_expect_null(jsonr_string(NULL));
	cr_expect_eq(jsonr_number(NULL), 0);
	cr_expect_eq(jsonr_array_size(NULL), 0);
	cr_expect_null(jsonr_array_at(NULL, 0));
	jsonr_free(NULL);
	/* err may be NULL */
	cr_expect_null(jsonr_parse("[", 1, NULL));
}

Test(jsonread, duplicate_keys)
{
	struct jsonr_value *v = parse("{\"a\": 1, \"b\": 2, \"a\": 3}");
	cr_expect_eq(v->u.kids.n, 3, "both members are kept");
	cr_expect_eq(jsonr_number(jsonr_first(v)), 1, "in document order");
	cr_expect_eq(jsonr_number(jsonr_get(v, "a")), 3, "lookup finds the last");
	jsonr_free(v);
}

Test(jsonread, escapes)
{
	expect_string("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\" \\ / \b \f \n \r \t", 15);
	expect_string("\"\\u0041\\u00e9\\u20AC\\uFfFd\"", "A\xc3\xa9\xe2\x82\xac\xef\xbf\xbd", 9);
	/* an escaped NUL is kept; the length tells */
	expect_string("\"a\\u0000b\"", "a\0b", 3);
	/* DEL and bytes up to U+10FFFF pass as they are */
	expect_string("\"\x7f\xf4\x8f\xbf\xbf\"", "\x7f\xf4\x8f\xbf\xbf", 5);
	expect_string("\"\"", "", 0);
}

Test(jsonread, surrogates)
{
	/* a pair is one character */
	expect_string("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
	expect_string("\"\\uD800\\uDC00\"", "\xf0\x90\x80\x80", 4);
	expect_string("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4);
	/* Go: a lone or mismatched surrogate is U+FFFD, the next escape stands alone */
	expect_string("\"\\ud800\"", "\xef\xbf\xbd", 3);
	expect_string("\"\\udc00\"", "\xef\xbf\xbd", 3);
	expect_string("\"\\ud800\\u0041-\"",
		      "\xef\xbf\xbd"
		      "A-",
		      5);
	expect_string("\"\\ude00\\ud83d-\"", "\xef\xbf\xbd\xef\xbf\xbd-", 7);
	expect_string("\"\\ud800\\ud83d\\ude00\"", "\xef\xbf\xbd\xf0\x9f\x98\x80", 7);
	expect_string("\"\\ud83dx\"", "\xef\xbf\xbdx", 4);
	expect_string("\"\\ud83d\\n\"", "\xef\xbf\xbd\n", 4);
}

Test(jsonread, invalid_utf8)
{
	/* Go replaces each invalid byte with U+FFFD */
	expect_string("\"\xff\"", "\xef\xbf\xbd", 3);
	expect_string("\"a\xe2\x82\"", "a\xef\xbf\xbd\xef\xbf\xbd", 7);
	expect_string("\"\xff\xfe\xe2\x82-\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd-",
		      13);
	/* overlong and encoded surrogates are invalid too */
	expect_string("\"\xc0\xaf\"", "\xef\xbf\xbd\xef\xbf\xbd", 6);
	expect_string("\"\xed\xa0\x80\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9);
	expect_string("\"\xf4\x90\x80\x80\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
		      12);
	/* valid sequences stay, also next to invalid ones and escapes */
	expect_string("\"\xc3\xa9\xff\\n\xe2\x82\xac\"", "\xc3\xa9\xef\xbf\xbd\n\xe2\x82\xac", 9);
	/* in keys as well */
	struct jsonr_value *v = parse("{\"k\xff\": 1}");
	cr_expect_str_eq(jsonr_first(v)->key, "k\xef\xbf\xbd");
	cr_expect_not_null(jsonr_get(v, "k\xef\xbf\xbd"));
	jsonr_free(v);
}

Test(jsonread, control_bytes_in_strings)
{
	EXPECT_ERROR("[\"a\x01\"]", "invalid character '\\x01' in string literal", 3);
	EXPECT_ERROR("\"\t\"", "invalid character '\\t' in string literal", 1);
	EXPECT_ERROR("\"\n\"", "invalid character '\\n' in string literal", 1);
	EXPECT_ERROR("\"a\0\"", "invalid character '\\x00' in string literal", 2);
	EXPECT_ERROR("{\"\x1f\":1}", "invalid character '\\x1f' in string literal", 2);
}

Test(jsonread, bad_escapes)
{
	EXPECT_ERROR("[\"\\q\"]", "invalid character 'q' in string escape code", 3);
	EXPECT_ERROR("\"\\x01\"", "invalid character 'x' in string escape code", 2);
	EXPECT_ERROR("\"\\U0041\"", "invalid character 'U' in string escape code", 2);
	EXPECT_ERROR("[\"\\u12g4\"]", "invalid character 'g' in \\u hexadecimal character escape",
		     6);
	/* cut short: Go reports the blank it feeds after the input */
	EXPECT_ERROR("[\"\\u12", "invalid character ' ' in \\u hexadecimal character escape", 6);
	EXPECT_ERROR("\"\\", "invalid character ' ' in string escape code", 2);
	EXPECT_ERROR("\"abc", "unexpected end of JSON input", 4);
}

Test(jsonread, numbers)
{
	struct jsonr_value *v =
		parse("[0, -0, 123, -123, 1.5, -0.25, 1e3, 1E+3, 25e-2, 1.0,"
		      " 9223372036854775807, -9223372036854775808,"
		      " 9223372036854775808, 1e-400, 123456789012345678901234567890]");
	cr_assert_eq(jsonr_array_size(v), 15);
	const struct jsonr_value *e = jsonr_first(v);
	cr_expect(e->is_int && e->u.num.integer == 0 && e->u.num.real == 0);
	e = e->next; /* -0 */
	cr_expect(e->is_int && e->u.num.integer == 0);
	cr_expect(e->u.num.real == 0 && signbit(e->u.num.real), "-0 keeps its sign");
	e = e->next;
	cr_expect(e->is_int && e->u.num.integer == 123 && e->u.num.real == 123);
	e = e->next;
	cr_expect(e->is_int && e->u.num.integer == -123 && e->u.num.real == -123);
	e = e->next;
	cr_expect(!e->is_int && e->u.num.real == 1.5);
	e = e->next;
	cr_expect(!e->is_int && e->u.num.real == -0.25);
	e = e->next;
	cr_expect(!e->is_int && e->u.num.real == 1000, "an exponent is not an integer form");
	e = e->next;
	cr_expect(e->u.num.real == 1000);
	e = e->next;
	cr_expect(e->u.num.real == 0.25);
	e = e->next;
	cr_expect(!e->is_int && e->u.num.real == 1);
	e = e->next;
	cr_expect(e->is_int && e->u.num.integer == INT64_MAX);
	e = e->next;
	cr_expect(e->is_int && e->u.num.integer == INT64_MIN);
	e = e->next;
	cr_expect(!e->is_int, "past INT64_MAX");
	cr_expect(e->u.num.real == 9223372036854775808.0);
	e = e->next;
	cr_expect(!e->is_int && e->u.num.real == 0, "underflow is 0, as in Go");
	e = e->next;
	cr_expect(!e->is_int && fabs(e->u.num.real - 1.2345678901234568e29) < 1e14);
	jsonr_free(v);

	v = parse("-1.7976931348623157e308");
	cr_expect_eq(jsonr_number(v), -1.7976931348623157e308);
	jsonr_free(v);
}

Test(jsonread, bad_numbers)
{
	/* out of the range of a float64: an error, as Go's decoder makes it */
	EXPECT_ERROR("1e400", "number 1e400 out of range of float64", 0);
	EXPECT_ERROR("[1, -1e400]", "number -1e400 out of range of float64", 4);
	EXPECT_ERROR("[01]", "invalid character '1' after array element", 2);
	EXPECT_ERROR("-01", "invalid character '1' after top-level value", 2);
	EXPECT_ERROR("00", "invalid character '0' after top-level value", 1);
	EXPECT_ERROR("+1", "invalid character '+' looking for beginning of value", 0);
	EXPECT_ERROR(".5", "invalid character '.' looking for beginning of value", 0);
	EXPECT_ERROR("[-]", "invalid character ']' in numeric literal", 2);
	EXPECT_ERROR("-", "invalid character ' ' in numeric literal", 1);
	EXPECT_ERROR("-a", "invalid character 'a' in numeric literal", 1);
	EXPECT_ERROR("[1.]", "invalid character ']' after decimal point in numeric literal", 3);
	EXPECT_ERROR("1.", "invalid character ' ' after decimal point in numeric literal", 2);
	EXPECT_ERROR("[1e]", "invalid character ']' in exponent of numeric literal", 3);
	EXPECT_ERROR("1e+", "invalid character ' ' in exponent of numeric literal", 3);
	EXPECT_ERROR("0x10", "invalid character 'x' after top-level value", 1);
	EXPECT_ERROR("NaN", "invalid character 'N' looking for beginning of value", 0);
	EXPECT_ERROR("Infinity", "invalid character 'I' looking for beginning of value", 0);
	EXPECT_ERROR("-Infinity", "invalid character 'I' in numeric literal", 1);
}

Test(jsonread, literals)
{
	EXPECT_ERROR("[tru]", "invalid character ']' in literal true (expecting 'e')", 4);
	EXPECT_ERROR("[trux]", "invalid character 'x' in literal true (expecting 'e')", 4);
	EXPECT_ERROR("[nul", "invalid character ' ' in literal null (expecting 'l')", 4);
	EXPECT_ERROR("fals", "invalid character ' ' in literal false (expecting 'e')", 4);
	EXPECT_ERROR("True", "invalid character 'T' looking for beginning of value", 0);
	EXPECT_ERROR("nulll", "invalid character 'l' after top-level value", 4);
}

Test(jsonread, structure_errors)
{
	EXPECT_ERROR("", "unexpected end of JSON input", 0);
	EXPECT_ERROR(" \n\t ", "unexpected end of JSON input", 4);
	EXPECT_ERROR("[", "unexpected end of JSON input", 1);
	EXPECT_ERROR("{\"a\"", "unexpected end of JSON input", 4);
	EXPECT_ERROR("{\"a\":", "unexpected end of JSON input", 5);
	EXPECT_ERROR("[1,", "unexpected end of JSON input", 3);
	EXPECT_ERROR("[1,]", "invalid character ']' looking for beginning of value", 3);
	EXPECT_ERROR("{\"a\":1,}",
		     "invalid character '}' looking for beginning of object key string", 7);
	EXPECT_ERROR("[,1]", "invalid character ',' looking for beginning of value", 1);
	EXPECT_ERROR("{,}", "invalid character ',' looking for beginning of object key string", 1);
	EXPECT_ERROR("[1 2]", "invalid character '2' after array element", 3);
	EXPECT_ERROR("{\"a\" 1}", "invalid character '1' after object key", 5);
	EXPECT_ERROR("{\"a\":1 \"b\"}", "invalid character '\"' after object key:value pair", 7);
	EXPECT_ERROR("{1:2}", "invalid character '1' looking for beginning of object key string",
		     1);
	EXPECT_ERROR("[1}", "invalid character '}' after array element", 2);
	EXPECT_ERROR("{\"a\":1]", "invalid character ']' after object key:value pair", 6);
	EXPECT_ERROR("[]]", "invalid character ']' after top-level value", 2);
	EXPECT_ERROR("1 2", "invalid character '2' after top-level value", 2);
	EXPECT_ERROR("{} {}", "invalid character '{' after top-level value", 3);
	EXPECT_ERROR("[']", "invalid character '\\'' looking for beginning of value", 1);
	EXPECT_ERROR("\xef\xbb\xbf[]",
		     "invalid character '\xc3\xaf' looking for beginning of value", 0);
	EXPECT_ERROR("[\x7f]", "invalid character '\\x7f' looking for beginning of value", 1);
	EXPECT_ERROR("[\xad]", "invalid character '\\u00ad' looking for beginning of value", 1);
	EXPECT_ERROR("[\x85]", "invalid character '\\u0085' looking for beginning of value", 1);
	EXPECT_ERROR("[1]\0", "invalid character '\\x00' after top-level value", 3);
}

Test(jsonread, length_bounds_the_input)
{
	/* only len bytes are read: what follows is not part of the document */
	const char *s = "[1,2]garbage";
	struct jsonr_error err;
	struct jsonr_value *v = jsonr_parse(s, 5, &err);
	cr_assert_not_null(v, "%s", err.reason);
	cr_expect_eq(jsonr_array_size(v), 2);
	jsonr_free(v);
	cr_expect_null(jsonr_parse("\"abc\"", 4, &err));
	cr_expect_str_eq(err.reason, "unexpected end of JSON input");
}

/* depth open brackets then depth closing ones */
static char *nested(size_t depth, char open, char close, size_t *len)
{
	const char *member = "\"k\":";
	size_t step = open == '{' ? 1 + strlen(member) : 1;
	char *s = malloc(depth * step + depth + 8);
	size_t n = 0;
	cr_assert_not_null(s);
	for (size_t i = 0; i < depth; i++) {
		s[n++] = open;
		if (open == '{' && i + 1 < depth) {
			memcpy(s + n, member, strlen(member));
			n += strlen(member);
		}
	}
	for (size_t i = 0; i < depth; i++)
		s[n++] = close;
	*len = n;
	return s;
}

Test(jsonread, nesting_limit)
{
	struct jsonr_error err;
	size_t len;
	char *s = nested(JSONR_MAX_DEPTH, '[', ']', &len);
	struct jsonr_value *v = jsonr_parse(s, len, &err);
	cr_assert_not_null(v, "%s", err.reason);
	size_t depth = 0;
	for (const struct jsonr_value *e = v; e; e = jsonr_first(e))
		depth++;
	cr_expect_eq(depth, JSONR_MAX_DEPTH);
	jsonr_free(v);
	free(s);

	s = nested(JSONR_MAX_DEPTH + 1, '[', ']', &len);
	cr_expect_null(jsonr_parse(s, len, &err));
	cr_expect_str_eq(err.reason, "invalid character '[' exceeded max depth");
	cr_expect_eq(err.offset, JSONR_MAX_DEPTH);
	free(s);

	s = nested(JSONR_MAX_DEPTH, '{', '}', &len);
	v = jsonr_parse(s, len, &err);
	cr_assert_not_null(v, "%s", err.reason);
	jsonr_free(v);
	free(s);
	s = nested(JSONR_MAX_DEPTH + 1, '{', '}', &len);
	cr_expect_null(jsonr_parse(s, len, &err));
	cr_expect_str_eq(err.reason, "invalid character '{' exceeded max depth");
	free(s);

	/* far deeper than any stack would take if the parser recursed */
	s = nested(1000000, '[', ']', &len);
	cr_expect_null(jsonr_parse(s, len, &err));
	cr_expect_eq(err.offset, JSONR_MAX_DEPTH);
	free(s);
}

Test(jsonread, large_document_spans_blocks)
{
	/* 200000 elements and a 1 MiB string: many nodes, several arena blocks */
	size_t n = 200000, big = 1 << 20;
	size_t cap = n * 16 + big * 2 + 64, len = 0;
	char *s = malloc(cap);
	cr_assert_not_null(s);
	s[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "\"s%zu\",", i);
	s[len++] = '"';
	for (size_t i = 0; i < big; i++)
		s[len++] = i % 2 ? 'x' : '\xff'; /* each \xff grows to three bytes */
	s[len++] = '"';
	s[len++] = ']';
	struct jsonr_error err;
	struct jsonr_value *v = jsonr_parse(s, len, &err);
	free(s);
	cr_assert_not_null(v, "%s", err.reason);
	cr_assert_eq(jsonr_array_size(v), n + 1);
	size_t i = 0;
	char want[32];
	const struct jsonr_value *e;
	for (e = jsonr_first(v); i < n; e = jsonr_next(e), i++) {
		snprintf(want, sizeof(want), "s%zu", i);
		if (strcmp(jsonr_string(e), want) != 0)
			break;
	}
	cr_expect_eq(i, n, "element %zu differs", i);
	cr_assert(jsonr_is_string(e));
	cr_expect_eq(e->u.str.len, big / 2 * 4);
	cr_expect(memcmp(e->u.str.s, "\xef\xbf\xbdx\xef\xbf\xbdx", 8) == 0);
	jsonr_free(v);
}

Test(jsonread, docker_shapes)
{
	/* the shapes docker_api.c reads: container list and event lines */
	const char *list = "[{\"Id\":\"c4eda9d8\",\"Names\":[\"/ctr-cpu\"],\"Image\":\"busybox\","
			   "\"Created\":1763717756,\"Labels\":{\"app\":\"cpu\",\"n\":1},"
			   "\"State\":\"running\",\"Mounts\":[]}]";
	struct jsonr_value *v = parse(list);
	const struct jsonr_value *c = jsonr_array_at(v, 0);
	cr_expect_str_eq(jsonr_string(jsonr_get(c, "Id")), "c4eda9d8");
	cr_expect_str_eq(jsonr_string(jsonr_array_at(jsonr_get(c, "Names"), 0)), "/ctr-cpu");
	cr_expect_eq(jsonr_number(jsonr_get(c, "Created")), 1763717756);
	cr_expect_eq(jsonr_get(c, "Created")->u.num.integer, 1763717756);
	size_t strings = 0;
	for (const struct jsonr_value *l = jsonr_first(jsonr_get(c, "Labels")); l;
	     l = jsonr_next(l))
		strings += jsonr_is_string(l);
	cr_expect_eq(strings, 1);
	jsonr_free(v);
}
