// SPDX-License-Identifier: Apache-2.0
// bootcore::Crc32Engine over the STM32F4 CRC unit (0x4002'3000): each flash word is fed
// bit-reversed (RBIT) so the unit yields the zlib CRC-32 the image header holds (format/crc32.h).
// The unit is self-tested with ST's known answers at start; when it answers wrong (QEMU models no
// CRC unit, its registers read 0) the engine computes in software.
#pragma once

#include <cstdint>

#include "bootcore/image_check.h"

namespace fota::stm32 {

class CrcUnitEngine final : public bootcore::Crc32Engine {
 public:
  // Enables the unit's clock and self-tests it.
  CrcUnitEngine();
  // Gives the unit back in its reset state (clock off, RCC reset pulsed).
  void release();

  bool hardware() const { return hardware_; }
  [[nodiscard]] Result<uint32_t, bootcore::FlashStatus> crc32(bootcore::Flash& flash,
                                                              uint32_t address,
                                                              uint32_t size) override;

 private:
  bool hardware_ = false;
  bootcore::SoftwareCrc32Engine software_;
};

// The raw unit: reset, then one word in -> DR. Exposed for the self-test and host-side checks.
bool crc_unit_self_test();

}  // namespace fota::stm32
