// SPDX-License-Identifier: Apache-2.0
/*
 * edac: memory error counters of the EDAC memory controllers in
 * /sys/devices/system/edac/mc/mc<N>: ce_count/ue_count per controller,
 * ce_noinfo_count/ue_noinfo_count as csrow "unknown", ce_count/ue_count
 * per csrow<M>, and ch<K>_ce_count/ch<K>_ue_count per channel labelled by
 * its ch<K>_dimm_label ("#" removed, "csrow" and "channel" prefixed with
 * "_"; "unknown" when unreadable).  Every counter must be one unsigned
 * integer except a channel's ue_count, which may be missing.  No EDAC
 * controllers is success with nothing, as in node_exporter.
 * Format: https://www.kernel.org/doc/html/latest/admin-guide/ras.html
 * (section "EDAC - Error Detection And Correction", sysfs interface)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/log.h"
#include "common/pfile.h"

struct edac_state {
	struct dir_list mcs, rows, files;
};

/* Entries called <prefix><digit>... (Go's Glob "<prefix>[0-9]*"). */
static bool edac_is_mc(const char *n)
{
	return strncmp(n, "mc", 2) == 0 && n[2] >= '0' && n[2] <= '9';
}

static bool edac_is_csrow(const char *n)
{
	return strncmp(n, "csrow", 5) == 0 && n[5] >= '0' && n[5] <= '9';
}

/* Glob "ch*_ce_count". */
static bool edac_is_ch(const char *n)
{
	size_t len = strlen(n);
	return len >= 11 && strncmp(n, "ch", 2) == 0 && strcmp(n + len - 9, "_ce_count") == 0;
}

/* The decimal digits right after prefix in name, into out. */
static void edac_number(const char *name, size_t prefix, char *out, size_t size)
{
	size_t d = strspn(name + prefix, "0123456789");
	if (d >= size)
		d = size - 1;
	memcpy(out, name + prefix, d);
	out[d] = '\0';
}

/* Read dir/name as one unsigned integer. */
static int edac_read(const char *dir, const char *name, uint64_t *v)
{
	char path[PATH_MAX];
	if (path_join(path, dir, name))
		return -ENAMETOOLONG;
	int rc = read_u64_file(path, v);
	if (rc)
		return log_err(rc, "edac: couldn't get %s", path);
	return 0;
}

/* Replace every old in s (size bytes) by new. */
static void edac_replace(char *s, size_t size, const char *old, const char *new_)
{
	char tmp[512];
	size_t n = 0, lo = strlen(old), ln = strlen(new_);
	for (const char *p = s; *p && n + 1 < sizeof(tmp);) {
		if (lo && strncmp(p, old, lo) == 0 && n + ln + 1 < sizeof(tmp)) {
			memcpy(tmp + n, new_, ln);
			n += ln;
			p += lo;
		} else {
			tmp[n++] = *p++;
		}
	}
	if (n >= size)
		n = size - 1;
	memcpy(s, tmp, n);
	s[n] = '\0';
}

/* The DIMM label of channel ch of csrow directory row. */
static void edac_dimm_label(const char *row, const char *ch, char *out, size_t size)
{
	char path[PATH_MAX], name[64], text[256];
	snprintf(name, sizeof(name), "ch%s_dimm_label", ch);
	if (path_join(path, row, name) || read_small_file(path, text, sizeof(text)) < 0) {
		snprintf(out, size, "unknown");
		return;
	}
	snprintf(out, size, "%s", trim_space(text));
	edac_replace(out, size, "#", "");
	edac_replace(out, size, "csrow", "_csrow");
	edac_replace(out, size, "channel", "_channel");
}

/* The channels of one csrow. */
static int edac_channels(struct edac_state *st, const char *row, const char *mc, const char *cs,
			 struct expo_set *out)
{
	int rc = dir_list_read(&st->files, row, edac_is_ch);
	if (rc)
		return 0; /* Glob ignores I/O errors */
	for (size_t i = 0; i < st->files.n; i++) {
		const char *f = st->files.v[i];
		/* ch([0-9]+)_ce_count, first match in the name */
		const char *p = f;
		char ch[32] = "";
		for (; (p = strstr(p, "ch")); p++) {
			size_t d = strspn(p + 2, "0123456789");
			if (d && d < sizeof(ch) && strncmp(p + 2 + d, "_ce_count", 9) == 0) {
				edac_number(p, 2, ch, sizeof(ch));
				break;
			}
		}
		if (!ch[0])
			continue;
		char label[256], ue[64];
		uint64_t v;
		edac_dimm_label(row, ch, label, sizeof(label));
		rc = edac_read(row, f, &v);
		if (rc)
			return rc;
		expo_addl(expo_family(out, "node_edac_channel_correctable_errors_total",
				      "Total correctable memory errors for this channel.", EXPO_COUNTER),
			  (double)v, "controller", mc, "csrow", cs, "channel", ch, "dimm_label", label,
			  NULL);
		char path[PATH_MAX];
		snprintf(ue, sizeof(ue), "ch%s_ue_count", ch);
		if (path_join(path, row, ue) || read_u64_file(path, &v)) {
			log_debug("edac: couldn't get ue_count for controller/csrow/channel %s/%s/%s", mc,
				  cs, ch);
			continue;
		}
		expo_addl(expo_family(out, "node_edac_channel_uncorrectable_errors_total",
				      "Total uncorrectable memory errors for this channel.", EXPO_COUNTER),
			  (double)v, "controller", mc, "csrow", cs, "channel", ch, "dimm_label", label,
			  NULL);
	}
	return 0;
}

/* One controller directory. */
static int edac_controller(struct edac_state *st, const char *dir, const char *mc,
			   struct expo_set *out)
{
	struct expo_family *ce = expo_family(out, "node_edac_correctable_errors_total",
					     "Total correctable memory errors.", EXPO_COUNTER);
	struct expo_family *ue = expo_family(out, "node_edac_uncorrectable_errors_total",
					     "Total uncorrectable memory errors.", EXPO_COUNTER);
	struct expo_family *rce = expo_family(out, "node_edac_csrow_correctable_errors_total",
					      "Total correctable memory errors for this csrow.",
					      EXPO_COUNTER);
	struct expo_family *rue = expo_family(out, "node_edac_csrow_uncorrectable_errors_total",
					      "Total uncorrectable memory errors for this csrow.",
					      EXPO_COUNTER);
	uint64_t v;
	int rc;
	if ((rc = edac_read(dir, "ce_count", &v)))
		return rc;
	expo_addl(ce, (double)v, "controller", mc, NULL);
	if ((rc = edac_read(dir, "ce_noinfo_count", &v)))
		return rc;
	expo_addl(rce, (double)v, "controller", mc, "csrow", "unknown", NULL);
	if ((rc = edac_read(dir, "ue_count", &v)))
		return rc;
	expo_addl(ue, (double)v, "controller", mc, NULL);
	if ((rc = edac_read(dir, "ue_noinfo_count", &v)))
		return rc;
	expo_addl(rue, (double)v, "controller", mc, "csrow", "unknown", NULL);

	if (dir_list_read(&st->rows, dir, edac_is_csrow))
		return 0;
	for (size_t i = 0; i < st->rows.n; i++) {
		char row[PATH_MAX], cs[32];
		if (path_join(row, dir, st->rows.v[i]))
			return -ENAMETOOLONG;
		edac_number(st->rows.v[i], 5, cs, sizeof(cs));
		if ((rc = edac_read(row, "ce_count", &v)))
			return rc;
		expo_addl(rce, (double)v, "controller", mc, "csrow", cs, NULL);
		if ((rc = edac_read(row, "ue_count", &v)))
			return rc;
		expo_addl(rue, (double)v, "controller", mc, "csrow", cs, NULL);
		if ((rc = edac_channels(st, row, mc, cs, out)))
			return rc;
	}
	return 0;
}

static int edac_collect(void *state, struct expo_set *out)
{
	struct edac_state *st = state;
	char root[PATH_MAX];
	sys_path(root, "devices/system/edac/mc");
	if (dir_list_read(&st->mcs, root, edac_is_mc))
		return 0; /* no controllers: Glob finds nothing */
	for (size_t i = 0; i < st->mcs.n; i++) {
		char dir[PATH_MAX], mc[32];
		if (path_join(dir, root, st->mcs.v[i]))
			return -ENAMETOOLONG;
		edac_number(st->mcs.v[i], 2, mc, sizeof(mc));
		int rc = edac_controller(st, dir, mc, out);
		if (rc)
			return rc;
	}
	return 0;
}

static void edac_cleanup(void *state)
{
	struct edac_state *st = state;
	dir_list_free(&st->mcs);
	dir_list_free(&st->rows);
	dir_list_free(&st->files);
}

const struct collector collector_edac = {
	.name = "edac",
	.default_on = true,
	.state_size = sizeof(struct edac_state),
	.collect = edac_collect,
	.cleanup = edac_cleanup,
};
