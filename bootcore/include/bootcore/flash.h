// SPDX-License-Identifier: Apache-2.0
// The flash seam of the boot core: the bootloader (over the F407 flash controller), the host tools
// (over the ST ROM bootloader, AN3155) and the host tests (a RAM fake with the silicon's rules)
// each implement this one interface, and the metadata log and image checks run over it unchanged.
//
// Addresses are absolute (0x0800'0000 = start of main flash). Programming has the F407's AND
// semantics: writing a word can only clear bits (a rewrite of 0xFFFF'FFFF over anything is a
// no-op; writing 0 over anything gives 0), and only erase_sector() sets bits back to 1.
#pragma once

#include <cstdint>
#include <span>

namespace fota::bootcore {

enum class FlashStatus : uint8_t {
  kOk = 0,
  kOutOfRange,      // address/size not inside main flash (or sector index > 11)
  kMisaligned,      // program address not a multiple of 4
  kProgramError,    // the controller flagged the program (PGSERR/PGPERR/PGAERR) or it did not stick
  kEraseError,      // the controller flagged the erase
  kWriteProtected,  // WRPERR / option-byte write protection / ROM bootloader refused (NACK)
  kTimeout,         // BSY never cleared, or the host transport timed out
  kIoError,         // host transport failure (serial error, lost sync with the ROM bootloader)
  kUnsupported,     // this implementation cannot do that operation
};

const char* to_string(FlashStatus status);

class Flash {
 public:
  // Reads out.size() bytes at `address` (any alignment).
  // Returns kOk, kOutOfRange, kTimeout, kIoError.
  [[nodiscard]] virtual FlashStatus read(uint32_t address, std::span<uint8_t> out) = 0;

  // Programs words.size() consecutive 32-bit words at `address` (4-aligned), IN ORDER, each word
  // ANDed into what is there. A power cut may leave a prefix programmed and the word being
  // programmed torn (some of its bits cleared); callers rely on the in-order guarantee.
  // Returns kOk, kOutOfRange, kMisaligned, kProgramError, kWriteProtected, kTimeout, kIoError.
  [[nodiscard]] virtual FlashStatus program_words(uint32_t address,
                                                  std::span<const uint32_t> words) = 0;

  // Erases sector `sector` (0..11, RM0090 table 5) to all 0xFF. A power cut may leave it partly
  // erased and partly old (or garbage).
  // Returns kOk, kOutOfRange, kEraseError, kWriteProtected, kTimeout, kIoError.
  [[nodiscard]] virtual FlashStatus erase_sector(unsigned sector) = 0;

  // A pointer to `size` bytes at `address` when the flash is memory-mapped (execute-in-place on
  // the target, a RAM image in tests), so checks can run without copying; nullptr otherwise
  // (e.g. over the ROM bootloader). Callers then fall back to read().
  virtual const uint8_t* mapped(uint32_t /*address*/, uint32_t /*size*/) { return nullptr; }

 protected:
  // Non-virtual on purpose: a virtual destructor would pull operator delete into the bootloader.
  // Implementations should be `final` (keeps -Wnon-virtual-dtor quiet) and are never deleted
  // through a Flash*.
  ~Flash() = default;
};

}  // namespace fota::bootcore
