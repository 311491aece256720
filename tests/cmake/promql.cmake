# SPDX-License-Identifier: Apache-2.0
# The PromQL parser against Debian's Prometheus 2.42: every query of the
# corpus must be valid or invalid in both, with the same error message and
# the same canonical String() form (skips, exit 77, only when Prometheus
# cannot start here).
add_test(NAME integration/promql_parse_diff
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/promql_parse_diff.py
          $<TARGET_FILE:vigil-promql-check> ${CMAKE_CURRENT_SOURCE_DIR}/promql/parse_corpus.txt)
set_tests_properties(integration/promql_parse_diff PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77
                     LABELS integration)

# The evaluation kernels (server/promql/functions.c) against Prometheus 2.42
# on backfilled data: range functions, aggregations, histogram_quantile,
# math and date functions must give the same values (skips, exit 77, only
# when prometheus or promtool cannot run here).
add_test(NAME integration/promql_kernels_diff
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/promql_kernels_diff.py
          $<TARGET_FILE:vigil-promql-kernels>)
set_tests_properties(integration/promql_kernels_diff PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77
                     LABELS integration)
