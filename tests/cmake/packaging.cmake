# SPDX-License-Identifier: Apache-2.0
# Packages (.deb/.rpm via CPack), systemd units, the installed agent.
# packaging/packages: build and inspect both package kinds, lintian, systemd-analyze
#   verify, start the packaged agent as its unit would and scrape it.
# packaging/chroot (label slow): install the .deb into a clean Debian 12 root
#   (debootstrap, tarball cached in the build tree) and run it there.
# Both skip (77) in sanitizer builds: packages are made from plain builds.
add_test(NAME packaging/packages
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/packaging_test.py
          packages ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} $<IF:$<BOOL:${VIGIL_SANITIZE}>,ON,OFF>)
set_tests_properties(packaging/packages PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     LABELS "integration;packaging" RUN_SERIAL TRUE)
add_test(NAME packaging/chroot
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/packaging_test.py
          chroot ${CMAKE_BINARY_DIR} $<IF:$<BOOL:${VIGIL_SANITIZE}>,ON,OFF>)
set_tests_properties(packaging/chroot PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77
                     LABELS "integration;packaging;slow" RUN_SERIAL TRUE)

# Grafana: every query of our dashboards answered from a live agent's data, and
# node_exporter's stock dashboard compared between vigil-agent and node_exporter.
# The server is Prometheus for now; pass --server vigil-server=<path> (or --url) to
# check vigil-server instead.
add_test(NAME packaging/dashboards
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/dashboards_test.py
          --agent $<TARGET_FILE:vigil-agent>
          --dashboards ${CMAKE_SOURCE_DIR}/packaging/grafana/dashboards
          --stock ${VIGIL_SHARED_FIXTURES}/grafana/node-exporter-full.json)
# RUN_SERIAL: its busy containers would skew the CPU checks of tests running beside it
set_tests_properties(packaging/dashboards PROPERTIES TIMEOUT 240 SKIP_RETURN_CODE 77
                     LABELS "integration;packaging" RUN_SERIAL TRUE)
# the same against vigil-server, once it is built
if(TARGET vigil-server)
  add_test(NAME packaging/dashboards_vigil_server
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/dashboards_test.py
            --agent $<TARGET_FILE:vigil-agent> --server vigil-server=$<TARGET_FILE:vigil-server>
            --dashboards ${CMAKE_SOURCE_DIR}/packaging/grafana/dashboards
            --stock ${VIGIL_SHARED_FIXTURES}/grafana/node-exporter-full.json)
  set_tests_properties(packaging/dashboards_vigil_server PROPERTIES TIMEOUT 240
                       SKIP_RETURN_CODE 77 LABELS "integration;packaging" RUN_SERIAL TRUE)
endif()
# the committed dashboards are what gen_dashboards.py writes
add_test(NAME packaging/dashboards_generated
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/packaging/grafana/gen_dashboards.py --check)
set_tests_properties(packaging/dashboards_generated PROPERTIES TIMEOUT 30 LABELS packaging)

# The binaries notify systemd as their Type=notify units expect.
add_test(NAME integration/sdnotify
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/sdnotify_test.py
          $<TARGET_FILE:vigil-agent> $<TARGET_FILE:vigil-server>)
set_tests_properties(integration/sdnotify PROPERTIES TIMEOUT 120 LABELS integration)
