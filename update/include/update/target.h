// SPDX-License-Identifier: Apache-2.0
// The device being updated, as the engine sees it. Today: the STM32's ROM bootloader over AN3155
// (an3155/rom_target.h: RomTarget); later the native fast path. Addresses are absolute flash
// addresses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "bootcore/boot.h"
#include "format/flash_map.h"

namespace fota::update {

inline constexpr size_t kChunkSize = 256;  // largest write/read the engine issues (AN3155 block)

enum class TargetError : uint8_t {
  kOk = 0,
  kLink,         // transport failed (port gone, cable pulled)
  kTimeout,      // the device did not answer in time (after the target's own retries)
  kRefused,      // the device refused (NACK, write protection, readout protection)
  kWrongDevice,  // not the expected MCU
  kBadArgument,  // caller error: misaligned, too long, out of range
  kLogError,     // the boot log could not be read or appended
  kUnsupported,  // this target cannot do that
};

const char* to_string(TargetError error);

struct DeviceId {
  std::array<uint8_t, 12> uid{};  // STM32 96-bit unique ID
  uint16_t pid = 0;               // product ID (0x413 for the F40x/41x)
  uint16_t flash_kb = 0;
};

// What the boot log and the slot headers say (bootcore's view; read through the target).
struct BootState {
  std::array<bootcore::SlotInfo, flash_map::kSlotCount> slots{};
  flash_map::Slot install_slot = flash_map::Slot::kB;  // bootcore::install_slot()
};

// What one observe() call saw of the device after the reboot.
enum class Observation : uint8_t {
  kNothing = 0,   // nothing decisive yet
  kBooted,        // the bootloader booted the new slot (on trial)
  kConfirmed,     // the new image confirmed itself
  kReverted,      // the bootloader booted the other slot
  kImageInvalid,  // ... because the new image failed its CRC-32/SHA-256 check
};

class Target {
 public:
  // Enters update mode (ROM: BOOT0 + reset + sync) and identifies the device.
  [[nodiscard]] virtual TargetError open(DeviceId& id) = 0;
  // Reads the boot log and both slot headers.
  [[nodiscard]] virtual TargetError read_boot_state(BootState& state) = 0;
  // Called once before the first erase of an update (ROM: programming parallelism).
  [[nodiscard]] virtual TargetError begin_write() { return TargetError::kOk; }
  // Erases one sector (0..11, RM0090 table 5).
  [[nodiscard]] virtual TargetError erase_sector(unsigned sector) = 0;
  // Programs 1..kChunkSize bytes at a 4-aligned address (size a multiple of 4) into erased flash.
  [[nodiscard]] virtual TargetError write(uint32_t address, std::span<const uint8_t> data) = 0;
  // Reads 1..kChunkSize bytes. May return data damaged on the line (ROM Read Memory has no
  // checksum): the engine compares and re-reads.
  [[nodiscard]] virtual TargetError read(uint32_t address, std::span<uint8_t> out) = 0;
  // Appends the TRIAL record for `header` in `slot` (bootcore::request_trial).
  [[nodiscard]] virtual TargetError commit(flash_map::Slot slot, const ImageHeader& header) = 0;
  // Leaves update mode: the device resets and boots from flash.
  [[nodiscard]] virtual TargetError reboot() = 0;
  // Watches the device for up to wait_ms after the reboot (ROM: its console).
  [[nodiscard]] virtual TargetError observe(flash_map::Slot slot, uint32_t wait_ms,
                                            Observation& seen) = 0;
  // True when reboot() can reset a running application (pins wired): trial supervision.
  virtual bool can_reset() const { return true; }
  // A sentence about the last failure (for reports); "" if none.
  virtual const char* last_error() const { return ""; }

 protected:
  ~Target() = default;
};

}  // namespace fota::update
