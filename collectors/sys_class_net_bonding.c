// SPDX-License-Identifier: Apache-2.0
/*
 * bonding: node_bonding_slaves and node_bonding_active per bonding master.
 * /sys/class/net/bonding_masters lists the masters (blank-separated),
 * <master>/bonding/slaves their slaves, and each slave's MII status is in
 * <master>/lower_<slave>/bonding_slave/mii_status (older kernels:
 * slave_<slave>/...); a slave is active when that reads "up".  Any file
 * missing is "no data" (no bonding driver loaded), other read errors fail
 * the collector; nothing is reported until every master was read.
 * Format: https://www.kernel.org/doc/html/latest/networking/bonding.html
 * (section "Configuring Bonding Manually via Sysfs")
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"

struct bonding_state {
	struct buf masters, slaves, status;
	int (*counts)[2]; /* per master: slaves, active */
	size_t cap;
};

#define BOND_BLANKS " \t\n\r\v\f"

/* printf into path (PATH_MAX bytes); -ENAMETOOLONG when it does not fit. */
static int __attribute__((format(printf, 2, 3))) bonding_path(char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(path, PATH_MAX, fmt, ap);
	va_end(ap);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Slaves and active slaves of one master. */
static int bonding_master(struct bonding_state *st, const char *root, const char *master,
			  int counts[2])
{
	char path[PATH_MAX];
	int rc = bonding_path(path, "%s/%s/bonding/slaves", root, master);
	if (!rc)
		rc = read_file_buf(path, &st->slaves);
	if (rc)
		return rc;
	counts[0] = counts[1] = 0;
	char *save = NULL;
	for (char *s = strtok_r(st->slaves.data, BOND_BLANKS, &save); s;
	     s = strtok_r(NULL, BOND_BLANKS, &save)) {
		rc = bonding_path(path, "%s/%s/lower_%s/bonding_slave/mii_status", root, master, s);
		if (!rc)
			rc = read_file_buf(path, &st->status);
		if (rc == -ENOENT) {
			rc = bonding_path(path, "%s/%s/slave_%s/bonding_slave/mii_status", root, master,
					  s);
			if (!rc)
				rc = read_file_buf(path, &st->status);
		}
		if (rc)
			return rc;
		counts[0]++;
		if (strcmp(trim_space(st->status.data), "up") == 0)
			counts[1]++;
	}
	return 0;
}

static int bonding_collect(void *state, struct expo_set *out)
{
	struct bonding_state *st = state;
	char root[PATH_MAX], path[PATH_MAX];
	sys_path(root, "class/net");
	path_join(path, root, "bonding_masters");
	int rc = read_file_buf(path, &st->masters);
	if (rc == -ENOENT) {
		log_debug("bonding: not collecting bonding, file does not exist\tfile=%s", path);
		return -ENODATA;
	}
	if (rc)
		return log_err(rc, "bonding: read %s", path);

	char *names[256];
	size_t n = 0;
	char *save = NULL;
	for (char *m = strtok_r(st->masters.data, BOND_BLANKS, &save); m && n < ARRAY_SIZE(names);
	     m = strtok_r(NULL, BOND_BLANKS, &save))
		names[n++] = m;
	if (n > st->cap) {
		st->counts = xrealloc(st->counts, n * sizeof(*st->counts));
		st->cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		rc = bonding_master(st, root, names[i], st->counts[i]);
		if (rc == -ENOENT) {
			log_debug("bonding: not collecting bonding, a file of %s does not exist",
				  names[i]);
			return -ENODATA;
		}
		if (rc)
			return log_err(rc, "bonding: master %s", names[i]);
	}
	struct expo_family *slaves = expo_family(
		out, "node_bonding_slaves", "Number of configured slaves per bonding interface.",
		EXPO_GAUGE);
	struct expo_family *active = expo_family(
		out, "node_bonding_active", "Number of active slaves per bonding interface.", EXPO_GAUGE);
	for (size_t i = 0; i < n; i++) {
		expo_addl(slaves, st->counts[i][0], "master", names[i], NULL);
		expo_addl(active, st->counts[i][1], "master", names[i], NULL);
	}
	return 0;
}

static void bonding_cleanup(void *state)
{
	struct bonding_state *st = state;
	buf_free(&st->masters);
	buf_free(&st->slaves);
	buf_free(&st->status);
	free(st->counts);
}

const struct collector collector_bonding = {
	.name = "bonding",
	.default_on = true,
	.state_size = sizeof(struct bonding_state),
	.collect = bonding_collect,
	.cleanup = bonding_cleanup,
};
