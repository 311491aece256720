// SPDX-License-Identifier: Apache-2.0
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level threshold = LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level)
{
	threshold = level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int log_enabled(enum log_level level)
{
	return level >= threshold;
}

/* Append s to line as a logfmt quoted value. */
static size_t put_quoted(char *line, size_t pos, size_t cap, const char *s)
{
	if (pos < cap)
		line[pos++] = '"';
	for (; *s && pos + 3 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			line[pos++] = '\\';
			line[pos++] = (char)c;
		} else if (c == '\n') {
			line[pos++] = '\\';
			line[pos++] = 'n';
		} else if (c < 0x20) {
			line[pos++] = ' ';
		} else {
			line[pos++] = (char)c;
		}
	}
	if (pos < cap)
		line[pos++] = '"';
	return pos;
}

static void emit(enum log_level level, int code, const char *fmt, va_list ap)
{
	char msg[1024], line[1536];
	struct timespec ts;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t pos = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	pos += (size_t)snprintf(line + pos, sizeof(line) - pos, ".%03ldZ level=%s msg=",
				ts.tv_nsec / 1000000, level_names[level]);
	/* text after a tab is already logfmt fields: key=value ... */
	char *fields = strchr(msg, '\t');
	if (fields)
		*fields++ = '\0';
	pos = put_quoted(line, pos, sizeof(line) - 2, msg);
	if (fields) {
		size_t n = strlen(fields);
		if (n > sizeof(line) - 64 - pos)
			n = sizeof(line) - 64 - pos;
		line[pos++] = ' ';
		memcpy(line + pos, fields, n);
		pos += n;
	}
	if (code) {
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos, " err=");
		pos = put_quoted(line, pos, sizeof(line) - 2, strerror(-code));
	}
	line[pos++] = '\n';
	ssize_t rc = write(STDERR_FILENO, line, pos);
	(void)rc;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < threshold)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(level, 0, fmt, ap);
	va_end(ap);
}

int log_err(int code, const char *fmt, ...)
{
	if (LOG_ERROR >= threshold) {
		va_list ap;
		va_start(ap, fmt);
		emit(LOG_ERROR, code, fmt, ap);
		va_end(ap);
	}
	return code;
}

int log_warn_code(int code, const char *fmt, ...)
{
	if (LOG_WARN >= threshold) {
		va_list ap;
		va_start(ap, fmt);
		emit(LOG_WARN, code, fmt, ap);
		va_end(ap);
	}
	return code;
}
