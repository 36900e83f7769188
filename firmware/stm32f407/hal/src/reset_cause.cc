// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/reset_cause.h"

#include "stm32f407/regs.h"

namespace fota::stm32 {

ResetCause reset_cause_from_csr(uint32_t csr) {
  if (csr & rcc::kCsrLpwrrstf) return ResetCause::kLowPower;
  if (csr & rcc::kCsrWwdgrstf) return ResetCause::kWindowWatchdog;
  if (csr & rcc::kCsrIwdgrstf) return ResetCause::kIndependentWatchdog;
  if (csr & rcc::kCsrSftrstf) return ResetCause::kSoftware;
  if (csr & rcc::kCsrPorrstf) return ResetCause::kPowerOn;
  if (csr & rcc::kCsrBorrstf) return ResetCause::kBrownOut;
  if (csr & rcc::kCsrPinrstf) return ResetCause::kPin;
  return ResetCause::kUnknown;
}

const char* to_string(ResetCause cause) {
  switch (cause) {
    case ResetCause::kUnknown: return "unknown";
    case ResetCause::kPowerOn: return "power-on";
    case ResetCause::kPin: return "pin";
    case ResetCause::kSoftware: return "software";
    case ResetCause::kIndependentWatchdog: return "iwdg";
    case ResetCause::kWindowWatchdog: return "wwdg";
    case ResetCause::kLowPower: return "low-power";
    case ResetCause::kBrownOut: return "brown-out";
  }
  return "?";
}

uint32_t take_reset_flags() {
  const uint32_t flags = reg(rcc::kCsr) & rcc::kCsrResetFlags;
  reg(rcc::kCsr) = reg(rcc::kCsr) | rcc::kCsrRmvf;
  return flags;
}

}  // namespace fota::stm32
