// SPDX-License-Identifier: Apache-2.0
// Why the chip reset, from the RCC_CSR reset flags. Internal resets (software, watchdogs) pulse
// NRST, so PINRSTF comes with them: the specific flags are tested first, the pin last.
#pragma once

#include <cstdint>

namespace fota::stm32 {

enum class ResetCause : uint8_t {
  kUnknown = 0,
  kPowerOn,
  kPin,
  kSoftware,
  kIndependentWatchdog,
  kWindowWatchdog,
  kLowPower,
  kBrownOut,
};

ResetCause reset_cause_from_csr(uint32_t csr);
const char* to_string(ResetCause cause);

// Reads RCC_CSR's reset flags, then clears them (RMVF) so the next reset reports only itself.
uint32_t take_reset_flags();

}  // namespace fota::stm32
