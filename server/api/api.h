/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus's HTTP API (web/api/v1) for vigil-server: query, query_range,
 * series, labels, label values, metadata, query_exemplars, status/tsdb,
 * admin/tsdb/delete_series, format_query.  Answers have Prometheus's JSON
 * shapes ({"status":"success","data":...} or {"status":"error",
 * "errorType":...,"error":...}) and status codes (400 bad_data,
 * 422 execution, 503 timeout, 404 unknown endpoint).
 *
 * The web layer (server/web.c) owns /api/v1/targets and
 * /api/v1/status/{config,flags,runtimeinfo,buildinfo}; every other
 * /api/v1/ path comes here.
 */
#ifndef VIGIL_SERVER_API_API_H
#define VIGIL_SERVER_API_API_H

struct server;
struct http_request;
struct http_response;

/*
 * Answer one request whose path starts with /api/v1/ (the route prefix
 * already stripped).  Reads srv->db and srv->opt; writes the whole answer
 * into resp.  Safe to call from several threads at once.
 */
void api_v1_handle(struct server *srv, const struct http_request *req, struct http_response *resp);

#endif
