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
