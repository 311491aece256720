# SPDX-License-Identifier: Apache-2.0
# The PromQL engine and query API against Debian's Prometheus 2.42 on the
# same backfilled data: every query of the corpus, instant and range, must
# give the same answer (skips, exit 77, only when Prometheus or promtool is
# not installed).
add_test(NAME integration/promql_eval_diff
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/promql_eval_diff.py
          $<TARGET_FILE:vigil-api-serve> ${CMAKE_CURRENT_SOURCE_DIR}/promql/eval_corpus.txt)
set_tests_properties(integration/promql_eval_diff PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
                     LABELS integration)

# Malformed and hostile queries: each gets a clean error (or an answer)
# within its timeout, and the server survives all of them.
add_test(NAME integration/promql_hostile
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/promql_hostile.py
          $<TARGET_FILE:vigil-api-serve> ${CMAKE_CURRENT_SOURCE_DIR}/promql/hostile_corpus.txt)
set_tests_properties(integration/promql_hostile PROPERTIES TIMEOUT 300 LABELS integration)

# Every panel query of the dashboards we ship and of the stock "Node
# Exporter Full" dashboard, on data scraped from a live vigil-agent,
# against Prometheus 2.42 (skips, exit 77, without prometheus/promtool).
file(GLOB VIGIL_DASHBOARDS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/packaging/grafana/dashboards/*.json)
add_test(NAME integration/promql_dashboards
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/promql_dashboards.py
          $<TARGET_FILE:vigil-agent> $<TARGET_FILE:vigil-api-serve>
          ${VIGIL_SHARED_FIXTURES}/grafana/node-exporter-full.json ${VIGIL_DASHBOARDS})
set_tests_properties(integration/promql_dashboards PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     LABELS integration)
