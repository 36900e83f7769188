// SPDX-License-Identifier: Apache-2.0
#include "fota_esp32/rom_target.h"

#include <cstdio>

namespace fota::esp32 {

void RomConsoleEcho::on_console_line(std::string_view line) {
  std::printf("stm32: %.*s\n", static_cast<int>(line.size()), line.data());
}

}  // namespace fota::esp32
