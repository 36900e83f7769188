// SPDX-License-Identifier: Apache-2.0
// The device being updated, as the engine sees it: the STM32's ROM bootloader over AN3155
// (an3155/rom_target.h: RomTarget, a raw target) or our bootloader's update mode
// (native/target.h: NativeTarget, a streaming target). One engine sequence drives both
// (docs/update-engine.md). Addresses are absolute flash addresses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "bootcore/boot.h"
#include "format/flash_map.h"
#include "format/image_header.h"

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

// The UID as messages, status topics and file names print it: 24 upper-case hex digits + NUL.
using UidText = std::array<char, 25>;
UidText uid_text(const std::array<uint8_t, 12>& uid);

// What the boot log and the slot headers say (bootcore's view; read through the target).
struct BootState {
  std::array<bootcore::SlotInfo, flash_map::kSlotCount> slots{};
  flash_map::Slot install_slot = flash_map::Slot::kB;  // bootcore::install_slot()
  // The log's anti-rollback floor (bootcore/meta_log.h) when the device enforces it: images whose
  // security_level is below it are refused by the secure bootloader, so the engine refuses them
  // before downloading. 0 on devices without a key block (plain bootloader: the log records a
  // floor at every confirm, but nothing enforces it).
  uint16_t security_floor = 0;
  // False when the target reports versions and states but not the running header's product name
  // (native: HELLO carries no product; the bootloader refuses a foreign product at BEGIN itself).
  bool running_product_known = true;
};

// How the device takes an image.
enum class TargetKind : uint8_t {
  // Raw flash access (ROM): the engine erases the slot's sectors, writes the payload and then the
  // header in kChunkSize blocks, may read back, and commit() appends the TRIAL record.
  kRaw = 0,
  // The device takes the image as a stream (our bootloader's update mode): begin_image() hands
  // over the header, which the device checks before it erases anything; the device erases lazily;
  // write() appends payload bytes in order; commit() makes the device verify the whole image and
  // append TRIAL itself. No raw read: resume_point() says what the slot already holds.
  kStreaming = 1,
};

// What a streaming target's slot already holds of an image.
struct ResumePoint {
  uint32_t payload_bytes = 0;  // payload bytes a resume may skip (0: start over)
  uint32_t crc32 = 0;          // CRC-32 of those bytes as the slot holds them
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
  virtual TargetKind kind() const { return TargetKind::kRaw; }
  // Raw: called once before the first erase of an update (ROM: programming parallelism).
  [[nodiscard]] virtual TargetError begin_write() { return TargetError::kOk; }
  // Streaming: what `slot` already holds (payload prefix and its CRC-32), for a resume.
  [[nodiscard]] virtual TargetError resume_point(flash_map::Slot /*slot*/, ResumePoint& point) {
    point = ResumePoint{};
    return TargetError::kUnsupported;
  }
  // Streaming: starts writing the image whose 512-byte header is `header` into `slot`, keeping
  // the first `start_payload` payload bytes (a resume_point(); 0 = from the start). Then write()
  // is called with the payload from there on, in order, and commit() ends the image.
  [[nodiscard]] virtual TargetError begin_image(
      flash_map::Slot /*slot*/, std::span<const uint8_t, kImageHeaderSize> /*header*/,
      uint32_t /*start_payload*/) {
    return TargetError::kUnsupported;
  }
  // Raw: erases one sector (0..11, RM0090 table 5).
  [[nodiscard]] virtual TargetError erase_sector(unsigned sector) = 0;
  // Raw: programs 1..kChunkSize bytes at a 4-aligned address (size a multiple of 4) into erased
  // flash. Streaming: appends 1..kChunkSize payload bytes (address = slot + 512 + payload offset,
  // each call where the previous one ended; only the last may be shorter than a multiple of 4).
  [[nodiscard]] virtual TargetError write(uint32_t address, std::span<const uint8_t> data) = 0;
  // Raw: reads 1..kChunkSize bytes. May return data damaged on the line (ROM Read Memory has no
  // checksum): the engine compares and re-reads.
  [[nodiscard]] virtual TargetError read(uint32_t address, std::span<uint8_t> out) = 0;
  // Appends the TRIAL record for `header` in `slot` (raw: bootcore::request_trial; streaming: the
  // device verifies CRC-32 + SHA-256 of the whole image first, then appends it and reboots).
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
  // Why a secure bootloader refused the observed slot's image since the last commit(), as its
  // status line says ("unsigned", "unknown-key", "bad-signature", "no-keys", "below-floor");
  // "" when it did not (or the target cannot tell).
  virtual const char* refusal() const { return ""; }

 protected:
  ~Target() = default;
};

}  // namespace fota::update
