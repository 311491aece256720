/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigil-server's --storage.tsdb.* flags, as Prometheus 2.42 spells them, as
 * a common/flags.h table the server's main adds to its own:
 *
 *   --storage.tsdb.path=data/             data directory
 *   --storage.tsdb.retention.time=15d     when neither retention flag is
 *                                         given; 0 disables
 *   --storage.tsdb.retention.size=0       "512MB"; blocks, WAL and head
 *                                         chunks count against it
 *   --storage.tsdb.min-block-duration=2h  (hidden in Prometheus)
 *   --storage.tsdb.max-block-duration     default 10% of retention, <= 31d
 *   --storage.tsdb.wal-compression        accepted; we write uncompressed
 *                                         records and read both
 *   --storage.tsdb.no-lockfile            accepted for compatibility
 *
 * The values struct owns its strings (flags_free() on the table).
 */
#ifndef VIGIL_TSDB_TSDB_FLAGS_H
#define VIGIL_TSDB_TSDB_FLAGS_H

#include <stdbool.h>

#include "common/flags.h"
#include "server/tsdb/tsdb.h"

struct tsdb_flag_values {
	char *path;
	double retention_time, retention_size, min_block, max_block;
	bool wal_compression, no_lockfile;
	bool retention_time_seen, retention_size_seen, max_block_seen;
	struct flag_def defs[7];
};

/* A flag table writing into v (v must outlive the table). */
struct flag_table tsdb_flag_table(struct tsdb_flag_values *v);
/* Options for tsdb_open() from parsed flags (o->path borrows v->path). */
void tsdb_options_from_flags(const struct tsdb_flag_values *v, struct tsdb_options *o);

#endif
