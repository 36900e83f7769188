// SPDX-License-Identifier: Apache-2.0
// Independent watchdog (LSI ~32 kHz; timeout = 4 * 2^PR * (RLR + 1) / f_LSI). Once started it
// cannot be stopped until the next reset.
#pragma once

#include <cstdint>

namespace fota::stm32 {

struct IwdgConfig {
  uint8_t prescaler_log2;  // PR: 0 = /4 ... 6 = /256
  uint16_t reload;         // RLR: 0..4095
  // Nominal period at 32 kHz LSI, in ms.
  constexpr uint32_t period_ms() const {
    return static_cast<uint32_t>((4ull << prescaler_log2) * (reload + 1ull) * 1000ull / 32'000ull);
  }
};

// Starts the watchdog with `config` (bounded wait for the PVU/RVU update flags).
void iwdg_start(const IwdgConfig& config);
// Reloads the counter. Harmless when the watchdog is not running.
inline void iwdg_kick() {
  *reinterpret_cast<volatile uint32_t*>(0x4000'3000) = 0xAAAA;
}

}  // namespace fota::stm32
