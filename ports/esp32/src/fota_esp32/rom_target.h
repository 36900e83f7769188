// SPDX-License-Identifier: Apache-2.0
// What the ESP32 adds to the core's an3155::RomTarget (the engine's Target over ST's ROM
// bootloader, the same code `fota flash` and `fota agent` run): the STM32's console lines on the
// ESP32's console ("stm32: ...") and the link's name in messages. The sketch passes it and a
// kRomReadCacheBytes buffer to an3155::RomTarget.
#pragma once

#include <string_view>

#include "an3155/rom_target.h"

namespace fota::esp32 {

class RomConsoleEcho final : public an3155::RomTargetHooks {
 public:
  void on_console_line(std::string_view line) override;
  const char* link_name() const override { return "the target UART"; }
};

}  // namespace fota::esp32
