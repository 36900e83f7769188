// SPDX-License-Identifier: Apache-2.0
// Lowercase hex text of bytes (digests, key ids, signatures in manifests and messages), and
// addresses as 0xXXXXXXXX (how STM32 documents and our tools print them).
// write_hex is freestanding and fills the caller's buffer; to_hex is the host-side convenience
// that returns a std::string. Header-only, so users need neither libsodium nor a library to link.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace fota {

inline constexpr char kLowerHexDigits[] = "0123456789abcdef";

// Writes 2 * bytes.size() lowercase digits to out (no terminator); out must hold that many.
constexpr void write_hex(std::span<const uint8_t> bytes, char* out) {
  for (uint8_t b : bytes) {
    *out++ = kLowerHexDigits[b >> 4];
    *out++ = kLowerHexDigits[b & 15];
  }
}

inline std::string to_hex(std::span<const uint8_t> bytes) {
  std::string s(bytes.size() * 2, '\0');
  write_hex(bytes, s.data());
  return s;
}

inline constexpr char kUpperHexDigits[] = "0123456789ABCDEF";

// "0x" and 8 uppercase digits (0x08020200): 10 characters, no terminator.
constexpr void write_hex32(uint32_t value, char* out) {
  out[0] = '0';
  out[1] = 'x';
  for (int i = 0; i < 8; ++i) out[2 + i] = kUpperHexDigits[(value >> (28 - 4 * i)) & 15];
}

inline std::string hex32(uint32_t value) {
  std::string s(10, '\0');
  write_hex32(value, s.data());
  return s;
}

}  // namespace fota
