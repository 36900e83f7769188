# SPDX-License-Identifier: Apache-2.0
# Builds the ARM firmware (the `firmware` preset's tree) inside the host build, so that one command
# builds everything and host tests can run the real binaries on vstm32.
include(ExternalProject)
find_program(FOTA_ARM_GXX arm-none-eabi-g++)
if(NOT FOTA_ARM_GXX)
  message(FATAL_ERROR "arm-none-eabi-g++ not found: run scripts/setup.sh or configure with -DFOTA_BUILD_FIRMWARE=OFF")
endif()
set(FOTA_FIRMWARE_DIR ${CMAKE_BINARY_DIR}/firmware CACHE INTERNAL "ARM firmware build tree")
ExternalProject_Add(firmware
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${FOTA_FIRMWARE_DIR}
  CMAKE_ARGS
    -G Ninja
    -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/arm-none-eabi.cmake
    -DCMAKE_BUILD_TYPE=MinSizeRel
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON
  USES_TERMINAL_BUILD ON)

# Where host tests find the ARM artefacts (ELF/bin of the bootloader, demo apps, test programs).
# Link fota_firmware_artifacts and add_dependencies(<test> firmware).
add_library(fota_firmware_artifacts INTERFACE)
target_compile_definitions(fota_firmware_artifacts INTERFACE
  FOTA_ARTIFACTS_DIR="${FOTA_FIRMWARE_DIR}/artifacts"
  FOTA_RELEASES_DIR="${CMAKE_BINARY_DIR}/releases")

# (Enabled once `fota pack` and the demo firmware exist in the tree.)
if(NOT EXISTS ${PROJECT_SOURCE_DIR}/tools/fota/src/cmd_pack.cc OR NOT EXISTS ${PROJECT_SOURCE_DIR}/firmware/stm32f407/demo)
  return()
endif()
# Packs the demo application variants with `fota pack` into <build>/releases/<name>/ after the
# firmware is built: the releases the demo and the end-to-end tests flash.
set(FOTA_DEMO_RELEASES
  "demo-v1:1.0.0" "demo-v2:2.0.0" "demo-v3:3.0.0"
  "demo-noconfirm:2.1.0" "demo-hardfault:2.2.0" "demo-hang:2.3.0")
# Signed with a key the build generates once (<build>/keys/demo.key, mode 0600; never committed):
# `fota verify --key <build>/keys/demo.pub <build>/releases/<name>` checks them.
set(FOTA_DEMO_KEY ${CMAKE_BINARY_DIR}/keys/demo CACHE INTERNAL "Build-time demo signing key")
set(_pack_commands
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/keys
  COMMAND sh -c "test -f \"$1.key\" || \"$0\" keygen --out \"$1\" >/dev/null"
          $<TARGET_FILE:fota> ${FOTA_DEMO_KEY})
foreach(entry ${FOTA_DEMO_RELEASES})
  string(REPLACE ":" ";" parts ${entry})
  list(GET parts 0 name)
  list(GET parts 1 version)
  list(APPEND _pack_commands
    COMMAND $<TARGET_FILE:fota> pack
      --app-a ${FOTA_FIRMWARE_DIR}/artifacts/${name}-A.elf
      --app-b ${FOTA_FIRMWARE_DIR}/artifacts/${name}-B.elf
      --version ${version} --product stm32f407-demo --name ${name} --sign ${FOTA_DEMO_KEY}.key
      --out ${CMAKE_BINARY_DIR}/releases/${name})
endforeach()
add_custom_target(demo_releases ALL ${_pack_commands}
  COMMENT "fota pack: demo releases into ${CMAKE_BINARY_DIR}/releases"
  VERBATIM)
add_dependencies(demo_releases firmware fota)
