// SPDX-License-Identifier: Apache-2.0
// Runs qemu-system-arm -M netduinoplus2 (STM32F405: same core and flash map, no flash controller,
// RCC, CRC unit or IWDG) on a 1 MB flash picture and collects USART1 until the expected lines
// appeared or a wall-clock deadline passed. The child is always killed and reaped.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fota::boot_test {

struct QemuRun {
  bool started = false;   // qemu could be spawned
  bool complete = false;  // every expected text appeared in order
  std::string output;     // USART1 (CR removed) plus QEMU's own messages
};

// Waits until each of `expected` appears in the output, in that order (bounded by deadline_ms).
QemuRun run_qemu(const std::filesystem::path& flash_file, const std::vector<std::string>& expected,
                 int deadline_ms);

}  // namespace fota::boot_test
