// SPDX-License-Identifier: Apache-2.0
// System clock set-up and tear-down. Every wait on an RCC ready flag is bounded: under QEMU (no
// RCC model, registers read 0) or with a dead crystal the code falls back and goes on.
#pragma once

#include <cstdint>

namespace fota::stm32 {

enum class ClockSource : uint8_t {
  kHsi,     // 16 MHz internal RC (reset state; also the fallback)
  kPllHse,  // 168 MHz from the 8 MHz crystal (STM32F4-Discovery)
  kPllHsi,  // 168 MHz from HSI when the crystal does not start
};

struct ClockInfo {
  ClockSource source = ClockSource::kHsi;
  uint32_t sysclk_hz = 16'000'000;
  uint32_t pclk2_hz = 16'000'000;  // APB2: USART1
};

inline constexpr uint32_t kHsiHz = 16'000'000;

// Raises SYSCLK to 168 MHz (flash latency 5, prefetch and caches on; AHB /1, APB1 /4, APB2 /2).
ClockInfo clock_init_168mhz();

// Back to the reset state: HSI, PLL and HSE off, prescalers /1, flash latency 0, caches off and
// flushed. Bounded waits as above.
void clock_deinit();

// Spins for about `us` microseconds at `sysclk_hz` (polled; no timer used).
void delay_us(uint32_t us, uint32_t sysclk_hz);

}  // namespace fota::stm32
