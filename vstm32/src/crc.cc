// SPDX-License-Identifier: Apache-2.0
#include "crc.h"

#include "format/crc32.h"

namespace vstm32 {

uint32_t Crc::read(uint32_t offset) {
  if (!host_.clock_enabled(gate())) return 0;
  switch (offset) {
    case 0x00: return dr_;
    case 0x04: return idr_;
    default: return 0;
  }
}

void Crc::write(const RegWrite& w) {
  if (!host_.clock_enabled(gate())) return;
  switch (w.offset) {
    case 0x00: dr_ = fota::stm32_crc_unit_update(dr_, w.merge(0)); break;
    case 0x04:
      if (w.mask & 0xFFu) idr_ = static_cast<uint8_t>(w.value);
      break;
    case 0x08:
      if (w.value & w.mask & 1u) dr_ = 0xFFFF'FFFF;
      break;
    default: break;
  }
}

}  // namespace vstm32
