# SPDX-License-Identifier: Apache-2.0
# netclass's kept sysfs descriptors against a device that changes, vanishes and comes back,
# all in private network and mount namespaces (the test re-executes itself under unshare and
# mounts its own sysfs; needs root, unshare and the ifb device type; skips with 77 otherwise).
add_test(NAME integration/netclass_fdcache
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/netclass_fdcache_test.py
          $<TARGET_FILE:vigil-agent>)
set_tests_properties(integration/netclass_fdcache PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77
  LABELS integration)

# netclass from rtnetlink against node_exporter, in private namespaces (root).
add_test(NAME integration/netclass_netlink
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/integration/netclass_netlink_test.py
          $<TARGET_FILE:vigil-agent>)
set_tests_properties(integration/netclass_netlink PROPERTIES TIMEOUT 100 SKIP_RETURN_CODE 77
                     LABELS integration)
