/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A block's index file, format v2 (Prometheus tsdb/docs/format/index.md).
 *
 *   magic 0xBAAAD700 <4b> | version 2 <1b>
 *   symbol table:   len <4b> | #symbols <4b> | { str <uvarint len, bytes> }... | CRC32
 *                   every label name and value, sorted, unique; a symbol
 *                   reference is the symbol's position in this list
 *   series:         16-byte aligned entries; a series ref is offset / 16:
 *                   len <uvarint> | #labels <uvarint> | { name ref, value ref
 *                   <uvarint> }... | #chunks <uvarint> | chunk metas | CRC32
 *                   first chunk: mint <varint>, maxt-mint <uvarint>, ref
 *                   <uvarint>; later: mint - previous maxt <uvarint>,
 *                   maxt-mint <uvarint>, ref - previous ref <varint>.
 *                   Series are sorted by label set.
 *   label indices:  per label name, 4-byte aligned: len <4b> | #names=1
 *                   <4b> | #entries <4b> | { value symbol ref <4b> }... | CRC32
 *   postings:       per name=value, 4-byte aligned (the first one is the
 *                   list of all series, key "" = ""): len <4b> | #entries
 *                   <4b> | { series ref <4b> }... | CRC32
 *   label offset table:    len <4b> | #entries <4b> | { 1 <uvarint>, name
 *                   <uvarint str>, offset <uvarint> }... | CRC32
 *   postings offset table: len <4b> | #entries <4b> | { 2 <uvarint>, name,
 *                   value <uvarint str>, offset <uvarint> }... | CRC32,
 *                   sorted by name then value
 *   TOC:            offsets <8b> of symbols, series, label indices, label
 *                   offset table, postings, postings offset table | CRC32
 *
 * Every CRC32 is CRC-32C over the bytes between the length and the CRC.
 *
 * An index reader maps the file read-only and is immutable after
 * index_open(), so any number of threads may use it at once.
 */
#ifndef VIGIL_TSDB_INDEX_H
#define VIGIL_TSDB_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "server/tsdb/labels.h"

#define INDEX_MAGIC 0xBAAAD700u

struct index_chunk_meta {
	int64_t mint, maxt;
	uint64_t ref;
};

/* One series to write: sorted labels and its chunks in time order. */
struct index_series_in {
	const struct tsdb_label *labels;
	size_t nlabels;
	const struct index_chunk_meta *chunks;
	size_t nchunks;
};

/*
 * Write an index of n series (sorted by label set) to path.  Returns 0 or a
 * negative errno; the file is fsynced.
 */
int index_write(const char *path, const struct index_series_in *series, size_t n);

struct index_reader;

/* Map and check path (TOC and symbol table CRCs). */
int index_open(const char *path, struct index_reader **out);
void index_close(struct index_reader *r);
/* Number of series. */
size_t index_num_series(const struct index_reader *r);
/*
 * Series refs of name=value (name "" and value "" for all series) as a
 * malloc'd sorted array; an absent pair gives n = 0.
 */
int index_postings(const struct index_reader *r, const char *name, const char *value,
		   uint64_t **ids, size_t *n);
/*
 * Series id: labels (one malloc'd block, free(*labels)) and chunk metas
 * (malloc'd).  -EBADMSG on a bad entry.
 */
int index_series(const struct index_reader *r, uint64_t id, struct tsdb_label **labels,
		 size_t *nlabels, struct index_chunk_meta **chunks, size_t *nchunks);
/* Sorted label names, or the values of name (malloc'd strings). */
int index_label_names(const struct index_reader *r, char ***names, size_t *n);
int index_label_values(const struct index_reader *r, const char *name, char ***vals,
		       size_t *n);

#endif
