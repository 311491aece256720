// SPDX-License-Identifier: Apache-2.0
/*
 * entropy collector over generated /proc/sys/kernel/random trees: both
 * families, missing files, malformed values in any file, huge values, and
 * re-reading through the long-lived handles.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/buf.h"
#include "common/expo.h"
#include "harness.h"

extern const struct collector collector_entropy;

HARNESS_SUITE(entropy, "cpu", HARNESS_PROCFS | HARNESS_SYSFS);

Test(entropy, happy)
{
	harness_put("sys/kernel/random/entropy_avail", "1337\n");
	harness_put("sys/kernel/random/poolsize", " 4096 \n");
	harness_put("sys/kernel/random/urandom_min_reseed_secs", "60\n");
	harness_assert_scrape(&collector_entropy, 0,
			      "# HELP node_entropy_available_bits Bits of available entropy.\n"
			      "# TYPE node_entropy_available_bits gauge\n"
			      "node_entropy_available_bits 1337\n"
			      "# HELP node_entropy_pool_size_bits Bits of entropy pool.\n"
			      "# TYPE node_entropy_pool_size_bits gauge\n"
			      "node_entropy_pool_size_bits 4096\n");
}

/* poolsize missing: the available bits are still served, the collector fails. */
Test(entropy, missing)
{
	struct buf out = BUF_INIT;
	cr_assert_eq(harness_scrape(&collector_entropy, NULL, &out), -ENOENT);
	harness_put("sys/kernel/random/entropy_avail", "256\n");
	cr_assert_eq(harness_scrape(&collector_entropy, NULL, &out), -ENOENT);
	assert_has(&out, "node_entropy_available_bits 256");
	assert_lacks(&out, "node_entropy_pool_size_bits");
	buf_free(&out);
}

/* A malformed value in any of the files fails, as procfs's KernelRandom does. */
Test(entropy, garbage)
{
	struct buf out = BUF_INIT;
	harness_put("sys/kernel/random/entropy_avail", "256\n");
	harness_put("sys/kernel/random/poolsize", "256\n");
	static const char *const bad[] = {
		"", "-1\n", "12 13\n", "1\n2\n", "18446744073709551616\n", "0x10\n"};
	harness_assert_rejects(&collector_entropy, "sys/kernel/random/read_wakeup_threshold", bad,
			       ARRAY_SIZE(bad), -EINVAL);
	harness_put("sys/kernel/random/read_wakeup_threshold", "18446744073709551615\n");
	harness_put("sys/kernel/random/poolsize", "18446744073709551615\n");
	cr_assert_eq(harness_scrape(&collector_entropy, NULL, &out), 0);
	assert_has(&out, "node_entropy_pool_size_bits 1.8446744073709552e+19");
	buf_free(&out);
}

/* The handles stay open: a changing value is re-read each scrape. */
Test(entropy, reread)
{
	struct buf out = BUF_INIT;
	void *st = calloc(1, collector_entropy.state_size);
	harness_put("sys/kernel/random/entropy_avail", "1\n");
	harness_put("sys/kernel/random/poolsize", "256\n");
	cr_assert_eq(harness_scrape(&collector_entropy, st, &out), 0);
	assert_has(&out, "node_entropy_available_bits 1");
	harness_put("sys/kernel/random/entropy_avail", "22\n");
	cr_assert_eq(harness_scrape(&collector_entropy, st, &out), 0);
	assert_has(&out, "node_entropy_available_bits 22");
	collector_entropy.cleanup(st);
	free(st);
	buf_free(&out);
}
