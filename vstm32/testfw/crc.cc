// SPDX-License-Identifier: Apache-2.0
// testfw-crc: boot, switch to 168 MHz, compute the CRC-32 of 384 KB of flash (slot A, as a
// bootloader checks an image) with the CRC unit through the HAL's engine, print it, then run a
// mixed compute loop forever (for the MIPS benchmark): ALU, multiplies, loads and stores in RAM,
// a branchy inner loop, SysTick interrupts every millisecond and an IWDG kick per round.
#include <cstdint>

#include "common.h"
#include "stm32f407/clock.h"
#include "stm32f407/crc_unit.h"
#include "stm32f407/flash_controller.h"
#include "stm32f407/iwdg.h"
#include "stm32f407/regs.h"
#include "testfw.h"

namespace {

using fota::stm32::reg;

volatile uint32_t g_ticks = 0;
uint32_t g_buffer[256];

uint32_t work_round(uint32_t seed) {
  uint32_t x = seed | 1u;
  for (uint32_t i = 0; i < 256; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    g_buffer[i] = g_buffer[(i * 7) & 255] + x * 2654435761u;
  }
  uint32_t sum = 0;
  for (uint32_t i = 0; i < 256; ++i) sum += (g_buffer[i] & 1u) ? g_buffer[i] >> 3 : g_buffer[i];
  return sum;
}

}  // namespace

extern "C" void SysTick_Handler() {
  g_ticks = g_ticks + 1;
}

int main() {
  const fota::stm32::ClockInfo clock = fota::stm32::clock_init_168mhz();
  testfw::console_init(clock.pclk2_hz);
  testfw::print("crc: sysclk=");
  testfw::print_uint(clock.sysclk_hz);
  testfw::print("\n");
  fota::stm32::FlashController flash;
  fota::stm32::CrcUnitEngine engine;
  const auto crc = engine.crc32(flash, testfw::kCrcAddress, testfw::kCrcBytes);
  testfw::print("crc: crc32 ");
  testfw::print_hex(testfw::kCrcAddress);
  testfw::print("+");
  testfw::print_uint(testfw::kCrcBytes);
  testfw::print("=");
  testfw::print_hex(crc.ok() ? crc.value() : 0);
  testfw::print(engine.hardware() ? " unit" : " software");
  testfw::print("\n");
  testfw::print("done\n");
  testfw::flush();

  // The benchmark loop: 1 ms SysTick, IWDG period ~0.5 s kicked every round.
  reg(0xE000'E014) = clock.sysclk_hz / 1000 - 1;  // SysTick LOAD
  reg(0xE000'E018) = 0;                           // VAL
  reg(0xE000'E010) = 7;                           // CLKSOURCE=HCLK, TICKINT, ENABLE
  fota::stm32::iwdg_start({2, 999});
  uint32_t seed = 1;
  for (;;) {
    seed = work_round(seed + g_ticks);
    fota::stm32::iwdg_kick();
  }
}
