// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/backup.h"

#include "stm32f407/regs.h"

namespace fota::stm32 {

namespace {

constexpr uint32_t kApb1Pwr = 1u << 28;
constexpr uint32_t kPwrCr = 0x4000'7000;
constexpr uint32_t kPwrCrDbp = 1u << 8;
constexpr uint32_t kRtcBkp0r = 0x4000'2850;

}  // namespace

void backup_write(uint32_t value) {
  const uint32_t apb1 = reg(rcc::kApb1enr);
  reg(rcc::kApb1enr) = apb1 | kApb1Pwr;
  dsb();
  reg(kPwrCr) = reg(kPwrCr) | kPwrCrDbp;
  reg(kRtcBkp0r) = value;
  reg(kPwrCr) = reg(kPwrCr) & ~kPwrCrDbp;
  reg(rcc::kApb1enr) = apb1;
}

bool take_update_request() {
  if (reg(kRtcBkp0r) != kUpdateRequestMagic) return false;  // reading needs no clock or DBP
  backup_write(0);
  return true;
}

}  // namespace fota::stm32
