// SPDX-License-Identifier: Apache-2.0
/*
 * meminfo: node_memory_<Field>[_bytes] from /proc/meminfo, one gauge per
 * line, as node_exporter names them: "Active(anon)" becomes "Active_anon",
 * values in kB are multiplied by 1024 and get the _bytes suffix, unitless
 * ones (HugePages_Total) keep the bare name.
 * Format: https://www.kernel.org/doc/html/latest/filesystems/proc.html#meminfo
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/pfile.h"
#include "common/strutil.h"

struct meminfo_state {
	struct pfile *pf;
};

static int meminfo_collect(void *state, struct expo_set *out)
{
	struct meminfo_state *st = state;
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "meminfo"), " \t:");
		if (!st->pf)
			return -errno;
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;

	size_t found = 0;
	for (size_t l = 0; l < pfile_lines(st->pf); l++) {
		size_t nw = pfile_words(st->pf, l);
		if (nw < 2)
			continue;
		const char *key = pfile_word(st->pf, l, 0);
		const char *num = pfile_word(st->pf, l, 1), *end;
		double v = (double)str2u64(num, &end);
		if (end == num || *end)
			continue;
		bool kb = nw >= 3 && strcmp(pfile_word(st->pf, l, 2), "kB") == 0;
		if (kb)
			v *= 1024;

		char name[160], help[200];
		size_t n = str_concat(name, sizeof(name), "node_memory_", NULL);
		for (const char *k = key; *k && n < sizeof(name) - 8; k++) {
			if (*k == '(')
				name[n++] = '_';
			else if (*k != ')')
				name[n++] = *k;
		}
		name[n] = '\0';
		if (kb)
			strcat(name, "_bytes");
		str_concat(help, sizeof(help), "Memory information field ", name + 12, ".", NULL);
		expo_add(expo_family(out, name, help, EXPO_GAUGE), NULL, 0, v);
		found++;
	}
	return found ? 0 : -EINVAL;
}

static void meminfo_cleanup(void *state)
{
	struct meminfo_state *st = state;
	pfile_close(st->pf);
}

const struct collector collector_meminfo = {
	.name = "meminfo",
	.default_on = true,
	.state_size = sizeof(struct meminfo_state),
	.collect = meminfo_collect,
	.cleanup = meminfo_cleanup,
};
