// SPDX-License-Identifier: Apache-2.0
/*
 * os: node_os_info and node_os_version from <rootfs>/etc/os-release, or
 * <rootfs>/usr/lib/os-release when the first does not exist, as
 * node_exporter reads them; node_os_support_end_timestamp_seconds from
 * SUPPORT_END (added upstream after 1.5; absent when the field is).
 *
 * Format (os-release(5)): shell-compatible KEY=VALUE lines, '#' comments,
 * values optionally in double quotes (with \\ \" \$ \` escapes) or single
 * quotes (literal).  A line that is not an assignment makes the file
 * invalid and the collector fail, as node_exporter's env parser does.
 * node_os_version is the leading "major[.minor]" of VERSION_ID, left out
 * when it is missing or 0.  The parsed file is cached per thread and
 * re-read only when its path or mtime changes.
 * Documentation: https://www.freedesktop.org/software/systemd/man/os-release.html
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "collectors/collector.h"
#include "collectors/hostpath.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/pfile.h"

enum {
	F_BUILD_ID,
	F_ID,
	F_ID_LIKE,
	F_IMAGE_ID,
	F_IMAGE_VERSION,
	F_NAME,
	F_PRETTY_NAME,
	F_VARIANT,
	F_VARIANT_ID,
	F_VERSION,
	F_VERSION_CODENAME,
	F_VERSION_ID,
	F_SUPPORT_END,
	F_COUNT,
};

/* Keys in the order of the labels of node_os_info (sorted), then SUPPORT_END. */
static const char *const os_keys[F_COUNT] = {
	"BUILD_ID",    "ID",	  "ID_LIKE",	"IMAGE_ID", "IMAGE_VERSION",	"NAME",
	"PRETTY_NAME", "VARIANT", "VARIANT_ID", "VERSION",  "VERSION_CODENAME", "VERSION_ID",
	"SUPPORT_END",
};
static const char *const os_labels[F_COUNT] = {
	"build_id",    "id",	  "id_like",	"image_id", "image_version",	"name",
	"pretty_name", "variant", "variant_id", "version",  "version_codename", "version_id",
	"support_end",
};

struct os_state {
	char path[PATH_MAX];
	struct timespec mtime;
	bool tried;		   /* path and mtime describe the last attempt */
	bool valid;		   /* it parsed: text and vals are usable */
	int parse_rc;		   /* its error otherwise */
	struct buf text;	   /* the file, values unquoted in place */
	const char *vals[F_COUNT]; /* into text, or "" */
	double version;
	bool has_support_end;
	double support_end;
};

/*
 * Parse one value starting at s (up to the end of the line), unquoting in
 * place into s; returns the position after it or NULL when malformed.
 */
static char *parse_value(char *s, char **val)
{
	char *w = s;
	*val = s;
	while (*s && *s != '\n') {
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (!*s)
					return NULL;
				if (*s == '\\' && s[1] && strchr("\\\"$`\n", s[1]))
					s++;
				*w++ = *s;
			}
			s++;
		} else if (*s == '\'') {
			for (s++; *s != '\''; s++) {
				if (!*s)
					return NULL;
				*w++ = *s;
			}
			s++;
		} else if (*s == ' ' || *s == '\t' || *s == '\r') {
			/* trailing blanks or a comment end the value */
			while (*s == ' ' || *s == '\t' || *s == '\r')
				s++;
			if (*s && *s != '\n' && *s != '#')
				return NULL;
			while (*s && *s != '\n')
				s++;
			break;
		} else if (*s == '\\' && s[1] && s[1] != '\n') {
			*w++ = s[1];
			s += 2;
		} else if (*s == '#' && w == *val) {
			/* "KEY=#x": a comment after an empty value */
			while (*s && *s != '\n')
				s++;
			break;
		} else {
			*w++ = *s++;
		}
	}
	char *next = *s ? s + 1 : s;
	*w = '\0';
	return next;
}

static int os_parse(struct os_state *st)
{
	for (int i = 0; i < F_COUNT; i++)
		st->vals[i] = "";
	char *s = st->text.data;
	size_t lineno = 0;
	while (s && *s) {
		lineno++;
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (*s == '\n') {
			s++;
			continue;
		}
		if (*s == '#') {
			s = strchr(s, '\n');
			if (s)
				s++;
			continue;
		}
		if (strncmp(s, "export ", 7) == 0)
			s += 7;
		char *key = s;
		while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_' ||
		       (s > key && *s >= '0' && *s <= '9'))
			s++;
		if (s == key || *s != '=')
			return log_warn_code(-EINVAL, "os: %s line %zu: not KEY=VALUE", st->path,
					     lineno);
		*s++ = '\0';
		char *val;
		s = parse_value(s, &val);
		if (!s)
			return log_warn_code(-EINVAL, "os: %s line %zu: unterminated quote",
					     st->path, lineno);
		for (int i = 0; i < F_COUNT; i++) {
			if (strcmp(key, os_keys[i]) == 0)
				st->vals[i] = val;
		}
	}

	/* ^[0-9]+\.?[0-9]* of VERSION_ID */
	const char *v = st->vals[F_VERSION_ID];
	size_t n = 0;
	while (v[n] >= '0' && v[n] <= '9')
		n++;
	st->version = 0;
	if (n) {
		if (v[n] == '.') {
			n++;
			while (v[n] >= '0' && v[n] <= '9')
				n++;
		}
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(n < 63 ? n : 63), v);
		st->version = strtod(tmp, NULL);
	}

	st->has_support_end = false;
	const char *se = st->vals[F_SUPPORT_END];
	if (*se) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *end = strptime(se, "%Y-%m-%d", &tm);
		if (!end || *end || strlen(se) != 10)
			return log_warn_code(-EINVAL, "os: %s: bad SUPPORT_END %s", st->path, se);
		st->support_end = (double)timegm(&tm);
		st->has_support_end = true;
	}
	return 0;
}

/* Make sure st describes the current file; 0, -ENOENT when neither exists. */
static int os_refresh(struct os_state *st)
{
	static const char *const files[] = {"etc/os-release", "usr/lib/os-release"};
	char path[PATH_MAX];
	struct stat sb;
	int rc = -ENOENT;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		root_path(path, "%s", files[i]);
		if (stat(path, &sb) == 0) {
			rc = 0;
			break;
		}
		if (errno != ENOENT)
			return -errno;
	}
	if (rc < 0)
		return rc;
	/* the same file as last time: its parse, or its error (logged once) */
	if (st->tried && strcmp(path, st->path) == 0 && sb.st_mtim.tv_sec == st->mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == st->mtime.tv_nsec)
		return st->valid ? 0 : st->parse_rc;
	st->valid = false;
	st->tried = true;
	snprintf(st->path, sizeof(st->path), "%s", path);
	st->mtime = sb.st_mtim;
	rc = read_file_buf(path, &st->text);
	if (rc == 0)
		rc = os_parse(st);
	st->parse_rc = rc;
	st->valid = rc == 0;
	return rc;
}

static int os_collect(void *state, struct expo_set *out)
{
	struct os_state *st = state;
	int rc = os_refresh(st);
	if (rc == -ENOENT)
		log_debug("os: no os-release file found");
	if (rc < 0)
		return rc;
	struct expo_label l[F_COUNT];
	for (int i = 0; i < F_SUPPORT_END; i++) {
		l[i].name = os_labels[i];
		l[i].value = st->vals[i];
	}
	expo_add(expo_family(out, "node_os_info",
			     "A metric with a constant '1' value labeled by build_id, id, id_like, "
			     "image_id, image_version, name, pretty_name, variant, variant_id, "
			     "version, version_codename, version_id.",
			     EXPO_GAUGE),
		 l, F_SUPPORT_END, 1);
	if (st->version > 0)
		expo_addl(expo_family(out, "node_os_version",
				      "Metric containing the major.minor part of the OS version.",
				      EXPO_GAUGE),
			  st->version, "id", st->vals[F_ID], "id_like", st->vals[F_ID_LIKE], "name",
			  st->vals[F_NAME], NULL);
	if (st->has_support_end)
		expo_add(expo_family(out, "node_os_support_end_timestamp_seconds",
				     "Metric containing the end-of-life date timestamp of the OS.",
				     EXPO_GAUGE),
			 NULL, 0, st->support_end);
	return 0;
}

static void os_cleanup(void *state)
{
	struct os_state *st = state;
	buf_free(&st->text);
}

const struct collector collector_os = {
	.name = "os",
	.default_on = true,
	.state_size = sizeof(struct os_state),
	.collect = os_collect,
	.cleanup = os_cleanup,
};
