// SPDX-License-Identifier: Apache-2.0
// parse_console_line() on arbitrary lines, for both slots and both "booted" states.
#include <cstdint>
#include <string_view>

#include "update/console.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  for (auto slot : {fota::flash_map::Slot::kA, fota::flash_map::Slot::kB}) {
    (void)fota::update::parse_console_line(line, slot, false);
    (void)fota::update::parse_console_line(line, slot, true);
  }
  return 0;
}
