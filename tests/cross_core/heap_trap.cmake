# SPDX-License-Identifier: Apache-2.0
# Links a module that allocates with the probe's link options: succeeds only when the link fails
# and names the heap functions (proof that the trap on the core's link can fire).
separate_arguments(_flags UNIX_COMMAND "${FLAGS}")
execute_process(
  COMMAND ${CXX} ${_flags} ${OPTIONS} ${ENTRY} -Wl,--whole-archive ${HEAP_USER}
          -Wl,--no-whole-archive ${RUNTIME} -lgcc -o ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "heap trap: a module calling new/malloc/free linked: the trap is broken")
endif()
foreach(symbol __wrap__Znwj __wrap__ZdlPvj __wrap_malloc __wrap_free)
  string(FIND "${err}" "${symbol}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "heap trap: the link failed, but not on ${symbol}:\n${err}")
  endif()
endforeach()
message(STATUS "heap trap: new/delete/malloc/free are link errors (undefined __wrap_*)")
