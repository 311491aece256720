/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A streaming JSON writer into a struct buf: commas and nesting are tracked,
 * strings escaped (RFC 8259; invalid UTF-8 bytes become U+FFFD as Go's
 * encoding/json does).  Used for Prometheus's HTTP API answers, where sample
 * values are strings formatted as Go's strconv.FormatFloat(v, 'f', -1, 64)
 * (json_float_str) and timestamps are numbers of seconds with up to three
 * decimals (json_time).
 *
 *   struct json j; json_init(&j, &out);
 *   json_obj(&j); json_key(&j, "status"); json_str(&j, "success"); json_end(&j);
 */
#ifndef VIGIL_COMMON_JSON_H
#define VIGIL_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

#define JSON_MAX_DEPTH 64

struct json {
	struct buf *out;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* no element written yet at this level */
	char close[JSON_MAX_DEPTH]; /* '}' or ']' closing each level */
	bool after_key;
};

void json_init(struct json *j, struct buf *out);
void json_obj(struct json *j);
void json_arr(struct json *j);
/* Close the innermost object or array. */
void json_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t n);
void json_int(struct json *j, int64_t v);
/* A number; NaN and infinities (not JSON) are written as null. */
void json_num(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* A float as a string, as Prometheus writes sample values: "1.5", "NaN", "+Inf". */
void json_float_str(struct json *j, double v);
/* A millisecond timestamp as seconds: 1700000000.123 */
void json_time(struct json *j, int64_t ms);
/*
 * A time as Go's time.Time marshals it in UTC: RFC 3339 with the fraction's
 * trailing zeros trimmed ("2026-11-21T11:28:29.5Z"); the zero timespec is
 * Go's zero time, "0001-01-01T00:00:00Z".
 */
struct timespec;
void json_rfc3339(struct json *j, const struct timespec *ts);
/* Raw, already valid JSON text as one value. */
void json_raw(struct json *j, const char *text);
/* Append s escaped, with quotes, to b. */
void json_put_string(struct buf *b, const char *s, size_t n);

#endif
