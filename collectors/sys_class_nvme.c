// SPDX-License-Identifier: Apache-2.0
/*
 * nvme: NVMe controllers in /sys/class/nvme/<ctrl>: node_nvme_info labelled
 * by firmware_rev, model, serial, state and cntlid (each attribute must be
 * readable, or the collector fails; procfs also fails without cntlid,
 * here it is "", as 1.5 did not read it), and per namespace directory
 * (nvme<N>n<nsid>) node_nvme_namespace_info{nsid,ana_state} and the size,
 * used and capacity in bytes: the nuse and size block counts times
 * queue/logical_block_size, as procfs computes them (a count that is not a
 * number is 0; a missing file fails; ana_state defaults to "unknown").
 * No class directory is "no data".
 * Format: https://www.kernel.org/doc/html/latest/ABI/testing/sysfs-class-nvme
 * and drivers/nvme/host/sysfs.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

struct nvme_state {
	struct dir_list ctrls, entries;
};

/* The namespace id of an entry matching nvme\d+n(\d+) (anywhere), into id; 0 if none. */
static int nvme_nsid(const char *name, char *id, size_t size)
{
	for (const char *p = strstr(name, "nvme"); p; p = strstr(p + 1, "nvme")) {
		const char *q = p + 4;
		size_t d = strspn(q, "0123456789");
		if (!d || q[d] != 'n')
			continue;
		q += d + 1;
		d = strspn(q, "0123456789");
		if (!d || d >= size)
			continue;
		memcpy(id, q, d);
		id[d] = '\0';
		return 1;
	}
	return 0;
}

/* A block count as procfs reads it: 0 when not a whole decimal number. */
static int nvme_count(const char *dir, const char *name, uint64_t *out)
{
	char buf[SYSFS_ATTR_SIZE], *v;
	int rc = read_dir_attr(dir, name, buf, sizeof(buf), &v);
	if (rc)
		return log_err(rc, "nvme: failed to read file %s/%s", dir, name);
	if (parse_go_uint(v, 10, 64, out))
		*out = 0;
	return 0;
}

/* Namespaces and info of one controller. */
static int nvme_ctrl(struct nvme_state *st, const char *root, const char *ctrl,
		     struct expo_set *out)
{
	static const char *const attrs[5] = {"firmware_rev", "model", "serial", "state", "cntlid"};
	static const char *const labels[5] = {"firmware_revision", "model", "serial", "state",
					      "cntlid"};
	char dir[PATH_MAX], bufs[5][SYSFS_ATTR_SIZE];
	struct expo_label l[6];
	if (path_join(dir, root, ctrl))
		return -ENAMETOOLONG;
	l[0] = (struct expo_label){"device", ctrl};
	for (int i = 0; i < 5; i++) {
		char *v;
		int rc = read_dir_attr(dir, attrs[i], bufs[i], sizeof(bufs[i]), &v);
		if (rc == -ENOENT && i == 4) {
			/* no cntlid before Linux 4.8 (and in 1.5's fixtures): "" */
			bufs[i][0] = '\0';
			v = bufs[i];
			rc = 0;
		}
		if (rc)
			return log_err(rc, "nvme: failed to read file %s/%s", dir, attrs[i]);
		l[i + 1] = (struct expo_label){labels[i], v};
	}
	int rc = dir_list_read(&st->entries, dir, NULL);
	if (rc)
		return log_err(rc, "nvme: failed to list NVMe namespaces at %s", dir);
	/* check every namespace before reporting the controller, as procfs */
	struct ns {
		char id[32], ana[SYSFS_ATTR_SIZE];
		uint64_t used, size, lbs;
	} ns[64];
	size_t nns = 0;
	for (size_t i = 0; i < st->entries.n && nns < ARRAY_SIZE(ns); i++) {
		struct ns *n = &ns[nns];
		char nsdir[PATH_MAX], *ana;
		if (!nvme_nsid(st->entries.v[i], n->id, sizeof(n->id)))
			continue;
		if (path_join(nsdir, dir, st->entries.v[i]))
			return -ENAMETOOLONG;
		rc = nvme_count(nsdir, "nuse", &n->used);
		if (!rc)
			rc = nvme_count(nsdir, "size", &n->size);
		if (!rc)
			rc = nvme_count(nsdir, "queue/logical_block_size", &n->lbs);
		if (rc)
			return rc;
		if (read_dir_attr(nsdir, "ana_state", n->ana, sizeof(n->ana), &ana))
			snprintf(n->ana, sizeof(n->ana), "unknown");
		else
			memmove(n->ana, ana, strlen(ana) + 1);
		nns++;
	}
	expo_add(expo_family(out, "node_nvme_info",
			     "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
			     EXPO_GAUGE),
		 l, 6, 1);
	for (size_t i = 0; i < nns; i++) {
		const struct ns *n = &ns[i];
		expo_addl(expo_family(out, "node_nvme_namespace_info",
				      "Information about NVMe namespaces. Value is always 1", EXPO_GAUGE),
			  1, "device", ctrl, "nsid", n->id, "ana_state", n->ana, NULL);
		expo_addl(expo_family(out, "node_nvme_namespace_capacity_bytes",
				      "Capacity of the NVMe namespace in bytes. Computed as "
				      "namespace_size * namespace_logical_block_size",
				      EXPO_GAUGE),
			  (double)(n->size * n->lbs), "device", ctrl, "nsid", n->id, NULL);
		expo_addl(expo_family(out, "node_nvme_namespace_size_bytes",
				      "Size of the NVMe namespace in bytes. Available in "
				      "/sys/class/nvme/<device>/<namespace>/size",
				      EXPO_GAUGE),
			  (double)(n->size * n->lbs), "device", ctrl, "nsid", n->id, NULL);
		expo_addl(expo_family(out, "node_nvme_namespace_used_bytes",
				      "Used space of the NVMe namespace in bytes. Available in "
				      "/sys/class/nvme/<device>/<namespace>/nuse",
				      EXPO_GAUGE),
			  (double)(n->used * n->lbs), "device", ctrl, "nsid", n->id, NULL);
		expo_addl(expo_family(out, "node_nvme_namespace_logical_block_size_bytes",
				      "Logical block size of the NVMe namespace in bytes. Usually 4Kb. "
				      "Available in "
				      "/sys/class/nvme/<device>/<namespace>/queue/logical_block_size",
				      EXPO_GAUGE),
			  (double)n->lbs, "device", ctrl, "nsid", n->id, NULL);
	}
	return 0;
}

static int nvme_collect(void *state, struct expo_set *out)
{
	struct nvme_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "class/nvme");
	int rc = dir_list_read(&st->ctrls, root, NULL);
	if (rc == -ENOENT) {
		log_debug("nvme: statistics not found, skipping");
		return -ENODATA;
	}
	if (rc)
		return log_err(rc, "nvme: failed to list NVMe devices at %s", root);
	for (size_t i = 0; i < st->ctrls.n; i++) {
		rc = nvme_ctrl(st, root, st->ctrls.v[i], out);
		if (rc)
			return rc;
	}
	return 0;
}

static void nvme_cleanup(void *state)
{
	struct nvme_state *st = state;
	dir_list_free(&st->ctrls);
	dir_list_free(&st->entries);
}

const struct collector collector_nvme = {
	.name = "nvme",
	.default_on = true,
	.state_size = sizeof(struct nvme_state),
	.collect = nvme_collect,
	.cleanup = nvme_cleanup,
};
