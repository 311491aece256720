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

#include "collectors/classdir.h"
#include "collectors/collector.h"
#include "common/log.h"
#include "common/pfile.h"

struct nvme_state {
	struct classdir cd; /* the controllers */
	struct dir_list entries;
};

/* What the per-controller callback of a scrape works on. */
struct nvme_scrape {
	struct nvme_state *st;
	struct expo_set *out;
};

/* The values of a namespace that its size families report. */
enum nvme_ns_value { NVME_NS_SIZE_BYTES, NVME_NS_USED_BYTES, NVME_NS_BLOCK_SIZE, NVME_NS_NVALUES };

/* The families of a namespace beside node_nvme_namespace_info. */
static const struct nvme_ns_family {
	const char *name, *help;
	enum nvme_ns_value value;
} nvme_ns_families[] = {
	{"node_nvme_namespace_capacity_bytes",
	 "Capacity of the NVMe namespace in bytes. Computed as namespace_size * "
	 "namespace_logical_block_size",
	 NVME_NS_SIZE_BYTES},
	{"node_nvme_namespace_size_bytes",
	 "Size of the NVMe namespace in bytes. Available in "
	 "/sys/class/nvme/<device>/<namespace>/size",
	 NVME_NS_SIZE_BYTES},
	{"node_nvme_namespace_used_bytes",
	 "Used space of the NVMe namespace in bytes. Available in "
	 "/sys/class/nvme/<device>/<namespace>/nuse",
	 NVME_NS_USED_BYTES},
	{"node_nvme_namespace_logical_block_size_bytes",
	 "Logical block size of the NVMe namespace in bytes. Usually 4Kb. Available in "
	 "/sys/class/nvme/<device>/<namespace>/queue/logical_block_size",
	 NVME_NS_BLOCK_SIZE},
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

/* Controller i of the class directory, at dir: info and namespaces. */
static int nvme_ctrl(void *ctx, size_t i, const char *dir)
{
	static const char *const attrs[5] = {"firmware_rev", "model", "serial", "state", "cntlid"};
	static const char *const labels[5] = {"firmware_revision", "model", "serial", "state",
					      "cntlid"};
	const struct nvme_scrape *sc = ctx;
	struct nvme_state *st = sc->st;
	struct expo_set *out = sc->out;
	const char *ctrl = st->cd.devices.v[i];
	char bufs[5][SYSFS_ATTR_SIZE];
	struct expo_label l[6];
	l[0] = (struct expo_label){"device", ctrl};
	for (int a = 0; a < 5; a++) {
		char *v;
		int rc = read_dir_attr(dir, attrs[a], bufs[a], sizeof(bufs[a]), &v);
		if (rc == -ENOENT && a == 4) {
			/* no cntlid before Linux 4.8 (and in 1.5's fixtures): "" */
			bufs[a][0] = '\0';
			v = bufs[a];
			rc = 0;
		}
		if (rc)
			return log_err(rc, "nvme: failed to read file %s/%s", dir, attrs[a]);
		l[a + 1] = (struct expo_label){labels[a], v};
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
	for (size_t e = 0; e < st->entries.n && nns < ARRAY_SIZE(ns); e++) {
		struct ns *n = &ns[nns];
		char nsdir[PATH_MAX], *ana;
		if (!nvme_nsid(st->entries.v[e], n->id, sizeof(n->id)))
			continue;
		if (path_join(nsdir, dir, st->entries.v[e]))
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
	for (size_t k = 0; k < nns; k++) {
		const struct ns *n = &ns[k];
		const double v[NVME_NS_NVALUES] = {
			[NVME_NS_SIZE_BYTES] = (double)(n->size * n->lbs),
			[NVME_NS_USED_BYTES] = (double)(n->used * n->lbs),
			[NVME_NS_BLOCK_SIZE] = (double)n->lbs,
		};
		expo_addl(expo_family(out, "node_nvme_namespace_info",
				      "Information about NVMe namespaces. Value is always 1",
				      EXPO_GAUGE),
			  1, "device", ctrl, "nsid", n->id, "ana_state", n->ana, NULL);
		for (size_t f = 0; f < ARRAY_SIZE(nvme_ns_families); f++) {
			const struct nvme_ns_family *fam = &nvme_ns_families[f];
			expo_addl(expo_family(out, fam->name, fam->help, EXPO_GAUGE), v[fam->value],
				  "device", ctrl, "nsid", n->id, NULL);
		}
	}
	return 0;
}

static int nvme_collect(void *state, struct expo_set *out)
{
	struct nvme_state *st = state;
	struct nvme_scrape ctx = {st, out};
	int rc = classdir_list(&st->cd, "nvme");
	if (rc == -ENOENT) {
		log_debug("nvme: statistics not found, skipping");
		return -ENODATA;
	}
	if (rc)
		return log_err(rc, "nvme: failed to list NVMe devices at %s", st->cd.root);
	return classdir_each(&st->cd, NULL, nvme_ctrl, &ctx);
}

static void nvme_cleanup(void *state)
{
	struct nvme_state *st = state;
	classdir_free(&st->cd);
	dir_list_free(&st->entries);
}

const struct collector collector_nvme = {
	.name = "nvme",
	.default_on = true,
	.state_size = sizeof(struct nvme_state),
	.collect = nvme_collect,
	.cleanup = nvme_cleanup,
};
