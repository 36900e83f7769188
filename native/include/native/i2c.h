// SPDX-License-Identifier: Apache-2.0
// The native protocol on I2C (docs/native-protocol.md, "I2C binding"): the bootloader's update
// mode is an I2C slave at kI2cAddress on I2C1 (PB6 SCL, PB7 SDA). The frames are the UART ones,
// as a byte stream: a host write transaction carries any number of stream bytes; a host read
// transaction returns a count byte n (0..kI2cMaxReadCount: stream bytes the device hands over in
// this transaction), then n stream bytes, then kI2cFiller for any further byte the host clocks.
// An address the device does not acknowledge means it is not listening (not in update mode or
// the listening window after a pin reset has not opened yet): the host retries.
#pragma once

#include <cstdint>

namespace fota::native {

inline constexpr uint8_t kI2cAddress = 0x42;  // 7-bit
inline constexpr uint8_t kI2cMaxReadCount = 255;
inline constexpr uint8_t kI2cFiller = 0xFF;

}  // namespace fota::native
