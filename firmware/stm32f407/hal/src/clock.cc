// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/clock.h"

#include "stm32f407/regs.h"

namespace fota::stm32 {

namespace {

namespace fc = flash_ctrl;

// Bounded polls (a poll is >= 4 cycles). The PLL locks in ~0.1-0.2 ms and the HSE crystal starts
// in ~2 ms; when a flag never comes (QEMU: RCC reads 0) these bounds cost at most ~0.5 ms / ~4 ms
// at 16 MHz before the code falls back.
constexpr uint32_t kPllLockPolls = 2'000;
constexpr uint32_t kHseStartPolls = 16'000;
constexpr uint32_t kSwitchPolls = 2'000;

bool wait_set(uint32_t address, uint32_t mask, uint32_t value, uint32_t polls) {
  while ((reg(address) & mask) != value) {
    if (--polls == 0) return false;
  }
  return true;
}

// PLL: VCO in = 1 MHz (M), VCO = 336 MHz (N), SYSCLK = VCO / 2 (P) = 168 MHz, 48 MHz = VCO / 7 (Q).
constexpr uint32_t pllcfgr(uint32_t m, bool hse) {
  return m | 336u << 6 | 0u << 16 | (hse ? 1u << 22 : 0u) | 7u << 24;
}

#ifndef FOTA_CLOCK_TRY_HSE
#define FOTA_CLOCK_TRY_HSE 0
#endif

}  // namespace

ClockInfo clock_init_168mhz() {
  ClockInfo info;
  bool hse = false;
  if (FOTA_CLOCK_TRY_HSE) {
    reg(rcc::kCr) = reg(rcc::kCr) | rcc::kCrHseon;
    hse = wait_set(rcc::kCr, rcc::kCrHserdy, rcc::kCrHserdy, kHseStartPolls);
    if (!hse) reg(rcc::kCr) = reg(rcc::kCr) & ~rcc::kCrHseon;
  }
  reg(rcc::kPllcfgr) = hse ? pllcfgr(8, true) : pllcfgr(16, false);
  reg(rcc::kCr) = reg(rcc::kCr) | rcc::kCrPllon;
  if (!wait_set(rcc::kCr, rcc::kCrPllrdy, rcc::kCrPllrdy, kPllLockPolls)) {
    reg(rcc::kCr) = reg(rcc::kCr) & ~(rcc::kCrPllon | rcc::kCrHseon);
    return info;  // stays on HSI
  }
  // 5 wait states for 150-168 MHz at 2.7-3.6 V, set before the clock goes up; a controller that
  // does not take it (none under QEMU) keeps us on HSI.
  reg(fc::kAcr) = 5u | fc::kAcrPrften | fc::kAcrIcen | fc::kAcrDcen;
  if ((reg(fc::kAcr) & fc::kAcrLatencyMask) != 5u) {
    reg(fc::kAcr) = 0;
    reg(rcc::kCr) = reg(rcc::kCr) & ~(rcc::kCrPllon | rcc::kCrHseon);
    return info;
  }
  reg(rcc::kCfgr) = rcc::kCfgrPpre1Div4 | rcc::kCfgrPpre2Div2 | rcc::kCfgrSwPll;
  if (!wait_set(rcc::kCfgr, rcc::kCfgrSwsMask, rcc::kCfgrSwsPll, kSwitchPolls)) {
    clock_deinit();
    return info;
  }
  info.source = hse ? ClockSource::kPllHse : ClockSource::kPllHsi;
  info.sysclk_hz = 168'000'000;
  info.pclk2_hz = 84'000'000;
  return info;
}

void clock_deinit() {
  reg(rcc::kCr) = reg(rcc::kCr) | rcc::kCrHsion;
  (void)wait_set(rcc::kCr, rcc::kCrHsirdy, rcc::kCrHsirdy, kSwitchPolls);
  reg(rcc::kCfgr) = (reg(rcc::kCfgr) & ~rcc::kCfgrSwMask) | rcc::kCfgrSwHsi;
  (void)wait_set(rcc::kCfgr, rcc::kCfgrSwsMask, 0, kSwitchPolls);
  reg(rcc::kCfgr) = 0;
  reg(rcc::kCr) = reg(rcc::kCr) & ~(rcc::kCrPllon | rcc::kCrHseon | rcc::kCrHsebyp);
  (void)wait_set(rcc::kCr, rcc::kCrPllrdy, 0, kPllLockPolls);
  reg(rcc::kPllcfgr) = rcc::kPllcfgrReset;
  // Caches off, flushed, then latency back to 0 (the clock is already down).
  reg(fc::kAcr) = reg(fc::kAcr) & ~(fc::kAcrIcen | fc::kAcrDcen | fc::kAcrPrften);
  reg(fc::kAcr) = reg(fc::kAcr) | fc::kAcrIcrst | fc::kAcrDcrst;
  reg(fc::kAcr) = 0;
}

void delay_us(uint32_t us, uint32_t sysclk_hz) {
  spin(us * (sysclk_hz / 1'000'000) / 3);
}

}  // namespace fota::stm32
