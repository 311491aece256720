// SPDX-License-Identifier: Apache-2.0
/*
 * filefd: node_filefd_allocated and node_filefd_maximum from
 * /proc/sys/fs/file-nr, one line of three tab-separated numbers: allocated
 * file handles, free allocated handles (always 0 since Linux 2.6), and the
 * maximum (fs.file-max).  As node_exporter does, the content is trimmed and
 * split at tabs; fewer than three fields or a value that is not a number
 * fails the collector.
 * Format: https://www.kernel.org/doc/html/latest/admin-guide/sysctl/fs.html#file-max-file-nr
 */
#include <errno.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "collectors/proc_stat_common.h"
#include "common/pfile.h"

struct filefd_state {
	struct pfile *pf;
};

static int filefd_collect(void *state, struct expo_set *out)
{
	struct filefd_state *st = state;
	if (!st->pf) {
		char path[PATH_MAX];
		/* no word separators: the one line is split at tabs below */
		st->pf = pfile_open(proc_path(path, "sys/fs/file-nr"), "");
		if (!st->pf)
			return -errno;
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;

	/* join the lines back (TrimSpace only removes the outer blanks) */
	char text[256];
	size_t n = 0;
	for (size_t l = 0; l < pfile_lines(st->pf); l++) {
		const char *line = pfile_words(st->pf, l) ? pfile_word(st->pf, l, 0) : "";
		size_t len = strlen(line);
		if (n + len + 2 > sizeof(text))
			return -EINVAL;
		if (l)
			text[n++] = '\n';
		memcpy(text + n, line, len);
		n += len;
	}
	text[n] = '\0';
	char *p = trim_space(text);

	char *fields[3];
	size_t nf = 0;
	for (char *tab; nf < 3; p = tab + 1) {
		fields[nf++] = p;
		tab = strchr(p, '\t');
		if (!tab)
			break;
		*tab = '\0';
	}
	if (nf < 3)
		return -EINVAL;
	/* the third field runs to the next tab, if any */
	char *tab = strchr(fields[2], '\t');
	if (tab)
		*tab = '\0';

	double allocated, maximum;
	if (parse_go_float(fields[0], strlen(fields[0]), &allocated) ||
	    parse_go_float(fields[2], strlen(fields[2]), &maximum))
		return -EINVAL;
	expo_add(expo_family(out, "node_filefd_allocated", "File descriptor statistics: allocated.",
			     EXPO_GAUGE),
		 NULL, 0, allocated);
	expo_add(expo_family(out, "node_filefd_maximum", "File descriptor statistics: maximum.",
			     EXPO_GAUGE),
		 NULL, 0, maximum);
	return 0;
}

static void filefd_cleanup(void *state)
{
	struct filefd_state *st = state;
	pfile_close(st->pf);
}

const struct collector collector_filefd = {
	.name = "filefd",
	.default_on = true,
	.state_size = sizeof(struct filefd_state),
	.collect = filefd_collect,
	.cleanup = filefd_cleanup,
};
