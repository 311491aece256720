// SPDX-License-Identifier: Apache-2.0
/*
 * Chunk files of a block; the layout is described in chunks.h.
 */
#include "server/tsdb/chunks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "server/tsdb/encoding.h"

struct chunks_writer {
	char dir[4096];
	int fd;
	uint32_t seq; /* 0 for 000001 */
	uint64_t off;
	struct tbuf buf;
	int err;
};

static int flush_buf(struct chunks_writer *w)
{
	const uint8_t *p = w->buf.data;
	size_t n = w->buf.len;
	while (n) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	w->buf.len = 0;
	return 0;
}

static int finish_file(struct chunks_writer *w)
{
	int rc = 0;
	if (w->fd < 0)
		return 0;
	rc = flush_buf(w);
	if (!rc && fsync(w->fd))
		rc = -errno;
	close(w->fd);
	w->fd = -1;
	return rc;
}

static int next_file(struct chunks_writer *w)
{
	char path[4200];
	int rc = finish_file(w);
	if (rc)
		return rc;
	if (w->off)
		w->seq++;
	snprintf(path, sizeof(path), "%s/%06u", w->dir, w->seq + 1);
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return log_err(-errno, "tsdb: create chunk file %s", path);
	tbuf_put_be32(&w->buf, CHUNKS_MAGIC);
	tbuf_put_byte(&w->buf, 1);
	tbuf_put(&w->buf, "\0\0\0", 3);
	w->off = 8;
	return w->buf.err;
}

int chunks_writer_open(const char *dir, struct chunks_writer **out)
{
	if (mkdir(dir, 0777) && errno != EEXIST)
		return log_err(-errno, "tsdb: mkdir %s", dir);
	struct chunks_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	w->fd = -1;
	int rc = next_file(w);
	if (rc) {
		tbuf_free(&w->buf);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int chunks_writer_add(struct chunks_writer *w, uint8_t encoding, const uint8_t *data,
		      size_t len, uint64_t *ref)
{
	if (w->err)
		return w->err;
	uint8_t hdr[11];
	size_t hl = uvarint_encode(hdr, len);
	hdr[hl++] = encoding;
	size_t total = hl + len + 4;
	if (w->off + total > CHUNKS_SEGMENT_SIZE && w->off > 8) {
		if ((w->err = next_file(w)))
			return w->err;
	}
	*ref = (uint64_t)w->seq << 32 | w->off;
	uint32_t crc = tsdb_crc32c(0, &encoding, 1);
	crc = tsdb_crc32c(crc, data, len);
	tbuf_put(&w->buf, hdr, hl);
	tbuf_put(&w->buf, data, len);
	tbuf_put_be32(&w->buf, crc);
	if (w->buf.err)
		return w->err = w->buf.err;
	w->off += total;
	if (w->buf.len >= 1 << 20 && (w->err = flush_buf(w)))
		return w->err;
	return 0;
}

int chunks_writer_close(struct chunks_writer *w)
{
	int rc = w->err;
	int rc2 = finish_file(w);
	if (!rc)
		rc = rc2;
	tbuf_free(&w->buf);
	free(w);
	return rc;
}

/* ---- reader ---- */

struct chunk_file {
	uint8_t *map;
	size_t size;
};

struct chunks_reader {
	struct chunk_file *files;
	size_t n;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int verify_file(const char *path, const struct chunk_file *f)
{
	uint64_t off = 8;
	while (off < f->size) {
		uint64_t len;
		size_t hl = uvarint_decode(f->map + off, f->map + f->size, &len);
		if (!hl || off + hl + 1 + len + 4 > f->size)
			goto bad;
		const uint8_t *p = f->map + off + hl;
		if (tsdb_crc32c(0, p, 1 + len) != be32_get(p + 1 + len))
			goto bad;
		off += hl + 1 + len + 4;
	}
	return 0;
bad:
	log_error("tsdb: corrupt chunk file\tfile=%s offset=%" PRIu64, path, off);
	return -EBADMSG;
}

void chunks_reader_close(struct chunks_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (r->files[i].map)
			munmap(r->files[i].map, r->files[i].size);
	free(r->files);
	free(r);
}

int chunks_reader_open(const char *dir, int verify, struct chunks_reader **out)
{
	char **names = NULL;
	size_t nn = 0, cap = 0;
	int rc = 0;
	struct chunks_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	DIR *d = opendir(dir);
	if (!d) {
		free(r);
		return -errno;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strlen(e->d_name) != 6 || strspn(e->d_name, "0123456789") != 6)
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 8;
			char **p = realloc(names, cap * sizeof(*p));
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			names = p;
		}
		names[nn] = strdup(e->d_name);
		if (!names[nn]) {
			rc = -ENOMEM;
			break;
		}
		nn++;
	}
	closedir(d);
	if (rc)
		goto out;
	if (nn > 1)
		qsort(names, nn, sizeof(*names), cmp_name);
	r->files = calloc(nn + 1, sizeof(*r->files));
	if (!r->files) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nn; i++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			goto out;
		}
		struct stat st;
		if (fstat(fd, &st) || st.st_size < 8) {
			close(fd);
			log_error("tsdb: chunk file too short\tfile=%s", path);
			rc = -EBADMSG;
			goto out;
		}
		struct chunk_file *f = &r->files[r->n];
		f->size = (size_t)st.st_size;
		f->map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (f->map == MAP_FAILED) {
			f->map = NULL;
			rc = -errno;
			goto out;
		}
		r->n++;
		if (be32_get(f->map) != CHUNKS_MAGIC) {
			log_error("tsdb: bad chunk file magic\tfile=%s", path);
			rc = -EBADMSG;
			goto out;
		}
		if (verify && (rc = verify_file(path, f)))
			goto out;
	}
out:
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	if (rc) {
		chunks_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int chunks_reader_get(const struct chunks_reader *r, uint64_t ref, uint8_t *encoding,
		      const uint8_t **data, size_t *len)
{
	uint64_t seq = ref >> 32, off = ref & 0xffffffffu;
	if (seq >= r->n)
		return -EBADMSG;
	const struct chunk_file *f = &r->files[seq];
	if (off < 8 || off >= f->size)
		return -EBADMSG;
	uint64_t l;
	size_t hl = uvarint_decode(f->map + off, f->map + f->size, &l);
	if (!hl || off + hl + 1 + l + 4 > f->size)
		return -EBADMSG;
	*encoding = f->map[off + hl];
	*data = f->map + off + hl + 1;
	*len = (size_t)l;
	return 0;
}
