/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The head: recent samples in memory, as Prometheus's tsdb Head.
 *
 * Each series is identified by its sorted label set (strings interned in
 * the head's strpool) and a 64-bit ref handed out in creation order (the
 * ref written in WAL series records).  Its samples live in XOR chunks: one
 * open chunk being appended to, and the closed chunks before it.  A chunk
 * is cut as Prometheus cuts it: at the end of the 2h chunk range the first
 * sample fell in, earlier when a quarter-full chunk predicts more than 120
 * samples by then, and at 240 samples at the latest.  So replaying a WAL
 * rebuilds the very same chunks, and head chunks never straddle a block
 * boundary.
 *
 * Append rules (Prometheus's): a sample older than the series' last one is
 * out of order (-EDOM); one at the same time with a different value is a
 * duplicate (-EEXIST); the same time and value is ignored (0).  A sample
 * older than the head's append window (the end of the last block, or one
 * hour before the head's newest sample) is out of bounds (-ERANGE).
 *
 * Locks and ownership:
 *   - series by label hash: 1024 stripes, each a mutex over a chained table;
 *   - series by ref: another 1024 stripes; a series sits in both;
 *   - each series has its own mutex for its chunks and append state;
 *   - postings (name=value -> sorted refs) behind one rwlock;
 *   - lock order: hash stripe, ref stripe, series, postings.
 * The head owns series, chunks and strings; with head_enable_spill() the
 * closed chunks live in spill files and only the open chunk stays in
 * memory.  Callers never keep a series
 * pointer except an appender between head_get_or_create() and
 * head_release(): the pending count it holds keeps garbage collection away,
 * and a pinned handle (head_pin()/head_unpin()).
 * Readers take copies (head_series_copy()).
 *
 * Pinned handles (the scrape cache's): a pin is a reference on the series
 * struct, not on the series.  Garbage collection still removes a pinned
 * series whose samples are all truncated away: it unlinks it, marks it dead
 * and frees its chunks and label strings, but the struct (and its mutex)
 * lives until the last pin is dropped.  head_acquire() on a dead series
 * fails with -ESTALE, so the holder looks the labels up again and gets a
 * fresh series (new ref, new WAL series record) and a fresh pin.
 * head_acquire() takes no lock: it raises pending, then reads the dead flag;
 * GC, under the series mutex, sets dead, then reads pending and clears dead
 * again when it is raised (both sequentially consistent), so an appender
 * either raises pending first (and the series stays) or sees it dead.
 * Readers under the series mutex never see that transient flag.  The newest
 * sample it checks against is published by head_append() in pub_maxt /
 * pub_lastv under the pub_seq sequence count (a seqlock; a reader racing an
 * append falls back to the mutex).  head_free() leaves pinned structs to
 * their last head_unpin().
 */
#ifndef VIGIL_TSDB_HEAD_H
#define VIGIL_TSDB_HEAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/tsdb/chunkenc.h"
#include "server/tsdb/labels.h"

#define HEAD_STRIPES 1024
/* Default block and chunk range: 2h in milliseconds. */
#define TSDB_BLOCK_RANGE_MS (2 * 3600 * 1000LL)

/* A chunk's samples and time range (bytes owned by whoever made it). */
struct tsdb_chunk {
	int64_t mint, maxt;
	uint8_t *b;
	uint32_t len;
};

/*
 * A closed head chunk: in memory (b != NULL) or in the spill files
 * (b == NULL, at file/off), see spill.h.
 */
struct head_chunk {
	int64_t mint, maxt;
	uint8_t *b;
	uint64_t off;
	uint32_t len;
	uint32_t file;
};

struct head_series {
	uint64_t ref;
	uint64_t hash;
	struct head_series *hnext, *rnext;
	pthread_mutex_t mu;
	atomic_int pending;      /* appenders holding this series */
	atomic_bool wal_logged;  /* its series record is in the WAL */
	atomic_bool dead;        /* removed by GC (set under mu, see above) */
	atomic_int refs;         /* 1 while in the head, + pins */
	struct xor_app app;      /* open chunk (app.b NULL when none) */
	int64_t app_mint;
	int64_t next_at;
	int64_t maxt;            /* newest sample, INT64_MIN when none */
	double lastv;
	atomic_uint pub_seq;     /* odd while head_append() publishes: */
	_Atomic int64_t pub_maxt; /* maxt, lastv's bits for head_acquire() */
	_Atomic uint64_t pub_lastv;
	struct head_chunk *chunks; /* closed chunks, oldest first */
	uint32_t nchunks, cap;
	uint16_t nlabels;
	struct tsdb_label labels[];
};

struct head_stripe {
	pthread_mutex_t mu;
	struct head_series **buckets;
	size_t nbuckets, n;
};

struct postings_map;
struct spill;

struct head_stats {
	_Atomic uint64_t samples_appended;
	_Atomic uint64_t out_of_order;
	_Atomic uint64_t out_of_bound;
	_Atomic uint64_t duplicates;
	_Atomic uint64_t series_created;
	_Atomic uint64_t series_removed;
	_Atomic uint64_t chunks_created;
	_Atomic uint64_t chunks_removed;
};

struct head {
	struct strpool *pool;
	struct head_stripe hash[HEAD_STRIPES];
	struct head_stripe refs[HEAD_STRIPES];
	pthread_rwlock_t postings_lock;
	struct postings_map *postings;
	atomic_uint_fast64_t last_ref;
	atomic_int_fast64_t mint, maxt;  /* INT64_MAX/INT64_MIN when empty */
	atomic_int_fast64_t min_valid;   /* end of the newest block */
	atomic_uint_fast64_t nseries;
	atomic_uint_fast64_t nchunks;
	int64_t chunk_range;
	struct spill *spill;             /* NULL: closed chunks stay in memory */
	struct head_stats stats;
	pthread_mutex_t stones_mu;       /* deletion tombstones */
	struct { uint64_t ref; int64_t mint, maxt; } *stones;
	size_t nstones, stones_cap;
};

/* Create an empty head; 0 or -ENOMEM. */
int head_new(struct head **out);
void head_free(struct head *h);
/* Keep closed chunks in spill files under dir (see spill.h). */
int head_enable_spill(struct head *h, const char *dir);

/*
 * Find or create the series of sorted label set ls; *created tells which.
 * With ref != 0 a new series gets that ref (WAL replay).  The series'
 * pending count is raised: call head_release() when done with it.
 */
int head_get_or_create(struct head *h, const struct tsdb_label *ls, size_t n, uint64_t ref,
		       struct head_series **out, bool *created);
void head_release(struct head_series *s);

/*
 * Pin s for later head_acquire() calls without a lookup (s must be held:
 * pending raised).  Drop the pin with head_unpin(), also after head_free().
 */
void head_pin(struct head_series *s);
void head_unpin(struct head_series *s);
/*
 * For a pinned s: raise its pending count when (t, v) could be appended.
 * 0 (pending raised: release it), -ESTALE when GC removed s (drop the pin
 * and look the labels up again), or -EDOM/-EEXIST/-ERANGE (not raised).
 */
int head_acquire(struct head *h, struct head_series *s, int64_t t, double v);

/* The series with ref, pending raised (release it), or NULL. */
struct head_series *head_get_by_ref(struct head *h, uint64_t ref);

/* Check whether (t, v) could be appended to s; 0 or -EDOM/-EEXIST/-ERANGE. */
int head_appendable(struct head *h, struct head_series *s, int64_t t, double v, bool replay);
/*
 * Append (t, v) to s.  0 (also for an ignored exact duplicate), or
 * -EDOM/-EEXIST/-ERANGE (counted in h->stats), -ENOMEM.
 */
int head_append(struct head *h, struct head_series *s, int64_t t, double v, bool replay);

/* Postings of name=value: a malloc'd sorted copy (caller frees). */
int head_postings(struct head *h, const char *name, const char *value, uint64_t **refs,
		  size_t *n);
/* Every value name takes, as a malloc'd array of malloc'd strings. */
int head_label_values(struct head *h, const char *name, char ***vals, size_t *n);
/* Every label name in use. */
int head_label_names(struct head *h, char ***names, size_t *n);
/* Every series ref, sorted (caller frees). */
int head_all_refs(struct head *h, uint64_t **refs, size_t *n);

/*
 * A copy of series ref: its labels (strings malloc'd in one block, *labels
 * owns them: free(*labels)) and the chunks overlapping [mint, maxt] (each
 * chunk's bytes malloc'd; free with tsdb_chunks_free()).  -ENOENT when gone.
 */
int head_series_copy(struct head *h, uint64_t ref, int64_t mint, int64_t maxt,
		     struct tsdb_label **labels, size_t *nlabels, struct tsdb_chunk **chunks,
		     size_t *nchunks);
void tsdb_chunks_free(struct tsdb_chunk *c, size_t n);

/*
 * Drop every chunk that ends before mint, then remove series left without
 * samples (and no pending appender); raises min_valid to mint.
 */
int head_truncate(struct head *h, int64_t mint);

/* Record a deletion: samples of ref in [mint, maxt] are hidden. */
int head_add_stone(struct head *h, uint64_t ref, int64_t mint, int64_t maxt);
/* True when (ref, t) is deleted. */
bool head_is_deleted(struct head *h, uint64_t ref, int64_t t);

/* Join two malloc'd string arrays helpers for label queries. */
void tsdb_strings_free(char **s, size_t n);

#endif
