// SPDX-License-Identifier: Apache-2.0
// The application side of the boot contract (docs/bootloader.md "How an application confirms"):
// link `fota_app` (fota_add_application does), run your self-test, then call confirm(). Until
// then the image runs on trial: the bootloader started the IWDG and counts boot attempts, so keep
// calling kick_watchdog() (at least every watchdog_period_ms / 2) for as long as the program runs.
#pragma once

#include <cstdint>

#include "bootcore/boot.h"
#include "format/flash_map.h"
#include "format/version.h"
#include "stm32f407/reset_cause.h"

namespace fota::app {

using stm32::ResetCause;

struct BootInfo {
  flash_map::Slot slot = flash_map::Slot::kA;  // the slot this program runs from
  bool header_valid = false;                   // our own image header checks out
  Version version;                             // from our image header
  // What the metadata log says about this image: kTrial (not confirmed yet), kConfirmed,
  // kRejected (booted as the last resort), kNone (no record names it).
  bootcore::SlotState state = bootcore::SlotState::kNone;
  uint8_t attempt = 0;       // trial boots started so far
  uint8_t max_attempts = 0;  // limit of trial boots before the bootloader reverts
  ResetCause reset_cause = ResetCause::kUnknown;
  uint32_t reset_flags = 0;         // raw RCC_CSR reset flags of this boot
  bool from_bootloader = false;     // the bootloader's hand-over block was present
  uint32_t watchdog_period_ms = 0;  // IWDG period the bootloader armed (0: not armed)
};

// The slot this program is linked for (and so runs from).
flash_map::Slot running_slot();

// Reads our header, the metadata log and the bootloader's hand-over block.
BootInfo boot_info();

// Marks the running image confirmed (appends CONFIRMED to the metadata log). Idempotent: returns
// kAlreadyConfirmed when the log already says so. May erase a log sector (compaction, <= 2 s with
// the CPU stalled); the bootloader's watchdog period covers that.
bootcore::ConfirmStatus confirm();

// Reloads the IWDG. Harmless when it is not running.
void kick_watchdog();

// Restarts into the bootloader's update mode (docs/native-protocol.md): sets the request flag in
// the backup register BKP0R and resets. The bootloader leaves update mode by itself after its
// silence timeout (10 s) and boots the valid image again.
[[noreturn]] void request_update_mode();

// Requests a system reset (SCB AIRCR SYSRESETREQ).
[[noreturn]] void system_reset();

}  // namespace fota::app
