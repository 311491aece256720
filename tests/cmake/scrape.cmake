# SPDX-License-Identifier: Apache-2.0
# Scrape configuration: `check config` against promtool over a corpus of good and bad configs.
find_program(PROMTOOL promtool)
add_test(NAME scrape/promtool_diff
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/scrape_promtool_diff.py
          $<TARGET_FILE:vigil-scrape-check> ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/scrape/configs
          ${PROMTOOL})
set_tests_properties(scrape/promtool_diff PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     LABELS integration)

# Target population (relabeling, default port, params, file SD) against a real Prometheus 2.42.
find_program(PROMETHEUS prometheus)
add_test(NAME scrape/targets_diff
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/scrape_targets_diff.py
          $<TARGET_FILE:vigil-scrape-check>
          ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/scrape/targets_diff/prometheus.yml ${PROMETHEUS})
set_tests_properties(scrape/targets_diff PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                     LABELS integration)
