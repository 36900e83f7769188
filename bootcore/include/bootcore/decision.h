// SPDX-License-Identifier: Apache-2.0
// The boot decision as a pure function: from what the log says about each slot and what is known
// about each slot's image, the next step. The driver (boot.h) performs the step (check a payload,
// append a record, boot) and asks again, until a boot or "no image". docs/bootloader.md has the
// table with one line per Row.
//
// A log record applies only to the image whose payload CRC it names (record.image_crc32 ==
// header.payload_crc32): after the host rewrites a slot, the old record says nothing about it.
#pragma once

#include <array>
#include <cstdint>

#include "bootcore/meta_log.h"
#include "format/flash_map.h"
#include "format/meta_record.h"

namespace fota::bootcore {

// What the log says about the image now in a slot.
enum class SlotState : uint8_t {
  kNone,       // no record applies (no record, or it names another image): unknown image
  kTrial,      // TRIAL record for this image
  kConfirmed,  // CONFIRMED record for this image
  kRejected,   // REJECTED record for this image
};

enum class PayloadState : uint8_t {
  kUnknown,  // not checked yet (checking costs time: only the slot about to boot is checked)
  kCrcOk,    // CRC-32 matches the header
  kFullOk,   // CRC-32 and SHA-256 match
  kInvalid,  // a check failed (or could not be done)
};

struct SlotView {
  bool header_ok = false;  // header parsed, CRC ok, linked for this slot
  uint32_t payload_crc32 = 0;
  uint32_t version = 0;  // Version::packed() from the header
  uint32_t build = 0;
  SlotRecord newest;  // newest log record naming this slot, whichever image it speaks of
  PayloadState payload = PayloadState::kUnknown;
  bool skip = false;  // set by the driver when a required append failed: not tried again
  // Why a kInvalid payload is invalid, for the REJECTED record (kUntrusted, kBelowFloor from the
  // secure boot checks).
  RecordReason invalid_reason = RecordReason::kImageInvalid;
};

struct DecisionInput {
  std::array<SlotView, flash_map::kSlotCount> slots{};
};

enum class Action : uint8_t {
  kVerify,          // check `slot`'s payload (SHA-256 too when with_sha), then decide again
  kReject,          // append `record` (REJECTED), then decide again
  kBootTrial,       // append `record` (TRIAL, attempts + 1) when `append`, arm the IWDG, boot
  kBootConfirmed,   // boot `slot`, nothing appended
  kBootLastResort,  // nothing else is bootable: boot a REJECTED but intact image, IWDG armed
  kNoImage,         // no intact image anywhere: stay in the bootloader
};

// The table rows (docs/bootloader.md, "Boot decision").
enum class Row : uint8_t {
  kTrialExhausted = 1,  // TRIAL, attempts >= max              -> reject (attempts exhausted)
  kTrialVerify,         // TRIAL, payload not checked enough   -> verify (SHA when attempts == 0)
  kTrialInvalid,        // TRIAL, payload bad                  -> reject (image invalid)
  kTrialBoot,           // TRIAL, payload good                 -> append attempts+1, boot trial
  kConfirmedVerify,     // CONFIRMED, payload unchecked        -> verify CRC
  kConfirmedBoot,       // CONFIRMED, payload good             -> boot confirmed
  kUnknownVerify,       // no record applies, header good      -> verify CRC + SHA
  kUnknownBoot,         // no record applies, payload good     -> append TRIAL (recovered), boot
  kLastResortVerify,    // only REJECTED images left           -> verify CRC + SHA
  kLastResortBoot,      // REJECTED but intact                 -> boot trial, append nothing
  kNoImage,             // nothing intact                      -> no image
};

struct Step {
  Action action = Action::kNoImage;
  Row row = Row::kNoImage;
  flash_map::Slot slot = flash_map::Slot::kA;
  bool with_sha = false;  // kVerify
  bool append = false;    // kReject, kBootTrial: append `record` first
  MetaRecord record;      // sequence is assigned by MetaLog::append
};

SlotState effective_state(const SlotView& view);
Step decide(const DecisionInput& input);

const char* to_string(SlotState state);
const char* to_string(Action action);
const char* to_string(Row row);

}  // namespace fota::bootcore
