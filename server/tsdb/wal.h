/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The write-ahead log, in Prometheus's layout (tsdb/wlog) so a data
 * directory stays interchangeable.
 *
 * Directory: <db>/wal/ holds segments named by an 8-digit index
 * (00000000, 00000001, ...), each at most 128 MiB, and checkpoints
 * checkpoint.NNNNNNNN/ (a directory of segments of the same format) that
 * summarise every segment up to and including NNNNNNNN.
 *
 * A segment is a sequence of 32 KiB pages.  A record is split into
 * fragments that never cross a page:
 *
 *   type <1b> | length <2b BE> | CRC32C of the data <4b BE> | data
 *
 * type (low 3 bits): 1 full, 2 first, 3 middle, 4 last; 0 means "the rest
 * of this page is zero padding".  Bit 3 (0x08) marks a snappy-compressed
 * record (the whole record is compressed, then fragmented).  When fewer than
 * 7 bytes are left in a page, they are zero and the next fragment starts on
 * the next page.  A record never crosses a segment: a record that does not
 * fit in the rest of the segment starts a new one; a finished segment is
 * zero-padded to a whole page and fsynced.  We write uncompressed records
 * and read both.
 *
 * Record payloads (tsdb/record), first byte the record type:
 *
 *   series (1):     { ref <8b> #labels <uvarint> { name <uvarint str>
 *                     value <uvarint str> }... }...
 *   samples (2):    first ref <8b>, first ts <8b>, then per sample:
 *                     ref - first ref <varint>, ts - first ts <varint>,
 *                     value bits <8b>
 *   tombstones (3): { ref <8b> mint <varint> maxt <varint> }...
 *
 * Other types (exemplars, mmap markers, metadata, histograms) are skipped
 * on replay.
 *
 * Durability: wal_log() returns after write(2) of all fragments, so an
 * acknowledged sample survives a crash of the process; like Prometheus we
 * fsync a segment when it is closed and a checkpoint when it is written,
 * not on every record (a power loss can lose the unsynced tail).
 *
 * Concurrency: a struct wal is shared by all appenders; wal_log() takes the
 * WAL mutex for the duration of one record.  Readers are single-threaded.
 */
#ifndef VIGIL_TSDB_WAL_H
#define VIGIL_TSDB_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/tsdb/encoding.h"
#include "server/tsdb/labels.h"

#define WAL_PAGE_SIZE 32768
#define WAL_SEGMENT_SIZE (128u * 1024 * 1024)
#define WAL_HEADER_SIZE 7

enum wal_rec_type {
	WAL_REC_SERIES = 1,
	WAL_REC_SAMPLES = 2,
	WAL_REC_TOMBSTONES = 3,
};

/* ---- record encoding ---- */

struct wal_sample {
	uint64_t ref;
	int64_t t;
	double v;
};

struct wal_stone {
	uint64_t ref;
	int64_t mint, maxt;
};

/* Start a series record in b (reset first). */
void walrec_series_begin(struct tbuf *b);
/* Add one series to a series record. */
void walrec_series_add(struct tbuf *b, uint64_t ref, const struct tsdb_label *ls, size_t n);
/* Encode a samples record (n >= 1) into b (appended). */
void walrec_samples(struct tbuf *b, const struct wal_sample *s, size_t n);
/* Encode a tombstones record into b (appended). */
void walrec_tombstones(struct tbuf *b, const struct wal_stone *s, size_t n);

/* Callbacks for walrec_decode(); return 0 to go on, negative to stop. */
struct walrec_handler {
	void *ctx;
	/* labels are NUL-terminated, sorted as written, valid during the call */
	int (*series)(void *ctx, uint64_t ref, const struct tsdb_label *ls, size_t n);
	int (*samples)(void *ctx, const struct wal_sample *s, size_t n);
	int (*tombstones)(void *ctx, const struct wal_stone *s, size_t n);
};

/* Scratch space reused across walrec_decode() calls. */
struct walrec_scratch {
	struct tbuf strings;
	struct wal_sample *samples;
	size_t samples_cap;
	struct wal_stone *stones;
	size_t stones_cap;
};

void walrec_scratch_free(struct walrec_scratch *s);
/*
 * Decode one record and call the matching handler; unknown types are
 * skipped.  Returns 0, -EBADMSG on a malformed record, -ENOMEM, or what a
 * handler returned.
 */
int walrec_decode(const uint8_t *rec, size_t n, const struct walrec_handler *h,
		  struct walrec_scratch *scratch);

/* ---- segments ---- */

/*
 * First and last segment index in dir (-1, -1 when there are none);
 * 0 or a negative errno.
 */
int wal_segment_range(const char *dir, int *first, int *last);
/* Latest checkpoint in wal_dir: its index in *idx (-1 when none) and path. */
int wal_last_checkpoint(const char *wal_dir, int *idx, char *path, size_t pathlen);

/* ---- reading ---- */

struct wal_reader;

/* Read segments first..last of dir (one segment at a time). */
int wal_reader_open(const char *dir, int first, int last, struct wal_reader **out);
/*
 * The next record: 1 with *rec and *n set (valid until the next call), 0 at the
 * end, or a negative errno on corruption; then wal_reader_position() tells
 * where the last good record ended.
 */
int wal_reader_next(struct wal_reader *r, const uint8_t **rec, size_t *n);
/* Segment and byte offset just after the last complete good record. */
void wal_reader_position(const struct wal_reader *r, int *segment, uint64_t *offset);
/* A one-line description of the last error. */
const char *wal_reader_error(const struct wal_reader *r);
void wal_reader_close(struct wal_reader *r);

/*
 * Repair dir after a corruption at (segment, offset): truncate that
 * segment there and delete every later segment.  Logs what it dropped.
 */
int wal_repair(const char *dir, int segment, uint64_t offset);

/* ---- writing ---- */

struct wal;

/*
 * Open dir for appending (created if missing): a new segment after the
 * last existing one, as Prometheus does.  0 or a negative errno.
 */
int wal_open(const char *dir, struct wal **out);
/* Append one record (thread-safe); returns after write(2). */
int wal_log(struct wal *w, const uint8_t *rec, size_t n);
/*
 * Close the active segment (padded, fsynced) and start the next one;
 * *closed gets the index of the closed segment.
 */
int wal_cut_segment(struct wal *w, int *closed);
/* Change the segment size (a multiple of the page size; tests). */
void wal_set_segment_size(struct wal *w, uint32_t bytes);
/* Index of the segment being written. */
int wal_current_segment(struct wal *w);
/* The WAL directory. */
const char *wal_dir(const struct wal *w);
/* Delete segments with index < before. */
int wal_truncate_before(struct wal *w, int before);
/* fsync and close. */
void wal_close(struct wal *w);
/* Bytes written and records logged since open (self metrics). */
void wal_stats(struct wal *w, uint64_t *bytes, uint64_t *records, uint64_t *fsyncs);

#endif
