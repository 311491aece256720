// SPDX-License-Identifier: Apache-2.0
/*
 * selinux collector over a generated tree standing for the host's /sys,
 * /proc and /etc: enabled with both modes, the kernel context, no
 * selinuxfs, a mount found through mountinfo, unreadable modes.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>

#include "collectors/collector.h"
#include "common/buf.h"
#include "harness.h"

extern const struct collector collector_selinux;
bool selinux_probe(const char *root, bool check_magic);

HARNESS_SUITE(selinux, "selinux", 0);

Test(selinux, enforcing)
{
	struct buf out = BUF_INIT;
	harness_put("sys/fs/selinux/enforce", "1");
	harness_put("proc/thread-self/attr/current", "system_u:system_r:init_t:s0\n");
	harness_put("etc/selinux/config", "# comment\n; other\n\nSELINUXTYPE=targeted\n"
					  " SELINUX = \"permissive\" \n");
	cr_assert(selinux_probe(harness_root, false));
	cr_assert_eq(harness_scrape(&collector_selinux, NULL, &out), 0);
	cr_assert_str_eq(out.data, "# HELP node_selinux_config_mode Configured SELinux enforcement mode\n"
				   "# TYPE node_selinux_config_mode gauge\n"
				   "node_selinux_config_mode 0\n"
				   "# HELP node_selinux_current_mode Current SELinux enforcement mode\n"
				   "# TYPE node_selinux_current_mode gauge\n"
				   "node_selinux_current_mode 1\n"
				   "# HELP node_selinux_enabled SELinux is enabled, 1 is true, 0 is false\n"
				   "# TYPE node_selinux_enabled gauge\n"
				   "node_selinux_enabled 1\n");
	/* enforcing in the config; an enforce file with a newline is not a number to Atoi */
	harness_put("etc/selinux/config", "SELINUX=enforcing\n");
	harness_put("sys/fs/selinux/enforce", "0\n");
	cr_assert_eq(harness_scrape(&collector_selinux, NULL, &out), 0);
	assert_has(&out, "node_selinux_config_mode 1");
	assert_has(&out, "node_selinux_current_mode -1");
	/* no config, no enforce file */
	harness_rm("etc/selinux/config");
	harness_rm("sys/fs/selinux/enforce");
	cr_assert_eq(harness_scrape(&collector_selinux, NULL, &out), 0);
	assert_has(&out, "node_selinux_config_mode -1");
	assert_has(&out, "node_selinux_current_mode -1");
	buf_free(&out);
}

Test(selinux, kernel_context_is_off)
{
	struct buf out = BUF_INIT;
	harness_put("sys/fs/selinux/enforce", "1");
	harness_put("proc/thread-self/attr/current", "kernel\n");
	cr_assert_not(selinux_probe(harness_root, false));
	cr_assert_eq(harness_scrape(&collector_selinux, NULL, &out), 0);
	cr_assert_str_eq(out.data, "# HELP node_selinux_enabled SELinux is enabled, 1 is true, 0 is false\n"
				   "# TYPE node_selinux_enabled gauge\n"
				   "node_selinux_enabled 0\n");
	buf_free(&out);
}

Test(selinux, mountinfo)
{
	struct buf out = BUF_INIT;
	char line[1024], dir[PATH_MAX];
	harness_put("other/enforce", "1");
	harness_put("proc/filesystems", "nodev\tsysfs\nnodev\tselinuxfs\n");
	snprintf(line, sizeof(line),
		 "22 1 0:21 / /sys rw - sysfs sysfs rw\n"
		 "23 22 0:22 / %s rw,relatime - selinuxfs selinuxfs rw\n",
		 harness_path(dir, "other"));
	harness_put("proc/self/mountinfo", line);
	cr_assert(selinux_probe(harness_root, false));
	cr_assert_eq(harness_scrape(&collector_selinux, NULL, &out), 0);
	assert_has(&out, "node_selinux_current_mode 1");
	/* selinuxfs not in /proc/filesystems: the mounts are not looked at */
	harness_put("proc/filesystems", "nodev\tsysfs\n");
	cr_assert_not(selinux_probe(harness_root, false));
	buf_free(&out);
}

Test(selinux, host)
{
	/* with the selinuxfs magic checked, a plain directory is no selinuxfs */
	harness_put("sys/fs/selinux/enforce", "1");
	cr_assert_not(selinux_probe(harness_root, true));
}
