// Checks of the image in a slot, over Flash: header (format/image_header.h) plus "linked for this
// slot", payload CRC-32 through a pluggable engine (the bootloader plugs in the STM32 CRC unit over
// the memory-mapped flash), and SHA-256 (first boot of a new image only: it costs ~100 ms).
#pragma once

#include <cstdint>

#include "bootcore/flash.h"
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
