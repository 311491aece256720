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

#include <fcntl.h> /* AT_FDCWD for the dfd arguments */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

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
/*
 * For pf opened on a mount table (/proc/<pid>/mounts or mountinfo): whether
 * the table changed since the last call.  procfs raises POLLPRI on those
 * files when a mount, an unmount or a remount happens; other kernel files
 * never do, so this must not be called on them.  True at the first call
 * and where the file cannot tell (a fixture tree's regular file), so
 * callers re-read it.
 */
bool pfile_mounts_changed(struct pfile *pf);

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
int read_file_buf(const char *path, struct buf *out);
/*
 * Read a file holding one unsigned decimal integer, as procfs's
 * ReadUintFromFile: blanks around it are trimmed (Go's strings.TrimSpace),
 * then the rest must be a whole strconv.ParseUint(s, 10, 64).  Returns 0, a
 * negative errno from open/read, or -EINVAL (anything else in the file, or
 * a number out of range).
 */
int read_u64_file(const char *path, uint64_t *out);
/* Same for one signed decimal integer (strconv.ParseInt(s, 10, 64)). */
int read_i64_file(const char *path, int64_t *out);

/*
 * Read an attribute as procfs's SysReadFile does: one read(2) of at most
 * size - 1 bytes (sysfs attributes are read in one go; a broken driver that
 * returns EAGAIN forever is not retried), NUL-terminated.  dfd is the
 * directory for a relative path (AT_FDCWD: the working directory).
 * Returns the length read or a negative errno.
 */
int read_attr_once(int dfd, const char *path, char *buf, size_t size);
/* Buffer size for one procfs-style attribute read (128 bytes and a NUL). */
#define SYSFS_ATTR_SIZE 129
/*
 * Re-read an attribute through a descriptor kept open: one pread(2) of at
 * most size - 1 bytes at offset 0, NUL-terminated.  sysfs (kernfs) builds
 * the value again on every read at offset 0, so this is read_attr_once()
 * without the open and close; a descriptor whose device was removed fails
 * with ENODEV.  Returns the length read or a negative errno.
 */
int read_attr_fd(int fd, char *buf, size_t size);
/*
 * read_attr_once(), then blanks at both ends trimmed (Go's
 * strings.TrimSpace); *out points at the trimmed value inside buf.
 * procfs reads 128 bytes: size SYSFS_ATTR_SIZE.  Returns 0 or a negative
 * errno.
 */
int read_attr_trimmed(int dfd, const char *path, char *buf, size_t size, char **out);
/* read_attr_trimmed() of dir/name (joined as path_join() does). */
int read_dir_attr(const char *dir, const char *name, char *buf, size_t size, char **out);
/*
 * dir + "/" + name into out (PATH_MAX bytes).  Returns 0, or -ENAMETOOLONG
 * with out set to "" (opening or stat'ing "" fails cleanly) when it does
 * not fit.
 */
int path_join(char *out, const char *dir, const char *name);
/*
 * The entries of a directory in the order Go's os.ReadDir gives them
 * (sorted bytewise).  A list is reused across reads: names and the sorted
 * pointers into them keep their memory.  Zero-initialise it.
 */
struct dir_list {
	struct buf names; /* the names, each NUL-terminated */
	const char **v;	  /* n sorted pointers into names */
	size_t n, cap;
};
/*
 * Read dir into l (replacing its content): the names other than "." and
 * ".." that keep() accepts (NULL: all), sorted with strcmp.  Returns 0, or
 * a negative errno from opendir(3) with l empty.
 */
int dir_list_read(struct dir_list *l, const char *dir, bool (*keep)(const char *name));
void dir_list_free(struct dir_list *l);

/* Go's strings.TrimSpace (ASCII blanks) in place: the first kept byte, the tail cut. */
char *trim_space(char *s);

/*
 * One cached yes/no per line of a file whose lines keep their order from
 * read to read (vmstat fields, diskstats devices): the verdict for line l
 * holds while that line has the same name, so the steady state costs a
 * strcmp per line instead of a regex match.  Names of LINE_VERDICT_NAME
 * bytes or more are not cached.  Zero-initialise.
 */
#define LINE_VERDICT_NAME 48
struct line_verdict {
	char name[LINE_VERDICT_NAME];
	bool yes;
};
struct line_verdicts {
	struct line_verdict *v;
	size_t n;
};
/* The verdict cached for line l called name: 1 or 0, -1 when unknown. */
int line_verdict_get(const struct line_verdicts *c, size_t l, const char *name);
/* Cache verdict yes for line l called name. */
void line_verdict_put(struct line_verdicts *c, size_t l, const char *name, bool yes);
void line_verdicts_free(struct line_verdicts *c);

/*
 * Number parsers with Go's strconv semantics over a whole NUL-terminated
 * string, so a value node_exporter rejects is rejected here too.  They
 * return 0, -EINVAL (syntax: empty, a blank, a stray byte) or -ERANGE (out
 * of range for bits); *out is set only on success.
 *
 * parse_go_uint: strconv.ParseUint(s, base, bits): no sign.  Base 0 takes
 * a 0x/0o/0b prefix, a leading 0 for octal, and '_' between digits.
 */
int parse_go_uint(const char *s, int base, int bits, uint64_t *out);
/* strconv.ParseInt(s, base, bits): an optional '+' or '-', then as parse_go_uint. */
int parse_go_int(const char *s, int base, int bits, int64_t *out);
/*
 * strconv.ParseFloat(s, 64) over the len bytes at s: decimal mantissa and
 * exponent, "inf"/"infinity" with an optional sign and "nan" in any case;
 * no blanks.  Overflow to infinity is -ERANGE, underflow is not an error;
 * -ENOMEM when a number of 128 bytes or more cannot be copied.
 * (Hexadecimal floats and '_' separators are not accepted.)
 */
int parse_go_float(const char *s, size_t len, double *out);
/* Whether the len bytes at s equal the lower-case word, ASCII case ignored. */
bool ascii_eq_nocase(const char *s, size_t len, const char *word);

#endif
