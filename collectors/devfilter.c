// SPDX-License-Identifier: Apache-2.0
/* The include/exclude device filter of node_exporter's collectors; see devfilter.h. */
#include "collectors/devfilter.h"

#include <errno.h>
#include <stdio.h>

#include "common/log.h"
#include "common/strutil.h"

void devfilter_free(struct devfilter *f)
{
	vregex_free(f->include);
	vregex_free(f->exclude);
	f->include = f->exclude = NULL;
}

/* Compile one pattern of flag into *re; 0 or -EINVAL with errbuf. */
static int compile_one(struct vregex **re, const char *pattern, const char *flag,
		       const char *logfmt, const struct devfilter_opts *o, char *errbuf,
		       size_t errlen)
{
	char err[256];
	if (!pattern || !*pattern)
		return 0;
	*re = vregex_compile(pattern, false, err, sizeof(err));
	if (!*re) {
		if (o->prefix_errors)
			snprintf(errbuf, errlen, "--%s: %s", flag, err);
		else
			snprintf(errbuf, errlen, "%s", err);
		return -EINVAL;
	}
	if (o->log_parsed)
		log_info(logfmt, flag, pattern);
	return 0;
}

int devfilter_setup(struct devfilter *f, const char *include, const char *exclude,
		    const struct devfilter_opts *o, char *errbuf, size_t errlen)
{
	devfilter_free(f);
	if (o->conflict && include && *include && exclude && *exclude) {
		snprintf(errbuf, errlen, "%s", o->conflict);
		return -EINVAL;
	}
	/* node_exporter spells the two log lines differently */
	int rc = compile_one(&f->include, include, o->include_flag, "Parsed Flag --%s\tflag=%s", o,
			     errbuf, errlen);
	if (rc == 0)
		rc = compile_one(&f->exclude, exclude, o->exclude_flag, "Parsed flag --%s\tflag=%s",
				 o, errbuf, errlen);
	if (rc)
		devfilter_free(f);
	return rc;
}

bool devfilter_ignored(const struct devfilter *f, const char *name)
{
	return (f->exclude && vregex_match(f->exclude, name)) ||
	       (f->include && !vregex_match(f->include, name));
}
