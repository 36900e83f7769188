// SPDX-License-Identifier: Apache-2.0
#include "common.h"

#include "stm32f407/usart.h"

namespace testfw {

namespace {
fota::stm32::Usart1 g_console;
}

void console_init(uint32_t pclk2_hz) {
  g_console.init(pclk2_hz);
}

void print(std::string_view text) {
  g_console.write(text);
}

void print_hex(uint32_t value) {
  char text[10] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) {
    const uint32_t nibble = (value >> (28 - 4 * i)) & 0xFu;
    text[2 + i] = static_cast<char>(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
  }
  g_console.write(std::string_view(text, sizeof text));
}

void print_uint(uint32_t value) {
  g_console.write_uint(value);
}

void flush() {
  g_console.flush();
}

void idle() {
  flush();
  for (;;) asm volatile("wfi");
}

}  // namespace testfw
