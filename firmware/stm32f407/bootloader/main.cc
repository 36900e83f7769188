// SPDX-License-Identifier: Apache-2.0
// Our bootloader (sectors 0-1, <= 32 KB). On every reset: raise the clock, let bootcore choose the
// image (metadata log + header + CRC-32 through the CRC unit, SHA-256 on a new image's first boot),
// print one status line on USART1, arm the IWDG for trial boots, and hand over with the chip as
// at reset. docs/bootloader.md has the LED patterns, the watchdog period and the failure cases.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bootcore/boot.h"
#include "format/flash_map.h"
#include "stm32f407/clock.h"
#include "stm32f407/crc_unit.h"
#include "stm32f407/flash_controller.h"
#include "stm32f407/handoff.h"
#include "stm32f407/iwdg.h"
#include "stm32f407/leds.h"
#include "stm32f407/regs.h"
#include "stm32f407/reset_cause.h"
#include "stm32f407/usart.h"
#include "update_mode.h"

#ifndef FOTA_BOOT_STATUS_LINE
#define FOTA_BOOT_STATUS_LINE 1
#endif
// Trial-boot watchdog: PR 4 (/64), RLR 4095 -> 8.19 s at the nominal 32 kHz LSI (5.6 s at the
// fastest LSI of 47 kHz). Longer than the worst 128 KB sector erase at x32 (2 s, during which the
// CPU stalls and cannot kick), which a confirm() may trigger through log compaction.
#ifndef FOTA_BOOT_IWDG_PRESCALER
#define FOTA_BOOT_IWDG_PRESCALER 4
#endif
#ifndef FOTA_BOOT_IWDG_RELOAD
#define FOTA_BOOT_IWDG_RELOAD 4095
#endif
#ifndef FOTA_BOOTLOADER_VERSION
#define FOTA_BOOTLOADER_VERSION 0x0100'0000u
#endif

namespace {

using namespace fota;
using stm32::Led;
using stm32::reg;

constexpr stm32::IwdgConfig kTrialWatchdog{FOTA_BOOT_IWDG_PRESCALER, FOTA_BOOT_IWDG_RELOAD};
static_assert(kTrialWatchdog.period_ms() >= 4'000, "trial watchdog must outlast a sector erase");

struct Console {
#if FOTA_BOOT_STATUS_LINE
  stm32::Usart1 uart;
  void init(uint32_t pclk2_hz) {
    uart.init(pclk2_hz);
  }
  void line(std::string_view text) {
    uart.write(text);
    uart.write("\r\n");
  }
  void release() {
    uart.release();
  }
#else
  void init(uint32_t) {}
  void line(std::string_view) {}
  void release() {}
#endif
};

// The vector table an image starts with must point into RAM (stack) and into itself (reset
// handler, Thumb). bootcore checked header and CRC; this guards against a well-formed image whose
// table is not one (e.g. packed from the wrong file).
bool vectors_sane(uint32_t vector_address, uint32_t payload_size) {
  const uint32_t* vt = reinterpret_cast<const uint32_t*>(vector_address);
  const uint32_t sp = vt[0];
  const uint32_t pc = vt[1];
  const bool sp_ok =
      (sp > 0x2000'0000 && sp <= 0x2002'0000) || (sp > 0x1000'0000 && sp <= 0x1001'0000);
  const bool pc_ok = (pc & 1u) != 0 && pc > vector_address && pc < vector_address + payload_size;
  return sp_ok && (sp % 4) == 0 && pc_ok;
}

// Waits for the watchdog with the red LED on: an image we must not start, on trial.
[[noreturn]] void wait_for_watchdog() {
  stm32::led_set(Led::kRed, true);
  for (;;) {
  }
}

// Hand-over: the chip as the application would find it after a reset (except the IWDG, which
// cannot be stopped, and the hand-over block), VTOR at its vector table, MSP from it, then its
// reset handler.
[[noreturn]] void jump(uint32_t vector_address) {
  const uint32_t* vt = reinterpret_cast<const uint32_t*>(vector_address);
  const uint32_t sp = vt[0];
  const uint32_t pc = vt[1];
  reg(stm32::systick::kCtrl) = 0;
  reg(stm32::scb::kVtor) = vector_address;
  reg(stm32::scb::kCpacr) = 0;  // FPU access as at reset: the application's startup enables it
  stm32::dsb();
  stm32::isb();
  asm volatile(
      "msr control, %[zero]\n"  // privileged, MSP, no FP context active
      "isb\n"
      "msr msp, %[sp]\n"
      "bx %[pc]\n"
      :
      : [zero] "r"(0), [sp] "r"(sp), [pc] "r"(pc)
      : "memory");
  __builtin_unreachable();
}

}  // namespace

int main() {
  const uint32_t reset_flags = stm32::take_reset_flags();
  stm32::leds_init();
  stm32::led_set(Led::kBlue, true);  // bootloader at work
  const stm32::ClockInfo clock = stm32::clock_init_168mhz();
  boot::enter_update_mode_if_asked(reset_flags, clock);  // app request or pin-reset sync
  Console console;
  console.init(clock.pclk2_hz);

  stm32::FlashController flash;
  stm32::CrcUnitEngine crc;
  bootcore::MetaLog log(flash);
  const bootcore::BootOutcome outcome = bootcore::run_boot(flash, log, crc);
  crc.release();

  char line[128];
  const size_t length = bootcore::format_boot_line(outcome, line);
  console.line(std::string_view(line, length));

  if (!outcome.boots()) {
    console.release();
    boot::run_update_mode(native::EntryReason::kNoImage, clock);  // "no image" LEDs, no timeout
  }

  const bool trial = outcome.action != bootcore::Action::kBootConfirmed;
  const bool reverted =
      outcome.rejected[0] != RecordReason::kNone || outcome.rejected[1] != RecordReason::kNone;
  stm32::led_set(Led::kGreen, !trial);
  stm32::led_set(Led::kOrange, trial);
  stm32::led_set(Led::kRed, reverted || outcome.action == bootcore::Action::kBootLastResort);

  const uint32_t vectors = flash_map::slot_vector_address(outcome.slot);
  if (trial) stm32::iwdg_start(kTrialWatchdog);
  if (!vectors_sane(vectors, outcome.header.payload_size)) {
    console.line("boot: bad vector table, waiting for the watchdog");
    console.release();
    if (!trial) stm32::iwdg_start(kTrialWatchdog);
    wait_for_watchdog();
  }

  stm32::BootHandoff handoff{};
  handoff.reset_flags = reset_flags;
  handoff.slot = static_cast<uint8_t>(outcome.slot);
  handoff.boot = static_cast<uint8_t>(
      outcome.action == bootcore::Action::kBootConfirmed ? stm32::HandoffBoot::kConfirmed
      : outcome.action == bootcore::Action::kBootTrial   ? stm32::HandoffBoot::kTrial
                                                         : stm32::HandoffBoot::kLastResort);
  handoff.attempt = outcome.attempt;
  handoff.max_attempts = outcome.max_attempts;
  handoff.version = outcome.header.version.packed();
  handoff.watchdog_period_ms = trial ? kTrialWatchdog.period_ms() : 0;
  handoff.bootloader_version = FOTA_BOOTLOADER_VERSION;
  stm32::handoff_write(handoff);

  console.release();
  stm32::leds_release();
  stm32::clock_deinit();
  jump(vectors);
}
