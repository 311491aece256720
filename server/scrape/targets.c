// SPDX-License-Identifier: Apache-2.0
/*
 * Target label population and file-based service discovery (semantics in
 * targets.h, after Prometheus 2.42's scrape/target.go and
 * discovery/file/file.go, read for semantics).
 *
 * file_sd file format, JSON:
 *   [ { "targets": ["host:port", ...], "labels": { "name": "value", ... } }, ... ]
 * or the same list in YAML.  Unknown fields are errors (Prometheus decodes
 * JSON groups with DisallowUnknownFields and YAML with UnmarshalStrict).
 */
#include "server/scrape/targets.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/jsonread.h"
#include "common/log.h"
#include "common/pfile.h"
#include "common/strutil.h"
#include "server/scrape/relabel.h"

/* Escape " and \ so s can sit in a quoted logfmt field (out is truncated to outlen). */
static void logfmt_escape(char *out, size_t outlen, const char *s)
{
	size_t o = 0;
	for (; *s && o + 3 < outlen; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s == '\n' ? ' ' : *s;
	}
	out[o] = 0;
}

/* ---- Go's net.SplitHostPort, as a validity check ---- */

static bool split_host_port_ok(const char *s)
{
	size_t len = strlen(s);
	const char *colon = strrchr(s, ':');
	if (!colon)
		return false;
	size_t i = (size_t)(colon - s), j = 0, k = 0;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return false;
		size_t end = (size_t)(close - s);
		if (end + 1 == len || end + 1 != i)
			return false;
		j = 1;
		k = end + 1;
	} else {
		for (size_t p = 0; p < i; p++)
			if (s[p] == ':')
				return false;
	}
	if (strchr(s + j, '['))
		return false;
	if (strchr(s + k, ']'))
		return false;
	return true;
}

/* addPort(): true when s has no port but would be valid with one. */
static bool needs_port(const char *s)
{
	if (split_host_port_ok(s))
		return false;
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s:1234", s);
	bool ok = split_host_port_ok(b.data);
	buf_free(&b);
	return ok;
}

int scrape_populate_labels(const struct scrape_job *job, const struct lset *in, struct lset *res,
			   struct lset *orig, char *err, size_t errlen)
{
	char interval[32], timeout[32];
	duration_format(job->scrape_interval_ms, interval, sizeof(interval));
	duration_format(job->scrape_timeout_ms, timeout, sizeof(timeout));
	const struct {
		const char *name, *value;
	} defaults[] = {
		{"job", job->job_name},		 {"__scrape_interval__", interval},
		{"__scrape_timeout__", timeout}, {"__metrics_path__", job->metrics_path},
		{"__scheme__", job->scheme},
	};
	struct lset ls = LSET_INIT;
	int rc = 0;

	lset_clear(res);
	lset_clear(orig);
	lset_copy(&ls, in);
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (!*lset_get_or_empty(in, defaults[i].name))
			lset_set(&ls, defaults[i].name, defaults[i].value);
	for (size_t i = 0; i < job->n_params; i++) {
		if (job->params[i].values.n == 0)
			continue;
		struct buf name = BUF_INIT;
		buf_printf(&name, "__param_%s", job->params[i].name);
		lset_set(&ls, name.data, job->params[i].values.items[0]);
		buf_free(&name);
	}
	lset_copy(orig, &ls);

	if (!relabel_process(&ls, job->relabel_configs, job->n_relabel_configs)) {
		rc = 0;
		goto out;
	}
	const char *addr0 = lset_get_or_empty(&ls, "__address__");
	if (!*addr0) {
		lset_clear(orig);
		snprintf(err, errlen, "no address");
		rc = -EINVAL;
		goto out;
	}
	char *addr = xstrdup(addr0);
	const char *scheme = lset_get_or_empty(&ls, "__scheme__");
	if (needs_port(addr)) {
		const char *port = NULL;
		if (!strcmp(scheme, "http") || !*scheme)
			port = ":80";
		else if (!strcmp(scheme, "https"))
			port = ":443";
		if (!port) {
			snprintf(err, errlen, "invalid scheme: \"%s\"", job->scheme);
			free(addr);
			lset_clear(orig);
			rc = -EINVAL;
			goto out;
		}
		char *with = xmalloc(strlen(addr) + 5);
		sprintf(with, "%s%s", addr, port);
		free(addr);
		addr = with;
		lset_set(&ls, "__address__", addr);
	}
	int64_t iv, to;
	const char *ivs = lset_get_or_empty(&ls, "__scrape_interval__");
	const char *tos = lset_get_or_empty(&ls, "__scrape_timeout__");
	if (strchr(addr, '/'))
		snprintf(err, errlen, "\"%s\" is not a valid hostname", addr);
	else if (scrape_duration_parse(ivs, &iv) < 0)
		snprintf(err, errlen,
			 "error parsing scrape interval: not a valid duration string: \"%s\"", ivs);
	else if (iv == 0)
		snprintf(err, errlen, "scrape interval cannot be 0");
	else if (scrape_duration_parse(tos, &to) < 0)
		snprintf(err, errlen,
			 "error parsing scrape timeout: not a valid duration string: \"%s\"", tos);
	else if (to == 0)
		snprintf(err, errlen, "scrape timeout cannot be 0");
	else if (to > iv)
		snprintf(err, errlen,
			 "scrape timeout cannot be greater than scrape interval (\"%s\" > \"%s\")",
			 tos, ivs);
	else
		rc = 1;
	if (rc != 1) {
		free(addr);
		lset_clear(orig);
		rc = -EINVAL;
		goto out;
	}
	/* drop __meta_*, default instance to the address */
	for (size_t i = 0; i < ls.n;) {
		if (!strncmp(ls.v[i].name, "__meta_", 7))
			lset_del(&ls, ls.v[i].name);
		else
			i++;
	}
	if (!*lset_get_or_empty(&ls, "instance"))
		lset_set(&ls, "instance", addr);
	free(addr);
	for (size_t i = 0; i < ls.n; i++) {
		if (!label_value_valid(ls.v[i].value)) {
			snprintf(err, errlen, "invalid label value for \"%s\": \"%s\"",
				 ls.v[i].name, ls.v[i].value);
			lset_clear(orig);
			rc = -EINVAL;
			goto out;
		}
	}
	lset_copy(res, &ls);
	rc = 1;
out:
	lset_free(&ls);
	return rc;
}

/* Go's url.QueryEscape. */
static void query_escape(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			buf_putc(b, (char)c);
		else if (c == ' ')
			buf_putc(b, '+');
		else
			buf_printf(b, "%%%02X", c);
	}
}

/* Go's URL.EscapedPath for a plain path. */
static void path_escape(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_.~$&+,/:;=@", (int)c))
			buf_putc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

struct url_param {
	const char *key;
	const struct strlist *values; /* job's values, or NULL */
	const char *override;	      /* __param_ label value replacing the first */
};

static int url_param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct url_param *)a)->key, ((const struct url_param *)b)->key);
}

char *scrape_target_url(const struct scrape_job *job, const struct lset *lset)
{
	struct buf b = BUF_INIT;
	size_t cap = job->n_params + lset->n, n = 0;
	struct url_param *ps = xcalloc(cap ? cap : 1, sizeof(*ps));

	for (size_t i = 0; i < job->n_params; i++) {
		ps[n].key = job->params[i].name;
		ps[n].values = &job->params[i].values;
		n++;
	}
	for (size_t i = 0; i < lset->n; i++) {
		if (strncmp(lset->v[i].name, "__param_", 8))
			continue;
		const char *k = lset->v[i].name + 8;
		size_t j;
		for (j = 0; j < n; j++)
			if (!strcmp(ps[j].key, k))
				break;
		if (j == n) {
			ps[n].key = k;
			n++;
		}
		ps[j].override = lset->v[i].value;
	}
	qsort(ps, n, sizeof(*ps), url_param_cmp);

	const char *path = lset_get_or_empty(lset, "__metrics_path__");
	buf_printf(&b, "%s://%s", lset_get_or_empty(lset, "__scheme__"),
		   lset_get_or_empty(lset, "__address__"));
	if (*path && *path != '/')
		buf_putc(&b, '/');
	path_escape(&b, path);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		size_t nv = ps[i].values ? ps[i].values->n : 0;
		if (ps[i].override && nv == 0)
			nv = 1;
		for (size_t v = 0; v < nv; v++) {
			const char *val = (v == 0 && ps[i].override) ? ps[i].override
								     : ps[i].values->items[v];
			buf_putc(&b, first ? '?' : '&');
			first = false;
			query_escape(&b, ps[i].key);
			buf_putc(&b, '=');
			query_escape(&b, val);
		}
	}
	free(ps);
	return buf_detach(&b, NULL);
}

static struct scrape_target *targets_push(struct scrape_targets *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	struct scrape_target *x = &t->v[t->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

int scrape_targets_from_group(const struct scrape_job *job, const struct scrape_target_group *g,
			      struct scrape_targets *out, char *err, size_t errlen)
{
	struct lset in = LSET_INIT, res = LSET_INIT, orig = LSET_INIT;
	int first_rc = 0;
	for (size_t i = 0; i < g->targets.n; i++) {
		lset_copy(&in, &g->labels);
		/* the target's own __address__ wins over a group label of that name */
		lset_set(&in, "__address__", g->targets.items[i]);
		char why[512];
		int rc = scrape_populate_labels(job, &in, &res, &orig, why, sizeof(why));
		if (rc < 0) {
			if (first_rc == 0)
				snprintf(err, errlen, "instance %zu in group %s: %s", i,
					 g->source ? g->source : "", why);
			first_rc = rc;
			continue;
		}
		struct scrape_target *t = targets_push(out);
		lset_copy(&t->discovered, &orig);
		if (rc == 0) {
			t->dropped = true;
		} else {
			lset_copy(&t->labels, &res);
			t->url = scrape_target_url(job, &res);
		}
	}
	lset_free(&in);
	lset_free(&res);
	lset_free(&orig);
	return first_rc;
}

static void target_free(struct scrape_target *t)
{
	lset_free(&t->labels);
	lset_free(&t->discovered);
	free(t->url);
}

void scrape_targets_free(struct scrape_targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		target_free(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* A hash of a target's labels and URL (its identity in a scrape pool). */
static uint64_t target_hash(const struct scrape_target *t)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < t->labels.n; i++) {
		h = fnv1a(h, t->labels.v[i].name, strlen(t->labels.v[i].name) + 1);
		h = fnv1a(h, t->labels.v[i].value, strlen(t->labels.v[i].value) + 1);
	}
	return fnv1a(h, t->url, strlen(t->url));
}

/* Drop active targets in out->v[start..] equal to an earlier one (the first stays). */
static void targets_dedup(struct scrape_targets *out, size_t start)
{
	size_t m = out->n - start, cap = 16;
	while (cap < 2 * m)
		cap *= 2;
	size_t *slots = xcalloc(cap, sizeof(*slots)); /* index + 1, 0 = empty */
	size_t w = start;
	for (size_t i = start; i < out->n; i++) {
		struct scrape_target *t = &out->v[i];
		bool dup = false;
		if (!t->dropped) {
			size_t s = (size_t)target_hash(t) & (cap - 1);
			for (; slots[s]; s = (s + 1) & (cap - 1)) {
				const struct scrape_target *o = &out->v[slots[s] - 1];
				if (!strcmp(o->url, t->url) && lset_equal(&o->labels, &t->labels)) {
					dup = true;
					break;
				}
			}
			if (!dup)
				slots[s] = w + 1;
		}
		if (dup) {
			target_free(t);
			continue;
		}
		if (w != i)
			out->v[w] = *t;
		w++;
	}
	out->n = w;
	free(slots);
}

int scrape_targets_build(const struct scrape_job *job, const struct scrape_target_group *groups,
			 size_t n_groups, struct scrape_targets *out, char *err, size_t errlen)
{
	int failures = 0;
	size_t start = out->n, total = job->n_static_configs + n_groups;
	for (size_t gi = 0; gi < total; gi++) {
		const struct scrape_target_group *g = gi < job->n_static_configs
							      ? &job->static_configs[gi]
							      : &groups[gi - job->n_static_configs];
		char msg[640];
		if (scrape_targets_from_group(job, g, out, msg, sizeof(msg)) < 0) {
			char q[1400];
			logfmt_escape(q, sizeof(q), msg);
			log_warn("scrape: creating target failed\tjob=%s err=\"%s\"", job->job_name,
				 q);
			if (!failures)
				snprintf(err, errlen, "%s", msg);
			failures++;
		}
	}
	targets_dedup(out, start);
	return failures;
}

/* ---- file SD ---- */

void scrape_target_groups_free(struct scrape_target_group *groups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		scrape_target_group_free(&groups[i]);
	free(groups);
}

/* One JSON target group object, strictly. */
static int json_group(const struct jsonr_value *o, struct scrape_target_group *g, char *err,
		      size_t errlen)
{
	if (!jsonr_is_object(o)) {
		snprintf(err, errlen, "cannot unmarshal a JSON %s into a target group",
			 jsonr_is_array(o) ? "array" : "value");
		return -EINVAL;
	}
	for (const struct jsonr_value *f = jsonr_first(o); f; f = jsonr_next(f)) {
		if (!strcasecmp(f->key, "targets")) {
			if (jsonr_is_null(f))
				continue;
			if (!jsonr_is_array(f)) {
				snprintf(err, errlen, "\"targets\" must be a list of strings");
				return -EINVAL;
			}
			for (const struct jsonr_value *e = jsonr_first(f); e; e = jsonr_next(e)) {
				if (!jsonr_is_string(e)) {
					snprintf(err, errlen,
						 "\"targets\" must be a list of strings");
					return -EINVAL;
				}
				strlist_push(&g->targets, jsonr_string(e));
			}
		} else if (!strcasecmp(f->key, "labels")) {
			if (jsonr_is_null(f))
				continue;
			if (!jsonr_is_object(f)) {
				snprintf(err, errlen, "\"labels\" must be an object of strings");
				return -EINVAL;
			}
			for (const struct jsonr_value *e = jsonr_first(f); e; e = jsonr_next(e)) {
				if (!jsonr_is_string(e) && !jsonr_is_null(e)) {
					snprintf(err, errlen,
						 "label \"%s\" must have a string value", e->key);
					return -EINVAL;
				}
				/* a NUL (from \u0000) would cut the name short */
				if (strlen(e->key) != e->key_len || !label_name_valid(e->key)) {
					snprintf(err, errlen, "\"%s\" is not a valid label name",
						 e->key);
					return -EINVAL;
				}
				lset_set(&g->labels, e->key,
					 jsonr_is_string(e) ? jsonr_string(e) : "");
			}
		} else {
			snprintf(err, errlen, "json: unknown field \"%s\"", f->key);
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_json_groups(const char *name, const char *text, size_t len,
			     struct scrape_target_group **groups, size_t *n, char *err,
			     size_t errlen)
{
	struct scrape_target_group *g = NULL;
	size_t ng = 0;
	int rc = 0;
	struct jsonr_error jerr;
	struct jsonr_value *root = jsonr_parse(text, len, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s: invalid JSON: %s (offset %zu)", name, jerr.reason,
			 jerr.offset);
		return -EINVAL;
	}
	if (!jsonr_is_array(root) && !jsonr_is_null(root)) {
		snprintf(err, errlen, "%s: expected a JSON list of target groups", name);
		rc = -EINVAL;
		goto out;
	}
	size_t cnt = jsonr_array_size(root);
	g = xcalloc(cnt ? cnt : 1, sizeof(*g));
	for (const struct jsonr_value *e = jsonr_first(root); e; e = jsonr_next(e)) {
		char why[512];
		struct scrape_target_group *x = &g[ng++];
		if (jsonr_is_null(e)) {
			snprintf(err, errlen, "%s: nil target group item found (index %zu)", name,
				 ng - 1);
			rc = -EINVAL;
			goto out;
		}
		if (json_group(e, x, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: group %zu: %s", name, ng - 1, why);
			rc = -EINVAL;
			goto out;
		}
	}
	*groups = g;
	*n = ng;
	g = NULL;
	ng = 0;
out:
	scrape_target_groups_free(g, ng);
	jsonr_free(root);
	return rc;
}

int scrape_file_sd_parse(const char *name, const char *text, size_t len,
			 struct scrape_target_group **groups, size_t *n, char *err, size_t errlen)
{
	const char *dot = strrchr(name, '.');
	int rc;
	*groups = NULL;
	*n = 0;
	if (dot && !strcasecmp(dot, ".json")) {
		rc = parse_json_groups(name, text, len, groups, n, err, errlen);
	} else if (dot && (!strcasecmp(dot, ".yml") || !strcasecmp(dot, ".yaml"))) {
		rc = scrape_target_groups_parse_yaml(text, len, name, groups, n, err, errlen);
	} else {
		snprintf(err, errlen, "%s: invalid file extension: \"%s\"", name, dot ? dot : "");
		return -EINVAL;
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < *n; i++) {
		struct scrape_target_group *g = &(*groups)[i];
		struct buf src = BUF_INIT;
		buf_printf(&src, "%s:%zu", name, i);
		free(g->source);
		g->source = buf_detach(&src, NULL);
		lset_set(&g->labels, "__meta_filepath", name);
	}
	return 0;
}

/* Watch the directory of every pattern (again: a missing directory may have appeared). */
static void file_sd_watch(struct file_sd *sd)
{
	if (sd->watch_fd < 0)
		return;
	for (size_t i = 0; i < sd->patterns.n; i++) {
		const char *pat = sd->patterns.items[i];
		const char *slash = strrchr(pat, '/');
		char *dir = slash ? xstrndup(pat, slash == pat ? 1 : (size_t)(slash - pat))
				  : xstrdup(".");
		if (inotify_add_watch(sd->watch_fd, dir,
				      IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE |
					      IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF) < 0)
			log_debug("file_sd: cannot watch directory\tdir=%s err=\"%s\"", dir,
				  strerror(errno));
		free(dir);
	}
}

void file_sd_init(struct file_sd *sd, const struct scrape_file_sd *cfg)
{
	memset(sd, 0, sizeof(*sd));
	for (size_t i = 0; i < cfg->files.n; i++)
		strlist_push(&sd->patterns, cfg->files.items[i]);
	sd->refresh_interval_ms = cfg->refresh_interval_ms;
	sd->last_full_ms = -1;
	sd->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sd->watch_fd < 0)
		log_warn_code(-errno, "file_sd: no inotify, polling only");
	file_sd_watch(sd);
}

int file_sd_watch_fd(const struct file_sd *sd)
{
	return sd->watch_fd;
}

static void sd_file_free(struct file_sd_file *f)
{
	free(f->path);
	scrape_target_groups_free(f->groups, f->n_groups);
}

void file_sd_free(struct file_sd *sd)
{
	strlist_clear(&sd->patterns);
	for (size_t i = 0; i < sd->n_files; i++)
		sd_file_free(&sd->files[i]);
	free(sd->files);
	if (sd->watch_fd >= 0)
		close(sd->watch_fd);
	memset(sd, 0, sizeof(*sd));
	sd->watch_fd = -1;
}

static struct file_sd_file *sd_file_get(struct file_sd *sd, const char *path, bool *is_new)
{
	for (size_t i = 0; i < sd->n_files; i++) {
		if (!strcmp(sd->files[i].path, path)) {
			*is_new = false;
			return &sd->files[i];
		}
	}
	sd->files = xrealloc(sd->files, (sd->n_files + 1) * sizeof(*sd->files));
	struct file_sd_file *f = &sd->files[sd->n_files++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	*is_new = true;
	return f;
}

/* Read and parse one file; on failure keep its old groups. */
static int sd_file_read(struct file_sd *sd, struct file_sd_file *f, const struct stat *st,
			bool *changed)
{
	struct buf text = BUF_INIT;
	struct scrape_target_group *g = NULL;
	size_t ng = 0;
	char err[768];
	int rc = read_file_buf(f->path, &text);
	if (rc < 0) {
		sd->read_errors++;
		rc = log_warn_code(rc, "file_sd: error reading file\tpath=%s", f->path);
		goto out;
	}
	rc = scrape_file_sd_parse(f->path, text.data ? text.data : "", text.len, &g, &ng, err,
				  sizeof(err));
	if (rc < 0) {
		sd->read_errors++;
		char q[1600];
		logfmt_escape(q, sizeof(q), err);
		log_warn(
			"file_sd: error parsing file, keeping its last targets\tpath=%s err=\"%s\"",
			f->path, q);
		goto out;
	}
	bool same = ng == f->n_groups;
	for (size_t i = 0; same && i < ng; i++) {
		const struct scrape_target_group *a = &g[i], *b = &f->groups[i];
		same = a->targets.n == b->targets.n && lset_equal(&a->labels, &b->labels);
		for (size_t k = 0; same && k < a->targets.n; k++)
			same = !strcmp(a->targets.items[k], b->targets.items[k]);
	}
	if (!same)
		*changed = true;
	scrape_target_groups_free(f->groups, f->n_groups);
	f->groups = g;
	f->n_groups = ng;
	g = NULL;
	ng = 0;
out:
	/* a broken file is read again when it changes or at the next full refresh */
	f->mtime = st->st_mtim;
	f->size = st->st_size;
	f->ino = st->st_ino;
	scrape_target_groups_free(g, ng);
	buf_free(&text);
	return rc;
}

int file_sd_poll(struct file_sd *sd, int64_t now_ms, bool *changed)
{
	bool full = sd->last_full_ms < 0 || now_ms - sd->last_full_ms >= sd->refresh_interval_ms;
	int first_rc = 0;
	*changed = false;
	if (sd->watch_fd >= 0) {
		/* drain the events: the stat below tells what changed */
		char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		while (read(sd->watch_fd, ev, sizeof(ev)) > 0)
			;
		file_sd_watch(sd);
	}
	for (size_t i = 0; i < sd->n_files; i++)
		sd->files[i].seen = false;
	for (size_t p = 0; p < sd->patterns.n; p++) {
		glob_t gl;
		memset(&gl, 0, sizeof(gl));
		if (glob(sd->patterns.items[p], 0, NULL, &gl) != 0) {
			globfree(&gl);
			continue;
		}
		for (size_t i = 0; i < gl.gl_pathc; i++) {
			const char *path = gl.gl_pathv[i];
			struct stat st;
			bool is_new;
			if (stat(path, &st) < 0)
				continue;
			struct file_sd_file *f = sd_file_get(sd, path, &is_new);
			f->seen = true;
			bool modified = is_new || f->mtime.tv_sec != st.st_mtim.tv_sec ||
					f->mtime.tv_nsec != st.st_mtim.tv_nsec ||
					f->size != st.st_size || f->ino != st.st_ino;
			if (full || modified) {
				int rc = sd_file_read(sd, f, &st, changed);
				if (rc < 0 && !first_rc)
					first_rc = rc;
			}
		}
		globfree(&gl);
	}
	/* files no longer matched lose their groups */
	for (size_t i = 0; i < sd->n_files;) {
		if (sd->files[i].seen) {
			i++;
			continue;
		}
		if (sd->files[i].n_groups)
			*changed = true;
		sd_file_free(&sd->files[i]);
		memmove(&sd->files[i], &sd->files[i + 1],
			(sd->n_files - i - 1) * sizeof(sd->files[0]));
		sd->n_files--;
	}
	if (full)
		sd->last_full_ms = now_ms;
	return first_rc;
}

size_t file_sd_groups(const struct file_sd *sd, struct scrape_target_group **out)
{
	size_t n = 0;
	for (size_t i = 0; i < sd->n_files; i++)
		n += sd->files[i].n_groups;
	*out = xcalloc(n ? n : 1, sizeof(**out));
	size_t k = 0;
	for (size_t i = 0; i < sd->n_files; i++)
		for (size_t j = 0; j < sd->files[i].n_groups; j++)
			(*out)[k++] = sd->files[i].groups[j];
	return n;
}
