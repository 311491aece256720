// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/tsdb/block.h"
#include "server/tsdb/wal.h"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-test-wal-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	block_remove_dir(dir);
}

TestSuite(wal, .init = setup, .fini = teardown);

struct seen {
	int series, samples, stones;
	uint64_t last_ref;
	char name[64];
	int64_t t_sum;
	double v_sum;
};

static int on_series(void *ctx, uint64_t ref, const struct tsdb_label *ls, size_t n)
{
	struct seen *s = ctx;
	s->series++;
	s->last_ref = ref;
	snprintf(s->name, sizeof(s->name), "%s=%s,%zu", ls[0].name, ls[0].value, n);
	return 0;
}

static int on_samples(void *ctx, const struct wal_sample *ss, size_t n)
{
	struct seen *s = ctx;
	for (size_t i = 0; i < n; i++) {
		s->samples++;
		s->t_sum += ss[i].t;
		s->v_sum += ss[i].v;
	}
	return 0;
}

static int on_stones(void *ctx, const struct wal_stone *st, size_t n)
{
	struct seen *s = ctx;
	s->stones += (int)n;
	cr_assert_eq(st[0].mint, -5);
	return 0;
}

Test(wal, record_round_trip)
{
	struct tbuf b = { 0 };
	struct tsdb_label ls[] = { { "__name__", "up" }, { "job", "x" } };
	walrec_series_begin(&b);
	walrec_series_add(&b, 7, ls, 2);
	walrec_series_add(&b, 9, ls, 1);
	struct seen s = { 0 };
	struct walrec_handler h = { &s, on_series, on_samples, on_stones };
	struct walrec_scratch sc = { 0 };
	cr_assert_eq(walrec_decode(b.data, b.len, &h, &sc), 0);
	cr_assert_eq(s.series, 2);
	cr_assert_eq(s.last_ref, 9);
	cr_assert_str_eq(s.name, "__name__=up,1");

	struct wal_sample smp[] = { { 5, 1000, 1.5 }, { 3, 900, 2.5 }, { 100, -4000, -1 } };
	b.len = 0;
	walrec_samples(&b, smp, 3);
	cr_assert_eq(walrec_decode(b.data, b.len, &h, &sc), 0);
	cr_assert_eq(s.samples, 3);
	cr_assert_eq(s.t_sum, 1000 + 900 - 4000);
	cr_assert_float_eq(s.v_sum, 3.0, 1e-12);

	struct wal_stone st[] = { { 1, -5, 10 } };
	b.len = 0;
	walrec_tombstones(&b, st, 1);
	cr_assert_eq(walrec_decode(b.data, b.len, &h, &sc), 0);
	cr_assert_eq(s.stones, 1);

	/* truncated samples record is malformed */
	b.len = 0;
	walrec_samples(&b, smp, 3);
	cr_assert_eq(walrec_decode(b.data, b.len - 3, &h, &sc), -EBADMSG);
	walrec_scratch_free(&sc);
	tbuf_free(&b);
}

/* Records of many sizes, some spanning several pages, read back in order. */
Test(wal, fragments_across_pages)
{
	struct wal *w;
	cr_assert_eq(wal_open(dir, &w), 0);
	uint8_t *rec = malloc(100000);
	size_t sizes[] = { 1, 10, 32761, 32762, 32768, 70000, 5, 100000, 32754, 32755, 0 };
	size_t n = sizeof(sizes) / sizeof(sizes[0]);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizes[i]; k++)
			rec[k] = (uint8_t)(i * 31 + k);
		cr_assert_eq(wal_log(w, rec, sizes[i]), 0);
	}
	int closed;
	cr_assert_eq(wal_cut_segment(w, &closed), 0);
	cr_assert_eq(closed, 0);
	cr_assert_eq(wal_log(w, rec, 3), 0);
	wal_close(w);

	char seg[300];
	snprintf(seg, sizeof(seg), "%s/00000000", dir);
	struct stat st;
	cr_assert_eq(stat(seg, &st), 0);
	cr_assert_eq(st.st_size % WAL_PAGE_SIZE, 0, "a closed segment is padded to whole pages");

	struct wal_reader *r;
	cr_assert_eq(wal_reader_open(dir, 0, 1, &r), 0);
	const uint8_t *got;
	size_t len;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(wal_reader_next(r, &got, &len), 1, "record %zu", i);
		cr_assert_eq(len, sizes[i], "record %zu: %zu bytes, want %zu", i, len, sizes[i]);
		for (size_t k = 0; k < len; k++)
			cr_assert_eq(got[k], (uint8_t)(i * 31 + k));
	}
	cr_assert_eq(wal_reader_next(r, &got, &len), 1);
	cr_assert_eq(len, 3);
	cr_assert_eq(wal_reader_next(r, &got, &len), 0);
	wal_reader_close(r);
	free(rec);
}

/* A record written as Prometheus writes compressed ones. */
Test(wal, reads_snappy_records)
{
	char path[300];
	uint8_t rec[5000];
	for (size_t i = 0; i < sizeof(rec); i++)
		rec[i] = (uint8_t)(i % 7);
	size_t clen = snappy_max_compressed_length(sizeof(rec));
	char *comp = malloc(clen);
	cr_assert_eq(snappy_compress((const char *)rec, sizeof(rec), comp, &clen), SNAPPY_OK);
	uint8_t hdr[7] = { 1 | 0x08, (uint8_t)(clen >> 8), (uint8_t)clen };
	be32_put(hdr + 3, tsdb_crc32c(0, comp, clen));
	snprintf(path, sizeof(path), "%s/00000000", dir);
	FILE *f = fopen(path, "w");
	fwrite(hdr, 1, 7, f);
	fwrite(comp, 1, clen, f);
	fclose(f);
	struct wal_reader *r;
	cr_assert_eq(wal_reader_open(dir, 0, 0, &r), 0);
	const uint8_t *got;
	size_t len;
	cr_assert_eq(wal_reader_next(r, &got, &len), 1);
	cr_assert_eq(len, sizeof(rec));
	cr_assert_eq(memcmp(got, rec, len), 0);
	cr_assert_eq(wal_reader_next(r, &got, &len), 0);
	wal_reader_close(r);
	free(comp);
}

Test(wal, corruption_is_found_and_repaired)
{
	struct wal *w;
	uint8_t rec[100] = { 1, 2, 3 };
	cr_assert_eq(wal_open(dir, &w), 0);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(wal_log(w, rec, sizeof(rec)), 0);
	wal_close(w);
	char path[300];
	snprintf(path, sizeof(path), "%s/00000000", dir);
	struct stat st;
	stat(path, &st);
	off_t good = st.st_size;
	/* flip a byte inside the 8th record */
	int fd = open(path, O_RDWR);
	uint8_t x = 0xff;
	cr_assert_eq(pwrite(fd, &x, 1, 7 * 107 + 50), 1);
	close(fd);
	struct wal_reader *r;
	cr_assert_eq(wal_reader_open(dir, 0, 0, &r), 0);
	const uint8_t *got;
	size_t len;
	int rc, n = 0;
	while ((rc = wal_reader_next(r, &got, &len)) == 1)
		n++;
	cr_assert_eq(n, 7);
	cr_assert_eq(rc, -EBADMSG);
	cr_assert(strstr(wal_reader_error(r), "checksum") != NULL, "%s", wal_reader_error(r));
	int seg;
	uint64_t off;
	wal_reader_position(r, &seg, &off);
	cr_assert_eq(seg, 0);
	cr_assert_eq(off, 7 * 107);
	wal_reader_close(r);
	cr_assert_eq(wal_repair(dir, seg, off), 0);
	stat(path, &st);
	cr_assert_eq(st.st_size, 7 * 107);
	cr_assert_lt(st.st_size, good);
	/* after repair, a new writer starts a new segment and all reads clean */
	cr_assert_eq(wal_open(dir, &w), 0);
	cr_assert_eq(wal_current_segment(w), 1);
	cr_assert_eq(wal_log(w, rec, 5), 0);
	wal_close(w);
	cr_assert_eq(wal_reader_open(dir, 0, 1, &r), 0);
	n = 0;
	while ((rc = wal_reader_next(r, &got, &len)) == 1)
		n++;
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 8);
	wal_reader_close(r);
}

/* Records never cross segments: a record that does not fit starts a new one. */
Test(wal, segment_rollover)
{
	struct wal *w;
	cr_assert_eq(wal_open(dir, &w), 0);
	wal_set_segment_size(w, 4 * WAL_PAGE_SIZE);
	uint8_t *rec = malloc(50000);
	int nrec = 40;
	for (int i = 0; i < nrec; i++) {
		size_t len = 1000 + (size_t)i * 1100;
		memset(rec, i, len);
		cr_assert_eq(wal_log(w, rec, len), 0);
	}
	int last = wal_current_segment(w);
	wal_close(w);
	cr_assert_gt(last, 3, "several segments: %d", last);
	for (int s = 0; s < last; s++) {
		char path[300];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%08d", dir, s);
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_leq(st.st_size, 4 * WAL_PAGE_SIZE, "segment %d: %lld bytes", s,
			      (long long)st.st_size);
	}
	struct wal_reader *r;
	cr_assert_eq(wal_reader_open(dir, 0, last, &r), 0);
	const uint8_t *got;
	size_t len;
	for (int i = 0; i < nrec; i++) {
		cr_assert_eq(wal_reader_next(r, &got, &len), 1, "record %d", i);
		cr_assert_eq(len, 1000 + (size_t)i * 1100);
		cr_assert_eq(got[0], (uint8_t)i);
		cr_assert_eq(got[len - 1], (uint8_t)i);
	}
	cr_assert_eq(wal_reader_next(r, &got, &len), 0);
	wal_reader_close(r);
	free(rec);
}
