# SPDX-License-Identifier: Apache-2.0
# Host-only settings: sanitizers, GoogleTest, fuzzers.
if(FOTA_SANITIZE)
  # vptr is off: core modules are built without RTTI (freestanding), so the typeinfo that
  # UBSan's dynamic-type check needs does not exist for their classes.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# lld links the large Debug + ASan executables in about half the CPU time of GNU ld
# (docs/testing.md); scripts/setup.sh installs it. Without it, the default linker.
find_program(FOTA_LLD ld.lld)
if(FOTA_LLD)
  add_link_options(-fuse-ld=lld)
endif()

find_package(GTest REQUIRED)
include(GoogleTest)

# The test executables reuse one precompiled GoogleTest/GoogleMock header: parsing those headers
# is most of a test file's compile time (docs/testing.md). Off by default under a compiler
# launcher: ccache does not cache a compile that uses a precompiled header (unless configured
# with sloppiness=pch_defines,time_macros), and without one it caches the plain compile well.
if(CMAKE_CXX_COMPILER_LAUNCHER)
  set(_fota_test_pch_default OFF)
else()
  set(_fota_test_pch_default ON)
endif()
option(FOTA_TEST_PCH "Precompile the GoogleTest headers once for all test executables"
       ${_fota_test_pch_default})
if(FOTA_TEST_PCH)
  add_library(fota_test_pch OBJECT ${PROJECT_SOURCE_DIR}/tests/lib/gtest_pch.cc)
  target_link_libraries(fota_test_pch PRIVATE GTest::gtest GTest::gmock)
  target_precompile_headers(fota_test_pch PRIVATE <gtest/gtest.h> <gmock/gmock.h>)
endif()

# The test labels (README "Tests"): each test carries exactly one of these, so that
# `ctest -L <label>` selects exactly that kind; further labels (bootloader, powercut, ...) must not
# contain one of these names, since -L takes a regular expression.
set(FOTA_TEST_KINDS unit vstm32 peer e2e fuzz bench lint)

# fota_test_labels(out LABELS...): LABELS with "unit" in front when no kind is among them; fails
# the configure step on two kinds.
function(fota_test_labels out)
  set(kinds 0)
  foreach(label ${ARGN})
    if(label IN_LIST FOTA_TEST_KINDS)
      math(EXPR kinds "${kinds} + 1")
    endif()
  endforeach()
  if(kinds GREATER 1)
    message(FATAL_ERROR "test labels '${ARGN}' name more than one of ${FOTA_TEST_KINDS}")
  endif()
  set(labels ${ARGN})
  if(kinds EQUAL 0)
    list(PREPEND labels unit)
  endif()
  set(${out} "${labels}" PARENT_SCOPE)
endfunction()

# fota_discover_tests(target [TEST_PREFIX p] LABELS ...): gtest_discover_tests with the labels
# applied by a script that ctest runs after the discovered tests are known (gtest_discover_tests
# itself keeps only the first element of a list-valued property).
function(fota_discover_tests target)
  cmake_parse_arguments(ARG "" "TEST_PREFIX" "LABELS" ${ARGN})
  fota_test_labels(labels ${ARG_LABELS})
  gtest_discover_tests(${target} TEST_PREFIX "${ARG_TEST_PREFIX}" DISCOVERY_TIMEOUT 60
                       TEST_LIST ${target}_TESTS)
  set(script ${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake)
  file(WRITE ${script}
       "if(${target}_TESTS)\n  set_tests_properties(\${${target}_TESTS} PROPERTIES LABELS \"${labels}\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${script})
endfunction()

# fota_add_test(name SOURCES ... DEPS ... [LABELS ...]): a GoogleTest executable registered with
# ctest; labelled "unit" unless LABELS names another kind.
function(fota_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} fota_warnings GTest::gtest GTest::gtest_main GTest::gmock)
  if(TARGET fota_test_pch)
    target_precompile_headers(${name} REUSE_FROM fota_test_pch)
  endif()
  fota_discover_tests(${name} LABELS ${ARG_LABELS})
endfunction()

# fota_add_script_test(name SCRIPT file [TOOLS targets...] [FIRMWARE] [ARGS args...] LABELS ...
#                      TIMEOUT seconds): a shell test (bash SCRIPT in this directory) given the
# files of TOOLS (e.g. fota vstm32_cli), then with FIRMWARE the ARM build's artifacts and packed
# releases (no test without the ARM build), then ARGS.
function(fota_add_script_test name)
  cmake_parse_arguments(ARG "FIRMWARE" "SCRIPT;TIMEOUT" "TOOLS;ARGS;LABELS" ${ARGN})
  if(ARG_FIRMWARE AND NOT TARGET demo_releases)
    return()
  endif()
  set(command bash ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_SCRIPT})
  foreach(tool ${ARG_TOOLS})
    list(APPEND command $<TARGET_FILE:${tool}>)
  endforeach()
  if(ARG_FIRMWARE)
    list(APPEND command ${FOTA_FIRMWARE_DIR}/artifacts ${CMAKE_BINARY_DIR}/releases)
  endif()
  add_test(NAME ${name} COMMAND ${command} ${ARG_ARGS})
  fota_test_labels(labels ${ARG_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# fota_require_fuzzcov(fuzzer deps...): stops the configure step unless one of deps was made by
# fota_add_fuzzcov_library. Without an instrumented copy of the code under test libFuzzer sees
# only the harness and mutates blind (four fuzzers once did: corpora of 0 to 32 inputs).
function(fota_require_fuzzcov fuzzer)
  foreach(dep IN LISTS ARGN)
    if(TARGET ${dep})
      get_target_property(fuzzcov ${dep} FOTA_FUZZCOV)
      if(fuzzcov)
        return()
      endif()
    endif()
  endforeach()
  message(FATAL_ERROR "fota_add_fuzzer(${fuzzer}): no library of DEPS (${ARGN}) is made by "
                      "fota_add_fuzzcov_library: libFuzzer would see none of the code under test")
endfunction()

# fota_add_fuzzer(name SOURCE file [RUNS n] [ARGS libfuzzer-flags...] DEPS ...): a libFuzzer
# target plus a ctest smoke run of RUNS inputs (default 200000) with a fixed seed. Each fuzzer's
# RUNS is sized for a smoke of a few CPU seconds under ASan (docs/testing.md); a non-empty
# FOTA_FUZZ_RUNS replaces every RUNS. Long runs: scripts/fuzz-long.sh.
set(FOTA_FUZZ_RUNS "" CACHE STRING "Inputs every fuzz smoke test executes (empty: each fuzzer's own RUNS)")
function(fota_add_fuzzer name)
  cmake_parse_arguments(ARG "" "SOURCE;RUNS" "DEPS;ARGS" ${ARGN})
  if(NOT FOTA_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCE})
  fota_require_fuzzcov(${name} ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} fota_warnings)
  set(runs 200000)
  if(ARG_RUNS)
    set(runs ${ARG_RUNS})
  endif()
  if(NOT FOTA_FUZZ_RUNS STREQUAL "")
    set(runs ${FOTA_FUZZ_RUNS})
  endif()
  add_test(NAME fuzz_smoke.${name}
    COMMAND ${name} -runs=${runs} -seed=1 -max_len=4096 ${ARG_ARGS} -print_final_stats=1)
  set_tests_properties(fuzz_smoke.${name} PROPERTIES LABELS "fuzz" TIMEOUT 300)
endfunction()

# fota_add_fuzzcov_library(name COPY_OF library [EXCLUDE regex] [DEPS ...]): a
# coverage-instrumented copy of library (its sources but those matching EXCLUDE, its include
# directories), so that libFuzzer sees inside the code under test: the normal libraries are built
# without -fsanitize=fuzzer-no-link. DEPS: what the copy links (instead of library's own links).
# Every fuzzer links one (fota_add_fuzzer checks).
function(fota_add_fuzzcov_library name)
  cmake_parse_arguments(ARG "" "COPY_OF;EXCLUDE" "DEPS" ${ARGN})
  get_target_property(listed ${ARG_COPY_OF} SOURCES)
  get_target_property(dir ${ARG_COPY_OF} SOURCE_DIR)
  set(sources "")
  foreach(source ${listed})
    if(ARG_EXCLUDE AND source MATCHES "${ARG_EXCLUDE}")
      continue()
    endif()
    if(NOT IS_ABSOLUTE ${source})
      set(source ${dir}/${source})
    endif()
    list(APPEND sources ${source})
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name}
    PUBLIC $<TARGET_PROPERTY:${ARG_COPY_OF},INTERFACE_INCLUDE_DIRECTORIES>
    PRIVATE $<TARGET_PROPERTY:${ARG_COPY_OF},INCLUDE_DIRECTORIES>)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE fota_warnings)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer-no-link -O2)
  set_target_properties(${name} PROPERTIES FOTA_FUZZCOV ON)
endfunction()
