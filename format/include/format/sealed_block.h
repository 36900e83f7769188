// SPDX-License-Identifier: Apache-2.0
// The frame our stored blocks share (image header, metadata record, key block): a magic word at
// offset 0, optionally a u16 format version at offset 4, and at `crc_at` the CRC-32 of the bytes
// before it. One check and one seal serve all three, so the order of the checks (and so which
// error a damaged block gets) is the same for every block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "status/result.h"

namespace fota {

struct SealedLayout {
  size_t size;       // bytes the block occupies
  uint32_t magic;    // little-endian at offset 0
  size_t crc_at;     // offset of the CRC-32 of bytes [0, crc_at)
  uint16_t version;  // little-endian at offset 4; 0: the block has no version field
};

enum class SealFault : uint8_t { kNone, kTooShort, kErased, kBadMagic, kBadCrc, kBadVersion };

// Checks in this order: enough bytes, not all erased, the magic, the CRC, the version.
SealFault check_seal(std::span<const uint8_t> bytes, const SealedLayout& layout);

// Stores the CRC-32 of block[0, crc_at) at crc_at (the caller wrote the magic and the fields).
void seal(std::span<uint8_t> block, const SealedLayout& layout);

// What each fault is called in a block's own error type.
template <typename E>
struct SealErrors {
  E too_short;
  E erased;
  E bad_magic;
  E bad_crc;
  E bad_version;  // not used for a layout without version
};

// A kind of sealed block: its layout and its error type's names for the faults.
template <typename E>
struct SealedBlock {
  SealedLayout layout;
  SealErrors<E> errors;
};

// The block's first byte when `bytes` holds a good sealed block of this kind, else why not in
// E's terms (so a parser starts with FOTA_TRY_ASSIGN(const uint8_t* p, open_seal(bytes, kind))).
template <typename E>
Result<const uint8_t*, E> open_seal(std::span<const uint8_t> bytes, const SealedBlock<E>& block) {
  switch (check_seal(bytes, block.layout)) {
    case SealFault::kNone: break;
    case SealFault::kTooShort: return Error{block.errors.too_short};
    case SealFault::kErased: return Error{block.errors.erased};
    case SealFault::kBadMagic: return Error{block.errors.bad_magic};
    case SealFault::kBadCrc: return Error{block.errors.bad_crc};
    case SealFault::kBadVersion: return Error{block.errors.bad_version};
  }
  return bytes.data();
}

}  // namespace fota
