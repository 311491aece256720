/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A block's chunk files (Prometheus tsdb/docs/format/chunks.md):
 * chunks/000001, 000002, ... each at most 512 MiB:
 *
 *   magic 0x85BD40DD <4b> | version 1 <1b> | padding <3b>
 *   { len <uvarint> | encoding <1b> | data <len bytes> | CRC32C of
 *     encoding and data <4b> }...
 *
 * A chunk ref (in the index) is (file sequence << 32) | offset, where the
 * sequence counts from 0 for 000001.
 *
 * A writer belongs to one compaction; a reader maps the files read-only
 * and is immutable, shareable across threads.
 */
#ifndef VIGIL_TSDB_CHUNKS_H
#define VIGIL_TSDB_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#define CHUNKS_MAGIC 0x85BD40DDu
#define CHUNKS_SEGMENT_SIZE (512u * 1024 * 1024)

struct chunks_writer;

/* Start writing chunk files into dir (created). */
int chunks_writer_open(const char *dir, struct chunks_writer **out);
/* Write one chunk; *ref gets its reference. */
int chunks_writer_add(struct chunks_writer *w, uint8_t encoding, const uint8_t *data,
		      size_t len, uint64_t *ref);
/* Flush, fsync and close; 0 or the first error seen. */
int chunks_writer_close(struct chunks_writer *w);

struct chunks_reader;

/*
 * Map every file of dir.  With verify, every chunk's CRC is checked now
 * and a bad file fails the open with -EBADMSG (a log line says where).
 */
int chunks_reader_open(const char *dir, int verify, struct chunks_reader **out);
void chunks_reader_close(struct chunks_reader *r);
/* The chunk at ref: encoding and data (borrowed from the mapping). */
int chunks_reader_get(const struct chunks_reader *r, uint64_t ref, uint8_t *encoding,
		      const uint8_t **data, size_t *len);

#endif
