# SPDX-License-Identifier: Apache-2.0
# vigil-server: scraping live and faulty targets, lifecycle, kill -9; and the
# same config side by side with Prometheus 2.42 (skips without /usr/bin/prometheus).
if(TARGET vigil-server)
  find_program(NODE_EXPORTER prometheus-node-exporter)
  if(NOT NODE_EXPORTER)
    set(NODE_EXPORTER "")
  endif()
  add_test(NAME server/scrape_faults
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/integration/server_scrape_test.py
            $<TARGET_FILE:vigil-server> $<TARGET_FILE:vigil-agent> ${NODE_EXPORTER})
  set_tests_properties(server/scrape_faults PROPERTIES TIMEOUT 180 LABELS integration)

  find_program(PROMETHEUS_BIN prometheus)
  add_test(NAME server/prometheus_series_diff
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/integration/server_prometheus_diff.py
            $<TARGET_FILE:vigil-server> $<TARGET_FILE:vigil-agent> ${NODE_EXPORTER}
            ${PROMETHEUS_BIN})
  set_tests_properties(server/prometheus_series_diff PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77
                       LABELS integration)
endif()
