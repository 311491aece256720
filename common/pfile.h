/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cheap reads of kernel text files (/proc, /sys, cgroupfs), after Netdata's
 * procfile: a handle opens its file once, and each pfile_read() reads the
 * whole file with read(2) into a buffer the handle owns (rewinding with
 * lseek, or reopening where the file cannot seek), then splits it into
 * lines and words in one pass, in place: separators become NULs, and the
 * line and word tables are reused.  No stdio, no allocation per line.
 *
 * Word and line pointers stay valid until the next pfile_read() or
 * pfile_close().  A handle is not thread-safe.
 */
#ifndef VIGIL_COMMON_PFILE_H
#define VIGIL_COMMON_PFILE_H

#include <stddef.h>
#include <stdint.h>

struct pfile;

/* Default word separators: blanks. */
#define PFILE_SEP_DEFAULT " \t"

/*
 * Open path for repeated reading.  seps lists the bytes that separate words
 * (NULL: PFILE_SEP_DEFAULT); '\n' always ends a line.  Returns NULL with
 * errno set when the file cannot be opened.
 */
struct pfile *pfile_open(const char *path, const char *seps);
/* Read and split the whole file again; 0 or a negative errno. */
int pfile_read(struct pfile *pf);
void pfile_close(struct pfile *pf);
const char *pfile_path(const struct pfile *pf);

size_t pfile_lines(const struct pfile *pf);
size_t pfile_words(const struct pfile *pf, size_t line);
/* Word w of line l, or "" when out of range. */
const char *pfile_word(const struct pfile *pf, size_t line, size_t w);

/*
 * Parse an unsigned decimal integer at s, stopping at the first non-digit;
 * *end (if given) gets the stop position.  No locale, no errno.
 */
uint64_t str2u64(const char *s, const char **end);
/* Same for a signed integer with an optional leading '-' or '+'. */
int64_t str2i64(const char *s, const char **end);
/* strtod() with end pointer; 0 and *end == s when nothing was parsed. */
double str2d(const char *s, const char **end);

/*
 * Read a small file (sysfs attribute) whole into buf (NUL-terminated, the
 * trailing newline removed).  Returns the length or a negative errno.
 */
int read_small_file(const char *path, char *buf, size_t size);
/* Read a whole file of any size into out (replacing its content); 0 or a negative errno. */
struct buf;
int read_file_buf(const char *path, struct buf *out);
/* Read a file holding one unsigned integer; 0 or a negative errno. */
int read_u64_file(const char *path, uint64_t *out);
/* Read a file holding one signed integer; 0 or a negative errno. */
int read_i64_file(const char *path, int64_t *out);

#endif
