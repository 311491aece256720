/* SPDX-License-Identifier: Apache-2.0 */
/*
 * node_exporter's device filter (collector/device_filter.go semantics): an
 * optional include and an optional exclude regex, unanchored; a name is
 * ignored when the exclude pattern matches it or the include pattern does
 * not.  Collectors (arp, netdev, diskstats, hwmon chips and sensors) build
 * one in their setup() from their flags, so a bad pattern stops the agent
 * with exit code 2 and the message the setup returns.  A filter is
 * read-only once scrapes run.
 */
#ifndef VIGIL_COLLECTORS_DEVFILTER_H
#define VIGIL_COLLECTORS_DEVFILTER_H

#include <stdbool.h>
#include <stddef.h>

struct vregex;

struct devfilter {
	struct vregex *include, *exclude; /* NULL: not set */
};

/* How devfilter_setup() reports on the flags. */
struct devfilter_opts {
	const char *include_flag, *exclude_flag; /* "collector.netdev.device-include" ... */
	const char *conflict;			 /* error when both are set; NULL: allowed */
	bool prefix_errors;			 /* a bad regex reads "--<flag>: <error>" */
	bool log_parsed; /* log "Parsed flag" at info level, as node_exporter */
};

/*
 * Compile f from the include and exclude patterns (NULL or "": not set),
 * freeing what f held.  Returns 0, or -EINVAL with the reason in errbuf
 * (f then holds nothing).
 */
int devfilter_setup(struct devfilter *f, const char *include, const char *exclude,
		    const struct devfilter_opts *o, char *errbuf, size_t errlen);
/* Whether name is filtered out. */
bool devfilter_ignored(const struct devfilter *f, const char *name);
void devfilter_free(struct devfilter *f);

#endif
