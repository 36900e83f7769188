// SPDX-License-Identifier: Apache-2.0
// Update mode's I2C1 slave work, run from SRAM by ram_pump (the flash may be busy): written bytes
// into the receive ring; for a read, the count byte and then queued reply bytes, each loaded only
// when the master acknowledged the previous one (BTF), so every byte taken from the queue reached
// the host (native/i2c.h).
#pragma once

#include <cstdint>

namespace fota::boot {

struct PumpState;

namespace i2c1 {
inline constexpr uint32_t kBase = 0x4000'5400;
inline constexpr uint32_t kCr1 = kBase + 0x00;
inline constexpr uint32_t kCr2 = kBase + 0x04;
inline constexpr uint32_t kOar1 = kBase + 0x08;
inline constexpr uint32_t kDr = kBase + 0x10;
inline constexpr uint32_t kSr1 = kBase + 0x14;
inline constexpr uint32_t kSr2 = kBase + 0x18;
inline constexpr uint32_t kCr1Pe = 1u << 0;
inline constexpr uint32_t kCr1Ack = 1u << 10;
inline constexpr uint32_t kCr2Iterren = 1u << 8;
inline constexpr uint32_t kCr2Itevten = 1u << 9;
inline constexpr uint32_t kSr1Addr = 1u << 1;
inline constexpr uint32_t kSr1Btf = 1u << 2;
inline constexpr uint32_t kSr1Stopf = 1u << 4;
inline constexpr uint32_t kSr1Rxne = 1u << 6;
inline constexpr uint32_t kSr1Txe = 1u << 7;
inline constexpr uint32_t kSr1Berr = 1u << 8;
inline constexpr uint32_t kSr1Arlo = 1u << 9;
inline constexpr uint32_t kSr1Af = 1u << 10;
inline constexpr uint32_t kSr1Ovr = 1u << 11;
inline constexpr uint32_t kSr1Errors = kSr1Berr | kSr1Arlo | kSr1Af | kSr1Ovr;
inline constexpr uint32_t kSr1Work = kSr1Addr | kSr1Btf | kSr1Stopf | kSr1Rxne | kSr1Errors;
inline constexpr uint32_t kSr2Busy = 1u << 1;
inline constexpr uint32_t kSr2Tra = 1u << 2;
}  // namespace i2c1

// Which link the session's replies go to: the one the host last sent bytes on.
inline constexpr uint8_t kLinkUart = 0;
inline constexpr uint8_t kLinkI2c = 1;

// One pass over I2C1's flags (nothing when it is off).
void i2c_pump(PumpState* s);

}  // namespace fota::boot
