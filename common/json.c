// SPDX-License-Identifier: Apache-2.0
#include "common/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/expo.h"
#include "common/utf8.h"

void json_init(struct json *j, struct buf *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->first[0] = true;
}

/* Write the separator a new value needs at the current level. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		buf_putc(j->out, ',');
	j->first[j->depth] = false;
}

static void open_level(struct json *j, char open, char close)
{
	sep(j);
	buf_putc(j->out, open);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
	j->close[j->depth] = close;
}

void json_obj(struct json *j)
{
	open_level(j, '{', '}');
}

void json_arr(struct json *j)
{
	open_level(j, '[', ']');
}

void json_end(struct json *j)
{
	if (j->depth == 0)
		return;
	buf_putc(j->out, j->close[j->depth]);
	j->depth--;
}

void json_put_string(struct buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	buf_reserve(b, n + 2);
	buf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		const char *esc = NULL;
		char tmp[8];
		size_t len = 1;
		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
			/* Go's encoding/json escapes <, > and & as well */
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			esc = tmp;
		} else if (c >= 0x80) {
			len = utf8_seq_len(s + i, n - i);
			if (!len) {
				esc = "\xef\xbf\xbd";
				len = 1;
			} else if (len == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
				   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
				esc = s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			}
		}
		if (esc) {
			buf_append(b, str + i - run, run);
			run = 0;
			buf_puts(b, esc);
		} else {
			run += len;
		}
		i += len;
	}
	buf_append(b, str + n - run, run);
	buf_putc(b, '"');
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	json_put_string(j->out, key, strlen(key));
	buf_putc(j->out, ':');
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	json_strn(j, s, strlen(s));
}

void json_strn(struct json *j, const char *s, size_t n)
{
	sep(j);
	json_put_string(j->out, s, n);
}

void json_int(struct json *j, int64_t v)
{
	sep(j);
	buf_printf(j->out, "%" PRId64, v);
}

void json_num(struct json *j, double v)
{
	sep(j);
	if (!isfinite(v)) {
		buf_puts(j->out, "null");
		return;
	}
	char tmp[EXPO_DOUBLE_MAX];
	expo_format_double(tmp, v, 'g');
	buf_puts(j->out, tmp);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	buf_puts(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	sep(j);
	buf_puts(j->out, "null");
}

void json_float_str(struct json *j, double v)
{
	char tmp[EXPO_DOUBLE_MAX + 2];
	tmp[0] = '"';
	size_t n = expo_format_double(tmp + 1, v, 'f');
	tmp[n + 1] = '"';
	tmp[n + 2] = '\0';
	sep(j);
	buf_append(j->out, tmp, n + 2);
}

void json_time(struct json *j, int64_t ms)
{
	sep(j);
	/* Prometheus: seconds as a float with the milliseconds, e.g. 1435781451.781 */
	int64_t sec = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		sec -= 1;
		frac += 1000;
	}
	if (!frac)
		buf_printf(j->out, "%" PRId64, sec);
	else if (frac % 100 == 0)
		buf_printf(j->out, "%" PRId64 ".%01" PRId64, sec, frac / 100);
	else if (frac % 10 == 0)
		buf_printf(j->out, "%" PRId64 ".%02" PRId64, sec, frac / 10);
	else
		buf_printf(j->out, "%" PRId64 ".%03" PRId64, sec, frac);
}

void json_raw(struct json *j, const char *text)
{
	sep(j);
	buf_puts(j->out, text);
}

void json_rfc3339(struct json *j, const struct timespec *ts)
{
	char out[64];
	if (!ts->tv_sec && !ts->tv_nsec) {
		json_str(j, "0001-01-01T00:00:00Z");
		return;
	}
	struct tm tm;
	time_t secs = ts->tv_sec;
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%S", &tm);
	if (ts->tv_nsec > 0 && ts->tv_nsec < 1000000000L) {
		char frac[16];
		snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
		size_t fl = strlen(frac);
		while (frac[fl - 1] == '0')
			frac[--fl] = '\0';
		memcpy(out + n, frac, fl);
		n += fl;
	}
	out[n++] = 'Z';
	out[n] = '\0';
	json_str(j, out);
}
