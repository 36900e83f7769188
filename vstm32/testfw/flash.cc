// SPDX-License-Identifier: Apache-2.0
// testfw-flash: the flash exerciser. Drives the STM32F407 flash interface (RM0090 3.5-3.9) the
// way firmware does, register by register, so vstm32's controller model can be checked from the
// CPU side and power can be cut at every one of its flash steps. The mode comes from a config
// block the host places at testfw::kConfigAddress (testfw.h); every mode ends with "done" unless
// it resets or faults on purpose.
#include <cstdint>

#include "common.h"
#include "ramfunc.h"
#include "stm32f407/leds.h"
#include "stm32f407/regs.h"
#include "testfw.h"

namespace {

using fota::stm32::reg;
namespace fc = fota::stm32::flash_ctrl;
using testfw::FlashMode;

constexpr uint32_t kCrMer = 1u << 2;
constexpr uint32_t kCrPsizeX8 = 0u << 8;
constexpr uint32_t kCrPsizeX64 = 3u << 8;
constexpr uint32_t kCrErrie = 1u << 25;

FlashMode configured_mode() {
  if (reg(testfw::kConfigAddress) != testfw::kConfigMagic) return FlashMode::kRewrite;
  return static_cast<FlashMode>(reg(testfw::kConfigAddress + 4));
}

void unlock() {
  if (reg(fc::kCr) & fc::kCrLock) {
    reg(fc::kKeyr) = fc::kKey1;
    reg(fc::kKeyr) = fc::kKey2;
  }
}

void lock() {
  reg(fc::kCr) = fc::kCrLock;
}

// Code running from flash stalls while the flash is busy, so BSY is normally clear when this
// runs; the bound only matters when the controller is absent.
bool wait_not_busy() {
  for (uint32_t n = 0; n < 10'000'000; ++n) {
    if ((reg(fc::kSr) & fc::kSrBsy) == 0) return true;
  }
  return false;
}

void print_sr(const char* what) {
  testfw::print(what);
  testfw::print(" sr=");
  testfw::print_hex(reg(fc::kSr));
  testfw::print("\n");
}

void clear_sr() {
  reg(fc::kSr) = fc::kSrErrors | fc::kSrEop;
}

volatile uint32_t& flash_word(uint32_t address) {
  return reg(address);
}

// ---- kRewrite ----
void rewrite() {
  fota::stm32::leds_init();
  fota::stm32::led_set(fota::stm32::Led::kOrange, true);
  unlock();
  clear_sr();
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrSer | (testfw::kTargetSector << fc::kCrSnbShift);
  reg(fc::kCr) = reg(fc::kCr) | fc::kCrStrt;
  const bool erased = wait_not_busy();
  print_sr(erased ? "flash: erase sector 1" : "flash: erase timeout");
  clear_sr();
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrPg;
  uint32_t failed = 0;
  for (uint32_t i = 0; i < testfw::kRewriteWords; ++i) {
    flash_word(testfw::kTargetAddress + 4 * i) = testfw::pattern(i);
    if (!wait_not_busy() || (reg(fc::kSr) & fc::kSrErrors) != 0) ++failed;
  }
  reg(fc::kCr) = 0;
  lock();
  testfw::print("flash: programmed ");
  testfw::print_uint(testfw::kRewriteWords);
  testfw::print(" words, errors ");
  testfw::print_uint(failed);
  testfw::print("\n");
  uint32_t bad = 0;
  for (uint32_t i = 0; i < testfw::kTargetSize / 4; ++i) {
    const uint32_t want = i < testfw::kRewriteWords ? testfw::pattern(i) : 0xFFFF'FFFFu;
    if (flash_word(testfw::kTargetAddress + 4 * i) != want) ++bad;
  }
  testfw::print("flash: verify ");
  testfw::print(bad == 0 ? "ok" : "FAILED");
  testfw::print(" locked=");
  testfw::print_uint(reg(fc::kCr) >> 31);
  testfw::print("\n");
  fota::stm32::led_set(fota::stm32::Led::kOrange, false);
  fota::stm32::led_set(bad == 0 ? fota::stm32::Led::kGreen : fota::stm32::Led::kRed, true);
}

// ---- kErrors: each error flag from the misuse RM0090 names for it ----
void errors() {
  const uint32_t target = testfw::kTargetAddress;
  unlock();
  clear_sr();
  // PGSERR: a store to flash without PG set.
  reg(fc::kCr) = fc::kCrPsizeX32;
  flash_word(target) = 0;
  print_sr("flash: pgserr");
  clear_sr();
  print_sr("flash: cleared");
  // PGPERR: PG at x32 but a byte store.
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrPg;
  *reinterpret_cast<volatile uint8_t*>(target) = 0;
  print_sr("flash: pgperr");
  clear_sr();
  // PGPERR also for a word store at x64 parallelism (no external Vpp on the board).
  reg(fc::kCr) = kCrPsizeX64 | fc::kCrPg;
  flash_word(target) = 0;
  print_sr("flash: pgperr-x64");
  clear_sr();
  // PGAERR: a (misaligned) word store whose data crosses a 128-bit row.
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrPg;
  *reinterpret_cast<volatile uint32_t*>(target + 14) = 0;
  print_sr("flash: pgaerr");
  clear_sr();
  // WRPERR: erase of a sector number the 1 MB part does not have (SNB 12).
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrSer | (12u << fc::kCrSnbShift);
  reg(fc::kCr) = reg(fc::kCr) | fc::kCrStrt;
  print_sr("flash: wrperr-snb");
  clear_sr();
  // WRPERR: SER and MER together.
  reg(fc::kCr) = fc::kCrPsizeX32 | fc::kCrSer | kCrMer | (testfw::kTargetSector << fc::kCrSnbShift);
  reg(fc::kCr) = reg(fc::kCr) | fc::kCrStrt;
  print_sr("flash: wrperr-mer-ser");
  clear_sr();
  // OPERR: an error while ERRIE is set.
  reg(fc::kCr) = fc::kCrPsizeX32 | kCrErrie;
  flash_word(target) = 0;
  print_sr("flash: operr");
  clear_sr();
  // A good program at x8 afterwards: EOP is only set with EOPIE, so SR stays clear.
  reg(fc::kCr) = kCrPsizeX8 | fc::kCrPg;
  *reinterpret_cast<volatile uint8_t*>(target) = 0x5A;
  (void)wait_not_busy();
  print_sr("flash: program x8");
  testfw::print("flash: byte=");
  testfw::print_hex(*reinterpret_cast<volatile uint8_t*>(target));
  testfw::print("\n");
  reg(fc::kCr) = 0;
  lock();
  testfw::print("flash: locked cr=");
  testfw::print_hex(reg(fc::kCr));
  testfw::print("\n");
}

// ---- kBusyPoll: an erase started from RAM (ramfunc.cc), where the core does not stall ----
void busy_poll() {
  unlock();
  clear_sr();
  const uint32_t polls = testfw::erase_from_ram(fc::kCrPsizeX32 | fc::kCrSer | (1u << 24) |
                                                (testfw::kTargetSector << fc::kCrSnbShift));
  testfw::print("flash: busy polls ");
  testfw::print_uint(polls);
  testfw::print("\n");
  print_sr("flash: after erase");
  clear_sr();
  lock();
}

// ---- kWatchdog / kSysReset / kEcho ----
void print_reset_flags() {
  testfw::print("reset: csr=");
  testfw::print_hex(reg(fota::stm32::rcc::kCsr));
  testfw::print("\n");
}

void watchdog() {
  print_reset_flags();
  reg(fota::stm32::iwdg::kKr) = fota::stm32::iwdg::kKeyUnlock;
  reg(fota::stm32::iwdg::kPr) = 0;
  reg(fota::stm32::iwdg::kRlr) = 99;
  reg(fota::stm32::iwdg::kKr) = fota::stm32::iwdg::kKeyStart;
  testfw::print("iwdg: started\n");
  testfw::idle();
}

void sys_reset() {
  print_reset_flags();
  const uint32_t csr = reg(fota::stm32::rcc::kCsr);
  reg(fota::stm32::rcc::kCsr) = csr | fota::stm32::rcc::kCsrRmvf;
  testfw::print("reset: cleared csr=");
  testfw::print_hex(reg(fota::stm32::rcc::kCsr));
  testfw::print("\n");
  if ((csr & fota::stm32::rcc::kCsrSftrstf) != 0) return;  // second boot: stop here
  testfw::flush();
  reg(fota::stm32::scb::kAircr) = fota::stm32::scb::kAircrSysResetReq;
  for (;;) {
  }
}

void echo() {
  constexpr uint32_t kRxne = 1u << 5;
  constexpr uint32_t kOre = 1u << 3;
  testfw::print("echo: ready\n");
  for (uint32_t n = 0; n < 4;) {
    const uint32_t sr = reg(fota::stm32::usart1::kSr);
    if ((sr & kRxne) == 0) continue;
    const uint32_t byte = reg(fota::stm32::usart1::kDr) & 0xFFu;
    testfw::print("echo: ");
    testfw::print_hex(byte + 1);
    testfw::print(" ore=");
    testfw::print_uint((sr & kOre) != 0 ? 1 : 0);
    testfw::print("\n");
    ++n;
  }
}

}  // namespace

extern "C" void HardFault_Handler() {
  testfw::print("hardfault: cfsr=");
  testfw::print_hex(reg(0xE000'ED28));
  testfw::print(" bfar=");
  testfw::print_hex(reg(0xE000'ED38));
  testfw::print(" flash_cr=");
  testfw::print_hex(reg(fc::kCr));
  testfw::print("\n");
  testfw::idle();
}

int main() {
  testfw::console_init();
  const FlashMode mode = configured_mode();
  testfw::print("flash: mode ");
  testfw::print_uint(static_cast<uint32_t>(mode));
  testfw::print("\n");
  switch (mode) {
    case FlashMode::kRewrite: rewrite(); break;
    case FlashMode::kErrors: errors(); break;
    case FlashMode::kWrongKey:
      reg(fc::kKeyr) = fc::kKey1;
      reg(fc::kKeyr) = 0x1234'5678;  // wrong second key: bus error, CR locked until reset
      testfw::print("flash: no fault\n");
      break;
    case FlashMode::kBusyPoll: busy_poll(); break;
    case FlashMode::kWatchdog: watchdog(); break;
    case FlashMode::kSysReset: sys_reset(); break;
    case FlashMode::kEcho: echo(); break;
    default: testfw::print("flash: unknown mode\n"); break;
  }
  testfw::print("done\n");
  testfw::idle();
}
