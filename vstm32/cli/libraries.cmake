# SPDX-License-Identifier: Apache-2.0
# Libraries of V2's part of vstm32, included by vstm32/cli/CMakeLists.txt and, while the CLI is
# not wired into the build yet, by tests/vstm32_rom. Each target is defined once.
set(_vstm32_dir ${CMAKE_CURRENT_LIST_DIR}/..)

if(NOT TARGET vstm32_rom)
  # The AN3155 model on its own (no CPU); the machine library links it.
  add_library(vstm32_rom STATIC ${_vstm32_dir}/src/rom_bootloader.cc)
  target_include_directories(vstm32_rom PUBLIC ${_vstm32_dir}/include ${_vstm32_dir}/../an3155/include)
  target_link_libraries(vstm32_rom PRIVATE fota_warnings)
endif()

if(NOT TARGET vstm32_frontend)
  # Host side: pty / TCP serial port, wire model, bit errors, control socket (no machine).
  add_library(vstm32_frontend STATIC
    ${_vstm32_dir}/src/serial_pty.cc
    ${_vstm32_dir}/src/serial_tcp.cc
    ${_vstm32_dir}/src/serial_wire.cc
    ${_vstm32_dir}/src/control_protocol.cc
    ${_vstm32_dir}/src/control_server.cc)
  target_include_directories(vstm32_frontend PUBLIC ${_vstm32_dir}/include)
  target_link_libraries(vstm32_frontend PRIVATE fota_warnings)
endif()
