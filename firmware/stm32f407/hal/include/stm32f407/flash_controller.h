// SPDX-License-Identifier: Apache-2.0
// bootcore::Flash over the STM32F407 flash controller (RM0090 3.6): unlock, x32 parallelism,
// bounded BSY waits, read-back check of every programmed word and erased sector. Under QEMU
// (no flash controller, flash is ROM) the read-back fails and the operation reports an error
// instead of hanging or pretending.
#pragma once

#include <cstdint>
#include <span>

#include "bootcore/flash.h"

namespace fota::stm32 {

class FlashController final : public bootcore::Flash {
 public:
  // BSY polls before giving up. A word programs in <= 100 us, a 128 KB sector erases in <= 2 s at
  // x32 (DS8626); a poll takes >= 3 cycles, and the CPU stalls while it fetches from a busy bank,
  // so these bounds are only reached when the controller is absent or broken.
  static constexpr uint32_t kProgramPolls = 200'000;
  static constexpr uint32_t kErasePolls = 0x4000'0000;

  [[nodiscard]] bootcore::FlashStatus read(uint32_t address, std::span<uint8_t> out) override;
  [[nodiscard]] bootcore::FlashStatus program_words(uint32_t address,
                                                    std::span<const uint32_t> words) override;
  [[nodiscard]] bootcore::FlashStatus erase_sector(unsigned sector) override;
  const uint8_t* mapped(uint32_t address, uint32_t size) override;
};

// Writes the key sequence when FLASH_CR is locked (RM0090 3.5.1); false when it stays locked (a
// wrong sequence locks it until the next reset). Also used by the bootloader's update mode, which
// programs through its RAM pump instead of FlashController.
bool unlock_flash_cr();

// Data read from flash may sit in the ART data cache: flush it after the contents changed under it
// (RM0090 3.5.2: reset a cache only while it is disabled).
void flush_flash_data_cache();

}  // namespace fota::stm32
