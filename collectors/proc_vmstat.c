// SPDX-License-Identifier: Apache-2.0
/*
 * vmstat: node_vmstat_<field> from /proc/vmstat, one untyped sample per
 * "<name> <value>" line whose name matches --collector.vmstat.fields
 * (unanchored, as Go's MatchString), with node_exporter's HELP text
 * "/proc/vmstat information field <name>.".  As node_exporter, every line's
 * value must parse (a bad one fails the collector), matching or not.
 *
 * The regex verdict of each line is remembered with the line's name, so in
 * the steady state (the kernel prints the same names in the same order) a
 * line costs one string compare instead of a regex match.
 * Format: https://www.kernel.org/doc/html/latest/admin-guide/mm/index.html
 * (the fields are listed in include/linux/vm_event_item.h and mmzone.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"

#define VMSTAT_DEFAULT_FIELDS "^(oom_kill|pgpg|pswp|pg.*fault).*"

static char *vmstat_fields;
static struct vregex *vmstat_re;

static const struct flag_def vmstat_flags[] = {
	{"collector.vmstat.fields", FLAG_STRING, &vmstat_fields, VMSTAT_DEFAULT_FIELDS,
	 "Regexp of fields to return for vmstat collector.", NULL, NULL},
};

struct vmstat_state {
	struct pfile *pf;
	struct line_verdicts wanted; /* per line index, from earlier scrapes */
};

static int vmstat_setup(char *errbuf, size_t errlen)
{
	vregex_free(vmstat_re);
	vmstat_re = vregex_compile(vmstat_fields ? vmstat_fields : VMSTAT_DEFAULT_FIELDS, false,
				   errbuf, errlen);
	return vmstat_re ? 0 : -EINVAL;
}

/* Whether line l called name is wanted, from the cache when it still holds that name. */
static bool vmstat_wanted(struct vmstat_state *st, size_t l, const char *name)
{
	int want = line_verdict_get(&st->wanted, l, name);
	if (want < 0) {
		want = vregex_match(vmstat_re, name);
		line_verdict_put(&st->wanted, l, name, want);
	}
	return want;
}

static int vmstat_collect(void *state, struct expo_set *out)
{
	struct vmstat_state *st = state;
	if (!vmstat_re) /* setup() did not run */
		return -EINVAL;
	if (!st->pf) {
		char path[PATH_MAX];
		st->pf = pfile_open(proc_path(path, "vmstat"), NULL);
		if (!st->pf)
			return -errno;
	}
	int rc = pfile_read(st->pf);
	if (rc)
		return rc;

	for (size_t l = 0; l < pfile_lines(st->pf); l++) {
		size_t nw = pfile_words(st->pf, l);
		if (nw == 0)
			continue;
		const char *name = pfile_word(st->pf, l, 0);
		const char *num = pfile_word(st->pf, l, 1);
		double v;
		if (nw < 2 || parse_go_float(num, strlen(num), &v))
			return log_err(-EINVAL, "vmstat: bad line %zu in %s", l + 1,
				       pfile_path(st->pf));
		if (!vmstat_wanted(st, l, name))
			continue;
		char fam[160], help[200];
		str_concat(fam, sizeof(fam), "node_vmstat_", name, NULL);
		str_concat(help, sizeof(help), "/proc/vmstat information field ", name, ".", NULL);
		expo_add(expo_family(out, fam, help, EXPO_UNTYPED), NULL, 0, v);
	}
	return 0;
}

static void vmstat_cleanup(void *state)
{
	struct vmstat_state *st = state;
	pfile_close(st->pf);
	line_verdicts_free(&st->wanted);
}

const struct collector collector_vmstat = {
	.name = "vmstat",
	.default_on = true,
	.state_size = sizeof(struct vmstat_state),
	.flags = vmstat_flags,
	.nflags = ARRAY_SIZE(vmstat_flags),
	.setup = vmstat_setup,
	.collect = vmstat_collect,
	.cleanup = vmstat_cleanup,
};
