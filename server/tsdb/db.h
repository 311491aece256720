/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of struct tsdb shared by db.c, querier.c and compact.c.
 *
 * Ownership and locks:
 *   - blocks_lock (rwlock) guards the blocks array: readers copy it with a
 *     reference on each block (queriers); compaction and retention swap
 *     entries under the write lock and drop the DB's reference;
 *   - compact_mu serialises compaction, retention and deletion;
 *   - the head and the WAL have their own locks (head.h, wal.h).
 */
#ifndef VIGIL_TSDB_DB_H
#define VIGIL_TSDB_DB_H

#include <pthread.h>
#include <stdatomic.h>

#include "server/tsdb/block.h"
#include "server/tsdb/head.h"
#include "server/tsdb/tsdb.h"
#include "server/tsdb/wal.h"

struct tsdb {
	struct tsdb_options opts;
	char dir[4096];
	char wal_dir[4200];
	int lock_fd;
	struct head *head;
	struct wal *wal; /* NULL when read-only */
	pthread_rwlock_t blocks_lock;
	struct block **blocks; /* sorted by mint */
	size_t nblocks;
	pthread_mutex_t compact_mu;
	pthread_t compactor;
	bool compactor_running;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	bool stopping;
	/* self metrics */
	atomic_uint_fast64_t wal_corruptions;
	atomic_uint_fast64_t compactions, compactions_failed, compactions_triggered;
	atomic_uint_fast64_t head_truncations, head_truncations_failed;
	atomic_uint_fast64_t checkpoints, checkpoints_failed;
	atomic_uint_fast64_t retention_time_deleted, retention_size_deleted;
	atomic_uint_fast64_t reloads, reloads_failed, blocks_skipped;
	atomic_uint_fast64_t wal_replay_unknown_refs;
	double wal_replay_seconds;
};

/* Pinned copy of the block list (each block referenced); free with db_blocks_put. */
int db_blocks_get(struct tsdb *db, struct block ***out, size_t *n);
void db_blocks_put(struct block **b, size_t n);

#endif
