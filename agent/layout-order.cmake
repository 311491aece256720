# SPDX-License-Identifier: Apache-2.0
# cmake -DLIST=hot-functions.txt -DOUT=order.txt -DNM=nm -DLIBS="a.a|b.a" -P layout-order.cmake
#
# The function order lld lays vigil-agent's text out by (agent/CMakeLists.txt):
# the functions a run was seen to enter (LIST, written by scripts/agent-layout),
# then every other function of our own libraries (LIBS), as nm lists them now.
# So a function of ours that the list does not know yet (new, renamed, or run
# only on hosts with hardware the listing run lacked) still lies next to the
# laid-out stretch instead of somewhere in the 1.5 MB of glibc, PCRE2 and zlib.
file(STRINGS "${LIST}" listed)
string(REPLACE "|" ";" libs "${LIBS}")
set(ours "")
foreach(lib IN LISTS libs)
  execute_process(COMMAND "${NM}" --defined-only "${lib}" OUTPUT_VARIABLE syms
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} ${lib} failed")
  endif()
  string(REGEX MATCHALL "[0-9a-f]+ [tT] [^\n]+" lines "${syms}")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[0-9a-f]+ [tT] " "" name "${line}")
    list(APPEND ours "${name}")
  endforeach()
endforeach()
# each name once: those of the list keep their place in it
list(REMOVE_DUPLICATES ours)
if(listed AND ours)
  list(REMOVE_ITEM ours ${listed})
endif()
list(APPEND listed ${ours})
list(JOIN listed "\n" text)
file(WRITE "${OUT}.tmp" "${text}\n")
file(RENAME "${OUT}.tmp" "${OUT}")
