// SPDX-License-Identifier: Apache-2.0
// A minimal polled console on USART1 (PA9/PA10, 115200 8N1) for applications: no printf, no heap.
// Applications start on the 16 MHz HSI (the bootloader hands over with clocks at reset state);
// pass the APB2 clock if you raised it.
#pragma once

#include <cstdint>
#include <string_view>

#include "format/version.h"
#include "stm32f407/usart.h"

namespace fota::app {

class Console {
 public:
  explicit Console(uint32_t pclk2_hz = 16'000'000, uint32_t baud = 115'200) {
    uart_.init(pclk2_hz, baud);
  }
  Console& print(std::string_view text) {
    uart_.write(text);
    return *this;
  }
  Console& print(char c) {
    uart_.write(c);
    return *this;
  }
  Console& print_uint(uint32_t value) {
    uart_.write_uint(value);
    return *this;
  }
  Console& print_hex(uint32_t value);
  Console& print_version(const Version& v);  // major.minor.patch
  Console& endl() {                          // lines end with CR LF
    uart_.write("\r\n");
    return *this;
  }
  Console& println(std::string_view text) { return print(text).endl(); }
  void flush() { uart_.flush(); }
  stm32::Usart1& uart() { return uart_; }

 private:
  stm32::Usart1 uart_;
};

}  // namespace fota::app
