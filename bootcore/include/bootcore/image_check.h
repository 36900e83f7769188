// SPDX-License-Identifier: Apache-2.0
// Checks of the image in a slot, over Flash: header (format/image_header.h) plus "linked for this
// slot", payload CRC-32 through a pluggable engine (the bootloader plugs in the STM32 CRC unit over
// the memory-mapped flash), and SHA-256 (first boot of a new image only: it costs ~100 ms).
#pragma once

#include <cstdint>

#include "bootcore/flash.h"
#include "format/crc32.h"
#include "format/flash_map.h"
#include "format/image_header.h"
#include "status/result.h"

namespace fota::bootcore {

// Computes the zlib CRC-32 of `size` bytes of flash at `address`.
class Crc32Engine {
 public:
  [[nodiscard]] virtual Result<uint32_t, FlashStatus> crc32(Flash& flash, uint32_t address,
                                                            uint32_t size) = 0;

 protected:
  ~Crc32Engine() = default;  // never deleted through the interface (see Flash)
};

// Table-free software CRC over Flash::mapped() when available, else Flash::read() in 256-byte
// chunks.
class SoftwareCrc32Engine final : public Crc32Engine {
 public:
  [[nodiscard]] Result<uint32_t, FlashStatus> crc32(Flash& flash, uint32_t address,
                                                    uint32_t size) override;
};

// CRC through a word-wise CRC unit like the STM32F4's (see format/crc32.h, crc32_with_unit):
// `feed(word)` writes one (bit-reversed) word to the unit's data register and returns it; `reset()`
// resets the unit. Works over the mapped view only (the unit is fed straight from flash); without
// one it falls back to software. The bootloader instantiates it with its CRC->DR accessors; the
// host tests with stm32_crc_unit_update.
template <typename Reset, typename Feed>
class CrcUnitEngine final : public Crc32Engine {
 public:
  CrcUnitEngine(Reset reset, Feed feed) : reset_(reset), feed_(feed) {}
  [[nodiscard]] Result<uint32_t, FlashStatus> crc32(Flash& flash, uint32_t address,
                                                    uint32_t size) override {
    const uint8_t* view = flash.mapped(address, size);
    if (view == nullptr) return software_.crc32(flash, address, size);
    reset_();
    return crc32_with_unit(std::span<const uint8_t>(view, size), feed_);
  }

 private:
  Reset reset_;
  Feed feed_;
  SoftwareCrc32Engine software_;
};

// Outcome of a check: error == kOk and flash == kOk means the check passed.
struct ImageVerdict {
  HeaderError error = HeaderError::kOk;
  FlashStatus flash = FlashStatus::kOk;  // a read failed: the image could not be checked
  bool ok() const { return error == HeaderError::kOk && flash == FlashStatus::kOk; }
};

struct SlotHeader {
  ImageVerdict verdict;
  ImageHeader header;
};

// Reads and checks the 512-byte header at the start of `slot`, including link address == slot.
SlotHeader read_slot_header(Flash& flash, flash_map::Slot slot);

// Checks the payload after a good header: CRC-32 via `crc`, and SHA-256 when `check_sha`.
ImageVerdict check_slot_payload(Flash& flash, flash_map::Slot slot, const ImageHeader& header,
                                Crc32Engine& crc, bool check_sha);

}  // namespace fota::bootcore
