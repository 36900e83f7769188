// SPDX-License-Identifier: Apache-2.0
// Decimal text of an unsigned number without printf, for freestanding writers (the bootloader's
// status line, the agent's status message, console output). Instantiated for the caller's width:
// a uint32_t stays in 32-bit arithmetic on Cortex-M (no 64-bit division helper pulled in).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace fota {

inline constexpr size_t kMaxDecimalDigits = 20;  // UINT64_MAX

// Writes the digits of `value` to out (no terminator) and returns how many; out must hold
// kMaxDecimalDigits.
template <std::unsigned_integral T>
constexpr size_t write_decimal(T value, char* out) {
  char reversed[kMaxDecimalDigits];
  size_t n = 0;
  do {
    reversed[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (size_t i = 0; i < n; ++i) out[i] = reversed[n - 1 - i];
  return n;
}

}  // namespace fota
