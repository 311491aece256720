// SPDX-License-Identifier: Apache-2.0
#include "common/pfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"

struct pfile_line {
	uint32_t first; /* index of its first word */
	uint32_t nwords;
};

struct pfile {
	int fd;
	bool seekable;
	char *path;
	bool sep[256];
	char *data; /* content, NUL-terminated, split in place */
	size_t len, cap;
	const char **words;
	size_t nwords, capwords;
	struct pfile_line *lines;
	size_t nlines, caplines;
};

struct pfile *pfile_open(const char *path, const char *seps)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct pfile *pf = xcalloc(1, sizeof(*pf));
	pf->fd = fd;
	pf->seekable = true;
	pf->path = xstrdup(path);
	for (const char *s = seps ? seps : PFILE_SEP_DEFAULT; *s; s++)
		pf->sep[(unsigned char)*s] = true;
	pf->sep['\n'] = false;
	pf->cap = 4096;
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

/* Reopen the file (for files that cannot be read again at offset 0). */
static int reopen(struct pfile *pf)
{
	if (pf->fd >= 0)
		close(pf->fd);
	pf->fd = open(pf->path, O_RDONLY | O_CLOEXEC);
	return pf->fd < 0 ? -errno : 0;
}

static void add_word(struct pfile *pf, const char *w)
{
	if (pf->nwords == pf->capwords) {
		pf->capwords = pf->capwords ? pf->capwords * 2 : 256;
		pf->words = xrealloc(pf->words, pf->capwords * sizeof(*pf->words));
	}
	pf->words[pf->nwords++] = w;
	pf->lines[pf->nlines - 1].nwords++;
}

static void add_line(struct pfile *pf)
{
	if (pf->nlines == pf->caplines) {
		pf->caplines = pf->caplines ? pf->caplines * 2 : 64;
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
			while (p < end && *p != '\n' && !pf->sep[(unsigned char)*p])
				p++;
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

int read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int rc = -errno;
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	while (len && (buf[len - 1] == '\n'))
		len--;
	buf[len] = '\0';
	return (int)len;
}

int read_u64_file(const char *path, uint64_t *out)
{
	char tmp[64];
	int n = read_small_file(path, tmp, sizeof(tmp));
	if (n < 0)
		return n;
	const char *p = tmp, *end;
	while (*p == ' ' || *p == '\t')
		p++;
	*out = str2u64(p, &end);
	return end == p ? -EINVAL : 0;
}

int read_i64_file(const char *path, int64_t *out)
{
	char tmp[64];
	int n = read_small_file(path, tmp, sizeof(tmp));
	if (n < 0)
		return n;
	const char *p = tmp, *end;
	while (*p == ' ' || *p == '\t')
		p++;
	*out = str2i64(p, &end);
	return end == p || (end == p + 1 && (*p == '-' || *p == '+')) ? -EINVAL : 0;
}

int read_file_buf(const char *path, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf_reset(out);
	for (;;) {
		buf_reserve(out, 4096);
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int rc = -errno;
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	out->data[out->len] = '\0';
	close(fd);
	return 0;
}
