// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the PromQL parser: any input must parse or fail with
 * a message, never crash, leak or overrun; a parsed tree must print, and
 * its printed form must parse again to the same printed form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/promql/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct promql_expr *e;
	if (promql_parse((const char *)data, size, &e, err, sizeof(err)) < 0)
		return 0;
	char *s = promql_node_string(e->root);
	/*
	 * Prometheus prints +Inf with its sign, so a unary plus in front of an
	 * expression starting with +Inf gains a "+" on every round trip
	 * ("2 ^ +Inf ^ 2"); its printer does the same, so skip those.
	 */
	if (s && !strstr(s, "+Inf")) {
		struct promql_expr *e2;
		if (promql_parse(s, strlen(s), &e2, err, sizeof(err)) == 0) {
			char *s2 = promql_node_string(e2->root);
			if (s2 && strcmp(s, s2) != 0)
				abort(); /* printing is not a fixed point */
			free(s2);
			promql_expr_free(e2);
		}
	}
	free(s);
	promql_expr_free(e);
	return 0;
}
