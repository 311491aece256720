// SPDX-License-Identifier: Apache-2.0
/*
 * The database: opening a data directory (blocks, WAL replay), appenders,
 * head compaction into blocks, WAL checkpoints, block compaction,
 * retention, deletion, and self metrics.  The directory layout is
 * Prometheus's:
 *
 *   <path>/lock                  flock()ed while open
 *   <path>/wal/                  see wal.h
 *   <path>/<ULID>/               blocks, see block.h
 *   <path>/<ULID>.tmp-for-creation  half-written block (removed at open)
 *   <path>/chunks_spill/         closed head chunks (spill.h; a cache, emptied
 *                                at open, ignored by Prometheus)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/expo.h"
#include "common/log.h"
#include "server/tsdb/chunkenc.h"
#include "server/tsdb/db.h"
#include "server/tsdb/spill.h"

void tsdb_options_default(struct tsdb_options *o)
{
	memset(o, 0, sizeof(*o));
	o->path = "data/";
	o->retention_ms = 15LL * 24 * 3600 * 1000;
	o->block_range_ms = TSDB_BLOCK_RANGE_MS;
	o->background_compaction = true;
	o->verify_chunks = true;
}

int tsdb_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		int shift;
	} units[] = { { "EB", 60 }, { "PB", 50 }, { "TB", 40 }, { "GB", 30 },
		      { "MB", 20 }, { "KB", 10 }, { "B", 0 } };
	char *end;
	uint64_t total = 0;
	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	while (*s) {
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		if (end == s || errno)
			return -EINVAL;
		size_t k = 0, nu = sizeof(units) / sizeof(units[0]);
		for (; k < nu; k++)
			if (!strncmp(end, units[k].unit, strlen(units[k].unit)))
				break;
		if (k == nu || (units[k].shift && v > (UINT64_MAX >> units[k].shift)))
			return -EINVAL;
		total += (uint64_t)v << units[k].shift;
		s = end + strlen(units[k].unit);
	}
	*out = total;
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- blocks list ---- */

int db_blocks_get(struct tsdb *db, struct block ***out, size_t *n)
{
	pthread_rwlock_rdlock(&db->blocks_lock);
	struct block **v = malloc((db->nblocks + 1) * sizeof(*v));
	if (!v) {
		pthread_rwlock_unlock(&db->blocks_lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < db->nblocks; i++) {
		v[i] = db->blocks[i];
		block_ref(v[i]);
	}
	*n = db->nblocks;
	pthread_rwlock_unlock(&db->blocks_lock);
	*out = v;
	return 0;
}

void db_blocks_put(struct block **b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		block_unref(b[i]);
	free(b);
}

static int cmp_block(const void *a, const void *b)
{
	const struct block *x = *(struct block *const *)a, *y = *(struct block *const *)b;
	return x->meta.mint < y->meta.mint ? -1 : x->meta.mint > y->meta.mint;
}

/*
 * Replace the blocks in old[0..nold) by add (may be NULL) in the list;
 * old blocks are marked deletable and the DB's reference dropped.
 */
static int blocks_swap(struct tsdb *db, struct block **old, size_t nold, struct block *add)
{
	pthread_rwlock_wrlock(&db->blocks_lock);
	struct block **v = realloc(db->blocks, (db->nblocks + 2) * sizeof(*v));
	if (!v) {
		pthread_rwlock_unlock(&db->blocks_lock);
		return -ENOMEM;
	}
	db->blocks = v;
	size_t w = 0;
	for (size_t i = 0; i < db->nblocks; i++) {
		bool drop = false;
		for (size_t k = 0; k < nold && !drop; k++)
			drop = db->blocks[i] == old[k];
		if (!drop)
			db->blocks[w++] = db->blocks[i];
	}
	if (add)
		db->blocks[w++] = add;
	db->nblocks = w;
	if (db->nblocks > 1)
		qsort(db->blocks, db->nblocks, sizeof(*db->blocks), cmp_block);
	pthread_rwlock_unlock(&db->blocks_lock);
	for (size_t k = 0; k < nold; k++) {
		atomic_store(&old[k]->deletable, true);
		block_unref(old[k]);
	}
	return 0;
}

static bool is_ulid(const char *s)
{
	if (strlen(s) != ULID_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

static int load_blocks(struct tsdb *db)
{
	DIR *d = opendir(db->dir);
	if (!d)
		return log_err(-errno, "tsdb: open %s", db->dir);
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", db->dir, e->d_name);
		size_t len = strlen(e->d_name);
		if ((len > 17 && !strcmp(e->d_name + len - 17, ".tmp-for-creation")) ||
		    (len > 17 && !strcmp(e->d_name + len - 17, ".tmp-for-deletion"))) {
			if (!db->opts.read_only) {
				log_info("Removing leftover temporary block\tdir=%s", path);
				block_remove_dir(path);
			}
			continue;
		}
		if (!is_ulid(e->d_name))
			continue;
		struct block *b;
		int brc = block_open(path, db->opts.verify_chunks, &b);
		if (brc) {
			log_warn("Skipping block that cannot be opened\tdir=%s err=\"%s\"", path,
				 strerror(-brc));
			atomic_fetch_add(&db->blocks_skipped, 1);
			continue;
		}
		struct block **v = realloc(db->blocks, (db->nblocks + 1) * sizeof(*v));
		if (!v) {
			block_unref(b);
			rc = -ENOMEM;
			break;
		}
		db->blocks = v;
		db->blocks[db->nblocks++] = b;
	}
	closedir(d);
	/* blocks that are a source of a newer, larger block are leftovers of an
	 * interrupted compaction: drop them */
	for (size_t i = 0; i < db->nblocks; i++) {
		struct block *b = db->blocks[i];
		for (size_t k = 0; k < db->nblocks; k++) {
			struct block *o = db->blocks[k];
			if (o == b || o->meta.level <= b->meta.level)
				continue;
			bool covered = true;
			for (size_t s = 0; s < b->meta.nsources && covered; s++) {
				bool found = false;
				for (size_t t = 0; t < o->meta.nsources && !found; t++)
					found = !strcmp(b->meta.sources[s], o->meta.sources[t]);
				covered = found;
			}
			if (covered && b->meta.nsources) {
				log_info("Deleting block already compacted into another\tblock=%s into=%s",
					 b->meta.ulid, o->meta.ulid);
				if (!db->opts.read_only)
					atomic_store(&b->deletable, true);
				block_unref(b);
				memmove(db->blocks + i, db->blocks + i + 1,
					(db->nblocks - i - 1) * sizeof(*db->blocks));
				db->nblocks--;
				i--;
				break;
			}
		}
	}
	if (db->nblocks > 1)
		qsort(db->blocks, db->nblocks, sizeof(*db->blocks), cmp_block);
	return rc;
}

/* ---- WAL replay ---- */

struct alias {
	uint64_t ref;
	uint64_t to;
};

struct replay {
	struct tsdb *db;
	struct alias *alias;
	size_t nalias, alias_cap;
	uint64_t samples, unknown;
};

static uint64_t resolve(struct replay *r, uint64_t ref)
{
	for (size_t i = 0; i < r->nalias; i++)
		if (r->alias[i].ref == ref)
			return r->alias[i].to;
	return ref;
}

static int replay_series(void *ctx, uint64_t ref, const struct tsdb_label *ls, size_t n)
{
	struct replay *r = ctx;
	struct head_series *s;
	bool created;
	int rc = head_get_or_create(r->db->head, ls, n, ref, &s, &created);
	if (rc)
		return rc == -EINVAL ? 0 : rc;
	atomic_store(&s->wal_logged, true);
	if (s->ref != ref) {
		if (r->nalias == r->alias_cap) {
			size_t cap = r->alias_cap ? r->alias_cap * 2 : 16;
			struct alias *p = realloc(r->alias, cap * sizeof(*p));
			if (!p) {
				head_release(s);
				return -ENOMEM;
			}
			r->alias = p;
			r->alias_cap = cap;
		}
		r->alias[r->nalias++] = (struct alias){ ref, s->ref };
	}
	head_release(s);
	return 0;
}

static int replay_samples(void *ctx, const struct wal_sample *ss, size_t n)
{
	struct replay *r = ctx;
	struct head_series *s = NULL;
	uint64_t cur = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t ref = r->nalias ? resolve(r, ss[i].ref) : ss[i].ref;
		if (!s || cur != ref) {
			if (s)
				head_release(s);
			s = head_get_by_ref(r->db->head, ref);
			cur = ref;
		}
		if (!s) {
			r->unknown++;
			continue;
		}
		int rc = head_append(r->db->head, s, ss[i].t, ss[i].v, true);
		if (rc == -ENOMEM) {
			head_release(s);
			return rc;
		}
		r->samples++;
	}
	if (s)
		head_release(s);
	return 0;
}

static int replay_stones(void *ctx, const struct wal_stone *st, size_t n)
{
	struct replay *r = ctx;
	for (size_t i = 0; i < n; i++) {
		int rc = head_add_stone(r->db->head, resolve(r, st[i].ref), st[i].mint, st[i].maxt);
		if (rc)
			return rc;
	}
	return 0;
}

/* Replay segments first..last of dir; repair a corrupted tail when allowed. */
static int replay_dir(struct tsdb *db, struct replay *r, const char *dir, int first, int last,
		      bool repair)
{
	struct wal_reader *rd;
	struct walrec_scratch sc = { 0 };
	struct walrec_handler h = { r, replay_series, replay_samples, replay_stones };
	int rc = wal_reader_open(dir, first, last, &rd);
	if (rc)
		return log_err(rc, "tsdb: open WAL %s", dir);
	const uint8_t *rec;
	size_t n;
	while ((rc = wal_reader_next(rd, &rec, &n)) == 1) {
		int drc = walrec_decode(rec, n, &h, &sc);
		if (drc == -ENOMEM) {
			rc = drc;
			break;
		}
		if (drc)
			log_warn("Skipping malformed WAL record\tdir=%s err=\"%s\"", dir,
				 strerror(-drc));
	}
	if (rc < 0 && rc != -ENOMEM) {
		int seg;
		uint64_t off;
		wal_reader_position(rd, &seg, &off);
		atomic_fetch_add(&db->wal_corruptions, 1);
		log_warn("Encountered WAL read error, attempting repair\tdir=%s err=\"%s\"", dir,
			 wal_reader_error(rd));
		if (repair && !db->opts.read_only)
			rc = wal_repair(dir, seg, off);
		else
			rc = 0;
	}
	wal_reader_close(rd);
	walrec_scratch_free(&sc);
	return rc;
}

/* Remove checkpoint.N.tmp directories an interrupted checkpoint left. */
static void remove_checkpoint_tmps(struct tsdb *db)
{
	DIR *d = opendir(db->wal_dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (strncmp(e->d_name, "checkpoint.", 11) || len < 4 ||
		    strcmp(e->d_name + len - 4, ".tmp"))
			continue;
		char path[4600];
		snprintf(path, sizeof(path), "%s/%s", db->wal_dir, e->d_name);
		log_info("Removing leftover temporary checkpoint\tdir=%s", path);
		block_remove_dir(path);
	}
	if (d)
		closedir(d);
}

static int replay_wal(struct tsdb *db)
{
	struct replay r = { .db = db };
	char cp[4400];
	int cp_idx, first, last;
	double start = now_seconds();
	int rc = wal_last_checkpoint(db->wal_dir, &cp_idx, cp, sizeof(cp));
	if (rc)
		return rc;
	if (cp_idx >= 0) {
		int cf, cl;
		if (!(rc = wal_segment_range(cp, &cf, &cl)) && cf >= 0)
			rc = replay_dir(db, &r, cp, cf, cl, false);
		if (rc)
			goto out;
	}
	rc = wal_segment_range(db->wal_dir, &first, &last);
	if (rc)
		goto out;
	if (first >= 0) {
		if (first <= cp_idx)
			first = cp_idx + 1;
		if (first <= last)
			rc = replay_dir(db, &r, db->wal_dir, first, last, true);
	}
	db->wal_replay_seconds = now_seconds() - start;
	atomic_store(&db->wal_replay_unknown_refs, r.unknown);
	if (first >= 0 || cp_idx >= 0)
		log_info("WAL replay completed\tcheckpoint=%d segments=%d-%d samples=%" PRIu64
			 " series=%" PRIu64 " unknown_refs=%" PRIu64 " duration=%.3fs",
			 cp_idx, first, last, r.samples,
			 (uint64_t)atomic_load(&db->head->nseries), r.unknown,
			 db->wal_replay_seconds);
out:
	free(r.alias);
	return rc;
}

/* ---- open / close ---- */

static void *compactor_main(void *arg);

int tsdb_open(const struct tsdb_options *o, struct tsdb **out)
{
	struct tsdb *db = calloc(1, sizeof(*db));
	int rc;
	if (!db)
		return -ENOMEM;
	db->opts = *o;
	if (db->opts.block_range_ms <= 0)
		db->opts.block_range_ms = TSDB_BLOCK_RANGE_MS;
	if (db->opts.max_block_ms <= 0) {
		int64_t m = db->opts.retention_ms > 0 ? db->opts.retention_ms / 10
						      : 31LL * 24 * 3600 * 1000;
		if (m > 31LL * 24 * 3600 * 1000)
			m = 31LL * 24 * 3600 * 1000;
		db->opts.max_block_ms = m;
	}
	snprintf(db->dir, sizeof(db->dir), "%s", o->path ? o->path : "data/");
	size_t dl = strlen(db->dir);
	while (dl > 1 && db->dir[dl - 1] == '/')
		db->dir[--dl] = '\0';
	db->opts.path = db->dir;
	snprintf(db->wal_dir, sizeof(db->wal_dir), "%s/wal", db->dir);
	db->lock_fd = -1;
	pthread_rwlock_init(&db->blocks_lock, NULL);
	pthread_mutex_init(&db->compact_mu, NULL);
	pthread_mutex_init(&db->stop_mu, NULL);
	pthread_cond_init(&db->stop_cv, NULL);

	if (!o->read_only) {
		if (mkdir(db->dir, 0777) && errno != EEXIST) {
			rc = log_err(-errno, "tsdb: mkdir %s", db->dir);
			goto fail;
		}
		char lock[4400];
		snprintf(lock, sizeof(lock), "%s/lock", db->dir);
		db->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (db->lock_fd < 0 || flock(db->lock_fd, LOCK_EX | LOCK_NB)) {
			rc = log_err(-errno, "tsdb: lock %s (is another instance running?)", lock);
			goto fail;
		}
	}
	if ((rc = head_new(&db->head)))
		goto fail;
	db->head->chunk_range = db->opts.block_range_ms;
	if (!o->read_only) {
		char spill[4400];
		snprintf(spill, sizeof(spill), "%s/chunks_spill", db->dir);
		if (head_enable_spill(db->head, spill))
			log_warn("tsdb: no spill files; closed head chunks stay in memory");
	}
	if ((rc = load_blocks(db)))
		goto fail;
	if (db->nblocks)
		atomic_store(&db->head->min_valid, db->blocks[db->nblocks - 1]->meta.maxt);
	for (size_t i = 0; i < db->nblocks; i++)
		if (db->blocks[i]->meta.maxt > atomic_load(&db->head->min_valid))
			atomic_store(&db->head->min_valid, db->blocks[i]->meta.maxt);
	if (!o->read_only)
		remove_checkpoint_tmps(db);
	if ((rc = replay_wal(db)))
		goto fail;
	if (!o->read_only) {
		if ((rc = wal_open(db->wal_dir, &db->wal)))
			goto fail;
		if (o->background_compaction) {
			if (pthread_create(&db->compactor, NULL, compactor_main, db) == 0)
				db->compactor_running = true;
			else
				log_warn("tsdb: cannot start the compaction thread");
		}
	}
	*out = db;
	return 0;
fail:
	tsdb_close(db);
	return rc;
}

void tsdb_close(struct tsdb *db)
{
	if (!db)
		return;
	if (db->compactor_running) {
		pthread_mutex_lock(&db->stop_mu);
		db->stopping = true;
		pthread_cond_broadcast(&db->stop_cv);
		pthread_mutex_unlock(&db->stop_mu);
		pthread_join(db->compactor, NULL);
	}
	wal_close(db->wal);
	for (size_t i = 0; i < db->nblocks; i++)
		block_unref(db->blocks[i]);
	free(db->blocks);
	head_free(db->head);
	if (db->lock_fd >= 0)
		close(db->lock_fd);
	pthread_rwlock_destroy(&db->blocks_lock);
	pthread_mutex_destroy(&db->compact_mu);
	pthread_mutex_destroy(&db->stop_mu);
	pthread_cond_destroy(&db->stop_cv);
	free(db);
}

/* ---- appender ---- */

struct tsdb_appender {
	struct tsdb *db;
	struct tbuf series_rec;
	size_t nnew;
	struct tbuf samples_rec;
	struct wal_sample *samples;
	struct head_series **sp;
	size_t n, cap;
};

struct tsdb_appender *tsdb_appender_new(struct tsdb *db)
{
	struct tsdb_appender *a = calloc(1, sizeof(*a));
	if (a)
		a->db = db;
	return a;
}

void tsdb_appender_rollback(struct tsdb_appender *a)
{
	for (size_t i = 0; i < a->n; i++)
		head_release(a->sp[i]);
	a->n = 0;
	a->nnew = 0;
	a->series_rec.len = 0;
}

void tsdb_appender_free(struct tsdb_appender *a)
{
	if (!a)
		return;
	tsdb_appender_rollback(a);
	tbuf_free(&a->series_rec);
	tbuf_free(&a->samples_rec);
	free(a->samples);
	free(a->sp);
	free(a);
}

static void count_reject(struct tsdb *db, int rc)
{
	if (rc == -EDOM)
		atomic_fetch_add(&db->head->stats.out_of_order, 1);
	else if (rc == -ERANGE)
		atomic_fetch_add(&db->head->stats.out_of_bound, 1);
	else if (rc == -EEXIST)
		atomic_fetch_add(&db->head->stats.duplicates, 1);
}

/* Sort and check ls_in, find or create its series: *out held (pending raised). */
static int series_by_labels(struct tsdb_appender *a, const struct tsdb_label *ls_in, size_t n,
			    struct head_series **out)
{
	struct tsdb_label ls[TSDB_MAX_LABELS];
	bool created;

	if (n == 0 || n > TSDB_MAX_LABELS)
		return -EINVAL;
	memcpy(ls, ls_in, n * sizeof(*ls));
	labels_sort(ls, n);
	for (size_t i = 0; i < n; i++)
		if (!ls[i].value[0] || !ls[i].name[0] || (i && !strcmp(ls[i - 1].name, ls[i].name)))
			return -EINVAL;
	return head_get_or_create(a->db->head, ls, n, 0, out, &created);
}

/* Check (t, v) against held series s and stage it; s is released on failure. */
static int stage_checked(struct tsdb_appender *a, struct head_series *s, int64_t t, double v)
{
	int rc = head_appendable(a->db->head, s, t, v, false);
	if (rc) {
		count_reject(a->db, rc);
		head_release(s);
		return rc;
	}
	return 0;
}

/*
 * Stage (t, v) for s, held and checked: queue its series record when the
 * WAL has none yet, then the sample.  s is released on failure.
 */
static int stage_held(struct tsdb_appender *a, struct head_series *s, int64_t t, double v)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		struct wal_sample *p = realloc(a->samples, cap * sizeof(*p));
		if (!p) {
			head_release(s);
			return -ENOMEM;
		}
		a->samples = p;
		struct head_series **q = realloc(a->sp, cap * sizeof(*q));
		if (!q) {
			head_release(s);
			return -ENOMEM;
		}
		a->sp = q;
		a->cap = cap;
	}
	if (!atomic_load_explicit(&s->wal_logged, memory_order_acquire)) {
		if (a->nnew == 0)
			walrec_series_begin(&a->series_rec);
		walrec_series_add(&a->series_rec, s->ref, s->labels, s->nlabels);
		a->nnew++;
	}
	a->samples[a->n] = (struct wal_sample){ s->ref, t, v };
	a->sp[a->n] = s;
	a->n++;
	return 0;
}

int tsdb_appender_add(struct tsdb_appender *a, const struct tsdb_label *ls, size_t n, int64_t t,
		      double v)
{
	struct head_series *s;
	int rc;

	if (!a->db->wal)
		return -EROFS;
	if ((rc = series_by_labels(a, ls, n, &s)))
		return rc;
	if ((rc = stage_checked(a, s, t, v)))
		return rc;
	return stage_held(a, s, t, v);
}

int tsdb_appender_add_ref(struct tsdb_appender *a, uint64_t *ref, const struct tsdb_label *ls,
			  size_t n, int64_t t, double v)
{
	struct head_series *s = NULL;
	int rc;

	if (!a->db->wal)
		return -EROFS;
	if (*ref)
		s = head_get_by_ref(a->db->head, *ref);
	if (!s) {
		if ((rc = series_by_labels(a, ls, n, &s)))
			return rc;
		*ref = s->ref;
	}
	if ((rc = stage_checked(a, s, t, v)))
		return rc;
	return stage_held(a, s, t, v);
}

/* A handle is the pinned head series itself (see head.h). */
static struct head_series *handle_series(struct tsdb_series_handle *h)
{
	return (struct head_series *)(void *)h;
}

int tsdb_appender_add_handle(struct tsdb_appender *a, struct tsdb_series_handle **hp,
			     const struct tsdb_label *ls, size_t n, int64_t t, double v)
{
	struct head_series *s = handle_series(*hp);
	int rc;

	if (!a->db->wal)
		return -EROFS;
	if (s) {
		rc = head_acquire(a->db->head, s, t, v);
		if (rc == 0)
			return stage_held(a, s, t, v);
		if (rc != -ESTALE) {
			count_reject(a->db, rc);
			return rc;
		}
		/* removed by head GC: a fresh series and a fresh handle */
		head_unpin(s);
		*hp = NULL;
	}
	if ((rc = series_by_labels(a, ls, n, &s)))
		return rc;
	head_pin(s);
	*hp = (struct tsdb_series_handle *)(void *)s;
	if ((rc = stage_checked(a, s, t, v)))
		return rc;
	return stage_held(a, s, t, v);
}

void tsdb_series_handle_release(struct tsdb_series_handle *h)
{
	head_unpin(handle_series(h));
}

/*
 * Start loading the head series s (not NULL) for an append: head_acquire()
 * and stage_held() read its ref, pending, dead and newest sample;
 * head_append() its mutex and chunk state.  Without this, each series of a
 * scrape is a cache miss (they are all over the heap).  Touches nothing.
 */
static void series_prefetch(const struct head_series *s)
{
	const char *p = (const char *)s;
	for (size_t off = 0; off < offsetof(struct head_series, labels); off += 64)
		__builtin_prefetch(p + off, 1);
}

void tsdb_series_handle_prefetch(const struct tsdb_series_handle *h)
{
	if (h)
		series_prefetch((const struct head_series *)(const void *)h);
}

int tsdb_appender_commit(struct tsdb_appender *a)
{
	int rc = 0;
	if (a->n == 0)
		goto out;
	if (a->nnew) {
		if (a->series_rec.err) {
			rc = a->series_rec.err;
			goto out;
		}
		rc = wal_log(a->db->wal, a->series_rec.data, a->series_rec.len);
		if (rc)
			goto out;
		for (size_t i = 0; i < a->n; i++)
			atomic_store(&a->sp[i]->wal_logged, true);
	}
	a->samples_rec.len = 0;
	walrec_samples(&a->samples_rec, a->samples, a->n);
	if (a->samples_rec.err) {
		rc = a->samples_rec.err;
		goto out;
	}
	rc = wal_log(a->db->wal, a->samples_rec.data, a->samples_rec.len);
	if (rc)
		goto out;
	for (size_t i = 0; i < a->n; i++) {
		if (i + 4 < a->n)
			series_prefetch(a->sp[i + 4]);
		int arc = head_append(a->db->head, a->sp[i], a->samples[i].t, a->samples[i].v, false);
		if (arc == -ENOMEM)
			rc = arc;
	}
out:
	tsdb_appender_rollback(a);
	return rc;
}

/* ---- checkpoints ---- */

struct cp_ctx {
	struct tsdb *db;
	int64_t mint;
	struct wal *out;
	struct tbuf rec;
	struct wal_sample *keep;
	size_t keep_cap;
	int rc;
};

static bool series_alive(struct tsdb *db, uint64_t ref)
{
	struct head_series *s = head_get_by_ref(db->head, ref);
	if (!s)
		return false;
	head_release(s);
	return true;
}

static int cp_series(void *ctx, uint64_t ref, const struct tsdb_label *ls, size_t n)
{
	struct cp_ctx *c = ctx;
	if (!series_alive(c->db, ref))
		return 0;
	walrec_series_begin(&c->rec);
	walrec_series_add(&c->rec, ref, ls, n);
	if (c->rec.err)
		return c->rec.err;
	return wal_log(c->out, c->rec.data, c->rec.len);
}

static int cp_samples(void *ctx, const struct wal_sample *s, size_t n)
{
	struct cp_ctx *c = ctx;
	if (n > c->keep_cap) {
		struct wal_sample *p = realloc(c->keep, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->keep = p;
		c->keep_cap = n;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i].t >= c->mint)
			c->keep[k++] = s[i];
	if (!k)
		return 0;
	c->rec.len = 0;
	walrec_samples(&c->rec, c->keep, k);
	if (c->rec.err)
		return c->rec.err;
	return wal_log(c->out, c->rec.data, c->rec.len);
}

static int cp_stones(void *ctx, const struct wal_stone *s, size_t n)
{
	struct cp_ctx *c = ctx;
	c->rec.len = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i].maxt < c->mint || !series_alive(c->db, s[i].ref))
			continue;
		if (k == 0)
			tbuf_put_byte(&c->rec, WAL_REC_TOMBSTONES);
		tbuf_put_be64(&c->rec, s[i].ref);
		tbuf_put_varint(&c->rec, s[i].mint);
		tbuf_put_varint(&c->rec, s[i].maxt);
		k++;
	}
	if (!k)
		return 0;
	if (c->rec.err)
		return c->rec.err;
	return wal_log(c->out, c->rec.data, c->rec.len);
}

static int copy_dir_records(struct cp_ctx *c, const char *dir, int first, int last)
{
	struct wal_reader *rd;
	struct walrec_scratch sc = { 0 };
	struct walrec_handler h = { c, cp_series, cp_samples, cp_stones };
	int rc = wal_reader_open(dir, first, last, &rd);
	if (rc)
		return rc;
	const uint8_t *rec;
	size_t n;
	while ((rc = wal_reader_next(rd, &rec, &n)) == 1) {
		rc = walrec_decode(rec, n, &h, &sc);
		if (rc)
			break;
	}
	wal_reader_close(rd);
	walrec_scratch_free(&sc);
	return rc;
}

/*
 * Write checkpoint.<last> from the previous checkpoint and segments up to
 * last, keeping live series, samples at or after mint and live tombstones;
 * then delete the segments and older checkpoints it replaces.
 */
static int checkpoint(struct tsdb *db, int last, int64_t mint)
{
	char cp[4400], tmp[4400], final[4400];
	int cp_idx, first, seg_last;
	struct cp_ctx c = { .db = db, .mint = mint };
	int rc = wal_last_checkpoint(db->wal_dir, &cp_idx, cp, sizeof(cp));
	if (rc)
		return rc;
	if (cp_idx >= last)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s/checkpoint.%08d.tmp", db->wal_dir, last);
	snprintf(final, sizeof(final), "%s/checkpoint.%08d", db->wal_dir, last);
	block_remove_dir(tmp);
	if ((rc = wal_open(tmp, &c.out)))
		return rc;
	if (cp_idx >= 0) {
		int cf, cl;
		rc = wal_segment_range(cp, &cf, &cl);
		if (!rc && cf >= 0)
			rc = copy_dir_records(&c, cp, cf, cl);
	}
	if (!rc)
		rc = wal_segment_range(db->wal_dir, &first, &seg_last);
	if (!rc && first >= 0) {
		if (first <= cp_idx)
			first = cp_idx + 1;
		if (first <= last)
			rc = copy_dir_records(&c, db->wal_dir, first, last);
	}
	wal_close(c.out);
	tbuf_free(&c.rec);
	free(c.keep);
	if (rc) {
		block_remove_dir(tmp);
		atomic_fetch_add(&db->checkpoints_failed, 1);
		return log_err(rc, "tsdb: checkpoint %s", final);
	}
	if (rename(tmp, final)) {
		rc = -errno;
		block_remove_dir(tmp);
		atomic_fetch_add(&db->checkpoints_failed, 1);
		return log_err(rc, "tsdb: rename checkpoint %s", final);
	}
	atomic_fetch_add(&db->checkpoints, 1);
	wal_truncate_before(db->wal, last + 1);
	if (cp_idx >= 0)
		block_remove_dir(cp);
	log_info("WAL checkpoint complete\tfirst=%d last=%d", first, last);
	return 0;
}

/* ---- compaction ---- */

static int64_t range_start(int64_t t, int64_t width)
{
	int64_t q = t / width;
	if (t < 0 && t % width)
		q--;
	return q * width;
}

/* Re-encode samples (sorted, deduplicated) into chunks of at most 120. */
static int encode_chunks(const int64_t *ts, const double *vs, size_t n, struct tsdb_chunk **out,
			 size_t *nout)
{
	size_t nc = (n + CHUNKENC_SAMPLES_PER_CHUNK - 1) / CHUNKENC_SAMPLES_PER_CHUNK;
	struct tsdb_chunk *cs = calloc(nc + 1, sizeof(*cs));
	int rc = 0;
	if (!cs)
		return -ENOMEM;
	for (size_t c = 0; c < nc; c++) {
		struct xor_app app;
		size_t lo = c * CHUNKENC_SAMPLES_PER_CHUNK;
		size_t hi = lo + CHUNKENC_SAMPLES_PER_CHUNK < n ? lo + CHUNKENC_SAMPLES_PER_CHUNK : n;
		if ((rc = xor_app_init(&app)))
			break;
		for (size_t i = lo; i < hi && !rc; i++)
			rc = xor_app_append(&app, ts[i], vs[i]);
		cs[c] = (struct tsdb_chunk){ ts[lo], ts[hi - 1], app.b, app.len };
		if (rc)
			break;
	}
	if (rc) {
		tsdb_chunks_free(cs, nc);
		return rc;
	}
	*out = cs;
	*nout = nc;
	return 0;
}

/* Sample filter for rewriting: tombstones of one series in one source. */
struct stone_set {
	const struct block_stone *s;
	size_t n;
};

static bool stone_hit(const struct stone_set *ss, size_t nss, int64_t t)
{
	for (size_t k = 0; k < nss; k++)
		for (size_t i = 0; i < ss[k].n; i++)
			if (t >= ss[k].s[i].mint && t <= ss[k].s[i].maxt)
				return true;
	return false;
}

struct merge_in {
	const struct tsdb_chunk *c;
	const struct stone_set *stones; /* of the chunk's source */
};

struct sample_pair {
	int64_t t;
	double v;
	uint32_t seq;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct sample_pair *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Decode, filter (range [mint, maxt), tombstones), merge and re-encode the
 * chunks of one series.
 */
static int rewrite_series(const struct merge_in *in, size_t n, int64_t mint, int64_t maxt,
			  struct tsdb_chunk **out, size_t *nout)
{
	size_t cap = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		cap += xor_chunk_num(in[i].c->b, in[i].c->len);
	struct sample_pair *p = malloc((cap + 1) * sizeof(*p));
	int64_t *ts = malloc((cap + 1) * sizeof(*ts));
	double *vs = malloc((cap + 1) * sizeof(*vs));
	int rc = 0;
	if (!p || !ts || !vs) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct xor_iter it;
		xor_iter_init(&it, in[i].c->b, in[i].c->len);
		int r;
		while ((r = xor_iter_next(&it)) == 1) {
			if (it.t < mint || it.t >= maxt)
				continue;
			if (in[i].stones && stone_hit(in[i].stones, 1, it.t))
				continue;
			if (k < cap)
				p[k++] = (struct sample_pair){ it.t, it.v, (uint32_t)i };
		}
		if (r < 0) {
			rc = r;
			goto out;
		}
	}
	if (k > 1)
		qsort(p, k, sizeof(*p), cmp_pair);
	size_t m = 0;
	for (size_t i = 0; i < k; i++) {
		if (m && ts[m - 1] == p[i].t)
			continue;
		ts[m] = p[i].t;
		vs[m] = p[i].v;
		m++;
	}
	*out = NULL;
	*nout = 0;
	if (m)
		rc = encode_chunks(ts, vs, m, out, nout);
out:
	free(p);
	free(ts);
	free(vs);
	return rc;
}

/* The stones of series ref in block b (borrowed; b's stones are stable while compact_mu held). */
static void block_stones_of(struct block *b, uint64_t ref, struct block_stone **tmp, size_t *cap,
			    struct stone_set *out)
{
	size_t n = 0;
	pthread_mutex_lock(&b->stones_mu);
	for (size_t i = 0; i < b->nstones; i++) {
		if (b->stones[i].ref != ref)
			continue;
		if (n == *cap) {
			size_t c = *cap ? *cap * 2 : 8;
			struct block_stone *p = realloc(*tmp, c * sizeof(*p));
			if (!p)
				break;
			*tmp = p;
			*cap = c;
		}
		(*tmp)[n++] = b->stones[i];
	}
	pthread_mutex_unlock(&b->stones_mu);
	out->s = *tmp;
	out->n = n;
}

/* One input series of a block compaction. */
struct cseries {
	struct tsdb_label *labels;
	size_t nlabels;
	size_t src; /* block index */
	uint64_t id;
	struct index_chunk_meta *cm;
	size_t ncm;
};

static int cmp_cseries(const void *a, const void *b)
{
	const struct cseries *x = a, *y = b;
	int c = labels_cmp(x->labels, x->nlabels, y->labels, y->nlabels);
	if (c)
		return c;
	return x->src < y->src ? -1 : x->src > y->src;
}

/*
 * Compact blocks bs[0..n) into one new block (n may be 1 to apply
 * tombstones).  The new block replaces them in the DB.
 */
static int compact_blocks(struct tsdb *db, struct block **bs, size_t n)
{
	struct cseries *cs = NULL;
	size_t ncs = 0, cscap = 0;
	struct block_series_src *out = NULL;
	struct tsdb_chunk **owned = NULL;
	size_t *nowned = NULL;
	struct block_meta meta = { 0 };
	struct block_stone *stmp = NULL;
	int rc = 0;
	double start = now_seconds();

	meta.mint = INT64_MAX;
	meta.maxt = INT64_MIN;
	size_t nsrc = 0;
	for (size_t i = 0; i < n; i++) {
		if (bs[i]->meta.mint < meta.mint)
			meta.mint = bs[i]->meta.mint;
		if (bs[i]->meta.maxt > meta.maxt)
			meta.maxt = bs[i]->meta.maxt;
		if (bs[i]->meta.level + 1 > meta.level)
			meta.level = bs[i]->meta.level + 1;
		nsrc += bs[i]->meta.nsources ? bs[i]->meta.nsources : 1;
	}
	if (n == 1)
		meta.level = bs[0]->meta.level;
	meta.sources = calloc(nsrc + 1, sizeof(*meta.sources));
	meta.parents = calloc(n + 1, sizeof(*meta.parents));
	if (!meta.sources || !meta.parents) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct block_meta *m = &bs[i]->meta;
		if (!m->nsources)
			memcpy(meta.sources[meta.nsources++], m->ulid, ULID_LEN + 1);
		for (size_t k = 0; k < m->nsources; k++)
			memcpy(meta.sources[meta.nsources++], m->sources[k], ULID_LEN + 1);
		memcpy(meta.parents[i].ulid, m->ulid, ULID_LEN + 1);
		meta.parents[i].mint = m->mint;
		meta.parents[i].maxt = m->maxt;
	}
	meta.nparents = n;

	/* read every series of every block */
	for (size_t i = 0; i < n && !rc; i++) {
		uint64_t *ids;
		size_t nids;
		rc = index_postings(bs[i]->index, "", "", &ids, &nids);
		if (rc)
			break;
		for (size_t k = 0; k < nids && !rc; k++) {
			if (ncs == cscap) {
				size_t c = cscap ? cscap * 2 : 1024;
				struct cseries *p = realloc(cs, c * sizeof(*p));
				if (!p) {
					rc = -ENOMEM;
					break;
				}
				cs = p;
				cscap = c;
			}
			struct cseries *s = &cs[ncs];
			s->src = i;
			s->id = ids[k];
			rc = index_series(bs[i]->index, ids[k], &s->labels, &s->nlabels, &s->cm,
					  &s->ncm);
			if (!rc)
				ncs++;
		}
		free(ids);
	}
	if (rc)
		goto out;
	if (ncs > 1)
		qsort(cs, ncs, sizeof(*cs), cmp_cseries);

	out = calloc(ncs + 1, sizeof(*out));
	owned = calloc(ncs + 1, sizeof(*owned));
	nowned = calloc(ncs + 1, sizeof(*nowned));
	if (!out || !owned || !nowned) {
		rc = -ENOMEM;
		goto out;
	}
	size_t nout = 0;
	for (size_t i = 0; i < ncs && !rc;) {
		size_t j = i + 1;
		while (j < ncs && labels_equal(cs[i].labels, cs[i].nlabels, cs[j].labels,
					       cs[j].nlabels))
			j++;
		/* gather chunks of cs[i..j) */
		size_t total = 0;
		for (size_t k = i; k < j; k++)
			total += cs[k].ncm;
		struct tsdb_chunk *chunks = calloc(total + 1, sizeof(*chunks));
		struct merge_in *in = calloc(total + 1, sizeof(*in));
		struct stone_set *sets = calloc(j - i + 1, sizeof(*sets));
		struct block_stone **stone_copies = calloc(j - i + 1, sizeof(*stone_copies));
		if (!chunks || !in || !sets || !stone_copies) {
			free(chunks);
			free(in);
			free(sets);
			free(stone_copies);
			rc = -ENOMEM;
			break;
		}
		bool need_rewrite = false;
		size_t c = 0;
		for (size_t k = i; k < j && !rc; k++) {
			struct block *b = bs[cs[k].src];
			size_t scap = 0;
			stmp = NULL;
			block_stones_of(b, cs[k].id, &stmp, &scap, &sets[k - i]);
			stone_copies[k - i] = stmp;
			stmp = NULL;
			if (sets[k - i].n)
				need_rewrite = true;
			for (size_t m = 0; m < cs[k].ncm; m++) {
				uint8_t enc;
				const uint8_t *data;
				size_t len;
				rc = chunks_reader_get(b->chunks, cs[k].cm[m].ref, &enc, &data, &len);
				if (rc)
					break;
				chunks[c] = (struct tsdb_chunk){ cs[k].cm[m].mint, cs[k].cm[m].maxt,
								 (uint8_t *)data, (uint32_t)len };
				in[c].c = &chunks[c];
				in[c].stones = sets[k - i].n ? &sets[k - i] : NULL;
				if (c && chunks[c].mint <= chunks[c - 1].maxt)
					need_rewrite = true;
				c++;
			}
		}
		if (!rc && j - i > 1) {
			/* chunks of several blocks: sort by time, check overlap */
			for (size_t a = 1; a < c; a++)
				for (size_t b2 = a; b2 > 0 && chunks[b2 - 1].mint > chunks[b2].mint;
				     b2--) {
					struct tsdb_chunk t = chunks[b2];
					chunks[b2] = chunks[b2 - 1];
					chunks[b2 - 1] = t;
					struct merge_in ti = in[b2];
					in[b2] = in[b2 - 1];
					in[b2 - 1] = ti;
				}
			for (size_t a = 0; a < c; a++)
				in[a].c = &chunks[a];
			for (size_t a = 1; a < c; a++)
				if (chunks[a].mint <= chunks[a - 1].maxt)
					need_rewrite = true;
		}
		if (!rc && need_rewrite) {
			rc = rewrite_series(in, c, meta.mint, meta.maxt, &owned[nout], &nowned[nout]);
			if (!rc) {
				out[nout] = (struct block_series_src){ cs[i].labels, cs[i].nlabels,
								      owned[nout], nowned[nout] };
				nout++;
			}
			free(chunks);
		} else if (!rc) {
			owned[nout] = NULL;
			out[nout] = (struct block_series_src){ cs[i].labels, cs[i].nlabels, chunks, c };
			nowned[nout] = SIZE_MAX; /* chunks array only, bytes borrowed */
			nout++;
		} else {
			free(chunks);
		}
		free(in);
		for (size_t k = 0; k < j - i; k++)
			free(stone_copies[k]);
		free(stone_copies);
		free(sets);
		i = j;
	}
	if (!rc) {
		rc = block_write(db->dir, &meta, out, nout);
	}
	struct block *nb = NULL;
	if (!rc && meta.ulid[0]) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", db->dir, meta.ulid);
		rc = block_open(path, false, &nb);
	}
	if (!rc)
		rc = blocks_swap(db, bs, n, nb);
	if (!rc) {
		atomic_fetch_add(&db->compactions, 1);
		log_info("Compacted blocks\tcount=%zu mint=%" PRId64 " maxt=%" PRId64
			 " ulid=%s duration=%.3fs",
			 n, meta.mint, meta.maxt, meta.ulid[0] ? meta.ulid : "(empty)",
			 now_seconds() - start);
	} else {
		atomic_fetch_add(&db->compactions_failed, 1);
	}
	for (size_t k = 0; out && k < nout; k++) {
		if (nowned[k] == SIZE_MAX)
			free((void *)out[k].chunks);
		else
			tsdb_chunks_free(owned[k], nowned[k]);
	}
out:
	for (size_t k = 0; k < ncs; k++) {
		free(cs[k].labels);
		free(cs[k].cm);
	}
	free(cs);
	free(out);
	free(owned);
	free(nowned);
	block_meta_free(&meta);
	return rc;
}

/* Cut [mint, maxt) of the head into a level-1 block. */
static int compact_head_range(struct tsdb *db, int64_t mint, int64_t maxt)
{
	uint64_t *refs = NULL;
	size_t nrefs = 0, nout = 0;
	struct block_series_src *out = NULL;
	struct tsdb_label **labels = NULL;
	struct tsdb_chunk **chunks = NULL;
	size_t *nchunks = NULL;
	struct block_meta meta = { 0 };
	double start = now_seconds();
	int rc = head_all_refs(db->head, &refs, &nrefs);
	if (rc)
		return rc;
	out = calloc(nrefs + 1, sizeof(*out));
	labels = calloc(nrefs + 1, sizeof(*labels));
	chunks = calloc(nrefs + 1, sizeof(*chunks));
	nchunks = calloc(nrefs + 1, sizeof(*nchunks));
	meta.sources = calloc(1, sizeof(*meta.sources));
	if (!out || !labels || !chunks || !nchunks || !meta.sources) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nrefs && !rc; i++) {
		size_t nl;
		rc = head_series_copy(db->head, refs[i], mint, maxt - 1, &labels[nout], &nl,
				      &chunks[nout], &nchunks[nout]);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
		/* head deletions: rewrite the chunks without the deleted samples */
		bool stones = false;
		pthread_mutex_lock(&db->head->stones_mu);
		for (size_t k = 0; k < db->head->nstones && !stones; k++)
			stones = db->head->stones[k].ref == refs[i];
		pthread_mutex_unlock(&db->head->stones_mu);
		bool outside = false;
		for (size_t k = 0; k < nchunks[nout]; k++)
			if (chunks[nout][k].mint < mint || chunks[nout][k].maxt >= maxt)
				outside = true;
		if ((stones || outside) && nchunks[nout]) {
			struct block_stone st[64];
			size_t nst = 0;
			pthread_mutex_lock(&db->head->stones_mu);
			for (size_t k = 0; k < db->head->nstones && nst < 64; k++)
				if (db->head->stones[k].ref == refs[i])
					st[nst++] = (struct block_stone){ refs[i], db->head->stones[k].mint,
									  db->head->stones[k].maxt };
			pthread_mutex_unlock(&db->head->stones_mu);
			struct stone_set set = { st, nst };
			struct merge_in *in = calloc(nchunks[nout] + 1, sizeof(*in));
			if (!in) {
				rc = -ENOMEM;
				break;
			}
			for (size_t k = 0; k < nchunks[nout]; k++) {
				in[k].c = &chunks[nout][k];
				in[k].stones = nst ? &set : NULL;
			}
			struct tsdb_chunk *nc;
			size_t nn;
			rc = rewrite_series(in, nchunks[nout], mint, maxt, &nc, &nn);
			free(in);
			if (rc)
				break;
			tsdb_chunks_free(chunks[nout], nchunks[nout]);
			chunks[nout] = nc;
			nchunks[nout] = nn;
		}
		out[nout] = (struct block_series_src){ labels[nout], nl, chunks[nout], nchunks[nout] };
		nout++;
	}
	if (rc)
		goto out;
	meta.mint = mint;
	meta.maxt = maxt;
	meta.level = 1;
	rc = block_write(db->dir, &meta, out, nout);
	if (rc)
		goto out;
	struct block *nb = NULL;
	if (meta.ulid[0]) {
		/* a level-1 block is its own source */
		memcpy(meta.sources[0], meta.ulid, ULID_LEN + 1);
		meta.nsources = 1;
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", db->dir, meta.ulid);
		if ((rc = block_meta_write(path, &meta)))
			goto out;
		if ((rc = block_open(path, false, &nb)))
			goto out;
	}
	if ((rc = blocks_swap(db, NULL, 0, nb)))
		goto out;
	atomic_fetch_add(&db->compactions, 1);
	log_info("Write block from head\tmint=%" PRId64 " maxt=%" PRId64 " ulid=%s series=%" PRIu64
		 " duration=%.3fs",
		 mint, maxt, meta.ulid[0] ? meta.ulid : "(empty)", meta.num_series,
		 now_seconds() - start);
out:
	if (rc)
		atomic_fetch_add(&db->compactions_failed, 1);
	for (size_t i = 0; i < nout + 1 && labels; i++) {
		free(labels[i]);
		if (chunks[i])
			tsdb_chunks_free(chunks[i], nchunks[i]);
	}
	free(refs);
	free(out);
	free(labels);
	free(chunks);
	free(nchunks);
	block_meta_free(&meta);
	return rc;
}

/* Truncate the head before mint and checkpoint the WAL (as Prometheus). */
static int truncate_head(struct tsdb *db, int64_t mint, bool all)
{
	int rc = head_truncate(db->head, mint);
	atomic_fetch_add(&db->head_truncations, 1);
	if (rc) {
		atomic_fetch_add(&db->head_truncations_failed, 1);
		return rc;
	}
	if (!db->wal)
		return 0;
	int first, last, closed;
	if ((rc = wal_segment_range(db->wal_dir, &first, &last)))
		return rc;
	if ((rc = wal_cut_segment(db->wal, &closed)))
		return rc;
	if (!all) {
		last--; /* never the segment that was active */
		if (last < 0)
			return 0;
		last = first + (last - first) * 2 / 3;
		if (last <= first)
			return 0;
	} else {
		last = closed;
	}
	return checkpoint(db, last, mint);
}

static int compact_head(struct tsdb *db, bool force)
{
	int rc = 0;
	int64_t range = db->opts.block_range_ms;
	for (;;) {
		int64_t hmin = atomic_load(&db->head->mint), hmax = atomic_load(&db->head->maxt);
		if (hmin == INT64_MAX || hmax == INT64_MIN)
			break;
		if (!force && hmax - hmin <= range / 2 * 3)
			break;
		int64_t mint = range_start(hmin, range);
		int64_t maxt = mint + range;
		if (!force && maxt > hmax)
			break;
		if ((rc = compact_head_range(db, mint, maxt)))
			break;
		bool all = force && maxt > hmax;
		if ((rc = truncate_head(db, maxt, all)))
			break;
		if (all)
			break;
	}
	return rc;
}

/* Prometheus's LeveledCompactor plan: blocks to compact next (pinned). */
static size_t plan(struct tsdb *db, struct block ***out)
{
	struct block **bs;
	size_t n;
	*out = NULL;
	if (db_blocks_get(db, &bs, &n))
		return 0;
	size_t pick_lo = 0, pick_n = 0;
	/* 1. overlapping blocks */
	for (size_t i = 1; i < n && !pick_n; i++) {
		if (bs[i]->meta.mint < bs[i - 1]->meta.maxt) {
			size_t j = i;
			int64_t end = bs[i - 1]->meta.maxt;
			while (j < n && bs[j]->meta.mint < end) {
				if (bs[j]->meta.maxt > end)
					end = bs[j]->meta.maxt;
				j++;
			}
			pick_lo = i - 1;
			pick_n = j - (i - 1);
		}
	}
	/* 2. ranges 3x apart, leaving out the newest block */
	if (!pick_n && n > 1) {
		size_t m = n - 1;
		int64_t high = bs[n - 1]->meta.mint;
		for (int64_t iv = db->opts.block_range_ms * 3;
		     iv <= db->opts.max_block_ms && !pick_n; iv *= 3) {
			for (size_t i = 0; i < m && !pick_n;) {
				int64_t t0 = range_start(bs[i]->meta.mint, iv);
				if (bs[i]->meta.maxt > t0 + iv) {
					i++;
					continue;
				}
				size_t j = i;
				while (j < m && bs[j]->meta.mint >= t0 && bs[j]->meta.maxt <= t0 + iv)
					j++;
				int64_t mint = bs[i]->meta.mint, maxt = bs[j - 1]->meta.maxt;
				if (j - i > 1 && (maxt - mint == iv || maxt <= high)) {
					pick_lo = i;
					pick_n = j - i;
				}
				i = j > i ? j : i + 1;
			}
		}
	}
	/* 3. a block with many tombstones is rewritten alone */
	for (size_t i = 0; i < n && !pick_n; i++) {
		struct block *b = bs[i];
		pthread_mutex_lock(&b->stones_mu);
		size_t ns = b->nstones;
		pthread_mutex_unlock(&b->stones_mu);
		if (ns && (double)ns / (double)(b->meta.num_series + 1) > 0.05) {
			pick_lo = i;
			pick_n = 1;
		}
	}
	if (pick_n) {
		*out = malloc(pick_n * sizeof(**out));
		if (*out) {
			for (size_t i = 0; i < pick_n; i++) {
				(*out)[i] = bs[pick_lo + i];
				block_ref((*out)[i]);
			}
		} else {
			pick_n = 0;
		}
	}
	db_blocks_put(bs, n);
	return pick_n;
}

static int apply_retention(struct tsdb *db)
{
	struct block **bs;
	size_t n;
	int rc = db_blocks_get(db, &bs, &n);
	if (rc)
		return rc;
	struct block **del = calloc(n + 1, sizeof(*del));
	size_t ndel = 0;
	if (!del) {
		db_blocks_put(bs, n);
		return -ENOMEM;
	}
	/* newest first */
	if (db->opts.retention_ms > 0 && n) {
		int64_t newest = bs[n - 1]->meta.maxt;
		for (size_t i = 0; i + 1 < n; i++)
			if (newest - bs[i]->meta.maxt > db->opts.retention_ms) {
				del[ndel++] = bs[i];
				atomic_fetch_add(&db->retention_time_deleted, 1);
			}
	}
	if (db->opts.retention_bytes > 0) {
		/* as Prometheus: the WAL counts against the limit, then blocks newest first */
		uint64_t total = tsdb_dir_size(db->wal_dir);
		if (db->head->spill)
			total += spill_bytes(db->head->spill);
		for (size_t i = n; i-- > 0;) {
			total += bs[i]->size_bytes;
			if (total > db->opts.retention_bytes) {
				bool already = false;
				for (size_t k = 0; k < ndel; k++)
					already |= del[k] == bs[i];
				if (!already) {
					del[ndel++] = bs[i];
					atomic_fetch_add(&db->retention_size_deleted, 1);
				}
			}
		}
	}
	if (ndel) {
		for (size_t i = 0; i < ndel; i++) {
			log_info("Deleting block beyond retention\tulid=%s", del[i]->meta.ulid);
		}
		rc = blocks_swap(db, del, ndel, NULL);
	}
	free(del);
	db_blocks_put(bs, n);
	return rc;
}

int tsdb_compact(struct tsdb *db, bool force)
{
	int rc;
	pthread_mutex_lock(&db->compact_mu);
	atomic_fetch_add(&db->compactions_triggered, 1);
	rc = compact_head(db, force);
	while (!rc) {
		struct block **bs;
		size_t n = plan(db, &bs);
		if (!n)
			break;
		rc = compact_blocks(db, bs, n);
		/* compact_blocks swapped the DB's references out; drop ours */
		for (size_t i = 0; i < n; i++)
			block_unref(bs[i]);
		free(bs);
	}
	if (!rc)
		rc = apply_retention(db);
	pthread_mutex_unlock(&db->compact_mu);
	return rc;
}

static void *compactor_main(void *arg)
{
	struct tsdb *db = arg;
	pthread_mutex_lock(&db->stop_mu);
	while (!db->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 60;
		pthread_cond_timedwait(&db->stop_cv, &db->stop_mu, &ts);
		if (db->stopping)
			break;
		pthread_mutex_unlock(&db->stop_mu);
		int rc = tsdb_compact(db, false);
		if (rc)
			log_err(rc, "tsdb: compaction failed");
		pthread_mutex_lock(&db->stop_mu);
	}
	pthread_mutex_unlock(&db->stop_mu);
	return NULL;
}

/* ---- deletion ---- */

int tsdb_delete(struct tsdb *db, const struct tsdb_matcher *ms, size_t n, int64_t mint,
		int64_t maxt)
{
	struct block **bs;
	size_t nb;
	int rc;
	pthread_mutex_lock(&db->compact_mu);
	rc = db_blocks_get(db, &bs, &nb);
	if (rc)
		goto out;
	/* blocks: tombstones per block, keyed by the block's series ids */
	for (size_t i = 0; i < nb && !rc; i++) {
		struct block *b = bs[i];
		if (b->meta.mint > maxt || b->meta.maxt <= mint)
			continue;
		uint64_t *all;
		size_t nall;
		rc = index_postings(b->index, "", "", &all, &nall);
		struct block_stone *st = calloc(nall + 1, sizeof(*st));
		size_t nst = 0;
		for (size_t k = 0; !rc && st && k < nall; k++) {
			struct tsdb_label *ls;
			size_t nl;
			struct index_chunk_meta *cm;
			size_t ncm;
			if (index_series(b->index, all[k], &ls, &nl, &cm, &ncm))
				continue;
			bool match = true;
			for (size_t m = 0; m < n && match; m++) {
				const char *v = labels_get(ls, nl, ms[m].name);
				match = tsdb_matcher_matches(&ms[m], v ? v : "");
			}
			if (match)
				st[nst++] = (struct block_stone){ all[k], mint, maxt };
			free(ls);
			free(cm);
		}
		if (!rc && !st)
			rc = -ENOMEM;
		if (!rc && nst)
			rc = block_add_stones(b, st, nst);
		free(st);
		free(all);
	}
	db_blocks_put(bs, nb);
	if (rc)
		goto out;
	/* head: WAL tombstones record, then in memory */
	uint64_t *refs;
	size_t nrefs;
	if ((rc = head_all_refs(db->head, &refs, &nrefs)))
		goto out;
	struct wal_stone *ws = calloc(nrefs + 1, sizeof(*ws));
	size_t nws = 0;
	for (size_t k = 0; ws && k < nrefs; k++) {
		struct tsdb_label *ls;
		size_t nl;
		struct tsdb_chunk *cs;
		size_t nc;
		if (head_series_copy(db->head, refs[k], mint, maxt, &ls, &nl, &cs, &nc))
			continue;
		bool match = nc > 0;
		for (size_t m = 0; m < n && match; m++) {
			const char *v = labels_get(ls, nl, ms[m].name);
			match = tsdb_matcher_matches(&ms[m], v ? v : "");
		}
		if (match)
			ws[nws++] = (struct wal_stone){ refs[k], mint, maxt };
		free(ls);
		tsdb_chunks_free(cs, nc);
	}
	free(refs);
	if (!ws) {
		rc = -ENOMEM;
		goto out;
	}
	if (nws && db->wal) {
		struct tbuf rec = { 0 };
		walrec_tombstones(&rec, ws, nws);
		rc = rec.err ? rec.err : wal_log(db->wal, rec.data, rec.len);
		tbuf_free(&rec);
	}
	for (size_t k = 0; !rc && k < nws; k++)
		rc = head_add_stone(db->head, ws[k].ref, mint, maxt);
	free(ws);
out:
	pthread_mutex_unlock(&db->compact_mu);
	return rc;
}

/* ---- metrics ---- */

void tsdb_time_range(struct tsdb *db, int64_t *mint, int64_t *maxt)
{
	*mint = atomic_load(&db->head->mint);
	*maxt = atomic_load(&db->head->maxt);
	pthread_rwlock_rdlock(&db->blocks_lock);
	for (size_t i = 0; i < db->nblocks; i++) {
		if (db->blocks[i]->meta.mint < *mint)
			*mint = db->blocks[i]->meta.mint;
		if (db->blocks[i]->meta.maxt - 1 > *maxt)
			*maxt = db->blocks[i]->meta.maxt - 1;
	}
	pthread_rwlock_unlock(&db->blocks_lock);
}

static void gauge(struct expo_set *set, const char *name, const char *help, double v)
{
	expo_addl(expo_family(set, name, help, EXPO_GAUGE), v, NULL);
}

static void counter(struct expo_set *set, const char *name, const char *help, double v)
{
	expo_addl(expo_family(set, name, help, EXPO_COUNTER), v, NULL);
}

void tsdb_add_metrics(struct tsdb *db, struct expo_set *set)
{
	struct head *h = db->head;
	struct head_stats *st = &h->stats;
	int64_t hmin = atomic_load(&h->mint), hmax = atomic_load(&h->maxt);
	gauge(set, "prometheus_tsdb_head_series", "Total number of series in the head block.",
	      (double)atomic_load(&h->nseries));
	gauge(set, "prometheus_tsdb_head_chunks", "Total number of chunks in the head block.",
	      (double)atomic_load(&h->nchunks));
	counter(set, "prometheus_tsdb_head_series_created_total",
		"Total number of series created in the head", (double)st->series_created);
	counter(set, "prometheus_tsdb_head_series_removed_total",
		"Total number of series removed in the head", (double)st->series_removed);
	counter(set, "prometheus_tsdb_head_chunks_created_total",
		"Total number of chunks created in the head", (double)st->chunks_created);
	counter(set, "prometheus_tsdb_head_chunks_removed_total",
		"Total number of chunks removed in the head", (double)st->chunks_removed);
	expo_addl(expo_family(set, "prometheus_tsdb_head_samples_appended_total",
			      "Total number of appended samples.", EXPO_COUNTER),
		  (double)st->samples_appended, "type", "float", NULL);
	expo_addl(expo_family(set, "prometheus_tsdb_out_of_order_samples_total",
			      "Total number of out of order samples ingestion failed attempts due to out of order being disabled.",
			      EXPO_COUNTER),
		  (double)st->out_of_order, "type", "float", NULL);
	expo_addl(expo_family(set, "prometheus_tsdb_out_of_bound_samples_total",
			      "Total number of out of bound samples ingestion failed attempts with out of order support disabled.",
			      EXPO_COUNTER),
		  (double)st->out_of_bound, "type", "float", NULL);
	gauge(set, "prometheus_tsdb_head_min_time",
	      "Minimum time bound of the head block. The unit is decided by the library consumer.",
	      hmin == INT64_MAX ? (double)INT64_MAX : (double)hmin);
	gauge(set, "prometheus_tsdb_head_max_time",
	      "Maximum timestamp of the head block. The unit is decided by the library consumer.",
	      hmax == INT64_MIN ? (double)INT64_MIN : (double)hmax);
	gauge(set, "prometheus_tsdb_head_min_time_seconds", "Minimum time bound of the head block.",
	      hmin == INT64_MAX ? (double)INT64_MAX / 1000 : (double)hmin / 1000);
	gauge(set, "prometheus_tsdb_head_max_time_seconds", "Maximum timestamp of the head block.",
	      hmax == INT64_MIN ? (double)INT64_MIN / 1000 : (double)hmax / 1000);
	counter(set, "prometheus_tsdb_wal_corruptions_total",
		"Total number of WAL corruptions.", (double)atomic_load(&db->wal_corruptions));
	counter(set, "prometheus_tsdb_compactions_total",
		"Total number of compactions that were executed for the partition.",
		(double)atomic_load(&db->compactions));
	counter(set, "prometheus_tsdb_compactions_failed_total",
		"Total number of compactions that failed for the partition.",
		(double)atomic_load(&db->compactions_failed));
	counter(set, "prometheus_tsdb_compactions_triggered_total",
		"Total number of triggered compactions for the partition.",
		(double)atomic_load(&db->compactions_triggered));
	counter(set, "prometheus_tsdb_head_truncations_total",
		"Total number of head truncations attempted.",
		(double)atomic_load(&db->head_truncations));
	counter(set, "prometheus_tsdb_head_truncations_failed_total",
		"Total number of head truncations that failed.",
		(double)atomic_load(&db->head_truncations_failed));
	counter(set, "prometheus_tsdb_checkpoint_creations_total",
		"Total number of checkpoint creations attempted.",
		(double)atomic_load(&db->checkpoints) + (double)atomic_load(&db->checkpoints_failed));
	counter(set, "prometheus_tsdb_checkpoint_creations_failed_total",
		"Total number of checkpoint creations that failed.",
		(double)atomic_load(&db->checkpoints_failed));
	counter(set, "prometheus_tsdb_time_retentions_total",
		"The number of times that blocks were deleted because the maximum time limit was exceeded.",
		(double)atomic_load(&db->retention_time_deleted));
	counter(set, "prometheus_tsdb_size_retentions_total",
		"The number of times that blocks were deleted because the maximum number of bytes was exceeded.",
		(double)atomic_load(&db->retention_size_deleted));
	gauge(set, "prometheus_tsdb_data_replay_duration_seconds",
	      "Time taken to replay the data on disk.", db->wal_replay_seconds);

	uint64_t blocks_bytes = 0, nblocks = 0;
	int64_t lowest = 0;
	pthread_rwlock_rdlock(&db->blocks_lock);
	nblocks = db->nblocks;
	for (size_t i = 0; i < db->nblocks; i++)
		blocks_bytes += db->blocks[i]->size_bytes;
	if (db->nblocks)
		lowest = db->blocks[0]->meta.mint;
	pthread_rwlock_unlock(&db->blocks_lock);
	gauge(set, "prometheus_tsdb_blocks_loaded", "Number of currently loaded data blocks",
	      (double)nblocks);
	gauge(set, "prometheus_tsdb_storage_blocks_bytes",
	      "The number of bytes that are currently used for local storage by all blocks.",
	      (double)blocks_bytes);
	gauge(set, "prometheus_tsdb_lowest_timestamp",
	      "Lowest timestamp value stored in the database. The unit is decided by the library consumer.",
	      nblocks ? (double)lowest : (hmin == INT64_MAX ? 0 : (double)hmin));
	gauge(set, "prometheus_tsdb_lowest_timestamp_seconds",
	      "Lowest timestamp value stored in the database.",
	      (nblocks ? (double)lowest : (hmin == INT64_MAX ? 0 : (double)hmin)) / 1000);
	gauge(set, "prometheus_tsdb_retention_limit_bytes",
	      "Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled",
	      (double)db->opts.retention_bytes);
	if (db->wal) {
		gauge(set, "prometheus_tsdb_wal_segment_current",
		      "WAL segment index that TSDB is currently writing to.",
		      (double)wal_current_segment(db->wal));
	}
	gauge(set, "prometheus_tsdb_head_chunks_storage_size_bytes",
	      "Size of the chunks_head directory.",
	      db->head->spill ? (double)spill_bytes(db->head->spill) : 0);
	size_t nstr = 0, strbytes = 0;
	strpool_stats(h->pool, &nstr, &strbytes);
	gauge(set, "prometheus_tsdb_symbol_table_size_bytes",
	      "Size of symbol table in memory for loaded blocks", (double)strbytes);
}
