// SPDX-License-Identifier: Apache-2.0
// Console and helpers shared by the vstm32 test programs (ARM side).
#pragma once

#include <cstdint>
#include <string_view>

namespace testfw {

// USART1 at 115200 8N1 from `pclk2_hz` (16 MHz HSI after reset).
void console_init(uint32_t pclk2_hz = 16'000'000);
void print(std::string_view text);
void print_hex(uint32_t value);  // "0x" + 8 hex digits
void print_uint(uint32_t value);
void flush();  // bounded wait until the last byte left
// flush(), then sleep forever (WFI); vstm32 lets time pass, QEMU just waits to be killed.
[[noreturn]] void idle();

}  // namespace testfw
