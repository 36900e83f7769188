// SPDX-License-Identifier: Apache-2.0
// What the bootloader tells the application it starts: a 64-byte block at the top of SRAM
// (0x2001'FFC0) that both linker scripts reserve and no startup code initialises. Guarded by a
// magic and a CRC-32, so the application can tell it from leftover RAM (e.g. when it was started
// without our bootloader).
#pragma once

#include <cstdint>

namespace fota::stm32 {

inline constexpr uint32_t kHandoffAddress = 0x2001'FFC0;
inline constexpr uint32_t kHandoffSize = 64;
inline constexpr uint32_t kHandoffMagic = 0x3148'4246;  // "FBH1"

enum class HandoffBoot : uint8_t {
  kConfirmed = 1,   // booted a CONFIRMED image, no watchdog started
  kTrial = 2,       // trial boot: the IWDG runs, the image must confirm itself
  kLastResort = 3,  // only a REJECTED image was left: IWDG runs
};

struct BootHandoff {
  uint32_t magic;
  uint32_t reset_flags;         // RCC_CSR reset flags as the bootloader found them (it clears them)
  uint8_t slot;                 // 0 = A, 1 = B
  uint8_t boot;                 // HandoffBoot
  uint8_t attempt;              // trial boots: this attempt (1-based) ...
  uint8_t max_attempts;         // ... of this many
  uint32_t version;             // Version::packed() of the image started
  uint32_t watchdog_period_ms;  // nominal IWDG period when started, 0 = not started
  uint32_t bootloader_version;  // Version::packed() of the bootloader
  uint32_t reserved[9];
  uint32_t crc32;  // zlib CRC-32 of the bytes before it
};
static_assert(sizeof(BootHandoff) == kHandoffSize);

inline BootHandoff* handoff() {
  return reinterpret_cast<BootHandoff*>(kHandoffAddress);
}

// Fills in magic and crc32 and stores `block` at kHandoffAddress.
void handoff_write(const BootHandoff& block);
// True (and `out` filled) when a valid block is present.
bool handoff_read(BootHandoff& out);

}  // namespace fota::stm32
