// SPDX-License-Identifier: Apache-2.0
// The STM32F407 (1 MB, single bank) flash map used by the bootloader, the host tools and vstm32.
// One source of truth: docs/bootloader.md shows the same table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fota::flash_map {

inline constexpr uint32_t kFlashBase = 0x0800'0000;
inline constexpr uint32_t kFlashSize = 1024 * 1024;
inline constexpr uint32_t kFlashEnd = kFlashBase + kFlashSize;
inline constexpr uint32_t kErasedWord = 0xFFFF'FFFF;
inline constexpr uint8_t kErasedByte = 0xFF;

inline constexpr unsigned kSectorCount = 12;

struct Sector {
  uint32_t address;
  uint32_t size;
};

// RM0090 table 5 (single bank, 1 MB).
inline constexpr Sector kSectors[kSectorCount] = {
    {0x0800'0000, 16 * 1024},  {0x0800'4000, 16 * 1024},  {0x0800'8000, 16 * 1024},
    {0x0800'C000, 16 * 1024},  {0x0801'0000, 64 * 1024},  {0x0802'0000, 128 * 1024},
    {0x0804'0000, 128 * 1024}, {0x0806'0000, 128 * 1024}, {0x0808'0000, 128 * 1024},
    {0x080A'0000, 128 * 1024}, {0x080C'0000, 128 * 1024}, {0x080E'0000, 128 * 1024},
};

// Returns the sector holding `address`, or -1 when the address is outside main flash.
constexpr int sector_of(uint32_t address) {
  for (unsigned i = 0; i < kSectorCount; ++i) {
    if (address >= kSectors[i].address && address - kSectors[i].address < kSectors[i].size) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// --- Our layout (ARCHITECTURE.md) ---
inline constexpr uint32_t kBootloaderAddress = 0x0800'0000;  // sectors 0-1 (sector 2 reserved)
inline constexpr uint32_t kBootloaderSize = 32 * 1024;
inline constexpr uint32_t kLogAreaSmallAddress = 0x0800'C000;  // sector 3: second log area
inline constexpr uint32_t kLogAreaSmallSize = 16 * 1024;
inline constexpr unsigned kLogAreaSmallSector = 3;
inline constexpr uint32_t kAppDataAddress = 0x0801'0000;      // sector 4: never touched by updates
inline constexpr uint32_t kLogAreaMainAddress = 0x080E'0000;  // sector 11: boot metadata log
inline constexpr uint32_t kLogAreaMainSize = 128 * 1024;
inline constexpr unsigned kLogAreaMainSector = 11;

enum class Slot : uint8_t { kA = 0, kB = 1 };
inline constexpr unsigned kSlotCount = 2;

inline constexpr uint32_t kSlotSize = 384 * 1024;
inline constexpr uint32_t kSlotAddress[kSlotCount] = {0x0802'0000, 0x0808'0000};
inline constexpr unsigned kSlotFirstSector[kSlotCount] = {5, 8};
inline constexpr unsigned kSlotSectorCount = 3;

// The image header occupies the first 512 bytes of a slot; the vector table follows
// (512-byte aligned as VTOR requires for the F407's 98 vectors).
inline constexpr uint32_t kHeaderSize = 512;
inline constexpr uint32_t kVectorOffset = kHeaderSize;
inline constexpr uint32_t kMaxPayloadSize = kSlotSize - kHeaderSize;

constexpr uint32_t slot_address(Slot slot) {
  return kSlotAddress[static_cast<unsigned>(slot)];
}
constexpr uint32_t slot_vector_address(Slot slot) {
  return slot_address(slot) + kVectorOffset;
}
constexpr Slot other_slot(Slot slot) {
  return slot == Slot::kA ? Slot::kB : Slot::kA;
}
constexpr char slot_name(Slot slot) {
  return slot == Slot::kA ? 'A' : 'B';
}

static_assert(sector_of(0x0802'0000) == 5 && sector_of(0x0808'0000) == 8);
static_assert(sector_of(0x080E'0000) == 11 && sector_of(kFlashEnd) == -1);
static_assert(kSectors[5].size + kSectors[6].size + kSectors[7].size == kSlotSize);
static_assert(kSectors[8].size + kSectors[9].size + kSectors[10].size == kSlotSize);

// STM32F4 system addresses the tools read through the ROM bootloader.
inline constexpr uint32_t kUniqueIdAddress = 0x1FFF'7A10;   // 96 bits
inline constexpr uint32_t kFlashSizeAddress = 0x1FFF'7A22;  // 16 bits, KB

}  // namespace fota::flash_map
