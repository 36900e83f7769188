// SPDX-License-Identifier: Apache-2.0
// One record of the boot metadata log (sector 11, and sector 3 as the compaction area): 32 bytes,
// written as eight 32-bit words in order, so a power cut leaves at most a torn record that fails
// its CRC. Shared by the bootloader, the application library, the host tools and vstm32.
//
//   0  u32 magic          kRecordMagic
//   4  u32 sequence       increases by one per append; the valid record with the highest wins
//   8  u8  slot           0 = A, 1 = B
//   9  u8  state          RecordState
//  10  u8  attempts       trial boots started so far (bootloader increments before each boot)
//  11  u8  max_attempts   trial boots allowed before REJECTED (0 = bootloader default)
//  12  u32 image_crc32    payload CRC-32 of the image the record speaks of (ties it to the image)
//  16  u32 version        Version::packed() of that image
//  20  u32 build          its build number
//  24  u8  writer         RecordWriter
//  25  u8  reason         RecordReason (why REJECTED, or why written)
//  26  u16 floor_inv      bitwise NOT of the anti-rollback floor (security_floor below), so the
//                         0xFFFF of records written before the floor existed reads as floor 0
//  28  u32 record_crc32   CRC-32 (zlib) of bytes [0, 28)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "format/flash_map.h"
#include "format/sealed_block.h"
#include "status/result.h"

namespace fota {

inline constexpr uint32_t kRecordMagic = 0x524C'4D46;  // bytes 'F' 'M' 'L' 'R'
inline constexpr size_t kRecordSize = 32;
inline constexpr size_t kRecordWords = kRecordSize / 4;
inline constexpr uint8_t kDefaultMaxAttempts = 3;

// Values chosen so that neither erased flash (0xFF) nor zeroed flash reads as a state
// (three-state flags rather than a bool).
enum class RecordState : uint8_t {
  kTrial = 0x54,      // 'T': boot this slot on trial, counting attempts
  kConfirmed = 0x43,  // 'C': this slot's image confirmed itself
  kRejected = 0x52,   // 'R': this slot's image failed; never boot it again
};

enum class RecordWriter : uint8_t { kHost = 1, kBootloader = 2, kApplication = 3, kFactory = 4 };

enum class RecordReason : uint8_t {
  kNone = 0,
  kNewImage = 1,           // host installed a new image (TRIAL, attempts 0)
  kTrialBoot = 2,          // bootloader starts a trial boot
  kSelfTestPassed = 3,     // application confirmed
  kAttemptsExhausted = 4,  // trial never confirmed
  kImageInvalid = 5,       // header or payload check failed
  kCompaction = 6,         // copied during log compaction
  kRecovered = 7,          // log unreadable: highest valid image booted on trial
  kUntrusted = 8,          // signature missing, by an unknown key, or wrong (secure boot)
  kBelowFloor = 9,         // version below the anti-rollback floor
};

// The anti-rollback floor compares major.minor: security_level(version) = major << 8 | minor.
// Images whose level is below the floor are never booted; the floor only rises, when an image
// confirms (docs/security.md).
constexpr uint16_t security_level(uint32_t packed_version) {
  return static_cast<uint16_t>(packed_version >> 16);
}

struct MetaRecord {
  uint32_t sequence = 0;
  flash_map::Slot slot = flash_map::Slot::kA;
  RecordState state = RecordState::kTrial;
  uint8_t attempts = 0;
  uint8_t max_attempts = 0;
  uint32_t image_crc32 = 0;
  uint32_t version = 0;
  uint32_t build = 0;
  RecordWriter writer = RecordWriter::kHost;
  RecordReason reason = RecordReason::kNone;
  // The anti-rollback floor as of this record (major << 8 | minor). Every record carries the
  // floor of the log when it was written, so the newest valid record holds the current floor and
  // compaction carries it over.
  uint16_t security_floor = 0;
};

enum class RecordError : uint8_t {
  kOk = 0,
  kTooShort,  // fewer than 32 bytes
  kErased,    // all 0xFF: free record slot
  kBadMagic,  // not a record (or torn in its first word)
  kBadCrc,    // torn or damaged
  kBadSlot,   // slot is neither A nor B
  kBadState,  // state is not TRIAL/CONFIRMED/REJECTED
};

// What parse_record checks first (a record has no version field), and how it names each fault.
inline constexpr SealedBlock<RecordError> kRecordSeal{
    {kRecordSize, kRecordMagic, kRecordSize - 4, 0},
    {RecordError::kTooShort, RecordError::kErased, RecordError::kBadMagic, RecordError::kBadCrc,
     RecordError::kBadMagic}};

const char* to_string(RecordError error);
const char* to_string(RecordState state);

// Serialises `record` to bytes / to the eight words programmed in order.
std::array<uint8_t, kRecordSize> encode_record(const MetaRecord& record);
std::array<uint32_t, kRecordWords> encode_record_words(const MetaRecord& record);

Result<MetaRecord, RecordError> parse_record(std::span<const uint8_t> bytes);
Result<MetaRecord, RecordError> parse_record_words(std::span<const uint32_t, kRecordWords> words);

// Effective attempt limit of a TRIAL record.
constexpr uint8_t effective_max_attempts(const MetaRecord& r) {
  return r.max_attempts == 0 || r.max_attempts == 0xFF ? kDefaultMaxAttempts : r.max_attempts;
}

}  // namespace fota
