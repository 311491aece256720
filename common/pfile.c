// SPDX-License-Identifier: Apache-2.0
#include "common/pfile.h"

#include <errno.h>
#include <dirent.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fdcache.h"

#define PROC_SUPER_MAGIC 0x9fa0

struct pfile_line {
	uint32_t first; /* index of its first word */
	uint32_t nwords;
};

struct pfile {
	int fd;
	bool seekable;
	bool poll_checked, pollable; /* pfile_mounts_changed() */
	char *path;
	bool sep[256];
	bool stop[256]; /* ends a word: a separator, '\n', or NUL */
	char *data; /* content, NUL-terminated, split in place */
	size_t len, cap;
	const char **words;
	size_t nwords, capwords;
	struct pfile_line *lines;
	size_t nlines, caplines;
};

struct pfile *pfile_open(const char *path, const char *seps)
{
	int fd = fdcache_open_owned(path);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	struct pfile *pf = xcalloc(1, sizeof(*pf));
	pf->fd = fd;
	pf->seekable = true;
	pf->path = xstrdup(path);
	for (const char *s = seps ? seps : PFILE_SEP_DEFAULT; *s; s++)
		pf->sep[(unsigned char)*s] = true;
	pf->sep['\n'] = false;
	memcpy(pf->stop, pf->sep, sizeof(pf->stop));
	pf->stop['\n'] = pf->stop['\0'] = true;
	pf->cap = 512; /* grows to the file once; most are a line or two */
	pf->data = xmalloc(pf->cap);
	return pf;
}

void pfile_close(struct pfile *pf)
{
	if (!pf)
		return;
	if (pf->fd >= 0)
		close(pf->fd);
	free(pf->path);
	free(pf->data);
	free(pf->words);
	free(pf->lines);
	free(pf);
}

const char *pfile_path(const struct pfile *pf)
{
	return pf->path;
}

bool pfile_mounts_changed(struct pfile *pf)
{
	if (pf->fd < 0 || !pf->seekable)
		return true;
	if (!pf->poll_checked) {
		struct statfs sfs;
		pf->pollable = !fstatfs(pf->fd, &sfs) && sfs.f_type == PROC_SUPER_MAGIC;
		pf->poll_checked = true;
		if (pf->pollable) /* the first call: take the pending event, read anyway */
			poll(&(struct pollfd){ .fd = pf->fd, .events = POLLPRI }, 1, 0);
		return true;
	}
	if (!pf->pollable)
		return true;
	/* 0: no event (POLLIN, always set, is filtered out as not asked for) */
	return poll(&(struct pollfd){ .fd = pf->fd, .events = POLLPRI }, 1, 0) != 0;
}

/* Reopen the file (for files that cannot be read again at offset 0). */
static int reopen(struct pfile *pf)
{
	pf->poll_checked = false;
	if (pf->fd >= 0)
		close(pf->fd);
	pf->fd = open(pf->path, O_RDONLY | O_CLOEXEC);
	return pf->fd < 0 ? -errno : 0;
}

static void add_word(struct pfile *pf, const char *w)
{
	if (pf->nwords == pf->capwords) {
		pf->capwords = pf->capwords ? pf->capwords * 2 : 32;
		pf->words = xrealloc(pf->words, pf->capwords * sizeof(*pf->words));
	}
	pf->words[pf->nwords++] = w;
	pf->lines[pf->nlines - 1].nwords++;
}

static void add_line(struct pfile *pf)
{
	if (pf->nlines == pf->caplines) {
		pf->caplines = pf->caplines ? pf->caplines * 2 : 16;
		pf->lines = xrealloc(pf->lines, pf->caplines * sizeof(*pf->lines));
	}
	pf->lines[pf->nlines].first = (uint32_t)pf->nwords;
	pf->lines[pf->nlines].nwords = 0;
	pf->nlines++;
}

int pfile_read(struct pfile *pf)
{
	/* pread from offset 0 rereads kernel files without an lseek(2) */
	if (pf->fd < 0 || !pf->seekable) {
		int rc = reopen(pf);
		if (rc)
			return rc;
	}
	pf->len = 0;
	for (;;) {
		if (pf->cap - pf->len < 2) {
			pf->cap *= 2;
			pf->data = xrealloc(pf->data, pf->cap);
		}
		size_t room = pf->cap - pf->len - 1;
		ssize_t n = pf->seekable ? pread(pf->fd, pf->data + pf->len, room, (off_t)pf->len)
					 : read(pf->fd, pf->data + pf->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ESPIPE && pf->seekable) {
				pf->seekable = false;
				int rc = reopen(pf);
				if (rc)
					return rc;
				pf->len = 0;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			break;
		pf->len += (size_t)n;
		/*
		 * Kernel text files (seq_file, sysfs) fill the buffer unless they
		 * hit the end: a short read is the end.  Asking again at offset len
		 * would make a seq_file walk the whole file a second time.
		 */
		if (pf->seekable && (size_t)n < room)
			break;
	}
	pf->data[pf->len] = '\0';

	pf->nwords = 0;
	pf->nlines = 0;
	char *p = pf->data, *end = pf->data + pf->len;
	while (p < end) {
		add_line(pf);
		for (;;) {
			while (p < end && pf->sep[(unsigned char)*p])
				*p++ = '\0';
			if (p >= end || *p == '\n')
				break;
			add_word(pf, p);
			/* one lookup a byte: the NUL after the data stops it at the end */
			for (;;) {
				while (!pf->stop[(unsigned char)*p])
					p++;
				if (*p || p >= end)
					break;
				p++; /* a NUL inside the file is part of the word, as before */
			}
		}
		if (p < end)
			*p++ = '\0';
	}
	return 0;
}

size_t pfile_lines(const struct pfile *pf)
{
	return pf->nlines;
}

size_t pfile_words(const struct pfile *pf, size_t line)
{
	return line < pf->nlines ? pf->lines[line].nwords : 0;
}

const char *pfile_word(const struct pfile *pf, size_t line, size_t w)
{
	if (line >= pf->nlines || w >= pf->lines[line].nwords)
		return "";
	return pf->words[pf->lines[line].first + w];
}

uint64_t str2u64(const char *s, const char **end)
{
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	if (end)
		*end = s;
	return v;
}

int64_t str2i64(const char *s, const char **end)
{
	bool neg = false;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	uint64_t v = str2u64(s, end);
	return neg ? -(int64_t)v : (int64_t)v;
}

double str2d(const char *s, const char **end)
{
	/* plain integers, the common case in kernel files, without strtod */
	const char *p = s + (*s == '-' || *s == '+');
	const char *q = p;
	uint64_t u = 0;
	while (*q >= '0' && *q <= '9' && q - p < 15)
		u = u * 10 + (uint64_t)(*q++ - '0');
	if (q > p && !((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
		       *q == 'x' || *q == 'X')) {
		if (end)
			*end = q;
		return *s == '-' ? -(double)u : (double)u;
	}
	char *e;
	double v = strtod(s, &e);
	if (end)
		*end = e;
	return v;
}

/* Errors that mean the object behind a kept descriptor went away. */
static bool gone(int rc)
{
	return rc == -ENODEV || rc == -ENOENT || rc == -ESRCH || rc == -ESTALE;
}

/*
 * Read path with fn(fd, kept, arg): through the descriptor the calling
 * thread's fdcache keeps for it, or one opened and closed around the read.
 * A kept descriptor whose object went away is dropped and the read done
 * again on a fresh one, so the result is always what a fresh open gives.
 */
static int read_path(const char *path, int (*fn)(int fd, bool kept, void *arg), void *arg)
{
	bool kept;
	int fd = fdcache_open(path, &kept);
	if (fd < 0)
		return fd;
	int rc = fn(fd, kept, arg);
	if (!kept) {
		close(fd);
		return rc;
	}
	if (!gone(rc))
		return rc;
	fdcache_drop(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fn(fd, false, arg);
	close(fd);
	return rc;
}

/*
 * Read fd into buf[0..size-1), a kept descriptor from offset base: a kept descriptor with
 * pread(2), a short read being the end (asking again would make a seq_file
 * or kernfs attribute build the whole text a second time); a fresh one
 * with read(2) to end of file.  Returns the length or a negative errno.
 */
static ssize_t read_upto(int fd, bool kept, char *buf, size_t size, off_t base)
{
	size_t len = 0;
	while (len + 1 < size) {
		size_t room = size - 1 - len;
		ssize_t n = kept ? pread(fd, buf + len, room, base + (off_t)len)
				 : read(fd, buf + len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (kept && (size_t)n < room)
			break;
	}
	return (ssize_t)len;
}

struct small_read {
	char *buf;
	size_t size;
};

static int small_read(int fd, bool kept, void *arg)
{
	struct small_read *r = arg;
	return (int)read_upto(fd, kept, r->buf, r->size, 0);
}

int read_small_file(const char *path, char *buf, size_t size)
{
	struct small_read r = {buf, size};
	int len = read_path(path, small_read, &r);
	if (len < 0)
		return len;
	while (len && (buf[len - 1] == '\n'))
		len--;
	buf[len] = '\0';
	return len;
}

int read_u64_file(const char *path, uint64_t *out)
{
	char tmp[64];
	int n = read_small_file(path, tmp, sizeof(tmp));
	if (n < 0)
		return n;
	return parse_go_uint(trim_space(tmp), 10, 64, out) ? -EINVAL : 0;
}

int read_i64_file(const char *path, int64_t *out)
{
	char tmp[64];
	int n = read_small_file(path, tmp, sizeof(tmp));
	if (n < 0)
		return n;
	return parse_go_int(trim_space(tmp), 10, 64, out) ? -EINVAL : 0;
}

static int file_buf_read(int fd, bool kept, void *arg)
{
	struct buf *out = arg;
	buf_reset(out);
	for (;;) {
		buf_reserve(out, 4096);
		size_t room = out->cap - out->len;
		ssize_t n = read_upto(fd, kept, out->data + out->len, room, (off_t)out->len);
		if (n < 0)
			return (int)n;
		out->len += (size_t)n;
		if ((size_t)n + 1 < room) /* not filled: the end */
			break;
	}
	out->data[out->len] = '\0';
	return 0;
}

int read_file_buf(const char *path, struct buf *out)
{
	return read_path(path, file_buf_read, out);
}

static int attr_read(int fd, bool kept, void *arg)
{
	struct small_read *r = arg;
	ssize_t n;
	do
		n = kept ? pread(fd, r->buf, r->size - 1, 0) : read(fd, r->buf, r->size - 1);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

int read_attr_once(int dfd, const char *path, char *buf, size_t size)
{
	struct small_read r = {buf, size};
	int rc;
	if (path[0] == '/' || dfd == AT_FDCWD) {
		rc = read_path(path, attr_read, &r);
	} else {
		int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		rc = attr_read(fd, false, &r);
		close(fd);
	}
	buf[rc < 0 ? 0 : rc] = '\0';
	return rc;
}

int read_attr_fd(int fd, char *buf, size_t size)
{
	ssize_t n;
	do
		n = pread(fd, buf, size - 1, 0);
	while (n < 0 && errno == EINTR);
	int rc = n < 0 ? -errno : (int)n;
	buf[rc < 0 ? 0 : rc] = '\0';
	return rc;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *trim_space(char *s)
{
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

int read_attr_trimmed(int dfd, const char *path, char *buf, size_t size, char **out)
{
	int n = read_attr_once(dfd, path, buf, size);
	if (n < 0)
		return n;
	*out = trim_space(buf);
	return 0;
}

int path_join(char *out, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	if (dl + 1 + nl >= PATH_MAX) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, nl + 1);
	return 0;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether the open directory fd is still the directory at path (not removed or replaced). */
static bool same_dir(int fd, const char *path)
{
	struct stat a, b;
	return !fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/*
 * The names in directory fd (read from its current position) that keep()
 * accepts into l; *seen counts every name but "." and "..".  getdents64(2)
 * into a buffer on the stack: no 32 KiB DIR buffer per kept directory.
 */
/* Longest getdents64 record: header, NAME_MAX bytes and NUL, 8-aligned. */
#define DIRENT64_MAX ((offsetof(struct dirent64, d_name) + NAME_MAX + 1 + 7) & ~(size_t)7)

static int list_names(int fd, struct dir_list *l, bool (*keep)(const char *name), size_t *seen,
		      bool fills)
{
	char buf[4096] __attribute__((aligned(8)));
	*seen = 0;
	for (;;) {
		ssize_t n = getdents64(fd, buf, sizeof(buf));
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			const struct dirent64 *e = (const struct dirent64 *)(buf + off);
			const char *name = e->d_name;
			off += e->d_reclen;
			if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			++*seen;
			if (keep && !keep(name))
				continue;
			buf_append(&l->names, name, strlen(name) + 1);
			l->n++;
		}
		/*
		 * procfs and sysfs fill the buffer until the next record does
		 * not fit: room left for the longest record means the end.
		 */
		if (fills && sizeof(buf) - (size_t)n >= DIRENT64_MAX)
			return 0;
	}
}

int dir_list_read(struct dir_list *l, const char *dir, bool (*keep)(const char *name))
{
	buf_reset(&l->names);
	l->n = 0;
	bool kept;
	int fd = fdcache_opendir(dir, &kept);
	if (fd < 0)
		return fd;
	size_t seen;
	int rc = list_names(fd, l, keep, &seen, kept);
	/* a kept directory that lists nothing (or fails) may have been removed: look again */
	if (kept && (rc < 0 || (!seen && !same_dir(fd, dir)))) {
		fdcache_drop(dir);
		buf_reset(&l->names);
		l->n = 0;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		kept = false;
		rc = list_names(fd, l, keep, &seen, false);
	}
	if (!kept)
		close(fd);
	if (rc < 0) {
		buf_reset(&l->names);
		l->n = 0;
		return rc;
	}
	size_t n = l->n;
	if (n > l->cap) {
		l->cap = n;
		l->v = xrealloc(l->v, n * sizeof(*l->v));
	}
	for (size_t i = 0, off = 0; i < n; i++) {
		l->v[i] = l->names.data + off;
		off += strlen(l->v[i]) + 1;
	}
	if (n > 1)
		qsort(l->v, n, sizeof(*l->v), cmp_cstr);
	return 0;
}

void dir_list_free(struct dir_list *l)
{
	buf_free(&l->names);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int line_verdict_get(const struct line_verdicts *c, size_t l, const char *name)
{
	if (l < c->n && strcmp(c->v[l].name, name) == 0)
		return c->v[l].yes;
	return -1;
}

void line_verdict_put(struct line_verdicts *c, size_t l, const char *name, bool yes)
{
	size_t len = strlen(name);
	if (len >= LINE_VERDICT_NAME)
		return;
	if (l >= c->n) {
		size_t n = l + 64;
		c->v = xrealloc(c->v, n * sizeof(*c->v));
		memset(c->v + c->n, 0, (n - c->n) * sizeof(*c->v));
		c->n = n;
	}
	memcpy(c->v[l].name, name, len + 1);
	c->v[l].yes = yes;
}

void line_verdicts_free(struct line_verdicts *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int read_dir_attr(const char *dir, const char *name, char *buf, size_t size, char **out)
{
	char path[PATH_MAX];
	int rc = path_join(path, dir, name);
	return rc ? rc : read_attr_trimmed(AT_FDCWD, path, buf, size, out);
}

/*
 * The digits of strconv.ParseUint: p in base (0: Go's prefixes and '_'
 * separators), at most max.  0, -EINVAL or -ERANGE.
 */
static int go_digits(const char *p, int base, uint64_t max, uint64_t *out)
{
	if (!*p)
		return -EINVAL;
	/*
	 * Digits alone, at most 19 decimal or 16 hexadecimal ones (nothing can
	 * overflow 64 bits): what kernel files hold, without a division per
	 * digit.  A leading 0 in base 0 is a prefix, and anything else takes
	 * the general loop below.
	 */
	if (base == 10 || base == 16 || (base == 0 && *p != '0')) {
		unsigned b = base == 16 ? 16 : 10;
		size_t lim = b == 16 ? 16 : 19;
		uint64_t v = 0;
		size_t n = 0;
		for (; n < lim; n++) {
			unsigned c = (unsigned char)p[n], d = c - '0';
			if (d > 9)
				d = b == 16 && (c | 0x20) - 'a' < 6 ? (c | 0x20) - 'a' + 10 : 99;
			if (d >= b)
				break;
			v = v * b + d;
		}
		if (!p[n] && n > 0) {
			if (v > max)
				return -ERANGE;
			*out = v;
			return 0;
		}
	}
	bool base0 = base == 0;
	char saw = '^'; /* what came last: start, a digit (or prefix), an underscore */
	if (base0) {
		base = 10;
		if (p[0] == '0') {
			char c = (char)(p[1] | 0x20);
			if (p[1] && p[2] && (c == 'b' || c == 'o' || c == 'x')) {
				base = c == 'b' ? 2 : c == 'o' ? 8 : 16;
				p += 2;
			} else {
				base = 8;
				p += 1;
			}
			saw = '0';
		}
	} else if (base < 2 || base > 36) {
		return -EINVAL;
	}
	uint64_t v = 0;
	for (; *p; p++) {
		if (*p == '_' && base0) {
			if (saw != '0')
				return -EINVAL;
			saw = '_';
			continue;
		}
		unsigned d;
		char lc = (char)(*p | 0x20);
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (lc >= 'a' && lc <= 'z')
			d = (unsigned)(lc - 'a' + 10);
		else
			return -EINVAL;
		if (d >= (unsigned)base)
			return -EINVAL;
		if (v > (max - d) / (unsigned)base)
			return -ERANGE;
		v = v * (unsigned)base + d;
		saw = '0';
	}
	if (saw == '_')
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_go_uint(const char *s, int base, int bits, uint64_t *out)
{
	uint64_t max = bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
	return go_digits(s, base, max, out);
}

int parse_go_int(const char *s, int base, int bits, int64_t *out)
{
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	uint64_t v;
	int rc = go_digits(s, base, UINT64_MAX, &v);
	if (rc)
		return rc;
	uint64_t cutoff = (uint64_t)1 << ((bits >= 64 ? 64 : bits) - 1);
	if (neg ? v > cutoff : v >= cutoff)
		return -ERANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

bool ascii_eq_nocase(const char *s, size_t len, const char *word)
{
	if (len != strlen(word))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return false;
	}
	return true;
}

int parse_go_float(const char *s, size_t len, double *out)
{
	size_t i = 0;
	bool neg = false;
	if (len == 0)
		return -EINVAL;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	/*
	 * Fast path (Clinger): at most 15 digits, an optional point and no
	 * exponent, so the digits and 10^k are exact doubles and one division
	 * rounds correctly.  Most of a kernel file's numbers; the rest (and
	 * every malformed text) goes the full way below.
	 */
	{
		static const double pow10[] = {1e0, 1e1,  1e2,	1e3,  1e4,  1e5,  1e6,	1e7,
					       1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
		uint64_t m = 0;
		int nd = 0, frac = -1;
		size_t j = i;
		for (; j < len && nd <= 15; j++) {
			unsigned d = (unsigned char)(s[j] - '0');
			if (d <= 9) {
				m = m * 10 + d;
				nd++;
				if (frac >= 0)
					frac++;
			} else if (s[j] == '.' && frac < 0) {
				frac = 0;
			} else {
				break;
			}
		}
		if (j == len && nd > 0 && nd <= 15) {
			double v = (double)m;
			if (frac > 0)
				v /= pow10[frac];
			*out = neg ? -v : v;
			return 0;
		}
	}
	if (ascii_eq_nocase(s + i, len - i, "inf") || ascii_eq_nocase(s + i, len - i, "infinity")) {
		*out = neg ? -INFINITY : INFINITY;
		return 0;
	}
	if (i == 0 && ascii_eq_nocase(s, len, "nan")) {
		*out = NAN;
		return 0;
	}
	/* digits [. digits] [e [+-] digits], at least one mantissa digit */
	size_t digits = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (!digits)
		return -EINVAL;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t ed = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, ed++;
		if (!ed)
			return -EINVAL;
	}
	if (i != len)
		return -EINVAL;

	char tmp[128];
	const char *num = s;
	char *heap = NULL;
	if (len < sizeof(tmp)) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		num = tmp;
	} else {
		heap = malloc(len + 1);
		if (!heap)
			return -ENOMEM;
		memcpy(heap, s, len);
		heap[len] = '\0';
		num = heap;
	}
	char *end;
	errno = 0;
	double v = strtod(num, &end);
	int rc = 0;
	if (end != num + len)
		rc = -EINVAL;
	else if (errno == ERANGE && isinf(v))
		rc = -ERANGE; /* Go: overflow is an error, underflow is not */
	free(heap);
	if (rc == 0)
		*out = v;
	return rc;
}
