# SPDX-License-Identifier: Apache-2.0
# The TSDB's concurrency tests, and the agent under concurrent scrapes
# (tsan/agent_scrapes.py), under ThreadSanitizer (-DVIGIL_TSAN=ON; see
# scripts/vigil-dev test).  Criterion's runner cannot start under TSan (its
# arena is mapped at fixed addresses inside TSan's reserved range: Snaipe/
# Criterion issue 274), so the same sources build against the in-process
# runner of tests/tsan/ as tsan_<area>_<test>, tests tsan/<area>/<test>.
# A race report stops the test with exit status 66.
if(VIGIL_TSAN)
  foreach(src unit/tsdb/test_handle_race.c unit/tsdb/test_concurrency.c)
    get_filename_component(name ${src} NAME_WE)
    get_filename_component(dir ${src} DIRECTORY)
    get_filename_component(area ${dir} NAME)
    set(target tsan_${area}_${name})
    add_executable(${target} ${CMAKE_CURRENT_SOURCE_DIR}/${src}
                   ${CMAKE_CURRENT_SOURCE_DIR}/tsan/criterion_shim.c)
    target_include_directories(${target} BEFORE PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tsan)
    target_link_libraries(${target} PRIVATE vigil_${area} vigil_common m)
    set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    add_test(NAME tsan/${area}/${name} COMMAND ${target})
    set_tests_properties(tsan/${area}/${name} PROPERTIES TIMEOUT 120 LABELS tsan
      ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1 exitcode=66 second_deadlock_stack=1 history_size=4")
  endforeach()
  # the agent's HTTP server and scrape path under concurrent scrapes
  add_test(NAME tsan/agent/scrapes
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/tsan/agent_scrapes.py
            $<TARGET_FILE:vigil-agent>)
  set_tests_properties(tsan/agent/scrapes PROPERTIES TIMEOUT 180 LABELS tsan)
endif()
