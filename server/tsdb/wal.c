// SPDX-License-Identifier: Apache-2.0
/*
 * Write-ahead log segments and records; the on-disk format is described in
 * wal.h.
 */
#include "server/tsdb/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

enum frag_type { FRAG_PAGE_TERM = 0, FRAG_FULL = 1, FRAG_FIRST = 2, FRAG_MIDDLE = 3, FRAG_LAST = 4 };
#define FRAG_SNAPPY 0x08
#define FRAG_TYPE_MASK 0x07

/* ---- records ---- */

void walrec_series_begin(struct tbuf *b)
{
	b->len = 0;
	tbuf_put_byte(b, WAL_REC_SERIES);
}

void walrec_series_add(struct tbuf *b, uint64_t ref, const struct tsdb_label *ls, size_t n)
{
	tbuf_put_be64(b, ref);
	tbuf_put_uvarint(b, n);
	for (size_t i = 0; i < n; i++) {
		tbuf_put_uvstr(b, ls[i].name, strlen(ls[i].name));
		tbuf_put_uvstr(b, ls[i].value, strlen(ls[i].value));
	}
}

void walrec_samples(struct tbuf *b, const struct wal_sample *s, size_t n)
{
	tbuf_put_byte(b, WAL_REC_SAMPLES);
	if (n == 0)
		return;
	/* the most a sample takes: two varints of 10 bytes and the value (one
	 * reservation, then bytes written in place: a scrape's record is
	 * thousands of samples) */
	if (n > (SIZE_MAX - 16) / 28 || tbuf_reserve(b, 16 + n * 28))
		return;
	uint8_t *p = b->data + b->len;
	be64_put(p, s[0].ref);
	be64_put(p + 8, (uint64_t)s[0].t);
	p += 16;
	for (size_t i = 0; i < n; i++) {
		uint64_t bits;
		memcpy(&bits, &s[i].v, 8);
		/* zigzag varints, as tbuf_put_varint() */
		int64_t dref = (int64_t)(s[i].ref - s[0].ref);
		int64_t dt = (int64_t)((uint64_t)s[i].t - (uint64_t)s[0].t);
		uint64_t zr = (uint64_t)dref << 1, zt = (uint64_t)dt << 1;
		p += uvarint_encode(p, dref < 0 ? ~zr : zr);
		p += uvarint_encode(p, dt < 0 ? ~zt : zt);
		be64_put(p, bits);
		p += 8;
	}
	b->len = (size_t)(p - b->data);
}

void walrec_tombstones(struct tbuf *b, const struct wal_stone *s, size_t n)
{
	tbuf_put_byte(b, WAL_REC_TOMBSTONES);
	for (size_t i = 0; i < n; i++) {
		tbuf_put_be64(b, s[i].ref);
		tbuf_put_varint(b, s[i].mint);
		tbuf_put_varint(b, s[i].maxt);
	}
}

void walrec_scratch_free(struct walrec_scratch *s)
{
	tbuf_free(&s->strings);
	free(s->samples);
	free(s->stones);
	memset(s, 0, sizeof(*s));
}

static int decode_series(struct tdec *d, const struct walrec_handler *h,
			 struct walrec_scratch *sc)
{
	struct tsdb_label ls[TSDB_MAX_LABELS];
	size_t offs[TSDB_MAX_LABELS][2];

	while (tdec_left(d) > 0) {
		uint64_t ref = tdec_be64(d);
		uint64_t n = tdec_uvarint(d);
		if (d->err || n > TSDB_MAX_LABELS)
			return -EBADMSG;
		sc->strings.len = 0;
		sc->strings.err = 0;
		for (size_t i = 0; i < n; i++) {
			for (int k = 0; k < 2; k++) {
				size_t len;
				const char *s = tdec_uvstr(d, &len);
				offs[i][k] = sc->strings.len;
				tbuf_put(&sc->strings, s, len);
				tbuf_put_byte(&sc->strings, 0);
			}
		}
		if (d->err)
			return -EBADMSG;
		if (sc->strings.err)
			return sc->strings.err;
		for (size_t i = 0; i < n; i++) {
			ls[i].name = (const char *)sc->strings.data + offs[i][0];
			ls[i].value = (const char *)sc->strings.data + offs[i][1];
		}
		if (h->series) {
			int rc = h->series(h->ctx, ref, ls, n);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int decode_samples(struct tdec *d, const struct walrec_handler *h,
			  struct walrec_scratch *sc)
{
	size_t n = 0;
	if (tdec_left(d) == 0)
		return 0;
	uint64_t ref0 = tdec_be64(d);
	uint64_t t0 = tdec_be64(d);
	while (!d->err && tdec_left(d) > 0) {
		if (n == sc->samples_cap) {
			size_t cap = sc->samples_cap ? sc->samples_cap * 2 : 256;
			struct wal_sample *p = realloc(sc->samples, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			sc->samples = p;
			sc->samples_cap = cap;
		}
		int64_t dref = tdec_varint(d);
		int64_t dt = tdec_varint(d);
		uint64_t bits = tdec_be64(d);
		sc->samples[n].ref = ref0 + (uint64_t)dref;
		sc->samples[n].t = (int64_t)(t0 + (uint64_t)dt);
		memcpy(&sc->samples[n].v, &bits, 8);
		n++;
	}
	if (d->err)
		return -EBADMSG;
	return h->samples ? h->samples(h->ctx, sc->samples, n) : 0;
}

static int decode_stones(struct tdec *d, const struct walrec_handler *h,
			 struct walrec_scratch *sc)
{
	size_t n = 0;
	while (!d->err && tdec_left(d) > 0) {
		if (n == sc->stones_cap) {
			size_t cap = sc->stones_cap ? sc->stones_cap * 2 : 64;
			struct wal_stone *p = realloc(sc->stones, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			sc->stones = p;
			sc->stones_cap = cap;
		}
		sc->stones[n].ref = tdec_be64(d);
		sc->stones[n].mint = tdec_varint(d);
		sc->stones[n].maxt = tdec_varint(d);
		n++;
	}
	if (d->err)
		return -EBADMSG;
	return h->tombstones ? h->tombstones(h->ctx, sc->stones, n) : 0;
}

int walrec_decode(const uint8_t *rec, size_t n, const struct walrec_handler *h,
		  struct walrec_scratch *scratch)
{
	struct tdec d;
	if (n == 0)
		return -EBADMSG;
	tdec_init(&d, rec + 1, n - 1);
	switch (rec[0]) {
	case WAL_REC_SERIES:
		return decode_series(&d, h, scratch);
	case WAL_REC_SAMPLES:
		return decode_samples(&d, h, scratch);
	case WAL_REC_TOMBSTONES:
		return decode_stones(&d, h, scratch);
	default:
		return 0;
	}
}

/* ---- segment listing ---- */

static bool parse_index(const char *name, int *idx)
{
	if (strlen(name) != 8)
		return false;
	int v = 0;
	for (int i = 0; i < 8; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + (name[i] - '0');
	}
	*idx = v;
	return true;
}

int wal_segment_range(const char *dir, int *first, int *last)
{
	*first = *last = -1;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		int idx;
		if (!parse_index(e->d_name, &idx))
			continue;
		if (*first < 0 || idx < *first)
			*first = idx;
		if (idx > *last)
			*last = idx;
	}
	closedir(d);
	return 0;
}

int wal_last_checkpoint(const char *wal_dir, int *idx, char *path, size_t pathlen)
{
	*idx = -1;
	DIR *d = opendir(wal_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		int i;
		if (strncmp(e->d_name, "checkpoint.", 11) != 0 || !parse_index(e->d_name + 11, &i))
			continue;
		if (i > *idx) {
			*idx = i;
			snprintf(path, pathlen, "%s/%s", wal_dir, e->d_name);
		}
	}
	closedir(d);
	return 0;
}

/* ---- reader ---- */

struct wal_reader {
	char dir[4096];
	int seg, last;
	int fd;
	uint64_t off;      /* read position in segment */
	uint64_t size;     /* segment size */
	uint64_t good_off; /* end of the last complete record */
	int good_seg;
	uint8_t *page;     /* current page */
	uint64_t page_start;
	size_t page_len;
	struct tbuf rec, comp;
	char err[256];
};

static int reader_open_seg(struct wal_reader *r)
{
	char path[4200];
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	snprintf(path, sizeof(path), "%s/%08d", r->dir, r->seg);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	struct stat st;
	if (fstat(r->fd, &st))
		return -errno;
	r->size = (uint64_t)st.st_size;
	r->off = 0;
	r->page_len = 0;
	r->page_start = 0;
	r->good_off = 0;
	r->good_seg = r->seg;
	return 0;
}

int wal_reader_open(const char *dir, int first, int last, struct wal_reader **out)
{
	struct wal_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->page = malloc(WAL_PAGE_SIZE);
	if (!r->page) {
		free(r);
		return -ENOMEM;
	}
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	r->seg = first;
	r->last = last;
	r->fd = -1;
	r->good_seg = first;
	*out = r;
	if (first < 0 || first > last)
		return 0;
	int rc = reader_open_seg(r);
	if (rc) {
		wal_reader_close(r);
		*out = NULL;
		return rc;
	}
	return 0;
}

void wal_reader_close(struct wal_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->page);
	tbuf_free(&r->rec);
	tbuf_free(&r->comp);
	free(r);
}

void wal_reader_position(const struct wal_reader *r, int *segment, uint64_t *offset)
{
	*segment = r->good_seg;
	*offset = r->good_off;
}

const char *wal_reader_error(const struct wal_reader *r)
{
	return r->err;
}

/* Make sure the page holding r->off is loaded; returns bytes available in it. */
static int load_page(struct wal_reader *r, size_t *avail)
{
	uint64_t start = r->off - r->off % WAL_PAGE_SIZE;
	if (r->page_len == 0 || start != r->page_start) {
		uint64_t want = r->size - start < WAL_PAGE_SIZE ? r->size - start : WAL_PAGE_SIZE;
		ssize_t n = pread(r->fd, r->page, (size_t)want, (off_t)start);
		if (n < 0)
			return -errno;
		r->page_start = start;
		r->page_len = (size_t)n;
	}
	uint64_t in = r->off - r->page_start;
	*avail = in < r->page_len ? r->page_len - (size_t)in : 0;
	return 0;
}

static int corrupt(struct wal_reader *r, const char *what)
{
	snprintf(r->err, sizeof(r->err), "corruption in segment %08d at %" PRIu64 ": %s", r->seg,
		 r->good_off, what);
	return -EBADMSG;
}

int wal_reader_next(struct wal_reader *r, const uint8_t **rec, size_t *n)
{
	int frag = 0;
	bool compressed = false;

	if (r->fd < 0)
		return 0;
	r->rec.len = 0;
	r->comp.len = 0;
	for (;;) {
		if (r->off >= r->size) {
			if (frag)
				return corrupt(r, "unexpected end of segment inside a record");
			if (r->seg >= r->last)
				return 0;
			r->seg++;
			int rc = reader_open_seg(r);
			if (rc) {
				snprintf(r->err, sizeof(r->err), "open segment %08d: %s", r->seg,
					 strerror(-rc));
				return rc;
			}
			continue;
		}
		uint64_t in_page = WAL_PAGE_SIZE - r->off % WAL_PAGE_SIZE;
		size_t avail = 0;
		int rc = load_page(r, &avail);
		if (rc)
			return rc;
		const uint8_t *p = r->page + (r->off - r->page_start);
		uint8_t type = p[0] & FRAG_TYPE_MASK;
		if (type == FRAG_PAGE_TERM) {
			for (size_t i = 0; i < avail; i++)
				if (p[i])
					return corrupt(r, "unexpected non-zero byte in padded page");
			r->off += in_page;
			if (!frag) {
				r->good_off = r->off < r->size ? r->off : r->size;
			}
			continue;
		}
		if (avail < WAL_HEADER_SIZE)
			return corrupt(r, "truncated record header");
		uint16_t len = (uint16_t)(p[1] << 8 | p[2]);
		uint32_t crc = be32_get(p + 3);
		if (len > WAL_PAGE_SIZE - WAL_HEADER_SIZE || (uint64_t)len + WAL_HEADER_SIZE > in_page)
			return corrupt(r, "invalid record size");
		if (avail < (size_t)len + WAL_HEADER_SIZE)
			return corrupt(r, "truncated record");
		if (tsdb_crc32c(0, p + WAL_HEADER_SIZE, len) != crc)
			return corrupt(r, "checksum mismatch");
		if (type > FRAG_LAST)
			return corrupt(r, "invalid record type");
		if ((frag == 0) != (type == FRAG_FULL || type == FRAG_FIRST))
			return corrupt(r, "fragment out of sequence");
		if (frag == 0)
			compressed = (p[0] & FRAG_SNAPPY) != 0;
		tbuf_put(compressed ? &r->comp : &r->rec, p + WAL_HEADER_SIZE, len);
		if (r->rec.err || r->comp.err)
			return -ENOMEM;
		r->off += WAL_HEADER_SIZE + len;
		if (WAL_PAGE_SIZE - r->off % WAL_PAGE_SIZE < WAL_HEADER_SIZE &&
		    r->off % WAL_PAGE_SIZE != 0)
			r->off += WAL_PAGE_SIZE - r->off % WAL_PAGE_SIZE; /* skip the tail */
		frag++;
		if (type != FRAG_FULL && type != FRAG_LAST)
			continue;
		r->good_off = r->off < r->size ? r->off : r->size;
		r->good_seg = r->seg;
		if (compressed) {
			size_t out_len;
			if (snappy_uncompressed_length((const char *)r->comp.data, r->comp.len,
						       &out_len) != SNAPPY_OK)
				return corrupt(r, "bad snappy header");
			if (tbuf_reserve(&r->rec, out_len + 1))
				return -ENOMEM;
			if (snappy_uncompress((const char *)r->comp.data, r->comp.len,
					      (char *)r->rec.data, &out_len) != SNAPPY_OK)
				return corrupt(r, "snappy decode failed");
			r->rec.len = out_len;
		}
		*rec = r->rec.data;
		*n = r->rec.len;
		return 1;
	}
}

int wal_repair(const char *dir, int segment, uint64_t offset)
{
	char path[4200];
	int first, last;
	int rc = wal_segment_range(dir, &first, &last);
	if (rc)
		return rc;
	for (int i = segment + 1; i <= last; i++) {
		snprintf(path, sizeof(path), "%s/%08d", dir, i);
		if (unlink(path) && errno != ENOENT)
			return log_err(-errno, "wal: repair: delete %s", path);
		log_warn("WAL repair: deleted segment after corruption\tsegment=%s", path);
	}
	snprintf(path, sizeof(path), "%s/%08d", dir, segment);
	struct stat st;
	if (stat(path, &st))
		return log_err(-errno, "wal: repair: stat %s", path);
	if (truncate(path, (off_t)offset))
		return log_err(-errno, "wal: repair: truncate %s", path);
	log_warn("WAL repair: truncated corrupted segment\tsegment=%s offset=%" PRIu64
		 " dropped_bytes=%" PRIu64,
		 path, offset, (uint64_t)st.st_size - offset);
	return 0;
}

/* ---- writer ---- */

struct wal {
	pthread_mutex_t mu;
	char dir[4096];
	int seg;
	int fd;
	uint64_t size;  /* bytes in the active segment */
	uint32_t segment_size;
	struct tbuf out; /* fragments of one record */
	uint64_t bytes, records, fsyncs;
};

static int open_segment(struct wal *w, int idx)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%08d", w->dir, idx);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_err(-errno, "wal: create segment %s", path);
	w->fd = fd;
	w->seg = idx;
	w->size = 0;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

/* Pad the active page, fsync and close the active segment. */
static int close_segment(struct wal *w)
{
	int rc = 0;
	if (w->fd < 0)
		return 0;
	uint64_t r = w->size % WAL_PAGE_SIZE;
	if (r) {
		static const uint8_t zeros[WAL_PAGE_SIZE];
		rc = write_all(w->fd, zeros, WAL_PAGE_SIZE - r);
		w->size += WAL_PAGE_SIZE - r;
	}
	if (!rc && fsync(w->fd))
		rc = -errno;
	w->fsyncs++;
	close(w->fd);
	w->fd = -1;
	return rc;
}

int wal_open(const char *dir, struct wal **out)
{
	int first, last, rc;
	if (mkdir(dir, 0777) && errno != EEXIST)
		return log_err(-errno, "wal: mkdir %s", dir);
	rc = wal_segment_range(dir, &first, &last);
	if (rc)
		return log_err(rc, "wal: list %s", dir);
	struct wal *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	w->fd = -1;
	w->segment_size = WAL_SEGMENT_SIZE;
	rc = open_segment(w, last + 1);
	if (rc) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		return rc;
	}
	sync_dir(dir);
	*out = w;
	return 0;
}

static int log_locked(struct wal *w, const uint8_t *rec, size_t n)
{
	uint64_t page_off = w->size % WAL_PAGE_SIZE;
	/* room left in this segment, counted as Prometheus does */
	uint64_t left = WAL_PAGE_SIZE - page_off - WAL_HEADER_SIZE;
	uint64_t done_pages = w->size / WAL_PAGE_SIZE;
	uint64_t pages = w->segment_size / WAL_PAGE_SIZE;
	if (done_pages >= pages)
		left = 0; /* the segment is exactly full */
	else
		left += (uint64_t)(WAL_PAGE_SIZE - WAL_HEADER_SIZE) * (pages - done_pages - 1);
	if (n > left) {
		int rc = close_segment(w);
		if (rc)
			return log_err(rc, "wal: close segment %08d", w->seg);
		rc = open_segment(w, w->seg + 1);
		if (rc)
			return rc;
		page_off = 0;
	}
	w->out.len = 0;
	size_t pos = 0;
	uint64_t off = w->size;
	for (int i = 0; i == 0 || pos < n; i++) {
		uint64_t po = off % WAL_PAGE_SIZE;
		size_t room = (size_t)(WAL_PAGE_SIZE - po - WAL_HEADER_SIZE);
		size_t l = n - pos < room ? n - pos : room;
		uint8_t type;
		if (i == 0 && l == n)
			type = FRAG_FULL;
		else if (pos + l == n)
			type = FRAG_LAST;
		else if (i == 0)
			type = FRAG_FIRST;
		else
			type = FRAG_MIDDLE;
		uint8_t hdr[WAL_HEADER_SIZE];
		hdr[0] = type;
		hdr[1] = (uint8_t)(l >> 8);
		hdr[2] = (uint8_t)l;
		be32_put(hdr + 3, tsdb_crc32c(0, rec + pos, l));
		tbuf_put(&w->out, hdr, WAL_HEADER_SIZE);
		tbuf_put(&w->out, rec + pos, l);
		off += WAL_HEADER_SIZE + l;
		pos += l;
		uint64_t rest = WAL_PAGE_SIZE - off % WAL_PAGE_SIZE;
		if (rest < WAL_HEADER_SIZE) {
			static const uint8_t zeros[WAL_HEADER_SIZE];
			tbuf_put(&w->out, zeros, (size_t)rest);
			off += rest;
		}
	}
	(void)page_off;
	if (w->out.err)
		return w->out.err;
	int rc = write_all(w->fd, w->out.data, w->out.len);
	if (rc) {
		/* leave no partial record behind: cut back to the last good end */
		if (ftruncate(w->fd, (off_t)w->size) == 0)
			lseek(w->fd, (off_t)w->size, SEEK_SET);
		return log_err(rc, "wal: write segment %08d", w->seg);
	}
	w->size = off;
	w->bytes += w->out.len;
	w->records++;
	return 0;
}

int wal_log(struct wal *w, const uint8_t *rec, size_t n)
{
	pthread_mutex_lock(&w->mu);
	int rc = log_locked(w, rec, n);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int wal_cut_segment(struct wal *w, int *closed)
{
	pthread_mutex_lock(&w->mu);
	int old = w->seg;
	int rc = close_segment(w);
	if (!rc)
		rc = open_segment(w, old + 1);
	pthread_mutex_unlock(&w->mu);
	if (closed)
		*closed = old;
	return rc;
}

void wal_set_segment_size(struct wal *w, uint32_t bytes)
{
	pthread_mutex_lock(&w->mu);
	if (bytes >= 2 * WAL_PAGE_SIZE)
		w->segment_size = bytes - bytes % WAL_PAGE_SIZE;
	pthread_mutex_unlock(&w->mu);
}

int wal_current_segment(struct wal *w)
{
	pthread_mutex_lock(&w->mu);
	int s = w->seg;
	pthread_mutex_unlock(&w->mu);
	return s;
}

const char *wal_dir(const struct wal *w)
{
	return w->dir;
}

int wal_truncate_before(struct wal *w, int before)
{
	int first, last;
	int rc = wal_segment_range(w->dir, &first, &last);
	if (rc)
		return rc;
	for (int i = first; i >= 0 && i < before && i <= last; i++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%08d", w->dir, i);
		if (unlink(path) && errno != ENOENT)
			return log_err(-errno, "wal: delete %s", path);
	}
	return 0;
}

void wal_close(struct wal *w)
{
	if (!w)
		return;
	/* as Prometheus: zero-fill the last page, fsync, close */
	int rc = close_segment(w);
	if (rc)
		log_err(rc, "wal: close segment %08d", w->seg);
	tbuf_free(&w->out);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void wal_stats(struct wal *w, uint64_t *bytes, uint64_t *records, uint64_t *fsyncs)
{
	pthread_mutex_lock(&w->mu);
	*bytes = w->bytes;
	*records = w->records;
	*fsyncs = w->fsyncs;
	pthread_mutex_unlock(&w->mu);
}
