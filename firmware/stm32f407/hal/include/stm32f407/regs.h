// SPDX-License-Identifier: Apache-2.0
// STM32F407 registers the firmware touches (RM0090; addresses and bits as in docs/stm32-facts.md).
// Only what we use: a register is `reg(kAddress)`, a volatile 32-bit reference.
#pragma once

#include <cstdint>

namespace fota::stm32 {

inline volatile uint32_t& reg(uint32_t address) {
  return *reinterpret_cast<volatile uint32_t*>(address);
}

namespace rcc {
inline constexpr uint32_t kBase = 0x4002'3800;
inline constexpr uint32_t kCr = kBase + 0x00;
inline constexpr uint32_t kPllcfgr = kBase + 0x04;
inline constexpr uint32_t kCfgr = kBase + 0x08;
inline constexpr uint32_t kAhb1rstr = kBase + 0x10;
inline constexpr uint32_t kApb1rstr = kBase + 0x20;
inline constexpr uint32_t kApb2rstr = kBase + 0x24;
inline constexpr uint32_t kAhb1enr = kBase + 0x30;
inline constexpr uint32_t kApb1enr = kBase + 0x40;
inline constexpr uint32_t kApb2enr = kBase + 0x44;
inline constexpr uint32_t kCsr = kBase + 0x74;

// CR
inline constexpr uint32_t kCrHsion = 1u << 0;
inline constexpr uint32_t kCrHsirdy = 1u << 1;
inline constexpr uint32_t kCrHseon = 1u << 16;
inline constexpr uint32_t kCrHserdy = 1u << 17;
inline constexpr uint32_t kCrHsebyp = 1u << 18;
inline constexpr uint32_t kCrPllon = 1u << 24;
inline constexpr uint32_t kCrPllrdy = 1u << 25;
// CFGR
inline constexpr uint32_t kCfgrSwMask = 3u << 0;
inline constexpr uint32_t kCfgrSwHsi = 0u;
inline constexpr uint32_t kCfgrSwPll = 2u;
inline constexpr uint32_t kCfgrSwsMask = 3u << 2;
inline constexpr uint32_t kCfgrSwsPll = 2u << 2;
inline constexpr uint32_t kCfgrPpre1Div4 = 5u << 10;
inline constexpr uint32_t kCfgrPpre2Div2 = 4u << 13;
// Reset values (RM0090 6.3): what the hand-over restores.
inline constexpr uint32_t kPllcfgrReset = 0x2400'3010;
inline constexpr uint32_t kAhb1enrReset = 0x0010'0000;  // CCMDATARAMEN
// AHB1ENR / AHB1RSTR bits
inline constexpr uint32_t kAhb1Gpioa = 1u << 0;
inline constexpr uint32_t kAhb1Gpiod = 1u << 3;
inline constexpr uint32_t kAhb1Crc = 1u << 12;
// APB2ENR / APB2RSTR bits
inline constexpr uint32_t kApb2Usart1 = 1u << 4;
// CSR
inline constexpr uint32_t kCsrLsion = 1u << 0;
inline constexpr uint32_t kCsrRmvf = 1u << 24;
inline constexpr uint32_t kCsrBorrstf = 1u << 25;
inline constexpr uint32_t kCsrPinrstf = 1u << 26;
inline constexpr uint32_t kCsrPorrstf = 1u << 27;
inline constexpr uint32_t kCsrSftrstf = 1u << 28;
inline constexpr uint32_t kCsrIwdgrstf = 1u << 29;
inline constexpr uint32_t kCsrWwdgrstf = 1u << 30;
inline constexpr uint32_t kCsrLpwrrstf = 1u << 31;
inline constexpr uint32_t kCsrResetFlags = 0xFE00'0000;
}  // namespace rcc

namespace flash_ctrl {
inline constexpr uint32_t kBase = 0x4002'3C00;
inline constexpr uint32_t kAcr = kBase + 0x00;
inline constexpr uint32_t kKeyr = kBase + 0x04;
inline constexpr uint32_t kSr = kBase + 0x0C;
inline constexpr uint32_t kCr = kBase + 0x10;

inline constexpr uint32_t kKey1 = 0x4567'0123;
inline constexpr uint32_t kKey2 = 0xCDEF'89AB;

inline constexpr uint32_t kAcrLatencyMask = 7u;
inline constexpr uint32_t kAcrPrften = 1u << 8;
inline constexpr uint32_t kAcrIcen = 1u << 9;
inline constexpr uint32_t kAcrDcen = 1u << 10;
inline constexpr uint32_t kAcrIcrst = 1u << 11;
inline constexpr uint32_t kAcrDcrst = 1u << 12;

inline constexpr uint32_t kSrEop = 1u << 0;
inline constexpr uint32_t kSrOperr = 1u << 1;
inline constexpr uint32_t kSrWrperr = 1u << 4;
inline constexpr uint32_t kSrPgaerr = 1u << 5;
inline constexpr uint32_t kSrPgperr = 1u << 6;
inline constexpr uint32_t kSrPgserr = 1u << 7;
inline constexpr uint32_t kSrBsy = 1u << 16;
inline constexpr uint32_t kSrErrors = kSrOperr | kSrWrperr | kSrPgaerr | kSrPgperr | kSrPgserr;

inline constexpr uint32_t kCrPg = 1u << 0;
inline constexpr uint32_t kCrEopie = 1u << 24;
inline constexpr uint32_t kCrSer = 1u << 1;
inline constexpr uint32_t kCrSnbShift = 3;
inline constexpr uint32_t kCrPsizeX32 = 2u << 8;
inline constexpr uint32_t kCrStrt = 1u << 16;
inline constexpr uint32_t kCrLock = 1u << 31;
}  // namespace flash_ctrl

namespace crc {
inline constexpr uint32_t kBase = 0x4002'3000;
inline constexpr uint32_t kDr = kBase + 0x00;
inline constexpr uint32_t kCr = kBase + 0x08;
inline constexpr uint32_t kCrReset = 1u << 0;
}  // namespace crc

namespace iwdg {
inline constexpr uint32_t kBase = 0x4000'3000;
inline constexpr uint32_t kKr = kBase + 0x00;
inline constexpr uint32_t kPr = kBase + 0x04;
inline constexpr uint32_t kRlr = kBase + 0x08;
inline constexpr uint32_t kSr = kBase + 0x0C;
inline constexpr uint32_t kKeyStart = 0xCCCC;
inline constexpr uint32_t kKeyReload = 0xAAAA;
inline constexpr uint32_t kKeyUnlock = 0x5555;
}  // namespace iwdg

namespace gpio {
inline constexpr uint32_t kGpioa = 0x4002'0000;
inline constexpr uint32_t kGpiod = 0x4002'0C00;
inline constexpr uint32_t kModer = 0x00;
inline constexpr uint32_t kOspeedr = 0x08;
inline constexpr uint32_t kPupdr = 0x0C;
inline constexpr uint32_t kOdr = 0x14;
inline constexpr uint32_t kBsrr = 0x18;
inline constexpr uint32_t kAfrh = 0x24;
}  // namespace gpio

namespace usart1 {
inline constexpr uint32_t kBase = 0x4001'1000;
inline constexpr uint32_t kSr = kBase + 0x00;
inline constexpr uint32_t kDr = kBase + 0x04;
inline constexpr uint32_t kBrr = kBase + 0x08;
inline constexpr uint32_t kCr1 = kBase + 0x0C;
inline constexpr uint32_t kSrOre = 1u << 3;
inline constexpr uint32_t kSrRxne = 1u << 5;
inline constexpr uint32_t kSrTc = 1u << 6;
inline constexpr uint32_t kSrTxe = 1u << 7;
inline constexpr uint32_t kCr1Re = 1u << 2;
inline constexpr uint32_t kCr1Rxneie = 1u << 5;
inline constexpr uint32_t kCr1Te = 1u << 3;
inline constexpr uint32_t kCr1Ue = 1u << 13;
}  // namespace usart1

// RM0090 27.6: the I2C1 slave of the bootloader's update mode.
namespace i2c1 {
inline constexpr uint32_t kBase = 0x4000'5400;
inline constexpr uint32_t kCr1 = kBase + 0x00;
inline constexpr uint32_t kCr2 = kBase + 0x04;
inline constexpr uint32_t kOar1 = kBase + 0x08;
inline constexpr uint32_t kDr = kBase + 0x10;
inline constexpr uint32_t kSr1 = kBase + 0x14;
inline constexpr uint32_t kSr2 = kBase + 0x18;
inline constexpr uint32_t kCr1Pe = 1u << 0;
inline constexpr uint32_t kCr1Ack = 1u << 10;
inline constexpr uint32_t kCr2Iterren = 1u << 8;
inline constexpr uint32_t kCr2Itevten = 1u << 9;
inline constexpr uint32_t kSr1Addr = 1u << 1;
inline constexpr uint32_t kSr1Btf = 1u << 2;
inline constexpr uint32_t kSr1Stopf = 1u << 4;
inline constexpr uint32_t kSr1Rxne = 1u << 6;
inline constexpr uint32_t kSr1Txe = 1u << 7;
inline constexpr uint32_t kSr1Berr = 1u << 8;
inline constexpr uint32_t kSr1Arlo = 1u << 9;
inline constexpr uint32_t kSr1Af = 1u << 10;
inline constexpr uint32_t kSr1Ovr = 1u << 11;
inline constexpr uint32_t kSr1Errors = kSr1Berr | kSr1Arlo | kSr1Af | kSr1Ovr;
inline constexpr uint32_t kSr1Work = kSr1Addr | kSr1Btf | kSr1Stopf | kSr1Rxne | kSr1Errors;
inline constexpr uint32_t kSr2Busy = 1u << 1;
inline constexpr uint32_t kSr2Tra = 1u << 2;
}  // namespace i2c1

namespace scb {
inline constexpr uint32_t kVtor = 0xE000'ED08;
inline constexpr uint32_t kAircr = 0xE000'ED0C;
inline constexpr uint32_t kCpacr = 0xE000'ED88;
inline constexpr uint32_t kAircrSysResetReq = 0x05FA'0004;
inline constexpr uint32_t kCpacrFpuFull = 0xFu << 20;  // CP10 + CP11 full access
}  // namespace scb

namespace systick {
inline constexpr uint32_t kCtrl = 0xE000'E010;
inline constexpr uint32_t kLoad = 0xE000'E014;
inline constexpr uint32_t kVal = 0xE000'E018;
inline constexpr uint32_t kCtrlEnable = 1u << 0;
inline constexpr uint32_t kCtrlTickint = 1u << 1;
inline constexpr uint32_t kCtrlClkHclk = 1u << 2;
inline constexpr uint32_t kCtrlCountflag = 1u << 16;
}  // namespace systick

inline void dsb() {
  asm volatile("dsb" ::: "memory");
}
inline void isb() {
  asm volatile("isb" ::: "memory");
}
inline uint32_t rbit(uint32_t v) {
  uint32_t r;
  asm("rbit %0, %1" : "=r"(r) : "r"(v));
  return r;
}

// Spins `n` times (about 3 cycles each on a Cortex-M4 without flash wait states): the polled
// delay of code that has no timer. Calibrated per clock by the callers.
inline void spin(uint32_t n) {
  if (n == 0) return;
  asm volatile(
      "1: subs %0, %0, #1\n"
      "   bne 1b\n"
      : "+r"(n)
      :
      : "cc");
}

}  // namespace fota::stm32
