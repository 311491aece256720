// SPDX-License-Identifier: Apache-2.0
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/tsdb/encoding.h"
#include "server/tsdb/head.h"

static struct head_series *series(struct head *h, const char *job)
{
	struct tsdb_label ls[] = { { "__name__", "up" }, { "job", job } };
	struct head_series *s;
	bool created;
	cr_assert_eq(head_get_or_create(h, ls, 2, 0, &s, &created), 0);
	return s;
}

Test(head, append_rules)
{
	struct head *h;
	cr_assert_eq(head_new(&h), 0);
	struct head_series *s = series(h, "a");
	cr_assert_eq(head_append(h, s, 1000, 1, false), 0);
	cr_assert_eq(head_append(h, s, 2000, 2, false), 0);
	cr_assert_eq(head_append(h, s, 1500, 3, false), -EDOM, "out of order");
	cr_assert_eq(head_append(h, s, 2000, 5, false), -EEXIST, "duplicate, other value");
	cr_assert_eq(head_append(h, s, 2000, 2, false), 0, "same sample again is ignored");
	cr_assert_eq(atomic_load(&h->stats.samples_appended), 2);
	cr_assert_eq(atomic_load(&h->stats.out_of_order), 1);
	cr_assert_eq(atomic_load(&h->stats.duplicates), 1);
	/* older than an hour before the newest sample: out of bounds */
	cr_assert_eq(head_append(h, s, 10 * 3600 * 1000LL, 1, false), 0);
	struct head_series *s2 = series(h, "b");
	cr_assert_eq(head_append(h, s2, 8 * 3600 * 1000LL, 1, false), -ERANGE);
	cr_assert_eq(head_append(h, s2, 8 * 3600 * 1000LL, 1, true), 0, "replay ignores the window");
	head_release(s);
	head_release(s2);
	head_free(h);
}

Test(head, same_labels_same_series)
{
	struct head *h;
	cr_assert_eq(head_new(&h), 0);
	struct head_series *a = series(h, "a"), *b = series(h, "a"), *c = series(h, "c");
	cr_assert_eq(a, b);
	cr_assert_neq(a, c);
	cr_assert_eq(a->ref, 1);
	cr_assert_eq(c->ref, 2);
	cr_assert_eq(atomic_load(&h->nseries), 2);
	uint64_t *refs;
	size_t n;
	cr_assert_eq(head_postings(h, "__name__", "up", &refs, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(refs[0], 1);
	cr_assert_eq(refs[1], 2);
	free(refs);
	char **vals;
	cr_assert_eq(head_label_values(h, "job", &vals, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(vals[0], "a");
	cr_assert_str_eq(vals[1], "c");
	tsdb_strings_free(vals, n);
	head_release(a);
	head_release(b);
	head_release(c);
	head_free(h);
}

/* 15s scrapes: chunks of 120 samples; never across a 2h boundary. */
Test(head, chunk_cutting)
{
	struct head *h;
	cr_assert_eq(head_new(&h), 0);
	struct head_series *s = series(h, "a");
	int64_t t0 = 1600000000000LL - 1600000000000LL % TSDB_BLOCK_RANGE_MS;
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(head_append(h, s, t0 + i * 15000LL, i, false), 0);
	struct tsdb_label *ls;
	size_t nl, nc;
	struct tsdb_chunk *cs;
	cr_assert_eq(head_series_copy(h, s->ref, INT64_MIN, INT64_MAX, &ls, &nl, &cs, &nc), 0);
	/* 480 samples per 2h: 4 chunks of 120 per range */
	cr_assert_eq(nc, 9, "chunks: %zu", nc);
	for (size_t i = 0; i < nc; i++) {
		uint16_t num = xor_chunk_num(cs[i].b, cs[i].len);
		if (i < 8)
			cr_assert_eq(num, 120, "chunk %zu has %u", i, num);
		int64_t r0 = cs[i].mint - cs[i].mint % TSDB_BLOCK_RANGE_MS;
		cr_assert_lt(cs[i].maxt, r0 + TSDB_BLOCK_RANGE_MS);
	}
	free(ls);
	tsdb_chunks_free(cs, nc);
	/* truncation drops chunks before the cut and garbage-collects empty series */
	struct head_series *old = series(h, "old");
	cr_assert_eq(head_append(h, old, t0 + 1000, 1, true), 0);
	head_release(old);
	head_release(s);
	cr_assert_eq(head_truncate(h, t0 + TSDB_BLOCK_RANGE_MS), 0);
	cr_assert_eq(atomic_load(&h->nseries), 1);
	cr_assert_eq(atomic_load(&h->mint), t0 + TSDB_BLOCK_RANGE_MS);
	uint64_t *refs;
	size_t n;
	cr_assert_eq(head_postings(h, "job", "old", &refs, &n), 0);
	cr_assert_eq(n, 0);
	free(refs);
	head_free(h);
}

Test(labels, parse_and_format)
{
	char s[] = "http_requests{code=\"200\", a=\"x\\\"y\"} 12 34";
	struct tsdb_label ls[8];
	char *rest;
	int n = labels_parse(s, ls, 8, &rest);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(ls[0].name, "__name__");
	cr_assert_str_eq(ls[1].name, "a");
	cr_assert_str_eq(ls[1].value, "x\"y");
	cr_assert_str_eq(rest, " 12 34");
	struct tbuf b = { 0 };
	labels_format(&b, ls, (size_t)n);
	cr_assert_str_eq(tbuf_cstr(&b), "{__name__=\"http_requests\", a=\"x\\\"y\", code=\"200\"}");
	tbuf_free(&b);
	char bad[] = "{a=\"1\",a=\"2\"}";
	cr_assert_eq(labels_parse(bad, ls, 8, &rest), -EINVAL);
}

/* Closed chunks spilled to files read back identical. */
Test(head, spilled_chunks)
{
	char dir[] = "/tmp/vigil-test-spill-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct head *h;
	cr_assert_eq(head_new(&h), 0);
	cr_assert_eq(head_enable_spill(h, dir), 0);
	struct head_series *s = series(h, "a");
	int64_t t0 = 1600000000000LL - 1600000000000LL % TSDB_BLOCK_RANGE_MS;
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(head_append(h, s, t0 + i * 15000LL, i * 1.5, false), 0);
	cr_assert_gt(s->nchunks, 5);
	for (uint32_t i = 0; i < s->nchunks; i++)
		cr_assert_null(s->chunks[i].b, "closed chunk %u still in memory", i);
	struct tsdb_label *ls;
	size_t nl, nc;
	struct tsdb_chunk *cs;
	cr_assert_eq(head_series_copy(h, s->ref, INT64_MIN, INT64_MAX, &ls, &nl, &cs, &nc), 0);
	int k = 0;
	for (size_t i = 0; i < nc; i++) {
		struct xor_iter it;
		xor_iter_init(&it, cs[i].b, cs[i].len);
		while (xor_iter_next(&it) == 1) {
			cr_assert_eq(it.t, t0 + k * 15000LL);
			cr_assert_eq(it.v, k * 1.5);
			k++;
		}
	}
	cr_assert_eq(k, 1000);
	free(ls);
	tsdb_chunks_free(cs, nc);
	head_release(s);
	head_free(h); /* removes the spill directory */
	cr_assert_neq(access(dir, F_OK), 0);
}
