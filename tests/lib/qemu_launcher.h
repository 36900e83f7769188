// SPDX-License-Identifier: Apache-2.0
// The one QEMU launcher of the tests: runs qemu-system-arm -M netduinoplus2 (STM32F405: same core,
// flash map and USART1; no flash controller, RCC, CRC unit or IWDG) on a flash picture loaded at
// 0x0800'0000 and collects USART1 until the expected texts appeared, in order, or a wall-clock
// deadline passed. The child is always killed and reaped.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fota::test_support {

struct QemuRun {
  bool started = false;   // qemu could be spawned
  bool complete = false;  // every expected text appeared in order
  std::string output;     // USART1 (CR removed) plus QEMU's own messages, up to the last expected
                          // text when complete (without settle_ms)
};

// `image` is loaded at 0x0800'0000: pad it with 0xFF (QEMU reads unloaded flash as 0).
// settle_ms > 0: once the texts appeared, QEMU runs on for that long (wall time: QEMU has no
// simulated clock we control) and the output keeps all of it, for tests that check that
// something does NOT follow.
QemuRun run_qemu(const std::string& qemu, const std::filesystem::path& image,
                 const std::vector<std::string>& expected, int deadline_ms, int settle_ms = 0);

}  // namespace fota::test_support
