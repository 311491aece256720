/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scrape targets: turning target groups (static_configs, file_sd files) into
 * targets with Prometheus 2.42's PopulateLabels semantics, and file-based
 * service discovery.
 *
 * For each discovered target: its __address__ plus the group's labels, then
 * job, __scrape_interval__, __scrape_timeout__, __metrics_path__, __scheme__
 * where not already set, __param_<name> for the job's params; relabel_configs
 * run on that set (the "discovered labels"); a dropped target is kept with
 * only its discovered labels, for /api/v1/targets.  On a kept one: a missing
 * port is added from the scheme (http :80, https :443, as 2.42 does), an
 * address with '/' or unparsable interval/timeout is an error, __meta_*
 * labels are removed and instance defaults to the address.  The remaining
 * __ labels stay on the target (they build its URL) and are dropped from
 * series labels by the scraper.
 *
 * File SD: each configured pattern is globbed; .json and .yml/.yaml files
 * hold a list of {targets, labels}; every group gets __meta_filepath.  A file
 * is re-read when its mtime, size or inode changes (checked on each poll,
 * which an inotify descriptor can trigger) and every refresh_interval; a file that fails to read or
 * parse keeps its last good groups and the failure is logged.  A file that disappears loses its
 * groups.
 *
 * Ownership: a struct scrape_targets owns its targets and their labels; a
 * struct file_sd owns its files and groups.
 */
#ifndef VIGIL_SCRAPE_TARGETS_H
#define VIGIL_SCRAPE_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "server/scrape/config.h"
#include "server/scrape/labels.h"

struct scrape_target {
	struct lset labels;	/* final target labels; empty when dropped */
	struct lset discovered; /* labels before relabeling */
	bool dropped;
	char *url; /* scrape URL of an active target, else NULL */
};

struct scrape_targets {
	struct scrape_target *v;
	size_t n, cap;
};

/*
 * Prometheus's PopulateLabels: from the discovered labels in (address and
 * group labels), fill *res with the final labels and *orig with the labels
 * before relabeling.  Returns 1 for an active target, 0 when relabeling
 * dropped it (res empty, orig set), or -EINVAL with a message in err.
 */
int scrape_populate_labels(const struct scrape_job *job, const struct lset *in, struct lset *res,
			   struct lset *orig, char *err, size_t errlen);

/*
 * The scrape URL of a target with final labels lset:
 * __scheme__://__address__ __metrics_path__ ?params, where the job's params
 * are overridden by __param_<name> labels (sorted, URL-encoded as Go's
 * url.Values.Encode()).  The caller frees the result.
 */
char *scrape_target_url(const struct scrape_job *job, const struct lset *lset);

/*
 * Append the targets of one group to out (active and dropped), as
 * Prometheus's TargetsFromGroup.  Targets whose labels cannot be populated
 * are skipped; the first failure is returned as -EINVAL with
 * "instance N in group SOURCE: reason" in err, after the group is done.
 */
int scrape_targets_from_group(const struct scrape_job *job, const struct scrape_target_group *g,
			      struct scrape_targets *out, char *err, size_t errlen);

/*
 * All targets of a job: its static_configs then the given discovered groups.
 * Active targets with the same labels and URL collapse into one.  Failures
 * are logged and skipped; the count of failures is returned (0 when all
 * were fine), the first message in err.
 */
int scrape_targets_build(const struct scrape_job *job, const struct scrape_target_group *groups,
			 size_t n_groups, struct scrape_targets *out, char *err, size_t errlen);
void scrape_targets_free(struct scrape_targets *t);

/*
 * Parse a file_sd file's content by its extension (.json, .yml, .yaml, any
 * case).  Groups get source "NAME:INDEX" and __meta_filepath=NAME.  Returns
 * 0 with a new array in *groups (free with scrape_target_groups_free()) or
 * -EINVAL with a message.
 */
int scrape_file_sd_parse(const char *name, const char *text, size_t len,
			 struct scrape_target_group **groups, size_t *n, char *err, size_t errlen);
void scrape_target_groups_free(struct scrape_target_group *groups, size_t n);

struct file_sd_file {
	char *path;
	struct timespec mtime;
	off_t size;
	ino_t ino;
	struct scrape_target_group *groups; /* last good content */
	size_t n_groups;
	bool seen; /* matched by the last glob */
};

/* One file_sd_configs entry's state. */
struct file_sd {
	struct strlist patterns;
	int64_t refresh_interval_ms;
	int64_t last_full_ms; /* time of the last full re-read, -1 before the first */
	struct file_sd_file *files;
	size_t n_files;
	uint64_t read_errors; /* as prometheus_sd_file_read_errors_total */
	int watch_fd;	      /* inotify on the patterns' directories, -1 without */
};

/*
 * Set up discovery for cfg (patterns are copied), with an inotify watch on
 * the directory of each pattern, as Prometheus's fsnotify watch.
 */
void file_sd_init(struct file_sd *sd, const struct scrape_file_sd *cfg);
void file_sd_free(struct file_sd *sd);
/*
 * A descriptor that becomes readable when a file in a watched directory is
 * created, written, moved or deleted: poll it and call file_sd_poll() when
 * it fires (and at least every few seconds anyway; watches on directories
 * that do not exist yet are retried on each poll).  -1 when inotify is
 * unavailable: then poll on a timer only.
 */
int file_sd_watch_fd(const struct file_sd *sd);
/*
 * Poll at now_ms (a monotonic clock in ms): glob the patterns, re-read new or
 * changed files, and every file when refresh_interval has passed since the
 * last full read.  *changed is set when the set of groups changed.  Cheap
 * when nothing changed (one glob and one stat per file).  Returns 0, or a
 * negative errno from the first file that failed (its old groups are kept).
 */
int file_sd_poll(struct file_sd *sd, int64_t now_ms, bool *changed);
/* Shallow copies of all current groups in a new array (free() only the array; sd keeps owning the
 * groups). */
size_t file_sd_groups(const struct file_sd *sd, struct scrape_target_group **out);

#endif
