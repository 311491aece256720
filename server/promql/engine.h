/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PromQL evaluation engine: runs a parsed query against the TSDB as
 * Prometheus 2.42's promql.Engine does, instant (one evaluation time) or
 * range (start, end, step).
 *
 * Every node is evaluated once over all steps of the query, as Prometheus's
 * evaluator does: a selector's series are selected once for the whole
 * window and each series' samples are read once into memory and walked with
 * per-step cursors; functions, aggregations and binary operators then work
 * step by step on those in-memory values.  Subqueries evaluate their inner
 * expression once over their own aligned steps.
 *
 * Limits: a deadline (--query.timeout, checked in every loop), a cap on
 * samples held in memory (--query.max-samples), the lookback delta.  Memory
 * allocation failures are errors, never aborts.
 *
 * Ownership: a struct promql_result owns everything it points to (labels,
 * points, strings, warnings); promql_result_free() releases it.
 */
#ifndef VIGIL_SERVER_PROMQL_ENGINE_H
#define VIGIL_SERVER_PROMQL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/promql/ast.h"
#include "server/promql/functions.h"
#include "server/tsdb/labels.h"

struct tsdb;

struct promql_engine_opts {
	int64_t lookback_ms; /* --query.lookback-delta, default 5m */
	int64_t timeout_ms;  /* --query.timeout, default 2m; <= 0: none */
	int64_t max_samples; /* --query.max-samples, default 50,000,000 */
	int64_t sub_step_ms; /* default subquery step (evaluation_interval), 1m */
};

/* Fill o with Prometheus's defaults. */
void promql_engine_opts_default(struct promql_engine_opts *o);

/* How a query failed, as the HTTP API classifies it. */
enum promql_errkind {
	PROMQL_ERR_NONE,
	PROMQL_ERR_BAD_DATA,  /* parse or parameter error: 400 bad_data */
	PROMQL_ERR_EXECUTION, /* evaluation error: 422 execution */
	PROMQL_ERR_TIMEOUT,   /* deadline passed: 503 timeout */
	PROMQL_ERR_INTERNAL,  /* storage or memory: 500 internal */
};

/* One series of a result: its labels and points (one for an instant vector). */
struct promql_result_series {
	struct tsdb_label *labels;
	size_t nlabels;
	struct promql_sample *points;
	size_t npoints;
};

struct promql_result {
	enum promql_type type; /* VECTOR, MATRIX, SCALAR or STRING */
	struct promql_result_series *series;
	size_t nseries;
	int64_t t; /* scalar and string: evaluation time */
	double scalar;
	char *string;
	char **warnings;
	size_t nwarnings;
	struct promql_arena_mem *mem; /* private: the memory of everything above */
};

/*
 * Parse and evaluate query.  Instant: range false, start the evaluation
 * time (end and step ignored).  Range: every step from start to end.
 * On success returns 0 and *out (free with promql_result_free()).  On
 * failure a negative errno, *kind and Prometheus's message in err.
 */
int promql_exec(struct tsdb *db, const struct promql_engine_opts *o, const char *query, bool range,
		int64_t start, int64_t end, int64_t step, struct promql_result **out,
		enum promql_errkind *kind, char *err, size_t errlen);

/* Evaluate an already parsed tree (see promql_exec). */
int promql_exec_expr(struct tsdb *db, const struct promql_engine_opts *o,
		     const struct promql_expr *e, bool range, int64_t start, int64_t end,
		     int64_t step, struct promql_result **out, enum promql_errkind *kind, char *err,
		     size_t errlen);

void promql_result_free(struct promql_result *r);

#endif
