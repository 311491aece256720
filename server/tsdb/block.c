// SPDX-License-Identifier: Apache-2.0
/*
 * Block directories: meta.json, tombstones, writing a block from series
 * and opening one for reading.  The file formats are described in
 * block.h, index.h and chunks.h.
 */
#include "server/tsdb/block.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "server/tsdb/encoding.h"

/* ---- ULID ---- */

void ulid_new(char out[ULID_LEN + 1], int64_t ms)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint8_t b[16];
	uint64_t t = (uint64_t)ms;
	for (int i = 0; i < 6; i++)
		b[i] = (uint8_t)(t >> (40 - 8 * i));
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, b + 6, 10) : -1;
	if (fd >= 0)
		close(fd);
	if (got != 10) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
		for (int i = 6; i < 16; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			b[i] = (uint8_t)(x >> 56);
		}
	}
	/* 128 bits as 26 base32 digits: the first digit takes the top 3 bits */
	for (int i = 0; i < ULID_LEN; i++) {
		int bit = i * 5 - 2; /* position of the digit's top bit */
		unsigned v = 0;
		for (int k = 0; k < 5; k++) {
			int pos = bit + k;
			v <<= 1;
			if (pos >= 0)
				v |= (b[pos / 8] >> (7 - pos % 8)) & 1;
		}
		out[i] = alphabet[v];
	}
	out[ULID_LEN] = '\0';
}

/* ---- meta.json ---- */

void block_meta_free(struct block_meta *m)
{
	free(m->sources);
	free(m->parents);
	m->sources = NULL;
	m->parents = NULL;
	m->nsources = m->nparents = 0;
}

static int write_file_atomic(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4300], tmp[4300];
	int rc = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_err(-errno, "tsdb: create %s", tmp);
	const uint8_t *q = p;
	while (n) {
		ssize_t k = write(fd, q, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		q += k;
		n -= (size_t)k;
	}
	if (!rc && fsync(fd))
		rc = -errno;
	close(fd);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return log_err(rc, "tsdb: write %s", path);
	}
	return 0;
}

int block_meta_write(const char *dir, const struct block_meta *m)
{
	struct tbuf b = { 0 };
	tbuf_printf(&b, "{\n\t\"ulid\": \"%s\",\n\t\"minTime\": %" PRId64 ",\n\t\"maxTime\": %" PRId64
		   ",\n\t\"stats\": {\n",
		   m->ulid, m->mint, m->maxt);
	const char *sep = "";
	if (m->num_samples) {
		tbuf_printf(&b, "%s\t\t\"numSamples\": %" PRIu64, sep, m->num_samples);
		sep = ",\n";
	}
	if (m->num_series) {
		tbuf_printf(&b, "%s\t\t\"numSeries\": %" PRIu64, sep, m->num_series);
		sep = ",\n";
	}
	if (m->num_chunks) {
		tbuf_printf(&b, "%s\t\t\"numChunks\": %" PRIu64, sep, m->num_chunks);
		sep = ",\n";
	}
	if (m->num_tombstones) {
		tbuf_printf(&b, "%s\t\t\"numTombstones\": %" PRIu64, sep, m->num_tombstones);
		sep = ",\n";
	}
	tbuf_printf(&b, "%s\t},\n\t\"compaction\": {\n\t\t\"level\": %d", *sep ? "\n" : "", m->level);
	if (m->nsources) {
		tbuf_puts(&b, ",\n\t\t\"sources\": [\n");
		for (size_t i = 0; i < m->nsources; i++)
			tbuf_printf(&b, "\t\t\t\"%s\"%s\n", m->sources[i],
				   i + 1 < m->nsources ? "," : "");
		tbuf_puts(&b, "\t\t]");
	}
	if (m->nparents) {
		tbuf_puts(&b, ",\n\t\t\"parents\": [\n");
		for (size_t i = 0; i < m->nparents; i++)
			tbuf_printf(&b,
				   "\t\t\t{\n\t\t\t\t\"ulid\": \"%s\",\n\t\t\t\t\"minTime\": %" PRId64
				   ",\n\t\t\t\t\"maxTime\": %" PRId64 "\n\t\t\t}%s\n",
				   m->parents[i].ulid, m->parents[i].mint, m->parents[i].maxt,
				   i + 1 < m->nparents ? "," : "");
		tbuf_puts(&b, "\t\t]");
	}
	tbuf_puts(&b, "\n\t},\n\t\"version\": 1\n}");
	int rc = b.err ? b.err : write_file_atomic(dir, "meta.json", b.data, b.len);
	tbuf_free(&b);
	return rc;
}

/* Find "key" in [p, end) and return the position after its colon. */
static const char *json_key(const char *p, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\"", key);
	const char *k = strstr(p, pat);
	if (!k)
		return NULL;
	k += strlen(pat);
	while (*k == ' ' || *k == '\t' || *k == '\n' || *k == '\r')
		k++;
	if (*k != ':')
		return NULL;
	k++;
	while (*k == ' ' || *k == '\t' || *k == '\n' || *k == '\r')
		k++;
	return k;
}

static bool json_int(const char *text, const char *key, int64_t *out)
{
	const char *p = json_key(text, key);
	if (!p)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(p, &end, 10);
	if (end == p || errno)
		return false;
	*out = v;
	return true;
}

static bool json_ulid(const char *p, char out[ULID_LEN + 1])
{
	if (!p || *p != '"' || strlen(p) < ULID_LEN + 2 || p[ULID_LEN + 1] != '"')
		return false;
	memcpy(out, p + 1, ULID_LEN);
	out[ULID_LEN] = '\0';
	return true;
}

int block_meta_read(const char *dir, struct block_meta *m)
{
	char path[4300];
	int rc = 0;
	char *text = NULL;
	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	struct stat st;
	if (fstat(fileno(f), &st) || st.st_size > (1 << 24)) {
		rc = -EINVAL;
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		rc = -ENOMEM;
		goto out;
	}
	size_t n = fread(text, 1, (size_t)st.st_size, f);
	text[n] = '\0';
	int64_t v;
	if (!json_ulid(json_key(text, "ulid"), m->ulid) || !json_int(text, "minTime", &m->mint) ||
	    !json_int(text, "maxTime", &m->maxt)) {
		rc = -EBADMSG;
		goto out;
	}
	if (json_int(text, "numSamples", &v))
		m->num_samples = (uint64_t)v;
	if (json_int(text, "numSeries", &v))
		m->num_series = (uint64_t)v;
	if (json_int(text, "numChunks", &v))
		m->num_chunks = (uint64_t)v;
	if (json_int(text, "numTombstones", &v))
		m->num_tombstones = (uint64_t)v;
	m->level = json_int(text, "level", &v) ? (int)v : 1;
	const char *s = json_key(text, "sources");
	if (s && *s == '[') {
		const char *e = strchr(s, ']');
		size_t cnt = 0;
		for (const char *q = s; e && q < e; q++)
			if (*q == '"')
				cnt++;
		cnt /= 2;
		m->sources = calloc(cnt + 1, sizeof(*m->sources));
		if (!m->sources) {
			rc = -ENOMEM;
			goto out;
		}
		const char *q = s + 1;
		while (e && m->nsources < cnt && (q = strchr(q, '"')) && q < e) {
			if (json_ulid(q, m->sources[m->nsources]))
				m->nsources++;
			q = strchr(q + 1, '"');
			if (!q)
				break;
			q++;
		}
	}
out:
	free(text);
	fclose(f);
	return rc;
}

/* ---- tombstones ---- */

int tombstones_write(const char *dir, const struct block_stone *s, size_t n)
{
	struct tbuf b = { 0 };
	tbuf_put_be32(&b, TOMBSTONES_MAGIC);
	tbuf_put_byte(&b, 1);
	for (size_t i = 0; i < n; i++) {
		tbuf_put_uvarint(&b, s[i].ref);
		tbuf_put_varint(&b, s[i].mint);
		tbuf_put_varint(&b, s[i].maxt);
	}
	if (!b.err)
		tbuf_put_be32(&b, tsdb_crc32c(0, b.data + 5, b.len - 5));
	int rc = b.err ? b.err : write_file_atomic(dir, "tombstones", b.data, b.len);
	tbuf_free(&b);
	return rc;
}

int tombstones_read(const char *dir, struct block_stone **out, size_t *nout)
{
	char path[4300];
	uint8_t *data = NULL;
	struct block_stone *s = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	*out = NULL;
	*nout = 0;
	snprintf(path, sizeof(path), "%s/tombstones", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	if (fstat(fd, &st) || st.st_size < 9 || st.st_size > (1 << 30)) {
		rc = -EBADMSG;
		goto out;
	}
	size_t size = (size_t)st.st_size;
	data = malloc(size);
	if (!data) {
		rc = -ENOMEM;
		goto out;
	}
	if (pread(fd, data, size, 0) != (ssize_t)size) {
		rc = -EIO;
		goto out;
	}
	if (be32_get(data) != TOMBSTONES_MAGIC || data[4] != 1 ||
	    tsdb_crc32c(0, data + 5, size - 9) != be32_get(data + size - 4)) {
		rc = -EBADMSG;
		goto out;
	}
	struct tdec d;
	tdec_init(&d, data + 5, size - 9);
	while (tdec_left(&d) && !d.err) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct block_stone *p = realloc(s, cap * sizeof(*p));
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			s = p;
		}
		s[n].ref = tdec_uvarint(&d);
		s[n].mint = tdec_varint(&d);
		s[n].maxt = tdec_varint(&d);
		n++;
	}
	if (d.err)
		rc = -EBADMSG;
out:
	close(fd);
	free(data);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	*nout = n;
	return 0;
}

/* ---- writing ---- */

static const struct block_series_src *sort_base;

static int cmp_series_idx(const void *a, const void *b)
{
	const struct block_series_src *x = &sort_base[*(const size_t *)a];
	const struct block_series_src *y = &sort_base[*(const size_t *)b];
	return labels_cmp(x->labels, x->nlabels, y->labels, y->nlabels);
}

static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;

static int remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4400];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		remove_tree(sub);
	}
	closedir(d);
	return rmdir(path) ? -errno : 0;
}

int block_remove_dir(const char *path)
{
	return remove_tree(path);
}

int block_write(const char *parent, struct block_meta *meta,
		const struct block_series_src *series, size_t n)
{
	char tmp[4300], final[4300], sub[4400];
	size_t *order = NULL;
	struct index_series_in *is = NULL;
	struct index_chunk_meta *cms = NULL;
	struct chunks_writer *cw = NULL;
	size_t total_chunks = 0, ns = 0, ci = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		total_chunks += series[i].nchunks;
	meta->num_samples = meta->num_series = meta->num_chunks = 0;
	if (total_chunks == 0) {
		meta->ulid[0] = '\0';
		return 0;
	}
	ulid_new(meta->ulid, (int64_t)time(NULL) * 1000);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp-for-creation", parent, meta->ulid);
	snprintf(final, sizeof(final), "%s/%s", parent, meta->ulid);

	order = malloc((n + 1) * sizeof(*order));
	is = malloc((n + 1) * sizeof(*is));
	cms = malloc((total_chunks + 1) * sizeof(*cms));
	if (!order || !is || !cms) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	pthread_mutex_lock(&sort_mu);
	sort_base = series;
	if (n > 1)
		qsort(order, n, sizeof(*order), cmp_series_idx);
	pthread_mutex_unlock(&sort_mu);

	if (mkdir(tmp, 0777)) {
		rc = log_err(-errno, "tsdb: mkdir %s", tmp);
		goto out;
	}
	snprintf(sub, sizeof(sub), "%s/chunks", tmp);
	if ((rc = chunks_writer_open(sub, &cw)))
		goto out;
	for (size_t k = 0; k < n; k++) {
		const struct block_series_src *s = &series[order[k]];
		if (!s->nchunks)
			continue;
		is[ns].labels = s->labels;
		is[ns].nlabels = s->nlabels;
		is[ns].chunks = cms + ci;
		is[ns].nchunks = s->nchunks;
		for (size_t j = 0; j < s->nchunks; j++) {
			const struct tsdb_chunk *c = &s->chunks[j];
			cms[ci].mint = c->mint;
			cms[ci].maxt = c->maxt;
			rc = chunks_writer_add(cw, CHUNKENC_XOR, c->b, c->len, &cms[ci].ref);
			if (rc)
				goto out;
			meta->num_samples += xor_chunk_num(c->b, c->len);
			ci++;
		}
		meta->num_chunks += s->nchunks;
		ns++;
	}
	meta->num_series = ns;
	rc = chunks_writer_close(cw);
	cw = NULL;
	if (rc)
		goto out;
	snprintf(sub, sizeof(sub), "%s/index", tmp);
	if ((rc = index_write(sub, is, ns)))
		goto out;
	if ((rc = tombstones_write(tmp, NULL, 0)))
		goto out;
	if ((rc = block_meta_write(tmp, meta)))
		goto out;
	if (rename(tmp, final)) {
		rc = log_err(-errno, "tsdb: rename %s", tmp);
		goto out;
	}
	int dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	if (cw)
		chunks_writer_close(cw);
	if (rc)
		remove_tree(tmp);
	free(order);
	free(is);
	free(cms);
	return rc;
}

/* ---- reading ---- */

uint64_t tsdb_dir_size(const char *path)
{
	uint64_t total = 0;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4400];
		struct stat st;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (stat(sub, &st))
			continue;
		total += S_ISDIR(st.st_mode) ? tsdb_dir_size(sub) : (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

int block_open(const char *dir, bool verify, struct block **out)
{
	char sub[4400];
	int rc;
	struct block *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	pthread_mutex_init(&b->stones_mu, NULL);
	atomic_store(&b->refs, 1);
	if ((rc = block_meta_read(dir, &b->meta))) {
		log_err(rc, "tsdb: block %s: meta.json", dir);
		goto fail;
	}
	snprintf(sub, sizeof(sub), "%s/index", dir);
	if ((rc = index_open(sub, &b->index))) {
		log_err(rc, "tsdb: block %s: index", dir);
		goto fail;
	}
	snprintf(sub, sizeof(sub), "%s/chunks", dir);
	if ((rc = chunks_reader_open(sub, verify, &b->chunks))) {
		log_err(rc, "tsdb: block %s: chunks", dir);
		goto fail;
	}
	if ((rc = tombstones_read(dir, &b->stones, &b->nstones))) {
		log_err(rc, "tsdb: block %s: tombstones", dir);
		goto fail;
	}
	b->size_bytes = tsdb_dir_size(dir);
	*out = b;
	return 0;
fail:
	index_close(b->index);
	chunks_reader_close(b->chunks);
	block_meta_free(&b->meta);
	pthread_mutex_destroy(&b->stones_mu);
	free(b);
	return rc;
}

void block_ref(struct block *b)
{
	atomic_fetch_add(&b->refs, 1);
}

void block_unref(struct block *b)
{
	if (!b || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	index_close(b->index);
	chunks_reader_close(b->chunks);
	if (atomic_load(&b->deletable)) {
		int rc = remove_tree(b->dir);
		if (rc)
			log_err(rc, "tsdb: delete block %s", b->dir);
	}
	block_meta_free(&b->meta);
	free(b->stones);
	pthread_mutex_destroy(&b->stones_mu);
	free(b);
}

bool block_is_deleted(struct block *b, uint64_t ref, int64_t t)
{
	bool del = false;
	pthread_mutex_lock(&b->stones_mu);
	for (size_t i = 0; i < b->nstones && !del; i++)
		del = b->stones[i].ref == ref && t >= b->stones[i].mint && t <= b->stones[i].maxt;
	pthread_mutex_unlock(&b->stones_mu);
	return del;
}

int block_add_stones(struct block *b, const struct block_stone *s, size_t n)
{
	int rc = 0;
	pthread_mutex_lock(&b->stones_mu);
	struct block_stone *p = realloc(b->stones, (b->nstones + n + 1) * sizeof(*p));
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(p + b->nstones, s, n * sizeof(*s));
	b->stones = p;
	b->nstones += n;
	rc = tombstones_write(b->dir, b->stones, b->nstones);
out:
	pthread_mutex_unlock(&b->stones_mu);
	return rc;
}
