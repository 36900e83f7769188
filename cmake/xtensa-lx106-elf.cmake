# SPDX-License-Identifier: Apache-2.0
# Xtensa toolchain for the cross-built core (tests/cross_core): Debian's gcc-xtensa-lx106, a real
# Xtensa code generator (the ESP8266's LX106 core; the ESP32's LX6 is the same ISA family with the
# windowed ABI). Debian ships no C or C++ library for it, so the compiler takes the
# target-independent headers of libstdc++ 12 and newlib from the arm-none-eabi packages (same GCC
# release; the ESP-IDF toolchain also pairs libstdc++ with newlib). Code is only compiled and
# linked, never run.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR xtensa)
set(CMAKE_C_COMPILER xtensa-lx106-elf-gcc)
set(CMAKE_CXX_COMPILER xtensa-lx106-elf-g++)
set(CMAKE_SIZE xtensa-lx106-elf-size CACHE FILEPATH "")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# The library header directories arm-none-eabi-g++ searches, minus its compiler-internal ones
# (stddef.h, stdint-gcc.h: the Xtensa compiler has its own).
execute_process(COMMAND arm-none-eabi-g++ -xc++ -E -Wp,-v /dev/null -o /dev/null
  ERROR_VARIABLE _arm_search RESULT_VARIABLE _arm_rc)
if(NOT _arm_rc EQUAL 0)
  message(FATAL_ERROR "xtensa toolchain: arm-none-eabi-g++ is needed for the C++ library headers (scripts/setup.sh installs it)")
endif()
string(REGEX REPLACE ".*#include <\\.\\.\\.> search starts here:\n(.*)End of search list.*" "\\1"
  _arm_search "${_arm_search}")
string(REPLACE "\n" ";" _arm_search "${_arm_search}")
set(_lib_includes "")
foreach(dir ${_arm_search})
  string(STRIP "${dir}" dir)
  get_filename_component(dir "${dir}" REALPATH)
  if(dir AND NOT dir MATCHES "/lib/gcc/")
    string(APPEND _lib_includes " -isystem ${dir}")
  endif()
endforeach()

# -mlongcalls as ESP-IDF builds (code placed in flash is out of reach of a direct CALL).
set(FOTA_CPU_FLAGS "-mlongcalls")
set(CMAKE_C_FLAGS_INIT "${FOTA_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT
    "${FOTA_CPU_FLAGS}${_lib_includes} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${FOTA_CPU_FLAGS}")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
