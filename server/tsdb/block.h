/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Persistent blocks: a directory named by a ULID holding
 *
 *   meta.json   {"ulid", "minTime", "maxTime" (exclusive), "stats":
 *               {"numSamples", "numSeries", "numChunks"}, "compaction":
 *               {"level", "sources": [ULID...], "parents": [...]},
 *               "version": 1}, tab-indented as Prometheus writes it
 *   index       see index.h
 *   chunks/     see chunks.h
 *   tombstones  magic 0x0130BA30 <4b> | version 1 <1b> | { series ref
 *               <uvarint> | mint <varint> | maxt <varint> }... | CRC32C
 *               of the entries <4b> (tsdb/docs/format/tombstones.md)
 *
 * A block is written under <ulid>.tmp-for-creation and renamed into place
 * once complete, so a crash never leaves a half block under a real name.
 *
 * An open struct block is immutable except for its tombstones (replaced
 * under the block's mutex by deletions) and is reference-counted: the DB
 * holds one reference, each querier one more; the last block_unref()
 * unmaps it, and removes the directory when it was marked for deletion.
 */
#ifndef VIGIL_TSDB_BLOCK_H
#define VIGIL_TSDB_BLOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/tsdb/chunks.h"
#include "server/tsdb/head.h"
#include "server/tsdb/index.h"

#define ULID_LEN 26
#define TOMBSTONES_MAGIC 0x0130BA30u

struct block_stone {
	uint64_t ref;
	int64_t mint, maxt;
};

struct block_meta {
	char ulid[ULID_LEN + 1];
	int64_t mint, maxt;
	uint64_t num_samples, num_series, num_chunks, num_tombstones;
	int level;
	char (*sources)[ULID_LEN + 1];
	size_t nsources;
	struct block_parent {
		char ulid[ULID_LEN + 1];
		int64_t mint, maxt;
	} *parents;
	size_t nparents;
};

struct block {
	char dir[4096];
	struct block_meta meta;
	struct index_reader *index;
	struct chunks_reader *chunks;
	pthread_mutex_t stones_mu;
	struct block_stone *stones;
	size_t nstones;
	uint64_t size_bytes;
	atomic_int refs;
	atomic_bool deletable;
};

/* A fresh ULID for time ms (random part from /dev/urandom or rand). */
void ulid_new(char out[ULID_LEN + 1], int64_t ms);

void block_meta_free(struct block_meta *m);
/* Write dir/meta.json (through a temp file). */
int block_meta_write(const char *dir, const struct block_meta *m);
/* Read dir/meta.json. */
int block_meta_read(const char *dir, struct block_meta *m);
/* Write dir/tombstones. */
int tombstones_write(const char *dir, const struct block_stone *s, size_t n);
/* Read dir/tombstones (absent: none); *s malloc'd. */
int tombstones_read(const char *dir, struct block_stone **s, size_t *n);

/* One series to write into a block. */
struct block_series_src {
	const struct tsdb_label *labels;
	size_t nlabels;
	const struct tsdb_chunk *chunks;
	size_t nchunks;
};

/*
 * Write a block of the series (any order; empty ones are left out) into
 * parent/<ulid>.  meta supplies mint, maxt, level, sources and parents;
 * the ULID and stats are filled in.  Writes nothing (and sets
 * meta->ulid to "") when no series has a chunk.
 */
int block_write(const char *parent, struct block_meta *meta,
		const struct block_series_src *series, size_t n);

/* Total size of the files under path. */
uint64_t tsdb_dir_size(const char *path);
/* Remove a directory tree (a block, a checkpoint). */
int block_remove_dir(const char *path);

/* Open the block in dir; with verify, check every chunk CRC. */
int block_open(const char *dir, bool verify, struct block **out);
void block_ref(struct block *b);
void block_unref(struct block *b);
/* True when (ref, t) is covered by a tombstone of b. */
bool block_is_deleted(struct block *b, uint64_t ref, int64_t t);
/* Add tombstones and rewrite the tombstones file. */
int block_add_stones(struct block *b, const struct block_stone *s, size_t n);

#endif
