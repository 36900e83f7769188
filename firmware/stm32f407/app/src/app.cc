// SPDX-License-Identifier: Apache-2.0
#include "fota_app/app.h"

#include "bootcore/meta_log.h"
#include "stm32f407/backup.h"
#include "stm32f407/flash_controller.h"
#include "stm32f407/handoff.h"
#include "stm32f407/iwdg.h"
#include "stm32f407/regs.h"

// From the application's linker script (linker/application.ld.in): the slot it is linked for.
extern "C" const uint8_t _fota_slot_address[];

namespace fota::app {

flash_map::Slot running_slot() {
  const uint32_t slot = reinterpret_cast<uint32_t>(_fota_slot_address);
  return slot == flash_map::slot_address(flash_map::Slot::kB) ? flash_map::Slot::kB
                                                              : flash_map::Slot::kA;
}

BootInfo boot_info() {
  BootInfo info;
  info.slot = running_slot();
  stm32::FlashController flash;
  bootcore::MetaLog log(flash);
  if (log.load() == bootcore::LogStatus::kOk) {
    const bootcore::SlotInfo s = bootcore::slot_info(flash, log, info.slot);
    info.header_valid = s.header_verdict.ok();
    if (info.header_valid) info.version = s.header.version;
    info.state = s.state;
    info.attempt = s.attempts;
    info.max_attempts = s.max_attempts;
  } else {
    const bootcore::SlotHeader h = bootcore::read_slot_header(flash, info.slot);
    info.header_valid = h.verdict.ok();
    if (info.header_valid) info.version = h.header.version;
  }
  stm32::BootHandoff handoff;
  if (stm32::handoff_read(handoff)) {
    info.from_bootloader = true;
    info.reset_flags = handoff.reset_flags;
    info.watchdog_period_ms = handoff.watchdog_period_ms;
  } else {
    // Started some other way (debugger, ROM Go): the flags are still in RCC_CSR.
    info.reset_flags = stm32::reg(stm32::rcc::kCsr) & stm32::rcc::kCsrResetFlags;
  }
  info.reset_cause = stm32::reset_cause_from_csr(info.reset_flags);
  return info;
}

bootcore::ConfirmStatus confirm() {
  stm32::FlashController flash;
  bootcore::MetaLog log(flash);
  return bootcore::confirm(flash, log, running_slot(), RecordWriter::kApplication);
}

void kick_watchdog() {
  stm32::iwdg_kick();
}

void request_update_mode() {
  stm32::backup_write(stm32::kUpdateRequestMagic);
  system_reset();
}

void system_reset() {
  stm32::dsb();
  stm32::reg(stm32::scb::kAircr) = stm32::scb::kAircrSysResetReq;
  stm32::dsb();
  for (;;) {
  }
}

}  // namespace fota::app
