// SPDX-License-Identifier: Apache-2.0
// USART1 on PA9 (TX) / PA10 (RX), AF7, 8N1, polled transmit with bounded waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota::stm32 {

class Usart1 {
 public:
  // Enables GPIOA + USART1 clocks, configures the pins and the baud rate from `pclk2_hz`.
  void init(uint32_t pclk2_hz, uint32_t baud = 115'200);
  void write(char c);
  void write(std::string_view text);
  void write_uint(uint32_t value);
  // A received byte, if one is waiting (never blocks).
  bool try_read(uint8_t& byte);
  // Changes the rate (after the last byte left).
  void set_baud(uint32_t pclk2_hz, uint32_t baud);
  // Waits (bounded) until the last bit left the shift register.
  void flush();
  // flush(), then USART1 and GPIOA back to their reset state (RCC reset pulse, clocks off).
  void release();

 private:
  bool enabled_ = false;
};

}  // namespace fota::stm32
