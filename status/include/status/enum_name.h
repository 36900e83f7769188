// SPDX-License-Identifier: Apache-2.0
// Names of an enum whose values run from 0 in declaration order, from one table: one entry per
// value, in the same order. The table's size is checked against the enum's last value at compile
// time (enum_names_cover), and a value outside the table (a damaged byte) is named "unknown".
// A table instead of a switch: one pointer per name, where a switch costs a case of code each.
#pragma once

#include <cstddef>

namespace fota {

template <typename Enum, size_t N>
constexpr const char* enum_name(Enum value, const char* const (&names)[N]) {
  const auto index = static_cast<size_t>(value);
  return index < N ? names[index] : "unknown";
}

// True when `names` has exactly one entry per value up to and including `last`.
template <typename Enum, size_t N>
constexpr bool enum_names_cover(Enum last, const char* const (&)[N]) {
  return static_cast<size_t>(last) + 1 == N;
}

}  // namespace fota
