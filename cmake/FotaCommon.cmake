# SPDX-License-Identifier: Apache-2.0
# Settings shared by the host and firmware builds.

# Warnings are errors in project code (third-party headers come in as SYSTEM).
add_library(fota_warnings INTERFACE)
target_compile_options(fota_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wno-missing-field-initializers
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast>)

# Freestanding core: no exceptions, no RTTI, no heap (checked on the firmware side by linking
# without malloc; on the host by review and the -fno-exceptions flag).
add_library(fota_freestanding INTERFACE)
target_compile_options(fota_freestanding INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>)
target_link_libraries(fota_freestanding INTERFACE fota_warnings)

# fota_core_library(name SOURCES ... [DEPS ...]): a portable core module laid out as
# <dir>/include/<name>/*.h and <dir>/src/*.cc, built for both host and firmware.
function(fota_core_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(ARG_SOURCES)
    add_library(${name} STATIC ${ARG_SOURCES})
    target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
    # The freestanding flags (-fno-exceptions -fno-rtti) and our warning policy (-Werror) apply
    # to the module's own sources only: host programs that use it keep exceptions at their edges
    # (CLI11, nlohmann-json), and a project embedding it keeps its own warning settings.
    target_link_libraries(${name} PRIVATE fota_freestanding PUBLIC ${ARG_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# fota_print_size(target [NOTE text]): in a cross build, prints the library's code size and
# static RAM after every build of it (size -t per object: text = flash, data+bss = RAM).
function(fota_print_size target)
  cmake_parse_arguments(ARG "" "NOTE" "" ${ARGN})
  if(NOT CMAKE_CROSSCOMPILING)
    return()
  endif()
  set(what "text = flash, data+bss = RAM")
  if(ARG_NOTE)
    string(APPEND what "; ${ARG_NOTE}")
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_SIZE} -t $<TARGET_FILE:${target}>
    COMMENT "${target} size (${what})"
    VERBATIM)
endfunction()
