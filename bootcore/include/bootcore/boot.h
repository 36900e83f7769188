// SPDX-License-Identifier: Apache-2.0
// The boot core's entry points:
//  - run_boot(): the bootloader's decision on every reset (loads the log, reads both headers,
//    steps through decide() until a boot or "no image", appending records as the table says);
//  - confirm(): the application library's "this image works" (append CONFIRMED, idempotent);
//  - request_trial(): the host's commit after writing an image (append TRIAL, attempts 0);
//  - slot_info(): boot-info queries for the application and the host tools.
// All of them run over any Flash (target flash controller, ROM bootloader, RAM fake).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "bootcore/decision.h"
#include "bootcore/flash.h"
#include "bootcore/image_check.h"
#include "bootcore/meta_log.h"
#include "bootcore/trust.h"
#include "format/image_header.h"

namespace fota::bootcore {

struct BootOutcome {
  Action action = Action::kNoImage;  // kBootTrial, kBootConfirmed, kBootLastResort or kNoImage
  Row row = Row::kNoImage;           // the table row that chose it (the "reason")
  flash_map::Slot slot = flash_map::Slot::kA;
  ImageHeader header;   // of the chosen image
  uint8_t attempt = 0;  // trial boots: this attempt (1-based) and the limit
  uint8_t max_attempts = 0;
  bool log_empty = false;  // no valid record anywhere at load time
  std::array<RecordReason, flash_map::kSlotCount> rejected{};    // REJECTED appended this boot
  std::array<HeaderError, flash_map::kSlotCount> image_error{};  // why a slot was not usable
  LogStatus log_status = LogStatus::kOk;  // first log failure (the boot still goes on)
  FlashStatus flash_status = FlashStatus::kOk;
  // Secure boot: why a slot's image was refused (kOk: not refused, or not checked).
  std::array<TrustStatus, flash_map::kSlotCount> refused{};
  uint16_t security_floor = 0;  // the log's anti-rollback floor at load time
  unsigned steps = 0;           // decision steps taken

  bool boots() const { return action != Action::kNoImage; }
};

// The bootloader's decision. `log` need not be loaded. Never returns a slot whose header or
// payload check failed.
BootOutcome run_boot(Flash& flash, MetaLog& log, Crc32Engine& crc);
// The same under a secure-boot policy: with policy.keys, every image checked with SHA-256 (first
// boot of a new image, an image the log does not know, a last-resort image) must also carry a
// valid signature by a trusted key, else it is REJECTED (reason kUntrusted) and never booted;
// with policy.anti_rollback, images whose security_level is below the log's floor are never
// booted (a TRIAL one is REJECTED, reason kBelowFloor). Confirmed images keep the CRC-only path.
BootOutcome run_boot(Flash& flash, MetaLog& log, Crc32Engine& crc, const BootPolicy& policy);

// The bootloader's one status line per boot (without line ending), e.g.
//   boot: slot=B version=2.0.0 decision=trial reason=attempt-1/3
//   boot: slot=A version=1.0.0 decision=confirmed reason=reverted-B-attempts-exhausted
//   boot: slot=A version=1.0.0 decision=trial reason=no-record
//   boot: slot=- version=- decision=none reason=no-valid-image
//   boot: slot=A version=1.0.0 decision=confirmed reason=reverted-B-untrusted
//   refused=B:bad-signature
// (" refused=<slot>:<token>[,...]" only when the secure-boot policy refused an image.)
// No printf (keeps the bootloader small). Returns the length written (truncated to out.size()-1,
// always NUL-terminated when out is not empty).
size_t format_boot_line(const BootOutcome& outcome, std::span<char> out);

// A status line read back (the host watches the console for it). Views into the parsed text.
struct BootLine {
  char slot = '-';  // 'A', 'B', or '-' when nothing boots
  std::string_view version;
  std::string_view decision;  // to_string(Action)
  std::string_view reason;    // e.g. "attempt-1/3", "reverted-B-attempts-exhausted,..."
  bool boots() const { return slot != '-'; }
  // True when the reason names a revert because the image failed its checks.
  bool image_invalid() const { return reason.find("image-invalid") != std::string_view::npos; }
};

// Parses a line written by format_boot_line; nullopt for any other line.
std::optional<BootLine> parse_boot_line(std::string_view line);

enum class ConfirmStatus : uint8_t {
  kConfirmed = 0,     // CONFIRMED appended
  kAlreadyConfirmed,  // nothing to do (idempotent)
  kNoImage,           // the slot's header is not valid: nothing to confirm
  kLogError,          // reading or appending the log failed (see MetaLog::flash_status())
};

const char* to_string(ConfirmStatus status);

// Marks the image in `slot` confirmed. Called by the application (through fota_app) once its
// self-test passed, with the slot it runs from. Also for a REJECTED image: it only runs when the
// bootloader booted it as the last resort, and an image whose self-test passes has proved itself
// (e.g. a good image whose trial attempts were all used up by power cuts).
ConfirmStatus confirm(Flash& flash, MetaLog& log, flash_map::Slot slot,
                      RecordWriter writer = RecordWriter::kApplication);

// The host's commit after writing and verifying an image in `slot`: TRIAL, attempts 0, for the
// image described by `header`. max_attempts 0 = bootloader default (kDefaultMaxAttempts).
[[nodiscard]] LogStatus request_trial(MetaLog& log, flash_map::Slot slot, const ImageHeader& header,
                                      uint8_t max_attempts = 0,
                                      RecordWriter writer = RecordWriter::kHost);

// For hosts, before downloading or installing (from a loaded log): true when a bootloader with
// anti-rollback would refuse the image `header` describes (its major.minor is below the floor).
inline bool below_security_floor(const MetaLog& log, const ImageHeader& header) {
  return security_level(header.version.packed()) < log.state().security_floor;
}

struct SlotInfo {
  flash_map::Slot slot = flash_map::Slot::kA;
  ImageVerdict header_verdict;  // header only (payload is not checked here)
  ImageHeader header;
  SlotState state = SlotState::kNone;  // what the log says about THIS image
  uint8_t attempts = 0;
  uint8_t max_attempts = 0;  // effective limit
  uint32_t sequence = 0;     // of the record (0 when none applies)
};

// Boot info for one slot from a loaded log. Reads the header only.
SlotInfo slot_info(Flash& flash, const MetaLog& log, flash_map::Slot slot);

// The slot the host may overwrite with a new image (from a loaded log; reads both headers): never
// the one holding the newest CONFIRMED image, so the last confirmed image survives until the new
// one confirms itself. Without any confirmed image: the slot that is not the newest trial, else an
// empty/invalid slot, else B.
flash_map::Slot install_slot(Flash& flash, const MetaLog& log);

}  // namespace fota::bootcore
