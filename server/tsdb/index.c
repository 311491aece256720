// SPDX-License-Identifier: Apache-2.0
/*
 * Index format v2 writer and reader; the layout is described in index.h.
 * The writer builds the whole file in memory and writes it once.
 */
#include "server/tsdb/index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "server/tsdb/encoding.h"

/* ---- writer ---- */

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static uint32_t sym_find(const char **syms, size_t n, const char *s)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(syms[mid], s);
		if (c == 0)
			return (uint32_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

/* A (name, value, series id) triple for building postings. */
struct pv {
	uint32_t name, value; /* symbol refs */
	uint32_t id;
};

static int cmp_pv(const void *a, const void *b)
{
	const struct pv *x = a, *y = b;
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Append "len <4b> | content | CRC32" where content is c. */
static void put_section(struct tbuf *out, const struct tbuf *c)
{
	tbuf_put_be32(out, (uint32_t)c->len);
	tbuf_put(out, c->data, c->len);
	tbuf_put_be32(out, tsdb_crc32c(0, c->data, c->len));
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
	int rc = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		p += k;
		n -= (size_t)k;
	}
	if (fsync(fd))
		rc = -errno;
out:
	close(fd);
	return rc;
}

int index_write(const char *path, const struct index_series_in *series, size_t n)
{
	struct tbuf out = { 0 }, c = { 0 };
	const char **syms = NULL;
	struct pv *pvs = NULL;
	uint32_t *ids = NULL;
	size_t nsyms = 0, npv = 0, total_labels = 0;
	int rc = 0;
	uint64_t toc[6];

	for (size_t i = 0; i < n; i++)
		total_labels += series[i].nlabels;
	syms = malloc((2 * total_labels + 2) * sizeof(*syms));
	pvs = malloc((total_labels + 1) * sizeof(*pvs));
	ids = malloc((n + 1) * sizeof(*ids));
	if (!syms || !pvs || !ids) {
		rc = -ENOMEM;
		goto out;
	}
	/* "" is always a symbol, as in Prometheus (the all-postings key) */
	syms[nsyms++] = "";
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < series[i].nlabels; k++) {
			syms[nsyms++] = series[i].labels[k].name;
			syms[nsyms++] = series[i].labels[k].value;
		}
	if (nsyms > 1)
		qsort(syms, nsyms, sizeof(*syms), cmp_strp);
	size_t w = 0;
	for (size_t i = 0; i < nsyms; i++)
		if (w == 0 || strcmp(syms[w - 1], syms[i]))
			syms[w++] = syms[i];
	nsyms = w;

	tbuf_put_be32(&out, INDEX_MAGIC);
	tbuf_put_byte(&out, 2);

	/* symbols */
	toc[0] = out.len;
	c.len = 0;
	tbuf_put_be32(&c, (uint32_t)nsyms);
	for (size_t i = 0; i < nsyms; i++)
		tbuf_put_uvstr(&c, syms[i], strlen(syms[i]));
	put_section(&out, &c);

	/* series */
	toc[1] = out.len;
	for (size_t i = 0; i < n; i++) {
		const struct index_series_in *s = &series[i];
		tbuf_pad(&out, 16);
		if (out.len / 16 > UINT32_MAX) {
			rc = -EFBIG;
			goto out;
		}
		ids[i] = (uint32_t)(out.len / 16);
		c.len = 0;
		tbuf_put_uvarint(&c, s->nlabels);
		for (size_t k = 0; k < s->nlabels; k++) {
			uint32_t nr = sym_find(syms, nsyms, s->labels[k].name);
			uint32_t vr = sym_find(syms, nsyms, s->labels[k].value);
			tbuf_put_uvarint(&c, nr);
			tbuf_put_uvarint(&c, vr);
			pvs[npv++] = (struct pv){ nr, vr, ids[i] };
		}
		tbuf_put_uvarint(&c, s->nchunks);
		for (size_t k = 0; k < s->nchunks; k++) {
			const struct index_chunk_meta *m = &s->chunks[k];
			if (k == 0) {
				tbuf_put_varint(&c, m->mint);
				tbuf_put_uvarint(&c, (uint64_t)(m->maxt - m->mint));
				tbuf_put_uvarint(&c, m->ref);
			} else {
				const struct index_chunk_meta *p = &s->chunks[k - 1];
				tbuf_put_uvarint(&c, (uint64_t)(m->mint - p->maxt));
				tbuf_put_uvarint(&c, (uint64_t)(m->maxt - m->mint));
				tbuf_put_varint(&c, (int64_t)(m->ref - p->ref));
			}
		}
		tbuf_put_uvarint(&out, c.len);
		tbuf_put(&out, c.data, c.len);
		tbuf_put_be32(&out, tsdb_crc32c(0, c.data, c.len));
	}
	if (npv > 1)
		qsort(pvs, npv, sizeof(*pvs), cmp_pv);

	/* label indices: one per name, values sorted by symbol ref = sorted */
	toc[2] = out.len;
	struct tbuf lot = { 0 }; /* label offset table content */
	uint32_t nlot = 0;
	tbuf_put_be32(&lot, 0);
	for (size_t i = 0; i < npv;) {
		size_t j = i;
		uint32_t nvals = 0;
		c.len = 0;
		tbuf_put_be32(&c, 1);
		tbuf_put_be32(&c, 0);
		while (j < npv && pvs[j].name == pvs[i].name) {
			if (j == i || pvs[j].value != pvs[j - 1].value) {
				tbuf_put_be32(&c, pvs[j].value);
				nvals++;
			}
			j++;
		}
		if (!c.err)
			be32_put(c.data + 4, nvals);
		tbuf_pad(&out, 4);
		uint64_t off = out.len;
		put_section(&out, &c);
		const char *name = syms[pvs[i].name];
		tbuf_put_uvarint(&lot, 1);
		tbuf_put_uvstr(&lot, name, strlen(name));
		tbuf_put_uvarint(&lot, off);
		nlot++;
		i = j;
	}
	if (!lot.err)
		be32_put(lot.data, nlot);

	/* postings: all series first, then each name=value */
	toc[4] = out.len;
	struct tbuf pot = { 0 };
	uint32_t npot = 0;
	tbuf_put_be32(&pot, 0);
	tbuf_pad(&out, 4);
	c.len = 0;
	tbuf_put_be32(&c, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		tbuf_put_be32(&c, ids[i]);
	tbuf_put_uvarint(&pot, 2);
	tbuf_put_uvstr(&pot, "", 0);
	tbuf_put_uvstr(&pot, "", 0);
	tbuf_put_uvarint(&pot, out.len);
	npot++;
	put_section(&out, &c);
	for (size_t i = 0; i < npv;) {
		size_t j = i;
		c.len = 0;
		tbuf_put_be32(&c, 0);
		uint32_t cnt = 0;
		while (j < npv && pvs[j].name == pvs[i].name && pvs[j].value == pvs[i].value) {
			tbuf_put_be32(&c, pvs[j].id);
			cnt++;
			j++;
		}
		if (!c.err)
			be32_put(c.data, cnt);
		tbuf_pad(&out, 4);
		const char *name = syms[pvs[i].name], *value = syms[pvs[i].value];
		tbuf_put_uvarint(&pot, 2);
		tbuf_put_uvstr(&pot, name, strlen(name));
		tbuf_put_uvstr(&pot, value, strlen(value));
		tbuf_put_uvarint(&pot, out.len);
		npot++;
		put_section(&out, &c);
		i = j;
	}
	if (!pot.err)
		be32_put(pot.data, npot);

	toc[3] = out.len;
	put_section(&out, &lot);
	toc[5] = out.len;
	put_section(&out, &pot);
	rc = lot.err ? lot.err : pot.err;
	tbuf_free(&lot);
	tbuf_free(&pot);
	if (rc)
		goto out;

	size_t toc_start = out.len;
	for (int i = 0; i < 6; i++)
		tbuf_put_be64(&out, toc[i]);
	if (!out.err)
		tbuf_put_be32(&out, tsdb_crc32c(0, out.data + toc_start, 48));
	rc = out.err ? out.err : c.err;
	if (rc)
		goto out;
	rc = write_file(path, out.data, out.len);
	if (rc)
		log_err(rc, "tsdb: write index %s", path);
out:
	free(syms);
	free(pvs);
	free(ids);
	tbuf_free(&out);
	tbuf_free(&c);
	return rc;
}

/* ---- reader ---- */

struct sym {
	const char *s;
	uint32_t len;
};

struct po_entry {
	const char *name, *value;
	uint32_t nlen, vlen;
	uint64_t off;
};

struct index_reader {
	uint8_t *map;
	size_t size;
	struct sym *syms;
	uint32_t nsyms;
	struct po_entry *po;
	size_t npo;
	size_t nseries;
};

/* Check "len <4b> | content | CRC" at off; content in *d. */
static int read_section(const struct index_reader *r, uint64_t off, struct tdec *d)
{
	if (off + 4 > r->size)
		return -EBADMSG;
	uint32_t len = be32_get(r->map + off);
	if (off + 4 + len + 4 > r->size)
		return -EBADMSG;
	const uint8_t *p = r->map + off + 4;
	if (tsdb_crc32c(0, p, len) != be32_get(p + len))
		return -EBADMSG;
	tdec_init(d, p, len);
	return 0;
}

void index_close(struct index_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->size);
	free(r->syms);
	free(r->po);
	free(r);
}

int index_open(const char *path, struct index_reader **out)
{
	struct index_reader *r = calloc(1, sizeof(*r));
	struct tdec d;
	int rc = 0;
	uint64_t toc[6];

	if (!r)
		return -ENOMEM;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	r->size = (size_t)st.st_size;
	if (r->size < 5 + 52) {
		close(fd);
		rc = -EBADMSG;
		goto fail;
	}
	r->map = mmap(NULL, r->size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		rc = -errno;
		goto fail;
	}
	if (be32_get(r->map) != INDEX_MAGIC || r->map[4] != 2) {
		rc = -EBADMSG;
		goto fail;
	}
	const uint8_t *t = r->map + r->size - 52;
	if (tsdb_crc32c(0, t, 48) != be32_get(t + 48)) {
		rc = -EBADMSG;
		goto fail;
	}
	for (int i = 0; i < 6; i++)
		toc[i] = be64_get(t + 8 * i);

	if ((rc = read_section(r, toc[0], &d)))
		goto fail;
	r->nsyms = tdec_be32(&d);
	if (r->nsyms > tdec_left(&d)) {
		rc = -EBADMSG;
		goto fail;
	}
	r->syms = malloc((r->nsyms + 1) * sizeof(*r->syms));
	if (!r->syms) {
		rc = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < r->nsyms; i++) {
		size_t n;
		r->syms[i].s = tdec_uvstr(&d, &n);
		r->syms[i].len = (uint32_t)n;
	}
	if (d.err) {
		rc = -EBADMSG;
		goto fail;
	}

	if ((rc = read_section(r, toc[5], &d)))
		goto fail;
	uint32_t npo = tdec_be32(&d);
	if (npo > tdec_left(&d)) {
		rc = -EBADMSG;
		goto fail;
	}
	r->po = malloc((npo + 1) * sizeof(*r->po));
	if (!r->po) {
		rc = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < npo && !d.err; i++) {
		size_t nl, vl;
		if (tdec_uvarint(&d) != 2)
			d.err = -EBADMSG;
		r->po[i].name = tdec_uvstr(&d, &nl);
		r->po[i].value = tdec_uvstr(&d, &vl);
		r->po[i].nlen = (uint32_t)nl;
		r->po[i].vlen = (uint32_t)vl;
		r->po[i].off = tdec_uvarint(&d);
	}
	if (d.err) {
		rc = -EBADMSG;
		goto fail;
	}
	r->npo = npo;
	if (npo && r->po[0].nlen == 0 && r->po[0].off + 8 <= r->size)
		r->nseries = be32_get(r->map + r->po[0].off + 4);
	*out = r;
	return 0;
fail:
	index_close(r);
	return rc;
}

size_t index_num_series(const struct index_reader *r)
{
	return r->nseries;
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

/* First postings entry >= (name, value). */
static size_t po_lower(const struct index_reader *r, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	size_t lo = 0, hi = r->npo;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct po_entry *e = &r->po[mid];
		int c = cmp_bytes(e->name, e->nlen, name, nl);
		if (!c)
			c = cmp_bytes(e->value, e->vlen, value, vl);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int index_postings(const struct index_reader *r, const char *name, const char *value,
		   uint64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	size_t i = po_lower(r, name, value);
	if (i >= r->npo || r->po[i].nlen != strlen(name) || r->po[i].vlen != strlen(value) ||
	    memcmp(r->po[i].name, name, r->po[i].nlen) ||
	    memcmp(r->po[i].value, value, r->po[i].vlen))
		return 0;
	struct tdec d;
	int rc = read_section(r, r->po[i].off, &d);
	if (rc)
		return rc;
	uint32_t cnt = tdec_be32(&d);
	if ((uint64_t)cnt * 4 > tdec_left(&d))
		return -EBADMSG;
	uint64_t *v = malloc((cnt + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < cnt; k++)
		v[k] = tdec_be32(&d);
	*ids = v;
	*n = cnt;
	return 0;
}

static const struct sym *sym_at(const struct index_reader *r, uint64_t i)
{
	return i < r->nsyms ? &r->syms[i] : NULL;
}

int index_series(const struct index_reader *r, uint64_t id, struct tsdb_label **labels,
		 size_t *nlabels, struct index_chunk_meta **chunks, size_t *nchunks)
{
	uint64_t off = id * 16;
	struct tdec d;
	const struct sym *ref[TSDB_MAX_LABELS][2];
	struct index_chunk_meta *cm = NULL;
	struct tsdb_label *ls = NULL;

	*labels = NULL;
	*chunks = NULL;
	if (off >= r->size)
		return -EBADMSG;
	tdec_init(&d, r->map + off, r->size - off);
	uint64_t len = tdec_uvarint(&d);
	if (d.err || len + 4 > tdec_left(&d))
		return -EBADMSG;
	if (tsdb_crc32c(0, d.p, len) != be32_get(d.p + len))
		return -EBADMSG;
	tdec_init(&d, d.p, len);
	uint64_t nl = tdec_uvarint(&d);
	if (nl > TSDB_MAX_LABELS)
		return -EBADMSG;
	size_t bytes = nl * sizeof(struct tsdb_label);
	for (uint64_t i = 0; i < nl; i++) {
		ref[i][0] = sym_at(r, tdec_uvarint(&d));
		ref[i][1] = sym_at(r, tdec_uvarint(&d));
		if (!ref[i][0] || !ref[i][1])
			return -EBADMSG;
		bytes += ref[i][0]->len + ref[i][1]->len + 2;
	}
	uint64_t nc = tdec_uvarint(&d);
	if (d.err || nc > tdec_left(&d))
		return -EBADMSG;
	ls = malloc(bytes ? bytes : 1);
	cm = malloc((nc + 1) * sizeof(*cm));
	if (!ls || !cm) {
		free(ls);
		free(cm);
		return -ENOMEM;
	}
	char *p = (char *)(ls + nl);
	for (uint64_t i = 0; i < nl; i++) {
		memcpy(p, ref[i][0]->s, ref[i][0]->len);
		p[ref[i][0]->len] = '\0';
		ls[i].name = p;
		p += ref[i][0]->len + 1;
		memcpy(p, ref[i][1]->s, ref[i][1]->len);
		p[ref[i][1]->len] = '\0';
		ls[i].value = p;
		p += ref[i][1]->len + 1;
	}
	for (uint64_t i = 0; i < nc; i++) {
		if (i == 0) {
			cm[i].mint = tdec_varint(&d);
			cm[i].maxt = cm[i].mint + (int64_t)tdec_uvarint(&d);
			cm[i].ref = tdec_uvarint(&d);
		} else {
			cm[i].mint = cm[i - 1].maxt + (int64_t)tdec_uvarint(&d);
			cm[i].maxt = cm[i].mint + (int64_t)tdec_uvarint(&d);
			cm[i].ref = cm[i - 1].ref + (uint64_t)tdec_varint(&d);
		}
	}
	if (d.err) {
		free(ls);
		free(cm);
		return -EBADMSG;
	}
	*labels = ls;
	*nlabels = (size_t)nl;
	*chunks = cm;
	*nchunks = (size_t)nc;
	return 0;
}

static int push_str(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		char **p = realloc(*v, c * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	char *x = malloc(len + 1);
	if (!x)
		return -ENOMEM;
	memcpy(x, s, len);
	x[len] = '\0';
	(*v)[(*n)++] = x;
	return 0;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int index_label_names(const struct index_reader *r, char ***names, size_t *n)
{
	char **v = NULL;
	size_t len = 0, cap = 0;
	for (size_t i = 0; i < r->npo; i++) {
		const struct po_entry *e = &r->po[i];
		if (e->nlen == 0)
			continue;
		if (len && strlen(v[len - 1]) == e->nlen && !memcmp(v[len - 1], e->name, e->nlen))
			continue;
		if (push_str(&v, &len, &cap, e->name, e->nlen)) {
			free_strs(v, len);
			return -ENOMEM;
		}
	}
	*names = v;
	*n = len;
	return 0;
}

int index_label_values(const struct index_reader *r, const char *name, char ***vals, size_t *n)
{
	char **v = NULL;
	size_t len = 0, cap = 0;
	size_t nl = strlen(name);
	for (size_t i = po_lower(r, name, ""); i < r->npo; i++) {
		const struct po_entry *e = &r->po[i];
		if (e->nlen != nl || memcmp(e->name, name, nl))
			break;
		if (push_str(&v, &len, &cap, e->value, e->vlen)) {
			free_strs(v, len);
			return -ENOMEM;
		}
	}
	*vals = v;
	*n = len;
	return 0;
}
