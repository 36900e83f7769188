// SPDX-License-Identifier: Apache-2.0
// The resume point: which release goes into which slot of which device, and how far it is
// durably written. Saved through a ProgressStore at bounded intervals; a fixed 192-byte record
// with magic, version and CRC-32, so a torn or foreign file is recognised and ignored (the update
// then starts over; nothing is lost but time).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "format/flash_map.h"
#include "format/sha256.h"
#include "status/result.h"

namespace fota::update {

inline constexpr size_t kProgressSize = 192;
inline constexpr size_t kEtagSize = 64;  // NUL-padded; longer ETags are refused by the engine
inline constexpr uint32_t kProgressMagic = 0x5250'5546;  // "FUPR"
inline constexpr uint16_t kProgressVersion = 1;

enum class ProgressPhase : uint8_t {
  kErased = 1,   // the sectors the image covers are erased; nothing written yet
  kWriting = 2,  // payload bytes [512, bytes_written) are written
  kWritten = 3,  // whole payload written and matched the header; header block may be missing
};

struct Progress {
  Sha256Digest release{};                // SHA-256 of the 512 header bytes: the release identity
  std::array<char, kEtagSize> etag{};    // Source::etag() when it was saved
  std::array<uint8_t, 12> device_uid{};  // the device it belongs to
  flash_map::Slot slot = flash_map::Slot::kA;
  ProgressPhase phase = ProgressPhase::kErased;
  uint32_t image_size = 0;     // header + payload, padded to 4
  uint32_t bytes_written = 0;  // image offset up to which data is durably written (>= 512)
  uint32_t crc32_state = 0;    // Crc32 register after payload [0, bytes_written - 512)
  Sha256Midstate sha256{};     // SHA-256 state after the same bytes (64-byte aligned)
};

enum class ProgressError : uint8_t {
  kOk = 0,
  kTooShort,    // fewer than kProgressSize bytes
  kBadMagic,    // not a progress record
  kBadVersion,  // written by another version
  kBadCrc,      // torn or damaged
  kBadField,    // a field out of range (slot, phase, sizes, etag not terminated)
};

const char* to_string(ProgressError error);

void encode_progress(const Progress& progress, std::span<uint8_t, kProgressSize> out);
Result<Progress, ProgressError> decode_progress(std::span<const uint8_t> bytes);

enum class StoreStatus : uint8_t {
  kOk = 0,
  kEmpty,    // nothing saved (or cleared)
  kCorrupt,  // something is saved but does not decode: treated like kEmpty by the engine
  kIoError,  // the store failed
};

const char* to_string(StoreStatus status);

// Persistent storage of one progress record (a file on Linux, a flash page or NVS on a small
// host). save() must be atomic: after a crash load() returns the previous or the new record.
class ProgressStore {
 public:
  [[nodiscard]] virtual StoreStatus load(Progress& out) = 0;
  [[nodiscard]] virtual StoreStatus save(const Progress& progress) = 0;
  [[nodiscard]] virtual StoreStatus clear() = 0;

 protected:
  ~ProgressStore() = default;
};

}  // namespace fota::update
