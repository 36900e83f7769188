// SPDX-License-Identifier: Apache-2.0
// Runs a flash image on QEMU's netduinoplus2 (STM32F405: same core, flash map and USART1; no
// flash controller, RCC, CRC unit or IWDG) and collects USART1 until a line appears or a
// wall-clock deadline passes. The child is always killed and reaped.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace vstm32_test {

struct QemuResult {
  bool started = false;  // the program could be spawned
  bool found = false;    // `until` appeared before the deadline
  std::string serial;    // USART1 output up to and including `until` (CR bytes dropped)
  std::string rest;      // anything after it, and QEMU's own messages
};

// `image` is loaded at 0x0800'0000 (pad it with 0xFF: QEMU reads unloaded flash as 0).
QemuResult run_qemu_until(const std::string& qemu, const std::filesystem::path& image,
                          std::string_view until, int deadline_ms);

}  // namespace vstm32_test
