// SPDX-License-Identifier: Apache-2.0
#include "i2c_slave.h"

#include "i2c_pump.h"
#include "native/i2c.h"
#include "stm32f407/regs.h"

namespace fota::boot {

namespace {

using stm32::reg;
constexpr uint32_t kGpiob = 0x4002'0400;
constexpr uint32_t kAhb1Gpiob = 1u << 1;
constexpr uint32_t kApb1I2c1 = 1u << 21;
constexpr uint32_t kNvicIser0 = 0xE000'E100;

// APB1 clock from SYSCLK and the CFGR prescalers (HPRE, PPRE1): I2C1 needs it in CR2.FREQ.
uint32_t pclk1_mhz() {
  const uint32_t sws = (reg(stm32::rcc::kCfgr) >> 2) & 3u;
  uint32_t mhz = sws == 2 ? 168 : 16;  // PLL (clock_init_168mhz) or HSI
  const uint32_t hpre = (reg(stm32::rcc::kCfgr) >> 4) & 0xFu;
  if ((hpre & 8u) != 0) mhz >>= (hpre & 7u) + 1;
  const uint32_t ppre1 = (reg(stm32::rcc::kCfgr) >> 10) & 7u;
  if ((ppre1 & 4u) != 0) mhz >>= (ppre1 & 3u) + 1;
  return mhz;
}

void pulse_reset(uint32_t rstr, uint32_t bit) {
  reg(rstr) = reg(rstr) | bit;
  reg(rstr) = reg(rstr) & ~bit;
}

}  // namespace

void i2c_slave_init() {
  if ((reg(stm32::rcc::kApb1enr) & kApb1I2c1) != 0 && (reg(i2c1::kCr1) & i2c1::kCr1Pe) != 0) {
    return;
  }
  reg(stm32::rcc::kAhb1enr) = reg(stm32::rcc::kAhb1enr) | kAhb1Gpiob;
  reg(stm32::rcc::kApb1enr) = reg(stm32::rcc::kApb1enr) | kApb1I2c1;
  stm32::dsb();
  // PB6, PB7: AF4, open drain, pull-up (a bus without external pull-ups still idles high).
  reg(kGpiob + 0x04) = reg(kGpiob + 0x04) | (3u << 6);
  reg(kGpiob + 0x0C) = (reg(kGpiob + 0x0C) & ~(0xFu << 12)) | (0x5u << 12);
  reg(kGpiob + 0x20) = (reg(kGpiob + 0x20) & ~(0xFFu << 24)) | (0x44u << 24);
  reg(kGpiob + 0x00) = (reg(kGpiob + 0x00) & ~(0xFu << 12)) | (0xAu << 12);
  reg(i2c1::kCr2) = pclk1_mhz() & 0x3Fu;
  reg(i2c1::kOar1) = (1u << 14) | (uint32_t{native::kI2cAddress} << 1);
  reg(i2c1::kCr1) = i2c1::kCr1Pe;
  reg(i2c1::kCr1) = i2c1::kCr1Pe | i2c1::kCr1Ack;
}

void i2c_slave_enable_wakeups() {
  reg(i2c1::kCr2) = reg(i2c1::kCr2) | i2c1::kCr2Itevten | i2c1::kCr2Iterren;
  reg(kNvicIser0) = 1u << 31;     // I2C1_EV
  reg(kNvicIser0 + 4) = 1u << 0;  // I2C1_ER (IRQ 32)
}

void i2c_slave_release() {
  reg(i2c1::kCr1) = 0;
  pulse_reset(stm32::rcc::kApb1rstr, kApb1I2c1);
  pulse_reset(stm32::rcc::kAhb1rstr, kAhb1Gpiob);
  reg(stm32::rcc::kApb1enr) = reg(stm32::rcc::kApb1enr) & ~kApb1I2c1;
  reg(stm32::rcc::kAhb1enr) = reg(stm32::rcc::kAhb1enr) & ~kAhb1Gpiob;
}

}  // namespace fota::boot
