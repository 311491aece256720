// SPDX-License-Identifier: Apache-2.0
/*
 * entropy: node_entropy_available_bits and node_entropy_pool_size_bits from
 * /proc/sys/kernel/random/{entropy_avail,poolsize}, one unsigned integer
 * per file.  Like node_exporter (prometheus/procfs KernelRandom), the other
 * files of that directory (urandom_min_reseed_secs, write_wakeup_threshold,
 * read_wakeup_threshold) are read too and a malformed one fails the
 * collector; a missing one is skipped, except entropy_avail and poolsize.
 * Format: https://www.kernel.org/doc/html/latest/admin-guide/sysctl/kernel.html#random
 */
#include <errno.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/pfile.h"

enum { RANDOM_AVAIL, RANDOM_POOLSIZE, RANDOM_NFILES = 5 };

static const char *const random_files[RANDOM_NFILES] = {
	"entropy_avail",	 "poolsize", "urandom_min_reseed_secs", "write_wakeup_threshold",
	"read_wakeup_threshold",
};

struct entropy_state {
	struct pfile *pf[RANDOM_NFILES];
};

/*
 * A file holding one unsigned integer, as procfs's ReadUintFromFile reads
 * it (surrounding blanks trimmed, then the whole rest must be the number).
 */
static int entropy_read_uint(struct pfile *pf, uint64_t *out)
{
	int rc = pfile_read(pf);
	if (rc)
		return rc;
	const char *word = NULL;
	for (size_t l = 0; l < pfile_lines(pf); l++) {
		size_t nw = pfile_words(pf, l);
		if (nw > 1 || (nw == 1 && word))
			return -EINVAL;
		if (nw == 1)
			word = pfile_word(pf, l, 0);
	}
	return word && parse_go_uint(word, 10, 64, out) == 0 ? 0 : -EINVAL;
}

static int entropy_collect(void *state, struct expo_set *out)
{
	struct entropy_state *st = state;
	uint64_t v[RANDOM_NFILES];
	bool have[RANDOM_NFILES] = {false};

	for (size_t i = 0; i < RANDOM_NFILES; i++) {
		if (!st->pf[i]) {
			char path[PATH_MAX];
			st->pf[i] =
				pfile_open(proc_path(path, "sys/kernel/random/%s", random_files[i]),
					   " \t\r\v\f");
			if (!st->pf[i]) {
				if (errno == ENOENT)
					continue;
				return -errno;
			}
		}
		int rc = entropy_read_uint(st->pf[i], &v[i]);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		have[i] = true;
	}
	if (!have[RANDOM_AVAIL])
		return -ENOENT;
	expo_add(expo_family(out, "node_entropy_available_bits", "Bits of available entropy.",
			     EXPO_GAUGE),
		 NULL, 0, (double)v[RANDOM_AVAIL]);
	if (!have[RANDOM_POOLSIZE])
		return -ENOENT;
	expo_add(expo_family(out, "node_entropy_pool_size_bits", "Bits of entropy pool.",
			     EXPO_GAUGE),
		 NULL, 0, (double)v[RANDOM_POOLSIZE]);
	return 0;
}

static void entropy_cleanup(void *state)
{
	struct entropy_state *st = state;
	for (size_t i = 0; i < RANDOM_NFILES; i++)
		pfile_close(st->pf[i]);
}

const struct collector collector_entropy = {
	.name = "entropy",
	.default_on = true,
	.state_size = sizeof(struct entropy_state),
	.collect = entropy_collect,
	.cleanup = entropy_cleanup,
};
