// SPDX-License-Identifier: Apache-2.0
#include "stm32f407/handoff.h"

#include <cstring>
#include <span>

#include "format/crc32.h"

namespace fota::stm32 {

namespace {
uint32_t block_crc(const BootHandoff& b) {
  return crc32(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&b), offsetof(BootHandoff, crc32)));
}
}  // namespace

void handoff_write(const BootHandoff& block) {
  BootHandoff b = block;
  b.magic = kHandoffMagic;
  b.crc32 = block_crc(b);
  std::memcpy(handoff(), &b, sizeof(b));
}

bool handoff_read(BootHandoff& out) {
  std::memcpy(&out, handoff(), sizeof(out));
  return out.magic == kHandoffMagic && out.crc32 == block_crc(out);
}

}  // namespace fota::stm32
