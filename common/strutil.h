/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small string helpers shared by both binaries: Go/Prometheus durations,
 * string lists, and regular expressions with RE2-like semantics on PCRE2.
 */
#ifndef VIGIL_COMMON_STRUTIL_H
#define VIGIL_COMMON_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parse a duration as Go's time.ParseDuration and Prometheus's
 * model.ParseDuration accept it: a sequence of <number><unit> with units
 * ns, us, µs, ms, s, m, h, d, w, y ("1h30m", "1.5s", "500ms", "15d").
 * "0" alone is zero.  Returns 0 and seconds in *out, or -EINVAL.
 */
int parse_duration(const char *s, double *out);

/*
 * Milliseconds as Prometheus prints a duration (model.Duration.String):
 * years and weeks only when they divide it exactly, then days, hours,
 * minutes, seconds and milliseconds, each when not zero ("1d2h", "90s"
 * is "1m30s", 0 is "0s", a negative value is "").  Writes at most cap
 * bytes with a NUL; returns the length written.
 */
size_t duration_format(int64_t ms, char *out, size_t cap);

/* A growable list of owned strings. */
struct strlist {
	char **items;
	size_t n, cap;
};

void strlist_push(struct strlist *l, const char *s);
void strlist_clear(struct strlist *l);
bool strlist_contains(const struct strlist *l, const char *s);

/* The value of hexadecimal digit c (0-9, a-f, A-F), or -1 (any other int, EOF included). */
int hex_digit(int c);

/*
 * Concatenate the strings given, up to a NULL, into out (size > 0 bytes),
 * truncating and always terminating; returns the length written.  For
 * names built per line of a kernel file on every scrape, where snprintf's
 * format parsing showed in profiles.
 */
size_t str_concat(char *out, size_t size, ...) __attribute__((sentinel));

/* A compiled regular expression (PCRE2, UTF mode). */
struct vregex;

/*
 * Compile pattern.  With anchored, the whole subject must match (as
 * Prometheus's label matchers and relabel regexes require), otherwise a
 * match anywhere counts (as Go's regexp.MatchString).  On error returns NULL
 * and writes a one-line reason to errbuf.
 */
struct vregex *vregex_compile(const char *pattern, bool anchored, char *errbuf, size_t errlen);
/*
 * Whether vregex_compile() JIT-compiles patterns (default yes).  The agent
 * turns it off: it matches a few hundred short names per scrape, where the
 * interpreter costs nothing, and the JIT's code and executable pages would
 * be resident memory for nothing.
 */
void vregex_set_jit(bool on);
/* True when subject matches. */
bool vregex_match(const struct vregex *re, const char *subject);
void vregex_free(struct vregex *re);

/* Byte offsets of group i of a match: [ov[2i], ov[2i+1]); VREGEX_UNSET when the group did not take part. */
#define VREGEX_UNSET ((size_t)-1)

/*
 * Match subject (len bytes) and record the offsets of up to max_groups groups
 * (group 0 is the whole match) in ov, which has room for 2 * max_groups
 * entries; groups beyond the pattern's count are set to VREGEX_UNSET.
 * Returns the number of groups of the pattern plus one (which may exceed
 * max_groups), or -1 when there is no match.
 */
int vregex_exec(const struct vregex *re, const char *subject, size_t len, size_t *ov,
		size_t max_groups);
/* Number of capturing groups in the pattern, not counting group 0. */
size_t vregex_group_count(const struct vregex *re);
/* Number of the group named name ((?P<name>...)), or -1 if there is none. */
int vregex_group_index(const struct vregex *re, const char *name, size_t name_len);

#endif
