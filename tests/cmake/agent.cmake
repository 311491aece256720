# SPDX-License-Identifier: Apache-2.0
# vigil-agent side by side with Debian's node_exporter on this host.
add_test(NAME integration/node_live
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/node_live_test.py
          $<TARGET_FILE:vigil-agent>)
set_tests_properties(integration/node_live PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                     LABELS integration)
