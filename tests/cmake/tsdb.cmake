# SPDX-License-Identifier: Apache-2.0
# TSDB interchange with Prometheus 2.42 / promtool and fault tests; they
# need /usr/bin/prometheus and /usr/bin/promtool (Debian's prometheus
# package) and skip (77) without them.
foreach(case backfill promtool_reads_ours prometheus_serves_ours we_read_prometheus
             tombstones)
  add_test(NAME tsdb/interchange_${case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/integration/tsdb_interchange.py
            $<TARGET_FILE:vigil-tsdb-tool> ${case})
  set_tests_properties(tsdb/interchange_${case} PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77
                       LABELS integration)
endforeach()
foreach(case kill9 kill9_compact wal_garbage wal_truncated corrupt_chunks)
  add_test(NAME tsdb/faults_${case}
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/integration/tsdb_faults.py
            $<TARGET_FILE:vigil-tsdb-tool> ${case})
  set_tests_properties(tsdb/faults_${case} PROPERTIES TIMEOUT 180 LABELS integration)
endforeach()
