// SPDX-License-Identifier: Apache-2.0
// CRC-32 with the IEEE/zlib parameters (poly 0x04C11DB7 reflected = 0xEDB88320, init and final XOR
// 0xFFFFFFFF): the value `crc32`, zlib, Python's binascii.crc32 and the image header all use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fota {

class Crc32 {
 public:
  static constexpr uint32_t kCheckValue = 0xCBF4'3926;  // CRC-32 of "123456789"

  // Streaming: Crc32 c; c.update(a); c.update(b); c.value().
  void update(std::span<const uint8_t> data);
  uint32_t value() const { return ~state_; }

  // Raw register access, for resuming a CRC over data that was processed elsewhere
  // (e.g. the hardware CRC unit adapter).
  uint32_t state() const { return state_; }
  static Crc32 from_state(uint32_t state) {
    Crc32 c;
    c.state_ = state;
    return c;
  }

 private:
  uint32_t state_ = 0xFFFF'FFFF;
};

uint32_t crc32(std::span<const uint8_t> data);

// The STM32F4 CRC unit computes a non-reflected CRC-32 (poly 0x04C11DB7, init 0xFFFFFFFF, no
// final XOR) over 32-bit words. Fed with each word bit-reversed (RBIT), its data register holds
// the bit-reversed zlib register, so the zlib value is ~rbit32(DR) (docs/stm32-facts.md).
// This is the software model of that unit, used by host tests and vstm32.
uint32_t stm32_crc_unit_update(uint32_t dr, uint32_t word);
constexpr uint32_t rbit32(uint32_t v) {
  v = ((v >> 1) & 0x5555'5555u) | ((v & 0x5555'5555u) << 1);
  v = ((v >> 2) & 0x3333'3333u) | ((v & 0x3333'3333u) << 2);
  v = ((v >> 4) & 0x0F0F'0F0Fu) | ((v & 0x0F0F'0F0Fu) << 4);
  v = ((v >> 8) & 0x00FF'00FFu) | ((v & 0x00FF'00FFu) << 8);
  return (v >> 16) | (v << 16);
}

// Computes the zlib CRC-32 of `data` through a word-wise CRC unit: `feed(word)` pushes one word
// into the unit's DR and returns the new DR (on the target: a write to CRC->DR then a read; on the
// host: stm32_crc_unit_update). The unit must have been reset (DR = 0xFFFFFFFF). The unaligned
// tail (size % 4 bytes) is finished in software.
template <typename Feed>
uint32_t crc32_with_unit(std::span<const uint8_t> data, Feed&& feed) {
  const size_t words = data.size() / 4;
  uint32_t dr = 0xFFFF'FFFF;
  for (size_t i = 0; i < words; ++i) {
    const uint8_t* p = data.data() + 4 * i;
    const uint32_t w = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                       static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
    dr = feed(rbit32(w));
  }
  Crc32 tail = Crc32::from_state(rbit32(dr));
  tail.update(data.subspan(words * 4));
  return tail.value();
}

}  // namespace fota
