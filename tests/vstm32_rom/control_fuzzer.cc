// SPDX-License-Identifier: Apache-2.0
// libFuzzer: the control socket's line parser accepts or names an error for any line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vstm32/control.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto result = vstm32::parse_control_line(line);
  if (!result && result.error().empty()) {
    __builtin_trap();  // every error must say something
  }
  return 0;
}
