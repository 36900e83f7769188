# SPDX-License-Identifier: Apache-2.0
# cmake -DSIZE=<arm-none-eabi-size> -DELF=<file> -DBIN=<file> -DNAME=<label>
#       -DFLASH_LIMIT=<bytes> -DRAM_LIMIT=<bytes> -P print_size.cmake
# Prints the code (flash) and RAM use of a firmware image after its link: flash = the .bin that
# gets programmed; RAM = .data + .bss, plus the stack reserve shown apart.
execute_process(COMMAND ${SIZE} -A ${ELF} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SIZE} failed on ${ELF}")
endif()
function(section_size name var)
  if(out MATCHES "\n${name}[ \t]+([0-9]+)")
    set(${var} ${CMAKE_MATCH_1} PARENT_SCOPE)
  else()
    set(${var} 0 PARENT_SCOPE)
  endif()
endfunction()
section_size("\\.data" data)
section_size("\\.bss" bss)
section_size("\\.stack" stack)
file(SIZE ${BIN} flash)
math(EXPR ram "${data} + ${bss}")
math(EXPR flash_pct "${flash} * 100 / ${FLASH_LIMIT}")
math(EXPR ram_total "${ram} + ${stack}")
message("[size] ${NAME}: flash ${flash} B of ${FLASH_LIMIT} (${flash_pct}%), "
        "RAM ${ram} B static (.data ${data} + .bss ${bss}) + ${stack} B stack = ${ram_total} B of ${RAM_LIMIT}")
