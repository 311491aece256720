// SPDX-License-Identifier: Apache-2.0
/*
 * The --storage.tsdb.* flag table; see tsdb_flags.h.
 */
#include "server/tsdb/tsdb_flags.h"

#include <string.h>

struct flag_table tsdb_flag_table(struct tsdb_flag_values *v)
{
	const struct flag_def defs[7] = {
		{ "storage.tsdb.path", FLAG_STRING, &v->path, "data/",
		  "Base path for metrics storage.", NULL, NULL },
		{ "storage.tsdb.retention.time", FLAG_DURATION, &v->retention_time, NULL,
		  "How long to retain samples in storage. If neither this flag nor "
		  "\"storage.tsdb.retention.size\" is set, the retention time defaults to 15d. "
		  "Units Supported: y, w, d, h, m, s, ms.",
		  "storage.tsdb.retention", &v->retention_time_seen },
		{ "storage.tsdb.retention.size", FLAG_BYTES, &v->retention_size, NULL,
		  "Maximum number of bytes that can be stored for blocks. A unit is required, "
		  "supported units: B, KB, MB, GB, TB, PB, EB. Ex: \"512MB\".",
		  NULL, &v->retention_size_seen },
		{ "storage.tsdb.min-block-duration", FLAG_DURATION, &v->min_block, "2h",
		  "Minimum duration of a data block before being persisted.", NULL, NULL },
		{ "storage.tsdb.max-block-duration", FLAG_DURATION, &v->max_block, NULL,
		  "Maximum duration compacted blocks may span. (Default: 10% of the retention "
		  "period.)",
		  NULL, &v->max_block_seen },
		{ "storage.tsdb.wal-compression", FLAG_BOOL, &v->wal_compression, "true",
		  "Compress the tsdb WAL (accepted; vigil writes uncompressed records and "
		  "reads both).",
		  NULL, NULL },
		{ "storage.tsdb.no-lockfile", FLAG_BOOL, &v->no_lockfile, "false",
		  "Do not create lockfile in data directory (accepted; vigil always locks).",
		  NULL, NULL },
	};
	memcpy(v->defs, defs, sizeof(defs));
	return (struct flag_table){ "Storage (TSDB)", v->defs, 7 };
}

void tsdb_options_from_flags(const struct tsdb_flag_values *v, struct tsdb_options *o)
{
	tsdb_options_default(o);
	if (v->path && *v->path)
		o->path = v->path;
	if (v->retention_time_seen)
		o->retention_ms = (int64_t)(v->retention_time * 1000);
	else if (v->retention_size_seen)
		o->retention_ms = 0;
	if (v->retention_size_seen && v->retention_size > 0)
		o->retention_bytes = (uint64_t)v->retention_size;
	if (v->min_block > 0)
		o->block_range_ms = (int64_t)(v->min_block * 1000);
	if (v->max_block_seen && v->max_block > 0)
		o->max_block_ms = (int64_t)(v->max_block * 1000);
}
