// SPDX-License-Identifier: Apache-2.0
/*
 * loadavg: node_load1, node_load5, node_load15 from /proc/loadavg.
 * Format: https://www.kernel.org/doc/html/latest/filesystems/proc.html
 * ("loadavg": three load averages, running/total tasks, last pid).
 */
#include <errno.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

struct loadavg_state {
	struct pfile *pf;
};

static int loadavg_collect(void *state, struct expo_set *out)
{
	struct loadavg_state *st = state;
	static const char *const names[] = { "node_load1", "node_load5", "node_load15" };
	static const char *const helps[] = { "1m load average.", "5m load average.",
					     "15m load average." };
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "loadavg"), NULL);
		if (!st->pf)
			return -errno;
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;
	if (pfile_words(st->pf, 0) < 3)
		return -EINVAL;
	double v[3];
	for (int i = 0; i < 3; i++) {
		const char *w = pfile_word(st->pf, 0, (size_t)i), *end;
		v[i] = str2d(w, &end);
		if (end == w)
			return -EINVAL;
	}
	for (int i = 0; i < 3; i++)
		expo_add(expo_family(out, names[i], helps[i], EXPO_GAUGE), NULL, 0, v[i]);
	return 0;
}

static void loadavg_cleanup(void *state)
{
	struct loadavg_state *st = state;
	pfile_close(st->pf);
}

const struct collector collector_loadavg = {
	.name = "loadavg",
	.default_on = true,
	.state_size = sizeof(struct loadavg_state),
	.collect = loadavg_collect,
	.cleanup = loadavg_cleanup,
};
