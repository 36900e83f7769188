// SPDX-License-Identifier: Apache-2.0
#include "format/sealed_block.h"

#include "format/bytes.h"
#include "format/crc32.h"
#include "format/erased.h"

namespace fota {

SealFault check_seal(std::span<const uint8_t> bytes, const SealedLayout& layout) {
  if (bytes.size() < layout.size) return SealFault::kTooShort;
  if (flash_map::all_erased(bytes.first(layout.size))) return SealFault::kErased;
  if (bytes::load_le32(bytes.data()) != layout.magic) return SealFault::kBadMagic;
  if (bytes::load_le32(bytes.data() + layout.crc_at) != crc32(bytes.first(layout.crc_at))) {
    return SealFault::kBadCrc;
  }
  if (layout.version != 0 && bytes::load_le16(bytes.data() + 4) != layout.version) {
    return SealFault::kBadVersion;
  }
  return SealFault::kNone;
}

void seal(std::span<uint8_t> block, const SealedLayout& layout) {
  bytes::store_le32(block.data() + layout.crc_at, crc32(block.first(layout.crc_at)));
}

}  // namespace fota
