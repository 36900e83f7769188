// SPDX-License-Identifier: Apache-2.0
// Progress record layout (little-endian, 192 bytes):
//   0 u32 magic "FUPR"      4 u16 version      6 u16 size (192)
//   8 u8[32] release (SHA-256 of the header)  40 char[64] etag (NUL-padded, NUL-terminated)
// 104 u8[12] device uid   116 u8 slot   117 u8 phase   118 u16 reserved (0)
// 120 u32 image_size      124 u32 bytes_written      128 u32 crc32_state
// 132 u32[8] sha256 h     164 u64 sha256 length      172 u8[16] reserved (0)
// 188 u32 CRC-32 of bytes [0, 188)
#include "update/progress.h"

#include <cstring>

#include "format/bytes.h"
#include "format/crc32.h"
#include "update/target.h"

namespace fota::update {
namespace {

constexpr size_t kCrcOffset = kProgressSize - 4;

void store_le64(uint8_t* p, uint64_t v) {
  bytes::store_le32(p, static_cast<uint32_t>(v));
  bytes::store_le32(p + 4, static_cast<uint32_t>(v >> 32));
}
uint64_t load_le64(const uint8_t* p) {
  return bytes::load_le32(p) | static_cast<uint64_t>(bytes::load_le32(p + 4)) << 32;
}

bool fields_valid(const Progress& p) {
  if (p.etag[kEtagSize - 1] != '\0') return false;
  if (p.image_size <= flash_map::kHeaderSize || p.image_size > flash_map::kSlotSize ||
      p.image_size % 4 != 0) {
    return false;
  }
  if (p.bytes_written < flash_map::kHeaderSize || p.bytes_written > p.image_size) return false;
  const uint32_t payload_done = p.bytes_written - flash_map::kHeaderSize;
  switch (p.phase) {
    case ProgressPhase::kErased: return p.bytes_written == flash_map::kHeaderSize;
    case ProgressPhase::kWriting:
      return payload_done % kChunkSize == 0 && p.bytes_written < p.image_size &&
             p.sha256.length_bytes == payload_done;
    case ProgressPhase::kWritten: return p.bytes_written == p.image_size;
  }
  return false;
}

}  // namespace

void encode_progress(const Progress& p, std::span<uint8_t, kProgressSize> out) {
  uint8_t* b = out.data();
  std::memset(b, 0, kProgressSize);
  bytes::store_le32(b + 0, kProgressMagic);
  bytes::store_le16(b + 4, kProgressVersion);
  bytes::store_le16(b + 6, static_cast<uint16_t>(kProgressSize));
  std::memcpy(b + 8, p.release.data(), 32);
  std::memcpy(b + 40, p.etag.data(), kEtagSize);
  b[40 + kEtagSize - 1] = 0;
  std::memcpy(b + 104, p.device_uid.data(), 12);
  b[116] = static_cast<uint8_t>(p.slot);
  b[117] = static_cast<uint8_t>(p.phase);
  bytes::store_le32(b + 120, p.image_size);
  bytes::store_le32(b + 124, p.bytes_written);
  bytes::store_le32(b + 128, p.crc32_state);
  for (size_t i = 0; i < 8; ++i) bytes::store_le32(b + 132 + 4 * i, p.sha256.h[i]);
  store_le64(b + 164, p.sha256.length_bytes);
  bytes::store_le32(b + kCrcOffset, crc32({b, kCrcOffset}));
}

Result<Progress, ProgressError> decode_progress(std::span<const uint8_t> bytes_in) {
  if (bytes_in.size() < kProgressSize) return Error{ProgressError::kTooShort};
  const uint8_t* b = bytes_in.data();
  if (bytes::load_le32(b) != kProgressMagic) return Error{ProgressError::kBadMagic};
  if (bytes::load_le16(b + 4) != kProgressVersion ||
      bytes::load_le16(b + 6) != static_cast<uint16_t>(kProgressSize)) {
    return Error{ProgressError::kBadVersion};
  }
  if (bytes::load_le32(b + kCrcOffset) != crc32({b, kCrcOffset})) {
    return Error{ProgressError::kBadCrc};
  }
  Progress p;
  std::memcpy(p.release.data(), b + 8, 32);
  std::memcpy(p.etag.data(), b + 40, kEtagSize);
  std::memcpy(p.device_uid.data(), b + 104, 12);
  if (b[116] > 1 || b[117] < 1 || b[117] > 3 || b[118] != 0 || b[119] != 0) {
    return Error{ProgressError::kBadField};
  }
  for (size_t i = 172; i < kCrcOffset; ++i) {
    if (b[i] != 0) return Error{ProgressError::kBadField};
  }
  p.slot = static_cast<flash_map::Slot>(b[116]);
  p.phase = static_cast<ProgressPhase>(b[117]);
  p.image_size = bytes::load_le32(b + 120);
  p.bytes_written = bytes::load_le32(b + 124);
  p.crc32_state = bytes::load_le32(b + 128);
  for (size_t i = 0; i < 8; ++i) p.sha256.h[i] = bytes::load_le32(b + 132 + 4 * i);
  p.sha256.length_bytes = load_le64(b + 164);
  if (!fields_valid(p)) return Error{ProgressError::kBadField};
  return p;
}

}  // namespace fota::update
