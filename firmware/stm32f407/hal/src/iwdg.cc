// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/iwdg.h"

#include "stm32f407/regs.h"

namespace fota::stm32 {

void iwdg_start(const IwdgConfig& config) {
  reg(iwdg::kKr) = iwdg::kKeyStart;  // also starts the LSI the prescaler update needs
  reg(iwdg::kKr) = iwdg::kKeyUnlock;
  reg(iwdg::kPr) = config.prescaler_log2 & 7u;
  reg(iwdg::kRlr) = config.reload & 0xFFFu;
  // PVU/RVU clear after a few LSI cycles (~0.2 ms); bounded (QEMU: reads 0, no IWDG).
  for (uint32_t n = 200'000; (reg(iwdg::kSr) & 3u) != 0 && n > 0; --n) {
  }
  reg(iwdg::kKr) = iwdg::kKeyReload;
}

}  // namespace fota::stm32
