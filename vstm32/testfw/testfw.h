// SPDX-License-Identifier: Apache-2.0
// What the vstm32 test programs (vstm32/testfw) and the host tests that run them agree on:
// addresses, the flash exerciser's modes and patterns, the CRC program's range. Constants only,
// so the host tests (tests/vstm32_core, bench/vstm32) include it as well.
#pragma once

#include <cstdint>

namespace testfw {

// ---- testfw-boot + testfw-app (peer proof 2) ----
inline constexpr uint32_t kAppVectorAddress = 0x0802'0200;  // slot A's vector table
inline constexpr uint32_t kAppCrcBytes = 4096;  // the app's software CRC covers this much of itself

// ---- testfw-flash: the flash exerciser ----
// The host selects a mode by placing {kConfigMagic, mode} at kConfigAddress before power-on;
// erased flash there means kRewrite.
inline constexpr uint32_t kConfigAddress = 0x0800'8000;  // sector 2
inline constexpr uint32_t kConfigMagic = 0x4346'5754;    // "TWFC"
enum class FlashMode : uint32_t {
  kRewrite = 0,   // erase sector kTargetSector, program kRewriteWords words of pattern(), verify
  kErrors = 1,    // provoke each FLASH_SR error flag from code, print SR, clear it
  kWrongKey = 2,  // a wrong KEYR sequence: bus fault (HardFault handler prints CFSR/BFAR)
  kBusyPoll = 3,  // erase from a RAM routine that counts BSY polls until the erase ends
  kWatchdog = 4,  // start the IWDG (/4, RLR 99: 12.5 ms at 32 kHz) and never kick it
  kSysReset = 5,  // print the reset flags, clear them (RMVF), then AIRCR SYSRESETREQ
  kEcho = 6,      // USART1 echo: each received byte is sent back + 1, SR flags printed
};
inline constexpr unsigned kTargetSector = 1;  // 16 KB at 0x0800'4000
inline constexpr uint32_t kTargetAddress = 0x0800'4000;
inline constexpr uint32_t kTargetSize = 16 * 1024;
inline constexpr uint32_t kRewriteWords = 1024;  // 4 KB: 1 erase + 1024 program steps

// The value the exerciser programs into word `i` (never 0xFFFF'FFFF, so an unprogrammed word is
// always visible).
constexpr uint32_t pattern(uint32_t i) {
  return (0xA5C3'0000u ^ (i * 0x0100'0193u)) & 0xFFFF'FFFEu;
}

// ---- testfw-crc ----
inline constexpr uint32_t kCrcAddress = 0x0802'0000;  // slot A as the bootloader checks it
inline constexpr uint32_t kCrcBytes = 384 * 1024;

}  // namespace testfw
