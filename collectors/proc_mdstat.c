// SPDX-License-Identifier: Apache-2.0
/*
 * mdadm: Linux software RAID.  From /proc/mdstat, per array: node_md_state
 * (active, inactive, recovering, resync, check), node_md_disks (active,
 * failed, spare), node_md_disks_required, node_md_blocks and
 * node_md_blocks_synced.  From /sys/block/md*\/md: node_md_raid_disks and
 * node_md_degraded.
 *
 * /proc/mdstat: a "Personalities : [raid1] ..." line, then per array a
 * device line "md0 : active raid1 sdb1[1] sda1[0](F)", a status line
 * "1234 blocks super 1.2 [2/1] [U_]", maybe a "bitmap:" line, and a sync
 * line ("[=>...]  recovery =  8.5% (16775552/195310144) finish=17.0min
 * speed=259783K/sec", "resync=DELAYED"...).  It is checked as procfs does:
 * a malformed array fails the collector; raid0 and linear arrays count
 * their members ("[" on the device line) as total and active.  The sysfs
 * attributes (level, array_state, metadata_version, raid_disks, uuid,
 * dev-*\/state, chunk_size, degraded, sync_action, sync_completed) must be
 * readable for the array's level.  No /proc/mdstat, or a missing sysfs
 * attribute, is "no data".
 * Format: https://raid.wiki.kernel.org/index.php/Mdstat and
 * https://www.kernel.org/doc/html/latest/admin-guide/md.html
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"

/* Compiled by setup, read-only while scrapes run. */
static struct vregex *md_status_re, *md_blocks_re, *md_pct_re, *md_finish_re, *md_speed_re;

struct mdadm_state {
	struct buf text;
	struct dir_list blocks, devs;
};

/* One array of /proc/mdstat. */
struct md_array {
	const char *name, *state;
	int64_t active, total, failed, spare, size, synced;
};

static int mdadm_setup(char *errbuf, size_t errlen)
{
	static const char *const pats[5] = {
		"(\\d+) blocks .*\\[(\\d+)/(\\d+)\\] \\[([U_]+)\\]",
		"\\((\\d+/\\d+)\\)",
		"= (.+)%",
		"finish=(.+)min",
		"speed=(.+)[A-Z]",
	};
	struct vregex **res[5] = {&md_status_re, &md_blocks_re, &md_pct_re, &md_finish_re,
				  &md_speed_re};
	for (int i = 0; i < 5; i++) {
		vregex_free(*res[i]);
		*res[i] = vregex_compile(pats[i], false, errbuf, errlen);
		if (!*res[i])
			return -EINVAL;
	}
	return 0;
}

static size_t md_count(const char *s, const char *sub)
{
	size_t n = 0;
	for (const char *p = strstr(s, sub); p; p = strstr(p + strlen(sub), sub))
		n++;
	return n;
}

/* Group g of a match of re in s, copied into out; -EINVAL when no match. */
static int md_group(const struct vregex *re, const char *s, size_t g, char *out, size_t size)
{
	size_t ov[10];
	if (vregex_exec(re, s, strlen(s), ov, 5) < 0 || ov[2 * g] == VREGEX_UNSET)
		return -EINVAL;
	size_t len = ov[2 * g + 1] - ov[2 * g];
	if (len >= size)
		return -EINVAL;
	memcpy(out, s + ov[2 * g], len);
	out[len] = '\0';
	return 0;
}

/* The sync line: blocks synced; the rest is only checked. */
static int md_recovery_line(const char *line, int64_t *synced)
{
	char g[128], *slash;
	int64_t to_sync;
	double f;
	if (md_group(md_blocks_re, line, 1, g, sizeof(g)))
		return -EINVAL;
	slash = strchr(g, '/');
	*slash = '\0';
	if (parse_go_int(g, 10, 64, synced) || parse_go_int(slash + 1, 10, 64, &to_sync))
		return -EINVAL;
	if (md_group(md_pct_re, line, 1, g, sizeof(g)))
		return -EINVAL;
	char *t = trim_space(g);
	if (parse_go_float(t, strlen(t), &f))
		return -EINVAL;
	if (md_group(md_finish_re, line, 1, g, sizeof(g)) || parse_go_float(g, strlen(g), &f))
		return -EINVAL;
	if (md_group(md_speed_re, line, 1, g, sizeof(g)) || parse_go_float(g, strlen(g), &f))
		return -EINVAL;
	return 0;
}

/* Members "name[index](flags)": an index must fit an int32. */
static int md_check_members(char *const *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		const char *open = NULL;
		for (const char *p = strchr(f[i], '['); p; p = strchr(p + 1, '[')) {
			size_t d = strspn(p + 1, "0123456789");
			if (d && p[1 + d] == ']')
				open = p;
		}
		if (!open)
			continue;
		char num[32];
		size_t d = strspn(open + 1, "0123456789");
		int64_t v;
		if (d >= sizeof(num))
			return -ERANGE;
		memcpy(num, open + 1, d);
		num[d] = '\0';
		if (parse_go_int(num, 10, 32, &v))
			return -ERANGE;
	}
	return 0;
}

/* Whether w is a personality of the Personalities line (and no member). */
static bool md_is_type(const char *w, char *const *types, size_t ntypes)
{
	if (strpbrk(w, "(["))
		return false;
	for (size_t i = 0; i < ntypes; i++)
		if (strcmp(types[i], w) == 0)
			return true;
	return false;
}

#define MD_MAX_FIELDS 256
#define MD_MAX_TYPES 32

/* Split line (a copy) at blanks into f; the count. */
static size_t md_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *w = strtok_r(line, " \t\r\v\f", &save); w && n < max;
	     w = strtok_r(NULL, " \t\r\v\f", &save))
		f[n++] = w;
	return n;
}

static void md_emit(struct expo_set *out, const struct md_array *a)
{
	static const char *const states[5][2] = {
		{"active", "active"},	    {"inactive", "inactive"}, {"recovering", "recovering"},
		{"resync", "resyncing"}, {"check", "checking"},
	};
	expo_addl(expo_family(out, "node_md_disks_required", "Total number of disks of device.",
			      EXPO_GAUGE),
		  (double)a->total, "device", a->name, NULL);
	struct expo_family *disks = expo_family(
		out, "node_md_disks", "Number of active/failed/spare disks of device.", EXPO_GAUGE);
	expo_addl(disks, (double)a->active, "device", a->name, "state", "active", NULL);
	expo_addl(disks, (double)a->failed, "device", a->name, "state", "failed", NULL);
	expo_addl(disks, (double)a->spare, "device", a->name, "state", "spare", NULL);
	struct expo_family *st =
		expo_family(out, "node_md_state", "Indicates the state of md-device.", EXPO_GAUGE);
	for (int i = 0; i < 5; i++)
		expo_addl(st, strcmp(a->state, states[i][1]) == 0 ? 1 : 0, "device", a->name,
			  "state", states[i][0], NULL);
	expo_addl(expo_family(out, "node_md_blocks", "Total number of blocks on device.",
			      EXPO_GAUGE),
		  (double)a->size, "device", a->name, NULL);
	expo_addl(expo_family(out, "node_md_blocks_synced", "Number of blocks synced on device.",
			      EXPO_GAUGE),
		  (double)a->synced, "device", a->name, NULL);
}

/* Parse the NUL-terminated lines of /proc/mdstat and report each array. */
static int md_parse(char **lines, size_t nlines, struct expo_set *out)
{
	char *types[MD_MAX_TYPES];
	size_t ntypes = 0;
	char copy[4096], tcopy[4096];
	for (size_t i = 0; i < nlines; i++) {
		const char *line = lines[i];
		snprintf(copy, sizeof(copy), "%s", line);
		if (!*trim_space(copy) || line[0] == ' ' || strncmp(line, "unused", 6) == 0)
			continue;
		if (ntypes == 0 && strncmp(line, "Personalities : ", 16) == 0) {
			snprintf(tcopy, sizeof(tcopy), "%s", line + 16);
			char *w[MD_MAX_TYPES];
			size_t nw = md_fields(tcopy, w, MD_MAX_TYPES);
			for (size_t k = 0; k < nw; k++) {
				size_t len = strlen(w[k]);
				if (len < 2)
					return -EINVAL; /* procfs would panic */
				w[k][len - 1] = '\0';
				types[ntypes++] = w[k] + 1;
			}
			continue;
		}
		char *f[MD_MAX_FIELDS];
		snprintf(copy, sizeof(copy), "%s", line);
		size_t nf = md_fields(copy, f, MD_MAX_FIELDS);
		if (nf < 3)
			return log_err(-EINVAL, "mdadm: expected 3+ fields, got %s", line);
		struct md_array a = {.name = f[0], .state = f[2]};
		size_t start = 0;
		if (nf > 3 && md_is_type(f[3], types, ntypes))
			start = 4;
		else if (nf > 4 && md_is_type(f[4], types, ntypes))
			start = 5;
		if (nlines <= i + 3)
			return log_err(-EINVAL, "mdadm: too few lines for md device %s", a.name);
		a.failed = (int64_t)md_count(line, "(F)");
		a.spare = (int64_t)md_count(line, "(S)");

		/* the status line */
		char sl[1024], *sf[2];
		snprintf(sl, sizeof(sl), "%s", lines[i + 1]);
		if (md_fields(sl, sf, 1) < 1 || parse_go_int(sf[0], 10, 64, &a.size))
			return log_err(-EINVAL, "mdadm: unexpected status line %s", lines[i + 1]);
		if (strstr(line, "raid0") || strstr(line, "linear")) {
			a.total = a.active = (int64_t)md_count(line, "[");
		} else if (!strstr(line, "inactive")) {
			char g[32];
			if (md_group(md_status_re, lines[i + 1], 2, g, sizeof(g)) ||
			    parse_go_int(g, 10, 64, &a.total) ||
			    md_group(md_status_re, lines[i + 1], 3, g, sizeof(g)) ||
			    parse_go_int(g, 10, 64, &a.active))
				return log_err(-EINVAL, "mdadm: unexpected status line %s",
					       lines[i + 1]);
		}

		size_t sync = i + 2;
		if (strstr(lines[i + 2], "bitmap"))
			sync++;
		const char *sline = lines[sync];
		a.synced = a.size;
		bool recovering = strstr(sline, "recovery"), reshaping = strstr(sline, "reshape"),
		     resyncing = strstr(sline, "resync"), checking = strstr(sline, "check");
		if (recovering || resyncing || checking || reshaping) {
			a.state = recovering  ? "recovering"
				  : reshaping ? "reshaping"
				  : checking  ? "checking"
					      : "resyncing";
			if (strstr(sline, "PENDING") || strstr(sline, "DELAYED"))
				a.synced = 0;
			else if (md_recovery_line(sline, &a.synced))
				return log_err(-EINVAL, "mdadm: cannot parse sync line of %s: %s",
					       a.name, sline);
		}
		if (md_check_members(f + start, nf - start))
			return log_err(-ERANGE, "mdadm: bad member index in %s", a.name);
		md_emit(out, &a);
	}
	return 0;
}

/* Read attribute name of dir as SysReadFile; the trimmed value in buf. */
static int md_attr(const char *dir, const char *name, char *buf, char **v)
{
	return read_dir_attr(dir, name, buf, SYSFS_ATTR_SIZE, v);
}

static bool md_is_md(const char *name)
{
	return strncmp(name, "md", 2) == 0;
}

static bool md_is_dev(const char *name)
{
	return strncmp(name, "dev-", 4) == 0;
}

static bool md_level_in(const char *level, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(level, *list) == 0)
			return true;
	return false;
}

/* One array's sysfs directory: its families, or a negative errno. */
static int md_sysfs_array(struct mdadm_state *st, const char *dev, const char *dir,
			  struct expo_set *out)
{
	static const char *const chunked[] = {"raid0", "raid4", "raid5", "raid6", "raid10", NULL};
	static const char *const redundant[] = {"raid1", "raid4", "raid5", "raid6", "raid10", NULL};
	char level[SYSFS_ATTR_SIZE], buf[SYSFS_ATTR_SIZE], path[PATH_MAX], *lv, *v;
	int rc = md_attr(dir, "level", level, &lv);
	if (!rc)
		rc = md_attr(dir, "array_state", buf, &v);
	if (!rc)
		rc = md_attr(dir, "metadata_version", buf, &v);
	if (rc)
		return rc;
	bool has_disks = false;
	uint64_t disks = 0;
	if (*lv && strcmp(lv, "container") && strcmp(lv, "imsm") && strcmp(lv, "ddf")) {
		char text[256];
		if (path_join(path, dir, "raid_disks"))
			return -ENAMETOOLONG;
		rc = read_small_file(path, text, sizeof(text));
		if (rc < 0)
			return rc;
		char *c = trim_space(text), *sp;
		if (*c && !parse_go_uint(c, 10, 64, &disks)) {
			has_disks = true;
		} else if (*c && (sp = strchr(c, ' ')) && sp > c) {
			*sp = '\0';
			has_disks = !parse_go_uint(c, 10, 64, &disks);
		}
	}
	rc = md_attr(dir, "uuid", buf, &v);
	if (rc)
		return rc;
	rc = dir_list_read(&st->devs, dir, md_is_dev);
	if (rc && rc != -ENOENT)
		return rc;
	for (size_t i = 0; i < st->devs.n; i++) {
		if (path_join(path, dir, st->devs.v[i]))
			return -ENAMETOOLONG;
		rc = md_attr(path, "state", buf, &v);
		if (rc)
			return rc;
	}
	uint64_t degraded = 0, chunk;
	if (md_level_in(lv, chunked)) {
		if (path_join(path, dir, "chunk_size"))
			return -ENAMETOOLONG;
		rc = read_u64_file(path, &chunk);
		if (rc)
			return rc;
	}
	if (md_level_in(lv, redundant)) {
		if (path_join(path, dir, "degraded"))
			return -ENAMETOOLONG;
		rc = read_u64_file(path, &degraded);
		if (!rc)
			rc = md_attr(dir, "sync_action", buf, &v);
		if (!rc)
			rc = md_attr(dir, "sync_completed", buf, &v);
		if (rc)
			return rc;
		uint64_t a, b;
		if (strcmp(v, "none") != 0 && sscanf(v, "%" SCNu64 " / %" SCNu64, &a, &b) != 2)
			return -EINVAL;
	}
	if (has_disks)
		expo_addl(expo_family(out, "node_md_raid_disks", "Number of raid disks on device.",
				      EXPO_GAUGE),
			  (double)disks, "device", dev, NULL);
	expo_addl(expo_family(out, "node_md_degraded", "Number of degraded disks on device.",
			      EXPO_GAUGE),
		  (double)degraded, "device", dev, NULL);
	return 0;
}

static int mdadm_collect(void *state, struct expo_set *out)
{
	struct mdadm_state *st = state;
	char path[PATH_MAX];
	if (!md_status_re)
		return -EINVAL; /* setup did not run */
	int rc = read_file_buf(proc_path(path, "mdstat"), &st->text);
	if (rc == -ENOENT) {
		log_debug("mdadm: not collecting mdstat, file does not exist\tfile=%s", path);
		return -ENODATA;
	}
	if (rc)
		return log_err(rc, "mdadm: read %s", path);

	/* split into lines as strings.Split(data, "\n") */
	size_t nlines = 1;
	for (size_t i = 0; i < st->text.len; i++)
		nlines += st->text.data[i] == '\n';
	char **lines = xcalloc(nlines, sizeof(*lines));
	size_t n = 0;
	lines[n++] = st->text.data;
	for (size_t i = 0; i < st->text.len; i++)
		if (st->text.data[i] == '\n') {
			st->text.data[i] = '\0';
			lines[n++] = st->text.data + i + 1;
		}
	rc = md_parse(lines, nlines, out);
	free(lines);
	if (rc)
		return rc;

	char blocks[PATH_MAX];
	sys_path(blocks, "block");
	rc = dir_list_read(&st->blocks, blocks, md_is_md);
	if (rc)
		return 0; /* no block directory: Glob finds nothing */
	for (size_t i = 0; i < st->blocks.n; i++) {
		char dir[PATH_MAX], md[PATH_MAX];
		struct stat sb;
		if (path_join(dir, blocks, st->blocks.v[i]) || path_join(md, dir, "md") ||
		    lstat(md, &sb))
			continue;
		rc = md_sysfs_array(st, st->blocks.v[i], md, out);
		if (rc == -ENOENT) {
			log_debug("mdadm: not collecting mdraids, file does not exist\tdir=%s", md);
			return -ENODATA;
		}
		if (rc)
			return log_err(rc, "mdadm: error parsing mdraids in %s", md);
	}
	return 0;
}

static void mdadm_cleanup(void *state)
{
	struct mdadm_state *st = state;
	buf_free(&st->text);
	dir_list_free(&st->blocks);
	dir_list_free(&st->devs);
}

const struct collector collector_mdadm = {
	.name = "mdadm",
	.default_on = true,
	.state_size = sizeof(struct mdadm_state),
	.setup = mdadm_setup,
	.collect = mdadm_collect,
	.cleanup = mdadm_cleanup,
};
