// SPDX-License-Identifier: Apache-2.0
#include "fota_app/console.h"

namespace fota::app {

Console& Console::print_hex(uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  uart_.write("0x");
  for (int shift = 28; shift >= 0; shift -= 4) uart_.write(kDigits[(value >> shift) & 0xF]);
  return *this;
}

Console& Console::print_version(const Version& v) {
  uart_.write_uint(v.major);
  uart_.write('.');
  uart_.write_uint(v.minor);
  uart_.write('.');
  uart_.write_uint(v.patch);
  return *this;
}

}  // namespace fota::app
