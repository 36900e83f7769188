// SPDX-License-Identifier: Apache-2.0
#include "format/crc32.h"

#include <array>

namespace fota {
namespace {

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB8'8320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

// In .rodata: 1 KB of flash on the target, built at compile time.
constexpr std::array<uint32_t, 256> kTable = make_table();

}  // namespace

void Crc32::update(std::span<const uint8_t> data) {
  uint32_t c = state_;
  for (uint8_t b : data) c = kTable[(c ^ b) & 0xFF] ^ (c >> 8);
  state_ = c;
}

uint32_t crc32(std::span<const uint8_t> data) {
  Crc32 c;
  c.update(data);
  return c.value();
}

uint32_t stm32_crc_unit_update(uint32_t dr, uint32_t word) {
  uint32_t c = dr ^ word;
  for (int k = 0; k < 32; ++k) c = (c & 0x8000'0000u) ? (c << 1) ^ 0x04C1'1DB7u : c << 1;
  return c;
}

}  // namespace fota
