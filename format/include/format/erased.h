// SPDX-License-Identifier: Apache-2.0
// Whether bytes read from flash are still erased (records, key block, log areas, image blocks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "format/flash_map.h"

namespace fota::flash_map {

// True when every byte reads as erased flash. Word-wise (4x fewer loads for the boot log's blank
// check of a whole area), then the tail byte by byte.
inline bool all_erased(std::span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 4 <= bytes.size(); i += 4) {
    uint32_t w;
    std::memcpy(&w, bytes.data() + i, 4);
    if (w != kErasedWord) return false;
  }
  for (; i < bytes.size(); ++i) {
    if (bytes[i] != kErasedByte) return false;
  }
  return true;
}

}  // namespace fota::flash_map
