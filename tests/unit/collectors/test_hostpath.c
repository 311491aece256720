// SPDX-License-Identifier: Apache-2.0
/*
 * The host path builders: root joined with one '/', %s copied by hand, any
 * other conversion (and the arguments after it) left to vsnprintf, output
 * cut at PATH_MAX like snprintf's.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "collectors/hostpath.h"

Test(hostpath, formats)
{
	char out[PATH_MAX];
	struct host_roots saved = host_roots;
	host_roots.sysfs = "/fixture/sys/";
	host_roots.procfs = "/fixture/proc";
	cr_assert_str_eq(sys_path(out, "class/net/%s/%s", "eth0", "mtu"),
			 "/fixture/sys/class/net/eth0/mtu");
	cr_assert_str_eq(proc_path(out, "%s", ""), "/fixture/proc/");
	cr_assert_str_eq(proc_path(out, "self/%s/%d/x%%y", "task", 42),
			 "/fixture/proc/self/task/42/x%y");
	cr_assert_str_eq(proc_path(out, "%d/%s/%lu", 1, "fd", 7UL), "/fixture/proc/1/fd/7");
	cr_assert_str_eq(proc_path(out, "100%%"), "/fixture/proc/100%");

	char longname[PATH_MAX * 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	sys_path(out, "%s", longname);
	cr_assert_eq(strlen(out), PATH_MAX - 1, "cut like snprintf");
	sys_path(out, "x/%s/%d", longname, 5);
	cr_assert_eq(strlen(out), PATH_MAX - 1);
	host_roots = saved;
}
