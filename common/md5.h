/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MD5 (RFC 1321), for Prometheus's hashmod relabel action, which takes the
 * MD5 sum of the joined source label values.  Not for security.
 */
#ifndef VIGIL_COMMON_MD5_H
#define VIGIL_COMMON_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LEN 16

struct md5_ctx {
	uint32_t state[4];
	uint64_t total; /* bytes hashed so far */
	unsigned char block[64];
	size_t used; /* bytes waiting in block */
};

/* Start a new sum. */
void md5_init(struct md5_ctx *c);
/* Hash n more bytes. */
void md5_update(struct md5_ctx *c, const void *data, size_t n);
/* Finish and write the 16-byte digest. */
void md5_final(struct md5_ctx *c, unsigned char out[MD5_DIGEST_LEN]);
/* One-shot digest of data. */
void md5_sum(const void *data, size_t n, unsigned char out[MD5_DIGEST_LEN]);

#endif
