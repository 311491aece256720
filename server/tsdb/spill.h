/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Spill files for closed head chunks, so that the head keeps only the chunk
 * being appended to in memory (Prometheus keeps its closed head chunks in
 * memory-mapped chunks_head/ files for the same reason).
 *
 * The spill is a cache, not a source of truth: the WAL is.  Its files live
 * in <db>/chunks_spill/ (a name Prometheus ignores), are named by a decimal
 * id, hold raw chunk bytes back to back with no header, and are all deleted
 * when the DB opens or closes.  A file is cut every 64 MiB and deleted once
 * every chunk in it has been released (head truncation drops chunks in time
 * order, so old files empty out).
 *
 * Thread-safe: one mutex guards the file table and the write position;
 * reads use pread(2) on a descriptor that stays open while any chunk of the
 * file is live (the caller holds the chunk, under its series lock).
 */
#ifndef VIGIL_TSDB_SPILL_H
#define VIGIL_TSDB_SPILL_H

#include <stdint.h>

#define SPILL_FILE_SIZE (64u * 1024 * 1024)

struct spill;

/* Create (or empty) dir and start the first file. */
int spill_open(const char *dir, struct spill **out);
/* Delete every file and free s. */
void spill_close(struct spill *s);
/* Store len bytes; *file and *off say where. */
int spill_write(struct spill *s, const uint8_t *b, uint32_t len, uint32_t *file, uint64_t *off);
/* Read back len bytes stored at (file, off) into out. */
int spill_read(struct spill *s, uint32_t file, uint64_t off, uint8_t *out, uint32_t len);
/* One chunk of file is no longer needed. */
void spill_release(struct spill *s, uint32_t file);
/* Bytes currently held in spill files (for retention by size). */
uint64_t spill_bytes(struct spill *s);

#endif
