// SPDX-License-Identifier: Apache-2.0
// Table-driven damage for the parsers' tests (image header, meta record, update progress):
// hand-made corruption, one field set to a bad value with the CRC resealed, and every single
// bit flipped.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace fota::test {

// Damage done by hand (a fill, a torn write, a flipped byte) and the error it must give.
template <size_t kSize, typename Error>
struct Corruption {
  const char* name;
  void (*corrupt)(std::array<uint8_t, kSize>&);
  Error expected;
};

// One field set to a value the parser must refuse; the test reseals the CRC afterwards so that
// only the field's own check can catch it.
template <typename Error>
struct BadField {
  const char* name;
  size_t offset;
  unsigned width;  // bytes, little-endian
  uint32_t value;
  Error expected;
};

template <size_t kSize, typename Error>
void set_field(std::array<uint8_t, kSize>& bytes, const BadField<Error>& field) {
  for (unsigned i = 0; i < field.width; ++i) {
    bytes[field.offset + i] = static_cast<uint8_t>(field.value >> (8 * i));
  }
}

// `parse` (returning something with ok()) refuses every single-bit flip of `good`.
template <typename Bytes, typename Parse>
void expect_every_bit_flip_refused(const Bytes& good, Parse parse) {
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    auto bad = good;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(parse(bad).ok()) << "bit " << bit;
  }
}

}  // namespace fota::test
