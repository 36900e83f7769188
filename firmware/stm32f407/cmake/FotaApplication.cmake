# SPDX-License-Identifier: Apache-2.0
# Firmware executables for the STM32F407: the bootloader and applications linked for slot A and B.
#
#   fota_add_application(<name> VERSION x.y.z SOURCES ... [DEFINITIONS ...] [LIBRARIES ...])
#
# builds <name>-A.elf/.bin (vector table at 0x0802'0200) and <name>-B.elf/.bin (0x0808'0200) into
# ${FOTA_ARTIFACTS_DIR} (= <firmware build>/artifacts), each with a map file, and prints the code
# and RAM size after each link. The .bin starts at the vector table: it is the image payload that
# `fota pack` (or a test) puts behind the 512-byte header. Sources see FOTA_APP_VERSION ("x.y.z"),
# FOTA_APP_VERSION_MAJOR/_MINOR/_PATCH and FOTA_APP_SLOT (0 = A, 1 = B), and link fota_app.

set(FOTA_FIRMWARE_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR}/.. CACHE INTERNAL "")
set(FOTA_ARTIFACTS_DIR ${CMAKE_BINARY_DIR}/artifacts CACHE INTERNAL "")
set(FOTA_LINKER_DIR ${CMAKE_BINARY_DIR}/linker CACHE INTERNAL "")
file(MAKE_DIRECTORY ${FOTA_ARTIFACTS_DIR} ${FOTA_LINKER_DIR})

# fota_firmware_executable(<target> OUTPUT <name> LINKER_SCRIPT <file> FLASH_LIMIT <bytes>)
# Common link set-up: our linker script, map file, no start files, no heap, .bin + size print.
function(fota_firmware_executable target)
  cmake_parse_arguments(ARG "" "OUTPUT;LINKER_SCRIPT;FLASH_LIMIT" "" ${ARGN})
  set(elf ${FOTA_ARTIFACTS_DIR}/${ARG_OUTPUT}.elf)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${ARG_OUTPUT}
    SUFFIX .elf
    RUNTIME_OUTPUT_DIRECTORY ${FOTA_ARTIFACTS_DIR}
    INTERPROCEDURAL_OPTIMIZATION ON
    LINK_DEPENDS "${ARG_LINKER_SCRIPT};${FOTA_FIRMWARE_SOURCE_DIR}/linker/sections.ld;${FOTA_FIRMWARE_SOURCE_DIR}/linker/memory_common.ld")
  target_link_libraries(${target} PRIVATE fota_startup fota_firmware_link)
  target_link_options(${target} PRIVATE
    -T${ARG_LINKER_SCRIPT}
    -Wl,-Map=${FOTA_ARTIFACTS_DIR}/${ARG_OUTPUT}.map)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} -O binary ${elf} ${FOTA_ARTIFACTS_DIR}/${ARG_OUTPUT}.bin
    COMMAND ${CMAKE_COMMAND} -DSIZE=${CMAKE_SIZE} -DELF=${elf} -DBIN=${FOTA_ARTIFACTS_DIR}/${ARG_OUTPUT}.bin -DNAME=${ARG_OUTPUT}
            -DFLASH_LIMIT=${ARG_FLASH_LIMIT} -DRAM_LIMIT=131008
            -P ${FOTA_FIRMWARE_SOURCE_DIR}/cmake/print_size.cmake
    VERBATIM)
endfunction()

function(fota_add_application name)
  cmake_parse_arguments(ARG "" "VERSION" "SOURCES;DEFINITIONS;LIBRARIES" ${ARGN})
  if(NOT ARG_VERSION MATCHES "^([0-9]+)\\.([0-9]+)\\.([0-9]+)$")
    message(FATAL_ERROR "fota_add_application(${name}): VERSION must be x.y.z, got '${ARG_VERSION}'")
  endif()
  set(major ${CMAKE_MATCH_1})
  set(minor ${CMAKE_MATCH_2})
  set(patch ${CMAKE_MATCH_3})
  if(major GREATER 255 OR minor GREATER 255 OR patch GREATER 65535)
    message(FATAL_ERROR "fota_add_application(${name}): VERSION ${ARG_VERSION} out of range (255.255.65535)")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "fota_add_application(${name}): SOURCES missing")
  endif()
  foreach(slot A B)
    if(slot STREQUAL "A")
      set(FOTA_SLOT_ADDRESS 0x08020000)
      set(FOTA_VECTOR_ADDRESS 0x08020200)
      set(slot_index 0)
    else()
      set(FOTA_SLOT_ADDRESS 0x08080000)
      set(FOTA_VECTOR_ADDRESS 0x08080200)
      set(slot_index 1)
    endif()
    set(FOTA_SLOT ${slot})
    set(script ${FOTA_LINKER_DIR}/application-${slot}.ld)
    configure_file(${FOTA_FIRMWARE_SOURCE_DIR}/linker/application.ld.in ${script} @ONLY)
    set(target ${name}-${slot})
    add_executable(${target} ${ARG_SOURCES})
    target_compile_definitions(${target} PRIVATE
      FOTA_APP_VERSION="${ARG_VERSION}"
      FOTA_APP_VERSION_MAJOR=${major} FOTA_APP_VERSION_MINOR=${minor} FOTA_APP_VERSION_PATCH=${patch}
      FOTA_APP_SLOT=${slot_index}
      ${ARG_DEFINITIONS})
    target_link_libraries(${target} PRIVATE fota_app ${ARG_LIBRARIES})
    fota_firmware_executable(${target} OUTPUT ${target} LINKER_SCRIPT ${script} FLASH_LIMIT 392704)
  endforeach()
endfunction()
