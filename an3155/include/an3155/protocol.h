// SPDX-License-Identifier: Apache-2.0
// AN3155 wire constants: the one definition both sides of the protocol use (the host driver in
// an3155/ and vstm32's model of ST's ROM bootloader).
#pragma once

#include <cstdint>

namespace fota::an3155::protocol {

inline constexpr uint8_t kAck = 0x79;
inline constexpr uint8_t kNack = 0x1F;
inline constexpr uint8_t kSync = 0x7F;
inline constexpr uint8_t kProtocolVersion = 0x31;  // reported by Get / Get Version (V3.1 and V9.1)
inline constexpr uint16_t kProductId = 0x0413;     // STM32F40x/41x
inline constexpr uint32_t kParallelismAddress = 0xFFFF'0000;  // virtual x8/x16/x32 byte

// Command opcodes (each sent as opcode, opcode ^ 0xFF).
inline constexpr uint8_t kGet = 0x00;
inline constexpr uint8_t kGetVersion = 0x01;
inline constexpr uint8_t kGetId = 0x02;
inline constexpr uint8_t kReadMemory = 0x11;
inline constexpr uint8_t kGo = 0x21;
inline constexpr uint8_t kWriteMemory = 0x31;
inline constexpr uint8_t kExtendedErase = 0x44;
inline constexpr uint8_t kWriteProtect = 0x63;
inline constexpr uint8_t kWriteUnprotect = 0x73;
inline constexpr uint8_t kReadoutProtect = 0x82;
inline constexpr uint8_t kReadoutUnprotect = 0x92;

}  // namespace fota::an3155::protocol
