// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the bootcore tests: small images built with the real header format, and
// putting them into a FakeFlash.
#pragma once

#include <cstdint>
#include <vector>

#include "fake_flash.h"
#include "format/crc32.h"
#include "format/image_header.h"
#include "format/sha256.h"

namespace fota::bootcore::test {

struct TestImage {
  flash_map::Slot linked = flash_map::Slot::kA;  // slot it is linked for
  ImageHeader header;
  std::vector<uint8_t> bytes;  // header + payload, padded to a word
};

// An image of `payload_size` pseudo-random bytes (seeded) linked for `slot`.
inline TestImage make_image(flash_map::Slot slot, Version version, uint32_t payload_size,
                            uint32_t seed) {
  TestImage img;
  img.linked = slot;
  std::vector<uint8_t> payload(payload_size);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : payload) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<uint8_t>(x);
  }
  img.header.vector_address = flash_map::slot_vector_address(slot);
  img.header.payload_size = payload_size;
  img.header.version = version;
  img.header.payload_crc32 = crc32(payload);
  img.header.payload_sha256 = sha256(payload);
  const auto h = encode_image_header(img.header);
  img.bytes.assign(h.begin(), h.end());
  img.bytes.insert(img.bytes.end(), payload.begin(), payload.end());
  while (img.bytes.size() % 4 != 0) img.bytes.push_back(0xFF);
  return img;
}

inline std::vector<uint32_t> to_words(const std::vector<uint8_t>& bytes) {
  std::vector<uint32_t> w(bytes.size() / 4);
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = static_cast<uint32_t>(bytes[4 * i]) | static_cast<uint32_t>(bytes[4 * i + 1]) << 8 |
           static_cast<uint32_t>(bytes[4 * i + 2]) << 16 |
           static_cast<uint32_t>(bytes[4 * i + 3]) << 24;
  }
  return w;
}

// Erases the slot's sectors and programs the image (the host's write, without the log record).
inline FlashStatus write_image(Flash& flash, flash_map::Slot slot, const TestImage& img) {
  const unsigned first = flash_map::kSlotFirstSector[static_cast<unsigned>(slot)];
  for (unsigned s = first; s < first + flash_map::kSlotSectorCount; ++s) {
    const FlashStatus st = flash.erase_sector(s);
    if (st != FlashStatus::kOk) return st;
  }
  const auto words = to_words(img.bytes);
  return flash.program_words(flash_map::slot_address(slot), words);
}

}  // namespace fota::bootcore::test
