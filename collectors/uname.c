// SPDX-License-Identifier: Apache-2.0
/*
 * uname: node_uname_info, a constant 1 labelled with the fields of the
 * uname(2) system call (sysname, release, version, machine, nodename,
 * domainname), as node_exporter reports them.  The values describe the
 * running kernel; --path.* do not apply.
 * Documentation: https://man7.org/linux/man-pages/man2/uname.2.html
 */
#include <errno.h>
#include <sys/utsname.h>

#include "collectors/collector.h"

static int uname_collect(void *state, struct expo_set *out)
{
	(void)state;
	struct utsname u;
	if (uname(&u) < 0)
		return -errno;
	expo_addl(expo_family(out, "node_uname_info",
			      "Labeled system information as provided by the uname system call.",
			      EXPO_GAUGE),
		  1, "sysname", u.sysname, "release", u.release, "version", u.version, "machine",
		  u.machine, "nodename", u.nodename, "domainname", u.domainname, NULL);
	return 0;
}

const struct collector collector_uname = {
	.name = "uname",
	.default_on = true,
	.collect = uname_collect,
};
