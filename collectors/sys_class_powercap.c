// SPDX-License-Identifier: Apache-2.0
/*
 * rapl: the energy counters of Intel/AMD RAPL zones in /sys/class/powercap,
 * node_rapl_<zone>_joules_total{index,path} (or, with
 * --collector.rapl.enable-zone-label, node_rapl_joules_total with a
 * rapl_zone label).  Each powercap entry with a readable "name" file is a
 * zone: a name "package-0" is zone "package" index 0, other names count
 * up per name from 0.  max_energy_range_uj must be an unsigned integer for
 * every zone; energy_uj (microjoules, root-only on recent kernels) is
 * divided by 1e6.  A missing or unreadable class directory, a missing
 * max_energy_range_uj and an unreadable energy_uj are "no data", as in
 * node_exporter; other errors fail the collector.
 * Format: https://www.kernel.org/doc/html/latest/power/powercap/powercap.html
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

static bool rapl_zone_label;

static const struct flag_def rapl_flags[] = {
	{"collector.rapl.enable-zone-label", FLAG_BOOL, &rapl_zone_label, "false",
	 "Enables service unit metric unit_start_time_seconds", NULL, NULL},
};

/* One zone of a scrape. */
struct rapl_zone {
	char name[128];
	int index;
	char path[PATH_MAX];
};

struct rapl_state {
	struct dir_list dirs;
	struct rapl_zone *zones;
	size_t cap;
};

/*
 * node_exporter's SanitizeMetricName: every run of bytes outside
 * [0-9A-Za-z_], with the underscores around it, becomes one '_'.
 */
static void rapl_sanitize(const char *s, char *out, size_t size)
{
#define RAPL_OK(c) ((c) == '_' || ((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || \
		    ((c) >= 'A' && (c) <= 'Z'))
	size_t n = 0;
	while (*s && n + 1 < size) {
		const char *p = s;
		while (*p == '_')
			p++;
		if (*p && !RAPL_OK((unsigned char)*p)) {
			while (*p && !RAPL_OK((unsigned char)*p))
				p++;
			while (*p == '_')
				p++;
			out[n++] = '_';
			s = p;
			continue;
		}
		out[n++] = *s++;
	}
	out[n] = '\0';
#undef RAPL_OK
}

/* Count of earlier zones called name: the next free index (getIndexAndName). */
static int rapl_next_index(const struct rapl_zone *z, size_t n, const char *name)
{
	/* the map keeps the index after the last use of a name */
	int next = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(z[i].name, name) == 0)
			next = z[i].index + 1;
	return next;
}

/* "name-<int>" gives name and the index (strconv.Atoi); 0 when it does not. */
static int rapl_split_name(char *name, int *index)
{
	char *dash = strchr(name, '-');
	int64_t v;
	if (!dash || strchr(dash + 1, '-'))
		return 0;
	if (parse_go_int(dash + 1, 10, 64, &v) || v < INT32_MIN || v > INT32_MAX)
		return 0;
	*dash = '\0';
	*index = (int)v;
	return 1;
}

/* The zones of the class directory root into st->zones; their count or a negative errno. */
static int rapl_zones(struct rapl_state *st, const char *root)
{
	int rc = dir_list_read(&st->dirs, root, NULL);
	if (rc)
		return rc;
	if (st->dirs.n > st->cap) {
		st->zones = xrealloc(st->zones, st->dirs.n * sizeof(*st->zones));
		st->cap = st->dirs.n;
	}
	size_t n = 0;
	for (size_t i = 0; i < st->dirs.n; i++) {
		struct rapl_zone *z = &st->zones[n];
		char file[PATH_MAX], text[256];
		if (path_join(z->path, root, st->dirs.v[i]) || path_join(file, z->path, "name"))
			continue;
		if (read_small_file(file, text, sizeof(text)) < 0)
			continue;
		char *name = trim_space(text);
		int index;
		if (!rapl_split_name(name, &index))
			index = rapl_next_index(st->zones, n, name);
		snprintf(z->name, sizeof(z->name), "%s", name);
		z->index = index;
		uint64_t max;
		if (path_join(file, z->path, "max_energy_range_uj"))
			return -ENAMETOOLONG;
		rc = read_u64_file(file, &max);
		if (rc)
			return log_err(rc, "rapl: %s", file);
		n++;
	}
	return (int)n;
}

static int rapl_collect(void *state, struct expo_set *out)
{
	struct rapl_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "class/powercap");
	int nz = rapl_zones(st, root);
	if (nz == -ENOENT || nz == -EACCES || nz == -EPERM) {
		log_debug("rapl: platform doesn't have powercap files present or they cannot be "
			  "accessed\tpath=%s",
			  root);
		return -ENODATA;
	}
	if (nz < 0)
		return log_err(nz, "rapl: failed to retrieve rapl stats");
	for (int i = 0; i < nz; i++) {
		const struct rapl_zone *z = &st->zones[i];
		char file[PATH_MAX], index[16];
		uint64_t uj;
		if (path_join(file, z->path, "energy_uj"))
			return -ENAMETOOLONG;
		int rc = read_u64_file(file, &uj);
		if (rc == -EACCES || rc == -EPERM) {
			log_debug("rapl: can't access energy_uj file\tpath=%s", file);
			return -ENODATA;
		}
		if (rc)
			return log_err(rc, "rapl: %s", file);
		snprintf(index, sizeof(index), "%d", z->index);
		double joules = (double)uj / 1000000.0;
		if (rapl_zone_label) {
			expo_addl(expo_family(out, "node_rapl_joules_total", "Current RAPL value in joules",
					      EXPO_COUNTER),
				  joules, "index", index, "path", z->path, "rapl_zone", z->name, NULL);
			continue;
		}
		char clean[128], name[192], help[192];
		rapl_sanitize(z->name, clean, sizeof(clean));
		snprintf(name, sizeof(name), "node_rapl_%s_joules_total", clean);
		snprintf(help, sizeof(help), "Current RAPL %s value in joules", z->name);
		expo_addl(expo_family(out, name, help, EXPO_COUNTER), joules, "index", index, "path",
			  z->path, NULL);
	}
	return 0;
}

static void rapl_cleanup(void *state)
{
	struct rapl_state *st = state;
	dir_list_free(&st->dirs);
	free(st->zones);
}

const struct collector collector_rapl = {
	.name = "rapl",
	.default_on = true,
	.state_size = sizeof(struct rapl_state),
	.flags = rapl_flags,
	.nflags = ARRAY_SIZE(rapl_flags),
	.collect = rapl_collect,
	.cleanup = rapl_cleanup,
};
