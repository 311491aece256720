# SPDX-License-Identifier: Apache-2.0
# vigil-agent's cAdvisor-compatible container listener.
add_test(NAME integration/container_promtool
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/container_promtool_test.py
          $<TARGET_FILE:vigil-agent> ${VIGIL_SHARED_FIXTURES} --live)
set_tests_properties(integration/container_promtool PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77
                     LABELS integration)

# A real Docker engine (private dockerd, own socket and data root), three containers.
add_test(NAME integration/container_docker
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/container_docker_test.py
          $<TARGET_FILE:vigil-agent>)
set_tests_properties(integration/container_docker PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     LABELS integration RUN_SERIAL TRUE)
