// SPDX-License-Identifier: Apache-2.0
/*
 * Prometheus's HTTP API v1 for vigil-server (web/api/v1 of Prometheus 2.42,
 * read for behaviour only).  Wire format, JSON:
 *
 *   success: {"status":"success","data":<data>[,"warnings":[...]]}
 *   failure: {"status":"error","errorType":"<type>","error":"<message>"}
 *            bad_data 400, execution 422, timeout/canceled/unavailable 503,
 *            internal 500, not_found 404
 *
 * Query data is {"resultType":"vector"|"matrix"|"scalar"|"string",
 * "result":...}: an instant vector is [{"metric":{...},"value":[t,"v"]}],
 * a matrix [{"metric":{...},"values":[[t,"v"],...]}], a scalar or string
 * [t,"v"].  Times are unix seconds with milliseconds (json_time), values
 * strings formatted as Go's FormatFloat(v, 'f', -1, 64) (json_float_str).
 */
#include "server/api/api.h"

#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/expo.h"
#include "common/httpd.h"
#include "common/json.h"
#include "server/api/params.h"
#include "server/promql/engine.h"
#include "server/promql/parser.h"
#include "server/scrape/config.h"
#include "server/server.h"
#include "server/tsdb/tsdb.h"

#define MAX_MATCH_SETS 64

/* The arguments of one request (GET query string and form-encoded body). */
struct api_args {
	const char *query, *time, *start, *end, *step, *timeout;
	const char *match[MAX_MATCH_SETS];
	size_t nmatch;
	bool too_many_match;
	bool oom;
	/* copies of the values (form bodies are decoded into a temporary buffer) */
	char *owned[MAX_MATCH_SETS + 8];
	size_t nowned;
};

static bool collect_arg(void *ctx, const char *name, const char *orig)
{
	struct api_args *a = ctx;
	if (strcmp(name, "query") && strcmp(name, "time") && strcmp(name, "start") &&
	    strcmp(name, "end") && strcmp(name, "step") && strcmp(name, "timeout") &&
	    strcmp(name, "match[]"))
		return true;
	if (a->nowned == sizeof(a->owned) / sizeof(a->owned[0])) {
		a->too_many_match = true;
		return true;
	}
	char *value = strdup(orig);
	if (!value) {
		a->oom = true;
		return false;
	}
	a->owned[a->nowned++] = value;
	/* the first occurrence wins, as Go's r.FormValue */
	if (!strcmp(name, "query") && !a->query)
		a->query = value;
	else if (!strcmp(name, "time") && !a->time)
		a->time = value;
	else if (!strcmp(name, "start") && !a->start)
		a->start = value;
	else if (!strcmp(name, "end") && !a->end)
		a->end = value;
	else if (!strcmp(name, "step") && !a->step)
		a->step = value;
	else if (!strcmp(name, "timeout") && !a->timeout)
		a->timeout = value;
	else if (!strcmp(name, "match[]")) {
		if (a->nmatch < MAX_MATCH_SETS)
			a->match[a->nmatch++] = value;
		else
			a->too_many_match = true;
	}
	return true;
}

static void respond_error(struct http_response *resp, const char *type, const char *msg)
{
	int code = 500;
	if (!strcmp(type, "bad_data"))
		code = 400;
	else if (!strcmp(type, "execution"))
		code = 422;
	else if (!strcmp(type, "timeout") || !strcmp(type, "canceled") ||
		 !strcmp(type, "unavailable"))
		code = 503;
	else if (!strcmp(type, "not_found"))
		code = 404;
	resp->status = code;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	struct json j;
	json_init(&j, &resp->body);
	json_obj(&j);
	json_key(&j, "status");
	json_str(&j, "error");
	json_key(&j, "errorType");
	json_str(&j, type);
	json_key(&j, "error");
	json_str(&j, msg);
	json_end(&j);
}

static void respond_param_error(struct http_response *resp, const char *param, const char *msg)
{
	char buf[1400];
	snprintf(buf, sizeof(buf), "invalid parameter \"%s\": %.1300s", param, msg);
	respond_error(resp, "bad_data", buf);
}

/* Prometheus's parseTimeParam wraps the parse error once more. */
static void respond_time_param_error(struct http_response *resp, const char *param, const char *msg)
{
	char buf[1200];
	snprintf(buf, sizeof(buf), "Invalid time value for '%s': %.1000s", param, msg);
	respond_param_error(resp, param, buf);
}

/* Start a success answer: {"status":"success","data": — the caller writes data and closes. */
static void begin_success(struct http_response *resp, struct json *j)
{
	resp->status = 200;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	json_init(j, &resp->body);
	json_obj(j);
	json_key(j, "status");
	json_str(j, "success");
	json_key(j, "data");
}

static void write_labels(struct json *j, const struct tsdb_label *l, size_t n)
{
	json_obj(j);
	for (size_t i = 0; i < n; i++) {
		json_key(j, l[i].name);
		json_str(j, l[i].value);
	}
	json_end(j);
}

/*
 * A sample value as Prometheus writes it (marshalValue in web/api/v1):
 * Go's FormatFloat(v, 'e', -1) when 0 < |v| < 1e-6 or |v| >= 1e21, else
 * 'f'.  json_float_str() switches to the exponent only below 1e-7, so the
 * band [1e-7, 1e-6) is written here.
 */
static void write_point(struct json *j, int64_t t, double v)
{
	json_arr(j);
	json_time(j, t);
	json_float_str(j, v);
	json_end(j);
}

static void write_matrix_series(struct json *j, const struct promql_result_series *s)
{
	json_obj(j);
	json_key(j, "metric");
	write_labels(j, s->labels, s->nlabels);
	json_key(j, "values");
	json_arr(j);
	for (size_t k = 0; k < s->npoints; k++)
		write_point(j, s->points[k].t, s->points[k].v);
	json_end(j);
	json_end(j);
}

/* A share of a matrix rendered on a helper thread: "{...},{...}" text. */
struct matrix_part {
	const struct promql_result *r;
	size_t from, to;
	struct buf out;
};

static void *render_part(void *arg)
{
	struct matrix_part *p = arg;
	struct json j;
	json_init(&j, &p->out);
	json_arr(&j);
	for (size_t i = p->from; i < p->to; i++)
		write_matrix_series(&j, &p->r->series[i]);
	json_end(&j);
	return NULL;
}

/* Big matrices are rendered on two threads: formatting floats as Go does
 * is most of the cost of a large range query answer. */
#define PARALLEL_RENDER_POINTS 20000

static void write_matrix(struct json *j, const struct promql_result *r)
{
	size_t total = 0;
	for (size_t i = 0; i < r->nseries; i++)
		total += r->series[i].npoints;
	json_arr(j);
	size_t mid = r->nseries;
	pthread_t th;
	struct matrix_part part = {.r = r};
	bool threaded = false;
	if (total >= PARALLEL_RENDER_POINTS && r->nseries >= 2) {
		/* split the points in halves, by whole series */
		size_t acc = 0;
		for (mid = 0; mid < r->nseries && acc < total / 2; mid++)
			acc += r->series[mid].npoints;
		if (mid == r->nseries)
			mid--;
		part.from = mid;
		part.to = r->nseries;
		threaded = pthread_create(&th, NULL, render_part, &part) == 0;
		if (!threaded)
			mid = r->nseries;
	}
	for (size_t i = 0; i < mid; i++)
		write_matrix_series(j, &r->series[i]);
	if (threaded) {
		pthread_join(th, NULL);
		/* part.out is "[a,b,...]": splice its elements in as raw values */
		if (part.out.len > 2) {
			part.out.data[part.out.len - 1] = '\0';
			json_raw(j, part.out.data + 1);
		}
		buf_free(&part.out);
	}
	json_end(j);
}

/* The data of a query answer: {"resultType":...,"result":...}. */
static void write_result(struct json *j, const struct promql_result *r)
{
	json_obj(j);
	json_key(j, "resultType");
	json_str(j, promql_type_name(r->type));
	json_key(j, "result");
	switch (r->type) {
	case PROMQL_TYPE_SCALAR:
		write_point(j, r->t, r->scalar);
		break;
	case PROMQL_TYPE_STRING:
		json_arr(j);
		json_time(j, r->t);
		json_str(j, r->string);
		json_end(j);
		break;
	case PROMQL_TYPE_VECTOR:
		json_arr(j);
		for (size_t i = 0; i < r->nseries; i++) {
			const struct promql_result_series *s = &r->series[i];
			json_obj(j);
			json_key(j, "metric");
			write_labels(j, s->labels, s->nlabels);
			json_key(j, "value");
			write_point(j, s->points[0].t, s->points[0].v);
			json_end(j);
		}
		json_end(j);
		break;
	default:
		write_matrix(j, r);
		break;
	}
	json_end(j);
}

static void engine_opts(struct server *srv, struct promql_engine_opts *o)
{
	promql_engine_opts_default(o);
	if (srv->opt.lookback_delta_s > 0)
		o->lookback_ms = (int64_t)(srv->opt.lookback_delta_s * 1000);
	if (srv->opt.query_timeout_s > 0)
		o->timeout_ms = (int64_t)(srv->opt.query_timeout_s * 1000);
	if (srv->opt.query_max_samples > 0)
		o->max_samples = srv->opt.query_max_samples;
	/* subqueries without a step use the global evaluation_interval */
	pthread_rwlock_rdlock(&srv->config_lock);
	if (srv->config && srv->config->global.evaluation_interval_ms > 0)
		o->sub_step_ms = srv->config->global.evaluation_interval_ms;
	pthread_rwlock_unlock(&srv->config_lock);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void respond_query_error(struct http_response *resp, enum promql_errkind kind,
				const char *msg)
{
	switch (kind) {
	case PROMQL_ERR_BAD_DATA:
		respond_error(resp, "bad_data", msg);
		break;
	case PROMQL_ERR_TIMEOUT:
		respond_error(resp, "timeout", msg);
		break;
	case PROMQL_ERR_INTERNAL:
		respond_error(resp, "internal", msg);
		break;
	default:
		respond_error(resp, "execution", msg);
		break;
	}
}

/* The request's timeout parameter caps the server's --query.timeout. */
static int apply_timeout(const struct api_args *a, struct promql_engine_opts *o,
			 struct http_response *resp)
{
	if (!a->timeout || !*a->timeout)
		return 0;
	char err[256];
	int64_t ms;
	if (api_parse_duration(a->timeout, &ms, err, sizeof(err))) {
		respond_param_error(resp, "timeout", err);
		return -EINVAL;
	}
	if (o->timeout_ms <= 0 || ms < o->timeout_ms)
		o->timeout_ms = ms > 0 ? ms : 1;
	return 0;
}

static void run_query(struct server *srv, const struct api_args *a, bool range, int64_t start,
		      int64_t end, int64_t step, struct promql_engine_opts *o,
		      struct http_response *resp)
{
	char err[1024];
	struct promql_expr *e = NULL;
	const char *qs = a->query ? a->query : "";
	int rc = promql_parse(qs, strlen(qs), &e, err, sizeof(err));
	if (rc) {
		if (rc == -ENOMEM)
			respond_error(resp, "internal", "out of memory");
		else if (range)
			respond_error(resp, "bad_data", err);
		else
			respond_param_error(resp, "query", err);
		return;
	}
	struct promql_result *r = NULL;
	enum promql_errkind kind;
	rc = promql_exec_expr(srv->db, o, e, range, start, end, step, &r, &kind, err, sizeof(err));
	promql_expr_free(e);
	if (rc) {
		respond_query_error(resp, kind, err);
		return;
	}
	struct json j;
	begin_success(resp, &j);
	write_result(&j, r);
	if (r->nwarnings) {
		json_key(&j, "warnings");
		json_arr(&j);
		for (size_t i = 0; i < r->nwarnings; i++)
			json_str(&j, r->warnings[i]);
		json_end(&j);
	}
	json_end(&j);
	promql_result_free(r);
}

static void handle_query(struct server *srv, const struct api_args *a, struct http_response *resp)
{
	char err[256];
	int64_t t = now_ms();
	if (a->time && *a->time && api_parse_time(a->time, &t, err, sizeof(err))) {
		respond_time_param_error(resp, "time", err);
		return;
	}
	struct promql_engine_opts o;
	engine_opts(srv, &o);
	if (apply_timeout(a, &o, resp))
		return;
	run_query(srv, a, false, t, t, 0, &o, resp);
}

static void handle_query_range(struct server *srv, const struct api_args *a,
			       struct http_response *resp)
{
	char err[256];
	int64_t start, end, step;
	if (api_parse_time(a->start ? a->start : "", &start, err, sizeof(err))) {
		respond_param_error(resp, "start", err);
		return;
	}
	if (api_parse_time(a->end ? a->end : "", &end, err, sizeof(err))) {
		respond_param_error(resp, "end", err);
		return;
	}
	if (end < start) {
		respond_param_error(resp, "end", "end timestamp must not be before start time");
		return;
	}
	if (api_parse_duration(a->step ? a->step : "", &step, err, sizeof(err))) {
		respond_param_error(resp, "step", err);
		return;
	}
	if (step <= 0) {
		respond_param_error(resp, "step",
				    "zero or negative query resolution step widths are not "
				    "accepted. Try a positive integer");
		return;
	}
	if ((end - start) / step > 11000) {
		respond_error(resp, "bad_data",
			      "exceeded maximum resolution of 11,000 points per timeseries. Try "
			      "decreasing the query resolution (?step=XX)");
		return;
	}
	struct promql_engine_opts o;
	engine_opts(srv, &o);
	if (apply_timeout(a, &o, resp))
		return;
	run_query(srv, a, true, start, end, step, &o, resp);
}

/* ---- match[] ---- */

struct match_set {
	struct tsdb_matcher *ms;
	size_t n;
};

static void match_sets_free(struct match_set *sets, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sets[i].n; k++)
			tsdb_matcher_free(&sets[i].ms[k]);
		free(sets[i].ms);
	}
}

/*
 * Parse every match[] as a series selector (parser.ParseMetricSelector).
 * Returns 0 or -EINVAL with the answer already written.
 */
static int parse_match_sets(const struct api_args *a, struct match_set *sets,
			    struct http_response *resp, bool param_prefix)
{
	char err[1024];
	for (size_t i = 0; i < a->nmatch; i++) {
		struct promql_expr *e = NULL;
		const char *s = a->match[i];
		int rc = promql_parse(s, strlen(s), &e, err, sizeof(err));
		const struct promql_node *n = e ? e->root : NULL;
		if (!rc && (!n || n->kind != PROMQL_VECTOR_SELECTOR)) {
			/* only a selector is a metric selector */
			snprintf(err, sizeof(err),
				 "1:1: parse error: unexpected expression, expected a series "
				 "selector");
			rc = -EINVAL;
		}
		if (rc &&
		    strstr(err, "vector selector must contain at least one non-empty matcher")) {
			/* ParseMetricSelector leaves this check to the API, which words it so */
			snprintf(err, sizeof(err),
				 "match[] must contain at least one non-empty matcher");
		}
		if (rc) {
			promql_expr_free(e);
			match_sets_free(sets, i);
			if (param_prefix)
				respond_param_error(resp, "match[]", err);
			else
				respond_error(resp, "bad_data", err);
			return -EINVAL;
		}
		sets[i].n = n->vs.nmatchers;
		sets[i].ms = calloc(n->vs.nmatchers ? n->vs.nmatchers : 1, sizeof(*sets[i].ms));
		if (!sets[i].ms) {
			promql_expr_free(e);
			match_sets_free(sets, i);
			respond_error(resp, "internal", "out of memory");
			return -ENOMEM;
		}
		bool nonempty = false;
		for (size_t k = 0; k < n->vs.nmatchers; k++) {
			const struct promql_matcher *pm = &n->vs.matchers[k];
			enum tsdb_match_type t = pm->type == PROMQL_MATCH_EQUAL ? TSDB_MATCH_EQ
						 : pm->type == PROMQL_MATCH_NOT_EQUAL
							 ? TSDB_MATCH_NEQ
						 : pm->type == PROMQL_MATCH_REGEXP ? TSDB_MATCH_RE
										   : TSDB_MATCH_NRE;
			if (tsdb_matcher_init(&sets[i].ms[k], t, pm->name, pm->value, err,
					      sizeof(err))) {
				sets[i].n = k;
				promql_expr_free(e);
				match_sets_free(sets, i + 1);
				respond_error(resp, "bad_data", err);
				return -EINVAL;
			}
			if (!tsdb_matcher_matches(&sets[i].ms[k], ""))
				nonempty = true;
		}
		promql_expr_free(e);
		if (!nonempty) {
			match_sets_free(sets, i + 1);
			respond_error(resp, "bad_data",
				      "match[] must contain at least one non-empty matcher");
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_start_end(const struct api_args *a, int64_t *start, int64_t *end,
			   struct http_response *resp)
{
	char err[256];
	*start = API_MIN_TIME_MS;
	*end = API_MAX_TIME_MS;
	if (a->start && *a->start && api_parse_time(a->start, start, err, sizeof(err))) {
		respond_time_param_error(resp, "start", err);
		return -EINVAL;
	}
	if (a->end && *a->end && api_parse_time(a->end, end, err, sizeof(err))) {
		respond_time_param_error(resp, "end", err);
		return -EINVAL;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and deduplicate a list of malloc'd strings; returns the new count. */
static size_t sort_unique(char **v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_str);
	size_t o = 1;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i], v[o - 1])) {
			v[o++] = v[i];
		} else {
			free(v[i]);
		}
	}
	return o;
}

static int append_strings(char ***all, size_t *n, char **add, size_t nadd)
{
	char **na = realloc(*all, (*n + nadd + 1) * sizeof(**all));
	if (!na)
		return -ENOMEM;
	if (nadd)
		memcpy(na + *n, add, nadd * sizeof(*add));
	*all = na;
	*n += nadd;
	return 0;
}

/* /api/v1/labels and /api/v1/label/<name>/values */
static void handle_label_strings(struct server *srv, const struct api_args *a, const char *name,
				 struct http_response *resp)
{
	int64_t start, end;
	struct match_set sets[MAX_MATCH_SETS];
	char **all = NULL;
	size_t nall = 0;
	struct tsdb_querier *q = NULL;
	if (parse_start_end(a, &start, &end, resp) || parse_match_sets(a, sets, resp, false))
		return;
	int rc = srv->db ? tsdb_querier_new(srv->db, start, end, &q) : 0;
	if (rc)
		goto fail;
	for (size_t i = 0; q && i < (a->nmatch ? a->nmatch : 1); i++) {
		char **v = NULL;
		size_t n = 0;
		const struct tsdb_matcher *ms = a->nmatch ? sets[i].ms : NULL;
		size_t nms = a->nmatch ? sets[i].n : 0;
		rc = name ? tsdb_querier_label_values(q, name, ms, nms, &v, &n)
			  : tsdb_querier_label_names(q, ms, nms, &v, &n);
		if (rc)
			goto fail;
		rc = append_strings(&all, &nall, v, n);
		free(v);
		if (rc)
			goto fail;
	}
	nall = sort_unique(all, nall);
	struct json j;
	begin_success(resp, &j);
	json_arr(&j);
	for (size_t i = 0; i < nall; i++)
		json_str(&j, all[i]);
	json_end(&j);
	json_end(&j);
	goto out;
fail:
	respond_error(resp, "execution", strerror(-rc));
out:
	if (q)
		tsdb_querier_free(q);
	tsdb_strings_free(all, nall);
	match_sets_free(sets, a->nmatch);
}

struct series_ref {
	struct tsdb_label *l;
	size_t n;
};

static int cmp_series_ref(const void *a, const void *b)
{
	const struct series_ref *x = a, *y = b;
	return labels_cmp(x->l, x->n, y->l, y->n);
}

static void handle_series(struct server *srv, const struct api_args *a, struct http_response *resp)
{
	int64_t start, end;
	struct match_set sets[MAX_MATCH_SETS];
	if (!a->nmatch) {
		respond_error(resp, "bad_data", "no match[] parameter provided");
		return;
	}
	if (parse_start_end(a, &start, &end, resp) || parse_match_sets(a, sets, resp, true))
		return;
	struct tsdb_querier *q = NULL;
	struct tsdb_series_set *set[MAX_MATCH_SETS] = {0};
	struct series_ref *refs = NULL;
	size_t nrefs = 0;
	int rc = srv->db ? tsdb_querier_new(srv->db, start, end, &q) : 0;
	if (rc)
		goto fail;
	for (size_t i = 0; q && i < a->nmatch; i++) {
		rc = tsdb_querier_select(q, sets[i].ms, sets[i].n, &set[i]);
		if (rc)
			goto fail;
		size_t n = tsdb_series_set_len(set[i]);
		struct series_ref *nr = realloc(refs, (nrefs + n + 1) * sizeof(*nr));
		if (!nr) {
			rc = -ENOMEM;
			goto fail;
		}
		refs = nr;
		for (size_t k = 0; k < n; k++) {
			/*
			 * Only series with a sample in [start, end]: the selection
			 * still lists series whose samples were all deleted
			 * (tombstones), which Prometheus leaves out.
			 */
			struct tsdb_iter *it = NULL;
			int64_t t;
			double v;
			rc = tsdb_series_iter(set[i], k, &it);
			if (rc)
				goto fail;
			int has = tsdb_iter_seek(it, start, &t, &v);
			tsdb_iter_free(it);
			if (has < 0) {
				rc = has;
				goto fail;
			}
			if (!has || t > end)
				continue;
			const struct tsdb_label *l = tsdb_series_labels(set[i], k, &refs[nrefs].n);
			refs[nrefs++].l = (struct tsdb_label *)l;
		}
	}
	if (nrefs)
		qsort(refs, nrefs, sizeof(*refs), cmp_series_ref);
	struct json j;
	begin_success(resp, &j);
	json_arr(&j);
	for (size_t i = 0; i < nrefs; i++) {
		if (i && !cmp_series_ref(&refs[i], &refs[i - 1]))
			continue;
		write_labels(&j, refs[i].l, refs[i].n);
	}
	json_end(&j);
	json_end(&j);
	goto out;
fail:
	respond_error(resp, "internal", strerror(-rc));
out:
	free(refs);
	for (size_t i = 0; i < a->nmatch; i++)
		if (set[i])
			tsdb_series_set_free(set[i]);
	if (q)
		tsdb_querier_free(q);
	match_sets_free(sets, a->nmatch);
}

static void handle_delete_series(struct server *srv, const struct api_args *a,
				 struct http_response *resp)
{
	int64_t start, end;
	struct match_set sets[MAX_MATCH_SETS];
	if (!srv->opt.enable_admin_api) {
		respond_error(resp, "unavailable", "admin APIs disabled");
		return;
	}
	if (!a->nmatch) {
		respond_error(resp, "bad_data", "no match[] parameter provided");
		return;
	}
	if (parse_start_end(a, &start, &end, resp) || parse_match_sets(a, sets, resp, true))
		return;
	for (size_t i = 0; srv->db && i < a->nmatch; i++) {
		int rc = tsdb_delete(srv->db, sets[i].ms, sets[i].n, start, end);
		if (rc) {
			respond_error(resp, "internal", strerror(-rc));
			match_sets_free(sets, a->nmatch);
			return;
		}
	}
	match_sets_free(sets, a->nmatch);
	/* Prometheus answers a successful delete with 204 and no body */
	resp->status = 204;
	buf_reset(&resp->body);
}

struct name_count {
	char *name;
	uint64_t count;
};

static int cmp_name_count(const void *a, const void *b)
{
	const struct name_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Count name in the sorted list v of *n entries: one more for the last, or a new last entry. */
static void count_sorted(struct name_count *v, size_t *n, const char *name)
{
	if (*n && !strcmp(v[*n - 1].name, name)) {
		v[*n - 1].count++;
	} else {
		v[*n].name = (char *)name;
		v[(*n)++].count = 1;
	}
}

static void write_top(struct json *j, const char *key, struct name_count *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_name_count);
	json_key(j, key);
	json_arr(j);
	for (size_t i = 0; i < n && i < 10; i++) {
		json_obj(j);
		json_key(j, "name");
		json_str(j, v[i].name);
		json_key(j, "value");
		json_int(j, (int64_t)v[i].count);
		json_end(j);
	}
	json_end(j);
}

/*
 * /api/v1/status/tsdb: Prometheus reports the head block only; we count
 * over every series stored (head and blocks), which for a server that
 * keeps its recent data in the head is the same picture.
 */
static void handle_tsdb_status(struct server *srv, struct http_response *resp)
{
	int64_t mint = 0, maxt = 0;
	struct tsdb_querier *q = NULL;
	struct tsdb_series_set *set = NULL;
	struct name_count *byname = NULL, *bylabel = NULL, *bypair = NULL, *mem = NULL;
	size_t nbyname = 0, nbylabel = 0, nbypair = 0;
	uint64_t nseries = 0, npairs = 0;
	char **names = NULL, **pairs = NULL;
	size_t nnames = 0, npairs_str = 0;
	int rc = 0;
	if (srv->db) {
		tsdb_time_range(srv->db, &mint, &maxt);
		struct tsdb_matcher m;
		char err[128];
		rc = tsdb_matcher_init(&m, TSDB_MATCH_RE, "__name__", ".+", err, sizeof(err));
		if (rc)
			goto fail;
		rc = tsdb_querier_new(srv->db, API_MIN_TIME_MS, API_MAX_TIME_MS, &q);
		if (!rc)
			rc = tsdb_querier_select(q, &m, 1, &set);
		tsdb_matcher_free(&m);
		if (rc)
			goto fail;
		nseries = tsdb_series_set_len(set);
		rc = tsdb_querier_label_names(q, NULL, 0, &names, &nnames);
		if (rc)
			goto fail;
		bylabel = calloc(nnames + 1, sizeof(*bylabel));
		mem = calloc(nnames + 1, sizeof(*mem));
		if (!bylabel || !mem) {
			rc = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < nnames; i++) {
			char **vals = NULL;
			size_t nv = 0;
			rc = tsdb_querier_label_values(q, names[i], NULL, 0, &vals, &nv);
			if (rc)
				goto fail;
			uint64_t bytes = 0;
			for (size_t k = 0; k < nv; k++)
				bytes += strlen(vals[k]);
			tsdb_strings_free(vals, nv);
			bylabel[nbylabel].name = names[i];
			bylabel[nbylabel++].count = nv;
			mem[i].name = names[i];
			mem[i].count = bytes;
			npairs += nv;
		}
		/* series per metric name and per label pair, counted by a scan */
		byname = calloc(nseries + 1, sizeof(*byname));
		bypair = calloc(nseries + 1, sizeof(*bypair));
		if (!byname || !bypair) {
			rc = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < nseries; i++) {
			size_t nl;
			const struct tsdb_label *l = tsdb_series_labels(set, i, &nl);
			const char *name = labels_get(l, nl, "__name__");
			if (!name)
				continue;
			/* series come sorted by labels, so one metric name is contiguous */
			count_sorted(byname, &nbyname, name);
		}
		/* series per label pair: every "name=value" string, sorted and counted */
		size_t npstr = 0, cap = 0;
		char **pstr = NULL;
		for (size_t i = 0; i < nseries && !rc; i++) {
			size_t nl;
			const struct tsdb_label *l = tsdb_series_labels(set, i, &nl);
			for (size_t k = 0; k < nl; k++) {
				if (npstr == cap) {
					cap = cap ? cap * 2 : 256;
					char **np = realloc(pstr, cap * sizeof(*np));
					if (!np) {
						rc = -ENOMEM;
						break;
					}
					pstr = np;
				}
				size_t len = strlen(l[k].name) + strlen(l[k].value) + 2;
				char *ps = malloc(len);
				if (!ps) {
					rc = -ENOMEM;
					break;
				}
				snprintf(ps, len, "%s=%s", l[k].name, l[k].value);
				pstr[npstr++] = ps;
			}
		}
		if (!rc && npstr) {
			qsort(pstr, npstr, sizeof(*pstr), cmp_str);
			free(bypair);
			bypair = calloc(npstr, sizeof(*bypair));
			if (!bypair)
				rc = -ENOMEM;
			for (size_t i = 0; bypair && i < npstr; i++)
				count_sorted(bypair, &nbypair, pstr[i]);
		}
		if (rc) {
			for (size_t i = 0; i < npstr; i++)
				free(pstr[i]);
			free(pstr);
			goto fail;
		}
		pairs = pstr;
		npairs_str = npstr;
	}
	struct json j;
	begin_success(resp, &j);
	json_obj(&j);
	json_key(&j, "headStats");
	json_obj(&j);
	json_key(&j, "numSeries");
	json_int(&j, (int64_t)nseries);
	json_key(&j, "numLabelPairs");
	json_int(&j, (int64_t)npairs);
	json_key(&j, "chunkCount");
	json_int(&j, 0);
	json_key(&j, "minTime");
	json_int(&j, nseries ? mint : 0);
	json_key(&j, "maxTime");
	json_int(&j, nseries ? maxt : 0);
	json_end(&j);
	write_top(&j, "seriesCountByMetricName", byname, nbyname);
	write_top(&j, "labelValueCountByLabelName", bylabel, nbylabel);
	write_top(&j, "memoryInBytesByLabelName", mem, nnames);
	write_top(&j, "seriesCountByLabelValuePair", bypair, nbypair);
	json_end(&j);
	json_end(&j);
	goto out;
fail:
	respond_error(resp, "internal", strerror(-rc));
out:
	free(byname);
	free(bylabel);
	free(bypair);
	free(mem);
	tsdb_strings_free(names, nnames);
	for (size_t i = 0; i < npairs_str; i++)
		free(pairs[i]);
	free(pairs);
	if (set)
		tsdb_series_set_free(set);
	if (q)
		tsdb_querier_free(q);
}

static void handle_format_query(const struct api_args *a, struct http_response *resp)
{
	char err[1024];
	struct promql_expr *e = NULL;
	const char *qs = a->query ? a->query : "";
	if (promql_parse(qs, strlen(qs), &e, err, sizeof(err))) {
		respond_param_error(resp, "query", err);
		return;
	}
	char *s = promql_node_string(e->root);
	promql_expr_free(e);
	if (!s) {
		respond_error(resp, "internal", "out of memory");
		return;
	}
	struct json j;
	begin_success(resp, &j);
	json_str(&j, s);
	json_end(&j);
	free(s);
}

static void handle_exemplars(const struct api_args *a, struct http_response *resp)
{
	char err[1024];
	struct promql_expr *e = NULL;
	int64_t start, end;
	if (parse_start_end(a, &start, &end, resp))
		return;
	if (end < start) {
		respond_error(resp, "bad_data", "end timestamp must not be before start timestamp");
		return;
	}
	const char *qs = a->query ? a->query : "";
	if (promql_parse(qs, strlen(qs), &e, err, sizeof(err))) {
		respond_error(resp, "bad_data", err);
		return;
	}
	promql_expr_free(e);
	/* exemplars are not stored */
	struct json j;
	begin_success(resp, &j);
	json_arr(&j);
	json_end(&j);
	json_end(&j);
}

static void respond_empty_object(struct http_response *resp)
{
	struct json j;
	begin_success(resp, &j);
	json_obj(&j);
	json_end(&j);
	json_end(&j);
}

static bool method_is(const struct http_request *req, const char *m)
{
	return !strcmp(req->method, m) || (!strcmp(m, "GET") && !strcmp(req->method, "HEAD"));
}

/* A plain-text answer, as Go's http.Error writes one. */
static void respond_text(struct http_response *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	buf_reset(&resp->body);
	buf_puts(&resp->body, text);
}

static void not_found(struct http_response *resp)
{
	respond_text(resp, 404, "404 page not found\n");
}

static void method_not_allowed(struct http_response *resp)
{
	respond_text(resp, 405, "Method Not Allowed\n");
}

void api_v1_handle(struct server *srv, const struct http_request *req, struct http_response *resp)
{
	const char *path = req->url;
	if (strncmp(path, "/api/v1", 7)) {
		not_found(resp);
		return;
	}
	path += 7;
	struct api_args a = {0};
	http_args_foreach(req, collect_arg, &a);
	bool get = method_is(req, "GET"), post = method_is(req, "POST");
	if (a.oom) {
		respond_error(resp, "internal", "out of memory");
		goto out;
	}
	if (a.too_many_match) {
		respond_error(resp, "bad_data", "too many match[] parameters");
		goto out;
	}
	if (!strcmp(path, "/query") || !strcmp(path, "/query_range") ||
	    !strcmp(path, "/query_exemplars") || !strcmp(path, "/format_query") ||
	    !strcmp(path, "/labels") || !strcmp(path, "/series")) {
		if (!get && !post) {
			method_not_allowed(resp);
			goto out;
		}
		if (!strcmp(path, "/query"))
			handle_query(srv, &a, resp);
		else if (!strcmp(path, "/query_range"))
			handle_query_range(srv, &a, resp);
		else if (!strcmp(path, "/query_exemplars"))
			handle_exemplars(&a, resp);
		else if (!strcmp(path, "/format_query"))
			handle_format_query(&a, resp);
		else if (!strcmp(path, "/labels"))
			handle_label_strings(srv, &a, NULL, resp);
		else
			handle_series(srv, &a, resp);
		goto out;
	}
	if (!strncmp(path, "/label/", 7)) {
		const char *name = path + 7;
		const char *slash = strchr(name, '/');
		if (!slash || strcmp(slash, "/values")) {
			not_found(resp);
			goto out;
		}
		if (!get) {
			method_not_allowed(resp);
			goto out;
		}
		char ln[256];
		size_t n = (size_t)(slash - name);
		if (n >= sizeof(ln)) {
			respond_error(resp, "bad_data", "invalid label name");
			goto out;
		}
		memcpy(ln, name, n);
		ln[n] = '\0';
		http_url_decode(ln);
		bool ok = ln[0] != '\0';
		for (char *p = ln; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			      (p != ln && *p >= '0' && *p <= '9')))
				ok = false;
		if (!ok) {
			char msg[300];
			snprintf(msg, sizeof(msg), "invalid label name: \"%s\"", ln);
			respond_error(resp, "bad_data", msg);
			goto out;
		}
		handle_label_strings(srv, &a, ln, resp);
		goto out;
	}
	if (!strcmp(path, "/metadata") && get) {
		/* the scrape layer keeps no metadata yet: Prometheus's answer with none */
		respond_empty_object(resp);
		goto out;
	}
	if (!strcmp(path, "/status/tsdb") && get) {
		handle_tsdb_status(srv, resp);
		goto out;
	}
	if (!strcmp(path, "/admin/tsdb/delete_series")) {
		if (!post && strcmp(req->method, "PUT")) {
			method_not_allowed(resp);
			goto out;
		}
		handle_delete_series(srv, &a, resp);
		goto out;
	}
	not_found(resp);
out:
	for (size_t i = 0; i < a.nowned; i++)
		free(a.owned[i]);
}
