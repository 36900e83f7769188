// SPDX-License-Identifier: Apache-2.0
// Lowercase hex text of bytes (digests, key ids, signatures in manifests and messages).
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

}  // namespace fota
