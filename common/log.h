/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging: one logfmt line per event on stderr,
 *   ts=2026-11-21T10:00:00.123Z level=info msg="Listening" address=:9100
 * The message is formatted printf-style and quoted; a tab in it starts
 * logfmt fields that are written unquoted after msg, so
 *   log_info("Listening\taddress=%s", addr)
 * gives msg="Listening" address=:9100. log_err() appends the
 * errno text of its code and returns the code, so error paths read
 *   return log_err(-errno, "meminfo: open %s", path);
 * Thread-safe: each line is written with a single write(2).
 */
#ifndef VIGIL_COMMON_LOG_H
#define VIGIL_COMMON_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the threshold; lines below it are dropped. */
void log_set_level(enum log_level level);
/* Parse "debug|info|warn|error"; returns 0 or -EINVAL. */
int log_parse_level(const char *s, enum log_level *out);
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Log at error level with err="<strerror(-code)>" and return code. */
int log_err(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same as log_err() at warn level. */
int log_warn_code(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
